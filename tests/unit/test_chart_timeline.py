"""charts.timeline: gate/state heatmaps, per-unit lines, saturation bars — figure data against the trace's arrays."""

from __future__ import annotations

import time

import numpy as np
import pytest

from charts.style import COLORS, DIVERGING, SEQUENTIAL
from charts.timeline import QUANTITIES, gate_heatmaps, saturation_bars, unit_lines
from lstm_core import init_lstm, init_rnn, lstm_forward, rnn_forward

from tests.helpers import bad_numbers, colorscale_of, step_shapes_x, trace_named


def lstm_trace(T: int = 12, H: int = 5, D: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    return lstm_forward(init_lstm(D, H, seed=seed, scale=2.0), rng.normal(size=(T, D)))


@pytest.fixture(scope="module")
def trace():
    return lstm_trace()


# ------------------------------------------------------------------------------------------ gate_heatmaps
def test_gate_heatmaps_one_row_per_quantity_with_exact_data(trace):
    fig = gate_heatmaps(trace)
    assert [t.name for t in fig.data] == list(QUANTITIES)
    T, H = trace.h.shape
    for k in QUANTITIES:
        hm = trace_named(fig, k)
        assert hm.type == "heatmap"
        z = np.asarray(hm.z)
        assert z.shape == (H, T)
        np.testing.assert_array_equal(z, getattr(trace, k).T)
        np.testing.assert_array_equal(np.asarray(hm.x), np.arange(1, T + 1))
        np.testing.assert_array_equal(np.asarray(hm.y), np.arange(1, H + 1))
    # one subplot row (y axis) per quantity, all sharing the step axis
    ys = [k for k in fig.layout.to_plotly_json() if k.startswith("yaxis")]
    assert len(ys) == len(QUANTITIES)
    assert fig.layout.xaxis6.title.text.startswith("step t")
    assert not bad_numbers(fig)


def test_gate_heatmaps_colour_ranges(trace):
    fig = gate_heatmaps(trace)
    for k in ("i", "f", "o"):
        hm = trace_named(fig, k)
        assert (hm.zmin, hm.zmax) == (0.0, 1.0)
        assert hm.colorscale == colorscale_of(SEQUENTIAL)
    for k in ("g", "h"):
        hm = trace_named(fig, k)
        assert (hm.zmin, hm.zmax) == (-1.0, 1.0)
        assert hm.colorscale == colorscale_of(DIVERGING)
    c = trace_named(fig, "c")
    m = float(np.max(np.abs(trace.c)))
    assert (c.zmin, c.zmax) == (-m, m)
    assert c.colorscale == colorscale_of(DIVERGING)
    # one colourbar per row, each centred on its own row (no two in the same place)
    assert len({round(t.colorbar.y, 6) for t in fig.data}) == len(QUANTITIES)


def test_gate_heatmaps_height_scales_with_rows(trace):
    h6 = gate_heatmaps(trace).layout.height
    h2 = gate_heatmaps(trace, quantities=("f", "c")).layout.height
    assert 100 * 6 < h6 < 200 * 6
    assert h6 - h2 == pytest.approx(4 * (130 + 34))


def test_gate_heatmaps_selected_step_in_every_row(trace):
    assert len(gate_heatmaps(trace).layout.shapes) == 0
    fig = gate_heatmaps(trace, step=4)
    # short sequence: the column t = 5 is outlined (halo + line) in each of the 6 rows
    assert len(fig.layout.shapes) == 2 * 6
    assert step_shapes_x(fig) == {(4.5, 5.5)}
    assert {s.yref for s in fig.layout.shapes} == {f"y{'' if r == 1 else r} domain" for r in range(1, 7)}
    assert fig.layout.xaxis6.title.text == "step t"  # the marker shows the step; cached figures move only it
    long = lstm_trace(T=300, H=2)
    assert step_shapes_x(gate_heatmaps(long, step=299, quantities="fc")) == {(300, 300)}  # a line at t = T


def test_gate_heatmaps_subset_and_rnn_trace():
    rt = rnn_forward(init_rnn(2, 3, seed=1), np.ones((7, 2)))
    fig = gate_heatmaps(rt, quantities=("h",), step=6)
    np.testing.assert_array_equal(np.asarray(fig.data[0].z), rt.h.T)
    with pytest.raises(ValueError, match="trace"):
        gate_heatmaps(rt)  # an RNN has no gates


@pytest.mark.parametrize("step", [-1, 12, 2.0, True, "3"])
def test_gate_heatmaps_bad_step(trace, step):
    with pytest.raises(ValueError, match="step"):
        gate_heatmaps(trace, step=step)


@pytest.mark.parametrize("quantities", [(), ("z",), ("f", "f"), ("x",)])
def test_gate_heatmaps_bad_quantities(trace, quantities):
    with pytest.raises(ValueError, match="quantities"):
        gate_heatmaps(trace, quantities=quantities)


def test_gate_heatmaps_rejects_batched_trace():
    p = init_lstm(2, 3, seed=0)
    bt = lstm_forward(p, np.zeros((4, 2, 2)))
    with pytest.raises(ValueError, match="trace"):
        gate_heatmaps(bt)


def test_single_step_sequence_works_everywhere():
    t1 = lstm_trace(T=1, H=3)
    fig = gate_heatmaps(t1, step=0)
    assert np.asarray(trace_named(fig, "f").z).shape == (3, 1)
    assert not bad_numbers(fig)
    fig = unit_lines(t1, [0, 2], step=0)
    assert len(fig.data) == 6 * 2
    assert not bad_numbers(fig)


def test_c_all_zero_gets_a_valid_range():
    class Zero:
        c = np.zeros((3, 2))
    hm = gate_heatmaps(Zero(), quantities=("c",)).data[0]
    assert (hm.zmin, hm.zmax) == (-1.0, 1.0)


def test_large_trace_builds_fast():
    big = lstm_trace(T=2000, H=64, D=3)
    t0 = time.perf_counter()
    fig = gate_heatmaps(big, step=1500)
    elapsed = time.perf_counter() - t0
    print(f"gate_heatmaps T=2000 H=64: {elapsed * 1000:.0f} ms")
    assert elapsed < 10
    assert len(fig.data) == 6  # one Heatmap per row, no per-cell shapes
    assert len(fig.layout.shapes) == 12
    t0 = time.perf_counter()
    unit_lines(big, list(range(8)), step=0)
    print(f"unit_lines T=2000 8 units: {(time.perf_counter() - t0) * 1000:.0f} ms")


# ------------------------------------------------------------------------------------------ unit_lines
def test_unit_lines_data_names_and_styles(trace):
    units = [0, 2, 4]
    fig = unit_lines(trace, units, quantities=("f", "c"), step=3)
    assert [t.name for t in fig.data] == [f"{k} · unit {u + 1}" for k in ("f", "c") for u in units]
    for k in ("f", "c"):
        for j, u in enumerate(units):
            tr = trace_named(fig, f"{k} · unit {u + 1}")
            np.testing.assert_array_equal(np.asarray(tr.y), getattr(trace, k)[:, u])
            np.testing.assert_array_equal(np.asarray(tr.x), np.arange(1, trace.T + 1))
            assert tr.line.color == COLORS[k]
    dashes = [trace_named(fig, f"f · unit {u + 1}").line.dash for u in units]
    assert len(set(dashes)) == len(units)  # dash by unit
    assert [trace_named(fig, f"c · unit {u + 1}").line.dash for u in units] == dashes
    assert step_shapes_x(fig) == {(4, 4)}
    assert fig.layout.yaxis.range == (-0.05, 1.05)  # f row: the gate's full range
    assert not bad_numbers(fig)


@pytest.mark.parametrize("units", [list(range(9)), [], [5], [-1], [0, 0], [True], [1.0], "ab"])
def test_unit_lines_bad_units(trace, units):
    with pytest.raises(ValueError, match="units"):
        unit_lines(trace, units)


def test_unit_lines_single_int_and_bad_step(trace):
    assert len(unit_lines(trace, 1, quantities=("h",)).data) == 1
    with pytest.raises(ValueError, match="step"):
        unit_lines(trace, [0], step=99)


# ------------------------------------------------------------------------------------------ saturation_bars
def test_saturation_bars_percentages_and_text():
    sat = {"o": (0.0, 0.5), "i": (0.25, 0.0004), "f": (0.0, 0.9), "g": (0.1, 0.2)}
    fig = saturation_bars(sat)
    shut, open_ = fig.data
    assert shut.name == "saturated shut" and open_.name == "saturated open"
    assert shut.orientation == "h"
    order = ["i", "f", "g", "o"]  # the gates in their usual order whatever the dict order
    np.testing.assert_allclose(shut.x, [100 * sat[k][0] for k in order])
    np.testing.assert_allclose(open_.x, [100 * sat[k][1] for k in order])
    assert list(shut.text) == ["shut 25.0 %", "shut 0 %", "shut 10.0 %", "shut 0 %"]
    assert open_.text[0] == "open < 0.1 %"  # a tiny share is not rounded to 0
    assert "g < -0.9" in shut.customdata[2] and "f > 0.95" in open_.customdata[1]
    assert not bad_numbers(fig)


@pytest.mark.parametrize(
    "sat", [{}, {"f": (1.2, 0.0)}, {"f": (-0.1, 0.0)}, {"f": (0.6, 0.6)}, {"f": (np.nan, 0.0)}, {"f": 0.3}, [1]]
)
def test_saturation_bars_bad_input(sat):
    with pytest.raises(ValueError, match="saturation"):
        saturation_bars(sat)
