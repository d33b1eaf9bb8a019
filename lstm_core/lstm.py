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

Implementation notes (speed without hiding the maths): the loops work in a "column layout", batch axis last, so that
every block of one step (a gate, c, h) is one contiguous run of memory and every NumPy call in the loops works on
contiguous data. The forward pass writes everything into ONE buffer F of shape (T+1, 6H+D+1, B); slab t holds

    rows [0, 4H)      the gates of step t after their nonlinearity, internal order (o, i, f, g)
    rows [4H, 5H)     c_{t−1}      (slab 0: c0; slab T: c_{T−1})
    rows [5H, 6H)     h_{t−1}      (slab 0: h0; slab T: h_{T−1})
    rows [6H, 6H+D)   x_t
    row  6H+D         1

so that one matmul [W_hh | W_ih | b] · F[t, 5H:] gives all four gates' pre-activations (inputs, bias and recurrence at
once), [i; f] ⊙ [g; c_{t−1}] is one multiply, and c_{t−1}, h_{t−1} of every step are views, not copies. The three
sigmoid gates (o, i, f) are one contiguous block, computed as 1 / (1 + e^{−z}) on rows whose weights were negated
once (exact). BPTT writes into one buffer E (T, 6H, B): rows [0, 4H) dz_t (o, i, f, g), [4H, 5H) dc_t, [5H, 6H) dh_t,
each first holding the local factor it is multiplied by, so every step is a few in-place products. Parameter
gradients are single matmuls after the loop (the row of ones in F gives the bias gradient in the same matmul). The
trace and the gradients expose these buffers by name, as read-only (T, B, ·) views, and parameter gradients come back
in PyTorch's (i, f, g, o) layout. F and E come from lstm_core.buffers, which recycles a buffer once nothing refers to
it: fresh memory costs a page fault per 4 KiB (a third of the time at T=200, B=32, H=32 before).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import buffers
from .params import GATES, LSTMParams, gate_rows
from .validate import check_like, check_sequence, check_state, freeze

# Internal row-block order (o, i, f, g) as indices of PyTorch's blocks (i=0, f=1, g=2, o=3).
_INTERNAL = (3, 0, 1, 2)


def _rows(H: int, blocks) -> np.ndarray:
    return np.concatenate([np.arange(k * H, (k + 1) * H) for k in blocks])


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
        _sigmoid_of_negated(out)
    return out


def _sigmoid_of_negated(s: np.ndarray) -> None:
    """In place: ``s`` holds −z and becomes σ(z) = 1 / (1 + e^{−z}) (exp, +1, reciprocal). The caller silences the
    overflow of e^{−z} for z < −709 (see sigmoid); the forward loop calls this on rows whose weights were negated."""
    np.exp(s, out=s)
    s += 1.0
    np.reciprocal(s, out=s)


class _Trace:
    """What LSTMTrace and RNNTrace share: the fields x (T, D) | (T, B, D), h0 and h, the sizes read from them, and
    the forward buffer the fields are views of, kept (attribute ``_columns``, not a field, set by _keep_columns) so that
    the backward pass reads everything without copies. dataclasses.replace and hand-built traces have no
    ``_columns``; the backward pass then rebuilds the buffer from the fields."""

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


    def __getstate__(self) -> dict:
        """Pickle (st.cache_data, copy) the fields only: the buffer is an implementation detail and would double the
        size. An unpickled trace is backpropagated like a hand-built one."""
        state = dict(self.__dict__)
        state.pop("_columns", None)
        return state


def _keep_columns(trace, F: np.ndarray):
    object.__setattr__(trace, "_columns", F)  # frozen dataclass: not a field, see _Trace
    return trace


@dataclass(frozen=True, eq=False)
class LSTMTrace(_Trace):
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


def _sigmoid_signs(H: int) -> np.ndarray:
    """(4H, 1): −1 on the sigmoid rows (o, i, f) and +1 on g, internal order. Multiplying weights (or an input
    projection) by it is exact and makes the forward loop compute −z for the sigmoid gates (see _forward_steps)."""
    signs = np.ones((4 * H, 1))
    signs[:3 * H] = -1.0
    return signs


def _forward_buffer(T: int, B: int, H: int, D: int) -> np.ndarray:
    """The forward buffer F (T+1, 6H+D+1, B) of the module docstring, with the row of ones set and the rows no step
    reads or writes (the last slab's gates and inputs) zeroed; the caller fills x_t (or the input projection), h0, c0."""
    F = buffers.empty((T + 1, 6 * H + D + 1, B))
    F[T, :4 * H] = 0.0
    F[T, 6 * H:] = 0.0
    F[:T, 6 * H + D] = 1.0
    return F


def _forward_steps(F: np.ndarray, w: np.ndarray, H: int, hh_scale: np.ndarray | None = None) -> None:
    """The LSTM recurrence over all steps, in place in F (module docstring): the one place in the core where it is
    written. Internal gate order (o, i, f, g); the sigmoid rows of ``w`` (and of a pre-filled projection) are negated.

        F         (T+1, 6H+D+1, B); on entry F[0] holds c0, h0 and F[t] x_t and 1; on return every gate, c and h.
        w         hh_scale None: the augmented weights [W_hh | W_ih | b_ih + b_hh] (4H, H+D+1), so that
                  z_t = w · F[t, 5H:] = w · [h_{t−1}; x_t; 1] is one matmul.
                  hh_scale given: W_hh (4H, H) alone, and on entry F[t, :4H] holds the input projection of every
                  step (a per-sequence bias is simply part of it); z_t = F[t, :4H] + (W_hh h_{t−1}) ⊙ hh_scale.
        hh_scale  None, or (4H, B): per-sequence factors on the recurrent term, i.e. sequence b runs with the
                  row-scaled weights diag(hh_scale[:, b]) W_hh. explore.phase_grid uses it to give every grid cell its
                  own spectral radius with one shared matmul per step; the public API passes None.
    σ(z) = 1 / (1 + e^{−z}) is computed from −z as exp, +1, reciprocal; e^{−z} overflowing to inf for z < −709 gives
    σ's correctly rounded 0, so that overflow warning (and only it) is silenced.
    """
    T, B = F.shape[0] - 1, F.shape[2]
    H3, H4, H5, H6 = 3 * H, 4 * H, 5 * H, 6 * H
    prod = np.empty((2 * H, B))
    tanh_c = np.empty((H, B))
    rec = None if hh_scale is None else np.empty((H4, B))
    with np.errstate(over="ignore"):
        for t in range(T):
            slab, nxt = F[t], F[t + 1]
            z = slab[:H4]  # pre-activations (−z for o, i, f), then activated in place
            if hh_scale is None:
                np.dot(w, slab[H5:], out=z)
            else:
                np.dot(w, slab[H5:H6], out=rec)
                rec *= hh_scale
                z += rec
            _sigmoid_of_negated(z[:H3])  # o, i, f
            np.tanh(z[H3:], out=z[H3:])  # g
            np.multiply(slab[H:H3], slab[H3:H5], out=prod)  # [i ⊙ g; f ⊙ c_{t−1}]
            np.add(prod[:H], prod[H:], out=nxt[H4:H5])  # c_t
            np.tanh(nxt[H4:H5], out=tanh_c)
            np.multiply(z[:H], tanh_c, out=nxt[H5:H6])  # h_t = o ⊙ tanh(c_t)


def _local_derivatives(F: np.ndarray, out: np.ndarray, H: int, steps: slice) -> None:
    """The local factors of BPTT for ``steps`` (a slice start:stop) of forward buffer F (batch B), written into
    out[steps, :5H] (out: (T, ≥5H, B)), vectorised over those steps:

        rows [0, 4H)   k_o = tanh c_t ⊙ o(1−o), k_i = g ⊙ i(1−i), k_f = c_{t−1} ⊙ f(1−f), k_g = i ⊙ (1−g²), so that
                       dz_o = dh_t ⊙ k_o and dz_{i,f,g} = dc_t ⊙ k_{i,f,g}
        rows [4H, 5H)  ∂h_t/∂c_t = o ⊙ (1 − tanh² c_t)
    """
    start, stop = steps.start, steps.stop
    H2, H3, H4, H5 = 2 * H, 3 * H, 4 * H, 5 * H
    gates = F[start:stop, :H4]
    o, i, g = gates[:, :H], gates[:, H:H2], gates[:, H3:]
    k, dcd = out[start:stop, :H4], out[start:stop, H4:H5]
    np.tanh(F[start + 1:stop + 1, H4:H5], out=dcd)  # tanh c_t, for now
    np.subtract(1.0, gates[:, :H3], out=k[:, :H3])
    k[:, :H3] *= gates[:, :H3]  # σ' = σ(1−σ) of o, i, f
    k[:, :H] *= dcd  # k_o
    k[:, H:H2] *= g  # k_i
    k[:, H2:H3] *= F[start:stop, H4:H5]  # k_f, with c_{t−1}
    kg = k[:, H3:]
    np.multiply(g, g, out=kg)
    np.subtract(1.0, kg, out=kg)
    kg *= i  # k_g
    np.multiply(dcd, dcd, out=dcd)
    np.subtract(1.0, dcd, out=dcd)
    dcd *= o  # ∂h_t/∂c_t


def _backward_steps(E: np.ndarray, f: np.ndarray, w_hh_t: np.ndarray, cut, hh_scale: np.ndarray | None,
                    steps: slice) -> None:
    """The BPTT recurrence over ``steps`` (start:stop, run from stop−1 down to start; E[stop] must be done unless
    cut[stop−1]), in place in E: the one place it is written. Internal order (o, i, f, g).

        E         (T, 6H, B); on entry rows [0, 5H) hold _local_derivatives' factors and rows [5H, 6H) the loss's
                  direct ∂L/∂h_t; on return dz_t, the total dc_t and the total dh_t.
        f         (T, H, B) or (T, H, 1): the forget gates (a batch of 1 broadcasts: explore.length_sweep runs many
                  losses, as the batch, through one trace).
        w_hh_t    (H, 4H)  W_hhᵀ, internal row order
        cut       cut[t]: no carry from step t+1 into step t (see _cuts)
        hh_scale  None, or (4H, B): the row scales of _forward_steps (W_hh,bᵀ dz = W_hhᵀ (hh_scale[:, b] ⊙ dz)).

        dh_t = ∂L/∂h_t + W_hhᵀ dz_{t+1}     dc_t = dh_t ⊙ ∂h_t/∂c_t + f_{t+1} ⊙ dc_{t+1}
        dz_o = dh_t ⊙ k_o                   dz_{i,f,g} = dc_t ⊙ k_{i,f,g}
    """
    B = E.shape[2]
    H = w_hh_t.shape[0]
    H4, H5 = 4 * H, 5 * H
    rec = np.empty((H, B))
    carry = np.empty((H, B))
    scaled = None if hh_scale is None else np.empty((H4, B))
    for t in range(steps.stop - 1, steps.start - 1, -1):
        e = E[t]
        dz, dc, dh = e[:H4], e[H4:H5], e[H5:]
        if not cut[t]:
            nxt = E[t + 1]
            _recurrent_grad(w_hh_t, nxt[:H4], hh_scale, scaled, rec)
            dh += rec
        dc *= dh
        if not cut[t]:
            np.multiply(f[t + 1], nxt[H4:H5], out=carry)  # the carousel: f_{t+1} ⊙ dc_{t+1}
            dc += carry
        np.multiply(dz[:H], dh, out=dz[:H])
        dz_ifg = dz[H:].reshape(3, H, B)
        np.multiply(dz_ifg, dc, out=dz_ifg)


def _recurrent_grad(w_hh_t: np.ndarray, dz_next: np.ndarray, hh_scale, scaled, out: np.ndarray) -> None:
    """out = W_hhᵀ dz_{t+1} (H, B), the gradient reaching h_t through the next step's pre-activations; shared by the
    LSTM's and the RNN's BPTT loops. With ``hh_scale`` (rows, B) sequence b's weights are diag(hh_scale[:, b]) W_hh,
    so its term is W_hhᵀ (hh_scale[:, b] ⊙ dz); ``scaled`` is a (rows, B) scratch buffer for that product."""
    if hh_scale is None:
        np.dot(w_hh_t, dz_next, out=out)
    else:
        np.multiply(dz_next, hh_scale, out=scaled)
        np.dot(w_hh_t, scaled, out=out)


def _augmented(w_hh: np.ndarray, w_ih: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """[W_hh | W_ih | b] (rows, H+D+1): one matmul with a slab [h_{t−1}; x_t; 1] gives every pre-activation."""
    return np.concatenate([w_hh, w_ih, bias[:, None]], axis=1)


def _weight_grads(dz: np.ndarray, slabs: np.ndarray, w_ih: np.ndarray, H: int, D: int, rows=None):
    """(dW_ih, dW_hh, db, dx) from dz (T, R, B), the forward slabs [h_{t−1}; x_t; 1] (T, H+D+1, B) and W_ih (R, D):

        Σ_t dz_t [h_{t−1}; x_t; 1]ᵀ = [dW_hh | dW_ih | db]     (one matmul; db from the row of ones)
        dx_t = W_ihᵀ dz_t                                      (one matmul), returned as (T, B, D)

    rows reordered by ``rows`` (internal -> PyTorch) if given. With a batch, both matmuls read one (R, T·B) copy of
    dz made in a recycled buffer (a (T, R, B) block is not one matrix over steps and sequences)."""
    T, R, B = dz.shape
    if B == 1:
        d_w = dz[:, :, 0].T @ slabs[:, :, 0]
        dx = (dz[:, :, 0] @ w_ih)[:, None, :]
    else:
        dz2 = buffers.empty((R, T, B))
        np.copyto(dz2, dz.transpose(1, 0, 2))
        dz2 = dz2.reshape(R, T * B)
        s2 = buffers.empty((T, B, slabs.shape[1]))
        np.copyto(s2, slabs.transpose(0, 2, 1))
        d_w = dz2 @ s2.reshape(T * B, -1)
        dx = (w_ih.T @ dz2).reshape(D, T, B).transpose(1, 2, 0)  # (T, B, D) view of one (D, T·B) product
    if rows is not None:
        d_w = d_w[np.argsort(rows)]
    return np.ascontiguousarray(d_w[:, H:H + D]), np.ascontiguousarray(d_w[:, :H]), d_w[:, H + D].copy(), dx


_BLOCK_BYTES = 2 * 2**20  # see _bptt


def _bptt(F: np.ndarray, dhl: np.ndarray, w_hh_t: np.ndarray, cut, hh_scale: np.ndarray | None = None) -> np.ndarray:
    """BPTT over the first T = len(cut) steps of forward buffer F: returns E (T, 6H, B) (module docstring).

    dhl (T, H, B) or (T, H, 1): the loss's direct ∂L/∂h_t in column layout; F's batch is B, or 1 (one trace, many
    losses: explore.length_sweep). A batch of 1 broadcasts."""
    T, H, B = len(cut), w_hh_t.shape[0], max(F.shape[2], dhl.shape[2])
    E = buffers.empty((T, 6 * H, B))
    shared = None  # one trace, many losses: the local factors once, for batch 1
    if F.shape[2] != B:
        shared = np.empty((T, 5 * H, F.shape[2]))
        _local_derivatives(F, shared, H, slice(0, T))
    f = F[:T, 2 * H:3 * H]
    # Blocks of steps, from the end, small enough that a block's rows of F and E stay in cache from the vectorised
    # local factors through the step loop (measured at T=200, B=32, H=32: local factors 3.6 -> 3.2 ms).
    per_step = (F.shape[1] + 6 * H) * B * 8
    n = max(1, _BLOCK_BYTES // per_step)
    for stop in range(T, 0, -n):
        block = slice(max(0, stop - n), stop)
        if shared is None:
            _local_derivatives(F, E, H, block)
        else:
            E[block, :5 * H] = shared[block]
        E[block, 5 * H:] = dhl[block]
        _backward_steps(E, f, w_hh_t, cut, hh_scale, block)
    return E


def _cols(a: np.ndarray, batched: bool) -> np.ndarray:
    """A (T, rows, B) column block as the public (T, B, rows) view, or (T, rows) for a single sequence."""
    v = a.transpose(0, 2, 1)
    return v if batched else v[:, 0]


def _state(a: np.ndarray, batched: bool) -> np.ndarray:
    """A (rows, B) column block as the public (B, rows) view, or (rows,) for a single sequence."""
    return a.T if batched else a[:, 0]


def _forward_arguments(params, params_type: type, x, **states):
    """Checked arguments of a forward pass (lstm_forward, rnn_forward): x as given (T, D) | (T, B, D), x as
    (T, B, D), and each initial state (None = zeros) as (B, H)."""
    if not isinstance(params, params_type):
        raise ValueError(f"params: got {type(params).__name__}, needs {params_type.__name__}")
    H = params.hidden_size
    x = check_sequence(x, params.input_size)
    batched = x.ndim == 3
    xb = x if batched else x[:, None, :]
    lead = xb.shape[1:2] if batched else ()
    return x, xb, [check_state(v, name, lead, H).reshape(xb.shape[1], H) for name, v in states.items()]


def _backward_arguments(params, params_type: type, trace, trace_type: type, forward: str, dh) -> np.ndarray:
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


def lstm_forward(params: LSTMParams, x, h0=None, c0=None) -> LSTMTrace:
    """Run the LSTM over ``x`` (T, D) or (T, B, D) from (h0, c0) (None = zeros) and record every step.

    Returns an LSTMTrace of read-only arrays; see the module docstring for the equations.
    """
    x, xb, (h_init, c_init) = _forward_arguments(params, LSTMParams, x, h0=h0, c0=c0)
    H, D = params.hidden_size, params.input_size
    T, B, _ = xb.shape

    _, w_ih, w_hh, bias = _internal_weights(params)
    w = _augmented(w_hh, w_ih, bias) * _sigmoid_signs(H)  # [W_hh | W_ih | b], sigmoid rows negated
    F = _forward_buffer(T, B, H, D)
    F[0, 4 * H:5 * H] = c_init.T
    F[0, 5 * H:6 * H] = h_init.T
    F[:T, 6 * H:6 * H + D] = xb.transpose(0, 2, 1)
    _forward_steps(F, w, H)
    freeze(F)
    xs = x.copy()
    freeze(xs)
    return _trace_of(F, xs, H)


def _trace_of(F: np.ndarray, x: np.ndarray, H: int) -> LSTMTrace:
    """The LSTMTrace whose fields are views of forward buffer F, keeping F (see _Trace)."""
    batched = x.ndim == 3
    T = F.shape[0] - 1

    def rows(lo: int, hi: int, steps: slice = slice(0, T)) -> np.ndarray:
        return _cols(F[steps, lo * H:hi * H], batched)

    return _keep_columns(LSTMTrace(
        x=x,
        h0=_state(F[0, 5 * H:6 * H], batched),
        c0=_state(F[0, 4 * H:5 * H], batched),
        o=rows(0, 1), i=rows(1, 2), f=rows(2, 3), g=rows(3, 4),
        c=rows(4, 5, slice(1, T + 1)),
        h=rows(5, 6, slice(1, T + 1)),
    ), F)


def _forward_columns(trace: LSTMTrace) -> np.ndarray:
    """The forward buffer F behind ``trace``: the one lstm_forward made, or, for a trace it did not make (built by
    hand, changed with dataclasses.replace, unpickled: none of these carries ``_columns``), a new one filled from the
    trace's fields."""
    F = getattr(trace, "_columns", None)
    if F is not None:
        return F
    batched = trace.batched
    T, H, D = trace.T, trace.hidden_size, trace.x.shape[-1]
    col = lambda a: _batched(a, batched).transpose(0, 2, 1)  # noqa: E731  (T, H, B)
    B = col(trace.h).shape[2]
    F = _forward_buffer(T, B, H, D)
    for k, gate in enumerate((trace.o, trace.i, trace.f, trace.g)):
        F[:T, k * H:(k + 1) * H] = col(gate)
    F[0, 4 * H:5 * H] = _batched(trace.c0, batched).T
    F[0, 5 * H:6 * H] = _batched(trace.h0, batched).T
    F[1:, 4 * H:5 * H] = col(trace.c)
    F[1:, 5 * H:6 * H] = col(trace.h)
    F[:T, 6 * H:6 * H + D] = col(trace.x)
    return F


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
    dh_loss = _backward_arguments(params, LSTMParams, trace, LSTMTrace, "lstm_forward", dh)
    H, D = params.hidden_size, params.input_size
    batched = trace.batched
    T = trace.T
    F = _forward_columns(trace)
    rows, w_ih, w_hh, _ = _internal_weights(params)
    w_hh_t = np.ascontiguousarray(w_hh.T)
    E = _bptt(F, _batched(dh_loss, batched).transpose(0, 2, 1), w_hh_t, _cuts(T, truncate))

    dz = E[:, :4 * H]  # (T, 4H, B)
    d_w_ih, d_w_hh, d_b, dx = _weight_grads(dz, F[:T, 5 * H:], w_ih, H, D, rows)
    grads_params = LSTMParams(weight_ih=d_w_ih, weight_hh=d_w_hh, bias_ih=d_b, bias_hh=d_b)
    dh0 = np.dot(w_hh_t, dz[0])  # (H, B)
    dc0 = F[0, 2 * H:3 * H] * E[0, 4 * H:5 * H]
    freeze(E, dx, dh0, dc0)

    def rows_of(lo: int, hi: int) -> np.ndarray:
        return _cols(E[:, lo * H:hi * H], batched)

    return LSTMGrads(
        dh=rows_of(5, 6),
        dc=rows_of(4, 5),
        dz_o=rows_of(0, 1), dz_i=rows_of(1, 2), dz_f=rows_of(2, 3), dz_g=rows_of(3, 4),
        dx=_unbatch(dx, batched),
        dh0=_state(dh0, batched),
        dc0=_state(dc0, batched),
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
    return {gate: z[..., gate_rows(H, gate)] for gate in GATES}
