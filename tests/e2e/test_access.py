"""Everyone can use it (issue 17), in a real browser: axe-core on every page in light and dark.

axe-core (npm package axe-core, MPL-2.0) is vendored as tests/e2e/vendor/axe.min.js, so the suite needs no network;
tests/e2e/vendor/README.md says which version and how to update it. It is injected into the page after the app's
first run and checks the whole document against WCAG 2.x A/AA rules. A test fails on any "serious" or "critical"
violation that ALLOWED does not name: each entry is Streamlit's own markup or styling, out of the app's reach, with
the reason it is tolerated.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.browser import new_app
from ui.routes import ROUTES

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
SEVERE = ("serious", "critical")

# (axe rule id, CSS selector the offending element matches or lies inside, colour schemes, reason)
ALLOWED = [
    ("color-contrast", "[data-testid=stWidgetLabel][disabled]", ("light", "dark"),
     "Streamlit greys out the label of a disabled widget (the forget-bias and spectral-radius sliders while their "
     "toggle is off). WCAG 1.4.3 exempts text of inactive components; axe cannot tell, as the label carries a "
     "non-standard disabled attribute."),
    ("color-contrast", "[data-testid=stSliderThumbValue]", ("dark",),
     "Streamlit draws a slider's value in the accent colour. On the dark page the accent would need to be light, "
     "but the same accent fills primary buttons under white text, which needs it dark: no colour passes 4.5:1 for "
     "both (luminance ≥ 0.21 against ≤ 0.18). We keep the buttons readable; the value is also the slider's "
     "aria-valuenow, which a screen reader announces."),
    ("color-contrast", "[data-variant=segmented_control][aria-checked=true]", ("dark",),
     "The selected segment's label is drawn in the accent colour on its tint: the same dark-theme conflict as the "
     "slider value above; the selection is also announced (aria-checked)."),
]

RUN_AXE = """async ([allowed, scheme]) => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  const out = [];
  for (const v of result.violations) {
    for (const node of v.nodes) {
      const el = document.querySelector(node.target[node.target.length - 1]);
      const excused = allowed.find(([id, sel, schemes]) =>
        id === v.id && schemes.includes(scheme) && el && el.closest(sel) !== null);
      out.push({id: v.id, impact: node.impact || v.impact, target: node.target.join(' '),
                html: node.html.slice(0, 200), message: (node.any[0] || node.all[0] || {}).message || v.help,
                allowed: excused ? excused[0] + ' @ ' + excused[1] : null});
    }
  }
  return out;
}"""


def axe_findings(app, scheme: str) -> list[dict]:
    """Every violation node axe-core finds on the current page (each marked with the ALLOWED entry it matches)."""
    if not app.page.evaluate("typeof window.axe !== 'undefined'"):
        app.page.add_script_tag(path=str(AXE))
    return app.page.evaluate(RUN_AXE, [[list(a[:3]) for a in ALLOWED], scheme])


def test_axe_is_the_vendored_npm_release():
    head = AXE.read_text(encoding="utf-8")[:400]
    assert head.startswith("/*! axe v4.") and "Mozilla Public" in head


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.path)
def test_no_serious_axe_violations(browser, server, request, route, scheme):
    app = new_app(browser, server, color_scheme=scheme)
    try:
        app.open(route.url)
        findings = axe_findings(app, scheme)
        severe = [f for f in findings if f["impact"] in SEVERE and not f["allowed"]]
        assert not severe, "\n".join(f"{f['impact']} {f['id']}: {f['target']}\n    {f['html']}\n    {f['message']}"
                                     for f in severe)
        app.assert_healthy()
    except Exception:
        app.screenshot(f"FAILED-axe-{route.path}-{scheme}")
        raise
    finally:
        app.page.context.close()
