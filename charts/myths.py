"""Myths vs. measurements: one figure per misconception, drawn from the numbers lstm_core.myths computes.

Pure functions to plotly Figures; no Streamlit. Steps and units are shown 1-based (t = 1 … T, unit 1 … H); a stored
memory c₀ is drawn at t = 0. Trace names are stable (tests read the figures back by them).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lstm_core.myths import (
    COMMON_C,
    EXPLODING_C,
    PRESERVED_C,
    PRESERVED_H,
    BPTTCost,
    CellGrowth,
    GateDistribution,
    GatedMemory,
    GateShapes,
    HistoryGates,
    LabVariant,
    NoClock,
    OutputFormula,
    GradientLimits,
    VariantComparison,
    WeightSharing,
)
from lstm_core.params import GATES, block_symbol

from .gradients import drawable, log_ticks
from .grid import hband, hline, line_label, vband
from .style import (
    COLORS, DIVERGING, FONT_SIZE, LABELS, axis_key, axis_ref, figure, house_layout, html_symbol, merge, subplot_layout,
)
from .weights import gate_weight_heatmaps

HISTORY_COLORS = {"a": "#333333", "b": "#D55E00"}  # history A / B in myth 1
X_ONLY = dict(color="#333333", dash="dash")  # the x-only-gates variant, drawn over the standard LSTM
CASE_COLORS = (COLORS["f"], COLORS["g"], COLORS["x"])  # the three hand-built cells of myths 2 and 8
SATURATED = 0.05  # a sigmoid gate within this of 0 or 1 counts as "≈ 0" / "≈ 1"


def _gate_title(k: str) -> str:
    return LABELS[k].rsplit(" ", 1)[0]


def _colour_titles(annotations: list[dict]) -> None:
    """Subplot titles that name a gate take that gate's colour (in place)."""
    for ann in annotations:
        for k in GATES:
            if ann["text"].startswith(_gate_title(k)):
                ann["font"] = merge(ann.get("font", {}), dict(size=FONT_SIZE, color=COLORS[k]))


def _legend_below(y: float, bottom: int) -> dict:
    """Layout keys for a horizontal legend under the plot, from its left edge, with ``bottom`` px of margin."""
    return dict(legend=dict(orientation="h", y=y, yanchor="top", x=0, xanchor="left"), margin=dict(b=bottom))


# ---- 1 ----------------------------------------------------------------------------------------------------------


def history_gates(r: HistoryGates) -> go.Figure:
    """Top: input channel 1 of the two sequences (their last step is the same). Bottom: each gate at that last step,
    unit by unit, after history A (dark dots) and history B (orange diamonds), joined by a line per unit; each gate's
    axis is zoomed to its values."""
    T, H = r.x_a.shape[0], r.h_prev_a.shape[0]
    spec = subplot_layout(  # cell 1 spans the top row; the gates are cells 2 … 5 below
        rows=2, cols=4, specs=[[{"colspan": 4}, None, None, None], [{}, {}, {}, {}]],
        row_heights=[0.38, 0.62], vertical_spacing=0.2, horizontal_spacing=0.05,
        subplot_titles=["Two histories, then the same input x<sub>T</sub> (grey band)",
                        *(_gate_title(k) for k in GATES)],
    )
    t = np.arange(1, T + 1)
    data = [dict(type="scatter", x=t, y=x[:, 0], name=f"history {tag.upper()}", mode="lines+markers",
                 line=dict(color=HISTORY_COLORS[tag], width=2), marker=dict(size=5),
                 hovertemplate=f"history {tag.upper()}<br>t = %{{x}}<br>x_t (input 1) = %{{y:.3f}}<extra></extra>",
                 xaxis="x", yaxis="y")
            for tag, x in (("a", r.x_a), ("b", r.x_b))]
    spec["shapes"] = [vband(T - 0.5, T + 0.5, "rgba(0,0,0,0.12)")]
    spec["xaxis"]["title"] = dict(text="step t")
    spec["yaxis"]["title"] = dict(text="x_t (input 1)")
    units = np.arange(1, H + 1)
    for n, k in enumerate(GATES, start=2):
        a, b = r.gates_a[k], r.gates_b[k]
        xs = np.repeat(units, 3).astype(float)
        ys = [v for pair in zip(a.tolist(), b.tolist()) for v in (*pair, None)]  # None: a gap between the units
        axes = dict(xaxis=axis_ref("x", n), yaxis=axis_ref("y", n))
        data.append(dict(type="scatter", x=xs, y=ys, mode="lines", line=dict(color=COLORS[k], width=3),
                         showlegend=False, hoverinfo="skip", name=f"{k} gap", **axes))
        for tag, v, sym in (("a", a, "circle"), ("b", b, "diamond")):
            data.append(dict(
                type="scatter", x=units, y=v, mode="markers", name=f"{k} after {tag.upper()}", showlegend=False,
                marker=dict(color=HISTORY_COLORS[tag], size=9 if H <= 16 else 6, symbol=sym),
                hovertemplate=f"{k} after history {tag.upper()}<br>unit %{{x}}: %{{y:.4f}}<extra></extra>", **axes,
            ))
        lo, hi = float(min(a.min(), b.min())), float(max(a.max(), b.max()))
        pad = max(0.1 * (hi - lo), 0.02)  # zoomed to the values, so the gaps between A and B are visible
        spec[axis_key("y", n)]["range"] = [lo - pad, hi + pad]
        spec[axis_key("x", n)].update(title=dict(text="unit"), **({"dtick": 1} if H <= 16 else {}))
    _colour_titles(spec["annotations"])
    return figure(data, merge(spec, house_layout(height=520),
                              dict(legend=dict(y=1.08, x=0, xanchor="left"))))  # top left: clear of the modebar


# ---- 2 and 8 ------------------------------------------------------------------------------------------------------


def gated_memory(r: GatedMemory, *, title: str | None = None) -> go.Figure:
    """c_t of each hand-built cell over t = 0 … T, one line per case; the stored c₀ is a diamond at t = 0."""
    T = r.c.shape[0]
    t = np.arange(0, T + 1)
    data = [dict(type="scatter", x=t, y=np.concatenate([[r.c0], r.c[:, u]]), name=label, mode="lines",
                 line=dict(color=CASE_COLORS[u % len(CASE_COLORS)], width=3),
                 hovertemplate=f"{label}<br>t = %{{x}}<br>c_t = %{{y:.6f}}<extra></extra>")
            for u, label in enumerate(r.labels)]
    data.append(dict(type="scatter", x=[0], y=[r.c0], name="stored memory c₀", mode="markers",
                     marker=dict(color="#111111", size=12, symbol="diamond"),
                     hovertemplate="stored memory c₀ = %{y}<extra></extra>"))
    return figure(data, house_layout(
        title=title, height=400,
        xaxis=dict(title=dict(text="step t  (t = 0: the memory already stored)")),
        yaxis=dict(title=dict(text=LABELS["c"])),
        **_legend_below(-0.3, 110),
    ))


# ---- 3 --------------------------------------------------------------------------------------------------------------


def output_formula(r: OutputFormula, unit: int = 0) -> go.Figure:
    """One unit over time: the core's h_t, o_t ⊙ tanh(c_t) recomputed (circles on it), the myth's tanh(σ(c_t))
    (dashed), and the band (0, tanh 1) that tanh(σ(·)) can never leave."""
    T, H = r.h.shape
    if not 0 <= unit < H:
        raise ValueError(f"unit: got {unit}, needs a unit index in [0, {H - 1}]")
    t = np.arange(1, T + 1)
    top = float(np.tanh(1.0))
    data = [
        dict(type="scatter", x=t, y=r.h[:, unit], name="h_t (the core)", mode="lines",
             line=dict(color=COLORS["h"], width=4), hovertemplate="t = %{x}<br>h_t = %{y:.6f}<extra></extra>"),
        dict(type="scatter", x=t, y=r.correct[:, unit], name="o_t ⊙ tanh(c_t)", mode="markers",
             marker=dict(color=COLORS["o"], size=8 if T <= 60 else 5, symbol="circle-open",
                         line=dict(width=2 if T <= 60 else 1)),
             hovertemplate="t = %{x}<br>o·tanh(c) = %{y:.6f}<extra></extra>"),
        dict(type="scatter", x=t, y=r.myth[:, unit], name="myth: tanh(σ(c_t))", mode="lines",
             line=dict(color="#333333", width=2.5, dash="dash"),
             hovertemplate="t = %{x}<br>tanh(σ(c)) = %{y:.6f}<extra></extra>"),
    ]
    return figure(data, house_layout(
        height=400,
        shapes=[hband(0.0, top, "rgba(120,120,120,0.12)")],
        annotations=[dict(text="the only values tanh(σ(c)) can take", showarrow=False, x=0, xanchor="left",
                          xref="x domain", y=top, yanchor="top", yref="y")],  # inside the band, at its top left
        xaxis=dict(title=dict(text="step t")),
        yaxis=dict(title=dict(text=f"unit {unit + 1}")),
    ))


# ---- 4 --------------------------------------------------------------------------------------------------------------


def gate_histograms(r: GateDistribution) -> go.Figure:
    """How often each sigmoid gate takes each value in [0, 1] (one panel per gate, shared counts axis); the grey
    strips are the "≈ 0" and "≈ 1" zones a binary gate would live in."""
    gates = tuple(r.counts)
    # the titles carry this run's shares: set below, so the (cached) layout is keyed on the gates alone
    spec = subplot_layout(rows=1, cols=len(gates), shared_yaxes=True, horizontal_spacing=0.04, subplot_titles=gates)
    for ann, k in zip(spec["annotations"], gates):
        ann["text"] = f"{_gate_title(k)}: {100 * r.share_between[k]:.0f} % in (0.05, 0.95)"
    centers = (r.edges[:-1] + r.edges[1:]) / 2
    width = float(r.edges[1] - r.edges[0])
    data = []
    for n, k in enumerate(gates, start=1):
        data.append(dict(type="bar", x=centers, y=r.counts[k], width=width * 0.92, name=k, marker=dict(color=COLORS[k]),
                         showlegend=False,
                         hovertemplate=f"{k} in [%{{customdata[0]:.2f}}, %{{customdata[1]:.2f}})<br>"
                                       "%{y} values<extra></extra>",
                         customdata=np.column_stack([r.edges[:-1], r.edges[1:]]),
                         xaxis=axis_ref("x", n), yaxis=axis_ref("y", n)))
        spec[axis_key("x", n)].update(range=[0, 1], dtick=0.25, title=dict(text="gate value"))
    spec["shapes"] = [vband(x0, x1, "rgba(0,0,0,0.10)", n, layer="below")  # under the bars
                      for n in range(1, len(gates) + 1) for x0, x1 in ((0.0, SATURATED), (1.0 - SATURATED, 1.0))]
    spec["yaxis"]["title"] = dict(text=f"count (of {r.n_values} per gate)")
    _colour_titles(spec["annotations"])
    return figure(data, merge(spec, house_layout(height=380)))


# ---- 5 --------------------------------------------------------------------------------------------------------------


def bptt_cost(r: BPTTCost) -> go.Figure:
    """Left: measured seconds of forward + BPTT per T with the fitted line. Right: the numbers the forward pass
    stores for the backward pass, per T (exactly linear)."""
    spec = subplot_layout(rows=1, cols=2, horizontal_spacing=0.12,
                          subplot_titles=["Time for forward + BPTT (measured)", "Numbers kept for the backward pass"])
    T = r.lengths.astype(float)
    fit_x = np.array([0.0, T.max()])
    data = [
        dict(type="scatter", x=T, y=1e3 * r.seconds, name="measured", mode="markers",
             marker=dict(color=COLORS["lstm"], size=12), hovertemplate="T = %{x}<br>%{y:.2f} ms<extra></extra>",
             xaxis="x", yaxis="y"),
        dict(type="scatter", x=fit_x, y=1e3 * (r.slope * fit_x + r.intercept),
             name=f"fit: {1e6 * r.slope:.1f} µs per step (R² = {r.r2:.3f})", mode="lines",
             line=dict(color="#333333", dash="dash", width=2), hoverinfo="skip", xaxis="x", yaxis="y"),
        dict(type="scatter", x=T, y=r.stored_floats, name="stored numbers", mode="lines+markers",
             line=dict(color=COLORS["c"], width=2.5), marker=dict(size=10),
             hovertemplate="T = %{x}<br>%{y:,} numbers<extra></extra>", xaxis="x2", yaxis="y2"),
    ]
    for n in (1, 2):
        spec[axis_key("x", n)].update(title=dict(text="sequence length T"), rangemode="tozero")
    spec["yaxis"].update(title=dict(text="milliseconds"), rangemode="tozero")
    spec["yaxis2"].update(title=dict(text="float64 values"), rangemode="tozero")
    return figure(data, merge(spec, house_layout(height=400, **_legend_below(-0.25, 100))))


# ---- 6 --------------------------------------------------------------------------------------------------------------


def no_clock(r: NoClock, unit: int = 0) -> go.Figure:
    """Left: h of one unit against wall-clock time (log axis) for the two recordings. Right: the same two traces
    against the step index t: they coincide."""
    T = r.x.shape[0]
    t = np.arange(1, T + 1)
    spec = subplot_layout(rows=1, cols=2, horizontal_spacing=0.1,
                          subplot_titles=["Against wall-clock time (log scale)", "Against the step t"])
    runs = (("fast", "100 samples per second", r.times_fast, r.h_fast, dict(color=COLORS["h"], width=4)),
            ("slow", "1 s to 5 min apart", r.times_slow, r.h_slow, dict(color="#333333", width=2, dash="dash")))
    data = []
    for tag, label, times, h, line in runs:
        name = f"recorded {label}"
        data.append(dict(type="scatter", x=times, y=h[:, unit], name=name, mode="lines+markers", line=line,
                         marker=dict(size=5), legendgroup=tag,
                         hovertemplate=f"{label}<br>%{{x:.3g}} s<br>h = %{{y:.6f}}<extra></extra>",
                         xaxis="x", yaxis="y"))
        data.append(dict(type="scatter", x=t, y=h[:, unit], name=f"{name} (by step)", mode="lines+markers",
                         line=line, marker=dict(size=5), legendgroup=tag, showlegend=False,
                         hovertemplate=f"{label}<br>t = %{{x}}<br>h = %{{y:.6f}}<extra></extra>",
                         xaxis="x2", yaxis="y2"))
    spec["xaxis"].update(type="log", title=dict(text="seconds since the recording started"))
    spec["xaxis2"]["title"] = dict(text="step t")
    spec["yaxis"]["title"] = dict(text=f"h_t, unit {unit + 1}")
    return figure(data, merge(spec, house_layout(height=400, **_legend_below(-0.25, 100))))


# ---- 7 --------------------------------------------------------------------------------------------------------------


def recurrent_blocks(params) -> go.Figure:
    """The four H × H blocks of W_hh (charts.weights.gate_weight_heatmaps) with each diagonal dotted: one-to-one
    connections across time would leave everything off that line white."""
    fig = gate_weight_heatmaps(params, "weight_hh")
    H = params.hidden_size
    diagonals = [dict(type="line", x0=0.5, y0=0.5, x1=H + 0.5, y1=H + 0.5, xref=axis_ref("x", n),
                      yref=axis_ref("y", n), line=dict(color="#111111", width=2, dash="dot"), layer="above")
                 for n in range(1, 5)]
    fig.update_traces(texttemplate=None)  # the pattern matters here, not the values (hover shows them)
    fig.update_layout(height=int(np.clip(24 * H + 200, 380, 620)), shapes=[*fig.layout.shapes, *diagonals])
    return fig


# ---- 9 --------------------------------------------------------------------------------------------------------------


def gate_blocks(r: GateShapes) -> go.Figure:
    """[W_ih | W_hh] as one (4H × (D + H)) heatmap: a band of H rows per gate, each with an input block (H × D) on
    the left and a hidden block (H × H) on the right, labelled with PyTorch's symbols and their shapes (gate i:
    W_ii and W_hi, …)."""
    H, D = r.H, r.D
    a = r.combined
    m = float(np.max(np.abs(a))) or 1.0
    heatmap = dict(
        type="heatmap", z=a, x=np.arange(1, D + H + 1), y=np.arange(1, 4 * H + 1), colorscale=DIVERGING, zmin=-m,
        zmax=m, zmid=0.0, name="[W_ih | W_hh]", colorbar=dict(thickness=16, outlinewidth=0),
        customdata=np.broadcast_to(np.array(
            [f"{k} gate, unit {u + 1}" for k in GATES for u in range(H)])[:, None], a.shape),
        hovertemplate="%{customdata}<br>column %{x}<br>value %{z:.4g}<extra></extra>",
    )
    line = dict(color="#111111", width=2)
    shapes = [dict(type="line", x0=D + 0.5, x1=D + 0.5, y0=0.5, y1=4 * H + 0.5, line=line)]
    shapes += [dict(type="line", x0=0.5, x1=D + H + 0.5, y0=k * H + 0.5, y1=k * H + 0.5, line=line) for k in range(1, 4)]
    labels = []
    for n, k in enumerate(GATES):
        mid = n * H + (H + 1) / 2
        for x, label in ((D / 2 + 0.5, f"{html_symbol(block_symbol('weight_ih', k))}<br>{H}×{D}"),
                         (D + H / 2 + 0.5, f"{html_symbol(block_symbol('weight_hh', k))}  {H}×{H}")):
            labels.append(dict(x=x, y=mid, text=f"<b>{label}</b>", showarrow=False,
                               font=dict(size=FONT_SIZE, color=COLORS[k]), bgcolor="rgba(255,255,255,0.85)"))
    return figure([heatmap], house_layout(
        height=int(np.clip(8 * 4 * H + 140, 380, 560)), shapes=shapes, annotations=labels,
        yaxis=dict(autorange="reversed", showgrid=False, zeroline=False, title=dict(text="row (gate band, unit)"),
                   tickvals=[n * H + (H + 1) / 2 for n in range(4)], ticktext=list(GATES)),
        xaxis=dict(showgrid=False, zeroline=False, title=dict(text="columns: what the row reads"),
                   tickvals=[(D + 1) / 2, D + (H + 1) / 2],
                   ticktext=[f"x<sub>t</sub> ({D})", f"h<sub>t−1</sub> ({H})"]),
    ))


# ---- 10 -------------------------------------------------------------------------------------------------------------

LIMIT_STYLES = {  # myth 10's curves: colour and dash
    PRESERVED_C: dict(color=COLORS["c"], width=3.5),
    PRESERVED_H: dict(color=COLORS["h"], width=3, dash="dash"),
    COMMON_C: dict(color="#555555", width=3),
    EXPLODING_C: dict(color=COLORS["o"], width=3.5),
}


def gradient_limits(r: GradientLimits) -> go.Figure:
    """Myth 10: each run's gradient norm per step relative to its value at the last step (log axis), so that every
    curve starts at 1 on the right; below 1 the gradient is lost on the way back, above 1 it grows."""
    t = np.arange(1, r.T + 1)
    data = [dict(type="scatter", x=t, y=drawable(y, log=True)[0], name=name, mode="lines",
                 line=LIMIT_STYLES.get(name, {}), connectgaps=False,
                 hovertemplate="t = %{x}<br>%{y:.3e}<extra>" + name + "</extra>")
            for name, y in r.curves.items()]
    return figure(data, house_layout(
        height=440,
        shapes=[hline(1.0, dict(color="#999999", width=1.5, dash="dot"))],
        annotations=[line_label(1.0, "1 = arrives unchanged", font=dict(color="#777777", size=FONT_SIZE - 2))],
        xaxis=dict(title=dict(text="step t (the loss reads the last step)")),
        yaxis=dict(title=dict(text="norm ÷ its value at the last step (log)"), type="log", exponentformat="power",
                   showexponent="all", **log_ticks(*r.curves.values())),
        **_legend_below(-0.22, 110),
    ))


# ---- 11 -------------------------------------------------------------------------------------------------------------


def weight_sharing(r: WeightSharing) -> go.Figure:
    """Myth 11. Left: the parameter gradient's size (flat) and the numbers kept for BPTT (growing) against T.
    Right: each step's share ‖dz_t h_{t−1}ᵀ‖ of the one gradient ∂L/∂W_hh (log axis)."""
    spec = subplot_layout(rows=1, cols=2, horizontal_spacing=0.12,
                          subplot_titles=["Numbers per sequence length T", "Each step's share of the one ∂L/∂W_hh"])
    T = r.lengths.astype(float)
    steps = np.arange(1, r.shares.size + 1)
    shares, _ = drawable(r.shares, log=True)
    data = [
        dict(type="scatter", x=T, y=r.n_params, name="weights and biases (one set for every step)",
             mode="lines+markers", line=dict(color=COLORS["lstm"], width=3.5), marker=dict(size=10),
             hovertemplate="T = %{x}<br>%{y:,} parameters<extra></extra>", xaxis="x", yaxis="y"),
        dict(type="scatter", x=T, y=r.n_stored, name="values kept for BPTT (one set per step)",
             mode="lines+markers", line=dict(color=COLORS["x"], width=2.5, dash="dash"),
             marker=dict(size=8), hovertemplate="T = %{x}<br>%{y:,} values<extra></extra>", xaxis="x", yaxis="y"),
        dict(type="bar", x=steps, y=shares, name="step t's share ‖dz_t h_t−1ᵀ‖", marker=dict(color=COLORS["i"]),
             hovertemplate="t = %{x}<br>%{y:.3e}<extra></extra>", xaxis="x2", yaxis="y2"),
    ]
    spec["xaxis"].update(type="log", title=dict(text="sequence length T"))
    spec["yaxis"].update(type="log", title=dict(text="how many numbers"), exponentformat="power")
    spec["xaxis2"]["title"] = dict(text="step t")
    spec["yaxis2"].update(type="log", title=dict(text="norm (log)"), exponentformat="power", showexponent="all",
                          **log_ticks(r.shares))
    return figure(data, merge(spec, house_layout(height=420, **_legend_below(-0.25, 100))))


# ---- 12 -------------------------------------------------------------------------------------------------------------


def cell_growth(r: CellGrowth) -> go.Figure:
    """Myth 12. Left: c_t of the hand-built units (solid) and h_t of the first (dashed), with the band ±1 that h never
    leaves. Right: the lab's LSTM, per unit, the largest |c_t| and |h_t| over its sequence."""
    spec = subplot_layout(rows=1, cols=2, horizontal_spacing=0.1, column_widths=[0.58, 0.42],
                          subplot_titles=["Hand-built cells that keep writing (i ≈ 1)", "This lab's LSTM, per unit"])
    T = r.c.shape[0]
    t = np.arange(1, T + 1)
    data = [dict(type="scatter", x=t, y=r.c[:, u], name=f"c_t, {label}", mode="lines",
                 line=dict(color=CASE_COLORS[u % len(CASE_COLORS)], width=3),
                 hovertemplate=f"{label}<br>t = %{{x}}<br>c_t = %{{y:.4f}}<extra></extra>", xaxis="x", yaxis="y")
            for u, label in enumerate(r.labels)]
    data.append(dict(type="scatter", x=t, y=r.h[:, 0], name=f"h_t, {r.labels[0]}", mode="lines",
                     line=dict(color=COLORS["h"], width=3, dash="dash"),
                     hovertemplate="h_t = %{y:.4f}<extra></extra>", xaxis="x", yaxis="y"))
    units = np.arange(1, r.lab_max_c.size + 1)
    data.append(dict(type="bar", x=units, y=r.lab_max_c, name="largest |c_t|", marker=dict(color=COLORS["c"]),
                     hovertemplate="unit %{x}<br>max |c_t| = %{y:.4f}<extra></extra>", xaxis="x2", yaxis="y2"))
    data.append(dict(type="bar", x=units, y=r.lab_max_h, name="largest |h_t|", marker=dict(color=COLORS["h"]),
                     hovertemplate="unit %{x}<br>max |h_t| = %{y:.4f}<extra></extra>", xaxis="x2", yaxis="y2"))
    band = "rgba(86,180,233,0.15)"  # where h lives: −1 … 1 (right: 0 … 1, as the bars are sizes |value|)
    spec["shapes"] = [hband(-1.0, 1.0, band, 1, layer="below"), hband(0.0, 1.0, band, 2, layer="below"),
                      hline(1.0, dict(color="#333333", width=1.5, dash="dot"), 2)]
    spec["annotations"].append(line_label(1.0, "|value| = 1", 2))
    spec["xaxis"]["title"] = dict(text="step t")
    spec["yaxis"]["title"] = dict(text="value (band: −1 … 1)")
    spec["xaxis2"].update(title=dict(text="unit"), **({"dtick": 1} if units.size <= 16 else {}))
    spec["yaxis2"].update(title=dict(text="largest |value| over the steps"), rangemode="tozero")
    return figure(data, merge(spec, house_layout(height=430, barmode="group", **_legend_below(-0.22, 120))))


# ---- the x-only-gates variant ----------------------------------------------------------------------------------------


def variant_task(r: VariantComparison, *, show_x_only: bool = True) -> go.Figure:
    """The first-marker task: the input (values, marked steps as diamonds), the memory unit's input gate and its
    cell state, for the standard LSTM and (``show_x_only``) the variant whose gates ignore h_{t−1}."""
    T = r.x.shape[0]
    t = np.arange(1, T + 1)
    marked = np.flatnonzero(r.x[:, 1] > 0.5)
    spec = subplot_layout(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.07, row_heights=[0.3, 0.3, 0.4],
                          subplot_titles=["Input: a value every step; the marked steps (diamonds) are candidates",
                                          "Input gate i of the memory unit",
                                          "Memory c_t (goal: the FIRST marked value)"])
    data = [
        dict(type="scatter", x=t, y=r.x[:, 0], name="value v_t", mode="lines", line=dict(color=COLORS["x"], width=1.5),
             hovertemplate="t = %{x}<br>v_t = %{y:.3f}<extra></extra>", xaxis="x", yaxis="y"),
        dict(type="scatter", x=marked + 1, y=r.x[marked, 0], name="marked", mode="markers",
             marker=dict(color=COLORS["g"], size=13, symbol="diamond", line=dict(width=1, color="#333333")),
             hovertemplate="marked at t = %{x}<br>v = %{y:.3f}<extra></extra>", xaxis="x", yaxis="y"),
    ]
    models = [("standard", "standard LSTM", None)]
    if show_x_only:
        models.append(("x_only", "x-only gates", X_ONLY))
    for key, label, style in models:
        tr = r.traces[key]
        data.append(dict(type="scatter", x=t, y=tr["i"], name=f"i: {label}", mode="lines", showlegend=False,
                         line=style or dict(color=COLORS["i"], width=3),
                         hovertemplate=f"{label}<br>t = %{{x}}<br>i = %{{y:.4f}}<extra></extra>",
                         xaxis="x2", yaxis="y2"))
        data.append(dict(type="scatter", x=t, y=tr["c"], name=label, mode="lines",
                         line=style or dict(color=COLORS["c"], width=3),
                         hovertemplate=f"{label}<br>t = %{{x}}<br>c = %{{y:.4f}}<extra></extra>",
                         xaxis="x3", yaxis="y3"))
    spec["shapes"] = [hline(r.target, dict(color=COLORS["g"], dash="dot", width=2), 3)]
    spec["annotations"].append(line_label(r.target, "tanh(first marked value)", 3, below_right=True))
    spec["yaxis2"]["range"] = [-0.05, 1.05]
    spec["xaxis3"]["title"] = dict(text="step t")
    return figure(data, merge(spec, house_layout(height=640, **_legend_below(-0.12, 90))))


def variant_lab_gates(r: LabVariant, unit: int = 0, *, show_x_only: bool = True) -> go.Figure:
    """The lab's LSTM: gates i, f, o of one unit over time, standard (coloured) and x-only variant (dashed)."""
    T, H = r.standard.h.shape
    if not 0 <= unit < H:
        raise ValueError(f"unit: got {unit}, needs a unit index in [0, {H - 1}]")
    t = np.arange(1, T + 1)
    gates = ("i", "f", "o")
    spec = subplot_layout(rows=1, cols=3, shared_yaxes=True, horizontal_spacing=0.04,
                          subplot_titles=[_gate_title(k) for k in gates])
    data = []
    for n, k in enumerate(gates, start=1):
        axes = dict(xaxis=axis_ref("x", n), yaxis=axis_ref("y", n))
        data.append(dict(type="scatter", x=t, y=getattr(r.standard, k)[:, unit], name=f"{k}: standard", mode="lines",
                         line=dict(color=COLORS[k], width=3), showlegend=False,
                         hovertemplate=f"standard<br>t = %{{x}}<br>{k} = %{{y:.4f}}<extra></extra>", **axes))
        if show_x_only:
            data.append(dict(type="scatter", x=t, y=getattr(r.x_only, k)[:, unit], name=f"{k}: x-only", mode="lines",
                             line=X_ONLY, showlegend=False,
                             hovertemplate=f"x-only<br>t = %{{x}}<br>{k} = %{{y:.4f}}<extra></extra>", **axes))
        spec[axis_key("x", n)]["title"] = dict(text="step t")
    spec["yaxis"].update(range=[-0.02, 1.02], title=dict(text=f"unit {unit + 1}"))
    _colour_titles(spec["annotations"])
    return figure(data, merge(spec, house_layout(height=340)))
