"""One-line text summaries of figures, computed from the data they draw: for screen readers and for the back rows of
a lecture hall, where a chart's detail does not carry (issue 17).

``figure_summary(spec)`` reads a figure's JSON (``fig.to_dict()``, or the JSON st.plotly_chart sent, where arrays
arrive base64-encoded) and returns one sentence. One function per chart kind, chosen from the traces:

- ``cell_sentence``: the cell diagram (a text trace named "values" with ids): the step and every node's value.
- ``line_sentence``: a line / marker series: where it starts and ends, and its extreme in between.
  A figure whose ``layout.meta`` has read = "backwards" (gradients, which flow from the last step back) is read from
  its last x to its first: "LSTM ‖dL/dc_t‖ falls from 1 at t = 40 to 1.2e-4 at t = 1".
- ``heatmap_sentence``: a map: its smallest and largest cell, and where they are.
- ``bar_sentence``: bars: the largest and the smallest bar, by their label.

``layout.meta`` may also name the symbol of an axis (``{"x": "unit"}``) where the axis has no title (otherwise the
last word of the axis title is used: "step t" -> t), and the traces to read (``{"series": [names]}``) where the data
sits in a trace without hover (a map under a hover layer), and ``{"y_log": True}`` for a map drawn at log10 of its
y values.

Traces that only carry a legend entry, a colour bar or a band (no hover, or no finite data) are left out. At most
``MAX_SERIES`` series are named; the rest are counted ("and 3 more series"). No Streamlit import (charts/ rule).
"""

from __future__ import annotations

import base64
import math
import re

import numpy as np

MAX_SERIES = 6

_TAG = re.compile(r"<[^>]+>")


def plain(text) -> str:
    """Plotly rich text as plain text: '<br>' becomes a space, 'c<sub>t</sub>' becomes 'c_t', other tags go."""
    s = str(text or "")
    s = re.sub(r"<br\s*/?>", " ", s)
    s = re.sub(r"<sub>(.*?)</sub>", r"_\1", s)
    s = re.sub(r"<sup>(.*?)</sup>", r"^\1", s)
    return re.sub(r"\s+", " ", _TAG.sub("", s)).strip()


def number(v: float) -> str:
    """A value as a reader says it: 3 significant digits, powers of ten as 1.2e-4, a true minus sign."""
    if not math.isfinite(v):
        return "∞" if v > 0 else "−∞" if v < 0 else "not a number"
    if v == 0:
        return "0"
    if float(v).is_integer() and abs(v) < 1e5:
        return str(int(v)).replace("-", "−")
    if 100 <= abs(v) < 1e5:
        return f"{v:.0f}".replace("-", "−")
    if abs(v) < 1e-3 or abs(v) >= 1e5:
        mant, exp = f"{v:.1e}".split("e")
        text = f"{mant.rstrip('0').rstrip('.')}e{int(exp)}"
    else:
        text = f"{v:.3g}"
    return text.replace("-", "−")


def array(value) -> np.ndarray:
    """Figure data as a 1-d/2-d float array (None and text as NaN); accepts plotly's base64 form
    {"dtype", "bdata", "shape"}."""
    if value is None:
        return np.array([], dtype=np.float64)
    if isinstance(value, dict) and "bdata" in value:
        a = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        shape = value.get("shape")
        if shape:
            a = a.reshape([int(s) for s in str(shape).split(",")])
        return a.astype(np.float64)
    if isinstance(value, np.ndarray) and value.dtype.kind in "fiub":
        return value.astype(np.float64)
    rows = [array(v) if isinstance(v, (list, tuple, np.ndarray, dict)) else v for v in value]
    if rows and all(isinstance(r, np.ndarray) for r in rows):
        width = max((r.size for r in rows), default=0)
        return np.array([np.pad(r, (0, width - r.size), constant_values=np.nan) for r in rows], dtype=np.float64)
    return np.array([_float(v) for v in rows], dtype=np.float64)


def _float(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def labels(value) -> list:
    """Axis positions (numbers or category text) as a list, numbers as floats."""
    if isinstance(value, dict) and "bdata" in value:
        return list(array(value))
    return [] if value is None else list(value)


def _at(x) -> str:
    if isinstance(x, (int, float, np.floating, np.integer)):
        return number(float(x))
    return plain(x)


def place(symbol: str, x) -> str:
    """'t = 5' for a one-letter symbol, 'unit 3' / 'iteration 200' for a word, just the label for a category."""
    if not isinstance(x, (int, float, np.floating, np.integer)):
        return plain(x)
    return f"{symbol} = {_at(x)}" if len(symbol) == 1 else f"{symbol} {_at(x)}"


def axis_symbol(spec: dict, axis: str = "x", *, whole: bool = False) -> str:
    """The symbol a sentence uses for an axis, from its title's last word: 'step t' -> 't', 'sequence length T
    (loss at step T)' -> 'T', 'training iteration' -> 'iteration'; 'x' when untitled. ``whole``: the whole title
    (without its parentheses), for maps, whose two axes may end in the same word ('unit', 'previous unit')."""
    lay = spec.get("layout", {}) or {}
    meta = lay.get("meta")
    if isinstance(meta, dict) and meta.get(axis[0]):
        return str(meta[axis[0]])
    # this axis' title, else (shared axes title only one of them) the first titled axis of the same letter
    keys = [_axis_key(axis)] + sorted(k for k in lay if re.fullmatch(f"{axis[0]}axis\\d*", k))
    for key in keys:
        title = (lay.get(key) or {}).get("title")
        text = title.get("text") if isinstance(title, dict) else title
        words = plain(re.sub(r"\(.*?\)", "", str(text or "").split("<br>")[0])).split()
        if words:  # a one-letter symbol (t, T) reads best alone: 't = 5', not 'step t 5'
            return " ".join(words) if whole and len(words[-1]) > 1 else words[-1]
    return axis[0]


def _axis_key(ref: str) -> str:
    """'x' -> 'xaxis', 'x2' -> 'xaxis2' (a trace's xaxis reference to its layout key)."""
    return f"{ref[0]}axis{ref[1:]}"


def _name(tr: dict, fallback: str) -> str:
    return plain(tr.get("name")) or fallback


# ------------------------------------------------------------------------------------------------ one per kind


def _finite_points(x, y):
    """(y as an array, the x labels (1-based positions when x is None), the indices of y's finite values), or None
    when y has no finite value: what line_sentence and bar_sentence read."""
    y = array(y)
    idx = np.flatnonzero(np.isfinite(y))
    if idx.size == 0:
        return None
    return y, labels(x) if x is not None else list(range(1, y.size + 1)), idx


def line_sentence(name: str, x, y, *, symbol: str = "x", backwards: bool = False) -> str | None:
    """'<name> falls from A at t = a to B at t = b' (+ its extreme in between when that lies beyond both ends), over
    the finite points; None when there are none. ``backwards``: read from the last point to the first."""
    points = _finite_points(x, y)
    if points is None:
        return None
    y, xs, idx = points
    if backwards:
        idx = idx[::-1]
    a, b = idx[0], idx[-1]
    if idx.size == 1:
        return f"{name} is {number(y[a])} at {place(symbol, xs[a])}"
    ya, yb = y[a], y[b]
    tol = 1e-9 * max(abs(ya), abs(yb), 1e-300)
    same = abs(yb - ya) <= tol or number(ya) == number(yb)  # equal as read: no 'falls from 1 to 1'
    verb = "stays at" if same else "rises" if yb > ya else "falls"
    if verb == "stays at":
        text = f"{name} stays at {'' if ya == yb else 'about '}{number(ya)} from {place(symbol, xs[a])} to {place(symbol, xs[b])}"
    else:
        text = f"{name} {verb} from {number(ya)} at {place(symbol, xs[a])} to {number(yb)} at {place(symbol, xs[b])}"
    lo, hi = idx[np.argmin(y[idx])], idx[np.argmax(y[idx])]
    extras = []
    if y[hi] > max(ya, yb) + tol:
        extras.append(f"highest {number(y[hi])} at {place(symbol, xs[hi])}")
    if y[lo] < min(ya, yb) - tol:
        extras.append(f"lowest {number(y[lo])} at {place(symbol, xs[lo])}")
    return text + (f" ({', '.join(extras)})" if extras else "")


def heatmap_sentence(name: str, z, x=None, y=None, *, x_symbol: str = "x", y_symbol: str = "y") -> str | None:
    """'<name> ranges from A (t = a, unit = b) to B (t = c, unit = d)' over the finite cells; None if there are
    none. Rows are y, columns x (plotly's z[row][column])."""
    z = array(z)
    if z.ndim == 1:
        z = z[None, :]
    ok = np.isfinite(z)
    if z.size == 0 or not ok.any():
        return None
    xs = labels(x) if x is not None else list(range(z.shape[1]))
    ys = labels(y) if y is not None else list(range(z.shape[0]))
    masked = np.where(ok, z, np.nan)
    lo = np.unravel_index(np.nanargmin(masked), z.shape)
    hi = np.unravel_index(np.nanargmax(masked), z.shape)

    def where(rc):
        r, c = rc
        return f"{place(x_symbol, xs[c] if c < len(xs) else c)}, {place(y_symbol, ys[r] if r < len(ys) else r)}"

    if z[lo] == z[hi]:
        return f"{name} is {number(z[lo])} everywhere"
    return f"{name} ranges from {number(z[lo])} ({where(lo)}) to {number(z[hi])} ({where(hi)})"


def bar_sentence(name: str, x, y, *, symbol: str = "x") -> str | None:
    """'<name>: largest A at x = a, smallest B at x = b' over the finite bars; None if there are none."""
    points = _finite_points(x, y)
    if points is None:
        return None
    y, xs, idx = points
    hi, lo = idx[np.argmax(y[idx])], idx[np.argmin(y[idx])]
    if idx.size == 1:
        return f"{name} is {number(y[hi])} at {place(symbol, xs[hi])}"
    if y[hi] == y[lo]:
        return f"{name} is {number(y[hi])} for all {idx.size} bars"
    return f"{name}: largest {number(y[hi])} at {place(symbol, xs[hi])}, smallest {number(y[lo])} at " \
           f"{place(symbol, xs[lo])}"


def cell_sentence(values: dict, nodes: dict | None = None) -> str | None:
    """The cell diagram (charts.cell) as one line: the step (its "values" text trace, id "step"), then each node's
    exact value under its hover name (the "nodes" trace: customdata and "<name> = %{customdata}" templates), so
    that a layout printing few labels (compact) still says every value. Without nodes: the printed labels."""
    pairs = dict(zip(list(values.get("ids") or []), (plain(t) for t in list(values.get("text") or []))))
    step = pairs.pop("step", "")
    pairs.pop("output", None)  # an arrow's caption, not a value
    items = [t for t in pairs.values() if t]
    if nodes and nodes.get("customdata") is not None:
        items = []
        for template, v in zip(list(nodes.get("hovertemplate") or []), array(nodes["customdata"])):
            name, sep, _ = str(template).partition(" = %{customdata}")
            name = re.sub(r"\[unit \d+\]", "", plain(name)).strip()
            if sep and name and name not in {i.split(" = ")[0] for i in items}:
                items.append(f"{name} = {number(float(v))}")
    body = "; ".join(items)
    return f"{step}: {body}" if step else body or None


# ------------------------------------------------------------------------------------------------ whole figure


def _shown(tr: dict) -> bool:
    """A trace with data a reader should hear about (not a legend stub, band, carrier or hidden trace)."""
    return tr.get("visible", True) not in (False, "legendonly") and tr.get("hoverinfo") != "skip"


def trace_sentence(spec: dict, tr: dict, *, backwards: bool = False, y_log: bool = False) -> str | None:
    """The clause for one trace of figure ``spec``, by its kind; None for a kind or mode that is not a series."""
    kind = tr.get("type", "scatter")
    xref, yref = tr.get("xaxis", "x"), tr.get("yaxis", "y")
    if kind == "heatmap":
        y = tr.get("y")
        if y is not None and y_log:  # drawn at log10 of its values: say the values
            y = list(10.0 ** array(y))
        return heatmap_sentence(_name(tr, "the map"), tr.get("z"), tr.get("x"), y,
                                x_symbol=axis_symbol(spec, xref, whole=True),
                                y_symbol=axis_symbol(spec, yref, whole=True))
    if kind in ("bar", "histogram"):
        if tr.get("orientation") == "h":  # values along x, labels along y
            return bar_sentence(_name(tr, "the bars"), tr.get("y"), tr.get("x"), symbol=axis_symbol(spec, yref))
        return bar_sentence(_name(tr, "the bars"), tr.get("x"), tr.get("y"), symbol=axis_symbol(spec, xref))
    if kind == "scatter" and tr.get("mode") != "text":  # a text-only trace labels the plot: not a series
        return line_sentence(_name(tr, "the series"), tr.get("x"), tr.get("y"), symbol=axis_symbol(spec, xref),
                             backwards=backwards)
    return None


def figure_summary(spec: dict) -> str:
    """One sentence about the figure ``spec`` (a figure's dict / JSON), computed from its data: its title, then one
    clause per shown series (see the module docstring), at most MAX_SERIES of them."""
    lay = spec.get("layout", {}) or {}
    title = lay.get("title")
    title = plain(title.get("text") if isinstance(title, dict) else title)
    backwards = isinstance(lay.get("meta"), dict) and lay["meta"].get("read") == "backwards"
    data = spec.get("data", []) or []
    cell = [tr for tr in data if tr.get("name") == "values" and tr.get("ids") and tr.get("mode") == "text"]
    if cell:  # the cell diagram: its nodes' values say everything; its edges are drawing, not data
        nodes = next((tr for tr in data if tr.get("name") == "nodes"), None)
        return f"{title}, {cell_sentence(cell[0], nodes)}."
    meta = lay["meta"] if isinstance(lay.get("meta"), dict) else {}
    series = meta.get("series")
    clauses = []
    for tr in data:
        if (tr.get("name") in series) if series is not None else _shown(tr):
            clause = trace_sentence(spec, tr, backwards=backwards, y_log=bool(meta.get("y_log")))
            if clause:
                clauses.append(clause)
    head = f"{title}: " if title and not (clauses and clauses[0].startswith(title)) else ""
    if not clauses:
        return f"{head}no finite values to show." if head else "The chart has no finite values to show."
    more = len(clauses) - MAX_SERIES
    body = "; ".join(clauses[:MAX_SERIES]) + (f"; and {more} more series" if more > 0 else "")
    return f"{head}{body}."
