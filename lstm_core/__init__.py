"""LSTM Gate Lab's pure-NumPy core: LSTM (also the 1997 one without a forget gate), GRU and tanh RNN step functions
written as their equations, the loops over them (forward + BPTT) that record every step, and stacks of layers."""

from .gru import (
    GRUGrads, GRUStep, GRUStepGrads, GRUTrace, gru_backward, gru_forward, gru_preactivations, gru_step,
    gru_step_backward,
)
from .lstm import (
    LSTMGrads, LSTMStep, LSTMStepGrads, LSTMTrace, lstm_backward, lstm_forward, lstm_preactivations, lstm_step,
    lstm_step_backward, sigmoid,
)
from .params import (
    GATE_NAMES,
    GATES,
    GRU_GATE_NAMES,
    GRU_GATES,
    KINDS,
    GRUParams,
    LSTMParams,
    RNNParams,
    forget_bias_of,
    init_gru,
    init_lstm,
    init_rnn,
    kind_of,
    param_arrays,
    params_equal,
    scaled,
    spectral_radius,
    with_forget_bias,
    with_spectral_radius,
    without_forget_gate,
)
from .rnn import RNNGrads, RNNStep, RNNStepGrads, RNNTrace, rnn_backward, rnn_forward, rnn_step, rnn_step_backward
from .stack import MAX_LAYERS, stack_backward, stack_forward, stack_kind
from .validate import MAX_D, MAX_H, MAX_T

__all__ = [
    "GATES", "GATE_NAMES", "LSTMParams", "RNNParams", "LSTMTrace", "LSTMGrads", "RNNTrace", "RNNGrads",
    "LSTMStep", "LSTMStepGrads", "RNNStep", "RNNStepGrads", "lstm_step", "lstm_step_backward", "rnn_step",
    "rnn_step_backward", "lstm_forward", "lstm_backward", "lstm_preactivations", "rnn_forward", "rnn_backward",
    "sigmoid",
    "GRU_GATES", "GRU_GATE_NAMES", "GRUParams", "GRUTrace", "GRUGrads", "GRUStep", "GRUStepGrads", "gru_step",
    "gru_step_backward", "gru_forward", "gru_backward", "gru_preactivations", "init_gru",
    "KINDS", "kind_of", "MAX_LAYERS", "stack_forward", "stack_backward", "stack_kind",
    "init_lstm", "init_rnn", "with_forget_bias", "with_spectral_radius", "without_forget_gate", "forget_bias_of", "spectral_radius",
    "scaled", "param_arrays", "params_equal", "MAX_T", "MAX_H", "MAX_D",
]
