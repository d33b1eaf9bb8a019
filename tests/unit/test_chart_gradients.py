"""charts.gradients: gradient-norm curves and path factors on log axes — exact data, gaps instead of log(0)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from charts.gradients import GAP_NOTE, gradient_flow, log_ticks, path_factors
from charts.style import COLORS
from lstm_core import init_lstm, init_rnn, lstm_backward, lstm_forward, rnn_backward, rnn_forward
from tests.helpers import as_float, bad_numbers, trace_named

LC, LH, RH = "LSTM ‖dL/dc_t‖", "LSTM ‖dL/dh_t‖", "RNN ‖dL/dh_t‖"


def norms_from_core(T: int = 30, H: int = 6, seed: int = 0) -> dict[str, np.ndarray]:
    """Per-step gradient norms computed here with numpy from real traces (loss reads only the last h)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, 2))
    pl, pr = init_lstm(2, H, seed=seed, forget_bias=2.0), init_rnn(2, H, seed=seed, spectral_radius=0.9)
    dh = np.zeros((T, H))
    dh[-1] = 1.0
    gl = lstm_backward(pl, lstm_forward(pl, x), dh)
    gr = rnn_backward(pr, rnn_forward(pr, x), dh)
    return {LC: np.linalg.norm(gl.dc, axis=1), LH: np.linalg.norm(gl.dh, axis=1), RH: np.linalg.norm(gr.dh, axis=1)}


def carousel_of(f: np.ndarray) -> np.ndarray:
    """∏_{s=t+1}^{T−1} f_s per unit (0-based), computed directly, for the tests."""
    out = np.ones_like(f)
    for t in range(f.shape[0] - 2, -1, -1):
        out[t] = out[t + 1] * f[t + 1]
    return out


# ------------------------------------------------------------------------------------------ gradient_flow
def test_gradient_flow_exact_data_log_axis_and_styles():
    curves = norms_from_core()
    fig = gradient_flow(curves, title="Gradient flow")
    assert [t.name for t in fig.data] == [LC, LH, RH]
    for name, a in curves.items():
        tr = trace_named(fig, name)
        np.testing.assert_array_equal(np.asarray(tr.y, dtype=float), a)  # all positive: exactly the array
        np.testing.assert_array_equal(np.asarray(tr.x), np.arange(1, a.size + 1))
        assert "%{y:.3e}" in tr.hovertemplate
    assert fig.layout.yaxis.type == "log"
    assert trace_named(fig, LC).line.color == COLORS["lstm"] == trace_named(fig, LH).line.color
    assert trace_named(fig, RH).line.color == COLORS["rnn"]
    assert trace_named(fig, LC).line.dash == "solid"
    assert trace_named(fig, LH).line.dash == "dashdot"  # LSTM has a dc curve too
    assert trace_named(fig, RH).line.dash == "dash"  # the RNN differs from the LSTM in dash, not only in hue
    assert fig.layout.title.text == "Gradient flow"
    assert trace_named(fig, LC).mode == "lines+markers"  # T = 30: markers on
    assert not bad_numbers(fig)


def test_gradient_flow_zeros_and_overflow_become_gaps_not_nan():
    a = np.array([0.0, 1e-300, 5e-324, 2.0, np.inf, 3.0])
    b = np.array([1.0, 2.0, 3.0, np.nan, 0.0, 4.0])
    fig = gradient_flow({"RNN ‖dL/dh_t‖": a, "LSTM ‖dL/dc_t‖": b})
    ya, yb = fig.data[0].y, fig.data[1].y
    assert list(ya) == [None, 1e-300, 5e-324, 2.0, None, 3.0]
    assert list(yb) == [1.0, 2.0, 3.0, None, None, 4.0]
    ok = np.isfinite(a) & (a > 0)
    np.testing.assert_array_equal(as_float(ya)[ok], a[ok])  # kept values are exact
    assert GAP_NOTE in fig.layout.xaxis.title.text
    assert not bad_numbers(fig)


def test_gradient_flow_linear_keeps_zeros():
    a = np.array([0.0, 1.0, 0.5])
    fig = gradient_flow({"RNN ‖dL/dh_t‖": a}, log=False)
    assert fig.layout.yaxis.type == "linear"
    np.testing.assert_array_equal(np.asarray(fig.data[0].y), a)
    assert "gaps" not in fig.layout.xaxis.title.text


def test_gradient_flow_half_life_markers():
    curves = norms_from_core(T=40)
    fig = gradient_flow(curves, half_lives={"LSTM": 12, "RNN": 3})
    xs = sorted(s.x0 for s in fig.layout.shapes)
    assert xs == [40 - 12, 40 - 3]
    labels = [a.text for a in fig.layout.annotations]
    assert "half-life (LSTM): 12 steps" in labels and "half-life (RNN): 3 steps" in labels
    assert {s.line.color for s in fig.layout.shapes} == {COLORS["lstm"], COLORS["rnn"]}
    fig = gradient_flow(curves, half_lives={"LSTM": None, "RNN": 3})
    assert len(fig.layout.shapes) == 1
    assert "LSTM: never falls to half within 40 steps (no half-life)" in fig.layout.xaxis.title.text


@pytest.mark.parametrize("k", [0, 40, 41, -1, 2.5, True])
def test_gradient_flow_bad_half_life(k):
    with pytest.raises(ValueError, match="half_lives"):
        gradient_flow(norms_from_core(T=40), half_lives={"RNN": k})


@pytest.mark.parametrize(
    "curves",
    [{}, {"RNN": np.ones(3), "LSTM": np.ones(4)}, {"RNN": np.ones((3, 2))}, {"RNN": np.array([1.0, -1.0])},
     {"RNN": "abc"}, [np.ones(3)]],
)
def test_gradient_flow_bad_curves(curves):
    with pytest.raises(ValueError, match="curves"):
        gradient_flow(curves)


def test_gradient_flow_single_step_and_other_names():
    fig = gradient_flow({"RNN ‖dL/dh_t‖": np.array([0.7]), "GRU ‖dL/dh_t‖": np.array([0.5])})
    assert list(np.asarray(fig.data[0].y)) == [0.7]
    assert fig.data[1].line.color not in (COLORS["lstm"], COLORS["rnn"])
    assert not bad_numbers(fig)


def test_log_ticks_whole_decades():
    assert log_ticks(np.array([1e-300, 1.0])) == {"dtick": 50, "tick0": 0}
    assert log_ticks(np.array([1e-3, 2.0])) == {"dtick": 1, "tick0": 0}
    assert log_ticks(np.array([0.3, 0.9])) == {"dtick": "D2"}
    assert log_ticks(np.array([0.0, np.inf])) == {}


# ------------------------------------------------------------------------------------------ path_factors
@pytest.fixture(scope="module")
def factors():
    rng = np.random.default_rng(3)
    T, H = 50, 12
    f = 1.0 / (1.0 + np.exp(-rng.normal(2.0, 1.0, size=(T, H))))
    rnn = 0.7 ** np.arange(T - 1, -1, -1.0)
    return carousel_of(f), rnn


def test_path_factors_median_band_and_rnn(factors):
    car, rnn = factors
    fig = path_factors(car, rnn, title="Why one survives")
    med = trace_named(fig, "LSTM cell path ∏ f (median over units)")
    np.testing.assert_array_equal(np.asarray(med.y, dtype=float), np.median(car, axis=1))
    np.testing.assert_array_equal(np.asarray(med.customdata), np.stack([car.min(1), car.max(1)], axis=1))
    band = trace_named(fig, "LSTM ∏ f: min–max over units")  # H = 12 > 8: a band
    T = car.shape[0]
    np.testing.assert_array_equal(np.asarray(band.y)[:T], car.max(1))
    np.testing.assert_array_equal(np.asarray(band.y)[T:], car.min(1)[::-1])
    r = trace_named(fig, "RNN ‖∏ W_hhᵀ diag(1−h²)‖")
    np.testing.assert_array_equal(np.asarray(r.y, dtype=float), rnn)
    assert r.line.color == COLORS["rnn"] and med.line.color == COLORS["lstm"]
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.xaxis.title.text == "step t"
    assert not bad_numbers(fig)


def test_path_factors_per_unit_lines_for_small_h():
    f = np.full((6, 3), 0.5)
    f[:, 1] = 0.9
    car = carousel_of(f)
    fig = path_factors(car, np.ones(6))
    for u in range(3):
        np.testing.assert_array_equal(np.asarray(trace_named(fig, f"LSTM ∏ f · unit {u + 1}").y), car[:, u])
    assert not any("min–max" in t.name for t in fig.data)
    assert len(path_factors(car[:, :1], np.ones(6)).data) == 2  # H = 1: just the line (and the RNN)


def test_path_factors_underflow_gaps():
    car = np.array([[0.0, 0.0], [1e-200, 0.0], [1.0, 1.0]])
    rnn = np.array([0.0, np.inf, 1.0])
    fig = path_factors(car, rnn)
    med = trace_named(fig, "LSTM cell path ∏ f (median over units)")
    assert list(med.y) == [None, 5e-201, 1.0]
    assert list(trace_named(fig, "RNN ‖∏ W_hhᵀ diag(1−h²)‖").y) == [None, None, 1.0]
    assert GAP_NOTE in fig.layout.xaxis.title.text
    assert not bad_numbers(fig)


@pytest.mark.parametrize(
    "car, rnn, name",
    [(np.ones(5), np.ones(5), "carousel"), (np.ones((5, 2)), np.ones(4), "rnn_factor"),
     (np.ones((5, 2)), np.ones((5, 1)), "rnn_factor"), (-np.ones((5, 2)), np.ones(5), "carousel"),
     (np.full((5, 2), np.nan), np.ones(5), "carousel"), (np.ones((5, 2)), -np.ones(5), "rnn_factor")],
)
def test_path_factors_bad_input(car, rnn, name):
    with pytest.raises(ValueError, match=name):
        path_factors(car, rnn)


def test_path_factors_single_step_and_large():
    fig = path_factors(np.ones((1, 4)), np.ones(1))
    assert not bad_numbers(fig)
    rng = np.random.default_rng(0)
    f = rng.uniform(0.05, 0.99, size=(2000, 64))
    car = carousel_of(f)  # underflows to 0 for many early steps
    rnn = 0.5 ** np.arange(1999, -1, -1.0)
    t0 = time.perf_counter()
    fig = path_factors(car, rnn)
    print(f"path_factors T=2000 H=64: {(time.perf_counter() - t0) * 1000:.0f} ms")
    assert not bad_numbers(fig)
    band = trace_named(fig, "LSTM ∏ f: min–max over units")
    assert np.all(np.asarray(band.y) > 0)  # zeros drawn at the axis floor, never log(0)
