"""Numbers that explain a trace: gradient norms per step (and per layer of a stack), the forget-gate carousel and the
GRU's update-gate path, exact state Jacobians.

Steps are 0-based throughout: t = 0 … T−1, and "the end" is step T−1 (the last state h_{T−1}, c_{T−1}).
"""

from __future__ import annotations

import numpy as np

from .gru import GRUGrads, GRUTrace
from .lstm import LSTMGrads, LSTMTrace
from .params import GATES, LSTMParams, RNNParams
from .rnn import RNNGrads, RNNTrace


def fit_line(x, y) -> tuple[float, float, float]:
    """Least-squares y ≈ slope·x + intercept: (slope, intercept, R²); R² = 1 when y is constant, and
    (nan, nan, nan) with fewer than two distinct x (no line)."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if np.unique(x).size < 2:
        return float("nan"), float("nan"), float("nan")
    xm, ym = x.mean(), y.mean()
    slope = float(np.sum((x - xm) * (y - ym)) / np.sum((x - xm) ** 2))
    intercept = float(ym - slope * xm)
    ss_tot = float(np.sum((y - ym) ** 2))
    r2 = 1.0 - float(np.sum((y - (slope * x + intercept)) ** 2)) / ss_tot if ss_tot > 0 else 1.0
    return slope, intercept, r2

_CHUNK = 64  # matrices per batched spectral-norm call in jacobian_norms


def unit_norms(a: np.ndarray) -> np.ndarray:
    """L2 norms over the last axis without overflow or underflow of the squares (scaled by the largest |entry|):
    exact to rounding for every finite input, down to the smallest subnormal; inf where an entry is inf or NaN
    (a NaN only arises after an overflow in the backward pass)."""
    a = np.abs(a)
    with np.errstate(invalid="ignore"):
        big = np.max(a, axis=-1)
    bad = ~np.isfinite(big)
    safe = np.where((big > 0) & ~bad, big, 1.0)
    q = a / safe[..., None]
    q[bad] = 0.0
    out = safe * np.sqrt(np.einsum("...i,...i->...", q, q))
    out[big == 0] = 0.0
    out[bad] = np.inf
    return out


def grad_norms(grads) -> dict[str, np.ndarray]:
    """Per-step L2 norms over the unit axis of the total gradients.

    LSTMGrads -> {'dh': ‖dL/dh_t‖, 'dc': ‖dL/dc_t‖}; GRUGrads, RNNGrads -> {'dh': ‖dL/dh_t‖}.
    Each is (T,) for a single sequence or (T, B) for a batch.
    """
    if isinstance(grads, LSTMGrads):
        return {"dh": unit_norms(grads.dh), "dc": unit_norms(grads.dc)}
    if isinstance(grads, (GRUGrads, RNNGrads)):
        return {"dh": unit_norms(grads.dh)}
    raise ValueError(f"grads: got {type(grads).__name__}, needs LSTMGrads, GRUGrads or RNNGrads")


def stack_grad_norms(grads) -> np.ndarray:
    """‖∂L/∂h⁽ᵏ⁾_t‖ of every layer k (bottom first) and step t of a stack (stack_backward's grads): (L, T), or
    (L, T, B) for a batch. Depth and time on one array: the total gradient of each layer's hidden state, including
    what reaches it from the layers above (through their inputs) and from later steps."""
    if not isinstance(grads, (tuple, list)) or not grads or not all(
            isinstance(g, (LSTMGrads, GRUGrads, RNNGrads)) for g in grads):
        raise ValueError("grads: needs the per-layer grads of stack_backward (a non-empty tuple)")
    return np.stack([unit_norms(g.dh) for g in grads])


def state_grad_norms(trace, grads) -> np.ndarray:
    """‖∂L/∂state_t‖ per step, the state being what the step Jacobians of ``jacobian_norms`` map: (h_t, c_t) for the
    LSTM, h_t for the RNN. (T,) or (T, B).

    LSTM: with h_t and c_t both state variables, the loss reaches c_t directly only through c_{t+1}: its part is
    f_{t+1} ⊙ ∂L/∂c_{t+1} (0 after the last step), so ‖∂L/∂state_t‖ = √(‖∂L/∂h_t‖² + ‖f_{t+1} ⊙ ∂L/∂c_{t+1}‖²).
    (BPTT's ∂L/∂c_t adds the path through h_t, ∂L/∂h_t ⊙ o_t ⊙ (1 − tanh² c_t), on top.) RNN: ‖∂L/∂h_t‖.
    For a loss that reads only the last step, ∂L/∂state_t = (∂state_{T−1}/∂state_t)ᵀ ∂L/∂state_{T−1}, so
    ‖∂L/∂state_t‖ / ‖∂L/∂state_{T−1}‖ <= jacobian_norms(...)[t]: the Jacobian norm is an upper bound.
    """
    if isinstance(grads, RNNGrads) and isinstance(trace, RNNTrace) or \
            isinstance(grads, GRUGrads) and isinstance(trace, GRUTrace):
        return unit_norms(grads.dh)
    if not (isinstance(grads, LSTMGrads) and isinstance(trace, LSTMTrace)):
        raise ValueError(f"trace, grads: got ({type(trace).__name__}, {type(grads).__name__}), needs (LSTMTrace, "
                         "LSTMGrads) or (RNNTrace, RNNGrads)")
    via_c = np.zeros_like(grads.dc)
    via_c[:-1] = trace.f[1:] * grads.dc[1:]  # f_{t+1} ⊙ ∂L/∂c_{t+1}
    return unit_norms(np.concatenate([grads.dh, via_c], axis=-1))


def carousel_factor(trace: LSTMTrace) -> np.ndarray:
    """The cell path's gain from step t to the end: factor[t] = ∏_{s=t+1}^{T−1} f_s (0-based), per unit.

    This is ∂c_{T−1}/∂c_t along the cell path alone (the diagonal term of the error carousel, ignoring what goes
    through h; "constant" error carousel only when every f ≡ 1, as in the 1997 LSTM without a forget gate): dc_t receives f_{t+1} ⊙ dc_{t+1}, so dc_{T−1} reaches dc_t multiplied by this product.
    factor[T−1] = 1 (empty product), factor[T−2] = f_{T−1}, factor[0] = f_1 ⊙ … ⊙ f_{T−1}. (In 1-based words:
    ∏_{s=t+1}^{T} f_s.) f_0 never appears: it multiplies c0, before step 0.

    trace: LSTMTrace, f (T, H) or (T, B, H). Returns the same shape as f. Computed as a reverse cumulative product
    (exact to rounding; a product too small for float64 underflows quietly to 0).
    """
    if not isinstance(trace, LSTMTrace):
        raise ValueError(f"trace: got {type(trace).__name__}, needs an LSTMTrace")
    return _products_to_the_end(trace.f)


def update_gate_factor(trace: GRUTrace) -> np.ndarray:
    """The GRU's direct path from step t to the end: factor[t] = ∏_{s=t+1}^{T−1} z_s (0-based), per unit.

    h_s = (1 − z_s) ⊙ n_s + z_s ⊙ h_{s−1}, so ∂h_s/∂h_{s−1} has z_s on its diagonal besides what passes through the
    gates and the candidate: dh_{s−1} receives z_s ⊙ dh_s (gru_step_backward), and along that path alone dh_{T−1}
    reaches dh_t multiplied by this product, the GRU's counterpart of the LSTM's ∏ f (carousel_factor).
    factor[T−1] = 1. trace: GRUTrace, z (T, H) or (T, B, H); returns the same shape.
    """
    if not isinstance(trace, GRUTrace):
        raise ValueError(f"trace: got {type(trace).__name__}, needs a GRUTrace")
    return _products_to_the_end(trace.z)


def _products_to_the_end(gate: np.ndarray) -> np.ndarray:
    """out[t] = gate[t+1] ⊙ … ⊙ gate[T−1], out[T−1] = 1: a reverse cumulative product (exact to rounding; a product
    too small for float64 underflows quietly to 0)."""
    out = np.ones_like(gate)
    if gate.shape[0] > 1:
        with np.errstate(under="ignore"):
            out[:-1] = np.cumprod(gate[:0:-1], axis=0)[::-1]  # g_{T−1}, g_{T−1}g_{T−2}, … reversed
    return out


def _lstm_step_jacobian(params: LSTMParams, trace: LSTMTrace, t: int) -> np.ndarray:
    """J_t = ∂(h_t, c_t)/∂(h_{t−1}, c_{t−1}), (2H, 2H), from the trace's cached gates (single sequence).

        ∂c_t/∂c_{t−1} = diag(f)
        ∂c_t/∂h_{t−1} = diag(g·i(1−i)) W_hi + diag(c_{t−1}·f(1−f)) W_hf + diag(i(1−g²)) W_hg
        ∂h_t/∂h_{t−1} = diag(tanh c_t · o(1−o)) W_ho + diag(o(1−tanh² c_t)) ∂c_t/∂h_{t−1}
        ∂h_t/∂c_{t−1} = diag(o(1−tanh² c_t) · f)
    """
    H = params.hidden_size
    w_i, w_f, w_g, w_o = (params.gate_block("weight_hh", g) for g in GATES)  # each (H, H)
    i, f, g, o, c = trace.i[t], trace.f[t], trace.g[t], trace.o[t], trace.c[t]
    c_prev = trace.c[t - 1] if t > 0 else trace.c0
    tc = np.tanh(c)
    m = o * (1.0 - tc * tc)  # ∂h_t/∂c_t
    dc_dh = (g * i * (1.0 - i))[:, None] * w_i + (c_prev * f * (1.0 - f))[:, None] * w_f \
        + (i * (1.0 - g * g))[:, None] * w_g
    J = np.empty((2 * H, 2 * H))
    J[:H, :H] = (tc * o * (1.0 - o))[:, None] * w_o + m[:, None] * dc_dh
    J[:H, H:] = np.diag(m * f)
    J[H:, :H] = dc_dh
    J[H:, H:] = np.diag(f)
    return J


def _rnn_step_jacobian(params: RNNParams, trace: RNNTrace, t: int) -> np.ndarray:
    """J_t = ∂h_t/∂h_{t−1} = diag(1 − h_t²) W_hh, (H, H)."""
    return (1.0 - trace.h[t] ** 2)[:, None] * params.weight_hh


def _spectral_norms(stack: np.ndarray) -> np.ndarray:
    """‖Q‖₂ of each matrix in a (n, m, m) stack: √λ_max(QᵀQ), with each Q pre-scaled so nothing under/overflows."""
    scale = np.sqrt(np.einsum("nij,nij->n", stack, stack))  # Frobenius norms
    safe = np.where(scale > 0, scale, 1.0)
    q = stack / safe[:, None, None]
    lam = np.linalg.eigvalsh(np.swapaxes(q, 1, 2) @ q)[:, -1]
    return scale * np.sqrt(np.maximum(lam, 0.0))


def jacobian_norms(params, trace) -> np.ndarray:
    """Exact spectral norms of the end state's Jacobian w.r.t. every earlier state, for t = 0 … T−1 (0-based).

    LSTM: ‖∂(h_{T−1}, c_{T−1}) / ∂(h_t, c_t)‖₂ of the (2H, 2H) state Jacobian. RNN: ‖∂h_{T−1}/∂h_t‖₂ (H, H).
    With J_s = ∂state_s/∂state_{s−1} built analytically from the trace (see ``_lstm_step_jacobian``; RNN:
    J_s = diag(1 − h_s²) W_hh), the Jacobian is the product J_{T−1} J_{T−2} ⋯ J_{t+1}, accumulated backwards from
    the end; at t = T−1 it is the identity, norm 1. This is the worst-case gain of a gradient arriving at the end
    and flowing back to step t, for any loss.

    Cost: O(T·(2H)³) time (one (2H)×(2H) matmul and one symmetric eigensolve per step) and O((2H)²) memory (times a
    chunk of 64 matrices whose norms are computed together); T=2000, H=64 is ~2000 spectral norms of 128×128
    matrices. The running product is renormalised every step (its scale kept as a logarithm), so it never
    overflows or underflows; a norm beyond float64's range is returned as inf (or 0).

    Single sequences only (trace.x 2-D); returns (T,) float64.
    """
    if isinstance(params, LSTMParams) and isinstance(trace, LSTMTrace):
        step, n = _lstm_step_jacobian, 2 * params.hidden_size
    elif isinstance(params, RNNParams) and isinstance(trace, RNNTrace):
        step, n = _rnn_step_jacobian, params.hidden_size
    else:
        raise ValueError(
            f"params, trace: got ({type(params).__name__}, {type(trace).__name__}), needs (LSTMParams, LSTMTrace) "
            "or (RNNParams, RNNTrace)"
        )
    if trace.batched:
        raise ValueError(f"trace: got a batched trace (x shape {trace.x.shape}), needs a single sequence (T, D)")
    if trace.hidden_size != params.hidden_size:
        raise ValueError(f"trace: hidden size {trace.hidden_size} does not match params' H={params.hidden_size}")
    T = trace.T
    log_norm = np.full(T, -np.inf)  # log ‖∂state_{T−1}/∂state_t‖₂
    log_norm[T - 1] = 0.0
    q = np.eye(n)  # running product / exp(log_scale)
    log_scale = 0.0
    buf = np.empty((_CHUNK, n, n))
    logs = np.empty(_CHUNK)
    steps: list[int] = []

    def flush() -> None:
        k = len(steps)
        if k:
            norms = _spectral_norms(buf[:k])
            with np.errstate(divide="ignore"):
                log_norm[steps] = logs[:k] + np.log(norms)
            steps.clear()

    for t in range(T - 2, -1, -1):
        q = q @ step(params, trace, t + 1)  # ∂state_{T−1}/∂state_t = (∂state_{T−1}/∂state_{t+1}) J_{t+1}
        s = np.sqrt(np.sum(q * q))
        if s == 0.0:  # the product is exactly zero: every earlier Jacobian is zero too
            break
        q /= s
        log_scale += np.log(s)
        buf[len(steps)] = q
        logs[len(steps)] = log_scale
        steps.append(t)
        if len(steps) == _CHUNK:
            flush()
    flush()
    with np.errstate(over="ignore", under="ignore"):
        return np.exp(log_norm)


def rnn_path_factor(params: RNNParams, trace: RNNTrace) -> np.ndarray:
    """‖∏_{s=t+1}^{T−1} diag(1 − h_s²) W_hh‖₂ = ‖∂h_{T−1}/∂h_t‖₂ for t = 0 … T−1: the tanh RNN's analogue of
    ``carousel_factor``. Identical to ``jacobian_norms`` for an RNN (see there for cost); (T,)."""
    if not isinstance(params, RNNParams):
        raise ValueError(f"params: got {type(params).__name__}, needs RNNParams")
    return jacobian_norms(params, trace)


def _check_norms(norms) -> np.ndarray:
    a = np.asarray(norms, dtype=np.float64)
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"norms: got shape {a.shape}, needs a non-empty 1-D array (one norm per step)")
    if np.isnan(a).any() or (a < 0).any():
        raise ValueError("norms: needs norms >= 0 (no NaN)")
    if not np.isfinite(a[-1]):
        raise ValueError(f"norms: the last value is {a[-1]}, needs a finite norm at the end")
    return a


def steps_to_fall(norms, fraction: float) -> int | None:
    """How many steps back from the end the gradient norm first falls to ``fraction`` of its value at the end.

    norms: (T,), indexed by step 0 … T−1, the end being norms[T−1]; fraction in (0, 1). Returns the smallest k >= 1
    with norms[T−1−k] <= fraction · norms[T−1], or None when that never happens within T steps or norms[T−1] == 0.
    Only the first crossing counts: the norm may rise above the threshold again further back. For a geometric decay
    by r per step (norms[T−1−k] = r^k · norms[T−1], 0 < r < 1) it is ⌈ln(fraction) / ln(r)⌉ (up to rounding of r^k).
    steps_to_fall(norms, 0.1) is "steps to lose 90 %"; ``memory_half_life`` is steps_to_fall(norms, 0.5).
    """
    a = _check_norms(norms)
    fraction = float(fraction)
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction: got {fraction}, needs a number strictly between 0 and 1")
    end = a[-1]
    if end == 0.0:
        return None
    below = np.flatnonzero(a[-2::-1] <= end * fraction)  # a[T−2], a[T−3], … : k = index + 1
    return int(below[0]) + 1 if below.size else None


def memory_half_life(norms) -> int | None:
    """The half-life of a gradient on its way back: the first k steps back from the end where the norm has fallen to
    half its value at the end or below, i.e. the smallest k >= 1 with norms[T−1−k] <= ½ · norms[T−1] (None when
    that never happens within T steps, or norms[T−1] == 0). See ``steps_to_fall``.

    A geometric decay by ½ per step gives 1; by 0.88 per step ⌈ln 2 / −ln 0.88⌉ = 6 (0.88⁵ ≈ 0.53, 0.88⁶ ≈ 0.46).
    """
    return steps_to_fall(norms, 0.5)


def first_last_ratio(norms) -> float:
    """norms[0] / norms[−1]: how much of the end's gradient reaches step 0 (< 1 vanishing, > 1 exploding).

    When norms[−1] == 0: inf if norms[0] > 0, and 0.0 (not NaN) if norms[0] == 0 too.
    """
    a = _check_norms(norms)
    if a[-1] == 0.0:
        return float(np.inf) if a[0] > 0 else 0.0
    with np.errstate(over="ignore"):
        return float(a[0] / a[-1])


def gate_saturation(trace: LSTMTrace | GRUTrace, low: float = 0.05, high: float = 0.95) -> dict[str, tuple[float, float]]:
    """Share of gate values that are saturated, per gate: {'i'|'f'|'g'|'o': (share_low, share_high)} for an LSTM,
    {'r'|'z'|'n': …} for a GRU.

    Sigmoid gates i, f, o (r, z): share_low = share of values < 0.05 (closed), share_high = share > 0.95 (open).
    The candidate g (n) ∈ (−1, 1) is first mapped to (g + 1)/2 ∈ (0, 1), so its shares count g < −0.9 and g > 0.9.
    Shares are over every step, unit (and batch element), each in [0, 1].
    """
    if not isinstance(trace, (LSTMTrace, GRUTrace)):
        raise ValueError(f"trace: got {type(trace).__name__}, needs an LSTMTrace or a GRUTrace")
    out = {}
    for name in ("i", "f", "g", "o") if isinstance(trace, LSTMTrace) else ("r", "z", "n"):
        v = getattr(trace, name)
        if name in ("g", "n"):
            v = (v + 1.0) / 2.0
        out[name] = (float(np.mean(v < low)), float(np.mean(v > high)))
    return out
