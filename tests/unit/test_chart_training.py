"""charts.training: the curves and the gradient strip draw exactly the given numbers; log gaps are None, never NaN."""

from __future__ import annotations

import json

import numpy as np
import plotly.io as pio
import pytest

from charts.style import COLORS
from charts.training import (STRIP_MAX_ROWS, gradient_strip, log_norms, shared_zrange, strip_rows,
                             training_curves)
from lstm_core.train import TrainConfig, train


def as_float(v) -> np.ndarray:
    return np.array([np.nan if e is None else e for e in np.asarray(v, dtype=object).ravel()], dtype=float)


def by_name(fig) -> dict:
    return {t.name: t for t in fig.data}


@pytest.fixture(scope="module")
def real_rows():
    """Reports of a tiny real run of both models (well under a second)."""
    out, norms = {}, {}
    for m in ("lstm", "rnn"):
        cfg = TrainConfig(model=m, gap=4, hidden=4, batch=8, steps=30, test_size=16, eval_every=10)
        ps = list(train(cfg))
        out[m] = [p.row() for p in ps]
        norms[m] = (np.array([p.iteration for p in ps]), np.array([p.step_norms for p in ps]))
    return out, norms


def test_curves_draw_exactly_the_rows(real_rows):
    rows, _ = real_rows
    fig = training_curves(rows, chance=0.25)
    t = by_name(fig)
    for m, name in (("lstm", "LSTM"), ("rnn", "RNN")):
        its = [r["iteration"] for r in rows[m]]
        for key, trace in (("train_loss", "train loss"), ("test_loss", "test loss"), ("accuracy", "test accuracy")):
            tr = t[f"{name} {trace}"]
            np.testing.assert_array_equal(tr.x, its)
            np.testing.assert_array_equal(tr.y, [r[key] for r in rows[m]])
            assert tr.line.color == COLORS[m]
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis2.tickformat == ".0%"
    assert any(s.y0 == 0.25 and s.y1 == 0.25 for s in fig.layout.shapes), "chance line"
    assert "chance (0.25)" in t


def test_curves_in_seconds_and_for_regression():
    rows = [dict(iteration=10, seconds=0.5, train_loss=0.3, test_loss=0.2, accuracy=None, mse=0.2),
            dict(iteration=20, seconds=1.25, train_loss=0.1, test_loss=0.0, accuracy=None, mse=0.0)]
    fig = training_curves({"lstm": rows}, chance=1 / 6, x="seconds")
    t = by_name(fig)
    np.testing.assert_array_equal(t["LSTM test MSE"].x, [0.5, 1.25])
    np.testing.assert_array_equal(t["LSTM test MSE"].y, [0.2, 0.0])  # linear axis: 0 is drawn
    assert list(t["LSTM test loss"].y) == [0.2, None], "log axis: a zero loss is a gap, not NaN"
    assert "baseline (0.167)" in t
    assert "NaN" not in pio.to_json(fig)


def test_curves_reject_bad_arguments_and_accept_empty():
    with pytest.raises(ValueError, match="history"):
        training_curves([1, 2])
    with pytest.raises(ValueError, match="x:"):
        training_curves({}, x="epochs")
    assert len(training_curves({"lstm": []}).data) == 0


def test_strip_z_is_log10_of_the_norms(real_rows):
    _, norms = real_rows
    its, n = norms["rnn"]
    fig = gradient_strip(its, n, title="RNN", quantity="‖∂L/∂h_t‖")
    h = fig.data[0]
    np.testing.assert_array_equal(h.z, np.log10(n))
    np.testing.assert_array_equal(h.y, its)
    np.testing.assert_array_equal(h.x, np.arange(1, n.shape[1] + 1))
    assert h.zmin is None and "log₁₀ ‖∂L/∂h_t‖" in h.colorbar.title.text


def test_strip_zeros_are_blank_cells_not_nan():
    n = np.array([[0.0, 1e-3, 1.0], [1e-300, np.inf, 10.0]])
    fig = gradient_strip([5, 10], n, zrange=(-3, 1))
    z = fig.data[0].z
    assert z[0][0] is None and z[1][1] is None
    assert z[0][1] == pytest.approx(-3) and z[1][0] == pytest.approx(-300) and z[1][2] == 1.0
    assert (fig.data[0].zmin, fig.data[0].zmax) == (-3, 1)
    assert "blank: 0" in fig.data[0].colorbar.title.text
    assert "NaN" not in json.dumps(fig.to_plotly_json(), default=str)
    z2, gaps = log_norms(n)
    assert gaps == 2


def test_strip_keeps_first_and_last_rows_when_long():
    n = STRIP_MAX_ROWS * 3 + 7
    keep = strip_rows(n)
    assert keep[0] == 0 and keep[-1] == n - 1 and len(keep) <= STRIP_MAX_ROWS
    fig = gradient_strip(np.arange(n) * 10, np.ones((n, 4)))
    assert len(fig.data[0].y) == len(keep)


@pytest.mark.parametrize("its,norms,match", [
    ([1], np.ones(3), "step_norms"),
    ([1, 2], np.ones((3, 2)), "iterations"),
    ([1], -np.ones((1, 2)), "negative"),
])
def test_strip_rejects_bad_shapes(its, norms, match):
    with pytest.raises(ValueError, match=match):
        gradient_strip(its, norms)


def test_shared_zrange():
    assert shared_zrange(np.array([[1e-2, 0.0]]), np.array([[10.0]])) == pytest.approx((-2, 1))
    assert shared_zrange(np.zeros((1, 2))) is None and shared_zrange() is None
    assert shared_zrange(np.ones((2, 2))) == pytest.approx((-0.5, 0.5))
