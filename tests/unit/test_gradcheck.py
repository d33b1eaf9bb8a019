"""Centered-difference gradient checks (float64, eps 1e-6) of every gradient the core returns.

Loss L = Σ_t Σ h_t ⊙ R_t with a fixed random R, so the direct ∂L/∂h_t is R_t. Checked:
every element of every parameter tensor, x, h0, c0; and the *total* per-step fields dh_t, dc_t, dz_t, by splitting
the forward pass at step t, perturbing the state there and continuing from it with the core's own h0/c0.
"""

from __future__ import annotations

import numpy as np
import pytest

from lstm_core import lstm_forward, rnn_forward

from tests.helpers import EPS, analytic_grads, backward, forward, make_problem, numeric_grads, rel_error

TOL = 1e-6
CONFIGS = [pytest.param(m, B, id=f"{m}-B{B}") for m in ("lstm", "rnn") for B in (None, 2)]
T, D, H = 6, 3, 4


def setup(model, B, seed=0):
    params, inputs = make_problem(model, T, B, D, H, seed=seed)
    trace = forward(model, params, inputs)
    R = np.random.default_rng(77 + seed).normal(size=trace.h.shape)
    return params, inputs, R, trace, backward(model, params, trace, R)


@pytest.mark.parametrize("model, B", CONFIGS)
def test_every_element_of_every_gradient(model, B):
    params, inputs, R, _, grads = setup(model, B)
    num = numeric_grads(model, params, inputs, R)
    ana = analytic_grads(model, grads)
    assert num.keys() == ana.keys()
    for name in num:
        assert ana[name].shape == num[name].shape, name
        assert np.max(np.abs(num[name])) > 1e-3, f"{name}: degenerate check"  # the check can fail
        err = rel_error(num[name], ana[name])
        assert err < TOL, f"{name}: relative error {err:.2e}"


def test_gradcheck_detects_a_wrong_gradient():
    """Sanity of the harness: a slightly wrong analytic gradient is rejected."""
    params, inputs, R, _, grads = setup("lstm", None)
    num = numeric_grads("lstm", params, inputs, R)["weight_hh"]
    wrong = grads.params.weight_hh.copy()
    wrong[5, 1] *= 1.001
    assert rel_error(num, wrong) > TOL


# ---- total gradients dh_t, dc_t (and dz_t) by perturbing the state at step t -------------------------------------

def _continue(model, params, x, t, h_t, c_t, R):
    """Σ_{s>t} h_s ⊙ R_s when steps t+1.. start from (h_t, c_t); 0 when t is the last step."""
    if t == x.shape[0] - 1:
        return 0.0
    if model == "lstm":
        return float(np.sum(lstm_forward(params, x[t + 1:], h_t, c_t).h * R[t + 1:]))
    return float(np.sum(rnn_forward(params, x[t + 1:], h_t).h * R[t + 1:]))


def _loss_perturbed_state(model, params, inputs, R, t, which, delta):
    """L with ``delta`` added to h_t (which='h') or c_t (which='c', h_t = o_t ⊙ tanh(c_t) follows it)."""
    x = inputs["x"]
    tr = forward(model, params, {**inputs, "x": x[:t + 1]})  # steps 0..t
    h_t = tr.h[t].copy()
    c_t = tr.c[t].copy() if model == "lstm" else None
    if which == "h":
        h_t = h_t + delta
    else:
        c_t = c_t + delta
        h_t = tr.o[t] * np.tanh(c_t)
    before = float(np.sum(tr.h[:t] * R[:t]))
    return before + float(np.sum(h_t * R[t])) + _continue(model, params, x, t, h_t, c_t, R)


def _state_numeric(model, params, inputs, R, which):
    """Centered differences of L w.r.t. every element of h_t (or c_t), for every t: shape (T, ·, H)."""
    shape = inputs["x"].shape[:-1] + (H,)
    out = np.zeros(shape)
    for idx in np.ndindex(shape):
        t, unit = idx[0], idx[1:]
        e = np.zeros(shape[1:])
        e[unit] = EPS
        lp = _loss_perturbed_state(model, params, inputs, R, t, which, e)
        lm = _loss_perturbed_state(model, params, inputs, R, t, which, -e)
        out[idx] = (lp - lm) / (2 * EPS)
    return out


@pytest.mark.parametrize("model, B", CONFIGS)
def test_total_dh_is_dL_dh_t(model, B):
    params, inputs, R, _, grads = setup(model, B)
    num = _state_numeric(model, params, inputs, R, "h")
    assert rel_error(num, grads.dh) < TOL
    # dh_t differs from the direct R_t before the last step: the check sees the recurrent part too.
    assert np.max(np.abs(grads.dh[:-1] - R[:-1])) > 1e-2
    np.testing.assert_array_equal(grads.dh[-1], R[-1])


@pytest.mark.parametrize("B", [None, 2])
def test_total_dc_is_dL_dc_t(B):
    params, inputs, R, _, grads = setup("lstm", B)
    num = _state_numeric("lstm", params, inputs, R, "c")
    assert rel_error(num, grads.dc) < TOL


def _lstm_loss_perturbed_z(params, inputs, R, t, gate, delta):
    """L with ``delta`` added to gate pre-activation z_gate at step t; step t is recomputed here from the equations."""
    x = inputs["x"]
    if t == 0:
        h_prev, c_prev = inputs["h0"], inputs["c0"]
        before = 0.0
    else:
        tr = lstm_forward(params, x[:t], inputs["h0"], inputs["c0"])
        h_prev, c_prev, before = tr.h[-1], tr.c[-1], float(np.sum(tr.h * R[:t]))
    z = x[t] @ params.weight_ih.T + params.bias_ih + h_prev @ params.weight_hh.T + params.bias_hh  # (·, 4H)
    zi, zf, zg, zo = (z[..., k * H:(k + 1) * H].copy() for k in range(4))
    blocks = dict(i=zi, f=zf, g=zg, o=zo)
    blocks[gate] += delta
    i, f, o = (1 / (1 + np.exp(-blocks[k])) for k in "ifo")
    c_t = f * c_prev + i * np.tanh(blocks["g"])
    h_t = o * np.tanh(c_t)
    return before + float(np.sum(h_t * R[t])) + _continue("lstm", params, x, t, h_t, c_t, R)


@pytest.mark.parametrize("B", [None, 2])
@pytest.mark.parametrize("gate", "ifgo")
def test_dz_gate_is_dL_dz(gate, B):
    params, inputs, R, _, grads = setup("lstm", B)
    ana = getattr(grads, f"dz_{gate}")
    num = np.zeros_like(ana)
    for idx in np.ndindex(ana.shape):
        e = np.zeros(ana.shape[1:])
        e[idx[1:]] = EPS
        lp = _lstm_loss_perturbed_z(params, inputs, R, idx[0], gate, e)
        lm = _lstm_loss_perturbed_z(params, inputs, R, idx[0], gate, -e)
        num[idx] = (lp - lm) / (2 * EPS)
    assert rel_error(num, ana) < TOL


@pytest.mark.parametrize("B", [None, 2])
def test_rnn_dz_is_dh_times_tanh_prime(B):
    """dz_t = dh_t ⊙ (1 − h_t²), recomputed from the (independently checked) total dh."""
    _, _, _, trace, grads = setup("rnn", B)
    np.testing.assert_allclose(grads.dz, grads.dh * (1 - trace.h ** 2), rtol=1e-12, atol=0)

