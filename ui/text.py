"""The text lab's Streamlit glue: which character model, which text, the cached reading of the text, the unit and
character picked, connectivity and sampling. No maths here (lstm_core.text, lstm_core.codefeatures) and no figure
code (charts/text.py).

Session keys (page-local, prefix tl_): tl_model, tl_example, tl_text, tl_feature, tl_unit (0-based), tl_quantity,
tl_pos (1-based character number), tl_prompt, tl_n, tl_temp, tl_seed, tl_sample. A model trained on the user's
own text lives in the session only (OWN_MODEL, set by ui/owntext.py) and is gone when the session ends.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

from charts.text import SIGNED, colored_text_html, hover_titles
from lstm_core.codefeatures import FEATURES, QUANTITIES, CodeReading, read_code
from lstm_core.text import CharModel, top_next
from lstm_core.validate import MAX_T
from ui import memo
from ui.memo import MB, nbytes

MAX_CHARS = MAX_T  # the longest text the lab reads in one pass (20,000 characters)
OWN_MODEL = "ot_model"  # session key: (CharModel, label, a sample of its held-out text) of the user's own model
READINGS = "_tl_readings"  # session memo of the last readings: {(model key, text digest): CodeReading}
KEEP_READINGS = 3
KEEP_MB = 40  # ...and only as many as fit here: a reading of 20,000 characters takes ~145 MB, kept alone
# The shipped model's readings (and the coloured text) are the same for every student who opens the page on the same
# example: one shared copy, bounded in bytes (a reading of 20,000 characters, ~145 MB, is kept alone).
SHARED = memo.Budget("text lab (shipped model)", max_mb=160)
QUANTITY_LABELS = {"c": "cell c", "h": "hidden h", "i": "input gate i", "f": "forget gate f", "g": "candidate g",
                   "o": "output gate o"}

SNIPPET = '''def parse_header(line, default="text/plain"):
    """Split a header line such as 'Content-Type: text/html; charset=utf-8'."""
    name, _, value = line.partition(":")
    params = {}
    for part in value.split(";")[1:]:  # skip the main value
        key, _, val = part.strip().partition("=")
        params[key.lower()] = val.strip('"')
    main = value.split(";")[0].strip() or default
    return name.strip().lower(), (main, params)


if __name__ == "__main__":
    print(parse_header("Content-Type: text/html; charset=utf-8"))
'''
BRACKETS = '''result = sorted(set(max(len(word), limit) for word in words if word), key=lambda n: (n % 3, -n))
table = {"left": [(1, 2), (3, (4, 5))], "right": [[6], [7, [8, 9]]]}
print(len(table["left"]), sum(map(len, (table["right"], [1, 2]))))
'''
STRINGS = '''message = "hello, world"
path = 'C:/temp/data.txt'
query = f"SELECT * FROM users WHERE name = '{name}'"
doc = """Several lines
of text, with (brackets) and # no comment inside."""
empty = ""  # an empty string, then a comment
'''
EXAMPLES = {"snippet": ("A short function", SNIPPET), "brackets": ("Nested brackets", BRACKETS),
            "strings": ("String literals", STRINGS)}
DEFAULT_EXAMPLE = "snippet"


# ---- the model -----------------------------------------------------------------------------------------------------

@st.cache_resource(show_spinner="Loading the trained character model…")
def shipped_model() -> CharModel:
    return CharModel.load()


def model_choices() -> dict[str, str]:
    """{key: label} of the models this session can use: the shipped one, and the user's own if trained."""
    out = {"shipped": "Trained on Python's standard library (shipped)"}
    own = st.session_state.get(OWN_MODEL)
    if own is not None:
        out["own"] = f"Your model ({own[1]})"
    return out


def model_of(key: str) -> tuple[str, CharModel]:
    """(a key that changes with the weights, the model) for choice ``key``."""
    if key == "own" and st.session_state.get(OWN_MODEL) is not None:
        model = st.session_state[OWN_MODEL][0]
        digest = hashlib.blake2b(model.embedding.tobytes() + model.readout.bias.tobytes(), digest_size=8).hexdigest()
        return f"own-{digest}", model
    return "shipped", shipped_model()


def model_caption(model_key: str, model: CharModel) -> str:
    """Where the model comes from and its sizes (and its held-out loss, for the shipped one)."""
    sizes = f"H = {model.H} units, embedding D = {model.D}, {model.V} symbols"
    if model_key == "shipped":
        held = model.info.get("heldout", {}).get("bits_per_char")
        loss = f"; {held:.2f} bits per character on held-out files" if held is not None else ""
        return f"Model: trained on Python's standard library (top-level modules), {sizes}{loss}."
    return f"Model: trained on your text ({st.session_state[OWN_MODEL][1]}) in this session, {sizes}."


# ---- the text ------------------------------------------------------------------------------------------------------

def load_example() -> None:
    """on_change of the example picker: put that example into the text box, at its own default position."""
    ss = st.session_state
    key = ss.get("tl_example") or DEFAULT_EXAMPLE
    ss["tl_text"] = EXAMPLES[key][1]
    ss.pop("tl_pos", None)
    ss.pop("tl_sample", None)


def use_own_model(excerpt: str) -> None:
    """The user's own model (OWN_MODEL) reading ``excerpt``, from its start (the training lab's "Open it")."""
    ss = st.session_state
    ss["tl_model"] = "own"
    ss["tl_text"] = excerpt
    ss["tl_example"] = None
    for key in ("tl_pos", "tl_unit", "tl_sample"):
        ss.pop(key, None)


def init_text(lesson: tuple[str, int] | None) -> None:
    """The text box's first content; and on arriving at a lesson step (``lesson``: its id and step number; the step
    sets tl_example, tl_feature, tl_quantity), that step's example from its own start: the best unit, the example's
    default character."""
    ss = st.session_state
    where = lesson
    if where is not None and ss.get("_tl_lesson") != where:
        ss["_tl_lesson"] = where
        ss["tl_text"] = EXAMPLES[ss.get("tl_example") or DEFAULT_EXAMPLE][1]
        for key in ("tl_unit", "tl_pos", "tl_sample"):
            ss.pop(key, None)
    ss.setdefault("tl_example", DEFAULT_EXAMPLE)
    if "tl_text" not in ss:
        ss["tl_text"] = EXAMPLES[ss["tl_example"]][1]


def usable_text(text: str) -> tuple[str, str | None]:
    """(the text the model reads, a warning or None): at most MAX_CHARS characters, said when cut."""
    if len(text) > MAX_CHARS:
        return text[:MAX_CHARS], (f"**Text** — {len(text):,} characters; the model reads at most {MAX_CHARS:,} in one "
                                  f"pass, so the first {MAX_CHARS:,} are shown. Delete some text to see the rest.")
    return text, None


def text_key(model_key: str, text: str) -> tuple[str, str]:
    """(model key, digest of the text): what a reading and every view of it are keyed by."""
    return model_key, hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def reading(model_key: str, model: CharModel, text: str) -> CodeReading:
    """The model's reading of ``text`` (trace, probabilities, features, correlations). The shipped model's is shared
    by every session (SHARED); the user's own model's is memoised in the session (the last KEEP_READINGS texts) and
    nothing of it is kept beyond the session. Moving a slider does not recompute it."""
    key = text_key(model_key, text)
    if model_key == "shipped":
        return SHARED.get(f"reading/{key}", lambda: memo.freeze(read_code(model, text)))
    ss = st.session_state
    readings: dict = ss.setdefault(READINGS, {})
    if key not in readings:
        readings[key] = read_code(model, text)
        while len(readings) > KEEP_READINGS or (len(readings) > 1 and nbytes(readings) > KEEP_MB * MB):
            readings.pop(next(iter(readings)))
    return readings[key]


# ---- units ---------------------------------------------------------------------------------------------------------

def best_per_feature(rd: CodeReading) -> dict[str, dict[str, tuple[int, float]]]:
    """{feature: {"c": (unit, r), "h": (unit, r)}} for the features with a defined r."""
    out = {}
    for feature in FEATURES:
        for q in ("c", "h"):
            r = rd.r[(feature, q)]
            if np.any(np.isfinite(r)):
                u = int(np.nanargmax(np.abs(r)))
                out.setdefault(feature, {})[q] = (u, float(r[u]))
    return out


def jump_to_best(rd: CodeReading, feature: str) -> None:
    """on_click: show the best unit for ``feature``, in the quantity (c or h) that correlates best."""
    top = rd.ranking(feature)[0]
    if np.isfinite(top["r"]):
        st.session_state["tl_unit"] = top["unit"]
        st.session_state["tl_quantity"] = top["best"]


def init_unit(rd: CodeReading, feature: str, H: int) -> None:
    """First visit (or a lesson step, which clears tl_unit): the best unit for the feature; a unit left from a larger
    model is brought back into range."""
    ss = st.session_state
    if "tl_unit" not in ss:  # the best unit, shown in its best quantity unless one is chosen (e.g. by a lesson step)
        top = rd.ranking(feature)[0]
        ss["tl_unit"] = top["unit"] if np.isfinite(top["r"]) else 0
        ss.setdefault("tl_quantity", top["best"])
    ss.setdefault("tl_quantity", "c")
    if ss["tl_unit"] >= H:
        ss["tl_unit"] = 0


def unit_label(rd: CodeReading, feature: str):
    """format_func for the unit picker: "unit 7 — r(c) +0.81, r(h) +0.64" with the chosen feature."""
    rc, rh = rd.r[(feature, "c")], rd.r[(feature, "h")]

    def fmt(u: int) -> str:
        show = lambda r: "—" if not np.isfinite(r) else f"{r:+.2f}"  # noqa: E731
        return f"unit {u + 1} — r(c) {show(rc[u])}, r(h) {show(rh[u])}"
    return fmt


def ranking_rows(rd: CodeReading, feature: str, n: int = 10) -> list[dict]:
    """The top ``n`` units for ``feature`` as table rows (1-based unit numbers)."""
    rows = []
    for row in rd.ranking(feature)[:n]:
        if not np.isfinite(row["r"]):
            break
        rows.append({"unit": row["unit"] + 1, "best": row["best"], "r": round(row["r"], 3),
                     "r (cell c)": round(row["r_c"], 3), "r (hidden h)": round(row["r_h"], 3)})
    return rows


# ---- characters ----------------------------------------------------------------------------------------------------

CHAR_NAMES = {"\n": "newline ⏎", "\t": "tab ⇥", " ": "space ␣"}


def md_char(ch: str) -> str:
    """One character of the user's text for a Markdown sentence: whitespace by name, anything else as a code span
    (literal: no Markdown, HTML or LaTeX inside), a backtick fenced by double backticks so it shows."""
    if ch in CHAR_NAMES:
        return CHAR_NAMES[ch]
    return "`` ` ``" if ch == "`" else f"`{ch}`"


DEFAULT_POSITIONS = {"snippet": 'default="text/plain"', "brackets": "limit)", "strings": '"hello, world"'}


def default_position(text: str) -> int:
    """The 1-based character the page opens on: for an example, the one before the closing quote or bracket that
    ends its DEFAULT_POSITIONS marker (so the model is predicting that closing character); otherwise the
    second-to-last character (so a real next character exists)."""
    key = st.session_state.get("tl_example")
    marker = DEFAULT_POSITIONS.get(key)
    if marker and key in EXAMPLES and text == EXAMPLES[key][1] and marker in text:
        return text.index(marker) + len(marker) - 1  # the character before the marker's last one
    return max(1, len(text) - 1)


def init_position(text: str) -> str | None:
    """Keep tl_pos within 1 … T; returns a note when it had to move."""
    ss = st.session_state
    T = len(text)
    if "tl_pos" not in ss:
        ss["tl_pos"] = default_position(text)
    if ss["tl_pos"] > T:
        ss["tl_pos"] = T
        return f"The text is now {T:,} characters long, so the selected character moved to #{T}."
    return None


def pick_from_chart(chart_key: str) -> None:
    """on_select of the unit line chart: the clicked point's character becomes the selected one."""
    event = st.session_state.get(chart_key)
    points = (event or {}).get("selection", {}).get("points", []) if isinstance(event, dict) else \
        getattr(getattr(event, "selection", None), "points", [])
    if points:
        st.session_state["tl_pos"] = int(points[0]["x"])


@dataclass(frozen=True)
class Detail:
    """What the model does at one character (0-based position t)."""

    t: int
    char: str
    next_char: str | None  # the character that really came next (None at the end of the text)
    target: int  # the symbol connectivity is measured for: the real next character, or the most likely one
    top: list  # [(char, p)] top 5
    values: dict  # quantity -> the selected unit's value


def detail(rd: CodeReading, model: CharModel, t: int, unit: int) -> Detail:
    text = rd.text
    nxt = text[t + 1] if t + 1 < len(text) else None
    target = int(model.encode(nxt)[0]) if nxt is not None else int(np.argmax(rd.probs[t]))
    return Detail(t=t, char=text[t], next_char=nxt, target=target, top=top_next(model.vocab, rd.probs[t]),
                  values={q: float(rd.states(q)[t, unit]) for q in QUANTITIES})


def karpathy_html(model_key: str, rd: CodeReading, model: CharModel, unit: int, quantity: str, t: int) -> str:
    """The text coloured by the unit's ``quantity``, with a tooltip per character (top-5 next characters and the
    unit's values there) and the selected character outlined (the shipped model's: built once, SHARED)."""
    if model_key == "shipped":
        return SHARED.get(f"html/{text_key(model_key, rd.text)}/{unit}/{quantity}/{t}",
                          lambda: _karpathy_html(rd, model, unit, quantity, t))
    return _karpathy_html(rd, model, unit, quantity, t)


def _karpathy_html(rd: CodeReading, model: CharModel, unit: int, quantity: str, t: int) -> str:
    values = rd.states(quantity)[:, unit]
    top = [top_next(model.vocab, p) for p in rd.probs]
    unit_values = {q: rd.states(q)[:, unit] for q in QUANTITIES}
    limit = None if quantity == "c" else 1.0  # c is unbounded: full colour at its largest |c| in the text
    return colored_text_html(rd.text, values, signed=quantity in SIGNED, limit=limit,
                             titles=hover_titles(rd.text, top, unit_values, unit), outline=t, view="units")


def connectivity(rd: CodeReading, model: CharModel, d: Detail) -> np.ndarray:
    return model.connectivity(rd.trace, rd.probs, d.target, d.t)


def connectivity_html(rd: CodeReading, norms: np.ndarray, t: int) -> str:
    """The text up to the prediction, coloured by log₁₀ of the connectivity relative to its largest value (the
    last 4 decades: darker = stronger); the characters after it stay white."""
    logs = np.full(len(rd.text), np.nan)
    with np.errstate(divide="ignore"):
        lg = np.log10(np.where(norms > 0, norms, np.nan))
    top = np.nanmax(lg) if np.any(np.isfinite(lg)) else 0.0
    logs[:norms.size] = np.clip(lg - (top - 4.0), 0.0, 4.0)
    return colored_text_html(rd.text, logs, signed=False, limit=4.0, heat=True, outline=min(t + 1, len(rd.text) - 1),
                             view="connectivity")


# ---- sampling ------------------------------------------------------------------------------------------------------

def request_sample(model_key: str, model: CharModel) -> None:
    """on_click of Sample: generate with the controls' settings and keep the result (with its settings)."""
    ss = st.session_state
    prompt, n, temp, seed = ss.get("tl_prompt", ""), int(ss["tl_n"]), float(ss["tl_temp"]), int(ss["tl_seed"])
    try:
        text = model.sample(prompt[-MAX_CHARS:], n, temp, seed)
        ss["tl_sample"] = dict(model=model_key, prompt=prompt, n=n, temperature=temp, seed=seed, text=text)
    except ValueError as exc:
        ss["tl_sample"] = dict(model=model_key, error=str(exc))
