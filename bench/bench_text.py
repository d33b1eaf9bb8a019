"""Benchmark: the text lab's figures, printed.

    python bench/bench_text.py [--repeats 9] [--counter-seeds 0,1,2,3,4,5,6,7,8,9] [--train-seconds 60]

1. Forward pass of 2,000 characters through the shipped model (``CharModel.run``: embedding, the core's LSTM, the
   softmax), median of ``--repeats``; also the core's ``lstm_forward`` alone and a 20,000-character pass (the page's
   limit). Target (issue 16): ≤ 200 ms for 2,000 characters.
2. The shipped model's held-out results as stored beside it (bits per character, the best unit per feature for c and
   h, training time, iterations per second, the machine's load while it trained, which core trained it).
3. Training throughput of the character model at the shipped settings (iterations per second over
   ``--train-seconds``), i.e. what ``python -m lstm_core.train --task chars`` would do here now.
4. The bracket counter of the training lab: for each seed, the seconds and iterations to test accuracy 0.99 and the
   counter unit's r(c, depth) (the lab's budget is 30 s).

The machine is shared: the load average is printed with every timing.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lstm_core.chartrain import CharTrainConfig, Streams, init_state, stdlib_corpus, train_step  # noqa: E402
from lstm_core.counting import COUNTER, find_counter  # noqa: E402
from lstm_core.lstm import lstm_forward  # noqa: E402
from lstm_core.text import CharModel  # noqa: E402
from lstm_core.train import test_batch, train  # noqa: E402


def load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def forward_times(model: CharModel, repeats: int) -> None:
    corpus = stdlib_corpus()
    text = corpus.heldout[:2000]
    x = model.embedding[model.encode(text)]
    print(f"forward, 2,000 characters (H = {model.H}), median of {repeats}; {load()}")
    print(f"  CharModel.run        {median_ms(lambda: model.run(text), repeats):7.1f} ms   (target <= 200 ms)")
    print(f"  lstm_forward alone   {median_ms(lambda: lstm_forward(model.lstm, x), repeats):7.1f} ms")
    long = corpus.heldout[:20_000]
    print(f"  20,000 characters    {median_ms(lambda: model.run(long), max(3, repeats // 3)):7.1f} ms")


def stored_results(model: CharModel) -> None:
    info = model.info
    print(f"\nshipped model: {info.get('command')}")
    print(f"  held-out: {info['heldout']['bits_per_char']:.4f} bits/char over {info['heldout']['predictions']:,} "
          f"predictions ({len(info['corpus']['heldout_files'])} files)")
    print(f"  trained {info['iterations']} iterations in {info['train_seconds']:.0f} s wall "
          f"({info['iterations_per_second']} it/s), machine: {info.get('machine')}")
    for feature, by_q in info["best_units"].items():
        parts = ", ".join(f"{q}: unit {v['unit'] + 1} r = {v['r']:+.3f}" for q, v in by_q.items())
        print(f"  {feature:17s} {parts}")


def training_rate(seconds: float) -> None:
    cfg = CharTrainConfig()
    corpus = stdlib_corpus()
    state = init_state(cfg)
    streams = Streams(state.model.encode(corpus.train), cfg.batch, cfg.chunk)
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        ids, restart = streams.chunk_of(n)
        state, _, _ = train_step(state, ids, restart)
        n += 1
    rate = n / (time.perf_counter() - t0)
    print(f"\ntraining at the shipped settings (H = {cfg.hidden}, B = {cfg.batch}, T = {cfg.chunk}): {rate:.2f} it/s "
          f"-> {cfg.steps} iterations in {cfg.steps / rate / 60:.0f} min; {load()}")


def counter(seeds: list[int]) -> None:
    print(f"\nbracket counter (H = {COUNTER.hidden}, T = {COUNTER.gap + 1}, Adam {COUNTER.lr}): to test accuracy 0.99")
    for seed in seeds:
        cfg = COUNTER.replace(seed=seed)
        last = None
        for p in train(cfg, max_seconds=30, stop_accuracy=0.99):
            last = p
        c = find_counter(last.state.params, test_batch(cfg))
        print(f"  seed {seed}: {last.seconds:5.1f} s, {last.iteration:5d} iterations, accuracy {last.test.accuracy:.3f}"
              f" ({last.reason}); unit {c.unit + 1} r(c, depth) = {c.r:+.3f}; {load()}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--counter-seeds", default="0,1,2,3,4,5,6,7,8,9")
    ap.add_argument("--train-seconds", type=float, default=60.0)
    a = ap.parse_args()
    model = CharModel.load()
    forward_times(model, a.repeats)
    stored_results(model)
    if a.train_seconds > 0:
        training_rate(a.train_seconds)
    seeds = [int(s) for s in a.counter_seeds.split(",") if s.strip()]
    if seeds:
        counter(seeds)


if __name__ == "__main__":
    main()
