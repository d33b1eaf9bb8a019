"""The model switch (LSTM / GRU / tanh RNN / 1997 LSTM) and the layer count in the shared sidebar, under AppTest:
every page runs with each, the cell and gates pages draw the chosen model's own numbers (checked against the core run
here, not against the app's own cache), the gradient page compares the chosen models, and the URL carries both."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_core import gru_backward, gru_forward, init_gru, lstm_forward, rnn_forward, stack_backward, stack_forward
from lstm_core.analysis import first_last_ratio, grad_norms, stack_grad_norms
from lstm_core.losses import make_loss
from lstm_core.params import without_forget_gate
from tests.helpers import PAGES, decode, figure, figures, json_trace, lab_of, open_app
from ui import compute, state
from ui.equations import num
from ui.glossary import GREFF_2017


def latex_text(at) -> str:
    return " ".join(e.value for e in at.latex)


def heatmap_rows(fig: dict) -> dict[str, np.ndarray]:
    return {t["name"]: decode(t["z"]) for t in fig["data"] if t.get("type") == "heatmap"}


def stack_of(lab, model: str):
    """The core's own stack run of ``model`` on the lab's input and loss (bottom first)."""
    layers = lab.layers(model)
    traces = stack_forward(layers, lab.x)
    grads = stack_backward(layers, traces, make_loss(lab.loss, **lab.loss_kwargs)(traces[-1].h)[1])
    return layers, traces, grads


# ---- every page with every model ------------------------------------------------------------------------------------


@pytest.mark.parametrize("model, layers", [("gru", 1), ("rnn", 2), ("lstm1997", 3), ("gru", 3)])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_with_each_model_and_layer_count(page, model, layers):
    at = open_app(page, query={"model": model, "layers": layers})
    assert not at.exception, [e.message for e in at.exception]
    lab = lab_of(at)
    assert (lab.model, lab.n_layers) == (model, layers)
    assert not at.error


def test_the_lab_builds_each_models_stack_from_the_settings():
    lab = lab_of(open_app(query={"layers": 3, "seed": 4}))
    assert [p.input_size for p in lab.layers("gru")] == [lab.cfg["D"], lab.cfg["H"], lab.cfg["H"]]
    assert lab.layers("lstm")[0] is lab.lstm and lab.layers("rnn")[0] is lab.rnn
    np.testing.assert_array_equal(lab.gru.weight_hh, init_gru(lab.cfg["D"], lab.cfg["H"], seed=4).weight_hh)
    assert all(p.forget_gate is False for p in lab.layers("lstm1997"))
    # each layer has its own weights
    w = [p.weight_hh for p in lab.layers("lstm")[1:]]
    assert not np.array_equal(w[0], w[1])


# ---- the cell walkthrough -----------------------------------------------------------------------------------------


def test_the_sidebar_switch_to_the_gru_draws_its_cell_with_the_cores_numbers():
    at = open_app("cell")
    assert figure(at, "cell_diagram")
    at.selectbox(key="model").set_value("gru").run()
    at.slider(key="t").set_value(6).run()
    at.slider(key="cell_unit").set_value(3).run()
    assert not at.exception
    lab = lab_of(at)
    tr = gru_forward(lab.gru, lab.x)
    keys = list(figures(at))
    assert any("gru_cell_diagram" in k for k in keys) and not any(k.endswith("-cell_diagram") for k in keys)
    nodes = json_trace(figure(at, "gru_cell_diagram"), "nodes")
    values = dict(zip(nodes["ids"], decode(nodes["customdata"])))
    t, k = 5, 2
    assert values["r"] == tr.r[t, k] and values["z"] == tr.z[t, k] and values["n"] == tr.n[t, k]
    assert values["h"] == tr.h[t, k] and values["h_prev"] == tr.h[t - 1, k]
    assert values["keep_mul"] == pytest.approx(tr.z[t, k] * tr.h[t - 1, k], rel=1e-12)
    text = latex_text(at)
    for q in "rznh":
        assert num(getattr(tr, q)[t, k]) in text, q
    assert r"h_{6} &= (1 - z_{6})\,n_{6} + z_{6}\,h_{5}" in text
    assert at.query_params["model"] in (["gru"], "gru")


def test_the_gru_backward_equations_hold_the_cores_gradients():
    at = open_app("cell", query={"model": "gru", "T": 12})
    at.segmented_control(key="cell_mode").set_value("Backward").run()
    at.slider(key="t").set_value(4).run()
    assert not at.exception
    lab = lab_of(at)
    tr = gru_forward(lab.gru, lab.x)
    gr = gru_backward(lab.gru, tr, make_loss(lab.loss, **lab.loss_kwargs)(tr.h)[1])
    text = latex_text(at)
    for arr in (gr.dh, gr.dz_r, gr.dz_z, gr.dz_n):
        assert num(arr[3, 0], True) in text
    bars = figure(at, "cell_bars")
    assert [t["name"] for t in bars["data"]] == ["dh", "dz_r", "dz_z", "dz_n"]
    np.testing.assert_array_equal(decode(json_trace(bars, "dz_z")["customdata"]), gr.dz_z[3])


def test_the_tanh_rnn_on_the_cell_page_says_it_has_no_gates_and_shows_its_equation():
    at = open_app("cell", query={"model": "rnn", "t": 3})
    assert not at.exception and not at.error
    assert any("The tanh RNN has no gates" in i.value for i in at.info)
    assert not figures(at), "no cell diagram for a model without a cell"
    lab = lab_of(at)
    assert num(rnn_forward(lab.rnn, lab.x).h[2, 0]) in latex_text(at)


def test_the_1997_lstm_is_chosen_with_the_greff_finding_beside_it():
    at = open_app("cell")
    assert GREFF_2017 not in [c.value for c in at.sidebar.caption]
    at.selectbox(key="model").set_value("lstm1997").run()
    assert not at.exception
    assert GREFF_2017 in [c.value for c in at.sidebar.caption]
    assert "none improved significantly" in GREFF_2017 and "no peepholes" in GREFF_2017
    lab = lab_of(at)
    tr = lstm_forward(without_forget_gate(lab.lstm), lab.x)
    assert np.all(tr.f == 1.0)
    assert r"\equiv 1 \quad \text{(no forget gate: the 1997 LSTM)}" in latex_text(at)
    nodes = json_trace(figure(at, "cell_diagram"), "nodes")
    values = dict(zip(nodes["ids"], decode(nodes["customdata"])))
    assert values["f"] == 1.0 and values["c"] == tr.c[0, 0]


def test_with_layers_the_cell_page_shows_the_chosen_layers_cell():
    at = open_app("cell", query={"layers": 3, "t": 5})
    assert at.radio(key="cell_layer").value == 1
    at.radio(key="cell_layer").set_value(2).run()
    assert not at.exception
    lab = lab_of(at)
    _, traces, _ = stack_of(lab, "lstm")
    nodes = json_trace(figure(at, "cell_diagram"), "nodes")
    values = dict(zip(nodes["ids"], decode(nodes["customdata"])))
    assert values["c"] == traces[1].c[4, 0] and values["h_prev"] == traces[1].h[3, 0]
    # fewer layers: the picker follows, with a note
    at.number_input(key="layers").set_value(2).run()
    assert not at.exception
    at.number_input(key="layers").set_value(1).run()
    assert not at.exception and not at.get("radio")


def test_a_lower_layers_backward_equation_names_the_layer_above_as_its_source():
    at = open_app("cell", query={"layers": 2, "T": 10})
    at.radio(key="cell_layer").set_value(1).run()
    at.segmented_control(key="cell_mode").set_value("Backward").run()
    assert not at.exception
    lab = lab_of(at)
    _, _, grads = stack_of(lab, "lstm")
    text = latex_text(at)
    assert r"\text{layer 2}" in text
    assert num(grads[0].dh[9, 0], True) in text and num(grads[1].dx[9, 0], True) in text


# ---- the gates page -------------------------------------------------------------------------------------------------


def test_the_gates_page_shows_the_grus_r_z_n_as_the_core_computed_them():
    at = open_app("gates", query={"model": "gru"})
    assert not at.exception
    lab = lab_of(at)
    tr = gru_forward(lab.gru, lab.x)
    rows = heatmap_rows(figure(at, "gate_heatmaps"))
    assert list(rows) == ["r", "z", "n", "h"]
    for q, z in rows.items():
        np.testing.assert_array_equal(z, getattr(tr, q).T)
    sat = figure(at, "gate_saturation")
    assert "reset gate r_t" in sat["data"][0]["y"]


def test_the_gates_page_for_the_rnn_says_so_and_shows_h():
    at = open_app("gates", query={"model": "rnn"})
    assert not at.exception
    assert any("The tanh RNN has no gates" in i.value for i in at.info)
    lab = lab_of(at)
    rows = heatmap_rows(figure(at, "gate_heatmaps"))
    assert list(rows) == ["h"]
    np.testing.assert_array_equal(rows["h"], rnn_forward(lab.rnn, lab.x).h.T)
    assert not any("gate_saturation" in k for k in figures(at))


def test_the_gates_page_layer_picker_shows_that_layers_gates():
    at = open_app("gates", query={"model": "gru", "layers": 3})
    at.radio(key="gates_layer").set_value(3).run()
    assert not at.exception
    _, traces, _ = stack_of(lab_of(at), "gru")
    rows = heatmap_rows(figure(at, "gate_heatmaps"))
    np.testing.assert_array_equal(rows["z"], traces[2].z.T)
    np.testing.assert_array_equal(rows["h"], traces[2].h.T)


# ---- gradient flow ---------------------------------------------------------------------------------------------------


def test_gradient_flow_compares_the_chosen_models_on_the_same_input_and_loss():
    at = open_app("gradients")
    assert at.multiselect(key="grad_models").value == ["lstm", "rnn"]
    at.multiselect(key="grad_models").set_value(["lstm", "gru", "rnn"]).run()
    assert not at.exception
    lab = lab_of(at)
    loss = make_loss(lab.loss, **lab.loss_kwargs)
    tr = gru_forward(lab.gru, lab.x)
    gru_dh = grad_norms(gru_backward(lab.gru, tr, loss(tr.h)[1]))["dh"]
    fig = figure(at, "grad_flow")
    names = [t["name"] for t in fig["data"]]
    assert names == ["LSTM ‖∂L/∂h_t‖", "LSTM ‖∂L/∂c_t‖", "GRU ‖∂L/∂h_t‖", "RNN ‖∂L/∂h_t‖"]
    np.testing.assert_array_equal(decode(json_trace(fig, "GRU ‖∂L/∂h_t‖")["y"]), gru_dh)
    styles = {(t["line"]["color"], t["line"]["dash"]) for t in fig["data"] if "‖∂L/∂h_t‖" in t["name"]
              and not t["name"].startswith("LSTM")} | {(json_trace(fig, "LSTM ‖∂L/∂c_t‖")["line"]["color"],
                                                          json_trace(fig, "LSTM ‖∂L/∂c_t‖")["line"]["dash"])}
    assert len({c for c, _ in styles}) == 3 and len({d for _, d in styles}) == 3
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["GRU ‖∂L/∂h₁‖ / ‖∂L/∂h_T‖"] == f"{first_last_ratio(gru_dh):.2e}"
    assert "GRU half-life of ‖∂L/∂h_t‖" in metrics


def test_gradient_flow_with_layers_shows_the_norm_over_layer_and_step():
    at = open_app("gradients", query={"layers": 3, "T": 30})
    assert not at.exception
    lab = lab_of(at)
    for model in ("lstm", "rnn"):
        _, _, grads = stack_of(lab, model)
        norms = stack_grad_norms(grads)
        heat = figure(at, f"grad_layers_{model}")["data"][0]
        np.testing.assert_array_equal(np.array(heat["customdata"], dtype=float), norms)
        assert np.array(heat["z"], dtype=float).shape == (3, 30)
        # the curves are the top layer's
        top = decode(json_trace(figure(at, "grad_flow"), f"{compute.MODEL_LABELS[model]} ‖∂L/∂h_t‖")["y"])
        np.testing.assert_array_equal(top, norms[-1])


def test_gradient_flow_says_what_to_do_with_no_model_chosen():
    at = open_app("gradients")
    at.multiselect(key="grad_models").set_value([]).run()
    assert not at.exception
    assert any("Choose at least one model" in i.value for i in at.info)


# ---- the URL ---------------------------------------------------------------------------------------------------------


def test_model_and_layers_round_trip_through_the_url():
    at = open_app("gates")
    assert "model" not in at.query_params and "layers" not in at.query_params  # defaults stay out of the link
    at.selectbox(key="model").set_value("gru").run()
    at.number_input(key="layers").set_value(2).run()
    query = {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}
    assert query["model"] == "gru" and query["layers"] == "2"
    again = open_app("gates", query=query)
    assert not again.warning
    assert (lab_of(again).model, lab_of(again).n_layers) == ("gru", 2)
    assert again.selectbox(key="model").value == "gru" and again.number_input(key="layers").value == 2


@pytest.mark.parametrize("query, key, value", [({"model": "lstm2000"}, "model", "lstm"), ({"layers": "9"}, "layers", 3),
                                               ({"layers": "0"}, "layers", 1), ({"layers": "1.5"}, "layers", 1)])
def test_bad_model_or_layer_values_in_the_url_get_a_note(query, key, value):
    at = open_app(query=query)
    assert not at.exception
    assert at.session_state[key] == value
    notes = " ".join(w.value for w in at.sidebar.warning)
    assert f"`{key}=" in notes


def test_switching_presets_keeps_the_model_and_layers():
    at = open_app(query={"model": "gru", "layers": 2})
    at.selectbox(key="preset").set_value("vanishing_rnn").run()
    assert not at.exception
    assert (at.session_state["model"], at.session_state["layers"]) == ("gru", 2)
    assert state.defaults()["model"] == "lstm" and state.defaults()["layers"] == 1


def test_a_last_step_gradient_of_exactly_zero_is_said_so_not_shown_as_inf():
    # the 1997 LSTM (f ≡ 1) on the Preserved preset's long-gap input over 1000 steps, seed 1: its probe unit's cell
    # is so large that tanh(c_T) is ±1, so ‖∂L/∂c_T‖ is exactly 0 and the first/last ratio is infinite
    at = open_app("gradients", query={"preset": "preserved_lstm", "input": "remember_first", "T": 1000, "seed": 1})
    at.multiselect(key="grad_models").set_value(["lstm1997", "lstm"]).run()
    assert not at.exception
    run = compute.layer_run(lab_of(at), "lstm1997", 0)
    assert run.norms["dc"][-1] == 0.0 and run.norms["dc"][0] > 0
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["1997 LSTM ‖∂L/∂c₁‖ / ‖∂L/∂c_T‖"] == "∞ (0 at step T)"
    assert not any(v in ("inf", "nan") for v in metrics.values())
