"""Elman RNN with tanh (PyTorch's ``nn.RNN``), forward and BPTT, recording every step.

    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)

BPTT, carry zero after the last step:

    dh_t = ∂L/∂h_t + W_hhᵀ dz_{t+1}        dz_t = dh_t ⊙ (1 − h_t²)
    dW_ih = Σ dz_t x_tᵀ   dW_hh = Σ dz_t h_{t−1}ᵀ   db_ih = db_hh = Σ dz_t   dx_t = W_ihᵀ dz_t

So from one step to the one before, the gradient is multiplied by W_hhᵀ · diag(1 − h_t²): a product of T such
factors vanishes or explodes, where the LSTM's cell path multiplies by f_t alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import buffers
from .lstm import (
    _augmented, _backward_arguments, _batched, _cols, _cuts, _forward_arguments, _keep_columns, _Trace, _recurrent_grad, _state, _unbatch,
    _weight_grads,
)
from .params import RNNParams
from .validate import freeze


@dataclass(frozen=True, eq=False)
class RNNTrace(_Trace):
    """Per-step hidden states of a tanh RNN: h is (T, H) or (T, B, H); h[t] is after step t."""

    x: np.ndarray
    h0: np.ndarray
    h: np.ndarray


@dataclass(frozen=True, eq=False)
class RNNGrads:
    """BPTT results: total dL/dh_t, pre-activation dL/dz_t, dx, dh0 and parameter gradients (PyTorch layout)."""

    dh: np.ndarray
    dz: np.ndarray
    dx: np.ndarray
    dh0: np.ndarray
    params: RNNParams


def _forward_buffer(T: int, B: int, H: int, D: int) -> np.ndarray:
    """The RNN's forward buffer R (T+1, H+D+1, B), batch axis last: slab t holds [h_{t−1}; x_t; 1] (slab T: h_{T−1}),
    so one matmul [W_hh | W_ih | b] · R[t] is the pre-activation of step t and h_{t−1} of every step is a view. The
    row of ones is set and the last slab's input rows zeroed; the caller fills h0 and x_t (or the projection)."""
    R = buffers.empty((T + 1, H + D + 1, B))
    R[T, H:] = 0.0
    R[:T, H + D] = 1.0
    return R


def _forward_steps(R: np.ndarray, w: np.ndarray, H: int, hh_scale: np.ndarray | None = None) -> None:
    """The RNN recurrence over all steps, in place in R: the one place in the core where it is written.

        R         (T+1, H+D+1, B) from _forward_buffer, h0 in R[0, :H]; on return h_t in R[t+1, :H].
        w         hh_scale None: [W_hh | W_ih | b_ih + b_hh] (H, H+D+1), h_t = tanh(w · R[t]).
                  hh_scale given: W_hh (H, H) alone, and on entry R[t+1, :H] holds the input projection of step t;
                  h_t = tanh(R[t+1, :H] + (W_hh h_{t−1}) ⊙ hh_scale).
        hh_scale  None, or (1, B) / (H, B): per-sequence factors on the recurrent term, i.e. sequence b runs with
                  diag(hh_scale[:, b]) W_hh (explore.phase_grid: one spectral radius per grid cell, one shared matmul
                  per step).
    """
    T, B = R.shape[0] - 1, R.shape[2]
    rec = None if hh_scale is None else np.empty((H, B))
    for t in range(T):
        h = R[t + 1, :H]
        if hh_scale is None:
            np.dot(w, R[t], out=h)
        else:
            np.dot(w, R[t, :H], out=rec)
            rec *= hh_scale
            h += rec
        np.tanh(h, out=h)


def _backward_steps(E: np.ndarray, w_hh_t: np.ndarray, cut, hh_scale: np.ndarray | None = None) -> None:
    """The RNN's BPTT recurrence over all steps, in place in E (the one place it is written).

        E         (T, 2H, B); on entry rows [0, H) hold 1 − h_t² and rows [H, 2H) the loss's direct ∂L/∂h_t;
                  on return dz_t and the total dh_t:  dh_t = ∂L/∂h_t + W_hhᵀ dz_{t+1},  dz_t = dh_t ⊙ (1 − h_t²)
        w_hh_t    (H, H)  W_hhᵀ
        cut       cut[t]: no carry from step t+1 into step t
        hh_scale  None, or (1, B) / (H, B): the row scales of _forward_steps.
    """
    T, B = E.shape[0], E.shape[2]
    H = w_hh_t.shape[0]
    rec = np.empty((H, B))
    scaled = None if hh_scale is None else np.empty((H, B))
    for t in range(T - 1, -1, -1):
        dz, dh = E[t, :H], E[t, H:]
        if not cut[t]:
            _recurrent_grad(w_hh_t, E[t + 1, :H], hh_scale, scaled, rec)
            dh += rec
        dz *= dh


def _bptt(R: np.ndarray, dhl: np.ndarray, w_hh_t: np.ndarray, cut, hh_scale: np.ndarray | None = None) -> np.ndarray:
    """BPTT over the first T = len(cut) steps of forward buffer R: returns E (T, 2H, B) = [dz_t; dh_t] per step.

    dhl (T, H, B) or (T, H, 1): the loss's direct ∂L/∂h_t in column layout; R's batch is B, or 1 (one trace, many
    losses: explore.length_sweep). A batch of 1 broadcasts."""
    T, H, B = len(cut), w_hh_t.shape[0], max(R.shape[2], dhl.shape[2])
    E = buffers.empty((T, 2 * H, B))
    h, local = R[1:T + 1, :H], E[:, :H]
    np.multiply(h, h, out=local)  # R's batch may be 1: broadcast over the losses
    np.subtract(1.0, local, out=local)  # tanh'(z_t) = 1 − h_t²
    E[:, H:] = dhl
    _backward_steps(E, w_hh_t, cut, hh_scale)
    return E


def _forward_columns(trace: RNNTrace) -> np.ndarray:
    """The forward buffer behind ``trace`` (rnn_forward's), or one rebuilt from the fields of a trace rnn_forward
    did not make (see lstm._Trace)."""
    R = getattr(trace, "_columns", None)
    if R is not None:
        return R
    batched = trace.batched
    T, H, D = trace.T, trace.hidden_size, trace.x.shape[-1]
    x = _batched(trace.x, batched)
    R = _forward_buffer(T, x.shape[1], H, D)
    R[0, :H] = _batched(trace.h0, batched).T
    R[1:, :H] = _batched(trace.h, batched).transpose(0, 2, 1)
    R[:T, H:H + D] = x.transpose(0, 2, 1)
    return R


def rnn_forward(params: RNNParams, x, h0=None) -> RNNTrace:
    """Run the tanh RNN over ``x`` (T, D) or (T, B, D) from h0 (None = zeros)."""
    x, xb, (h_init,) = _forward_arguments(params, RNNParams, x, h0=h0)
    H, D = params.hidden_size, params.input_size
    T, B, _ = xb.shape
    batched = x.ndim == 3

    R = _forward_buffer(T, B, H, D)
    R[0, :H] = h_init.T
    R[:T, H:H + D] = xb.transpose(0, 2, 1)
    _forward_steps(R, _augmented(params.weight_hh, params.weight_ih, params.bias_ih + params.bias_hh), H)
    xs = x.copy()
    freeze(R, xs)
    return _keep_columns(
        RNNTrace(x=xs, h0=_state(R[0, :H], batched), h=_cols(R[1:, :H], batched)), R
    )


def rnn_backward(params: RNNParams, trace: RNNTrace, dh, *, truncate: int | None = None) -> RNNGrads:
    """BPTT for a tanh RNN; ``dh`` (shape of trace.h) is the loss's direct ∂L/∂h_t. No clipping.
    ``truncate=k``: truncated BPTT with windows of k steps counted back from the last (see lstm_backward)."""
    dh_loss = _backward_arguments(params, RNNParams, trace, RNNTrace, "rnn_forward", dh)
    H = params.hidden_size
    batched = trace.batched
    T, D = trace.T, params.input_size
    R = _forward_columns(trace)
    w_hh_t = np.ascontiguousarray(params.weight_hh.T)
    E = _bptt(R, _batched(dh_loss, batched).transpose(0, 2, 1), w_hh_t, _cuts(T, truncate))
    dz = E[:, :H]  # (T, H, B)
    d_w_ih, d_w_hh, d_b, dx = _weight_grads(dz, R[:T], params.weight_ih, H, D)
    grads_params = RNNParams(weight_ih=d_w_ih, weight_hh=d_w_hh, bias_ih=d_b, bias_hh=d_b)
    dh0 = np.dot(w_hh_t, dz[0])  # (H, B)
    freeze(E, dx, dh0)
    return RNNGrads(
        dh=_cols(E[:, H:], batched),
        dz=_cols(E[:, :H], batched),  # views made after the freeze are read-only too
        dx=_unbatch(dx, batched),
        dh0=_state(dh0, batched),
        params=grads_params,
    )
