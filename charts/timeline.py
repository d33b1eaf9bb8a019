"""What the LSTM (or the GRU) did at every step: gate and state heatmaps (unit × step), per-unit lines, gate
saturation.

Pure functions from a trace (or plain arrays) to a plotly Figure; no Streamlit. Steps are stored 0-based in the core
and shown 1-based here: the x axis is "step t" with t = 1 … T, and a 0-based ``step`` argument is drawn at t = step+1.
Units are shown 1-based too (unit 1 … H).

Works for single sequences (trace arrays (T, H)); a batched trace must be sliced to one sequence first.
"""

from __future__ import annotations

import numbers

import numpy as np
import plotly.graph_objects as go

from .style import (
    COLORS, DIVERGING, FONT_SIZE, LABELS, SEQUENTIAL, axis_key, axis_ref, figure, house_layout, merge, step_shapes,
    subplot_layout,
)

QUANTITIES = ("i", "f", "g", "o", "c", "h")
GRU_QUANTITIES = ("r", "z", "n", "h")  # a GRUTrace's: reset gate, update gate, candidate, hidden state
MAX_UNITS = 8  # lines per quantity in unit_lines: more are unreadable
ROW_PX = 130  # height of one heatmap / line row
COLUMN_MARK_MAX_T = 200  # up to this T the selected step is a column outline (cells stay visible), beyond a line
UNIT_DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "8px,3px,2px,3px,2px,3px", "2px,6px")

# Fixed colour ranges per quantity: sigmoid gates in [0, 1], tanh outputs in [−1, 1]; c is symmetric from its data.
_RANGES = {"i": (0.0, 1.0), "f": (0.0, 1.0), "o": (0.0, 1.0), "g": (-1.0, 1.0), "h": (-1.0, 1.0),
           "r": (0.0, 1.0), "z": (0.0, 1.0), "n": (-1.0, 1.0)}


# ----------------------------------------------------------------------------------------------------- validation
def check_step(step, T: int, name: str = "step") -> int | None:
    """None, or a 0-based step index in [0, T−1] (returned as int); else a ValueError naming ``name``."""
    if step is None:
        return None
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise ValueError(f"{name}: got {step!r}, needs None or a whole number in [0, {T - 1}] (0-based step)")
    if not 0 <= step < T:
        raise ValueError(f"{name}: got {step}, needs a whole number in [0, {T - 1}] (0-based step; T = {T})")
    return int(step)


def _check_quantities(quantities) -> tuple[str, ...]:
    if isinstance(quantities, str):
        quantities = tuple(quantities)  # "ifo" -> ('i', 'f', 'o')
    q = tuple(quantities)
    bad = [k for k in q if k not in QUANTITIES + GRU_QUANTITIES]
    if not q or bad or len(set(q)) != len(q):
        raise ValueError(
            f"quantities: got {quantities!r}, needs distinct names from {QUANTITIES} (an LSTM's) or "
            f"{GRU_QUANTITIES} (a GRU's), at least one"
        )
    return q


def _per_step(trace, quantities: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The requested (T, H) arrays of a single-sequence trace, checked for shape and finiteness."""
    out = {}
    shape = None
    for k in quantities:
        if not hasattr(trace, k):
            raise ValueError(f"trace: {type(trace).__name__} has no '{k}', needs an LSTMTrace for {QUANTITIES}, a "
                             f"GRUTrace for {GRU_QUANTITIES} (or ask only for 'h')")
        a = np.asarray(getattr(trace, k), dtype=np.float64)
        if a.ndim != 2 or a.shape[0] < 1 or a.shape[1] < 1:
            raise ValueError(
                f"trace: '{k}' has shape {a.shape}, needs (T, H) for one sequence (slice a batched trace first)"
            )
        if shape is not None and a.shape != shape:
            raise ValueError(f"trace: '{k}' has shape {a.shape}, needs {shape} like the other quantities")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"trace: '{k}' contains NaN or infinite values, needs finite numbers")
        shape = a.shape
        out[k] = a
    return out


def _steps(T: int) -> np.ndarray:
    return np.arange(1, T + 1)


# The time axis title. It never names the selected step: the marker shows it, and a cached figure's marker is moved
# without rebuilding its text (ui.figures).
STEP_TITLE = "step t"


def _row_axes(n: int) -> list[tuple[str, str]]:
    return [("x" if r == 1 else f"x{r}", "y" if r == 1 else f"y{r}") for r in range(1, n + 1)]


def _rows_layout(titles: list[str], height: int, spacing_px: int) -> dict:
    """One row per title sharing the step axis (make_subplots' layout), the row titles at the left edge: make_subplots
    centres them, and on a wide projector they read better there."""
    spec = subplot_layout(len(titles), 1, shared_xaxes=True, vertical_spacing=spacing_px / height,
                          subplot_titles=titles)
    spec["annotations"] = [merge(a, dict(x=0, xanchor="left", font=dict(size=FONT_SIZE))) for a in spec["annotations"]]
    return spec


def _percent(v: float) -> str:
    """A share in percent for a bar label: never rounds a non-zero share to "0.0 %"."""
    if v == 0.0:
        return "0 %"
    return f"{v:.1f} %" if v >= 0.1 else "< 0.1 %"


# ----------------------------------------------------------------------------------------------------- figures
def _title(quantity: str, values: np.ndarray) -> str:
    """A heatmap row's title: the quantity's label, and "≡ 1" for a forget gate that is 1 at every step and unit (the
    1997 LSTM without a forget gate, whose f is exactly 1: its row is a flat colour, not a gate that opened)."""
    if quantity == "f" and np.all(values == 1.0):
        return f"{LABELS[quantity]} ≡ 1 (no forget gate)"
    return LABELS[quantity]


def gate_heatmaps(trace, step: int | None = None, quantities=QUANTITIES) -> go.Figure:
    """One heatmap row per quantity (unit × step), sharing the step axis t = 1 … T.

    trace: LSTMTrace of one sequence (arrays (T, H)); an RNNTrace works with quantities=("h",).
    step: 0-based selected step, marked at t = step + 1 in every row (an outlined column while T <= 200, so its
    cells stay readable; a line beyond); None marks none.
    Colour ranges are fixed so rows compare across runs: i, f, o in [0, 1] (sequential), g, h in [−1, 1], c
    symmetric in [−max|c|, max|c|] (diverging, white = 0). Each row has its own short colourbar beside it.
    Heatmap z is quantity.T, shape (H, T), exactly the trace's numbers; trace name = the quantity key.
    """
    quantities = _check_quantities(quantities)
    arrays = _per_step(trace, quantities)
    T, H = next(iter(arrays.values())).shape
    step = check_step(step, T)
    n = len(quantities)
    spacing_px = 34  # room for the next row's title
    height = ROW_PX * n + spacing_px * (n - 1) + 40 + 60
    spec = _rows_layout([_title(k, arrays[k]) for k in quantities], height, spacing_px)
    x, y = _steps(T), np.arange(1, H + 1)
    data = []
    for r, k in enumerate(quantities, start=1):
        z = arrays[k].T  # (H, T): unit × step
        if k in _RANGES:
            zmin, zmax = _RANGES[k]
        else:  # c: symmetric around 0 from its own largest magnitude
            m = float(np.max(np.abs(z))) or 1.0
            zmin, zmax = -m, m
        scale = SEQUENTIAL if zmin == 0.0 else DIVERGING
        ticks = [zmin, (zmin + zmax) / 2, zmax]
        dom = spec[axis_key("y", r)]["domain"]
        data.append(dict(
            type="heatmap", z=z, x=x, y=y, name=k, zmin=zmin, zmax=zmax, colorscale=scale,
            **({} if scale == SEQUENTIAL else {"zmid": 0.0}),  # signed: white is exactly 0
            colorbar=dict(
                y=(dom[0] + dom[1]) / 2, len=dom[1] - dom[0], yanchor="middle", x=1.01,
                thickness=14, tickfont=dict(size=FONT_SIZE - 3), outlinewidth=0,
                tickvals=ticks, ticktext=[f"{v:.3g}" for v in ticks],
            ),
            hovertemplate=f"t = %{{x}}<br>unit %{{y}}<br>{k} = %{{z:.4g}}<extra>{LABELS[k]}</extra>",
            xaxis=axis_ref("x", r), yaxis=axis_ref("y", r),
        ))
        spec[axis_key("y", r)].update(
            title=dict(text="unit", standoff=4), autorange="reversed", showgrid=False, zeroline=False,
            **({"dtick": 1} if H <= 8 else {"nticks": 5}),
        )
        spec[axis_key("x", r)].update(showgrid=False, zeroline=False, **({"dtick": 1} if T <= 20 else {}))
    spec[axis_key("x", n)]["title"] = dict(text=STEP_TITLE)
    if step is not None:
        spec["shapes"] = step_shapes(step + 1, axes=_row_axes(n), column=T <= COLUMN_MARK_MAX_T)
    return figure(data, merge(spec, house_layout(height=height), dict(margin=dict(l=70, r=80, t=40, b=60))))


def unit_lines(trace, units: list[int], quantities=QUANTITIES, step: int | None = None) -> go.Figure:
    """Line view over steps t = 1 … T for chosen units: one row per quantity, one line per unit.

    units: 0-based unit indices (at most 8), shown 1-based: index 2 is "unit 3". Colour = quantity (house colours),
    dash style = unit; legend entries "f · unit 3". y ranges: i, f, o [0, 1]; g, h [−1, 1]; c from its data.
    step: 0-based selected step, drawn at t = step + 1 in every row.
    """
    quantities = _check_quantities(quantities)
    arrays = _per_step(trace, quantities)
    T, H = next(iter(arrays.values())).shape
    step = check_step(step, T)
    if isinstance(units, numbers.Integral) and not isinstance(units, bool):
        units = [units]
    try:
        units = list(units)
    except TypeError:
        raise ValueError(f"units: got {units!r}, needs a list of 0-based unit indices") from None
    if not 1 <= len(units) <= MAX_UNITS:
        raise ValueError(f"units: got {len(units)} units, needs 1 to {MAX_UNITS} (more lines are unreadable)")
    for u in units:
        if isinstance(u, bool) or not isinstance(u, numbers.Integral) or not 0 <= u < H:
            raise ValueError(f"units: got {u!r}, needs 0-based unit indices in [0, {H - 1}]")
    if len(set(units)) != len(units):
        raise ValueError(f"units: got {units}, needs distinct indices")
    units = [int(u) for u in units]

    n = len(quantities)
    spacing_px = 34
    legend_px = 22 * n + 16  # legend grouped by unit: one column per unit, one entry per quantity
    height = ROW_PX * n + spacing_px * (n - 1) + legend_px + 40 + 60
    spec = _rows_layout([_title(k, arrays[k]) for k in quantities], height, spacing_px)
    x = _steps(T)
    mode = "lines+markers" if T <= 40 else "lines"
    data = []
    for r, k in enumerate(quantities, start=1):
        for j, u in enumerate(units):
            data.append(dict(
                type="scatter", x=x, y=arrays[k][:, u], name=f"{k} · unit {u + 1}", mode=mode,
                line=dict(color=COLORS[k], dash=UNIT_DASHES[j], width=2.5), marker=dict(size=5),
                legendgroup=f"unit {u + 1}",
                hovertemplate=f"t = %{{x}}<br>{k} = %{{y:.4g}}<extra>{k} · unit {u + 1}</extra>",
                xaxis=axis_ref("x", r), yaxis=axis_ref("y", r),
            ))
        if k in _RANGES:
            lo, hi = _RANGES[k]
            pad = 0.05 * (hi - lo)
            spec[axis_key("y", r)]["range"] = [lo - pad, hi + pad]
        spec[axis_key("y", r)].update(nticks=4, zeroline=False)
        spec[axis_key("x", r)].update(**({"dtick": 1} if T <= 20 else {}),  # markers shown: keep the axis on the steps
                                      **({"range": [0.5, T + 0.5]} if T <= 40 else {}))
    spec[axis_key("x", n)]["title"] = dict(text=STEP_TITLE)
    if step is not None:
        spec["shapes"] = step_shapes(step + 1, axes=_row_axes(n), above=False)
    return figure(data, merge(spec, house_layout(height=height), dict(
        margin=dict(l=70, r=20, t=40 + legend_px, b=60),
        legend=dict(orientation="h", yanchor="bottom", y=1.0 + 28 / (height - 100 - legend_px), xanchor="left", x=0,
                    groupclick="toggleitem", tracegroupgap=0),
    )))


def saturation_bars(saturation: dict[str, tuple[float, float]], *, low: float = 0.05, high: float = 0.95) -> go.Figure:
    """Horizontal bars per gate: the share of values saturated shut (< low) and open (> high), in percent.

    saturation: {gate: (share_low, share_high)} with shares in [0, 1], e.g. lstm_core.analysis.gate_saturation.
    low, high: the thresholds used to compute it (only for the labels); the candidate g is counted on (g+1)/2, i.e.
    g < 2·low − 1 and g > 2·high − 1, as gate_saturation does. Gates are listed top to bottom in i, f, g, o order.
    """
    if not isinstance(saturation, dict) or not saturation:
        raise ValueError(f"saturation: got {type(saturation).__name__}, needs a non-empty dict gate -> (low, high)")
    order = QUANTITIES + GRU_QUANTITIES
    gates = [k for k in order if k in saturation] + [k for k in saturation if k not in order]
    shut, open_ = [], []
    for k in gates:
        try:
            lo_share, hi_share = (float(v) for v in saturation[k])
        except (TypeError, ValueError):
            raise ValueError(f"saturation: '{k}' is {saturation[k]!r}, needs a pair (share_low, share_high)") from None
        for v in (lo_share, hi_share):
            if not (np.isfinite(v) and 0.0 <= v <= 1.0):
                raise ValueError(f"saturation: '{k}' has share {v}, needs shares in [0, 1]")
        if lo_share + hi_share > 1.0 + 1e-12:
            raise ValueError(f"saturation: '{k}' shares add up to {lo_share + hi_share}, needs at most 1")
        shut.append(100.0 * lo_share)
        open_.append(100.0 * hi_share)

    def threshold(k: str, side: str) -> str:
        if k in ("g", "n"):
            return f"{k} < {2 * low - 1:.2g}" if side == "low" else f"{k} > {2 * high - 1:.2g}"
        return f"{k} < {low:.2g}" if side == "low" else f"{k} > {high:.2g}"

    labels = [LABELS.get(k, k) for k in gates]
    colors = [COLORS.get(k, COLORS["x"]) for k in gates]
    data = [
        dict(
            type="bar", y=labels, x=vals, name=name, orientation="h",
            marker=dict(color=colors, pattern=dict(shape=pattern, fgcolor=colors, bgcolor="white", solidity=0.45),
                        line=dict(color=colors, width=2)),
            text=[f"{name.split()[1]} {_percent(v)}" for v in vals], textposition="outside", cliponaxis=False,
            customdata=[threshold(k, side) for k in gates],
            hovertemplate="%{y}<br>%{customdata}: %{x:.4g} % of values<extra>" + name + "</extra>",
        )
        for name, vals, side, pattern in (("saturated shut", shut, "low", "/"), ("saturated open", open_, "high", ""))
    ]
    xmax = max(max(shut), max(open_))
    return figure(data, house_layout(
        height=90 + 70 * len(gates), barmode="group", bargap=0.25, bargroupgap=0.05,
        xaxis=dict(title=dict(text="share of all steps × units (%)"), range=[0, min(100.0, xmax) * 1.25 + 5],
                   ticksuffix=" %"),
        yaxis=dict(autorange="reversed", ticklabelstandoff=10),
        margin=dict(l=150, r=30, t=40, b=60),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="left", x=0),
    ))
