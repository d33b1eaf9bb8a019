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

from .lstm import _batched, _cuts, _freeze, _unbatch, previous_states
from .params import RNNParams
from .validate import check_like, check_sequence, check_state


@dataclass(frozen=True, eq=False)
class RNNTrace:
    """Per-step hidden states of a tanh RNN: h is (T, H) or (T, B, H); h[t] is after step t."""

    x: np.ndarray
    h0: np.ndarray
    h: np.ndarray

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


@dataclass(frozen=True, eq=False)
class RNNGrads:
    """BPTT results: total dL/dh_t, pre-activation dL/dz_t, dx, dh0 and parameter gradients (PyTorch layout)."""

    dh: np.ndarray
    dz: np.ndarray
    dx: np.ndarray
    dh0: np.ndarray
    params: RNNParams


def _total_dh(dh_tot, dz, dhl, w_hh, t: int, cut: bool, hh_scale, scratch) -> None:
    """dh_tot[t] = ∂L/∂h_t + W_hhᵀ dz_{t+1} (no second term where the carry is cut), written in place.

    Shared by the LSTM's and the RNN's BPTT loops. With ``hh_scale`` (B, rows) the recurrent term of sequence b
    uses diag(hh_scale[b]) W_hh (see _forward_steps); ``scratch`` is a (B, rows) buffer for that product."""
    if cut:
        dh_tot[t] = dhl[t]
        return
    if hh_scale is None:
        np.dot(dz[t + 1], w_hh, out=dh_tot[t])
    else:
        np.multiply(dz[t + 1], hh_scale, out=scratch)
        np.dot(scratch, w_hh, out=dh_tot[t])
    dh_tot[t] += dhl[t]


def _forward_steps(hid: np.ndarray, w_hh_t: np.ndarray, h_init: np.ndarray, hh_scale: np.ndarray | None = None):
    """The RNN recurrence over all steps, in place: the one place in the core where it is written.

        hid      (T, B, H)  on entry W_ih x_t + b_ih + b_hh of every step; on return h_t
        w_hh_t   (H, H)     W_hhᵀ
        h_init   (B, H)
        hh_scale None, or (B, 1) / (B, H): per-sequence factors on the recurrent term,
                 h_t = tanh(hid_t + (h_{t−1} W_hhᵀ) ⊙ hh_scale), i.e. sequence b runs with diag(hh_scale[b]) W_hh
                 (explore.phase_grid: one spectral radius per grid cell, one shared matmul per step).
    """
    T, B, H = hid.shape
    tmp = np.empty((B, H))
    h_prev = h_init
    for t in range(T):
        np.dot(h_prev, w_hh_t, out=tmp)
        if hh_scale is not None:
            tmp *= hh_scale
        hid[t] += tmp
        np.tanh(hid[t], out=hid[t])
        h_prev = hid[t]
    return hid


def _backward_steps(dhl, local, w_hh, cut, hh_scale: np.ndarray | None = None):
    """The RNN's BPTT recurrence over all steps (the one place it is written).

        dhl      (T, B, H) or (T, 1, H)  the loss's direct ∂L/∂h_t
        local    (T, B, H) or (T, 1, H)  1 − h_t²; a batch axis of 1 broadcasts (see lstm._backward_steps)
        w_hh     (H, H)
        cut      cut[t]: no carry from step t+1 into step t
        hh_scale None, or (B, 1) / (B, H): the row scales of _forward_steps.
    Returns dh_tot (T, B, H) and dz (T, B, H).
    """
    T, H = dhl.shape[0], dhl.shape[2]
    B = max(dhl.shape[1], local.shape[1])
    dh_tot = np.empty((T, B, H))
    dz = np.empty((T, B, H))
    scaled_dz = None if hh_scale is None else np.empty((B, H))
    for t in range(T - 1, -1, -1):
        _total_dh(dh_tot, dz, dhl, w_hh, t, cut[t], hh_scale, scaled_dz)  # dh_t = ∂L/∂h_t + W_hhᵀ dz_{t+1}
        np.multiply(dh_tot[t], local[t], out=dz[t])  # dz_t = dh_t ⊙ (1 − h_t²)
    return dh_tot, dz


def rnn_forward(params: RNNParams, x, h0=None) -> RNNTrace:
    """Run the tanh RNN over ``x`` (T, D) or (T, B, D) from h0 (None = zeros)."""
    if not isinstance(params, RNNParams):
        raise ValueError(f"params: got {type(params).__name__}, needs RNNParams")
    H, D = params.hidden_size, params.input_size
    x = check_sequence(x, D)
    batched = x.ndim == 3
    xb = x if batched else x[:, None, :]
    T, B, _ = xb.shape
    h_init = check_state(h0, "h0", xb.shape[1:2] if batched else (), H).reshape(B, H)

    hid = xb @ params.weight_ih.T  # (T, B, H): input projections, turned into h_t in place
    hid += params.bias_ih + params.bias_hh
    _forward_steps(hid, np.ascontiguousarray(params.weight_hh.T), h_init)
    xs = x.copy()
    _freeze(hid, h_init, xs)
    return RNNTrace(x=xs, h0=_unbatch(h_init, batched), h=_unbatch(hid, batched))


def rnn_backward(params: RNNParams, trace: RNNTrace, dh, *, truncate: int | None = None) -> RNNGrads:
    """BPTT for a tanh RNN; ``dh`` (shape of trace.h) is the loss's direct ∂L/∂h_t. No clipping.
    ``truncate=k``: truncated BPTT with windows of k steps counted back from the last (see lstm_backward)."""
    if not isinstance(params, RNNParams):
        raise ValueError(f"params: got {type(params).__name__}, needs RNNParams")
    if not isinstance(trace, RNNTrace):
        raise ValueError(f"trace: got {type(trace).__name__}, needs an RNNTrace from rnn_forward")
    H = params.hidden_size
    if trace.hidden_size != H or trace.x.shape[-1] != params.input_size:
        raise ValueError(
            f"trace: hidden/input sizes ({trace.hidden_size}, {trace.x.shape[-1]}) do not match params "
            f"({H}, {params.input_size})"
        )
    dh_loss = check_like(dh, "dh", trace.h.shape)
    batched = trace.batched
    dhl, x, hb = _batched(dh_loss, batched), _batched(trace.x, batched), _batched(trace.h, batched)
    T, B, _ = hb.shape
    h_prev = _batched(trace.h_prev(), batched)
    local = 1.0 - hb * hb  # tanh'(z_t) = 1 − h_t²
    cut = _cuts(T, truncate)

    w_hh = params.weight_hh
    dh_tot, dz = _backward_steps(dhl, local, w_hh, cut)

    dz2 = dz.reshape(T * B, H)
    d_b = dz2.sum(axis=0)
    grads_params = RNNParams(
        weight_ih=dz2.T @ x.reshape(T * B, -1),
        weight_hh=dz2.T @ h_prev.reshape(T * B, H),
        bias_ih=d_b,
        bias_hh=d_b,
    )
    dx = dz @ params.weight_ih
    dh0 = dz[0] @ w_hh
    _freeze(dh_tot, dz, dx, dh0)
    return RNNGrads(
        dh=_unbatch(dh_tot, batched),
        dz=_unbatch(dz, batched),
        dx=_unbatch(dx, batched),
        dh0=_unbatch(dh0, batched),
        params=grads_params,
    )
