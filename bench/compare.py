"""Import another checkout's lstm_core next to ours, for benchmarks that time both in one run (--compare DIR).

E.g. the version on main:  mkdir /tmp/core-old && git archive main | tar -x -C /tmp/core-old
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path


def load_copy(root: Path, name: str = "lstm_core_old"):
    """The lstm_core package in ``root`` (another checkout), imported as ``name`` with its submodules importable
    (e.g. ``name.train``, ``name.explore``)."""
    init = Path(root) / "lstm_core" / "__init__.py"
    if not init.is_file():
        raise SystemExit(f"--compare: no lstm_core package in {root}")
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    for sub in ("train", "explore"):
        importlib.import_module(f"{name}.{sub}")
    return module
