"""Stacks of layers (lstm_core/stack.py): layer k reads layer k−1's h, the backward pass hands each layer below the
dx of the layer above; centered-difference gradients of every layer's parameters, x, h0 and c0; a batch is its
sequences run alone; the argument checks. (PyTorch's own values for 2- and 3-layer stacks: test_reference.py.)"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstm_core import init_gru, init_lstm, init_rnn, stack_backward, stack_forward, stack_kind

from tests.helpers import RUNS, centered_diff, init_params, is_lstm, rel_error

MODELS = ("lstm", "lstm1997", "gru", "rnn")


def stack_problem(model, L=2, T=5, B=None, D=3, H=4, seed=0, scale=1.5):
    """L layers (layer 0 reads D inputs, the others H), x, h0 (L, [B,] H), c0 for the LSTMs, and R = ∂L/∂h_top."""
    rng = np.random.default_rng(seed)
    layers = tuple(init_params(model, D if k == 0 else H, H, seed=seed + k, scale=scale) for k in range(L))
    lead = (T,) if B is None else (T, B)
    states = (L,) + lead[1:] + (H,)
    inputs = dict(x=rng.normal(size=lead + (D,)), h0=0.5 * rng.normal(size=states))
    if is_lstm(model):
        inputs["c0"] = rng.normal(size=states)
    return layers, inputs, rng.normal(size=lead + (H,))


def loss(layers, inputs, R) -> float:
    return float(np.sum(stack_forward(layers, **inputs)[-1].h * R))


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("B", [None, 2])
def test_each_layer_reads_the_layer_below_and_gets_its_dx_back(model, B):
    layers, inputs, R = stack_problem(model, L=3, B=B)
    forward, backward = RUNS[model]
    traces = stack_forward(layers, **inputs)
    grads = stack_backward(layers, traces, R)
    assert len(traces) == len(grads) == 3
    below = inputs["x"]
    for k, p in enumerate(layers):  # the same as running the layers one after the other by hand
        states = {"h0": inputs["h0"][k]} | ({"c0": inputs["c0"][k]} if is_lstm(model) else {})
        alone = forward(p, below, **states)
        np.testing.assert_array_equal(traces[k].h, alone.h)
        np.testing.assert_array_equal(traces[k].x, below)
        below = alone.h
    dh = R
    for k in reversed(range(3)):  # the top layer gets R, every one below the dx of the layer above
        alone = backward(layers[k], traces[k], dh)
        for f in dataclasses.fields(alone):
            if f.name != "params":
                np.testing.assert_array_equal(getattr(grads[k], f.name), getattr(alone, f.name), err_msg=f.name)
        dh = alone.dx
    assert grads[0].dx.shape == inputs["x"].shape


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("B", [None, 2])
def test_every_gradient_of_a_stack_against_centered_differences(model, B):
    layers, inputs, R = stack_problem(model, L=2, T=4, B=B, D=2, H=3)
    grads = stack_backward(layers, stack_forward(layers, **inputs), R)
    for k, p in enumerate(layers):
        for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            def f(v, k=k, name=name):
                if not getattr(layers[k], "forget_gate", True):
                    v[3:6] = 0.0  # the 1997 LSTM's forget rows stay 0: the loss does not depend on them
                changed = list(layers)
                changed[k] = dataclasses.replace(layers[k], **{name: v})
                return loss(tuple(changed), inputs, R)
            num = centered_diff(f, getattr(p, name))
            ana = getattr(grads[k].params, name)
            assert np.max(np.abs(num)) > 1e-3, (k, name)
            assert rel_error(num, ana) < 1e-6, (k, name, rel_error(num, ana))
    ana = {"x": grads[0].dx, "h0": np.stack([g.dh0 for g in grads])}
    if is_lstm(model):
        ana["c0"] = np.stack([g.dc0 for g in grads])
    for name, a in ana.items():
        num = centered_diff(lambda v, name=name: loss(layers, {**inputs, name: v}, R), inputs[name])
        assert np.max(np.abs(num)) > 1e-3, name
        assert rel_error(num, a) < 1e-6, (name, rel_error(num, a))


@pytest.mark.parametrize("model", MODELS)
def test_a_batch_of_a_stack_is_its_sequences_alone(model):
    layers, inputs, R = stack_problem(model, L=2, B=3)
    traces = stack_forward(layers, **inputs)
    grads = stack_backward(layers, traces, R)
    for b in range(3):
        one = {"x": inputs["x"][:, b]} | {k: v[:, b] for k, v in inputs.items() if k != "x"}
        tr_b = stack_forward(layers, **one)
        gr_b = stack_backward(layers, tr_b, R[:, b])
        for k in range(2):
            np.testing.assert_allclose(traces[k].h[:, b], tr_b[k].h, rtol=1e-12, atol=1e-15)
            np.testing.assert_allclose(grads[k].dh[:, b], gr_b[k].dh, rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(grads[k].dh0[b], gr_b[k].dh0, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(grads[0].dx[:, b], gr_b[0].dx, rtol=1e-12, atol=1e-14)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=st.sampled_from(MODELS), L=st.integers(1, 4), T=st.integers(1, 8), B=st.one_of(st.none(), st.integers(1, 3)),
       D=st.integers(1, 4), H=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_random_stacks_continue_and_check_one_gradient_element(model, L, T, B, D, H, seed):
    """Any stack: running steps 1…T1 and then T1+1…T from the states reached is one run, and one random element of
    one random layer's W_hh has the gradient a centered difference gives."""
    layers, inputs, R = stack_problem(model, L=L, T=T, B=B, D=D, H=H, seed=seed, scale=1.0)
    full = stack_forward(layers, **inputs)
    T1 = T // 2
    if T1:
        first = stack_forward(layers, inputs["x"][:T1], inputs["h0"], inputs.get("c0"))
        rest = stack_forward(layers, inputs["x"][T1:], np.stack([t.h[-1] for t in first]),
                             np.stack([t.c[-1] for t in first]) if is_lstm(model) else None)
        np.testing.assert_allclose(np.concatenate([first[-1].h, rest[-1].h]), full[-1].h, rtol=1e-12, atol=1e-15)
    grads = stack_backward(layers, full, R)
    rng = np.random.default_rng(seed)
    k = int(rng.integers(L))
    idx = tuple(int(rng.integers(n)) for n in layers[k].weight_hh.shape)
    if not getattr(layers[k], "forget_gate", True) and H <= idx[0] < 2 * H:
        assert grads[k].params.weight_hh[idx] == 0.0
        return

    def f(v):
        changed = list(layers)
        changed[k] = dataclasses.replace(layers[k], weight_hh=v)
        return loss(tuple(changed), inputs, R)

    num = centered_diff(f, layers[k].weight_hh, idx)[idx]
    ana = grads[k].params.weight_hh[idx]
    assert abs(num - ana) / max(abs(num) + abs(ana), 1e-3) < 1e-6


def test_results_of_a_stack_are_read_only():
    layers, inputs, R = stack_problem("gru", L=2)
    traces = stack_forward(layers, **inputs)
    grads = stack_backward(layers, traces, R)
    assert isinstance(traces, tuple) and isinstance(grads, tuple)
    for obj in traces + grads:
        for f in dataclasses.fields(obj):
            a = getattr(obj, f.name)
            if isinstance(a, np.ndarray):
                with pytest.raises(ValueError, match="read-only"):
                    a[...] = 0.0


def test_stack_arguments_are_checked_with_clear_messages():
    lstm2 = (init_lstm(3, 4), init_lstm(4, 4, seed=1))
    x = np.zeros((5, 3))
    assert stack_kind(lstm2) == "lstm" and stack_kind([init_gru(3, 4)]) == "gru"
    with pytest.raises(ValueError, match="needs a tuple of 1 to 4 layers"):
        stack_forward((), x)
    with pytest.raises(ValueError, match="got 5 layers, needs a tuple of 1 to 4"):
        stack_forward(lstm2 + (init_lstm(4, 4),) * 3, x)
    with pytest.raises(ValueError, match="layer 2 is a GRU but layer 1 an LSTM; a stack has layers of one kind"):
        stack_forward((init_lstm(3, 4), init_gru(4, 4)), x)
    with pytest.raises(ValueError, match=r"layer 2 has input size 3 and hidden size 4; needs 4 and 4"):
        stack_forward((init_rnn(3, 4), init_rnn(3, 4)), x)
    with pytest.raises(ValueError, match=r"h0: got shape \(4,\), needs \(2, 4\)"):
        stack_forward(lstm2, x, h0=np.zeros(4))
    with pytest.raises(ValueError, match=r"c0: a GRU has no cell state"):
        stack_forward((init_gru(3, 4),), x, c0=np.zeros((1, 4)))
    with pytest.raises(ValueError, match=r"x: got shape \(5, 2\), needs \(T, 3\)"):
        stack_forward(lstm2, np.zeros((5, 2)))
    traces = stack_forward(lstm2, x)
    with pytest.raises(ValueError, match="traces: got 1 traces, needs one per layer"):
        stack_backward(lstm2, traces[:1], np.zeros((5, 4)))
    with pytest.raises(ValueError, match=r"dh: got shape \(5, 3\), needs \(5, 4\)"):
        stack_backward(lstm2, traces, np.zeros((5, 3)))
