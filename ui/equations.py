"""The LSTM equations as LaTeX with the live numbers of one unit at one step substituted (string formatting only)."""

from __future__ import annotations

import numpy as np


def num(v: float, sci: bool = False) -> str:
    """A number for LaTeX: 4 significant digits, scientific notation for gradients or very small/large values."""
    v = float(v)
    if v == 0:
        return "0"
    if not np.isfinite(v):  # unreachable with validated inputs (|values| ≤ 1e6), but never a traceback
        return r"\infty" if v > 0 else (r"-\infty" if v < 0 else r"\text{NaN}")
    if sci or not 1e-3 <= abs(v) < 1e4:
        mant, exp = f"{v:.3e}".split("e")
        return rf"{mant}\times 10^{{{int(exp)}}}"
    return f"{v:.4g}"


def _paren(v: float, sci: bool = False) -> str:
    return f"({num(v, sci)})" if v < 0 or sci else num(v, sci)


def _aligned(rows: list[str]) -> str:
    return r"\begin{aligned}" + r" \\[2pt] ".join(rows) + r"\end{aligned}"


def forward_latex(trace, z: dict, step: int, unit: int) -> str:
    """One aligned block for step ``step`` (0-based) of unit ``unit``: the gates from their pre-activations, then
    c_t and h_t with every factor written out, so each number on the diagram can be traced."""
    t, k, T = step, unit, step + 1
    c_prev = trace.c0[k] if t == 0 else trace.c[t - 1, k]
    i, f, g, o, c, h = (float(getattr(trace, q)[t, k]) for q in "ifgoch")
    return _aligned([
        rf"i_{{{T}}} &= \sigma(z_i) = \sigma({num(z['i'][t, k])}) = {num(i)}",
        rf"f_{{{T}}} &= \sigma(z_f) = \sigma({num(z['f'][t, k])}) = {num(f)}" if "f" in z else
        rf"f_{{{T}}} &\equiv 1 \quad \text{{(no forget gate: the 1997 LSTM)}}",
        rf"g_{{{T}}} &= \tanh(z_g) = \tanh({num(z['g'][t, k])}) = {num(g)}",
        rf"o_{{{T}}} &= \sigma(z_o) = \sigma({num(z['o'][t, k])}) = {num(o)}",
        rf"c_{{{T}}} &= f_{{{T}}}\,c_{{{T - 1}}} + i_{{{T}}}\,g_{{{T}}}",
        rf"&= {num(f)}\cdot{_paren(c_prev)} + {num(i)}\cdot{_paren(g)} = {num(c)}",
        rf"h_{{{T}}} &= o_{{{T}}}\tanh(c_{{{T}}}) = {num(o)}\cdot\tanh({num(c)}) = {num(h)}",
    ])


def backward_latex(trace, grads, dh_direct: np.ndarray, step: int, unit: int, direct: str = "loss") -> str:
    """One aligned block of BPTT at step ``step`` for unit ``unit``: where ∂L/∂h_t and ∂L/∂c_t come from (the loss
    directly, the next step through W_hh, and the carousel f_{t+1}·∂L/∂c_{t+1}), then the gate gradients."""
    t, k, T = step, unit, step + 1
    last = t == trace.T - 1
    tanh_c = np.tanh(trace.c[t, k])
    c_prev = trace.c0[k] if t == 0 else trace.c[t - 1, k]
    dh, dc = float(grads.dh[t, k]), float(grads.dc[t, k])
    carry = "0" if last else rf"{num(trace.f[t + 1, k])}\cdot{_paren(grads.dc[t + 1, k], True)}"
    rows = [
        _dh_row(T, float(dh_direct[t, k]), dh, direct, r"W_{hh}^\top dz_" + f"{{{T + 1}}}"),
        rf"\tfrac{{\partial L}}{{\partial c_{{{T}}}}} &= \tfrac{{\partial L}}{{\partial h_{{{T}}}}}\,o_{{{T}}}"
        rf"(1-\tanh^2 c_{{{T}}}) + f_{{{T + 1}}}\tfrac{{\partial L}}{{\partial c_{{{T + 1}}}}}",
        rf"&= {_paren(dh, True)}\cdot{num(trace.o[t, k])}\cdot{num(1 - tanh_c**2)} + {carry} = {num(dc, True)}",
        rf"dz_f &= \tfrac{{\partial L}}{{\partial c_{{{T}}}}}\,c_{{{T - 1}}}\,f(1-f) = {num(grads.dz_f[t, k], True)}"
        rf"\quad (c_{{{T - 1}}} = {num(c_prev)})",
        rf"dz_i &= {num(grads.dz_i[t, k], True)} \qquad dz_g = {num(grads.dz_g[t, k], True)}"
        rf"\qquad dz_o = {num(grads.dz_o[t, k], True)}",
    ]
    return _aligned(rows)


def _dh_row(T: int, direct_value: float, total: float, direct: str, recurrent: str) -> str:
    """∂L/∂h_t = (what reaches h_t from outside its recurrence: the loss, or the layer above) + (from step t+1)."""
    return (rf"\tfrac{{\partial L}}{{\partial h_{{{T}}}}} &= \underbrace{{{num(direct_value, True)}}}_{{\text{{{direct}}}}}"
            rf" + \underbrace{{{num(total - direct_value, True)}}}_{{{recurrent}}} = {num(total, True)}")


def gru_forward_latex(trace, a: dict, step: int, unit: int) -> str:
    """The GRU's equations (torch.nn.GRU's) at step ``step`` (0-based) for unit ``unit``, every number substituted:
    r and z from their pre-activations, n from W_in x_t + b_in plus r times its recurrent part, then h_t."""
    t, k, T = step, unit, step + 1
    r, z, n, h, hn = (float(getattr(trace, q)[t, k]) for q in ("r", "z", "n", "h", "hn"))
    h_prev = float(trace.h0[k] if t == 0 else trace.h[t - 1, k])
    a_in = float(a["n"][t, k]) - r * hn  # W_in x_t + b_in
    return _aligned([
        rf"r_{{{T}}} &= \sigma(z_r) = \sigma({num(a['r'][t, k])}) = {num(r)}",
        rf"z_{{{T}}} &= \sigma(z_z) = \sigma({num(a['z'][t, k])}) = {num(z)}",
        rf"n_{{{T}}} &= \tanh\big(W_{{in}}x_{{{T}}} + b_{{in}} + r_{{{T}}}\,(W_{{hn}}h_{{{T - 1}}} + b_{{hn}})\big)",
        rf"&= \tanh\big({num(a_in)} + {num(r)}\cdot{_paren(hn)}\big)",
        rf"&= \tanh({num(a['n'][t, k])}) = {num(n)}",
        rf"h_{{{T}}} &= (1 - z_{{{T}}})\,n_{{{T}}} + z_{{{T}}}\,h_{{{T - 1}}}",
        rf"&= {num(1 - z)}\cdot{_paren(n)} + {num(z)}\cdot{_paren(h_prev)} = {num(h)}",
    ])


def gru_backward_latex(trace, grads, dh_direct: np.ndarray, step: int, unit: int, direct: str = "loss") -> str:
    """BPTT of the GRU at step ``step`` for unit ``unit``: where ∂L/∂h_t comes from, the direct path z_{t+1} ⊙
    ∂L/∂h_{t+1} that skips the gates (the GRU's counterpart of the LSTM's carousel), and the gate gradients."""
    t, k, T = step, unit, step + 1
    last = t == trace.T - 1
    dh = float(grads.dh[t, k])
    carry = "0" if last else rf"{num(trace.z[t + 1, k])}\cdot{_paren(grads.dh[t + 1, k], True)}"
    carry_value = 0.0 if last else float(trace.z[t + 1, k] * grads.dh[t + 1, k])
    return _aligned([
        _dh_row(T, float(dh_direct[t, k]), dh, direct, r"\text{step } " + str(T + 1)),
        rf"\text{{direct path}} &= z_{{{T + 1}}}\tfrac{{\partial L}}{{\partial h_{{{T + 1}}}}} = {carry}"
        + ("" if last else rf" = {num(carry_value, True)}"),
        rf"dz_r &= {num(grads.dz_r[t, k], True)} \qquad dz_z = {num(grads.dz_z[t, k], True)}"
        rf"\qquad dz_n = {num(grads.dz_n[t, k], True)}",
    ])


def rnn_forward_latex(trace, z: np.ndarray, step: int, unit: int) -> str:
    """The tanh RNN's one equation at step ``step`` for unit ``unit``: h_t = tanh(W_ih x_t + b_ih + W_hh h_{t−1} +
    b_hh), with its pre-activation ``z`` (T, H) (lstm_core.rnn.rnn_preactivations)."""
    t, k, T = step, unit, step + 1
    z = float(z[t, k])
    return _aligned([
        rf"h_{{{T}}} &= \tanh(W_{{ih}}x_{{{T}}} + b_{{ih}} + W_{{hh}}h_{{{T - 1}}} + b_{{hh}})",
        rf"&= \tanh({num(z)}) = {num(trace.h[t, k])}",
    ])


def rnn_backward_latex(trace, grads, dh_direct: np.ndarray, step: int, unit: int, direct: str = "loss") -> str:
    """BPTT of the tanh RNN at step ``step`` for unit ``unit``: ∂L/∂h_t from the loss and from step t+1 (through
    W_hhᵀ diag(1 − h²) only: no gate protects it)."""
    t, T = step, step + 1
    return _aligned([_dh_row(T, float(dh_direct[t, unit]), float(grads.dh[t, unit]), direct,
                             r"W_{hh}^\top \mathrm{diag}(1-h^2_" + f"{{{T + 1}}})" + r"\,dh_" + f"{{{T + 1}}}")])
