"""Benchmark: the gradient explorer's time estimate for the exact Jacobian norms (ui.explore.jacobian_seconds)
against the time the computation takes, at a few sizes, both measured in one run (issue 17's target: within 2×).

    OPENBLAS_NUM_THREADS=1 python bench/bench_jacobian_estimate.py [--sizes T,H ...]

Start it with OPENBLAS_NUM_THREADS=1, the way README and deploy/serve-class start the server: with OpenBLAS's
default threads on a busy 2-core machine the same product takes anywhere from 1× to 10× as long from one moment to
the next, which no estimate can follow. Each estimate comes from a fresh probe (as on a server just started); both
sides take the faster of two timings. A timing, so a benchmark and not a test (machines here are shared and noisy).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_core import lstm_forward, rnn_forward  # noqa: E402
from lstm_core.presets import PRESETS  # noqa: E402
from ui.explore import _seconds_per_step, jacobian_seconds, timed_jacobians  # noqa: E402

SIZES = [(1500, 8), (600, 32), (300, 64), (2000, 64)]  # (T, H)


def measured(T: int, H: int) -> float:
    """Seconds for both models' jacobian_norms on the default preset's lab at these sizes (the faster of two)."""
    sc = PRESETS["default"].build(D=2, H=H, T=T, seed=0)
    return timed_jacobians([(sc.lstm, lstm_forward(sc.lstm, sc.x)), (sc.rnn, rnn_forward(sc.rnn, sc.x))])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", nargs="*", help="T,H ... (default: %(default)s)",
                    default=[f"{T},{H}" for T, H in SIZES])
    args = ap.parse_args(argv)
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        print("note: start with OPENBLAS_NUM_THREADS=1, as the server is started")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus")
    print(f"{'T':>5} {'H':>4} {'estimate s':>10} {'measured s':>10} {'measured/estimate':>17}")
    worst = 1.0
    for size in args.sizes:
        T, H = (int(v) for v in size.split(","))
        _seconds_per_step.clear()
        estimate = jacobian_seconds(T, H)
        actual = measured(T, H)
        ratio = actual / estimate
        worst = max(worst, ratio, 1 / ratio)
        print(f"{T:5d} {H:4d} {estimate:10.3f} {actual:10.3f} {ratio:17.2f}", flush=True)
    print(f"worst factor {worst:.2f} (target: within 2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
