"""Myths vs. measurements: one pure function per common misconception about LSTMs, returning the numbers that
refute it. Every function is seeded and deterministic (except ``bptt_cost``, which measures wall-clock time) and
computes its numbers with the core (``lstm_forward`` / ``lstm_backward``); charts/myths.py draws them.

    1  "The gates look only at x_t"              same_input_different_history
    2  "f ≈ 1 erases the memory"                  forget_gate_memory
    3  "h_t = tanh(σ(c_t))"                       output_formula
    4  "Gates are 0 or 1"                         gate_distribution
    5  "BPTT is a trick to reduce computation"    bptt_cost
    6  "A time step is a slice of wall-clock time" no_wall_clock
    7  "Hidden units connect one-to-one"          recurrent_connections
    8  "Closing the input gate erases the memory" input_gate_memory
    9  "Each gate has one H × D weight matrix"    gate_weight_shapes
    10 "LSTMs solve the vanishing gradient"       gradient_limits
    11 "Each time step has its own weights"       weight_sharing
    12 "The cell state is bounded like h"         cell_state_growth
    variant: gates that ignore h_{t−1}            x_only_gates, first_marker_params, first_marker_task,
                                                  x_only_comparison, x_only_gate_traces

Steps are 0-based in every returned array (index 0 is the first step), as everywhere in the core.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from .analysis import carousel_factor, fit_line, grad_norms, memory_half_life
from .losses import make_loss
from .lstm import LSTMTrace, lstm_backward, lstm_forward, sigmoid
from .params import GATES, LSTMParams, block_symbol, gate_rows, param_arrays, with_forget_bias
from .presets import PRESETS
from .sequences import random_normal
from .validate import MAX_B, MAX_T, check_size, freeze, frozen_copy

SIGMOID_GATES = ("i", "f", "o")  # the gates proper, in (0, 1); g is the cell candidate in (−1, 1)
BIG = 15.0  # a bias of ±15 puts a sigmoid gate within σ(−15) ≈ 3.1e-7 of 0 or 1


def _check_params(params) -> LSTMParams:
    if not isinstance(params, LSTMParams):
        raise ValueError(f"params: got {type(params).__name__}, needs LSTMParams")
    return params


def _last_gates(trace: LSTMTrace) -> dict[str, np.ndarray]:
    return {k: frozen_copy(getattr(trace, k)[-1]) for k in GATES}


# ---- 1. the gates read h_{t−1} too ---------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class HistoryGates:
    """The same LSTM run on two sequences that differ only before their (identical) last input.

    x_a, x_b (T, D): the two sequences (x_a[-1] == x_b[-1]); h_prev_a, h_prev_b (H,): h_{T−2}, the state each
    history left behind; gates_a, gates_b: {'i','f','g','o'} -> (H,) at the last step; max_diff: the largest
    |gate_a − gate_b| over all gates and units.
    """

    x_a: np.ndarray
    x_b: np.ndarray
    h_prev_a: np.ndarray
    h_prev_b: np.ndarray
    gates_a: dict
    gates_b: dict
    max_diff: float


def same_input_different_history(params: LSTMParams, *, prefix: int = 20, seed: int = 0,
                                 scale: float = 3.0) -> HistoryGates:
    """Feed one x_t after two different random histories; the gates at that step differ because they read h_{t−1}.

    The histories are ``prefix`` steps of N(0, scale²) noise seeded by (seed, 1) and (seed, 2); the shared last input
    is N(0, 1) seeded by (seed, 3). Sequences are ``prefix + 1`` steps long.
    """
    p = _check_params(params)
    prefix = check_size("prefix", prefix, MAX_T - 1)
    D = p.input_size
    last = np.random.default_rng([seed, 3]).normal(size=(1, D))
    x_a = np.vstack([np.random.default_rng([seed, 1]).normal(size=(prefix, D)) * scale, last])
    x_b = np.vstack([np.random.default_rng([seed, 2]).normal(size=(prefix, D)) * scale, last])
    tr_a, tr_b = lstm_forward(p, x_a), lstm_forward(p, x_b)
    ga, gb = _last_gates(tr_a), _last_gates(tr_b)
    diff = max(float(np.max(np.abs(ga[k] - gb[k]))) for k in GATES)
    return HistoryGates(x_a=frozen_copy(x_a), x_b=frozen_copy(x_b), h_prev_a=frozen_copy(tr_a.h[-2]), h_prev_b=frozen_copy(tr_b.h[-2]),
                        gates_a=ga, gates_b=gb, max_diff=diff)


# ---- 2 and 8. what the forget and input gates do to c ---------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GatedMemory:
    """Hand-built one-input LSTM units, each with its gates pinned by a bias, all starting from c0.

    labels: one per unit; i_bias, f_bias (U,): the pinned biases (W_hh = 0, no input weight on i and f, so the gates
    are constant: i = σ(i_bias), f = σ(f_bias)); x (T, 1): the input, written through g = tanh(x_t);
    c (T, U): the cell state after every step; c0: the stored memory at the start.
    """

    labels: tuple
    i_bias: np.ndarray
    f_bias: np.ndarray
    x: np.ndarray
    i: np.ndarray  # (T, U)
    f: np.ndarray  # (T, U)
    c: np.ndarray  # (T, U)
    c0: float

    def max_drift(self, unit: int) -> float:
        """max_t |c_t − c0| of one unit: how far its memory moved from what was stored."""
        return float(np.max(np.abs(self.c[:, unit] - self.c0)))

    def steps_to_half(self, unit: int) -> int | None:
        """After how many steps one unit's memory has first fallen to half of c0 or below (None: not within T)."""
        return memory_half_life(np.abs(np.r_[self.c[::-1, unit], self.c0]))


def hand_gated_params(i_bias, f_bias) -> LSTMParams:
    """An LSTM with D = 1 and one unit per (i_bias, f_bias) pair: z_i = i_bias, z_f = f_bias, z_g = x_t, z_o = 0.

    W_hh = 0 and the gates i, f have no input weight, so i = σ(i_bias) and f = σ(f_bias) at every step, while the
    candidate g = tanh(x_t) follows the input: c_t = f·c_{t−1} + i·tanh(x_t).
    """
    ib, fb = np.atleast_1d(np.asarray(i_bias, dtype=float)), np.atleast_1d(np.asarray(f_bias, dtype=float))
    if ib.shape != fb.shape or ib.ndim != 1:
        raise ValueError(f"i_bias, f_bias: got shapes {ib.shape} and {fb.shape}, needs two equal-length 1-D lists")
    U = ib.size
    w_ih = np.zeros((4 * U, 1))
    w_ih[2 * U:3 * U, 0] = 1.0  # g = tanh(x_t)
    b = np.zeros(4 * U)
    b[:U], b[U:2 * U] = ib, fb
    return LSTMParams(weight_ih=w_ih, weight_hh=np.zeros((4 * U, U)), bias_ih=b, bias_hh=np.zeros(4 * U))


def _gated_memory(labels, i_bias, f_bias, *, T: int, seed: int, c0: float) -> GatedMemory:
    T = check_size("T", T, MAX_T)
    p = hand_gated_params(i_bias, f_bias)
    U = p.hidden_size
    x = random_normal(T, 1, seed=seed)
    tr = lstm_forward(p, x, c0=np.full(U, float(c0)))
    return GatedMemory(labels=tuple(labels), i_bias=frozen_copy(i_bias), f_bias=frozen_copy(f_bias), x=tr.x,
                       i=tr.i, f=tr.f, c=tr.c, c0=float(c0))


def halving_steps(forget_bias: float) -> int:
    """Steps after which a cell with a constant forget gate f = σ(forget_bias) and a shut input gate keeps half of
    its value or less: the smallest k with f^k <= ½ (its half-life, analysis.memory_half_life of f^t)."""
    return memory_half_life(_sigma(forget_bias) ** np.arange(MAX_T)[::-1])


def _sigma(z: float) -> float:
    """σ(z) of one number (|z| <= 700 here: the biases of these hand-built cells)."""
    return 1.0 / (1.0 + float(np.exp(-float(z))))


FADE_BIAS = 2.0  # the half-open forget gate of myths 2 and 12: f = σ(2) ≈ 0.88
FADE_F = _sigma(FADE_BIAS)
FORGET_CASES = (  # (label, i bias, f bias): the input gate is shut in all three, so only f acts on c
    ("f ≈ 1 (b_f = +15): keeps c", -BIG, BIG),
    (f"f ≈ {FADE_F:.2f} (b_f = +2): half gone after {halving_steps(FADE_BIAS)} steps",
     -BIG, FADE_BIAS),
    ("f ≈ 0 (b_f = −15): erases c", -BIG, -BIG),
)

INPUT_CASES = (  # (label, i bias, f bias)
    ("i ≈ 0, f ≈ 1: keeps c", -BIG, BIG),
    ("i ≈ 1, f ≈ 1: writes x on top", BIG, BIG),
    ("i ≈ 0, f ≈ 0: erased (by f, not i)", -BIG, -BIG),
)


def forget_gate_memory(*, T: int = 100, seed: int = 0, c0: float = 1.0) -> GatedMemory:
    """Myth 2. A stored c0 under a forget gate pinned open (≈ 1), half-open and shut (≈ 0); input gate shut.

    f ≈ 1 keeps c (c_t = σ(15)^t c0 + tiny writes: within 1e-3 of c0 over 100 steps); f ≈ 0 erases it in one step.
    """
    labels, ib, fb = zip(*FORGET_CASES)
    return _gated_memory(labels, ib, fb, T=T, seed=seed, c0=c0)


def input_gate_memory(*, T: int = 100, seed: int = 0, c0: float = 1.0) -> GatedMemory:
    """Myth 8. A stored c0 with the input gate shut (≈ 0) keeps it; an open input gate writes the input on top; only a
    shut forget gate erases it."""
    labels, ib, fb = zip(*INPUT_CASES)
    return _gated_memory(labels, ib, fb, T=T, seed=seed, c0=c0)


# ---- 3. h_t = o_t ⊙ tanh(c_t) ------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class OutputFormula:
    """From one trace: h (the core's h_t), the correct o ⊙ tanh(c), and the myth's tanh(σ(c)); all (T, H).

    max_err_true = max|h − o ⊙ tanh(c)| (0: it is the formula), max_err_myth = max|h − tanh(σ(c))|;
    share_negative: the share of h's values below 0 (tanh(σ(c)) is never negative).
    """

    c: np.ndarray
    o: np.ndarray
    h: np.ndarray
    correct: np.ndarray
    myth: np.ndarray
    max_err_true: float
    max_err_myth: float
    share_negative: float


def output_formula(params: LSTMParams, x) -> OutputFormula:
    """Myth 3. Recompute h_t both ways from the core's trace of ``x`` (T, D)."""
    tr = lstm_forward(_check_params(params), x)
    correct = tr.o * np.tanh(tr.c)
    myth = np.tanh(sigmoid(np.array(tr.c)))
    return OutputFormula(c=tr.c, o=tr.o, h=tr.h, correct=frozen_copy(correct), myth=frozen_copy(myth),
                         max_err_true=float(np.max(np.abs(tr.h - correct))),
                         max_err_myth=float(np.max(np.abs(tr.h - myth))),
                         share_negative=float(np.mean(tr.h < 0)))


# ---- 4. gates are continuous --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GateDistribution:
    """Histograms of the sigmoid gates' values over every step and unit of one run.

    edges (bins + 1,) on [0, 1]; counts {'i','f','o'} -> (bins,) ints; n_values = T·H per gate;
    value_range {'i','f','o'} -> (min, max); share_between {'i','f','o'} -> share of values in [0.05, 0.95].
    """

    edges: np.ndarray
    counts: dict
    n_values: int
    value_range: dict
    share_between: dict
    T: int

    @property
    def saturated(self) -> dict:
        """{'i','f','o'} -> the share of values outside [0.05, 0.95]: saturated, nearly shut or nearly open."""
        return {k: 1.0 - v for k, v in self.share_between.items()}

    @property
    def mostly_saturated(self) -> list:
        """The gates with more than half of their values saturated (e.g. a hand-set latch, a forget bias of +4)."""
        return [k for k, v in self.saturated.items() if v > 0.5]


def gate_distribution(params: LSTMParams, *, T: int = 200, seed: int = 0, bins: int = 20) -> GateDistribution:
    """Myth 4. Run the LSTM on T steps of N(0, 1) input (seeded) and histogram i, f and o over [0, 1]."""
    p = _check_params(params)
    bins = check_size("bins", bins, 200)
    tr = lstm_forward(p, random_normal(T, p.input_size, seed=seed))
    edges = np.linspace(0.0, 1.0, bins + 1)
    counts, ranges, between = {}, {}, {}
    for k in SIGMOID_GATES:
        v = getattr(tr, k).ravel()
        counts[k] = np.histogram(v, bins=edges)[0]
        counts[k].flags.writeable = False
        ranges[k] = (float(v.min()), float(v.max()))
        between[k] = float(np.mean((v >= 0.05) & (v <= 0.95)))
    return GateDistribution(edges=frozen_copy(edges), counts=counts, n_values=tr.i.size, value_range=ranges,
                            share_between=between, T=int(T))


# ---- 5. BPTT's cost grows linearly with T ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class BPTTCost:
    """Wall-clock seconds of one lstm_forward + lstm_backward per sequence length, and a straight-line fit.

    lengths (n,); seconds (n,): the fastest of ``repeats`` runs; slope (s per step), intercept (s), r2 of the fit;
    stored_floats (n,): numbers the forward pass keeps for the backward pass (x, h0, c0 and the six per-step
    arrays i, f, g, o, c, h), exactly T·(D + 6H) + 2H.
    """

    lengths: np.ndarray
    seconds: np.ndarray
    slope: float
    intercept: float
    r2: float
    stored_floats: np.ndarray


def bptt_cost(params: LSTMParams, *, lengths=(100, 200, 400, 800), repeats: int = 5, budget: float = 0.6,
              seed: int = 0) -> BPTTCost:
    """Myth 5. Time full BPTT (forward, then backward from L = ½‖h_T‖²) at each length in ``lengths``.

    Wall-clock, so not deterministic. The lengths are timed round-robin (so a busy moment of the machine hits all of
    them alike) for up to ``repeats`` rounds, stopping after ``budget`` seconds once every length has two timings;
    the fastest timing per length is kept. At H = 64 the whole measurement takes about ``budget`` seconds.
    """
    p = _check_params(params)
    lengths = np.array([check_size("T", T, MAX_T) for T in lengths], dtype=int)
    repeats = check_size("repeats", repeats, 50)
    x_all = random_normal(int(lengths.max()), p.input_size, seed=seed)
    seconds = np.full(len(lengths), np.inf)
    stored = np.empty(len(lengths), dtype=np.int64)
    began = time.perf_counter()
    for rep in range(repeats):
        for n, T in enumerate(lengths):
            start = time.perf_counter()
            tr = lstm_forward(p, x_all[:T])
            dh = np.zeros_like(tr.h)
            dh[-1] = tr.h[-1]  # L = ½‖h_T‖²
            lstm_backward(p, tr, dh)
            seconds[n] = min(seconds[n], time.perf_counter() - start)
            stored[n] = sum(getattr(tr, k).size for k in ("x", "h0", "c0", "i", "f", "g", "o", "c", "h"))
        if rep >= 1 and time.perf_counter() - began > budget:
            break
    slope, intercept, r2 = fit_line(lengths, seconds)
    return BPTTCost(lengths=frozen_copy(lengths), seconds=frozen_copy(seconds), slope=slope, intercept=intercept, r2=r2,
                    stored_floats=stored)


# ---- 6. a step is a position, not a duration ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class NoClock:
    """One sequence of values recorded at two very different wall-clock paces, and the LSTM's h for each.

    x (T, D): the values; times_fast (T,): seconds at 100 samples per second; times_slow (T,): irregular gaps of 1 s
    to about 5 min; h_fast, h_slow (T, H): the traces (the timestamps are never an input); max_diff = max|h_fast −
    h_slow| (exactly 0).
    """

    x: np.ndarray
    times_fast: np.ndarray
    times_slow: np.ndarray
    h_fast: np.ndarray
    h_slow: np.ndarray
    max_diff: float


def no_wall_clock(params: LSTMParams, *, T: int = 40, seed: int = 0) -> NoClock:
    """Myth 6. The LSTM only sees the order of the values: stretch their timestamps however you like, h is identical.

    Timestamps start at the first sample: fast = 0.01·(t + 1) s; slow = cumulative gaps 10^U(0, 2.5) s.
    """
    p = _check_params(params)
    T = check_size("T", T, MAX_T)
    x = random_normal(T, p.input_size, seed=seed)
    fast = 0.01 * np.arange(1, T + 1)
    slow = np.cumsum(10.0 ** np.random.default_rng([seed, 6]).uniform(0.0, 2.5, size=T))
    # A recording is (timestamp, value) pairs; the LSTM is handed the values in time order, one per step, and
    # never the timestamps themselves.
    h_fast = lstm_forward(p, x[np.argsort(fast, kind="stable")]).h
    h_slow = lstm_forward(p, x[np.argsort(slow, kind="stable")]).h
    return NoClock(x=frozen_copy(x), times_fast=frozen_copy(fast), times_slow=frozen_copy(slow), h_fast=h_fast, h_slow=h_slow,
                   max_diff=float(np.max(np.abs(h_fast - h_slow))))


# ---- 7 and 9. the recurrent weights and each gate's blocks ----------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RecurrentConnections:
    """The recurrent weights of each gate, W_hh[gate] (H, H): row k = unit k at step t, column j = unit j of h_{t−1}.

    blocks {'i','f','g','o'} -> (H, H); nonzero {'i','f','g','o'} -> how many of the H² entries are nonzero;
    weight_sum = Σ|W_hh| (0 for a network without recurrent weights, e.g. the hand-built latch);
    offdiag_share: the share of Σ|W_hh| off the diagonals of the four blocks (0 if units connected one-to-one, and
    0 when weight_sum is 0: then there are no connections at all).
    """

    blocks: dict
    nonzero: dict
    weight_sum: float
    offdiag_share: float
    H: int


def recurrent_connections(params: LSTMParams) -> RecurrentConnections:
    """Myth 7. Every unit of h_{t−1} feeds every unit's four gates at step t through a full H × H block."""
    p = _check_params(params)
    H = p.hidden_size
    blocks = {k: p.gate_block("weight_hh", k) for k in GATES}
    total = sum(float(np.abs(b).sum()) for b in blocks.values())
    diag = sum(float(np.abs(np.diag(b)).sum()) for b in blocks.values())
    return RecurrentConnections(
        blocks=blocks, nonzero={k: int(np.count_nonzero(b)) for k, b in blocks.items()}, weight_sum=total,
        offdiag_share=(total - diag) / total if total > 0 else 0.0, H=H,
    )


@dataclass(frozen=True, eq=False)
class GateShapes:
    """Each gate's parameters by PyTorch's symbols: shapes {'i',…} -> {'W_ii': (H, D), 'W_hi': (H, H), 'b_ii': (H,),
    'b_hi': (H,)} for gate i (W_if, W_hf, … for f, and so on);
    counts {'i',…} -> {'input': H·D, 'hidden': H·H, 'bias': 2H}; total = 4(HD + H² + 2H), the size of all four
    arrays; combined (4H, D + H) = [W_ih | W_hh], the matrix each z_t = combined · [x_t; h_{t−1}] + b uses."""

    shapes: dict
    counts: dict
    total: int
    combined: np.ndarray
    H: int
    D: int


def gate_weight_shapes(params: LSTMParams) -> GateShapes:
    """Myth 9. Each gate has an H × D input block and an H × H hidden block (and two biases)."""
    p = _check_params(params)
    H, D = p.hidden_size, p.input_size
    shapes, counts = {}, {}
    for k in GATES:
        arrays = {name: p.gate_block(name, k) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
        shapes[k] = {block_symbol(name, k): a.shape for name, a in arrays.items()}
        counts[k] = {"input": arrays["weight_ih"].size, "hidden": arrays["weight_hh"].size,
                     "bias": arrays["bias_ih"].size + arrays["bias_hh"].size}
    total = sum(sum(c.values()) for c in counts.values())
    return GateShapes(shapes=shapes, counts=counts, total=total,
                      combined=frozen_copy(np.hstack([p.weight_ih, p.weight_hh])), H=H, D=D)


# ---- 10. LSTMs mitigate vanishing gradients; they do not solve them ---------------------------------------------------

COMMON_FORGET_BIAS = 1.0  # "initialise the forget-gate bias to 1": f = σ(1) ≈ 0.73
PRESERVED_C = "b_f = +4: ‖∂L/∂c_t‖"
PRESERVED_H = "b_f = +4: ‖∂L/∂h_t‖"
COMMON_C = "b_f = +1: ‖∂L/∂c_t‖"
EXPLODING_C = "exploding LSTM: ‖∂L/∂c_t‖"


@dataclass(frozen=True, eq=False)
class GradientLimits:
    """Myth 10: how far the gradient of the last step's loss gets back in three LSTMs of T = 100 steps.

    curves {label: (T,)}: a gradient norm per step divided by its value at the last step (so 1 at t = T):
      PRESERVED_C, PRESERVED_H  the preserved_lstm preset (b_f = +4, f ≈ 0.98): ‖∂L/∂c_t‖ and ‖∂L/∂h_t‖
      COMMON_C                  the same LSTM with b_f = +1 (f ≈ 0.73): ‖∂L/∂c_t‖
      EXPLODING_C               the exploding_lstm preset: ‖∂L/∂c_t‖
    ratios {label: curve[0]}: what reaches step 1, as a fraction of the end's gradient;
    prod_f: ∏ f from the last step back to the first on the preserved preset (median over units): the cell path alone.
    """

    curves: dict
    ratios: dict
    prod_f: float
    T: int


def gradient_limits(*, seed: int = 0) -> GradientLimits:
    """Myth 10. Each run uses its preset's own input and loss (a probe of unit 1 of h_T) at the preset's sizes."""
    preserved, exploding = PRESETS["preserved_lstm"].build(seed=seed), PRESETS["exploding_lstm"].build(seed=seed)
    curves, prod_f = {}, float("nan")
    for labels, params, sc in (((PRESERVED_C, PRESERVED_H), preserved.lstm, preserved),
                               ((COMMON_C,), with_forget_bias(preserved.lstm, COMMON_FORGET_BIAS), preserved),
                               ((EXPLODING_C,), exploding.lstm, exploding)):
        tr = lstm_forward(params, sc.x)
        norms = grad_norms(lstm_backward(params, tr, make_loss(sc.loss, **sc.loss_kwargs)(tr.h)[1]))
        for label in labels:
            n = norms["dh" if label == PRESERVED_H else "dc"]
            curves[label] = frozen_copy(n / n[-1])  # the probe's gradient at the last step is never 0
        if params is preserved.lstm:
            prod_f = float(np.median(carousel_factor(tr)[0]))
    return GradientLimits(curves=curves, ratios={k: float(v[0]) for k, v in curves.items()}, prod_f=prod_f,
                          T=int(preserved.x.shape[0]))


# ---- 11. one set of weights serves every step --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class WeightSharing:
    """Myth 11: the same weights at every step.

    lengths (n,): sequence lengths the same LSTM was run through (forward and BPTT); n_params (n,): how many numbers
    its parameter gradient has at each (one per weight and bias: 4H(D + H + 2) whatever T is); n_stored (n,): how
    many numbers the forward pass keeps for BPTT at each, T(D + 6H) + 2H (grows with T);
    shares (T,): for ``x`` under L = ½‖h_T‖², ‖dz_t h_{t−1}ᵀ‖ (Frobenius), step t's share of the one gradient
    ∂L/∂W_hh = Σ_t dz_t h_{t−1}ᵀ (dz_t = ∂L/∂z_t stacked i, f, g, o, (4H,)); max_sum_error = max|Σ_t dz_t h_{t−1}ᵀ −
    ∂L/∂W_hh| (rounding only).
    """

    lengths: np.ndarray
    n_params: np.ndarray
    n_stored: np.ndarray
    shares: np.ndarray
    max_sum_error: float


def _bptt_last_state(p: LSTMParams, x):
    """Forward and BPTT under L = ½‖h_T‖²: (trace, grads)."""
    tr = lstm_forward(p, x)
    dh = np.zeros_like(tr.h)
    dh[-1] = tr.h[-1]
    return tr, lstm_backward(p, tr, dh)


def weight_sharing(params: LSTMParams, x, *, lengths=(10, 100, 1000), seed: int = 0) -> WeightSharing:
    """Myth 11. Run ``params`` through sequences of each length in ``lengths`` (N(0, 1) input seeded by ``seed``) and
    count the gradient's numbers and the stored ones; split ∂L/∂W_hh for ``x`` (T, D) into every step's share."""
    p = _check_params(params)
    lengths = np.array([check_size("T", T, MAX_T) for T in lengths], dtype=int)
    x_all = random_normal(int(lengths.max()), p.input_size, seed=seed)
    n_params, n_stored = [], []
    for T in lengths:
        tr, g = _bptt_last_state(p, x_all[:T])
        n_params.append(sum(a.size for a in param_arrays(g.params).values()))
        n_stored.append(sum(getattr(tr, k).size for k in ("x", "h0", "c0", "i", "f", "g", "o", "c", "h")))
    tr, g = _bptt_last_state(p, x)
    dz = np.concatenate([g.dz_i, g.dz_f, g.dz_g, g.dz_o], axis=-1)  # (T, 4H) in PyTorch's row order
    h_prev = np.vstack([tr.h0[None], tr.h[:-1]])  # (T, H): h_{t−1}
    shares = np.sqrt(np.sum(dz * dz, axis=1) * np.sum(h_prev * h_prev, axis=1))  # ‖a bᵀ‖_F = ‖a‖‖b‖
    total = np.einsum("ti,tj->ij", dz, h_prev)
    counts = lengths.copy(), np.array(n_params, dtype=np.int64), np.array(n_stored, dtype=np.int64)
    freeze(*counts)
    return WeightSharing(lengths=counts[0], n_params=counts[1], n_stored=counts[2], shares=frozen_copy(shares),
                         max_sum_error=float(np.max(np.abs(total - g.params.weight_hh))))


# ---- 12. the cell state is not bounded like h ------------------------------------------------------------------------

GROWTH_CASES = (  # (label, f bias): the input gate is open in all three (b_i = +15), writing g = tanh(x_t) > 0
    ("f ≈ 1 (b_f = +15)", BIG),
    (f"f ≈ {FADE_F:.2f} (b_f = +2)", FADE_BIAS),
    ("f ≈ 0 (b_f = −15)", -BIG),
)


@dataclass(frozen=True, eq=False)
class CellGrowth:
    """Myth 12: hand-built one-input units that keep writing, and the lab's LSTM.

    labels; f (U,): each unit's constant forget gate; x (T, 1): the input, U(0.5, 1.5), written through
    g = tanh(x_t) ∈ (0.46, 0.91) with the input gate open (i ≈ 1) and o = σ(0) = ½; c, h (T, U);
    bound (U,): 1 / (1 − f), the most |c_t| can ever reach from c0 = 0 when |i·g| <= 1 (c_t = Σ_k f^k i g);
    lab_max_c, lab_max_h (H,): max over the steps of |c_t| and |h_t| per unit of the lab's LSTM on its input.
    """

    labels: tuple
    f: np.ndarray
    x: np.ndarray
    c: np.ndarray
    h: np.ndarray
    bound: np.ndarray
    lab_max_c: np.ndarray
    lab_max_h: np.ndarray


def cell_state_growth(params: LSTMParams, x, *, T: int = 100, seed: int = 0) -> CellGrowth:
    """Myth 12. |h_t| = |o_t tanh(c_t)| < 1 always, but c_t = f c_{t−1} + i g adds up: with f ≈ 1 it grows without
    bound (about 0.7 per step here); with f < 1 it stays within 1 / (1 − f)."""
    p = _check_params(params)
    T = check_size("T", T, MAX_T)
    labels, fb = zip(*GROWTH_CASES)
    cells = hand_gated_params(np.full(len(fb), BIG), fb)
    xs = np.random.default_rng([seed, 12]).uniform(0.5, 1.5, size=(T, 1))
    tr = lstm_forward(cells, xs)
    f = tr.f[0].copy()
    with np.errstate(divide="ignore"):
        bound = np.where(f < 1.0, 1.0 / (1.0 - f), np.inf)
    lab = lstm_forward(p, x)
    return CellGrowth(labels=tuple(labels), f=frozen_copy(f), x=frozen_copy(xs), c=tr.c, h=tr.h,
                      bound=frozen_copy(bound), lab_max_c=frozen_copy(np.max(np.abs(lab.c), axis=0)),
                      lab_max_h=frozen_copy(np.max(np.abs(lab.h), axis=0)))


# ---- the variant: gates that ignore h_{t−1} ------------------------------------------------------------------------


def x_only_gates(params: LSTMParams) -> LSTMParams:
    """The same LSTM with the i, f and o rows of W_hh set to 0: its gates read x_t (and their biases) only.

    The candidate g keeps its recurrent weights: g is the content written, not a gate, so this variant changes only
    the gating decisions. (Biases stay: a gate still has a resting level; it just cannot react to the history.)
    """
    p = _check_params(params)
    w = p.weight_hh.copy()
    for gate in SIGMOID_GATES:
        w[gate_rows(p.hidden_size, gate)] = 0.0
    return replace(p, weight_hh=w)


# Hand-built "keep the first marked value": unit 0 is the memory, unit 1 a flag "something is stored".
MARK_GAIN = 2 * BIG  # z = 30·marker − 15: σ(±15) for marker 1 / 0
FLAG_BLOCK = 4 * BIG  # W_hh flag → memory's input gate: z_i = 15 − 60·0.76 ≈ −31 once the flag is set


def first_marker_params() -> LSTMParams:
    """A hand-built LSTM (D = 2: channel 0 a value v_t, channel 1 a marker m_t ∈ {0, 1}; H = 2) that stores the value
    at the FIRST marker and ignores every later one — a decision that needs h_{t−1}.

        unit 1 (flag):   z_i = 30·m − 15, z_f = +15, z_g = 5·m, z_o = +15  → h₁ ≈ tanh(1) ≈ 0.76 after a marker
        unit 0 (memory): z_i = 30·m − 15 − 60·h₁,t−1, z_f = +15, z_g = v_t, z_o = +15
                         → the input gate opens on a marker only while the flag is still 0; c₀ = tanh(v_first)
    """
    H, D = 2, 2
    w_ih, w_hh, b = np.zeros((4 * H, D)), np.zeros((4 * H, H)), np.zeros(4 * H)
    I, F, G, O = (GATES.index(k) * H for k in GATES)
    for u in (0, 1):
        w_ih[I + u, 1], b[I + u] = MARK_GAIN, -BIG  # input gates open on a marker
        b[F + u] = BIG  # forget gates hold
        b[O + u] = BIG  # output gates reveal
    w_hh[I + 0, 1] = -FLAG_BLOCK  # the memory's input gate is shut once the flag is set: reads h_{t−1}
    w_ih[G + 0, 0] = 1.0  # memory candidate g₀ = tanh(v_t)
    w_ih[G + 1, 1] = 5.0  # flag candidate g₁ = tanh(5·m_t) ≈ 1 on a marker, exactly 0 otherwise
    return LSTMParams(weight_ih=w_ih, weight_hh=w_hh, bias_ih=b, bias_hh=np.zeros(4 * H))


@dataclass(frozen=True, eq=False)
class MarkerBatch:
    """x (T, B, 2): channel 0 values U(−1, 1) at every step, channel 1 markers (1 at ``n_markers`` distinct steps);
    first (B,): the step of each sequence's first marker; target (B,) = tanh(value at the first marker)."""

    x: np.ndarray
    first: np.ndarray
    target: np.ndarray


def first_marker_task(T: int = 30, batch: int = 1, *, n_markers: int = 3, seed: int = 0) -> MarkerBatch:
    """Seeded sequences for "keep the first marked value" (the markers avoid step 0 so the first can vary)."""
    T = check_size("T", T, MAX_T, minimum=2)
    batch = check_size("batch", batch, MAX_B)
    n_markers = check_size("n_markers", n_markers, T - 1)
    rng = np.random.default_rng([seed, 8])
    x = np.zeros((T, batch, 2))
    x[:, :, 0] = rng.uniform(-1.0, 1.0, size=(T, batch))
    first = np.empty(batch, dtype=int)
    for b in range(batch):
        steps = np.sort(rng.choice(np.arange(1, T), size=n_markers, replace=False))
        x[steps, b, 1] = 1.0
        first[b] = steps[0]
    target = np.tanh(x[first, np.arange(batch), 0])
    return MarkerBatch(x=frozen_copy(x), first=frozen_copy(first), target=frozen_copy(target))


@dataclass(frozen=True, eq=False)
class VariantComparison:
    """The standard hand-built LSTM and its x-only-gates variant on the first-marker task.

    example: x (T, 2), target (float), and per model {'standard', 'x_only'} -> {'i' (T,), 'c' (T,)} of the memory
    unit; errors {'standard', 'x_only'} -> mean |c₀,T − tanh(v_first)| over ``batch`` random sequences.
    """

    x: np.ndarray
    target: float
    first: int
    traces: dict
    errors: dict
    batch: int


def x_only_comparison(*, T: int = 30, n_markers: int = 3, batch: int = 500, seed: int = 0) -> VariantComparison:
    """Run the first-marker LSTM with and without its gates reading h_{t−1}; measure how well each keeps the first
    value. Standard: error below 1e-5 (3e-6 at seed 0); x-only: its input gate opens at every marker, so c₀ ends as
    the sum of all."""
    p = first_marker_params()
    models = {"standard": p, "x_only": x_only_gates(p)}
    ex = first_marker_task(T, 1, n_markers=n_markers, seed=seed)
    many = first_marker_task(T, batch, n_markers=n_markers, seed=seed + 1)
    traces, errors = {}, {}
    for name, m in models.items():
        tr = lstm_forward(m, ex.x[:, 0])
        traces[name] = {"i": tr.i[:, 0], "c": tr.c[:, 0]}
        errors[name] = float(np.mean(np.abs(lstm_forward(m, many.x).c[-1, :, 0] - many.target)))
    return VariantComparison(x=ex.x[:, 0], target=float(ex.target[0]), first=int(ex.first[0]), traces=traces,
                             errors=errors, batch=int(batch))


@dataclass(frozen=True, eq=False)
class LabVariant:
    """The lab's LSTM and its x-only-gates variant on the same input: {'standard', 'x_only'} -> trace; max_diff
    {'i','f','o'} -> max |gate_standard − gate_x_only| over every step and unit."""

    standard: LSTMTrace
    x_only: LSTMTrace
    max_diff: dict


def x_only_gate_traces(params: LSTMParams, x) -> LabVariant:
    """Run ``params`` and ``x_only_gates(params)`` on ``x`` (T, D)."""
    a, b = lstm_forward(_check_params(params), x), lstm_forward(x_only_gates(params), x)
    return LabVariant(standard=a, x_only=b,
                      max_diff={k: float(np.max(np.abs(getattr(a, k) - getattr(b, k)))) for k in SIGMOID_GATES})
