"""The model switch in a real browser: choosing the GRU in the sidebar draws the GRU's cell with the core's numbers,
the link carries the model, and the layer count brings a layer picker to the gates page."""

from __future__ import annotations

from playwright.sync_api import expect

from lstm_core import gru_forward, init_gru
from lstm_core.presets import PRESETS
from tests.e2e.browser import fmt3
from ui import state


def choose_model(app, label: str) -> None:
    """Open the sidebar's Model box, type ``label`` and pick it from the list once it is shown (the pick makes the
    app rerun); the box then shows it."""
    box = app.page.locator(".st-key-model input")
    box.click()
    box.fill(label)
    option = app.page.get_by_role("option", name=label, exact=True)
    option.wait_for()
    app.rerun(lambda: option.click())
    expect(box).to_have_value(label)


def test_switching_the_model_to_the_gru_draws_the_gru_cell(app):
    app.open("/")
    app.chart("cell_diagram").wait_for()
    choose_model(app, "GRU")
    app.chart("gru_cell_diagram").wait_for()
    app.assert_healthy()
    assert app.page.locator(".st-key-cell_diagram").count() == 0, "the LSTM diagram is gone"
    texts = app.chart_texts("gru_cell_diagram")
    # the default settings' GRU at t = 1, unit 1, as the core computes it
    cfg = state.defaults()
    x = PRESETS[cfg["preset"]].build(seed=0).x
    tr = gru_forward(init_gru(cfg["D"], cfg["H"], seed=0), x)
    assert f"z = {fmt3(tr.z[0, 0])}" in texts and f"r = {fmt3(tr.r[0, 0])}" in texts
    assert f"n = {fmt3(tr.n[0, 0])}" in texts
    assert any(t.startswith("GRU cell") for t in app.page.locator(".st-key-gru_cell_diagram .gtitle").all_text_contents())
    assert app.query()["model"] == "gru", "the link names the model"
    assert any(r"(1 - z_{1})\,n_{1} + z_{1}\,h_{0}" in s for s in app.latex_sources())
    app.screenshot("model-switch-gru-cell")


def test_a_link_with_layers_opens_the_gates_page_with_a_layer_picker(app):
    app.open("/gates", query={"model": "gru", "layers": "3"})
    app.chart("gate_heatmaps").wait_for()
    app.assert_healthy()
    picker = app.page.locator(".st-key-gates_layer")
    assert picker.count() == 1
    app.rerun(lambda: picker.get_by_text("3 (read by the loss)").click())
    app.assert_healthy()
    assert app.page.get_by_text("GRU, layer 3 of 3.").count() == 1
    titles = app.chart("gate_heatmaps").locator(".annotation-text").all_text_contents()
    assert titles[:3] == ["reset gate r_t", "update gate z_t", "candidate n_t"]
    app.screenshot("model-switch-gru-gates-layer-3")
