"""Guided lessons and presenter mode, the Streamlit side (the lesson files themselves: ui/lessons.py).

Session keys (this module's own; other modules read them through its functions):
    LESSON        {"id": lesson id, "step": 1-based step} while a lesson is active, else absent/None (``position()``)
    PRESENT       presenter mode on/off (``presenting()``)
    GOTO          url path of the page a lesson step asked for, until app.py has switched to it
    HERE          url path of the page the last run showed
    NOTES         problems found in a lesson URL (shown with the URL notes)
    URL_READ      the session's first run has read the lesson URL

URL parameters: ``lesson=<id>&step=<n>&present=1`` (ui.state.write_url keeps them, see state.PASSTHROUGH_KEYS).
A bare lesson link (no ``preset`` parameter) loads the step's preset and settings and opens the step's page; a link
that also carries the settings (what the address bar shows once a step is open) reproduces exactly those settings.
"""

from __future__ import annotations

import functools
from pathlib import Path
from urllib.parse import urlencode, urljoin

import streamlit as st

from lstm_core.codefeatures import FEATURES, QUANTITIES
from lstm_core.presets import PRESETS
from ui import lessons, routes, state, training
from ui import text as text_lab

LESSON, PRESENT, GOTO, HERE, NOTES, URL_READ = "_lesson", "_present", "_lesson_goto", "_here", "_lesson_notes", \
    "_lesson_url_read"
ON_OFF = (True, False)
# The valid values of the page widgets a lesson step may set ("controls: ex_view=clip"); which page each one is on
# is the route table's (Route.lesson_controls).
CONTROL_VALUES = {
    "cell_mode": ("Forward", "Backward"),
    "ex_view": ("phase", "sweep", "clip", "jacobian"),
    "ex_clip_on": ON_OFF,
    "ex_tbptt_on": ON_OFF,
    "tr_model": tuple(training.MODEL_CHOICES),
    "tr_gap": lessons.Span(*training.GAP_LIMITS),
    "tr_fb": lessons.Span(*training.FB_LIMITS, step=training.FB_STEP, whole=False),
    "tl_example": tuple(text_lab.EXAMPLES),
    "tl_feature": FEATURES,
    "tl_quantity": QUANTITIES,
}
# widget key -> (page, valid values). A step resets the ones it doesn't name to the page's own default, so Back /
# Next always show the same view.
CONTROLS = {key: (route.path, CONTROL_VALUES[key]) for route in routes.ROUTES for key in route.lesson_controls}
if set(CONTROLS) != set(CONTROL_VALUES):
    raise ValueError(f"ui/presenter.py: CONTROL_VALUES and the route table's lesson_controls differ: "
                     f"{sorted(set(CONTROLS) ^ set(CONTROL_VALUES))}")
TRUE = ("1", "true", "True", "yes", "on")
FALSE = ("0", "false", "False", "no", "off", "")

# Static CSS only (no user content). Larger type for a projector; tools a class doesn't need are hidden.
PRESENTER_CSS = """<style>
html { font-size: 18px; }
[data-testid=stMainBlockContainer] { padding-top: 4rem; padding-left: 2rem; padding-right: 2rem; }
[data-testid=stMarkdownContainer] p, [data-testid=stMarkdownContainer] li { font-size: 1.08rem; }
[data-testid=stMain] h2 { font-size: 1.9rem; padding-top: 0.6rem; }
.st-key-lesson_panel [data-testid=stMarkdownContainer] p { font-size: 1.15rem; line-height: 1.4; }
[data-testid=stDownloadButton], [data-testid=stAppDeployButton], .modebar-container { display: none !important; }
@media (max-height: 820px) {  /* a 1280×720 / 1366×768 projector: keep the main chart and its Play bar on screen */
  [data-testid=stMainBlockContainer] { padding-top: 2.6rem; }
  [data-testid=stHeader] { background: transparent; }  /* the heading may sit under the (empty) top bar */
  [data-testid=stMain] h1 { font-size: 1.9rem; padding-top: 0.2rem; padding-bottom: 0.4rem; }
  [data-testid=stMain] [data-testid=stVerticalBlock] { gap: 0.6rem; }
}
</style>"""
PANEL_CSS = """<style>
.st-key-lesson_panel { background: rgba(28, 131, 225, 0.06); }
.st-key-lesson_panel [data-testid=stCaptionContainer] { margin-bottom: -0.6rem; }
</style>"""


# ---- the lesson catalogue ------------------------------------------------------------------------------------------


def _buildable(preset: str, settings: dict) -> None:
    """Raises ValueError when the preset can't be built at the step's sizes (e.g. the latch needs D ≥ 2)."""
    PRESETS[preset].build(D=settings.get("D"), H=settings.get("H"), T=settings.get("T"), seed=settings.get("seed", 0))


def rules(pages=routes.PATHS) -> lessons.Rules:
    """What a lesson step may name: these pages (url paths; default: the route table's), the presets, and
    ui.state's settings and ranges."""
    return lessons.Rules(
        pages=tuple(pages), presets=tuple(PRESETS),
        ints={k: state.LIMITS[k] for k in state.INT_KEYS}, floats=dict(state.KNOB_LIMITS), bools=state.BOOL_KEYS,
        choices={"input": tuple(state.input_options())},
        default_T=lambda preset: PRESETS[preset].T, check=_buildable, controls=CONTROLS,
    )


@functools.lru_cache(maxsize=8)
def _load(folder: str, signature: tuple, pages: tuple) -> tuple[tuple, tuple]:
    found, errors = lessons.load_lessons(folder, rules(pages))
    return tuple(found), tuple(errors)


def _signature(folder: Path) -> tuple:
    """Names, sizes and modification times: a lesson file edited while the app runs is read again."""
    if not folder.is_dir():
        return ()
    stats = [(p.name, p.stat()) for p in sorted(folder.iterdir()) if p.is_file()]
    return tuple((name, st_.st_size, st_.st_mtime_ns) for name, st_ in stats)


def catalogue() -> tuple[list[lessons.Lesson], list[lessons.LessonError]]:
    """The valid lessons (in order) and one error per malformed file, for the pages of the route table."""
    folder = lessons.folder()
    found, errors = _load(str(folder), _signature(folder), routes.PATHS)
    return list(found), list(errors)


def find(lesson_id: str) -> lessons.Lesson | None:
    return next((lesson for lesson in catalogue()[0] if lesson.id == lesson_id), None)


def position() -> tuple[str, int] | None:
    """(lesson id, 1-based step) of the running lesson, or None."""
    pos = st.session_state.get(LESSON)
    return (pos["id"], pos["step"]) if pos else None


def active() -> tuple[lessons.Lesson, int] | None:
    """(lesson, 1-based step) of the running lesson, or None."""
    pos = st.session_state.get(LESSON)
    if not pos:
        return None
    lesson = find(pos["id"])
    if lesson is None:  # its file was removed or broke while the lesson ran
        st.session_state[LESSON] = None
        return None
    return lesson, min(pos["step"], len(lesson.steps))


# ---- session and URL -----------------------------------------------------------------------------------------------


def presenting() -> bool:
    """Presenter mode: the session's choice, or on the first run the URL's ``present=1``."""
    ss = st.session_state
    if PRESENT in ss:
        return bool(ss[PRESENT])
    return st.query_params.get("present", "0") in TRUE


def init() -> None:
    """app.py, after state.begin_run(): on a session's first run, read the lesson URL."""
    ss = st.session_state
    if ss.get(URL_READ):
        return
    ss[URL_READ] = True
    notes: list[str] = []
    raw = st.query_params.get("present")
    if raw is not None and raw not in TRUE + FALSE:
        notes.append(f"URL parameter `present={state.quote_url_value(raw)}` must be 1 or 0; presenter mode is off.")
    ss[PRESENT] = raw in TRUE
    lesson_id = st.query_params.get("lesson")
    if lesson_id is None:
        ss[NOTES] = notes
        return
    lesson = find(lesson_id)
    if lesson is None:
        known = ", ".join(lesson.id for lesson in catalogue()[0]) or "none"
        notes.append(f"URL parameter `lesson={state.quote_url_value(lesson_id)}` is not a lesson (lessons: {known}).")
        ss[NOTES] = notes
        return
    n = _step_number(st.query_params.get("step", "1"), len(lesson.steps), notes)
    ss[LESSON] = {"id": lesson.id, "step": n}
    if state.PRESET not in st.query_params:  # a bare lesson link: open the step as the lesson defines it
        apply_step(lesson.step(n))
        ss[GOTO] = lesson.step(n).page
    ss[NOTES] = notes


def _step_number(raw: str, n_steps: int, notes: list[str]) -> int:
    try:
        n = int(raw)
    except ValueError:
        notes.append(f"URL parameter `step={state.quote_url_value(raw)}` is not a whole number; showing step 1.")
        return 1
    if not 1 <= n <= n_steps:
        clamped = min(max(n, 1), n_steps)
        notes.append(f"URL parameter `step={state.quote_url_value(raw)}` is outside 1–{n_steps}; showing step {clamped}.")
        return clamped
    return n


def apply_step(step: lessons.Step) -> None:
    """The step's configuration: its preset's own settings, seed 0, t = 1, then the step's overrides, and its page
    controls. Hand edits of weights and inputs are dropped (a lesson step always shows what its text describes)."""
    ss = st.session_state
    state.apply_settings({**state.defaults(), state.PRESET: step.preset,
                          **state.preset_defaults(PRESETS[step.preset]), **step.settings})
    for key in CONTROLS:
        if key in step.controls:
            ss[key] = step.controls[key]
        elif key in ss:
            del ss[key]  # the widget starts again from its page's default
    state.discard_edits(("weights", "inputs"))


def url_params() -> dict:
    """The lesson position and presenter mode, for the URL (state.write_url's ``extra``)."""
    ss = st.session_state
    out = {}
    pos = ss.get(LESSON)
    if pos:
        out.update(lesson=pos["id"], step=pos["step"])
    if ss.get(PRESENT):
        out["present"] = 1
    return out


def step_link(lesson: lessons.Lesson, n: int = 1, *, present: bool = True) -> str:
    """A bare link to step n (absolute when the app knows its own URL, e.g. http://host/gradients?lesson=…)."""
    query = {"lesson": lesson.id, "step": n, **({"present": 1} if present else {})}
    relative = "." + routes.by_path(lesson.step(n).page).url + f"?{urlencode(query)}"
    return urljoin(st.context.url or "", relative)


def follow(pages: dict) -> None:
    """app.py, before st.navigation: if a lesson step asked for another page than the last run showed, switch to it
    (ends this run; ``pages``: url path -> st.Page). Before st.navigation, so a first run never resolves (and
    reports) the requested page first."""
    ss = st.session_state
    goto = ss.pop(GOTO, None)
    if goto and goto != ss.get(HERE) and goto in pages:
        st.switch_page(pages[goto], query_params=url_params())


def arrived(url_path: str) -> None:
    """app.py, after st.navigation: the page this run shows."""
    st.session_state[HERE] = url_path


# ---- callbacks -----------------------------------------------------------------------------------------------------


def go(lesson_id: str, n: int, present: bool | None = None) -> None:
    """Callback: open step n of a lesson (its settings now, its page at the top of the next run)."""
    lesson = find(lesson_id)
    if lesson is None:
        return
    n = min(max(n, 1), len(lesson.steps))
    ss = st.session_state
    ss[LESSON] = {"id": lesson.id, "step": n}
    if present is not None:
        ss[PRESENT] = present
    apply_step(lesson.step(n))
    ss[GOTO] = lesson.step(n).page


def _goto_page(url_path: str) -> None:
    st.session_state[GOTO] = url_path


def end_lesson() -> None:
    st.session_state[LESSON] = None


def set_presenting(on: bool) -> None:
    st.session_state[PRESENT] = on


# ---- rendering -----------------------------------------------------------------------------------------------------


def style() -> None:
    st.html(PANEL_CSS + (PRESENTER_CSS if presenting() else ""))


def notes() -> list[str]:
    return list(st.session_state.get(NOTES, []))


def panel(current_url_path: str) -> None:
    """The running lesson's step above the page: the text to read, what to look at, the question, back / next."""
    pos = active()
    if pos is None:
        return
    lesson, n = pos
    step = lesson.step(n)
    number = next((k for k, other in enumerate(catalogue()[0], start=1) if other.id == lesson.id), 0)
    with st.container(border=True, key="lesson_panel"):
        read, ask = st.columns([3, 2], gap="medium")
        with read:
            st.caption(f"Lesson {number} · {lesson.title} · step {n} of {len(lesson.steps)}")
            st.markdown(f"**{step.title}.** {step.text}")
            if step.look:
                st.markdown(f":material/visibility: **Look:** {step.look}")
        with ask:
            st.markdown(f":blue[:material/forum: **Ask the class:** {step.ask}]")
            back, nxt, end = st.columns([1, 2, 1.5])
            back.button("", icon=":material/arrow_back:", key="lesson_prev", help="Previous step", on_click=go,
                        args=(lesson.id, n - 1), disabled=n == 1, width="stretch")
            nxt.button("Next", icon=":material/arrow_forward:", key="lesson_next", help="Next step", on_click=go,
                       args=(lesson.id, n + 1), disabled=n == len(lesson.steps), width="stretch", type="primary")
            end.button("End", icon=":material/close:", key="lesson_end", help="End the lesson", on_click=end_lesson,
                       width="stretch")
            if step.page != current_url_path:
                st.button(f"Back to this step's page ({routes.by_path(step.page).title})", icon=":material/undo:",
                          key="lesson_return", on_click=_goto_page, args=(step.page,), width="stretch")
