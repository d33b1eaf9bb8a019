"""Presenter mode (?present=1) under AppTest: no controls but the lesson's step navigation and each page's own step
buttons, larger type, and it survives page switches and lesson steps until the teacher leaves it."""

from __future__ import annotations

from tests.helpers import base_key, open_app, page_file

SIDEBAR_CONTROLS = ("preset", "D", "H", "T", "T_box", "seed", "input")


def keys(elements) -> set:
    return {base_key(e.key) for e in elements if e.key}


def sidebar_controls(at) -> set:
    found = keys(at.sidebar.selectbox) | keys(at.sidebar.number_input) | keys(at.sidebar.slider)
    return found & set(SIDEBAR_CONTROLS)


def css(at) -> str:
    return " ".join(e.proto.body for e in at.get("html"))


def test_presenter_mode_hides_the_controls_but_keeps_the_step_navigation():
    at = open_app(None, {"present": 1, "lesson": "gates", "step": 1})
    assert not at.exception
    assert sidebar_controls(at) == set(), "no preset, size, seed or input controls"
    assert not [b for b in at.button if b.key in ("present_on",)]
    assert {"lesson_prev", "lesson_next", "lesson_end"} <= keys(at.button), "the lesson's back / next stay"
    assert {"cell_prev", "cell_next"} <= keys(at.button), "the page's own step buttons stay"
    assert "font-size: 18px" in css(at), "larger type"
    assert at.query_params["present"] == "1"


def test_without_presenter_mode_the_controls_are_there():
    at = open_app(None, {"lesson": "gates", "step": 1})
    assert sidebar_controls(at) == set(SIDEBAR_CONTROLS)
    assert "font-size: 18px" not in css(at)
    assert "present" not in at.query_params


def test_presenter_mode_survives_lesson_steps_and_page_switches():
    at = open_app(None, {"present": 1, "lesson": "gates", "step": 3})
    at.button(key="lesson_next").click().run()  # to the gates page
    assert at.header[0].value == "Gates over time"
    assert sidebar_controls(at) == set()
    assert (at.query_params["present"], at.query_params["step"]) == ("1", "4")
    at.switch_page(page_file("gradients")).run()
    assert not at.exception
    assert sidebar_controls(at) == set()
    assert at.query_params["present"] == "1"


def test_presenter_mode_can_be_left_and_entered():
    at = open_app(None, {"present": 1})
    assert sidebar_controls(at) == set()
    at.button(key="present_off").click().run()
    assert sidebar_controls(at) == set(SIDEBAR_CONTROLS)
    assert "present" not in at.query_params
    at.button(key="present_on").click().run()
    assert sidebar_controls(at) == set()
    assert at.query_params["present"] == "1"


def test_the_lessons_page_present_button_starts_in_presenter_mode():
    at = open_app("lessons")
    at.button(key="lesson_present_carousel").click().run()
    assert not at.exception
    assert at.header[0].value.startswith("Gradient flow")
    assert sidebar_controls(at) == set()
    assert (at.query_params["lesson"], at.query_params["step"], at.query_params["present"]) == ("carousel", "1", "1")


def test_a_bad_present_value_is_noted():
    at = open_app(None, {"present": "maybe"})
    assert any("`present=maybe`" in w.value for w in at.warning)
    assert sidebar_controls(at) == set(SIDEBAR_CONTROLS)
