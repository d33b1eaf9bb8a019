"""Text lab figures (charts/text.py): the coloured text is escaped character by character, the hover labels too, and
every figure draws exactly the numbers it is given."""

from __future__ import annotations

import html
import re

import numpy as np
import pytest

from charts.text import (char_curves, colored_text_html, connectivity_figure, counter_figure, hover_titles,
                         next_chars_bar, ranking_figure, shown, unit_line)

from tests.helpers import bad_numbers

HOSTILE = [
    "<script>alert(1)</script>",
    "</span></div><img src=x onerror=alert(1)>",
    "![x](http://127.0.0.1:9/i.png)",
    '" onmouseover="alert(1)',
    "<b>bold</b> & &amp; {{x}} $x^2$ `code`",
    "\u202eevil\u200b\x00\x07",
]


def visible_text(block: str) -> str:
    """What a browser shows of the block: tags removed, entities decoded (the newline cell's extra space dropped)."""
    return html.unescape(re.sub(r"<[^>]*>", "", block)).replace(" \n", "\n")


@pytest.mark.parametrize("text", HOSTILE)
def test_coloured_text_escapes_every_character(text):
    values = np.linspace(-1, 1, len(text))
    titles = [f"tip {ch}" for ch in text]
    block = colored_text_html(text, values, signed=True, titles=titles, outline=0)
    # no tag from the text survives: the only tags are the block's own div and spans
    assert set(re.findall(r"<\s*/?\s*([a-zA-Z]+)", block)) <= {"div", "span"}
    assert "<script" not in block and "<img" not in block and "<b>" not in block
    assert visible_text(block) == text  # every character shows, as itself
    # titles are quoted attributes that cannot be closed from inside
    for title in re.findall(r'title="([^"]*)"', block):
        assert "<" not in title and ">" not in title
    assert len(re.findall(r'title="', block)) == len(text)


def test_coloured_text_colours():
    block = colored_text_html("ab\n", np.array([1.0, -0.5, np.nan]), signed=True)
    spans = re.findall(r'<span style="background:(#[0-9a-f]{6})', block)
    assert spans == ["#d62728", "#8fbbda"]  # full red at the max |value|, half blue; NaN: no colour
    gates = colored_text_html("ab", np.array([0.0, 1.0]), signed=False, limit=1.0)
    assert "#ffffff" in gates and "#009e73" in gates
    with pytest.raises(ValueError, match="one per character"):
        colored_text_html("abc", np.zeros(2), signed=True)


def test_hover_titles_name_position_next_chars_and_values():
    titles = hover_titles("a\n", [[("b", 0.5), ("\n", 0.25)], [("x", 0.9)]],
                          {"i": np.array([0.1, 0.2]), "c": np.array([-1.5, 2.0])}, unit=4)
    assert titles[0] == "#1 a → next: b 50%  ⏎ 25%\nunit 5: i +0.10  c -1.50"
    assert titles[1].startswith("#2 ⏎ → next: x 90%")


def test_plotly_labels_escape_user_text():
    text = "<b>x</b>"
    fig = unit_line(np.arange(len(text), dtype=float), text, unit=0, quantity="c", position=2)
    assert list(fig.data[0].customdata) == ["&lt;", "b", "&gt;", "x", "&lt;", "/", "b", "&gt;"]
    np.testing.assert_array_equal(fig.data[0].y, np.arange(len(text)))
    np.testing.assert_array_equal(fig.data[0].x, np.arange(1, len(text) + 1))
    bars = next_chars_bar([("<", 0.6), ("a", 0.3)], actual="a")
    assert list(bars.data[0].x) == ["&lt;", "a"] and list(bars.data[0].y) == [0.6, 0.3]
    assert list(bars.data[0].marker.color) == ["#56B4E9", "#D55E00"]
    assert shown(" ") == "␣" and shown("&") == "&amp;"


def test_connectivity_figure_draws_the_norms():
    norms = np.array([0.0, 1e-5, 2e-3, 0.5])
    fig = connectivity_figure(norms, "ab(c", 3)
    np.testing.assert_array_equal(fig.data[0].x, [1, 2, 3, 4])
    y = np.asarray(fig.data[0].y, dtype=float)
    assert np.isnan(y[0]) and np.allclose(y[1:], norms[1:])  # a zero has no logarithm: a gap
    assert fig.layout.yaxis.type == "log"


def test_ranking_and_curves_and_counter():
    fig = ranking_figure({"in string": {"c": (3, -0.7), "h": (5, 0.4)}, "bracket depth": {"c": (1, 0.9)}})
    c, h = fig.data
    assert list(c.y) == [0.7, 0.9] and list(h.y) == [0.4, None]
    assert list(c.customdata[0]) == [4, "-0.70"]  # 1-based unit, signed r in the hover
    rows = [dict(iteration=25, train_bits=3.0, heldout_bits=3.2), dict(iteration=50, train_bits=2.5, heldout_bits=2.9)]
    curves = char_curves(rows)
    assert list(curves.data[0].y) == [3.0, 2.5] and list(curves.data[1].y) == [3.2, 2.9]
    states = {q: np.linspace(0, 1, 4) for q in ("c", "i", "f", "o")}
    fig = counter_figure("(()a", np.array([1, 2, 1, 1]), states, unit=2, r=0.95)
    assert [t.name for t in fig.data] == ["bracket depth", "unit 3 cell c", "input gate i_t", "forget gate f_t",
                                          "output gate o_t"]
    assert list(fig.layout.xaxis2.ticktext) == ["(", "(", ")", "a"]
    assert not bad_numbers(fig)
