"""LSTM forward pass and backpropagation through time, recording every step.

Equations (PyTorch's, no peepholes), with z_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh split [i; f; g; o]:

    i = σ(z_i)   f = σ(z_f)   g = tanh(z_g)   o = σ(z_o)
    c_t = f ⊙ c_{t-1} + i ⊙ g            h_t = o ⊙ tanh(c_t)

BPTT, with both carries zero after the last step:

    dh_t = ∂L/∂h_t + W_hhᵀ dz_{t+1}
    dc_t = dh_t ⊙ o_t ⊙ (1 − tanh² c_t) + f_{t+1} ⊙ dc_{t+1}          (the constant-error carousel)
    dz_i = dc_t ⊙ g_t ⊙ i_t(1−i_t)     dz_f = dc_t ⊙ c_{t−1} ⊙ f_t(1−f_t)
    dz_g = dc_t ⊙ i_t ⊙ (1−g_t²)       dz_o = dh_t ⊙ tanh(c_t) ⊙ o_t(1−o_t)
    dW_ih = Σ dz_t x_tᵀ   dW_hh = Σ dz_t h_{t−1}ᵀ   db_ih = db_hh = Σ dz_t   dx_t = W_ihᵀ dz_t

Implementation notes (speed without hiding the maths): inside the loops the gate rows are kept in the order
(o, i, f, g) so that the three sigmoid gates are one contiguous block and, in backward, the three gates driven by
dc_t are one contiguous block too. The trace exposes them by name, and parameter gradients are returned in
PyTorch's (i, f, g, o) layout. All x_t are projected through W_ih in one matmul before the loop; each step does one
matmul for all four gates and writes into preallocated arrays; parameter gradients are single matmuls after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import LSTMParams
from .validate import check_like, check_sequence, check_state

# Internal row-block order (o, i, f, g) as indices of PyTorch's blocks (i=0, f=1, g=2, o=3).
_INTERNAL = (3, 0, 1, 2)


def _rows(H: int, blocks) -> np.ndarray:
    return np.concatenate([np.arange(k * H, (k + 1) * H) for k in blocks])


def _freeze(*arrays: np.ndarray) -> None:
    for a in arrays:
        a.flags.writeable = False


def _unbatch(a: np.ndarray, batched: bool) -> np.ndarray:
    """Drop the batch axis (axis 1 of a (T, 1, ·) array, axis 0 of a (1, ·) state) for single sequences."""
    if batched:
        return a
    return a[:, 0] if a.ndim == 3 else a[0]


def _cuts(T: int, truncate: int | None) -> list[bool]:
    """cut[t]: no carry flows from step t+1 back into step t (t = T−1 always; window ends for truncated BPTT)."""
    if truncate is None:
        return [t == T - 1 for t in range(T)]
    if isinstance(truncate, bool) or not isinstance(truncate, (int, np.integer)) or truncate < 1:
        raise ValueError(f"truncate: got {truncate!r}, needs a whole number of steps >= 1 or None")
    return [(T - 1 - t) % truncate == 0 for t in range(T)]


def previous_states(initial: np.ndarray, states: np.ndarray) -> np.ndarray:
    """The state before every step: [s_0, s_1, …, s_{T−2}] with s_0 = ``initial`` (H,) | (B, H) and ``states`` the
    states after each step (T, H) | (T, B, H); the result has the shape of ``states``."""
    return np.concatenate([initial[None], states[:-1]], axis=0)


def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """σ(z) = 1 / (1 + e^{−z}), exact to rounding for every float64 z.

    For z < −709, e^{−z} overflows to inf and 1/(1+inf) = 0, which is σ's correctly rounded value; the overflow is
    expected there, so its warning is silenced (nothing else is).
    """
    with np.errstate(over="ignore"):
        out = np.negative(z, out=out)
        np.exp(out, out=out)
        out += 1.0
        np.reciprocal(out, out=out)
    return out


@dataclass(frozen=True, eq=False)
class LSTMTrace:
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

    @property
    def T(self) -> int:
        return self.x.shape[0]

    @property
    def batched(self) -> bool:
        return self.x.ndim == 3

    @property
    def hidden_size(self) -> int:
        return self.h.shape[-1]

    def c_prev(self) -> np.ndarray:
        """c_{t−1} for every step (c0 first), same shape as c."""
        return previous_states(self.c0, self.c)

    def h_prev(self) -> np.ndarray:
        """h_{t−1} for every step (h0 first), same shape as h."""
        return previous_states(self.h0, self.h)


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
    params: LSTMParams


def _internal_weights(params: LSTMParams):
    H = params.hidden_size
    rows = _rows(H, _INTERNAL)
    return rows, params.weight_ih[rows], params.weight_hh[rows], (params.bias_ih + params.bias_hh)[rows]


def _forward_steps(xproj: np.ndarray, w_hh_t: np.ndarray, h_init: np.ndarray, c_init: np.ndarray,
                   hh_scale: np.ndarray | None = None):
    """The LSTM recurrence over all steps: the one place in the core where it is written.

    Internal gate order (o, i, f, g) throughout.
        xproj    (T, B, 4H)  W_ih x_t + b_ih + b_hh of every step (a per-sequence bias is simply part of it)
        w_hh_t   (H, 4H)     W_hhᵀ
        h_init, c_init (B, H)
        hh_scale None, or (B, 4H): per-sequence factors on the recurrent term,
                 z_t = xproj_t + (h_{t−1} W_hhᵀ) ⊙ hh_scale, i.e. sequence b runs with the row-scaled weights
                 diag(hh_scale[b]) W_hh. explore.phase_grid uses it to give every grid cell its own spectral radius
                 with one shared matmul per step; the public API passes None (no extra multiply).
    Returns gates (T, B, 4H) after their nonlinearity, cell (T, B, H), hid (T, B, H).
    """
    T, B, H4 = xproj.shape
    H = H4 // 4
    gates = np.empty((T, B, H4))  # internal order o, i, f, g; after the nonlinearity
    cell = np.empty((T, B, H))
    hid = np.empty((T, B, H))
    tanh_c = np.empty((B, H))
    ig = np.empty((B, H))
    h_prev, c_prev = h_init, c_init
    H3 = 3 * H
    # The sigmoid rows (o, i, f) are negated once here (exact), so each step computes σ(z) = 1 / (1 + e^{−z}) as
    # exp, +1, reciprocal on −z directly; e^{−z} overflowing to inf for z < −709 gives σ's correctly rounded 0.
    w_hh_t = w_hh_t.copy()
    w_hh_t[:, :H3] *= -1.0
    xproj = xproj.copy()
    xproj[:, :, :H3] *= -1.0
    with np.errstate(over="ignore"):
        for t in range(T):
            z = gates[t]  # (B, 4H), pre-activation first (−z for o, i, f), then activated in place
            np.dot(h_prev, w_hh_t, out=z)
            if hh_scale is not None:
                z *= hh_scale
            z += xproj[t]
            s = z[:, :H3]
            np.exp(s, out=s)
            s += 1.0
            np.reciprocal(s, out=s)  # o, i, f = σ(z)
            np.tanh(z[:, H3:], out=z[:, H3:])  # g
            o, i, f, g = z[:, :H], z[:, H:2 * H], z[:, 2 * H:H3], z[:, H3:]
            np.multiply(f, c_prev, out=cell[t])  # c_t = f ⊙ c_{t−1} + i ⊙ g
            np.multiply(i, g, out=ig)
            cell[t] += ig
            np.tanh(cell[t], out=tanh_c)
            np.multiply(o, tanh_c, out=hid[t])  # h_t = o ⊙ tanh(c_t)
            h_prev, c_prev = hid[t], cell[t]
    return gates, cell, hid


def _local_derivatives(i, f, g, o, c, c_prev):
    """Per-step local derivatives for BPTT, vectorised over all steps; every argument (T, B, H).

    Returns dc_from_dh = o ⊙ (1 − tanh² c_t) (T, B, H), k_o (T, B, H) with dz_o = dh_t ⊙ k_o, and
    k_ifg (T, B, 3, H) with dz_{i,f,g} = dc_t ⊙ k_ifg.
    """
    T, B, H = c.shape
    tanh_c = np.tanh(c)
    dc_from_dh = o * (1.0 - tanh_c * tanh_c)  # ∂c-path of h_t = o ⊙ tanh(c_t)
    k_o = tanh_c * o * (1.0 - o)  # dz_o = dh_t ⊙ k_o
    k_ifg = np.empty((T, B, 3, H))  # dz_{i,f,g} = dc_t ⊙ k_ifg
    np.multiply(g, i * (1.0 - i), out=k_ifg[:, :, 0])
    np.multiply(c_prev, f * (1.0 - f), out=k_ifg[:, :, 1])
    np.multiply(i, 1.0 - g * g, out=k_ifg[:, :, 2])
    return dc_from_dh, k_o, k_ifg


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


def _backward_steps(dhl, f, dc_from_dh, k_o, k_ifg, w_hh, cut, hh_scale: np.ndarray | None = None):
    """The BPTT recurrence over all steps (the one place it is written); internal gate order (o, i, f, g).

        dhl        (T, B, H) or (T, 1, H)  the loss's direct ∂L/∂h_t
        f, dc_from_dh, k_o (T, B, H) or (T, 1, H); k_ifg (T, B, 3, H) or (T, 1, 3, H): from _local_derivatives.
                   A batch axis of 1 broadcasts: explore.length_sweep backpropagates many losses (batch) through
                   one trace (batch 1); phase_grid one loss through many traces.
        w_hh       (4H, H)  W_hh, internal row order
        cut        cut[t]: no carry from step t+1 into step t (see _cuts)
        hh_scale   None, or (B, 4H): the row scales of _forward_steps (W_hh,b = diag(hh_scale[b]) W_hh, so
                   W_hh,bᵀ dz = W_hhᵀ (hh_scale[b] ⊙ dz)).
    Returns dh_tot, dc_tot (T, B, H) and dz (T, B, 4H).
    """
    T, H = dhl.shape[0], dhl.shape[2]
    B = max(dhl.shape[1], f.shape[1])
    dh_tot = np.empty((T, B, H))
    dc_tot = np.empty((T, B, H))
    dz = np.empty((T, B, 4 * H))  # internal order o, i, f, g
    carry = np.empty((B, H))
    scaled_dz = None if hh_scale is None else np.empty((B, 4 * H))
    for t in range(T - 1, -1, -1):
        _total_dh(dh_tot, dz, dhl, w_hh, t, cut[t], hh_scale, scaled_dz)
        np.multiply(dh_tot[t], dc_from_dh[t], out=dc_tot[t])
        if not cut[t]:
            np.multiply(f[t + 1], dc_tot[t + 1], out=carry)  # the carousel: f_{t+1} ⊙ dc_{t+1}
            dc_tot[t] += carry
        np.multiply(dh_tot[t], k_o[t], out=dz[t, :, :H])
        np.multiply(k_ifg[t], dc_tot[t][:, None, :], out=dz[t, :, H:].reshape(B, 3, H))
    return dh_tot, dc_tot, dz


def lstm_forward(params: LSTMParams, x, h0=None, c0=None) -> LSTMTrace:
    """Run the LSTM over ``x`` (T, D) or (T, B, D) from (h0, c0) (None = zeros) and record every step.

    Returns an LSTMTrace of read-only arrays; see the module docstring for the equations.
    """
    if not isinstance(params, LSTMParams):
        raise ValueError(f"params: got {type(params).__name__}, needs LSTMParams")
    H, D = params.hidden_size, params.input_size
    x = check_sequence(x, D)
    batched = x.ndim == 3
    xb = x if batched else x[:, None, :]  # (T, B, D)
    T, B, _ = xb.shape
    h_init = check_state(h0, "h0", xb.shape[1:2] if batched else (), H).reshape(B, H)
    c_init = check_state(c0, "c0", xb.shape[1:2] if batched else (), H).reshape(B, H)

    _, w_ih, w_hh, bias = _internal_weights(params)
    xproj = (xb.reshape(T * B, -1) @ w_ih.T).reshape(T, B, -1)  # (T, B, 4H): all x_t projected in one GEMM
    xproj += bias
    gates, cell, hid = _forward_steps(xproj, np.ascontiguousarray(w_hh.T), h_init, c_init)

    _freeze(gates, cell, hid, h_init, c_init)
    xs = x.copy()
    _freeze(xs)

    def gate(k: int) -> np.ndarray:
        return _unbatch(gates[:, :, k * H:(k + 1) * H], batched)

    return LSTMTrace(
        x=xs,
        h0=_unbatch(h_init, batched),
        c0=_unbatch(c_init, batched),
        o=gate(0), i=gate(1), f=gate(2), g=gate(3),
        c=_unbatch(cell, batched),
        h=_unbatch(hid, batched),
    )


def _batched(a: np.ndarray, batched: bool) -> np.ndarray:
    """Inverse of _unbatch: a (T, B, ·) / (B, ·) view."""
    if batched:
        return a
    return a[:, None] if a.ndim == 2 else a[None]


def lstm_backward(params: LSTMParams, trace: LSTMTrace, dh, *, truncate: int | None = None) -> LSTMGrads:
    """Backpropagation through time for ``trace``; ``dh`` (shape of trace.h) is the loss's direct ∂L/∂h_t.

    No clipping: the returned gradients are the true ones. See the module docstring for the equations.
    ``truncate=k`` gives truncated BPTT: the steps are cut into windows of k counted back from the last step
    (…, [T−2k, T−k), [T−k, T)) and neither carry (W_hhᵀ dz nor f ⊙ dc) crosses a window boundary, as if h and c
    were detached there. None means full BPTT.
    """
    if not isinstance(params, LSTMParams):
        raise ValueError(f"params: got {type(params).__name__}, needs LSTMParams")
    if not isinstance(trace, LSTMTrace):
        raise ValueError(f"trace: got {type(trace).__name__}, needs an LSTMTrace from lstm_forward")
    H = params.hidden_size
    if trace.hidden_size != H or trace.x.shape[-1] != params.input_size:
        raise ValueError(
            f"trace: hidden/input sizes ({trace.hidden_size}, {trace.x.shape[-1]}) do not match params "
            f"({H}, {params.input_size})"
        )
    dh_loss = check_like(dh, "dh", trace.h.shape)
    batched = trace.batched
    b = lambda a: _batched(a, batched)  # noqa: E731  (T, B, ·) views
    dhl = b(dh_loss)
    x, i, f, g, o, c = b(trace.x), b(trace.i), b(trace.f), b(trace.g), b(trace.o), b(trace.c)
    h_prev, c_prev = b(trace.h_prev()), b(trace.c_prev())
    T, B, _ = c.shape
    cut = _cuts(T, truncate)

    rows, w_ih, w_hh, _ = _internal_weights(params)
    dc_from_dh, k_o, k_ifg = _local_derivatives(i, f, g, o, c, c_prev)
    dh_tot, dc_tot, dz = _backward_steps(dhl, f, dc_from_dh, k_o, k_ifg, w_hh, cut)

    dz2 = dz.reshape(T * B, 4 * H)
    inv = np.argsort(rows)  # internal rows -> PyTorch rows
    d_w_ih = (dz2.T @ x.reshape(T * B, -1))[inv]
    d_w_hh = (dz2.T @ h_prev.reshape(T * B, H))[inv]
    d_b = dz2.sum(axis=0)[inv]
    dx = (dz.reshape(T * B, -1) @ w_ih).reshape(T, B, -1)  # (T, B, D), one GEMM
    dh0 = dz[0] @ w_hh  # (B, H)
    dc0 = f[0] * dc_tot[0]
    grads_params = LSTMParams(weight_ih=d_w_ih, weight_hh=d_w_hh, bias_ih=d_b, bias_hh=d_b)
    _freeze(dh_tot, dc_tot, dz, dx, dh0, dc0)

    def dz_gate(k: int) -> np.ndarray:
        return _unbatch(dz[:, :, k * H:(k + 1) * H], batched)

    return LSTMGrads(
        dh=_unbatch(dh_tot, batched),
        dc=_unbatch(dc_tot, batched),
        dz_o=dz_gate(0), dz_i=dz_gate(1), dz_f=dz_gate(2), dz_g=dz_gate(3),
        dx=_unbatch(dx, batched),
        dh0=_unbatch(dh0, batched),
        dc0=_unbatch(dc0, batched),
        params=grads_params,
    )


def lstm_preactivations(params: LSTMParams, trace: LSTMTrace) -> dict[str, np.ndarray]:
    """The gate pre-activations z_t = W_ih x_t + b_ih + W_hh h_{t−1} + b_hh of every step, split by gate.

    Returns {'i', 'f', 'g', 'o'} -> (T, H) or (T, B, H), so that e.g. trace.f == σ(z['f']) (shown in the UI to make
    every number traceable). Recomputed from the trace in one vectorised pass; the forward loop stays lean.
    """
    if not isinstance(trace, LSTMTrace) or trace.hidden_size != params.hidden_size:
        raise ValueError("trace: needs an LSTMTrace computed with these params")
    z = trace.x @ params.weight_ih.T + trace.h_prev() @ params.weight_hh.T + (params.bias_ih + params.bias_hh)
    H = params.hidden_size
    return {gate: z[..., k * H:(k + 1) * H] for k, gate in enumerate("ifgo")}
