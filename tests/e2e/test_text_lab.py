"""The text lab and the training lab's own-text training in a real browser, on the shipped model: the coloured text
with a tooltip per character, hostile text shown as characters (no tag, no image fetched), a click on the unit chart
picking a character, and a model trained on an uploaded .txt opened in the text lab. Screenshots: artifacts/e2e/."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from lstm_core.text import CharModel, top_next
from ui.text import EXAMPLES

HOSTILE = "<script>alert(1)</script>\nx = '</span><img src=x>'  # ![x](http://127.0.0.1:9/i.png)\n"


def units_block(app):
    return app.page.locator(".tl-units")


def set_text(app, text: str) -> None:
    box = app.page.locator(".st-key-tl_text textarea")
    box.fill(text)
    app.rerun(lambda: box.press("Control+Enter"))


def test_text_lab_reads_the_default_snippet_and_hostile_text(app):
    model = CharModel.load()
    requests = []
    app.page.on("request", lambda req: requests.append(req.url))
    app.open("/text", heading="Text lab")
    block = units_block(app)
    block.wait_for()
    text = EXAMPLES["snippet"][1]
    spans = block.locator("span[title]")
    assert spans.count() == len(text), "one tooltip per character"
    _, probs = model.run(text)
    first = spans.first.get_attribute("title")
    c, p = top_next(model.vocab, probs[0], 1)[0]
    assert first.startswith(f"#1 d → next: {c} {p:.0%}"), first
    app.assert_healthy()
    app.screenshot("text-lab")
    app.screenshot("text-lab-full", full_page=True)

    set_text(app, HOSTILE)
    expect(block).to_contain_text("<script>alert(1)</script>")
    assert block.locator("script, img").count() == 0
    shown = block.evaluate("e => e.textContent").replace(" \n", "\n")
    assert shown == HOSTILE
    assert not [u for u in requests if "127.0.0.1:9" in u], "the Markdown image was never fetched"
    app.assert_healthy()
    app.screenshot("text-lab-hostile")


def test_clicking_the_unit_chart_picks_a_character(app):
    app.open("/text", heading="Text lab")
    app.chart("tl_line").wait_for()
    before = app.slider_value("tl_pos")
    points = app.chart("tl_line").locator("g.points path.point")
    points.first.wait_for()
    app.chart("tl_line").scroll_into_view_if_needed()
    box = points.nth(10).bounding_box()  # the 11th character's point, now on screen
    centre = (box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    # 532 markers 5 px wide sit ~1.3 px apart, so Plotly may hover a neighbour: the character picked must be
    # the one the hover label names, and that must be the 11th or a neighbour of it.
    app.page.mouse.move(*centre)
    label = app.chart("tl_line").locator(".hoverlayer .hovertext")
    label.wait_for()
    hovered = int(re.match(r"#(\d+)", label.text_content()).group(1))
    assert abs(hovered - 11) <= 1, hovered
    app.rerun(lambda: app.page.mouse.click(*centre))
    expect(app.slider("tl_pos")).to_have_attribute("value", str(hovered))
    assert before != hovered
    expect(app.page.locator("[data-testid=stMarkdownContainer]", has_text=f"#{hovered} is")).to_be_visible()
    app.assert_healthy()


def test_own_text_trains_and_opens_in_the_text_lab(app, tmp_path):
    good = tmp_path / "poem.txt"
    good.write_text(("the cat sat on the mat and the dog sat on the log\n" * 120), encoding="utf-8")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9 ".encode("latin-1") * 600)
    app.open("/training", heading="Training lab")
    upload = app.page.locator(".st-key-ot_file input[type=file]")
    app.rerun(lambda: upload.set_input_files(str(bad)))
    error = app.page.locator("[data-testid=stAlert]", has_text="not UTF-8")
    error.wait_for()
    assert "latin1.txt" in error.inner_text()
    app.rerun(lambda: upload.set_input_files(str(good)))
    app.press_slider("ot_budget", "Home")  # 10 s
    assert app.slider_value("ot_budget") == 10
    app.rerun(lambda: app.page.locator(".st-key-ot_train button").click(), timeout=120_000)
    done = app.page.locator("[data-testid=stAlert]", has_text="“poem.txt”:")
    done.wait_for()
    assert "bits per character" in done.inner_text()
    app.page.locator(".st-key-ot_curves .js-plotly-plot").wait_for()
    app.assert_healthy()
    app.screenshot("training-own-text")
    app.rerun(lambda: app.page.locator(".st-key-ot_open button").click(), timeout=120_000)
    app.heading("Text lab").wait_for()
    expect(app.page.locator(".st-key-tl_model")).to_contain_text("Your model (poem.txt)")
    expect(app.page.locator("[data-testid=stCaptionContainer]", has_text="Model: trained on your text (poem.txt)")
           ).to_be_visible()
    units_block(app).wait_for()
    expect(units_block(app)).to_contain_text("the cat sat on the mat")
    app.assert_healthy()
    app.screenshot("text-lab-own-model")
