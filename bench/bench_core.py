"""Benchmark: recorded forward + BPTT of lstm_core against PyTorch (float64, CPU).

    python bench/bench_core.py [--repeats N] [--budget S] [--stat median|min] [--clock wall|cpu] [--no-torch] [--sizes T,B,D,H ...]

For each size (T, B, D, H) it prints the median wall time (after a warm-up; runs interleaved) of:

    ours        lstm_forward + lstm_backward (dh random): every gate, state and gradient of every step recorded
    torch loop  a Python loop over steps with torch float64 ops, the same equations, retain_grad() on every h_t
                and c_t, then backward(dh): what a torch user writes to get per-step data. The input projection
                W_ih x_t + b for all steps is one matmul before the loop (as in ours), so the loop is not handicapped.
    fused       torch.nn.LSTM(D, H).double() forward + backward(dh) (no per-step gates or cell gradients)

and the ratios ours / loop and ours / fused against the targets (B=1: ≤ 0.25× loop; B>1: ≤ 0.5× loop; ≤ 0.5× fused
everywhere). All three compute dL/dx and every parameter gradient. The tanh RNN is timed the same way
(rnn_forward + rnn_backward vs a torch loop and torch.nn.RNN). torch is optional: without it only ours is timed.
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

from lstm_core import init_lstm, init_rnn, lstm_backward, lstm_forward, rnn_backward, rnn_forward  # noqa: E402

try:
    import torch
except ImportError:  # torch is a benchmark-only extra
    torch = None

SIZES = [(50, 1, 4, 8), (500, 1, 4, 32), (1000, 1, 8, 64), (200, 32, 8, 32)]
TARGET_LOOP = {True: 0.25, False: 0.5}  # keyed by B == 1
TARGET_FUSED = 0.5


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


def ours_lstm(T, B, D, H, rng):
    p = init_lstm(D, H, seed=1)
    x = rng.normal(size=(T, D) if B == 1 else (T, B, D))
    dh = rng.normal(size=(T, H) if B == 1 else (T, B, H))

    def run():
        trace = lstm_forward(p, x)
        return lstm_backward(p, trace, dh)

    return run, (p, x, dh)


def ours_rnn(T, B, D, H, rng):
    p = init_rnn(D, H, seed=1)
    x = rng.normal(size=(T, D) if B == 1 else (T, B, D))
    dh = rng.normal(size=(T, H) if B == 1 else (T, B, H))

    def run():
        return rnn_backward(p, rnn_forward(p, x), dh)

    return run, (p, x, dh)


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
    module = (torch.nn.LSTM if kind == "lstm" else torch.nn.RNN)(D, H).double()
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
        "on a busy machine, but blind to work on other threads)",
    )
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--sizes", nargs="*", help="T,B,D,H ... (default: the four standard sizes)")
    args = ap.parse_args(argv)
    use_torch = torch is not None and not args.no_torch
    sizes = [tuple(int(v) for v in s.split(",")) for s in args.sizes] if args.sizes else SIZES
    clock = time.perf_counter if args.clock == "wall" else time.thread_time
    pick = 0 if args.stat == "median" else 1
    if use_torch:
        torch.manual_seed(0)

    for line in environment():
        print(line)
    try:
        print(f"load average {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cpus")
    except OSError:  # pragma: no cover
        pass
    print(f"{args.stat} of interleaved runs, {args.clock} clock, times in ms")
    print()
    header = f"{'model':5} {'T':>5} {'B':>3} {'D':>3} {'H':>4} | {'ours':>9}"
    if use_torch:
        header += f" {'loop':>9} {'fused':>9} | {'ours/loop':>9} {'target':>7} {'ours/fused':>10} {'target':>7}"
    print(header)
    print("-" * len(header))
    missed = []
    for kind in ("lstm", "rnn"):
        for T, B, D, H in sizes:
            rng = np.random.default_rng(0)
            run, (p, x, dh) = (ours_lstm if kind == "lstm" else ours_rnn)(T, B, D, H, rng)
            fns = {"ours": run}
            if use_torch:
                fns["loop"] = (torch_loop_lstm if kind == "lstm" else torch_loop_rnn)(p, x, dh)
                fns["fused"] = torch_fused(kind, p, x, dh)
            res = {name: v[pick] for name, v in time_interleaved(fns, args.repeats, args.budget, clock).items()}
            ours = res["ours"]
            line = f"{kind:5} {T:5d} {B:3d} {D:3d} {H:4d} | {fmt_ms(ours)}"
            if use_torch:
                loop, fused = res["loop"], res["fused"]
                r_loop, r_fused = ours / loop, ours / fused
                line += f" {fmt_ms(loop)} {fmt_ms(fused)} | {r_loop:9.3f}"
                if kind == "lstm":
                    t_loop = TARGET_LOOP[B == 1]
                    ok_loop, ok_fused = r_loop <= t_loop, r_fused <= TARGET_FUSED
                    line += f" {'≤' + str(t_loop):>6}{' ' if ok_loop else '!'} {r_fused:10.3f} {'≤' + str(TARGET_FUSED):>6}{' ' if ok_fused else '!'}"
                    if not ok_loop:
                        missed.append(f"lstm {(T, B, D, H)}: ours/loop {r_loop:.3f} > {t_loop}")
                    if not ok_fused:
                        missed.append(f"lstm {(T, B, D, H)}: ours/fused {r_fused:.3f} > {TARGET_FUSED}")
                else:
                    line += f" {'':>7} {r_fused:10.3f} {'':>7}"
            print(line, flush=True)
    if use_torch:
        print()
        print("targets (LSTM): " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
