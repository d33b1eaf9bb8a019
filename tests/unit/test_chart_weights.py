"""charts.weights: weight heatmaps (one matrix, four gate blocks) and the input sequence."""

from __future__ import annotations

import numpy as np
import pytest

from charts.style import DIVERGING, SEQUENTIAL
from charts.weights import gate_weight_heatmaps, input_lines, weight_heatmap
from lstm_core import init_lstm, init_rnn
from tests.helpers import bad_numbers, colorscale_of, step_shapes_x, trace_named


@pytest.fixture(scope="module")
def params():
    return init_lstm(3, 5, seed=4)


# ------------------------------------------------------------------------------------------ weight_heatmap
def test_weight_heatmap_exact_symmetric_and_1_based(params):
    w = params.weight_hh
    fig = weight_heatmap(w, title="W_hh", x_label="from unit", y_label="row")
    (hm,) = fig.data
    np.testing.assert_array_equal(np.asarray(hm.z), w)
    np.testing.assert_array_equal(np.asarray(hm.x), np.arange(1, 6))
    np.testing.assert_array_equal(np.asarray(hm.y), np.arange(1, 21))
    m = float(np.max(np.abs(w)))
    assert (hm.zmin, hm.zmax, hm.zmid) == (-m, m, 0.0)
    assert hm.colorscale == colorscale_of(DIVERGING)
    assert hm.texttemplate is None  # 20 rows > 8: no cell text (see the next test)
    assert "%{z:.4g}" in hm.hovertemplate
    assert fig.layout.yaxis.autorange == "reversed"  # row 1 at the top
    assert fig.layout.title.text == "W_hh"
    assert fig.layout.xaxis.title.text == "from unit" and fig.layout.yaxis.title.text == "row"
    assert not bad_numbers(fig)


def test_weight_heatmap_text_only_for_small_matrices():
    rng = np.random.default_rng(0)
    assert weight_heatmap(rng.normal(size=(8, 8)), title="a", x_label="x", y_label="y").data[0].texttemplate
    assert weight_heatmap(rng.normal(size=(9, 4)), title="a", x_label="x", y_label="y").data[0].texttemplate is None
    assert weight_heatmap(rng.normal(size=(4, 64)), title="a", x_label="x", y_label="y").data[0].texttemplate is None


def test_weight_heatmap_bias_is_a_column(params):
    b = params.bias_ih
    hm = weight_heatmap(b, title="b_ih", x_label="", y_label="row").data[0]
    np.testing.assert_array_equal(np.asarray(hm.z), b[:, None])
    assert np.asarray(hm.z).shape == (20, 1)


def test_weight_heatmap_not_symmetric_uses_data_range():
    a = np.array([[0.5, 2.0], [1.0, 1.5]])
    hm = weight_heatmap(a, title="t", x_label="x", y_label="y", symmetric=False).data[0]
    assert (hm.zmin, hm.zmax) == (0.5, 2.0)
    assert hm.colorscale == colorscale_of(SEQUENTIAL)
    z = weight_heatmap(np.zeros((2, 2)), title="t", x_label="x", y_label="y").data[0]
    assert (z.zmin, z.zmax) == (-1.0, 1.0)  # all zero: still a valid range


@pytest.mark.parametrize("bad", [np.zeros((2, 2, 2)), np.array([[1.0, np.nan]]), np.array([]), [["a"]], 3.0])
def test_weight_heatmap_bad_matrix(bad):
    with pytest.raises(ValueError, match="matrix"):
        weight_heatmap(bad, title="t", x_label="x", y_label="y")


# ------------------------------------------------------------------------------------------ gate_weight_heatmaps
@pytest.mark.parametrize("which, shape", [("weight_hh", (5, 5)), ("weight_ih", (5, 3)), ("bias_hh", (5, 1))])
def test_gate_weight_heatmaps_blocks_and_shared_range(params, which, shape):
    fig = gate_weight_heatmaps(params, which)
    assert [t.name for t in fig.data] == ["i", "f", "g", "o"]
    m = float(np.max(np.abs(getattr(params, which))))
    for k in "ifgo":
        hm = trace_named(fig, k)
        block = params.gate_block(which, k)
        np.testing.assert_array_equal(np.asarray(hm.z), block if block.ndim == 2 else block[:, None])
        assert np.asarray(hm.z).shape == shape
        assert (hm.zmin, hm.zmax) == (-m, m)
    assert [t.showscale for t in fig.data] == [False, False, False, True]  # one colourbar
    assert fig.layout.xaxis4.anchor == "y4"
    assert not bad_numbers(fig)


def test_gate_weight_heatmaps_default_is_recurrent(params):
    np.testing.assert_array_equal(np.asarray(gate_weight_heatmaps(params).data[1].z), params.gate_block("weight_hh", "f"))


def test_gate_weight_heatmaps_bad_args(params):
    with pytest.raises(ValueError, match="which"):
        gate_weight_heatmaps(params, "weight_xx")
    with pytest.raises(ValueError, match="params"):
        gate_weight_heatmaps(init_rnn(3, 5), "weight_hh")


def test_gate_weight_heatmaps_large():
    fig = gate_weight_heatmaps(init_lstm(64, 64, seed=0))
    assert all(t.texttemplate is None for t in fig.data)
    assert not bad_numbers(fig)


# ------------------------------------------------------------------------------------------ input_lines
def test_input_lines_one_line_per_channel():
    x = np.random.default_rng(1).normal(size=(25, 3))
    fig = input_lines(x, step=7)
    assert [t.name for t in fig.data] == ["x · input 1", "x · input 2", "x · input 3"]
    for d in range(3):
        np.testing.assert_array_equal(np.asarray(fig.data[d].y), x[:, d])
        np.testing.assert_array_equal(np.asarray(fig.data[d].x), np.arange(1, 26))
    assert step_shapes_x(fig) == {(8, 8)}
    assert fig.layout.xaxis.title.text == "step t"  # the marker shows the step; cached figures move only it
    assert not bad_numbers(fig)
    assert len(input_lines(x).layout.shapes) == 0


def test_input_lines_limits():
    assert len(input_lines(np.zeros((1, 64)), step=0).data) == 64  # T = 1 and the maximum D both work
    with pytest.raises(ValueError, match="x"):
        input_lines(np.zeros((5, 65)))
    with pytest.raises(ValueError, match="x"):
        input_lines(np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match="x"):
        input_lines(np.array([[np.inf, 0.0]]))
    with pytest.raises(ValueError, match="step"):
        input_lines(np.zeros((5, 2)), step=5)
