"""The LSTM equations as LaTeX with the live numbers of one unit at one step substituted (string formatting only)."""

from __future__ import annotations

import numpy as np


def num(v: float, sci: bool = False) -> str:
    """A number for LaTeX: 4 significant digits, scientific notation for gradients or very small/large values."""
    v = float(v)
    if v == 0:
        return "0"
    if sci or not 1e-3 <= abs(v) < 1e4:
        mant, exp = f"{v:.3e}".split("e")
        return rf"{mant}\times 10^{{{int(exp)}}}"
    return f"{v:.4g}"


def forward_latex(trace, z: dict, step: int, unit: int) -> list[str]:
    """Lines for step ``step`` (0-based) of unit ``unit``: the gates from their pre-activations, then c_t and h_t."""
    t, k = step, unit
    c_prev = trace.c0[k] if t == 0 else trace.c[t - 1, k]
    T = t + 1
    return [
        rf"i_{{{T}}} = \sigma(z_i) = \sigma({num(z['i'][t, k])}) = {num(trace.i[t, k])}"
        rf"\qquad f_{{{T}}} = \sigma(z_f) = \sigma({num(z['f'][t, k])}) = {num(trace.f[t, k])}",
        rf"g_{{{T}}} = \tanh(z_g) = \tanh({num(z['g'][t, k])}) = {num(trace.g[t, k])}"
        rf"\qquad o_{{{T}}} = \sigma(z_o) = \sigma({num(z['o'][t, k])}) = {num(trace.o[t, k])}",
        rf"c_{{{T}}} = f_{{{T}}}\,c_{{{T - 1}}} + i_{{{T}}}\,g_{{{T}}} = {num(trace.f[t, k])}\cdot({num(c_prev)})"
        rf" + {num(trace.i[t, k])}\cdot({num(trace.g[t, k])}) = {num(trace.c[t, k])}",
        rf"h_{{{T}}} = o_{{{T}}}\tanh(c_{{{T}}}) = {num(trace.o[t, k])}\cdot\tanh({num(trace.c[t, k])})"
        rf" = {num(trace.h[t, k])}",
    ]


def backward_latex(trace, grads, dh_direct: np.ndarray, step: int, unit: int) -> list[str]:
    """Lines of BPTT at step ``step`` for unit ``unit``: where dL/dc_t comes from, and the gate gradients."""
    t, k = step, unit
    T = t + 1
    last = t == trace.T - 1
    tanh_c = np.tanh(trace.c[t, k])
    c_prev = trace.c0[k] if t == 0 else trace.c[t - 1, k]
    carry = "0" if last else rf"{num(trace.f[t + 1, k])}\cdot({num(grads.dc[t + 1, k], True)})"
    from_h = num(grads.dh[t, k] - dh_direct[t, k], True)
    return [
        rf"\frac{{\partial L}}{{\partial h_{{{T}}}}} = \underbrace{{{num(dh_direct[t, k], True)}}}_{{\text{{direct}}}}"
        rf" + \underbrace{{{from_h}}}_{{W_{{hh}}^\top dz_{{{T + 1}}}}} = {num(grads.dh[t, k], True)}",
        rf"\frac{{\partial L}}{{\partial c_{{{T}}}}} = \frac{{\partial L}}{{\partial h_{{{T}}}}}\,o_{{{T}}}"
        rf"(1-\tanh^2 c_{{{T}}}) + f_{{{T + 1}}}\frac{{\partial L}}{{\partial c_{{{T + 1}}}}}"
        rf" = ({num(grads.dh[t, k], True)})\cdot{num(trace.o[t, k])}\cdot{num(1 - tanh_c**2)} + {carry}"
        rf" = {num(grads.dc[t, k], True)}",
        rf"dz_f = \frac{{\partial L}}{{\partial c_{{{T}}}}}\,c_{{{T - 1}}}\,f(1-f) = {num(grads.dc[t, k], True)}"
        rf"\cdot({num(c_prev)})\cdot{num(trace.f[t, k] * (1 - trace.f[t, k]))} = {num(grads.dz_f[t, k], True)}",
        rf"dz_i = {num(grads.dz_i[t, k], True)}\quad dz_g = {num(grads.dz_g[t, k], True)}"
        rf"\quad dz_o = {num(grads.dz_o[t, k], True)}",
    ]
