"""Presets: sizes, reproducibility, and — numerically, with the core — the behaviour each explanation promises."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lstm_core import LSTMParams, RNNParams, init_lstm, lstm_backward, lstm_forward, rnn_backward, rnn_forward
from lstm_core.losses import LOSSES, make_loss
from lstm_core.analysis import carousel_factor
from lstm_core.presets import PRESETS, Preset, Scenario, get_preset, latch_write_step

REQUIRED = {"default", "vanishing_rnn", "preserved_lstm", "forgetful_lstm", "exploding_rnn", "exploding_lstm", "latch",
            "no_forget_gate"}
SEEDS = [0, 1, 2, 3, 4]


def run(sc: Scenario):
    """Both models forward + BPTT under the scenario's loss; per-step gradient norms (T,)."""
    loss = make_loss(sc.loss, **sc.loss_kwargs)
    lt = lstm_forward(sc.lstm, sc.x)
    lg = lstm_backward(sc.lstm, lt, loss(lt.h)[1])
    rt = rnn_forward(sc.rnn, sc.x)
    rg = rnn_backward(sc.rnn, rt, loss(rt.h)[1])
    n = lambda a: np.sqrt((a * a).sum(-1))  # noqa: E731  independent of analysis.grad_norms
    return lt, rt, n(lg.dc), n(rg.dh)


def test_required_presets_are_well_formed():
    assert REQUIRED <= set(PRESETS)
    for key, p in PRESETS.items():
        assert isinstance(p, Preset) and p.key == key and p.title
        assert p.explanation.endswith(".") and p.explanation.count(". ") == 0  # one sentence
        assert 1 <= p.D <= 8 and 1 <= p.H <= 64 and 1 <= p.T <= 2000  # the app's limits
        assert p.focus in ("lstm", "rnn")


@pytest.mark.parametrize("key", sorted(REQUIRED))
def test_build_defaults_and_reproducible(key):
    p = PRESETS[key]
    sc = p.build()
    assert isinstance(sc.lstm, LSTMParams) and isinstance(sc.rnn, RNNParams)
    assert sc.x.shape == (p.T, p.D) and not sc.x.flags.writeable
    assert sc.lstm.hidden_size == sc.rnn.hidden_size == p.H and sc.lstm.input_size == sc.rnn.input_size == p.D
    assert sc.loss in LOSSES and callable(make_loss(sc.loss, **sc.loss_kwargs))
    again = p.build(seed=0)
    assert np.array_equal(again.x, sc.x) and np.array_equal(again.lstm.weight_ih, sc.lstm.weight_ih)
    assert np.array_equal(again.rnn.weight_hh, sc.rnn.weight_hh)
    other = p.build(D=3, H=5, T=12, seed=1)
    assert other.x.shape == (12, 3) and other.lstm.hidden_size == 5 and other.rnn.input_size == 3
    run(other)  # any sizes run end to end


def test_seed_changes_random_presets():
    a, b = PRESETS["vanishing_rnn"].build(seed=0), PRESETS["vanishing_rnn"].build(seed=1)
    assert not np.array_equal(a.x, b.x) and not np.array_equal(a.rnn.weight_hh, b.rnn.weight_hh)


@pytest.mark.parametrize("seed", SEEDS)
def test_vanishing_rnn(seed):
    sc = PRESETS["vanishing_rnn"].build(seed=seed)
    _, _, _, rnn = run(sc)
    assert rnn[0] / rnn[-1] < 1e-3
    # "the product shrinks", not "every step shrinks": one step can stretch, W_hh's largest singular value is > 1
    assert np.max(np.abs(np.linalg.eigvals(sc.rnn.weight_hh))) == pytest.approx(0.9, rel=1e-9)
    assert np.linalg.norm(sc.rnn.weight_hh, 2) > 1.0
    if seed == 0:  # the number the preset's code comment quotes
        assert np.linalg.norm(sc.rnn.weight_hh, 2) == pytest.approx(1.39, abs=0.005)


@pytest.mark.parametrize("seed", SEEDS)
def test_preserved_lstm(seed):
    sc = PRESETS["preserved_lstm"].build(seed=seed)
    lt, _, lstm, _ = run(sc)
    assert lstm[0] / lstm[-1] > 0.1
    prod_f = np.median(carousel_factor(lt)[0])  # the cell path alone, from the last step back to the first
    assert 0.1 < prod_f < 0.25
    if seed == 0:  # "here ∏ f ≈ 0.17"
        assert prod_f == pytest.approx(0.17, abs=0.005)


@pytest.mark.parametrize("seed", SEEDS)
def test_forgetful_lstm(seed):
    lt, _, lstm, rnn = run(PRESETS["forgetful_lstm"].build(seed=seed))
    assert lstm[0] / lstm[-1] < 1e-3
    assert lstm[-2] / lstm[-1] < 0.5, "gone within a step or two: less than half is left one step back"
    assert lstm[0] / lstm[-1] < rnn[0] / rnn[-1], "even sooner than the plain RNN's"


def test_preserved_and_forgetful_differ_only_in_forget_bias():
    a, b = PRESETS["preserved_lstm"].build(), PRESETS["forgetful_lstm"].build()
    H = a.lstm.hidden_size
    f = slice(H, 2 * H)
    for name in ("weight_ih", "weight_hh"):
        assert np.array_equal(getattr(a.lstm, name), getattr(b.lstm, name))
    assert np.all(a.lstm.bias_ih[f] > 0) and np.all(b.lstm.bias_ih[f] < 0)
    assert np.array_equal(np.delete(a.lstm.bias_ih, f), np.delete(b.lstm.bias_ih, f))
    assert np.array_equal(a.x, b.x)


@pytest.mark.parametrize("seed", SEEDS)
def test_exploding_rnn(seed):
    sc = PRESETS["exploding_rnn"].build(seed=seed)
    assert np.max(np.abs(np.linalg.eigvals(sc.rnn.weight_hh))) == pytest.approx(1.5, rel=1e-9)
    _, _, _, rnn = run(sc)
    assert rnn[0] / rnn[-1] > 1e3


@pytest.mark.parametrize("seed", SEEDS)
def test_exploding_lstm(seed):
    sc = PRESETS["exploding_lstm"].build(seed=seed)
    p, H = sc.lstm, sc.lstm.hidden_size
    assert not p.bias_ih[np.r_[0:H, 2 * H:4 * H]].any() and not p.bias_hh[np.r_[0:H, 2 * H:4 * H]].any()
    f = 1 / (1 + np.exp(-(p.bias_ih[H:2 * H] + p.bias_hh[H:2 * H])))
    np.testing.assert_allclose(f, 1 / (1 + np.exp(-2.0)))
    for gate in range(4):
        block = p.weight_hh[gate * H:(gate + 1) * H]
        assert np.max(np.abs(np.linalg.eigvals(block))) == pytest.approx(2.0, rel=1e-9)
    # near the zero state (i = o = ½, tanh linear): c_t ≈ (f·I + ¼·W_hg) c_{t−1}, a matrix that stretches
    linear = f[0] * np.eye(H) + 0.25 * p.weight_hh[2 * H:3 * H]
    assert np.max(np.abs(np.linalg.eigvals(linear))) > 1.15
    lt, _, lstm, _ = run(sc)
    assert np.max(np.abs(lt.h[:10])) < 1e-3, "tiny inputs: the state starts near 0"
    assert lstm[0] / lstm[-1] > 1e4, "orders of magnitude larger at the first step"


@pytest.mark.parametrize("seed", range(10))
def test_no_forget_gate_keeps_the_gradient_and_lets_c_grow(seed):
    """Every claim of the 1997 LSTM preset's sentence, at its default sizes, for seeds 0–9."""
    preset = PRESETS["no_forget_gate"]
    sc = preset.build(seed=seed)
    assert sc.lstm.forget_gate is False and not sc.lstm.gate_block("bias_ih", "f").any()
    lt, _, dc, _ = run(sc)
    assert np.all(lt.f == 1.0) and np.all(carousel_factor(lt) == 1.0)  # f ≡ 1: the cell path hands dc back unchanged
    assert "100 steps" in preset.explanation and preset.T == 100
    assert np.min(dc) >= 0.5 * dc[-1], "‖∂L/∂c_t‖ never falls below half its value at the last step"
    biggest = np.max(np.abs(lt.c), axis=1)  # the largest |c| after each step
    assert 1.8 <= biggest[99] / biggest[49] <= 2.5, "roughly doubles from step 50 to step 100"
    np.testing.assert_allclose(lt.c, lt.c_prev() + lt.i * lt.g, rtol=1e-15, atol=0)  # c_t = c_{t−1} + i ⊙ g
    # "keeps growing until tanh(c) saturates": 1000 steps of the same model, where nothing enters the cell any more
    long = PRESETS["no_forget_gate"].build(T=1000, seed=seed)
    lt_long, _, _, _ = run(long)
    far = np.max(np.abs(lt_long.c), axis=1)
    assert far[-1] > 5 * biggest[99] and far[-1] > 100
    assert 1 - np.tanh(far[-1]) ** 2 < 1e-80
    # the same LSTM with its forget gate (σ(z_f) ≈ ½) keeps |c| below 1 and loses the gradient
    with_gate = replace(sc, lstm=init_lstm(2, 16, seed=seed, scale=0.5))
    lt_gate, _, dc_gate, _ = run(with_gate)
    assert np.max(np.abs(lt_gate.c)) < 1 and dc_gate[0] / dc_gate[-1] < 1e-10


@pytest.mark.parametrize("D, H, T", [(2, 4, 30), (2, 1, 2), (5, 7, 200), (2, 3, 2000)])
def test_latch_stores_and_reveals(D, H, T):
    sc = PRESETS["latch"].build(D=D, H=H, T=T)
    k = latch_write_step(T)
    assert sc.x[k, 0] == 1.0 and sc.x[T - 1, 1] == 1.0 and np.count_nonzero(sc.x) == 2
    tr = lstm_forward(sc.lstm, sc.x)
    others = np.arange(T) != k
    assert np.all(tr.i[others] < 0.01) and np.all(tr.i[k] > 0.99)
    written = tr.c[k]
    assert np.all(np.abs(written) > 0.5)
    np.testing.assert_allclose(tr.c[k:], np.broadcast_to(written, tr.c[k:].shape), rtol=1e-3)  # f ≈ 1 holds c
    assert np.all(np.abs(tr.h[:-1]) < 1e-3)  # hidden until the read cue
    np.testing.assert_allclose(tr.h[-1], np.tanh(written), rtol=1e-3)  # revealed at the end
    assert np.all(np.abs(tr.h[-1]) > 0.5)


def test_latch_needs_two_channels_and_two_steps():
    with pytest.raises(ValueError, match=r"^D: the latch preset needs at least 2 input channels"):
        PRESETS["latch"].build(D=1)
    with pytest.raises(ValueError, match=r"^T"):
        PRESETS["latch"].build(T=1)


def test_get_preset_and_size_validation():
    assert get_preset("latch") is PRESETS["latch"]
    with pytest.raises(ValueError, match="latch") as e:
        get_preset("nope")
    assert "nope" in str(e.value) and "vanishing_rnn" in str(e.value)
    with pytest.raises(ValueError, match="^H"):
        PRESETS["default"].build(H=0)
    with pytest.raises(ValueError, match="^T"):
        PRESETS["default"].build(T=10**6)
