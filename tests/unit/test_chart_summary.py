"""charts.summary: every chart's one-line text summary is computed from the data it draws (issue 17)."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from charts.cell import cell_diagram, unit_bars
from charts.gradients import gradient_flow, path_factors
from charts.summary import (MAX_SERIES, bar_sentence, figure_summary, heatmap_sentence, line_sentence, number,
                            plain)
from charts.timeline import gate_heatmaps, saturation_bars
from lstm_core import init_lstm, lstm_backward, lstm_forward
from lstm_core.analysis import gate_saturation


@pytest.fixture(scope="module")
def run():
    p = init_lstm(2, 4, seed=3)
    tr = lstm_forward(p, np.random.default_rng(3).normal(size=(40, 2)))
    dh = np.zeros((40, 4))
    dh[-1] = 1.0
    return tr, lstm_backward(p, tr, dh)


@pytest.mark.parametrize("v, text", [(1.0, "1"), (0.000123, "1.2e−4"), (-0.5, "−0.5"), (1234.4, "1234"),
                                     (1000.0, "1000"), (0.1234, "0.123"), (40.0, "40"), (2.5e7, "2.5e7"), (0.0, "0"),
                                     (float("inf"), "∞")])
def test_number_reads_as_said(v, text):
    assert number(v) == text


def test_plain_turns_rich_text_into_text():
    assert plain("c<sub>t</sub> =<br><b>1</b>") == "c_t = 1"


def test_the_issue_example_gradient_sentence():
    """'‖∂L/∂c‖ falls from 1 at t = 40 to 1.2e-4 at t = 1', read backwards as the gradient flows."""
    a = np.geomspace(1.2e-4, 1.0, 40)  # a[0] at t = 1, a[-1] at t = 40
    s = figure_summary(gradient_flow({"LSTM ‖∂L/∂c‖": a}).to_dict())
    assert s == "LSTM ‖∂L/∂c‖ falls from 1 at t = 40 to 1.2e−4 at t = 1."


def test_line_sentence_names_the_extreme_in_between():
    y = np.array([0.5, 2.0, -1.0, 0.7])
    assert line_sentence("h", [1, 2, 3, 4], y, symbol="t") == \
        "h rises from 0.5 at t = 1 to 0.7 at t = 4 (highest 2 at t = 2, lowest −1 at t = 3)"
    assert line_sentence("h", [1, 2], [3.0, 3.0], symbol="t") == "h stays at 3 from t = 1 to t = 2"
    assert line_sentence("h", [1, 2, 3], [None, 0.25, None], symbol="t") == "h is 0.25 at t = 2"  # gaps skipped
    assert line_sentence("h", [1], [None]) is None


def test_heatmap_sentence_finds_the_cells_of_the_data(run):
    tr, _ = run
    s = figure_summary(gate_heatmaps(tr, quantities=("f",)).to_dict())
    z = tr.f.T  # unit × step
    (r0, c0), (r1, c1) = (np.unravel_index(z.argmin(), z.shape), np.unravel_index(z.argmax(), z.shape))
    assert s == (f"f ranges from {number(z.min())} (t = {c0 + 1}, unit {r0 + 1}) to {number(z.max())} "
                 f"(t = {c1 + 1}, unit {r1 + 1}).")
    assert heatmap_sentence("w", np.full((2, 2), 0.5)) == "w is 0.5 everywhere"


def test_bar_sentences_vertical_and_horizontal(run):
    tr, _ = run
    s = figure_summary(unit_bars(tr, 6).to_dict())
    for q in "ifgoch":
        v = getattr(tr, q)[6]
        assert f"{q}: largest {number(v.max())} at unit {v.argmax() + 1}, smallest {number(v.min())} at unit " \
               f"{v.argmin() + 1}" in s
    sat = gate_saturation(tr)
    s = figure_summary(saturation_bars(sat).to_dict())
    assert s.count("saturated") == 2 and "%" not in s.split(":")[0]
    assert bar_sentence("b", ["a", "b"], [1.0, 3.0]) == "b: largest 3 at b, smallest 1 at a"


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_cell_diagram_sentence_is_its_printed_values_at_the_shown_step(run, mode):
    tr, gr = run
    s = figure_summary(cell_diagram(tr, 9, 2, grads=gr, mode=mode).to_dict())
    assert "unit 3 of 4, step t = 10 of 40" in s
    if mode == "forward":
        assert f"forget gate f_t = {number(tr.f[9, 2])}" in s and f"cell state c_t = {number(tr.c[9, 2])}" in s
    else:
        assert f"dL/dc_t = {number(gr.dc[9, 2])}" in s and f"dL/dz_f (forget gate pre-activation) = " \
               f"{number(gr.dz_f[9, 2])}" in s
    assert "nodes" not in s and "edge" not in s  # the drawing itself is not read out
    # the compact (phone) layout prints few labels but its summary still says every value
    assert figure_summary(cell_diagram(tr, 9, 2, grads=gr, mode=mode, compact=True).to_dict()) == s


def test_summary_of_the_json_st_plotly_chart_sends_is_the_same(run):
    """Arrays arrive base64-encoded in the browser's JSON: the sentence must not change."""
    tr, gr = run
    for fig in (gate_heatmaps(tr), unit_bars(tr, 3), cell_diagram(tr, 3, 0),
                path_factors(np.cumprod(tr.f[::-1], axis=0)[::-1], np.geomspace(1e-6, 1, 40))):
        assert figure_summary(fig.to_dict()) == figure_summary(json.loads(fig.to_json()))


def test_legend_stubs_bands_and_hidden_traces_are_not_read_out():
    fig = go.Figure([
        go.Scatter(x=[None], y=[None], name="legend only"),
        go.Scatter(x=[1, 2], y=[1, 2], name="band", hoverinfo="skip"),
        go.Scatter(x=[1, 2], y=[5, 1], name="shown"),
        go.Scatter(x=[1, 2], y=[5, 1], name="hidden", visible="legendonly"),
    ])
    fig.update_layout(title="T", xaxis_title="step t")
    assert figure_summary(fig.to_dict()) == "T: shown falls from 5 at t = 1 to 1 at t = 2."
    many = go.Figure([go.Scatter(x=[1, 2], y=[k, k + 1], name=f"s{k}") for k in range(MAX_SERIES + 2)])
    assert figure_summary(many.to_dict()).endswith("; and 2 more series.")
    assert figure_summary(go.Figure().to_dict()) == "The chart has no finite values to show."
