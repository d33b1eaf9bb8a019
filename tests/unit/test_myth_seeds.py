"""Every myth's refutation holds for seeds 0–9 at the myths page's defaults (the default preset at its own sizes and
input, the page's own experiment sizes), not just for seed 0: each assertion is what the page's text claims.

Marked ``seed_sweep`` (pytest.ini): it runs with the rest of the suite; select it alone with ``-m seed_sweep`` or
leave it out with ``-m "not seed_sweep"``. Measured on a shared 2-core machine: about 0.15 s per seed, 3 s for the
file with its imports."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_core import lstm_forward, myths
from lstm_core.presets import PRESETS

SEEDS = range(10)
pytestmark = pytest.mark.seed_sweep


@pytest.mark.parametrize("seed", SEEDS)
def test_every_refutation_holds_at_this_seed(seed):
    sc = PRESETS["default"].build(seed=seed)  # what the page shows with the sidebar at its defaults and this seed
    p, x = sc.lstm, sc.x
    H, D = p.hidden_size, p.input_size

    r1 = myths.same_input_different_history(p, seed=seed)  # 1: the same x_t, different gates
    assert r1.max_diff > 0.01, "a visible gap, not rounding"

    r2 = myths.forget_gate_memory(seed=seed)  # 2: f ≈ 1 keeps, f ≈ 0.88 halves after 6 steps, f ≈ 0 erases
    assert r2.max_drift(0) < 1e-3
    assert r2.steps_to_half(1) == myths.halving_steps(myths.FADE_BIAS) == 6
    assert f"half gone after {r2.steps_to_half(1)} steps" in r2.labels[1]
    assert abs(r2.c[0, 2]) < 1e-3 and r2.steps_to_half(2) == 1

    r3 = myths.output_formula(p, x)  # 3: h = o ⊙ tanh(c), not tanh(σ(c))
    assert r3.max_err_true == 0.0 and r3.max_err_myth > 0.3
    assert 0.0 < r3.myth.min() and r3.myth.max() < np.tanh(1.0) and r3.share_negative > 0.0

    r4 = myths.gate_distribution(p, seed=seed)  # 4: values strictly inside (0, 1)
    assert all(0.0 < lo and hi < 1.0 for lo, hi in r4.value_range.values())
    assert r4.mostly_saturated == [] and min(r4.share_between.values()) > 0.5, "the page says: most values in between"

    r6 = myths.no_wall_clock(p, seed=seed)  # 6: timestamps never reach the LSTM
    assert r6.max_diff == 0.0

    r7 = myths.recurrent_connections(p)  # 7: full H × H blocks
    assert r7.weight_sum > 0 and r7.offdiag_share > 0.5 and min(r7.nonzero.values()) == H * H

    r8 = myths.input_gate_memory(seed=seed)  # 8: i ≈ 0 keeps, i ≈ 1 writes, only f ≈ 0 erases
    assert r8.max_drift(0) < 1e-3 and r8.max_drift(1) > 1.0 and np.max(np.abs(r8.c[:, 2])) < 1e-3

    r9 = myths.gate_weight_shapes(p)  # 9: an input and a hidden block per gate
    assert r9.total == 4 * (H * D + H * H + 2 * H)

    r10 = myths.gradient_limits(seed=seed)  # 10: mitigated, not solved
    q = r10.ratios
    assert q[myths.PRESERVED_H] < q[myths.PRESERVED_C] / 4, "∂L/∂h falls far below ∂L/∂c"
    assert 0.1 < r10.prod_f < 0.25, "the cell path alone shrinks too"
    assert q[myths.COMMON_C] < 1e-6, "b_f = +1: the cell gradient vanishes over 100 steps"
    assert q[myths.EXPLODING_C] > 1e4, "an LSTM explodes"

    r11 = myths.weight_sharing(p, x, seed=seed)  # 11: one set of weights
    assert (r11.n_params == 4 * H * (D + H + 2)).all()
    assert (np.diff(r11.n_stored) > 0).all() and r11.max_sum_error < 1e-12 * max(1.0, r11.shares.sum())

    r12 = myths.cell_state_growth(p, x, seed=seed)  # 12: c is not bounded like h
    assert r12.c[-1, 0] > 50 and np.abs(r12.h).max() < 1.0
    assert np.abs(r12.c[:, 1]).max() <= r12.bound[1] and np.abs(r12.c[:, 2]).max() < 1.0
    np.testing.assert_array_equal(r12.lab_max_h, np.max(np.abs(lstm_forward(p, x).h), axis=0))

    rv = myths.x_only_comparison(seed=seed)  # the variant: gates need h_{t−1} for "keep the first"
    assert rv.errors["standard"] < 1e-3 and rv.errors["x_only"] > 0.2
    lv = myths.x_only_gate_traces(p, x)
    assert min(lv.max_diff.values()) > 0.01
