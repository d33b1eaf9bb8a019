"""Weights and inputs: matrix heatmaps (one matrix, or the four gate blocks side by side) and the input sequence.

Pure functions to plotly Figures; no Streamlit. Rows and columns are labelled 1-based (unit 1 … H, input 1 … D),
matrix convention: row 1 at the top. Steps are drawn at t = 1 … T; a 0-based ``step`` is drawn at t = step + 1.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lstm_core.params import GATE_NAMES, GATES, block_symbol

from .style import (
    COLORS, DIVERGING, FONT_SIZE, LABELS, SEQUENTIAL, axis_key, axis_ref, figure, house_layout, html_symbol, merge,
    step_shapes, subplot_layout,
)
from .timeline import check_step

TEXT_MAX_CELLS = 8  # cell values are printed when both sides are at most this (weight_heatmap)
GATE_TEXT_MAX = 5  # … and at most this in the four narrower panels of gate_weight_heatmaps
MAX_CHANNELS = 64
_WHICH = {  # which -> (x label, y label); the symbols are PyTorch's (lstm_core.params.block_symbol)
    "weight_ih": ("from input x<sub>t</sub>", "to unit"),
    "weight_hh": ("from unit of h<sub>t−1</sub>", "to unit"),
    "bias_ih": ("", "unit"),
    "bias_hh": ("", "unit"),
}
# Qualitative, colour-blind-safe colours for input channels (distinct from the gate colours where possible).
_CHANNEL_COLORS = ("#333333", "#882255", "#44AA99", "#DDCC77", "#117733", "#AA4499", "#88CCEE", "#999933")


def _matrix(value, name: str) -> np.ndarray:
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: could not be read as a numeric array") from None
    if a.ndim == 1:
        a = a[:, None]  # a bias (n,) as one column, so its rows line up with the matrix rows (units)
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"{name}: got shape {a.shape}, needs a non-empty 1-D or 2-D array")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: contains NaN or infinite values, needs finite numbers")
    return a


def _limit(*arrays: np.ndarray) -> float:
    m = max(float(np.max(np.abs(a))) for a in arrays)
    return m if m > 0 else 1.0


def weight_heatmap(matrix: np.ndarray, *, title: str, x_label: str, y_label: str, symmetric: bool = True) -> go.Figure:
    """One matrix as a heatmap, row 1 at the top, ticks 1-based.

    matrix: (rows, cols), or 1-D (n,) shown as a single column (a bias: one value per unit).
    symmetric: diverging colours with a range symmetric around 0 (white = 0); False: sequential colours over the
    data's own min … max. Values are printed in the cells (2 decimals) when the matrix is at most 16 × 16; hover
    always shows the exact value (4 significant digits).
    """
    a = _matrix(matrix, "matrix")
    rows, cols = a.shape
    if symmetric:
        m = _limit(a)
        scale = dict(colorscale=DIVERGING, zmin=-m, zmax=m, zmid=0.0)
    else:
        lo, hi = float(a.min()), float(a.max())
        scale = dict(colorscale=SEQUENTIAL, zmin=lo, zmax=hi if hi > lo else lo + 1.0)
    text = rows <= TEXT_MAX_CELLS and cols <= TEXT_MAX_CELLS
    xl, yl = x_label or "column", y_label or "row"
    bias = cols == 1  # a bias: a narrow strip with its colourbar beside it, not a full-width bar
    data = [dict(
        type="heatmap", z=a, x=np.arange(1, cols + 1), y=np.arange(1, rows + 1), name=title, **scale,
        xgap=1 if text else 0, ygap=1 if text else 0,
        texttemplate="%{z:.2f}" if text else None, textfont=dict(size=FONT_SIZE - 2),
        colorbar=dict(thickness=16, outlinewidth=0, tickfont=dict(size=FONT_SIZE - 2), **({"x": 0.32} if bias else {})),
        hovertemplate=f"{yl} %{{y}}<br>{xl} %{{x}}<br>value %{{z:.4g}}<extra></extra>",
    )]
    return figure(data, house_layout(
        title=title, height=int(np.clip(28 * rows + 130, 260, 720)),
        yaxis=dict(title=dict(text=y_label), autorange="reversed", showgrid=False, zeroline=False,
                   **({"dtick": 1} if rows <= 20 else {})),
        xaxis=dict(title=dict(text=x_label), showgrid=False, zeroline=False, side="bottom",
                   **({"dtick": 1} if cols <= 20 else {}),
                   **({"showticklabels": False, "domain": [0, 0.3]} if bias else {})),
    ))


def gate_weight_heatmaps(params, which: str = "weight_hh") -> go.Figure:
    """The four gate blocks of an LSTM weight array side by side, one shared colour range, titled with PyTorch's
    symbols: W_ii, W_if, W_ig, W_io for weight_ih; W_hi, W_hf, W_hg, W_ho for weight_hh (b_… for the biases).

    params: LSTMParams; which: 'weight_hh' (blocks (H, H)), 'weight_ih' ((H, D)), or 'bias_ih' / 'bias_hh' ((H,),
    shown as one column each). Diverging colours symmetric around 0 over all four blocks, one colourbar; trace names
    'i', 'f', 'g', 'o'. Cell values printed when a block is at most 8 × 8.
    """
    if which not in _WHICH:
        raise ValueError(f"which: got {which!r}, needs one of {tuple(_WHICH)}")
    if not hasattr(params, "gate_block") or not hasattr(params, which):
        raise ValueError(f"params: got {type(params).__name__}, needs LSTMParams (with four gate blocks)")
    blocks = {k: _matrix(params.gate_block(which, k), f"params.{which}[{k}]") for k in GATES}
    rows, cols = blocks["i"].shape
    m = _limit(*blocks.values())
    x_label, y_label = _WHICH[which]
    text = rows <= GATE_TEXT_MAX and cols <= GATE_TEXT_MAX
    spec = subplot_layout(
        1, 4, shared_yaxes=True, horizontal_spacing=0.03,
        subplot_titles=[f"{html_symbol(block_symbol(which, k))}: {GATE_NAMES[k]} {k}" for k in GATES],
    )
    # gate titles (one per panel, in gate order) in the gate's colour
    spec["annotations"] = [merge(ann, dict(font=dict(size=FONT_SIZE, color=COLORS[k])))
                           for ann, k in zip(spec["annotations"], GATES)]
    data = []
    for c, k in enumerate(GATES, start=1):
        data.append(dict(
            type="heatmap", z=blocks[k], x=np.arange(1, cols + 1), y=np.arange(1, rows + 1), name=k,
            colorscale=DIVERGING, zmin=-m, zmax=m, zmid=0.0, showscale=c == 4,
            xgap=1 if text else 0, ygap=1 if text else 0,
            texttemplate="%{z:.2f}" if text else None, textfont=dict(size=FONT_SIZE - 3),
            colorbar=dict(thickness=16, outlinewidth=0, x=1.01, tickfont=dict(size=FONT_SIZE - 2)),
            hovertemplate=(f"{block_symbol(which, k)} ({GATE_NAMES[k]})<br>{y_label} %{{y}}"
                           + (f"<br>{x_label} %{{x}}" if x_label else "") + "<br>value %{z:.4g}<extra></extra>"),
            xaxis=axis_ref("x", c), yaxis=axis_ref("y", c),
        ))
        spec[axis_key("x", c)].update(
            showgrid=False, zeroline=False, **({"title": dict(text=x_label)} if c == 1 or not x_label else {}),
            **({"dtick": 1} if cols <= 16 else {}), **({"showticklabels": False} if cols == 1 else {}),
        )
        spec[axis_key("y", c)].update(autorange="reversed", showgrid=False, zeroline=False,
                                      **({"dtick": 1} if rows <= 20 else {}))
    spec["yaxis"]["title"] = dict(text=y_label)
    return figure(data, merge(spec, house_layout(height=int(np.clip(22 * rows + 160, 300, 720))),
                              dict(margin=dict(l=70, r=70, t=50, b=60))))


def input_lines(x: np.ndarray, step: int | None = None) -> go.Figure:
    """The input sequence channel by channel over steps t = 1 … T: one line per channel (at most 64).

    x: (T, D) one sequence. step: 0-based selected step, drawn at t = step + 1.
    Channels are named "x · input 1" … "x · input D" (1-based, like the weight heatmaps' columns).
    """
    a = _matrix(x, "x") if np.ndim(x) == 2 else None
    if a is None:
        raise ValueError(f"x: got shape {np.shape(x)}, needs (T, D): one sequence (slice a batch first)")
    T, D = a.shape
    if D > MAX_CHANNELS:
        raise ValueError(f"x: got D = {D} channels, needs at most {MAX_CHANNELS}")
    step = check_step(step, T)
    t = np.arange(1, T + 1)
    mode = "lines+markers" if T <= 40 else "lines"
    data = []
    for d in range(D):
        color = _CHANNEL_COLORS[d % len(_CHANNEL_COLORS)]
        data.append(dict(
            type="scatter", x=t, y=a[:, d], name=f"x · input {d + 1}", mode=mode,
            line=dict(color=color, width=2.5 if D <= 8 else 1.5), marker=dict(size=5),
            showlegend=D <= 16,
            hovertemplate=f"t = %{{x}}<br>input {d + 1}: %{{y:.4g}}<extra></extra>",
        ))
    return figure(data, house_layout(
        height=340,
        xaxis=dict(title=dict(text="step t"),  # no step number in text: cached figures only move the marker
                   **({"dtick": 1} if T <= 20 else {}),
                   **({"range": [0.5, T + 0.5]} if T <= 40 else {})),  # markers shown: keep the axis on the steps
        yaxis=dict(title=dict(text=LABELS["x"])),
        **({"shapes": step_shapes(step + 1, above=False)} if step is not None else {}),
    ))
