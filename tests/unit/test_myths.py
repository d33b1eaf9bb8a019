"""lstm_core.myths: each myth's numbers, checked against independent computations (hand-written loops, closed forms,
PyTorch-layout slicing done here), and the chart builders of charts.myths read back for the same numbers."""

from __future__ import annotations

import numpy as np
import pytest

from charts import myths as charts
from lstm_core import init_lstm, lstm_forward, myths
from lstm_core.params import LSTMParams
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
    assert myths.recurrent_connections(latch_params(2, 3)).offdiag_share == 0.0


@pytest.mark.parametrize("D,H", [(1, 1), (2, 8), (5, 3)])
def test_each_gate_has_an_input_and_a_hidden_block(D, H):
    p = init_lstm(D, H, seed=0)
    r = myths.gate_weight_shapes(p)
    for k in "ifgo":
        assert r.shapes[k] == {"W_ih": (H, D), "W_hh": (H, H), "b_ih": (H,), "b_hh": (H,)}
        assert r.counts[k] == {"input": H * D, "hidden": H * H, "bias": 2 * H}
    assert r.total == 4 * (H * D + H * H + 2 * H) == sum(a.size for a in (p.weight_ih, p.weight_hh, p.bias_ih,
                                                                          p.bias_hh))
    assert r.combined.shape == (4 * H, D + H)
    np.testing.assert_array_equal(r.combined[:, :D], p.weight_ih)
    np.testing.assert_array_equal(r.combined[:, D:], p.weight_hh)


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
