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
from lstm_core.gru import GRUGrads, GRUTrace, gru_backward, gru_forward, gru_preactivations
from lstm_core.lstm import LSTMGrads, LSTMTrace, lstm_backward, lstm_forward, lstm_preactivations
from lstm_core.params import (
    GRUParams, LSTMParams, RNNParams, init_gru, scaled, with_forget_bias, with_spectral_radius,
)
from lstm_core.rnn import RNNGrads, RNNTrace, rnn_backward, rnn_forward, rnn_preactivations
from lstm_core.stack import stack_backward, stack_forward
from ui import memo

# At the largest settings (T = 2000, H = 64, D = 8) one lab's runs, pre-activations and path factors take ~23 MB and
# its CSV files 54 MB (LSTM) and 13 MB (RNN): these budgets hold about five labs and one CSV file there, and
# thousands of labs at the default sizes. bench/bench_class.py --soak measures the server's memory with them.
COMPUTED = memo.Budget("computed traces", max_mb=120)
CSV = memo.Budget("CSV files", max_mb=80)
# The Myths page's measurements on a lab's LSTM (app_pages/myths.py): the x-only variant's gate traces take 12.5 MB at
# the largest settings, so an entry-bounded cache (st.cache_data, 64 entries) grew to 800 MB over a soak of new labs.
MYTHS = memo.Budget("myth measurements", max_mb=60)


@COMPUTED.cached
def scenario(preset: str, D: int, H: int, T: int, seed: int) -> presets.Scenario:
    return memo.freeze(presets.PRESETS[preset].build(D=D, H=H, T=T, seed=seed))


@COMPUTED.cached
def inputs(generator: str, T: int, D: int, seed: int) -> np.ndarray:
    return memo.freeze(sequences.generate(generator, T, D, seed=seed))


def knobbed(params, *, forget_bias=None, spectral_radius=None, scale=1.0):
    """One model's weights with the user's knobs: weight scale first, then the forget bias (an LSTM's only) and the
    W_hh spectral radius."""
    if scale != 1.0:
        params = scaled(params, scale)
    if forget_bias is not None and isinstance(params, LSTMParams):
        params = with_forget_bias(params, forget_bias)
    if spectral_radius is not None:
        params = with_spectral_radius(params, spectral_radius)
    return params


def apply_knobs(lstm: LSTMParams, rnn: RNNParams, *, forget_bias=None, spectral_radius=None, scale=1.0):
    """The preset's weights with the user's knobs (``knobbed``), both models."""
    knobs = dict(forget_bias=forget_bias, spectral_radius=spectral_radius, scale=scale)
    return knobbed(lstm, **knobs), knobbed(rnn, **knobs)


@COMPUTED.cached
def gru_init(D: int, H: int, seed: int) -> GRUParams:
    """The lab's GRU: PyTorch's initialisation (torch.nn.GRU's), seeded by the lab's seed. The presets are about an
    LSTM and a tanh RNN; the GRU gets the knobs (weight scale, spectral radius) but no forget bias: it has none."""
    return memo.freeze(init_gru(D, H, seed=seed))


def layer_seed(seed: int, k: int) -> int:
    """The seed of layer k (0-based; layer 0 reads x and has the lab's own seed): distinct per layer, and not the
    seed of the next few labs' bottom layers."""
    return (seed + 7919 * k) % 2**31


@COMPUTED.cached
def _upper_layers(preset: str, H: int, T: int, seed: int, n_layers: int) -> dict:
    upper = {"lstm": [], "gru": [], "rnn": []}
    for k in range(1, n_layers):
        sc = scenario(preset, H, H, T, layer_seed(seed, k))  # the preset's own kind of weights, reading H inputs
        upper["lstm"].append(sc.lstm)
        upper["rnn"].append(sc.rnn)
        upper["gru"].append(gru_init(H, H, layer_seed(seed, k)))
    return memo.freeze({kind: tuple(layers) for kind, layers in upper.items()})


def upper_layers(preset: str, H: int, T: int, seed: int, n_layers: int, **knobs) -> dict:
    """The layers above the bottom one of each model's stack ({'lstm' | 'gru' | 'rnn': (layer 2, …)}; {} for one
    layer): layer k is the preset's model built as if its input were H wide, seeded with ``layer_seed(seed, k)``, with
    the same knobs as the bottom layer."""
    if n_layers <= 1:
        return {}
    return {kind: tuple(knobbed(p, **knobs) for p in layers)
            for kind, layers in _upper_layers(preset, H, T, seed, n_layers).items()}


@dataclass(frozen=True)
class Run:
    """One model's forward + BPTT on the lab's input under its loss."""

    trace: LSTMTrace | GRUTrace | RNNTrace
    grads: LSTMGrads | GRUGrads | RNNGrads
    dh_direct: np.ndarray  # the loss's own ∂L/∂h_t, (T, H)
    norms: dict  # 'dh' (and 'dc' for the LSTM): (T,)


class Model(NamedTuple):
    """One model of the lab in the core: its parameter type and its forward and backward functions."""

    params: type
    forward: Callable
    backward: Callable


LAB_MODELS = {"lstm": Model(LSTMParams, lstm_forward, lstm_backward),
              "gru": Model(GRUParams, gru_forward, gru_backward),
              "rnn": Model(RNNParams, rnn_forward, rnn_backward)}
# The models the app switches between (ui.state.MODELS), the core model each runs on, and their names on charts.
CORE = {"lstm": "lstm", "lstm1997": "lstm", "gru": "gru", "rnn": "rnn"}
MODEL_LABELS = {"lstm": "LSTM", "lstm1997": "1997 LSTM", "gru": "GRU", "rnn": "RNN"}
COMPARED_MODELS = ("lstm", "gru", "rnn", "lstm1997")  # what the gradient page can compare, in its list's order
PREACTIVATIONS = {"lstm": lstm_preactivations, "gru": gru_preactivations, "rnn": rnn_preactivations}


def _weights_key(p) -> tuple:
    return (p.weight_ih, p.weight_hh, p.bias_ih, p.bias_hh)


def run_key(lab, model: str) -> tuple:
    """What a model's run depends on, as plain values and arrays (the cache key): its bottom layer's weights
    (weight_ih, weight_hh, bias_ih, bias_hh), the input, the loss and its options, and (LSTM) whether it has a forget
    gate (False: the 1997 LSTM, f ≡ 1). ``model``: a key of CORE."""
    p = lab.layers(model)[0]
    return (*_weights_key(p), lab.x, lab.loss, tuple(sorted(lab.loss_kwargs.items())), getattr(p, "forget_gate", True))


def params_of(model: str, key: tuple):
    """The model's parameters from its run_key."""
    extra = {"forget_gate": key[7]} if model == "lstm" else {}
    return LAB_MODELS[model].params(*key[:4], **extra)


@COMPUTED.cached
def run_of(model: str, w_ih, w_hh, b_ih, b_hh, x, loss: str, loss_items: tuple, forget_gate: bool = True) -> Run:
    """Forward + BPTT of ``model`` with these weights on ``x`` under the loss (the arguments: a run_key)."""
    core = LAB_MODELS[model]
    p = params_of(model, (w_ih, w_hh, b_ih, b_hh, x, loss, loss_items, forget_gate))
    trace = core.forward(p, x)
    _, dh = losses.make_loss(loss, **dict(loss_items))(trace.h)
    grads = core.backward(p, trace, dh)
    return memo.freeze(Run(trace, grads, dh, analysis.grad_norms(grads)))


def carried(model: str) -> str:
    """The gradient a model carries back through time: 'dc' (‖∂L/∂c_t‖) for the LSTMs, 'dh' for the GRU and RNN."""
    return "dc" if CORE[model] == "lstm" else "dh"


def carried_half_lives(runs: dict) -> dict:
    """{model label: analysis.memory_half_life} (steps back until the norm first falls to half its value at the end;
    None where it never does within T) of what each model carries back (``carried``), for runs {model: Run}."""
    return {MODEL_LABELS[m]: analysis.memory_half_life(run.norms[carried(m)]) for m, run in runs.items()}


def half_lives(lstm: Run, rnn: Run) -> dict:
    """{'LSTM', 'RNN'}: ``carried_half_lives`` of the LSTM's ‖∂L/∂c_t‖ and the RNN's ‖∂L/∂h_t‖."""
    return carried_half_lives({"lstm": lstm, "rnn": rnn})


def update_gate_path(lab) -> np.ndarray:
    """The lab's one-layer GRU's ∏ z from each step to the last (analysis.update_gate_factor), (T, H)."""
    return analysis.update_gate_factor(model_run(lab, "gru").trace)


def model_run(lab, model: str) -> Run:
    """Forward + BPTT of the lab's one-layer ``model`` (a key of CORE) on its input, under its loss (cached)."""
    return run_of(CORE[model], *run_key(lab, model))


@dataclass(frozen=True)
class StackRun:
    """A stack's forward + BPTT: per-layer traces and grads (bottom first) and the gradient norm per layer and step."""

    traces: tuple
    grads: tuple
    dh_direct: np.ndarray  # the loss's ∂L/∂h_t of the top layer, (T, H)
    norms: np.ndarray  # ‖∂L/∂h_t‖ per layer and step, (L, T)


@COMPUTED.cached
def _stack_of(core: str, layer_keys: tuple, forget_gate: bool, x, loss: str, loss_items: tuple) -> StackRun:
    extra = {"forget_gate": forget_gate} if core == "lstm" else {}
    layers = [LAB_MODELS[core].params(*key, **extra) for key in layer_keys]
    traces = stack_forward(layers, x)
    _, dh = losses.make_loss(loss, **dict(loss_items))(traces[-1].h)
    grads = stack_backward(layers, traces, dh)
    return memo.freeze(StackRun(traces, grads, dh, analysis.stack_grad_norms(grads)))


def stack_run(lab, model: str) -> StackRun:
    """Forward + BPTT of the lab's ``model`` stacked ``lab.n_layers`` deep (the loss reads the top layer's h)."""
    layers = lab.layers(model)
    return _stack_of(CORE[model], tuple(_weights_key(p) for p in layers), getattr(layers[0], "forget_gate", True),
                     lab.x, lab.loss, tuple(sorted(lab.loss_kwargs.items())))


def layer_run(lab, model: str, layer: int = 0) -> Run:
    """One layer (0-based, bottom first) of ``model``'s stack as a Run. Its ``dh_direct`` is what reaches its h_t from
    outside its own recurrence: the loss's ∂L/∂h_t for the top layer, the layer above's ∂L/∂(its input) below it.
    With one layer this is ``model_run``."""
    if lab.n_layers == 1:
        return model_run(lab, model)
    stack = stack_run(lab, model)
    direct = stack.dh_direct if layer == lab.n_layers - 1 else stack.grads[layer + 1].dx
    grads = stack.grads[layer]
    return Run(stack.traces[layer], grads, direct, analysis.grad_norms(grads))


def preactivations_of(lab, model: str, layer: int = 0) -> dict:
    """Pre-activations of one layer: {'i','f','g','o'} (LSTM; no 'f' for the 1997 LSTM) or {'r','z','n'} (GRU) ->
    (T, H) each; the tanh RNN's z (T, H)."""
    if layer == 0 and lab.n_layers == 1 and CORE[model] == "lstm":
        return _preactivations(*run_key(lab, model))
    return PREACTIVATIONS[CORE[model]](lab.layers(model)[layer], layer_run(lab, model, layer).trace)


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
    return _csv(CORE[model], *run_key(lab, model))


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
