"""ui.figures: a figure built once at step 0 and moved to step s must equal the figure built at step s."""

import json

import numpy as np
import pytest

from charts.cell import cell_diagram, unit_bars, unit_bars_at, with_step_frame
from charts.timeline import gate_heatmaps
from lstm_core import init_lstm, lstm_backward, lstm_forward
from ui.figures import Prebuilt, _select_frame, cached, content_key
from charts.style import move_step_marks


def _run(T, H=3, seed=0):
    p = init_lstm(2, H, seed=seed)
    tr = lstm_forward(p, np.random.default_rng(seed).normal(size=(T, 2)))
    dh = np.zeros_like(tr.h)
    dh[-1] = 1.0
    return tr, lstm_backward(p, tr, dh)


def moved(build, step):
    return _select_frame(move_step_marks(build(0).to_dict(), step + 1), step)


def same(a, b):
    """Figure JSON equality with numpy arrays compared by value."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), (sorted(a), sorted(b))
        for k in a:
            same(a[k], b[k])
    elif isinstance(a, (list, tuple)) and not (a and isinstance(a[0], (int, float)) and not isinstance(a[0], bool)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    elif isinstance(a, (np.ndarray, list, tuple)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    else:
        assert a == b, (a, b)


@pytest.mark.parametrize("T, step", [(5, 3), (40, 17), (300, 250)])
def test_moved_heatmap_marker_equals_a_fresh_build(T, step):
    tr, _ = _run(T)
    build = lambda s: gate_heatmaps(tr, step=s)  # noqa: E731
    same(moved(build, step)["layout"], build(step).to_dict()["layout"])  # shapes and every text


@pytest.mark.parametrize("mode", ["forward", "backward"])
@pytest.mark.parametrize("T, step", [(6, 4), (30, 11)])
def test_selected_frame_equals_a_fresh_build(mode, T, step):
    tr, gr = _run(T)
    build = lambda s: cell_diagram(tr, s, 1, grads=gr, mode=mode)  # noqa: E731
    got, want = moved(build, step), build(step).to_dict()
    same(got["data"], want["data"])
    assert got["layout"]["sliders"][0]["active"] == want["layout"]["sliders"][0]["active"]


@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize("mode", ["forward", "backward"])
@pytest.mark.parametrize("T, step", [(30, 11), (30, 1), (30, 28)])
def test_a_step_the_frames_skip_gets_its_frame_spliced_in(mode, T, step, compact):
    """Frames subsample a long sequence (here 6 of 30 steps); a step without a frame gets its frame and slider step
    from with_step_frame, added into the figure built at step 0: the same frames, slider and shown data as building
    the whole figure at that step (which took ~0.5 s at T = 2000 and cached 5 MB per step)."""
    tr, gr = _run(T)
    build = lambda s: cell_diagram(tr, s, 1, grads=gr, mode=mode, compact=compact, max_frames=6)  # noqa: E731
    spec = build(0).to_dict()
    assert str(step) not in {f["name"] for f in spec["frames"]}
    before = json.dumps(spec, sort_keys=True)
    spliced = with_step_frame(spec, tr, step, 1, grads=gr, mode=mode, compact=compact)
    assert json.dumps(spec, sort_keys=True) == before, "the cached figure is left untouched"
    want = build(step).to_dict()
    same(spliced["frames"], want["frames"])
    inactive = lambda slider: {k: v for k, v in slider.items() if k != "active"}  # noqa: E731 (active: step 0's)
    same(inactive(spliced["layout"]["sliders"][0]), inactive(want["layout"]["sliders"][0]))
    got = _select_frame(move_step_marks(spliced, step + 1), step)
    same(got["data"], want["data"])
    assert got["layout"]["sliders"][0]["active"] == want["layout"]["sliders"][0]["active"]
    assert with_step_frame(want, tr, step, 1, grads=gr, mode=mode, compact=compact) is want, "a frame it has: as is"


def test_cached_animation_is_built_once_for_steps_it_skips():
    builds = []

    def build(s):
        builds.append(s)
        return cell_diagram(tr, s, 0, max_frames=5)

    tr, _ = _run(40)
    key = content_key(tr.h, "test_cached_animation_is_built_once")
    frame = lambda spec, s: with_step_frame(spec, tr, s, 0)  # noqa: E731
    for step in (3, 7, 3, 39):
        got = cached("cell_test", key, build, step=step, frame=frame).to_dict()
        same(got["data"], cell_diagram(tr, step, 0, max_frames=5).to_dict()["data"])
        assert got["layout"]["sliders"][0]["steps"][got["layout"]["sliders"][0]["active"]]["label"] == str(step + 1)
    assert builds == [0]


@pytest.mark.parametrize("mode", ["forward", "backward"])
@pytest.mark.parametrize("T, step", [(6, 5), (40, 17)])
def test_unit_bars_moved_to_a_step_equal_a_fresh_build(mode, T, step):
    """The cell page builds the bars once per lab and moves them with unit_bars_at (a step change then costs ~1 ms
    instead of a plotly build): same JSON as building at that step, arrays in to_dict()'s typed-array form."""
    tr, gr = _run(T)
    spec = unit_bars(tr, 0, grads=gr, mode=mode).to_dict()
    before = json.dumps(spec, sort_keys=True)
    got = unit_bars_at(spec, tr, step, grads=gr, mode=mode)
    assert json.dumps(got, sort_keys=True) == json.dumps(unit_bars(tr, step, grads=gr, mode=mode).to_dict(),
                                                         sort_keys=True)
    assert json.dumps(spec, sort_keys=True) == before, "the cached figure is left untouched"
    assert got["layout"]["title"]["text"].endswith(f"step t = {step + 1} of {T}")


def test_cached_figure_with_its_own_mover_is_built_once():
    builds = []

    def build(s):
        builds.append(s)
        return unit_bars(tr, s)

    tr, _ = _run(12)
    key = content_key(tr.h, "test_cached_figure_with_its_own_mover")
    at = lambda spec, s: unit_bars_at(spec, tr, s)  # noqa: E731
    for step in (3, 7, 3):
        fig = cached("unit_bars_test", key, build, step=step, at=at)
        assert fig.to_dict()["layout"]["title"]["text"].endswith(f"t = {step + 1} of 12")
    assert builds == [0]


def test_prebuilt_hands_over_its_spec_and_keys_follow_content():
    spec = {"data": [], "layout": {"title": {"text": "x"}}}
    assert Prebuilt(spec).to_dict() is spec
    a = np.arange(6.0).reshape(2, 3)
    assert content_key(a, "f") == content_key(a.copy(), "f")
    assert content_key(a, "f") != content_key(a.reshape(3, 2), "f") != content_key(a + 1e-12, "f")


def test_code_version_changes_when_chart_code_is_edited(tmp_path):
    from ui.figures import code_version
    import os

    (tmp_path / "cell.py").write_text("A = 1\n")
    (tmp_path / "style.py").write_text("B = 1\n")
    before = code_version(tmp_path)
    assert code_version(tmp_path) == before  # stable while nothing changes
    st = (tmp_path / "cell.py").stat()
    os.utime(tmp_path / "cell.py", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    assert code_version(tmp_path) != before
    (tmp_path / "new_chart.py").write_text("")
    assert len({before, code_version(tmp_path)}) == 2


def test_a_figure_is_rebuilt_after_its_chart_code_changed(monkeypatch):
    """ui.figures.cached keys every figure by the chart code's version too: after an edit, build runs again."""
    import plotly.graph_objects as go
    import ui.figures as figures

    builds = []

    def build(step):
        builds.append(step)
        return go.Figure(go.Scatter(y=[1, 2, 3]))

    figures.FIGURES.clear()
    monkeypatch.setattr(figures, "code_version", lambda: "v1")
    figures.cached("t", "k", build, step=None)
    figures.cached("t", "k", build, step=None)
    assert builds == [None]  # cached
    monkeypatch.setattr(figures, "code_version", lambda: "v2")
    figures.cached("t", "k", build, step=None)
    assert builds == [None, None]  # rebuilt with the new code
    figures.FIGURES.clear()
