"""Initialisation (distribution, seeding, forget bias, spectral radius, scaling) and every ValueError path."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lstm_core import (
    MAX_D, MAX_H, MAX_T, LSTMParams, RNNParams, init_lstm, init_rnn, lstm_backward, lstm_forward, rnn_backward,
    rnn_forward, scaled, with_forget_bias, with_spectral_radius,
)
from lstm_core.params import param_arrays

from tests.helpers import PARAM_NAMES

INITS = {"lstm": init_lstm, "rnn": init_rnn}


# ---- initialisation ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", INITS)
@pytest.mark.parametrize("D, H, scale", [(1, 1, 1.0), (3, 7, 1.0), (5, 16, 0.25), (2, 4, 3.0)])
def test_init_shapes_and_bounds(model, D, H, scale):
    p = INITS[model](D, H, seed=4, scale=scale)
    rows = 4 * H if model == "lstm" else H
    shapes = dict(weight_ih=(rows, D), weight_hh=(rows, H), bias_ih=(rows,), bias_hh=(rows,))
    k = scale / np.sqrt(H)
    for n, a in param_arrays(p).items():
        assert a.shape == shapes[n] and a.dtype == np.float64, n
        assert np.all(np.abs(a) <= k), n
    assert (p.hidden_size, p.input_size) == (H, D)


@pytest.mark.parametrize("model", INITS)
def test_init_is_uniform_minus_k_to_k(model):
    """A large H (all entries pooled) has the moments and the flat histogram of U(−k, k): mean 0, var k²/3."""
    H, D, scale = MAX_H, MAX_D, 2.0
    k = scale / np.sqrt(H)
    w = np.concatenate([a.ravel() for a in param_arrays(INITS[model](D, H, seed=11, scale=scale)).values()])
    N = w.size
    assert abs(w.mean()) < 5 * (k / np.sqrt(3)) / np.sqrt(N)  # 5 standard errors
    var_se = np.sqrt(4 / 45) * k**2 / np.sqrt(N)  # sd of x² for U(−k, k) is k²·√(4/45)
    assert abs(w.var() - k**2 / 3) < 5 * var_se
    assert w.max() > 0.99 * k and w.min() < -0.99 * k  # the whole range is used
    counts, _ = np.histogram(w, bins=10, range=(-k, k))
    chi2 = np.sum((counts - N / 10) ** 2 / (N / 10))
    assert chi2 < 30  # 9 degrees of freedom: P(χ² > 30) ≈ 4e-4


@pytest.mark.parametrize("model", INITS)
def test_seeding(model):
    init = INITS[model]
    a, b, c = init(3, 5, seed=7), init(3, 5, seed=7), init(3, 5, seed=8)
    for n in PARAM_NAMES:
        np.testing.assert_array_equal(getattr(a, n), getattr(b, n))
        assert not np.any(getattr(a, n) == getattr(c, n)), n  # continuous draws: no coincidences
    assert not np.array_equal(init(3, 5).weight_ih, c.weight_ih)


@pytest.mark.parametrize("model", INITS)
def test_init_scale_is_linear(model):
    one, three = INITS[model](2, 6, seed=1), INITS[model](2, 6, seed=1, scale=3.0)
    for n in PARAM_NAMES:
        # U(−k, k) is drawn as −k + 2k·u: near 0 that cancels, so allow a few ulp of k absolutely.
        np.testing.assert_allclose(getattr(three, n), 3.0 * getattr(one, n), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("fb", [0.0, 1.0, -2.5, 1e-3])
def test_forget_bias_is_exact(fb):
    H = 5
    base = init_lstm(3, H, seed=2)
    for p in (with_forget_bias(base, fb), init_lstm(3, H, seed=2, forget_bias=fb)):
        f = slice(H, 2 * H)
        assert np.all(p.bias_ih[f] + p.bias_hh[f] == fb)
        rest = np.r_[0:H, 2 * H:4 * H]
        np.testing.assert_array_equal(p.bias_ih[rest], base.bias_ih[rest])
        np.testing.assert_array_equal(p.bias_hh[rest], base.bias_hh[rest])
        np.testing.assert_array_equal(p.weight_ih, base.weight_ih)
        np.testing.assert_array_equal(p.weight_hh, base.weight_hh)


@pytest.mark.parametrize("radius", [0.0, 0.5, 1.0, 1.7])
def test_spectral_radius_lstm_per_gate_block(radius):
    H = 6
    base = init_lstm(2, H, seed=3)
    for p in (with_spectral_radius(base, radius), init_lstm(2, H, seed=3, spectral_radius=radius)):
        for k in range(4):
            block = p.weight_hh[k * H:(k + 1) * H]
            assert np.max(np.abs(np.linalg.eigvals(block))) == pytest.approx(radius, rel=1e-10, abs=1e-14)
            old = base.weight_hh[k * H:(k + 1) * H]  # a rescaling, not a new matrix
            ratio = radius / np.max(np.abs(np.linalg.eigvals(old)))
            np.testing.assert_allclose(block, ratio * old, rtol=1e-12, atol=1e-15)
        for n in ("weight_ih", "bias_ih", "bias_hh"):
            np.testing.assert_array_equal(getattr(p, n), getattr(base, n))


@pytest.mark.parametrize("radius", [0.3, 1.0, 2.0])
def test_spectral_radius_rnn(radius):
    base = init_rnn(2, 7, seed=5)
    for p in (with_spectral_radius(base, radius), init_rnn(2, 7, seed=5, spectral_radius=radius)):
        assert np.max(np.abs(np.linalg.eigvals(p.weight_hh))) == pytest.approx(radius, rel=1e-10)
        np.testing.assert_array_equal(p.weight_ih, base.weight_ih)


def test_spectral_radius_leaves_zero_block_zero():
    p = init_lstm(2, 3, seed=0)
    w = p.weight_hh.copy()
    w[3:6] = 0.0  # forget-gate block
    q = with_spectral_radius(LSTMParams(p.weight_ih, w, p.bias_ih, p.bias_hh), 0.9)
    assert np.all(q.weight_hh[3:6] == 0.0)
    assert np.max(np.abs(np.linalg.eigvals(q.weight_hh[:3]))) == pytest.approx(0.9, rel=1e-10)


@pytest.mark.parametrize("model", INITS)
@pytest.mark.parametrize("factor", [0.0, -1.0, 0.5, 1e3])
def test_scaled_multiplies_everything(model, factor):
    p = INITS[model](3, 4, seed=6)
    q = scaled(p, factor)
    assert type(q) is type(p)
    for n in PARAM_NAMES:
        np.testing.assert_array_equal(getattr(q, n), factor * getattr(p, n))


# ---- ValueError paths --------------------------------------------------------------------------------------------

D, H, T, B = 3, 4, 5, 2


def lstm_arrays(**over):
    a = dict(weight_ih=np.zeros((4 * H, D)), weight_hh=np.zeros((4 * H, H)), bias_ih=np.zeros(4 * H),
             bias_hh=np.zeros(4 * H))
    return a | over


def rnn_arrays(**over):
    a = dict(weight_ih=np.zeros((H, D)), weight_hh=np.zeros((H, H)), bias_ih=np.zeros(H), bias_hh=np.zeros(H))
    return a | over


@pytest.mark.parametrize("cls, make", [(LSTMParams, lstm_arrays), (RNNParams, rnn_arrays)], ids=["lstm", "rnn"])
@pytest.mark.parametrize("name, bad", [
    ("weight_ih", lambda r: np.zeros((r + 1, D))),
    ("weight_ih", lambda r: np.zeros(r)),
    ("weight_ih", lambda r: np.zeros((0, D))),
    ("weight_hh", lambda r: np.zeros((r, H + 1))),
    ("weight_hh", lambda r: np.zeros((r - 1, H))),
    ("bias_ih", lambda r: np.zeros(r + 1)),
    ("bias_ih", lambda r: np.zeros((r, 1))),
    ("bias_hh", lambda r: np.zeros(r - 1)),
])
def test_params_wrong_shape(cls, make, name, bad):
    rows = make()["bias_ih"].shape[0]
    if cls is RNNParams and name == "weight_ih" and bad(rows).shape == (rows + 1, D):
        name = "weight_hh"  # an RNN's H is read from weight_ih, so the mismatch is reported at weight_hh
    with pytest.raises(ValueError, match=rf"{cls.__name__}\.{name}: got shape"):
        cls(**make(**{name: bad(rows)}))


@pytest.mark.parametrize("cls, make", [(LSTMParams, lstm_arrays), (RNNParams, rnn_arrays)], ids=["lstm", "rnn"])
@pytest.mark.parametrize("name", PARAM_NAMES)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_params_non_finite(cls, make, name, bad):
    a = make()
    a[name] = a[name].copy()
    a[name].flat[-1] = bad
    with pytest.raises(ValueError, match=rf"{cls.__name__}\.{name}: 1 value\(s\) are NaN or infinite"):
        cls(**a)


@pytest.mark.parametrize("cls, make", [(LSTMParams, lstm_arrays), (RNNParams, rnn_arrays)], ids=["lstm", "rnn"])
@pytest.mark.parametrize("name", PARAM_NAMES)
@pytest.mark.parametrize("bad", ["abc", None, object()])
def test_params_wrong_type(cls, make, name, bad):
    with pytest.raises(ValueError, match=rf"{cls.__name__}\.{name}: got dtype"):
        cls(**make(**{name: bad}))


def test_params_object_and_complex_arrays():
    with pytest.raises(ValueError, match=r"LSTMParams\.weight_hh: got dtype object"):
        LSTMParams(**lstm_arrays(weight_hh=np.zeros((4 * H, H)).astype(object)))
    with pytest.raises(ValueError, match=r"LSTMParams\.bias_hh: got complex"):
        LSTMParams(**lstm_arrays(bias_hh=np.zeros(4 * H, dtype=complex)))


def test_params_size_limits():
    Hbig = MAX_H + 1
    with pytest.raises(ValueError, match=rf"hidden size H: got {Hbig}"):
        LSTMParams(np.zeros((4 * Hbig, 1)), np.zeros((4 * Hbig, Hbig)), np.zeros(4 * Hbig), np.zeros(4 * Hbig))
    with pytest.raises(ValueError, match=rf"input size D: got {MAX_D + 1}"):
        RNNParams(np.zeros((2, MAX_D + 1)), np.zeros((2, 2)), np.zeros(2), np.zeros(2))
    LSTMParams(np.zeros((4, MAX_D)), np.zeros((4, 1)), np.zeros(4), np.zeros(4))  # at the limit: fine


@pytest.mark.parametrize("model", INITS)
@pytest.mark.parametrize("args, kwargs, match", [
    ((MAX_D + 1, 4), {}, rf"input size D: got {MAX_D + 1}"),
    ((3, MAX_H + 1), {}, rf"hidden size H: got {MAX_H + 1}"),
    ((0, 4), {}, r"input size D: got 0"),
    ((3, 0), {}, r"hidden size H: got 0"),
    ((3.0, 4), {}, r"input size D: got 3\.0"),
    ((3, True), {}, r"hidden size H: got True"),
    (("3", 4), {}, r"input size D: got '3'"),
    ((3, 4), {"scale": np.nan}, r"scale: got nan"),
    ((3, 4), {"scale": np.inf}, r"scale: got inf"),
    ((3, 4), {"spectral_radius": -1.0}, r"spectral_radius: got -1\.0"),
    ((3, 4), {"spectral_radius": np.nan}, r"spectral_radius: got nan"),
])
def test_init_errors(model, args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        INITS[model](*args, **kwargs)


def test_transform_errors():
    p = init_lstm(2, 3)
    with pytest.raises(ValueError, match=r"forget_bias: got nan"):
        with_forget_bias(p, np.nan)
    with pytest.raises(ValueError, match=r"forget_bias: got nan"):
        init_lstm(2, 3, forget_bias=float("nan"))
    with pytest.raises(ValueError, match=r"factor: got inf"):
        scaled(p, np.inf)
    with pytest.raises(ValueError, match=r"spectral_radius: got -0\.5"):
        with_spectral_radius(init_rnn(2, 3), -0.5)


# forward/backward argument errors, for both models and both layouts

def _setup(model, batched):
    p = init_lstm(D, H) if model == "lstm" else init_rnn(D, H)
    lead = (T, B) if batched else (T,)
    state = (B, H) if batched else (H,)
    inp = dict(x=np.zeros(lead + (D,)), h0=np.zeros(state))
    if model == "lstm":
        inp["c0"] = np.zeros(state)
    return p, inp, lead, state


FWD = {"lstm": lstm_forward, "rnn": rnn_forward}
BWD = {"lstm": lstm_backward, "rnn": rnn_backward}
LAYOUTS = [pytest.param(m, b, id=f"{m}-{'batched' if b else 'single'}") for m in ("lstm", "rnn") for b in (False, True)]


@pytest.mark.parametrize("model, batched", LAYOUTS)
def test_forward_bad_x(model, batched):
    p, inp, lead, _ = _setup(model, batched)
    f = lambda **kw: FWD[model](p, **(inp | kw))  # noqa: E731
    bad_shapes = [lead + (D + 1,), (T,), (T, B, 2, D), (0,) + lead[1:] + (D,), (MAX_T + 1,) + lead[1:] + (D,)]
    if batched:
        bad_shapes.append((T, 0, D))
    for shape in bad_shapes:
        with pytest.raises(ValueError, match=r"^x: got shape"):
            f(x=np.zeros(shape))
    for val in (np.nan, np.inf):
        x = np.zeros(lead + (D,))
        x[-1, ..., 0] = val
        with pytest.raises(ValueError, match=r"^x: .* NaN or infinite"):
            f(x=x)
    for bad in ("abc", np.array([["a"] * D] * T), np.zeros(lead + (D,), dtype=object), None):
        with pytest.raises(ValueError, match=r"^x: got dtype"):
            f(x=bad)
    with pytest.raises(ValueError, match=r"^x: could not be read"):
        f(x=[[0.0] * D, [0.0]])  # ragged
    with pytest.raises(ValueError, match=r"^x: got complex"):
        f(x=np.zeros(lead + (D,), dtype=complex))


def test_forward_limits_at_and_beyond():
    p = init_rnn(1, 1)
    rnn_forward(p, np.zeros((MAX_T, 1)))  # exactly at the limit: fine
    with pytest.raises(ValueError, match=rf"x: got shape \({MAX_T + 1}, 1\), needs 1 <= T <= {MAX_T}"):
        rnn_forward(p, np.zeros((MAX_T + 1, 1)))
    with pytest.raises(ValueError, match=r"x: got shape \(1, 4097, 1\), needs a batch"):
        rnn_forward(p, np.zeros((1, 4097, 1)))


@pytest.mark.parametrize("model, batched", LAYOUTS)
def test_forward_bad_states(model, batched):
    p, inp, lead, state = _setup(model, batched)
    other = (H,) if batched else (B, H)
    for name in ("h0", "c0") if model == "lstm" else ("h0",):
        for bad in (np.zeros(state[:-1] + (H + 1,)), np.zeros(other), np.zeros(())):
            with pytest.raises(ValueError, match=rf"^{name}: got shape {_re(bad.shape)}, needs {_re(state)}"):
                FWD[model](p, **(inp | {name: bad}))
        for val in (np.nan, -np.inf):
            s = np.zeros(state)
            s[..., 1] = val
            with pytest.raises(ValueError, match=rf"^{name}: .* NaN or infinite"):
                FWD[model](p, **(inp | {name: s}))
        with pytest.raises(ValueError, match=rf"^{name}: got dtype"):
            FWD[model](p, **(inp | {name: "zeros"}))


def _re(shape):
    return re.escape(str(tuple(shape)))


@pytest.mark.parametrize("model, batched", LAYOUTS)
def test_backward_bad_dh(model, batched):
    p, inp, lead, _ = _setup(model, batched)
    tr = FWD[model](p, **inp)
    for shape in (lead + (H + 1,), lead[1:] + (H,), (T - 1,) + lead[1:] + (H,)):
        with pytest.raises(ValueError, match=rf"^dh: got shape {_re(shape)}, needs {_re(tr.h.shape)}"):
            BWD[model](p, tr, np.zeros(shape))
    dh = np.zeros(tr.h.shape)
    dh.flat[0] = np.nan
    with pytest.raises(ValueError, match=r"^dh: 1 value\(s\) are NaN or infinite"):
        BWD[model](p, tr, dh)
    with pytest.raises(ValueError, match=r"^dh: got dtype"):
        BWD[model](p, tr, None)


def test_wrong_params_and_trace_types():
    lp, rp = init_lstm(D, H), init_rnn(D, H)
    x = np.zeros((T, D))
    with pytest.raises(ValueError, match=r"^params: got RNNParams, needs LSTMParams"):
        lstm_forward(rp, x)
    with pytest.raises(ValueError, match=r"^params: got LSTMParams, needs RNNParams"):
        rnn_forward(lp, x)
    with pytest.raises(ValueError, match=r"^params: got dict"):
        lstm_forward({"weight_ih": lp.weight_ih}, x)
    ltr, rtr = lstm_forward(lp, x), rnn_forward(rp, x)
    dh = np.zeros((T, H))
    with pytest.raises(ValueError, match=r"^params: got RNNParams"):
        lstm_backward(rp, ltr, dh)
    with pytest.raises(ValueError, match=r"^params: got LSTMParams"):
        rnn_backward(lp, rtr, dh)
    with pytest.raises(ValueError, match=r"^trace: got RNNTrace, needs an LSTMTrace"):
        lstm_backward(lp, rtr, dh)
    with pytest.raises(ValueError, match=r"^trace: got LSTMTrace, needs an RNNTrace"):
        rnn_backward(rp, ltr, dh)
    with pytest.raises(ValueError, match=r"^trace: hidden/input sizes"):
        lstm_backward(init_lstm(D, H + 1), ltr, dh)
    with pytest.raises(ValueError, match=r"^trace: hidden/input sizes"):
        rnn_backward(init_rnn(D + 1, H), rtr, dh)


def test_lists_and_ints_are_accepted_as_float64():
    """Validation converts rather than rejects well-formed non-float64 input."""
    p = init_lstm(2, 3)
    x = [[1, 0], [0, 1], [1, 1]]
    a = lstm_forward(p, x, h0=[0, 0, 0])
    b = lstm_forward(p, np.array(x, dtype=np.float64))
    np.testing.assert_array_equal(a.h, b.h)
    assert a.x.dtype == np.float64


def test_with_block_replaces_exactly_one_gate_block():
    from lstm_core.params import with_block

    p = init_lstm(3, 4, seed=2)
    block = np.full((4, 4), 0.25)
    q = with_block(p, "weight_hh", "g", block)
    np.testing.assert_array_equal(q.weight_hh[8:12], block)
    np.testing.assert_array_equal(np.delete(q.weight_hh, np.s_[8:12], axis=0), np.delete(p.weight_hh, np.s_[8:12], axis=0))
    np.testing.assert_array_equal(q.bias_ih, p.bias_ih)
    r = init_rnn(2, 3)
    np.testing.assert_array_equal(with_block(r, "bias_hh", None, [1.0, 2.0, 3.0]).bias_hh, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="weight_hh block: got shape"):
        with_block(p, "weight_hh", "g", np.zeros((3, 4)))
    with pytest.raises(ValueError, match="gate"):
        with_block(p, "weight_hh", "z", block)
    with pytest.raises(ValueError, match="NaN"):
        with_block(p, "bias_ih", "f", [np.nan, 0, 0, 0])
