"""Experiments over many configurations at once: how far back does the gradient reach?

    length_sweep(model, lengths, …)            ‖dL/dc_1‖ (LSTM) or ‖dL/dh_1‖ (GRU, RNN) for each sequence length
                                               T, and the fitted decay rate per step
    phase_grid(first_axis, spectral_radii, …)     log10(‖dL/dc_1‖ / ‖dL/dc_T‖) (GRU, RNN: of dL/dh) over a grid of
                                               configurations, cells as the batch of the core's forward/backward

The models: the LSTM, the GRU and the tanh RNN. The GRU has no forget gate; its update gate z plays the part
(h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}: z near 1 keeps h, and the gradient's direct path back is ∏ z,
analysis.update_gate_factor, as the LSTM's is ∏ f), so where the LSTM's experiments set the forget-gate bias b_f,
the GRU's set the update-gate bias b_z.

Steps are 1-based in these docstrings ("step 1" is the first step, index 0 of every array; "step T" is the
last). Both functions run the same experiment, defined once here:

    weights  ``explore_params``: init_lstm / init_gru / init_rnn(input_size, hidden_size, seed=seed) with both
             biases multiplied by ``bias_scale``, then the gate bias when given (the LSTM's total forget bias b_f,
             the GRU's total update bias b_z: all in bias_ih, bias_hh's rows 0) and
             ``with_spectral_radius(spectral_radius)`` (each gate block of W_hh for the LSTM and the GRU; W_hh for
             the RNN). bias_scale=0 with small inputs is the linear regime.
    input    ``explore_input``: x = sequences.random_normal(T, input_size, seed=seed + 1, scale=input_scale), i.e.
             x_t ~ N(0, input_scale²) i.i.d. The input of length T is the first T steps of any longer one.
    start    h0 = c0 = 0.
    loss     L = uᵀ h_T with u = (1, …, 1)/√H, so ∂L/∂h_T = u (a unit vector) and ∂L/∂h_t = 0 for t < T.
             (Unlike ½‖h_T‖², whose gradient h_T vanishes when h_T ≈ 0, this gives every configuration the same
             unit-size gradient at the end, so the ratios below measure the network, not the loss.)

How the grid is batched (the public forward/backward functions, no private helpers): the cells are the batch, in
chunks, and differ in two ways. (1) The radius: cell b's ``with_spectral_radius(r_b)`` scales each gate block k of
W_hh by r_b / ρ_k (ρ_k the block's own spectral radius); the batch runs that as ``recurrent_scale`` s_b = r_b / ρ_k
on block k, i.e. the recurrent term s_b ⊙ (W_hh h_{t−1}): one shared matmul per step. (2) The LSTM's forget bias (the GRU's
update bias, the same way): a bias is the weight of a constant input, so the shared weights get one more input
channel, with weight 1 on the forget rows and 0 elsewhere and no forget bias of their own, and cell a feeds it the
constant b_f = first_axis[a]: z_f = W_if x_t + b_f + … exactly as with ``with_forget_bias(b_f)``. (The RNN's first axis, the input scale, is part
of each cell's input x anyway.) This equals per-cell runs with the cell's own weights up to rounding (it rounds
(W_hh h)·s instead of (W_hh·s) h, and adds b_f inside the input matmul); in stable regimes that is ~1e-15 relative,
while in chaotic regimes (large radius and input) any rounding difference grows with T, as it would between two
BLAS libraries. Chunks are bounded in size and memory.

No clipping happens inside the backward pass: the norms are the exact BPTT ones. Where float64 runs out, the analysis
output says so explicitly (see LOG10_FLOOR / LOG10_CEIL, and LengthSweep.grad_at_first).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

from .analysis import fit_line, unit_norms
from .gru import GRUParams
from .lstm import lstm_backward
from .params import (
    LSTMParams, RNNParams, block_radii, gate_rows, gates_of, init_gru, init_lstm, init_rnn, kind_of, radius_factors,
    with_spectral_radius,
)
from .rnn import rnn_backward
from .stack import RUNS
from .sequences import random_normal
from .validate import MAX_B, MAX_D, MAX_H, MAX_T, as_float_array, check_number, check_size

EXPLORED_MODELS = ("lstm", "gru", "rnn")  # the models these experiments run
GATE_BIAS = {"lstm": "f", "gru": "z"}  # the gate whose total bias is a phase diagram's first axis (the RNN: input scale)
_INIT = {"lstm": init_lstm, "gru": init_gru, "rnn": init_rnn}
LOG10_FLOOR = -300.0  # phase_grid value for "nothing measurable reached step 1" (ratio <= 1e-300, incl. exactly 0)
LOG10_CEIL = 300.0  # phase_grid value for "exploded beyond float64" (ratio >= 1e300, incl. overflow to inf)
MAX_SEED = 2**32 - 2  # seed and seed + 1 (the input's seed) must both be valid numpy seeds
# Per-step arrays of one batched pass stay below this (about; _FLOATS_PER_STATE counts generously: the phase maps
# at H = 64, T = 100 peaked at 51 MB by tracemalloc). Fewer, larger batches mean fewer Python-level steps: at 48 MiB
# the explorer's three maps at H = 64 took 1.3× as long, the page's largest first-load cost at the largest sizes.
_CHUNK_BYTES = 96 * 2**20
_FLOATS_PER_STATE = 28  # float64 values held per (step, sequence, unit) by forward + backward, counted generously


# ------------------------------------------------------------------------------------------------- validation


def _check_model(model) -> str:
    if model not in EXPLORED_MODELS:
        raise ValueError(f"model: got {model!r}, needs one of {list(EXPLORED_MODELS)}")
    return model


def _check_seed(seed) -> int:
    return check_size("seed", seed, MAX_SEED, minimum=0)


def _check_axis(value, name: str, *, nonnegative: bool = False) -> np.ndarray:
    a = as_float_array(value, name, ndim=1)
    if not 1 <= a.size <= MAX_B:
        raise ValueError(f"{name}: got {a.size} values, needs 1 to {MAX_B}")
    if nonnegative and (a < 0).any():
        raise ValueError(f"{name}: got {a.min()}, needs values >= 0")
    return a


def _check_lengths(lengths) -> np.ndarray:
    a = as_float_array(lengths, "lengths", ndim=1)
    if not 1 <= a.size <= MAX_B:
        raise ValueError(f"lengths: got {a.size} values, needs 1 to {MAX_B}")
    if (a != np.round(a)).any() or (a < 1).any() or (a > MAX_T).any():
        raise ValueError(f"lengths: got values in [{a.min()}, {a.max()}], needs whole numbers in [1, {MAX_T}]")
    return a.astype(np.int64)


# --------------------------------------------------------------------------------------- the shared experiment


def explore_params(
    model: str = "lstm",
    *,
    input_size: int = 1,
    hidden_size: int = 16,
    seed: int = 0,
    forget_bias: float | None = None,
    spectral_radius: float | None = None,
    bias_scale: float = 1.0,
    update_bias: float | None = None,
) -> LSTMParams | GRUParams | RNNParams:
    """The weights of one configuration of the experiments (see the module docstring).

    init_lstm / init_gru / init_rnn(input_size, hidden_size, seed=seed); both biases × bias_scale; then, when not
    None, the LSTM's total forget bias ``forget_bias`` or the GRU's total update bias ``update_bias`` (each model
    ignores the other's; the RNN has neither gate) and with_spectral_radius(spectral_radius).
    """
    model = _check_model(model)
    seed = _check_seed(seed)
    bias_scale = check_number("bias_scale", bias_scale)
    p = _INIT[model](input_size, hidden_size, seed=seed)
    if bias_scale != 1.0:
        p = replace(p, bias_ih=p.bias_ih * bias_scale, bias_hh=p.bias_hh * bias_scale)
    gate_bias = {"lstm": forget_bias, "gru": update_bias}.get(model)
    if gate_bias is not None:
        p = with_gate_bias(p, GATE_BIAS[model], check_number(f"{GATE_NAMES_OF[model]}", gate_bias))
    if spectral_radius is not None:
        p = with_spectral_radius(p, spectral_radius)
    return p


GATE_NAMES_OF = {"lstm": "forget_bias", "gru": "update_bias"}


def with_gate_bias(params, gate: str, total: float):
    """A copy whose total bias b_ih + b_hh of ``gate``'s rows equals ``total``, all in bias_ih (bias_hh's rows 0):
    for the LSTM's 'f' exactly params.with_forget_bias, for the GRU's update gate 'z' the same."""
    rows = gate_rows(params.hidden_size, gate)
    b_ih, b_hh = params.bias_ih.copy(), params.bias_hh.copy()
    b_ih[rows], b_hh[rows] = total, 0.0
    return replace(params, bias_ih=b_ih, bias_hh=b_hh)


def explore_input(T: int, *, input_size: int = 1, seed: int = 0, input_scale: float = 1.0) -> np.ndarray:
    """The experiments' input, (T, input_size): random_normal(T, input_size, seed=seed + 1, scale=input_scale)."""
    seed = _check_seed(seed)
    input_scale = check_number("input_scale", input_scale, nonnegative=True)
    return random_normal(T, input_size, seed=seed + 1, scale=input_scale)


def probe_direction(hidden_size: int) -> np.ndarray:
    """u = (1, …, 1)/√H: the loss L = uᵀ h_T of the experiments, so ∂L/∂h_T = u, ‖u‖ = 1. (H,)"""
    H = check_size("hidden size H", hidden_size, MAX_H)
    return np.full(H, 1.0 / np.sqrt(H))


# ---------------------------------------------------------------------------------------------- length sweep


@dataclass(frozen=True, eq=False)
class LengthSweep:
    """Gradient reaching step 1 as a function of the sequence length T (see ``length_sweep``).

    model          'lstm', 'gru' or 'rnn'
    lengths        (n,) int64, the lengths as given (order and repeats kept)
    grad_at_first  (n,) ‖dL/dc_1‖ (LSTM) or ‖dL/dh_1‖ (GRU, RNN) for the loss at step T = lengths[k]; exactly 0.0 where
                   it underflowed, inf where the backward pass overflowed float64 (never NaN)
    fitted         (n,) bool, the points used by the fit: finite and >= the smallest normal float64 (2.2e-308;
                   subnormals carry too few digits for a logarithm)
    rate_per_step  slope of ln(grad_at_first) against T, least squares over the fitted points, natural log per step
                   (< 0: the gradient shrinks by a factor e^rate per extra step). NaN when fewer than two distinct
                   lengths are fitted (a line needs two points)
    intercept      the fit's value at T = 0, so ln(grad) ≈ intercept + rate_per_step · T (NaN with rate)
    """

    model: str
    lengths: np.ndarray
    grad_at_first: np.ndarray
    fitted: np.ndarray
    rate_per_step: float
    intercept: float

    @property
    def half_life(self) -> float:
        """The fitted half-life: how many more steps of T halve the gradient reaching step 1, ln(2)/(−rate);
        inf if the fit does not fall, NaN if there is no fit."""
        if np.isnan(self.rate_per_step):
            return float("nan")
        return float(np.log(2.0) / -self.rate_per_step) if self.rate_per_step < 0 else float("inf")


def length_sweep(
    model: str,
    lengths,
    *,
    hidden_size: int = 16,
    seed: int = 0,
    forget_bias: float | None = None,
    spectral_radius: float | None = None,
    input_size: int = 1,
    input_scale: float = 1.0,
    bias_scale: float = 1.0,
    update_bias: float | None = None,
) -> LengthSweep:
    """The gradient that reaches step 1 from a loss at step T, for each T in ``lengths``, and its decay rate.

    For each T: weights ``explore_params(model, …)``, input the first T steps of ``explore_input``, loss
    L = uᵀ h_T (u = ones/√H; module docstring), and grad_at_first = ‖dL/dc_1‖ for the LSTM (the end of the cell path,
    the error carousel) or ‖dL/dh_1‖ for the GRU and the RNN. ``forget_bias`` is the LSTM's, ``update_bias`` the
    GRU's; each other model ignores it.

    lengths: 1-D, 1 to MAX_B whole numbers in [1, MAX_T]. Cost: one forward pass of max(lengths) steps (the input
    of length T is a prefix of the longest, so its states are too) and one backward pass in which the lengths are the
    batch axis: the trace's first T steps as a batch of identical sequences, loss k at step lengths[k] (exact,
    because the gradient of loss k is exactly 0 after its step), chunked to bound memory. Equal to separate
    lstm_forward/lstm_backward runs per length up to rounding.
    """
    model = _check_model(model)
    lens = _check_lengths(lengths)
    params = explore_params(
        model, input_size=input_size, hidden_size=hidden_size, seed=seed, forget_bias=forget_bias,
        spectral_radius=spectral_radius, bias_scale=bias_scale, update_bias=update_bias,
    )
    T_max = int(lens.max())
    x = explore_input(T_max, input_size=input_size, seed=seed, input_scale=input_scale)
    H = params.hidden_size
    u = probe_direction(H)

    forward, backward = RUNS[model]
    trace = forward(params, x)  # the input of length T is a prefix of x, so its trace is a prefix of this one

    uniq = np.unique(lens)  # ascending
    grad_of = {}
    per_loss_bytes = _FLOATS_PER_STATE * H * 8  # per step and per loss in the batch
    start = 0
    with np.errstate(over="ignore", invalid="ignore"):
        while start < uniq.size:
            # the largest chunk of consecutive lengths whose backward (over its longest length) fits the budget
            stop = start + 1
            while stop < uniq.size and int(uniq[stop]) * (stop + 1 - start) * per_loss_bytes <= _CHUNK_BYTES:
                stop += 1
            chunk = uniq[start:stop]
            Tc, K = int(chunk[-1]), chunk.size
            dhl = np.zeros((Tc, K, H))
            dhl[chunk - 1, np.arange(K)] = u  # loss k reads h at step chunk[k]
            g = backward(params, _prefix_batch(trace, Tc, K), dhl, parameters=False)
            norms = unit_norms(g.dc[0] if model == "lstm" else g.dh[0])  # dL/dc_1 or dL/dh_1 of each loss, (K, H)
            grad_of.update(zip(chunk.tolist(), norms.tolist()))
            start = stop

    grad = np.array([grad_of[int(T)] for T in lens], dtype=np.float64)
    fitted = np.isfinite(grad) & (grad >= np.finfo(np.float64).tiny)
    rate, intercept, _ = fit_line(lens[fitted], np.log(grad[fitted]))
    for a in (lens, grad, fitted):
        a.flags.writeable = False
    return LengthSweep(model=model, lengths=lens, grad_at_first=grad, fitted=fitted, rate_per_step=rate,
                       intercept=intercept)


def _prefix_batch(trace, T: int, K: int):
    """The first T steps of a single-sequence trace as a batch of K identical sequences: read-only broadcast views
    (per-step fields (T, K, ·), initial states (K, H)), no copies. A backward pass with K losses as the batch then
    runs over one forward pass."""
    def batched(name: str) -> np.ndarray:
        a = getattr(trace, name)
        if name in ("h0", "c0"):
            return np.broadcast_to(a, (K,) + a.shape)
        return np.broadcast_to(a[:T, None], (T, K) + a.shape[1:])

    return replace(trace, **{f.name: batched(f.name) for f in fields(trace)})


# ------------------------------------------------------------------------------------------------ phase grid


def phase_grid_axes(model: str = "lstm") -> tuple[str, str]:
    """Labels of phase_grid's (first, second) axis for ``model``, e.g. for a heatmap's y and x axes. The GRU has no
    forget gate: its first axis is the update-gate bias b_z (z near 1 keeps h)."""
    model = _check_model(model)
    if model == "lstm":
        return "forget-gate bias b_f", "spectral radius of each W_hh gate block"
    if model == "gru":
        return "update-gate bias b_z", "spectral radius of each W_hh gate block"
    return "input scale (std of x_t)", "spectral radius of W_hh"


def phase_grid(
    first_axis,
    spectral_radii,
    *,
    T: int,
    hidden_size: int = 16,
    seed: int = 0,
    model: str = "lstm",
    input_size: int = 1,
    input_scale: float = 1.0,
    bias_scale: float = 1.0,
) -> np.ndarray:
    """log10(‖dL/dc_1‖ / ‖dL/dc_T‖) for every (forget bias, spectral radius) pair, shape
    (len(first_axis), len(spectral_radii)); for model='rnn' log10(‖dL/dh_1‖ / ‖dL/dh_T‖) over (input scale,
    spectral radius) pairs. ``first_axis`` is the LSTM's forget biases b_f, the RNN's input scales (the RNN has no
    forget gate; the ``input_scale`` argument is then unused); phase_grid_axes names it.

    Cell [a, b] is the experiment of the module docstring with forget_bias=first_axis[a] (RNN:
    input_scale=first_axis[a], which must be >= 0) and spectral_radius=spectral_radii[b] (>= 0), i.e. the same
    numbers as ``explore_params`` + ``explore_input`` + lstm_forward/lstm_backward with dL/dh_T = u for that cell.
    0 means the end's gradient reaches step 1 undiminished, −k that it arrives 10^k times smaller.

    Cells run as the batch axis of public forward and backward passes (chunks of ≤ MAX_B cells and bounded memory),
    with per-cell weights as described in the module docstring; the LSTM's forget bias takes one input channel, so
    its grid accepts input_size up to MAX_D − 1.

    Where float64 runs out the value saturates, never NaN: LOG10_FLOOR (−300) where the ratio is ≤ 1e-300,
    including ‖dL/dc_1‖ underflowing to exactly 0 (nothing reaches step 1) and the degenerate case where both
    norms are 0; LOG10_CEIL (+300) where it is ≥ 1e300, including an overflow of the backward pass and
    ‖dL/dc_T‖ = 0 < ‖dL/dc_1‖ (dL/dc_T is 0 only when o_T or 1 − tanh² c_T rounds to 0). Every other value is the
    exact log10 of the ratio of the exact BPTT norms (no clipping inside the backward pass).

    T in [1, MAX_T]; each axis 1 to MAX_B finite values.
    """
    model = _check_model(model)
    gated = model in GATE_BIAS  # the LSTM (b_f) and the GRU (b_z); the RNN's first axis is the input scale
    first = _check_axis(first_axis, {"lstm": "forget_biases", "gru": "update_biases"}.get(model, "input_scales"),
                        nonnegative=not gated)
    radii = _check_axis(spectral_radii, "spectral_radii", nonnegative=True)
    T = check_size("T", T, MAX_T)
    H = check_size("hidden size H", hidden_size, MAX_H)
    D = check_size("input size D", input_size, MAX_D - 1 if gated else MAX_D)  # LSTM, GRU: + the gate bias channel
    check_number("input_scale", input_scale, nonnegative=True)  # checked even where unused (RNN), for consistency
    base = explore_params(model, input_size=D, hidden_size=H, seed=seed, bias_scale=bias_scale)
    x = explore_input(T, input_size=D, seed=seed, input_scale=1.0 if model == "rnn" else input_scale)
    u = probe_direction(H)

    n_a, n_b = first.size, radii.size
    cell_a, cell_b = np.repeat(np.arange(n_a), n_b), np.tile(np.arange(n_b), n_a)  # row-major cells
    chunk = int(max(1, min(MAX_B, _CHUNK_BYTES // (_FLOATS_PER_STATE * T * H * 8))))  # cells per batch
    rho = block_radii(base.weight_hh)  # of each W_hh gate block (LSTM, GRU) or of W_hh (RNN)
    params = _gate_bias_as_input(base, GATE_BIAS[model]) if gated else base
    n1, nT = np.empty(n_a * n_b), np.empty(n_a * n_b)
    with np.errstate(over="ignore", invalid="ignore"):
        for s in range(0, n_a * n_b, chunk):
            cells = slice(s, s + chunk)
            a, b = cell_a[cells], cell_b[cells]
            xb = np.broadcast_to(x[:, None, :], (T, a.size, D))  # (T, cells, D)
            if gated:
                xb = np.concatenate([xb, np.broadcast_to(first[a][:, None], (T, a.size, 1))], axis=-1)  # + b_f / b_z
                scale = np.repeat(radius_factors(radii[b], rho), H, axis=1)  # (cells, 4H | 3H): r / ρ_k on block k
            else:
                xb = xb * first[a][:, None]  # x · input scale
                scale = radius_factors(radii[b], rho)  # (cells, 1): r / ρ
            n1[cells], nT[cells] = _first_and_last_norms(params, xb, scale, u)
    return _log10_ratio(n1, nT).reshape(n_a, n_b)


def _gate_bias_as_input(base, gate: str):
    """``base`` with no bias on ``gate`` ('f' of an LSTM, 'z' of a GRU) and one more input channel, of weight 1 on
    that gate's rows and 0 elsewhere: fed the constant b, it gives every step the gate bias b, as
    with_gate_bias(base, gate, b) does (module docstring)."""
    H = base.hidden_size
    column = np.zeros((len(gates_of(base)) * H, 1))
    column[gate_rows(H, gate)] = 1.0
    no_bias = with_gate_bias(base, gate, 0.0)
    return replace(no_bias, weight_ih=np.concatenate([no_bias.weight_ih, column], axis=1))


def _first_and_last_norms(params, x: np.ndarray, recurrent_scale: np.ndarray, u: np.ndarray):
    """‖dL/dc_1‖ and ‖dL/dc_T‖ (LSTM) or ‖dL/dh_1‖ and ‖dL/dh_T‖ (GRU, RNN), (B,) each, of the batch x (T, B, D)
    run with ``recurrent_scale`` (B, ·), for the loss L = uᵀ h_T of every sequence: one public forward + backward."""
    lstm = isinstance(params, LSTMParams)
    forward, backward = RUNS[kind_of(params)]
    trace = forward(params, x, recurrent_scale=recurrent_scale)
    dh = np.zeros(trace.h.shape)
    dh[-1] = u
    grads = backward(params, trace, dh, recurrent_scale=recurrent_scale, parameters=False)
    carried = grads.dc if lstm else grads.dh
    return unit_norms(carried[0]), unit_norms(carried[-1])


def _log10_ratio(n1: np.ndarray, nT: np.ndarray) -> np.ndarray:
    """log10(n1 / nT) saturated to [LOG10_FLOOR, LOG10_CEIL], with the conventions of phase_grid; never NaN."""
    pos1, posT = n1 > 0, nT > 0
    ok = pos1 & posT & np.isfinite(n1) & np.isfinite(nT)
    out = np.full(n1.shape, LOG10_FLOOR)  # n1 == 0: nothing reached step 1 (also when nT is 0 too)
    out[ok] = np.log10(n1[ok]) - np.log10(nT[ok])  # logs of each: the ratio itself may under/overflow
    out[pos1 & ~posT] = LOG10_CEIL  # something reached step 1 although dL/dc_T is 0
    out[np.isinf(n1) & np.isfinite(nT)] = LOG10_CEIL  # the backward pass overflowed
    return np.clip(out, LOG10_FLOOR, LOG10_CEIL)


# ------------------------------------------------------------------------------ for the gradient explorer page
#
# The page's fixed choices live here, next to the experiment they configure, so tests and charts read the same numbers.

PHASE_RANGES = {  # (first axis, second axis) of each model's phase diagram, ends included
    "lstm": ((-4.0, 6.0), (0.1, 3.0)),  # forget-gate bias b_f × spectral radius of each W_hh gate block
    "gru": ((-4.0, 6.0), (0.1, 3.0)),  # update-gate bias b_z × spectral radius of each W_hh gate block
    "rnn": ((1e-4, 3.0), (0.1, 3.0)),  # input scale (log-spaced) × spectral radius of W_hh
}
PHASE_BIAS_SCALE = 0.0  # the page's experiment: every bias 0 except the LSTM's forget-gate bias (see phase_axes)
# Regimes of the phase diagrams, symmetric in decades (log10): "preserved" means the end's gradient reaches step 1
# within a factor of ten either way. A gradient that arrives 1000 times smaller is not preserved, it is vanishing.
VANISHING_BELOW = -1.0  # log10 ratio < −1: less than a tenth of the end's gradient reaches step 1
EXPLODING_ABOVE = 1.0  # log10 ratio > +1: more than ten times the end's gradient reaches step 1
REGIMES = {-1: "vanishing", 0: "preserved", 1: "exploding"}


def phase_axes(model: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The (first, second) axis values of the page's phase diagram for ``model``, n values each (n >= 2).

    LSTM: forget-gate biases linspace(−4, 6, n) × spectral radii linspace(0.1, 3, n); the GRU: update-gate biases
    b_z on the same grid.
    RNN: input scales geomspace(1e-4, 3, n) × spectral radii linspace(0.1, 3, n). The input scale is log-spaced
    because the RNN's interesting change happens at tiny inputs: with zero biases and x_t ≈ 0 the state stays near 0,
    where tanh is linear, so ‖∂h_T/∂h_1‖ ≈ ρ^(T−1) (vanishing below ρ = 1, exploding above); larger inputs saturate
    tanh, whose small slope then makes every radius vanish.
    The page runs phase_grid on these axes with bias_scale=PHASE_BIAS_SCALE (0: no biases but b_f), so that the
    two axes are the only knobs.
    """
    _check_model(model)
    n = check_size("n", n, MAX_B, minimum=2)
    (a0, a1), (b0, b1) = PHASE_RANGES[model]
    first = np.geomspace(a0, a1, n) if model == "rnn" else np.linspace(a0, a1, n)
    return first, np.linspace(b0, b1, n)


def phase_regimes(values, *, vanishing_below: float = VANISHING_BELOW,
                  exploding_above: float = EXPLODING_ABOVE) -> np.ndarray:
    """Each phase_grid value's regime as an int8 array of the same shape: −1 vanishing (value < vanishing_below),
    +1 exploding (value > exploding_above), 0 preserved (in between, ends included). Names in REGIMES."""
    v = as_float_array(values, "values")  # finite, as phase_grid's values always are
    lo = check_number("vanishing_below", vanishing_below)
    hi = check_number("exploding_above", exploding_above)
    if lo > hi:
        raise ValueError(f"vanishing_below, exploding_above: got {lo} > {hi}, needs vanishing_below <= exploding_above")
    out = np.zeros(v.shape, dtype=np.int8)
    out[v < lo] = -1
    out[v > hi] = 1
    return out


def sweep_lengths(T_max: int, n: int = 20) -> np.ndarray:
    """n sequence lengths evenly spaced up to T_max (ends included, rounded, duplicates removed), for length_sweep.

    Evenly (not log-) spaced: the decay is fitted as a straight line of ln(gradient) against T, so even spacing
    weights every part of the range alike and the line reads straight on a linear T axis. T_max < n gives 1 … T_max.
    """
    T_max = check_size("T_max", T_max, MAX_T)
    n = check_size("n", n, MAX_B)
    return np.unique(np.round(np.linspace(T_max / n, T_max, n)).astype(np.int64).clip(1, T_max))


@dataclass(frozen=True, eq=False)
class ClipTruncate:
    """What truncated BPTT and clipping by global norm do to one model's gradient (see ``clip_and_truncate``).

    full          grad_norms of the full BPTT gradients: {'dh', 'dc'} (LSTM) or {'dh'} (RNN), (T,) each
    after         the same norms with truncate=k, then times ``scale`` (the clipping factor)
    norm_full     global norm ‖∇θ‖ of the parameter gradients under full BPTT
    norm_before   ‖∇θ‖ under truncate=k (= norm_full when truncate is None), before clipping
    norm_after    ‖∇θ‖ after clipping (= norm_before when not clipped)
    scale         the clipping factor min(1, clip / norm_before); 1.0 when clip is None
    truncate, clip  the settings, as given
    """

    full: dict
    after: dict
    norm_full: float
    norm_before: float
    norm_after: float
    scale: float
    truncate: int | None
    clip: float | None

    @property
    def clipped(self) -> bool:
        return self.scale < 1.0


def clip_and_truncate(params, trace, dh, *, truncate: int | None = None, clip: float | None = None) -> ClipTruncate:
    """Per-step gradient norms before and after truncated BPTT and clipping by global norm, and ‖∇θ‖ before/after.

    params, trace: LSTMParams + LSTMTrace or RNNParams + RNNTrace; dh the loss's direct ∂L/∂h_t (shape of trace.h).
    Runs the model's backward twice, in full and with ``truncate=k`` (windows of k steps counted back from the end;
    None = full), never clipping inside backward. Then clips the truncated parameter gradients by their global norm,
    ‖∇θ‖ = √(Σ over weight_ih, weight_hh, bias_ih, bias_hh of Σ g²), with lstm_core.optim.clip_by_global_norm (the
    one clipping function the training loop uses too): every gradient is multiplied by
    scale = min(1, clip / ‖∇θ‖). ``after`` shows the per-step norms under that same factor: each step's share of
    ∇θ (e.g. dz_t h_{t−1}ᵀ) is linear in ∂L/∂h_t and ∂L/∂c_t, so clipping rescales the whole curve at once — it
    moves it down on a log axis but never changes its shape (it tames an explosion, it cannot revive a gradient that
    has vanished), while truncation sets it to exactly 0 beyond the window of the loss's steps.
    """
    from .analysis import grad_norms
    from .optim import clip_by_global_norm, global_norm
    from .params import param_arrays

    if isinstance(params, LSTMParams):
        backward = lstm_backward
    elif isinstance(params, RNNParams):
        backward = rnn_backward
    else:
        raise ValueError(f"params: got {type(params).__name__}, needs LSTMParams or RNNParams")
    full = backward(params, trace, dh)
    cut = full if truncate is None else backward(params, trace, dh, truncate=truncate)
    result = clip_by_global_norm(param_arrays(cut.params), clip)
    norm_full = global_norm(param_arrays(full.params))
    full_norms, cut_norms = grad_norms(full), grad_norms(cut)
    after = {k: v * result.scale for k, v in cut_norms.items()}
    for a in (*full_norms.values(), *after.values()):
        a.flags.writeable = False
    return ClipTruncate(full=full_norms, after=after, norm_full=norm_full, norm_before=result.norm_before,
                        norm_after=result.norm_after, scale=float(result.scale), truncate=truncate, clip=clip)
