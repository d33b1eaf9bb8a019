"""The GRU (PyTorch's ``nn.GRU``, Cho et al. 2014): one step forward, one step back, and the loops over a sequence.

    r = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)              reset gate
    z = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)              update gate
    n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn))     candidate
    h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}

The reset gate scales the candidate's recurrent part *with its bias* b_hn (PyTorch's and cuDNN's form; the 2014
paper applies r to h_{t−1} before W_hn), so b_in and b_hn are not interchangeable and their gradients differ.

BPTT, with the carry zero after the last step; dz_r, dz_z, dz_n are the gradients of each gate's pre-activation
(the argument of its σ or tanh):

    dh_t = ∂L/∂h_t + z_{t+1} ⊙ dh_{t+1} + W_hhᵀ [dz_r; dz_z; r ⊙ dz_n]_{t+1}
    dz_n = dh_t ⊙ (1 − z) ⊙ (1 − n²)       dz_z = dh_t ⊙ (h_{t−1} − n) ⊙ z(1−z)
    dz_r = dz_n ⊙ (W_hn h_{t−1} + b_hn) ⊙ r(1−r)
    dW_ih = Σ [dz_r; dz_z; dz_n] x_tᵀ          db_ih = Σ [dz_r; dz_z; dz_n]          dx_t = W_ihᵀ [dz_r; dz_z; dz_n]
    dW_hh = Σ [dz_r; dz_z; r ⊙ dz_n] h_{t−1}ᵀ  db_hh = Σ [dz_r; dz_z; r ⊙ dz_n]

The term z_{t+1} ⊙ dh_{t+1} is the GRU's direct path back: the update gate plays the part of the LSTM's forget gate
(z near 1 keeps h, and its gradient), but on h itself, with no separate cell state.

``gru_step`` and ``gru_step_backward`` are one step each, written as these equations. ``gru_forward`` and
``gru_backward`` loop over them; around the loops, for speed, W_ih x_t + b_ih is computed for all steps in one matmul
before the forward loop, and the sums over steps (dW_ih, dW_hh, db) and dx are single matmuls after the backward loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .lstm import sigmoid
from .params import GRU_GATES, GRUParams, gate_rows
from .recurrent import (
    Trace, backward_arguments, check_recurrent_scale, forward_arguments, parameter_gradients, record, step_arrays,
    window_ends,
)
from .validate import freeze


class GRUStep(NamedTuple):
    """One step of the GRU, as gru_step computed it: a frozen record. Every field is (H,) or (B, H)."""

    r: np.ndarray  # reset gate
    z: np.ndarray  # update gate
    n: np.ndarray  # candidate
    h: np.ndarray  # hidden state h_t
    hn: np.ndarray  # W_hn h_{t−1} + b_hn: the candidate's recurrent part before r scales it (the backward step's dz_r)
    h_prev: np.ndarray  # h_{t−1}, which the backward step needs (dz_z)


def gru_step(params: GRUParams, x_t, h_prev, *, x_proj=None, recurrent_scale=None) -> GRUStep:
    """One GRU step, in PyTorch's gate order (r, z, n).

    x_t (D,) | (B, D);  h_prev (H,) | (B, H);  every array of the result (H,) | (B, H)

        r = σ(W_ir x_t + b_ir + W_hr h_{t−1} + b_hr)
        z = σ(W_iz x_t + b_iz + W_hz h_{t−1} + b_hz)
        n = tanh(W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn))
        h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}

    x_proj: W_ih x_t + b_ih if already computed (gru_forward computes it for all steps in one matmul); x_t is then
    not read. recurrent_scale: see gru_forward.
    """
    H = params.hidden_size
    if x_proj is None:
        x_proj = x_t @ params.weight_ih.T + params.bias_ih  # [W_ir x; W_iz x; W_in x] + b_ih   (…, 3H)
    recurrent = h_prev @ params.weight_hh.T  # W_hh h_{t−1}
    if recurrent_scale is not None:
        recurrent = recurrent * recurrent_scale  # per-sequence factors (see gru_forward)
    h_proj = recurrent + params.bias_hh  # [W_hr h; W_hz h; W_hn h] + b_hh   (…, 3H)

    r = sigmoid(x_proj[..., 0 * H:1 * H] + h_proj[..., 0 * H:1 * H])  # reset gate
    z = sigmoid(x_proj[..., 1 * H:2 * H] + h_proj[..., 1 * H:2 * H])  # update gate
    hn = h_proj[..., 2 * H:3 * H]  # W_hn h_{t−1} + b_hn
    n = np.tanh(x_proj[..., 2 * H:3 * H] + r * hn)  # candidate

    h = (1 - z) * n + z * h_prev  # hidden state
    return GRUStep(r=r, z=z, n=n, h=h, hn=hn, h_prev=h_prev)


class GRUStepGrads(NamedTuple):
    """One step of BPTT, as gru_step_backward computed it. (H,) | (B, H) unless noted."""

    dh: np.ndarray  # ∂L/∂h_t, total: from the loss and from step t+1
    dz: np.ndarray  # (3H,) | (B, 3H): [dz_r; dz_z; dz_n], ∂L/∂(W_ih x_t + b_ih) and of each gate's pre-activation
    dz_hh: np.ndarray  # (3H,) | (B, 3H): [dz_r; dz_z; r ⊙ dz_n], ∂L/∂(W_hh h_{t−1} + b_hh)
    dh_prev: np.ndarray  # z ⊙ dh_t + W_hhᵀ dz_hh: what reaches h_{t−1} (directly, and through the gates)


def gru_step_backward(params: GRUParams, step: GRUStep, dh_loss, dh_next, *, recurrent_scale=None) -> GRUStepGrads:
    """One step of BPTT through ``step`` (gru_step's result). Every argument is (H,) | (B, H):

        dh_loss   ∂L/∂h_t, the loss's direct gradient at this step
        dh_next   what step t+1 sent back to h_t (its dh_prev; 0 at t = T)

        dh_t = ∂L/∂h_t + dh_next
        dz_n = dh_t ⊙ (1 − z) ⊙ (1 − n²)             (through h_t = (1 − z) ⊙ n + …, then tanh)
        dz_z = dh_t ⊙ (h_{t−1} − n) ⊙ z(1−z)
        dz_r = dz_n ⊙ (W_hn h_{t−1} + b_hn) ⊙ r(1−r)
        dh_{t−1} gets z ⊙ dh_t + W_hhᵀ [dz_r; dz_z; r ⊙ dz_n]

    The step's shares of the parameter gradients are dz x_tᵀ, dz (W_ih, b_ih) and dz_hh h_{t−1}ᵀ, dz_hh
    (W_hh, b_hh); gru_backward sums them over all steps in single matmuls after its loop.
    recurrent_scale: see gru_forward.
    """
    r, z, n, hn = step.r, step.z, step.n, step.hn
    dh = dh_loss + dh_next  # from the loss, and from step t+1

    dz_n = dh * (1 - z) * (1 - n**2)  # tanh' = 1 − tanh²
    dz_z = dh * (step.h_prev - n) * z * (1 - z)  # σ' = σ(1 − σ)
    dz_r = dz_n * hn * r * (1 - r)
    dz = np.concatenate([dz_r, dz_z, dz_n], axis=-1)  # (…, 3H), PyTorch's order: the input side
    dz_hh = np.concatenate([dz_r, dz_z, r * dz_n], axis=-1)  # the hidden side: r scales W_hn h + b_hn

    dz_rec = dz_hh if recurrent_scale is None else dz_hh * recurrent_scale  # per-sequence factors
    dh_prev = z * dh + dz_rec @ params.weight_hh  # the direct path z ⊙ dh_t, and W_hhᵀ dz_hh through the gates
    return GRUStepGrads(dh=dh, dz=dz, dz_hh=dz_hh, dh_prev=dh_prev)


@dataclass(frozen=True, eq=False)
class GRUTrace(Trace):
    """Everything the forward pass computed. Per-step arrays are (T, H) or (T, B, H); h[t] is after step t.

    Gates are after their nonlinearity: r, z in (0, 1), n in (−1, 1). hn[t] = W_hn h_{t−1} + b_hn is the candidate's
    recurrent part before the reset gate scales it (n = tanh(W_in x_t + b_in + r ⊙ hn)); the backward pass needs it.
    """

    x: np.ndarray  # (T, D) | (T, B, D)
    h0: np.ndarray  # (H,) | (B, H)
    r: np.ndarray  # reset gate
    z: np.ndarray  # update gate
    n: np.ndarray  # candidate
    h: np.ndarray  # hidden state h_t
    hn: np.ndarray  # W_hn h_{t−1} + b_hn

    def step(self, t: int) -> GRUStep:
        """Step t (0-based) as gru_step returned it."""
        h_prev = self.h0 if t == 0 else self.h[t - 1]
        return GRUStep(r=self.r[t], z=self.z[t], n=self.n[t], h=self.h[t], hn=self.hn[t], h_prev=h_prev)


@dataclass(frozen=True, eq=False)
class GRUGrads:
    """BPTT results. dh is the total dL/dh_t (with everything from later steps); dz_r, dz_z, dz_n are the gradients
    of each gate's pre-activation (dz_z: the update gate z's); params holds dL/dW in PyTorch layout."""

    dh: np.ndarray  # (T, H) | (T, B, H)
    dz_r: np.ndarray
    dz_z: np.ndarray
    dz_n: np.ndarray
    dx: np.ndarray  # (T, D) | (T, B, D)
    dh0: np.ndarray  # (H,) | (B, H)
    params: GRUParams | None  # None when gru_backward ran with parameters=False


def gru_forward(params: GRUParams, x, h0=None, *, recurrent_scale=None) -> GRUTrace:
    """Run the GRU over ``x`` (T, D) or (T, B, D) from h0 (H,) | (B, H) (None = zeros); record every step.

    Returns a GRUTrace of read-only arrays (T, H) | (T, B, H). A loop of gru_step, with W_ih x_t + b_ih of all steps
    computed before it in one matmul.

    recurrent_scale (keyword): None, or factors s that broadcast to (3H,) | (B, 3H): the recurrent term becomes
    s ⊙ (W_hh h_{t−1}) (b_hh unscaled), i.e. sequence b runs with W_hh's rows scaled by s_b. Pass the same factors
    to gru_backward.
    """
    x, (h0,) = forward_arguments(params, GRUParams, x, h0=h0)
    scale = check_recurrent_scale(recurrent_scale, h0.shape[:-1] + (3 * params.hidden_size,))
    x_proj = x @ params.weight_ih.T + params.bias_ih  # (T, [B,] 3H)
    recorded = step_arrays(len(x), r=h0.shape, z=h0.shape, n=h0.shape, h=h0.shape, hn=h0.shape)
    h = h0
    for t in range(len(x)):
        step = gru_step(params, x[t], h, x_proj=x_proj[t], recurrent_scale=scale)
        record(recorded, t, step)
        h = step.h
    freeze(*recorded.values())
    return GRUTrace(x=x, h0=h0, **recorded)


def gru_backward(params: GRUParams, trace: GRUTrace, dh, *, truncate: int | None = None,
                 recurrent_scale=None, parameters: bool = True) -> GRUGrads:
    """Backpropagation through time for ``trace``; ``dh`` (shape of trace.h) is the loss's direct ∂L/∂h_t.

    A loop of gru_step_backward from the last step to the first, then the parameter gradients and dx as single
    matmuls. No clipping: the returned gradients are the true ones.
    ``truncate=k`` gives truncated BPTT: windows of k steps counted back from the last, and nothing (neither the
    direct path nor the gates') crosses a window boundary, as if h were detached there. None means full BPTT.
    ``recurrent_scale``: the factors the forward pass ran with (see gru_forward).
    ``parameters=False`` skips the parameter gradients (``params`` is None).
    """
    dh_loss = backward_arguments(params, GRUParams, trace, GRUTrace, "gru_forward", dh)
    H = params.hidden_size
    scale = check_recurrent_scale(recurrent_scale, trace.h.shape[1:-1] + (3 * H,))
    ends = window_ends(trace.T, truncate)
    state = trace.h.shape[1:]  # (H,) | (B, H)
    recorded = step_arrays(trace.T, dh=state, dz=state[:-1] + (3 * H,), dz_hh=state[:-1] + (3 * H,))
    zeros = np.zeros(state)
    dh_next = zeros  # nothing flows back from after the last step
    for t in reversed(range(trace.T)):
        if ends[t]:
            dh_next = zeros
        step = gru_step_backward(params, trace.step(t), dh_loss[t], dh_next, recurrent_scale=scale)
        record(recorded, t, step)
        dh_next = step.dh_prev

    dh0 = dh_next  # what step 1 sends back to the initial state
    dz = recorded["dz"]  # (T, [B,] 3H)
    freeze(dh0, *recorded.values())
    d_params, dx = parameter_gradients(params, dz, trace.x, trace.h_prev(), scale, parameters,
                                       dz_hh=recorded["dz_hh"])
    return GRUGrads(
        dh=recorded["dh"],
        dz_r=dz[..., 0 * H:1 * H], dz_z=dz[..., 1 * H:2 * H], dz_n=dz[..., 2 * H:3 * H],
        dx=dx,
        dh0=dh0,
        params=d_params,
    )


def gru_preactivations(params: GRUParams, trace: GRUTrace) -> dict[str, np.ndarray]:
    """Each gate's pre-activation at every step, recomputed from the trace in one vectorised pass:

        'r': W_ir x_t + b_ir + W_hr h_{t−1} + b_hr     'z': likewise     'n': W_in x_t + b_in + r ⊙ (W_hn h_{t−1} + b_hn)

    -> (T, H) or (T, B, H) each, so that trace.r == σ(a['r']), trace.n == tanh(a['n']) (for the UI's live equations).
    """
    if not isinstance(trace, GRUTrace) or trace.hidden_size != params.hidden_size:
        raise ValueError("trace: needs a GRUTrace computed with these params")
    H = params.hidden_size
    a_x = trace.x @ params.weight_ih.T + params.bias_ih  # (T, [B,] 3H)
    a_h = trace.h_prev() @ params.weight_hh.T + params.bias_hh
    r, z, n = (gate_rows(H, gate) for gate in GRU_GATES)
    return {"r": a_x[..., r] + a_h[..., r], "z": a_x[..., z] + a_h[..., z], "n": a_x[..., n] + trace.r * a_h[..., n]}
