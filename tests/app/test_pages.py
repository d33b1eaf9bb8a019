"""Each page's own controls under AppTest: every button, each option, min/middle/max of every slider, and the numbers
shown checked against the core."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

from lstm_core import lstm_backward, lstm_forward, lstm_step, lstm_step_backward, rnn_step, rnn_step_backward
from lstm_core.analysis import carousel_factor, first_last_ratio, grad_norms, memory_half_life
from lstm_core.losses import make_loss
from lstm_core.params import forget_bias_of, spectral_radius
from lstm_core.presets import PRESETS
from tests.helpers import decode, figure, json_trace, lab_of, mirror, open_app, page_file
from ui import state
from ui.equations import num


def core_run(lab):
    tr = lstm_forward(lab.lstm, lab.x)
    return tr, lstm_backward(lab.lstm, tr, make_loss(lab.loss, **lab.loss_kwargs)(tr.h)[1])


def latex_text(at) -> str:
    return " ".join(e.value for e in at.latex)


# ---- cell walkthrough ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("t", [1, 20, 40])
@pytest.mark.parametrize("unit", [1, 4, 8])
def test_cell_step_and_unit_show_the_core_values(t, unit):
    at = open_app("cell")
    at.slider(key="t").set_value(t).run()
    at.slider(key="cell_unit").set_value(unit).run()
    assert not at.exception
    tr, _ = core_run(lab_of(at))
    text = latex_text(at)
    for q in "ifgoch":
        assert num(getattr(tr, q)[t - 1, unit - 1]) in text, q
    assert at.query_params["t"] in ([str(t)], str(t)), "the step is in the link"


def test_cell_backward_mode_shows_bptt_numbers():
    at = open_app("cell")
    at.segmented_control(key="cell_mode").set_value("Backward").run()
    at.slider(key="t").set_value(7).run()
    assert not at.exception
    _, gr = core_run(lab_of(at))
    text = latex_text(at)
    for arr in (gr.dh, gr.dc, gr.dz_f, gr.dz_i, gr.dz_g, gr.dz_o):
        assert num(arr[6, 0], True) in text


@pytest.mark.parametrize("mode", ["Forward", "Backward"])
def test_cell_step_buttons(mode):
    at = open_app("cell")
    at.segmented_control(key="cell_mode").set_value(mode).run()
    T = lab_of(at).T
    backward = mode == "Backward"
    assert at.session_state["t"] == (T if backward else 1), "Backward starts at the last step"
    first, last = (T, 1) if backward else (1, T)
    assert at.button(key="cell_first").disabled and at.button(key="cell_prev").disabled  # already at the start
    at.button(key="cell_last").click().run()
    assert at.session_state["t"] == last and at.button(key="cell_next").disabled
    at.button(key="cell_prev").click().run()
    assert at.session_state["t"] == (2 if backward else T - 1)
    at.button(key="cell_next").click().run()
    assert at.session_state["t"] == last
    at.button(key="cell_first").click().run()
    assert at.session_state["t"] == first
    assert not at.exception


@pytest.mark.parametrize("mode", ["Forward", "Backward"])
def test_cell_play_button(mode):
    """Play in the step controls: pressing it turns Play on and makes it Pause. Its steps come from the page
    fragment's timer (run_every), which AppTest does not run, so here t stays where it was (the browser test watches
    it move: tests/e2e/test_keyboard.py). Pause, a step chosen by hand and leaving the page each turn it off; at the
    last step Play starts again from the first (in the direction the page walks)."""
    at = open_app("cell")
    at.segmented_control(key="cell_mode").set_value(mode).run()
    T = lab_of(at).T
    first, last = (T, 1) if mode == "Backward" else (1, T)
    start = 3 if mode == "Forward" else T - 2
    at.slider(key="t").set_value(start).run()

    def playing() -> bool:
        return at.session_state[state.PLAYING] if state.PLAYING in at.session_state else False

    assert at.button(key="cell_play").label == "Play" and not playing()
    at.button(key="cell_play").click().run()
    assert playing() and at.button(key="cell_play").label == "Pause"
    assert at.session_state["t"] == start, "pressing Play does not move t by itself; the timer's reruns do"
    assert at.query_params["t"] == str(start)
    at.button(key="cell_play").click().run()
    assert not playing() and at.button(key="cell_play").label == "Play" and at.session_state["t"] == start

    at.button(key="cell_play").click().run()
    at.button(key="cell_next").click().run()  # a step by hand
    assert not playing() and at.session_state["t"] == start + (1 if mode == "Forward" else -1)
    at.button(key="cell_play").click().run()
    at.slider(key="t").set_value(start).run()  # the slider by hand
    assert not playing()
    at.button(key="cell_last").click().run()
    assert at.session_state["t"] == last
    at.button(key="cell_play").click().run()
    assert playing() and at.session_state["t"] == first, "Play at the last step starts again from the first"
    at.switch_page(page_file("gates")).run()  # leaving the page
    assert not playing() and at.button(key="gates_play").label == "Play"
    at.switch_page(page_file("cell")).run()
    assert not playing()
    assert not at.exception


def test_play_is_off_with_a_single_step():
    at = open_app("cell", query={"T": 1})
    assert at.button(key="cell_play").disabled
    assert not at.exception


def shown_code(at) -> list[str]:
    """Every code block on the page (st.code drops a final newline)."""
    assert all(e.language == "python" for e in at.code if e.value.startswith("def "))
    return [e.value for e in at.code]


def test_cell_shows_the_step_functions_own_source_and_the_lines_of_the_chosen_quantity():
    """Beside the equations: the lines of the function that computed them that compute the chosen quantity, named
    by line number, and the whole function: inspect.getsource of lstm_step (forward) or lstm_step_backward."""
    at = open_app("cell")
    forward = inspect.getsource(lstm_step)
    assert forward.rstrip("\n") in shown_code(at)
    assert "c = f * c_prev + i * g  # cell state" in shown_code(at)  # c by default
    at.pills(key="cell_code_forward").set_value("f").run()
    excerpt = "f = sigmoid(z[..., 1 * H:2 * H]) if params.forget_gate else np.ones_like(i)  # forget gate (1997 LSTM: f ≡ 1)"
    assert excerpt in shown_code(at)
    line = int(re.search(r"line (\d+) of `lstm_step`", " ".join(m.value for m in at.markdown)).group(1))
    assert forward.splitlines()[line - 1].strip() == excerpt, "the named line is the line shown"
    at.segmented_control(key="cell_mode").set_value("Backward").run()
    assert not at.exception
    assert forward.rstrip("\n") not in shown_code(at)
    assert inspect.getsource(lstm_step_backward).rstrip("\n") in shown_code(at)
    at.pills(key="cell_code_backward").set_value("dz_f").run()
    assert "dz_f = dc * step.c_prev * f * (1 - f)  # exactly 0 when f ≡ 1 (no forget gate)" in shown_code(at)


def test_gradient_flow_shows_one_step_back_of_each_model():
    at = open_app("gradients")
    assert not at.exception
    shown = shown_code(at)
    for fn in (lstm_step_backward, rnn_step_backward, rnn_step):
        assert inspect.getsource(fn).rstrip("\n") in shown, fn.__name__
    assert any("dc_prev = f * dc  # the carousel" in c and "dh_prev" in c and not c.startswith("def") for c in shown)
    assert any("dz = dh * (1 - step.h**2)" in c and not c.startswith("def") for c in shown)


def test_cell_diagram_starts_at_the_selected_step():
    at = open_app("cell")
    at.slider(key="t").set_value(13).run()
    fig = figure(at, "cell_diagram")
    names = [f["name"] for f in fig["frames"]]
    assert fig["layout"]["sliders"][0]["active"] == names.index("12")


def test_cell_page_with_one_unit_and_one_step():
    at = open_app("cell", query={"H": 1, "T": 1})
    assert not at.exception
    tr, _ = core_run(lab_of(at))
    assert num(tr.h[0, 0]) in latex_text(at)


# ---- gates over time -----------------------------------------------------------------------------------------------


def test_gates_step_buttons_move_the_marker():
    at = open_app("gates")
    at.button(key="gates_last").click().run()
    T = lab_of(at).T
    shapes = figure(at, "gate_heatmaps")["layout"]["shapes"]
    xs = {round((s["x0"] + s["x1"]) / 2, 6) for s in shapes if s.get("name") == "selected step"}
    assert xs == {T}
    at.button(key="gates_prev").click().run()
    shapes = figure(at, "gate_heatmaps")["layout"]["shapes"]
    assert {round((s["x0"] + s["x1"]) / 2, 6) for s in shapes if s.get("name") == "selected step"} == {T - 1}


def test_gates_line_view_units_and_quantities():
    at = open_app("gates")
    tr, _ = core_run(lab_of(at))
    at.multiselect(key="gates_units").set_value([0, 7]).run()
    at.multiselect(key="gates_quantities").set_value(["i", "o"]).run()
    assert not at.exception
    fig = figure(at, "gate_lines")
    ys = [np.asarray(decode(t["y"]), dtype=float) for t in fig["data"] if t.get("y") is not None]
    for q, u in [("i", 0), ("i", 7), ("o", 0), ("o", 7)]:
        assert any(y.shape == (lab_of(at).T,) and np.allclose(y, getattr(tr, q)[:, u], rtol=1e-12) for y in ys)
    at.multiselect(key="gates_units").set_value([]).run()
    assert any("at least one unit" in i.value for i in at.info)


def test_gates_units_survive_a_smaller_hidden_size():
    at = open_app("gates")
    at.multiselect(key="gates_units").set_value([0, 7]).run()
    at.number_input(key="H").set_value(3).run()
    assert not at.exception
    assert at.multiselect(key="gates_units").value == [0]


# ---- gradient flow -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("preset", ["vanishing_rnn", "preserved_lstm", "exploding_rnn", "exploding_lstm"])
def test_gradient_quick_preset_buttons(preset):
    at = open_app("gradients")
    at.button(key=f"quick_{preset}").click().run()
    assert not at.exception
    assert lab_of(at).cfg["preset"] == preset
    assert lab_of(at).T == PRESETS[preset].T


@pytest.mark.parametrize("preset", ["preserved_lstm", "exploding_lstm"])
def test_gradient_page_numbers_name_what_they_measure(preset):
    """The ratios, the half-lives (threshold ½) and the caption separating ∏ f from ∂L/∂c, against the core."""
    at = open_app("gradients", query={"preset": preset})
    assert not at.exception
    lab = lab_of(at)
    tr, gr = core_run(lab)
    norms = grad_norms(gr)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["LSTM ‖∂L/∂c₁‖ / ‖∂L/∂c_T‖"] == f"{first_last_ratio(norms['dc']):.2e}"
    assert metrics["LSTM ‖∂L/∂h₁‖ / ‖∂L/∂h_T‖"] == f"{first_last_ratio(norms['dh']):.2e}"
    k = memory_half_life(norms["dc"])
    assert metrics["LSTM half-life of ‖∂L/∂c_t‖"] == ("never within T" if k is None else f"{k} steps")
    if k is not None:
        assert norms["dc"][-1 - k] <= norms["dc"][-1] / 2 < norms["dc"][-k:].min()
    caption = " ".join(c.value for c in at.caption)
    assert f"∏ f = {np.median(carousel_factor(tr)[0]):.2g}**" in caption
    assert f"at **{first_last_ratio(norms['dc']):.2g}** of its value at the end" in caption
    assert any("mitigate vanishing gradients; they do not solve them" in i.value for i in at.info)


@pytest.mark.parametrize("fb", [-10.0, 0.0, 10.0])
def test_gradient_forget_bias_knob_redraws_the_curves(fb):
    at = open_app("gradients")
    at.toggle(key="fb_on").set_value(True).run()
    at.slider(key="fb").set_value(fb).run()
    assert not at.exception
    lab = lab_of(at)
    np.testing.assert_array_equal(forget_bias_of(lab.lstm), fb)
    _, gr = core_run(lab)
    y = decode(json_trace(figure(at, "grad_flow"), "LSTM ‖∂L/∂c_t‖")["y"])
    y = np.array([np.nan if v is None else v for v in y], dtype=float)
    want = grad_norms(gr)["dc"]
    ok = np.isfinite(y)
    np.testing.assert_allclose(y[ok], want[ok], rtol=1e-12)
    assert at.query_params["fb"] in ([f"{fb:g}"], f"{fb:g}")


@pytest.mark.parametrize("rho", [0.0, 1.5, 3.0])
def test_gradient_spectral_radius_knob(rho):
    at = open_app("gradients")
    at.toggle(key="rho_on").set_value(True).run()
    at.slider(key="rho").set_value(rho).run()
    assert not at.exception
    assert spectral_radius(lab_of(at).rnn.weight_hh) == pytest.approx(rho, abs=1e-9)


@pytest.mark.parametrize("scale", [0.0, 2.5, 5.0])
def test_gradient_weight_scale_knob(scale):
    at = open_app("gradients")
    base = lab_of(at).rnn.weight_ih.copy()
    at.slider(key="scale").set_value(scale).run()
    assert not at.exception
    np.testing.assert_allclose(lab_of(at).rnn.weight_ih, base * scale)


@pytest.mark.parametrize("T", [1, 1000, 2000])
def test_gradient_page_length_slider(T):
    at = open_app("gradients")
    mirror(at, "slider", "T_grad").set_value(T).run()
    assert not at.exception
    assert lab_of(at).T == T and mirror(at, "number_input", "T_box").value == T
    assert len(at.metric) == 5
