"""Every claim of the lesson "A trained LSTM reads code" (assets/lessons/07-reads-code.md), checked on the shipped
model with the examples and settings the lesson's steps name."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_core.codefeatures import read_code
from lstm_core.text import CharModel
from tests.helpers import bracket_masks, check_bracket_unit_gates, check_strings_followed_less_than_brackets
from ui import lessons
from ui.text import BRACKETS, EXAMPLES

LESSON = lessons.DEFAULT_FOLDER / "07-reads-code.md"


@pytest.fixture(scope="module")
def model() -> CharModel:
    return CharModel.load()


@pytest.fixture(scope="module")
def brackets(model):
    rd = read_code(model, BRACKETS)
    return rd, rd.ranking("bracket depth")[0]


def test_step1_the_top_unit_for_bracket_depth_is_a_counting_cell(brackets):
    rd, top = brackets
    assert top["best"] == "c" and top["r"] >= 0.8  # "the top unit for bracket depth … is a cell"
    c = rd.states("c")[:, top["unit"]]
    jump = np.diff(np.concatenate([[0.0], c]))  # c_t − c_{t−1}
    opener, other = bracket_masks(BRACKETS)
    assert np.mean(jump[opener] > 0) >= 0.85 and np.mean(jump[opener]) >= 0.5  # "jumps up at the opening brackets"
    assert np.median(np.abs(jump[other])) <= 0.15  # "hardly changes on most characters in between"


def test_step2_input_gate_opens_at_brackets_forget_gate_keeps(model):
    check_bracket_unit_gates(model)


def test_step3_connectivity_is_largest_nearby_and_reaches_the_start_of_the_line(model):
    text = EXAMPLES["brackets"][1]
    t = text.index("limit)") + len("limit") - 1  # the page's default character for this example: "t" before ")"
    trace, probs = model.run(text)
    norms = model.connectivity(trace, probs, int(model.encode(")")[0]), t)
    assert np.argmax(norms) >= t - 4  # "the last characters weigh most"
    assert norms.min() >= 1e-3 * norms.max()  # "the colour reaches back over the whole line" (4 powers of ten shown)
    assert "\n" not in text[:t + 1]  # … which is the first line


def test_step4_strings_are_followed_less_closely_than_brackets(model):
    check_strings_followed_less_than_brackets(model, LESSON.read_text())
