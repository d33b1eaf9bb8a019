"""The gradient explorer's figures: length sweeps, phase diagrams, clipped / truncated flow, Jacobian vs gradient.

Pure functions from plain arrays (the numbers of lstm_core.explore and lstm_core.analysis) to plotly Figures; no
Streamlit. The gradient-norm curves reuse charts.gradients.gradient_flow's traces and layout (gradient_flow_parts: one
place for that figure) and only restyle or annotate them. Steps are drawn 1-based, t = 1 … T.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .grid import hline, vline
from .gradients import GAP_NOTE, axis_title, drawable, gradient_flow_parts, log_ticks, model_of
from .style import COLORS, DIVERGING, FONT_SIZE, MODEL_SYMBOL, figure, house_layout, merge, model_line

COLOR_DECADES = 10.0  # the phase diagrams' colour scale spans ±10 decades; beyond, the colour saturates
REGIME_NAMES = {-1: "vanishing", 0: "preserved", 1: "exploding"}
SELECTED = "#111111"  # the clicked cell's marker
CURRENT = "#009E73"  # the shared setting's marker (Okabe–Ito green, reads on red, white and blue)
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")

# Not in style.MODEL_DASH, so a fitted line or a Jacobian never looks like a model's measured gradient.
FIT_DASH = "longdash"  # the length sweep's fitted exponential
JACOBIAN_DASH = "longdash"  # jacobian_vs_gradient's Jacobian norms


def _array(value, name: str, ndim: int) -> np.ndarray:
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: could not be read as numbers") from None
    if a.ndim != ndim or a.size == 0:
        raise ValueError(f"{name}: got shape {a.shape}, needs a non-empty {ndim}-D array")
    return a


# --------------------------------------------------------------------------------------------------- length sweep


def length_sweep_chart(sweeps: dict, *, title: str | None = None) -> go.Figure:
    """Gradient reaching step 1 against the sequence length T, one marker series per model, with its fitted line.

    sweeps: {"LSTM" | "RNN" (or any name containing them): a result with ``lengths`` (n,), ``grad_at_first`` (n,),
    ``rate_per_step`` and ``intercept`` (the fit ln g ≈ intercept + rate·T; NaN: no fit)}, e.g.
    lstm_core.explore.LengthSweep. The y axis is logarithmic, so the fit is a straight dotted line; gradients that
    underflowed to 0 or overflowed are gaps (noted under the axis). The legend gives the fitted factor per step.
    """
    if not isinstance(sweeps, dict) or not sweeps:
        raise ValueError(f"sweeps: got {type(sweeps).__name__}, needs a non-empty dict name -> sweep result")
    data, all_y, gaps = [], [], 0
    for name, sw in sweeps.items():
        T = _array(sw.lengths, f"{name}.lengths", 1)
        g = _array(sw.grad_at_first, f"{name}.grad_at_first", 1)
        if T.shape != g.shape:
            raise ValueError(f"{name}: lengths {T.shape} and grad_at_first {g.shape} differ")
        model = model_of(name)
        color = COLORS.get(model or "", "#555555")
        order = np.argsort(T, kind="stable")
        T, g = T[order], g[order]
        y, n_gaps = drawable(g, log=True)
        gaps += n_gaps
        all_y.append(g)
        data.append(dict(
            type="scatter", x=T, y=y, name=f"{name}: measured", mode="markers+lines", line=model_line(model, width=1.5),
            marker=dict(color=color, size=9, symbol=MODEL_SYMBOL.get(model or "", "circle")), connectgaps=False,
            hovertemplate="T = %{x}<br>‖gradient at step 1‖ = %{y:.3e}<extra>" + name + "</extra>",
        ))
        rate, icpt = float(sw.rate_per_step), float(sw.intercept)
        if np.isfinite(rate) and np.isfinite(icpt):
            xs = np.array([T.min(), T.max()])
            with np.errstate(over="ignore", under="ignore"):
                line = np.exp(icpt + rate * xs)
            y_fit, _ = drawable(line, log=True)
            all_y.append(line)
            data.append(dict(
                type="scatter", x=xs, y=y_fit, name=f"{name} fit: ×{np.exp(rate):.3g} per step", mode="lines",
                line=dict(color=color, width=3, dash=FIT_DASH), hoverinfo="skip",
            ))
    return figure(data, merge(house_layout(
        title=title, height=470 + (22 if gaps else 0),
        xaxis=dict(title=axis_title([GAP_NOTE] if gaps else [], title="sequence length T (loss at step T)")),
        yaxis=dict(title=dict(text="‖gradient at step 1‖ (log scale)"), type="log", exponentformat="power",
                   showexponent="all", **log_ticks(*all_y)),
    ), _legend_below(110 + (22 if gaps else 0))))


def _legend_below(bottom: int) -> dict:
    """The layout update that puts the legend in rows under the x-axis title (long names at the top would run into
    the title), with a bottom margin of ``bottom`` px."""
    return dict(legend=dict(orientation="h", x=0, xanchor="left", y=0, yanchor="bottom", yref="container"),
                margin=dict(b=bottom))


# -------------------------------------------------------------------------------------------------- phase diagram


def _signed(v: float) -> str:
    return format(v, "+g").replace("-", "−")


def _value_text(v: float) -> str:
    if v <= -300:
        return "≤ 10⁻³⁰⁰ (nothing measurable reaches step 1)"
    if v >= 300:
        return "≥ 10³⁰⁰ (overflow)"
    return f"10^{format(v, '+.1f').replace('-', '−')}" if abs(v) >= 0.05 else "≈ 1"


def _deepest_cell(regions: np.ndarray, code: int, avoid=None) -> tuple[int, int] | None:
    """The (row, column) of region ``code`` farthest from any other region and from the frame (its label then sits
    inside it, not on an edge), away from the cell (row, column) ``avoid`` (a marker the label must not hide) when
    the region has room elsewhere."""
    inside = np.argwhere(regions == code)
    if inside.size == 0:
        return None
    if avoid is not None:
        far = np.nanmax(np.abs(inside - np.asarray(avoid, dtype=float)), axis=1) > 2  # NaN: no avoiding on that axis
        inside = inside[far] if far.any() else inside
    padded = np.pad(regions.astype(np.int64), 1, constant_values=code + 10)  # the frame counts as another region
    outside = np.argwhere(padded != code) - 1
    d = ((inside[:, None, :] - outside[None, :, :]) ** 2).sum(axis=2).min(axis=1)
    return tuple(int(v) for v in inside[int(np.argmax(d))])


def _boundaries(regions: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[list, list]:
    """Line segments along the cell edges between neighbouring cells of different regimes, as one polyline with
    None breaks: exact cell boundaries (an interpolated contour would draw islands inside single cells)."""
    def edges(c: np.ndarray) -> np.ndarray:
        mid = (c[:-1] + c[1:]) / 2
        first = c[0] - (mid[0] - c[0]) if c.size > 1 else c[0] - 0.5
        last = c[-1] + (c[-1] - mid[-1]) if c.size > 1 else c[-1] + 0.5
        return np.concatenate([[first], mid, [last]])

    xe, ye = edges(x), edges(y)
    xs, ys = [], []
    for a, b in np.argwhere(regions[:, 1:] != regions[:, :-1]):  # vertical edge between columns b and b+1
        xs += [xe[b + 1], xe[b + 1], None]
        ys += [ye[a], ye[a + 1], None]
    for a, b in np.argwhere(regions[1:, :] != regions[:-1, :]):  # horizontal edge between rows a and a+1
        xs += [xe[b], xe[b + 1], None]
        ys += [ye[a + 1], ye[a + 1], None]
    return [None if v is None else float(v) for v in xs], [None if v is None else float(v) for v in ys]


def _log_ticks_text(values: np.ndarray) -> dict:
    """Tick labels 10⁻⁴ … 1 for an axis drawn at log10(values)."""
    lo, hi = np.floor(np.log10(values.min())), np.ceil(np.log10(values.max()))
    ticks = np.arange(lo, hi + 1)
    ticks = ticks[(ticks >= np.log10(values.min()) - 1e-9) & (ticks <= np.log10(values.max()) + 1e-9)]
    text = ["1" if k == 0 else "10" if k == 1 else f"10{str(int(k)).translate(_SUPERSCRIPT)}" for k in ticks]
    return dict(tickvals=ticks.tolist(), ticktext=text)


def phase_diagram(
    values,
    first_axis,
    second_axis,
    regions,
    *,
    y_title: str,
    x_title: str,
    vanishing_below: float,
    exploding_above: float,
    log_y: bool = False,
    title: str | None = None,
    current: tuple[float | None, float | None] | None = None,
    y_symbol: str = "b_f",
    x_symbol: str = "ρ",
) -> go.Figure:
    """Heatmap of log10(‖gradient at step 1‖ / ‖gradient at step T‖) with the regimes outlined and labelled.

    values: (A, B) phase_grid output; first_axis (A,) drawn on y, second_axis (B,) on x; regions (A, B) ints
    −1 vanishing / 0 preserved / +1 exploding (lstm_core.explore.phase_regimes with the same thresholds).
    Diverging colours centred on 0 (white: preserved unchanged; blue: vanishing; red: exploding), saturating at
    ±COLOR_DECADES; black lines along the cell edges between regimes; each regime's name on its deepest cell.
    ``log_y``: the first axis is drawn at log10 of its (positive) values, labelled 10⁻⁴ … 1.
    An invisible marker at every cell centre makes cells clickable (plotly selects points, not heatmap cells): its
    ``customdata`` is [row, column, value text, regime] and a selected marker is drawn as a black ring.
    ``current``: (first, second) of the shared setting, either may be None (then a line along the other axis), drawn
    in green. Hover shows the axis values and the exact log10 ratio.
    """
    z = _array(values, "values", 2)
    ya = _array(first_axis, "first_axis", 1)
    xa = _array(second_axis, "second_axis", 1)
    reg = np.asarray(regions)
    if z.shape != (ya.size, xa.size) or reg.shape != z.shape:
        raise ValueError(f"values {z.shape}, regions {reg.shape}: need ({ya.size}, {xa.size}) = (first, second)")
    if log_y and (ya <= 0).any():
        raise ValueError("first_axis: needs positive values for log_y")
    y_plot = np.log10(ya) if log_y else ya
    A, B = z.shape

    data = [dict(
        type="heatmap", x=xa, y=y_plot, z=z, colorscale=DIVERGING, zmid=0.0, zmin=-COLOR_DECADES, zmax=COLOR_DECADES,
        hoverinfo="skip", name="log10 ratio",
        colorbar=dict(
            title=dict(text="log₁₀ ratio (decades)", side="right"), thickness=14, len=0.9,
            tickvals=[-COLOR_DECADES, -5, vanishing_below, exploding_above, 5, COLOR_DECADES],
            ticktext=[f"≤ −{COLOR_DECADES:g}", "−5", _signed(vanishing_below), _signed(exploding_above), "+5",
                      f"≥ +{COLOR_DECADES:g}"],
        ),
    )]
    bx, by = _boundaries(reg, xa, y_plot)
    if bx:
        data.append(dict(type="scatter", x=bx, y=by, mode="lines", line=dict(color="#111111", width=2),
                         hoverinfo="skip", name="regime boundaries", showlegend=False, connectgaps=False))
    rows, cols = np.divmod(np.arange(A * B), B)
    custom = [[int(a), int(b), _value_text(z[a, b]), REGIME_NAMES[int(reg[a, b])]] for a, b in zip(rows, cols)]
    y_fmt = "%{customdata[4]}" if log_y else "%{y:.2f}"
    if log_y:
        custom = [c + [f"{ya[c[0]]:.2g}"] for c in custom]
    data.append(dict(
        type="scatter", x=xa[cols], y=y_plot[rows], mode="markers", name="cells", showlegend=False, customdata=custom,
        marker=dict(size=max(6, min(22, 440 // max(A, B))), color="rgba(0,0,0,0)",
                    line=dict(width=0, color=SELECTED)),
        selected=dict(marker=dict(color="rgba(17,17,17,0.35)", size=16)),
        unselected=dict(marker=dict(opacity=0)),
        hovertemplate=f"{y_symbol} = {y_fmt}<br>{x_symbol} = %{{x:.2f}}<br>‖g₁‖/‖g_T‖ = %{{customdata[2]}}"
                      "<br>%{customdata[3]}<br><i>click to load</i><extra></extra>",
    ))
    avoid = None
    if current is not None:
        near = [None if v is None else float(np.argmin(np.abs(axis - (np.log10(v) if lg else v))))
                for v, axis, lg in ((current[0], y_plot, log_y), (current[1], xa, False))]
        avoid = (near[0] if near[0] is not None else np.nan, near[1] if near[1] is not None else np.nan)
    annotations = []
    for code, name in REGIME_NAMES.items():
        cell = _deepest_cell(reg, code, avoid)
        if cell is not None:
            annotations.append(dict(x=xa[cell[1]], y=y_plot[cell[0]], text=f"<b>{name}</b>", showarrow=False,
                                    font=dict(size=FONT_SIZE, color="#111111"), bgcolor="rgba(255,255,255,0.8)",
                                    borderpad=3))
    shapes = []
    if current is not None:
        cy, cx = current
        marker_line = dict(color=CURRENT, width=3, dash="dash")
        if cy is not None and cx is not None:
            data.append(dict(
                type="scatter", x=[cx], y=[np.log10(cy) if log_y else cy], mode="markers", name="shared setting",
                marker=dict(symbol="x-thin", size=18, line=dict(width=4, color=CURRENT)), hoverinfo="skip",
                showlegend=False,
            ))
        elif cx is not None:
            shapes.append(vline(cx, marker_line))
        elif cy is not None:
            cy = np.log10(cy) if log_y else cy
            shapes.append(hline(cy, marker_line))
    return figure(data, house_layout(
        title=title, height=440, meta={"series": ["log10 ratio"], "y_log": log_y},  # meta: for charts.summary
        **({"annotations": annotations} if annotations else {}), **({"shapes": shapes} if shapes else {}),
        xaxis=dict(title=dict(text=x_title), range=[xa.min() - _half_step(xa), xa.max() + _half_step(xa)],
                   fixedrange=True, showgrid=False, zeroline=False),
        yaxis=dict(title=dict(text=y_title),
                   range=[y_plot.min() - _half_step(y_plot), y_plot.max() + _half_step(y_plot)],
                   fixedrange=True, showgrid=False, zeroline=False, **(_log_ticks_text(ya) if log_y else {})),
        dragmode=False, hovermode="closest", margin=dict(l=70, r=10, t=50 if title else 20, b=60),
        hoverlabel=dict(bgcolor="white", bordercolor="#111111", font=dict(color="#111111")),
    ))


def _half_step(a: np.ndarray) -> float:
    return float((a.max() - a.min()) / (2 * (a.size - 1))) if a.size > 1 else 0.5


# --------------------------------------------------------------------------------------- clip and truncate, Jacobian


def clipped_flow(
    full,
    after,
    *,
    model: str,
    quantity: str,
    truncate: int | None = None,
    after_label: str,
    title: str | None = None,
) -> go.Figure:
    """One model's gradient-norm curve before (full BPTT, solid in the model's colour) and after truncation and
    clipping (dashed grey), drawn by charts.gradients.gradient_flow. With ``truncate`` = k < T, the steps before the last
    window (t <= T − k) are shaded: no gradient crosses the window's edge, so the loss at T sends none there.

    full, after: (T,) norms; model "LSTM" / "RNN"; quantity e.g. "‖∂L/∂c_t‖"; after_label names the settings.
    """
    f = _array(full, "full", 1)
    a = _array(after, "after", 1)
    T = f.size
    window = truncate is not None and truncate < T
    data, spec = gradient_flow_parts(
        {f"{model} {quantity}, full BPTT": f, f"{quantity} {after_label}": a}, title=title,
        gap_note="gaps = exactly 0 (truncated), or under/overflow" if window else GAP_NOTE)
    data[0]["line"] = merge(data[0]["line"], dict(dash="solid"))  # the caption: "Solid: the true BPTT norms"
    data[1]["line"] = merge(data[1]["line"], dict(color="#333333", dash="dash", width=3))
    if window:
        edge = T - truncate + 0.5
        spec = merge(spec, dict(
            shapes=[*spec.get("shapes", []), dict(
                type="rect", x0=0.5, x1=edge, xref="x", y0=0, y1=1, yref="y domain", fillcolor="#999999",
                opacity=0.15, line=dict(width=0), layer="below")],
            annotations=[*spec.get("annotations", []), dict(
                x=(0.5 + edge) / 2, y=0.02, xref="x", yref="paper", xanchor="center", yanchor="bottom",
                text=f"before the last<br>{truncate}-step window", showarrow=False,
                font=dict(size=FONT_SIZE - 2, color="#555555"), bgcolor="rgba(255,255,255,0.8)")],
        ))
    return figure(data, merge(spec, _legend_below(spec["margin"]["b"] + 60), dict(height=spec["height"] + 40)))


def jacobian_vs_gradient(jacobians: dict, gradients: dict, *, title: str | None = None) -> go.Figure:
    """The exact state-Jacobian norm ‖∂state_T/∂state_t‖₂ (long dashes) beside the loss gradient's norm (model dash), each
    divided by its value at t = T so that both start at 1 and their slopes can be compared, on a log axis.

    jacobians, gradients: {name containing LSTM / RNN: (T,) norms}, all the same T (e.g.
    lstm_core.analysis.jacobian_norms, which is already 1 at T, and grad_norms' 'dc' / 'dh'). A curve whose value
    at T is 0 or not finite cannot be normalised and is drawn as given (its name says so). Drawn by
    charts.gradients.gradient_flow, then restyled: Jacobians in long dashes (JACOBIAN_DASH, no model's own dash).
    """
    curves, dashed = {}, set()
    for group, items in (("jacobian", jacobians), ("gradient", gradients)):
        if not isinstance(items, dict):
            raise ValueError(f"{group}s: got {type(items).__name__}, needs a dict name -> (T,) norms")
        for name, values in items.items():
            a = _array(values, f"{group}s[{name!r}]", 1)
            end = a[-1]
            if np.isfinite(end) and end > 0:
                with np.errstate(over="ignore", under="ignore", invalid="ignore"):
                    a = a / end
                label = name if group == "jacobian" and end == 1.0 else f"{name} ÷ its value at T"
            else:
                label = f"{name} (0 at T: not normalised)"
            curves[label] = a
            if group == "jacobian":
                dashed.add(label)
    data, spec = gradient_flow_parts(curves, title=title)
    for trace in data:  # gradients keep their model's dash (LSTM solid, RNN dotted): they differ in more than hue
        restyle = dict(dash=JACOBIAN_DASH, width=4) if trace["name"] in dashed else dict(width=2.5)
        trace["line"] = merge(trace["line"], restyle)
    return figure(data, merge(spec, dict(yaxis=dict(title=dict(text="norm ÷ its value at t = T (log scale)")),
                                         height=spec["height"] + 40), _legend_below(spec["margin"]["b"] + 60)))
