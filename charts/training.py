"""Training lab figures: loss and test-accuracy curves of one to three models, and the per-step gradient strip.

Pure functions from plain rows / arrays (``lstm_core.train.Progress.row()``, ``Progress.step_norms``) to plotly
Figures; no Streamlit. Every drawn value is exactly the given number, except what a log scale cannot show:

- a loss <= 0 or a non-finite value is a gap (None) on the log loss axis;
- in the gradient strip, colour = log10 of the norm; a norm of 0 (the gradient underflowed: nothing arrived) or a
  non-finite one has no logarithm and is left as an empty cell (None, never NaN), which the colour-bar title says.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from .gradients import drawable, log_ticks
from .grid import hline
from .style import COLORS, FONT_SIZE, MODEL_SYMBOL, SEQUENTIAL, figure, house_layout, merge, model_line, subplot_layout

MODEL_LABELS = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}
X_TITLES = {"iteration": "training iteration", "seconds": "compute seconds"}
CHANCE_COLOR = "#888888"
STRIP_MAX_ROWS = 400  # more reports than this: the strip shows evenly spaced rows (always the first and the last)


def _label(model: str) -> str:
    return MODEL_LABELS.get(model, str(model))


def _column(rows: list[dict], key: str) -> np.ndarray:
    return np.array([np.nan if r.get(key) is None else float(r[key]) for r in rows], dtype=np.float64)


def _kind(history: dict[str, list[dict]]) -> str:
    """"classification" when any row carries an accuracy, else "regression" (rows carry an MSE)."""
    for rows in history.values():
        if any(r.get("accuracy") is not None for r in rows):
            return "classification"
    return "regression"


def training_curves(
    history: dict[str, list[dict]],
    *,
    chance: float | None = None,
    x: str = "iteration",
    title: str | None = None,
    height: int = 330,
) -> go.Figure:
    """Two panels side by side: loss (log y; training loss solid, test loss dotted) and test accuracy (or test MSE).

    history: {model ("lstm" | "rnn"): [row, …]} with the keys of ``Progress.row()``: iteration, seconds, train_loss,
    test_loss, accuracy (classification) or mse (regression). ``x``: "iteration" or "seconds" on the x axes.
    ``chance``: accuracy of guessing (classification) or the MSE of always answering the mean (regression), drawn as
    a dashed grey line in the right panel. Trace names: "LSTM train loss", "LSTM test loss", "LSTM test accuracy"
    (or "LSTM test MSE"), "chance (…)" (or "baseline (…)"); the legend shows one entry per model (an empty trace
    named "LSTM" / "RNN") and the chance line.
    """
    if not isinstance(history, dict):
        raise ValueError(f"history: got {type(history).__name__}, needs a dict model -> list of rows")
    if x not in X_TITLES:
        raise ValueError(f"x: got {x!r}, needs one of {list(X_TITLES)}")
    kind = _kind(history)
    metric, metric_name = ("accuracy", "test accuracy") if kind == "classification" else ("mse", "test MSE")
    spec = subplot_layout(rows=1, cols=2, horizontal_spacing=0.1,
                          subplot_titles=("Loss (log): solid train, dotted test", "Test accuracy" if kind == "classification"
                                          else "Test MSE (lower is better)"))
    hover_x = "iteration %{x}" if x == "iteration" else "%{x:.1f} s"
    data, losses = [], []
    for model, rows in history.items():
        rows = list(rows)
        if not rows:
            continue
        name, color = _label(model), COLORS.get(model, "#555555")
        xs = _column(rows, x)
        data.append(dict(  # the legend entry of the model (its traces stay out of the legend, one row)
            type="scatter", x=[None], y=[None], name=name, mode="lines+markers", legendgroup=model,
            line=model_line(model), marker=dict(symbol=MODEL_SYMBOL.get(model, "circle"), size=8), hoverinfo="skip",
            xaxis="x", yaxis="y"))
        for key, suffix, dash in (("train_loss", "train loss", "solid"), ("test_loss", "test loss", "dot")):
            values = _column(rows, key)
            losses.append(values)
            y, _ = drawable(values, log=True)
            data.append(dict(
                type="scatter", x=xs, y=y, name=f"{name} {suffix}", mode="lines+markers", connectgaps=False,
                legendgroup=model,
                showlegend=False,  # dash tells train from test here, so the model's marker tells the models apart
                line=dict(color=color, width=3 if dash == "solid" else 2, dash=dash),
                marker=dict(symbol=MODEL_SYMBOL.get(model, "circle"), size=7, maxdisplayed=12),
                hovertemplate=f"{hover_x}<br>%{{y:.4g}}<extra>{name} {suffix}</extra>", xaxis="x", yaxis="y"))
        y, _ = drawable(_column(rows, metric), log=False)
        data.append(dict(
            type="scatter", x=xs, y=y, name=f"{name} {metric_name}", mode="lines+markers" if len(rows) <= 40 else "lines",
            connectgaps=False, legendgroup=model, showlegend=False, line=model_line(model),
            marker=dict(size=6, symbol=MODEL_SYMBOL.get(model, "circle")),
            hovertemplate=f"{hover_x}<br>%{{y:.3f}}<extra>{name} {metric_name}</extra>", xaxis="x2", yaxis="y2"))
    if chance is not None:
        label = "chance" if kind == "classification" else "baseline"
        if data:  # the line only where there are curves to compare with it (as add_hline did: not on empty panels)
            spec["shapes"] = [hline(float(chance), dict(color=CHANCE_COLOR, width=2, dash="dash"), 2)]
        data.append(dict(  # an invisible trace so the line has a legend entry and a name in the data
            type="scatter", x=[None], y=[None], name=f"{label} ({chance:.3g})", mode="lines",
            line=dict(color=CHANCE_COLOR, width=2, dash="dash"), hoverinfo="skip", xaxis="x2", yaxis="y2"))
    spec["yaxis"].update(type="log", **log_ticks(*losses, max_ticks=6))
    if kind == "classification":
        spec["yaxis2"].update(range=[0, 1.05], tickformat=".0%")
    else:
        spec["yaxis2"]["rangemode"] = "tozero"
    for axis in ("xaxis", "xaxis2"):
        spec[axis].update(title=dict(text=X_TITLES[x]), rangemode="tozero")
    for ann in spec["annotations"]:  # the panel titles in the house size (make_subplots makes them larger)
        ann["font"] = merge(ann.get("font", {}), dict(size=FONT_SIZE))
    return figure(data, merge(spec, house_layout(title=title, height=height), dict(legend=dict(y=1.1))))


def log_norms(step_norms: np.ndarray) -> tuple[list | np.ndarray, int]:
    """log10 of every norm, as z for a heatmap: the float64 array itself, or (when some norm is 0 or not finite) a
    list of row lists with None there. Returns (z, number of empty cells)."""
    a = np.asarray(step_norms, dtype=np.float64)
    ok = np.isfinite(a) & (a > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.log10(np.where(ok, a, 1.0))
    if ok.all():
        return z, 0
    return [[float(v) if k else None for v, k in zip(row, okr)] for row, okr in zip(z, ok)], int((~ok).sum())


def strip_rows(n: int, max_rows: int = STRIP_MAX_ROWS) -> np.ndarray:
    """Indices of the rows a strip of ``n`` reports shows: all, or ``max_rows`` evenly spaced (first and last kept)."""
    if n <= max_rows:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_rows).round().astype(int))


def gradient_strip(
    iterations,
    step_norms,
    *,
    title: str | None = None,
    quantity: str = "‖∂L/∂c_t‖",
    zrange: tuple[float, float] | None = None,
    height: int = 300,
) -> go.Figure:
    """Heatmap of per-step gradient norms over training: x = step t (1 … T), y = training iteration, colour = log10.

    iterations: (n,) the iteration of each report; step_norms: (n, T) the norms of that report's last iteration
    (``Progress.step_norms``), step 0 … T−1 drawn at t = 1 … T. ``zrange``: (zmin, zmax) in log10 units, to give two
    strips the same colours (default: this strip's own range). Zero / non-finite norms: empty cells (module
    docstring). With more than STRIP_MAX_ROWS reports, evenly spaced rows are shown (``strip_rows``).
    """
    its = np.asarray(iterations, dtype=np.float64)
    norms = np.asarray(step_norms, dtype=np.float64)
    if norms.ndim != 2 or norms.shape[0] == 0 or norms.shape[1] == 0:
        raise ValueError(f"step_norms: got shape {norms.shape}, needs (n reports, T steps) with n, T >= 1")
    if its.shape != (norms.shape[0],):
        raise ValueError(f"iterations: got shape {its.shape}, needs ({norms.shape[0]},): one per row of step_norms")
    if np.any(norms < 0):
        raise ValueError("step_norms: has negative values, needs norms >= 0")
    keep = strip_rows(norms.shape[0])
    its, norms = its[keep], norms[keep]
    z, gaps = log_norms(norms)
    T = norms.shape[1]
    cbar = "log₁₀ " + quantity + ("<br>(blank: 0)" if gaps else "")
    heat = dict(
        type="heatmap", z=z, x=np.arange(1, T + 1), y=its, colorscale=SEQUENTIAL, name=quantity,
        colorbar=dict(title=dict(text=cbar, side="right"), thickness=14, outlinewidth=0,
                      tickfont=dict(size=FONT_SIZE - 2)),
        hovertemplate="iteration %{y}<br>step t = %{x}<br>log₁₀ " + quantity + " = %{z:.2f}<extra></extra>",
        **({} if zrange is None else {"zmin": float(zrange[0]), "zmax": float(zrange[1])}),
    )
    return figure([heat], house_layout(
        title=title, height=height,
        xaxis=dict(title=dict(text="step t (the loss reads the last step)")),
        yaxis=dict(title=dict(text="training iteration")),
    ))


def shared_zrange(*step_norms) -> tuple[float, float] | None:
    """(min, max) of log10 over the positive finite norms of all arrays: one colour scale for several strips."""
    vals = [np.asarray(a, dtype=np.float64).ravel() for a in step_norms if a is not None and np.size(a)]
    if not vals:
        return None
    v = np.concatenate(vals)
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        return None
    lo, hi = float(np.log10(v.min())), float(np.log10(v.max()))
    return (lo, hi) if hi > lo else (lo - 0.5, hi + 0.5)
