"""Text lab figures: the text coloured by a unit (Karpathy's view), the next-character bars, connectivity, the
"find the cell" overview, the character model's training curves and the bracket counter. No Streamlit.

Everything a user typed reaches the screen as text only: in the HTML blocks every character goes through
``html.escape`` (so ``<script>`` shows as the characters < s c r …, never as a tag), and in Plotly hover labels and
tick labels (which understand a few tags such as <b> and <a>) it is escaped the same way.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from .grid import vline
from .style import COLORS, LABELS, figure, house_layout, merge, subplot_layout

SHOWN = {"\n": "⏎", "\t": "⇥", " ": "␣"}  # characters that would be invisible in a label
RED, BLUE, GREEN, ORANGE = (214, 39, 40), (31, 119, 180), (0, 158, 115), (230, 120, 0)
SIGNED = ("c", "h", "g")  # quantities in (−∞, ∞) or (−1, 1): diverging colours around 0; the gates are in (0, 1)


def shown(ch: str) -> str:
    """A character as a label shows it: whitespace as a visible symbol, everything else HTML-escaped."""
    return SHOWN.get(ch, html.escape(ch, quote=True))


def _mix(rgb: tuple[int, int, int], weight: float) -> str:
    """``rgb`` blended with white: weight 0 = white, 1 = the full colour, as #rrggbb."""
    w = min(max(float(weight), 0.0), 1.0)
    return "#" + "".join(f"{round(255 + (c - 255) * w):02x}" for c in rgb)


def colour_of(value: float, *, signed: bool, limit: float) -> str | None:
    """Background colour of one character: red for positive, blue for negative (signed, |value| / limit), or
    shades of green from 0 to ``limit`` (unsigned). None for NaN (no colour)."""
    if not np.isfinite(value):
        return None
    if signed:
        return _mix(RED if value >= 0 else BLUE, abs(value) / limit)
    return _mix(GREEN, value / limit)


def colored_text_html(text: str, values: np.ndarray, *, signed: bool, limit: float | None = None,
                      titles: list[str] | None = None, outline: int | None = None, heat: bool = False,
                      view: str = "units") -> str:
    """Karpathy's view as one HTML block: every character of ``text`` on a background coloured by ``values`` (T,).

    signed: diverging colours around 0 with ``limit`` (default max |value|) as full colour; else 0 … limit
    (default 1) in green, or in orange with ``heat``. NaN: no colour. ``titles``: a hover tooltip per character
    (plain text, escaped here). ``outline``: a character to draw a box around (e.g. the one being predicted).
    A newline is shown as a coloured space before the line break, so its value stays visible. ``view`` names the
    block (CSS class tl-<view>), so a page can hold several.
    """
    values = np.asarray(values, dtype=float)
    if values.shape != (len(text),):
        raise ValueError(f"values: got shape {values.shape}, needs ({len(text)},) — one per character")
    finite = values[np.isfinite(values)]
    if limit is None:
        limit = float(np.max(np.abs(finite))) if signed and finite.size else 1.0
    limit = limit if limit > 0 else 1.0
    parts = []
    for k, ch in enumerate(text):
        colour = colour_of(values[k], signed=signed, limit=limit) if not heat else (
            None if not np.isfinite(values[k]) else _mix(ORANGE, values[k] / limit))
        style = f"background:{colour}" if colour else ""
        if k == outline:
            style += ";outline:2px solid #111;outline-offset:-1px"
        title = f' title="{html.escape(titles[k], quote=True)}"' if titles is not None else ""
        body = " \n" if ch == "\n" else html.escape(ch, quote=True)
        parts.append(f'<span style="{style}"{title}>{body}</span>' if style or title else body)
    return (f'<div class="tl-text tl-{html.escape(view, quote=True)}" style="'
            'font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;white-space:pre-wrap;word-break:break-all;line-height:1.45;font-size:0.95rem;padding:0.6rem;'
            'border:1px solid #ddd;border-radius:0.4rem;max-height:32rem;overflow-y:auto;tab-size:4">'
            + "".join(parts) + "</div>")


def hover_titles(text: str, top: list[list[tuple[str, float]]], gates: dict[str, np.ndarray], unit: int) -> list[str]:
    """One tooltip per character: its position, the model's top next characters and the unit's gate and state
    values there. ``top[t]``: [(char, probability), …]; ``gates``: quantity -> (T,) values of unit ``unit``."""
    out = []
    for t, ch in enumerate(text):
        nxt = "  ".join(f"{SHOWN.get(c, c)} {p:.0%}" for c, p in top[t])
        vals = "  ".join(f"{q} {gates[q][t]:+.2f}" for q in gates)
        out.append(f"#{t + 1} {SHOWN.get(ch, ch)} → next: {nxt}\nunit {unit + 1}: {vals}")
    return out


# Title on the first line, the legend on its own line under it (a long title and a wide legend overlap): layout keys.
LEGEND_UNDER_TITLE = dict(margin=dict(t=95), title=dict(y=0.985, yanchor="top"),
                          legend=dict(y=1.0, yanchor="bottom", x=0, xanchor="left"))


def _labels(text: str) -> np.ndarray:
    """Every character as shown, for a trace's customdata: an object array, which plotly takes whole (a list of
    20,000 strings is checked and copied item by item, ~30 ms); shown() once per distinct character."""
    table = {ch: shown(ch) for ch in set(text)}
    return np.array([table[ch] for ch in text], dtype=object)


def unit_line(values: np.ndarray, text: str, *, unit: int, quantity: str, position: int | None = None,
              height: int = 260) -> go.Figure:
    """The unit's ``quantity`` at every character (x = character number, 1-based), the character in the hover;
    click a point to pick that character. ``position`` (0-based) is marked."""
    T = len(text)
    x = np.arange(1, T + 1)
    line = dict(
        type="scatter", x=x, y=np.asarray(values, float), mode="lines+markers", name=f"unit {unit + 1} {quantity}",
        line=dict(color=COLORS.get(quantity, "#333"), width=1.5), marker=dict(size=5),
        customdata=_labels(text), hovertemplate="#%{x} %{customdata}: %{y:.3f}<extra></extra>",
    )
    spec = house_layout(
        title=f"Unit {unit + 1}: {LABELS.get(quantity, quantity)} at every character (click to pick one)",
        height=height, showlegend=False, clickmode="event+select",
        xaxis=dict(title=dict(text="character number")), yaxis=dict(title=dict(text=quantity)),
    )
    if position is not None:  # a dotted line through the whole plot height at the character
        spec["shapes"] = [vline(position + 1, dict(color="#111", width=2, dash="dot"))]
    return figure([line], spec)


def next_chars_bar(top: list[tuple[str, float]], *, actual: str | None = None, height: int = 260) -> go.Figure:
    """The top next characters and their probabilities; the character that really came next (if among them) in
    a darker colour."""
    labels = [shown(c) for c, _ in top]
    probs = [p for _, p in top]
    colours = ["#D55E00" if c == actual else "#56B4E9" for c, _ in top]
    bars = dict(type="bar", x=labels, y=probs, marker=dict(color=colours), text=[f"{p:.0%}" for p in probs],
                textposition="outside", hovertemplate="%{x}: %{y:.3f}<extra></extra>", cliponaxis=False)
    return figure([bars], house_layout(
        title="Top next characters (dark: what really came next)", height=height, showlegend=False,
        yaxis=dict(title=dict(text="probability"), range=[0, 1.1], tickformat=".0%"), xaxis=dict(type="category"),
    ))


def connectivity_figure(norms: np.ndarray, text: str, position: int, *, height: int = 260) -> go.Figure:
    """‖∂ log p / ∂x_s‖ for every s ≤ position (bars on a log axis, x = character number), hover: the character."""
    norms = np.asarray(norms, float)
    s = np.arange(1, norms.size + 1)
    y = np.where(norms > 0, norms, np.nan)  # a zero has no logarithm: left out
    bars = dict(type="bar", x=s, y=y, marker=dict(color="#E69F00"), customdata=_labels(text[:norms.size]),
                hovertemplate="#%{x} %{customdata}: %{y:.2e}<extra></extra>")
    return figure([bars], house_layout(
        title=f"Connectivity of the prediction after character {position + 1}: ‖∂ log p / ∂x_s‖",
        height=height, showlegend=False, bargap=0,
        yaxis=dict(type="log", title=dict(text="‖∂ log p / ∂x_s‖")), xaxis=dict(title=dict(text="input character s")),
    ))


def ranking_figure(best: dict[str, dict[str, float]], *, height: int = 300) -> go.Figure:
    """For every feature, the best unit's |r| for its cell c and its hidden state h (grouped bars), the unit and
    the sign of r in the hover. ``best[feature][q] = (unit, r)``; features without a defined r are left out."""
    feats = list(best)
    data = []
    for q in ("c", "h"):
        units = [best[f][q][0] if q in best[f] else None for f in feats]
        rs = [best[f][q][1] if q in best[f] else None for f in feats]
        data.append(dict(
            type="bar", name=LABELS[q], x=feats, y=[None if r is None else abs(r) for r in rs],
            marker=dict(color=COLORS[q]),
            customdata=[[("—" if u is None else u + 1), ("—" if r is None else f"{r:+.2f}")] for u, r in zip(units, rs)],
            hovertemplate="%{x}: unit %{customdata[0]}, r = %{customdata[1]}<extra>" + q + "</extra>",
            text=[None if u is None else f"#{u + 1}" for u in units], textposition="outside", cliponaxis=False,
            textfont=dict(size=12),
        ))
    return figure(data, merge(house_layout(
        title="Best unit per feature (|r|; #: the unit)", height=height, barmode="group",
        yaxis=dict(title=dict(text="|Pearson r|"), range=[0, 1.15]),
    ), LEGEND_UNDER_TITLE))


def char_curves(rows: list[dict], *, height: int = 300) -> go.Figure:
    """Training curves of a character model: training and held-out loss in bits per character per iteration.
    ``rows``: dicts with iteration, train_bits, heldout_bits."""
    it = [r["iteration"] for r in rows]
    data = [
        dict(type="scatter", x=it, y=[r["train_bits"] for r in rows], name="training (mean of the window)",
             mode="lines+markers", line=dict(color=COLORS["lstm"])),
        dict(type="scatter", x=it, y=[r["heldout_bits"] for r in rows], name="held-out", mode="lines+markers",
             line=dict(color=COLORS["rnn"], dash="dot")),
    ]
    return figure(data, house_layout(
        title="Loss in bits per character", height=height,
        xaxis=dict(title=dict(text="training iteration")), yaxis=dict(title=dict(text="bits per character")),
    ))


def counter_figure(symbols: str, depth: np.ndarray, states: dict[str, np.ndarray], *, unit: int, r: float,
                   height: int = 460) -> go.Figure:
    """One bracket sequence: the depth and the counter unit's cell c (top, two y axes), its gates i, f, o (bottom),
    x = the step with its symbol as tick label. ``states``: "c", "i", "f", "o" -> (T,) of the unit."""
    T = len(symbols)
    x = np.arange(1, T + 1)
    # top: x with y (depth) and y2 (c, on the right); bottom: x2 with y3 (the gates)
    spec = subplot_layout(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.55, 0.45],
                          specs=[[{"secondary_y": True}], [{}]])
    data = [
        dict(type="scatter", x=x, y=depth, name="bracket depth", mode="lines",
             line=dict(color="#555", shape="hv", width=3), xaxis="x", yaxis="y"),
        dict(type="scatter", x=x, y=states["c"], name=f"unit {unit + 1} cell c", mode="lines+markers",
             line=dict(color=COLORS["c"]), xaxis="x", yaxis="y2"),
    ]
    data += [dict(type="scatter", x=x, y=states[q], name=LABELS[q], mode="lines+markers", line=dict(color=COLORS[q]),
                  xaxis="x2", yaxis="y3") for q in ("i", "f", "o")]
    spec["yaxis"]["title"] = dict(text="depth")
    spec["yaxis2"]["title"] = dict(text="c")
    spec["yaxis3"].update(title=dict(text="gate"), range=[0, 1.05])
    spec["xaxis2"].update(tickmode="array", tickvals=x, ticktext=list(symbols), tickfont=dict(size=13),
                          title=dict(text="input symbol at each step"))
    return figure(data, merge(spec, house_layout(
        title=f"Unit {unit + 1} counts: r(c, depth) = {r:+.3f} on the test sequences", height=height,
    ), LEGEND_UNDER_TITLE))
