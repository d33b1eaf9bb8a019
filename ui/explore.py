"""The gradient explorer's cached calls into lstm_core and its phase-diagram click handler.

Like ui.compute: keys are plain values and arrays (``st.cache_data`` hashes them by content) and the functions only
call the core. ``load_cell`` is the on_select callback of the phase diagrams: it reads the chart's selection from
session state, as Streamlit delivers it, and sets the shared knobs (fb_on, fb, rho_on, rho) through ui.state.
"""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from charts.explorer import phase_diagram
from lstm_core import analysis, explore, init_lstm, init_rnn, lstm_forward, rnn_forward
from ui import compute, figures, state

CACHE = dict(max_entries=16, show_spinner=False)  # every value here is small: (T,) norms, n×n maps, a few sweeps
JACOBIAN_AUTO_SECONDS = 2.0  # estimated cost up to which the Jacobian is computed without asking
JACOBIAN_PROBE_STEPS = 64  # steps of the short sequence timed to estimate the Jacobian's cost (one chunk of norms)
FLASH = "explorer phase"  # the state.flash section of the message shown after a cell was loaded
PHASE_MODELS = ("lstm", "gru", "rnn")  # the phase diagrams, left to right
# The GRU has no forget gate: its map's first axis is the update-gate bias b_z (z near 1 keeps h, as f near 1 keeps c).
PHASE_SYMBOLS = {"lstm": "b_f", "gru": "b_z", "rnn": "input scale"}
PHASE_TITLES = {"lstm": "LSTM: forget bias × W_hh radius", "gru": "GRU: update-gate bias × W_hh radius",
                "rnn": "tanh RNN: input scale × W_hh radius"}


# ---- phase diagrams --------------------------------------------------------------------------------------------------


@st.cache_data(**CACHE)
def phase_grid(model: str, n: int, T: int, H: int, D: int, seed: int) -> np.ndarray:
    """explore.phase_grid on the page's axes (explore.phase_axes) with the page's experiment (zero biases but b_f)."""
    first, second = explore.phase_axes(model, n)
    return explore.phase_grid(first, second, T=T, hidden_size=H, input_size=D, seed=seed, model=model,
                              bias_scale=explore.PHASE_BIAS_SCALE)


def phase_figure(model: str, n: int, T: int, H: int, D: int, seed: int, current) -> figures.Prebuilt:
    """The phase diagram figure for these settings, built once per content (ui.figures)."""
    def build(_):
        values = phase_grid(model, n, T, H, D, seed)
        first, second = explore.phase_axes(model, n)
        y_title, x_title = explore.phase_grid_axes(model)
        return phase_diagram(
            values, first, second, explore.phase_regimes(values), y_title=y_title, x_title=x_title,
            vanishing_below=explore.VANISHING_BELOW, exploding_above=explore.EXPLODING_ABOVE,
            log_y=model == "rnn", current=current, y_symbol=PHASE_SYMBOLS[model], title=PHASE_TITLES[model],
        )

    return figures.cached(f"phase_{model}", figures.content_key(model, n, T, H, D, seed, current), build)


def snap(value: float, key: str) -> float:
    """``value`` on the shared slider's grid (state.KNOB_STEPS) and within its limits (state.KNOB_LIMITS)."""
    lo, hi = state.KNOB_LIMITS[key]
    step = state.KNOB_STEPS[key]
    return float(min(max(round(round(value / step) * step, 10), lo), hi))


def _signed(v: float, fmt: str = "g") -> str:
    """+4, −1.5: an explicit sign, with a true minus."""
    return format(v, "+" + fmt).replace("-", "−")


def load_cell(model: str, chart_key: str, n: int, T: int, H: int, D: int, seed: int) -> None:
    """on_select callback: load the clicked cell's configuration into the shared knobs.

    Reads st.session_state[chart_key] (Streamlit's selection state: {"selection": {"points": [{…, "customdata":
    [row, column, …]}]}}). LSTM: fb_on = rho_on = True, fb = the cell's forget bias, rho = its radius. GRU and RNN:
    rho only; the update-gate bias and the input scale are not shared settings, which the message says. Values are put on the sliders' grid; when that
    moves them, the message gives both numbers. An empty selection (a click that deselects) changes nothing.
    """
    event = st.session_state.get(chart_key) or {}
    points = (event.get("selection") or {}).get("points") or []
    if not points:
        return
    custom = points[0].get("customdata") or []
    first, second = explore.phase_axes(model, n)
    try:
        a, b = int(custom[0]), int(custom[1])
        if not (0 <= a < first.size and 0 <= b < second.size):
            raise IndexError
    except (IndexError, TypeError, ValueError):
        state.flash(FLASH, "That point is not a cell of the current map; click a cell again.", "warning")
        return
    value = float(phase_grid(model, n, T, H, D, seed)[a, b])
    regime = explore.REGIMES[int(explore.phase_regimes(np.array([value]))[0])]
    rho = snap(second[b], state.RHO)
    knobs = {state.RHO_ON: True, state.RHO: rho}
    notes = []
    if abs(rho - second[b]) > 1e-9:
        notes.append(f"ρ = {second[b]:.3f} rounded to the slider's {state.KNOB_STEPS['rho']:g} steps")
    if model == "lstm":
        fb = snap(first[a], state.FB)
        knobs.update({state.FB_ON: True, state.FB: fb})
        if abs(fb - first[a]) > 1e-9:
            notes.append(f"b_f = {_signed(first[a], '.3f')} rounded to the slider's {state.KNOB_STEPS['fb']:g} steps")
        text = f"Loaded forget bias **b_f = {_signed(fb)}** and spectral radius **ρ = {rho:g}** ({regime} on this map"
    else:
        row = f"update-gate bias b_z = {_signed(first[a], '.3g')}" if model == "gru" else f"input scale {first[a]:.2g}"
        text = (f"Loaded spectral radius **ρ = {rho:g}** ({regime} on this map at {row}, which is not a shared "
                "setting and stays here")
    text += "; " + "; ".join(notes) + ")." if notes else ")."
    text += " Open *Gradient flow* or *Cell walkthrough* to see it."
    state.apply_settings(knobs)
    state.flash(FLASH, text)


# ---- length sweep ----------------------------------------------------------------------------------------------------


@st.cache_data(**CACHE)
def length_sweeps(T_max: int, H: int, D: int, seed: int, forget_bias, spectral_radius) -> dict:
    """{'LSTM': LengthSweep, 'RNN': LengthSweep} over explore.sweep_lengths(T_max), with the phase diagrams'
    experiment (zero biases but b_f); forget_bias / spectral_radius None = as initialised."""
    lengths = explore.sweep_lengths(T_max)
    common = dict(hidden_size=H, input_size=D, seed=seed, spectral_radius=spectral_radius,
                  bias_scale=explore.PHASE_BIAS_SCALE)
    return {"LSTM": explore.length_sweep("lstm", lengths, forget_bias=forget_bias, **common),
            "RNN": explore.length_sweep("rnn", lengths, **common)}


# ---- clip and truncate -----------------------------------------------------------------------------------------------


@st.cache_data(**CACHE)
def _clip_truncate(model: str, key: tuple, truncate, clip) -> explore.ClipTruncate:
    run = compute.run_of(model, *key)  # the page's own cached run: its trace and the loss's ∂L/∂h_t
    return explore.clip_and_truncate(compute.params_of(model, key), run.trace, run.dh_direct, truncate=truncate,
                                     clip=clip)


def clip_truncate(lab, model: str, truncate: int | None, clip: float | None) -> explore.ClipTruncate:
    """explore.clip_and_truncate for the lab's model, input and loss (cached by content)."""
    return _clip_truncate(model, compute.run_key(lab, model), truncate, clip)


# ---- Jacobian --------------------------------------------------------------------------------------------------------


@st.cache_data(**CACHE)
def _jacobian(model: str, key: tuple) -> np.ndarray:
    return analysis.jacobian_norms(compute.params_of(model, key), compute.run_of(model, *key).trace)


def jacobian_norms(lab, model: str) -> np.ndarray:
    """analysis.jacobian_norms of the lab's model on its input (cached by content; the trace is the page's run)."""
    return _jacobian(model, compute.run_key(lab, model))


def jacobian_seconds(T: int, H: int) -> float:
    """The time both models' exact Jacobian norms will take at T steps and H units, from a measurement on this
    server: their cost is the same for every step (one (2H)×(2H) product and a share of the chunked norms for the
    LSTM, H×H for the RNN), so it is T times the per-step time of a short run at the same H (``_seconds_per_step``).
    A fixed flop rate was 20–50× off: the time depends on the machine, its load and OPENBLAS_NUM_THREADS."""
    return T * _seconds_per_step(H)


@st.cache_resource(ttl=600, show_spinner=False)
def _seconds_per_step(H: int) -> float:
    """Seconds per step of analysis.jacobian_norms for an LSTM and a tanh RNN of H units together, timed on a
    JACOBIAN_PROBE_STEPS-step random sequence (the faster of two runs; at most ~0.3 s at H = 64), measured again
    after ten minutes, so that it follows the server's load."""
    x = np.random.default_rng(0).normal(size=(JACOBIAN_PROBE_STEPS, 1))
    runs = [(p, forward(p, x)) for p, forward in ((init_lstm(1, H, seed=0), lstm_forward),
                                                   (init_rnn(1, H, seed=0), rnn_forward))]
    return timed_jacobians(runs) / JACOBIAN_PROBE_STEPS


def timed_jacobians(runs) -> float:
    """Seconds analysis.jacobian_norms takes for every (params, trace) of ``runs`` together, the faster of two."""
    best = float("inf")
    for _ in range(2):
        start = time.perf_counter()
        for params, trace in runs:
            analysis.jacobian_norms(params, trace)
        best = min(best, time.perf_counter() - start)
    return best
