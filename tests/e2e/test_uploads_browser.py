"""Hostile input on the "Inputs and weights" page in a real browser: a file whose name is Markdown (a link and an
image pointing at 127.0.0.1:9) is shown as text, with no link or image in the page and no request to that address;
and a weight typed in scientific notation in a table cell is stored exactly (read back from the page's own .npz
download). Screenshots: artifacts/e2e/uploads-*.png.
"""

from __future__ import annotations

import numpy as np
from playwright.sync_api import expect

from lstm_core import io
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
