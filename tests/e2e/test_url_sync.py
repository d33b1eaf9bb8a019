"""Quick successive changes of a shared setting, in a real browser: after the last one, the widget, the sidebar's
T box, the URL, the share link and what the page computed all show the same value, and no change is lost.

A student holding an arrow key on the sidebar's "Sequence length T" slider, or clicking the seed's + button fast,
sends a new value while the previous rerun is still running. Each trial presses 3 or 10 times, 100–150 ms apart
(the pause drawn at random, seeded), on three pages, five trials of each; the expected end value is the start
plus the number of presses. Nothing is waited for between presses: that is the point. After the last press the
checks wait (auto-retrying) for the expected value everywhere; a lost press or a stale value fails the trial.
"""

from __future__ import annotations

import random
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from lstm_core import lstm_backward, lstm_forward
from lstm_core.analysis import first_last_ratio, grad_norms
from lstm_core.losses import make_loss
from lstm_core.presets import PRESETS
from tests.e2e.browser import RERUN_TIMEOUT_MS
from tests.helpers import DEFAULT
from ui import routes

PAGES = [routes.DEFAULT.url, routes.by_path("gates").url, routes.by_path("gradients").url]
PRESSES = (3, 10)
TRIALS = 5
PAUSE_MS = (100, 150)


def core(T: int, seed: int):
    """(trace, grads) of the default preset at this length and seed, as the app computes them."""
    sc = PRESETS["default"].build(D=DEFAULT["D"], H=DEFAULT["H"], T=T, seed=seed)
    trace = lstm_forward(sc.lstm, sc.x)
    return trace, lstm_backward(sc.lstm, trace, make_loss(sc.loss, **sc.loss_kwargs)(trace.h)[1])


def fmt3(v: float) -> str:
    s = f"{v:.3f}".replace("-", "−")
    return "0.000" if s == "−0.000" else s


def share_query(app) -> dict:
    """The query of the link in the sidebar's "Share this view" (opened if needed)."""
    box = app.page.locator("[data-testid=stSidebar] [data-testid=stExpander]", has_text="Share this view")
    code = box.locator("code")
    if not code.is_visible():
        box.locator("summary").click()
    text = code.inner_text()
    return {k: v[0] for k, v in parse_qs(urlsplit(text.strip()).query).items()}


def expect_computed(app, path: str, T: int, seed: int) -> None:
    """What the page computed is the lab of (T, seed): a number on the page, checked against the core."""
    trace, grads = core(T, seed)
    page = app.page
    if path == routes.DEFAULT.url:  # the cell diagram at step t = 1: "step t = 1 of T" and its forget gate
        diagram = page.locator(".st-key-cell_diagram g.textpoint text")
        expect(diagram.filter(has_text=re.compile(rf"step t = \d+ of {T}$"))).to_have_count(1)
        step = int(re.search(r"step t = (\d+) of", diagram.filter(has_text="step t =").text_content()).group(1))
        expect(diagram.filter(has_text=re.compile(r"^f = "))).to_have_text(f"f = {fmt3(trace.f[step - 1, 0])}")
    elif path == "/gates":  # the heatmaps: T columns, the forget gate of unit 1 at step 1
        page.wait_for_function(
            """([T, f]) => { const gd = document.querySelector('.st-key-gate_heatmaps .js-plotly-plot');
                 const tr = gd && gd._fullData && gd._fullData.find(d => d.name === 'f');  // the z plotted
                 return !!(tr && tr.z && tr.z[0] && tr.z[0].length === T && Math.abs(tr.z[0][0] - f) < 1e-12); }""",
            arg=[T, float(trace.f[0, 0])])
    else:  # the gradient page's first metric: ‖∂L/∂c₁‖ / ‖∂L/∂c_T‖ of this lab
        want = f"{first_last_ratio(grad_norms(grads)['dc']):.2e}"
        expect(page.locator("[data-testid=stMetric]").filter(has_text="LSTM ‖∂L/∂c₁‖").locator(
            "[data-testid=stMetricValue]")).to_have_text(want)


SHOWN = """() => {  // what the browser shows now
    const value = sel => { const e = document.querySelectorAll(sel); return e.length === 1 ? e[0].value : e.length; };
    const q = new URLSearchParams(location.search);
    return {idle: document.querySelector('[data-testid=stApp][data-test-script-state=notRunning]') !== null,
            slider: value('.st-key-T input[type=range]'), box: value("[class*='st-key-T_box_'] input"),
            seed: value('.st-key-seed input'), url_T: q.get('T'), url_seed: q.get('seed')};
}"""


def expect_all_agree(app, path: str, T: int, seed: int) -> None:
    """Once the app is idle, the T slider, the T box, the seed box, the URL, the share link and the page all show
    (T, seed). A lost or stale change never gets there: the wait ends in a failure that says what was shown."""
    want = {"idle": True, "slider": str(T), "box": str(T), "seed": str(seed), "url_T": str(T), "url_seed": str(seed)}
    try:
        app.page.wait_for_function(f"want => {{ const s = ({SHOWN})(); "
                                   "return Object.keys(want).every(k => s[k] === want[k]); }", arg=want,
                                   timeout=RERUN_TIMEOUT_MS)
    except PlaywrightTimeout:
        raise AssertionError(f"wanted {want}, the browser shows {app.page.evaluate(SHOWN)}") from None
    expect_computed(app, path, T, seed)
    assert {k: share_query(app)[k] for k in ("T", "seed")} == {"T": str(T), "seed": str(seed)}
    assert app.page.evaluate(SHOWN) == want, "still the same once the page was read"
    app.assert_healthy()


def press_quickly(app, rng: random.Random, n: int, press) -> None:
    for k in range(n):
        press()
        if k < n - 1:
            app.page.wait_for_timeout(rng.uniform(*PAUSE_MS))  # the pace of the test's own input, not a wait


@pytest.mark.parametrize("path", PAGES)
def test_quick_presses_on_the_T_slider_keep_everything_in_step(app, path):
    rng = random.Random(f"T{path}")
    app.open(path)
    T, seed = DEFAULT["T"], DEFAULT["seed"]
    expect_all_agree(app, path, T, seed)
    thumb = app.slider("T")
    for trial in range(TRIALS):
        for n in PRESSES:
            thumb.focus()
            press_quickly(app, rng, n, lambda: thumb.press("ArrowRight"))
            T += n
            expect_all_agree(app, path, T, seed)
    app.screenshot(f"url-sync-T-{path.strip('/') or 'cell'}")


@pytest.mark.parametrize("path", PAGES)
def test_quick_clicks_on_the_seed_buttons_keep_everything_in_step(app, path):
    rng = random.Random(f"seed{path}")
    app.open(path)
    T, seed = DEFAULT["T"], DEFAULT["seed"]
    plus = app.page.locator(".st-key-seed [data-testid=stNumberInputStepUp]")
    minus = app.page.locator(".st-key-seed [data-testid=stNumberInputStepDown]")
    for trial in range(TRIALS):
        for n in PRESSES:
            press_quickly(app, rng, n, plus.click)
            seed += n
            expect_all_agree(app, path, T, seed)
        press_quickly(app, rng, 3, minus.click)
        seed -= 3
        expect_all_agree(app, path, T, seed)
    app.screenshot(f"url-sync-seed-{path.strip('/') or 'cell'}")
