"""Benchmark: how long each figure the class mix shows takes to build (the chart function and ``to_dict()``, which is
what ui.figures caches), at the app's default sizes and at its largest, optionally against another checkout's charts.

    OPENBLAS_NUM_THREADS=1 python bench/bench_charts.py [--repeats N] [--compare DIR]

A figure is built once per new lab (a student's sidebar change or new seed) and then served from the figure cache,
so these times are most of what a sidebar change costs the server (bench/bench_class.py --costs). Each build gets
fresh data (a different seed per round) so nothing is cached; CPU time of this thread (time.thread_time), median of
``--repeats`` rounds run in turn with the --compare copy (``old``), e.g.

    mkdir /tmp/old && git archive <commit> | tar -x -C /tmp/old && python bench/bench_charts.py --compare /tmp/old
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_core import (  # noqa: E402
    analysis, gru_forward, init_gru, init_lstm, init_rnn, lstm_backward, lstm_forward, rnn_backward, rnn_forward,
)
from compare import load_copy  # noqa: E402  (bench/compare.py)

SIZES = {"defaults": (2, 8, 40), "largest": (8, 64, 2000)}  # (D, H, T): ui/state.py's defaults and LIMITS
MODULES = ("cell", "timeline", "gradients", "weights", "myths", "text", "training")
TEXT_CHARS = {"defaults": 500, "largest": 20_000}  # the text lab's text: an example's length, and its cap


def problem(D: int, H: int, T: int, seed: int) -> dict:
    """What the Cell, Gates, Gradient-flow and Weights pages draw for one lab."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, D))
    lstm = init_lstm(D, H, seed=seed)
    trace = lstm_forward(lstm, x)
    grads = lstm_backward(lstm, trace, np.eye(H)[0] * np.ones((T, 1)) / T)
    rnn = init_rnn(D, H, seed=seed)
    rtrace = rnn_forward(rnn, x)
    rgrads = rnn_backward(rnn, rtrace, np.eye(H)[0] * np.ones((T, 1)) / T)
    dc, dh, rdh = (np.linalg.norm(a, axis=-1) for a in (grads.dc, grads.dh, rgrads.dh))
    return dict(x=x, lstm=lstm, trace=trace, grads=grads, gru_trace=gru_forward(init_gru(D, H, seed=seed), x),
                curves={"LSTM ‖∂L/∂c_t‖": dc, "LSTM ‖∂L/∂h_t‖": dh, "RNN ‖∂L/∂h_t‖": rdh},
                half_lives={"LSTM": analysis.memory_half_life(dc), "RNN": analysis.memory_half_life(rdh)},
                carousel=analysis.carousel_factor(trace), rnn_factor=analysis.rnn_path_factor(rnn, rtrace))


def page_problem(D: int, H: int, T: int, seed: int, chars: int) -> dict:
    """What the Myths, Text and Training pages draw: the myths' measurements of this lab's LSTM (and of the
    hand-built ones), a text of ``chars`` characters with one unit's values and gradient norms, two models'
    training reports and a per-step gradient strip of T steps."""
    from lstm_core import myths
    rng = np.random.default_rng(seed)
    lstm, x = init_lstm(D, H, seed=seed), rng.normal(size=(T, D))
    text = "".join(rng.choice(list("def f(x):\n    return [x, {1: '<b>'}]  # &"), chars))
    reports = [{m: [dict(iteration=10 * i, seconds=0.3 * i, train_loss=float(np.exp(-i / 20) + rng.random() / 50),
                         test_loss=float(np.exp(-i / 25) + 0.02), accuracy=float(rng.random())) for i in range(60)]
                for m in ("lstm", "rnn")}]
    n = 60 if T <= 40 else 400
    return dict(
        myth={"history": myths.same_input_different_history(lstm, seed=seed),
              "distribution": myths.gate_distribution(lstm, seed=seed), "clock": myths.no_wall_clock(lstm, seed=seed),
              "shapes": myths.gate_weight_shapes(lstm), "lab_variant": myths.x_only_gate_traces(lstm, x),
              "sharing": myths.weight_sharing(lstm, x, seed=seed), "growth": myths.cell_state_growth(lstm, x, seed=seed),
              "output": myths.output_formula(lstm, x), "forget": myths.forget_gate_memory(seed=seed),
              "variant": myths.x_only_comparison(seed=seed), "limits": myths.gradient_limits(seed=seed)},
        text=text, values=rng.normal(size=chars), norms=np.abs(rng.normal(size=chars)),
        top=[(c, float(q)) for c, q in zip("ab(:\n", rng.dirichlet(np.ones(5)))],
        best={f: {"c": (int(rng.integers(H)), float(rng.uniform(-1, 1))), "h": (0, 0.5)}
              for f in ("string", "comment", "depth", "indent")},
        history=reports[0], strip=(np.arange(n) * 10, np.exp(rng.normal(size=(n, T)))),
    )


def page_cases(ch) -> dict:
    """name -> build(problem) for the Myths, Text and Training pages' figures (page_problem's data)."""
    myths, text, training = ch.myths, ch.text, ch.training
    return {
        "myth 1 history_gates": lambda p: myths.history_gates(p["myth"]["history"]),
        "myth 2 gated_memory": lambda p: myths.gated_memory(p["myth"]["forget"]),
        "myth 3 output_formula": lambda p: myths.output_formula(p["myth"]["output"]),
        "myth 4 gate_histograms": lambda p: myths.gate_histograms(p["myth"]["distribution"]),
        "myth 6 no_clock": lambda p: myths.no_clock(p["myth"]["clock"]),
        "myth 7 recurrent_blocks": lambda p: myths.recurrent_blocks(p["lstm"]),
        "myth 9 gate_blocks": lambda p: myths.gate_blocks(p["myth"]["shapes"]),
        "myth 10 gradient_limits": lambda p: myths.gradient_limits(p["myth"]["limits"]),
        "myth 11 weight_sharing": lambda p: myths.weight_sharing(p["myth"]["sharing"]),
        "myth 12 cell_growth": lambda p: myths.cell_growth(p["myth"]["growth"]),
        "myth variant_task": lambda p: myths.variant_task(p["myth"]["variant"]),
        "myth variant_lab_gates": lambda p: myths.variant_lab_gates(p["myth"]["lab_variant"]),
        "text unit_line": lambda p: text.unit_line(p["values"], p["text"], unit=0, quantity="c", position=3),
        "text connectivity_figure": lambda p: text.connectivity_figure(p["norms"], p["text"], len(p["text"]) - 1),
        "text next_chars_bar": lambda p: text.next_chars_bar(p["top"], actual="a"),
        "text ranking_figure": lambda p: text.ranking_figure(p["best"]),
        "training_curves": lambda p: training.training_curves(p["history"], chance=0.25),
        "gradient_strip": lambda p: training.gradient_strip(*p["strip"], title="LSTM"),
    }


def cases(ch) -> dict:
    """name -> build(problem) for the charts package ``ch`` (ours or the --compare copy)."""
    cell, timeline, gradients, weights = ch.cell, ch.timeline, ch.gradients, ch.weights
    return {
        "cell_diagram (forward)": lambda p: cell.cell_diagram(p["trace"], 0, 0, grads=p["grads"], mode="forward"),
        "cell_diagram (backward)": lambda p: cell.cell_diagram(p["trace"], 0, 0, grads=p["grads"], mode="backward"),
        "unit_bars": lambda p: cell.unit_bars(p["trace"], 0, grads=p["grads"], mode="forward"),
        "gru_cell_diagram": lambda p: cell.gru_cell_diagram(p["gru_trace"], 0, 0),
        "gate_heatmaps": lambda p: timeline.gate_heatmaps(p["trace"], step=0),
        "unit_lines": lambda p: timeline.unit_lines(p["trace"], [0, 1], ("i", "f", "c")),
        "saturation_bars": lambda p: timeline.saturation_bars(analysis.gate_saturation(p["trace"])),
        "gradient_flow": lambda p: gradients.gradient_flow(p["curves"], half_lives=p["half_lives"]),
        "path_factors": lambda p: gradients.path_factors(p["carousel"], p["rnn_factor"]),
        "gate_weight_heatmaps (W_hh)": lambda p: weights.gate_weight_heatmaps(p["lstm"], "weight_hh"),
        "input_lines": lambda p: weights.input_lines(p["x"]),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7, help="rounds per size (median reported), each with new data")
    ap.add_argument("--compare", type=Path, metavar="DIR", help="also time the charts package of checkout DIR")
    ap.add_argument("--sizes", nargs="*", choices=sorted(SIZES), default=list(SIZES))
    args = ap.parse_args(argv)
    packages = {"ours": importlib.import_module("charts")}
    for m in MODULES:
        importlib.import_module(f"charts.{m}")
    if args.compare:
        packages["old"] = load_copy(args.compare, "charts_old", package="charts", submodules=MODULES)
    if os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        print("note: start with OPENBLAS_NUM_THREADS=1: the CPU clock of this thread misses numpy's other threads")
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus; median of {args.repeats} builds "
          "(chart function + to_dict), this thread's CPU time, ms")
    builds = {name: {**cases(ch), **page_cases(ch)} for name, ch in packages.items()}
    head = f"{'figure':30} {'size':9} {'ours':>8}" + (f" {'old':>8} {'old/ours':>8}" if args.compare else "")
    print(head + "\n" + "-" * len(head))
    for size in args.sizes:
        D, H, T = SIZES[size]
        problems = [{**problem(D, H, T, seed), **page_problem(D, H, T, seed, TEXT_CHARS[size])}
                    for seed in range(args.repeats + 1)]
        for name in builds["ours"]:
            times = {k: [] for k in builds}
            for k in builds:  # one warm-up build each (first use of a trace type's validators)
                builds[k][name](problems[0]).to_dict()
            for p in problems[1:]:
                for k, b in builds.items():
                    t0 = time.thread_time()
                    b[name](p).to_dict()
                    times[k].append(time.thread_time() - t0)
            med = {k: 1000 * statistics.median(v) for k, v in times.items()}
            line = f"{name:30} {size:9} {med['ours']:8.1f}"
            if args.compare:
                line += f" {med['old']:8.1f} {med['old'] / med['ours']:8.1f}"
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
