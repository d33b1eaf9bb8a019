"""charts.cell: the LSTM cell diagram and the per-unit bars carry exactly the core's numbers at the chosen step."""

from __future__ import annotations

import json
import math

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charts.cell import CELL_FILL, EDGES, LABELS_AT, LIGHT_TEXT, NODES, SignedLog, cell_diagram, unit_bars
from lstm_core import LSTMTrace, init_lstm, lstm_backward, lstm_forward

from tests.helpers import trace_named

T, D, H = 12, 2, 3


def make(T=T, D=D, H=H, seed=0, forget_bias=None):
    rng = np.random.default_rng(100 + seed)
    params = init_lstm(D, H, seed=seed, forget_bias=forget_bias)
    trace = lstm_forward(params, rng.normal(size=(T, D)), h0=0.3 * rng.normal(size=H), c0=rng.normal(size=H))
    grads = lstm_backward(params, trace, rng.normal(size=(T, H)))
    return trace, grads


@pytest.fixture(scope="module")
def problem():
    return make()


def node_values(fig) -> dict[str, float]:
    nodes = trace_named(fig, "nodes")
    return dict(zip(nodes.ids, nodes.customdata))


def node_colors(fig) -> dict[str, str]:
    nodes = trace_named(fig, "nodes")
    return dict(zip(nodes.ids, nodes.marker.color))


def labels(fig) -> dict[str, str]:
    values = trace_named(fig, "values")
    return dict(zip(values.ids, values.text))


def fmt3(v: float) -> str:
    return f"{v:.3f}".replace("-", "−")


def sci(v: float) -> str:
    return f"{v:.1e}".replace("-", "−")


def numbers(obj):
    """Every number in a JSON-like structure (numpy arrays flattened)."""
    if isinstance(obj, dict):
        for v in obj.values():
            yield from numbers(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from numbers(v)
    elif isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fiu":
            yield from obj.ravel().tolist()
        else:
            yield from numbers(obj.tolist())
    elif isinstance(obj, (int, float, np.number)) and not isinstance(obj, bool):
        yield obj


def frame_trace(fig, frame, name):
    """The data update a frame carries for the figure trace called ``name``."""
    index = next(k for k, t in enumerate(fig.data) if t.name == name)
    return frame.data[list(frame.traces).index(index)]


# ---- forward values ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("step,unit", [(0, 0), (5, 1), (T - 1, H - 1)])
def test_forward_nodes_carry_the_exact_trace_values(problem, step, unit):
    trace, _ = problem
    fig = cell_diagram(trace, step, unit)
    v = node_values(fig)
    f, i, g, o = (float(getattr(trace, q)[step, unit]) for q in "figo")
    c_prev = float(trace.c_prev()[step, unit])
    assert v["f"] == f and v["i"] == i and v["g"] == g and v["o"] == o
    assert v["c"] == trace.c[step, unit] and v["add"] == trace.c[step, unit]
    assert v["h"] == trace.h[step, unit] and v["out_mul"] == trace.h[step, unit]
    assert v["c_prev"] == c_prev
    assert v["h_prev"] == trace.h_prev()[step, unit]
    assert v["forget_mul"] == f * c_prev
    assert v["input_mul"] == i * g
    assert v["tanh_c"] == np.tanh(trace.c[step, unit])
    assert v["x"] == np.linalg.norm(trace.x[step])  # D = 2: coloured by ‖x_t‖
    # c_t really is f ⊙ c_{t−1} + i ⊙ g (the numbers on the picture add up)
    assert math.isclose(v["c"], v["forget_mul"] + v["input_mul"], rel_tol=1e-12, abs_tol=1e-15)


def test_forward_labels_print_the_values_at_the_step(problem):
    trace, _ = problem
    step, unit = 7, 2
    lab = labels(cell_diagram(trace, step, unit))
    for q in "figo":
        assert lab[q] == f"{q} = {fmt3(getattr(trace, q)[step, unit])}"
    assert lab["belt_right"] == f"c<sub>t</sub> = {fmt3(trace.c[step, unit])}"
    assert lab["belt_left"] == f"c<sub>t−1</sub> = {fmt3(trace.c[step - 1, unit])}"
    assert lab["h"] == f"h<sub>t</sub> = {fmt3(trace.h[step, unit])}"
    x0, x1 = trace.x[step]
    assert lab["x"] == f"x<sub>t</sub> = [{fmt3(x0)}, {fmt3(x1)}]"
    assert lab["step"] == f"<b>step t = {step + 1}</b> of {T}"


def test_title_names_unit_and_hidden_size(problem):
    trace, grads = problem
    assert "unit 3 of 3" in cell_diagram(trace, 4, 2).layout.title.text
    assert "unit 1 of 3" in cell_diagram(trace, 4, 0, grads=grads, mode="backward").layout.title.text


def test_hover_shows_the_exact_value(problem):
    trace, _ = problem
    fig = cell_diagram(trace, 3, 1)
    nodes = trace_named(fig, "nodes")
    k = list(nodes.ids).index("f")
    assert "%{customdata}" in nodes.hovertemplate[k] and "forget gate" in nodes.hovertemplate[k]
    kx = list(nodes.ids).index("x")
    for a in trace.x[3]:  # D = 2: every channel, exactly, in the hover
        assert repr(float(a)).replace("-", "−") in nodes.hovertext[kx]


def test_input_display_for_one_and_many_channels():
    trace1, _ = make(D=1)
    fig = cell_diagram(trace1, 2, 0)
    assert node_values(fig)["x"] == trace1.x[2, 0]
    assert labels(fig)["x"] == f"x<sub>t</sub> = [{fmt3(trace1.x[2, 0])}]"
    trace5, _ = make(D=5)
    fig = cell_diagram(trace5, 2, 0)
    norm = float(np.linalg.norm(trace5.x[2]))
    assert node_values(fig)["x"] == norm
    assert labels(fig)["x"] == f"‖x<sub>t</sub>‖ = {fmt3(norm)}"


def test_edge_widths_follow_the_values(problem):
    trace, _ = problem
    step, unit = 4, 0
    fig = cell_diagram(trace, step, unit)
    f = float(trace.f[step, unit])
    assert trace_named(fig, "edge:f").line.width == pytest.approx(1 + 8 * min(f, 1.0), abs=1e-3)
    c_max = max(np.abs(trace.c).max(), np.abs(trace.c0).max())
    belt = trace_named(fig, "edge:belt_out").line.width
    assert belt == pytest.approx(1.5 + 10 * abs(trace.c[step, unit]) / c_max, abs=1e-3)
    # the belt is thickest at the step where |c| is largest for this unit
    widths = [trace_named(cell_diagram(trace, s, unit, animate=False), "edge:belt_out").line.width
              for s in range(T)]
    assert int(np.argmax(widths)) == int(np.argmax(np.abs(trace.c[:, unit])))


def test_colours_use_fixed_ranges():
    """Hand-made trace: gates at 0 and 1 hit Viridis' ends, |c| ≫ 1 clips to RdBu_r's ends."""
    one = np.ones((2, 2))
    tr = LSTMTrace(
        x=np.zeros((2, 1)), h0=np.zeros(2), c0=np.zeros(2),
        i=0.0 * one, f=one, g=0.0 * one, o=one, c=np.array([[5.0, -5.0], [0.0, 0.0]]), h=0.0 * one,
    )
    colors = node_colors(cell_diagram(tr, 0, 0, animate=False))
    assert colors["f"] == "#fde725" and colors["o"] == "#fde725"  # Viridis at 1
    assert colors["i"] == "#440154"  # Viridis at 0
    assert colors["c"] == "#67001f"  # RdBu_r at +1 (c = 5 clipped)
    assert node_colors(cell_diagram(tr, 0, 1, animate=False))["c"] == "#053061"  # RdBu_r at −1


# ---- backward values --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("step,unit", [(0, 2), (6, 0), (T - 1, 1)])
def test_backward_nodes_carry_the_gradients(problem, step, unit):
    trace, grads = problem
    fig = cell_diagram(trace, step, unit, grads=grads, mode="backward")
    v = node_values(fig)
    for q in "ifgo":
        assert v[q] == getattr(grads, f"dz_{q}")[step, unit]
    assert v["add"] == grads.dc[step, unit]
    assert v["h"] == grads.dh[step, unit] and v["out_mul"] == grads.dh[step, unit]
    assert v["forget_mul"] == trace.f[step, unit] * grads.dc[step, unit]  # the carousel into c_{t−1}
    assert v["tanh_c"] == grads.dh[step, unit] * trace.o[step, unit]
    future = trace.f[step + 1, unit] * grads.dc[step + 1, unit] if step < T - 1 else 0.0
    assert v["c"] == future
    assert v["x"] == np.linalg.norm(grads.dx[step])
    if step == 0:  # the carousel part of dc_t reaching c0 is exactly the core's dc0
        assert v["c_prev"] == grads.dc0[unit]
    else:  # what step t+1 hands back along the belt, seen from step t−1
        prev = cell_diagram(trace, step - 1, unit, grads=grads, mode="backward", animate=False)
        assert node_values(prev)["c"] == v["c_prev"]


def test_backward_labels_use_scientific_notation(problem):
    trace, grads = problem
    step, unit = 5, 1
    lab = labels(cell_diagram(trace, step, unit, grads=grads, mode="backward"))
    assert lab["f"] == f"dz<sub>f</sub> =<br>{sci(grads.dz_f[step, unit])}"
    assert lab["belt_mid"] == f"dc<sub>t</sub> = {sci(grads.dc[step, unit])}"
    assert lab["h"] == f"dh<sub>t</sub> = {sci(grads.dh[step, unit])}"
    assert "−" in sci(-3.2e-4) and sci(-3.2e-4) == "−3.2e−04"


def test_backward_colour_and_width_follow_the_log_magnitude(problem):
    trace, grads = problem
    scale = SignedLog(max(np.abs(getattr(grads, k)).max() for k in ("dc", "dh", "dz_i", "dz_f", "dz_g", "dz_o")))
    step, unit = 3, 0
    fig = cell_diagram(trace, step, unit, grads=grads, mode="backward")
    for q in "ifgo":
        width = trace_named(fig, f"edge:{q}").line.width
        assert width == pytest.approx(1 + 8 * abs(float(scale(getattr(grads, f"dz_{q}")[step, unit]))), abs=1e-3)


def test_backward_needs_grads(problem):
    trace, _ = problem
    with pytest.raises(ValueError, match="grads"):
        cell_diagram(trace, 0, mode="backward")
    with pytest.raises(ValueError, match="grads"):
        unit_bars(trace, 0, mode="backward")


# ---- animation ----------------------------------------------------------------------------------------------------

def test_forward_frames_ascend_and_carry_each_steps_values(problem):
    trace, _ = problem
    step, unit = 4, 1
    fig = cell_diagram(trace, step, unit)
    assert [fr.name for fr in fig.frames] == [str(s) for s in range(T)]
    for fr in fig.frames:
        s = int(fr.name)
        update = frame_trace(fig, fr, "nodes")
        v = dict(zip(trace_named(fig, "nodes").ids, update.customdata))
        assert v["f"] == trace.f[s, unit] and v["c"] == trace.c[s, unit] and v["h"] == trace.h[s, unit]
        text = dict(zip(trace_named(fig, "values").ids, frame_trace(fig, fr, "values").text))
        assert text["step"] == f"<b>step t = {s + 1}</b> of {T}"
        assert frame_trace(fig, fr, "edge:f").line.width == pytest.approx(1 + 8 * trace.f[s, unit], abs=1e-3)
    # the requested step's frame equals the initial data
    first = frame_trace(fig, fig.frames[step], "nodes")
    assert tuple(first.customdata) == tuple(trace_named(fig, "nodes").customdata)


def test_backward_frames_descend_and_carry_the_gradients(problem):
    trace, grads = problem
    fig = cell_diagram(trace, 2, 0, grads=grads, mode="backward")
    assert [fr.name for fr in fig.frames] == [str(s) for s in range(T - 1, -1, -1)]
    ids = trace_named(fig, "nodes").ids
    for fr in fig.frames:
        s = int(fr.name)
        v = dict(zip(ids, frame_trace(fig, fr, "nodes").customdata))
        assert v["add"] == grads.dc[s, 0] and v["f"] == grads.dz_f[s, 0] and v["o"] == grads.dz_o[s, 0]


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_slider_and_play_button(problem, mode):
    trace, grads = problem
    step = 8
    fig = cell_diagram(trace, step, 0, grads=grads, mode=mode)
    slider = fig.layout.sliders[0]
    names = [fr.name for fr in fig.frames]
    assert [s.args[0][0] for s in slider.steps] == names
    assert [s.value for s in slider.steps] == [str(int(n) + 1) for n in names]  # labelled with t = step + 1
    assert [s.label for s in slider.steps] == [str(int(n) + 1) for n in names]
    assert list(slider.steps[slider.active].args[0]) == [str(step)]
    assert all(s.args[1]["frame"]["redraw"] is False for s in slider.steps)
    play, pause = fig.layout.updatemenus[0].buttons
    assert play.method == "animate" and play.args[0] is None
    assert play.args[1]["frame"] == {"duration": 80, "redraw": False} and play.args[1]["fromcurrent"] is True
    assert list(pause.args[0]) == [None]


def test_frames_only_touch_trace_data(problem):
    """Frames update traces only (no layout), so redraw=False animates them; the edges keep their geometry."""
    trace, _ = problem
    fig = cell_diagram(trace, 0, 0)
    for fr in fig.frames:
        assert fr.layout.to_plotly_json() == {}
        for update in fr.data:
            assert update.x is None and update.y is None


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_long_sequences_are_subsampled(mode):
    trace, grads = make(T=50)
    step = 23
    fig = cell_diagram(trace, step, 0, grads=grads, mode=mode, max_frames=10)
    steps = [int(fr.name) for fr in fig.frames]
    assert len(steps) <= 10 and {0, 49, step} <= set(steps)
    assert steps == (sorted(steps) if mode == "forward" else sorted(steps, reverse=True))
    assert list(fig.layout.sliders[0].steps[fig.layout.sliders[0].active].args[0]) == [str(step)]
    # even spacing: no gap much larger than T / max_frames
    assert max(np.diff(sorted(steps))) <= 7


def test_no_animation_when_off_or_single_step(problem):
    trace, _ = problem
    fig = cell_diagram(trace, 3, animate=False)
    assert len(fig.frames) == 0 and len(fig.layout.sliders) == 0 and len(fig.layout.updatemenus) == 0
    single, _ = make(T=1)
    assert len(cell_diagram(single, 0).frames) == 0


# ---- figure hygiene -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_no_nan_and_few_svg_traces(problem, mode):
    trace, grads = problem
    fig = cell_diagram(trace, T - 1, 2, grads=grads, mode=mode)
    assert all(math.isfinite(n) for n in numbers(fig.to_plotly_json()))
    assert "NaN" not in fig.to_json()
    assert len(fig.data) <= 20
    assert {t.type for t in fig.data} == {"scatter"}  # SVG, no WebGL
    layout = fig.layout
    assert list(layout.xaxis.range) and list(layout.yaxis.range)  # fixed ranges
    assert layout.xaxis.visible is False and layout.yaxis.visible is False
    assert layout.height == 460 and layout.font.size >= 14


def test_zero_gradients_draw_without_nan():
    trace, _ = make()
    params = init_lstm(D, H, seed=0)
    zero = lstm_backward(params, trace, np.zeros((T, H)))
    fig = cell_diagram(trace, 3, 0, grads=zero, mode="backward")
    assert all(math.isfinite(n) for n in numbers(fig.to_plotly_json()))
    assert set(node_values(fig).values()) == {0.0}


@pytest.mark.parametrize("mode", ["forward", "backward"])
def test_fast_paths_produce_a_valid_figure(problem, mode):
    """Frames and slider steps skip plotly.py's validation for speed: a fully validated rebuild is identical."""
    trace, grads = problem
    fig = cell_diagram(trace, 5, 1, grads=grads, mode=mode)
    rebuilt = go.Figure(fig.to_dict())
    assert json.dumps(rebuilt.to_plotly_json(), sort_keys=True, default=str) == json.dumps(
        fig.to_plotly_json(), sort_keys=True, default=str)
    assert isinstance(fig.layout.template, go.layout.Template)  # the house template, expanded


def test_every_node_label_and_edge_is_drawn(problem):
    trace, _ = problem
    fig = cell_diagram(trace, 0, 0)
    assert list(trace_named(fig, "nodes").ids) == list(NODES)
    assert list(trace_named(fig, "values").ids) == list(LABELS_AT)
    assert [t.name for t in fig.data if t.name.startswith("edge:")] == [f"edge:{k}" for k in EDGES]


# ---- validation -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,match", [
    (dict(step=-1), r"step.*\[0, 11\]"),
    (dict(step=T), r"step.*\[0, 11\]"),
    (dict(step=2.0), r"step"),
    (dict(step=0, unit=H), r"unit.*\[0, 2\]"),
    (dict(step=0, unit=-1), r"unit.*\[0, 2\]"),
    (dict(step=0, mode="sideways"), r"mode"),
    (dict(step=0, max_frames=1), r"max_frames"),
])
def test_bad_arguments(problem, kwargs, match):
    trace, _ = problem
    with pytest.raises(ValueError, match=match):
        cell_diagram(trace, **kwargs)


def test_batched_trace_is_refused():
    params = init_lstm(D, H, seed=0)
    batched = lstm_forward(params, np.zeros((4, 2, D)))
    with pytest.raises(ValueError, match="pass a single sequence"):
        cell_diagram(batched, 0)
    with pytest.raises(ValueError, match="pass a single sequence"):
        unit_bars(batched, 0)


def test_unit_bars_bad_step(problem):
    trace, _ = problem
    with pytest.raises(ValueError, match=r"step.*\[0, 11\]"):
        unit_bars(trace, T)


# ---- unit bars ----------------------------------------------------------------------------------------------------

def test_unit_bars_forward(problem):
    trace, _ = problem
    step = 6
    fig = unit_bars(trace, step)
    assert [t.name for t in fig.data] == ["i", "f", "g", "o", "c", "h"]
    for n, t in enumerate(fig.data, start=1):
        assert t.type == "bar"
        np.testing.assert_array_equal(t.customdata, getattr(trace, t.name)[step])
        np.testing.assert_array_equal(t.y, getattr(trace, t.name)[step])
        np.testing.assert_array_equal(t.x, np.arange(1, H + 1))
        yaxis = fig.layout["yaxis" if n == 1 else f"yaxis{n}"]
        if t.name in ("i", "f", "o"):
            assert tuple(yaxis.range) == (0, 1)
        elif t.name in ("g", "h"):
            assert tuple(yaxis.range) == (-1, 1)
    assert f"t = {step + 1} of {T}" in fig.layout.title.text
    assert all(math.isfinite(n) for n in numbers(fig.to_plotly_json()))


def test_unit_bars_backward(problem):
    trace, grads = problem
    step = 2
    fig = unit_bars(trace, step, grads=grads, mode="backward")
    assert [t.name for t in fig.data] == ["dc", "dh", "dz_i", "dz_f", "dz_g", "dz_o"]
    scale = SignedLog(max(np.abs(getattr(grads, k)).max() for k in ("dc", "dh", "dz_i", "dz_f", "dz_g", "dz_o")))
    for t in fig.data:
        exact = getattr(grads, t.name)[step]
        np.testing.assert_array_equal(t.customdata, exact)
        np.testing.assert_allclose(t.y, scale(exact))
        assert np.all(np.sign(t.y) == np.sign(exact))
    assert len(fig.data) <= 6


# ---- the signed log scale -------------------------------------------------------------------------------------

def test_signed_log_scale_landmarks():
    s = SignedLog(3.0e-2)  # top = 0.1, floor = 1e-7
    assert s.top == pytest.approx(0.1) and s.floor == pytest.approx(1e-7)
    assert float(s(0.1)) == pytest.approx(1.0) and float(s(-0.1)) == pytest.approx(-1.0)
    assert float(s(1e-4)) == pytest.approx(0.5)
    assert float(s(0.0)) == 0.0 and float(s(1e-12)) == 0.0
    vals, text = s.ticks()
    assert vals == sorted(vals) and "0" in text and len(vals) == len(text)
    assert SignedLog(0.0).top == 1.0  # all-zero gradients: a harmless default


@settings(max_examples=200, deadline=None)
@given(st.floats(1e-12, 1e3), st.floats(-1e4, 1e4), st.floats(-1e4, 1e4))
def test_signed_log_scale_is_odd_bounded_and_monotone(vmax, a, b):
    s = SignedLog(vmax)
    sa, sb = float(s(a)), float(s(b))
    assert -1.0 <= sa <= 1.0
    assert float(s(-a)) == -sa
    assert np.sign(sa) in (0.0, np.sign(a))
    assert float(s(np.array([a]))[0]) == pytest.approx(sa, abs=1e-12)  # array and number paths agree
    if abs(a) <= abs(b):
        assert abs(sa) <= abs(sb)


# ---- text contrast on a light page -----------------------------------------------------------------------------------


def relative_luminance(rgb) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (0-255 channels)."""
    def linear(c):
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b) -> float:
    hi, lo = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def rgb_of(hex_color: str) -> tuple[int, ...]:
    return tuple(int(hex_color[i:i + 2], 16) for i in (1, 3, 5))


def test_contrast_formula():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast(rgb_of("#777777"), (255, 255, 255)) == pytest.approx(4.48, abs=0.01)  # the well-known border


def test_light_theme_text_reaches_wcag_aa():
    """The light theme's diagram text on the white page and on the cell's grey fill (composited over white) reaches
    4.5:1, where Streamlit's chart grey (#808495) does not; on a dark page the diagram keeps the theme's colour."""
    white = (255, 255, 255)
    *fill, alpha = (float(v) for v in CELL_FILL[CELL_FILL.index("(") + 1:-1].split(","))
    cell = tuple(alpha * c + (1 - alpha) * 255 for c in fill)
    for background in (white, cell):
        assert contrast(rgb_of(LIGHT_TEXT), background) >= 4.5
    assert contrast(rgb_of("#808495"), white) < 4.5  # why the diagram sets its own
    trace, grads = make()
    for mode in ("forward", "backward"):
        light = cell_diagram(trace, 3, 0, grads=grads, mode=mode, theme="light")
        assert light.layout.font.color == LIGHT_TEXT
        assert trace_named(light, "values").textfont.color is None, "the labels take the layout's colour"
        for theme in ("dark", None):
            assert cell_diagram(trace, 3, 0, grads=grads, mode=mode, theme=theme).layout.font.color is None
