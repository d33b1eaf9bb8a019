"""Fixtures of the core's unit tests (the helpers they share are in tests/helpers.py)."""

from __future__ import annotations

import pytest

from tests.helpers import load_reference


@pytest.fixture(scope="session")
def reference_cases() -> list[dict]:
    return load_reference()["cases"]
