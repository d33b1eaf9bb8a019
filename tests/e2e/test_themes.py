"""Light and dark (issue 17): Streamlit follows the browser's colour scheme, and so do the charts (Streamlit's plotly
theme). The cell diagram lets the page show through (no light box on the dark page) with text in the theme's
colour, its colour-bar titles stay inside the chart in presenter mode at 1280 × 720, and every chart fits its
container. Screenshots: artifacts/e2e/theme-<scheme>-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import new_app

LUMINANCE = """c => { const m = c.match(/[\\d.]+/g).map(Number); const [r, g, b] = m.slice(0, 3).map(v => v / 255)
  .map(v => v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4); return 0.2126 * r + 0.7152 * g + 0.0722 * b; }"""

STYLE = """(el, [sel, prop]) => { const e = el.querySelector(sel); return e ? getComputedStyle(e)[prop] : null; }"""


@pytest.fixture(params=["light", "dark"])
def themed(request, browser, server):
    app = new_app(browser, server, color_scheme=request.param)
    app.scheme = request.param
    yield app
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        app.screenshot(f"FAILED-{request.node.name}")
    app.page.context.close()


def luminance(app, color: str) -> float:
    return app.page.evaluate(f"({LUMINANCE})(arguments[0])".replace("arguments[0]", repr(color)))


def charts_fit(app) -> None:
    width = app.page.evaluate("document.documentElement.clientWidth")
    for chart in app.page.locator(".js-plotly-plot").all():
        box = chart.bounding_box()
        if box is None:
            continue
        holder = chart.locator("xpath=ancestor::*[@data-testid='stPlotlyChart'][1]").bounding_box()
        assert box["x"] + box["width"] <= holder["x"] + holder["width"] + 1, "a chart is wider than its container"
        assert box["x"] + box["width"] <= width + 1


@pytest.mark.parametrize("direction", ["Forward", "Backward"])
def test_cell_diagram_follows_the_theme_in_presenter_mode(themed, direction):
    app = themed
    app.goto("/", {"present": 1})  # presenter mode has no sidebar, which App.ready waits for: wait for the chart
    app.page.wait_for_function("sel => document.querySelector(sel) !== null && window.__e2e.idle > 0",
                               arg=".st-key-cell_diagram .colorbar", timeout=90_000)
    assert app.page.locator("[data-testid=stSidebar] .st-key-preset").count() == 0 or \
        not app.page.locator("[data-testid=stSidebar]").is_visible(), "presenter mode hides the controls"
    if direction == "Backward":
        app.rerun(lambda: app.page.get_by_role("radio", name="Backward").click())
    chart = app.chart("cell_diagram")
    chart.locator(".colorbar").first.wait_for()
    page_bg = app.page.evaluate("getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
    dark_page = luminance(app, page_bg) < 0.2
    assert dark_page == (app.scheme == "dark"), f"the app did not follow the browser's {app.scheme} scheme"
    plot_bg = chart.evaluate(STYLE, ["rect.bg", "fill"]), chart.evaluate(STYLE, ["rect.bg", "fillOpacity"])
    assert plot_bg[1] == "0" or plot_bg[0] in ("rgba(0, 0, 0, 0)", "transparent"), \
        f"the plot box is painted {plot_bg}, not the page"
    label = chart.locator("g.textpoint text", has_text="step t =").first
    text_color = label.evaluate("e => getComputedStyle(e).fill")
    assert (luminance(app, text_color) > 0.5) == dark_page, f"label colour {text_color} on a {app.scheme} page"
    lum = sorted((luminance(app, text_color), luminance(app, page_bg)))
    assert (lum[1] + 0.05) / (lum[0] + 0.05) >= 4.5, f"label colour {text_color} on {page_bg}: under WCAG AA"
    right = chart.bounding_box()
    right = right["x"] + right["width"]
    for title in chart.locator(".colorbar .cbtitle text").all():
        box = title.bounding_box()
        assert box["x"] + box["width"] <= right + 0.5, f"colour-bar title {title.text_content()!r} is cut"
    expected = ["gradient"] if direction == "Backward" else ["gate", "value"]
    expect(chart.locator(".colorbar .cbtitle text")).to_have_text(expected)
    charts_fit(app)
    app.assert_healthy()
    app.screenshot(f"theme-{app.scheme}-cell-{direction.lower()}-present")


@pytest.mark.parametrize("path", ["/gradients", "/gates", "/explorer"])
def test_charts_follow_the_theme_and_fit(themed, path):
    app = themed
    app.open(path)
    app.page.locator(".js-plotly-plot").first.wait_for()
    paper = app.page.locator(".js-plotly-plot").first.evaluate(STYLE, ["rect.bg", "fill"])
    page_bg = app.page.evaluate("getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor")
    title = app.page.locator(".js-plotly-plot .xtitle, .js-plotly-plot .gtitle").first
    if title.count():
        color = title.evaluate("e => getComputedStyle(e).fill")
        assert (luminance(app, color) > 0.5) == (luminance(app, page_bg) < 0.2), f"chart text {color} unreadable"
    assert paper is not None
    charts_fit(app)
    app.assert_healthy()
    app.screenshot(f"theme-{app.scheme}{path.replace('/', '-')}")
