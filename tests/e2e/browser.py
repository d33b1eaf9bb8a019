"""The real-browser machinery shared by the e2e tests (tests/e2e/conftest.py) and the load benchmark
(bench/bench_load.py): a `streamlit run app.py` server on 127.0.0.1 at a free port, Debian's chromium launched
through the PyPI playwright package, and ``App``, one browser tab on the app with the waits and reads the tests need.

Synchronisation is never a bare sleep: ``INIT_SCRIPT`` records every change of Streamlit's
``[data-testid=stApp][data-test-script-state]`` attribute, so ``App.rerun(action)`` waits for the rerun that the
action caused to finish (and measures it, from the triggering key press / click to ``notRunning``, on the page's own
clock), and the tests then wait for the specific element they check.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ui.routes import ROUTES

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "e2e"
CHROMIUM = os.environ.get("LSTM_LAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 720}  # a classroom projector
LOAD_TIMEOUT_MS = 90_000  # first page load of a session (cold caches, a busy 2-core CI machine)
RERUN_TIMEOUT_MS = 60_000
UNSEEN_RUN_MS = 15_000  # after this long with no run observed, check whether it ran unseen (see App.rerun)
PAGE_HEADINGS = {route.url: route.header for route in ROUTES}  # URL path -> the page's heading ("/": the default)
IDLE = "[data-testid=stApp][data-test-script-state=notRunning]"

# A page's first complete run is on screen (argument: IDLE), or an exception box ended it: the sidebar's preset box
# (app.py draws it) is there and no skeleton (a widget still loading its code) is left.
READY = """sel => document.querySelector('[data-testid=stException]') !== null || (
  window.__e2e && window.__e2e.idle > 0 && document.querySelector(sel) !== null
  && document.querySelector('[data-testid=stSidebar] .st-key-preset input') !== null
  && document.querySelector('[data-testid=stSkeleton]') === null)"""

# Runs in every page before Streamlit's own scripts. Records script-state changes and the time of the last user
# input (key press, pointer press), all on the page's performance.now() clock.
INIT_SCRIPT = r"""
(() => {
  const s = window.__e2e = {idle: 0, runs: 0, idleAt: 0, runAt: 0, inputAt: 0, log: []};
  new MutationObserver(ms => {
    for (const m of ms) {
      if (m.attributeName !== 'data-test-script-state') continue;
      const v = m.target.getAttribute('data-test-script-state'), now = performance.now();
      s.log.push([v, now]);
      if (v === 'running') { s.runs++; s.runAt = now; }
      if (v === 'notRunning') { s.idle++; s.idleAt = now; }
    }
  }).observe(document, {subtree: true, attributes: true, attributeFilter: ['data-test-script-state']});
  for (const type of ['keydown', 'pointerdown']) {
    window.addEventListener(type, () => { s.inputAt = performance.now(); }, true);
  }
})();
"""


# ---- the server -------------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StreamlitServer:
    """`streamlit run app.py` on 127.0.0.1:<free port> (``start()`` waits for /_stcore/health; ``stop()``)."""

    def __init__(self, name: str):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_path = ARTIFACTS / f"server-{slug(name)}.log"
        self.proc: subprocess.Popen | None = None
        self.port = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/", query: dict | None = None) -> str:
        return self.base + path + (f"?{urlencode(query)}" if query else "")

    def start(self, timeout: float = 60.0) -> "StreamlitServer":
        for _attempt in range(3):  # a free port can be taken between free_port() and the bind: retry
            self.port = free_port()
            log = open(self.log_path, "w")
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "streamlit", "run", "app.py",
                 "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(self.port),
                 "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
                 "--server.runOnSave", "false"],
                cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            log.close()
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    with urllib.request.urlopen(f"{self.base}/_stcore/health", timeout=2) as resp:
                        if resp.status == 200 and resp.read().strip() == b"ok":
                            return self
                except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                    pass
                time.sleep(0.1)  # polling interval of the health check, not a synchronisation by itself
            else:
                self.stop()
                raise RuntimeError(f"streamlit did not answer /_stcore/health within {timeout:.0f} s:\n{self.log_tail()}")
            if "already in use" not in self.log_tail():
                raise RuntimeError(f"streamlit exited with code {self.proc.returncode}:\n{self.log_tail()}")
        raise RuntimeError(f"streamlit could not bind a free port:\n{self.log_tail()}")

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no server log)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


# ---- the browser ----------------------------------------------------------------------------------------------

def launch_chromium(playwright):
    """Debian's chromium (sync or async playwright); RuntimeError with the fix when it is missing."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            f"Chromium not found at {CHROMIUM}. The real-browser tests need Debian's chromium: "
            "`apt-get update && apt-get install -y chromium` (never `playwright install`), "
            "or point LSTM_LAB_CHROMIUM at a chromium binary."
        )
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


# ---- one tab of the app -------------------------------------------------------------------------------------------

PHONE = {"width": 390, "height": 844}  # a phone in portrait (issue 17)
PHONE_UA = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 "
            "Mobile Safari/537.36")  # what a phone's Chrome sends: "Mobi" in it (ui.widgets.on_phone)


def new_app(browser, server: "StreamlitServer", *, viewport: dict = VIEWPORT, color_scheme: str = "light",
            is_mobile: bool = False) -> "App":
    """A fresh browser context (a new Streamlit session), at projector size unless ``viewport`` says otherwise, in
    the browser's ``color_scheme`` ("light" / "dark": Streamlit follows it), with the run recorder installed.
    ``is_mobile``: a phone's browser (meta viewport honoured, touch, a phone's User-Agent)."""
    context = browser.new_context(viewport=viewport, accept_downloads=True, color_scheme=color_scheme,
                                  is_mobile=is_mobile, has_touch=is_mobile, **({"user_agent": PHONE_UA} if is_mobile else {}))
    context.add_init_script(INIT_SCRIPT)
    context.set_default_timeout(RERUN_TIMEOUT_MS)
    return App(context.new_page(), server)


def fmt3(v: float) -> str:
    """The cell diagrams' number labels (charts.cell): three decimals, a true minus sign, no −0.000."""
    s = f"{v:.3f}".replace("-", "−")
    return "0.000" if s == "−0.000" else s


def slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")


class App:
    """One browser tab on the app, with the waits and reads the tests need."""

    def __init__(self, page, server: StreamlitServer):
        self.page = page
        self.server = server
        self.errors: list[str] = []  # uncaught JavaScript errors
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))

    # -- navigation and waiting --

    def open(self, path: str = "/", query: dict | None = None, heading: str | None = None) -> "App":
        """Load ``path`` (a new Streamlit session) and wait until its first complete run is on screen."""
        self.goto(path, query)
        return self.ready(path, heading)

    def goto(self, path: str = "/", query: dict | None = None) -> None:
        """Start loading ``path`` (returns once the server answered; see ``ready``)."""
        self.page.goto(self.server.url(path, query), timeout=LOAD_TIMEOUT_MS, wait_until="commit")

    def ready(self, path: str = "/", heading: str | None = None) -> "App":
        """Wait for the first complete run of the router after ``goto``: the script idle, the sidebar's preset
        box drawn (app.py draws it) and no widget still loading, all at the same moment; then the page's heading
        (``heading``, default the one PAGE_HEADINGS knows for ``path``; "" for none). An exception box ends the wait
        at once."""
        self.page.wait_for_function(READY, arg=IDLE, timeout=LOAD_TIMEOUT_MS)
        assert not self.exceptions(), (f"{path}: stException on the page: {self.exceptions()}\n"
                                       f"server log:\n{self.server.log_tail()}")
        heading = PAGE_HEADINGS.get(path) if heading is None else heading
        if heading:
            self.heading(heading).wait_for()
        return self

    def heading(self, text: str):
        """The page's st.header (an h2 in the main area)."""
        return self.page.locator("[data-testid=stMain]").get_by_role("heading", name=text, level=2)

    def runs_finished(self) -> int:
        return self.page.evaluate("window.__e2e.idle")

    def rerun(self, action, timeout: float = RERUN_TIMEOUT_MS) -> float:
        """Do ``action`` (which must make Streamlit rerun), wait until that rerun finished; return the time in ms
        from the action's key press / pointer press to the script state ``notRunning`` (the page's own clock)."""
        before = self.runs_finished()
        self.page.evaluate("window.__e2e.inputAt = 0")
        action()
        try:
            self.page.wait_for_function(
                "([n, sel]) => window.__e2e.idle > n && document.querySelector(sel) !== null",
                arg=[before, IDLE], timeout=min(timeout, UNSEEN_RUN_MS))
        except PlaywrightTimeout:
            # A fast (fragment) rerun can go running -> notRunning within one React render, so the attribute never
            # changes and the observer sees no run. If the app is idle now, the caller's own checks (the values on
            # screen) decide whether the rerun happened; if it is still running, wait for it as usual.
            if not self.page.evaluate("sel => document.querySelector(sel) !== null", IDLE):
                self.page.wait_for_function("sel => document.querySelector(sel) !== null", arg=IDLE, timeout=timeout)
            return float("nan")
        idle_at, input_at = self.page.evaluate("[window.__e2e.idleAt, window.__e2e.inputAt]")
        return idle_at - input_at if input_at else float("nan")

    def nav(self, title: str) -> None:
        """Switch page through the sidebar navigation (same session, so edits and uploads are kept)."""
        self.rerun(lambda: self.page.locator("[data-testid=stSidebarNav] a", has_text=title).click(),
                   timeout=LOAD_TIMEOUT_MS)
        self.heading(title).wait_for()

    # -- widgets --

    def slider(self, key: str):
        """The keyboard-focusable thumb of the slider with this Streamlit key."""
        return self.page.locator(f".st-key-{key} input[type=range]")

    def slider_value(self, key: str) -> float:
        return float(self.slider(key).get_attribute("value"))

    def press_slider(self, key: str, keys: str) -> float:
        """Focus a slider, press ``keys`` (ArrowRight, End, Home, …); returns the rerun latency in ms."""
        thumb = self.slider(key)
        thumb.focus()
        return self.rerun(lambda: thumb.press(keys))

    def number_input(self, key: str):
        return self.page.locator(f".st-key-{key} input")

    def mirror(self, name: str):
        """The input of widget ``name`` that mirrors a shared setting (ui.state.mirror: its key is "<name>_<n>",
        e.g. the sidebar's T box "T_box")."""
        return self.page.locator(f"[class*='st-key-{name}_'] input")

    # -- reading what is shown --

    def chart(self, key: str):
        return self.page.locator(f".st-key-{key} .js-plotly-plot")

    def chart_texts(self, key: str) -> list[str]:
        """The text points of a plotly chart's scatter traces (mode "text" / "markers+text"), in DOM order."""
        self.chart(key).locator("g.textpoint text").first.wait_for()
        return self.chart(key).locator("g.textpoint text").all_text_contents()

    def chart_lines(self, key: str) -> list[str]:
        """The SVG path data of every scatter line in a plotly chart: changes whenever the plotted data do."""
        self.chart(key).locator("path.js-line").first.wait_for()
        return self.chart(key).locator("path.js-line").evaluate_all("els => els.map(e => e.getAttribute('d'))")

    def latex_sources(self) -> list[str]:
        """The TeX source of every st.latex block in the main area outside expanders (KaTeX keeps the source in a
        MathML annotation), in page order."""
        return self.page.locator("[data-testid=stMain] .katex-display annotation").evaluate_all(
            "els => els.filter(e => !e.closest('[data-testid=stExpander]')).map(e => e.textContent)")

    def query(self) -> dict:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.page.url).query).items()}

    def path(self) -> str:
        return urlsplit(self.page.url).path

    # -- health --

    def exceptions(self) -> list[str]:
        return self.page.locator("[data-testid=stException]").all_inner_texts()

    def dialogs(self) -> list[str]:
        return self.page.locator("[role=dialog]").all_inner_texts()

    def assert_healthy(self) -> None:
        """No Streamlit exception box, no modal dialog (e.g. "Page not found"), no uncaught JavaScript error."""
        assert not self.exceptions(), (f"stException on the page: {self.exceptions()}\n"
                                       f"server log:\n{self.server.log_tail()}")
        assert not self.dialogs(), f"unexpected dialog: {self.dialogs()}"
        assert not self.errors, f"JavaScript errors: {self.errors}"

    def screenshot(self, name: str, full_page: bool = False) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{slug(name)}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path
