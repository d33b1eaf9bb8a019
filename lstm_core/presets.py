"""Named classroom configurations: weights for an LSTM and a tanh RNN, an input, and a loss.

Each ``Preset`` has default sizes (within the app's limits D 1–8, H 1–64, T 1–2000) and builds a ``Scenario``
for any sizes and seed; the same arguments always give the same scenario. The behaviour each explanation promises
is checked numerically by tests/unit/test_presets.py at the default sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Literal

import numpy as np

from .losses import LOSSES
from .params import (
    GATES, LSTMParams, RNNParams, gate_rows, init_lstm, init_rnn, with_forget_bias, with_spectral_radius,
)
from .sequences import generate
from .validate import MAX_D, MAX_H, MAX_T, check_size, frozen_copy

Focus = Literal["lstm", "rnn"]


@dataclass(frozen=True, eq=False)
class Scenario:
    """What a preset builds: both models' weights, one input x (T, D) they share, and the loss by name."""

    lstm: LSTMParams
    rnn: RNNParams
    x: np.ndarray  # (T, D), read-only
    loss: str  # a key of losses.LOSSES
    loss_kwargs: dict  # options for losses.make_loss(loss, **loss_kwargs); plain values only


@dataclass(frozen=True)
class Preset:
    """A named classroom configuration; ``build`` makes its Scenario for given sizes (None = the defaults)."""

    key: str
    title: str
    explanation: str  # one sentence a teacher can read aloud
    D: int
    H: int
    T: int
    focus: Focus  # which model the preset is about
    _builder: Callable[[int, int, int, int], Scenario] = field(repr=False, compare=False)

    def build(self, D: int | None = None, H: int | None = None, T: int | None = None, seed: int = 0) -> Scenario:
        """The scenario at sizes (D, H, T) (None = this preset's default) with weights and input seeded by ``seed``."""
        D = check_size("D", self.D if D is None else D, MAX_D)
        H = check_size("H", self.H if H is None else H, MAX_H)
        T = check_size("T", self.T if T is None else T, MAX_T)
        return self._builder(D, H, T, seed)


def _scenario(lstm, rnn, x, loss, **loss_kwargs) -> Scenario:
    if loss not in LOSSES:  # a preset bug, not a user error
        raise ValueError(f"loss: got {loss!r}, needs one of {sorted(LOSSES)}")
    return Scenario(lstm=lstm, rnn=rnn, x=frozen_copy(x), loss=loss, loss_kwargs=dict(loss_kwargs))


def _zero_biases(p):
    """The same LSTMParams or RNNParams with both biases 0."""
    return replace(p, bias_ih=np.zeros_like(p.bias_ih), bias_hh=np.zeros_like(p.bias_hh))


def _default(D, H, T, seed):
    return _scenario(init_lstm(D, H, seed=seed, forget_bias=1.0), init_rnn(D, H, seed=seed),
                     generate("sine", T, D, seed=seed), "last_step_mse")


def _vanishing_rnn(D, H, T, seed):
    # W_hh's spectral radius 0.9 and tanh' ≤ 1: the long product of the step Jacobians shrinks geometrically. One step
    # alone may still stretch some directions: W_hh's largest singular value is above 1 (≈ 1.39 at seed 0).
    return _scenario(init_lstm(D, H, seed=seed), init_rnn(D, H, seed=seed, spectral_radius=0.9),
                     generate("random", T, D, seed=seed), "probe_unit", unit=0)


def _lstm_with_forget_bias(forget_bias: float):
    """The builder of preserved_lstm (b_f = +4 → f ≈ σ(4) ≈ 0.98) and forgetful_lstm (b_f = −3 → f ≈ σ(−3) ≈ 0.05:
    the carousel multiplies by ~0.05 per step): the same LSTM, weights at half PyTorch's scale (which keeps the cell
    state out of tanh's flat tails longer), with only the forget bias different."""
    def build(D, H, T, seed):
        return _scenario(init_lstm(D, H, seed=seed, scale=0.5, forget_bias=forget_bias), init_rnn(D, H, seed=seed),
                         generate("random", T, D, seed=seed), "probe_unit", unit=0)
    return build


def _exploding_rnn(D, H, T, seed):
    # W_hh = 1.5 · (a random rotation): spectral radius 1.5 with every direction stretched 1.5× per step.
    # Zero biases and tiny inputs let the state start near 0, in tanh's linear range, before it saturates.
    rnn = _zero_biases(init_rnn(D, H, seed=seed))
    q, r = np.linalg.qr(np.random.default_rng([seed, 1]).normal(size=(H, H)))
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)  # a uniformly random orthogonal matrix
    rnn = replace(rnn, weight_hh=1.5 * q)
    return _scenario(init_lstm(D, H, seed=seed), rnn, generate("random", T, D, seed=seed, scale=1e-6),
                     "probe_unit", unit=0)


def _no_forget_gate(D, H, T, seed):
    # The 1997 LSTM: the same random LSTM as preserved_lstm (half PyTorch's scale) with its forget rows removed, f ≡ 1.
    # c_t = c_{t−1} + i ⊙ g adds up every write: at the defaults its largest |c| is 8–18 after 100 steps (seeds 0–9),
    # 35–80 after 400, 110–210 after 1000, where 1 − tanh² c is so small that no gradient enters the cell from h.
    lstm = init_lstm(D, H, seed=seed, scale=0.5, forget_gate=False)
    return _scenario(lstm, init_rnn(D, H, seed=seed), generate("random", T, D, seed=seed), "probe_unit", unit=0)


EXPLODING_LSTM_FORGET_BIAS = 2.0  # f = σ(2) ≈ 0.88
EXPLODING_LSTM_RADIUS = 2.0  # the spectral radius of every W_hh gate block


def _exploding_lstm(D, H, T, seed):
    # Zero biases but b_f, every W_hh gate block at spectral radius 2, tiny inputs: the state starts near 0, where
    # i = o = σ(0) = ½ and tanh is linear, so h ≈ ½c, g ≈ W_hg·h and c_t ≈ (f·I + ¼·W_hg) c_{t−1}. That matrix's
    # spectral radius is above 1 (1.2–1.4 for seeds 0–9 at H = 16): state and gradient grow until tanh saturates.
    lstm = with_spectral_radius(with_forget_bias(_zero_biases(init_lstm(D, H, seed=seed)), EXPLODING_LSTM_FORGET_BIAS),
                                EXPLODING_LSTM_RADIUS)
    return _scenario(lstm, init_rnn(D, H, seed=seed), generate("random", T, D, seed=seed, scale=1e-6),
                     "probe_unit", unit=0)


LATCH_GAIN = 20.0  # z = 20·x − 10 is σ(−10) ≈ 5e-5 when the cue is 0 and σ(10) ≈ 1 − 5e-5 when it is 1
LATCH_OFFSET = 10.0
LATCH_FORGET_BIAS = 15.0  # f = σ(15) ≈ 1 − 3e-7: c loses < 1e-3 of itself over 2000 steps


def latch_params(D: int, H: int) -> LSTMParams:
    """A hand-built LSTM that stores channel 0's impulse and shows it only when channel 1 cues a read.

        z_i = 20·x_0 − 10    (input gate opens only on the impulse)
        z_f = +15            (f ≈ 1: the cell holds its value)
        z_g = w_u·x_0        (g = tanh(w_u) written at the impulse; w_u from 2 down to 1 across the units)
        z_o = 20·x_1 − 10    (output gate opens only on the read cue)
    W_hh = 0 and channels ≥ 2 have weight 0. Needs D ≥ 2, any H ≥ 1.
    """
    if D < 2:
        raise ValueError(
            f"D: the latch preset needs at least 2 input channels (0: the signal, 1: the read cue), got {D}"
        )
    w_ih = np.zeros((4 * H, D))
    b = np.zeros(4 * H)
    i, f, g, o = (gate_rows(H, gate) for gate in GATES)
    w_ih[i, 0], b[i] = LATCH_GAIN, -LATCH_OFFSET
    b[f] = LATCH_FORGET_BIAS
    w_ih[g, 0] = np.linspace(2.0, 1.0, H) if H > 1 else 2.0
    w_ih[o, 1], b[o] = LATCH_GAIN, -LATCH_OFFSET
    return LSTMParams(weight_ih=w_ih, weight_hh=np.zeros((4 * H, H)), bias_ih=b, bias_hh=np.zeros(4 * H))


def latch_write_step(T: int) -> int:
    """The (0-based) step of the latch preset's impulse: 2, or T − 2 for T < 4, so it always precedes the read."""
    return min(2, T - 2)


def _latch(D, H, T, seed):
    if T < 2:
        raise ValueError(f"T: the latch preset needs at least 2 steps (a write, then a read), got {T}")
    lstm = latch_params(D, H)
    x = np.zeros((T, D))
    x[:, 0] = generate("impulse", T, 1, seed=seed, at=latch_write_step(T))[:, 0]  # the signal
    x[T - 1, 1] = 1.0  # the read cue at the last step
    return _scenario(lstm, init_rnn(D, H, seed=seed), x, "probe_unit", unit=0)


PRESETS: dict[str, Preset] = {
    p.key: p
    for p in (
        Preset("default", "A general LSTM",
               "A randomly initialised LSTM (forget bias +1) reads two phase-shifted sine waves; step through to "
               "watch each gate open and close.",
               2, 8, 40, "lstm", _default),
        Preset("vanishing_rnn", "Vanishing gradient (RNN)",
               "In a plain tanh RNN each step back multiplies the gradient by W_hhᵀ·diag(1 − h²), and with W_hh's "
               "spectral radius at 0.9 the product of these factors shrinks geometrically, so after 100 steps almost "
               "nothing of the last step's gradient reaches the first.",
               2, 16, 100, "rnn", _vanishing_rnn),
        Preset("preserved_lstm", "Gradient preserved (LSTM, forget bias +4)",
               "With its forget gate biased open (f ≈ 0.98) the LSTM's cell path multiplies the gradient only by "
               "forget gates near 1 (here ∏ f ≈ 0.17 over the 99 steps back), so the gradient from the last step "
               "still reaches the first of 100 steps.",
               2, 16, 100, "lstm", _lstm_with_forget_bias(4.0)),
        Preset("forgetful_lstm", "Forgetful LSTM (forget bias −3)",
               "The same LSTM with its forget gate biased shut (f ≈ 0.05) wipes its cell state every step, and its "
               "gradient is gone within a step or two, even sooner than the plain RNN's.",
               2, 16, 100, "lstm", _lstm_with_forget_bias(-3.0)),
        Preset("exploding_rnn", "Exploding gradient (RNN)",
               "When W_hh stretches every direction by 1.5 per step, a gradient sent back from the last step grows "
               "by orders of magnitude on its way to the first.",
               2, 16, 100, "rnn", _exploding_rnn),
        Preset("exploding_lstm", "Exploding gradient (LSTM)",
               "An LSTM can explode too: with zero biases but b_f = +2, every W_hh gate block at spectral radius 2 "
               "and tiny inputs, each step back multiplies its gradient by more than one until tanh saturates, so "
               "the gradient at the first step is orders of magnitude larger than at the last.",
               2, 16, 100, "lstm", _exploding_lstm),
        Preset("no_forget_gate", "No forget gate (1997 LSTM)",
               "Without a forget gate (f ≡ 1, Hochreiter & Schmidhuber's 1997 LSTM, the original constant error "
               "carousel) the cell path hands ∂L/∂c back unchanged, so over these 100 steps ‖∂L/∂c_t‖ never falls "
               "below half its value at the last step, but nothing ever leaves the cell either: c_t = c_{t−1} + i ⊙ g, "
               "whose largest |c| roughly doubles from step 50 to step 100 and keeps growing until tanh(c) saturates.",
               2, 16, 100, "lstm", _no_forget_gate),
        Preset("latch", "Hand-built latch (LSTM)",
               "Hand-set weights make the input gate open only for the signal at step 3, the forget gate hold it, "
               "and the output gate reveal it only when the read cue arrives at the last step.",
               2, 4, 30, "lstm", _latch),
    )
}


def get_preset(key: str) -> Preset:
    """PRESETS[key], or a ValueError listing the valid keys."""
    if key not in PRESETS:
        raise ValueError(f"preset: got {key!r}, needs one of {list(PRESETS)}")
    return PRESETS[key]
