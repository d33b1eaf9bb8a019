"""What the app's model switch draws, below Streamlit: the 1997 LSTM made from an LSTM, the tanh RNN's
pre-activations, the GRU cell diagram, the GRU's unit bars and gate saturation, and the live GRU / RNN equations."""

from __future__ import annotations

import numpy as np
import pytest

from charts.cell import GRU_NODES, gru_cell_diagram, unit_bars
from lstm_core import gru_backward, gru_forward, gru_preactivations, init_gru, init_lstm, init_rnn, lstm_forward
from lstm_core.analysis import gate_saturation
from lstm_core.params import gate_rows, without_forget_gate
from lstm_core.rnn import rnn_forward, rnn_preactivations
from tests.helpers import bad_numbers, trace_named
from ui.equations import gru_backward_latex, gru_forward_latex, num, rnn_forward_latex

RNG = np.random.default_rng(7)
X = RNG.normal(size=(9, 3))


def test_without_forget_gate_is_the_same_lstm_with_f_exactly_one():
    p = init_lstm(3, 5, seed=2, forget_bias=4.0)
    q = without_forget_gate(p)
    assert q.forget_gate is False and without_forget_gate(q) is q
    f = gate_rows(5, "f")
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        a, b = getattr(p, name), getattr(q, name)
        assert not np.any(b[f])
        keep = np.ones(20, dtype=bool)
        keep[f] = False
        np.testing.assert_array_equal(a[keep], b[keep])
    # the preset's way (init_lstm(forget_gate=False)) gives the same weights from the same draws
    np.testing.assert_array_equal(q.weight_hh, init_lstm(3, 5, seed=2, forget_gate=False).weight_hh)
    tr = lstm_forward(q, X)
    assert np.all(tr.f == 1.0)
    np.testing.assert_allclose(tr.c[1:], tr.c[:-1] + tr.i[1:] * tr.g[1:], rtol=0, atol=1e-14)


def test_rnn_preactivations_give_h_through_tanh():
    p = init_rnn(3, 4, seed=1)
    tr = rnn_forward(p, X)
    z = rnn_preactivations(p, tr)
    np.testing.assert_allclose(np.tanh(z), tr.h, rtol=1e-13, atol=1e-15)
    with pytest.raises(ValueError, match="RNNTrace"):
        rnn_preactivations(p, lstm_forward(init_lstm(3, 4), X))


def test_gru_cell_diagram_shows_the_traces_values_at_the_step_and_unit():
    p = init_gru(3, 4, seed=3)
    tr = gru_forward(p, X)
    fig = gru_cell_diagram(tr, 4, 2)
    nodes = trace_named(fig, "nodes")
    assert list(nodes.ids) == list(GRU_NODES)
    v = dict(zip(nodes.ids, nodes.customdata))
    t, k = 4, 2
    assert (v["r"], v["z"], v["n"], v["h"], v["h_prev"]) == (tr.r[t, k], tr.z[t, k], tr.n[t, k], tr.h[t, k],
                                                              tr.h[t - 1, k])
    assert v["one_minus"] == 1 - tr.z[t, k]
    assert v["keep_mul"] + v["new_mul"] == pytest.approx(tr.h[t, k], rel=1e-12)
    labels = dict(zip(trace_named(fig, "values").ids, trace_named(fig, "values").text))
    assert labels["step"] == "<b>step t = 5</b> of 9"
    assert "unit 3 of 4" in fig.layout.title.text and "GRU" in fig.layout.title.text
    assert not bad_numbers(fig)
    with pytest.raises(ValueError, match="GRUTrace"):
        gru_cell_diagram(lstm_forward(init_lstm(3, 4), X), 0)
    with pytest.raises(ValueError, match="step"):
        gru_cell_diagram(tr, 9)


def test_gru_unit_bars_and_saturation():
    p = init_gru(3, 4, seed=3)
    tr = gru_forward(p, X)
    gr = gru_backward(p, tr, np.ones_like(tr.h))
    fig = unit_bars(tr, 2)
    assert [t.name for t in fig.data] == ["r", "z", "n", "h"]
    np.testing.assert_array_equal(trace_named(fig, "z").y, tr.z[2])
    back = unit_bars(tr, 2, grads=gr, mode="backward")
    assert [t.name for t in back.data] == ["dh", "dz_r", "dz_z", "dz_n"]
    np.testing.assert_array_equal(trace_named(back, "dz_n").customdata, gr.dz_n[2])
    sat = gate_saturation(tr)
    assert list(sat) == ["r", "z", "n"]
    assert sat["z"] == (float(np.mean(tr.z < 0.05)), float(np.mean(tr.z > 0.95)))
    assert sat["n"][1] == float(np.mean(tr.n > 0.9))


def test_live_gru_and_rnn_equations_substitute_the_cores_numbers():
    p = init_gru(3, 4, seed=3)
    tr = gru_forward(p, X)
    a = gru_preactivations(p, tr)
    text = gru_forward_latex(tr, a, 3, 1)
    for q in ("r", "z", "n", "h"):
        assert num(getattr(tr, q)[3, 1]) in text
    assert num(a["n"][3, 1]) in text and num(tr.hn[3, 1]) in text
    gr = gru_backward(p, tr, np.ones_like(tr.h))
    back = gru_backward_latex(tr, gr, np.ones_like(tr.h), 3, 1, direct="layer 2")
    assert r"\text{layer 2}" in back and num(gr.dz_z[3, 1], True) in back
    assert num(tr.z[4, 1] * gr.dh[4, 1], True) in back  # the direct path z_{t+1} ⊙ ∂L/∂h_{t+1}
    q = init_rnn(3, 4, seed=1)
    rt = rnn_forward(q, X)
    assert num(rt.h[2, 3]) in rnn_forward_latex(rt, rnn_preactivations(q, rt), 2, 3)
