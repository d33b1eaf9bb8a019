"""Benchmark: can an LSTM and a tanh RNN (NumPy, H = 16, same time budget) learn "remember the first" across a gap?

    python bench/bench_training.py [--gaps 5,10,20,50,100] [--seeds 0,1,2] [--budget 30] [--clock wall|cpu]
                                   [--stop 0.99] [--eval-every 50] [--json FILE]

For every gap, model and seed it trains with the defaults of ``lstm_core.train.TrainConfig`` (distractors from a
separate symbol set plus Gaussian noise σ 0.5 on every channel, batch 32, Adam 5e-3, clip 1, LSTM forget-gate
bias 4) until the held-out test accuracy (512 sequences, measured every ``--eval-every`` iterations) reaches
``--stop`` or the budget runs out, and prints the final test accuracy, the seconds used, the seconds to first reach
95 % and the iterations done.

Target (the issue's acceptance): at gap 50 the LSTM reaches ≥ 95 % within 30 s while the RNN stays ≤ 60 %, for
3 different seeds. Chance is 25 %.

``--clock cpu`` measures the process's CPU time instead of wall time, so that other programs on a busy machine do
not eat the budget (BLAS is pinned to one thread, so CPU time is this run's own compute).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # tiny matrices: threads only add overhead and contention
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_core.train import TrainConfig, run  # noqa: E402

TARGET_GAP, TARGET_LSTM, TARGET_RNN = 50, 0.95, 0.60


def _ints(text: str) -> list[int]:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}, needs comma-separated whole numbers") from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gaps", type=_ints, default=[5, 10, 20, 50, 100])
    ap.add_argument("--seeds", type=_ints, default=[0, 1, 2])
    ap.add_argument("--models", default="lstm,rnn")
    ap.add_argument("--budget", type=float, default=30.0, help="seconds per run")
    ap.add_argument("--stop", type=float, default=0.99, help="early stop at this test accuracy")
    ap.add_argument("--eval-every", type=int, default=50)
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    ap.add_argument("--json", type=Path, default=None, help="also write all rows to this file")
    a = ap.parse_args(argv)
    clock = time.perf_counter if a.clock == "wall" else time.process_time
    models = [m.strip() for m in a.models.split(",")]

    d = TrainConfig()
    print(f"# {platform.platform()}, {os.cpu_count()} CPUs, python {platform.python_version()}, "
          f"budget {a.budget:g} s ({a.clock} clock), early stop at {a.stop:.0%}; H = 16, batch {d.batch}, "
          f"{d.optimizer} {d.lr:g}, clip {d.clip}, LSTM forget bias {d.forget_bias}, distractors {d.distractors} + "
          f"noise {d.noise}, test set {d.test_size}, chance {1 / d.n_symbols:.0%}", flush=True)
    head = f"{'gap':>4} {'model':>5} {'seed':>4} {'accuracy':>8} {'seconds':>8} {'s to 95%':>8} {'iters':>6}  stop"
    print(head)
    print("-" * len(head), flush=True)
    rows = []
    for gap in a.gaps:
        for model in models:
            for seed in a.seeds:
                cfg = TrainConfig(task="remember-first", gap=gap, model=model, hidden=16, seed=seed,
                                  steps=10_000_000, eval_every=a.eval_every)
                res = run(cfg, max_seconds=a.budget, stop_accuracy=a.stop, clock=clock)
                s = res.summary()
                rows.append(s)
                t95 = f"{s['seconds_to_95']:8.1f}" if s["seconds_to_95"] is not None else f"{'—':>8}"
                print(f"{gap:4d} {model:>5} {seed:4d} {s['accuracy']:8.1%} {s['seconds']:8.1f} {t95} "
                      f"{s['steps']:6d}  {s['stopped']}", flush=True)

    print("\nmean test accuracy over seeds (min–max)")
    for gap in a.gaps:
        parts = []
        for model in models:
            acc = [r["accuracy"] for r in rows if r["gap"] == gap and r["model"] == model]
            parts.append(f"{model} {sum(acc) / len(acc):6.1%} ({min(acc):.0%}–{max(acc):.0%})")
        print(f"  gap {gap:3d}: " + "   ".join(parts))

    ok = None
    if TARGET_GAP in a.gaps and {"lstm", "rnn"} <= set(models):
        at = [r for r in rows if r["gap"] == TARGET_GAP]
        lstm_ok = all(r["accuracy"] >= TARGET_LSTM and r["seconds_to_95"] is not None
                      and r["seconds_to_95"] <= a.budget for r in at if r["model"] == "lstm")
        rnn_ok = all(r["accuracy"] <= TARGET_RNN for r in at if r["model"] == "rnn")
        ok = lstm_ok and rnn_ok
        print(f"\ntarget at gap {TARGET_GAP} ({len(a.seeds)} seeds): LSTM >= {TARGET_LSTM:.0%} within {a.budget:g} s: "
              f"{'yes' if lstm_ok else 'NO'}; RNN <= {TARGET_RNN:.0%}: {'yes' if rnn_ok else 'NO'} -> "
              f"{'PASS' if ok else 'FAIL'}")
    if a.json:
        a.json.write_text(json.dumps(rows, indent=1))
    return 0 if ok in (None, True) else 1


if __name__ == "__main__":
    sys.exit(main())
