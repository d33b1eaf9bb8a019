"""Benchmark: lstm_core.explore's phase grid and length sweep against the issue's targets.

    python bench/bench_explore.py [--repeats N] [--clock wall|cpu]

Times (median over N runs after one warm-up; wall clock by default):

    phase_grid   41 × 41 cells (forget bias −4…6 × spectral radius 0…2), T = 100, H = 16, D = 1     target ≤ 2 s
    length_sweep 20 lengths 50, 100, …, 1000, H = 16, D = 1                                          target ≤ 1 s

for the LSTM (the targets) and, for information, the RNN (input scale 0…2 on the grid's first axis).
The targets are for a 2-core machine; the load average is printed because other processes inflate wall times.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_core.explore import length_sweep, phase_grid  # noqa: E402

GRID_TARGET = 2.0
SWEEP_TARGET = 1.0


def timed(fn, repeats: int, clock) -> tuple[float, float]:
    fn()  # warm-up
    ts = []
    for _ in range(repeats):
        t0 = clock()
        fn()
        ts.append(clock() - t0)
    return statistics.median(ts), min(ts)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall: time.perf_counter; cpu: time.process_time (all threads of this process)")
    args = ap.parse_args(argv)
    clock = time.perf_counter if args.clock == "wall" else time.process_time

    print(f"python {platform.python_version()}  numpy {np.__version__}  cpus {os.cpu_count()}  "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}")
    try:
        print(f"load average {os.getloadavg()[0]:.2f} (1 min)")
    except OSError:  # pragma: no cover
        pass
    print(f"median (min) of {args.repeats} runs, {args.clock} clock")
    print()

    first = {"lstm": np.linspace(-4.0, 6.0, 41), "rnn": np.linspace(0.0, 2.0, 41)}
    radii = np.linspace(0.0, 2.0, 41)
    lengths = np.arange(50, 1001, 50)  # 20 lengths up to 1000
    missed = []
    for model in ("lstm", "rnn"):
        med, best = timed(lambda: phase_grid(first[model], radii, T=100, hidden_size=16, seed=0, model=model),
                          args.repeats, clock)
        tag = f"≤ {GRID_TARGET:.0f} s" if model == "lstm" else "(info)"
        ok = med <= GRID_TARGET
        print(f"{model:4} phase_grid   41x41, T=100, H=16      {med:7.3f} s  ({best:.3f})  target {tag}"
              f"{'' if ok or model != 'lstm' else '  MISSED'}", flush=True)
        if model == "lstm" and not ok:
            missed.append("phase_grid")
    for model in ("lstm", "rnn"):
        med, best = timed(lambda: length_sweep(model, lengths, hidden_size=16, seed=0, forget_bias=1.0,
                                               spectral_radius=0.9), args.repeats, clock)
        tag = f"≤ {SWEEP_TARGET:.0f} s" if model == "lstm" else "(info)"
        ok = med <= SWEEP_TARGET
        print(f"{model:4} length_sweep 20 lengths ≤ 1000, H=16  {med:7.3f} s  ({best:.3f})  target {tag}"
              f"{'' if ok or model != 'lstm' else '  MISSED'}", flush=True)
        if model == "lstm" and not ok:
            missed.append("length_sweep")
    print()
    print("targets: " + ("all met" if not missed else "MISSED: " + ", ".join(missed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
