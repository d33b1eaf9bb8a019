"""Properties of the core that must hold for every size and seed: continuation, batch = sequences alone,
gate ranges, the cell recursion, gradients (hypothesis), extreme weights, immutability, T = 1, sigmoid."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstm_core import (
    LSTMParams, RNNParams, init_lstm, init_rnn, lstm_backward, lstm_forward, rnn_backward, rnn_forward, scaled,
    sigmoid,
)

from tests.helpers import PARAM_NAMES, analytic_grads, backward, forward, make_problem, numeric_grads

MODELS = ("lstm", "rnn")


def naive_lstm(params, x, h0, c0):
    """Textbook LSTM, one sequence, one step at a time, gate order i, f, g, o; returns dict of (T, H) arrays."""
    H = params.hidden_size
    W, U, b = params.weight_ih, params.weight_hh, params.bias_ih + params.bias_hh
    out = {k: [] for k in "ifgoch"}
    h, c = h0, c0
    for x_t in x:
        z = W @ x_t + U @ h + b
        i, f, o = (1.0 / (1.0 + np.exp(-z[k * H:(k + 1) * H])) for k in (0, 1, 3))
        g = np.tanh(z[2 * H:3 * H])
        c = f * c + i * g
        h = o * np.tanh(c)
        for k, v in zip("ifgoch", (i, f, g, o, c, h)):
            out[k].append(v)
    return {k: np.array(v) for k, v in out.items()}


def grads_dict(model, grads):
    """Every gradient field as a dict (per-step fields and the parameter gradients)."""
    d = {f.name: getattr(grads, f.name) for f in dataclasses.fields(grads) if f.name != "params"}
    d.update({f"d{n}": getattr(grads.params, n) for n in PARAM_NAMES})
    return d


# ---- (a) continuation ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("B", [None, 3])
@pytest.mark.parametrize("T1, T2", [(1, 1), (4, 7), (9, 1)])
def test_lstm_continuation_equals_one_run(T1, T2, B):
    params, inp = make_problem("lstm", T1 + T2, B, 3, 5, seed=T1)
    R = np.random.default_rng(T2).normal(size=inp["x"].shape[:-1] + (5,))
    full = lstm_forward(params, **inp)
    a = lstm_forward(params, inp["x"][:T1], inp["h0"], inp["c0"])
    b = lstm_forward(params, inp["x"][T1:], a.h[-1], a.c[-1])
    for k in "ifgoch":
        np.testing.assert_allclose(np.concatenate([getattr(a, k), getattr(b, k)]), getattr(full, k), rtol=1e-12, atol=1e-15)
    # Backward: the second piece is exactly the tail of the full BPTT; its dh0, dc0 are what flows into step T1−1.
    gf = lstm_backward(params, full, R)
    gb = lstm_backward(params, b, R[T1:])
    for k in ("dh", "dc", "dz_i", "dz_f", "dz_g", "dz_o", "dx"):
        np.testing.assert_allclose(getattr(gb, k), getattr(gf, k)[T1:], rtol=1e-12, atol=1e-15)
    t = T1 - 1
    np.testing.assert_allclose(gf.dh[t], R[t] + gb.dh0, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gf.dc[t], gf.dh[t] * full.o[t] * (1 - np.tanh(full.c[t]) ** 2) + gb.dc0, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("B", [None, 2])
def test_rnn_continuation_equals_one_run(B):
    params, inp = make_problem("rnn", 10, B, 2, 4, seed=3)
    R = np.random.default_rng(0).normal(size=inp["x"].shape[:-1] + (4,))
    full = rnn_forward(params, **inp)
    a = rnn_forward(params, inp["x"][:6], inp["h0"])
    b = rnn_forward(params, inp["x"][6:], a.h[-1])
    np.testing.assert_allclose(np.concatenate([a.h, b.h]), full.h, rtol=1e-12, atol=1e-15)
    gf, gb = rnn_backward(params, full, R), rnn_backward(params, b, R[6:])
    for k in ("dh", "dz", "dx"):
        np.testing.assert_allclose(getattr(gb, k), getattr(gf, k)[6:], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(gf.dh[5], R[5] + gb.dh0, rtol=1e-12, atol=1e-15)


# ---- (b) a batch is its sequences run alone ----------------------------------------------------------------------

@pytest.mark.parametrize("model", MODELS)
def test_batch_equals_sequences_alone(model):
    B, H = 4, 5
    params, inp = make_problem(model, 8, B, 3, H, seed=5)
    R = np.random.default_rng(1).normal(size=(8, B, H))
    tr = forward(model, params, inp)
    gr = backward(model, params, tr, R)
    per_seq_param_grads = {n: 0.0 for n in PARAM_NAMES}
    for k in range(B):
        inp_k = {"x": inp["x"][:, k], **{s: inp[s][k] for s in inp if s != "x"}}
        tr_k = forward(model, params, inp_k)
        gr_k = backward(model, params, tr_k, R[:, k])
        for f in dataclasses.fields(tr_k):
            np.testing.assert_allclose(getattr(tr, f.name)[(slice(None), k) if f.name not in ("h0", "c0") else k],
                                       getattr(tr_k, f.name), rtol=1e-12, atol=1e-15, err_msg=f.name)
        for name, v in grads_dict(model, gr_k).items():
            if name.startswith("d") and name[1:] in PARAM_NAMES:
                per_seq_param_grads[name[1:]] = per_seq_param_grads[name[1:]] + v
                continue
            batched = getattr(gr, name)
            np.testing.assert_allclose(batched[k] if name in ("dh0", "dc0") else batched[:, k], v,
                                       rtol=1e-12, atol=1e-14, err_msg=name)
    for n in PARAM_NAMES:
        np.testing.assert_allclose(getattr(gr.params, n), per_seq_param_grads[n], rtol=1e-10, atol=1e-13, err_msg=n)


# ---- (c) hypothesis over random sizes ----------------------------------------------------------------------------

sizes = st.fixed_dictionaries(dict(
    T=st.integers(1, 30), B=st.one_of(st.none(), st.integers(1, 4)), D=st.integers(1, 5), H=st.integers(1, 6),
    seed=st.integers(0, 2**31 - 1), scale=st.sampled_from([0.5, 1.0, 3.0]),
))
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(sizes)
def test_lstm_random_sizes(s):
    T, B, D, H = s["T"], s["B"], s["D"], s["H"]
    params, inp = make_problem("lstm", T, B, D, H, seed=s["seed"], scale=s["scale"])
    tr = lstm_forward(params, **inp)
    lead = (T,) if B is None else (T, B)
    for k in "ifgoch":
        assert getattr(tr, k).shape == lead + (H,) and getattr(tr, k).dtype == np.float64
    for k in "ifo":
        assert np.all((getattr(tr, k) >= 0) & (getattr(tr, k) <= 1)), k
    assert np.all(np.abs(tr.g) <= 1) and np.all(np.abs(tr.h) <= 1)
    # Cell recursion and output, from the trace's own gates.
    np.testing.assert_allclose(tr.c, tr.f * tr.c_prev() + tr.i * tr.g, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(tr.h, tr.o * np.tanh(tr.c), rtol=1e-13, atol=1e-15)
    # Independent textbook implementation, sequence by sequence.
    seqs = [(inp["x"], inp["h0"], inp["c0"], slice(None))] if B is None else [
        (inp["x"][:, b], inp["h0"][b], inp["c0"][b], (slice(None), b)) for b in range(B)]
    for x, h0, c0, sl in seqs:
        ref = naive_lstm(params, x, h0, c0)
        for k in "ifgoch":
            np.testing.assert_allclose(getattr(tr, k)[sl], ref[k], rtol=1e-11, atol=1e-14, err_msg=k)
    _check_random_elements("lstm", params, inp, tr, s["seed"])


@SETTINGS
@given(sizes)
def test_rnn_random_sizes(s):
    T, B, D, H = s["T"], s["B"], s["D"], s["H"]
    params, inp = make_problem("rnn", T, B, D, H, seed=s["seed"], scale=s["scale"])
    tr = rnn_forward(params, **inp)
    assert tr.h.shape == ((T,) if B is None else (T, B)) + (H,)
    assert np.all(np.abs(tr.h) <= 1)
    xb = inp["x"] if B is not None else inp["x"][:, None]
    h = inp["h0"] if B is not None else inp["h0"][None]
    hb = tr.h if B is not None else tr.h[:, None]
    for t in range(T):  # h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)
        h = np.tanh(xb[t] @ params.weight_ih.T + params.bias_ih + h @ params.weight_hh.T + params.bias_hh)
        np.testing.assert_allclose(hb[t], h, rtol=1e-11, atol=1e-14)
    _check_random_elements("rnn", params, inp, tr, s["seed"])


def _check_random_elements(model, params, inp, tr, seed):
    """Centered difference at one random element of every parameter tensor and every input.

    Error |num − ana| / max(|num| + |ana|, 1e-3) < 1e-6: the floor keeps the rounding noise of a near-zero element
    (about 1e-16 |L| / eps) from counting as a failure, while a wrong gradient of any visible size still fails.
    """
    rng = np.random.default_rng(seed)
    R = rng.normal(size=tr.h.shape)
    ana = analytic_grads(model, backward(model, params, tr, R))
    idx = {name: tuple(int(rng.integers(n)) for n in a.shape) for name, a in ana.items()}
    num = numeric_grads(model, params, inp, R, index_of=lambda name, shape: idx[name])
    for name, k in idx.items():
        n, a = num[name][k], ana[name][k]
        assert abs(n - a) / max(abs(n) + abs(a), 1e-3) < 1e-6, f"{name}{k}: numeric {n!r} vs analytic {a!r}"


# ---- (d) extreme weights and inputs: finite, and no RuntimeWarning escapes ---------------------------------------

def _extreme_params(model, D, H, magnitude, seed):
    """Weights and biases of ±magnitude (random signs), the largest the app can produce."""
    rng = np.random.default_rng(seed)
    rows = 4 * H if model == "lstm" else H
    shapes = dict(weight_ih=(rows, D), weight_hh=(rows, H), bias_ih=(rows,), bias_hh=(rows,))
    cls = LSTMParams if model == "lstm" else RNNParams
    return cls(**{k: magnitude * rng.choice([-1.0, 1.0], size=sh) for k, sh in shapes.items()})


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("B", [None, 3])
@pytest.mark.parametrize("how", ["signs", "scaled"])
@pytest.mark.parametrize("magnitude", [1.0, 30.0, 1e3])
@pytest.mark.parametrize("x_scale", [1.0, 1e3])
def test_extreme_weights_give_finite_traces_and_grads(model, B, how, magnitude, x_scale):
    D, H, T = 3, 4, 25
    params = (_extreme_params(model, D, H, magnitude, seed=1) if how == "signs"
              else scaled(init_lstm(D, H, seed=2) if model == "lstm" else init_rnn(D, H, seed=2), magnitude * np.sqrt(H)))
    rng = np.random.default_rng(3)
    lead = (T,) if B is None else (T, B)
    x = x_scale * rng.uniform(-1, 1, size=lead + (D,))
    R = rng.normal(size=lead + (H,))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tr = forward(model, params, {"x": x})
        gr = backward(model, params, tr, R)
    for f in dataclasses.fields(tr):
        assert np.all(np.isfinite(getattr(tr, f.name))), f.name
    for name, v in grads_dict(model, gr).items():
        assert np.all(np.isfinite(v)), name
    assert np.all(np.abs(tr.h) <= 1)
    if model == "lstm":
        for k in "ifo":
            assert np.all((getattr(tr, k) >= 0) & (getattr(tr, k) <= 1))
        bound = np.arange(1, T + 1).reshape((T,) + (1,) * (tr.c.ndim - 1))
        assert np.all(np.abs(tr.c) <= bound)  # c0 = 0 and |i ⊙ g| <= 1, so |c_t| <= t + 1


# ---- (e) immutability and purity ---------------------------------------------------------------------------------

def _all_arrays(obj):
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if dataclasses.is_dataclass(v):
            yield from ((f"{f.name}.{n}", a) for n, a in _all_arrays(v))
        else:
            yield f.name, v


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("B", [None, 2])
def test_results_are_read_only_and_frozen(model, B):
    params, inp = make_problem(model, 5, B, 2, 3)
    tr = forward(model, params, inp)
    gr = backward(model, params, tr, np.ones(tr.h.shape))
    for obj in (params, tr, gr, gr.params):
        for name, a in _all_arrays(obj):
            assert isinstance(a, np.ndarray) and a.dtype == np.float64, name
            with pytest.raises(ValueError, match="read-only"):
                a[...] = 0.0
        first = dataclasses.fields(obj)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, first, None)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("B", [None, 2])
def test_functions_do_not_modify_inputs(model, B):
    params, inp = make_problem(model, 5, B, 2, 3)
    dh = np.random.default_rng(0).normal(size=inp["x"].shape[:-1] + (3,))
    before = {k: v.copy() for k, v in inp.items()} | {"dh": dh.copy()}
    w_before = {n: getattr(params, n).copy() for n in PARAM_NAMES}
    tr = forward(model, params, inp)
    tr_arrays = {n: a.copy() for n, a in _all_arrays(tr)}
    backward(model, params, tr, dh)
    for k, v in inp.items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)
        assert v.flags.writeable, f"{k} was made read-only"
    np.testing.assert_array_equal(dh, before["dh"])
    assert dh.flags.writeable
    for n in PARAM_NAMES:
        np.testing.assert_array_equal(getattr(params, n), w_before[n])
    for n, a in _all_arrays(tr):
        np.testing.assert_array_equal(a, tr_arrays[n], err_msg=n)


@pytest.mark.parametrize("model", MODELS)
def test_params_do_not_alias_callers_arrays(model):
    rows = 4 * 3 if model == "lstm" else 3
    arrays = dict(weight_ih=np.ones((rows, 2)), weight_hh=np.ones((rows, 3)), bias_ih=np.ones(rows), bias_hh=np.ones(rows))
    p = (LSTMParams if model == "lstm" else RNNParams)(**arrays)
    for a in arrays.values():
        a[...] = 7.0
    for n in PARAM_NAMES:
        assert np.all(getattr(p, n) == 1.0), n


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("B", [None, 2])
def test_trace_does_not_alias_callers_arrays(model, B):
    params, inp = make_problem(model, 5, B, 2, 3)
    tr = forward(model, params, inp)
    saved = {n: a.copy() for n, a in _all_arrays(tr)}
    for v in inp.values():
        v[...] = 123.0  # the caller reuses its buffers
    for n, a in _all_arrays(tr):
        np.testing.assert_array_equal(a, saved[n], err_msg=n)


# ---- (f) T = 1 -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("B", [None, 2])
def test_single_step(model, B):
    params, inp = make_problem(model, 1, B, 3, 4, seed=9)
    R = np.random.default_rng(2).normal(size=inp["x"].shape[:-1] + (4,))
    tr = forward(model, params, inp)
    gr = backward(model, params, tr, R)
    assert tr.h.shape == R.shape
    np.testing.assert_array_equal(gr.dh, R)  # nothing flows back from later steps
    if model == "lstm":
        np.testing.assert_allclose(gr.dc, R * tr.o * (1 - np.tanh(tr.c) ** 2), rtol=1e-13, atol=0)
        np.testing.assert_allclose(gr.dc0, tr.f[0] * gr.dc[0], rtol=1e-13, atol=0)
    num = numeric_grads(model, params, inp, R)
    ana = analytic_grads(model, gr)
    for n in num:
        assert np.max(np.abs(num[n] - ana[n])) / max(np.max(np.abs(num[n]) + np.abs(ana[n])), 1e-300) < 1e-6, n


# ---- (g) sigmoid ---------------------------------------------------------------------------------------------------

def test_sigmoid_relative_accuracy():
    z = np.linspace(-700, 700, 14001)
    # Independent, overflow-free form: σ(z) = e^z / (1 + e^z) for z < 0, 1 / (1 + e^{−z}) for z >= 0.
    e = np.exp(-np.abs(z))
    ref = np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = sigmoid(z)
    np.testing.assert_allclose(got, ref, rtol=4e-15, atol=0)  # a few ulp
    assert np.all(np.diff(got) >= 0)  # monotone


def test_sigmoid_saturates_exactly_without_warnings():
    z = np.array([-1e3, -745.0, 0.0, 40.0, 1e3, -1e308, 1e308])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = sigmoid(z)
    assert s[0] == 0.0 and s[4] == 1.0 and s[2] == 0.5 and s[5] == 0.0 and s[6] == 1.0
    assert s[3] == 1.0  # 1 − 4e-18 rounds to 1
    z_copy = z.copy()
    sigmoid(z)
    np.testing.assert_array_equal(z, z_copy)  # no in-place change of the argument
