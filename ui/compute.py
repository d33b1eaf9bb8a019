"""Cached calls into lstm_core for the pages. Keys are plain values and arrays, hashed by content (ui.memo.digest);
the functions only call the core, they hold no maths of their own.

The results are kept in byte budgets shared by every session (ui/memo.py): COMPUTED for traces, gradients and what
is derived from them, CSV for the (large, rarely asked for) CSV files. A result is shared, never copied: it is
read-only (the core's traces and gradients are; ``memo.freeze`` makes the rest so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, NamedTuple

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
    dh_direct: np.ndarray  # the loss's own ∂L/∂h_t, (T, H)
    norms: dict  # 'dh' (and 'dc' for the LSTM): (T,)


class Model(NamedTuple):
    """One model of the lab in the core: its parameter type and its forward and backward functions."""

    params: type
    forward: Callable
    backward: Callable


LAB_MODELS = {"lstm": Model(LSTMParams, lstm_forward, lstm_backward),
              "rnn": Model(RNNParams, rnn_forward, rnn_backward)}


def run_key(lab, model: str) -> tuple:
    """What a model's run depends on, as plain values and arrays (the cache key): its weights (weight_ih,
    weight_hh, bias_ih, bias_hh), the input, the loss and its options."""
    p = lab.lstm if model == "lstm" else lab.rnn
    return p.weight_ih, p.weight_hh, p.bias_ih, p.bias_hh, lab.x, lab.loss, tuple(sorted(lab.loss_kwargs.items()))


def params_of(model: str, key: tuple):
    """The model's parameters from its run_key."""
    return LAB_MODELS[model].params(*key[:4])


@COMPUTED.cached
def run_of(model: str, w_ih, w_hh, b_ih, b_hh, x, loss: str, loss_items: tuple) -> Run:
    """Forward + BPTT of ``model`` with these weights on ``x`` under the loss (the arguments: a run_key)."""
    core = LAB_MODELS[model]
    p = core.params(w_ih, w_hh, b_ih, b_hh)
    trace = core.forward(p, x)
    _, dh = losses.make_loss(loss, **dict(loss_items))(trace.h)
    grads = core.backward(p, trace, dh)
    return memo.freeze(Run(trace, grads, dh, analysis.grad_norms(grads)))


def half_lives(lstm: Run, rnn: Run) -> dict:
    """{'LSTM', 'RNN'}: analysis.memory_half_life (steps back until the norm first falls to half its value at the end)
    of what each model carries back, ‖∂L/∂c_t‖ for the LSTM and ‖∂L/∂h_t‖ for the RNN (None where it never falls
    to half within T)."""
    return {"LSTM": analysis.memory_half_life(lstm.norms["dc"]), "RNN": analysis.memory_half_life(rnn.norms["dh"])}


def lstm_run(lab) -> Run:
    """Forward + BPTT of the lab's LSTM on its input, under its loss (cached by content)."""
    return run_of("lstm", *run_key(lab, "lstm"))


def rnn_run(lab) -> Run:
    """Forward + BPTT of the lab's tanh RNN on the same input and loss."""
    return run_of("rnn", *run_key(lab, "rnn"))


@CSV.cached
def _csv(model: str, *key) -> bytes:
    run = run_of(model, *key)
    frame: pd.DataFrame = to_frame(run.trace, run.grads)
    return frame.to_csv(index=False).encode("utf-8")


def traces_csv(lab, model: str = "lstm") -> bytes:
    """The tidy (step, batch, unit, quantity, value) CSV of a model's trace and gradients."""
    return _csv(model, *run_key(lab, model))


@COMPUTED.cached
def _preactivations(*key) -> dict:
    return memo.freeze(lstm_preactivations(params_of("lstm", key), run_of("lstm", *key).trace))


def preactivations(lab) -> dict:
    """Gate pre-activations z of the lab's LSTM, {'i','f','g','o'} -> (T, H)."""
    return _preactivations(*run_key(lab, "lstm"))


@COMPUTED.cached
def _path_factors(lstm_key: tuple, rnn_key: tuple):
    lrun, rrun = run_of("lstm", *lstm_key), run_of("rnn", *rnn_key)
    return memo.freeze((analysis.carousel_factor(lrun.trace),
                        analysis.rnn_path_factor(params_of("rnn", rnn_key), rrun.trace)))


def path_factors(lab):
    """(LSTM carousel factor ∏f (T, H), RNN ‖∏ W_hhᵀ diag(1−h²)‖ (T,)) for the lab."""
    return _path_factors(run_key(lab, "lstm"), run_key(lab, "rnn"))
