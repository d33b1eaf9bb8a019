"""Per-character features of Python source (lstm_core.codefeatures) against hand-labelled snippets and against
Python's ``tokenize`` on real files, and the correlations the text lab ranks units by."""

from __future__ import annotations

import io
import tokenize

import numpy as np
import pytest

from lstm_core.chartrain import stdlib_corpus
from lstm_core.codefeatures import FEATURES, CorrelationSums, code_features, rank_units, unit_correlations


def marks(text: str, name: str) -> str:
    """A feature as a string of digits ("?" where undefined), one per character."""
    return "".join("?" if np.isnan(v) else str(int(v)) for v in code_features(text).values[name])


# Hand-labelled: the feature after reading each character (see the module docstring for the rules).
CASES = [
    # plain string: opening quote in, closing quote out
    ('x = "ab"\n', "in string", "000011100"),
    # a prefix is not inside yet; single quotes
    ("s = rb'q'\n", "in string", "0000001100"),
    # f-string: one literal, its {field} included
    ('f"a{b}c"\n', "in string", "011111100"),
    # triple quotes over two lines: in until before the last quote
    ('d = """a\nb"""\n', "in string", "00001111111100"),
    # an empty string: only the opening quote is inside
    ('e = ""\n', "in string", "0000100"),
    # a quote inside a comment is not a string; the comment is
    ('# it"s\nx\n', "in string", "000000000"),
    ('# it"s\nx\n', "in comment", "111111000"),
    ('a = 1  # c\n', "in comment", "00000001110"),
    # brackets: an opening one counts already, a closing one no longer
    ("f(a, [b])\n", "bracket depth", "0111122100"),
    # brackets inside strings and comments do not count
    ('g("(", x)  # )\n', "bracket depth", "011111110000000"),
    # a continuation line inside brackets
    ("h(1,\n  2)\n", "bracket depth", "0111111100"),
    # indentation: from the first column of the line whose INDENT / DEDENT it is
    ("if x:\n    y\nz\n", "indent level", "00000011111100"),
    ("def f():\n    if a:\n        b\n    c\n",
     "indent level", "000000000" + "1111111111" + "2222222222" + "111111"),
    ("ab\ncd\n", "position in line", "012012"),
]


@pytest.mark.parametrize("text, name, expected", CASES)
def test_features_of_hand_labelled_snippets(text, name, expected):
    assert len(expected) == len(text)
    assert marks(text, name) == expected


def test_unterminated_strings_count_to_the_end():
    assert marks('x = "abc\ny=2\n', "in string") == "0000111100000"  # to the end of its line
    assert marks('x = """abc\nde', "in string") == "0000111111111"  # an open triple quote: to the end of the text


def test_features_stop_where_tokenize_stops():
    f = code_features("if x:\n    y\n  z\n")  # an unindent that matches no level
    assert f.stopped == 12 and "line 3" in f.problem
    assert marks("if x:\n    y\n  z\n", "indent level") == "000000111111????"
    assert f.known.tolist() == [True] * 12 + [False] * 4


def test_empty_text():
    f = code_features("")
    assert all(v.shape == (0,) for v in f.values.values()) and f.stopped is None


def _token_spans(text: str, kind: int) -> list[tuple[int, int]]:
    starts = np.concatenate([[0], np.flatnonzero(np.frombuffer(text.encode("utf-32-le"), "<u4") == 10) + 1])
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == kind:
            out.append((starts[tok.start[0] - 1] + tok.start[1], starts[tok.end[0] - 1] + tok.end[1]))
    return out


@pytest.fixture(scope="module")
def real_files() -> list[str]:
    corpus = stdlib_corpus()
    return list(corpus.heldout_parts[:6])


def test_against_tokenize_on_real_files(real_files):
    """On real stdlib files: every comment token's characters are in-comment and nothing else is; every string token
    has exactly (its length − prefix − 1) in-string characters and together they are all the in-string ones; the
    bracket depth returns to 0 at every NEWLINE token (a logical line ends only outside brackets)."""
    for text in real_files:
        f = code_features(text)
        assert f.stopped is None
        comments = _token_spans(text, tokenize.COMMENT)
        expect = np.zeros(len(text))
        for a, b in comments:
            expect[a:b] = 1
        np.testing.assert_array_equal(f.values["in comment"], expect)
        strings = _token_spans(text, tokenize.STRING)
        inside = f.values["in string"]
        total = 0
        for a, b in strings:
            tok = text[a:b]
            prefix = min(k for k in (tok.find('"'), tok.find("'")) if k >= 0)
            assert inside[a:a + prefix].sum() == 0 and inside[b - 1] == 0
            assert inside[a + prefix:b - 1].all()
            total += b - 1 - (a + prefix)
        assert inside.sum() == total
        depth = f.values["bracket depth"]
        for a, _ in _token_spans(text, tokenize.NEWLINE):
            assert depth[a] == 0
        assert depth.max() >= 2 and (depth >= 0).all()


def test_correlations_are_pearson():
    rng = np.random.default_rng(0)
    feature = rng.integers(0, 3, size=200).astype(float)
    states = np.stack([feature * 2 + 1, -feature + rng.normal(0, 0.5, 200), rng.normal(size=200),
                       np.full(200, 3.0)], axis=1)
    r = unit_correlations(feature, states)
    for k in range(3):
        assert r[k] == pytest.approx(np.corrcoef(feature, states[:, k])[0, 1], abs=1e-12)
    assert np.isnan(r[3])  # a constant unit has no r
    # added in chunks, the same r
    sums = CorrelationSums(4)
    for a in range(0, 200, 37):
        sums.add(feature[a:a + 37], states[a:a + 37])
    np.testing.assert_allclose(sums.r(), r, atol=1e-12)
    # NaN feature values are left out
    f2 = feature.copy()
    f2[:50] = np.nan
    assert unit_correlations(f2, states)[0] == pytest.approx(1.0)


def test_rank_units_orders_by_absolute_r():
    rng = np.random.default_rng(1)
    depth = rng.integers(0, 4, 300).astype(float)
    c = np.stack([rng.normal(size=300), -depth + 0.1 * rng.normal(size=300), depth + rng.normal(size=300)], axis=1)
    rows = rank_units({"c": c}, {"bracket depth": depth, "constant": np.zeros(300)})
    assert [row["unit"] for row in rows] == [1, 2, 0]
    assert rows[0]["r"] < -0.9 and all(row["feature"] == "bracket depth" for row in rows)


def test_feature_names():
    assert set(code_features("x\n").values) == set(FEATURES)
