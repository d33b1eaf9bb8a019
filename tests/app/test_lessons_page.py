"""Guided lessons under AppTest: every step of every shipped lesson opens its page with its preset and settings,
Back / Next walk the lesson, the URL names the lesson step, and a malformed lesson file is reported by file and field."""

from __future__ import annotations

import pytest

from tests.helpers import open_app
from ui import lessons, presenter, routes

HEADINGS = {route.path: route.header for route in routes.ROUTES}  # url path -> the page's heading
LESSONS, ERRORS = lessons.load_lessons(lessons.DEFAULT_FOLDER, presenter.rules())
STEPS = [(lesson.id, n) for lesson in LESSONS for n in range(1, len(lesson.steps) + 1)]


def heading(at) -> str:
    return at.header[0].value if at.header else ""


def assert_on_step(at, lesson_id: str, n: int) -> None:
    """The app shows step n: its page, its preset and settings, its page controls, and says so in the URL."""
    step = next(lesson for lesson in LESSONS if lesson.id == lesson_id).step(n)
    assert not at.exception, [e.message for e in at.exception]
    assert heading(at).startswith(HEADINGS[step.page]), (heading(at), step.page)
    ss = at.session_state
    assert ss["preset"] == step.preset
    assert ss["_lab"].cfg["preset"] == step.preset, "the lab on screen is built from the step's preset"
    for key, value in step.settings.items():
        assert ss[key] == value, key
    for key, value in step.controls.items():
        assert ss[key] == value, key
    q = at.query_params
    assert (q["lesson"], q["step"], q["preset"]) == (lesson_id, str(n), step.preset), "the URL names the step"
    panel = " ".join(m.value for m in at.markdown)
    assert step.ask in panel and step.text.split("\n\n")[0] in panel, "the lesson panel shows the step"


def test_the_shipped_lessons_load_without_errors():
    assert not ERRORS, [str(e) for e in ERRORS]
    assert len(LESSONS) >= 6


@pytest.mark.parametrize("lesson_id,n", STEPS, ids=[f"{i}-{n}" for i, n in STEPS])
def test_every_lesson_step_opens_its_page_with_its_preset(lesson_id, n):
    at = open_app(None, {"lesson": lesson_id, "step": n})
    assert_on_step(at, lesson_id, n)


def test_next_and_back_walk_the_lesson_across_pages():
    lesson = next(lesson for lesson in LESSONS if lesson.id == "gates")
    at = open_app(None, {"lesson": "gates", "step": 3})
    assert_on_step(at, "gates", 3)
    at.button(key="lesson_next").click().run()
    assert_on_step(at, "gates", 4)  # the gates page
    assert at.button(key="lesson_next").disabled, "the last step has no next"
    at.button(key="lesson_prev").click().run()
    assert_on_step(at, "gates", 3)  # back on the cell page
    assert len(lesson.steps) == 4


def test_a_step_resets_what_the_class_changed():
    at = open_app(None, {"lesson": "forget-bias", "step": 1})
    at.slider(key="fb").set_value(5.0).run()
    at.button(key="lesson_next").click().run()
    assert_on_step(at, "forget-bias", 2)
    assert at.session_state["fb"] == 0.0


def test_the_lesson_stays_in_the_url_while_the_page_is_used():
    at = open_app(None, {"lesson": "gates", "step": 2})
    at.button(key="cell_next").click().run()  # a fragment rerun writes the URL too
    assert at.session_state["t"] == 16
    assert (at.query_params["lesson"], at.query_params["step"], at.query_params["t"]) == ("gates", "2", "16")


def test_ending_the_lesson_removes_the_panel_and_the_url_parameters():
    at = open_app(None, {"lesson": "gates", "step": 1})
    at.button(key="lesson_end").click().run()
    assert not at.exception
    assert "lesson" not in at.query_params and "step" not in at.query_params
    assert not [b for b in at.button if b.key == "lesson_next"]


def test_a_link_with_settings_keeps_them():
    """The address bar of an open step carries the settings too; such a link reproduces what its sender saw."""
    at = open_app(None, {"lesson": "forget-bias", "step": 1, "preset": "preserved_lstm", "fb_on": 1, "fb": 1.5,
                         "T": 100})
    assert at.session_state["fb"] == 1.5
    assert at.query_params["lesson"] == "forget-bias"


@pytest.mark.parametrize("query,note", [
    ({"lesson": "nope"}, "`lesson=nope` is not a lesson"),
    ({"lesson": "gates", "step": 9}, "`step=9` is outside 1–4; showing step 4"),
    ({"lesson": "gates", "step": "two"}, "`step=two` is not a whole number"),
])
def test_a_bad_lesson_link_says_so(query, note):
    at = open_app(None, query)
    assert any(note in w.value for w in at.warning), [w.value for w in at.warning]


def test_the_lessons_page_lists_and_starts_every_lesson():
    at = open_app("lessons")
    assert heading(at) == "Lessons"
    text = " ".join(m.value for m in at.markdown)
    for lesson in LESSONS:
        assert lesson.title in text
    assert not at.error
    at.button(key="lesson_start_vanishing").click().run()
    assert_on_step(at, "vanishing", 1)
    assert "present" not in at.query_params


def test_a_malformed_lesson_file_is_reported_by_file_and_field(tmp_path, monkeypatch):
    good = (lessons.DEFAULT_FOLDER / "01-gates.md").read_text(encoding="utf-8")
    (tmp_path / "01-gates.md").write_text(good, encoding="utf-8")
    (tmp_path / "02-broken.md").write_text(good.replace("id: gates", "id: broken").replace("preset: latch", "preset: latchh", 1),
                                           encoding="utf-8")
    monkeypatch.setenv(lessons.FOLDER_ENV, str(tmp_path))
    at = open_app("lessons")
    errors = [e.value for e in at.error]
    assert len(errors) == 1, errors
    assert "02-broken.md" in errors[0] and "field 'preset'" in errors[0] and "'latchh' is not a preset" in errors[0]
    assert [b.key for b in at.button if (b.key or "").startswith("lesson_start_")] == ["lesson_start_gates"], \
        "the good lesson is still offered"


@pytest.mark.parametrize("lesson_id, n, widgets", [
    ("long-gap", 2, {"tr_gap": 50, "tr_fb": 4.0, "tr_model": "both"}),  # "(forget bias 4)", "a gap of 50"
    ("long-gap", 3, {"tr_gap": 50, "tr_noise": 0.5}),  # "(σ = 0.5)"
    ("long-gap", 4, {"tr_gap": 50, "tr_fb": 1.0, "tr_model": "lstm", "tr_budget": 20}),  # "20-second budget"
    ("exploding", 4, {"ex_clip": 1.0}),  # "(c = 1)"
    ("exploding", 5, {"ex_tbptt_k": 20}),  # "window k = 20"
])
def test_a_step_shows_the_page_settings_its_text_names(lesson_id, n, widgets):
    """The numbers a step quotes from its page's own widgets are what the page shows when the step opens it."""
    at = open_app(None, {"lesson": lesson_id, "step": n})
    assert_on_step(at, lesson_id, n)
    for key, value in widgets.items():
        widget = next(w for kind in ("slider", "select_slider", "segmented_control") for w in at.get(kind)
                      if getattr(w, "key", None) == key)
        assert widget.value == value, key


def test_going_on_to_another_lesson_resets_the_training_controls():
    at = open_app(None, {"lesson": "long-gap", "step": 4})
    assert at.session_state["tr_gap"] == 50
    at.button(key="lesson_prev").click().run()
    assert_on_step(at, "long-gap", 3)
    assert at.session_state["tr_fb"] == 4.0 and at.session_state["tr_model"] == "both", "back to the page defaults"
