"""AppTest helpers: run the real app.py (router + sidebar) and switch to a page."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
PAGES = ["pages/cell.py", "pages/gates.py", "pages/gradients.py", "pages/weights.py", "pages/explorer.py",
         "pages/myths.py", "pages/training.py", "pages/lessons.py", "pages/text.py"]


class _PathWithoutLegacyPagesDir(type(Path())):
    """A Path for which a folder named ``pages`` never exists (used only inside streamlit's PagesManager)."""

    def exists(self, *args, **kwargs) -> bool:
        return False if self.name == "pages" else super().exists(*args, **kwargs)


@pytest.fixture(autouse=True)
def _no_legacy_pages_dir(monkeypatch):
    """Run app.py on every AppTest run, as a browser session does.

    The page files live in a folder named ``pages/``, and AppTest resets ``PagesManager.uses_pages_directory``
    before every run, so every run after the first takes Streamlit's legacy MPA-v1 route: the page runs without
    app.py, ``state.current()`` notices and reruns through the router (ui/state.py's fix for a real server's first
    deep link). In AppTest that extra rerun happens on EVERY run and swallows one-shot events such as a button's
    True (the Apply buttons here). Hide the folder from that one check instead (a real server is unaffected:
    app.py's st.navigation switches the legacy route off for the whole process)."""
    import streamlit.runtime.pages_manager as pages_manager

    monkeypatch.setattr(pages_manager, "Path", _PathWithoutLegacyPagesDir)


class _DuplicateDefaults(logging.Handler):
    """Records Streamlit's "widget … created with a default value but also had its value set via the Session State
    API" warnings (logged once per process; the fixture re-arms it for every test)."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.keys: list[str] = []

    def emit(self, record):
        from streamlit.elements.lib import policies

        if "created with a default value" in record.getMessage():
            self.keys.append(str(record.args[0]) if record.args else record.getMessage())
            policies._shown_default_value_warning = False  # report every widget, not only the first


@pytest.fixture(autouse=True)
def _no_widget_with_a_default_set_through_session_state(monkeypatch):
    """Every AppTest run: no widget is created with a default value while its key was also set through Session
    State (Streamlit logs a warning, and the default is silently ignored): a page that sets a widget's value (a
    lesson step, a callback) lets the widget take it from Session State alone."""
    from streamlit.elements.lib import policies

    monkeypatch.setattr(policies, "_shown_default_value_warning", False)
    handler = _DuplicateDefaults()
    logger = logging.getLogger(policies.__name__)
    logger.addHandler(handler)
    yield
    logger.removeHandler(handler)
    assert not handler.keys, f"widgets created with a default value and also set through Session State: {handler.keys}"


def open_app(page: str | None = None, query: dict | None = None) -> AppTest:
    """app.py after its first run (optionally with URL query parameters), switched to ``page``."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = str(value)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def decode(value):
    """Plotly figure JSON arrays may arrive base64-encoded as {"dtype", "bdata"}; return a numpy array."""
    import base64

    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:
            shape = value["shape"]
            shape = tuple(int(s) for s in (shape.split(",") if isinstance(shape, str) else shape))
            arr = arr.reshape(shape)
        return arr
    return np.asarray(value, dtype=float) if value is not None else None


def figures(at: AppTest) -> dict[str, dict]:
    """Every plotly chart on the page as its figure JSON, by element key (the chart's `key=`)."""
    out = {}
    for i, chart in enumerate(at.get("plotly_chart")):
        spec = json.loads(chart.proto.spec)
        key = chart.proto.id or str(i)
        out[key] = spec
    return out


def figure(at: AppTest, key: str) -> dict:
    """The figure JSON of the chart whose Streamlit key contains ``key``."""
    figs = figures(at)
    hits = [spec for k, spec in figs.items() if key in k]
    assert hits, f"no chart with key {key!r}; have {list(figs)}"
    return hits[0]


def plain(markdown: str) -> str:
    """A message's text as the user reads it: ui.messages.inert backslash-escapes every ASCII punctuation character
    of a message that repeats the user's text and puts an invisible WORD JOINER where a bare URL would start (AppTest
    shows the Markdown source)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def lab_of(at: AppTest):
    """The lab (settings, weights, input) the last run resolved."""
    return at.session_state["_lab"]


def trace_named(fig: dict, name: str) -> dict:
    hits = [t for t in fig["data"] if t.get("name") == name]
    assert hits, f"no trace named {name!r}; have {[t.get('name') for t in fig['data']]}"
    return hits[0]
