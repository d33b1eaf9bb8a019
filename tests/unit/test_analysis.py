"""Analysis: gradient norms, the carousel product, exact state Jacobians (vs centered differences), summaries."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_core import (
    GRUParams, LSTMTrace, RNNParams, gru_backward, gru_forward, init_gru, init_lstm, init_rnn, lstm_backward,
    lstm_forward, rnn_backward, rnn_forward, stack_backward, stack_forward,
)
from lstm_core.analysis import (
    _lstm_step_jacobian, carousel_factor, first_last_ratio, gate_saturation, grad_norms, jacobian_norms,
    memory_half_life, rnn_path_factor, stack_grad_norms, state_grad_norms, steps_to_fall, update_gate_factor,
)

EPS = 1e-6


def lstm_case(T=7, D=3, H=4, seed=0, B=None, **kw):
    p = init_lstm(D, H, seed=seed, **kw)
    shape = (T, D) if B is None else (T, B, D)
    return p, lstm_forward(p, np.random.default_rng(seed + 10).normal(size=shape))


def rnn_case(T=7, D=3, H=4, seed=0, B=None, **kw):
    p = init_rnn(D, H, seed=seed, **kw)
    shape = (T, D) if B is None else (T, B, D)
    return p, rnn_forward(p, np.random.default_rng(seed + 10).normal(size=shape))


def lstm_end_state(p, x, t, state):
    """(h_{T−1}, c_{T−1}) when the state after step t is ``state`` = (h_t, c_t) concatenated."""
    H = p.hidden_size
    if t == x.shape[0] - 1:
        return state.copy()
    tr = lstm_forward(p, x[t + 1:], h0=state[:H], c0=state[H:])
    return np.concatenate([tr.h[-1], tr.c[-1]])


def rnn_end_state(p, x, t, state):
    if t == x.shape[0] - 1:
        return state.copy()
    return rnn_forward(p, x[t + 1:], h0=state).h[-1]


def fd_jacobian(end_state, p, x, t, s0):
    n = s0.size
    J = np.empty((n, n))
    for k in range(n):
        e = np.zeros(n)
        e[k] = EPS
        J[:, k] = (end_state(p, x, t, s0 + e) - end_state(p, x, t, s0 - e)) / (2 * EPS)
    return J


@pytest.mark.parametrize("seed", [0, 1])
def test_lstm_jacobian_norms_match_centered_differences(seed):
    p, tr = lstm_case(seed=seed, forget_bias=1.0)
    got = jacobian_norms(p, tr)
    assert got.shape == (tr.T,) and got[-1] == 1.0
    for t in range(tr.T):
        J = fd_jacobian(lstm_end_state, p, tr.x, t, np.concatenate([tr.h[t], tr.c[t]]))
        assert got[t] == pytest.approx(np.linalg.norm(J, 2), rel=1e-6)


@pytest.mark.parametrize("seed", [0, 1])
def test_rnn_jacobian_norms_match_centered_differences(seed):
    p, tr = rnn_case(seed=seed, scale=2.0)
    got = jacobian_norms(p, tr)
    np.testing.assert_array_equal(rnn_path_factor(p, tr), got)
    for t in range(tr.T):
        J = fd_jacobian(rnn_end_state, p, tr.x, t, tr.h[t].copy())
        assert got[t] == pytest.approx(np.linalg.norm(J, 2), rel=1e-6)


def test_lstm_step_jacobian_matches_centered_differences():
    p, tr = lstm_case(T=5, forget_bias=0.5)
    H = p.hidden_size
    for t in (0, 3):
        h_prev = tr.h[t - 1] if t else tr.h0
        c_prev = tr.c[t - 1] if t else tr.c0

        def step(s):
            out = lstm_forward(p, tr.x[t:t + 1], h0=s[:H], c0=s[H:])
            return np.concatenate([out.h[0], out.c[0]])

        s0 = np.concatenate([h_prev, c_prev])
        num = np.stack([(step(s0 + e) - step(s0 - e)) / (2 * EPS) for e in np.eye(2 * H) * EPS], axis=1)
        np.testing.assert_allclose(_lstm_step_jacobian(p, tr, t), num, rtol=1e-6, atol=1e-9)


def test_rnn_jacobian_bounds_the_backward_gradient():
    """For a loss at the last step only, dh_t = (∂h_{T−1}/∂h_t)ᵀ dh_{T−1}, so ‖dh_t‖ ≤ norm_t · ‖dh_{T−1}‖."""
    p, tr = rnn_case(T=30, H=6, seed=3)
    dh = np.zeros_like(tr.h)
    dh[-1] = np.random.default_rng(0).normal(size=6)
    g = rnn_backward(p, tr, dh)
    n = np.linalg.norm(g.dh, axis=1)
    assert np.all(n <= jacobian_norms(p, tr) * n[-1] * (1 + 1e-12))


def test_jacobian_norms_long_sequences_stay_finite_and_quiet():
    """No overflow/underflow warnings (pytest.ini makes them errors); vanishing goes to ~0, exploding to inf."""
    p, tr = rnn_case(T=2000, H=8, seed=0)
    small = jacobian_norms(p, tr)
    assert small[0] < 1e-100 and not np.isnan(small).any()
    big_p = RNNParams(np.eye(8, 3), np.eye(8) * 3.0, np.zeros(8), np.zeros(8))
    big_tr = rnn_forward(big_p, np.zeros((1000, 3)))  # h stays 0: the product is exactly 3^k · I
    big = jacobian_norms(big_p, big_tr)
    np.testing.assert_allclose(big[-200:], 3.0 ** np.arange(199, -1, -1), rtol=1e-10)
    assert big[0] == np.inf
    lp, ltr = lstm_case(T=1500, H=4, forget_bias=-4.0)
    assert 0.0 <= jacobian_norms(lp, ltr)[0] < 1e-100


def test_jacobian_norms_rejects_batched_and_mismatched():
    p, tr = lstm_case(B=2)
    with pytest.raises(ValueError, match="^trace"):
        jacobian_norms(p, tr)
    rp, rtr = rnn_case()
    with pytest.raises(ValueError, match="^params, trace"):
        jacobian_norms(p, rtr)
    with pytest.raises(ValueError, match="^params"):
        rnn_path_factor(p, rtr)


@pytest.mark.parametrize("B", [None, 3])
def test_carousel_factor_is_the_product_of_later_forget_gates(B):
    p, tr = lstm_case(T=9, B=B)
    got = carousel_factor(tr)
    assert got.shape == tr.f.shape
    for t in range(tr.T):
        want = np.ones(tr.f.shape[1:])
        for s in range(t + 1, tr.T):
            want = want * tr.f[s]
        np.testing.assert_allclose(got[t], want, rtol=1e-13)
    assert np.all(got[-1] == 1.0)


def test_carousel_factor_underflows_quietly():
    p, tr = lstm_case(T=3000, H=2, forget_bias=-8.0)  # f ≈ 3e-4: the product leaves float64's range
    got = carousel_factor(tr)
    assert got[0].max() == 0.0 and got[-1].min() == 1.0 and np.all(np.diff(got, axis=0) >= 0)


@pytest.mark.parametrize("B", [None, 2])
def test_grad_norms(B):
    p, tr = lstm_case(B=B)
    g = lstm_backward(p, tr, np.random.default_rng(0).normal(size=tr.h.shape))
    n = grad_norms(g)
    assert set(n) == {"dh", "dc"}
    np.testing.assert_allclose(n["dh"], np.sqrt((g.dh ** 2).sum(-1)), rtol=1e-14)
    np.testing.assert_allclose(n["dc"], np.sqrt((g.dc ** 2).sum(-1)), rtol=1e-14)
    assert n["dh"].shape == tr.h.shape[:-1]
    rp, rtr = rnn_case(B=B)
    rg = rnn_backward(rp, rtr, np.ones_like(rtr.h))
    rn = grad_norms(rg)
    assert set(rn) == {"dh"} and np.allclose(rn["dh"], np.sqrt((rg.dh ** 2).sum(-1)))
    with pytest.raises(ValueError, match="^grads"):
        grad_norms(tr)


def test_memory_half_life_is_a_true_half_life():
    """The first k steps back where the norm has fallen to half its value at the end (or below)."""
    k = np.arange(30)
    assert memory_half_life(0.5 ** k[::-1]) == 1, "halving at every step: a half-life of one step"
    assert memory_half_life(0.88 ** k[::-1]) == 6 == int(np.ceil(np.log(2) / -np.log(0.88)))  # 0.88⁶ ≈ 0.46
    assert memory_half_life(0.99 ** k[::-1]) is None  # 0.99²⁹ ≈ 0.75: never half within 30 steps
    assert memory_half_life([0.05, 0.6, 0.8, 1.0]) == 3
    assert memory_half_life([0.01, 0.4, 0.6, 1.0]) == 2  # 0.4 <= 0.5 first, two steps back
    assert memory_half_life([0.1, 0.5, 1.0]) == 1, "exactly half counts"
    assert memory_half_life([1.0, 1.0]) is None
    assert memory_half_life([3.0]) is None
    assert memory_half_life([0.0, 0.0]) is None
    assert memory_half_life(np.r_[np.full(5, 1e-3), 3.0, 100.0, 5.0]) == 3  # growth on the way doesn't count
    assert memory_half_life([1.0, 0.4, 2.0]) == 1, "the first crossing counts, even if the norm rises again"
    with pytest.raises(ValueError, match="^norms"):
        memory_half_life([])
    with pytest.raises(ValueError, match="^norms"):
        memory_half_life([1.0, np.nan])


@pytest.mark.parametrize("r", [0.3, 0.5, 0.7, 0.88, 0.95, 0.98])
@pytest.mark.parametrize("fraction", [0.5, 0.1])
def test_steps_to_fall_for_a_geometric_decay(r, fraction):
    norms = r ** np.arange(400)[::-1]
    expected = int(np.ceil(np.log(fraction) / np.log(r) - 1e-12))
    assert steps_to_fall(norms, fraction) == expected
    assert norms[-1 - expected] <= fraction < norms[-expected]


def test_steps_to_lose_90_percent_and_bad_fractions():
    assert steps_to_fall([0.05, 0.5, 0.8, 1.0], 0.1) == 3
    assert steps_to_fall([0.01, 0.09, 0.5, 1.0], 0.1) == 2
    assert steps_to_fall([0.5, 0.2, 1.0], 0.1) is None
    for bad in (0.0, 1.0, -0.5, 2.0):
        with pytest.raises(ValueError, match="^fraction"):
            steps_to_fall([1.0, 0.5], bad)


def test_first_last_ratio():
    assert first_last_ratio([2.0, 5.0, 4.0]) == 0.5
    assert first_last_ratio([3.0, 0.0]) == np.inf
    assert first_last_ratio([0.0, 0.0]) == 0.0
    assert first_last_ratio([np.inf, 1.0]) == np.inf
    with pytest.raises(ValueError, match="^norms"):
        first_last_ratio(np.ones((2, 2)))


def test_gate_saturation_counts_shares():
    T, H = 4, 5
    mid = np.full((T, H), 0.5)
    i = mid.copy(); i[0] = 0.01; i[1, :2] = 0.99  # noqa: E702   5 low, 2 high of 20
    g = np.zeros((T, H)); g[:, 0] = -0.95; g[:, 1] = 0.95; g[:, 2] = 0.85  # noqa: E702
    z = np.zeros(H)
    tr = LSTMTrace(x=np.zeros((T, 1)), h0=z, c0=z, i=i, f=np.full((T, H), 0.999), g=g, o=mid, c=mid, h=mid)
    s = gate_saturation(tr)
    assert s == {"i": (0.25, 0.1), "f": (0.0, 1.0), "g": (0.2, 0.2), "o": (0.0, 0.0)}
    p, real = lstm_case(forget_bias=8.0)
    assert gate_saturation(real)["f"][1] == 1.0


def test_grad_norms_do_not_underflow_for_tiny_gradients():
    """np.linalg.norm squares first, so gradients below ~1e-154 would read 0: ours stays exact."""
    from lstm_core.analysis import unit_norms

    a = np.full((2, 3), 1e-200)
    np.testing.assert_allclose(unit_norms(a), np.sqrt(3) * 1e-200, rtol=1e-15)
    b = np.array([[3e200, 4e200], [0.0, 0.0]])
    np.testing.assert_allclose(unit_norms(b), [5e200, 0.0], rtol=1e-15)


@pytest.mark.parametrize("preset", ["default", "preserved_lstm", "exploding_lstm", "latch"])
@pytest.mark.parametrize("seed", [0, 1])
def test_the_jacobian_norm_bounds_the_state_gradient(preset, seed):
    """‖∂L/∂(h_t, c_t)‖ / its value at T <= ‖∂(h_T, c_T)/∂(h_t, c_t)‖₂ for a loss that reads only h_T. (BPTT's
    ∂L/∂c_t, which adds the path through h_t, is not so bounded: preserved_lstm at seed 1 exceeds it 28-fold.)"""
    from lstm_core.analysis import state_grad_norms
    from lstm_core.losses import make_loss
    from lstm_core.presets import PRESETS

    sc = PRESETS[preset].build(seed=seed)
    tr = lstm_forward(sc.lstm, sc.x)
    g = lstm_backward(sc.lstm, tr, make_loss(sc.loss, **sc.loss_kwargs)(tr.h)[1])
    s = state_grad_norms(tr, g)
    via_c = np.vstack([tr.f[1:] * g.dc[1:], np.zeros((1, tr.hidden_size))])
    np.testing.assert_allclose(s, np.sqrt((g.dh ** 2).sum(1) + (via_c ** 2).sum(1)), rtol=1e-12)
    np.testing.assert_allclose(via_c, g.dc - g.dh * tr.o * (1 - np.tanh(tr.c) ** 2), rtol=1e-9,
                               atol=1e-12 * np.abs(g.dc).max())
    j = jacobian_norms(sc.lstm, tr)
    assert np.all(s / s[-1] <= j * (1 + 1e-9))
    rt = rnn_forward(sc.rnn, sc.x)
    rg = rnn_backward(sc.rnn, rt, make_loss(sc.loss, **sc.loss_kwargs)(rt.h)[1])
    np.testing.assert_array_equal(state_grad_norms(rt, rg), grad_norms(rg)["dh"])
    with pytest.raises(ValueError, match="trace, grads"):
        state_grad_norms(tr, rg)


# ---- the GRU and stacks (issue 15) ---------------------------------------------------------------------------------


def test_update_gate_factor_is_the_direct_paths_gain_of_a_gru():
    """∏ z from step t to the end, against the product written out, and against the BPTT recursion: with W_hh = 0
    the gradient reaches h_t only along the direct path, so dh_t = (∏ z) ⊙ dh_{T−1} exactly as the factor says."""
    p = init_gru(2, 3, seed=4, scale=2.0)
    p = GRUParams(p.weight_ih, np.zeros_like(p.weight_hh), p.bias_ih, p.bias_hh)
    tr = gru_forward(p, np.random.default_rng(0).normal(size=(7, 2)))
    factor = update_gate_factor(tr)
    for t in range(7):
        np.testing.assert_allclose(factor[t], np.prod(tr.z[t + 1:], axis=0), rtol=1e-14)
    dh = np.zeros((7, 3))
    dh[-1] = [1.0, -2.0, 0.5]
    gr = gru_backward(p, tr, dh)
    np.testing.assert_allclose(gr.dh, factor * dh[-1], rtol=1e-13)
    with pytest.raises(ValueError, match="needs a GRUTrace"):
        update_gate_factor(lstm_forward(init_lstm(2, 3), np.zeros((4, 2))))


def test_grad_norms_of_a_gru_and_of_a_stack():
    p = init_gru(2, 3, seed=1)
    tr = gru_forward(p, np.random.default_rng(1).normal(size=(6, 2)))
    gr = gru_backward(p, tr, np.ones((6, 3)))
    np.testing.assert_allclose(grad_norms(gr)["dh"], np.linalg.norm(gr.dh, axis=-1), rtol=1e-14)
    np.testing.assert_array_equal(state_grad_norms(tr, gr), grad_norms(gr)["dh"])
    layers = (init_lstm(2, 4, seed=0), init_lstm(4, 4, seed=1), init_lstm(4, 4, seed=2))
    x = np.random.default_rng(2).normal(size=(5, 3, 2))
    grads = stack_backward(layers, stack_forward(layers, x), np.ones((5, 3, 4)))
    norms = stack_grad_norms(grads)
    assert norms.shape == (3, 5, 3)
    for k in range(3):
        np.testing.assert_allclose(norms[k], np.linalg.norm(grads[k].dh, axis=-1), rtol=1e-14)
    with pytest.raises(ValueError, match="per-layer grads of stack_backward"):
        stack_grad_norms(())
