"""Colour that everyone can read (issue 17): gate maps on a perceptually uniform scale, signed values on a diverging
scale centred at 0, models told apart by dash (and marker) as well as by hue, in Okabe–Ito colours."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from plotly.colors import hex_to_rgb, unlabel_rgb

from charts.explorer import jacobian_vs_gradient, length_sweep_chart
from charts.gradients import gradient_flow, path_factors
from charts.explorer import FIT_DASH, JACOBIAN_DASH
from charts.style import COLORS, DIVERGING, MODEL_DASH, MODEL_SYMBOL, SEQUENTIAL, model_line
from charts.timeline import gate_heatmaps
from charts.training import training_curves
from charts.weights import gate_weight_heatmaps, weight_heatmap
from lstm_core import init_lstm, lstm_forward
from tests.helpers import colorscale_of, trace_named

OKABE_ITO = {"#000000", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}


def lightness(color: str) -> float:
    """CIELAB L* (0 black … 100 white) of '#rrggbb' or 'rgb(r, g, b)'."""
    rgb = hex_to_rgb(color) if color.startswith("#") else unlabel_rgb(color)
    lin = [(c / 255) / 12.92 if c / 255 <= 0.04045 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in rgb]
    y = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return 116 * y ** (1 / 3) - 16 if y > 216 / 24389 else y * 24389 / 27


def test_sequential_scale_is_perceptually_ordered():
    """Viridis: lightness rises strictly from its first colour to its last, so 'more' reads as 'lighter' even in
    greyscale or for any colour-vision deficiency (a rainbow scale would fail here)."""
    L = [lightness(c) for _, c in colorscale_of(SEQUENTIAL)]
    assert all(b > a for a, b in zip(L, L[1:])), L
    assert L[-1] - L[0] > 60


def test_diverging_scale_is_lightest_at_its_centre_and_symmetric():
    scale = colorscale_of(DIVERGING)
    L = [lightness(c) for _, c in scale]
    mid = len(L) // 2
    assert np.argmax(L) == mid and scale[mid][0] == pytest.approx(0.5)
    assert all(b > a for a, b in zip(L[:mid], L[1:mid + 1])) and all(b < a for a, b in zip(L[mid:], L[mid + 1:]))
    assert abs(L[0] - L[-1]) < 12  # both ends about equally dark: neither sign looks 'stronger'


def test_model_and_gate_colours_are_okabe_ito():
    for k in ("i", "f", "g", "o", "c", "h", "lstm", "rnn"):
        assert COLORS[k].upper() in OKABE_ITO, k
    assert COLORS["lstm"] != COLORS["rnn"]


def test_gate_maps_sequential_and_signed_maps_centred_at_zero():
    tr = lstm_forward(init_lstm(2, 4, seed=1), np.random.default_rng(1).normal(size=(15, 2)))
    fig = gate_heatmaps(tr)
    for k in ("i", "f", "o"):
        hm = trace_named(fig, k)
        assert hm.colorscale == colorscale_of(SEQUENTIAL) and hm.zmid is None
    for k in ("g", "c", "h"):
        hm = trace_named(fig, k)
        assert hm.colorscale == colorscale_of(DIVERGING)
        assert hm.zmid == 0.0 and hm.zmin == -hm.zmax  # white is exactly 0


def test_weight_maps_are_diverging_centred_at_zero():
    p = init_lstm(3, 4, seed=0)
    for fig in (weight_heatmap(p.weight_hh, title="W", x_label="from", y_label="to"), gate_weight_heatmaps(p, "weight_ih")):
        for hm in fig.data:
            assert hm.colorscale == colorscale_of(DIVERGING)
            assert hm.zmid == 0.0 and hm.zmin == -hm.zmax


def styles(fig, names):
    return {n: (trace_named(fig, n).line.color, trace_named(fig, n).line.dash) for n in names}


def test_gradient_flow_models_differ_in_dash_as_well_as_hue():
    T = 20
    a = np.geomspace(1, 1e-3, T)
    names = ["LSTM ‖dL/dc_t‖", "RNN ‖dL/dh_t‖", "GRU ‖dL/dh_t‖"]
    fig = gradient_flow({n: a * (k + 1) for k, n in enumerate(names)})
    st = styles(fig, names)
    assert len({dash for _, dash in st.values()}) == 3  # three dashes ...
    assert [d for _, d in st.values()] == [MODEL_DASH["lstm"], MODEL_DASH["rnn"], MODEL_DASH["gru"]]
    assert st[names[0]][0] == COLORS["lstm"] and st[names[1]][0] == COLORS["rnn"]  # ... and their hues
    symbols = [trace_named(fig, n).marker.symbol for n in names]
    assert symbols == [MODEL_SYMBOL[m] for m in ("lstm", "rnn", "gru")]


def test_path_factors_and_jacobians_keep_model_dashes():
    car = np.geomspace(1, 0.5, 10)[:, None] * np.ones((1, 3))
    fig = path_factors(car, np.geomspace(1, 1e-4, 10))
    lstm = trace_named(fig, "LSTM cell path ∏ f (median over units)")
    rnn = trace_named(fig, "RNN ‖∏ W_hhᵀ diag(1−h²)‖")
    assert lstm.line.dash != rnn.line.dash and lstm.line.color != rnn.line.color
    a = np.geomspace(1e-3, 1, 10)
    fig = jacobian_vs_gradient({"LSTM J": a, "RNN J": a}, {"LSTM ‖dL/dc‖": a, "RNN ‖dL/dh‖": a})
    grads = [t for t in fig.data if "dL" in t.name]
    assert {t.line.dash for t in grads} == {MODEL_DASH["lstm"], MODEL_DASH["rnn"]}
    jacobians = [t for t in fig.data if " J" in t.name]
    assert jacobians and all(t.line.dash == JACOBIAN_DASH not in MODEL_DASH.values() for t in jacobians)


def test_length_sweep_and_training_curves_tell_models_apart_without_colour():
    sw = SimpleNamespace(lengths=np.array([5, 10, 20]), grad_at_first=np.array([1e-1, 1e-2, 1e-4]),
                         rate_per_step=float("nan"), intercept=float("nan"))
    fig = length_sweep_chart({"LSTM": sw, "RNN": sw})
    a, b = fig.data
    assert (a.marker.symbol, a.line.dash) != (b.marker.symbol, b.line.dash)
    assert a.marker.symbol != b.marker.symbol
    fitted = SimpleNamespace(**{**vars(sw), "rate_per_step": np.log(0.3), "intercept": 0.0})
    fig = length_sweep_chart({"LSTM": fitted, "RNN": fitted})
    fits = [t for t in fig.data if " fit" in t.name]
    measured = [t for t in fig.data if "measured" in t.name]
    assert len(fits) == 2 and all(t.line.dash == FIT_DASH not in {m.line.dash for m in measured} for t in fits)
    rows = [dict(iteration=i, seconds=i / 10, train_loss=1 / (i + 1), test_loss=1.1 / (i + 1), accuracy=0.5)
            for i in range(3)]
    fig = training_curves({"lstm": rows, "rnn": rows}, chance=0.25)
    legend = {t.name: t for t in fig.data if t.showlegend is not False and t.name in ("LSTM", "RNN")}
    assert legend["LSTM"].line.dash != legend["RNN"].line.dash
    assert legend["LSTM"].marker.symbol != legend["RNN"].marker.symbol
    for m in ("LSTM", "RNN"):  # each model's loss lines carry its marker: train/test already use the dash
        assert trace_named(fig, f"{m} train loss").marker.symbol == MODEL_SYMBOL[m.lower()]
    acc = [trace_named(fig, f"{m} test accuracy") for m in ("LSTM", "RNN")]
    assert acc[0].line.dash != acc[1].line.dash


def test_model_line_for_unknown_model_is_plain():
    assert model_line(None) == dict(color="#555555", width=3, dash="solid")
    assert model_line("rnn", width=2) == dict(color=COLORS["rnn"], width=2, dash=MODEL_DASH["rnn"])
    assert len(set(MODEL_DASH.values())) == len(MODEL_DASH) == len(set(MODEL_SYMBOL.values())) == 4  # all distinct
