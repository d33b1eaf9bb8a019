"""Why an LSTM's gradient survives longer than a tanh RNN's: gradient norms and path factors over steps.

Pure functions from plain arrays (e.g. lstm_core.analysis.grad_norms / carousel_factor / jacobian_norms) to plotly
Figures; no Streamlit, no call into the analysis module. Arrays are indexed by 0-based step 0 … T−1 and drawn at
1-based t = 1 … T.

Log axes cannot draw 0 (a product that underflowed), and nothing can draw inf or NaN (an overflow): such points are
left as gaps (None, never NaN), and the x-axis title then says so. Every other y value is exactly the given number.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .grid import hline, vline
from .style import COLORS, FONT_SIZE, MODEL_SYMBOL, OTHER_COLOR, figure, house_layout, merge, model_line

MARKERS_MAX_T = 60  # up to this many steps, lines also show a marker per step
_OTHER_COLORS = ("#555555", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
BACKWARDS = {"read": "backwards"}  # layout.meta: gradients flow from the last step back (charts.summary reads so)
GAP_NOTE = "gaps = 0 (underflow) or overflow: not drawable on a log axis"


MODEL_NAMES = {"lstm": "LSTM", "lstm1997": "1997 LSTM", "gru": "GRU", "rnn": "RNN"}


def model_of(name: str) -> str | None:
    """'lstm' / 'lstm1997' / 'gru' / 'rnn' from a curve's (or a half-life key's) name, by the words LSTM / GRU / RNN
    in it ('1997' and LSTM: the 1997 LSTM)."""
    up = name.upper()
    if "1997" in up and "LSTM" in up:
        return "lstm1997"
    for model in ("LSTM", "GRU", "RNN"):
        if model in up:
            return model.lower()
    return None


def _quantity_of(name: str) -> str | None:
    """'c' for a cell-state gradient (dc, c_t in the name), 'h' for a hidden-state one (dh, h_t)."""
    if "dc" in name or "c_t" in name:
        return "c"
    if "dh" in name or "h_t" in name:
        return "h"
    return None


def _as_curve(values, name: str, label: str) -> np.ndarray:
    try:
        a = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: {label!r} could not be read as numbers, needs a 1-D array (one value per step)") \
            from None
    if a.ndim != 1 or a.size == 0:
        raise ValueError(f"{name}: {label!r} has shape {a.shape}, needs a non-empty 1-D array (one value per step)")
    return a


def drawable(y: np.ndarray, *, log: bool) -> tuple[list | np.ndarray, int]:
    """y ready for plotly: the array itself when every value can be drawn, else a list with None at the gaps.

    Gaps: non-finite values, and on a log axis values <= 0. Returns (y, number of gaps). Kept values are the exact
    float64 numbers (no rounding, no clipping).
    """
    ok = np.isfinite(y)
    if log:
        ok &= y > 0
    if ok.all():
        return y, 0
    return [float(v) if k else None for v, k in zip(y, ok)], int(np.count_nonzero(~ok))


def log_ticks(*arrays: np.ndarray, max_ticks: int = 8) -> dict:
    """y-axis tick settings for a log axis spanning many decades: a tick every 1, 2, 5, 10, 20, 50 or 100 decades
    (whole powers of ten, at most ``max_ticks``), so 10⁻⁴⁰, 10⁻⁸⁰ … instead of plotly's odd 10⁻¹⁹, 10⁻³⁸ …"""
    vals = np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.empty(0)
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if vals.size == 0:
        return {}
    lo, hi = np.floor(np.log10(vals.min())), np.ceil(np.log10(vals.max()))
    span = hi - lo
    if span <= 1:
        return {"dtick": "D2"}  # less than a decade: label 2 and 5 between powers of ten
    if span <= max_ticks:
        return {"dtick": 1, "tick0": 0}  # whole decades only (no crowded 2 … 9 minor labels)
    step = next((d for d in (1, 2, 5, 10, 20, 50, 100) if span / d <= max_ticks), 200)
    return {"dtick": step, "tick0": 0}


def gradient_flow(
    curves: dict[str, np.ndarray],
    *,
    log: bool = True,
    title: str | None = None,
    half_lives: dict[str, int | None] | None = None,
    gap_note: str = GAP_NOTE,
) -> go.Figure:
    """Gradient norm per step, one line per curve, on a log y axis by default.

    curves: {name: (T,) norms over 0-based steps}, all the same T, e.g. {"LSTM ‖dL/dc_t‖": a, "LSTM ‖dL/dh_t‖": b,
    "RNN ‖dL/dh_t‖": c}; drawn at t = 1 … T. Colour, dash and marker by model (LSTM / 1997 LSTM / GRU / RNN in the
    name; charts.style.MODEL_DASH: solid, dash-dot, dashed, dotted), so the models differ in more than hue; a model's
    dh curve beside its own dc curve is thinner, in its MODEL_SECOND_DASH.
    half_lives: {model name (containing LSTM / RNN) or curve name: k or None}, k = the half-life, the steps back from
    the end where the norm first falls to half its value at the end (lstm_core.analysis.memory_half_life); drawn as a
    dotted vertical line at t = T − k labelled "half-life"; None is noted as "never falls to half within T steps".
    Gaps: see the module docstring. Negative values are an error on a log axis (norms are >= 0).
    """
    return figure(*gradient_flow_parts(curves, log=log, title=title, half_lives=half_lives, gap_note=gap_note))


def gradient_flow_parts(
    curves: dict[str, np.ndarray],
    *,
    log: bool = True,
    title: str | None = None,
    half_lives: dict[str, int | None] | None = None,
    gap_note: str = GAP_NOTE,
) -> tuple[list[dict], dict]:
    """gradient_flow's traces (dicts, one per curve, in the order given) and layout (a dict), before they become a
    Figure: for a chart that restyles them first (charts.explorer). Arguments and checks as gradient_flow's."""
    if not isinstance(curves, dict) or not curves:
        raise ValueError(f"curves: got {type(curves).__name__}, needs a non-empty dict name -> (T,) array")
    arrays = {str(k): _as_curve(v, "curves", k) for k, v in curves.items()}
    lengths = {a.size for a in arrays.values()}
    if len(lengths) != 1:
        raise ValueError(f"curves: got lengths {sorted(lengths)}, needs every curve over the same T steps")
    T = lengths.pop()
    if log:
        for k, a in arrays.items():
            if np.any(a < 0):
                raise ValueError(f"curves: {k!r} has negative values, needs norms >= 0 for a log axis")

    has_dc = {model_of(k) for k in arrays if _quantity_of(k) == "c"}
    x = np.arange(1, T + 1)
    mode = "lines+markers" if T <= MARKERS_MAX_T else "lines"
    data = []
    gaps = 0
    others = iter(_OTHER_COLORS * 4)
    for k, a in arrays.items():
        model = model_of(k)
        second = _quantity_of(k) == "h" and model in has_dc  # an LSTM's dh beside its dc
        line = model_line(model, second=second) if model else dict(color=next(others), width=3, dash="solid")
        y, n_gaps = drawable(a, log=log)
        gaps += n_gaps
        data.append(dict(
            type="scatter", x=x, y=y, name=k, mode=mode, connectgaps=False,
            line=line, marker=dict(size=6, symbol=MODEL_SYMBOL.get(model or "", "circle")),
            hovertemplate="t = %{x}<br>%{y:.3e}<extra>" + k + "</extra>",
        ))

    marks, notes = _half_life_marks(half_lives, T)
    if gaps:
        notes.insert(0, gap_note if log else "gaps = overflow (not finite)")
    spec = house_layout(
        title=title, height=460 + 22 * len(notes), meta=BACKWARDS, **marks,
        xaxis=_step_axis(T, notes),
        yaxis=dict(title=dict(text="gradient norm" + (" (log scale)" if log else "")),
                   type="log" if log else "linear", exponentformat="power", showexponent="all",
                   **(log_ticks(*arrays.values()) if log else {})),
        margin=dict(b=60 + 22 * len(notes)),
    )
    if title and len(arrays) > 3:  # a legend this long would run into the title: the title goes on a row above it
        spec = merge(spec, dict(margin=dict(t=95), title=dict(yref="container", y=0.985, yanchor="top")))
    return data, spec


def axis_title(notes: list[str], title: str = "step t") -> dict:
    """An x-axis title, with any notes (gaps, missing half-lives) on smaller lines below it: nothing is drawn over
    the data."""
    small = "".join(f"<br><span style='font-size:{FONT_SIZE - 2}px'>{n}</span>" for n in notes)
    return dict(text=title + small)


def _step_axis(T: int, notes: list[str]) -> dict:
    """The step axis t = 1 … T of a line chart: titled with its notes, a tick per step up to T = 20, and while
    markers are shown (T <= MARKERS_MAX_T) the range kept on the steps, not on 0."""
    return dict(title=axis_title(notes), **({"dtick": 1} if T <= 20 else {}),
                **({"range": [0.5, T + 0.5]} if T <= MARKERS_MAX_T else {}))


def _half_life_marks(half_lives, T: int) -> tuple[dict, list[str]]:
    """Dotted vertical lines at t = T − k per model, labelled: ({"shapes": …, "annotations": …} for the layout, only
    the keys that have any), and notes for models without a half-life (None)."""
    if half_lives is None:
        return {}, []
    if not isinstance(half_lives, dict):
        raise ValueError(f"half_lives: got {type(half_lives).__name__}, needs a dict model -> steps (or None)")
    notes: list[str] = []
    shapes, annotations = [], []
    for key, k in half_lives.items():
        model = model_of(str(key))
        color = COLORS.get(model or "", OTHER_COLOR)
        label = MODEL_NAMES.get(model, str(key))
        if k is None:
            notes.append(f"{label}: never falls to half within {T} steps (no half-life)")
            continue
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= T - 1:
            raise ValueError(f"half_lives: {key!r} is {k!r}, needs None or a whole number of steps in [1, {T - 1}]")
        t = T - int(k)
        right_half = t > (T + 1) / 2
        shapes.append(vline(t, dict(color=color, width=2, dash="dot")))
        annotations.append(dict(
            x=t, y=0.98 - 0.09 * len(annotations), xref="x", yref="paper", showarrow=False,
            text=f"half-life ({label}): {int(k)} step{'s' if k != 1 else ''}", xanchor="right" if right_half else "left",
            xshift=-6 if right_half else 6, yanchor="top", font=dict(color=color, size=FONT_SIZE - 1),
            bgcolor="rgba(255,255,255,0.85)",
        ))
    marks = {k: v for k, v in (("shapes", shapes), ("annotations", annotations)) if v}
    return marks, notes


def path_factors(carousel: np.ndarray, rnn_factor: np.ndarray, *, title: str | None = None) -> go.Figure:
    """Why one survives and the other does not: the gain on the way back from the end to step t, log y axis.

    carousel: (T, H) LSTM cell-path factor ∏_{s=t+1}^{T} f_s per unit (lstm_core.analysis.carousel_factor).
    Drawn as its median over units (thick line; hover also shows min and max), plus a min–max band when H > 8 or a
    thin line per unit when 2 <= H <= 8. rnn_factor: (T,) the tanh RNN's ‖∏ diag(1−h_s²) W_hh‖ over the same steps
    (lstm_core.analysis.rnn_path_factor). A grey line marks 1 (the gradient passes unchanged).
    Gaps as in the module docstring; where the band's minimum underflowed to 0 the band runs to the bottom of the
    visible axis (its lower edge is drawn at a decade below the smallest drawable value).
    """
    try:
        car = np.asarray(carousel, dtype=np.float64)
        rnn = np.asarray(rnn_factor, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("carousel, rnn_factor: could not be read as numeric arrays") from None
    if car.ndim != 2 or car.size == 0:
        raise ValueError(f"carousel: got shape {car.shape}, needs (T, H): one factor per step and unit")
    if rnn.ndim != 1 or rnn.shape[0] != car.shape[0]:
        raise ValueError(f"rnn_factor: got shape {rnn.shape}, needs ({car.shape[0]},) to match carousel {car.shape}")
    if not np.isfinite(car).all() or (car < 0).any():
        raise ValueError("carousel: needs finite factors >= 0: it is a product of forget gates in (0, 1)")
    if (rnn < 0).any():
        raise ValueError("rnn_factor: needs norms >= 0")
    T, H = car.shape
    x = np.arange(1, T + 1)
    mode = "lines+markers" if T <= MARKERS_MAX_T else "lines"
    lstm_c = COLORS["lstm"]

    med = np.median(car, axis=1)
    lo, hi = car.min(axis=1), car.max(axis=1)
    y_med, g1 = drawable(med, log=True)
    y_rnn, g2 = drawable(rnn, log=True)
    positive = np.concatenate([v[np.isfinite(v) & (v > 0)] for v in (lo, hi, rnn)])
    # a decade below the smallest drawable value (but never below 1e-308, so it cannot itself underflow to 0)
    floor = 10.0 ** max(np.floor(np.log10(positive.min())) - 1, -308.0) if positive.size else 1e-3

    data = []
    if H > 8:
        band_hi = np.where(hi > 0, hi, floor)
        band_lo = np.where(lo > 0, lo, floor)
        data.append(dict(
            type="scatter", x=np.concatenate([x, x[::-1]]), y=np.concatenate([band_hi, band_lo[::-1]]),
            name="LSTM ∏ f: min–max over units", fill="toself", fillcolor="rgba(213,94,0,0.18)",
            line=dict(width=0), hoverinfo="skip", legendgroup="lstm", showlegend=True,
        ))
    elif H >= 2:
        for u in range(H):
            y_u, _ = drawable(car[:, u], log=True)
            data.append(dict(
                type="scatter", x=x, y=y_u, name=f"LSTM ∏ f · unit {u + 1}", mode="lines",
                line=dict(color=lstm_c, width=1), opacity=0.45, legendgroup="lstm", showlegend=False,
                hovertemplate=f"t = %{{x}}<br>unit {u + 1}: %{{y:.3e}}<extra>LSTM ∏ f</extra>",
            ))
    median_name = "LSTM cell path ∏ f" + (" (median over units)" if H > 1 else "")
    data.append(dict(
        type="scatter", x=x, y=y_med, name=median_name, mode=mode, line=model_line("lstm", width=3.5),
        marker=dict(size=6), legendgroup="lstm", customdata=np.stack([lo, hi], axis=1),
        hovertemplate="t = %{x}<br>median %{y:.3e}<br>min %{customdata[0]:.3e}<br>max %{customdata[1]:.3e}"
                      "<extra>LSTM ∏ f</extra>",
    ))
    data.append(dict(
        type="scatter", x=x, y=y_rnn, name="RNN ‖∏ W_hhᵀ diag(1−h²)‖", mode=mode, line=model_line("rnn", width=3.5),
        marker=dict(size=6, symbol=MODEL_SYMBOL["rnn"]), hovertemplate="t = %{x}<br>%{y:.3e}<extra>RNN path</extra>",
    ))
    notes = [GAP_NOTE] if g1 + g2 else []
    return figure(data, house_layout(
        title=title, height=460 + 22 * len(notes), meta=BACKWARDS,
        shapes=[hline(1.0, dict(color="#999999", width=1.5, dash="dot"))],  # 1: passes unchanged
        annotations=[dict(x=0, xanchor="left", xref="x domain", y=1.0, yanchor="bottom", yref="y", showarrow=False,
                          text="1 = passes unchanged", font=dict(color="#777777", size=FONT_SIZE - 2))],
        xaxis=_step_axis(T, notes),
        yaxis=dict(title=dict(text="gain from the end back to step t (log)"), type="log", exponentformat="power",
                   showexponent="all", **log_ticks(lo, hi, rnn, np.array([floor if H > 8 else np.nan]))),
        margin=dict(b=60 + 22 * len(notes)),
    ))


def layer_heatmap(norms, *, title: str | None = None, quantity: str = "‖∂L/∂h_t‖") -> go.Figure:
    """Depth and time on one picture: a stack's gradient norm per layer and step (lstm_core.analysis.stack_grad_norms
    of one sequence, (L, T)), coloured by log10 of the norm, layer 1 (the bottom, reading x) at the bottom.

    Each cell is exactly the given norm (hover); the colour is log10 of it, and a norm of 0 (underflow) or an
    overflow is left blank and noted in the x-axis title. The colour range spans the drawable values.
    """
    try:
        a = np.asarray(norms, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("norms: could not be read as numbers, needs an (L, T) array of norms") from None
    if a.ndim != 2 or a.size == 0:
        raise ValueError(f"norms: got shape {a.shape}, needs (L, T): one norm per layer and step")
    if np.any(a < 0):
        raise ValueError("norms: needs norms >= 0")
    L, T = a.shape
    ok = np.isfinite(a) & (a > 0)
    with np.errstate(divide="ignore"):
        logs = np.where(ok, np.log10(np.where(ok, a, 1.0)), np.nan)
    shown = [[float(v) if k else None for v, k in zip(row, keep)] for row, keep in zip(logs, ok)]
    exact = [[float(v) if k else None for v, k in zip(row, keep)] for row, keep in zip(a, ok)]
    data = [dict(
        type="heatmap", z=shown, x=np.arange(1, T + 1), y=np.arange(1, L + 1), customdata=exact,
        colorscale="Viridis", colorbar=dict(title=dict(text="log₁₀", side="right"), thickness=14), name="norms",
        hoverongaps=False, hovertemplate=f"layer %{{y}}, t = %{{x}}<br>{quantity} = %{{customdata:.3e}}<extra></extra>",
    )]
    notes = [] if ok.all() else ["blank = 0 (underflow) or overflow"]
    return figure(data, house_layout(
        title=title or f"{quantity} per layer and step (colour: log₁₀)", height=160 + 70 * L + 22 * len(notes),
        xaxis=dict(title=axis_title(notes)),
        yaxis=dict(title=dict(text="layer (1 = reads x)"), dtick=1, range=[0.5, L + 0.5]),
    ))
