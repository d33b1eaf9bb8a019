"""Every value of the PyTorch 2.13 float64 fixture (LSTM and tanh RNN, single and batched, saturated) at rtol 1e-9."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_core import LSTMParams, RNNParams, lstm_backward, lstm_forward, rnn_backward, rnn_forward

from tests.helpers import case_arrays, load_reference

CASES = load_reference()["cases"]

# expected key -> how to read it from (trace, grads)
GETTERS = {
    "i": lambda tr, gr: tr.i, "f": lambda tr, gr: tr.f, "g": lambda tr, gr: tr.g, "o": lambda tr, gr: tr.o,
    "c": lambda tr, gr: tr.c, "h": lambda tr, gr: tr.h,
    "dh_total": lambda tr, gr: gr.dh, "dc_total": lambda tr, gr: gr.dc,
    "dx": lambda tr, gr: gr.dx, "dh0": lambda tr, gr: gr.dh0, "dc0": lambda tr, gr: gr.dc0,
    "dweight_ih": lambda tr, gr: gr.params.weight_ih, "dweight_hh": lambda tr, gr: gr.params.weight_hh,
    "dbias_ih": lambda tr, gr: gr.params.bias_ih, "dbias_hh": lambda tr, gr: gr.params.bias_hh,
}

PAIRS = [pytest.param(c, q, id=f"{c['name']}-{q}") for c in CASES for q in c["expected"]]


def run_case(case: dict):
    inp = case_arrays(case, "inputs")
    weights = {k: inp[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    if case["model"] == "lstm":
        params = LSTMParams(**weights)
        trace = lstm_forward(params, inp["x"], inp["h0"], inp["c0"])
        return trace, lstm_backward(params, trace, inp["dh_upstream"])
    assert case["model"] == "rnn_tanh", case["model"]
    params = RNNParams(**weights)
    trace = rnn_forward(params, inp["x"], inp["h0"])
    return trace, rnn_backward(params, trace, inp["dh_upstream"])


_RESULTS: dict[str, tuple] = {}


def result(case: dict):
    if case["name"] not in _RESULTS:
        _RESULTS[case["name"]] = run_case(case)
    return _RESULTS[case["name"]]


def test_fixture_covers_lstm_rnn_single_batched():
    kinds = {(c["model"], c["B"] is None) for c in CASES}
    assert kinds == {("lstm", True), ("lstm", False), ("rnn_tanh", True), ("rnn_tanh", False)}
    for c in CASES:  # no expected value is exactly 0, so atol=0 is safe everywhere
        for k, v in c["expected"].items():
            assert np.all(np.asarray(v) != 0), (c["name"], k)


@pytest.mark.parametrize("case, quantity", PAIRS)
def test_matches_pytorch(case, quantity):
    trace, grads = result(case)
    expected = case_arrays(case, "expected")[quantity]
    actual = GETTERS[quantity](trace, grads)
    assert actual.shape == expected.shape
    assert actual.dtype == np.float64
    np.testing.assert_allclose(actual, expected, rtol=1e-9, atol=0)


@pytest.mark.parametrize("case", [c for c in CASES if c["model"] == "lstm"], ids=lambda c: c["name"])
def test_dz_fields_consistent_with_reference(case):
    """dz_gate summed over time (and batch) is PyTorch's bias gradient block for that gate."""
    _, grads = result(case)
    db = case_arrays(case, "expected")["dbias_ih"]
    H = case["H"]
    for k, name in enumerate("ifgo"):
        dz = getattr(grads, f"dz_{name}")
        summed = dz.reshape(-1, H).sum(axis=0)
        np.testing.assert_allclose(summed, db[k * H:(k + 1) * H], rtol=1e-9, atol=0)
