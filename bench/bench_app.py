"""Time AppTest reruns of each page: at the defaults and at T = 1000, H = 64.

A rerun is what a user triggers by touching a control: the whole script (app.py + page) runs again, with the
traces cached. Prints the median of several reruns per page next to the targets (≤ 150 ms at the defaults,
≤ 500 ms at T = 1000, H = 64). Run: python bench/bench_app.py [--repeats N] [--clock wall|cpu]

``--clock cpu`` times the process's CPU time (the script runs in a thread of this process) instead of the wall
clock: steadier on a shared machine, where other processes' load stretches wall times; set OPENBLAS_NUM_THREADS=1
so that numpy's work is counted on the same clock.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
logging.getLogger("streamlit").setLevel(logging.ERROR)

from streamlit.testing.v1 import AppTest  # noqa: E402

from ui import routes  # noqa: E402

PAGES = [routes.by_path(path).file for path in ("cell", "gates", "gradients", "weights")]  # the four core pages
SETTINGS = {"defaults": ({}, 0.150), "T=1000, H=64": ({"T": 1000, "H": 64}, 0.500)}


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def time_page(page: str, query: dict, repeats: int, clock=time.perf_counter) -> tuple[float, float]:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    for k, v in query.items():
        at.query_params[k] = str(v)
    at.run()
    t0 = clock()
    at.switch_page(page).run()
    first = clock() - t0
    if at.exception:
        raise SystemExit(f"{page}: {at.exception[0].message}")
    times = []
    for _ in range(repeats):
        t0 = clock()
        at.run()
        times.append(clock() - t0)
    return first, statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--clock", choices=list(CLOCKS), default="wall")
    args = ap.parse_args()
    print(f"{args.clock} clock")
    print(f"{'page':<26}{'setting':<16}{'first (s)':>10}{'rerun median (ms)':>20}{'target (ms)':>13}  ok")
    for label, (query, target) in SETTINGS.items():
        for page in PAGES:
            first, med = time_page(page, query, args.repeats, CLOCKS[args.clock])
            ok = "yes" if med <= target else "NO"
            print(f"{page:<26}{label:<16}{first:>10.2f}{med * 1000:>20.0f}{target * 1000:>13.0f}  {ok}")


if __name__ == "__main__":
    main()
