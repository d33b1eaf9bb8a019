"""One place for the look of every figure: colours per quantity, projector-friendly fonts, modebar config."""

from __future__ import annotations

import copy
import functools

import plotly.graph_objects as go
import plotly.io as pio
from plotly.subplots import make_subplots

# The house template, set once: passing template= to every figure deep-copies it (~40 ms a figure).
pio.templates.default = "plotly_white"

FONT_SIZE = 15  # readable on a 1280×720 projector
FONT = dict(size=FONT_SIZE, family="Inter, Source Sans Pro, Arial, sans-serif")

# One colour per quantity, used by every chart (colour-blind-safe Okabe–Ito palette).
COLORS = {
    "x": "#555555",
    "i": "#0072B2",  # input gate: blue
    "f": "#009E73",  # forget gate: green
    "g": "#E69F00",  # cell candidate: orange
    "o": "#CC79A7",  # output gate: purple
    "c": "#D55E00",  # cell state: vermillion
    "h": "#56B4E9",  # hidden state: sky blue
    "r": "#0072B2",  # GRU reset gate: blue (as i: it lets h in)
    "z": "#009E73",  # GRU update gate: green (as f: it keeps h)
    "n": "#E69F00",  # GRU candidate: orange (as g)
    "lstm": "#D55E00",
    "rnn": "#0072B2",
    "gru": "#009E73",
    "lstm1997": "#CC79A7",  # the 1997 LSTM (no forget gate): purple
}
# Models are told apart by line dash and marker symbol as well as by hue, so a colour-blind reader, a greyscale print
# or a washed-out projector still separates them: the LSTM solid, the 1997 LSTM dash-dot, the GRU dashed, the RNN
# dotted. A model with a cell state draws its ‖∂L/∂h_t‖ in MODEL_SECOND_DASH (and thinner). Keys as in COLORS.
MODEL_DASH = {"lstm": "solid", "lstm1997": "dashdot", "gru": "dash", "rnn": "dot"}
MODEL_SECOND_DASH = {"lstm": "longdash", "lstm1997": "longdashdot"}
MODEL_SYMBOL = {"lstm": "circle", "lstm1997": "triangle-up", "gru": "diamond", "rnn": "square"}
OTHER_COLOR = "#555555"  # a curve that belongs to no model

LABELS = {
    "x": "input x_t",
    "i": "input gate i_t",
    "f": "forget gate f_t",
    "g": "candidate g_t",
    "o": "output gate o_t",
    "c": "cell state c_t",
    "h": "hidden state h_t",
    "r": "reset gate r_t",
    "z": "update gate z_t",
    "n": "candidate n_t",
}

def html_symbol(symbol: str) -> str:
    """'W_hi' -> 'W<sub>hi</sub>': a plain-text symbol with one subscript, as plotly text shows it."""
    base, sep, sub = symbol.partition("_")
    return f"{base}<sub>{sub}</sub>" if sep else symbol


# Diverging scale for signed values (c, h, g, weights, gradients), always centred at 0 (zmid=0): red above, blue
# below, white at 0 (ColorBrewer RdBu, readable with red–green colour blindness). Sequential for gates in (0, 1) and
# for magnitudes: Viridis, perceptually uniform and colour-blind-safe, readable in greyscale too.
DIVERGING = "RdBu_r"
SEQUENTIAL = "Viridis"



def model_line(model: str | None, *, width: float = 3, second: bool = False) -> dict:
    """A line dict for ``model`` (a key of MODEL_DASH, or None): its colour and its dash; ``second``: the model's
    ‖∂L/∂h_t‖ drawn beside its ‖∂L/∂c_t‖ (MODEL_SECOND_DASH, two thirds as wide)."""
    dash = (MODEL_SECOND_DASH if second else MODEL_DASH).get(model or "", "solid")
    return dict(color=COLORS.get(model or "", OTHER_COLOR), width=width * 2 / 3 if second else width, dash=dash)


# ---- Building a figure ---------------------------------------------------------------------------------------------
# plotly.py validates every property on every change: a figure grown step by step (add_trace, update_yaxes(row=),
# add_shape, update_layout with path keys) costs 5-10x one built from plain dicts in a single go.Figure(data=...,
# layout=...) call, which validates each property once (bench/bench_charts.py). So charts collect their traces as
# dicts ({"type": "heatmap", ...}) and their layout as one dict (house_layout, merge, subplot_layout, step_shapes),
# and make the Figure at the end with figure().


def merge(base: dict, *updates: dict) -> dict:
    """``base`` with ``updates`` applied in turn the way Plotly's update applies them: nested dicts merge, anything
    else replaces. A new dict; ``base`` and the updates are left untouched (their leaves are shared)."""
    out = dict(base)
    for update in updates:
        for k, v in update.items():
            out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def house_layout(*, title: str | None = None, height: int | None = None, **kwargs) -> dict:
    """The house style as a layout dict (merged under the chart's own keys: ``kwargs`` win)."""
    return merge(
        dict(
            font=FONT,
            margin=dict(l=60, r=20, t=50 if title else 20, b=50),
            hoverlabel=dict(font=dict(size=FONT_SIZE)),
            legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1),
            **({"title": dict(text=title, x=0.01, xanchor="left")} if title else {}),
            **({"height": height} if height else {}),
        ),
        kwargs,
    )


def layout(fig: go.Figure, *, title: str | None = None, height: int | None = None, **kwargs) -> go.Figure:
    """Apply the house style (house_layout) in place and return the figure."""
    fig.update_layout(house_layout(title=title, height=height, **kwargs))
    return fig


def figure(data: list, layout: dict, frames: list | None = None) -> go.Figure:
    """The Figure of ``data`` (trace dicts, each with its "type") and ``layout`` (a dict), validated once."""
    return go.Figure(data=data, layout=layout, frames=frames)


class _Frozen(tuple):
    """A dict (e.g. a make_subplots ``specs`` cell, {"colspan": 2}) as a hashable tuple of its items."""


def _hashable(value):
    """make_subplots arguments as a hashable cache key: lists and tuples as tuples, dicts as _Frozen items."""
    if isinstance(value, dict):
        return _Frozen((k, _hashable(v)) for k, v in sorted(value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_hashable(v) for v in value)
    return value


def _argument(value):
    """_hashable undone: tuples back to lists, _Frozen back to dicts (None cells of ``specs`` stay None)."""
    if isinstance(value, _Frozen):
        return {k: _argument(v) for k, v in value}
    if isinstance(value, tuple):
        return [_argument(v) for v in value]
    return value


@functools.lru_cache(maxsize=256)
def _subplot_layout(rows: int, cols: int, options: tuple) -> dict:
    kwargs = {k: _argument(v) for k, v in options}
    spec = make_subplots(rows=rows, cols=cols, **kwargs).to_dict()["layout"]
    spec.pop("template", None)  # every Figure gets the default template itself
    return spec


def subplot_layout(rows: int, cols: int, **kwargs) -> dict:
    """The layout ``make_subplots(rows, cols, **kwargs)`` makes (axis domains and anchors, shared axes, subplot
    titles as annotations), as a dict of its own: computed once per arguments (a make_subplots call costs tens of
    ms), copied for each caller. Place trace k in cell (r, c) with ``xaxis``/``yaxis`` = subplot_axes(...)."""
    return copy.deepcopy(_subplot_layout(rows, cols, tuple(sorted((k, _hashable(v)) for k, v in kwargs.items()))))


def axis_key(letter: str, n: int) -> str:
    """The layout key of axis number ``n`` (1-based): ("x", 1) -> "xaxis", ("y", 3) -> "yaxis3"."""
    return f"{letter}axis{'' if n == 1 else n}"


def axis_ref(letter: str, n: int) -> str:
    """A trace's or shape's reference to axis number ``n`` (1-based): ("x", 1) -> "x", ("y", 3) -> "y3"."""
    return f"{letter}{'' if n == 1 else n}"


def plotly_config(filename: str) -> dict:
    """Modebar config for st.plotly_chart: PNG download at projector resolution, no logo."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {"format": "png", "filename": filename, "height": 720, "width": 1280, "scale": 2},
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }


# --- Selected-step marker (appended for charts/timeline.py, gradients.py, weights.py) ---
# A dark line with a white halo, so it reads on Viridis, RdBu and white backgrounds alike.
STEP_LINE = dict(color="#111111", width=2.5)
STEP_HALO = dict(color="rgba(255,255,255,0.85)", width=6)


STEP_SHAPE = "selected step"  # the name of mark_step's shapes, so a cached figure's marker can be moved


def move_step_marks(spec: dict, t: int) -> dict:
    """A copy of figure JSON ``spec`` whose mark_step shapes stand at step t (1-based) instead. Only the layout's
    shape list is copied: the (large) data arrays are shared with ``spec``, which is left untouched."""
    shapes = []
    for shape in spec.get("layout", {}).get("shapes", []):
        if shape.get("name") == STEP_SHAPE:
            half = (shape["x1"] - shape["x0"]) / 2
            shape = {**shape, "x0": t - half, "x1": t + half}
        shapes.append(shape)
    return {**spec, "layout": {**spec.get("layout", {}), "shapes": shapes}}


def step_shapes(
    t: int, *, axes: list[tuple[str, str]] | None = None, column: bool = False, above: bool = True
) -> list[dict]:
    """The shapes that draw the selected step at x = t (1-based, as shown), full height of each subplot.

    ``axes``: (x axis, y axis) reference pairs, e.g. [("x", "y"), ("x2", "y2")] for a subplot per row; default the
    single pair ("x", "y"). ``column``: outline the heatmap column t − ½ … t + ½ instead of drawing a line through
    it, so the selected cells stay visible (use it when columns are wide, i.e. short sequences).
    ``above``: draw over the data (needed on heatmaps, which would hide it); False puts it under line charts'
    lines and markers, so the values at the selected step stay visible.
    One halo + one line/outline shape per pair (no per-cell shapes), so it stays cheap for any T.
    """
    x0, x1 = (t - 0.5, t + 0.5) if column else (t, t)
    return [dict(type="rect" if column else "line", x0=x0, x1=x1, y0=0, y1=1, xref=xref, yref=f"{yref} domain",
                 line=line, layer="above" if above else "below", name=STEP_SHAPE)
            for xref, yref in axes or [("x", "y")] for line in (STEP_HALO, STEP_LINE)]


def mark_step(
    fig: go.Figure, t: int, *, axes: list[tuple[str, str]] | None = None, column: bool = False, above: bool = True
) -> go.Figure:
    """Draw the selected step at x = t in place (step_shapes, added to the figure's shapes) and return the figure."""
    fig.update_layout(shapes=[*fig.layout.shapes, *step_shapes(t, axes=axes, column=column, above=above)])
    return fig
