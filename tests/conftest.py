"""Markers by folder: every test in tests/unit is marked ``unit``, in tests/app ``app`` (AppTest), in tests/e2e
``e2e`` (a real browser), so that e.g. ``python -m pytest -m "not e2e"`` leaves the browser out."""

from __future__ import annotations

import pytest

SUITES = ("unit", "app", "e2e")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        suite = item.path.parent.name
        if suite in SUITES:
            item.add_marker(suite)
