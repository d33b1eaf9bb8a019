"""Guided lessons as data: load and validate the lesson files in ``assets/lessons/`` (no Streamlit import).

A lesson file is Markdown with a small header, one ``## `` section per step (format: assets/lessons/README.md):

    ---
    id: gates                      (URL-safe: a-z, 0-9, -, _; unique across files)
    title: What each gate does
    summary: One sentence for the lesson list.
    minutes: 8                     (optional, whole minutes)
    order: 1                       (optional; lessons are listed by order, then id)
    ---

    ## A cell that remembers one number          <- step title
    page: cell                                   <- step fields, one per line, up to the first blank line
    preset: latch
    t: 3
    look: The diagram: the input gate i opens only at t = 3.
    ask: Which gate decides when the cell writes?

    One or two sentences the teacher reads aloud.  <- the step's text, up to the next "## "

Step fields: ``page`` (a url path), ``preset`` (a preset key) and ``ask`` (the question for the class) are
required; ``look`` (what to point at on screen) and ``controls`` (page widgets to set, ``ex_view=clip``) are
optional, and any shared setting may override the preset's (``D H T seed input t fb_on fb rho_on rho scale``;
``fb`` alone implies ``fb_on: 1``, ``rho`` alone ``rho_on: 1``).
Which pages, presets and ranges are valid comes from the caller (``Rules``), so this module duplicates none of them.

Every problem raises ``LessonError`` (a ValueError) whose message starts with the file name and names the field.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

DEFAULT_FOLDER = Path(__file__).resolve().parents[1] / "assets" / "lessons"
FOLDER_ENV = "LSTM_LAB_LESSONS"  # overrides the folder (tests point it at a temporary folder)
SUFFIX = ".md"
SKIPPED = {"readme.md"}  # the authoring guide lives beside the lessons

HEADER_REQUIRED = ("id", "title", "summary")
HEADER_OPTIONAL = ("minutes", "order")
STEP_REQUIRED = ("page", "preset", "ask")
STEP_OPTIONAL = ("look", "controls")
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*")
FIELD_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*:\s?(.*)")
MAX_TEXT = 420  # characters: the step text must fit the lesson panel on a 1280×720 projector
MAX_ASK = 240
MAX_LOOK = 240
TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


class LessonError(ValueError):
    """A malformed lesson file. ``str()`` reads "<file>: <where>, field '<field>': <problem>"."""

    def __init__(self, file: str, field_name: str, problem: str, where: str = ""):
        self.file, self.field, self.problem, self.where = file, field_name, problem, where
        at = f"{where}, " if where else ""
        super().__init__(f"{file}: {at}field '{field_name}': {problem}")


@dataclass(frozen=True)
class Span:
    """The valid values of a numeric page control a lesson may set: ``lo`` … ``hi`` (inclusive) in steps of ``step``
    from ``lo``; whole numbers (ints) when ``whole``, else floats, as the control's widget holds them."""

    lo: float
    hi: float
    step: float = 1.0
    whole: bool = True

    def parse(self, raw: str) -> int | float:
        """The value of ``raw`` (ValueError with the reason when it is not a valid value)."""
        try:
            value = float(raw)
        except ValueError:
            raise ValueError("is not a number") from None
        if not math.isfinite(value) or not self.lo <= value <= self.hi:
            raise ValueError(f"is outside {self.lo:g}–{self.hi:g}")
        k = (value - self.lo) / self.step
        if abs(k - round(k)) > 1e-9:
            raise ValueError(f"is not on the control's steps of {self.step:g} from {self.lo:g}")
        return int(round(value)) if self.whole else float(value)


@dataclass(frozen=True)
class Rules:
    """What a step may name: the app's pages (url paths), presets and settings with their valid values.

    ``ints`` / ``floats``: setting -> (low, high) inclusive; ``bools``: on/off settings; ``choices``: setting ->
    valid strings. ``default_T(preset)`` is the preset's own sequence length (to check ``t`` ≤ T), ``check``
    (optional) raises ValueError for a combination that cannot be built, e.g. a preset that needs D ≥ 2, and
    ``controls`` names the page widgets a step may set (``controls: ex_view=clip, ex_clip_on=1``), with the page
    each belongs to and its valid values: a tuple of strings, (True, False) for an on/off widget (written 1/0), or
    a ``Span`` for a numeric one (``tr_gap=50``).
    """

    pages: tuple[str, ...]
    presets: tuple[str, ...]
    ints: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    floats: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    bools: tuple[str, ...] = ()
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    default_T: Callable[[str], int] | None = None
    check: Callable[[str, dict], None] | None = None
    controls: Mapping[str, tuple[str, tuple | Span]] = field(default_factory=dict)  # widget key -> (page, valid values)

    @property
    def settings(self) -> tuple[str, ...]:
        return (*self.ints, *self.floats, *self.bools, *self.choices)


@dataclass(frozen=True)
class Step:
    title: str
    text: str  # one or two sentences, Markdown
    page: str  # url path of the page the step opens
    preset: str
    settings: dict  # validated, typed overrides of the preset's settings (e.g. {"T": 200, "fb_on": True, "fb": 3.0})
    ask: str  # the question for the class
    look: str = ""  # what to point at on screen
    controls: dict = field(default_factory=dict)  # page widget key -> value, e.g. {"ex_view": "clip", "tr_gap": 50}


@dataclass(frozen=True)
class Lesson:
    id: str
    title: str
    summary: str
    steps: tuple[Step, ...]
    minutes: int | None = None
    order: int = 1000
    file: str = ""

    def step(self, n: int) -> Step:
        """Step n, 1-based."""
        return self.steps[n - 1]


def folder() -> Path:
    """The lessons folder: $LSTM_LAB_LESSONS if set, else assets/lessons/."""
    return Path(os.environ.get(FOLDER_ENV) or DEFAULT_FOLDER)


# ---- parsing ------------------------------------------------------------------------------------------------------


def _split_header(name: str, text: str) -> tuple[dict, list[tuple[int, str]]]:
    """The header fields and the body lines (with their 1-based line numbers)."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        raise LessonError(name, "header", "the file must start with a '---' line, then the header fields "
                                          "(id, title, summary), then another '---' line")
    try:
        end = next(k for k in range(1, len(lines)) if lines[k].strip() == "---")
    except StopIteration:
        raise LessonError(name, "header", "no closing '---' line after the header fields") from None
    header = _fields(name, [(k + 1, line) for k, line in enumerate(lines[1:end], start=1)], "header",
                     HEADER_REQUIRED + HEADER_OPTIONAL)
    return header, [(k + 1, line) for k, line in enumerate(lines) if k > end]


def _fields(name: str, numbered: list[tuple[int, str]], where: str, allowed: tuple[str, ...] | None) -> dict:
    """``key: value`` lines (an indented line continues the previous value) -> {key: (line number, value)}."""
    out: dict[str, list] = {}
    last = None
    for number, line in numbered:
        if not line.strip():
            continue
        if line[0] in " \t" and last is not None:
            out[last][1] = f"{out[last][1]} {line.strip()}".strip()
            continue
        m = FIELD_LINE.fullmatch(line.strip())
        if not m:
            raise LessonError(name, "header" if where == "header" else "fields",
                              f"line {number} is not 'name: value': {line.strip()[:60]!r}", where)
        key, value = m.group(1), m.group(2).strip()
        if allowed is not None and key not in allowed:
            raise LessonError(name, key, f"unknown field (line {number}); allowed: {', '.join(allowed)}", where)
        if key in out:
            raise LessonError(name, key, f"given twice (line {number})", where)
        out[key] = [number, value]
        last = key
    return {k: v[1] for k, v in out.items()}


def _required(name: str, fields: dict, keys: tuple[str, ...], where: str) -> None:
    for key in keys:
        if not fields.get(key, "").strip():
            raise LessonError(name, key, "missing (or empty); every " + ("lesson" if where == "header" else "step")
                              + f" needs: {', '.join(keys)}", where)


def _whole(name: str, key: str, raw: str, where: str, lo: int | None = None, hi: int | None = None) -> int:
    try:
        value = float(raw)
        if not math.isfinite(value) or value != int(value):
            raise ValueError
    except ValueError:
        raise LessonError(name, key, f"{raw!r} is not a whole number", where) from None
    value = int(value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise LessonError(name, key, f"{value} is outside {lo}–{hi}", where)
    return value


def _setting(name: str, key: str, raw: str, rules: Rules, where: str):
    if key in rules.ints:
        return _whole(name, key, raw, where, *rules.ints[key])
    if key in rules.floats:
        lo, hi = rules.floats[key]
        try:
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            raise LessonError(name, key, f"{raw!r} is not a number", where) from None
        if not lo <= value <= hi:
            raise LessonError(name, key, f"{value:g} is outside {lo:g}–{hi:g}", where)
        return value
    if key in rules.bools:
        if raw.lower() in TRUE + FALSE:
            return raw.lower() in TRUE
        raise LessonError(name, key, f"{raw!r} must be 1 or 0 (or true/false)", where)
    valid = rules.choices[key]
    if raw not in valid:
        raise LessonError(name, key, f"{raw!r} is not one of: {', '.join(valid)}", where)
    return raw


def _step(name: str, number: int, title: str, lines: list[tuple[int, str]], rules: Rules) -> Step:
    where = f"step {number} ({title!r})" if title else f"step {number}"
    if not title:
        raise LessonError(name, "title", "the '## ' heading that starts a step has no title", where)
    # Fields run up to the first blank line; the text follows.
    blank = next((k for k, (_, line) in enumerate(lines) if not line.strip()), len(lines))
    allowed = STEP_REQUIRED + STEP_OPTIONAL + rules.settings
    fields = _fields(name, lines[:blank], where, allowed)
    paragraphs, current = [], []
    for _, line in lines[blank:] + [(0, "")]:  # paragraphs split at blank lines; each one's whitespace collapsed
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append(" ".join(" ".join(current).split()))
            current = []
    text = "\n\n".join(paragraphs)
    _required(name, fields, STEP_REQUIRED, where)
    if not text:
        raise LessonError(name, "text", "missing: write one or two sentences after the step's fields and a blank line",
                          where)
    for key, limit, value in (("text", MAX_TEXT, text), ("ask", MAX_ASK, fields["ask"]),
                              ("look", MAX_LOOK, fields.get("look", ""))):
        if len(value) > limit:
            raise LessonError(name, key, f"{len(value)} characters; at most {limit} fit on a projector", where)
    page, preset = fields["page"], fields["preset"]
    if page not in rules.pages:
        raise LessonError(name, "page", f"{page!r} is not a page; valid: {', '.join(rules.pages)}", where)
    if preset not in rules.presets:
        raise LessonError(name, "preset", f"{preset!r} is not a preset; valid: {', '.join(rules.presets)}", where)
    settings = {k: _setting(name, k, v, rules, where) for k, v in fields.items() if k in rules.settings}
    for knob in ("fb", "rho"):  # a knob value alone switches its knob on
        if knob in settings and f"{knob}_on" in rules.bools:
            settings.setdefault(f"{knob}_on", True)
    if "t" in settings and rules.default_T is not None:
        T = settings.get("T", rules.default_T(preset))
        if settings["t"] > T:
            raise LessonError(name, "t", f"step t = {settings['t']} is beyond the sequence length T = {T}", where)
    if rules.check is not None:
        try:
            rules.check(preset, settings)
        except ValueError as exc:
            raise LessonError(name, "settings", f"preset {preset!r} can't be built with these settings: {exc}",
                              where) from None
    controls = _controls(name, fields.get("controls", ""), page, rules, where)
    return Step(title=title, text=text, page=page, preset=preset, settings=settings, ask=fields["ask"],
                look=fields.get("look", ""), controls=controls)


def _controls(name: str, raw: str, page: str, rules: Rules, where: str) -> dict:
    """``key=value, key=value`` -> {key: value} for page widgets listed in ``rules.controls``."""
    out = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        key, sep, value = (s.strip() for s in item.partition("="))
        if not sep:
            raise LessonError(name, "controls", f"{item!r} is not 'name=value'", where)
        if key not in rules.controls:
            valid = ", ".join(rules.controls) or "none"
            raise LessonError(name, "controls", f"{key!r} is not a control a lesson can set; valid: {valid}", where)
        owner, valid_values = rules.controls[key]
        if owner != page:
            raise LessonError(name, "controls", f"{key!r} is on the {owner!r} page, not on {page!r}", where)
        if isinstance(valid_values, Span):
            try:
                out[key] = valid_values.parse(value)
            except ValueError as exc:
                raise LessonError(name, "controls", f"{key}={value!r} {exc}", where) from None
        elif tuple(valid_values) == (True, False):
            if value.lower() not in TRUE + FALSE:
                raise LessonError(name, "controls", f"{key}={value!r} must be 1 or 0", where)
            out[key] = value.lower() in TRUE
        elif value in valid_values:
            out[key] = value
        else:
            raise LessonError(name, "controls", f"{key}={value!r}: valid values are {', '.join(valid_values)}", where)
    return out


def parse_lesson(name: str, text: str, rules: Rules) -> Lesson:
    """A lesson from the text of file ``name`` (raises LessonError)."""
    header, body = _split_header(name, text)
    _required(name, header, HEADER_REQUIRED, "header")
    if not ID_PATTERN.fullmatch(header["id"]):
        raise LessonError(name, "id", f"{header['id']!r} must be lower-case letters, digits, '-' or '_' (it is "
                                      "part of the lesson's URL)", "header")
    minutes = _whole(name, "minutes", header["minutes"], "header", 1, 180) if "minutes" in header else None
    order = _whole(name, "order", header["order"], "header") if "order" in header else 1000
    sections: list[tuple[str, list]] = []
    for number, line in body:
        if line.startswith("## "):
            sections.append((line[3:].strip(), []))
        elif line.startswith("#") and not line.startswith("###"):
            raise LessonError(name, "steps", f"line {number}: steps start with '## ' (two hashes and a space)")
        elif sections:
            sections[-1][1].append((number, line))
        elif line.strip():
            raise LessonError(name, "steps", f"line {number}: text before the first step; start each step with "
                                             "a '## Title' line")
    if not sections:
        raise LessonError(name, "steps", "no steps: add at least one '## Title' section")
    steps = tuple(_step(name, k, title, lines, rules) for k, (title, lines) in enumerate(sections, start=1))
    return Lesson(id=header["id"], title=header["title"], summary=header["summary"], steps=steps, minutes=minutes,
                  order=order, file=name)


def load_lesson(path: str | Path, rules: Rules) -> Lesson:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise LessonError(path.name, "file", f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise LessonError(path.name, "file", f"can't be read: {exc.strerror}") from None
    return parse_lesson(path.name, text, rules)


def load_lessons(where: str | Path | None, rules: Rules) -> tuple[list[Lesson], list[LessonError]]:
    """Every lesson file in the folder (None = ``folder()``), by order then id, and one error per bad file.

    A bad file never hides the good ones; two files with the same id are both an error for the second."""
    where = folder() if where is None else Path(where)
    lessons: list[Lesson] = []
    errors: list[LessonError] = []
    if not where.is_dir():
        return [], [LessonError(str(where), "folder", "the lessons folder does not exist")]
    seen: dict[str, str] = {}
    for path in sorted(where.iterdir()):
        if path.suffix.lower() != SUFFIX or path.name.lower() in SKIPPED or path.name.startswith("."):
            continue
        try:
            lesson = load_lesson(path, rules)
        except LessonError as exc:
            errors.append(exc)
            continue
        if lesson.id in seen:
            errors.append(LessonError(path.name, "id", f"{lesson.id!r} is already the id of {seen[lesson.id]}",
                                      "header"))
            continue
        seen[lesson.id] = path.name
        lessons.append(lesson)
    lessons.sort(key=lambda lesson: (lesson.order, lesson.id))
    return lessons, errors

