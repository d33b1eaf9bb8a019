"""lstm_core.explore: the batched phase grid and the length sweep against independent per-cell / per-length runs of
the public API (init + with_forget_bias + with_spectral_radius + lstm_forward/lstm_backward), the linear-regime decay
rate against log r, the saturation conventions, and argument validation."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lstm_core import explore as E
from lstm_core import (
    init_lstm,
    init_rnn,
    lstm_backward,
    lstm_forward,
    rnn_backward,
    rnn_forward,
    with_forget_bias,
    with_spectral_radius,
)
from lstm_core.validate import MAX_B, MAX_D, MAX_T

LOG10_TOL = 4e-10  # |Δ log10 ratio| <= 4e-10  <=>  the ratio agrees to ~1e-9 relative


# ------------------------------------------------------------------------------ independent reference runs


def _x(T: int, D: int, seed: int, scale: float) -> np.ndarray:
    """The documented input, rebuilt without lstm_core: N(0, 1) from default_rng(seed + 1), times scale."""
    return np.random.default_rng(seed + 1).normal(0.0, 1.0, size=(T, D)) * scale


def _probe(T: int, H: int) -> np.ndarray:
    dh = np.zeros((T, H))
    dh[-1] = 1.0 / np.sqrt(H)  # L = uᵀ h_T, u = ones/√H
    return dh


def _lstm_params(D, H, seed, forget_bias, radius, bias_scale=1.0):
    p = init_lstm(D, H, seed=seed)
    p = replace(p, bias_ih=p.bias_ih * bias_scale, bias_hh=p.bias_hh * bias_scale)
    if forget_bias is not None:
        p = with_forget_bias(p, forget_bias)
    if radius is not None:
        p = with_spectral_radius(p, radius)
    return p


def _rnn_params(D, H, seed, radius, bias_scale=1.0):
    p = init_rnn(D, H, seed=seed)
    p = replace(p, bias_ih=p.bias_ih * bias_scale, bias_hh=p.bias_hh * bias_scale)
    return with_spectral_radius(p, radius) if radius is not None else p


def _lstm_cell_grads(T, D, H, seed, forget_bias, radius, input_scale, bias_scale=1.0):
    p = _lstm_params(D, H, seed, forget_bias, radius, bias_scale)
    tr = lstm_forward(p, _x(T, D, seed, input_scale))
    return lstm_backward(p, tr, _probe(T, H)), tr


def _rnn_cell_grads(T, D, H, seed, radius, input_scale, bias_scale=1.0):
    p = _rnn_params(D, H, seed, radius, bias_scale)
    tr = rnn_forward(p, _x(T, D, seed, input_scale))
    return rnn_backward(p, tr, _probe(T, H)), tr


def _log10_ratio(first: np.ndarray, last: np.ndarray) -> float:
    return float(np.log10(np.linalg.norm(first)) - np.log10(np.linalg.norm(last)))


# ------------------------------------------------------------------------------------------------ phase grid


@pytest.mark.parametrize("bias_scale", [1.0, 0.5])
def test_lstm_phase_grid_equals_per_cell_public_runs(bias_scale):
    T, D, H, seed, input_scale = 40, 2, 8, 3, 0.7
    fbs = np.linspace(-3.0, 5.0, 7)
    radii = np.array([0.0, 0.3, 0.8, 1.0, 1.4, 2.0])
    grid = E.phase_grid(fbs, radii, T=T, hidden_size=H, seed=seed, input_size=D, input_scale=input_scale,
                        bias_scale=bias_scale)
    assert grid.shape == (7, 6) and grid.dtype == np.float64
    rng = np.random.default_rng(0)
    cells = [(a, b) for a in range(7) for b in range(6)]
    for k in rng.choice(len(cells), size=15, replace=False):
        a, b = cells[k]
        g, _ = _lstm_cell_grads(T, D, H, seed, fbs[a], radii[b], input_scale, bias_scale)
        want = _log10_ratio(g.dc[0], g.dc[-1])
        assert abs(grid[a, b] - want) <= LOG10_TOL, (a, b, grid[a, b], want)


def test_rnn_phase_grid_equals_per_cell_public_runs_with_input_scale_on_axis_0():
    T, D, H, seed = 30, 3, 8, 5
    scales = np.array([0.0, 0.1, 0.5, 1.0, 2.0])
    radii = np.array([0.25, 0.5, 0.9, 1.2])
    grid = E.phase_grid(scales, radii, T=T, hidden_size=H, seed=seed, model="rnn", input_size=D)
    assert grid.shape == (5, 4)
    for a in range(5):
        for b in range(4):
            g, _ = _rnn_cell_grads(T, D, H, seed, radii[b], scales[a])
            want = _log10_ratio(g.dh[0], g.dh[-1])
            assert abs(grid[a, b] - want) <= LOG10_TOL, (a, b, grid[a, b], want)


def test_phase_grid_is_the_documented_public_batched_run():
    """The documented batching, through the public API only: all cells as one batch of lstm_forward + lstm_backward
    whose weights have no forget bias and one more input channel (weight 1 on the forget rows) fed the cell's b_f,
    each cell with recurrent_scale r_b / ρ_k on gate block k (ρ_k that block's spectral radius). Equal to the grid,
    and to per-row runs of with_forget_bias(base, b_a) with the radii as the batch."""
    T, H, seed = 20, 4, 0
    fbs, radii = np.linspace(-2, 4, 6), np.linspace(0, 2, 5)
    grid = E.phase_grid(fbs, radii, T=T, hidden_size=H, seed=seed)
    base = E.explore_params("lstm", hidden_size=H, seed=seed)
    x = E.explore_input(T, seed=seed)  # (T, 1)
    rho = np.array([max(abs(np.linalg.eigvals(base.weight_hh[k * H:(k + 1) * H]))) for k in range(4)])
    u = E.probe_direction(H)

    def log_ratios(p, xb, scale):
        dh = np.zeros(xb.shape[:2] + (H,))
        dh[-1] = u
        g = lstm_backward(p, lstm_forward(p, xb, recurrent_scale=scale), dh, recurrent_scale=scale)
        return np.log10(np.linalg.norm(g.dc[0], axis=-1)) - np.log10(np.linalg.norm(g.dc[-1], axis=-1))

    column = np.zeros((4 * H, 1))
    column[H:2 * H] = 1.0  # the forget rows
    no_fb = with_forget_bias(base, 0.0)
    p_all = replace(no_fb, weight_ih=np.concatenate([no_fb.weight_ih, column], axis=1))
    cells_fb, cells_r = np.repeat(fbs, radii.size), np.tile(radii, fbs.size)
    x_all = np.concatenate([np.repeat(x[:, None], cells_fb.size, 1), np.tile(cells_fb[:, None], (T, 1, 1))], -1)
    want = log_ratios(p_all, x_all, np.repeat(cells_r[:, None] / rho, H, axis=1)).reshape(fbs.size, radii.size)
    np.testing.assert_allclose(grid, want, rtol=0, atol=1e-12)
    for a, fb in enumerate(fbs):  # and row by row, with the row's own weights
        row = log_ratios(with_forget_bias(base, fb), np.repeat(x[:, None], radii.size, 1),
                         np.repeat(radii[:, None] / rho, H, axis=1))
        np.testing.assert_allclose(grid[a], row, rtol=0, atol=1e-12)


def test_lstm_phase_grid_keeps_one_input_channel_for_the_forget_bias():
    with pytest.raises(ValueError, match="input size D"):
        E.phase_grid([0.0], [1.0], T=3, hidden_size=2, input_size=MAX_D, model="lstm")
    assert E.phase_grid([0.0], [1.0], T=3, hidden_size=2, input_size=MAX_D - 1, model="lstm").shape == (1, 1)
    assert E.phase_grid([0.5], [1.0], T=3, hidden_size=2, input_size=MAX_D, model="rnn").shape == (1, 1)


def test_phase_grid_chunks_agree_with_one_pass(monkeypatch):
    fbs, radii = np.linspace(-2, 4, 5), np.linspace(0.1, 1.5, 7)
    whole = E.phase_grid(fbs, radii, T=25, hidden_size=6, seed=1)
    monkeypatch.setattr(E, "_CHUNK_BYTES", 1)  # one cell per chunk
    chunked = E.phase_grid(fbs, radii, T=25, hidden_size=6, seed=1)
    np.testing.assert_allclose(chunked, whole, rtol=0, atol=LOG10_TOL)


def test_phase_grid_axes_are_ordered_as_given():
    """Row a is first_axis[a] (a forget bias), column b is spectral_radii[b]: reversing an input reverses that axis."""
    fbs, radii = np.array([-1.0, 0.5, 3.0]), np.array([0.2, 0.9])
    grid = E.phase_grid(fbs, radii, T=15, hidden_size=4, seed=2)
    flipped = E.phase_grid(fbs[::-1], radii[::-1], T=15, hidden_size=4, seed=2)
    np.testing.assert_allclose(flipped, grid[::-1, ::-1], rtol=0, atol=LOG10_TOL)
    assert grid[2, 0] > grid[0, 0]  # a larger forget bias keeps more of the gradient


def test_phase_grid_saturates_instead_of_nan_or_inf():
    # RNN with W_hh = 0: nothing flows back, dL/dh_1 is exactly 0 -> the floor
    grid = E.phase_grid([0.0, 1.0], [0.0], T=10, hidden_size=4, seed=0, model="rnn")
    assert np.all(grid == E.LOG10_FLOOR)
    # RNN, radius 5, zero input and biases (h stays exactly 0: linear for ever): 5^999 overflows -> the ceiling,
    # without a warning (pytest.ini turns RuntimeWarning into an error)
    grid = E.phase_grid([0.0], [5.0], T=1000, hidden_size=4, seed=0, model="rnn", bias_scale=0.0)
    assert grid[0, 0] == E.LOG10_CEIL
    # LSTM with a closed forget gate over many steps: underflows to exactly 0 -> the floor
    grid = E.phase_grid([-30.0, 0.0, 30.0], [0.0, 1.0, 50.0], T=400, hidden_size=4, seed=0)
    assert np.all(np.isfinite(grid)) and np.all((grid >= E.LOG10_FLOOR) & (grid <= E.LOG10_CEIL))
    assert grid[0, 0] == E.LOG10_FLOOR
    # T = 1: the first step is the last, the ratio is exactly 1
    assert np.all(E.phase_grid([-1.0, 2.0], [0.5], T=1, hidden_size=3, seed=0) == 0.0)


def test_log10_ratio_conventions():
    n1 = np.array([1e-3, 0.0, 0.0, 2.0, np.inf, 1e-310, 1.0])
    nT = np.array([1e-1, 1.0, 0.0, 0.0, 1.0, 1e10, np.inf])
    out = E._log10_ratio(n1, nT)
    np.testing.assert_allclose(out[0], -2.0, rtol=1e-14)
    assert out[1] == E.LOG10_FLOOR and out[2] == E.LOG10_FLOOR  # nothing reached step 1
    assert out[3] == E.LOG10_CEIL and out[4] == E.LOG10_CEIL  # something reached it, nothing at the end; overflow
    assert out[5] == E.LOG10_FLOOR  # 1e-320 is below the floor
    assert out[6] == E.LOG10_FLOOR  # ratio 0
    assert not np.isnan(out).any()


# ---------------------------------------------------------------------------------------------- length sweep


@pytest.mark.parametrize("model", ["lstm", "rnn"])
def test_length_sweep_equals_per_length_public_runs(model, monkeypatch):
    lengths = [7, 1, 30, 7, 15, 2]  # unsorted, with a repeat
    kw = dict(hidden_size=6, seed=4, spectral_radius=0.9, input_size=2, input_scale=0.8)
    sweep = E.length_sweep(model, lengths, forget_bias=1.5, **kw)
    monkeypatch.setattr(E, "_CHUNK_BYTES", 1)  # one length per backward chunk
    chunked = E.length_sweep(model, lengths, forget_bias=1.5, **kw)
    want = []
    for T in lengths:
        if model == "lstm":
            g, _ = _lstm_cell_grads(T, 2, 6, 4, 1.5, 0.9, 0.8)
            want.append(np.linalg.norm(g.dc[0]))
        else:
            g, _ = _rnn_cell_grads(T, 2, 6, 4, 0.9, 0.8)
            want.append(np.linalg.norm(g.dh[0]))
    np.testing.assert_array_equal(sweep.lengths, lengths)
    np.testing.assert_allclose(sweep.grad_at_first, want, rtol=1e-9)
    np.testing.assert_allclose(chunked.grad_at_first, want, rtol=1e-9)
    # the rate is the least-squares slope of ln(grad) against T (independent fit)
    slope, intercept = np.polyfit(np.array(lengths, float), np.log(want), 1)
    np.testing.assert_allclose([sweep.rate_per_step, sweep.intercept], [slope, intercept], rtol=1e-9)
    assert sweep.fitted.all()


@pytest.mark.parametrize("r", [0.5, 0.8, 0.95])
@pytest.mark.parametrize("seed", [0, 3])
def test_rnn_decay_rate_is_log_r_in_the_linear_regime(r, seed):
    """Tiny inputs and zero biases keep h ≈ 0, so each step back multiplies the gradient by ≈ W_hhᵀ, whose powers
    shrink like r^T (r = spectral radius). ‖(W_hhᵀ)^T u‖ ≈ C r^T only asymptotically (the other eigenvalues' share
    dies out, a complex top pair makes it oscillate), so the fit uses T from 50/100 to 900/1000: measured within
    0.25% of log r for seeds 0-5; we allow 1%."""
    lengths = np.linspace(50, 900, 18).astype(int) if r == 0.5 else np.linspace(100, 1000, 19).astype(int)
    sweep = E.length_sweep("rnn", lengths, hidden_size=16, seed=seed, spectral_radius=r, input_scale=1e-4,
                           bias_scale=0.0)
    assert sweep.fitted.all()
    assert sweep.rate_per_step == pytest.approx(np.log(r), rel=0.01)
    assert sweep.half_life == pytest.approx(np.log(2) / -np.log(r), rel=0.01)  # r^k = ½


def test_lstm_sweep_with_no_recurrent_weights_is_the_forget_gate_product():
    """With W_hh = 0 (spectral radius 0) the only path back is the carousel: dL/dc_1 = (∏_{t=2}^{T} f_t) ⊙ dL/dc_T,
    with dL/dc_T = u ⊙ o_T ⊙ (1 − tanh² c_T); computed here from the forward trace alone."""
    lengths = [1, 5, 12, 40]
    sweep = E.length_sweep("lstm", lengths, hidden_size=5, seed=7, forget_bias=2.0, spectral_radius=0.0,
                           input_scale=1.5)
    p = _lstm_params(1, 5, 7, 2.0, 0.0)
    tr = lstm_forward(p, _x(40, 1, 7, 1.5))
    u = np.full(5, 1 / np.sqrt(5))
    for T, got in zip(lengths, sweep.grad_at_first):
        dc_T = u * tr.o[T - 1] * (1 - np.tanh(tr.c[T - 1]) ** 2)
        want = np.linalg.norm(np.prod(tr.f[1:T], axis=0) * dc_T)
        assert got == pytest.approx(want, rel=1e-12)
    # tiny inputs and zero biases: f_t ≈ σ(b_f) everywhere, so the rate is log σ(b_f)
    for b in (-1.0, 0.0, 3.0):
        sw = E.length_sweep("lstm", [10, 50, 100], hidden_size=5, seed=7, forget_bias=b, spectral_radius=0.0,
                            input_scale=1e-6, bias_scale=0.0)
        assert sw.rate_per_step == pytest.approx(np.log(1 / (1 + np.exp(-b))), rel=1e-4)


def test_sweep_forget_bias_helps_the_lstm_and_is_ignored_by_the_rnn():
    lens = [20, 60, 100]
    low = E.length_sweep("lstm", lens, hidden_size=8, seed=0, forget_bias=-2.0, spectral_radius=0.8)
    high = E.length_sweep("lstm", lens, hidden_size=8, seed=0, forget_bias=4.0, spectral_radius=0.8)
    assert high.rate_per_step > low.rate_per_step
    a = E.length_sweep("rnn", lens, hidden_size=8, seed=0, forget_bias=-2.0, spectral_radius=0.8)
    b = E.length_sweep("rnn", lens, hidden_size=8, seed=0, spectral_radius=0.8)
    np.testing.assert_array_equal(a.grad_at_first, b.grad_at_first)


def test_sweep_without_a_fit_reports_nan_rate_and_zero_grads():
    # RNN with W_hh = 0: for T > 1 nothing reaches step 1 (exactly 0); only T = 1 is fitted -> no line
    sweep = E.length_sweep("rnn", [1, 5, 10], hidden_size=4, seed=0, spectral_radius=0.0)
    np.testing.assert_array_equal(sweep.grad_at_first, [1.0, 0.0, 0.0])  # ‖u‖ = 1 at T = 1
    np.testing.assert_array_equal(sweep.fitted, [True, False, False])
    assert np.isnan(sweep.rate_per_step) and np.isnan(sweep.intercept) and np.isnan(sweep.half_life)
    one = E.length_sweep("lstm", [50], hidden_size=4, seed=0)
    assert one.grad_at_first[0] > 0 and np.isnan(one.rate_per_step)


def test_sweep_overflow_gives_inf_not_nan():
    sweep = E.length_sweep("rnn", [10, 100, 1000], hidden_size=4, seed=0, spectral_radius=5.0, input_scale=0.0,
                           bias_scale=0.0)  # h stays exactly 0: the gradient grows like 5^T and overflows
    assert np.isinf(sweep.grad_at_first[-1]) and not np.isnan(sweep.grad_at_first).any()
    np.testing.assert_array_equal(sweep.fitted, [True, True, False])
    assert sweep.rate_per_step == pytest.approx(np.log(5.0), rel=0.05)


def test_results_are_read_only():
    sweep = E.length_sweep("lstm", [3, 6], hidden_size=3, seed=0)
    with pytest.raises(ValueError):
        sweep.grad_at_first[0] = 1.0


def test_explore_params_and_input_are_the_documented_ones():
    p = E.explore_params("lstm", input_size=2, hidden_size=4, seed=9, forget_bias=1.0, spectral_radius=0.7,
                         bias_scale=0.5)
    q = _lstm_params(2, 4, 9, 1.0, 0.7, 0.5)
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        np.testing.assert_array_equal(getattr(p, name), getattr(q, name))
    np.testing.assert_array_equal(E.explore_input(11, input_size=2, seed=9, input_scale=0.3), _x(11, 2, 9, 0.3))
    np.testing.assert_allclose(np.linalg.norm(E.probe_direction(7)), 1.0, rtol=1e-15)


def test_phase_grid_axes_labels():
    assert "forget" in E.phase_grid_axes("lstm")[0] and "spectral" in E.phase_grid_axes("lstm")[1]
    assert "input" in E.phase_grid_axes("rnn")[0]


# ------------------------------------------------------------------------------------------------ validation


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(model="gru"), "model"),
        (dict(lengths=[]), "lengths"),
        (dict(lengths=[0, 5]), "lengths"),
        (dict(lengths=[MAX_T + 1]), "lengths"),
        (dict(lengths=[2.5]), "lengths"),
        (dict(lengths=[[1, 2]]), "lengths"),
        (dict(lengths=[1, float("nan")]), "lengths"),
        (dict(lengths=["a"]), "lengths"),
        (dict(lengths=list(range(1, MAX_B + 2))), "lengths"),
        (dict(hidden_size=0), "hidden size"),
        (dict(hidden_size=257), "hidden size"),
        (dict(hidden_size=2.0), "hidden size"),
        (dict(seed=-1), "seed"),
        (dict(seed=True), "seed"),
        (dict(forget_bias=float("inf")), "forget_bias"),
        (dict(spectral_radius=-0.5), "spectral_radius"),
        (dict(input_scale=-1.0), "input_scale"),
        (dict(input_size=0), "input size"),
        (dict(bias_scale=float("nan")), "bias_scale"),
    ],
)
def test_length_sweep_rejects_bad_arguments(kwargs, name):
    args = dict(model="lstm", lengths=[5, 10], hidden_size=4, seed=0)
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        E.length_sweep(args.pop("model"), args.pop("lengths"), **args)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        (dict(model="lstm2"), "model"),
        (dict(first_axis=[]), "forget_biases"),
        (dict(first_axis=[0.0, float("nan")]), "forget_biases"),
        (dict(first_axis=[[0.0]]), "forget_biases"),
        (dict(first_axis=np.zeros(MAX_B + 1)), "forget_biases"),
        (dict(first_axis=[-1.0], model="rnn"), "input_scales"),  # the RNN's input scales are >= 0
        (dict(spectral_radii=[]), "spectral_radii"),
        (dict(spectral_radii=[-0.1, 1.0]), "spectral_radii"),
        (dict(spectral_radii=[np.inf]), "spectral_radii"),
        (dict(T=0), "T"),
        (dict(T=MAX_T + 1), "T"),
        (dict(T=10.0), "T"),
        (dict(hidden_size=300), "hidden size"),
        (dict(seed="x"), "seed"),
        (dict(input_scale=-2.0), "input_scale"),
        (dict(bias_scale=np.inf), "bias_scale"),
    ],
)
def test_phase_grid_rejects_bad_arguments(kwargs, name):
    args = dict(first_axis=[0.0, 1.0], spectral_radii=[0.5], T=5, hidden_size=4, seed=0, model="lstm")
    args.update(kwargs)
    with pytest.raises(ValueError, match=name):
        E.phase_grid(args.pop("first_axis"), args.pop("spectral_radii"), **args)


# ------------------------------------------------------------------ the gradient explorer page's additions


def test_phase_axes_are_the_documented_ranges():
    fb, r = E.phase_axes("lstm", 21)
    np.testing.assert_array_equal(fb, np.linspace(-4.0, 6.0, 21))
    np.testing.assert_array_equal(r, np.linspace(0.1, 3.0, 21))
    assert np.allclose(np.diff(fb), 0.5), "21 LSTM rows land on the forget-bias slider's 0.5 grid"
    s, r2 = E.phase_axes("rnn", 41)
    assert s[0] == pytest.approx(1e-4) and s[-1] == pytest.approx(3.0)
    np.testing.assert_allclose(np.diff(np.log10(s)), np.log10(3.0 / 1e-4) / 40)  # log-spaced
    np.testing.assert_array_equal(r2, np.linspace(0.1, 3.0, 41))
    with pytest.raises(ValueError, match="n"):
        E.phase_axes("lstm", 1)
    with pytest.raises(ValueError, match="model"):
        E.phase_axes("gru", 21)


def test_phase_regimes_thresholds_are_inclusive_for_preserved():
    v = np.array([[-300.0, -1.0000001, -1.0], [0.0, 1.0, 1.0000001]])
    np.testing.assert_array_equal(E.phase_regimes(v), [[-1, -1, 0], [0, 0, 1]])
    assert E.phase_regimes(v).dtype == np.int8
    np.testing.assert_array_equal(E.phase_regimes(v, vanishing_below=-0.5, exploding_above=2.0), [[-1, -1, -1],
                                                                                                   [0, 0, 0]])
    assert set(E.REGIMES.values()) == {"vanishing", "preserved", "exploding"}
    with pytest.raises(ValueError, match="vanishing_below"):
        E.phase_regimes(v, vanishing_below=2.0, exploding_above=1.0)
    with pytest.raises(ValueError, match="values"):
        E.phase_regimes([np.nan])


def test_phase_regimes_of_a_real_grid_match_its_values():
    fb, r = E.phase_axes("lstm", 5)
    g = E.phase_grid(fb, r, T=30, hidden_size=4, bias_scale=E.PHASE_BIAS_SCALE)
    reg = E.phase_regimes(g)
    assert (g[reg == -1] < E.VANISHING_BELOW).all() and (g[reg == 1] > E.EXPLODING_ABOVE).all()
    assert ((g[reg == 0] >= E.VANISHING_BELOW) & (g[reg == 0] <= E.EXPLODING_ABOVE)).all()


@pytest.mark.parametrize("T_max, n, expected", [
    (1000, 20, np.arange(50, 1001, 50)),
    (200, 20, np.arange(10, 201, 10)),
    (7, 20, np.arange(1, 8)),
    (1, 20, np.array([1])),
])
def test_sweep_lengths_are_evenly_spaced_up_to_T_max(T_max, n, expected):
    lens = E.sweep_lengths(T_max, n)
    np.testing.assert_array_equal(lens, expected)
    assert lens.dtype == np.int64 and lens[-1] == T_max and np.all(np.diff(lens) > 0)


def test_sweep_lengths_rounds_and_rejects_bad_sizes():
    lens = E.sweep_lengths(30)
    assert lens[-1] == 30 and lens.size <= 20 and np.all(np.diff(lens) > 0)
    for bad in (0, MAX_T + 1, 2.5, True):
        with pytest.raises(ValueError, match="T_max"):
            E.sweep_lengths(bad)


def _global_norm(p) -> float:
    return float(np.sqrt(sum(np.sum(a ** 2) for a in (p.weight_ih, p.weight_hh, p.bias_ih, p.bias_hh))))


@pytest.mark.parametrize("model", ["lstm", "rnn"])
@pytest.mark.parametrize("truncate, clip", [(None, None), (5, None), (None, 0.01), (7, 0.05), (3, 1e6)])
def test_clip_and_truncate_equals_backward_then_global_norm_scaling(model, truncate, clip):
    T, H = 25, 4
    x = np.random.default_rng(2).normal(size=(T, 2))
    dh = np.zeros((T, H))
    dh[-1] = np.arange(1, H + 1)
    if model == "lstm":
        p = init_lstm(2, H, seed=1, forget_bias=2.0)
        tr = lstm_forward(p, x)
        back = lambda **kw: lstm_backward(p, tr, dh, **kw)  # noqa: E731
        keys = ("dh", "dc")
    else:
        p = init_rnn(2, H, seed=1, spectral_radius=1.3)
        tr = rnn_forward(p, x)
        back = lambda **kw: rnn_backward(p, tr, dh, **kw)  # noqa: E731
        keys = ("dh",)
    full, cut = back(), back(truncate=truncate)
    res = E.clip_and_truncate(p, tr, dh, truncate=truncate, clip=clip)
    before = _global_norm(cut.params)
    scale = 1.0 if clip is None else min(1.0, clip / before)
    assert res.norm_full == pytest.approx(_global_norm(full.params), rel=1e-12)
    assert res.norm_before == pytest.approx(before, rel=1e-12)
    assert res.scale == pytest.approx(scale, rel=1e-12)
    assert res.norm_after == pytest.approx(before * scale, rel=1e-12)
    assert res.clipped == (scale < 1.0)
    if res.clipped:
        assert res.norm_after == pytest.approx(clip, rel=1e-12)
    assert set(res.full) == set(res.after) == set(keys)
    for k in keys:
        np.testing.assert_allclose(res.full[k], np.linalg.norm(getattr(full, k), axis=1), rtol=1e-12)
        np.testing.assert_allclose(res.after[k], np.linalg.norm(getattr(cut, k), axis=1) * scale, rtol=1e-12)
        assert not res.full[k].flags.writeable and not res.after[k].flags.writeable
    if truncate is not None:
        assert np.all(res.after[keys[0]][: T - truncate] == 0.0), "nothing crosses the last window's edge"
        assert np.all(res.after[keys[0]][T - truncate:] > 0.0)
    assert res.truncate == truncate and res.clip == clip


def test_clipping_keeps_the_curve_shape():
    T, H = 30, 3
    p = init_rnn(1, H, seed=0, spectral_radius=1.5)
    tr = rnn_forward(p, np.random.default_rng(0).normal(size=(T, 1)) * 1e-3)
    dh = np.zeros((T, H))
    dh[-1] = 1.0
    res = E.clip_and_truncate(p, tr, dh, clip=1e-3)
    assert res.clipped
    ratio = res.after["dh"] / res.full["dh"]
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)  # one factor for every step


def test_clip_and_truncate_rejects_bad_arguments():
    p = init_lstm(1, 2)
    tr = lstm_forward(p, np.zeros((4, 1)))
    dh = np.zeros((4, 2))
    with pytest.raises(ValueError, match="params"):
        E.clip_and_truncate("lstm", tr, dh)
    with pytest.raises(ValueError, match="truncate"):
        E.clip_and_truncate(p, tr, dh, truncate=0)
    with pytest.raises(ValueError, match="max_norm"):
        E.clip_and_truncate(p, tr, dh, clip=-1.0)
