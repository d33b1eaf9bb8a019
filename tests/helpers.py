"""Helpers shared by the test suites (unit, app, e2e) and the benchmarks: builders of small problems, centered
differences, the PyTorch fixture, figure readers, and the AppTest session helpers.

Neither Streamlit nor playwright is imported here at module level: the unit tests use this module too and must
run without either (``open_app`` and ``run`` import AppTest when they are called, from an app test).
"""

from __future__ import annotations

import base64
import dataclasses
import json
import math
import re
import time
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import plotly.graph_objects as go

from lstm_core import (
    gru_backward, gru_forward, init_gru, init_lstm, init_rnn, lstm_backward, lstm_forward, rnn_backward, rnn_forward,
)
from lstm_core.losses import make_loss
from lstm_core.params import LSTMParams, params_equal, with_forget_bias
from lstm_core.presets import PRESETS
from ui import routes

if TYPE_CHECKING:
    from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
PAGES = [route.file for route in routes.ROUTES]  # every page, as AppTest's switch_page takes it

# ---- the core: problems, the PyTorch fixture, centered differences --------------------------------------------------

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "lstm_torch_reference.json"
PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
EPS = 1e-4  # centered-difference step: with the five-point stencil below, truncation (~EPS⁴) and rounding
# (~1e-16·|L| / EPS) errors are both near 1e-12; the two-point difference at 1e-6 had rounding noise of ~1e-9·|L|,
# which a small gradient element could not tell from a wrong one (hypothesis found one: RNN, scale 3)


def load_reference() -> dict:
    return json.loads(FIXTURE.read_text())


def case_arrays(case: dict, part: str) -> dict[str, np.ndarray]:
    """The 'inputs' or 'expected' dict of a fixture case as float64 arrays."""
    return {k: np.asarray(v, dtype=np.float64) for k, v in case[part].items()}


def is_lstm(model: str) -> bool:
    """'lstm' and 'lstm1997' (the LSTM without a forget gate) are LSTMs: they have a cell state c."""
    return model in ("lstm", "lstm1997")


RUNS = {"lstm": (lstm_forward, lstm_backward), "lstm1997": (lstm_forward, lstm_backward),
        "gru": (gru_forward, gru_backward), "rnn": (rnn_forward, rnn_backward)}


def init_params(model: str, D: int, H: int, seed: int = 0, scale: float = 1.0):
    """PyTorch-initialised params of ``model``: 'lstm', 'lstm1997' (forget_gate=False), 'gru' or 'rnn'."""
    if model == "gru":
        return init_gru(D, H, seed=seed, scale=scale)
    if model == "rnn":
        return init_rnn(D, H, seed=seed, scale=scale)
    return init_lstm(D, H, seed=seed, scale=scale, forget_gate=model == "lstm")


def make_problem(model: str, T: int, B: int | None, D: int, H: int, seed: int = 0, scale: float = 1.0):
    """Random params, x, h0, (c0), and R (the loss weights, L = Σ h ⊙ R) for a small problem.

    Returns (params, inputs) where inputs is a dict with keys x, h0 (and c0 for the LSTMs).
    """
    rng = np.random.default_rng(1000 + seed)
    lead = (T,) if B is None else (T, B)
    state = (H,) if B is None else (B, H)
    params = init_params(model, D, H, seed=seed, scale=scale)
    inputs = dict(x=rng.normal(size=lead + (D,)), h0=0.5 * rng.normal(size=state))
    if is_lstm(model):
        inputs["c0"] = rng.normal(size=state)
    return params, inputs


def forward(model: str, params, inputs: dict):
    return RUNS[model][0](params, **inputs)


def backward(model: str, params, trace, dh):
    return RUNS[model][1](params, trace, dh)


def loss(model: str, params, inputs: dict, R: np.ndarray) -> float:
    """L = Σ_t Σ h_t ⊙ R_t, so ∂L/∂h_t (direct) = R_t."""
    return float(np.sum(forward(model, params, inputs).h * R))


def with_param(params, name: str, value: np.ndarray):
    """A copy of params with array ``name`` replaced (built through the constructor, which re-validates; an LSTM keeps
    its forget_gate). The 1997 LSTM's forget rows must stay 0, so a perturbation there is dropped: the loss does not
    depend on them, and their centered difference is 0."""
    if not getattr(params, "forget_gate", True):
        value = np.array(value)
        value[params.hidden_size:2 * params.hidden_size] = 0.0
    return dataclasses.replace(params, **{name: value})


def centered_diff(f, a: np.ndarray, index=None, eps: float = EPS) -> np.ndarray:
    """The five-point centered difference (f(a − 2ε e_k) − 8 f(a − ε e_k) + 8 f(a + ε e_k) − f(a + 2ε e_k)) / (12ε)
    for every k (or just the given multi-index): shape of a."""
    a = np.array(a, dtype=np.float64)
    out = np.zeros_like(a)
    indices = [index] if index is not None else list(np.ndindex(a.shape))
    for k in indices:
        orig = a[k]
        values = []
        for step in (-2 * eps, -eps, eps, 2 * eps):
            a[k] = orig + step
            values.append(f(a.copy()))
        a[k] = orig
        out[k] = (values[0] - 8 * values[1] + 8 * values[2] - values[3]) / (12 * eps)
    return out


def rel_error(num: np.ndarray, ana: np.ndarray) -> float:
    """max|num − ana| / max(|num| + |ana|), guarded against an all-zero pair."""
    num, ana = np.asarray(num), np.asarray(ana)
    return float(np.max(np.abs(num - ana)) / max(np.max(np.abs(num) + np.abs(ana)), 1e-300))


def numeric_grads(model: str, params, inputs: dict, R: np.ndarray, index_of=None) -> dict[str, np.ndarray]:
    """Centered-difference dL/d(every param, x, h0, c0). ``index_of(name, shape)`` may pick a single element."""
    out = {}
    for name in PARAM_NAMES:
        a = getattr(params, name)
        idx = index_of(name, a.shape) if index_of else None
        out[name] = centered_diff(lambda v: loss(model, with_param(params, name, v), inputs, R), a, idx)
    for name, a in inputs.items():
        idx = index_of(name, a.shape) if index_of else None
        out[name] = centered_diff(lambda v: loss(model, params, {**inputs, name: v}, R), a, idx)
    return out


def analytic_grads(model: str, grads) -> dict[str, np.ndarray]:
    """The same keys as numeric_grads, read from LSTMGrads / GRUGrads / RNNGrads."""
    out = {name: getattr(grads.params, name) for name in PARAM_NAMES}
    out["x"], out["h0"] = grads.dx, grads.dh0
    if is_lstm(model):
        out["c0"] = grads.dc0
    return out


# ---- figures (plotly Figure objects, from the charts' unit tests) ---------------------------------------------------


def bad_numbers(fig: go.Figure) -> list[str]:
    """Paths in the figure's JSON holding NaN or ±inf, including numpy arrays stored as base64 {dtype, bdata}."""
    found: list[str] = []

    def walk(node, path: str) -> None:
        if isinstance(node, dict):
            if "bdata" in node and "dtype" in node:
                a = np.frombuffer(base64.b64decode(node["bdata"]), dtype=np.dtype(node["dtype"]))
                if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
                    found.append(path)
                return
            for k, v in node.items():
                walk(v, f"{path}.{k}")
        elif isinstance(node, (list, tuple)):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")
        elif isinstance(node, np.ndarray):
            if node.dtype.kind == "f" and not np.all(np.isfinite(node)):
                found.append(path)
            elif node.dtype == object:
                walk(list(node), path)
        elif isinstance(node, float) and not math.isfinite(node):
            found.append(path)

    walk(fig.to_plotly_json(), "fig")
    return found


def trace_named(fig: go.Figure, name: str):
    matches = [t for t in fig.data if t.name == name]
    assert len(matches) == 1, f"expected one trace named {name!r}, got {[t.name for t in fig.data]}"
    return matches[0]


def step_shapes_x(fig: go.Figure) -> set[tuple[float, float]]:
    return {(s.x0, s.x1) for s in fig.layout.shapes}


def colorscale_of(name: str):
    return go.Heatmap(colorscale=name).colorscale


def as_float(y) -> np.ndarray:
    """Plot data as floats, None (a gap) as NaN — for comparison only; the figure itself holds None."""
    return np.array([np.nan if v is None else v for v in y], dtype=np.float64)


# ---- the app's default view (what a new session opens with) -------------------------------------------------------

DEFAULT = dict(D=2, H=8, T=40, seed=0)  # the "default" preset's sizes, what the app opens with


def default_run(forget_bias: float | None = None, params: LSTMParams | None = None):
    """(params, trace, grads) of the app's default view, optionally with the forget-bias knob or other weights."""
    sc = PRESETS["default"].build(**DEFAULT)
    p = params or (with_forget_bias(sc.lstm, forget_bias) if forget_bias is not None else sc.lstm)
    trace = lstm_forward(p, sc.x)
    grads = lstm_backward(p, trace, make_loss(sc.loss, **sc.loss_kwargs)(trace.h)[1])
    return p, trace, grads


# ---- AppTest: sessions, figure JSON, what the user reads ----------------------------------------------------------


def page_file(page: str) -> str:
    """A page for AppTest's switch_page: a route path ("gates") or the page file itself."""
    return page if page.endswith(".py") else routes.by_path(page).file


def open_app(page: str | None = None, query: dict | None = None) -> "AppTest":
    """app.py after its first run (optionally with URL query parameters), switched to ``page`` (a route path)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = str(value)
    at.run()
    if page:
        at.switch_page(page_file(page)).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def decode(value):
    """Plotly figure JSON arrays may arrive base64-encoded as {"dtype", "bdata"}; return a numpy array."""
    if isinstance(value, dict) and "bdata" in value:
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]))
        if "shape" in value:
            shape = value["shape"]
            shape = tuple(int(s) for s in (shape.split(",") if isinstance(shape, str) else shape))
            arr = arr.reshape(shape)
        return arr
    return np.asarray(value, dtype=float) if value is not None else None


def figures(at: "AppTest") -> dict[str, dict]:
    """Every plotly chart on the page as its figure JSON, by element key (the chart's `key=`)."""
    out = {}
    for i, chart in enumerate(at.get("plotly_chart")):
        spec = json.loads(chart.proto.spec)
        key = chart.proto.id or str(i)
        out[key] = spec
    return out


def figure(at: "AppTest", key: str) -> dict:
    """The figure JSON of the chart whose Streamlit key contains ``key``."""
    figs = figures(at)
    hits = [spec for k, spec in figs.items() if key in k]
    assert hits, f"no chart with key {key!r}; have {list(figs)}"
    return hits[0]


def json_trace(fig: dict, name: str) -> dict:
    """The first trace named ``name`` of a figure's JSON."""
    hits = [t for t in fig["data"] if t.get("name") == name]
    assert hits, f"no trace named {name!r}; have {[t.get('name') for t in fig['data']]}"
    return hits[0]


def plain(markdown: str) -> str:
    """A message's text as the user reads it: ui.messages.inert backslash-escapes every ASCII punctuation character
    of a message that repeats the user's text and puts an invisible WORD JOINER where a bare URL would start (AppTest
    shows the Markdown source)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace("\u2060", "")


def lab_of(at: "AppTest"):
    """The lab (settings, weights, input) the last run resolved."""
    from ui import state

    return at.session_state[state.LAB]


def mirror(at: "AppTest", kind: str, name: str):
    """The widget ``name`` that mirrors a shared setting (ui.state.mirror: the sidebar's T box "T_box", a page's own
    T slider "T_grad", the weights page's input pills "wp_input_pick"), whose key is "<name>_<generation>"."""
    hits = [w for w in getattr(at, kind) if w.key and re.fullmatch(rf"{re.escape(name)}_\d+", w.key)]
    assert len(hits) == 1, f"{len(hits)} {kind} widgets mirror {name!r}: {[w.key for w in getattr(at, kind)]}"
    return hits[0]


def base_key(key: str) -> str:
    """A widget's key without a mirror's generation ("T_box_3" -> "T_box")."""
    return re.sub(r"_\d+$", "", key)


def same_lab(a, b) -> bool:
    """The same settings, input and weights of both models (every array compared exactly)."""
    return (a.cfg == b.cfg and np.array_equal(a.x, b.x) and a.loss == b.loss
            and params_equal(a.lstm, b.lstm) and params_equal(a.rnn, b.rnn))


def _non_finite_numbers(node, path="") -> list[str]:
    """Paths of every NaN / ±inf number in a Plotly figure's JSON (None is a gap and allowed)."""
    bad = []
    if isinstance(node, dict):
        if "bdata" in node and "dtype" in node:
            arr = decode(node)
            if arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
                bad.append(f"{path} (bdata {arr.dtype}: {int(np.count_nonzero(~np.isfinite(arr)))} non-finite)")
            return bad
        for k, v in node.items():
            bad += _non_finite_numbers(v, f"{path}.{k}")
    elif isinstance(node, list):
        for i, v in enumerate(node):
            bad += _non_finite_numbers(v, f"{path}[{i}]")
    elif isinstance(node, float) and not math.isfinite(node):
        bad.append(f"{path} = {node}")
    return bad


def chart_problems(at: "AppTest") -> dict[str, list[str]]:
    """{chart key: paths of its NaN / ±inf numbers} over every chart on the page (empty when all are finite)."""
    out = {}
    for i, chart in enumerate(at.get("plotly_chart")):
        spec = json.loads(chart.proto.spec)  # json.loads reads NaN / Infinity tokens as floats: caught below
        bad = _non_finite_numbers(spec)
        if bad:
            out[chart.proto.id or str(i)] = bad[:5]
    return out


def elements(node):
    """Every element under an AppTest block, in page order (depth first)."""
    children = getattr(node, "children", None)
    if children:
        for k in sorted(children):
            yield from elements(children[k])
    elif children is None:
        yield node


def unsummarised_charts(at: "AppTest") -> list[str]:
    """Keys of the charts on the page NOT directly followed by a caption that is their one-line summary computed
    from the figure they show (charts.summary.figure_summary of the chart's own JSON; ui.widgets.chart)."""
    from charts.summary import figure_summary
    from ui.widgets import caption_text

    shown = list(elements(at.main))
    bad = []
    for n, el in enumerate(shown):
        if getattr(el, "type", None) != "plotly_chart":
            continue
        nxt = shown[n + 1] if n + 1 < len(shown) else None
        want = caption_text(figure_summary(json.loads(el.proto.spec)))
        if getattr(nxt, "type", None) != "caption" or nxt.value != want:
            bad.append(f"{el.proto.id}: {getattr(nxt, 'value', None)!r} != {want!r}")
    return bad


OUR_CODE = tuple(str(ROOT / d) for d in ("app.py", "ui", "app_pages", "charts", "lstm_core"))
IGNORED_WARNINGS: list[str] = []  # Streamlit's / libraries' own warnings about themselves, for a summary
RUN_TIMES: list = []  # (seconds, what) of every run()


def _ours(w: warnings.WarningMessage) -> bool:
    return str(w.filename).startswith(OUR_CODE) or issubclass(w.category, RuntimeWarning)


def run(at: "AppTest", what: str) -> "AppTest":
    """``at.run()`` with every Python warning recorded; fails on a warning from our code or a RuntimeWarning."""
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        at.run()
    RUN_TIMES.append((time.perf_counter() - t0, what[-120:]))
    ours = [w for w in caught if _ours(w)]
    IGNORED_WARNINGS.extend(f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})"
                            for w in caught if not _ours(w))
    assert not ours, f"{what}: Python warnings from the app: " + "; ".join(
        f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in ours)
    return at


# ---- the claims of the lesson "A trained LSTM reads code" that two suites check ----------------------------------
# (tests/app/test_text_lesson.py, every claim; tests/app/test_lesson_numbers.py, the lesson's numbers). Each one
# measures the shipped character model on the text lab's examples and asserts what the lesson says.

BRACKETS_OPEN, BRACKETS_CLOSE = "([{", ")]}"


def bracket_masks(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(opening brackets, characters that are no bracket) of ``text``."""
    ch = np.array(list(text))
    opener = np.isin(ch, list(BRACKETS_OPEN))
    return opener, ~opener & ~np.isin(ch, list(BRACKETS_CLOSE))


def check_bracket_unit_gates(model) -> None:
    """Step 2: the bracket-depth unit's input gate opens wide at the opening brackets and stays nearly shut between
    them; its forget gate stays near 1 on ordinary characters."""
    from lstm_core.codefeatures import read_code
    from ui.text import BRACKETS

    rd = read_code(model, BRACKETS)
    u = rd.ranking("bracket depth")[0]["unit"]
    opener, other = bracket_masks(BRACKETS)
    i, f = rd.states("i")[:, u], rd.states("f")[:, u]
    assert i[opener].mean() >= 0.9  # "opens wide at the opening brackets"
    assert i[other].mean() <= 0.3  # "stays nearly shut between them"
    assert f[other].mean() >= 0.9  # "the forget gate stays near 1 on ordinary characters"


def check_strings_followed_less_than_brackets(model, lesson_text: str) -> None:
    """Step 4: a unit follows the strings of the snippet, less closely than the counter follows the brackets; the
    lesson's "as unit N follows the depth" names the held-out bracket unit, the one the class saw."""
    from lstm_core.codefeatures import read_code
    from ui.text import BRACKETS, SNIPPET

    rd = read_code(model, SNIPPET)
    best = lambda f: abs(rd.ranking(f)[0]["r"])  # noqa: E731
    assert best("in string") >= 0.5  # "a unit follows the strings of this function too"
    assert best("in string") < best("bracket depth")  # "… but less closely than the counter follows the brackets"
    stored = model.info["best_units"]
    assert max(abs(v["r"]) for v in stored["in string"].values()) < abs(stored["bracket depth"]["c"]["r"])
    unit = int(re.search(r"as unit (\d+) follows the depth", lesson_text).group(1))
    assert unit == stored["bracket depth"]["c"]["unit"] + 1  # the lesson names the held-out bracket unit
    assert read_code(model, BRACKETS).ranking("bracket depth")[0]["unit"] + 1 == unit  # the one the class saw
