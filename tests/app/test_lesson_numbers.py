"""Every number a shipped lesson quotes, checked against the live computation for that step's own settings (its
preset, seed 0 and its overrides, built exactly as the app builds them: ui.state.build_lab).

Each step lists the phrases of its text, ``look`` and ``ask`` that contain a digit, with a check of what the phrase
says. ``test_every_digit_is_checked`` fails when a lesson gains a number that has no line here, so a new number
cannot slip in unchecked. Numbers in a question that are the question's own (a hypothetical "a factor of 0.6 per
step") are marked ``QUESTION``; settings that the step itself sets are checked against the step's settings.
The training page's own defaults (budget, noise) are checked under AppTest in tests/app/test_lessons_page.py.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pytest

from lstm_core import analysis as A
from lstm_core import explore, lstm_backward, lstm_forward, rnn_backward, rnn_forward
from lstm_core.losses import make_loss
from lstm_core.presets import EXPLODING_LSTM_FORGET_BIAS, EXPLODING_LSTM_RADIUS, LATCH_FORGET_BIAS, PRESETS, \
    latch_write_step
from lstm_core.tasks import Task
from tests.helpers import check_bracket_unit_gates, check_strings_followed_less_than_brackets
from ui import lessons, presenter, state

LESSONS = {lesson.id: lesson for lesson in lessons.load_lessons(lessons.DEFAULT_FOLDER, presenter.rules())[0]}
DIGITS = re.compile(r"[0-9⁰¹²³⁴⁵⁶⁷⁸⁹]")


def sigma(z: float) -> float:
    return 1.0 / (1.0 + np.exp(-z))


def power(v: float) -> int:
    """The nearest power of ten: 1.8e-90 -> −90."""
    return int(round(np.log10(v)))


def near(v: float, quoted: float, digits: int) -> bool:
    """v rounds to ``quoted`` at ``digits`` decimals."""
    return round(float(v), digits) == quoted


class Measured:
    """The numbers of one lesson step, computed lazily from its lab (and, for the explorer steps, the page's maps)."""

    def __init__(self, lesson_id: str, n: int):
        self.step = LESSONS[lesson_id].step(n)
        cfg = {**state.defaults(), "preset": self.step.preset, **state.preset_defaults(PRESETS[self.step.preset]),
               **self.step.settings}
        self.cfg = cfg
        self.lab = lab = state.build_lab(cfg)
        loss = make_loss(lab.loss, **lab.loss_kwargs)
        self.lt = lstm_forward(lab.lstm, lab.x)
        self.lg = lstm_backward(lab.lstm, self.lt, loss(self.lt.h)[1])
        self.rt = rnn_forward(lab.rnn, lab.x)
        self.rg = rnn_backward(lab.rnn, self.rt, loss(self.rt.h)[1])
        nl, nr = A.grad_norms(self.lg), A.grad_norms(self.rg)
        self.dc, self.dh, self.rnn_dh = nl["dc"], nl["dh"], nr["dh"]

    T = property(lambda self: self.lab.T)
    dc_ratio = property(lambda self: A.first_last_ratio(self.dc))
    dh_ratio = property(lambda self: A.first_last_ratio(self.dh))
    rnn_ratio = property(lambda self: A.first_last_ratio(self.rnn_dh))
    half_dc = property(lambda self: A.memory_half_life(self.dc))
    prod_f = property(lambda self: float(np.median(A.carousel_factor(self.lt)[0])))
    f_mean = property(lambda self: float(self.lt.f.mean()))
    fb = property(lambda self: self.cfg["fb"] if self.cfg["fb_on"] else None)

    @property
    def rnn_path(self) -> float:
        return float(A.rnn_path_factor(self.lab.rnn, self.rt)[0])

    @property
    def linear_steps(self) -> int:
        """How many steps from the start the RNN's |h| stays below 0.5 in every unit."""
        small = np.abs(self.rt.h).max(axis=1) < 0.5
        return int(np.argmin(small)) if not small.all() else small.size

    @property
    def linear_factor(self) -> float:
        """The geometric mean of the RNN gradient's growth per step back over those first steps."""
        k = self.linear_steps
        return float(np.exp(np.mean(np.log(self.rnn_dh[:k] / self.rnn_dh[1:k + 1]))))

    @functools.cached_property
    def rnn_borders(self) -> dict:
        """The explorer's RNN map at its defaults (21 × 21, T = 100): for each input scale, the smallest radius of a
        red (exploding) cell."""
        first, second = explore.phase_axes("rnn", 21)
        v = explore.phase_grid(first, second, T=100, hidden_size=self.lab.rnn.hidden_size,
                               input_size=self.lab.rnn.input_size, seed=self.cfg["seed"], model="rnn",
                               bias_scale=explore.PHASE_BIAS_SCALE)
        reg = explore.phase_regimes(v)
        return {float(s): float(second[np.argmax(row == 1)]) for s, row in zip(first, reg) if (row == 1).any()}


@functools.lru_cache(maxsize=None)
def measured(lesson_id: str, n: int) -> Measured:
    return Measured(lesson_id, n)


NAMES = ("step 1", "float64")  # names, not quantities: the first step, the number format
QUESTION = None  # a number that belongs to the question itself (hypothetical), not a claim about the app
FORMULA = None  # a digit that is part of a formula, e.g. 1 − h²

# (lesson id, step) -> [(phrase, check or QUESTION / FORMULA)]; a check receives the step's Measured.
CHECKS = {
    ("gates", 1): [
        ("signal that arrives at step 3", lambda m: latch_write_step(m.T) + 1 == 3),
        ("At t = 3 the input gate i opens", lambda m: m.step.settings["t"] == 3 and m.lt.i[2].min() > 0.99),
        ("The diagram at t = 3", lambda m: m.step.settings["t"] == 3),
        ("the input gate i is ≈ 1", lambda m: m.lt.i[2].min() > 0.99),
        ("all four units", lambda m: m.lab.lstm.hidden_size == 4),
        ("The forget gate f is ≈ 1 here", lambda m: m.lt.f.min() > 1 - 1e-6),
        ("if f were 0.5", QUESTION),
    ],
    ("gates", 2): [
        ("stays at ≈ 1 (σ(15), within 10⁻⁶ of 1)",
         lambda m: LATCH_FORGET_BIAS == 15 and 1 - sigma(15) < 1e-6 and m.lt.f.min() > 1 - 1e-6),
        ("h stays near 0", lambda m: np.abs(m.lt.h[:-1]).max() < 1e-3),
        ("i stays ≈ 0", lambda m: np.delete(m.lt.i, 2, axis=0).max() < 0.01),
        ("f stays ≈ 1", lambda m: m.lt.f.min() > 1 - 1e-6),
        ("h stays ≈ 0", lambda m: np.abs(m.lt.h[:-1]).max() < 1e-3),
    ],
    ("gates", 3): [
        ("written 27 steps earlier", lambda m: m.T - (latch_write_step(m.T) + 1) == 27),
        ("The output gate o at t = 30", lambda m: m.step.settings["t"] == m.T == 30 and m.lt.o[-1].min() > 0.99),
    ],
    ("gates", 4): [
        ("all 30 steps", lambda m: m.T == 30),
        ("step 10 instead of step 3", lambda m: latch_write_step(m.T) + 1 == 3),
    ],
    ("forget-bias", 1): [
        ("set to −3", lambda m: m.fb == -3.0),
        ("f ≈ σ(−3) ≈ 0.05", lambda m: near(sigma(-3), 0.05, 2) and abs(m.f_mean - sigma(-3)) < 0.01),
        ("only 5 %", lambda m: near(100 * sigma(-3), 5, 0)),
        ("half-life is 1 step", lambda m: m.half_dc == 1),
        ("about 10⁻⁹⁰", lambda m: power(m.dc_ratio) == -90),
        ("With f ≈ 0.05", lambda m: near(sigma(-3), 0.05, 2)),
    ],
    ("forget-bias", 2): [
        ("bias 0", lambda m: m.fb == 0.0),
        ("(now 0)", lambda m: m.fb == 0.0),
        ("near 0.5", lambda m: abs(m.f_mean - 0.5) < 0.01),
        ("0.5⁹⁹ ≈ 1.6 × 10⁻³⁰", lambda m: m.T - 1 == 99 and near(0.5 ** 99 * 1e30, 1.6, 1)),
        ("here ∏ f ≈ 10⁻³⁰", lambda m: power(m.prod_f) == -30),
        ("half-life of 2 steps", lambda m: m.half_dc == 2),
        ("about 10⁻²⁴ at step 1", lambda m: power(m.dc_ratio) == -24),
    ],
    ("forget-bias", 3): [
        ("(here 6 steps)", lambda m: m.half_dc == 6),
        ("At bias +2", lambda m: m.fb == 2.0),
        ("≈ 0.88: the cell path keeps 0.88", lambda m: near(sigma(2), 0.88, 2) and abs(m.f_mean - sigma(2)) < 0.01),
        ("half is gone after 6 steps (0.88⁶ ≈ 0.46)",
         lambda m: A.memory_half_life(sigma(2) ** np.arange(50)[::-1]) == 6 and near(0.88 ** 6, 0.46, 2)),
        ("over 99 steps ∏ f is here about 4 × 10⁻⁶", lambda m: m.T - 1 == 99 and near(m.prod_f * 1e6, 4, 0)),
        ("about 0.3 %", lambda m: near(100 * m.dc_ratio, 0.3, 1)),
        ("Bias +2 gives f ≈ 0.88", lambda m: near(sigma(2), 0.88, 2)),
        ("from 0.5", lambda m: sigma(0) == 0.5),
        ("after 100 steps", lambda m: m.T == 100),
    ],
    ("forget-bias", 4): [
        ("At bias +4", lambda m: m.fb == 4.0),
        ("is ≈ 0.98", lambda m: near(m.f_mean, 0.98, 2)),
        ("about 0.17 of the gradient over the 99 steps back", lambda m: m.T - 1 == 99 and near(m.prod_f, 0.17, 2)),
        ("half its size (0.53)", lambda m: near(m.dc_ratio, 0.53, 2)),
        ("to 1 or more", QUESTION),  # the practitioners' rule, quoted
        ("always ≈ 1", QUESTION),
    ],
    ("vanishing", 1): [
        ("reads 100 random inputs", lambda m: m.T == 100),
        ("here about 5 × 10⁻²⁰ of it reaches step 1", lambda m: near(m.rnn_ratio * 1e20, 5, 0)),
        ("nineteen decades", lambda m: 19 <= -np.log10(m.rnn_ratio) < 20),
    ],
    ("vanishing", 2): [
        ("W_hhᵀ · diag(1 − h²)", FORMULA),
        ("largest singular value is here 1.39", lambda m: near(np.linalg.norm(m.lab.rnn.weight_hh, 2), 1.39, 2)),
        ("spectral radius is 0.9", lambda m: near(np.abs(np.linalg.eigvals(m.lab.rnn.weight_hh)).max(), 0.9, 9)),
        ("A factor of 0.6 per step: what is left after 10 steps? After 100?", QUESTION),
    ],
    ("vanishing", 3): [
        ("(now 1.0)", lambda m: m.cfg["rho_on"] and m.cfg["rho"] == 1.0),
        ("here about 10⁻¹⁹", lambda m: power(m.rnn_ratio) == -19),
        ("at exactly 1", lambda m: near(np.abs(np.linalg.eigvals(m.lab.rnn.weight_hh)).max(), 1.0, 9)),
        ("to about 10⁻¹⁹ at step 1", lambda m: power(m.rnn_ratio) == -19),
        ("slope 1 − h² is below 1", FORMULA),
        ("near 1 at every step", QUESTION),
    ],
    ("vanishing", 4): [
        ("twenty sequence lengths", lambda m: explore.sweep_lengths(200).size == 20),
        ("If 10 more steps cost a factor of 10", QUESTION),
    ],
    ("carousel", 1): [
        ("within a factor of four", lambda m: (m.dc / m.dc[-1]).min() >= 0.25),
        ("near 0.98", lambda m: near(m.f_mean, 0.98, 2)),
        ("(here 0.26 at worst, 0.53 at step 1)",
         lambda m: near((m.dc / m.dc[-1]).min(), 0.26, 2) and near(m.dc_ratio, 0.53, 2)),
        ("falls to about 10⁻²⁴", lambda m: power(m.rnn_ratio) == -24),
    ],
    ("carousel", 2): [
        ("f ≈ 0.98", lambda m: near(m.f_mean, 0.98, 2)),
        ("W_hhᵀ · diag(1 − h²)", FORMULA),
        ("exactly 1", QUESTION),
    ],
    ("carousel", 3): [
        ("The 99 forget gates near 0.98", lambda m: m.T - 1 == 99 and near(m.f_mean, 0.98, 2)),
        ("here about 0.17 at step 1", lambda m: near(m.prod_f, 0.17, 2)),
        ("about 10⁻²³", lambda m: power(m.rnn_path) == -23),
        ("~100 numbers near 0.98. Roughly what is 0.98¹⁰⁰?", QUESTION),
    ],
    ("carousel", 4): [
        ("at T = 500", lambda m: m.T == 500),
        ("At 500 steps", lambda m: m.T == 500),
        ("about 10⁻⁴ (∏ f)", lambda m: power(m.prod_f) == -4),
        ("about a tenth (0.10)", lambda m: near(m.dc_ratio, 0.10, 2)),
        ("around 10⁻¹¹⁷", lambda m: power(m.rnn_ratio) == -117),
        ("keeps 16 digits", lambda m: round(-np.log10(np.finfo(np.float64).eps)) == 16),
    ],
    ("carousel", 5): [
        ("forget bias at +1", lambda m: m.fb == 1.0),
        ("at +1 (f ≈ 0.73", lambda m: m.fb == 1.0 and near(sigma(1), 0.73, 2) and near(m.f_mean, 0.73, 2)),
        ("step 1 of 100", lambda m: m.T == 100),
        ("about 2 × 10⁻¹⁰", lambda m: near(m.dc_ratio * 1e10, 2, 0)),
        ("both LSTM ratio metrics at +4", QUESTION),  # the class moves the slider back themselves
        ("even at +4, its hidden-state gradient ∂L/∂h kept only 0.03",
         lambda m: near(measured("carousel", 1).dh_ratio, 0.03, 2) and measured("carousel", 1).fb is None),
    ],
    ("exploding", 1): [
        ("(here about 10⁷)", lambda m: power(m.rnn_ratio) == 7),
        ("by 1.5 per step",
         lambda m: np.allclose(np.linalg.svd(m.lab.rnn.weight_hh, compute_uv=False), 1.5, rtol=1e-12)),
        ("(here 1.2 × 10⁷)", lambda m: near(m.rnn_ratio / 1e7, 1.2, 1)),
        ("Not 1.5⁹⁹ ≈ 3 × 10¹⁷", lambda m: m.T - 1 == 99 and near(1.5 ** 99 / 1e17, 3, 0)),
        ("the first 36 steps", lambda m: m.linear_steps == 36),
        ("below 0.5", lambda m: m.linear_steps == 36),
        ("by about 1.5", lambda m: near(m.linear_factor, 1.5, 1)),
        ("slope 1 − h²", FORMULA),
    ],
    ("exploding", 2): [
        ("b_f = +2", lambda m: EXPLODING_LSTM_FORGET_BIAS == 2.0),
        ("spectral radius 2",
         lambda m: EXPLODING_LSTM_RADIUS == 2.0 and near(np.abs(np.linalg.eigvals(m.lab.lstm.weight_hh[:16])).max(),
                                                        2.0, 9)),
        ("about 4 × 10⁶", lambda m: near(m.dc_ratio / 1e6, 4, 0)),
    ],
    ("exploding", 3): [
        ("spectral radius of 1 only for tiny inputs", lambda m: 1.0 < m.rnn_borders[1e-4] <= 1.2),
        ("here to ρ ≈ 2–2.6 for inputs of std 1–3",
         lambda m: [round(r, 1) for s, r in m.rnn_borders.items() if 1.0 <= s <= 3.0] == [2.0, 2.3, 2.6]),
    ],
    ("exploding", 4): [
        ("(c = 1)", QUESTION),  # the page's default threshold: checked under AppTest
    ],
    ("exploding", 5): [
        ("window k = 20", QUESTION),  # the page's default window at T = 100: checked under AppTest
        ("With a window of k = 20, could the network learn a dependency 50 steps long?", QUESTION),
    ],
    ("long-gap", 1): [
        ("(about 1.4)", lambda m: m.T == 51 and near(m.dc_ratio, 1.4, 1)),
        ("about 10⁻¹²", lambda m: power(m.rnn_ratio) == -12),
        ("step 1 shows one of four symbols, 50 distractor steps follow",
         lambda m: Task("remember-first", 50).chance == 0.25 and m.T == 51),
        ("travel 50 steps back", lambda m: m.T - 1 == 50),
        ("at step 51", lambda m: m.T == 51),
    ],
    ("long-gap", 2): [
        ("(forget bias 4)", QUESTION),  # the page's default: checked under AppTest
        ("with a gap of 50", lambda m: m.step.controls["tr_gap"] == 50),
        ("near 0.98", lambda m: near(sigma(4), 0.98, 2)),
        ("chance, 25 %, towards 100 %", lambda m: Task("remember-first", 50).chance == 0.25),
        ("stays at 25 %", lambda m: Task("remember-first", 50).chance == 0.25),
    ],
    ("long-gap", 3): [
        ("(σ = 0.5)", QUESTION),  # the page's default noise: checked under AppTest
        ("with the noise slider at 0.1", QUESTION),
    ],
    ("long-gap", 4): [
        ("forget bias now 1", lambda m: m.step.controls["tr_fb"] == 1.0),
        ("the run at bias 4", QUESTION),
        ("at 1 (f ≈ 0.73)", lambda m: m.step.controls["tr_fb"] == 1.0 and near(sigma(1), 0.73, 2)),
        ("20-second budget", QUESTION),  # the page's default budget: checked under AppTest
        ("to 1 or more", QUESTION),
        ("is 1 enough for a 50-step gap", lambda m: m.step.controls["tr_gap"] == 50),
    ],
    # the text lab's lesson: its qualitative claims are checked on the shipped model (tests/app/test_text_lesson.py)
    ("reads-code", 1): [
        ("Karpathy, Johnson and Fei-Fei found in 2015", None),  # a citation (Visualizing and Understanding RNNs, 2015)
    ],
    ("reads-code", 2): [
        ("(white 0, green 1)", lambda m: _gate_colours() == ("#ffffff", "#009e73")),
        ("forget gate stays near 1", lambda m: _text_lesson_claim(check_bracket_unit_gates)),
    ],
    ("reads-code", 4): [
        ("as unit 22 follows the depth", lambda m: _text_lesson_claim(
            check_strings_followed_less_than_brackets, (lessons.DEFAULT_FOLDER / LESSONS["reads-code"].file).read_text())),
    ],
}
SUMMARIES = {  # lesson id -> [(phrase, check of the lesson)]
    "gates": [("one number at step 3", lambda lesson: latch_write_step(PRESETS["latch"].T) + 1 == 3)],
    "forget-bias": [("from −3 to +4", lambda lesson: [s.settings["fb"] for s in lesson.steps] == [-3, 0, 2, 4])],
    "long-gap": [("for 50 noisy steps", lambda lesson: all(s.controls.get("tr_gap", 50) == 50 for s in lesson.steps))],
}
def _gate_colours() -> tuple:
    from charts.text import colour_of
    return colour_of(0.0, signed=False, limit=1.0), colour_of(1.0, signed=False, limit=1.0)


def _text_lesson_claim(check, *args) -> bool:
    """Run one check of the text lab's lesson (tests/helpers.py: it measures the shipped character model); True if
    it holds."""
    from lstm_core.text import CharModel

    check(CharModel.load(), *args)
    return True


ITEMS = [(lid, n, phrase, check) for (lid, n), rows in CHECKS.items() for phrase, check in rows]


def _fields(lesson_id: str, n: int) -> str:
    step = LESSONS[lesson_id].step(n)
    return "\n".join((step.text, step.look, step.ask))


@pytest.mark.parametrize("lesson_id, n, phrase, check", ITEMS, ids=[f"{i}-{n}-{p[:30]}" for i, n, p, _ in ITEMS])
def test_each_quoted_number_is_the_live_one(lesson_id, n, phrase, check):
    assert phrase in _fields(lesson_id, n), f"the step no longer says {phrase!r}: update this test with the text"
    if check is not None:
        assert check(measured(lesson_id, n)), phrase


@pytest.mark.parametrize("lesson_id, phrase, check", [(i, p, c) for i, rows in SUMMARIES.items() for p, c in rows])
def test_each_summary_number(lesson_id, phrase, check):
    lesson = LESSONS[lesson_id]
    assert phrase in lesson.summary and check(lesson)


def _uncovered(text: str, phrases) -> list[str]:
    covered = np.zeros(len(text), dtype=bool)
    for phrase in phrases:
        for m in re.finditer(re.escape(phrase), text):
            covered[m.start():m.end()] = True
    return [text[max(0, m.start() - 25):m.end() + 10] for m in DIGITS.finditer(text) if not covered[m.start()]]


@pytest.mark.parametrize("lesson_id", list(LESSONS))
def test_every_digit_is_checked(lesson_id):
    """Every digit in a step's text, look and ask, and in the summary, lies inside a phrase checked above."""
    lesson = LESSONS[lesson_id]
    missing = [f"step {n}: …{snippet}…" for n in range(1, len(lesson.steps) + 1)
               for snippet in _uncovered(_fields(lesson_id, n), [*NAMES, *(p for p, _ in CHECKS.get((lesson_id, n), []))])]
    missing += [f"summary: …{s}…" for s in _uncovered(lesson.summary, [p for p, _ in SUMMARIES.get(lesson_id, [])])]
    assert not missing, "numbers without a check in test_lesson_numbers.CHECKS:\n" + "\n".join(missing)
