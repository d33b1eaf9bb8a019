"""Benchmark: lstm_core.explore's phase grid and length sweep against their targets.

    python bench/bench_explore.py [--repeats N] [--clock wall|cpu] [--compare DIR]

Times (median over N runs after one warm-up, interleaved with --compare; wall clock by default):

    phase_grid   41 × 41 cells (forget bias −4…6 × spectral radius 0…2), T = 100, H = 16, D = 1     target ≤ 1 s
    length_sweep 20 lengths 50, 100, …, 1000, H = 16, D = 1                                          target ≤ 1 s

for the LSTM (the targets) and, for information, the RNN (input scale 0…2 on the grid's first axis). With
``--compare DIR`` the lstm_core of another checkout (bench/compare.py) is timed in the same run, as "old".
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

import lstm_core  # noqa: E402
import lstm_core.explore  # noqa: E402
from compare import load_copy  # noqa: E402  (bench/compare.py)

GRID_TARGET = 1.0
SWEEP_TARGET = 1.0


def timed(fns: dict, repeats: int, clock) -> dict:
    """{name: (median, min)} seconds of each callable, one warm-up each, then ``repeats`` interleaved rounds."""
    for fn in fns.values():
        fn()
    ts = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = clock()
            fn()
            ts[name].append(clock() - t0)
    return {name: (statistics.median(v), min(v)) for name, v in ts.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                    help="wall: time.perf_counter; cpu: time.process_time (all threads of this process)")
    ap.add_argument("--compare", type=Path, metavar="DIR", help="also time the lstm_core of another checkout DIR")
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
    cores = {"ours": lstm_core}
    if args.compare:
        cores["old"] = load_copy(args.compare)
    experiments = {
        "phase_grid   41x41, T=100, H=16    ": (GRID_TARGET, lambda core, model: core.explore.phase_grid(
            first[model], radii, T=100, hidden_size=16, seed=0, model=model)),
        "length_sweep 20 lengths ≤ 1000, H=16": (SWEEP_TARGET, lambda core, model: core.explore.length_sweep(
            model, lengths, hidden_size=16, seed=0, forget_bias=1.0, spectral_radius=0.9)),
    }
    missed = []
    for label, (target, run) in experiments.items():
        for model in ("lstm", "rnn"):
            fns = {name: (lambda core=core: run(core, model)) for name, core in cores.items()}
            res = timed(fns, args.repeats, clock)
            med, best = res["ours"]
            ok = med <= target
            tag = f"target ≤ {target:.0f} s" if model == "lstm" else "(info)"
            line = f"{model:4} {label} {med:7.3f} s  ({best:.3f})"
            if "old" in res:
                line += f"   old {res['old'][0]:7.3f} s  ({res['old'][1]:.3f})  ours/old {med / res['old'][0]:5.2f}"
            print(f"{line}  {tag}{'' if ok or model != 'lstm' else '  MISSED'}", flush=True)
            if model == "lstm" and not ok:
                missed.append(label.split()[0])
    print()
    print("targets: " + ("all met" if not missed else "MISSED: " + ", ".join(missed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
