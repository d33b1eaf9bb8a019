"""Hostile input on the "Inputs and weights" page in a real browser: a file whose name is Markdown (a link and an
image pointing at 127.0.0.1:9) is shown as text, with no link or image in the page and no request to that address;
and a weight typed in scientific notation in a table cell is stored exactly (read back from the page's own .npz
download). Screenshots: artifacts/e2e/uploads-*.png.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from playwright.sync_api import expect

from lstm_core import io, stack_forward
from lstm_core.presets import PRESETS
from tests.e2e.browser import fmt3
from tests.helpers import DEFAULT, default_run

MARKDOWN_NAME = "[x](http://127.0.0.1:9/)![i](http://127.0.0.1:9/i.png).csv"
TRAP = "127.0.0.1:9"


def upload_named(app, key: str, name: str, data: bytes) -> None:
    """Upload ``data`` under ``name`` (a name no file system allows: it holds slashes) through the uploader ``key``."""
    app.rerun(lambda: app.page.locator(f".st-key-{key} input[type=file]").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": data}))


def shown(locator) -> str:
    """An alert's text as read (ui.messages.inert puts an invisible WORD JOINER after a URL's ':' so that it is not
    made a link)."""
    return locator.inner_text().replace("\u2060", "").strip()


def live_markup(app) -> list[str]:
    """Links, images and other fetching elements in the page that point at the trap address."""
    return app.page.evaluate("""trap => [...document.querySelectorAll('a[href], img[src], link[href], source[src]')]
        .map(e => e.getAttribute('href') || e.getAttribute('src')).filter(u => u.includes(trap))""", TRAP)


def test_a_markdown_file_name_is_shown_as_text_and_fetches_nothing(app):
    requests: list[str] = []
    app.page.on("request", lambda req: requests.append(req.url) if TRAP in req.url else None)
    app.open("/weights")
    x = np.linspace(-1, 1, 2 * 12).reshape(12, 2)
    upload_named(app, "wp_inputs_file", MARKDOWN_NAME, io.inputs_to_csv_bytes(x))
    loaded = app.page.locator("[data-testid=stAlert] [data-testid=stMarkdownContainer]",
                              has_text="Loaded [x](http")
    loaded.wait_for()
    assert shown(loaded).startswith(f"Loaded {MARKDOWN_NAME}: 12 steps"), shown(loaded)
    loaded.scroll_into_view_if_needed()
    app.screenshot("uploads-markdown-name-loaded")
    assert not live_markup(app), live_markup(app)

    upload_named(app, "wp_inputs_file", MARKDOWN_NAME, b"step,x1,x2\n1,![j](http://127.0.0.1:9/j.png),2\n")
    refused = app.page.locator("[data-testid=stAlert] [data-testid=stMarkdownContainer]",
                               has_text="Could not load [x](http")
    refused.wait_for()
    assert "row 1, column 'x1' is text ('![j](http://127.0.0…')" in shown(refused), shown(refused)
    refused.scroll_into_view_if_needed()
    app.screenshot("uploads-markdown-name-refused")
    assert not live_markup(app), live_markup(app)
    app.page.wait_for_load_state("networkidle")
    assert not requests, f"the browser fetched the file name's URLs: {requests}"
    app.assert_healthy()


def test_a_weight_typed_as_1e_minus_3_is_stored_exactly(app, tmp_path):
    """Streamlit's number-cell editor saved a typed 1e-3 as −13; the tables are text now, read with float()."""
    p, _, _ = default_run()
    app.open("/weights")
    table = app.page.locator('[class*="_i_weight_ih"] [data-testid=stDataFrame]').first  # W_i · x, LSTM tab i
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    row_height = 35  # Streamlit's data editor: a 35 px header, then 35 px rows; the index column is ~50 px wide
    app.page.mouse.click(box["x"] + 120, box["y"] + row_height + row_height / 2)  # unit 1, column x1
    app.page.keyboard.press("Enter")
    editor = app.page.locator("textarea.gdg-input").first
    editor.wait_for()
    editor.fill("1e-3")
    app.rerun(lambda: app.page.keyboard.press("Enter"))
    apply = app.page.locator(".st-key-wp_apply_weights").get_by_role("button", name="Apply weight edits")
    expect(apply).to_be_enabled()
    expect(app.page.get_by_text("1 cell(s) changed in the tables, not applied yet.")).to_be_visible()
    app.screenshot("uploads-typed-1e-3")
    app.rerun(lambda: apply.click())
    app.page.locator("[data-testid=stAlert]", has_text="Applied your edits").wait_for()
    app.assert_healthy()

    with app.page.expect_download() as info:
        app.page.locator(".st-key-wp_npz_lstm").get_by_role("button", name="⬇ .npz").click()
    path = tmp_path / "weights.npz"
    info.value.save_as(path)
    stored = io.from_npz_bytes(path.read_bytes())
    assert stored.weight_ih[0, 0] == 0.001, stored.weight_ih[0, 0]  # exactly the float64 nearest to 1e-3
    want = p.weight_ih.copy()
    want[0, 0] = 0.001
    assert np.array_equal(stored.weight_ih, want), "every other weight unchanged to the last bit"
    assert np.array_equal(stored.weight_hh, p.weight_hh) and np.array_equal(stored.bias_ih, p.bias_ih)
    assert stored.input_size == DEFAULT["D"] and stored.hidden_size == DEFAULT["H"]


MODELS = Path(__file__).resolve().parents[1] / "fixtures" / "models"


def test_whole_models_saved_by_torch_load_through_the_real_file_input(app):
    """lstm_fc.safetensors (written by torch: tests/fixtures/make_reference.py) through the page's whole-model file
    input: the LSTM + head goes into the lab (the sidebar's D and H move to 3 and 5, the loss becomes the head's)."""
    app.open("/weights")
    uploader = app.page.locator(".st-key-wp_model_file input[type=file]")
    app.rerun(lambda: uploader.set_input_files(str(MODELS / "lstm_fc.safetensors")))
    loaded = app.page.locator("[data-testid=stAlert]", has_text="Loaded lstm_fc.safetensors")
    loaded.wait_for()
    assert "1-layer LSTM (D = 3, H = 5" in shown(loaded) and "Its head now gives the lab's loss" in shown(loaded)
    for key in ("lstm.weight_ih_l0", "fc.weight"):  # the keys table (its grid keeps an accessible copy of the cells)
        expect(app.page.get_by_text(key, exact=True).first).to_be_attached()
    expect(app.page.locator("[data-testid=stMetric]")).to_have_count(1)
    metric = app.page.locator("[data-testid=stMetricValue]").inner_text()
    assert np.isfinite(float(metric)), metric
    assert "D=3" in app.page.url and "H=5" in app.page.url, app.page.url
    loaded.scroll_into_view_if_needed()
    app.screenshot("uploads-whole-model-lstm-head")
    app.page.locator("[data-testid=stMetric]").scroll_into_view_if_needed()
    app.screenshot("uploads-whole-model-lstm-head-loss")
    app.assert_healthy()


def test_a_two_layer_gru_saved_by_torch_is_the_gru_the_cell_page_shows(app):
    """gru2.pt (torch's nn.GRU(3, 4, num_layers=2)) through the real file input: the sidebar switches to the GRU with
    2 layers, and the cell walkthrough draws layer 2 of the file's GRU with the core's numbers."""
    app.open("/weights")
    uploader = app.page.locator(".st-key-wp_model_file input[type=file]")
    app.rerun(lambda: uploader.set_input_files(str(MODELS / "gru2.pt")))
    loaded = app.page.locator("[data-testid=stAlert]", has_text="Loaded gru2.pt")
    loaded.wait_for()
    assert "2-layer GRU (D = 3, H = 4" in shown(loaded), shown(loaded)
    assert "Model switched to GRU, Layers moved to 2, D moved to 3 and H moved to 4" in shown(loaded), shown(loaded)
    expect(app.page.get_by_text("weight_hh_l1", exact=True).first).to_be_attached()
    query = app.query()
    assert (query["model"], query["layers"], query["D"], query["H"]) == ("gru", "2", "3", "4"), query
    expect(app.page.locator(".st-key-model input")).to_have_value("GRU")
    loaded.scroll_into_view_if_needed()
    app.screenshot("uploads-whole-model-gru-stack")

    app.nav("Cell walkthrough")
    app.chart("gru_cell_diagram").wait_for()
    picker = app.page.locator(".st-key-cell_layer")
    app.rerun(lambda: picker.get_by_text("2 (read by the loss)").click())
    expect(app.page.get_by_text("GRU, layer 2 of 2: unit 1 of 4, step t = 1 of")).to_be_visible()
    app.assert_healthy()
    model = io.load_model((MODELS / "gru2.pt").read_bytes(), "gru2.pt")
    x = PRESETS[query["preset"]].build(D=3, H=4, T=int(query["T"]), seed=int(query["seed"])).x
    top = stack_forward(model.layers, x)[1]
    texts = app.chart_texts("gru_cell_diagram")
    assert f"z = {fmt3(top.z[0, 0])}" in texts and f"n = {fmt3(top.n[0, 0])}" in texts, texts
    app.screenshot("uploads-gru-stack-cell-layer-2")
