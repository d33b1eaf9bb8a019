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


def backward_latex(trace, grads, dh_direct: np.ndarray, step: int, unit: int) -> str:
    """One aligned block of BPTT at step ``step`` for unit ``unit``: where ∂L/∂h_t and ∂L/∂c_t come from (the loss
    directly, the next step through W_hh, and the carousel f_{t+1}·∂L/∂c_{t+1}), then the gate gradients."""
    t, k, T = step, unit, step + 1
    last = t == trace.T - 1
    tanh_c = np.tanh(trace.c[t, k])
    c_prev = trace.c0[k] if t == 0 else trace.c[t - 1, k]
    dh, dc = float(grads.dh[t, k]), float(grads.dc[t, k])
    carry = "0" if last else rf"{num(trace.f[t + 1, k])}\cdot{_paren(grads.dc[t + 1, k], True)}"
    rows = [
        rf"\tfrac{{\partial L}}{{\partial h_{{{T}}}}} &= \underbrace{{{num(dh_direct[t, k], True)}}}_{{\text{{loss}}}}"
        rf" + \underbrace{{{num(dh - dh_direct[t, k], True)}}}_{{W_{{hh}}^\top dz_{{{T + 1}}}}} = {num(dh, True)}",
        rf"\tfrac{{\partial L}}{{\partial c_{{{T}}}}} &= \tfrac{{\partial L}}{{\partial h_{{{T}}}}}\,o_{{{T}}}"
        rf"(1-\tanh^2 c_{{{T}}}) + f_{{{T + 1}}}\tfrac{{\partial L}}{{\partial c_{{{T + 1}}}}}",
        rf"&= {_paren(dh, True)}\cdot{num(trace.o[t, k])}\cdot{num(1 - tanh_c**2)} + {carry} = {num(dc, True)}",
        rf"dz_f &= \tfrac{{\partial L}}{{\partial c_{{{T}}}}}\,c_{{{T - 1}}}\,f(1-f) = {num(grads.dz_f[t, k], True)}"
        rf"\quad (c_{{{T - 1}}} = {num(c_prev)})",
        rf"dz_i &= {num(grads.dz_i[t, k], True)} \qquad dz_g = {num(grads.dz_g[t, k], True)}"
        rf"\qquad dz_o = {num(grads.dz_o[t, k], True)}",
    ]
    return _aligned(rows)
