"""The layering the project lives by, checked on the source: the unit tests need neither Streamlit nor a browser,
and the app reaches Streamlit through its public API only."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.helpers import ROOT

APP_CODE = [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py")), *sorted((ROOT / "ui").glob("*.py")),
            *sorted((ROOT / "charts").glob("*.py")), *sorted((ROOT / "lstm_core").glob("*.py"))]
# Streamlit's internals (its runtime, its server, private modules, the legacy pages/ machinery): not for the app.
PRIVATE = re.compile(r"streamlit\.runtime|_stcore|PagesManager|streamlit\.web|from streamlit\._|import streamlit\._"
                     r"|\bst\._[a-z]")


def test_unit_tests_import_neither_streamlit_nor_playwright():
    """Every module of tests/unit (and tests/helpers.py) imported in a fresh interpreter: neither package is loaded."""
    modules = ["tests.helpers", "tests.unit.conftest",
               *(f"tests.unit.{p.stem}" for p in sorted((ROOT / "tests" / "unit").glob("test_*.py")))]
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            "print(sorted({n.split('.')[0] for n in sys.modules} & {'streamlit', 'playwright'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[]", f"imported by the unit tests: {out.stdout.strip()}"


def test_the_app_uses_no_private_streamlit_names():
    hits = [f"{path.relative_to(ROOT)}:{n}: {line.strip()}" for path in APP_CODE
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if PRIVATE.search(line)]
    assert not hits, hits


IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(?P<module>[\w.]+)[ \t]+import[ \t]+(?P<names>[^\n#]+)"
                    r"|import[ \t]+(?P<modules>[\w., \t]+))", re.M)
TEST_MODULE = re.compile(r"test_\w+|conftest")


def imports_of_tests(text: str) -> list[str]:
    """The import statements in ``text`` that reach a test module or a conftest of tests/ (by name or relatively)."""
    hits = []
    for m in IMPORT.finditer(text):
        if m["module"] is not None:
            if not m["module"].startswith(("tests", ".")):
                continue  # e.g. ``from lstm_core.train import test_batch``: a function, not a test module
            names = [n.strip().split(" as ")[0] for n in m["names"].strip().strip("()").split(",")]
            parts = [*m["module"].split("."), *names]
        else:
            parts = [p for module in m["modules"].split(",") if module.strip().startswith("tests")
                     for p in module.strip().split(" as ")[0].split(".")]
        if any(TEST_MODULE.fullmatch(p) for p in parts):
            hits.append(m.group(0).strip())
    return hits




def test_no_test_imports_another_test_module_or_a_conftest():
    """Shared helpers live in tests/helpers.py (tests/hostile.py: the hostile payloads; tests/e2e/browser.py: the
    browser machinery), so no test depends on another test module's or a conftest's insides."""
    assert imports_of_tests("from . import test_text_lesson as t\nfrom tests.unit.conftest import x\n"
                                 "import tests.app.test_fuzz\nfrom lstm_core.train import test_batch\n"
                                 "from tests.helpers import open_app\n") == [
        "from . import test_text_lesson as t", "from tests.unit.conftest import x", "import tests.app.test_fuzz"]
    files = [*sorted((ROOT / "tests").rglob("*.py")), *sorted((ROOT / "bench").glob("*.py"))]
    hits = [f"{path.relative_to(ROOT)}: {hit}" for path in files
            for hit in imports_of_tests(path.read_text(encoding="utf-8"))]
    assert not hits, hits
