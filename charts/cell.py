"""The LSTM cell diagram with live values at step t (the showpiece), and the per-unit bar chart beside it.

``cell_diagram`` draws one unit of the cell in the classic (Colah-style) layout:

    c_{t−1} ───────×──────────────+────────────┬─────────┼──── c_t     cell state: the "conveyor belt"
                   │              │           tanh       │ h_t (output, up)
                   │       ┌──────×            │         │
                   │       │      │      ┌─────×─────────┴──── h_t   (to step t+1)
                 [σ f]   [σ i] [tanh g] [σ o]
    h_{t−1} ───┬───┴───────┴──────┴──────┘                         [h_{t−1}, x_t] feed every gate
              x_t

Every node is coloured by its live value on a fixed scale (gates on Viridis over [0, 1], signed values on
RdBu_r over [−1, 1], clipped beyond), every edge is as thick as the quantity it carries, and hovering a node
shows the exact float. ``mode="backward"`` shows the BPTT gradients on the same drawing (dL/dc_t on the belt,
dL/dh_t on h, dL/dz on the gate boxes) on a signed log scale, with the arrows reversed.

Animation is client-side: one plotly frame per step (or an even subsample of at most ``max_frames`` steps that
always keeps the first, the last and the requested step), a Play/Pause button and a slider labelled with t.
Everything that changes is trace data (no layout shapes in frames), so frames play with ``redraw=False``.
"""

from __future__ import annotations

import bisect
import math
from functools import lru_cache

import numpy as np
import plotly.graph_objects as go
from _plotly_utils.utils import to_typed_array_spec  # what Figure.to_dict() does to a numpy array
from plotly.colors import get_colorscale, hex_to_rgb, unlabel_rgb

from lstm_core.params import GATE_NAMES, GATES

from .style import (
    COLORS, DIVERGING, FONT_SIZE, SEQUENTIAL, axis_key, axis_ref, figure, house_layout, merge, subplot_layout,
)

FRAME_MS = 80  # duration of one animation frame
# At most this many animation frames (longer sequences: an even subsample). The frames are most of the figure: at
# T = 2000, 400 frames took ~0.5 s to build and cache on the server (the cell page's largest first-load cost) and
# 1.07 MB of JSON sent at every rerun; 200 take half of both, and Play crosses T = 2000 in 16 s, 10 steps a frame.
MAX_FRAMES = 200
DECADES = 6  # the backward colour scale spans this many powers of ten below its top
HEIGHT = 460

# ---- geometry (data coordinates; fixed axis ranges) -------------------------------------------------------------

X_RANGE = (-0.1, 14.1)
Y_RANGE = (-0.75, 6.6)
BELT_Y = 5.3  # the cell-state line
GATE_Y = 2.2  # the row of gate boxes
BUS_Y = 0.75  # [h_{t−1}, x_t] bus
H_Y = 3.2  # the h_t line
IG_Y = 3.85  # the i ⊙ g product
TANH_Y = 4.35
LEFT, RIGHT = 0.45, 13.55  # where c_{t−1}/h_{t−1} enter and c_t/h_t leave
GATE_X = {"f": 2.8, "i": 4.75, "g": 6.7, "o": 8.65}
JOIN_X = 2.0  # where x_t joins the bus
OUT_X = 10.2  # the tanh(c_t) / h_t column
FORK_X = 12.3  # where h_t splits: right to the next step, up as the output
X_IN_Y = -0.45
CELL_BOX = (1.45, 0.15, 12.85, 6.1)  # x0, y0, x1, y1 of the cell outline (a static layout shape)

GATE_FUNC = {"i": "σ", "f": "σ", "g": "tanh", "o": "σ"}

# Compact layout (a phone, ~280 px of plot for 14 data units): nodes at this share of their size, gate boxes print
# their own value (forward) instead of σ / tanh, and only these labels keep their text (short forms, small font):
# every value stays in the hover, in the chart's text summary and in the equations under the diagram.
COMPACT_SCALE = 0.56
COMPACT_LABELS = ("belt_right", "h", "step")
GRAY = "#777777"
# The page shows through (Streamlit's light or dark theme; text takes the theme's colour): the cell outline and its
# faint fill are mid-grey, which reads on white and on the dark theme's near-black alike.
CLEAR = "rgba(0,0,0,0)"
CELL_LINE = "#999999"
CELL_FILL = "rgba(128, 128, 128, 0.10)"
# Streamlit's Plotly theme draws chart text in a fixed grey, #808495 on the light theme's white: 3.7:1 (3.3:1 on
# the cell's fill), under WCAG AA's 4.5:1 for text. On a light page the diagram's text (value labels, step, colour
# bars) takes LIGHT_TEXT instead: 9.7:1 on white, 8.7:1 on the cell's fill (tests/unit/test_chart_cell.py); on a
# dark page, the theme's near-white.
LIGHT_TEXT = "#444444"

# Nodes: key -> (x, y, marker symbol, marker size in px, text drawn inside)
NODES: dict[str, tuple[float, float, str, int, str]] = {
    "c_prev": (LEFT, BELT_Y, "circle", 18, ""),
    "forget_mul": (GATE_X["f"], BELT_Y, "circle", 36, "×"),
    "add": (GATE_X["g"], BELT_Y, "circle", 36, "+"),
    "c": (RIGHT, BELT_Y, "circle", 18, ""),
    "input_mul": (GATE_X["g"], IG_Y, "circle", 36, "×"),
    "tanh_c": (OUT_X, TANH_Y, "circle", 50, "tanh"),
    "out_mul": (OUT_X, H_Y, "circle", 36, "×"),
    "h": (RIGHT, H_Y, "circle", 18, ""),
    "h_prev": (LEFT, BUS_Y, "circle", 18, ""),
    "x": (JOIN_X, X_IN_Y, "circle", 18, ""),
    **{k: (GATE_X[k], GATE_Y, "square", 50, GATE_FUNC[k]) for k in ("f", "i", "g", "o")},
}

# Value labels: key -> (x, y, textposition). Forward and backward fill them with different quantities.
LABELS_AT: dict[str, tuple[float, float, str]] = {
    "belt_left": (LEFT - 0.25, BELT_Y + 0.45, "middle right"),
    "belt_mid": (GATE_X["f"] + 0.35, BELT_Y + 0.45, "middle right"),
    "belt_right": (RIGHT + 0.3, BELT_Y + 0.45, "middle left"),
    "input_mul": (GATE_X["g"] + 0.35, IG_Y, "middle right"),
    "tanh_c": (OUT_X + 0.5, TANH_Y, "middle right"),
    "h": (RIGHT + 0.3, H_Y - 0.42, "middle left"),
    "h_prev": (LEFT - 0.25, BUS_Y - 0.4, "middle right"),
    "x": (JOIN_X + 0.3, X_IN_Y, "middle right"),
    # under each gate box, right of its input line (beside the box they would run into the next gate)
    **{k: (GATE_X[k] + 0.1, GATE_Y - 0.8, "middle right") for k in ("f", "i", "g", "o")},
    "output": (FORK_X - 0.15, Y_RANGE[1] - 0.2, "middle right"),
    "step": (LEFT - 0.25, Y_RANGE[1] - 0.2, "middle right"),  # the step lives here, not in the title: see below
}

# Edges: key -> (colour, polylines in forward direction). The backward mode reverses every polyline.
EDGES: dict[str, tuple[str, list[list[tuple[float, float]]]]] = {
    "bus": (GRAY, [[(JOIN_X, BUS_Y), (GATE_X["o"], BUS_Y)]]
            + [[(GATE_X[k], BUS_Y), (GATE_X[k], GATE_Y)] for k in ("f", "i", "g", "o")]),
    "h_prev": (COLORS["h"], [[(LEFT, BUS_Y), (JOIN_X, BUS_Y)]]),
    "x": (COLORS["x"], [[(JOIN_X, X_IN_Y), (JOIN_X, BUS_Y)]]),
    "belt_left": (COLORS["c"], [[(LEFT, BELT_Y), (GATE_X["f"], BELT_Y)]]),
    "belt_mid": (COLORS["c"], [[(GATE_X["f"], BELT_Y), (GATE_X["g"], BELT_Y)]]),
    "belt_out": (COLORS["c"], [[(GATE_X["g"], BELT_Y), (OUT_X, BELT_Y)]]),
    "belt_right": (COLORS["c"], [[(OUT_X, BELT_Y), (RIGHT, BELT_Y)]]),
    "c_branch": (COLORS["c"], [[(OUT_X, BELT_Y), (OUT_X, TANH_Y)]]),
    "f": (COLORS["f"], [[(GATE_X["f"], GATE_Y), (GATE_X["f"], BELT_Y)]]),
    "i": (COLORS["i"], [[(GATE_X["i"], GATE_Y), (GATE_X["i"], IG_Y), (GATE_X["g"], IG_Y)]]),
    "g": (COLORS["g"], [[(GATE_X["g"], GATE_Y), (GATE_X["g"], IG_Y)]]),
    "input_mul": (COLORS["c"], [[(GATE_X["g"], IG_Y), (GATE_X["g"], BELT_Y)]]),
    "o": (COLORS["o"], [[(GATE_X["o"], GATE_Y), (GATE_X["o"], H_Y), (OUT_X, H_Y)]]),
    "tanh_c": (COLORS["h"], [[(OUT_X, TANH_Y), (OUT_X, H_Y)]]),
    "h": (COLORS["h"], [[(OUT_X, H_Y), (RIGHT, H_Y)], [(FORK_X, H_Y), (FORK_X, Y_RANGE[1] - 0.4)]]),
}


# ---- small helpers ------------------------------------------------------------------------------------------------

def _fmt(v: float) -> str:
    """Three decimals with a true minus sign: 0.982, −0.500."""
    s = f"{v:.3f}"
    return ("−" + s[1:] if s.startswith("-") else s).replace("−0.000", "0.000")


def _sci(v: float) -> str:
    """Scientific notation with a true minus sign: 3.2e−04, −1.5e+00; exact zero as 0."""
    if v == 0:
        return "0"
    return f"{v:.1e}".replace("-", "−")


def _power_of_ten(v: float) -> str:
    """10<sup>−4</sup> for 1e-4 (v is an exact power of ten)."""
    e = int(round(np.log10(v)))
    return "1" if e == 0 else "10" if e == 1 else f"10<sup>{e}</sup>".replace("-", "−")


def _vector_hover(name: str, v: np.ndarray) -> str:
    """Extra hover line with every channel exactly, for 2 ≤ D ≤ 3 (D = 1 is the value itself; larger D: norm)."""
    if not 2 <= v.size <= 3:
        return ""
    return f"<br>{name} = [" + ", ".join(_exact(a) for a in v) + "]"


def _exact(v: float) -> str:
    return repr(float(v)).replace("-", "−")


def _vector_text(name: str, v: np.ndarray, fmt) -> str:
    """name = [0.12, −0.50] for up to three channels, else ‖name‖ = its norm."""
    if v.size <= 3:
        return f"{name} = [" + ", ".join(fmt(float(a)) for a in v) + "]"
    return f"‖{name}‖ = {fmt(float(np.linalg.norm(v)))}"


def _vector_scalar(v: np.ndarray) -> float:
    """The number a vector's node is coloured by: the value itself for D = 1, else its norm."""
    return float(v[0]) if v.size == 1 else float(np.linalg.norm(v))


@lru_cache(maxsize=None)
def _lut(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A named plotly colour scale sampled at 256 levels: (fill colours '#rrggbb', readable text colours)."""
    scale = get_colorscale(name)
    pos = np.array([p for p, _ in scale], dtype=np.float64)
    rgb = np.array([hex_to_rgb(c) if c.startswith("#") else unlabel_rgb(c) for _, c in scale], dtype=np.float64)
    u = np.linspace(0.0, 1.0, 256)
    levels = np.stack([np.interp(u, pos, rgb[:, j]) for j in range(3)], axis=1)
    fills = tuple("#" + "".join(f"{int(round(a)):02x}" for a in row) for row in levels)
    # black text on light fills, white on dark ones (luma)
    texts = tuple("#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff" for r, g, b in levels)
    return fills, texts


def _color(name: str, u: float) -> tuple[str, str]:
    """(fill, text colour) at u in [0, 1] (clipped) of the named scale."""
    fills, texts = _lut(name)
    k = int(round(min(max(float(u), 0.0), 1.0) * 255))
    return fills[k], texts[k]


def _check_index(name: str, value, n: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name}: got {value!r}, needs a whole number in [0, {n - 1}]")
    if not 0 <= value < n:
        raise ValueError(f"{name}: got {value}, needs a whole number in [0, {n - 1}]")
    return int(value)


def _check_inputs(trace, step, unit, grads, mode):
    if mode not in ("forward", "backward"):
        raise ValueError(f"mode: got {mode!r}, needs 'forward' or 'backward'")
    if trace.x.ndim == 3:
        raise ValueError("trace: batched (T, B, D) traces are not drawn; pass a single sequence")
    T, H = trace.h.shape
    step = _check_index("step", step, T)
    unit = _check_index("unit", unit, H)
    if mode == "backward":
        if grads is None:
            raise ValueError("grads: mode='backward' needs grads (an LSTMGrads from lstm_backward)")
        if getattr(grads, "dh", np.empty(0)).shape != trace.h.shape:
            raise ValueError(f"grads: shapes do not match the trace's (T, H) = {trace.h.shape}")
    return step, unit


class SignedLog:
    """Gradients span many orders of magnitude: s(v) = sign(v) · clip(log10(|v| / floor) / DECADES, 0, 1).

    ``top`` is the power of ten at or above the largest |value|, floor = top · 10^−DECADES; |v| ≤ floor maps to 0.
    """

    def __init__(self, vmax: float):
        vmax = float(vmax)
        vmax = max(vmax, 1e-290) if vmax > 0 else 0.0  # keeps floor a normal float for tiny gradients
        self.top = 10.0 ** np.ceil(np.log10(vmax)) if vmax > 0 else 1.0
        self.floor = self.top * 10.0 ** -DECADES

    def __call__(self, v):
        """s(v) for a number (a float back) or an array (an array back)."""
        if isinstance(v, (float, int)):  # the per-frame hot path, without numpy's scalar overhead
            if abs(v) <= self.floor:
                return 0.0
            mag = min(math.log10(abs(v) / self.floor) / DECADES, 1.0)
            return math.copysign(mag, v)
        v = np.asarray(v, dtype=np.float64)
        mag = np.log10(np.maximum(np.abs(v), self.floor) / self.floor) / DECADES
        return np.sign(v) * np.clip(mag, 0.0, 1.0)

    def ticks(self) -> tuple[list[float], list[str]]:
        """Tick positions in s and their labels, every two decades."""
        vals, text = [0.0], ["0"]
        for k in range(0, DECADES, 2):
            s = 1.0 - k / DECADES
            mag = _power_of_ten(self.top * 10.0 ** -k)
            vals += [s, -s]
            text += [mag, "−" + mag]
        order = np.argsort(vals)
        return [vals[j] for j in order], [text[j] for j in order]


def _gradient_scale(grads, names=("dc", "dh", "dz_i", "dz_f", "dz_g", "dz_o")) -> SignedLog:
    vmax = max(float(np.max(np.abs(getattr(grads, k)))) for k in names)
    return SignedLog(vmax)


def _frame_steps(T: int, step: int, mode: str, max_frames: int) -> list[int]:
    """The steps that get a frame: all of them, or an even subsample keeping both ends and ``step``.

    Forward frames run ascending (t = 1 … T); backward frames descending (t = T … 1), as BPTT does.
    """
    if T <= max_frames:
        steps = list(range(T))
    else:
        even = np.round(np.linspace(0, T - 1, max_frames - 1)).astype(int)
        steps = sorted(set(even.tolist()) | {0, T - 1, step})
    return steps[::-1] if mode == "backward" else steps


# ---- the values at one step ---------------------------------------------------------------------------------------

def _step_values(trace, grads, t: int, k: int, mode: str, scale: SignedLog | None, c_max: float,
                 compact: bool = False) -> dict:
    """Everything that changes between frames, as plain lists in NODES / LABELS_AT / EDGES order."""
    T = trace.T
    f, i, g, o = (float(getattr(trace, q)[t, k]) for q in ("f", "i", "g", "o"))
    c_prev = float(trace.c0[k] if t == 0 else trace.c[t - 1, k])
    h_prev = float(trace.h0[k] if t == 0 else trace.h[t - 1, k])
    c, h = float(trace.c[t, k]), float(trace.h[t, k])
    tanh_c = float(np.tanh(c))
    x = np.asarray(trace.x[t], dtype=np.float64)

    step_text = f"<b>step t = {t + 1}</b> of {T}"
    # node key -> (value, colour kind 'gate' | 'signed' | 'log' | 'none', hover name, extra hover text).
    # The hover shows "name = <exact value>" (value from customdata, so frames carry no long strings) + extra.
    sub = f"[unit {k + 1}]"
    if mode == "forward":
        nodes = {
            "c_prev": (c_prev, "signed", f"c_t−1{sub}", ""),
            "forget_mul": (f * c_prev, "signed", "f ⊙ c_t−1", ""),
            "add": (c, "signed", "c_t = f ⊙ c_t−1 + i ⊙ g", ""),
            "c": (c, "signed", f"cell state c_t{sub}", ""),
            "input_mul": (i * g, "signed", "i ⊙ g", ""),
            "tanh_c": (tanh_c, "signed", "tanh(c_t)", ""),
            "out_mul": (h, "signed", "h_t = o ⊙ tanh(c_t)", ""),
            "h": (h, "signed", f"hidden state h_t{sub}", ""),
            "h_prev": (h_prev, "signed", f"h_t−1{sub}", ""),
            "x": (_vector_scalar(x), "signed", "x_t" if x.size == 1 else "‖x_t‖", _vector_hover("x_t", x)),
            **{q: (v, "signed" if q == "g" else "gate", f"{GATE_NAMES[q]} {q}_t{sub}", "")
               for q, v in (("f", f), ("i", i), ("g", g), ("o", o))},
        }
        labels = {
            "belt_left": f"c<sub>t−1</sub> = {_fmt(c_prev)}",
            "belt_mid": f"f·c<sub>t−1</sub> = {_fmt(f * c_prev)}",
            "belt_right": f"c<sub>t</sub> = {_fmt(c)}",
            "input_mul": f"i·g = {_fmt(i * g)}",
            "tanh_c": f"tanh(c<sub>t</sub>) = {_fmt(tanh_c)}",
            "h": f"h<sub>t</sub> = {_fmt(h)}",
            "h_prev": f"h<sub>t−1</sub> = {_fmt(h_prev)}",
            "x": _vector_text("x<sub>t</sub>", x, _fmt),
            **{q: f"{q} = {_fmt(v)}" for q, v in (("f", f), ("i", i), ("g", g), ("o", o))},
            "output": "h<sub>t</sub> out ↑",
            "step": step_text,
        }

        def lin(v):  # edge width for values of order 1
            return 1.0 + 8.0 * min(abs(v), 1.0)

        def belt(v):  # the belt follows |c| relative to the trace's largest |c|
            return 1.5 + 10.0 * (abs(v) / c_max if c_max > 0 else 0.0)

        edges = {
            "bus": 3.0, "h_prev": lin(h_prev), "x": lin(float(np.linalg.norm(x))),
            "belt_left": belt(c_prev), "belt_mid": belt(f * c_prev), "belt_out": belt(c), "belt_right": belt(c),
            "c_branch": belt(c), "f": lin(f), "i": lin(i), "g": lin(g), "input_mul": lin(i * g), "o": lin(o),
            "tanh_c": lin(tanh_c), "h": lin(h),
        }
    else:
        dc, dh = float(grads.dc[t, k]), float(grads.dh[t, k])
        dz = {q: float(getattr(grads, f"dz_{q}")[t, k]) for q in GATES}
        carousel = f * dc  # flows left along the belt into c_{t−1}
        future = float(trace.f[t + 1, k] * grads.dc[t + 1, k]) if t < T - 1 else 0.0  # arrives from step t+1
        dh_o = dh * o  # dL/d tanh(c_t)
        via_h = dh_o * (1.0 - tanh_c * tanh_c)  # what the h_t path adds to dc_t
        dx = np.asarray(grads.dx[t], dtype=np.float64)
        nodes = {
            "c_prev": (carousel, "log", "into c_t−1 through the forget gate: f_t ⊙ dc_t", ""),
            "forget_mul": (carousel, "log", "f_t ⊙ dc_t", ""),
            "add": (dc, "log", "dL/dc_t", ""),
            "c": (future, "log", "from step t+1: f_t+1 ⊙ dc_t+1", ""),
            "input_mul": (dc, "log", "dL/d(i ⊙ g) = dc_t", ""),
            "tanh_c": (dh_o, "log", "dL/d tanh(c_t) = dh_t ⊙ o_t", f"<br>adds to dc_t: {_exact(via_h)}"),
            "out_mul": (dh, "log", "dL/dh_t", ""),
            "h": (dh, "log", f"dL/dh_t{sub} (total)", ""),
            "h_prev": (0.0, "none", None, "h_t−1: its total gradient dh_t−1 is shown at step t−1"),
            "x": (_vector_scalar(dx), "log", "dL/dx_t" if dx.size == 1 else "‖dL/dx_t‖",
                  _vector_hover("dL/dx_t", dx)),
            **{q: (dz[q], "log", f"dL/dz_{q}{sub} ({GATE_NAMES[q]} pre-activation)", "")
               for q in ("f", "i", "g", "o")},
        }
        labels = {
            "belt_left": f"f·dc<sub>t</sub> = {_sci(carousel)}",
            "belt_mid": f"dc<sub>t</sub> = {_sci(dc)}",
            "belt_right": f"f<sub>t+1</sub>·dc<sub>t+1</sub> = {_sci(future)}",
            "input_mul": "",  # the same dc_t as on the belt
            "tanh_c": f"dh<sub>t</sub>·o = {_sci(dh_o)}",
            "h": f"dh<sub>t</sub> = {_sci(dh)}",
            "h_prev": "h<sub>t−1</sub>",
            "x": _vector_text("dx<sub>t</sub>", dx, _sci),
            **{q: f"dz<sub>{q}</sub> =<br>{_sci(dz[q])}" for q in ("f", "i", "g", "o")},  # 2 lines: fits
            "output": "dh<sub>t</sub> in ↓",
            "step": step_text,
        }

        def lg(v):
            return 1.0 + 8.0 * float(abs(scale(v)))

        edges = {
            "bus": 3.0, "h_prev": 1.5, "x": lg(_vector_scalar(dx)),
            "belt_left": lg(carousel), "belt_mid": lg(dc), "belt_out": lg(dc), "belt_right": lg(future),
            "c_branch": lg(via_h), "f": lg(dz["f"]), "i": lg(dz["i"]), "g": lg(dz["g"]), "input_mul": lg(dc),
            "o": lg(dz["o"]), "tanh_c": lg(dh_o), "h": lg(dh),
        }

    colors = []  # fixed ranges: gates [0, 1] on SEQUENTIAL, signed [−1, 1] (clipped) or SignedLog on DIVERGING
    for key in NODES:
        v, kind = nodes[key][:2]
        if kind == "gate":
            colors.append(_color(SEQUENTIAL, v))
        elif kind == "signed":
            colors.append(_color(DIVERGING, (v + 1.0) / 2.0))
        elif kind == "log":
            colors.append(_color(DIVERGING, (float(scale(v)) + 1.0) / 2.0))
        else:
            colors.append(("#ebebeb", "#111111"))
    return dict(
        node_value=[float(nodes[q][0]) for q in NODES],
        node_color=[fill for fill, _ in colors],
        node_text_color=[text for _, text in colors],
        node_template=[("%{hovertext}" if nodes[q][2] is None else f"{nodes[q][2]} = %{{customdata}}%{{hovertext}}")
                       + "<extra></extra>" for q in NODES],
        node_extra=[nodes[q][3] for q in NODES],
        label_text=[_compact_label(q, labels[q]) if compact else labels[q] for q in LABELS_AT],
        node_text=[f"{nodes[q][0]:.2f}" if compact and mode == "forward" and q in GATE_X else NODES[q][4]
                   for q in NODES],
        edge_width={q: round(float(w), 3) for q, w in edges.items()},
    )


def _compact_label(key: str, text: str) -> str:
    """A label of the compact layout: kept (without its 'name = ' where a symbol already says it) for
    COMPACT_LABELS, empty otherwise."""
    if key not in COMPACT_LABELS:
        return ""
    return text.replace(" = ", " ") if key != "step" else text


# ---- figure building ---------------------------------------------------------------------------------------------
# A figure is its traces as dicts, then its layout as one dict, then figure(data, layout): plotly.py validates each
# property once (charts/style.py). The animation's frames and slider steps, one per step shown, are attached to the
# built figure without validation (_set_frames, _set_slider_steps): they only repeat, step by step, properties the
# validated traces and slider already carry, and validating them would cost more than everything else together.

def _edge_geometry(polylines, reverse: bool):
    """x, y with None between polylines, and the indices of the arrow points (mid of each polyline's longest leg)."""
    xs, ys, arrows = [], [], []
    for n, line in enumerate(polylines):
        pts = list(reversed(line)) if reverse else list(line)
        legs = [np.hypot(b[0] - a[0], b[1] - a[1]) for a, b in zip(pts[:-1], pts[1:])]
        j = int(np.argmax(legs))
        mid = ((pts[j][0] + pts[j + 1][0]) / 2, (pts[j][1] + pts[j + 1][1]) / 2)
        pts = pts[:j + 1] + [mid] + pts[j + 1:]
        if n:
            xs.append(None)
            ys.append(None)
        arrows.append(len(xs) + j + 1)
        xs += [p[0] for p in pts]
        ys += [p[1] for p in pts]
    return xs, ys, arrows


def _edges(backward: bool) -> dict[str, tuple[list, list, list[int]]]:
    """The LSTM diagram's edges (keys of EDGES) as _edge_geometry draws them: forward, or reversed for backward."""
    return {key: _edge_geometry(polylines, reverse=backward) for key, (_, polylines) in EDGES.items()}


def _arrow_sizes(n: int, arrows: list[int], width: float) -> list[float]:
    size = round(7.0 + 1.6 * width, 2)
    return [size if j in arrows else 0.0 for j in range(n)]


def _edge_trace(key: str, color: str, geometry: tuple[list, list, list[int]], width: float) -> dict:
    """Edge ``key`` as a Scatter dict: its polylines (``geometry``: _edge_geometry's x, y, arrow indices) drawn
    ``width`` px wide, with an arrow head at the middle of each polyline's longest leg."""
    xs, ys, arrows = geometry
    return dict(
        type="scatter", x=xs, y=ys, mode="lines+markers", name=f"edge:{key}", showlegend=False, hoverinfo="skip",
        line=dict(color=color, width=width),
        marker=dict(symbol="arrow", angleref="previous", color=color, size=_arrow_sizes(len(xs), arrows, width),
                    opacity=1, line=dict(width=0)),
    )


def _diagram_layout(title: str, *, margin: dict, outline: str, fill: str, **kwargs) -> dict:
    """The layout of a cell diagram (LSTM or GRU): the house style, fixed hidden axes around the drawing, the cell's
    outline (colour ``outline``, filled with ``fill``) under it; ``kwargs`` add to it."""
    x0, y0, x1, y1 = CELL_BOX
    return house_layout(
        title=title, height=HEIGHT,
        xaxis=dict(range=list(X_RANGE), visible=False, fixedrange=True),
        yaxis=dict(range=list(Y_RANGE), visible=False, fixedrange=True),
        shapes=[dict(type="rect", x0=x0, y0=y0, x1=x1, y1=y1, line=dict(color=outline, width=2), fillcolor=fill,
                     layer="below")],
        margin=margin, hovermode="closest", dragmode=False, **kwargs,
    )


def _title(trace, unit: int, mode: str) -> str:
    """The static title. The step is a text label inside the plot ("values" trace, id "step"): a layout title
    changed by frames is not redrawn when they play with redraw=False."""
    H = trace.hidden_size
    what = "LSTM cell, forward values" if mode == "forward" else "LSTM cell, BPTT gradients"
    return f"{what}: unit {unit + 1} of {H}"


def cell_diagram(trace, step: int, unit: int = 0, *, grads=None, mode: str = "forward", animate: bool = True,
                 max_frames: int = MAX_FRAMES, compact: bool = False, theme: str | None = None) -> go.Figure:
    """The LSTM cell of unit ``unit`` at step ``step`` (0-based; shown as t = step + 1) with live values.

    trace: LSTMTrace of one sequence (x (T, D), per-step arrays (T, H)); grads: its LSTMGrads, needed for
    mode="backward". Forward shows c_{t−1}, f, i, g, o, f·c_{t−1}, i·g, c_t, tanh(c_t), h_t, h_{t−1}, x_t;
    backward shows f_t·dc_t (into c_{t−1}), dc_t, f_{t+1}·dc_{t+1} (from the next step), dz_f, dz_i, dz_g, dz_o,
    dh_t·o_t, dh_t, dx_t, on a signed log colour scale (``SignedLog``) fixed over the whole trace.

    Trace order (stable, tests rely on the names): one Scatter per edge (name "edge:<key>", keys of ``EDGES``),
    then "nodes" (ids = keys of ``NODES``, customdata = the exact value colouring each node, shown on hover),
    then "values" (ids = keys of ``LABELS_AT``, text = the printed labels, including "step t = … of T"), then
    colour-bar carriers. The title names the unit; the step is the "step" label, because a layout title changed
    by frames is not redrawn under redraw=False.

    Animation (animate=True and T ≥ 2): ``frames`` hold one frame per step (named str(step)), ascending in forward
    mode and descending (t = T … 1) in backward mode; if T > max_frames, an even subsample of max_frames − 1 steps
    plus the requested step (the first and last are always in). The slider starts at the requested step
    (``active``); each slider step has label and value str(t). Play continues from the frame the slider last
    moved to; before any slider move plotly.js knows no current frame, so the first Play runs from the first
    frame (t = 1 forward, t = T backward).

    ``compact``: the layout for a phone's width (COMPACT_SCALE, COMPACT_LABELS): smaller nodes, forward gate boxes
    showing their values, no colour bars, only c_t, h_t and the step printed, so that no two labels overlap at
    390 px. Hover, frames and trace order are the same.

    ``theme``: the page's, "light" or "dark" (None: unknown). On a light page the diagram's text is LIGHT_TEXT; else
    it is left to the page's Plotly theme.

    Raises ValueError for a batched trace, a step or unit out of range, an unknown mode, backward without grads,
    or max_frames < 2.
    """
    step, unit = _check_inputs(trace, step, unit, grads, mode)
    if isinstance(max_frames, bool) or not isinstance(max_frames, (int, np.integer)) or max_frames < 2:
        raise ValueError(f"max_frames: got {max_frames!r}, needs a whole number >= 2")
    T = trace.T
    backward = mode == "backward"
    scale, c_max = _scales(trace, grads, mode)
    now = _step_values(trace, grads, step, unit, mode, scale, c_max, compact)

    edges = _edges(backward)
    data = [_edge_trace(key, color, edges[key], now["edge_width"][key]) for key, (color, _) in EDGES.items()]
    node_xy = np.array([(n[0], n[1]) for n in NODES.values()])
    data.append(dict(
        type="scatter", x=node_xy[:, 0], y=node_xy[:, 1], ids=list(NODES), name="nodes", mode="markers+text",
        showlegend=False,
        marker=dict(symbol=[n[2] for n in NODES.values()],
                    size=[round(n[3] * (COMPACT_SCALE if compact else 1.0)) for n in NODES.values()],
                    color=now["node_color"], opacity=1, line=dict(color="#333333", width=1.5)),
        text=now["node_text"], textposition="middle center",
        textfont=dict(size=FONT_SIZE - 4 if compact else FONT_SIZE + 3, color=now["node_text_color"]),
        customdata=now["node_value"], hovertext=now["node_extra"], hovertemplate=now["node_template"],
    ))
    label_xy = np.array([(a[0], a[1]) for a in LABELS_AT.values()])
    data.append(dict(
        type="scatter", x=label_xy[:, 0], y=label_xy[:, 1], ids=list(LABELS_AT), name="values", mode="text",
        showlegend=False, text=now["label_text"], textposition=[a[2] for a in LABELS_AT.values()],
        textfont=dict(size=FONT_SIZE - 3 if compact else FONT_SIZE + 1), hoverinfo="skip",  # the layout's colour
    ))
    if not compact:  # a phone has no room beside the diagram: the values are printed in the boxes instead
        data += _colorbars(scale)

    spec = _diagram_layout(_title(trace, unit, mode), outline=CELL_LINE, fill=CELL_FILL,
                           margin=dict(l=10, r=10 if compact else 95 if backward else 70, t=50, b=10),
                           plot_bgcolor=CLEAR, paper_bgcolor=CLEAR)
    steps = _frame_steps(T, step, mode, max_frames) if animate and T >= 2 else []
    if steps:
        spec = merge(spec, _animation_layout(steps.index(step)))
    if compact:
        spec = merge(spec, dict(title=dict(font=dict(size=FONT_SIZE - 2)), font=dict(size=FONT_SIZE - 3)))
    if theme == "light":
        spec = merge(spec, dict(font=dict(color=LIGHT_TEXT)))
    fig = figure(data, spec)
    if steps:
        _set_frames(fig, [_frame(trace, grads, s, unit, mode, scale, c_max, edges, compact) for s in steps])
        _set_slider_steps(fig, [_slider_step(s) for s in steps])
    return fig


def _colorbars(scale: SignedLog | None) -> list[dict]:
    """Invisible one-point traces that carry the colour bars (fixed ranges, so frames are comparable): gate and value
    bars, or (``scale`` given) the gradients' signed log bar."""
    def carrier(name, colorscale, cmin, cmax, bar):
        return dict(
            type="scatter", x=[X_RANGE[0]], y=[Y_RANGE[0]], mode="markers", name=name, showlegend=False,
            hoverinfo="skip",
            marker=dict(size=0.1, opacity=0, color=[cmin], colorscale=colorscale, cmin=cmin, cmax=cmax,
                        showscale=True, colorbar=dict(thickness=14, xpad=4, ypad=0, outlinewidth=0,
                                                      tickfont=dict(size=FONT_SIZE - 2), **bar)),
        )

    if scale is None:
        return [
            carrier("scale:gate", SEQUENTIAL, 0.0, 1.0, dict(
                title=dict(text="gate", side="right"), x=1.0, xanchor="left", y=1.0, yanchor="top", len=0.44,
                tickvals=[0, 0.5, 1])),
            carrier("scale:signed", DIVERGING, -1.0, 1.0, dict(
                title=dict(text="value", side="right"), x=1.0, xanchor="left", y=0.0, yanchor="bottom", len=0.44,
                tickvals=[-1, 0, 1], ticktext=["≤ −1", "0", "≥ 1"])),
        ]
    vals, text = scale.ticks()
    return [carrier("scale:gradient", DIVERGING, -1.0, 1.0, dict(
        title=dict(text="gradient", side="right"), x=1.0, xanchor="left", y=0.5, yanchor="middle", len=1.0,
        tickvals=vals, ticktext=text))]


def _set_frames(fig: go.Figure, frames: list[dict]) -> None:
    """Attach frames (dicts of name, traces, data) without plotly.py re-validating each of them.

    ``fig.frames = …`` validates every frame's trace updates property by property: about 20 ms per frame here,
    8 s for 400 frames, against well under a second for everything else. The frames hold plain lists of floats
    and strings for attributes the validated initial traces already carry; the tests check that a fully
    validated rebuild ``go.Figure(fig.to_dict())`` is identical. Frames built with ``_validate=False`` need their
    trace objects given to them (plotly.py cannot create them lazily for a Frame), so that
    ``fig.frames[k].data[j].line.width`` and ``go.Figure(fig)`` work as usual: _FrameTraces makes them when first
    read (``to_dict()``, all the app asks of the figure, reads none).
    """
    frame_cls = go.Frame  # (each go.X lookup goes through plotly's lazy importer)
    objs = []
    for spec in frames:
        frame = frame_cls(spec, _validate=False)
        frame._compound_array_props["data"] = _FrameTraces(frame, len(spec["data"]))
        objs.append(frame)
    try:
        fig._frame_objs = tuple(objs)  # plotly.py's storage behind fig.frames
    except AttributeError:  # pragma: no cover - a plotly.py without it: the slow, validated way
        fig.frames = frames


class _FrameTraces(list):
    """An unvalidated frame's list of trace objects (go.Scatter, one per entry of its data), made on first read.

    plotly.py keeps a frame's trace objects in this list and reads them only through it (``frame.data``, a trace's
    own property lookups). Making them costs ~20 µs each, 16 per frame: 9 ms of the 40-step diagram's build, 45 ms
    at 200 frames, for objects no to_dict() reads."""

    def __init__(self, frame: go.Frame, n: int):
        super().__init__()
        self._frame, self._missing = frame, n

    def _made(self) -> list:
        if self._missing:
            n, self._missing = self._missing, 0
            self.extend(go.Scatter(_parent=self._frame) for _ in range(n))
        return self

    def __iter__(self):
        return list.__iter__(self._made())

    def __len__(self):
        return list.__len__(self._made())

    def __getitem__(self, k):
        return list.__getitem__(self._made(), k)


def _set_slider_steps(fig: go.Figure, steps: list[dict]) -> None:
    """Give the figure's slider its steps (_slider_step dicts: one per frame, labelled t; plotly.js thins the printed
    labels itself) without plotly.py's per-property validation (≈0.1 ms a step, 20 ms for 200), the way plotly.py
    sets its own templates."""
    slider = fig.layout.sliders[0]
    slider._validate = False
    try:
        slider.steps = steps
    finally:
        slider._validate = True


def _scales(trace, grads, mode: str) -> tuple[SignedLog | None, float]:
    """What every step's colours and widths are relative to: the gradients' signed log scale (backward mode) and the
    largest |c| of the trace."""
    scale = _gradient_scale(grads) if mode == "backward" else None
    return scale, float(max(np.max(np.abs(trace.c)), np.max(np.abs(trace.c0))))


def with_step_frame(spec: dict, trace, step: int, unit: int = 0, *, grads=None, mode: str = "forward",
                    compact: bool = False) -> dict:
    """``spec``, the figure JSON of ``cell_diagram(trace, s, unit, grads=grads, mode=mode, compact=compact)`` for
    another step s, with the frame and slider step of ``step`` added in their place when its frames skip ``step``:
    the frames (and slider steps) that cell_diagram(trace, step, …) has, without building the other ones again (a
    long sequence's frames are a subsample, so most steps have none). ``spec`` is not changed: the result shares
    everything but the frame list and the slider with it."""
    step, unit = _check_inputs(trace, step, unit, grads, mode)
    frames = spec.get("frames") or []
    order = [int(f["name"]) for f in frames]
    if not frames or step in order:
        return spec
    backward = mode == "backward"
    k = bisect.bisect([-s for s in order] if backward else order, -step if backward else step)
    frame = _frame(trace, grads, step, unit, mode, *_scales(trace, grads, mode), _edges(backward), compact)
    slider, *others = spec["layout"]["sliders"]
    slider = {**slider, "steps": [*slider["steps"][:k], _slider_step(step), *slider["steps"][k:]]}
    layout = {**spec["layout"], "sliders": [slider, *others]}
    return {**spec, "frames": [*frames[:k], frame, *frames[k:]], "layout": layout}


def _frame(trace, grads, s: int, unit: int, mode: str, scale, c_max: float, edges: dict, compact: bool) -> dict:
    """The animation frame of step ``s``: the dynamic traces' values (every edge but the bus, the nodes, the labels).
    ``edges``: the diagram's edges (_edges), whose arrow heads grow with the width."""
    v = _step_values(trace, grads, s, unit, mode, scale, c_max, compact)
    data = []
    for key in EDGES:
        if key == "bus":
            continue
        xs, _, arrows = edges[key]
        w = v["edge_width"][key]
        data.append(dict(type="scatter", line=dict(width=w), marker=dict(size=_arrow_sizes(len(xs), arrows, w))))
    data.append(dict(type="scatter", marker=dict(color=v["node_color"]),
                     textfont=dict(color=v["node_text_color"]), customdata=v["node_value"],
                     hovertext=v["node_extra"], **({"text": v["node_text"]} if compact else {})))
    data.append(dict(type="scatter", text=v["label_text"]))
    return dict(name=str(s), data=data, traces=_dynamic_traces())


def _dynamic_traces() -> list[int]:
    """Indices of the traces that frames change: the edges but the bus, then the nodes and the labels."""
    edge_index = {key: n for n, key in enumerate(EDGES)}
    return [edge_index[k] for k in EDGES if k != "bus"] + [len(EDGES), len(EDGES) + 1]


def _still() -> dict:
    """Animation arguments that jump to a frame at once, without a transition."""
    return dict(mode="immediate", frame=dict(duration=0, redraw=False), transition=dict(duration=0))


def _slider_step(s: int) -> dict:
    """The slider step that shows frame ``s``, labelled t = s + 1."""
    return dict(method="animate", label=str(s + 1), value=str(s + 1), args=[[str(s)], _still()])


def _animation_layout(active: int) -> dict:
    """The layout of the animation: ▶ / ❚❚ buttons and a slider starting at its step number ``active`` (the slider's
    steps are attached to the built figure: _set_slider_steps)."""
    return dict(
        margin=dict(b=75),
        updatemenus=[dict(
            type="buttons", direction="left", showactive=False, x=0.0, xanchor="left", y=-0.02, yanchor="top",
            pad=dict(t=8, r=8), font=dict(size=FONT_SIZE + 3),
            buttons=[
                dict(label="▶", method="animate",
                     args=[None, dict(frame=dict(duration=FRAME_MS, redraw=False), transition=dict(duration=0),
                                      fromcurrent=True, mode="immediate")]),
                dict(label="❚❚", method="animate", args=[[None], _still()]),
            ],
        )],
        sliders=[dict(
            active=active, x=0.1, len=0.9, xanchor="left", y=-0.02, yanchor="top",
            pad=dict(t=8, b=0), font=dict(size=FONT_SIZE - 2),
            currentvalue=dict(visible=False),
            ticklen=4, minorticklen=0,
        )],
    )


# ---- all units at one step --------------------------------------------------------------------------------------

FORWARD_BARS = ("i", "f", "g", "o", "c", "h")
BACKWARD_BARS = ("dc", "dh", "dz_i", "dz_f", "dz_g", "dz_o")
GRU_FORWARD_BARS = ("r", "z", "n", "h")
GRU_BACKWARD_BARS = ("dh", "dz_r", "dz_z", "dz_n")


def unit_bars(trace, step: int, *, grads=None, mode: str = "forward") -> go.Figure:
    """Small multiples at step ``step``: one bar chart over units 1..H per quantity, ≤ 6 traces.

    Forward: i, f, o on [0, 1]; g, h on [−1, 1]; c on ±max(1, max |c| over the trace) (a GRUTrace: r, z on [0, 1],
    n, h on [−1, 1]). Backward: dc, dh, dz_i, dz_f, dz_g, dz_o (a GRU's dh, dz_r, dz_z, dz_n) as bar heights on the
    diagram's signed log scale (``SignedLog``, fixed over the trace), tick labels in powers of ten; each trace's
    customdata holds the exact values (bars' x = unit number, 1-based).
    Only the bars and the title depend on the step: ``unit_bars_at`` moves a built figure to another step.
    """
    step, _ = _check_inputs(trace, step, 0, grads, mode)
    T, H = trace.h.shape
    backward = mode == "backward"
    gru = hasattr(trace, "z")
    names = _bar_names(trace, mode)
    scale = _gradient_scale(grads, names) if backward else None
    spec = subplot_layout(1, len(names), subplot_titles=[_bar_title(q) for q in names], horizontal_spacing=0.035)
    units = np.arange(1, H + 1)
    c_lim = 1.0 if gru else max(1.0, float(np.max(np.abs(trace.c))), float(np.max(np.abs(trace.c0))))
    dtick = next(d for d in (1, 2, 5, 10, 20, 50, 100) if H / d <= 6)
    data = []
    for n, (q, bars) in enumerate(zip(names, _unit_bar_data(trace, step, grads, mode)), start=1):
        color = COLORS[q.split("_")[-1][-1]]
        data.append(dict(type="bar", x=units, name=q, showlegend=False, marker=dict(color=color),
                         hovertemplate="%{hovertext}<extra></extra>", **bars,
                         xaxis=axis_ref("x", n), yaxis=axis_ref("y", n)))
        if backward:
            vals, text = scale.ticks()
            yaxis = dict(range=[-1.05, 1.05], tickvals=vals, showticklabels=n == 1,
                         **({"ticktext": text} if n == 1 else {}))
        elif q in ("i", "f", "o", "r", "z"):
            yaxis = dict(range=[0, 1], tickvals=[0, 0.5, 1])
        elif q == "c":
            yaxis = dict(range=[-c_lim, c_lim])
        else:
            yaxis = dict(range=[-1, 1], tickvals=[-1, 0, 1])
        spec[axis_key("y", n)].update(fixedrange=True, zeroline=True, zerolinecolor="#888888", **yaxis)
        spec[axis_key("x", n)].update(fixedrange=True, range=[0.5, H + 0.5], dtick=dtick)
    spec["annotations"] = [merge(a, dict(font=dict(size=FONT_SIZE))) for a in spec["annotations"]]
    return figure(data, merge(spec, house_layout(title=_unit_bars_title(trace, step, mode), height=300,
                                                 meta={"x": "unit"}),
                              dict(bargap=0.15, margin=dict(l=70 if backward else 45, r=15, t=80, b=40))))


def unit_bars_at(spec: dict, trace, step: int, *, grads=None, mode: str = "forward") -> dict:
    """``spec``, the JSON (``to_dict()``) of ``unit_bars`` for the same trace, grads and mode at any step, moved to
    step ``step``: a copy with that step's bars and title; the axes and layout, the same for every step, are shared
    with ``spec`` (left untouched). Building the figure (plotly validates every property) costs far more than this.
    """
    step, _ = _check_inputs(trace, step, 0, grads, mode)
    data = []
    for old, bars in zip(spec["data"], _unit_bar_data(trace, step, grads, mode)):
        data.append({**old, **bars, "y": to_typed_array_spec(bars["y"]),  # numpy arrays as Figure.to_dict() has them
                     "customdata": to_typed_array_spec(bars["customdata"])})
    title = {**spec["layout"]["title"], "text": _unit_bars_title(trace, step, mode)}
    return {**spec, "data": data, "layout": {**spec["layout"], "title": title}}


def _bar_names(trace, mode: str) -> tuple[str, ...]:
    """The quantities ``unit_bars`` shows, one panel each: the LSTM's (or the RNN's) or, for a GRUTrace, the GRU's."""
    gru = hasattr(trace, "z")
    if mode == "backward":
        return GRU_BACKWARD_BARS if gru else BACKWARD_BARS
    return GRU_FORWARD_BARS if gru else FORWARD_BARS


def _unit_bar_data(trace, step: int, grads, mode: str) -> list[dict]:
    """Per quantity: the bars' heights ``y``, exact values ``customdata`` and ``hovertext`` at ``step``."""
    backward = mode == "backward"
    names = _bar_names(trace, mode)
    scale = _gradient_scale(grads, names) if backward else None
    units = np.arange(1, trace.h.shape[1] + 1)
    out = []
    for q in names:
        values = np.asarray((getattr(grads, q) if backward else getattr(trace, q))[step], dtype=np.float64)
        out.append(dict(y=scale(values) if backward else values, customdata=values,
                        hovertext=[f"unit {u}: {q} = {_exact(v)}" for u, v in zip(units, values)]))
    return out


def _unit_bars_title(trace, step: int, mode: str) -> str:
    T, H = trace.h.shape
    return f"{'Gradients of all' if mode == 'backward' else 'All'} {H} units at step t = {step + 1} of {T}"


def _bar_title(q: str) -> str:
    if q.startswith("dz_"):
        return f"dz<sub>{q[-1]}</sub>"
    if q in ("dc", "dh"):
        return f"d{q[-1]}<sub>t</sub>"
    return f"{q}<sub>t</sub>"


# ---- the GRU cell -------------------------------------------------------------------------------------------------
#
#    h_{t−1} ──────────────×──────────────────+──────┬──── h_t      the hidden state is the only state
#       │                  │ z                │      │ h_t (output, up)
#       │                  ├───── 1−z ────────×
#       │     ┌────────────┼── r⊙(W_hn h+b_hn) ─┐    │ n
#       │   [σ r]        [σ z]             [tanh n]
#       └──┬──┴────────────┴─────────────────┘          [h_{t−1}, x_t] feed every gate
#         x_t

GRU_X = {"r": 3.2, "z": 5.6, "n": 10.2}
ONE_MINUS_X = 7.9
R_PATH_Y = 3.0  # the reset gate's line into the candidate
DOWN_X = 1.0  # where h_{t−1} turns down to the bus
GRU_NODES: dict[str, tuple[float, float, str, int, str]] = {
    "h_prev": (LEFT, BELT_Y, "circle", 18, ""),
    "keep_mul": (GRU_X["z"], BELT_Y, "circle", 36, "×"),
    "add": (GRU_X["n"], BELT_Y, "circle", 36, "+"),
    "h": (RIGHT, BELT_Y, "circle", 18, ""),
    "one_minus": (ONE_MINUS_X, IG_Y, "circle", 40, "1−"),
    "new_mul": (GRU_X["n"], IG_Y, "circle", 36, "×"),
    "x": (JOIN_X, X_IN_Y, "circle", 18, ""),
    **{k: (GRU_X[k], GATE_Y, "square", 50, "tanh" if k == "n" else "σ") for k in ("r", "z", "n")},
}
GRU_LABELS_AT: dict[str, tuple[float, float, str]] = {
    "h_prev": (LEFT - 0.25, BELT_Y + 0.45, "middle right"),
    "keep_mul": (GRU_X["z"] + 0.35, BELT_Y + 0.45, "middle right"),
    "h": (RIGHT + 0.3, BELT_Y + 0.45, "middle left"),
    "one_minus": (ONE_MINUS_X - 0.2, IG_Y + 0.5, "middle right"),
    "new_mul": (GRU_X["n"] + 0.35, IG_Y, "middle right"),
    "r_path": (GRU_X["z"] + 0.25, R_PATH_Y + 0.3, "middle right"),
    "x": (JOIN_X + 0.3, X_IN_Y, "middle right"),
    **{k: (GRU_X[k] + 0.1, GATE_Y - 0.8, "middle right") for k in ("r", "z", "n")},
    "output": (FORK_X - 0.15, Y_RANGE[1] - 0.2, "middle right"),
    "step": (LEFT - 0.25, Y_RANGE[1] - 0.2, "middle right"),
}
GRU_EDGES: dict[str, tuple[str, list[list[tuple[float, float]]]]] = {
    "bus": (GRAY, [[(JOIN_X, BUS_Y), (GRU_X["n"], BUS_Y)]]
            + [[(GRU_X[k], BUS_Y), (GRU_X[k], GATE_Y)] for k in ("r", "z", "n")]),
    "h_down": (COLORS["h"], [[(DOWN_X, BELT_Y), (DOWN_X, BUS_Y), (JOIN_X, BUS_Y)]]),
    "x": (COLORS["x"], [[(JOIN_X, X_IN_Y), (JOIN_X, BUS_Y)]]),
    "h_left": (COLORS["h"], [[(LEFT, BELT_Y), (GRU_X["z"], BELT_Y)]]),
    "h_kept": (COLORS["h"], [[(GRU_X["z"], BELT_Y), (GRU_X["n"], BELT_Y)]]),
    "z": (COLORS["z"], [[(GRU_X["z"], GATE_Y), (GRU_X["z"], BELT_Y)]]),
    "one_minus": (COLORS["z"], [[(GRU_X["z"], IG_Y), (ONE_MINUS_X, IG_Y)], [(ONE_MINUS_X, IG_Y), (GRU_X["n"], IG_Y)]]),
    "r": (COLORS["r"], [[(GRU_X["r"], GATE_Y), (GRU_X["r"], R_PATH_Y), (GRU_X["n"] - 0.9, R_PATH_Y),
                         (GRU_X["n"] - 0.9, GATE_Y), (GRU_X["n"], GATE_Y)]]),
    "n": (COLORS["n"], [[(GRU_X["n"], GATE_Y), (GRU_X["n"], IG_Y)]]),
    "new": (COLORS["h"], [[(GRU_X["n"], IG_Y), (GRU_X["n"], BELT_Y)]]),
    "h": (COLORS["h"], [[(GRU_X["n"], BELT_Y), (RIGHT, BELT_Y)], [(FORK_X, BELT_Y), (FORK_X, Y_RANGE[1] - 0.4)]]),
}


def _gru_values(trace, t: int, k: int) -> tuple[dict, dict, dict]:
    """(nodes, labels, edge widths) of the GRU diagram at step t, unit k: nodes map to (value, colour kind, hover
    name), in GRU_NODES order."""
    r, z, n, h = (float(getattr(trace, q)[t, k]) for q in ("r", "z", "n", "h"))
    hn = float(trace.hn[t, k])  # W_hn h_{t−1} + b_hn
    h_prev = float(trace.h0[k] if t == 0 else trace.h[t - 1, k])
    x = np.asarray(trace.x[t], dtype=np.float64)
    sub = f"[unit {k + 1}]"
    nodes = {
        "h_prev": (h_prev, "signed", f"h_t−1{sub}"),
        "keep_mul": (z * h_prev, "signed", "z ⊙ h_t−1 (what is kept)"),
        "add": (h, "signed", "h_t = (1 − z) ⊙ n + z ⊙ h_t−1"),
        "h": (h, "signed", f"hidden state h_t{sub}"),
        "one_minus": (1.0 - z, "gate", "1 − z"),
        "new_mul": ((1.0 - z) * n, "signed", "(1 − z) ⊙ n (what is written)"),
        "x": (_vector_scalar(x), "signed", "x_t" if x.size == 1 else "‖x_t‖"),
        "r": (r, "gate", f"reset gate r_t{sub}"),
        "z": (z, "gate", f"update gate z_t{sub}"),
        "n": (n, "signed", f"candidate n_t{sub}"),
    }
    labels = {
        "h_prev": f"h<sub>t−1</sub> = {_fmt(h_prev)}",
        "keep_mul": f"z·h<sub>t−1</sub> = {_fmt(z * h_prev)}",
        "h": f"h<sub>t</sub> = {_fmt(h)}",
        "one_minus": f"1−z = {_fmt(1.0 - z)}",
        "new_mul": f"(1−z)·n = {_fmt((1.0 - z) * n)}",
        "r_path": f"r·(W<sub>hn</sub>h<sub>t−1</sub> + b<sub>hn</sub>) = {_fmt(r * hn)}",
        "x": _vector_text("x<sub>t</sub>", x, _fmt),
        **{q: f"{q} = {_fmt(v)}" for q, v in (("r", r), ("z", z), ("n", n))},
        "output": "h<sub>t</sub> out ↑",
        "step": f"<b>step t = {t + 1}</b> of {trace.T}",
    }

    def lin(v):
        return 1.0 + 8.0 * min(abs(v), 1.0)

    widths = {"bus": 3.0, "h_down": lin(h_prev), "x": lin(float(np.linalg.norm(x))), "h_left": lin(h_prev),
              "h_kept": lin(z * h_prev), "z": lin(z), "one_minus": lin(1.0 - z), "r": lin(r), "n": lin(n),
              "new": lin((1.0 - z) * n), "h": lin(h)}
    return nodes, labels, widths


def gru_cell_diagram(trace, step: int, unit: int = 0) -> go.Figure:
    """The GRU cell of unit ``unit`` at step ``step`` (0-based; shown as t = step + 1) with its live forward values:
    h_{t−1}, r, z, n, 1 − z, z·h_{t−1} (what is kept), (1 − z)·n (what is written), r·(W_hn h_{t−1} + b_hn) (the
    reset gate's share of the candidate) and h_t, in torch.nn.GRU's equations:

        r = σ(W_ir x + b_ir + W_hr h + b_hr)   z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))   h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}

    trace: a GRUTrace of one sequence. Colours as the LSTM diagram's (gates on [0, 1], signed values on [−1, 1]).
    Trace order: one Scatter per edge ("edge:<key>", keys of GRU_EDGES), then "nodes" (ids = keys of GRU_NODES,
    customdata = the exact values), then "values" (ids = keys of GRU_LABELS_AT), then the colour-bar carriers. One
    step per figure (no animation frames): the page draws the step it shows.
    """
    if not hasattr(trace, "z") or not hasattr(trace, "hn"):
        raise ValueError(f"trace: got {type(trace).__name__}, needs a GRUTrace")
    step, unit = _check_inputs(trace, step, unit, None, "forward")
    nodes, labels, widths = _gru_values(trace, step, unit)
    data = [_edge_trace(key, color, _edge_geometry(polylines, reverse=False), widths[key])
            for key, (color, polylines) in GRU_EDGES.items()]
    colors = [_color(SEQUENTIAL, v) if kind == "gate" else _color(DIVERGING, (v + 1.0) / 2.0)
              for v, kind, _ in nodes.values()]
    xy = np.array([(n[0], n[1]) for n in GRU_NODES.values()])
    data.append(dict(
        type="scatter", x=xy[:, 0], y=xy[:, 1], ids=list(GRU_NODES), name="nodes", mode="markers+text",
        showlegend=False,
        marker=dict(symbol=[n[2] for n in GRU_NODES.values()], size=[n[3] for n in GRU_NODES.values()],
                    color=[fill for fill, _ in colors], opacity=1, line=dict(color="#333333", width=1.5)),
        text=[n[4] for n in GRU_NODES.values()], textposition="middle center",
        textfont=dict(size=FONT_SIZE + 3, color=[text for _, text in colors]),
        customdata=[float(nodes[q][0]) for q in GRU_NODES],
        hovertemplate=[f"{nodes[q][2]} = %{{customdata}}<extra></extra>" for q in GRU_NODES],
    ))
    label_xy = np.array([(a[0], a[1]) for a in GRU_LABELS_AT.values()])
    data.append(dict(
        type="scatter", x=label_xy[:, 0], y=label_xy[:, 1], ids=list(GRU_LABELS_AT), name="values", mode="text",
        showlegend=False, text=[labels[q] for q in GRU_LABELS_AT],
        textposition=[a[2] for a in GRU_LABELS_AT.values()],
        textfont=dict(size=FONT_SIZE + 1, color="#222222"), hoverinfo="skip",
    ))
    data += _colorbars(None)
    return figure(data, _diagram_layout(
        f"GRU cell, forward values: unit {unit + 1} of {trace.hidden_size}", outline="#bbbbbb",
        fill="rgba(240, 240, 240, 0.5)", margin=dict(l=10, r=70, t=50, b=10), plot_bgcolor="white"))
