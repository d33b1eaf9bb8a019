"""lstm_core.myths: each myth's numbers, checked against independent computations (hand-written loops, closed forms,
PyTorch-layout slicing done here), and the chart builders of charts.myths read back for the same numbers."""

from __future__ import annotations

import numpy as np
import pytest

from charts import myths as charts
from lstm_core import init_lstm, lstm_backward, lstm_forward, myths
from lstm_core.params import LSTMParams, with_forget_bias
from lstm_core.presets import PRESETS, latch_params


def sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def manual_cell(i_bias, f_bias, x, c0):
    """c_t = σ(f_bias)·c_{t−1} + σ(i_bias)·tanh(x_t), step by step (scalar, independent of the core)."""
    i, f, c, out = sig(i_bias), sig(f_bias), c0, []
    for xt in x:
        c = f * c + i * np.tanh(xt)
        out.append(c)
    return np.array(out)


def manual_gates(p: LSTMParams, x_t, h_prev, c_prev=None):
    """z = W_ih x + b_ih + W_hh h + b_hh split into i, f, g, o by PyTorch's row blocks, activated."""
    H = p.hidden_size
    z = p.weight_ih @ x_t + p.bias_ih + p.weight_hh @ h_prev + p.bias_hh
    i, f, g, o = (z[k * H:(k + 1) * H] for k in range(4))
    return {"i": sig(i), "f": sig(f), "g": np.tanh(g), "o": sig(o)}


@pytest.fixture(scope="module")
def default_lab():
    return PRESETS["default"].build()


# ---- 1 ------------------------------------------------------------------------------------------------------------


def test_same_last_input_gives_different_gates_after_different_histories(default_lab):
    p = default_lab.lstm
    r = myths.same_input_different_history(p, seed=0)
    assert np.array_equal(r.x_a[-1], r.x_b[-1]) and not np.allclose(r.x_a[:-1], r.x_b[:-1])
    for tag, x, gates, h_prev in (("a", r.x_a, r.gates_a, r.h_prev_a), ("b", r.x_b, r.gates_b, r.h_prev_b)):
        # h_{T−2} by a hand-written loop, then the last step's gates from the raw weights
        h, c = np.zeros(p.hidden_size), np.zeros(p.hidden_size)
        for xt in x[:-1]:
            g = manual_gates(p, xt, h)
            c = g["f"] * c + g["i"] * g["g"]
            h = g["o"] * np.tanh(c)
        np.testing.assert_allclose(h_prev, h, rtol=1e-12, atol=1e-14)
        expected = manual_gates(p, x[-1], h)
        for k in "ifgo":
            np.testing.assert_allclose(gates[k], expected[k], rtol=1e-12, atol=1e-14, err_msg=f"{tag} {k}")
    assert r.max_diff > 0.1, "a clear margin, not rounding"
    assert r.max_diff == pytest.approx(max(np.max(np.abs(r.gates_a[k] - r.gates_b[k])) for k in "ifgo"))


def test_x_only_variant_gates_do_not_see_the_history(default_lab):
    p = myths.x_only_gates(default_lab.lstm)
    r = myths.same_input_different_history(p, seed=0)
    for k in "ifo":
        np.testing.assert_array_equal(r.gates_a[k], r.gates_b[k])
    assert np.max(np.abs(r.gates_a["g"] - r.gates_b["g"])) > 1e-3, "g keeps its recurrence"


def test_zero_recurrent_weights_give_no_gap():
    r = myths.same_input_different_history(latch_params(2, 4), seed=3)
    assert r.max_diff == 0.0


# ---- 2 and 8 ------------------------------------------------------------------------------------------------------


def test_forget_gate_open_keeps_c_within_1e_3_over_100_steps():
    r = myths.forget_gate_memory(T=100, seed=0, c0=1.0)
    assert r.c.shape == (100, 3)
    keep, fade, erase = 0, 1, 2
    assert np.all(r.f[:, keep] > 1 - 1e-6) and np.all(r.f[:, erase] < 1e-6) and np.all(r.i < 1e-6)
    assert r.max_drift(keep) < 1e-3
    assert np.max(np.abs(r.c[:, erase])) < 1e-3, "f ≈ 0 erases c at the first step"
    assert abs(r.c[0, erase]) < 1e-6
    assert r.c[-1, fade] == pytest.approx(sig(2.0) ** 100, abs=1e-5)
    for u in range(3):
        np.testing.assert_allclose(r.c[:, u], manual_cell(r.i_bias[u], r.f_bias[u], r.x[:, 0], 1.0), rtol=1e-12,
                                   atol=1e-15)


def test_input_gate_shut_keeps_c_and_open_writes():
    r = myths.input_gate_memory(T=100, seed=1, c0=1.0)
    kept, written, erased = 0, 1, 2
    assert r.max_drift(kept) < 1e-3
    assert r.max_drift(written) > 1.0, "an open input gate changes the memory"
    assert np.max(np.abs(r.c[:, erased])) < 1e-3
    # f ≈ 1 and i ≈ 1: c_T ≈ c0 + Σ tanh(x_t)
    assert r.c[-1, written] == pytest.approx(1.0 + np.sum(np.tanh(r.x[:, 0])), abs=1e-3)
    for u in range(3):
        np.testing.assert_allclose(r.c[:, u], manual_cell(r.i_bias[u], r.f_bias[u], r.x[:, 0], 1.0), rtol=1e-12,
                                   atol=1e-15)


def test_half_open_forget_gate_halves_the_memory_after_six_steps():
    """σ(2)^k <= ½ first at k = 6 (0.88⁵ ≈ 0.53, 0.88⁶ ≈ 0.47): the label and the trace agree."""
    r = myths.forget_gate_memory(T=100, seed=0, c0=1.0)
    f = sig(2.0)
    assert myths.halving_steps(2.0) == 6 == int(np.ceil(np.log(0.5) / np.log(f)))
    assert r.steps_to_half(1) == 6 and r.c[4, 1] > 0.5 >= r.c[5, 1]
    assert "half gone after 6 steps" in r.labels[1] and r.labels[1].startswith(f"f ≈ {f:.2f}")
    assert r.steps_to_half(0) is None and r.steps_to_half(2) == 1


def test_hand_gated_params_rejects_mismatched_biases():
    with pytest.raises(ValueError, match="i_bias, f_bias"):
        myths.hand_gated_params([1.0, 2.0], [1.0])


# ---- 3 ------------------------------------------------------------------------------------------------------------


def test_output_formula_is_o_times_tanh_c_not_tanh_sigmoid_c(default_lab):
    r = myths.output_formula(default_lab.lstm, default_lab.x)
    tr = lstm_forward(default_lab.lstm, default_lab.x)
    np.testing.assert_array_equal(tr.o * np.tanh(tr.c), tr.h)
    np.testing.assert_array_equal(r.correct, tr.h)
    assert r.max_err_true == 0.0
    np.testing.assert_allclose(r.myth, np.tanh(sig(tr.c)), rtol=1e-14)
    assert r.max_err_myth == pytest.approx(np.max(np.abs(tr.h - np.tanh(sig(tr.c)))))
    assert r.max_err_myth > 0.3
    assert r.myth.min() > 0 and r.myth.max() < np.tanh(1.0), "tanh(σ(·)) lives in (0, tanh 1)"
    assert r.h.min() < 0, "… but h does not"
    assert r.share_negative == pytest.approx(np.mean(tr.h < 0)) and r.share_negative > 0


def test_the_latch_never_has_a_negative_h_so_the_page_must_not_say_so():
    sc = PRESETS["latch"].build()
    r = myths.output_formula(sc.lstm, sc.x)
    assert r.share_negative == 0.0 and r.max_err_myth > 0.3


# ---- 4 ------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", ["default", "preserved_lstm", "forgetful_lstm"])
def test_gate_histograms_count_every_value_and_values_lie_strictly_inside(preset):
    p = PRESETS[preset].build().lstm
    r = myths.gate_distribution(p, T=150, seed=2, bins=10)
    tr = lstm_forward(p, np.random.default_rng(2).normal(size=(150, p.input_size)))
    assert r.n_values == 150 * p.hidden_size
    np.testing.assert_allclose(r.edges, np.arange(11) / 10)
    for k in "ifo":
        v = getattr(tr, k).ravel()
        assert r.counts[k].sum() == v.size
        manual = np.array([np.sum((v >= lo) & (v < lo + 0.1)) for lo in np.arange(10) / 10])
        manual[-1] += np.sum(v == 1.0)
        np.testing.assert_array_equal(r.counts[k], manual)
        lo, hi = r.value_range[k]
        assert 0.0 < lo and hi < 1.0
        assert (lo, hi) == (v.min(), v.max())
        assert r.share_between[k] == pytest.approx(np.mean((v >= 0.05) & (v <= 0.95)))


@pytest.mark.parametrize("preset,saturated", [("default", []), ("preserved_lstm", ["f"]), ("latch", ["i", "f", "o"])])
def test_which_gates_are_mostly_saturated(preset, saturated):
    """"Gates are 0 or 1" is nearly true of hand-set or strongly biased gates: the page must say when."""
    r = myths.gate_distribution(PRESETS[preset].build().lstm, seed=0)
    assert r.mostly_saturated == saturated
    for k in "ifo":
        assert r.saturated[k] == pytest.approx(1 - r.share_between[k])
        lo, hi = r.value_range[k]
        assert 0.0 < lo and hi <= 1.0, "never 0; 1.0 only by float64 rounding (σ(z) for z > 37)"
    if preset != "latch":
        assert max(v[1] for v in r.value_range.values()) < 1.0
    else:  # the latch's z = 20·x − 10 exceeds 37 for x > 2.35: σ rounds to exactly 1.0, the page says so
        assert max(v[1] for v in r.value_range.values()) == 1.0


# ---- 5 ------------------------------------------------------------------------------------------------------------


def test_bptt_cost_structure_and_stored_numbers_exactly_linear():
    p = init_lstm(3, 5, seed=1)
    r = myths.bptt_cost(p, lengths=(10, 20, 40), repeats=2, budget=0.0)
    np.testing.assert_array_equal(r.lengths, [10, 20, 40])
    assert r.seconds.shape == (3,) and np.all(np.isfinite(r.seconds)) and np.all(r.seconds > 0)
    np.testing.assert_array_equal(r.stored_floats, [T * (3 + 6 * 5) + 2 * 5 for T in (10, 20, 40)])
    slope, intercept = np.polyfit(r.lengths, r.seconds, 1)
    assert r.slope == pytest.approx(slope) and r.intercept == pytest.approx(intercept)
    pred = slope * r.lengths + intercept
    r2 = 1 - np.sum((r.seconds - pred) ** 2) / np.sum((r.seconds - r.seconds.mean()) ** 2)
    assert r.r2 == pytest.approx(r2)


def test_fit_line_recovers_a_known_line():
    x = np.array([1.0, 2.0, 4.0, 8.0])
    assert myths.fit_line(x, 3 * x + 2) == pytest.approx((3.0, 2.0, 1.0))
    slope, _, r2 = myths.fit_line(x, np.array([1.0, 5.0, 2.0, 9.0]))
    assert 0 < r2 < 1 and slope > 0
    assert myths.fit_line(x, np.ones(4))[2] == 1.0


# ---- 6 ------------------------------------------------------------------------------------------------------------


def test_stretched_timestamps_give_identical_h(default_lab):
    r = myths.no_wall_clock(default_lab.lstm, T=40, seed=0)
    assert r.max_diff == 0.0
    np.testing.assert_array_equal(r.h_fast, r.h_slow)
    np.testing.assert_array_equal(r.h_fast, lstm_forward(default_lab.lstm, r.x).h)
    gaps_fast, gaps_slow = np.diff(r.times_fast), np.diff(r.times_slow)
    np.testing.assert_allclose(gaps_fast, 0.01)
    assert gaps_slow.min() >= 1.0 and gaps_slow.max() <= 10 ** 2.5 and np.ptp(gaps_slow) > 10
    assert r.times_slow[-1] > 1000 * r.times_fast[-1]


# ---- 7 and 9 ------------------------------------------------------------------------------------------------------


def test_recurrent_blocks_are_full_h_by_h():
    p = init_lstm(2, 6, seed=4)
    r = myths.recurrent_connections(p)
    for n, k in enumerate("ifgo"):
        np.testing.assert_array_equal(r.blocks[k], p.weight_hh[6 * n:6 * (n + 1)])
        assert r.blocks[k].shape == (6, 6) and r.nonzero[k] == 36
    a = np.abs(p.weight_hh)
    diag = sum(np.trace(a[6 * n:6 * (n + 1)]) for n in range(4))
    assert r.offdiag_share == pytest.approx(1 - diag / a.sum())
    assert r.offdiag_share > 0.6


def test_recurrent_connections_of_a_diagonal_and_a_zero_w_hh():
    p = init_lstm(1, 3, seed=0)
    diag = LSTMParams(p.weight_ih, np.vstack([np.diag([1.0, 2.0, 3.0])] * 4), p.bias_ih, p.bias_hh)
    r = myths.recurrent_connections(diag)
    assert r.offdiag_share == 0.0 and r.nonzero["f"] == 3
    latch = myths.recurrent_connections(latch_params(2, 3))
    assert latch.offdiag_share == 0.0 and latch.weight_sum == 0.0, "no recurrent weights: the page says so"
    assert myths.recurrent_connections(p).weight_sum == pytest.approx(np.abs(p.weight_hh).sum())


@pytest.mark.parametrize("D,H", [(1, 1), (2, 8), (5, 3)])
def test_each_gate_has_an_input_and_a_hidden_block(D, H):
    p = init_lstm(D, H, seed=0)
    r = myths.gate_weight_shapes(p)
    for k in "ifgo":
        # PyTorch's symbols: W_ii, W_hi, b_ii, b_hi for the input gate, W_if, W_hf, … for the forget gate
        assert r.shapes[k] == {f"W_i{k}": (H, D), f"W_h{k}": (H, H), f"b_i{k}": (H,), f"b_h{k}": (H,)}
        assert r.counts[k] == {"input": H * D, "hidden": H * H, "bias": 2 * H}
    assert r.total == 4 * (H * D + H * H + 2 * H) == sum(a.size for a in (p.weight_ih, p.weight_hh, p.bias_ih,
                                                                          p.bias_hh))
    assert r.combined.shape == (4 * H, D + H)
    np.testing.assert_array_equal(r.combined[:, :D], p.weight_ih)
    np.testing.assert_array_equal(r.combined[:, D:], p.weight_hh)


# ---- 10, 11, 12 ---------------------------------------------------------------------------------------------------


def _probe_norms(p, sc):
    tr = lstm_forward(p, sc.x)
    dh = np.zeros_like(tr.h)
    dh[-1, 0] = 1.0  # L = h_T[unit 1]
    g = lstm_backward(p, tr, dh)
    n = lambda a: np.sqrt((a * a).sum(-1))  # noqa: E731  independent of analysis.grad_norms
    return tr, n(g.dc), n(g.dh)


def test_gradient_limits_are_the_presets_own_runs():
    r = myths.gradient_limits(seed=2)
    pres, expl = PRESETS["preserved_lstm"].build(seed=2), PRESETS["exploding_lstm"].build(seed=2)
    tr, dc, dh = _probe_norms(pres.lstm, pres)
    np.testing.assert_allclose(r.curves[myths.PRESERVED_C], dc / dc[-1], rtol=1e-12)
    np.testing.assert_allclose(r.curves[myths.PRESERVED_H], dh / dh[-1], rtol=1e-12)
    assert r.prod_f == pytest.approx(np.median(np.prod(tr.f[1:], axis=0)), rel=1e-12)
    _, dc1, _ = _probe_norms(with_forget_bias(pres.lstm, 1.0), pres)
    np.testing.assert_allclose(r.curves[myths.COMMON_C], dc1 / dc1[-1], rtol=1e-12)
    _, dce, _ = _probe_norms(expl.lstm, expl)
    np.testing.assert_allclose(r.curves[myths.EXPLODING_C], dce / dce[-1], rtol=1e-12)
    assert r.ratios == {k: v[0] for k, v in r.curves.items()} and r.T == 100


def test_weight_sharing_one_gradient_is_the_sum_of_every_steps_share(default_lab):
    p, x = default_lab.lstm, default_lab.x
    H, D, T = p.hidden_size, p.input_size, x.shape[0]
    r = myths.weight_sharing(p, x, lengths=(5, 50), seed=1)
    np.testing.assert_array_equal(r.lengths, [5, 50])
    np.testing.assert_array_equal(r.n_params, 4 * H * (D + H + 2))
    np.testing.assert_array_equal(r.n_stored, [L * (D + 6 * H) + 2 * H for L in (5, 50)])
    tr = lstm_forward(p, x)
    dh = np.zeros_like(tr.h)
    dh[-1] = tr.h[-1]
    g = lstm_backward(p, tr, dh)
    h_prev = np.vstack([np.zeros(H), tr.h[:-1]])
    dz = np.hstack([g.dz_i, g.dz_f, g.dz_g, g.dz_o])
    shares = [np.linalg.norm(np.outer(dz[t], h_prev[t])) for t in range(T)]
    np.testing.assert_allclose(r.shares, shares, rtol=1e-12, atol=1e-300)
    assert r.max_sum_error < 1e-14 and np.count_nonzero(r.shares) == T - 1, "h_0 = 0: step 1 adds nothing to W_hh"


def test_cell_state_grows_past_one_while_h_stays_inside(default_lab):
    r = myths.cell_state_growth(default_lab.lstm, default_lab.x, T=100, seed=3)
    g = np.tanh(r.x[:, 0])
    assert 0.46 < g.min() and g.max() < 0.91
    for u, fb in enumerate((15.0, 2.0, -15.0)):
        c = manual_cell(15.0, fb, r.x[:, 0], 0.0)
        np.testing.assert_allclose(r.c[:, u], c, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(r.h[:, u], 0.5 * np.tanh(c), rtol=1e-12, atol=1e-15)  # o = σ(0) = ½
        assert r.f[u] == pytest.approx(sig(fb))
    assert r.c[-1, 0] > 60, "f ≈ 1: c keeps adding about 0.7 per step"
    assert r.bound[1] == pytest.approx(1 / (1 - sig(2.0))) and np.abs(r.c[:, 1]).max() < r.bound[1]
    assert np.abs(r.h).max() <= 0.5, "o = ½: |h| <= ½ tanh|c| (tanh of c ≈ 70 rounds to 1)"
    tr = lstm_forward(default_lab.lstm, default_lab.x)
    np.testing.assert_array_equal(r.lab_max_c, np.abs(tr.c).max(axis=0))
    assert r.lab_max_c.max() > 1.0 > r.lab_max_h.max(), "the default preset's own c leaves ±1 too"


# ---- the variant ----------------------------------------------------------------------------------------------------


def test_x_only_gates_zero_exactly_the_i_f_o_rows():
    p = init_lstm(2, 4, seed=0)
    q = myths.x_only_gates(p)
    for n, k in enumerate("ifgo"):
        rows = slice(4 * n, 4 * (n + 1))
        if k == "g":
            np.testing.assert_array_equal(q.weight_hh[rows], p.weight_hh[rows])
        else:
            assert not q.weight_hh[rows].any()
    for name in ("weight_ih", "bias_ih", "bias_hh"):
        np.testing.assert_array_equal(getattr(q, name), getattr(p, name))


def test_first_marker_task_targets():
    b = myths.first_marker_task(T=20, batch=50, n_markers=3, seed=5)
    assert b.x.shape == (20, 50, 2)
    assert np.all(b.x[:, :, 1].sum(axis=0) == 3) and not b.x[0, :, 1].any()
    for j in range(50):
        first = np.flatnonzero(b.x[:, j, 1])[0]
        assert b.first[j] == first and b.target[j] == np.tanh(b.x[first, j, 0])


def test_standard_lstm_keeps_the_first_marked_value_and_x_only_does_not():
    r = myths.x_only_comparison(T=30, n_markers=3, batch=300, seed=0)
    assert r.errors["standard"] < 1e-3
    assert r.errors["x_only"] > 0.2
    # the example: the memory ends at tanh(first marked value); the x-only one at the sum over all markers
    marked = np.flatnonzero(r.x[:, 1])
    assert r.traces["standard"]["c"][-1] == pytest.approx(np.tanh(r.x[marked[0], 0]), abs=1e-3)
    assert r.traces["x_only"]["c"][-1] == pytest.approx(np.sum(np.tanh(r.x[marked, 0])), abs=1e-3)
    assert np.sum(r.traces["standard"]["i"] > 0.5) == 1 and np.sum(r.traces["x_only"]["i"] > 0.5) == 3
    # mean error over the batch, recomputed independently
    p = myths.first_marker_params()
    many = myths.first_marker_task(30, 300, n_markers=3, seed=1)
    for name, m in (("standard", p), ("x_only", myths.x_only_gates(p))):
        err = np.mean(np.abs(lstm_forward(m, many.x).c[-1, :, 0] - many.target))
        assert r.errors[name] == pytest.approx(err)


def test_lab_variant_max_diff(default_lab):
    r = myths.x_only_gate_traces(default_lab.lstm, default_lab.x)
    for k in "ifo":
        assert r.max_diff[k] == pytest.approx(np.max(np.abs(getattr(r.standard, k) - getattr(r.x_only, k))))
        assert r.max_diff[k] > 0.01
    np.testing.assert_array_equal(r.x_only.i[0], r.standard.i[0])  # h0 = 0: step 1 is the same


def test_wrong_params_type_is_refused():
    with pytest.raises(ValueError, match="needs LSTMParams"):
        myths.output_formula(PRESETS["default"].build().rnn, np.zeros((3, 2)))


# ---- charts -------------------------------------------------------------------------------------------------------


def named(fig, name):
    hits = [t for t in fig.data if t.name == name]
    assert hits, [t.name for t in fig.data]
    return hits[0]


def test_charts_carry_the_numbers(default_lab):
    p, x = default_lab.lstm, default_lab.x
    h = myths.same_input_different_history(p)
    fig = charts.history_gates(h)
    np.testing.assert_array_equal(named(fig, "f after A").y, h.gates_a["f"])
    np.testing.assert_array_equal(named(fig, "f after B").y, h.gates_b["f"])

    m = myths.forget_gate_memory()
    fig = charts.gated_memory(m)
    np.testing.assert_array_equal(named(fig, m.labels[0]).y[1:], m.c[:, 0])
    assert named(fig, m.labels[0]).y[0] == 1.0

    o = myths.output_formula(p, x)
    fig = charts.output_formula(o, unit=2)
    np.testing.assert_array_equal(named(fig, "h_t (the core)").y, o.h[:, 2])
    np.testing.assert_array_equal(named(fig, "myth: tanh(σ(c_t))").y, o.myth[:, 2])
    with pytest.raises(ValueError, match="unit"):
        charts.output_formula(o, unit=8)

    d = myths.gate_distribution(p)
    fig = charts.gate_histograms(d)
    np.testing.assert_array_equal(named(fig, "o").y, d.counts["o"])

    b = myths.bptt_cost(p, lengths=(10, 20), repeats=2, budget=0.0)
    fig = charts.bptt_cost(b)
    np.testing.assert_allclose(named(fig, "measured").y, 1e3 * b.seconds)
    np.testing.assert_array_equal(named(fig, "stored numbers").y, b.stored_floats)

    n = myths.no_wall_clock(p)
    fig = charts.no_clock(n)
    np.testing.assert_array_equal(named(fig, "recorded 1 s to 5 min apart").x, n.times_slow)

    fig = charts.recurrent_blocks(p)
    assert [t.name for t in fig.data] == list("ifgo")
    np.testing.assert_array_equal(np.asarray(fig.data[1].z), p.weight_hh[8:16])

    s = myths.gate_weight_shapes(p)
    fig = charts.gate_blocks(s)
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), s.combined)

    v = myths.x_only_comparison(batch=20)
    on, off = charts.variant_task(v, show_x_only=True), charts.variant_task(v, show_x_only=False)
    np.testing.assert_array_equal(named(on, "x-only gates").y, v.traces["x_only"]["c"])
    assert "x-only gates" not in [t.name for t in off.data]

    lv = myths.x_only_gate_traces(p, x)
    fig = charts.variant_lab_gates(lv, unit=1)
    np.testing.assert_array_equal(named(fig, "f: x-only").y, lv.x_only.f[:, 1])

    lim = myths.gradient_limits(seed=0)
    fig = charts.gradient_limits(lim)
    for name, y in lim.curves.items():
        np.testing.assert_array_equal(named(fig, name).y, y)
    assert fig.layout.yaxis.type == "log"

    ws = myths.weight_sharing(p, x)
    fig = charts.weight_sharing(ws)
    np.testing.assert_array_equal(named(fig, "weights and biases (one set for every step)").y, ws.n_params)
    shares = np.array([np.nan if v is None else v for v in named(fig, "step t's share ‖dz_t h_t−1ᵀ‖").y], float)
    ok = ws.shares > 0
    np.testing.assert_array_equal(shares[ok], ws.shares[ok])

    cg = myths.cell_state_growth(p, x)
    fig = charts.cell_growth(cg)
    np.testing.assert_array_equal(named(fig, f"c_t, {cg.labels[0]}").y, cg.c[:, 0])
    np.testing.assert_array_equal(named(fig, "largest |c_t|").y, cg.lab_max_c)

    labels = [a.text for a in charts.gate_blocks(s).layout.annotations]
    for k in "ifgo":  # PyTorch's symbols: W_ii, W_hi for the input gate (never "W_ih" for a gate's block)
        assert any(f"W<sub>i{k}</sub>" in t for t in labels) and any(f"W<sub>h{k}</sub>" in t for t in labels)


def test_myth_charts_draw_the_zones_their_captions_name(default_lab):
    """Myth 4's grey strips (gate ≈ 0 and ≈ 1) in every gate's panel and myth 12's band |value| ≤ 1 are in the
    figures (an add_vrect before a panel's first trace is dropped by plotly: they once were missing)."""
    p, x = default_lab.lstm, default_lab.x
    fig = charts.gate_histograms(myths.gate_distribution(p))
    strips = {(s.xref, s.x0, s.x1, s.yref) for s in fig.layout.shapes if s.type == "rect"}
    assert strips == {(f"x{n}", x0, x1, f"y{n} domain") for n in ("", "2", "3")
                      for x0, x1 in ((0.0, 0.05), (0.95, 1.0))}
    fig = charts.cell_growth(myths.cell_state_growth(p, x))
    bands = {(s.yref, s.y0, s.y1) for s in fig.layout.shapes if s.type == "rect"}
    assert bands == {("y", -1.0, 1.0), ("y2", 0.0, 1.0)}
