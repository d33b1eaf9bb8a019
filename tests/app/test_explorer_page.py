"""Gradient explorer page under AppTest: every control (min / middle / max), the numbers on screen against the core,
and a click on a phase-diagram cell loading that configuration into the shared state.

The click goes through Streamlit's own widget path: AppTest has no API for a plotly selection, so ``select_cell``
sends the chart's widget state exactly as the browser does (a JSON string {"selection": {"points": […]}} under the
chart's element id) with the next run. Streamlit then deserialises it and calls the chart's on_select callback,
as it does for a real click. (Session State cannot stand in for it: a plotly chart's selection is read-only there.)
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.proto.WidgetStates_pb2 import WidgetState

from lstm_core import explore as E
from lstm_core.analysis import jacobian_norms, state_grad_norms
from lstm_core.losses import make_loss
from lstm_core.params import forget_bias_of, spectral_radius
from tests.helpers import decode, figure, json_trace, lab_of, mirror, open_app, page_file
from ui.explore import JACOBIAN_AUTO_SECONDS, jacobian_seconds

PAGE = page_file("explorer")


def open_view(view: str, query: dict | None = None):
    at = open_app(PAGE, query)
    if view != "phase":
        at.segmented_control(key="ex_view").set_value(view).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def floats(values) -> np.ndarray:
    """Figure data as floats; None (a gap) as NaN."""
    a = decode(values)
    return np.array([np.nan if v is None else v for v in a], dtype=float) if a.dtype == object else a.astype(float)


def select_cell(at, model: str, row: int, col: int, *, points: list | None = None):
    """Click cell (row, col) of the model's phase diagram, as the browser reports it (see the module docstring)."""
    chart = next(c for c in at.get("plotly_chart") if c.key == f"ex_phase_{model}")
    spec = json.loads(chart.proto.spec)
    index = next(i for i, t in enumerate(spec["data"]) if t.get("name") == "cells")
    cells = spec["data"][index]
    if points is None:
        B = int(max(c[1] for c in cells["customdata"])) + 1
        k = row * B + col
        points = [{"curve_number": index, "point_number": k, "point_index": k, "x": float(floats(cells["x"])[k]),
                   "y": float(floats(cells["y"])[k]), "customdata": cells["customdata"][k]}]
    states = at._tree.get_widget_states()
    ws = WidgetState(id=chart.proto.id)
    ws.string_value = json.dumps({"selection": {"points": points, "point_indices": [p.get("point_index", 0)
                                                                                   for p in points],
                                                "box": [], "lasso": []}})
    states.widgets.append(ws)
    at._run(states)
    assert not at.exception, [e.message for e in at.exception]
    return at


# ---- the page --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["phase", "sweep", "clip", "jacobian"])
def test_each_view_loads(view):
    at = open_view(view)
    assert at.header[0].value == "Gradient explorer"
    assert at.get("plotly_chart"), view


def test_clicking_the_shown_view_again_keeps_it():
    at = open_view("sweep")
    at.segmented_control(key="ex_view").set_value(None).run()  # what a click on the selected segment sends
    assert not at.exception
    assert at.segmented_control(key="ex_view").value == "sweep"
    assert {c.key for c in at.get("plotly_chart")} == {"ex_sweep_chart"}


# ---- phase diagrams --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("T, n", [(10, 21), (150, 21), (300, 21), (10, 41)])
def test_phase_controls_and_the_maps_are_the_core_grid(T, n):
    at = open_view("phase")
    at.slider(key="ex_phase_T").set_value(T).run()
    at.segmented_control(key="ex_phase_n").set_value(n).run()
    assert not at.exception
    lab = lab_of(at)
    H, D, seed = lab.lstm.hidden_size, lab.lstm.input_size, lab.cfg["seed"]
    for model in ("lstm", "gru", "rnn"):
        first, second = E.phase_axes(model, n)
        want = E.phase_grid(first, second, T=T, hidden_size=H, input_size=D, seed=seed, model=model,
                            bias_scale=E.PHASE_BIAS_SCALE)
        hm = next(t for t in figure(at, f"ex_phase_{model}")["data"] if t["type"] == "heatmap")
        np.testing.assert_array_equal(decode(hm["z"]), want)
        np.testing.assert_array_equal(decode(hm["x"]), second)


def test_the_gru_map_names_its_update_gate_bias_and_a_click_loads_its_radius():
    """The GRU has no forget gate: its map's rows are b_z, said on the axis, in the title and in the caption; a click
    loads the cell's ρ into the shared knob (which the lab's GRU takes too), b_z is named as not shared."""
    at = open_view("phase")
    fig = figure(at, "ex_phase_gru")
    assert fig["layout"]["yaxis"]["title"]["text"].startswith("update-gate bias b_z")
    assert "GRU: update-gate bias" in fig["layout"]["title"]["text"]
    text = " ".join(c.value for c in at.caption)
    assert "update-gate bias b_z (z near 1 keeps h)" in text and "GRU and RNN maps: ρ only" in text
    before = at.session_state["fb_on"], at.session_state["fb"]
    select_cell(at, "gru", 18, 6)
    first, second = E.phase_axes("gru", 21)
    assert at.session_state["rho_on"] and at.session_state["rho"] == pytest.approx(round(second[6] / 0.05) * 0.05)
    assert (at.session_state["fb_on"], at.session_state["fb"]) == before
    msg = at.success[0].value
    assert "update-gate bias b_z = +5" in msg and "not a shared setting" in msg, msg


def test_phase_caption_states_the_thresholds():
    at = open_view("phase")
    text = " ".join(c.value for c in at.caption)
    assert "below −1: less than a tenth" in text and "above +1" in text and "within a factor of ten" in text
    assert (E.VANISHING_BELOW, E.EXPLODING_ABOVE) == (-1.0, 1.0)
    assert "decades (powers of ten)" in text


@pytest.mark.parametrize("row, col, fb, rho, snapped", [
    (0, 0, -4.0, 0.1, False),  # a corner: on both slider grids already
    (16, 4, 4.0, 0.7, True),  # radius 0.68 is not on the 0.05 grid
    (20, 20, 6.0, 3.0, False),
])
def test_clicking_an_lstm_cell_loads_it_into_the_shared_state(row, col, fb, rho, snapped):
    at = open_view("phase")
    first, second = E.phase_axes("lstm", 21)
    assert first[row] == pytest.approx(fb) and second[col] == pytest.approx(rho, abs=0.025)
    select_cell(at, "lstm", row, col)
    assert (at.session_state["fb_on"], at.session_state["fb"]) == (True, fb)
    assert (at.session_state["rho_on"], at.session_state["rho"]) == (True, rho)
    lab = lab_of(at)
    assert lab.cfg["fb"] == fb and lab.cfg["rho"] == rho
    np.testing.assert_allclose(forget_bias_of(lab.lstm), fb)  # the lab other pages read now has it
    assert spectral_radius(lab.rnn.weight_hh) == pytest.approx(rho, rel=1e-9)
    assert at.query_params["fb"] in ([f"{fb:g}"], f"{fb:g}"), "the link carries it"
    msg = at.success[0].value
    assert "Loaded forget bias" in msg and f"ρ = {rho:g}" in msg and "Gradient flow" in msg
    assert ("rounded to the slider" in msg) == snapped
    # the green marker of the shared setting now sits on the clicked cell
    mark = json_trace(figure(at, "ex_phase_lstm"), "shared setting")
    assert floats(mark["x"])[0] == rho and floats(mark["y"])[0] == fb


def test_clicking_an_lstm_cell_at_41x41_snaps_the_forget_bias_and_says_so():
    at = open_view("phase")
    at.slider(key="ex_phase_T").set_value(10).run()
    at.segmented_control(key="ex_phase_n").set_value(41).run()
    select_cell(at, "lstm", 1, 0)  # b_f = −3.75
    assert at.session_state["fb"] == -4.0
    msg = at.success[0].value
    assert "b_f = −3.750 rounded to the slider's 0.5 steps" in msg


def test_clicking_an_rnn_cell_loads_the_radius_and_explains_the_input_scale():
    at = open_view("phase")
    before = at.session_state["fb_on"], at.session_state["fb"]
    select_cell(at, "rnn", 3, 10)
    first, second = E.phase_axes("rnn", 21)
    assert (at.session_state["rho_on"], at.session_state["rho"]) == (True, round(second[10] / 0.05) * 0.05)
    assert (at.session_state["fb_on"], at.session_state["fb"]) == before
    msg = at.success[0].value
    assert "not a shared setting" in msg and f"{first[3]:.2g}" in msg


def test_a_deselecting_click_changes_nothing_and_a_foreign_point_warns():
    at = open_view("phase")
    cfg = dict(lab_of(at).cfg)
    select_cell(at, "lstm", 0, 0, points=[])
    assert lab_of(at).cfg == cfg and not at.success
    at = open_view("phase")
    select_cell(at, "lstm", 0, 0, points=[{"x": 1.0, "y": 2.0, "curve_number": 0, "point_index": 0}])
    assert lab_of(at).cfg == cfg
    assert "not a cell" in at.warning[0].value


# ---- length sweep ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("T_max", [20, 510, 1000])
def test_length_sweep_slider_and_the_chart_is_the_core_sweep(T_max):
    at = open_view("sweep")
    at.slider(key="ex_sweep_T").set_value(T_max).run()
    assert not at.exception
    lab = lab_of(at)
    fig = figure(at, "ex_sweep_chart")
    text = " ".join(m.value for m in at.markdown)
    for name in ("LSTM", "RNN"):
        want = E.length_sweep(name.lower(), E.sweep_lengths(T_max), hidden_size=lab.lstm.hidden_size,
                              input_size=lab.lstm.input_size, seed=lab.cfg["seed"], bias_scale=E.PHASE_BIAS_SCALE)
        pts = json_trace(fig, f"{name}: measured")
        np.testing.assert_array_equal(floats(pts["x"]), want.lengths)
        np.testing.assert_array_equal(floats(pts["y"]), want.grad_at_first)
        assert f"×{np.exp(want.rate_per_step):.4g}" in text
        assert f"{want.half_life:.1f} steps" in text
        assert want.half_life == pytest.approx(np.log(2) / -want.rate_per_step)


def test_length_sweep_uses_the_knobs():
    at = open_view("sweep")
    at.toggle(key="fb_on").set_value(True).run()
    at.slider(key="fb").set_value(5.0).run()
    at.toggle(key="rho_on").set_value(True).run()
    at.slider(key="rho").set_value(0.5).run()
    assert not at.exception
    lab = lab_of(at)
    want = E.length_sweep("lstm", E.sweep_lengths(200), hidden_size=lab.lstm.hidden_size,
                          input_size=lab.lstm.input_size, seed=lab.cfg["seed"], forget_bias=5.0, spectral_radius=0.5,
                          bias_scale=E.PHASE_BIAS_SCALE)
    np.testing.assert_array_equal(floats(json_trace(figure(at, "ex_sweep_chart"), "LSTM: measured")["y"]),
                                  want.grad_at_first)
    text = " ".join(m.value for m in at.markdown)
    hl = want.half_life
    assert ("never" if np.isinf(hl) else f"{hl:.1f} steps") in text


# ---- clip and truncate -----------------------------------------------------------------------------------------------


def _metrics(at) -> list[str]:
    return [m.value for m in at.metric]


@pytest.mark.parametrize("k", [1, 20, 40])
@pytest.mark.parametrize("c", [0.001, 1.0, 1000.0])
def test_clip_and_truncate_controls_and_numbers_are_the_cores(k, c):
    at = open_view("clip")
    at.slider(key="ex_tbptt_k").set_value(k).run()
    at.select_slider(key="ex_clip").set_value(c).run()
    assert not at.exception
    lab = lab_of(at)
    from lstm_core import lstm_forward, rnn_forward
    shown = _metrics(at)
    for model, forward, p, q in (("lstm", lstm_forward, lab.lstm, "dc"), ("rnn", rnn_forward, lab.rnn, "dh")):
        tr = forward(p, lab.x)
        want = E.clip_and_truncate(p, tr, make_loss(lab.loss, **lab.loss_kwargs)(tr.h)[1], truncate=k, clip=c)
        fig = figure(at, f"ex_clip_chart_{model}")
        np.testing.assert_array_equal(floats(fig["data"][0]["y"]), want.full[q])
        after = floats(fig["data"][1]["y"])
        drawn = want.after[q] > 0
        np.testing.assert_array_equal(after[drawn], want.after[q][drawn])
        assert np.isnan(after[~drawn]).all()
        for v in (want.norm_full, want.norm_before, want.norm_after):
            assert f"{v:.3g}" in shown
    labels = [m.label for m in at.metric]
    assert f"with TBPTT k = {k}" in labels and f"after clipping at {c:g}" in labels


def test_clip_and_truncate_switched_off_shows_the_full_gradient():
    at = open_view("clip")
    at.toggle(key="ex_tbptt_on").set_value(False).run()
    at.toggle(key="ex_clip_on").set_value(False).run()
    assert not at.exception
    fig = figure(at, "ex_clip_chart_lstm")
    np.testing.assert_array_equal(floats(fig["data"][0]["y"]), floats(fig["data"][1]["y"]))
    assert not [s for s in fig["layout"].get("shapes", []) if s.get("type") == "rect"]
    assert "no clipping" in [m.label for m in at.metric]


def test_tbptt_window_follows_a_shorter_sequence():
    at = open_view("clip")
    at.slider(key="ex_tbptt_k").set_value(40).run()
    mirror(at, "number_input", "T_box").set_value(12).run()
    assert not at.exception
    assert at.slider(key="ex_tbptt_k").value == 12 and at.slider(key="ex_tbptt_k").max == 12


# ---- Jacobian --------------------------------------------------------------------------------------------------------


def test_jacobian_curves_are_the_exact_norms():
    at = open_view("jacobian")
    lab = lab_of(at)
    from lstm_core import lstm_backward, lstm_forward
    tr = lstm_forward(lab.lstm, lab.x)
    fig = figure(at, "ex_jacobian_chart")
    np.testing.assert_array_equal(floats(json_trace(fig, "LSTM ‖∂(h_T,c_T)/∂(h_t,c_t)‖₂")["y"]),
                                  jacobian_norms(lab.lstm, tr))
    g = lstm_backward(lab.lstm, tr, make_loss(lab.loss, **lab.loss_kwargs)(tr.h)[1])
    s = state_grad_norms(tr, g)
    solid = floats(json_trace(fig, "LSTM ‖∂L/∂(h_t, c_t)‖ ÷ its value at T")["y"])
    np.testing.assert_allclose(solid, s / s[-1], rtol=1e-15)
    assert np.all(solid <= jacobian_norms(lab.lstm, tr) * (1 + 1e-9)), "the Jacobian norm is an upper bound"
    text = " ".join(c.value for c in at.caption)
    assert f"bound {jacobian_norms(lab.lstm, tr)[0]:.3g}, loss gradient {s[0] / s[-1]:.3g}" in text


def test_a_costly_jacobian_waits_for_the_button(monkeypatch):
    """A server measured slow (1 s per step here, whatever this machine's speed) asks before computing, with the
    estimate on the button."""
    import ui.explore

    monkeypatch.setattr(ui.explore, "_seconds_per_step", lambda H: 1.0)
    query = {"H": 64, "T": 40}
    assert jacobian_seconds(40, 64) == 40.0 > JACOBIAN_AUTO_SECONDS
    at = open_view("jacobian", query)
    assert not at.get("plotly_chart")
    button = at.button(key="ex_jacobian_compute")
    assert button.label == "Compute (takes ~40 s)"
    button.click().run()
    assert not at.exception
    assert figure(at, "ex_jacobian_chart")
    at.run()  # stays computed for the same lab
    assert figure(at, "ex_jacobian_chart")
