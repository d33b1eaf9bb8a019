"""Cached calls into lstm_core for the pages. Keys are plain values and arrays, so ``st.cache_data`` hashes them
by content; the functions only call the core, they hold no maths of their own."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from lstm_core import analysis, losses, presets, sequences
from lstm_core.frame import to_frame
from lstm_core.lstm import LSTMGrads, LSTMTrace, lstm_backward, lstm_forward, lstm_preactivations
from lstm_core.params import LSTMParams, RNNParams, scaled, with_forget_bias, with_spectral_radius
from lstm_core.rnn import RNNGrads, RNNTrace, rnn_backward, rnn_forward

CACHE = dict(max_entries=32, show_spinner=False)


@st.cache_data(**CACHE)
def scenario(preset: str, D: int, H: int, T: int, seed: int) -> presets.Scenario:
    return presets.PRESETS[preset].build(D=D, H=H, T=T, seed=seed)


@st.cache_data(**CACHE)
def inputs(generator: str, T: int, D: int, seed: int) -> np.ndarray:
    return sequences.generate(generator, T, D, seed=seed)


def apply_knobs(lstm: LSTMParams, rnn: RNNParams, *, forget_bias=None, spectral_radius=None, scale=1.0):
    """The preset's weights with the user's knobs: weight scale first, then forget bias and W_hh spectral radius."""
    if scale != 1.0:
        lstm, rnn = scaled(lstm, scale), scaled(rnn, scale)
    if forget_bias is not None:
        lstm = with_forget_bias(lstm, forget_bias)
    if spectral_radius is not None:
        lstm, rnn = with_spectral_radius(lstm, spectral_radius), with_spectral_radius(rnn, spectral_radius)
    return lstm, rnn


@dataclass(frozen=True)
class LSTMRun:
    trace: LSTMTrace
    grads: LSTMGrads
    loss_value: float
    dh_direct: np.ndarray  # the loss's own ∂L/∂h_t, (T, H)
    norms: dict  # 'dh', 'dc': (T,)


@dataclass(frozen=True)
class RNNRun:
    trace: RNNTrace
    grads: RNNGrads
    loss_value: float
    dh_direct: np.ndarray
    norms: dict  # 'dh': (T,)


def _arrays(p) -> tuple:
    return p.weight_ih, p.weight_hh, p.bias_ih, p.bias_hh


@st.cache_data(**CACHE)
def _lstm_run(w_ih, w_hh, b_ih, b_hh, x, loss: str, loss_items: tuple) -> LSTMRun:
    p = LSTMParams(w_ih, w_hh, b_ih, b_hh)
    trace = lstm_forward(p, x)
    value, dh = losses.make_loss(loss, **dict(loss_items))(trace.h)
    grads = lstm_backward(p, trace, dh)
    return LSTMRun(trace, grads, float(value), dh, analysis.grad_norms(grads))


@st.cache_data(**CACHE)
def _rnn_run(w_ih, w_hh, b_ih, b_hh, x, loss: str, loss_items: tuple) -> RNNRun:
    p = RNNParams(w_ih, w_hh, b_ih, b_hh)
    trace = rnn_forward(p, x)
    value, dh = losses.make_loss(loss, **dict(loss_items))(trace.h)
    grads = rnn_backward(p, trace, dh)
    return RNNRun(trace, grads, float(value), dh, analysis.grad_norms(grads))


def lstm_run(lab) -> LSTMRun:
    """Forward + BPTT of the lab's LSTM on its input, under its loss (cached by content)."""
    return _lstm_run(*_arrays(lab.lstm), lab.x, lab.loss, tuple(sorted(lab.loss_kwargs.items())))


def rnn_run(lab) -> RNNRun:
    """Forward + BPTT of the lab's tanh RNN on the same input and loss."""
    return _rnn_run(*_arrays(lab.rnn), lab.x, lab.loss, tuple(sorted(lab.loss_kwargs.items())))


@st.cache_data(**CACHE)
def _csv(w_ih, w_hh, b_ih, b_hh, x, loss, loss_items, model: str) -> bytes:
    run = (_lstm_run if model == "lstm" else _rnn_run)(w_ih, w_hh, b_ih, b_hh, x, loss, loss_items)
    frame: pd.DataFrame = to_frame(run.trace, run.grads)
    return frame.to_csv(index=False).encode("utf-8")


def traces_csv(lab, model: str = "lstm") -> bytes:
    """The tidy (step, batch, unit, quantity, value) CSV of a model's trace and gradients."""
    p = lab.lstm if model == "lstm" else lab.rnn
    return _csv(*_arrays(p), lab.x, lab.loss, tuple(sorted(lab.loss_kwargs.items())), model)


@st.cache_data(**CACHE)
def _preactivations(w_ih, w_hh, b_ih, b_hh, x, loss, loss_items) -> dict:
    run = _lstm_run(w_ih, w_hh, b_ih, b_hh, x, loss, loss_items)
    return lstm_preactivations(LSTMParams(w_ih, w_hh, b_ih, b_hh), run.trace)


def preactivations(lab) -> dict:
    """Gate pre-activations z of the lab's LSTM, {'i','f','g','o'} -> (T, H)."""
    return _preactivations(*_arrays(lab.lstm), lab.x, lab.loss, tuple(sorted(lab.loss_kwargs.items())))


@st.cache_data(**CACHE)
def _path_factors(lw_ih, lw_hh, lb_ih, lb_hh, rw_ih, rw_hh, rb_ih, rb_hh, x, loss, loss_items):
    lrun = _lstm_run(lw_ih, lw_hh, lb_ih, lb_hh, x, loss, loss_items)
    rrun = _rnn_run(rw_ih, rw_hh, rb_ih, rb_hh, x, loss, loss_items)
    return analysis.carousel_factor(lrun.trace), analysis.rnn_path_factor(RNNParams(rw_ih, rw_hh, rb_ih, rb_hh), rrun.trace)


def path_factors(lab):
    """(LSTM carousel factor ∏f (T, H), RNN ‖∏ W_hhᵀ diag(1−h²)‖ (T,)) for the lab."""
    return _path_factors(*_arrays(lab.lstm), *_arrays(lab.rnn), lab.x, lab.loss, tuple(sorted(lab.loss_kwargs.items())))
