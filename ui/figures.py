"""Figures built once and shown many times.

Building a Plotly figure costs far more than the maths behind it (plotly.py validates every property), so a figure
is built once per content key and kept as its JSON dict in the FIGURES byte budget (ui/memo.py: shared by every
session, never mutated; at the largest settings a lab's gate heatmaps alone take 8 MB, so the bound is in bytes). What
changes on every rerun — the selected step — is applied to a shallow copy: the step marker shapes move
(charts.style.move_step_marks) and, for animated figures, the initial data and slider position switch to that step's
frame. The copy is handed to st.plotly_chart as a figure whose JSON is already built, so nothing is re-validated.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

import plotly.graph_objects as go

from charts.style import move_step_marks
from ui import memo


class Prebuilt(go.Figure):
    """A Figure whose JSON is already built and validated: ``to_dict()`` returns it as it is.

    st.plotly_chart serialises ``figure.to_dict()``; everything else about a Figure stays available, empty."""

    def __init__(self, spec: dict):
        # An empty template and no validation: the default template's deep copy (~0.5 ms a figure, on every rerun)
        # would only be thrown away, since to_dict() returns ``spec``.
        super().__init__(layout={"template": {}}, _validate=False)
        self._spec = spec

    def to_dict(self) -> dict:  # noqa: D102 — the whole point of the class
        return self._spec


def content_key(*parts) -> str:
    """A short digest of arrays, params and plain values: equal content, equal key (ui.memo.digest)."""
    return memo.digest(*parts)


CHARTS_DIR = Path(__file__).resolve().parents[1] / "charts"


def code_version(folder: Path = CHARTS_DIR) -> str:
    """A digest of the names and modification times of the chart code (``folder``/*.py). Part of every figure's
    cache key, so that a figure cached before a developer edited charts/ is built again (Streamlit re-imports the
    edited module and reruns, but st.cache_resource would otherwise keep the old figure). A few stat calls."""
    h = hashlib.blake2b(digest_size=8)
    for path in sorted(folder.glob("*.py")):
        h.update(f"{path.name}:{path.stat().st_mtime_ns}|".encode())
    return h.hexdigest()


FIGURES = memo.Budget("figures", max_mb=120)  # ~10 labs' figures at the largest settings, thousands at the defaults


def _spec(name: str, key: str, build: Callable[[], go.Figure]) -> dict:
    return FIGURES.get(f"{name}/{key}", lambda: build().to_dict())


def cached(name: str, key: str, build: Callable[[int], go.Figure], *, step: int | None = None,
           at: Callable[[dict, int], dict] | None = None,
           frame: Callable[[dict, int], dict] | None = None) -> Prebuilt:
    """The figure ``build(step)`` makes, built once per (name, key) at step 0 and moved to ``step`` (0-based): the
    step marker shapes move, and an animated figure starts at that step's frame. An animation whose frames skip
    ``step`` (long sequences are subsampled) gets that step's frame from ``frame(spec, step)`` (the chart's own
    function, e.g. charts.cell.with_step_frame: one frame, not cached) or, without it, is built once more for that
    step. ``step=None``: no step at all. ``at(spec, step)``: for a figure whose data change with the step (e.g.
    charts.cell.unit_bars_at), the figure JSON built at step 0 moved to ``step`` by the chart's own function
    instead."""
    key = f"{key}/{code_version()}"
    if step is None:
        return Prebuilt(_spec(name, key, lambda: build(None)))
    spec = _spec(name, key, lambda: build(0))
    if at is not None:
        return Prebuilt(at(spec, step))
    if spec.get("frames") and str(step) not in {f.get("name") for f in spec["frames"]}:
        if frame is None:
            return Prebuilt(_spec(name, f"{key}@{step}", lambda: build(step)))
        spec = frame(spec, step)
    return Prebuilt(_select_frame(move_step_marks(spec, step + 1), step))


def _merge(base: dict, update: dict) -> dict:
    """``base`` with ``update`` applied the way Plotly applies a frame: nested dicts merge, anything else replaces."""
    out = dict(base)
    for k, v in update.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _select_frame(spec: dict, step: int) -> dict:
    """Show frame ``str(step)`` as the figure's initial state and point the slider at it (no-op without frames)."""
    frames = spec.get("frames")
    if not frames:
        return spec
    names = [f.get("name") for f in frames]
    k = names.index(str(step))
    frame = frames[k]
    data = list(spec["data"])
    for index, update in zip(frame.get("traces", range(len(frame["data"]))), frame["data"]):
        data[index] = _merge(data[index], update)
    layout = dict(spec["layout"])
    if layout.get("sliders"):
        layout["sliders"] = [{**layout["sliders"][0], "active": k}, *layout["sliders"][1:]]
    return {**spec, "data": data, "layout": layout}
