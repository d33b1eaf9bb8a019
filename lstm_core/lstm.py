"""The LSTM (PyTorch's ``nn.LSTM``, no peepholes): one step forward, one step back, and the loops over a sequence.

    z_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh = [z_i; z_f; z_g; z_o]
    i = σ(z_i)   f = σ(z_f)   g = tanh(z_g)   o = σ(z_o)
    c_t = f ⊙ c_{t−1} + i ⊙ g            h_t = o ⊙ tanh(c_t)

BPTT, with both carries zero after the last step:

    dh_t = ∂L/∂h_t + W_hhᵀ dz_{t+1}
    dc_t = dh_t ⊙ o_t ⊙ (1 − tanh² c_t) + f_{t+1} ⊙ dc_{t+1}          (the error carousel; constant only if f ≡ 1)
    dz_i = dc_t ⊙ g_t ⊙ i_t(1−i_t)     dz_f = dc_t ⊙ c_{t−1} ⊙ f_t(1−f_t)
    dz_g = dc_t ⊙ i_t ⊙ (1−g_t²)       dz_o = dh_t ⊙ tanh(c_t) ⊙ o_t(1−o_t)
    dW_ih = Σ dz_t x_tᵀ   dW_hh = Σ dz_t h_{t−1}ᵀ   db_ih = db_hh = Σ dz_t   dx_t = W_ihᵀ dz_t

The 1997 LSTM (Hochreiter & Schmidhuber; ``LSTMParams(..., forget_gate=False)``) has no forget gate: f ≡ 1, so
c_t = c_{t−1} + i ⊙ g and dc_{t−1} = dc_t along the cell, the constant error carousel; dz_f is then exactly 0
(f(1−f) = 0), so the unused forget rows get no gradient.

``lstm_step`` and ``lstm_step_backward`` are one step each, written as these equations. ``lstm_forward`` and
``lstm_backward`` loop over them; around the loops, for speed, W_ih x_t + b_ih + b_hh is computed for all steps in
one matmul before the forward loop, and the sums over steps (dW_ih, dW_hh, db) and dx are single matmuls after the
backward loop.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .params import GATES, LSTMParams, gate_rows
from .recurrent import (
    Trace, backward_arguments, check_recurrent_scale, forward_arguments, parameter_gradients, previous_states, record,
    step_arrays, window_ends,
)
from .validate import freeze


@np.errstate(over="ignore")  # e^{−z} overflows to inf for z < −709, and 1/(1+inf) = 0 is then σ's right value
def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(z) = 1 / (1 + e^{−z}), exact to rounding for every float64 z (the only warning silenced is the
    expected overflow of e^{−z} for z < −709)."""
    out = np.negative(z, out=out)
    np.exp(out, out=out)
    out += 1.0
    np.reciprocal(out, out=out)
    return out


class LSTMStep(NamedTuple):
    """One step of the LSTM, as lstm_step computed it: a frozen record (a NamedTuple, cheap to make once per step).
    Every field is (H,) or (B, H)."""

    i: np.ndarray  # input gate σ(z_i)
    f: np.ndarray  # forget gate σ(z_f)
    g: np.ndarray  # cell candidate tanh(z_g)
    o: np.ndarray  # output gate σ(z_o)
    c: np.ndarray  # cell state c_t
    h: np.ndarray  # hidden state h_t
    c_prev: np.ndarray  # c_{t−1}, which the backward step needs (dz_f)
    tanh_c: np.ndarray  # tanh(c_t), likewise (dc_t, dz_o)


def lstm_step(params: LSTMParams, x_t, h_prev, c_prev, *,
              x_proj=None, recurrent_scale=None) -> LSTMStep:
    """One LSTM step, in PyTorch's gate order (i, f, g, o).

    x_t (D,) | (B, D);  h_prev, c_prev (H,) | (B, H);  every array of the result (H,) | (B, H)

        z = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh = [z_i; z_f; z_g; z_o]     (4H,) | (B, 4H)
        i = σ(z_i)   f = σ(z_f)   g = tanh(z_g)   o = σ(z_o)
        c_t = f ⊙ c_{t−1} + i ⊙ g      h_t = o ⊙ tanh(c_t)

    Without a forget gate (params.forget_gate False, the 1997 LSTM) f ≡ 1: c_t = c_{t−1} + i ⊙ g.
    x_proj: W_ih x_t + b_ih + b_hh if already computed (lstm_forward computes it for all steps
    in one matmul); x_t is then not read. recurrent_scale: see lstm_forward.
    """
    H = params.hidden_size
    if x_proj is None:
        x_proj = x_t @ params.weight_ih.T + (params.bias_ih + params.bias_hh)
    recurrent = h_prev @ params.weight_hh.T  # W_hh h_{t−1}
    if recurrent_scale is not None:
        recurrent = recurrent * recurrent_scale  # per-sequence factors (see lstm_forward)
    z = x_proj + recurrent  # (…, 4H)

    i = sigmoid(z[..., 0 * H:1 * H])  # input gate
    f = sigmoid(z[..., 1 * H:2 * H]) if params.forget_gate else np.ones_like(i)  # forget gate (1997 LSTM: f ≡ 1)
    g = np.tanh(z[..., 2 * H:3 * H])  # cell candidate
    o = sigmoid(z[..., 3 * H:4 * H])  # output gate

    c = f * c_prev + i * g  # cell state
    tanh_c = np.tanh(c)
    h = o * tanh_c  # hidden state
    return LSTMStep(i=i, f=f, g=g, o=o, c=c, h=h, c_prev=c_prev, tanh_c=tanh_c)


class LSTMStepGrads(NamedTuple):
    """One step of BPTT, as lstm_step_backward computed it. (H,) | (B, H) unless noted."""

    dh: np.ndarray  # ∂L/∂h_t, total: from the loss and from step t+1
    dc: np.ndarray  # ∂L/∂c_t, total
    dz: np.ndarray  # (4H,) | (B, 4H): ∂L/∂z_t = [dz_i; dz_f; dz_g; dz_o]
    dh_prev: np.ndarray  # W_hhᵀ dz_t: what reaches h_{t−1} through this step's gates
    dc_prev: np.ndarray  # f_t ⊙ dc_t: what reaches c_{t−1} along the cell (the carousel)


def lstm_step_backward(params: LSTMParams, step: LSTMStep, dh_loss, dh_next, dc_next, *,
                       recurrent_scale=None) -> LSTMStepGrads:
    """One step of BPTT through ``step`` (lstm_step's result). Every argument is (H,) | (B, H):

        dh_loss   ∂L/∂h_t, the loss's direct gradient at this step
        dh_next   W_hhᵀ dz_{t+1}: what step t+1 sent back to h_t (its dh_prev; 0 at t = T)
        dc_next   f_{t+1} ⊙ dc_{t+1}: what step t+1 sent back to c_t (its dc_prev; 0 at t = T)

        dh_t = ∂L/∂h_t + W_hhᵀ dz_{t+1}
        dc_t = dh_t ⊙ o ⊙ (1 − tanh² c_t) + f_{t+1} ⊙ dc_{t+1}
        dz_i = dc_t ⊙ g ⊙ i(1−i)     dz_f = dc_t ⊙ c_{t−1} ⊙ f(1−f)
        dz_g = dc_t ⊙ i ⊙ (1−g²)     dz_o = dh_t ⊙ tanh(c_t) ⊙ o(1−o)

    The step's shares of the parameter gradients are dz_t x_tᵀ, dz_t h_{t−1}ᵀ and dz_t
    (lstm_backward sums them over all steps in single matmuls after its loop).
    recurrent_scale: see lstm_forward.
    """
    i, f, g, o, tanh_c = step.i, step.f, step.g, step.o, step.tanh_c
    dh = dh_loss + dh_next  # from the loss, and from step t+1 through its gates
    dc = dh * o * (1 - tanh_c**2) + dc_next  # through h_t, and along the cell from step t+1

    dz_i = dc * g * i * (1 - i)  # σ' = σ(1 − σ)
    dz_f = dc * step.c_prev * f * (1 - f)  # exactly 0 when f ≡ 1 (no forget gate)
    dz_g = dc * i * (1 - g**2)  # tanh' = 1 − tanh²
    dz_o = dh * tanh_c * o * (1 - o)
    dz = np.concatenate([dz_i, dz_f, dz_g, dz_o], axis=-1)  # (…, 4H), PyTorch's order

    dz_rec = dz if recurrent_scale is None else dz * recurrent_scale  # per-sequence factors
    dh_prev = dz_rec @ params.weight_hh  # W_hhᵀ dz_t
    dc_prev = f * dc  # the carousel
    return LSTMStepGrads(dh=dh, dc=dc, dz=dz, dh_prev=dh_prev, dc_prev=dc_prev)


@dataclass(frozen=True, eq=False)
class LSTMTrace(Trace):
    """Everything the forward pass computed. Per-step arrays are (T, H) or (T, B, H); c[t], h[t] are after step t.

    Gates are after their nonlinearity: i, f, o in (0, 1), g in (−1, 1).
    """

    x: np.ndarray  # (T, D) | (T, B, D)
    h0: np.ndarray  # (H,) | (B, H)
    c0: np.ndarray  # (H,) | (B, H)
    i: np.ndarray  # input gate
    f: np.ndarray  # forget gate
    g: np.ndarray  # cell candidate
    o: np.ndarray  # output gate
    c: np.ndarray  # cell state c_t
    h: np.ndarray  # hidden state h_t

    def c_prev(self) -> np.ndarray:
        """c_{t−1} for every step (c0 first), same shape as c."""
        return previous_states(self.c0, self.c)

    def step(self, t: int) -> LSTMStep:
        """Step t (0-based) as lstm_step returned it."""
        c_prev = self.c0 if t == 0 else self.c[t - 1]
        return LSTMStep(i=self.i[t], f=self.f[t], g=self.g[t], o=self.o[t], c=self.c[t], h=self.h[t],
                        c_prev=c_prev, tanh_c=np.tanh(self.c[t]))


@dataclass(frozen=True, eq=False)
class LSTMGrads:
    """BPTT results. dh, dc are the total dL/dh_t, dL/dc_t (with everything from later steps); dz_* are the gate
    pre-activation gradients dL/dz_t; params holds dL/dW in PyTorch layout."""

    dh: np.ndarray  # (T, H) | (T, B, H)
    dc: np.ndarray
    dz_i: np.ndarray
    dz_f: np.ndarray
    dz_g: np.ndarray
    dz_o: np.ndarray
    dx: np.ndarray  # (T, D) | (T, B, D)
    dh0: np.ndarray  # (H,) | (B, H)
    dc0: np.ndarray
    params: LSTMParams | None  # None when lstm_backward ran with parameters=False


def lstm_forward(params: LSTMParams, x, h0=None, c0=None, *, recurrent_scale=None) -> LSTMTrace:
    """Run the LSTM over ``x`` (T, D) or (T, B, D) from (h0, c0) (H,) | (B, H) (None = zeros); record every step.

    Returns an LSTMTrace of read-only arrays (T, H) | (T, B, H). A loop of lstm_step, with W_ih x_t + b_ih + b_hh
    of all steps computed before it in one matmul.

    recurrent_scale (keyword): None, or factors s that broadcast to (4H,) | (B, 4H): the recurrent term becomes
    s ⊙ (W_hh h_{t−1}), i.e. sequence b runs with W_hh's rows scaled by s_b (e.g. a different spectral radius per
    sequence, for a grid of configurations in one batch). Pass the same factors to lstm_backward.
    """
    x, (h0, c0) = forward_arguments(params, LSTMParams, x, h0=h0, c0=c0)
    scale = check_recurrent_scale(recurrent_scale, h0.shape[:-1] + (4 * params.hidden_size,))
    x_proj = x @ params.weight_ih.T + (params.bias_ih + params.bias_hh)  # (T, [B,] 4H)
    recorded = step_arrays(len(x), i=h0.shape, f=h0.shape, g=h0.shape, o=h0.shape, c=h0.shape, h=h0.shape)
    h, c = h0, c0
    for t in range(len(x)):
        step = lstm_step(params, x[t], h, c, x_proj=x_proj[t], recurrent_scale=scale)
        record(recorded, t, step)
        h, c = step.h, step.c
    freeze(*recorded.values())
    return LSTMTrace(x=x, h0=h0, c0=c0, **recorded)


def lstm_backward(params: LSTMParams, trace: LSTMTrace, dh, *, truncate: int | None = None,
                  recurrent_scale=None, parameters: bool = True) -> LSTMGrads:
    """Backpropagation through time for ``trace``; ``dh`` (shape of trace.h) is the loss's direct ∂L/∂h_t.

    A loop of lstm_step_backward from the last step to the first, then the parameter gradients and dx as single
    matmuls. No clipping: the returned gradients are the true ones.
    ``truncate=k`` gives truncated BPTT: the steps are cut into windows of k counted back from the last step
    (…, [T−2k, T−k), [T−k, T)) and neither carry (W_hhᵀ dz nor f ⊙ dc) crosses a window boundary, as if h and c
    were detached there. None means full BPTT.
    ``recurrent_scale``: the factors the forward pass ran with (see lstm_forward); params.weight_hh's gradient is
    then the one for the shared, unscaled W_hh.
    ``parameters=False`` skips the parameter gradients (``params`` is None), for experiments that read only the
    per-step gradients.
    """
    dh_loss = backward_arguments(params, LSTMParams, trace, LSTMTrace, "lstm_forward", dh)
    H = params.hidden_size
    scale = check_recurrent_scale(recurrent_scale, trace.h.shape[1:-1] + (4 * H,))
    ends = window_ends(trace.T, truncate)
    state = trace.h.shape[1:]  # (H,) | (B, H)
    recorded = step_arrays(trace.T, dh=state, dc=state, dz=state[:-1] + (4 * H,))
    zeros = np.zeros(state)
    dh_next = dc_next = zeros  # nothing flows back from after the last step
    for t in reversed(range(trace.T)):
        if ends[t]:
            dh_next = dc_next = zeros
        step = lstm_step_backward(params, trace.step(t), dh_loss[t], dh_next, dc_next, recurrent_scale=scale)
        record(recorded, t, step)
        dh_next, dc_next = step.dh_prev, step.dc_prev

    dh0, dc0 = dh_next, dc_next  # what step 1 sends back to the initial state
    dz = recorded["dz"]  # (T, [B,] 4H)
    freeze(dh0, dc0, *recorded.values())
    d_params, dx = parameter_gradients(params, dz, trace.x, trace.h_prev(), scale, parameters)
    return LSTMGrads(
        dh=recorded["dh"],
        dc=recorded["dc"],
        dz_i=dz[..., 0 * H:1 * H], dz_f=dz[..., 1 * H:2 * H], dz_g=dz[..., 2 * H:3 * H], dz_o=dz[..., 3 * H:4 * H],
        dx=dx,
        dh0=dh0,
        dc0=dc0,
        params=d_params,
    )


def lstm_preactivations(params: LSTMParams, trace: LSTMTrace) -> dict[str, np.ndarray]:
    """The gate pre-activations z_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh of every step, split by gate.

    Returns {'i', 'f', 'g', 'o'} -> (T, H) or (T, B, H), so that e.g. trace.f == σ(z['f']) (shown in the UI to make
    every number traceable), recomputed from the trace in one vectorised pass. The 1997 LSTM (no forget gate) has no
    z_f: its result has only 'i', 'g', 'o'.
    """
    if not isinstance(trace, LSTMTrace) or trace.hidden_size != params.hidden_size:
        raise ValueError("trace: needs an LSTMTrace computed with these params")
    z = trace.x @ params.weight_ih.T + trace.h_prev() @ params.weight_hh.T + (params.bias_ih + params.bias_hh)
    H = params.hidden_size
    return {gate: z[..., gate_rows(H, gate)] for gate in GATES if gate != "f" or params.forget_gate}
