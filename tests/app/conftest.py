"""Fixtures of the AppTest suite (the helpers it shares are in tests/helpers.py): every AppTest run is checked for
widgets created with a default value whose key was also set through Session State."""

from __future__ import annotations

import logging

import pytest

# Streamlit logs this warning from the module that checks the rule (streamlit.elements.lib.policies), once per
# process: the first offending widget fails its test, which is all a test run needs to know.
POLICY_LOGGER = "streamlit.elements.lib.policies"


class _DuplicateDefaults(logging.Handler):
    """Records Streamlit's "widget … created with a default value but also had its value set via the Session State
    API" warnings."""

    def __init__(self):
        super().__init__(level=logging.WARNING)
        self.keys: list[str] = []

    def emit(self, record):
        if "created with a default value" in record.getMessage():
            self.keys.append(str(record.args[0]) if record.args else record.getMessage())


@pytest.fixture(autouse=True)
def _no_widget_with_a_default_set_through_session_state():
    """Every AppTest run: no widget is created with a default value while its key was also set through Session
    State (Streamlit logs a warning, and the default is silently ignored): a page that sets a widget's value (a
    lesson step, a callback) lets the widget take it from Session State alone."""
    handler = _DuplicateDefaults()
    logger = logging.getLogger(POLICY_LOGGER)
    logger.addHandler(handler)
    yield
    logger.removeHandler(handler)
    assert not handler.keys, f"widgets created with a default value and also set through Session State: {handler.keys}"
