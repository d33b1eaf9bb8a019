"""Cached calls into lstm_core for the pages. Keys are plain values and arrays, hashed by content (ui.memo.digest);
the functions only call the core, they hold no maths of their own.

The results are kept in byte budgets shared by every session (ui/memo.py): COMPUTED for traces, gradients and what
is derived from them, CSV for the (large, rarely asked for) CSV files. A result is shared, never copied: it is
read-only (the core's traces and gradients are; ``memo.freeze`` makes the rest so).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lstm_core import analysis, losses, presets, sequences
from lstm_core.frame import to_frame
from lstm_core.lstm import LSTMGrads, LSTMTrace, lstm_backward, lstm_forward, lstm_preactivations
from lstm_core.params import LSTMParams, RNNParams, scaled, with_forget_bias, with_spectral_radius
from lstm_core.rnn import RNNGrads, RNNTrace, rnn_backward, rnn_forward
from ui import memo

# At the largest settings (T = 2000, H = 64, D = 8) one lab's runs, pre-activations and path factors take ~23 MB and
# its CSV files 54 MB (LSTM) and 13 MB (RNN): these budgets hold about five labs and one CSV file there, and
# thousands of labs at the default sizes. bench/bench_class.py --soak measures the server's memory with them.
COMPUTED = memo.Budget("computed traces", max_mb=120)
CSV = memo.Budget("CSV files", max_mb=80)


@COMPUTED.cached
def scenario(preset: str, D: int, H: int, T: int, seed: int) -> presets.Scenario:
    return memo.freeze(presets.PRESETS[preset].build(D=D, H=H, T=T, seed=seed))


@COMPUTED.cached
def inputs(generator: str, T: int, D: int, seed: int) -> np.ndarray:
    return memo.freeze(sequences.generate(generator, T, D, seed=seed))


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
class Run:
    """One model's forward + BPTT on the lab's input under its loss."""

    trace: LSTMTrace | RNNTrace
    grads: LSTMGrads | RNNGrads
    loss_value: float
    dh_direct: np.ndarray  # the loss's own ∂L/∂h_t, (T, H)
    norms: dict  # 'dh' (and 'dc' for the LSTM): (T,)


MODELS = {"lstm": (LSTMParams, lstm_forward, lstm_backward), "rnn": (RNNParams, rnn_forward, rnn_backward)}


def _arrays(p) -> tuple:
    return p.weight_ih, p.weight_hh, p.bias_ih, p.bias_hh


def _inputs(lab, model: str) -> tuple:
    """The cache key of a model's run: its weights, the input, the loss and its options."""
    return (*_arrays(lab.lstm if model == "lstm" else lab.rnn), lab.x, lab.loss,
            tuple(sorted(lab.loss_kwargs.items())))


@COMPUTED.cached
def _run(model: str, w_ih, w_hh, b_ih, b_hh, x, loss: str, loss_items: tuple) -> Run:
    params_type, forward, backward = MODELS[model]
    p = params_type(w_ih, w_hh, b_ih, b_hh)
    trace = forward(p, x)
    value, dh = losses.make_loss(loss, **dict(loss_items))(trace.h)
    grads = backward(p, trace, dh)
    return memo.freeze(Run(trace, grads, float(value), dh, analysis.grad_norms(grads)))


def half_lives(lstm: Run, rnn: Run) -> dict:
    """{'LSTM', 'RNN'}: analysis.memory_half_life (steps back until the norm first falls to half its value at the end)
    of what each model carries back, ‖∂L/∂c_t‖ for the LSTM and ‖∂L/∂h_t‖ for the RNN (None where it never falls
    to half within T)."""
    return {"LSTM": analysis.memory_half_life(lstm.norms["dc"]), "RNN": analysis.memory_half_life(rnn.norms["dh"])}


def lstm_run(lab) -> Run:
    """Forward + BPTT of the lab's LSTM on its input, under its loss (cached by content)."""
    return _run("lstm", *_inputs(lab, "lstm"))


def rnn_run(lab) -> Run:
    """Forward + BPTT of the lab's tanh RNN on the same input and loss."""
    return _run("rnn", *_inputs(lab, "rnn"))


@CSV.cached
def _csv(model: str, *inputs) -> bytes:
    run = _run(model, *inputs)
    frame: pd.DataFrame = to_frame(run.trace, run.grads)
    return frame.to_csv(index=False).encode("utf-8")


def traces_csv(lab, model: str = "lstm") -> bytes:
    """The tidy (step, batch, unit, quantity, value) CSV of a model's trace and gradients."""
    return _csv(model, *_inputs(lab, model))


@COMPUTED.cached
def _preactivations(*inputs) -> dict:
    return memo.freeze(lstm_preactivations(LSTMParams(*inputs[:4]), _run("lstm", *inputs).trace))


def preactivations(lab) -> dict:
    """Gate pre-activations z of the lab's LSTM, {'i','f','g','o'} -> (T, H)."""
    return _preactivations(*_inputs(lab, "lstm"))


@COMPUTED.cached
def _path_factors(lstm_inputs: tuple, rnn_inputs: tuple):
    lrun, rrun = _run("lstm", *lstm_inputs), _run("rnn", *rnn_inputs)
    return memo.freeze((analysis.carousel_factor(lrun.trace),
                        analysis.rnn_path_factor(RNNParams(*rnn_inputs[:4]), rrun.trace)))


def path_factors(lab):
    """(LSTM carousel factor ∏f (T, H), RNN ‖∏ W_hhᵀ diag(1−h²)‖ (T,)) for the lab."""
    return _path_factors(_inputs(lab, "lstm"), _inputs(lab, "rnn"))
