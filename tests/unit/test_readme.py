"""README.md's example of the core runs as written, from a folder outside the repository: `pip install -e .`
(part of the README's install commands) makes lstm_core importable from anywhere."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from tests.helpers import ROOT


def test_the_readme_core_example_runs_outside_the_repository(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, flags=re.S)
    assert len(blocks) >= 2, "README.md: the core in five lines, then its step functions"
    code = blocks[0] + blocks[1] + "\nassert abs(last.dc - grads.dc[49]).max() < 1e-12\nprint('ran')\n"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ran", (
        "the README's example failed outside the repository (is the project installed? `pip install -e .`, as "
        f"README.md's commands do):\n{out.stderr[-1500:]}")
