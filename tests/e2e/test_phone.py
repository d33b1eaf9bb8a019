"""A phone at 390 × 844 (issue 17): every page usable, no control off-screen, and the cell diagram's labels do not
overlap each other (its compact layout, chosen for a phone's browser). Screenshots: artifacts/e2e/phone-*.png."""

from __future__ import annotations

import pytest

from tests.e2e.browser import PHONE, new_app
from ui.routes import ROUTES

# Every control the user acts on: buttons, sliders, text/number inputs, select boxes, segmented controls, toggles.
# A slider is checked by its track (role=group): its range input is visually hidden and may stick out past the thumb.
CONTROLS = ("[data-testid=stMain] button:visible, [data-testid=stMain] input:not([type=range]):visible, "
            "[data-testid=stMain] [data-testid=stSlider] [role=group]:visible, "
            "[data-testid=stMain] [role=radio]:visible")

OFF_SCREEN = """([sel, width]) => [...document.querySelectorAll(sel.replaceAll(':visible', ''))]
  .filter(e => e.offsetParent !== null && !e.closest('.js-plotly-plot') && !e.closest('[data-testid=stExpander] details:not([open])'))
  .map(e => [e, e.getBoundingClientRect()])
  .filter(([e, r]) => r.width > 0 && (r.left < -1 || r.right > width + 1))
  .map(([e, r]) => `${e.tagName} ${e.getAttribute('aria-label') || e.textContent.trim().slice(0, 30)}: ${Math.round(r.left)}..${Math.round(r.right)}`)"""

TEXT_BOXES = """el => [...el.querySelectorAll('g.textpoint text')]
  .filter(t => t.textContent.trim() !== '')
  .map(t => { const r = t.getBoundingClientRect(); return [t.textContent, r.left, r.top, r.right, r.bottom]; })"""


def overlaps(boxes, pad: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of text boxes (text, left, top, right, bottom) that overlap by more than ``pad`` px both ways."""
    out = []
    for n, a in enumerate(boxes):
        for b in boxes[n + 1:]:
            if min(a[3], b[3]) - max(a[1], b[1]) > pad and min(a[4], b[4]) - max(a[2], b[2]) > pad:
                out.append((a[0], b[0]))
    return out


@pytest.fixture
def phone(browser, server, request):
    app = new_app(browser, server, viewport=PHONE, is_mobile=True)
    yield app
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        app.screenshot(f"FAILED-{request.node.name}")
    app.page.context.close()


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.path)
def test_every_page_fits_a_phone(phone, route):
    phone.open(route.url)
    phone.assert_healthy()
    width = phone.page.evaluate("document.documentElement.clientWidth")
    assert width == PHONE["width"]
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    off = phone.page.evaluate(OFF_SCREEN, [CONTROLS, width])
    assert not off, f"controls off-screen at {width} px: {off}"
    for chart in phone.page.locator(".js-plotly-plot").all()[:6]:  # charts fit their container
        box, parent = chart.bounding_box(), chart.locator("xpath=..").bounding_box()
        if box is None or parent is None:  # in a closed expander or an inactive tab
            continue
        assert box["x"] >= -1 and box["x"] + box["width"] <= width + 1, f"a chart runs off-screen: {box}"
        assert box["width"] <= parent["width"] + 1
    phone.screenshot(f"phone-{route.path}")


@pytest.mark.parametrize("direction", ["Forward", "Backward"])
def test_cell_diagram_labels_do_not_overlap_on_a_phone(phone, direction):
    phone.open("/")
    if direction == "Backward":
        phone.rerun(lambda: phone.page.get_by_role("radio", name="Backward").click())
    chart = phone.chart("cell_diagram")
    chart.scroll_into_view_if_needed()
    chart.locator("g.textpoint text").first.wait_for()
    boxes = chart.evaluate(TEXT_BOXES)
    assert len(boxes) >= 8, boxes  # the node symbols / gate values and the kept labels are drawn
    assert any("step t = 1" in b[0] or "step t = 40" in b[0] for b in boxes), "the step is printed"
    assert not overlaps(boxes), f"overlapping labels at {PHONE['width']} px: {overlaps(boxes)}"
    plot = chart.bounding_box()
    assert all(plot["x"] - 1 <= b[1] and b[3] <= plot["x"] + plot["width"] + 1 for b in boxes), "a label is cut"
    phone.screenshot(f"phone-cell-{direction.lower()}")


def test_projector_layout_is_unchanged_on_a_desktop(app):
    """The compact layout is the phone's: a desktop browser at 1280 px still gets every label and the colour bars."""
    app.open("/")
    texts = app.chart_texts("cell_diagram")
    assert any(t.startswith("f = ") for t in texts) and any("tanh(c" in t for t in texts)
    assert app.chart("cell_diagram").locator(".colorbar").count() == 2
