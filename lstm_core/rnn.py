"""Elman RNN with tanh (PyTorch's ``nn.RNN``): one step forward, one step back, and the loops over a sequence.

    h_t = tanh(z_t),   z_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh

BPTT, carry zero after the last step:

    dh_t = ∂L/∂h_t + W_hhᵀ dz_{t+1}        dz_t = dh_t ⊙ (1 − h_t²)
    dW_ih = Σ dz_t x_tᵀ   dW_hh = Σ dz_t h_{t−1}ᵀ   db_ih = db_hh = Σ dz_t   dx_t = W_ihᵀ dz_t

So from one step to the one before, the gradient is multiplied by W_hhᵀ · diag(1 − h_t²): a product of T such
factors vanishes or explodes, where the LSTM's cell path multiplies by f_t alone.

``rnn_step`` and ``rnn_step_backward`` are one step each; ``rnn_forward`` and ``rnn_backward`` loop over them, with
the input term of all steps computed before the forward loop and the sums over steps after the backward loop, each
in one matmul (as for the LSTM).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .params import RNNParams
from .recurrent import (
    Trace, backward_arguments, check_recurrent_scale, forward_arguments, parameter_gradients, record, step_arrays,
    window_ends,
)
from .validate import freeze


class RNNStep(NamedTuple):
    """One step of the tanh RNN, as rnn_step computed it."""

    h: np.ndarray  # (H,) | (B, H): hidden state h_t


def rnn_step(params: RNNParams, x_t, h_prev, *, x_proj=None, recurrent_scale=None) -> RNNStep:
    """One tanh RNN step.

    x_t (D,) | (B, D);  h_prev (H,) | (B, H);  the result's h (H,) | (B, H)

        h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} + b_hh)

    x_proj: W_ih x_t + b_ih + b_hh if already computed (rnn_forward computes it for all steps
    in one matmul); x_t is then not read. recurrent_scale: see rnn_forward.
    """
    if x_proj is None:
        x_proj = x_t @ params.weight_ih.T + (params.bias_ih + params.bias_hh)
    recurrent = h_prev @ params.weight_hh.T  # W_hh h_{t−1}
    if recurrent_scale is not None:
        recurrent = recurrent * recurrent_scale  # per-sequence factors (see rnn_forward)
    h = np.tanh(x_proj + recurrent)
    return RNNStep(h=h)


class RNNStepGrads(NamedTuple):
    """One step of BPTT, as rnn_step_backward computed it. Every field is (H,) | (B, H)."""

    dh: np.ndarray  # ∂L/∂h_t, total: from the loss and from step t+1
    dz: np.ndarray  # ∂L/∂z_t
    dh_prev: np.ndarray  # W_hhᵀ dz_t: what reaches h_{t−1}


def rnn_step_backward(params: RNNParams, step: RNNStep, dh_loss, dh_next, *,
                      recurrent_scale=None) -> RNNStepGrads:
    """One step of BPTT through ``step`` (rnn_step's result). Every argument is (H,) | (B, H):

        dh_loss   ∂L/∂h_t, the loss's direct gradient at this step
        dh_next   W_hhᵀ dz_{t+1}: what step t+1 sent back to h_t (its dh_prev; 0 at t = T)

        dh_t = ∂L/∂h_t + W_hhᵀ dz_{t+1}      dz_t = dh_t ⊙ (1 − h_t²)

    The step's shares of the parameter gradients are dz_t x_tᵀ, dz_t h_{t−1}ᵀ and dz_t
    (rnn_backward sums them over all steps in single matmuls after its loop).
    recurrent_scale: see rnn_forward.
    """
    dh = dh_loss + dh_next  # from the loss, and from step t+1
    dz = dh * (1 - step.h**2)  # tanh' = 1 − tanh²
    dz_rec = dz if recurrent_scale is None else dz * recurrent_scale  # per-sequence factors
    dh_prev = dz_rec @ params.weight_hh  # W_hhᵀ dz_t
    return RNNStepGrads(dh=dh, dz=dz, dh_prev=dh_prev)


@dataclass(frozen=True, eq=False)
class RNNTrace(Trace):
    """Per-step hidden states of a tanh RNN: h is (T, H) or (T, B, H); h[t] is after step t."""

    x: np.ndarray
    h0: np.ndarray
    h: np.ndarray

    def step(self, t: int) -> RNNStep:
        """Step t (0-based) as rnn_step returned it."""
        return RNNStep(h=self.h[t])


@dataclass(frozen=True, eq=False)
class RNNGrads:
    """BPTT results: total dL/dh_t, pre-activation dL/dz_t, dx, dh0 and parameter gradients (PyTorch layout)."""

    dh: np.ndarray
    dz: np.ndarray
    dx: np.ndarray
    dh0: np.ndarray
    params: RNNParams | None  # None when rnn_backward ran with parameters=False


def rnn_forward(params: RNNParams, x, h0=None, *, recurrent_scale=None) -> RNNTrace:
    """Run the tanh RNN over ``x`` (T, D) or (T, B, D) from h0 (H,) | (B, H) (None = zeros); record every step.

    A loop of rnn_step, with W_ih x_t + b_ih + b_hh of all steps computed before it in one matmul.
    recurrent_scale (keyword): None, or factors s that broadcast to (H,) | (B, H): the recurrent term becomes
    s ⊙ (W_hh h_{t−1}), i.e. sequence b runs with W_hh's rows scaled by s_b. Pass the same factors to rnn_backward.
    """
    x, (h0,) = forward_arguments(params, RNNParams, x, h0=h0)
    scale = check_recurrent_scale(recurrent_scale, h0.shape)
    x_proj = x @ params.weight_ih.T + (params.bias_ih + params.bias_hh)  # (T, [B,] H)
    recorded = step_arrays(len(x), h=h0.shape)
    h = h0
    for t in range(len(x)):
        step = rnn_step(params, x[t], h, x_proj=x_proj[t], recurrent_scale=scale)
        record(recorded, t, step)
        h = step.h
    freeze(*recorded.values())
    return RNNTrace(x=x, h0=h0, **recorded)


def rnn_backward(params: RNNParams, trace: RNNTrace, dh, *, truncate: int | None = None,
                 recurrent_scale=None, parameters: bool = True) -> RNNGrads:
    """BPTT for a tanh RNN; ``dh`` (shape of trace.h) is the loss's direct ∂L/∂h_t. No clipping.

    A loop of rnn_step_backward from the last step to the first, then the parameter gradients and dx as single
    matmuls. ``truncate=k``: truncated BPTT with windows of k steps counted back from the last (see lstm_backward).
    ``recurrent_scale``: the factors the forward pass ran with (see rnn_forward).
    ``parameters=False`` skips the parameter gradients (``params`` is None).
    """
    dh_loss = backward_arguments(params, RNNParams, trace, RNNTrace, "rnn_forward", dh)
    scale = check_recurrent_scale(recurrent_scale, trace.h.shape[1:])
    ends = window_ends(trace.T, truncate)
    state = trace.h.shape[1:]  # (H,) | (B, H)
    recorded = step_arrays(trace.T, dh=state, dz=state)
    zeros = np.zeros(state)
    dh_next = zeros  # nothing flows back from after the last step
    for t in reversed(range(trace.T)):
        if ends[t]:
            dh_next = zeros
        step = rnn_step_backward(params, trace.step(t), dh_loss[t], dh_next, recurrent_scale=scale)
        record(recorded, t, step)
        dh_next = step.dh_prev

    dh0 = dh_next  # what step 1 sends back to the initial state
    freeze(dh0, *recorded.values())
    d_params, dx = parameter_gradients(params, recorded["dz"], trace.x, trace.h_prev(), scale, parameters)
    return RNNGrads(dh=recorded["dh"], dz=recorded["dz"], dx=dx, dh0=dh0, params=d_params)


def rnn_preactivations(params: RNNParams, trace: RNNTrace) -> np.ndarray:
    """z_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh of every step, (T, H) or (T, B, H), so that trace.h == tanh(z)
    (the UI's live equation), recomputed from the trace in one vectorised pass."""
    if not isinstance(trace, RNNTrace) or trace.hidden_size != params.hidden_size:
        raise ValueError("trace: needs an RNNTrace computed with these params")
    return trace.x @ params.weight_ih.T + trace.h_prev() @ params.weight_hh.T + (params.bias_ih + params.bias_hh)
