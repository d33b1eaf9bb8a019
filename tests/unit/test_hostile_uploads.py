"""Hostile uploads straight into lstm_core.io (payloads in tests/hostile.py): each is refused with its own reason,
within 2 s of CPU, without a memory spike, and with a short message that repeats at most 60 characters of the
file; the worst files within the limits are still read, as cheaply. Limits are generous (≥ 10× what the readers
take now) but far below what the readers took before (33 s of CPU for a 100 KB CSV, 37 GiB asked for a 2 MB one):
CPU is measured with time.process_time (not wall time, which a busy machine inflates), memory with tracemalloc in
this process and with the resident size of a child process (which also sees what C libraries allocate)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from lstm_core import io
from tests.hostile import ALLOWED, CAP, CASES, read

ROOT = Path(__file__).resolve().parents[2]
CPU_LIMIT_S = 2.0  # the bound per upload
TRACED_LIMIT_MB = 50  # Python + NumPy allocations while refusing (now ≤ 10 MB; a 5 MB file is read at most a few times)
RSS_LIMIT_MB = 200  # the bound, on the child's resident size (before: 203 MB for the 1.3 KB bzip2 member)
MESSAGE_CHARS = 600


def measure(reader: str, data: bytes):
    """(outcome, CPU seconds, traced peak in MB): the reader called once timed and once under tracemalloc (which
    slows allocation-heavy code, so it is not timed)."""
    t0 = time.process_time()
    try:
        read(reader, data)
        outcome = None
    except ValueError as exc:
        outcome = exc
    cpu = time.process_time() - t0
    tracemalloc.start()
    try:
        read(reader, data)
    except ValueError:
        pass
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    return outcome, cpu, peak


def longest_run(text: str) -> int:
    """The longest run of one repeated character (the payloads repeat one character millions of times)."""
    return max((len(m.group(0)) for m in re.finditer(r"(.)\1*", text, flags=re.S)), default=0)


def test_the_payloads_fit_under_the_upload_cap():
    """Every payload is a file the app would receive (so none is refused only for its size); that the sizes the
    payloads assume are the app's is checked with the app (tests/app/test_hostile.py)."""
    assert io.MAX_UPLOAD_BYTES == CAP
    for name, (_, build, _) in CASES.items():
        assert 0 < len(build()) <= CAP, name


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_upload_is_refused_fast_and_small(name):
    reader, build, reason = CASES[name]
    data = build()
    outcome, cpu, peak = measure(reader, data)
    assert isinstance(outcome, ValueError), f"{name}: accepted"
    message = str(outcome)
    assert reason in message, message
    assert cpu <= CPU_LIMIT_S, f"{name}: {cpu:.2f} s of CPU"
    assert peak <= TRACED_LIMIT_MB, f"{name}: {peak:.0f} MB allocated"
    assert len(message) <= MESSAGE_CHARS, f"{name}: a message of {len(message):,} characters"
    assert longest_run(message) <= 60, f"{name}: the message repeats the file: {message[:200]}"


@pytest.mark.parametrize("name", list(ALLOWED))
def test_the_worst_allowed_file_is_read_within_the_same_bounds(name):
    reader, build = ALLOWED[name]
    outcome, cpu, peak = measure(reader, build())
    assert outcome is None, outcome
    assert cpu <= CPU_LIMIT_S, f"{name}: {cpu:.2f} s of CPU"
    assert peak <= RSS_LIMIT_MB, f"{name}: {peak:.0f} MB allocated"


CHILD = r"""
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))  # a regression fails here instead of swapping the machine
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from tests.hostile import read
def status_mb(field):  # VmRSS now, VmHWM its high-water mark (ru_maxrss would include the parent's, kept across exec)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":")) / 1024
read("csv", b"x1,x2\n1,2\n")  # imports and first-call caches before the baseline
out = {}
for path in sorted(Path(sys.argv[2]).iterdir()):
    reader, data = path.suffix.lstrip("."), path.read_bytes()
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # VmHWM := VmRSS now, so each file's high-water mark is its own
    base = status_mb("VmRSS")
    try:
        read({"csv": "csv", "json": "w.json", "npz": "w.npz"}[reader], data)
    except ValueError:
        pass
    except MemoryError:
        out[path.stem] = float("inf")
        continue
    del data
    out[path.stem] = status_mb("VmHWM") - base
print(json.dumps(out))
"""


def test_no_hostile_upload_grows_a_fresh_process_by_200_mb(tmp_path):
    """Resident memory (all allocations, C libraries' too) of one child process that reads every hostile file in
    turn: the high-water mark while reading each file, above the level before it."""
    names = {}
    for i, (name, (reader, build, _)) in enumerate(CASES.items()):
        ext = "csv" if reader == "csv" else reader.rsplit(".", 1)[1]
        (tmp_path / f"{i:02d}.{ext}").write_bytes(build())
        names[f"{i:02d}"] = name
    out = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), str(tmp_path)], capture_output=True, text=True,
                         timeout=300, env={"OPENBLAS_NUM_THREADS": "1", "PATH": ""})
    assert out.returncode == 0, out.stderr[-2000:]
    growth = {names[k]: mb for k, mb in json.loads(out.stdout.strip().splitlines()[-1]).items()}
    assert len(growth) == len(CASES)
    worst = max(growth, key=growth.get)
    print(f"\n[hostile] largest resident growth: {growth[worst]:.1f} MB ({worst})")
    assert growth[worst] <= RSS_LIMIT_MB, growth


def test_messages_quote_at_most_60_characters_and_show_user_markdown_as_text():
    from lstm_core.validate import quoted
    from ui.messages import JOINER, inert

    assert quoted("7" * 5_000_000) == "'" + "7" * 59 + "…'"
    assert quoted("a\nb") == "'a\\nb'", "line breaks escaped"
    name = "[x](http://127.0.0.1:9/)![i](http://127.0.0.1:9/i.png).csv"
    shown = inert(name)
    assert re.sub(r"\\(.)", r"\1", shown).replace(JOINER, "") == name, "the same characters, once escapes are read"
    assert not re.search(r"(?<!\\)[\[\]()!:]", shown), "every bracket, parenthesis, '!' and ':' escaped"
    assert shown.count("http\\:" + JOINER) == 2, "no bare URL for GFM to link"
    assert len(inert("x" * 10_000)) == 600 and inert("x" * 10_000).endswith("…")
    assert inert("a\r\nb\u2028c") == "a b c"
