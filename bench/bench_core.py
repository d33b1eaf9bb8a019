"""Benchmark: recorded forward + BPTT of lstm_core against PyTorch (float64, CPU), and optionally against another
copy of lstm_core (e.g. the previous implementation) in the same run.

    python bench/bench_core.py [--repeats N] [--budget S] [--stat median|min] [--clock wall|cpu] [--no-torch]
                               [--sizes T,B,D,H ...] [--compare DIR]

For each size (T, B, D, H) it prints the median wall time (after a warm-up; runs interleaved) of:

    ours        lstm_forward + lstm_backward (dh random): every gate, state and gradient of every step recorded
    old         the same with the lstm_core package found in DIR (--compare DIR; bench/compare.py), imported as
                ``lstm_core_old``, e.g. ``mkdir /tmp/core-old && git archive main | tar -x -C /tmp/core-old``
    torch loop  a Python loop over steps with torch float64 ops, the same equations, retain_grad() on every h_t
                and c_t, then backward(dh): what a torch user writes to get per-step data. The input projection
                W_ih x_t + b for all steps is one matmul before the loop (as in ours), so the loop is not handicapped.
    fused       torch.nn.LSTM(D, H).double() forward + backward(dh) (no per-step gates or cell gradients)

and the ratios ours / loop and ours / fused against the targets (B=1: ≤ 0.5× loop and fused; B>1: ≤ 1.0× both).
All of them compute dL/dx and every parameter gradient. The GRU (gru_forward + gru_backward vs a torch loop with
retain_grad on every h_t and torch.nn.GRU) and the tanh RNN (rnn_forward + rnn_backward vs a torch loop and
torch.nn.RNN) are timed the same way; the targets are the LSTM's. Last, one training-lab iteration (lstm_core.train.train_step with
the default TrainConfig: T = 51, B = 32, D = 9, H = 16), ours against old (target ≤ 2× old). torch is optional:
without it only ours (and old) are timed.
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
import lstm_core.train  # noqa: E402
from compare import load_copy  # noqa: E402  (bench/compare.py)

try:
    import torch
except ImportError:  # torch is a benchmark-only extra
    torch = None

SIZES = [(50, 1, 4, 8), (500, 1, 4, 32), (1000, 1, 8, 64), (200, 32, 8, 32)]
TARGET = {True: 0.5, False: 1.0}  # ours / loop and ours / fused, keyed by B == 1
TARGET_TRAINING = 2.0  # one training-lab iteration, ours / old


def time_interleaved(fns: dict, repeats: int, budget: float, clock) -> dict:
    """Median and min seconds of each callable, run in turn (ours, loop, fused, ours, …) so that load from other
    processes hits all of them alike. One warm-up call each; at least 3 and at most ``repeats`` rounds, fewer
    when a round would exceed ``budget`` seconds in total."""
    first = 0.0
    for fn in fns.values():
        fn()
        t0 = time.perf_counter()
        fn()
        first += time.perf_counter() - t0
    rounds = max(3, min(repeats, int(budget / max(first, 1e-9))))
    times = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = clock()
            fn()
            times[name].append(clock() - t0)
    return {name: (statistics.median(ts), min(ts)) for name, ts in times.items()}


# ------------------------------------------------------------------------------------------------- ours


def problem(core, kind, T, B, D, H):
    """Seeded params, x and dh of one size (the same numbers for every copy of the core)."""
    rng = np.random.default_rng(0)
    p = getattr(core, f"init_{kind}")(D, H, seed=1)
    x = rng.normal(size=(T, D) if B == 1 else (T, B, D))
    dh = rng.normal(size=(T, H) if B == 1 else (T, B, H))
    return p, x, dh


def ours(core, kind, T, B, D, H):
    """forward + backward of ``core`` (ours, or the --compare copy) at one size."""
    p, x, dh = problem(core, kind, T, B, D, H)
    forward, backward = getattr(core, f"{kind}_forward"), getattr(core, f"{kind}_backward")

    def run():
        return backward(p, forward(p, x), dh)

    return run


def training_iteration(core):
    """One training-lab iteration (train_step on a fixed batch) with the default TrainConfig of ``core``."""
    train = core.train
    cfg = train.TrainConfig()
    state = train.init_state(cfg)
    batch = train.train_batch(cfg, 0)

    def run():
        return train.train_step(state, batch)

    return run, batch.x.shape + (cfg.hidden,)


# ------------------------------------------------------------------------------------------------ torch


def _torch_inputs(p, x, dh):
    """Leaf tensors (float64) for the weights, x (with grad, so dx is computed like ours) and dh, always (T, B, ·)."""
    xb = x if x.ndim == 3 else x[:, None, :]
    dhb = dh if dh.ndim == 3 else dh[:, None, :]
    w = [torch.tensor(getattr(p, n), dtype=torch.float64, requires_grad=True) for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    return w, torch.tensor(xb, requires_grad=True), torch.tensor(dhb)


def torch_loop_lstm(p, x, dh):
    (w_ih, w_hh, b_ih, b_hh), xt, dht = _torch_inputs(p, x, dh)
    T, B, _ = xt.shape
    H = p.hidden_size

    def run():
        for t_ in (w_ih, w_hh, b_ih, b_hh, xt):
            t_.grad = None
        xproj = xt @ w_ih.T + b_ih + b_hh  # (T, B, 4H)
        h = torch.zeros(B, H, dtype=torch.float64)
        c = torch.zeros(B, H, dtype=torch.float64)
        hs, cs, gates = [], [], []
        for t in range(T):
            z = xproj[t] + h @ w_hh.T
            i, f, g, o = z.chunk(4, dim=1)
            i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            h.retain_grad()
            c.retain_grad()
            hs.append(h)
            cs.append(c)
            gates.append((i, f, g, o))
        torch.stack(hs).backward(dht)
        # per-step data a user would read out afterwards (the gates are kept as ours records them)
        return [h_.grad for h_ in hs], [c_.grad for c_ in cs], gates

    return run


def torch_loop_gru(p, x, dh):
    """The GRU's equations (torch.nn.GRU's) step by step, with retain_grad() on every h_t; W_ih x_t + b_ih of all
    steps in one matmul before the loop, as in ours."""
    (w_ih, w_hh, b_ih, b_hh), xt, dht = _torch_inputs(p, x, dh)
    T, B, _ = xt.shape
    H = p.hidden_size

    def run():
        for t_ in (w_ih, w_hh, b_ih, b_hh, xt):
            t_.grad = None
        xproj = xt @ w_ih.T + b_ih  # (T, B, 3H)
        h = torch.zeros(B, H, dtype=torch.float64)
        hs, gates = [], []
        for t in range(T):
            a_h = h @ w_hh.T + b_hh
            r = torch.sigmoid(xproj[t, :, :H] + a_h[:, :H])
            z = torch.sigmoid(xproj[t, :, H:2 * H] + a_h[:, H:2 * H])
            n = torch.tanh(xproj[t, :, 2 * H:] + r * a_h[:, 2 * H:])
            h = (1 - z) * n + z * h
            h.retain_grad()
            hs.append(h)
            gates.append((r, z, n))
        torch.stack(hs).backward(dht)
        return [h_.grad for h_ in hs], gates

    return run


def torch_loop_rnn(p, x, dh):
    (w_ih, w_hh, b_ih, b_hh), xt, dht = _torch_inputs(p, x, dh)
    T, B, _ = xt.shape
    H = p.hidden_size

    def run():
        for t_ in (w_ih, w_hh, b_ih, b_hh, xt):
            t_.grad = None
        xproj = xt @ w_ih.T + b_ih + b_hh
        h = torch.zeros(B, H, dtype=torch.float64)
        hs = []
        for t in range(T):
            h = torch.tanh(xproj[t] + h @ w_hh.T)
            h.retain_grad()
            hs.append(h)
        torch.stack(hs).backward(dht)
        return [h_.grad for h_ in hs]

    return run


def torch_fused(kind, p, x, dh):
    D, H = p.input_size, p.hidden_size
    module = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}[kind](D, H).double()
    with torch.no_grad():
        for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(module, n + "_l0").copy_(torch.from_numpy(np.array(getattr(p, n))))
    _, xt, dht = _torch_inputs(p, x, dh)

    def run():
        module.zero_grad(set_to_none=True)
        xt.grad = None
        out, _ = module(xt)
        out.backward(dht)
        return xt.grad

    return run


# -------------------------------------------------------------------------------------------------- main


def fmt_ms(s: float) -> str:
    return f"{s * 1e3:9.2f}"


def environment() -> list[str]:
    lines = [
        f"python {platform.python_version()}  numpy {np.__version__}  machine {platform.machine()}  cpus {os.cpu_count()}",
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')!s}  "
        f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', '(unset)')}  "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '(unset)')}",
    ]
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        lines.append(f"numpy BLAS: {cfg.get('name')} {cfg.get('version')}")
    except Exception:  # pragma: no cover - informational only
        pass
    if torch is not None:
        lines.append(
            f"torch {torch.__version__}  threads {torch.get_num_threads()}  interop {torch.get_num_interop_threads()}"
        )
    else:
        lines.append("torch not importable: timing ours only")
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=21, help="most timed rounds per size (median reported)")
    ap.add_argument("--budget", type=float, default=3.0, help="seconds per size, caps the number of rounds")
    ap.add_argument("--stat", choices=("median", "min"), default="median", help="statistic shown and used for ratios")
    ap.add_argument(
        "--clock", choices=("wall", "cpu"), default="wall",
        help="wall: time.perf_counter; cpu: time.thread_time (this thread's CPU time: robust to other processes "
        "on a busy machine, but blind to work on other threads, so torch then runs on one thread; start with "
        "OPENBLAS_NUM_THREADS=1 for numpy's matmuls likewise)",
    )
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--sizes", nargs="*", help="T,B,D,H ... (default: the four standard sizes)")
    ap.add_argument("--compare", type=Path, metavar="DIR",
                    help="also time the lstm_core package of another checkout DIR (e.g. the previous version)")
    args = ap.parse_args(argv)
    old = load_copy(args.compare) if args.compare else None
    use_torch = torch is not None and not args.no_torch
    sizes = [tuple(int(v) for v in s.split(",")) for s in args.sizes] if args.sizes else SIZES
    clock = time.perf_counter if args.clock == "wall" else time.thread_time
    pick = 0 if args.stat == "median" else 1
    if use_torch:
        torch.manual_seed(0)
        if args.clock == "cpu":
            torch.set_num_threads(1)  # thread_time sees only this thread's work
    if args.clock == "cpu" and os.environ.get("OPENBLAS_NUM_THREADS") != "1":
        print("note: --clock cpu without OPENBLAS_NUM_THREADS=1 misses numpy's matmul work on other threads")

    for line in environment():
        print(line)
    try:
        print(f"load average {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cpus")
    except OSError:  # pragma: no cover
        pass
    print(f"{args.stat} of interleaved runs, {args.clock} clock, times in ms")
    print()
    header = f"{'model':5} {'T':>5} {'B':>3} {'D':>3} {'H':>4} | {'ours':>9}"
    if old is not None:
        header += f" {'old':>9} {'ours/old':>8}"
    if use_torch:
        header += f" | {'loop':>9} {'fused':>9} | {'ours/loop':>9} {'ours/fused':>10} {'target':>7}"
    print(header)
    print("-" * len(header))
    missed = []
    for kind in ("lstm", "gru", "rnn"):
        for T, B, D, H in sizes:
            fns = {"ours": ours(lstm_core, kind, T, B, D, H)}
            if old is not None and hasattr(old, f"{kind}_forward"):  # an older core may have no GRU
                fns["old"] = ours(old, kind, T, B, D, H)
            if use_torch:
                p, x, dh = problem(lstm_core, kind, T, B, D, H)
                fns["loop"] = {"lstm": torch_loop_lstm, "gru": torch_loop_gru, "rnn": torch_loop_rnn}[kind](p, x, dh)
                fns["fused"] = torch_fused(kind, p, x, dh)
            res = {name: v[pick] for name, v in time_interleaved(fns, args.repeats, args.budget, clock).items()}
            line = f"{kind:5} {T:5d} {B:3d} {D:3d} {H:4d} | {fmt_ms(res['ours'])}"
            if old is not None:
                line += (f" {fmt_ms(res['old'])} {res['ours'] / res['old']:8.2f}" if "old" in res
                         else f" {'—':>9} {'—':>8}")
            if use_torch:
                r_loop, r_fused = res["ours"] / res["loop"], res["ours"] / res["fused"]
                line += f" | {fmt_ms(res['loop'])} {fmt_ms(res['fused'])} | {r_loop:9.3f} {r_fused:10.3f}"
                if kind in ("lstm", "gru"):
                    target = TARGET[B == 1]
                    ok = r_loop <= target and r_fused <= target
                    line += f" {'≤' + str(target):>6}{' ' if ok else '!'}"
                    if not ok:
                        missed.append(f"{kind} {(T, B, D, H)}: ours/loop {r_loop:.3f}, ours/fused {r_fused:.3f} > {target}")
            print(line, flush=True)

    run, size = training_iteration(lstm_core)
    fns = {"ours": run}
    if old is not None:
        fns["old"] = training_iteration(old)[0]
    res = {name: v[pick] for name, v in time_interleaved(fns, args.repeats * 5, args.budget, clock).items()}
    print()
    line = f"training-lab iteration (train_step, T, B, D, H = {size}): ours {fmt_ms(res['ours']).strip()} ms"
    if old is not None:
        ratio = res["ours"] / res["old"]
        line += f", old {fmt_ms(res['old']).strip()} ms, ours/old {ratio:.2f} (target ≤ {TARGET_TRAINING})"
        if ratio > TARGET_TRAINING:
            missed.append(f"training iteration: ours/old {ratio:.2f} > {TARGET_TRAINING}")
    print(line)
    if use_torch or old is not None:
        print()
        print("targets (LSTM, GRU): " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
