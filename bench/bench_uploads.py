"""Benchmark: what each hostile upload (tests/hostile.py) costs the server: CPU seconds, wall seconds, peak memory.

    python bench/bench_uploads.py [--timeout 60] [--code DIR] [--only TEXT]

Each case runs in a fresh child process (so one case's memory cannot hide another's) that imports the readers,
builds the payload, notes its resident memory, hands the bytes to ``lstm_core.io`` the way the weights page does
(``inputs_from_csv_bytes(data, expected_D=2)`` or ``load_params(data, name)``) and reports the CPU time of that
call (time.process_time), its wall time, and its peak resident memory above the level before the call
(VmHWM − VmRSS). The child's address space is capped at 6 GB (a NumPy request for 37 GiB fails there instead of
being granted), and a case still running after ``--timeout`` seconds is killed and reported as such.
``--code DIR`` reads lstm_core from another checkout (e.g. the main branch, for before/after figures); the payloads
always come from this checkout's tests/hostile.py. Targets (issue 13): ≤ 2 s CPU and ≤ 200 MB per upload. The last cases are the worst files the readers accept.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, os, resource, sys, time
import importlib.util
sys.path.insert(0, sys.argv[1])  # the code under test
resource.setrlimit(resource.RLIMIT_AS, (6 << 30, 6 << 30))
spec = importlib.util.spec_from_file_location("hostile", sys.argv[2] + "/tests/hostile.py")  # this checkout's payloads
hostile = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hostile)
CASES = {**hostile.CASES, **getattr(hostile, "MODEL_CASES", {})}
ALLOWED = {**hostile.ALLOWED, **getattr(hostile, "MODEL_ALLOWED", {})}
read = hostile.read
reader, build = CASES[sys.argv[3]][:2] if sys.argv[3] in CASES else ALLOWED[sys.argv[3]]
data = build()
import lstm_core.io  # imported before measuring
def status_kb(field):  # VmRSS now, VmHWM its high-water mark (ru_maxrss would include the parent's, kept across exec)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # VmHWM := VmRSS now (the payload's builder may have peaked higher)
base = status_kb("VmRSS")
t0, w0 = time.process_time(), time.perf_counter()
try:
    read(reader, data)
    outcome = "accepted"
except ValueError as exc:
    outcome = "refused: " + str(exc)
except BaseException as exc:
    outcome = f"{type(exc).__name__}: {str(exc)[:120]}"
cpu, wall = time.process_time() - t0, time.perf_counter() - w0
peak = status_kb("VmHWM")
print(json.dumps(dict(cpu=cpu, wall=wall, mb=max(peak - base, 0) / 1024, outcome=outcome, size=len(data))))
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds before a case is killed")
    ap.add_argument("--code", type=Path, default=ROOT, help="checkout whose lstm_core is measured")
    ap.add_argument("--only", default="", help="run only the cases whose name contains this text")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tests.hostile import ALLOWED, CASES, MODEL_ALLOWED, MODEL_CASES

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    print(f"lstm_core from {a.code.resolve()}; timeout {a.timeout:g} s")
    print(f"{'case':40s} {'bytes':>10s} {'CPU s':>7s} {'wall s':>7s} {'peak MB':>8s}  outcome")
    for name in [*CASES, *MODEL_CASES, *ALLOWED, *MODEL_ALLOWED]:
        if a.only not in name:
            continue
        try:
            out = subprocess.run([sys.executable, "-c", CHILD, str(a.code.resolve()), str(ROOT), name],
                                 capture_output=True, text=True, timeout=a.timeout, env=env, cwd=ROOT)
        except subprocess.TimeoutExpired:
            print(f"{name:40s} {'':>10s} {'>' + format(a.timeout, 'g'):>7s} {'':>7s} {'':>8s}  killed after {a.timeout:g} s")
            continue
        lines = out.stdout.strip().splitlines()
        if out.returncode or not lines:
            print(f"{name:40s} child exited {out.returncode}: {out.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(lines[-1])
        outcome = r["outcome"].replace("\n", " ")
        outcome = outcome if len(outcome) <= 110 else outcome[:109] + "…"
        print(f"{name:40s} {r['size']:>10,} {r['cpu']:>7.2f} {r['wall']:>7.2f} {r['mb']:>8.1f}  "
              f"({len(r['outcome']):,} chars) {outcome}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
