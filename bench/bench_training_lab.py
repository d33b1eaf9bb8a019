"""Benchmark: does the training lab's time budget hold, and what does one test evaluation cost at its limit?

    python bench/bench_training_lab.py [--budgets 2,5,10,20] [--code DIR]

Part 1 runs ui.training.run_live (bare Streamlit session state, no server) for both models at once, the page's
default settings and a large one, with a redraw that builds the page's real figures every DRAW_EVERY seconds
(ui.training.show into placeholders: plotly figures built and serialised as on the page), and prints the requested
budget next to the wall time the whole run took, drawing included (target: within ±10 %).
Part 2 prints the memory (tracemalloc peak, in a fresh process so that no recycled buffer hides an allocation) and
the time of one test evaluation (lstm_core.train.evaluate) of the largest test set the lab allows at its largest
settings (target: ≤ 200 MB). ``--code DIR`` measures another checkout (e.g. the main branch, for before/after).
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")  # bare-mode warnings (no server) are expected here
ROOT = Path(__file__).resolve().parents[1]

EVAL_CHILD = r"""
import sys, time, tracemalloc
sys.path.insert(0, sys.argv[1])
from lstm_core.train import TrainConfig, evaluate, init_state, test_batch
cfg = TrainConfig(model=sys.argv[2], gap=int(sys.argv[3]), hidden=int(sys.argv[4]), test_size=int(sys.argv[5]))
state, batch = init_state(cfg), test_batch(cfg)
tracemalloc.start()
t0 = time.perf_counter()
ev = evaluate(state, batch)
seconds = time.perf_counter() - t0
print(f"{tracemalloc.get_traced_memory()[1] / 1e6:.0f} {seconds:.2f}")
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budgets", default="2,5,10,20")
    ap.add_argument("--code", type=Path, default=ROOT)
    a = ap.parse_args(argv)
    sys.path.insert(0, str(a.code.resolve()))
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    import streamlit as st

    from ui import training as tr

    print(f"code from {a.code.resolve()}")
    settings = {"defaults (gap 20, H 16, batch 32)": dict(gap=20, hidden=16, batch=32, eval_every=25),
                "large (gap 200, H 128, batch 256)": dict(gap=200, hidden=128, batch=256, eval_every=25,
                                                          test_size=64)}
    print(f"\n{'settings':36s} {'budget s':>9s} {'wall s':>7s} {'ratio':>6s}  iterations (LSTM, RNN)")
    for label, fields in settings.items():
        for budget in [float(b) for b in a.budgets.split(",")]:
            st.session_state.clear()
            configs = tr.make_configs("both", **fields)
            slots = [st.empty(), st.empty()]
            draws = [0]

            def draw(runs, elapsed):
                draws[0] += 1
                tr.show(runs, *slots, live=draws[0])

            t0 = time.perf_counter()
            tr.run_live(configs, budget=budget, stop_when_solved=False, draw=draw)
            wall = time.perf_counter() - t0
            runs = st.session_state[tr.RESULTS]
            print(f"{label:36s} {budget:9.1f} {wall:7.2f} {wall / budget:6.2f}  "
                  f"{runs['lstm'].iteration}, {runs['rnn'].iteration}  ({draws[0]} redraws)", flush=True)

    print(f"\n{'one test evaluation':44s} {'peak MB':>8s} {'seconds':>8s}")
    for model, gap, hidden, size in (("lstm", 200, 128, 4096), ("lstm", 200, 128, None), ("rnn", 200, 128, None),
                                     ("lstm", 200, 16, None), ("lstm", 20, 16, 512)):
        if size is None:
            try:
                from lstm_core.train import max_test_size
            except ImportError:
                continue
            size = max_test_size(gap=gap, hidden=hidden, input_size=8)
        out = subprocess.run([sys.executable, "-c", EVAL_CHILD, str(a.code.resolve()), model, str(gap), str(hidden),
                              str(size)], capture_output=True, text=True, env={**os.environ})
        what = f"{model.upper()} gap {gap}, H {hidden}, {size} sequences"
        if out.returncode:
            print(f"{what:44s} refused: {out.stderr.strip().splitlines()[-1][:110]}")
        else:
            mb, seconds = out.stdout.split()
            print(f"{what:44s} {mb:>8s} {seconds:>8s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
