"""What the LSTM's, the GRU's and the RNN's sequence functions share: argument checks, the trace base class, truncation
windows, and the parameter-gradient sums after the backward loop.

    dW_ih = Σ_t dz_t x_tᵀ    dW_hh = Σ_t dz_t h_{t−1}ᵀ    db_ih = db_hh = Σ_t dz_t    dx_t = W_ihᵀ dz_t
"""

from __future__ import annotations

import numpy as np

from .params import gradients_like
from .validate import as_float_array, check_like, check_sequence, check_state, freeze


def previous_states(initial: np.ndarray, states: np.ndarray) -> np.ndarray:
    """The state before every step: [s_0, s_1, …, s_{T−2}] with s_0 = ``initial`` (H,) | (B, H) and ``states`` the
    states after each step (T, H) | (T, B, H); the result has the shape of ``states``."""
    return np.concatenate([initial[None], states[:-1]], axis=0)


class Trace:
    """What LSTMTrace, GRUTrace and RNNTrace share: x (T, D) | (T, B, D), h0, h, and the sizes read from them."""

    @property
    def T(self) -> int:
        return self.x.shape[0]

    @property
    def batched(self) -> bool:
        return self.x.ndim == 3

    @property
    def hidden_size(self) -> int:
        return self.h.shape[-1]

    def h_prev(self) -> np.ndarray:
        """h_{t−1} for every step (h0 first), same shape as h."""
        return previous_states(self.h0, self.h)


def forward_arguments(params, params_type: type, x, **states) -> tuple[np.ndarray, list[np.ndarray]]:
    """Checked arguments of a forward pass: a read-only copy of x (T, D) | (T, B, D) and each initial state
    (None = zeros) as a read-only (H,) | (B, H) array."""
    if not isinstance(params, params_type):
        raise ValueError(f"params: got {type(params).__name__}, needs {params_type.__name__}")
    x = check_sequence(x, params.input_size).copy()
    lead = x.shape[1:2] if x.ndim == 3 else ()
    checked = [check_state(v, name, lead, params.hidden_size) for name, v in states.items()]
    freeze(x, *checked)
    return x, checked


def backward_arguments(params, params_type: type, trace, trace_type: type, forward: str, dh) -> np.ndarray:
    """Checked arguments of a backward pass: the params and trace types, matching sizes, and ``dh`` (the shape of
    trace.h) as a float array."""
    if not isinstance(params, params_type):
        raise ValueError(f"params: got {type(params).__name__}, needs {params_type.__name__}")
    if not isinstance(trace, trace_type):
        raise ValueError(f"trace: got {type(trace).__name__}, needs an {trace_type.__name__} from {forward}")
    H, D = params.hidden_size, params.input_size
    if trace.hidden_size != H or trace.x.shape[-1] != D:
        raise ValueError(
            f"trace: hidden/input sizes ({trace.hidden_size}, {trace.x.shape[-1]}) do not match params "
            f"({H}, {D})"
        )
    return check_like(dh, "dh", trace.h.shape)


def check_recurrent_scale(value, shape: tuple[int, ...]) -> np.ndarray | None:
    """``recurrent_scale`` of a forward or backward pass: None, or finite numbers that broadcast to ``shape``, the
    shape of the recurrent term W_hh h_{t−1} of one step ((4H,) | (B, 4H) for the LSTM, (3H,) | (B, 3H) for the GRU,
    (H,) | (B, H) for the RNN).
    Returned as a read-only copy."""
    if value is None:
        return None
    a = as_float_array(value, "recurrent_scale").copy()
    try:
        ok = np.broadcast_shapes(a.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"recurrent_scale: got shape {a.shape}, needs one that broadcasts to {shape} (one factor "
                         "per sequence and row of W_hh)")
    freeze(a)
    return a


def window_ends(T: int, truncate: int | None) -> list[bool]:
    """end[t]: nothing flows back from step t+1 into step t. Always true for the last step; with ``truncate=k``
    also at the end of every window of k steps counted back from the last (…, [T−2k, T−k), [T−k, T))."""
    if truncate is None:
        return [t == T - 1 for t in range(T)]
    if isinstance(truncate, bool) or not isinstance(truncate, (int, np.integer)) or truncate < 1:
        raise ValueError(f"truncate: got {truncate!r}, needs a whole number of steps >= 1 or None")
    return [(T - 1 - t) % truncate == 0 for t in range(T)]


def step_arrays(T: int, **shapes: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Preallocated arrays for recording T steps: name -> (T, *shape)."""
    return {name: np.empty((T,) + shape) for name, shape in shapes.items()}


def record(arrays: dict[str, np.ndarray], t: int, step) -> None:
    """Write step t's record (a step function's result) into the arrays of its fields: arrays[name][t] = step.name."""
    for name, values in arrays.items():
        values[t] = getattr(step, name)


def parameter_gradients(params, dz: np.ndarray, x: np.ndarray, h_prev: np.ndarray,
                        recurrent_scale: np.ndarray | None, parameters: bool = True, dz_hh: np.ndarray | None = None):
    """(parameter gradients in the layout of ``params``, or None unless ``parameters``; dx): each step's share of
    the parameter gradients summed over steps (and sequences) in single matmuls, and dx_t = W_ihᵀ dz_t for every
    step in one.

        dz (T, R) | (T, B, R) with R rows of W_ih / W_hh;  x (T, [B,] D);  h_prev (T, [B,] H)
        dW_ih = Σ dz_t x_tᵀ (R, D)   dW_hh = Σ (s ⊙ dz_t) h_{t−1}ᵀ (R, H)   db_ih = db_hh = Σ dz_t (R,)   dx (T, [B,] D)

    s = recurrent_scale (1 if None): with it, sequence b ran with W_hh's rows scaled by s_b, and dW_hh is the
    gradient for the shared, unscaled W_hh.
    ``dz_hh``: the gradient of the hidden side W_hh h_{t−1} + b_hh where it differs from dz, the gradient of the
    input side W_ih x_t + b_ih (the GRU, whose r ⊙ (W_hn h + b_hn) sits inside the candidate): then
    dW_hh = Σ (s ⊙ dz_hh_t) h_{t−1}ᵀ and db_hh = Σ dz_hh_t, while dW_ih, db_ih and dx still come from dz."""
    dx = dz @ params.weight_ih
    freeze(dx)
    if not parameters:
        return None, dx
    R = dz.shape[-1]
    dz_h = dz if dz_hh is None else dz_hh
    dz_rec = dz_h if recurrent_scale is None else dz_h * recurrent_scale
    dz_rows = dz.reshape(-1, R)  # (T·B, R): every step of every sequence
    d_w_ih = (x.reshape(-1, x.shape[-1]).T @ dz_rows).T  # = dzᵀ x; this order is the faster matmul
    d_w_hh = (h_prev.reshape(-1, h_prev.shape[-1]).T @ dz_rec.reshape(-1, R)).T
    d_b_ih = dz_rows.sum(axis=0)
    d_b_hh = d_b_ih if dz_hh is None else dz_hh.reshape(-1, R).sum(axis=0)
    return gradients_like(params, d_w_ih, d_w_hh, d_b_ih, d_b_hh), dx
