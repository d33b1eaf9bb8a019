"""Stacked layers (PyTorch's ``num_layers`` > 1): layer k reads the hidden states of layer k−1 as its input.

    h⁽⁰⁾_t = x_t          h⁽ᵏ⁾_t = step_k(h⁽ᵏ⁻¹⁾_t, h⁽ᵏ⁾_{t−1})     for k = 1 … L

so each layer is an ordinary sequence run (lstm_forward, gru_forward or rnn_forward) whose input is the trace of the
layer below. Backward, the loss reads the top layer's h; every layer below receives, as its loss gradient, the
gradient of the input of the layer above:

    ∂L/∂h⁽ᴸ⁾_t (direct) = dh_top          ∂L/∂h⁽ᵏ⁻¹⁾_t (direct) = dx⁽ᵏ⁾_t = W⁽ᵏ⁾_ihᵀ dz⁽ᵏ⁾_t

Layers are of one kind (all LSTM, all GRU or all tanh RNN) and one hidden size H, as in a torch module: layer 0
reads D inputs, every layer above reads H. Inter-layer dropout (a training-time option of torch) is not modelled.
"""

from __future__ import annotations

from .gru import gru_backward, gru_forward
from .lstm import lstm_backward, lstm_forward
from .params import A_KIND, kind_of
from .rnn import rnn_backward, rnn_forward
from .validate import as_float_array, check_sequence

MAX_LAYERS = 4
RUNS = {"lstm": (lstm_forward, lstm_backward), "gru": (gru_forward, gru_backward), "rnn": (rnn_forward, rnn_backward)}


def stack_kind(layers) -> str:
    """'lstm', 'gru' or 'rnn' for 1–4 layers of one kind and hidden size whose input sizes chain (layer k ≥ 1 reads
    H); otherwise a ValueError naming the layer (1-based, bottom first) and what it needs."""
    if not isinstance(layers, (tuple, list)) or not 1 <= len(layers) <= MAX_LAYERS:
        got = f"{len(layers)} layers" if isinstance(layers, (tuple, list)) else type(layers).__name__
        raise ValueError(f"layers: got {got}, needs a tuple of 1 to {MAX_LAYERS} layers' params, bottom first")
    kind, H = kind_of(layers[0]), layers[0].hidden_size
    for k, p in enumerate(layers[1:], start=2):
        if kind_of(p) != kind:
            raise ValueError(f"layers: layer {k} is {A_KIND[kind_of(p)]} but layer 1 {A_KIND[kind]}; a "
                             "stack has layers of one kind")
        if p.hidden_size != H or p.input_size != H:
            raise ValueError(f"layers: layer {k} has input size {p.input_size} and hidden size {p.hidden_size}; "
                             f"needs {H} and {H} (it reads the H = {H} hidden states of the layer below)")
    return kind


def layer_states(value, name: str, num_layers: int, lead: tuple[int, ...], hidden_size: int) -> list:
    """Per-layer initial states from ``value`` of shape (L, H) | (L, B, H) as PyTorch's h0 / c0, or None (zeros)."""
    if value is None:
        return [None] * num_layers
    a = as_float_array(value, name)
    shape = (num_layers,) + lead + (hidden_size,)
    if a.shape != shape:
        raise ValueError(f"{name}: got shape {a.shape}, needs {shape} (layers, {'batch, ' if lead else ''}hidden), "
                         "or None for zeros")
    return list(a)


def stack_forward(layers, x, h0=None, c0=None) -> tuple:
    """Run a stack of layers (bottom first) over ``x`` (T, D) or (T, B, D); layer k reads layer k−1's h.

    h0, c0: (L, H) | (L, B, H), one initial state per layer as PyTorch's (None = zeros); c0 only for LSTM layers.
    Returns a tuple of per-layer traces, bottom first; the top layer's output is traces[-1].h.
    """
    kind = stack_kind(layers)
    x = check_sequence(x, layers[0].input_size)
    lead, L, H = x.shape[1:-1], len(layers), layers[0].hidden_size
    h0s = layer_states(h0, "h0", L, lead, H)
    if kind != "lstm" and c0 is not None:
        raise ValueError(f"c0: {A_KIND[kind]} has no cell state; pass c0=None")
    c0s = layer_states(c0, "c0", L, lead, H)
    forward = RUNS[kind][0]
    traces = []
    inputs = x
    for k, params in enumerate(layers):
        states = (h0s[k], c0s[k]) if kind == "lstm" else (h0s[k],)
        traces.append(forward(params, inputs, *states))
        inputs = traces[-1].h  # the next layer reads this layer's hidden states
    return tuple(traces)


def stack_backward(layers, traces, dh_top, *, truncate: int | None = None, parameters: bool = True) -> tuple:
    """BPTT through a stack: ``dh_top`` (the shape of traces[-1].h) is the loss's direct ∂L/∂h_t of the top layer.

    From the top layer down, each layer's backward pass gets the dx of the layer above as its ∂L/∂h_t. Returns a
    tuple of per-layer grads, bottom first; the bottom one's dx is ∂L/∂x, each one's dh0 (and dc0) the gradient of
    that layer's initial state. ``truncate`` and ``parameters`` are passed to every layer's backward function.
    """
    kind = stack_kind(layers)
    if not isinstance(traces, (tuple, list)) or len(traces) != len(layers):
        got = f"{len(traces)} traces" if isinstance(traces, (tuple, list)) else type(traces).__name__
        raise ValueError(f"traces: got {got}, needs one per layer ({len(layers)}), as stack_forward returns them")
    backward = RUNS[kind][1]
    grads = [None] * len(layers)
    dh = dh_top
    for k in reversed(range(len(layers))):
        grads[k] = backward(layers[k], traces[k], dh, truncate=truncate, parameters=parameters)
        dh = grads[k].dx  # what reaches the layer below's h_t through this layer's input
    return tuple(grads)

