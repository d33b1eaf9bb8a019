"""bench_class's protocol client against a real browser, and page loads in the browser at the largest settings.

    python bench/bench_class_browser.py

1. The same widget changes made by a real browser (Debian's chromium via playwright, tests/e2e/browser.py) and by
   bench/stclient.py's protocol session on one server: the step slider t from 1 to 5 on the cell walkthrough, then
   the gradient-flow page and its weight-scale knob one step up. After each, every array of every chart the page
   shows (x, y, z, customdata, text, hovertext of each trace) is read from the browser's plotly graph (``gd.data``)
   and from the ForwardMsg the protocol session received, and compared.
2. Every page opened in a new browser tab at the largest settings (D = 8, H = 64, T = 2000), first time for that
   seed and again, timed from the navigation to the page's first complete run (tests/e2e/browser.py ``READY``:
   script idle, sidebar drawn, no skeleton), so the browser's own drawing is included. One server on core 0
   (OPENBLAS_NUM_THREADS=1), the browser on core 1, like bench_class.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_class import LARGEST, PAGES, Server, load_average  # noqa: E402
from bench.stclient import Session  # noqa: E402
from tests.helpers import decode  # noqa: E402
from tests.e2e.browser import IDLE, LOAD_TIMEOUT_MS, READY, launch_chromium, new_app  # noqa: E402

ARRAYS = ("x", "y", "z", "customdata", "text", "hovertext")
# every plotly chart on the page has drawn its SVG
CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')]
    .every(e => e.querySelector('.main-svg') !== null)"""
# gd.data with typed arrays as plain lists (plotly.js decodes {"dtype", "bdata"} into typed arrays)
READ_DATA = """el => JSON.stringify(el.data.map(t => Object.fromEntries(
    Object.entries(t).map(([k, v]) => [k, ArrayBuffer.isView(v) ? Array.from(v) : v]))))"""


class BrowserServer(Server):
    """The bench's pinned server, with what tests/e2e/browser.App needs (``url``, ``log_tail``)."""

    def url(self, path: str = "/", query: dict | None = None) -> str:
        from urllib.parse import urlencode

        return self.base + path + (f"?{urlencode(query)}" if query else "")

    def log_tail(self, n: int = 40) -> str:
        return self.replica.log_tail(n)


def as_array(value):
    if isinstance(value, dict) and "bdata" in value:
        return decode(value)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return np.array(value, dtype=object)
    if isinstance(value, str):
        return np.array([value], dtype=object)
    return np.asarray(value, dtype=float) if value is not None else None


def compare(name: str, protocol_spec: dict, browser_data: list[dict]) -> tuple[int, list[str]]:
    """(arrays compared, differences) between the protocol session's figure and the browser's gd.data."""
    compared, diffs = 0, []
    if len(protocol_spec["data"]) != len(browser_data):
        return 0, [f"{name}: {len(protocol_spec['data'])} traces vs {len(browser_data)} in the browser"]
    for i, (mine, theirs) in enumerate(zip(protocol_spec["data"], browser_data)):
        for key in ARRAYS:
            if key not in mine:
                continue
            a, b = as_array(mine[key]), as_array(theirs.get(key))
            compared += 1
            if b is None or a.shape != b.shape:
                diffs.append(f"{name} trace {i} {key}: shape {a.shape} vs {None if b is None else b.shape}")
            elif a.dtype == object or b.dtype == object:
                if not all(str(x) == str(y) for x, y in zip(a.ravel(), b.ravel())):
                    diffs.append(f"{name} trace {i} {key}: texts differ")
            elif not np.array_equal(a, b, equal_nan=True):
                diffs.append(f"{name} trace {i} {key}: max |diff| {np.nanmax(np.abs(a - b)):.3g}")
    return compared, diffs


def browser_figures(app, keys) -> dict[str, list[dict]]:
    out = {}
    for key in keys:
        plot = app.page.locator(f".st-key-{key} .js-plotly-plot")
        plot.wait_for()
        out[key] = json.loads(plot.evaluate(READ_DATA))
    return out


async def protocol_figures(server: Server) -> dict[str, dict[str, dict]]:
    """The protocol session's figures after each of the two changes."""
    s = Session(server.base)
    await s.open("")
    for t in range(2, 6):  # one key press = one step, as the browser does
        if t == 5:
            one_step_short = dict(s.charts)
        await s.set("t", t)
    after_step = dict(s.charts)
    await s.switch_page("gradients")
    await s.set("scale", 1.1)
    after_scale = dict(s.charts)
    await s.close()
    if s.errors:
        raise SystemExit(f"protocol session errors: {s.errors}")
    return {"step": after_step, "scale": after_scale, "control": one_step_short}


def main() -> int:
    from playwright.sync_api import sync_playwright

    os.sched_setaffinity(0, {1})
    logs = ROOT / "artifacts" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    print(f"bench_class_browser: load average at start {load_average()}")
    status = 0
    with BrowserServer(0, logs / "class-browser-server.log") as server:
        protocol = asyncio.run(protocol_figures(server))  # before playwright's own event loop starts
        with sync_playwright() as pw:
            status = browser_part(pw, server, protocol)
    print(f"\nload average at the end {load_average()}")
    return status


def browser_part(pw, server: BrowserServer, protocol: dict) -> int:
    status = 0
    browser = launch_chromium(pw)
    app = new_app(browser, server)
    app.open("/")
    for _ in range(4):
        app.press_slider("t", "ArrowRight")
    app.page.locator(".st-key-cell_diagram g.textpoint text", has_text="step t = 5 of 40").wait_for()
    seen = {"step": browser_figures(app, ["cell_diagram", "cell_bars"])}
    app.nav("Gradient flow")
    app.press_slider("scale", "ArrowRight")
    app.page.wait_for_function("() => new URLSearchParams(location.search).get('scale') === '1.1'")
    seen["scale"] = browser_figures(app, ["grad_flow", "path_factors"])
    app.page.context.close()
    print("\nProtocol client vs browser, same changes (arrays compared: x, y, z, customdata, text, hovertext):")
    for change, figures in seen.items():
        for key, data in figures.items():
            n, diffs = compare(key, protocol[change][key], data)
            status |= bool(diffs) or n == 0
            print(f"  after {'t = 1 → 5 (cell)' if change == 'step' else 'weight scale 1 → 1.1 (gradients)'}: "
                  f"{key}: {n} arrays, " + ("identical" if not diffs and n else "; ".join(diffs[:3]) or "none"))
    for key, data in seen["step"].items():  # the comparison can fail: the protocol's figures one step earlier
        n, diffs = compare(key, protocol["control"][key], data)
        status |= not diffs
        print(f"  control, the protocol's {key} at t = 4 against the browser's at t = 5: {len(diffs)} of {n} arrays "
              "differ" + ("" if diffs else " (THE COMPARISON CANNOT TELL THEM APART)"))

    print(f"\nPage loads in the browser at the largest settings ({', '.join(f'{k} = {v}' for k, v in LARGEST.items())}"
          "), to the page's first complete run with every chart drawn (s):")
    app = new_app(browser, server)
    t0 = time.monotonic()
    app.open("/", {**LARGEST, "seed": 4242}, heading="")
    app.page.wait_for_function(CHARTS_DRAWN, timeout=LOAD_TIMEOUT_MS)
    print(f"  a new tab on /: {time.monotonic() - t0:.2f} (Streamlit's scripts fetched and started, then the page)")
    print("  then each page from the sidebar navigation, the first time for these settings and again:")
    order = [p for p in PAGES if p] + [""]
    times: dict[str, list[float]] = {p: [] for p in order}
    for _ in range(2):
        for path in order:
            link = app.page.locator(f'[data-testid=stSidebarNav] a[href="{server.base}/{path}"]')
            t0 = time.monotonic()
            app.rerun(link.click, timeout=LOAD_TIMEOUT_MS)
            app.page.wait_for_function(READY, arg=IDLE, timeout=LOAD_TIMEOUT_MS)
            app.page.wait_for_function(CHARTS_DRAWN, timeout=LOAD_TIMEOUT_MS)
            times[path].append(time.monotonic() - t0)
            app.assert_healthy()
    for path in order:
        print(f"  /{path:<12} {times[path][0]:6.2f} {times[path][1]:6.2f}", flush=True)
    app.page.context.close()
    browser.close()
    return status


if __name__ == "__main__":
    sys.exit(main())
