"""Every value of the PyTorch 2.13 float64 fixture at rtol 1e-9: LSTM and tanh RNN (single and batched, saturated),
the GRU (single, batched, saturated), the 1997 LSTM without a forget gate (torch ran it as nn.LSTM with b_f = +inf),
and 2- and 3-layer stacks of LSTM, GRU and RNN layers (tests/fixtures/make_reference.py made the file)."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_core import (
    GRUParams, LSTMParams, RNNParams, gru_backward, gru_forward, lstm_backward, lstm_forward, rnn_backward, rnn_forward,
    stack_backward, stack_forward,
)

from tests.helpers import case_arrays, load_reference

CASES = load_reference()["cases"]
PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
TYPES = {"lstm": LSTMParams, "gru": GRUParams, "rnn_tanh": RNNParams}

# expected key -> how to read it from one layer's (trace, grads)
GETTERS = {
    "i": lambda tr, gr: tr.i, "f": lambda tr, gr: tr.f, "g": lambda tr, gr: tr.g, "o": lambda tr, gr: tr.o,
    "c": lambda tr, gr: tr.c, "h": lambda tr, gr: tr.h,
    "r": lambda tr, gr: tr.r, "z": lambda tr, gr: tr.z, "n": lambda tr, gr: tr.n, "hn": lambda tr, gr: tr.hn,
    "dh_total": lambda tr, gr: gr.dh, "dc_total": lambda tr, gr: gr.dc,
    "dx": lambda tr, gr: gr.dx, "dh0": lambda tr, gr: gr.dh0, "dc0": lambda tr, gr: gr.dc0,
    "dweight_ih": lambda tr, gr: gr.params.weight_ih, "dweight_hh": lambda tr, gr: gr.params.weight_hh,
    "dbias_ih": lambda tr, gr: gr.params.bias_ih, "dbias_hh": lambda tr, gr: gr.params.bias_hh,
}

PAIRS = [pytest.param(c, q, id=f"{c['name']}-{q}") for c in CASES for q in c["expected"]]


def layer_params(case: dict, inp: dict, suffix: str = ""):
    extra = {"forget_gate": False} if case.get("forget_gate") is False else {}
    return TYPES[case["model"]](**{k: inp[k + suffix] for k in PARAM_NAMES}, **extra)


def run_case(case: dict):
    """One layer: (trace, grads). A stack: (traces, grads), tuples bottom first."""
    inp = case_arrays(case, "inputs")
    if "layers" in case:
        layers = tuple(layer_params(case, inp, f"_l{k}") for k in range(case["layers"]))
        traces = stack_forward(layers, inp["x"], inp["h0"], inp.get("c0"))
        return traces, stack_backward(layers, traces, inp["dh_upstream"])
    params = layer_params(case, inp)
    if case["model"] == "lstm":
        trace = lstm_forward(params, inp["x"], inp["h0"], inp["c0"])
        return trace, lstm_backward(params, trace, inp["dh_upstream"])
    if case["model"] == "gru":
        trace = gru_forward(params, inp["x"], inp["h0"])
        return trace, gru_backward(params, trace, inp["dh_upstream"])
    assert case["model"] == "rnn_tanh", case["model"]
    trace = rnn_forward(params, inp["x"], inp["h0"])
    return trace, rnn_backward(params, trace, inp["dh_upstream"])


_RESULTS: dict[str, tuple] = {}


def result(case: dict):
    if case["name"] not in _RESULTS:
        _RESULTS[case["name"]] = run_case(case)
    return _RESULTS[case["name"]]


def actual(case: dict, quantity: str) -> np.ndarray:
    """The core's value of an expected key: one layer's by GETTERS; a stack's per layer ('h_l1', 'dweight_ih_l0'),
    or of the whole stack: dx (the bottom layer's), dh0 / dc0 (every layer's, stacked as torch's (L, [B,] H))."""
    traces, grads = result(case)
    if "layers" not in case:
        return GETTERS[quantity](traces, grads)
    if quantity == "dx":
        return grads[0].dx
    if quantity in ("dh0", "dc0"):
        return np.stack([getattr(g, quantity) for g in grads])
    name, layer = quantity.rsplit("_l", 1)
    return GETTERS[name](traces[int(layer)], grads[int(layer)])


def exact_zeros(case: dict, quantity: str, expected: np.ndarray) -> np.ndarray:
    """Where the fixture may hold an exact 0: the 1997 LSTM's forget rows get no gradient (and nothing else does)."""
    zero = np.zeros(expected.shape, dtype=bool)
    if case.get("forget_gate") is False and quantity.startswith(("dweight", "dbias")):
        zero[case["H"]:2 * case["H"]] = True
    return zero


def test_fixture_covers_every_model_single_batched_and_stacked():
    kinds = {(c["model"], c["B"] is None, c.get("layers", 1), c.get("forget_gate", True)) for c in CASES}
    for model in ("lstm", "gru", "rnn_tanh"):
        assert {(model, True, 1, True), (model, False, 1, True)} <= kinds, model  # single and batched
    assert {("lstm", True, 1, False), ("lstm", False, 1, False)} <= kinds  # the 1997 LSTM, single and batched
    stacks = {(c["model"], c["layers"]) for c in CASES if "layers" in c}
    assert {("lstm", 2), ("lstm", 3), ("gru", 2), ("gru", 3), ("rnn_tanh", 2)} <= stacks
    for c in CASES:  # no expected value is exactly 0 but the 1997 LSTM's forget rows, so atol=0 is safe everywhere
        for k, v in c["expected"].items():
            v = np.asarray(v)
            zero = exact_zeros(c, k, v)
            assert np.all(v[~zero] != 0), (c["name"], k)
            assert np.all(v[zero] == 0), (c["name"], k)


@pytest.mark.parametrize("case, quantity", PAIRS)
def test_matches_pytorch(case, quantity):
    expected = case_arrays(case, "expected")[quantity]
    got = actual(case, quantity)
    assert got.shape == expected.shape
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=0)


@pytest.mark.parametrize("case", [c for c in CASES if c["model"] == "lstm" and "layers" not in c],
                         ids=lambda c: c["name"])
def test_dz_fields_consistent_with_reference(case):
    """dz_gate summed over time (and batch) is PyTorch's bias gradient block for that gate."""
    _, grads = result(case)
    db = case_arrays(case, "expected")["dbias_ih"]
    H = case["H"]
    for k, name in enumerate("ifgo"):
        dz = getattr(grads, f"dz_{name}")
        summed = dz.reshape(-1, H).sum(axis=0)
        np.testing.assert_allclose(summed, db[k * H:(k + 1) * H], rtol=1e-9, atol=0)


@pytest.mark.parametrize("case", [c for c in CASES if c["model"] == "gru" and "layers" not in c],
                         ids=lambda c: c["name"])
def test_gru_dz_fields_consistent_with_reference(case):
    """dz_r, dz_z, dz_n summed over time are PyTorch's b_ih gradient blocks; b_hh's candidate block is Σ r ⊙ dz_n."""
    trace, grads = result(case)
    exp = case_arrays(case, "expected")
    H = case["H"]
    for k, name in enumerate("rzn"):
        summed = getattr(grads, f"dz_{name}").reshape(-1, H).sum(axis=0)
        np.testing.assert_allclose(summed, exp["dbias_ih"][k * H:(k + 1) * H], rtol=1e-9, atol=0)
    np.testing.assert_allclose((trace.r * grads.dz_n).reshape(-1, H).sum(axis=0), exp["dbias_hh"][2 * H:],
                               rtol=1e-9, atol=0)


@pytest.mark.parametrize("case", [c for c in CASES if c.get("forget_gate") is False], ids=lambda c: c["name"])
def test_the_1997_lstm_has_f_exactly_1_and_no_forget_gradient(case):
    trace, grads = result(case)
    H = case["H"]
    assert np.all(trace.f == 1.0)
    np.testing.assert_array_equal(trace.c, trace.c_prev() + trace.i * trace.g)  # c_t = c_{t−1} + i ⊙ g, exactly
    assert not np.any(grads.dz_f)
    for name in PARAM_NAMES:
        assert not np.any(getattr(grads.params, name)[H:2 * H]), name
    through_h = grads.dh * trace.o * (1 - np.tanh(trace.c) ** 2)
    np.testing.assert_array_equal(grads.dc[:-1], through_h[:-1] + grads.dc[1:])  # the carousel passes dc_{t+1} on
    np.testing.assert_array_equal(grads.dc0, grads.dc[0])  # … unchanged, down to c0
