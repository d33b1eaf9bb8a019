"""Keyboard alone (issue 17): the cell walkthrough and a lesson driven with Tab, Shift+Tab, Enter, Space and the arrow
keys, never the mouse. Each control is reached by tabbing from where the focus is (a failure says which control Tab
never reaches), then used with its keys; the values shown must follow."""

from __future__ import annotations

from playwright.sync_api import expect

MAX_TABS = 150

FOCUSED = "sel => { const e = document.activeElement; return !!(e && e.closest && e.closest(sel)); }"
NAME = """() => { const e = document.activeElement; if (!e) return '';
  return (e.getAttribute('aria-label') || e.innerText || e.textContent || '').trim().slice(0, 60); }"""


QUIET = """sel => document.querySelector(sel) !== null && window.__e2e.idle > 0
  && performance.now() - Math.max(window.__e2e.idleAt, window.__e2e.runAt) > 600"""


def settle(app) -> None:
    """Wait until the app has been idle for a moment: a key pressed during a rerun's re-render can be lost (the
    focused button is replaced) or land on the next control."""
    from tests.e2e.browser import IDLE

    app.page.wait_for_function(QUIET, arg=IDLE)


def tab_to(app, selector: str, *, text: str | None = None, back: bool = False) -> int:
    """Press Tab (Shift+Tab with ``back``) until the focused element lies inside ``selector`` (and its visible text /
    aria-label contains ``text``); returns the number of presses. Fails naming the control if Tab never gets there."""
    seen = []
    settle(app)
    for n in range(MAX_TABS):
        if app.page.evaluate(FOCUSED, selector) and (text is None or text in app.page.evaluate(NAME)):
            return n
        app.page.keyboard.press("Shift+Tab" if back else "Tab")
        seen.append(app.page.evaluate(NAME))
    raise AssertionError(f"Tab never reached {selector} {text or ''} in {MAX_TABS} presses; passed: {seen[-25:]}")


def press(app, key: str) -> None:
    """Press a key on the focused control and wait for the rerun it causes."""
    settle(app)
    app.rerun(lambda: app.page.keyboard.press(key))


def test_cell_walkthrough_by_keyboard_alone(app):
    app.open("/")
    assert app.slider_value("t") == 1
    app.page.locator("body").focus()

    tab_to(app, ".st-key-cell_next")  # the step buttons: Enter presses
    assert app.page.evaluate(NAME), "the focused step button has an accessible name"
    press(app, "Enter")
    expect(app.slider("t")).to_have_value("2")
    tab_to(app, ".st-key-cell_last")
    press(app, "Enter")
    expect(app.slider("t")).to_have_value("40")
    tab_to(app, ".st-key-cell_first", back=True)
    press(app, "Enter")
    expect(app.slider("t")).to_have_value("1")

    tab_to(app, ".st-key-t input[type=range]")  # the step slider's thumb (not its help icon): arrows and End
    press(app, "ArrowRight")
    expect(app.slider("t")).to_have_value("2")
    press(app, "End")
    expect(app.slider("t")).to_have_value("40")
    step_label = app.chart("cell_diagram").locator("g.textpoint text", has_text="step t = 40")
    expect(step_label).to_have_count(1)  # the diagram follows the keyboard

    tab_to(app, ".st-key-cell_unit input[type=range]", back=True)  # the unit slider
    press(app, "ArrowRight")
    expect(app.chart("cell_diagram").locator(".gtitle")).to_contain_text("unit 2 of")

    # the direction switch is a radio group: Tab reaches its checked option, an arrow key moves, Enter selects
    tab_to(app, "[role=radio]", text="Forward", back=True)
    app.page.keyboard.press("ArrowRight")
    assert app.page.evaluate(NAME) == "Backward"
    press(app, "Enter")
    expect(app.page.get_by_role("radio", name="Backward")).to_have_attribute("aria-checked", "true")
    expect(app.chart("cell_diagram").locator(".gtitle")).to_contain_text("BPTT gradients")
    tab_to(app, ".st-key-cell_next")  # backward: "next" walks toward t = 1
    press(app, "Enter")
    expect(app.slider("t")).to_have_value("39")
    app.assert_healthy()
    app.screenshot("keyboard-cell")


def test_a_lesson_by_keyboard_alone(app):
    app.open("/lessons")
    app.page.locator("body").focus()
    tab_to(app, "button", text="Start")  # the first lesson's Start
    app.rerun(lambda: app.page.keyboard.press("Enter"), timeout=90_000)
    panel = app.page.locator(".st-key-lesson_panel")
    expect(panel).to_contain_text("step 1 of")
    tab_to(app, ".st-key-lesson_next")
    app.rerun(lambda: app.page.keyboard.press("Enter"), timeout=90_000)
    expect(panel).to_contain_text("step 2 of")
    tab_to(app, ".st-key-lesson_prev", back=True)
    assert app.page.evaluate(NAME), "the back button has an accessible name"
    app.rerun(lambda: app.page.keyboard.press("Enter"), timeout=90_000)
    expect(panel).to_contain_text("step 1 of")
    app.assert_healthy()
    app.screenshot("keyboard-lesson")


STEP_NOW = "([low, high]) => { const v = +document.querySelector('.st-key-t input[type=range]').value; " \
           "return v >= low && v <= high; }"


def test_play_by_keyboard_alone(app):
    """Play (the step controls' own, not Plotly's SVG one): Tab to it, Enter starts it, the step moves on by itself
    (the slider, the diagram and the URL follow), Enter again pauses it, with the focus kept on the button; in
    backward mode it walks toward t = 1 and stops there. The step buttons have names a screen reader can say."""
    app.open("/")
    page = app.page
    for name in ("Go to t = 1", "One step back", "Play", "One step forward", "Go to t = 40"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(1)
    page.locator("body").focus()

    tab_to(app, ".st-key-cell_play")
    press(app, "Enter")
    pause = page.get_by_role("button", name="Pause", exact=True)
    expect(pause).to_be_focused()  # the same button, now Pause: Enter again pauses
    page.wait_for_function(STEP_NOW, arg=[4, 40], timeout=30_000)  # it moves on by itself: 1 → 4 and on
    expect(app.chart("cell_diagram").locator("g.textpoint text", has_text="step t = 1 of")).to_have_count(0)
    press(app, "Enter")
    play = page.get_by_role("button", name="Play", exact=True)
    expect(play).to_be_focused()
    settle(app)
    paused_at = app.slider_value("t")
    runs = page.evaluate("() => window.__e2e.runs")
    page.wait_for_timeout(2_500)  # more than two of Play's steps: nothing may run now
    assert page.evaluate("() => window.__e2e.runs") == runs and app.slider_value("t") == paused_at
    shown = app.chart("cell_diagram").locator("g.textpoint text", has_text=f"step t = {paused_at:g} of")
    expect(shown).to_have_count(1)
    assert f"t={paused_at:g}" in page.url.split("?")[1].split("&"), "the URL keeps the step where Play paused"

    # backward (BPTT walks from T to 1): from t = 3, Play walks 3, 2, 1 and stops there by itself
    tab_to(app, "[role=radio]", text="Forward", back=True)
    page.keyboard.press("ArrowRight")
    press(app, "Enter")  # Backward starts at t = T
    tab_to(app, ".st-key-t input[type=range]")
    press(app, "Home")
    for _ in range(2):
        press(app, "ArrowRight")
    expect(app.slider("t")).to_have_value("3")
    tab_to(app, ".st-key-cell_play", back=True)
    press(app, "Enter")
    expect(page.get_by_role("button", name="Play", exact=True)).to_be_visible(timeout=30_000)  # it stopped
    expect(app.slider("t")).to_have_value("1")
    expect(page.get_by_role("button", name="One step forward (toward t = 1)", exact=True)).to_be_disabled()
    app.assert_healthy()
    app.screenshot("keyboard-play")
