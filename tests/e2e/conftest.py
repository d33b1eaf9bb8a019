"""Real-browser fixtures: one `streamlit run app.py` server on 127.0.0.1 at a free port for the session (plus a
server of its own for a test that needs to be the first request), Debian's chromium driven by the PyPI playwright
package, and ``app``: a fresh browser context (its own Streamlit session) wrapped in ``browser.App``.

Chromium is a requirement, not an option: without it every e2e test fails (never skips) with a message saying how
to install it (CI installs it with apt). Screenshots go to artifacts/e2e/ (git-ignored); a failing test leaves
FAILED-<test>.png there too, and each server's log is kept there.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.browser import RERUN_TIMEOUT_MS, App, StreamlitServer, launch_chromium, new_app

expect.set_options(timeout=RERUN_TIMEOUT_MS)  # auto-retrying assertions: a busy CI machine can be slow


def _start(name: str) -> StreamlitServer:
    try:
        return StreamlitServer(name).start()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def server():
    """One app server for the whole e2e session."""
    srv = _start("shared")
    yield srv
    srv.stop()


@pytest.fixture
def fresh_server(request):
    """A server of its own, started for one test: its first request is the test's first request."""
    srv = _start(request.node.name)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        try:
            b = launch_chromium(pw)
        except RuntimeError as exc:
            pytest.fail(str(exc), pytrace=False)
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture
def app(browser, server, request):
    """A fresh browser context (its own Streamlit session) on the shared server."""
    a = new_app(browser, server)
    yield a
    _finish(a, request)


@pytest.fixture
def fresh_app(browser, fresh_server, request):
    """A fresh browser context on a server of its own (nothing has been requested from it yet)."""
    a = new_app(browser, fresh_server)
    yield a
    _finish(a, request)


def _finish(a: App, request) -> None:
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        try:
            a.screenshot(f"FAILED-{request.node.name}")
        except Exception:  # the page may be gone; the failure itself is what matters
            pass
    a.page.context.close()


