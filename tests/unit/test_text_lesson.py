"""Every claim of the lesson "A trained LSTM reads code" (assets/lessons/07-reads-code.md), checked on the shipped
model with the examples and settings the lesson's steps name."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lstm_core.codefeatures import read_code
from lstm_core.text import CharModel
from ui import lessons
from ui.text import BRACKETS, EXAMPLES, SNIPPET

LESSON = lessons.DEFAULT_FOLDER / "07-reads-code.md"
OPENERS, CLOSERS = "([{", ")]}"


@pytest.fixture(scope="module")
def model() -> CharModel:
    return CharModel.load()


@pytest.fixture(scope="module")
def brackets(model):
    rd = read_code(model, BRACKETS)
    return rd, rd.ranking("bracket depth")[0]


def masks(text: str):
    ch = np.array(list(text))
    opener = np.isin(ch, list(OPENERS))
    return opener, ~opener & ~np.isin(ch, list(CLOSERS))


def test_step1_the_top_unit_for_bracket_depth_is_a_counting_cell(brackets):
    rd, top = brackets
    assert top["best"] == "c" and top["r"] >= 0.8  # "the top unit for bracket depth … is a cell"
    c = rd.states("c")[:, top["unit"]]
    jump = np.diff(np.concatenate([[0.0], c]))  # c_t − c_{t−1}
    opener, other = masks(BRACKETS)
    assert np.mean(jump[opener] > 0) >= 0.85 and np.mean(jump[opener]) >= 0.5  # "jumps up at the opening brackets"
    assert np.median(np.abs(jump[other])) <= 0.15  # "hardly changes on most characters in between"


def test_step2_input_gate_opens_at_brackets_forget_gate_keeps(brackets):
    rd, top = brackets
    u = top["unit"]
    opener, other = masks(BRACKETS)
    i, f = rd.states("i")[:, u], rd.states("f")[:, u]
    assert i[opener].mean() >= 0.9  # "opens wide at the opening brackets"
    assert i[other].mean() <= 0.3  # "stays nearly shut between them"
    assert f[other].mean() >= 0.9  # "the forget gate stays near 1 on ordinary characters"


def test_step3_connectivity_is_largest_nearby_and_reaches_the_start_of_the_line(model):
    text = EXAMPLES["brackets"][1]
    t = text.index("limit)") + len("limit") - 1  # the page's default character for this example: "t" before ")"
    trace, probs = model.run(text)
    norms = model.connectivity(trace, probs, int(model.encode(")")[0]), t)
    assert np.argmax(norms) >= t - 4  # "the last characters weigh most"
    assert norms.min() >= 1e-3 * norms.max()  # "the colour reaches back over the whole line" (4 powers of ten shown)
    assert "\n" not in text[:t + 1]  # … which is the first line


def test_step4_strings_are_followed_less_closely_than_brackets(model):
    rd = read_code(model, SNIPPET)
    best = lambda f: abs(rd.ranking(f)[0]["r"])  # noqa: E731
    assert best("in string") >= 0.5  # "a unit follows the strings of this function too"
    assert best("in string") < best("bracket depth")  # "… but less closely than the counter follows the brackets"
    stored = model.info["best_units"]
    assert max(abs(v["r"]) for v in stored["in string"].values()) < abs(stored["bracket depth"]["c"]["r"])
    unit = int(re.search(r"as unit (\d+) follows the depth", LESSON.read_text()).group(1))
    assert unit == stored["bracket depth"]["c"]["unit"] + 1  # the lesson names the held-out bracket unit
    assert read_code(model, BRACKETS).ranking("bracket depth")[0]["unit"] + 1 == unit  # the one the class saw
