"""Shared helpers for the core's unit tests: the PyTorch fixture, builders of small problems, centered differences."""

from __future__ import annotations

import base64
import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest

from lstm_core import (
    gru_backward, gru_forward, init_gru, init_lstm, init_rnn, lstm_backward, lstm_forward, rnn_backward, rnn_forward,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "lstm_torch_reference.json"
PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
EPS = 1e-4  # centered-difference step: with the five-point stencil below, truncation (~EPS⁴) and rounding
# (~1e-16·|L| / EPS) errors are both near 1e-12; the two-point difference at 1e-6 had rounding noise of ~1e-9·|L|,
# which a small gradient element could not tell from a wrong one (hypothesis found one: RNN, scale 3)


def load_reference() -> dict:
    return json.loads(FIXTURE.read_text())


@pytest.fixture(scope="session")
def reference_cases() -> list[dict]:
    return load_reference()["cases"]


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


# ---- figure helpers shared by the chart tests ---------------------------------------------------------------------


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
