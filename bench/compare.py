"""Import another checkout's lstm_core (or charts) next to ours, for benchmarks that time both in one run (--compare DIR).

E.g. the version on main:  mkdir /tmp/core-old && git archive main | tar -x -C /tmp/core-old
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path


def load_copy(root: Path, name: str = "lstm_core_old", *, package: str = "lstm_core",
              submodules: tuple[str, ...] = ("train", "explore")):
    """The ``package`` (lstm_core or charts) in ``root`` (another checkout), imported as ``name`` with its
    ``submodules`` imported too (e.g. ``name.train``, ``name.explore``). Its absolute imports (a chart's
    ``from lstm_core.params import …``) still reach this checkout's packages."""
    init = Path(root) / package / "__init__.py"
    if not init.is_file():
        raise SystemExit(f"--compare: no {package} package in {root}")
    spec = importlib.util.spec_from_file_location(name, init, submodule_search_locations=[str(init.parent)])
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    for sub in submodules:
        importlib.import_module(f"{name}.{sub}")
    return module
