"""The step functions are what the sequence functions run: a hand-written loop of lstm_step / rnn_step equals
lstm_forward / rnn_forward, a hand-written BPTT loop of lstm_step_backward / rnn_step_backward (with the parameter
gradients summed by hand, step by step) equals lstm_backward / rnn_backward in every field, single and batched.
Also: the recurrent_scale option against per-sequence runs with rescaled weights, parameters=False, trace.step,
and what is left of the old buffer tests that still matters (read-only results, pickling, hand-built traces)."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import pickle
import textwrap

import numpy as np
import pytest

from lstm_core import (
    LSTMParams, LSTMTrace, RNNParams, RNNTrace, init_lstm, init_rnn, lstm_backward, lstm_forward, lstm_step,
    lstm_step_backward, rnn_backward, rnn_forward, rnn_step, rnn_step_backward,
)

from tests.helpers import PARAM_NAMES

RTOL, ATOL = 1e-13, 1e-15  # a hand loop rounds like the library's loop, up to the order of a few additions
RUN = {"lstm": (lstm_forward, lstm_backward, LSTMTrace), "rnn": (rnn_forward, rnn_backward, RNNTrace)}


def problem(model="lstm", T=9, B=None, D=3, H=4, seed=0):
    """Params (scale 2: gates away from 1/2), x, h0, c0 and a loss gradient dh, all random."""
    rng = np.random.default_rng(seed)
    p = (init_lstm if model == "lstm" else init_rnn)(D, H, seed=seed, scale=2.0)
    lead = (T,) if B is None else (T, B)
    state = lead[1:] + (H,)
    return p, rng.normal(size=lead + (D,)), rng.normal(size=state), rng.normal(size=state), rng.normal(size=lead + (H,))


def close(got, want, name=""):
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=name)


def outer_sum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Σ over sequences of a bᵀ: a (R,) | (B, R), b (K,) | (B, K) -> (R, K)."""
    return sum(np.outer(a_b, b_b) for a_b, b_b in zip(a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])))


# ------------------------------------------------------------------------------------------- hand-written loops


@pytest.mark.parametrize("B", [None, 3])
def test_looping_lstm_step_by_hand_equals_lstm_forward(B):
    p, x, h0, c0, _ = problem(B=B)
    tr = lstm_forward(p, x, h0, c0)
    h, c = h0, c0
    for t in range(len(x)):
        step = lstm_step(p, x[t], h, c)
        for name in ("i", "f", "g", "o", "c", "h"):
            close(getattr(step, name), getattr(tr, name)[t], f"{name}[{t}]")
        h, c = step.h, step.c


@pytest.mark.parametrize("B", [None, 3])
@pytest.mark.parametrize("truncate", [None, 4])
def test_a_hand_bptt_loop_of_lstm_step_backward_equals_lstm_backward(B, truncate):
    p, x, h0, c0, dh = problem(B=B)
    T, H = len(x), p.hidden_size
    tr = lstm_forward(p, x, h0, c0)
    gr = lstm_backward(p, tr, dh, truncate=truncate)

    steps, h, c = [], h0, c0
    for t in range(T):  # the forward records, from lstm_step itself
        steps.append(lstm_step(p, x[t], h, c))
        h, c = steps[-1].h, steps[-1].c
    d_w_ih, d_w_hh, d_b = np.zeros_like(p.weight_ih), np.zeros_like(p.weight_hh), np.zeros_like(p.bias_ih)
    dh_next = dc_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        if truncate is not None and (T - 1 - t) % truncate == 0:
            dh_next = dc_next = np.zeros_like(h0)  # a window's end: nothing flows back into it
        s = lstm_step_backward(p, steps[t], dh[t], dh_next, dc_next)
        h_prev = h0 if t == 0 else steps[t - 1].h
        d_w_ih += outer_sum(s.dz, x[t])  # this step's share: dz_t x_tᵀ, dz_t h_{t−1}ᵀ, dz_t
        d_w_hh += outer_sum(s.dz, h_prev)
        d_b += s.dz.reshape(-1, 4 * H).sum(axis=0)
        close(s.dh, gr.dh[t], f"dh[{t}]")
        close(s.dc, gr.dc[t], f"dc[{t}]")
        for k, gate in enumerate("ifgo"):
            close(s.dz[..., k * H:(k + 1) * H], getattr(gr, f"dz_{gate}")[t], f"dz_{gate}[{t}]")
        close(s.dz @ p.weight_ih, gr.dx[t], f"dx[{t}]")
        dh_next, dc_next = s.dh_prev, s.dc_prev
    close(dh_next, gr.dh0, "dh0")
    close(dc_next, gr.dc0, "dc0")
    for name, want in (("weight_ih", d_w_ih), ("weight_hh", d_w_hh), ("bias_ih", d_b), ("bias_hh", d_b)):
        close(getattr(gr.params, name), want, name)


@pytest.mark.parametrize("B", [None, 3])
def test_looping_rnn_step_by_hand_equals_rnn_forward(B):
    p, x, h0, _, _ = problem("rnn", B=B)
    tr = rnn_forward(p, x, h0)
    h = h0
    for t in range(len(x)):
        h = rnn_step(p, x[t], h).h
        close(h, tr.h[t], f"h[{t}]")


@pytest.mark.parametrize("B", [None, 3])
@pytest.mark.parametrize("truncate", [None, 4])
def test_a_hand_bptt_loop_of_rnn_step_backward_equals_rnn_backward(B, truncate):
    p, x, h0, _, dh = problem("rnn", B=B)
    T, H = len(x), p.hidden_size
    gr = rnn_backward(p, rnn_forward(p, x, h0), dh, truncate=truncate)

    steps, h = [], h0
    for t in range(T):
        steps.append(rnn_step(p, x[t], h))
        h = steps[-1].h
    d_w_ih, d_w_hh, d_b = np.zeros_like(p.weight_ih), np.zeros_like(p.weight_hh), np.zeros_like(p.bias_ih)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        if truncate is not None and (T - 1 - t) % truncate == 0:
            dh_next = np.zeros_like(h0)
        s = rnn_step_backward(p, steps[t], dh[t], dh_next)
        d_w_ih += outer_sum(s.dz, x[t])
        d_w_hh += outer_sum(s.dz, h0 if t == 0 else steps[t - 1].h)
        d_b += s.dz.reshape(-1, H).sum(axis=0)
        close(s.dh, gr.dh[t], f"dh[{t}]")
        close(s.dz, gr.dz[t], f"dz[{t}]")
        close(s.dz @ p.weight_ih, gr.dx[t], f"dx[{t}]")
        dh_next = s.dh_prev
    close(dh_next, gr.dh0, "dh0")
    for name, want in (("weight_ih", d_w_ih), ("weight_hh", d_w_hh), ("bias_ih", d_b), ("bias_hh", d_b)):
        close(getattr(gr.params, name), want, name)


def test_step_functions_take_one_input_or_a_batch():
    p, x, h0, c0, _ = problem(B=5)
    one = lstm_step(p, x[0, 2], h0[2], c0[2])
    batch = lstm_step(p, x[0], h0, c0)
    for name in ("i", "f", "g", "o", "c", "h", "c_prev", "tanh_c"):
        assert getattr(one, name).shape == (4,) and getattr(batch, name).shape == (5, 4), name
        close(getattr(one, name), getattr(batch, name)[2], name)
    g1 = lstm_step_backward(p, one, h0[2], c0[2], h0[2])
    gb = lstm_step_backward(p, batch, h0, c0, h0)
    assert g1.dz.shape == (16,) and gb.dz.shape == (5, 16)
    for name in ("dh", "dc", "dz", "dh_prev", "dc_prev"):
        close(getattr(g1, name), getattr(gb, name)[2], name)
    r = init_rnn(3, 4, seed=1)
    assert rnn_step(r, x[0, 2], h0[2]).h.shape == (4,) and rnn_step(r, x[0], h0).h.shape == (5, 4)


def test_lstm_step_is_the_equations():
    """The step against the equations written out once more, with its own sigmoid (PyTorch's order i, f, g, o)."""
    p, x, h0, c0, _ = problem(B=None)
    H = 4
    z = p.weight_ih @ x[0] + p.bias_ih + p.weight_hh @ h0 + p.bias_hh
    i, f, o = (1 / (1 + np.exp(-z[k * H:(k + 1) * H])) for k in (0, 1, 3))
    g = np.tanh(z[2 * H:3 * H])
    s = lstm_step(p, x[0], h0, c0)
    for name, want in zip("ifgoch", (i, f, g, o, f * c0 + i * g, o * np.tanh(f * c0 + i * g))):
        close(getattr(s, name), want, name)


@pytest.mark.parametrize("model", ["lstm", "rnn"])
@pytest.mark.parametrize("B", [None, 3])
def test_trace_step_is_the_record_the_step_function_returned(model, B):
    p, x, h0, c0, _ = problem(model, B=B)
    tr = lstm_forward(p, x, h0, c0) if model == "lstm" else rnn_forward(p, x, h0)
    h, c = h0, c0
    for t in range(len(x)):
        want = lstm_step(p, x[t], h, c) if model == "lstm" else rnn_step(p, x[t], h)
        got = tr.step(t)
        assert type(got) is type(want)
        for name in want._fields:
            close(getattr(got, name), getattr(want, name), f"{name}[{t}]")
        h, c = want.h, getattr(want, "c", None)


def _code_lines(fn) -> int:
    """Lines of code of a function: without its docstring, comments and blank lines."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    body = tree.body[0].body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    lines = set()
    for node in body:
        lines.update(range(node.lineno, node.end_lineno + 1))
    src = textwrap.dedent(inspect.getsource(fn)).splitlines()
    return sum(1 for n in lines if src[n - 1].strip() and not src[n - 1].strip().startswith("#"))


@pytest.mark.parametrize("fn", [lstm_step, lstm_step_backward, rnn_step, rnn_step_backward])
def test_step_functions_fit_on_a_slide(fn):
    """At most ~30 lines of code each (the docstring and comments not counted), so each reads on one screen."""
    assert _code_lines(fn) <= 30, fn.__name__


# ------------------------------------------------------------------------------------------- recurrent_scale


@pytest.mark.parametrize("model", ["lstm", "rnn"])
def test_recurrent_scale_equals_per_sequence_runs_with_row_scaled_weights(model):
    """Sequence b run with recurrent_scale s_b is sequence b alone with W_hh's rows scaled by s_b; the batch's
    dW_hh is the gradient for the shared, unscaled W_hh: Σ_b diag(s_b) dW_hh(b)."""
    p, x, h0, c0, dh = problem(model, B=3)
    rows = p.weight_hh.shape[0]
    scale = np.random.default_rng(5).uniform(0.2, 1.8, size=(3, rows))
    forward, backward, _ = RUN[model]
    states = (h0, c0) if model == "lstm" else (h0,)
    tr = forward(p, x, *states, recurrent_scale=scale)
    gr = backward(p, tr, dh, recurrent_scale=scale)
    d_w_hh = np.zeros_like(p.weight_hh)
    for b in range(3):
        pb = dataclasses.replace(p, weight_hh=p.weight_hh * scale[b][:, None])
        tb = forward(pb, x[:, b], *(s[b] for s in states))
        gb = backward(pb, tb, dh[:, b])
        for f in dataclasses.fields(tb):
            close(getattr(tr, f.name)[:, b] if f.name not in ("h0", "c0") else getattr(tr, f.name)[b],
                  getattr(tb, f.name), f.name)
        for f in dataclasses.fields(gb):
            if f.name != "params":
                got = getattr(gr, f.name)
                close(got[b] if f.name in ("dh0", "dc0") else got[:, b], getattr(gb, f.name), f.name)
        d_w_hh += scale[b][:, None] * gb.params.weight_hh
    close(gr.params.weight_hh, d_w_hh, "weight_hh")


@pytest.mark.parametrize("model", ["lstm", "rnn"])
def test_recurrent_scale_of_the_wrong_shape_is_refused(model):
    p, x, *_ = problem(model, B=3)
    forward, backward, _ = RUN[model]
    with pytest.raises(ValueError, match="recurrent_scale"):
        forward(p, x, recurrent_scale=np.ones((2, 5)))
    with pytest.raises(ValueError, match="recurrent_scale"):
        forward(p, x, recurrent_scale=[np.nan])
    tr = forward(p, x)
    with pytest.raises(ValueError, match="recurrent_scale"):
        backward(p, tr, np.ones(tr.h.shape), recurrent_scale=np.ones(7))
    ones = forward(p, x, recurrent_scale=1.0)  # a scalar broadcasts: the same as no scale
    np.testing.assert_array_equal(ones.h, tr.h)


@pytest.mark.parametrize("model", ["lstm", "rnn"])
def test_parameters_false_skips_only_the_parameter_gradients(model):
    p, x, h0, c0, dh = problem(model, B=3)
    forward, backward, _ = RUN[model]
    tr = forward(p, x)
    full, lean = backward(p, tr, dh), backward(p, tr, dh, parameters=False)
    assert lean.params is None
    for f in dataclasses.fields(full):
        if f.name != "params":
            np.testing.assert_array_equal(getattr(lean, f.name), getattr(full, f.name), err_msg=f.name)


# ---------------------------------------------------------------- results stay results (from the buffer tests)


def snapshot(obj) -> dict:
    """Copies of every array field; a gradient's parameter gradients as 'params.weight_ih' etc."""
    out = {f.name: np.array(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.name != "params"}
    if getattr(obj, "params", None) is not None:
        out.update({f"params.{n}": np.array(getattr(obj.params, n)) for n in PARAM_NAMES})
    return out


@pytest.mark.parametrize("model", ["lstm", "rnn"])
@pytest.mark.parametrize("B", [None, 3])
def test_a_result_cannot_be_written_through_the_array_it_views(B, model):
    """dz_i … are views of one dz array: neither it (``.base``) nor re-enabling a field's writeable flag may open
    a way to change a result."""
    forward, backward, _ = RUN[model]
    p, x, _, _, dh = problem(model, B=B)
    tr = forward(p, x)
    gr = backward(p, tr, dh)
    if model == "lstm":
        assert isinstance(gr.dz_o.base, np.ndarray)  # the four dz blocks are views of one (T, [B,] 4H) array
    for obj in (tr, gr):
        for f in dataclasses.fields(obj):
            a = getattr(obj, f.name)
            if not isinstance(a, np.ndarray) or a.base is None:
                continue  # an array that owns its memory is read-only as any (test_properties)
            with pytest.raises(ValueError, match="read-only"):
                a.base[...] = 0.0
            with pytest.raises(ValueError):
                a.flags.writeable = True


@pytest.mark.parametrize("model", ["lstm", "rnn"])
@pytest.mark.parametrize("B", [None, 3])
def test_earlier_results_survive_later_runs(B, model):
    forward, backward, _ = RUN[model]
    p, x, _, _, dh = problem(model, B=B)
    tr1 = forward(p, x)
    g1 = backward(p, tr1, dh)
    before_tr, before_g = snapshot(tr1), snapshot(g1)
    for k in range(3):
        p2, x2, _, _, dh2 = problem(model, B=B, seed=10 + k)
        backward(p2, forward(p2, x2), dh2)
    for name, v in snapshot(tr1).items():
        np.testing.assert_array_equal(v, before_tr[name], err_msg=name)
    for name, v in snapshot(g1).items():
        np.testing.assert_array_equal(v, before_g[name], err_msg=name)


@pytest.mark.parametrize("model", ["lstm", "rnn"])
@pytest.mark.parametrize("B", [None, 3])
@pytest.mark.parametrize("how", ["hand-built", "pickled", "replaced"])
def test_backward_of_a_trace_built_by_hand_pickled_or_replaced(B, how, model):
    """st.cache_data hands pages unpickled traces; a trace is backpropagated from its fields, whatever made it."""
    forward, backward, Trace = RUN[model]
    p, x, _, _, dh = problem(model, B=B)
    tr = forward(p, x)
    if how == "hand-built":
        other = Trace(**{f.name: np.array(getattr(tr, f.name)) for f in dataclasses.fields(tr)})
    elif how == "pickled":
        other = pickle.loads(pickle.dumps(tr))
        for f in dataclasses.fields(tr):
            np.testing.assert_array_equal(getattr(other, f.name), getattr(tr, f.name), err_msg=f.name)
    else:
        h = np.array(tr.h)
        h[..., 0] = 0.5  # a different state: the backward pass must use it
        other = dataclasses.replace(tr, h=h)
    got = snapshot(backward(p, other, dh))
    if how == "replaced":
        want = snapshot(backward(p, Trace(**{n: np.array(getattr(other, n)) for n in snapshot(other)}), dh))
        assert not np.allclose(got["params.weight_hh"], snapshot(backward(p, tr, dh))["params.weight_hh"])
    else:
        want = snapshot(backward(p, tr, dh))
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)


def test_parameter_gradients_keep_the_params_layout():
    p, x, _, _, dh = problem(B=2)
    g = lstm_backward(p, lstm_forward(p, x), dh)
    assert isinstance(g.params, LSTMParams)
    r, xr, _, _, dhr = problem("rnn", B=2)
    assert isinstance(rnn_backward(r, rnn_forward(r, xr), dhr).params, RNNParams)


def test_step_records_are_frozen():
    p, x, h0, c0, dh = problem()
    step = lstm_step(p, x[0], h0, c0)
    back = lstm_step_backward(p, step, dh[0], h0, c0)
    for record in (step, back, rnn_step(init_rnn(3, 4), x[0], h0)):
        for name in record._fields:
            with pytest.raises(AttributeError):
                setattr(record, name, None)
