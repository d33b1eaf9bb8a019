"""Features of Python source, one value per character, computed with Python's own ``tokenize``, and the units
whose cell or hidden state follows them.

Every feature describes the state *after reading* character p (what an LSTM's h_p could know):

    in string         1 from a string literal's opening quote up to, not including, its last closing quote (the
                      closing quote ends it: 0). A prefix (f, r, b, …) is not inside yet. An f-string is one literal,
                      its {replacement fields} included (as Python 3.11's tokenize reports it; on 3.12+ the
                      FSTRING_START … FSTRING_END span is used, so both give the same feature). An unterminated
                      quote counts to the end of its line; an unterminated triple quote to the end of the text.
    in comment        1 on every character of a comment, "#" included, its newline not.
    bracket depth     open ( [ { minus closed ) ] } after reading p: an opening bracket already counts, a closing
                      one already does not. Brackets inside strings and comments do not count (they are not OP
                      tokens). Never below 0 (a stray closer is ignored).
    indent level      the number of INDENT minus DEDENT tokens in effect, taking effect from the first column of
                      the line they belong to (continuation lines keep their statement's level).
    position in line  characters since the last newline (0 for a line's first character).

``code_features(text)`` returns them all, and where ``tokenize`` stopped (an IndentationError in the text, say):
features after that point are NaN and are left out of every correlation.
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass

import numpy as np

from .text import code_points

FEATURES = ("in string", "in comment", "bracket depth", "indent level", "position in line")
FEATURE_HELP = {
    "in string": "1 inside a string literal (opening quote to before the closing quote), else 0",
    "in comment": "1 on the characters of a # comment, else 0",
    "bracket depth": "how many ( [ { are open after this character",
    "indent level": "the block depth of the line (INDENT − DEDENT tokens)",
    "position in line": "characters since the last newline",
}
_OPEN, _CLOSE = "([{", ")]}"
_FSTRING_START = getattr(tokenize, "FSTRING_START", None)  # Python 3.12+
_FSTRING_END = getattr(tokenize, "FSTRING_END", None)


@dataclass(frozen=True, eq=False)
class CodeFeatures:
    """Per-character features of a text: ``values[name]`` (T,) floats, NaN after ``stopped`` (None: the whole text
    was tokenized) with ``problem`` saying why tokenize stopped there."""

    values: dict[str, np.ndarray]
    stopped: int | None = None
    problem: str | None = None

    @property
    def known(self) -> np.ndarray:
        """(T,) bool: where the features are defined."""
        T = len(next(iter(self.values.values())))
        return np.arange(T) < (T if self.stopped is None else self.stopped)


def _line_starts(text: str) -> np.ndarray:
    """Offset of the first character of every line (lines end at "\\n", as tokenize reads them from StringIO)."""
    return np.concatenate([[0], np.flatnonzero(code_points(text) == ord("\n")) + 1]).astype(np.intp)


def _tokens(text: str):
    """(tokens as (type, string, start offset, end offset), the offset where tokenize stopped or None, why, and the
    offset of a triple-quoted string still open at the end of the text or None)."""
    starts = _line_starts(text)

    def offset(row_col) -> int:
        row, col = row_col
        return min(int(starts[min(row - 1, len(starts) - 1)]) + col, len(text))

    tokens, stop, problem, open_string = [], None, None, None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            tokens.append((tok.type, tok.string, offset(tok.start), offset(tok.end)))
    except tokenize.TokenError as exc:  # EOF inside a triple-quoted string or an open bracket: tokens so far are right
        if "string" in str(exc.args[0]) and len(exc.args) > 1:
            open_string = offset(exc.args[1])
    except (IndentationError, SyntaxError) as exc:  # tokenize cannot go on: features stop at that line
        line = getattr(exc, "lineno", None) or 1
        stop = int(starts[min(line - 1, len(starts) - 1)])
        problem = f"tokenize stopped at line {line}: {exc.msg if hasattr(exc, 'msg') else exc}"
    return tokens, stop, problem, open_string


def _quote_start(token_text: str) -> int:
    """Index of the first quote character in a string token (after a prefix such as rb or f); 0 if it has none."""
    return min((k for k in (token_text.find('"'), token_text.find("'")) if k >= 0), default=0)


def code_features(text: str) -> CodeFeatures:
    """The features of FEATURES for every character of ``text`` (see the module docstring)."""
    T = len(text)
    in_string, in_comment = np.zeros(T), np.zeros(T)
    bracket_delta = np.zeros(T + 1)  # +1 at an opening bracket, −1 at a closing one (applied with a floor at 0)
    indent_delta = np.zeros(T + 1)
    tokens, stop, problem, open_string = _tokens(text)
    starts = _line_starts(text)
    fstring_depth, fstring_from = 0, 0
    for kind, string, a, b in tokens:
        if _FSTRING_START is not None and kind == _FSTRING_START:
            if fstring_depth == 0:
                fstring_from = a + _quote_start(string)
            fstring_depth += 1
        elif _FSTRING_END is not None and kind == _FSTRING_END:
            fstring_depth -= 1
            if fstring_depth == 0:
                in_string[fstring_from:b - 1] = 1.0
        elif fstring_depth:
            continue  # inside an f-string (3.12+): part of the one literal
        elif kind == tokenize.STRING:
            in_string[a + _quote_start(string):b - 1] = 1.0
        elif kind == tokenize.ERRORTOKEN and string in ("'", '"'):  # an unterminated quote: to the end of its line
            line_end = text.find("\n", a)
            in_string[a:T if line_end < 0 else line_end] = 1.0
        elif kind == tokenize.COMMENT:
            in_comment[a:b] = 1.0
        elif kind == tokenize.OP and string in _OPEN:
            bracket_delta[a] += 1
        elif kind == tokenize.OP and string in _CLOSE:
            bracket_delta[a] -= 1
        elif kind in (tokenize.INDENT, tokenize.DEDENT):
            line_start = int(starts[np.searchsorted(starts, a, side="right") - 1])
            indent_delta[line_start] += 1 if kind == tokenize.INDENT else -1
    if open_string is not None:  # EOF inside a triple-quoted string
        in_string[open_string + _quote_start(text[open_string:open_string + 4]):] = 1.0

    level = np.cumsum(indent_delta)[:T]
    events = np.flatnonzero(bracket_delta[:T])  # bracket positions, in order
    after = np.zeros(events.size + 1)  # after[k+1]: the depth after bracket k, a running count never below 0
    for k, p in enumerate(events):
        after[k + 1] = max(0.0, after[k] + bracket_delta[p])
    depth = after[np.searchsorted(events, np.arange(T), side="right")]  # as after the last bracket so far
    line_of = np.searchsorted(starts, np.arange(T), side="right") - 1
    column = np.arange(T) - starts[line_of]
    values = {"in string": in_string, "in comment": in_comment, "bracket depth": depth, "indent level": level,
              "position in line": column.astype(float)}
    if stop is not None:
        for v in values.values():
            v[stop:] = np.nan
    for v in values.values():
        v.flags.writeable = False
    return CodeFeatures(values=values, stopped=stop, problem=problem)


# ---- correlation of units with a feature ---------------------------------------------------------------------------

class CorrelationSums:
    """Running sums for Pearson's r between one feature and every unit, added chunk by chunk (a held-out set too
    long for one array): r = cov(x, y) / (σ_x σ_y) over every position added, NaN where x or y is constant."""

    def __init__(self, units: int):
        self.n = 0
        self.sx = self.sxx = 0.0
        self.sy, self.syy, self.sxy = np.zeros(units), np.zeros(units), np.zeros(units)

    def add(self, feature: np.ndarray, states: np.ndarray) -> None:
        """feature (N,), states (N, H); positions where the feature is NaN are skipped."""
        keep = np.isfinite(feature)
        x, y = feature[keep], states[keep]
        self.n += x.size
        self.sx += float(x.sum())
        self.sxx += float(x @ x)
        self.sy += y.sum(axis=0)
        self.syy += np.einsum("nh,nh->h", y, y)
        self.sxy += x @ y

    def r(self) -> np.ndarray:
        """(H,) Pearson r of every unit with the feature."""
        n = max(self.n, 1)
        cov = self.sxy / n - (self.sx / n) * (self.sy / n)
        var_x = self.sxx / n - (self.sx / n) ** 2
        var_y = self.syy / n - (self.sy / n) ** 2
        with np.errstate(invalid="ignore", divide="ignore"):
            r = cov / np.sqrt(var_x * var_y)
        tiny = 1e-12 * max(1.0, self.sxx / n)
        r[(var_x <= tiny) | (var_y <= 1e-12 * np.maximum(1.0, self.syy / n)) | ~np.isfinite(r)] = np.nan
        return np.clip(r, -1.0, 1.0)


def unit_correlations(feature: np.ndarray, states: np.ndarray) -> np.ndarray:
    """(H,) Pearson r of every unit's state (T, H) with ``feature`` (T,) over the positions where it is defined."""
    sums = CorrelationSums(states.shape[1])
    sums.add(np.asarray(feature, dtype=float), np.asarray(states, dtype=float))
    return sums.r()


def rank_units(states: dict[str, np.ndarray], features: dict[str, np.ndarray]) -> list[dict]:
    """Every (feature, quantity, unit) with its r, best |r| first.

    states: quantity name ("c", "h", a gate) -> (T, H); features: name -> (T,). Rows: feature, quantity, unit, r.
    Features constant over the text give no rows (r is undefined).
    """
    rows = []
    for fname, feature in features.items():
        for q, s in states.items():
            for unit, r in enumerate(unit_correlations(feature, s)):
                if np.isfinite(r):
                    rows.append(dict(feature=fname, quantity=q, unit=unit, r=float(r)))
    rows.sort(key=lambda row: -abs(row["r"]))
    return rows


# ---- a model reading a text ----------------------------------------------------------------------------------------

QUANTITIES = ("c", "h", "i", "f", "g", "o")  # what a unit shows: its cell, hidden state and gates
RANKED = ("c", "h")  # the quantities "find the cell" ranks


@dataclass(frozen=True, eq=False)
class CodeReading:
    """A character model run over a text: the trace and next-character probabilities (CharModel.run), the text's
    features and every unit's r with each of them (for c and h)."""

    text: str
    trace: object  # LSTMTrace over the characters, (T, H) fields
    probs: np.ndarray  # (T, V)
    features: CodeFeatures
    r: dict[tuple[str, str], np.ndarray]  # (feature, "c" | "h") -> (H,) Pearson r (NaN: undefined)

    def states(self, quantity: str) -> np.ndarray:
        """(T, H): the cell c, hidden state h or a gate (i, f, g, o) of every unit at every character."""
        if quantity not in QUANTITIES:
            raise ValueError(f"quantity: got {quantity!r}, needs one of {list(QUANTITIES)}")
        return getattr(self.trace, quantity)

    def ranking(self, feature: str) -> list[dict]:
        """Units by the larger |r| of their c and h with ``feature``, best first: rows unit, r_c, r_h, best ("c" or
        "h"), r (the best one's r). Units with neither r defined come last (ties keep unit order)."""
        rc, rh = self.r[(feature, "c")], self.r[(feature, "h")]
        size_c, size_h = (np.nan_to_num(np.abs(r), nan=-1.0) for r in (rc, rh))  # NaN (undefined) ranks last
        best_h = size_h > size_c
        order = np.argsort(-np.where(best_h, size_h, size_c), kind="stable")
        return [dict(unit=int(u), r_c=float(rc[u]), r_h=float(rh[u]), best="h" if best_h[u] else "c",
                     r=float(rh[u] if best_h[u] else rc[u])) for u in order]


def read_code(model, text: str) -> CodeReading:
    """Run ``model`` (a lstm_core.text.CharModel) over ``text`` and correlate its units with the text's features."""
    trace, probs = model.run(text)
    features = code_features(text)
    r = {(k, q): unit_correlations(v, getattr(trace, q)) for k, v in features.values.items() for q in RANKED}
    return CodeReading(text=text, trace=trace, probs=probs, features=features, r=r)
