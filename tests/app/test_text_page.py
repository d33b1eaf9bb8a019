"""The text lab under AppTest, on the shipped model: no exception, the right charts with the core's numbers, the
"find the cell" ranking, hostile text shown as text, the length limit, and reproducible sampling."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

from lstm_core.codefeatures import read_code
from lstm_core.text import CharModel, top_next
from tests.helpers import decode, figure, open_app, page_file
from ui.text import EXAMPLES, MAX_CHARS

PAGE = page_file("text")


@pytest.fixture(scope="module")
def model() -> CharModel:
    return CharModel.load()


def block(at, view: str) -> str:
    hits = [h.proto.body for h in at.get("html") if f"tl-{view}" in h.proto.body]
    assert len(hits) == 1, f"expected one {view} block"
    return hits[0]


def shown_text(body: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", body)).replace(" \n", "\n")


def test_page_shows_the_model_reading_the_default_text(model):
    at = open_app(PAGE)
    text = at.session_state["tl_text"]
    assert text == EXAMPLES["snippet"][1]
    trace, probs = model.run(text)
    unit, q, pos = at.session_state["tl_unit"], at.session_state["tl_quantity"], at.session_state["tl_pos"]
    t = pos - 1
    # the unit line is the core's value of that unit at every character
    line = figure(at, "tl_line")["data"][0]
    np.testing.assert_allclose(decode(line["y"]), getattr(trace, q)[:, unit], rtol=1e-12)
    # the bars are the model's top 5 after character t
    bars = figure(at, "tl_next")["data"][0]
    top = top_next(model.vocab, probs[t])
    np.testing.assert_allclose(decode(bars["y"]), [p for _, p in top], rtol=1e-12)
    # connectivity: the norms for the character that really came next
    conn = figure(at, "tl_conn")["data"][0]
    expected = model.connectivity(trace, probs, int(model.encode(text[t + 1])[0]), t)
    got = decode(conn["y"])
    assert got.shape == (t + 1,)
    np.testing.assert_allclose(got, expected, rtol=1e-9)
    # the coloured text shows every character once, as itself, with one tooltip each
    units = block(at, "units")
    assert shown_text(units) == text
    assert units.count('title="') == len(text)
    assert shown_text(block(at, "connectivity")) == text


def test_find_the_cell_ranks_and_jumps(model):
    at = open_app(PAGE)
    at.selectbox(key="tl_example").set_value("brackets").run()
    at.selectbox(key="tl_feature").set_value("bracket depth").run()
    at.button(key="tl_jump").click().run()
    assert not at.exception
    rd = read_code(model, EXAMPLES["brackets"][1])
    best = rd.ranking("bracket depth")[0]
    assert at.session_state["tl_unit"] == best["unit"]
    assert at.session_state["tl_quantity"] == best["best"]
    table = at.dataframe[0].value
    assert table["unit"].iloc[0] == best["unit"] + 1
    assert table["r"].iloc[0] == pytest.approx(best["r"], abs=5e-4)
    assert abs(best["r"]) >= abs(rd.ranking("bracket depth")[1]["r"])
    fig = figure(at, "tl_ranking")
    depth_bar = fig["data"][0]
    i = list(depth_bar["x"]).index("bracket depth")
    assert decode(depth_bar["y"])[i] == pytest.approx(np.nanmax(np.abs(rd.r[("bracket depth", "c")])))


@pytest.mark.parametrize("hostile", [
    "<script>alert(1)</script>\nx = '</span></div>'\n",
    "![x](http://127.0.0.1:9/i.png) **bold** $x$ `tick` <b>b</b>\n",
])
def test_hostile_text_is_shown_as_text(hostile):
    at = open_app(PAGE)
    at.text_area(key="tl_text").set_value(hostile).run()
    assert not at.exception
    for view in ("units", "connectivity"):
        body = block(at, view)
        assert shown_text(body) == hostile
        assert set(re.findall(r"<\s*/?\s*([a-zA-Z]+)", body)) <= {"div", "span"}
    # the sentence about the selected character quotes it in a code span only
    for md in at.markdown:
        assert "<script" not in md.value and "![x]" not in md.value


def test_long_text_is_cut_with_a_warning_and_empty_text_explained():
    at = open_app(PAGE)
    at.text_area(key="tl_text").set_value("x = 1\n" * 4000).run()  # 24,000 characters
    assert not at.exception
    assert any(f"{MAX_CHARS:,}" in w.value for w in at.warning)
    assert at.session_state["tl_pos"] <= MAX_CHARS
    at.text_area(key="tl_text").set_value("").run()
    assert not at.exception
    assert any("Type or paste" in i.value for i in at.info)


def test_sampling_is_reproducible(model):
    at = open_app(PAGE)
    at.text_input(key="tl_prompt").set_value("import ").run()
    at.slider(key="tl_n").set_value(50).run()
    at.number_input(key="tl_seed").set_value(7).run()
    at.button(key="tl_sample_button").click().run()
    assert not at.exception
    out = [c.value for c in at.code if c.value.startswith("import ")]
    assert out == ["import " + model.sample("import ", 50, 0.8, seed=7)]


def test_position_and_unit_controls(model):
    at = open_app(PAGE)
    at.slider(key="tl_pos").set_value(5).run()
    at.segmented_control(key="tl_quantity").set_value("f").run()
    assert not at.exception
    text = at.session_state["tl_text"]
    trace, probs = model.run(text)
    unit = at.session_state["tl_unit"]
    line = figure(at, "tl_line")["data"][0]
    np.testing.assert_allclose(decode(line["y"]), trace.f[:, unit], rtol=1e-12)
    table = at.dataframe[1].value
    assert table.iloc[:, 1].tolist() == pytest.approx(
        [round(float(getattr(trace, q)[4, unit]), 4) for q in ("c", "h", "i", "f", "g", "o")])
    assert len(decode(figure(at, "tl_conn")["data"][0]["y"])) == 5


def test_a_lesson_step_opens_on_the_counter_it_describes(model):
    at = open_app(query={"lesson": "reads-code", "step": 2})
    assert not at.exception
    ss = at.session_state
    assert ss["tl_text"] == EXAMPLES["brackets"][1] and ss["tl_quantity"] == "i"
    best = read_code(model, EXAMPLES["brackets"][1]).ranking("bracket depth")[0]
    assert ss["tl_unit"] == best["unit"], "the step shows the top unit for bracket depth"
    assert ss["tl_pos"] == EXAMPLES["brackets"][1].index("limit)") + len("limit")  # 1-based: the "t" before ")"
