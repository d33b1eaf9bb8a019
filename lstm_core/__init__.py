"""LSTM Gate Lab's pure-NumPy core: LSTM and tanh RNN step functions written as their equations, and the loops over
them (forward + BPTT) that record every step."""

from .lstm import (
    LSTMGrads, LSTMStep, LSTMStepGrads, LSTMTrace, lstm_backward, lstm_forward, lstm_preactivations, lstm_step,
    lstm_step_backward, sigmoid,
)
from .params import (
    GATE_NAMES,
    GATES,
    LSTMParams,
    RNNParams,
    forget_bias_of,
    init_lstm,
    init_rnn,
    param_arrays,
    params_equal,
    scaled,
    spectral_radius,
    with_forget_bias,
    with_spectral_radius,
)
from .rnn import RNNGrads, RNNStep, RNNStepGrads, RNNTrace, rnn_backward, rnn_forward, rnn_step, rnn_step_backward
from .validate import MAX_D, MAX_H, MAX_T

__all__ = [
    "GATES", "GATE_NAMES", "LSTMParams", "RNNParams", "LSTMTrace", "LSTMGrads", "RNNTrace", "RNNGrads",
    "LSTMStep", "LSTMStepGrads", "RNNStep", "RNNStepGrads", "lstm_step", "lstm_step_backward", "rnn_step",
    "rnn_step_backward", "lstm_forward", "lstm_backward", "lstm_preactivations", "rnn_forward", "rnn_backward",
    "sigmoid",
    "init_lstm", "init_rnn", "with_forget_bias", "with_spectral_radius", "forget_bias_of", "spectral_radius",
    "scaled", "param_arrays", "params_equal", "MAX_T", "MAX_H", "MAX_D",
]
