"""The app shell under AppTest: every page loads, the shared sidebar drives every page, deep links reproduce a view,
bad URL values are brought into range with a visible note, and hand edits are never dropped without asking."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_core import lstm_backward, lstm_forward, rnn_backward, rnn_forward
from lstm_core.analysis import grad_norms
from lstm_core.losses import make_loss
from lstm_core.presets import PRESETS
from lstm_core.sequences import GENERATORS
from tests.helpers import (APP, PAGES, decode, figure, json_trace, lab_of, mirror, open_app, page_file,
                           unsummarised_charts)
from ui import routes, state


def expected_runs(preset="default", seed=0, **sizes):
    p = PRESETS[preset]
    sc = p.build(D=sizes.get("D"), H=sizes.get("H"), T=sizes.get("T"), seed=seed)
    loss = make_loss(sc.loss, **sc.loss_kwargs)
    lt = lstm_forward(sc.lstm, sc.x)
    lg = lstm_backward(sc.lstm, lt, loss(lt.h)[1])
    rt = rnn_forward(sc.rnn, sc.x)
    rg = rnn_backward(sc.rnn, rt, loss(rt.h)[1])
    return sc, lt, lg, rt, rg


@pytest.mark.parametrize("page", PAGES)
def test_every_page_loads_at_defaults(page):
    at = open_app(page)
    assert not at.exception
    assert at.header, "each page has a heading"
    if page not in (page_file("lessons"), page_file("training")):  # a list of lessons; nothing trained yet
        assert len(at.get("plotly_chart")) >= 1, "each page draws at least one chart"
    assert not unsummarised_charts(at), "every chart has its one-line summary under it"
    glossary = [e for e in at.sidebar.expander if e.label == "Glossary"]
    assert glossary and "**half-life**" in glossary[0].markdown[0].value, "the glossary is reachable from every page"


SHARED_CONTROLS = {routes.STEP: "t", routes.LENGTH: "T_", routes.KNOBS: "fb"}  # -> the key of a slider it draws
VIEWS = {"explorer": {"ex_view": "sweep"}}  # a page that draws a shared control in one of its views: that view


@pytest.mark.parametrize("route", routes.ROUTES, ids=lambda r: r.path)
def test_the_route_table_says_which_shared_controls_each_page_draws(route):
    at = open_app()
    for key, value in VIEWS.get(route.path, {}).items():
        at.session_state[key] = value
    at.switch_page(route.file).run()
    assert not at.exception
    assert [h.value for h in at.header] == [route.header], "app.py draws the route's heading"
    main = [w.key for w in at.main.get("slider") if w.key]
    for control, key in SHARED_CONTROLS.items():
        drawn = any(k == key or (key.endswith("_") and k.startswith(key)) for k in main)
        assert drawn == (control in route.controls), (route.path, control, main)


def test_forget_gate_heatmap_is_the_core_trace():
    at = open_app("gates")
    _, lt, *_ = expected_runs()
    fig = figure(at, "gate_heatmaps")
    z = decode(json_trace(fig, "f")["z"])
    np.testing.assert_allclose(np.asarray(z, dtype=float).T, lt.f, rtol=1e-12)
    h = decode(json_trace(fig, "h")["z"])
    np.testing.assert_allclose(np.asarray(h, dtype=float).T, lt.h, rtol=1e-12)


def test_gradient_flow_curves_are_the_core_norms():
    at = open_app("gradients")
    _, _, lg, _, rg = expected_runs()
    fig = figure(at, "grad_flow")
    want = {"LSTM ‖∂L/∂c_t‖": grad_norms(lg)["dc"], "LSTM ‖∂L/∂h_t‖": grad_norms(lg)["dh"],
            "RNN ‖∂L/∂h_t‖": grad_norms(rg)["dh"]}
    for name, norms in want.items():
        y = decode(json_trace(fig, name)["y"])
        y = np.array([np.nan if v is None else v for v in y], dtype=float) if y.dtype == object else y
        shown = np.isfinite(y)
        assert shown.sum() >= (norms > 0).sum() - 1
        np.testing.assert_allclose(y[shown], norms[shown], rtol=1e-12)


def test_deep_link_reproduces_sizes_seed_preset_and_step():
    query = {"preset": "preserved_lstm", "D": 3, "H": 5, "T": 77, "seed": 9, "t": 12, "input": "sine"}
    at = open_app("cell", query=query)
    lab = lab_of(at)
    assert (lab.cfg["preset"], lab.x.shape, lab.lstm.hidden_size, lab.cfg["seed"]) == ("preserved_lstm", (77, 3), 5, 9)
    assert at.session_state["t"] == 12
    assert at.slider(key="t").value == 12
    np.testing.assert_array_equal(lab.x, GENERATORS["sine"].fn(77, 3, seed=9))
    sc = PRESETS["preserved_lstm"].build(D=3, H=5, T=77, seed=9)
    np.testing.assert_array_equal(lab.lstm.weight_hh, sc.lstm.weight_hh)
    # the URL keeps describing the view
    assert at.query_params["T"] == ["77"] or at.query_params["T"] == "77"
    assert not at.warning, "valid links give no warnings"


@pytest.mark.parametrize(
    "query, key, value",
    [
        ({"T": "10000000"}, "T", 2000),
        ({"H": "0"}, "H", 1),
        ({"H": "-3"}, "H", 1),
        ({"D": "99"}, "D", 8),
        ({"seed": "abc"}, "seed", 0),
        ({"preset": "nope"}, "preset", "default"),
        ({"T": "50", "t": "400"}, "t", 50),
    ],
)
def test_bad_url_values_are_brought_into_range_with_a_note(query, key, value):
    at = open_app(query=query)
    assert at.session_state[key] == value
    notes = " ".join(w.value for w in at.sidebar.warning)
    assert notes, "a visible note explains the change"
    assert list(query)[-1] in notes


SIDEBAR_NUMBERS = {"D": (1, 4, 8), "H": (1, 32, 64), "seed": (0, 12345, 2**31 - 1), "T_box": (1, 1000, 2000)}


@pytest.mark.parametrize("key", list(SIDEBAR_NUMBERS))
def test_sidebar_number_boxes_min_mid_max(key):
    at = open_app()
    for value in SIDEBAR_NUMBERS[key]:
        (mirror(at, "number_input", key) if key == "T_box" else at.number_input(key=key)).set_value(value).run()
        assert not at.exception, (key, value)
        cfg = lab_of(at).cfg
        want_key = "T" if key == "T_box" else key
        assert cfg[want_key] == value
    lab = lab_of(at)
    assert lab.x.shape == (lab.cfg["T"], lab.cfg["D"]) and lab.lstm.hidden_size == lab.cfg["H"]


def test_sequence_length_slider_and_box_stay_in_step():
    at = open_app("gates")
    for value in (1, 1000, 2000):
        at.slider(key="T").set_value(value).run()
        assert not at.exception
        assert mirror(at, "number_input", "T_box").value == value
        assert lab_of(at).T == value


@pytest.mark.parametrize("preset", list(PRESETS))
@pytest.mark.parametrize("page", PAGES)
def test_each_preset_on_each_page(preset, page):
    at = open_app(page)
    at.selectbox(key="preset").set_value(preset).run()
    assert not at.exception
    p = PRESETS[preset]
    lab = lab_of(at)
    assert (lab.x.shape, lab.lstm.hidden_size) == ((p.T, p.D), p.H), "choosing a preset loads its sizes"
    assert not unsummarised_charts(at), "every chart has its one-line summary under it, computed from its data"


@pytest.mark.parametrize("source", state.input_options())
def test_each_input_generator(source):
    at = open_app("cell")
    at.selectbox(key="input").set_value(source).run()
    assert not at.exception
    lab = lab_of(at)
    if source != state.PRESET_INPUT:
        np.testing.assert_array_equal(lab.x, GENERATORS[source].fn(lab.T, lab.cfg["D"], seed=lab.cfg["seed"]))


def test_new_weights_and_rewind_buttons():
    at = open_app("cell")
    w0 = lab_of(at).lstm.weight_hh.copy()
    next(b for b in at.sidebar.button if b.label == "New random weights").click().run()
    assert at.session_state["seed"] == 1
    assert not np.array_equal(lab_of(at).lstm.weight_hh, w0)
    # knob on, then rewind: the seed's own initialisation comes back
    at.session_state["fb_on"] = True
    at.session_state["fb"] = 5.0
    at.run()
    w1 = PRESETS["default"].build(seed=1).lstm
    assert not np.array_equal(lab_of(at).lstm.bias_ih, w1.bias_ih)
    next(b for b in at.sidebar.button if b.label == "Rewind to this seed").click().run()
    np.testing.assert_array_equal(lab_of(at).lstm.bias_ih, w1.bias_ih)
    assert not at.exception


def test_latch_with_one_input_channel_shows_an_error_and_keeps_the_last_view():
    at = open_app("gates")
    at.selectbox(key="preset").set_value("latch").run()
    before = lab_of(at)
    at.number_input(key="D").set_value(1).run()
    assert not at.exception
    assert any("D" in e.value for e in at.error), [e.value for e in at.error]
    assert lab_of(at).x.shape == before.x.shape, "the last valid lab stays on screen"


def test_edited_weights_are_not_dropped_without_asking():
    at = open_app("cell")
    lab = lab_of(at)
    edited = type(lab.lstm)(lab.lstm.weight_ih * 0 + 0.5, lab.lstm.weight_hh, lab.lstm.bias_ih, lab.lstm.bias_hh)
    at.session_state["_edits"] = state.Edits(lstm=edited, weights_base={k: lab.cfg[k] for k in state.WEIGHT_DEPS})
    at.run()
    assert lab_of(at).edited_weights
    np.testing.assert_array_equal(lab_of(at).lstm.weight_ih, edited.weight_ih)

    at.number_input(key="seed").set_value(7).run()  # would rebuild the weights: the app asks
    assert any("edited weights" in w.value for w in at.warning)
    np.testing.assert_array_equal(lab_of(at).lstm.weight_ih, edited.weight_ih)
    next(b for b in at.button if b.label.startswith("Keep my edits")).click().run()
    assert at.session_state["seed"] == 0 and not at.warning
    np.testing.assert_array_equal(lab_of(at).lstm.weight_ih, edited.weight_ih)

    at.number_input(key="seed").set_value(7).run()
    next(b for b in at.button if b.label.startswith("Apply new settings")).click().run()
    assert at.session_state["seed"] == 7 and not lab_of(at).edited_weights
    np.testing.assert_array_equal(lab_of(at).lstm.weight_ih, PRESETS["default"].build(seed=7).lstm.weight_ih)

    # changing T does not touch weights: no question asked, edits kept
    at.session_state["_edits"] = state.Edits(lstm=edited, weights_base={k: lab_of(at).cfg[k] for k in state.WEIGHT_DEPS})
    at.run()
    at.slider(key="T").set_value(60).run()
    assert not at.warning and lab_of(at).edited_weights and lab_of(at).T == 60


def test_a_deep_link_runs_the_router_first():
    """A session whose very first run is a deep link (/gates?T=33) runs app.py, sidebar and all, then the page: no
    legacy pages/ routing exists to run a page on its own (the page files live in app_pages/)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["T"] = "33"
    at.switch_page(page_file("gates")).run()
    assert not at.exception
    assert at.sidebar.selectbox(key="preset").value == "default", "app.py's sidebar ran"
    assert lab_of(at).T == 33 and [h.value for h in at.header] == ["Gates over time"]
