"""charts.explorer: the gradient explorer's figures hold exactly the core's numbers; phase cells are clickable and
their customdata names the right cell; regimes are outlined on cell edges and labelled inside their regions."""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from charts.explorer import (
    COLOR_DECADES,
    JACOBIAN_DASH,
    _boundaries,
    _deepest_cell,
    clipped_flow,
    jacobian_vs_gradient,
    length_sweep_chart,
    phase_diagram,
)
from charts.gradients import GAP_NOTE
from lstm_core import explore as E
from lstm_core import init_lstm, init_rnn, lstm_forward, rnn_forward
from lstm_core.analysis import jacobian_norms
from tests.helpers import as_float, bad_numbers, trace_named

ROOT = Path(__file__).resolve().parents[2]


def test_charts_module_imports_neither_streamlit_nor_the_core():
    tree = ast.parse((ROOT / "charts" / "explorer.py").read_text())
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(m.startswith(("streamlit", "lstm_core")) for m in names), names


# ---- length sweep ----------------------------------------------------------------------------------------------------


def test_length_sweep_chart_draws_the_sweep_and_its_fit():
    lens = E.sweep_lengths(120)
    sweeps = {"LSTM": E.length_sweep("lstm", lens, hidden_size=4, forget_bias=3.0),
              "RNN": E.length_sweep("rnn", lens, hidden_size=4, spectral_radius=0.8)}
    fig = length_sweep_chart(sweeps, title="t")
    assert not bad_numbers(fig)
    for name, sw in sweeps.items():
        pts = trace_named(fig, f"{name}: measured")
        np.testing.assert_array_equal(pts.x, sw.lengths)
        np.testing.assert_array_equal(as_float(pts.y), sw.grad_at_first)
        fit = next(t for t in fig.data if t.name.startswith(f"{name} fit"))
        np.testing.assert_array_equal(fit.x, [lens.min(), lens.max()])
        np.testing.assert_allclose(fit.y, np.exp(sw.intercept + sw.rate_per_step * np.array(fit.x)), rtol=1e-12)
        assert f"×{np.exp(sw.rate_per_step):.3g} per step" in fit.name
    assert fig.layout.yaxis.type == "log"


def test_length_sweep_chart_without_a_fit_and_with_gaps():
    sw = SimpleNamespace(lengths=np.array([3, 1, 2]), grad_at_first=np.array([0.0, 1.0, np.inf]),
                         rate_per_step=float("nan"), intercept=float("nan"))
    fig = length_sweep_chart({"RNN": sw})
    assert [t.name for t in fig.data] == ["RNN: measured"]
    assert list(fig.data[0].x) == [1, 2, 3] and list(fig.data[0].y) == [1.0, None, None]  # sorted, gaps as None
    assert "gaps" in fig.layout.xaxis.title.text
    with pytest.raises(ValueError, match="sweeps"):
        length_sweep_chart({})


# ---- phase diagram ---------------------------------------------------------------------------------------------------


def _phase(model="lstm", n=7, T=40, H=4, current=None):
    first, second = E.phase_axes(model, n)
    values = E.phase_grid(first, second, T=T, hidden_size=H, model=model, bias_scale=E.PHASE_BIAS_SCALE)
    reg = E.phase_regimes(values)
    fig = phase_diagram(values, first, second, reg, y_title="y", x_title="x", vanishing_below=E.VANISHING_BELOW,
                        exploding_above=E.EXPLODING_ABOVE, log_y=model == "rnn", current=current)
    return fig, values, first, second, reg


@pytest.mark.parametrize("model", ["lstm", "rnn"])
def test_phase_diagram_heatmap_is_the_grid(model):
    fig, values, first, second, _ = _phase(model)
    hm = next(t for t in fig.data if t.type == "heatmap")
    np.testing.assert_array_equal(np.asarray(hm.z), values)
    np.testing.assert_array_equal(hm.x, second)
    np.testing.assert_array_equal(hm.y, np.log10(first) if model == "rnn" else first)
    assert hm.zmid == 0 and hm.zmin == -COLOR_DECADES and hm.zmax == COLOR_DECADES and hm.hoverinfo == "skip"
    assert not bad_numbers(fig)


@pytest.mark.parametrize("model", ["lstm", "rnn"])
def test_phase_cells_are_clickable_and_name_their_cell(model):
    fig, values, first, second, reg = _phase(model)
    cells = trace_named(fig, "cells")
    assert cells.type == "scatter" and cells.mode == "markers"
    y_plot = np.log10(first) if model == "rnn" else first
    for k, (a, b, text, regime, *rest) in enumerate(cells.customdata):
        assert (a, b) == divmod(k, second.size)  # row-major, as phase_grid
        assert cells.x[k] == second[b] and cells.y[k] == y_plot[a]
        assert regime == {-1: "vanishing", 0: "preserved", 1: "exploding"}[int(reg[a, b])]
        if model == "rnn":
            assert rest == [f"{first[a]:.2g}"]
    assert fig.layout.dragmode is False and fig.layout.xaxis.fixedrange and fig.layout.yaxis.fixedrange


def test_phase_regime_labels_sit_inside_their_regions():
    fig, values, first, second, reg = _phase("lstm", n=11, T=60)
    labels = {a.text.strip("<b>/"): a for a in fig.layout.annotations}
    present = {int(c) for c in np.unique(reg)}
    assert set(labels) == {E.REGIMES[c] for c in present}
    for code in present:
        a = labels[E.REGIMES[code]]
        row, col = int(np.argmin(np.abs(first - a.y))), int(np.argmin(np.abs(second - a.x)))
        assert reg[row, col] == code


def test_deepest_cell_avoids_edges_and_a_marker():
    reg = np.zeros((7, 7), dtype=np.int8)
    assert _deepest_cell(reg, 0) == (3, 3)  # the frame counts as a border
    assert _deepest_cell(reg, 1) is None
    row, col = _deepest_cell(reg, 0, avoid=(3.0, 3.0))
    assert max(abs(row - 3), abs(col - 3)) > 2
    row, col = _deepest_cell(reg, 0, avoid=(np.nan, 3.0))  # a vertical line at column 3
    assert abs(col - 3) > 2


def test_boundaries_run_along_cell_edges_between_regimes():
    reg = np.array([[0, 0, 1], [0, -1, 1]])
    x, y = np.array([0.0, 1.0, 2.0]), np.array([10.0, 20.0])
    xs, ys = _boundaries(reg, x, y)
    segs = {(xs[i], ys[i], xs[i + 1], ys[i + 1]) for i in range(0, len(xs), 3)}
    assert segs == {
        (1.5, 5.0, 1.5, 15.0),  # row 0: columns 1 | 2
        (0.5, 15.0, 0.5, 25.0), (1.5, 15.0, 1.5, 25.0),  # row 1: 0 | 1 and 1 | 2
        (0.5, 15.0, 1.5, 15.0),  # column 1: rows 0 / 1
    }
    assert all(v is None for v in xs[2::3])
    assert _boundaries(np.zeros((2, 2)), x[:2], y) == ([], [])


def test_phase_current_setting_marker_and_line():
    fig, *_ = _phase("lstm", current=(2.0, 1.5))
    mark = trace_named(fig, "shared setting")
    assert list(mark.x) == [1.5] and list(mark.y) == [2.0]
    fig, *_ = _phase("rnn", current=(None, 1.2))
    assert any(s.type == "line" and s.x0 == 1.2 == s.x1 for s in fig.layout.shapes)
    assert "shared setting" not in [t.name for t in fig.data]


def test_phase_diagram_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="values"):
        phase_diagram(np.zeros((2, 3)), [1, 2, 3], [1, 2], np.zeros((2, 3)), y_title="", x_title="",
                      vanishing_below=-3, exploding_above=1)
    with pytest.raises(ValueError, match="log_y"):
        phase_diagram(np.zeros((2, 2)), [0.0, 1.0], [1, 2], np.zeros((2, 2)), y_title="", x_title="",
                      vanishing_below=-3, exploding_above=1, log_y=True)


# ---- clip and truncate, Jacobian -------------------------------------------------------------------------------------


def test_clipped_flow_draws_both_curves_and_shades_the_truncated_steps():
    T = 30
    full = np.geomspace(1e-6, 1.0, T)
    after = full * 0.1
    after[: T - 8] = 0.0
    fig = clipped_flow(full, after, model="LSTM", quantity="‖∂L/∂c_t‖", truncate=8, after_label="after k = 8")
    np.testing.assert_array_equal(as_float(fig.data[0].y), full)
    got = as_float(fig.data[1].y)
    assert np.isnan(got[: T - 8]).all() and np.array_equal(got[T - 8:], after[T - 8:])
    assert fig.data[1].line.dash == "dash"
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(rects) == 1 and rects[0].x0 == 0.5 and rects[0].x1 == T - 8 + 0.5
    assert GAP_NOTE not in fig.layout.xaxis.title.text and "exactly 0 (truncated)" in fig.layout.xaxis.title.text
    plain = clipped_flow(full, full, model="RNN", quantity="‖∂L/∂h_t‖", after_label="after")
    assert not [s for s in plain.layout.shapes if s.type == "rect"]
    assert fig.data[0].line.dash == plain.data[0].line.dash == "solid"  # the page says "Solid: the true BPTT norms"


def test_jacobian_vs_gradient_normalises_at_T_and_dashes_the_jacobians():
    p = init_lstm(2, 3, seed=0, forget_bias=1.0)
    tr = lstm_forward(p, np.random.default_rng(0).normal(size=(20, 2)))
    J = jacobian_norms(p, tr)
    pr = init_rnn(2, 3, seed=0)
    Jr = jacobian_norms(pr, rnn_forward(pr, tr.x))
    g = np.geomspace(1e-4, 2.0, 20)
    fig = jacobian_vs_gradient({"LSTM J": J, "RNN J": Jr}, {"LSTM ‖∂L/∂c_t‖": g, "RNN ‖∂L/∂h_t‖": np.zeros(20)})
    np.testing.assert_array_equal(as_float(trace_named(fig, "LSTM J").y), J)  # already 1 at T
    np.testing.assert_allclose(as_float(trace_named(fig, "LSTM ‖∂L/∂c_t‖ ÷ its value at T").y), g / 2.0, rtol=1e-15)
    assert trace_named(fig, "LSTM J").line.dash == JACOBIAN_DASH == trace_named(fig, "RNN J").line.dash
    assert trace_named(fig, "LSTM ‖∂L/∂c_t‖ ÷ its value at T").line.dash == "solid"
    trace_named(fig, "RNN ‖∂L/∂h_t‖ (0 at T: not normalised)")
    assert "value at t = T" in fig.layout.yaxis.title.text
    with pytest.raises(ValueError, match="jacobians"):
        jacobian_vs_gradient([], {})
