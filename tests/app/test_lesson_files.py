"""Lesson files: the real ones load, and every kind of malformed file raises a LessonError (a ValueError) whose
message names the file and the field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ui import lessons
from ui.lessons import LessonError, Rules, load_lessons, parse_lesson


@pytest.fixture(scope="module")
def rules() -> Rules:
    from ui import presenter  # the app's own rules: ui.state's ranges, the presets, the page controls

    return presenter.rules()


GOOD = """---
id: demo
title: A demo lesson
summary: Two steps.
minutes: 5
order: 3
---

## First step
page: gradients
preset: preserved_lstm
fb: 2
T: 200
look: The top chart.
ask: What do you see?

One sentence. Another
sentence on a second line.

A second paragraph.

## Second step
page: explorer
preset: exploding_rnn
controls: ex_view=clip, ex_clip_on=1
ask: A question that goes on
  over a continuation line?

Text.
"""


def test_a_good_lesson_parses_into_typed_steps(rules):
    lesson = parse_lesson("demo.md", GOOD, rules)
    assert (lesson.id, lesson.title, lesson.minutes, lesson.order) == ("demo", "A demo lesson", 5, 3)
    first, second = lesson.steps
    assert (first.title, first.page, first.preset, first.look) == ("First step", "gradients", "preserved_lstm",
                                                                   "The top chart.")
    assert first.settings == {"fb": 2.0, "fb_on": True, "T": 200}, "fb alone switches the knob on"
    assert first.text == "One sentence. Another sentence on a second line.\n\nA second paragraph."
    assert second.controls == {"ex_view": "clip", "ex_clip_on": True}
    assert second.ask == "A question that goes on over a continuation line?"
    assert lesson.step(2) is second


TRAINING_STEP = GOOD + """
## Third step
page: training
preset: preserved_lstm
controls: tr_gap=50, tr_model=lstm, tr_fb=1
ask: Which learns?

Text.
"""


def test_numeric_page_controls_are_typed_like_their_widgets(rules):
    step = parse_lesson("demo.md", TRAINING_STEP, rules).step(3)
    assert step.controls == {"tr_gap": 50, "tr_model": "lstm", "tr_fb": 1.0}
    assert type(step.controls["tr_gap"]) is int and type(step.controls["tr_fb"]) is float


@pytest.mark.parametrize("control, phrase", [
    ("tr_gap=500", "is outside 1–200"),
    ("tr_gap=2.5", "is not on the control's steps of 1"),
    ("tr_gap=many", "is not a number"),
    ("tr_fb=1.25", "is not on the control's steps of 0.5"),
    ("tr_fb=-6", "is outside -5–10"),
    ("tr_model=gru", "valid values are both, lstm, rnn"),
])
def test_a_bad_numeric_control_names_the_field(control, phrase, rules):
    text = TRAINING_STEP.replace("tr_gap=50, tr_model=lstm, tr_fb=1", control)
    with pytest.raises(LessonError, match="field 'controls'") as info:
        parse_lesson("broken.md", text, rules)
    assert phrase in str(info.value) and "step 3" in str(info.value)


def test_the_shipped_lessons_all_load(rules):
    found, errors = load_lessons(lessons.DEFAULT_FOLDER, rules)
    assert not errors, [str(e) for e in errors]
    assert [lesson.id for lesson in found] == ["gates", "forget-bias", "vanishing", "carousel", "exploding", "long-gap",
                                               "reads-code"]
    assert all(2 <= len(lesson.steps) <= 5 for lesson in found)
    assert sum(lesson.minutes for lesson in found[:6]) == 45, "the first six: one 45-minute class"
    assert {step.page for lesson in found for step in lesson.steps} >= {"cell", "gates", "gradients", "explorer",
                                                                        "training"}


def _without(text: str, line: str) -> str:
    assert line in text
    return text.replace(line, "", 1)


MALFORMED = {
    # name: (text, field named in the message, a phrase of the message)
    "missing ask": (_without(GOOD, "ask: What do you see?\n"), "ask", "missing"),
    "missing page": (_without(GOOD, "page: gradients\n"), "page", "missing"),
    "missing title": (_without(GOOD, "title: A demo lesson\n"), "title", "missing"),
    "unknown page": (GOOD.replace("page: gradients", "page: gradient"), "page", "'gradient' is not a page"),
    "unknown preset": (GOOD.replace("preset: preserved_lstm", "preset: preserved"), "preset",
                       "'preserved' is not a preset"),
    "H out of range": (GOOD.replace("T: 200", "H: 100"), "H", "outside 1–64"),
    "T not a number": (GOOD.replace("T: 200", "T: long"), "T", "not a whole number"),
    "fb out of range": (GOOD.replace("fb: 2", "fb: 12"), "fb", "outside -10–10"),
    "bad bool": (GOOD.replace("fb: 2", "fb_on: maybe"), "fb_on", "must be 1 or 0"),
    "bad input": (GOOD.replace("T: 200", "input: noise"), "input", "is not one of"),
    "t beyond T": (GOOD.replace("T: 200", "T: 20\nt: 30"), "t", "beyond the sequence length T = 20"),
    "t beyond the preset's T": (GOOD.replace("T: 200", "t: 150"), "t", "beyond the sequence length T = 100"),
    "unbuildable": (GOOD.replace("preset: preserved_lstm\nfb: 2\nT: 200", "preset: latch\nD: 1"), "settings",
                    "at least 2 input channels"),
    "unknown field": (GOOD.replace("look: The top chart.", "lok: The top chart."), "lok", "unknown field"),
    "field twice": (GOOD.replace("fb: 2", "fb: 2\nfb: 3"), "fb", "given twice"),
    "no front matter": (GOOD.replace("---\nid: demo", "id: demo", 1), "header", "must start with a '---' line"),
    "unclosed front matter": (GOOD.replace("order: 3\n---", "order: 3"), "header", "no closing '---'"),
    "bad header line": (GOOD.replace("minutes: 5", "five minutes"), "header", "not 'name: value'"),
    "bad id": (GOOD.replace("id: demo", "id: Demo Lesson"), "id", "lower-case"),
    "bad minutes": (GOOD.replace("minutes: 5", "minutes: soon"), "minutes", "not a whole number"),
    "no steps": (GOOD[:GOOD.index("## First step")], "steps", "no steps"),
    "text before the first step": (GOOD.replace("---\n\n## First", "---\nIntro.\n## First"), "steps",
                                   "text before the first step"),
    "one-hash step": (GOOD.replace("## Second step", "# Second step"), "steps", "'## '"),
    "missing text": (GOOD.replace("\nText.\n", "\n"), "text", "missing"),
    "text too long": (GOOD.replace("A second paragraph.", "x" * 500), "text", "fit on a projector"),
    "unknown control": (GOOD.replace("ex_view=clip", "ex_mode=clip"), "controls", "not a control"),
    "bad control value": (GOOD.replace("ex_view=clip", "ex_view=zoom"), "controls", "valid values"),
    "control of another page": (GOOD.replace("page: explorer", "page: gradients"), "controls", "on the 'explorer' page"),
    "empty step title": (GOOD.replace("## Second step", "## "), "title", "no title"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_lesson_names_the_file_and_the_field(case, rules):
    text, field_name, phrase = MALFORMED[case]
    with pytest.raises(ValueError) as info:
        parse_lesson("broken.md", text, rules)
    err = info.value
    assert isinstance(err, LessonError)
    message = str(err)
    assert message.startswith("broken.md: "), message
    assert f"field '{field_name}'" in message, message
    assert phrase in message, message
    assert (err.file, err.field) == ("broken.md", field_name)


def test_a_step_error_says_which_step(rules):
    with pytest.raises(LessonError, match=r"broken.md: step 2 \('Second step'\), field 'preset'"):
        parse_lesson("broken.md", GOOD.replace("preset: exploding_rnn", "preset: nope"), rules)


def test_a_bad_file_does_not_hide_the_good_ones(tmp_path, rules):
    for path in lessons.DEFAULT_FOLDER.glob("*.md"):
        shutil.copy(path, tmp_path)
    (tmp_path / "zz-new.md").write_text(GOOD.replace("id: demo", "id: new-one"), encoding="utf-8")
    (tmp_path / "zz-broken.md").write_text(GOOD.replace("page: gradients", "page: nowhere"), encoding="utf-8")
    (tmp_path / "zz-copy.md").write_text(GOOD.replace("id: demo", "id: gates"), encoding="utf-8")
    (tmp_path / "latin1.md").write_bytes("---\nid: caf\xe9\n".encode("latin-1"))
    (tmp_path / "notes.txt").write_text("not a lesson")
    found, errors = load_lessons(tmp_path, rules)
    ids = [lesson.id for lesson in found]
    assert "new-one" in ids, "adding a lesson file is all it takes"
    assert ids[2:4] == ["new-one", "vanishing"], "ordered by the header's order (both 3), then id"
    by_file = {e.file: e for e in errors}
    assert set(by_file) == {"zz-broken.md", "zz-copy.md", "latin1.md"}
    assert by_file["zz-broken.md"].field == "page"
    assert by_file["zz-copy.md"].field == "id" and "01-gates.md" in str(by_file["zz-copy.md"])
    assert by_file["latin1.md"].field == "file" and "UTF-8" in str(by_file["latin1.md"])


def test_the_readme_and_a_missing_folder(tmp_path, rules):
    (tmp_path / "README.md").write_text("# How to write a lesson\n")
    assert load_lessons(tmp_path, rules) == ([], [])
    found, errors = load_lessons(tmp_path / "nowhere", rules)
    assert found == [] and errors[0].field == "folder"


def test_the_folder_can_be_moved_by_an_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(lessons.FOLDER_ENV, str(tmp_path))
    assert lessons.folder() == Path(tmp_path)
    monkeypatch.delenv(lessons.FOLDER_ENV)
    assert lessons.folder() == lessons.DEFAULT_FOLDER


def test_the_module_does_not_import_streamlit():
    source = Path(lessons.__file__).read_text()
    assert "import streamlit" not in source and "from streamlit" not in source
