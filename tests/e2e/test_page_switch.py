"""Shared settings survive a fragment rerun followed by a page switch, in a real browser.

Moving the step slider or a weight knob reruns only that part of the page (an @st.fragment). Streamlit then held the
setting only as the widget's state and dropped it at the next page switch: the new page ended in an error box
("st.session_state has no key 't'"). bench/bench_class.py's simulated students found it. Since issue 14 the shared
widgets are drawn with ``persist_state="session"`` (ui/state.py), which keeps their values through fragment runs and
pages that do not draw them; this test holds that in a real browser.
"""

from __future__ import annotations


def test_step_slider_then_other_pages_keeps_every_setting(app):
    app.open("/")
    app.press_slider("t", "ArrowRight")  # the walkthrough fragment reruns alone
    app.page.locator(".st-key-cell_diagram g.textpoint text", has_text="step t = 2 of 40").wait_for()
    app.nav("Gradient flow")
    app.assert_healthy()
    app.press_slider("scale", "ArrowRight")  # the gradient-flow fragment reruns alone (a page without the step)
    app.page.wait_for_function("() => new URLSearchParams(location.search).get('scale') === '1.1'")
    app.nav("Gates over time")  # a page with the step slider, without the knobs
    app.assert_healthy()
    assert app.slider_value("t") == 2, "the step chosen on the cell page"
    app.press_slider("t", "ArrowRight")  # the heatmaps fragment
    app.nav("Cell walkthrough")
    app.assert_healthy()
    app.page.locator(".st-key-cell_diagram g.textpoint text", has_text="step t = 3 of 40").wait_for()
    assert app.query()["scale"] == "1.1", "the knob set on the gradient page"
    app.screenshot("page-switch-after-fragment-runs")
