"""Fuzzing the whole app under AppTest with hypothesis: random deep links, then random sequences of control changes
across all pages. After the first run of a session and after EVERY action:

- no exception on the page (``at.exception`` is empty: neither an uncaught error nor an ``st.exception`` element);
- every number in every Plotly chart's JSON (data, layout, frames; base64 ``bdata`` arrays decoded) is finite:
  ``None`` gaps are allowed, NaN / ±inf are not;
- no Python warning from our code (app.py, ui/, app_pages/, charts/, lstm_core/) and no RuntimeWarning from anywhere
  was raised during the run. Python warnings go to the log, never to the page, so they are recorded with
  ``warnings.catch_warnings(record=True)`` + ``simplefilter("always")`` around ``at.run()``; warnings raised
  inside site-packages by Streamlit or a library about itself (DeprecationWarning and the like) are not ours and
  are only listed in the summary printed at the end (``-s``);
- the state is coherent: the lab on screen is the one the settings describe (sizes, preset, seed, input, the URL),
  the step t lies in 1…T, the T slider and box agree; when the settings cannot be built, the one error shown names
  the field and the lab on screen is the previous one, unchanged;
- every out-of-range or unreadable value in a session's starting link gets a visible sidebar note naming it.

How the examples are made. Hypothesis draws one integer per example, which seeds a ``random.Random`` from which
the example draws its actions with explicit weights: a page switch, a sidebar setting, a knob, or one of the
current page's own controls (so nearly every drawn action applies). Drawing the actions from hypothesis's own
``sampled_from`` / ``one_of`` was measured to cover the pages very unevenly (28 of 31 page switches went to the first
page; the explorer was never visited in 200 examples).

Cost. One AppTest session is continued across examples (a student clicking on) and a new one starts from a random
link on a random page about one example in six; each example is 1–3 actions (1.7 on average). Sizes come from
small sets that include the edges (D 1 / 8, H 1 / 64, T 1 / 2000, seed 0 / 2³¹−1), so the process-wide caches are
hit often.
``derandomize=True``: the same examples on every run; no shrinking (a shrink step is a whole session): a failure
is reported as found, with the session's actions from its link on. ``FUZZ_EXAMPLES=n`` changes the count (200).
"""

from __future__ import annotations

import os
import random
import time

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from lstm_core.presets import PRESETS
from tests.helpers import (
    APP,
    IGNORED_WARNINGS,
    RUN_TIMES,
    base_key,
    chart_problems,
    lab_of,
    mirror,
    page_file,
    run,
    same_lab,
)
from ui import state

# How often each page starts a session / is switched to: the cheap pages more often (per run, the weights page
# costs ~0.4 s CPU and the myths page up to ~1 s on a new lab; the others 0.05-0.3 s).
PAGE_WEIGHTS = {page_file("cell"): 4, page_file("gates"): 4, page_file("gradients"): 4, page_file("weights"): 2,
                page_file("explorer"): 2, page_file("myths"): 1, page_file("training"): 1, page_file("lessons"): 1}

# Small sizes mostly (cheap, and repeated often enough to hit the caches), the edges now and then.
D_VALUES = [2, 1, 3, 2, 1, 8]
H_VALUES = [3, 1, 2, 8, 5, 3, 1, 2, 8, 5, 16, 64]
T_VALUES = [5, 1, 2, 3, 17, 40, 5, 1, 2, 3, 17, 40, 100, 2000]
SEEDS = [0, 1, 7, 2**31 - 1]
FB_VALUES = [-10.0, -3.0, 0.0, 1.0, 4.0, 10.0]
RHO_VALUES = [0.0, 0.5, 1.0, 1.5, 3.0]
SCALE_VALUES = [0.0, 0.1, 1.0, 2.5, 5.0]
INPUTS = state.input_options()

# ---- checks --------------------------------------------------------------------------------------------------------


def url_value(at: AppTest, key: str) -> str:
    value = at.query_params[key]
    return str(value[0] if isinstance(value, list) else value)


def check(at: AppTest, what: str, before=None) -> None:
    """Everything that must hold after any run (``before``: the lab before the action)."""
    assert not at.exception, f"{what}: exception on the page: {[e.message for e in at.exception]}"
    bad = chart_problems(at)
    assert not bad, f"{what}: NaN / inf in chart data: {bad}"
    ss = at.session_state
    lab = lab_of(at)
    errors = [e.value for e in at.error]
    asked = [w.value for w in at.warning if "rebuilds your" in w.value]
    assert not asked, f"{what}: a question about edits, but the fuzz never edits: {asked}"
    for e in errors:  # the fuzz uploads nothing and edits nothing: the only error is an impossible configuration
        assert e.startswith("These settings can't be built: "), f"{what}: unexpected error {e!r}"
    if errors:
        assert any(f in errors[0] for f in ("D:", "T:", "H:")), f"{what}: the error names no field: {errors[0]!r}"
        if before is not None:
            assert same_lab(lab, before), f"{what}: an impossible setting changed the lab on screen"
    else:
        assert lab.x.shape == (ss["T"], ss["D"]), (what, lab.x.shape, ss["T"], ss["D"])
        assert lab.lstm.hidden_size == ss["H"] and lab.rnn.hidden_size == ss["H"], what
        assert {k: lab.cfg[k] for k in ("preset", "seed", "input")} == {k: ss[k] for k in ("preset", "seed", "input")}
        # the URL describes the view
        assert url_value(at, "T") == str(ss["T"]) and url_value(at, "H") == str(ss["H"]), what
    assert 1 <= ss["t"] <= ss["T"], f"{what}: step t = {ss['t']} outside 1…{ss['T']}"
    box = mirror(at, "number_input", "T_box").value
    assert box == ss["T"], f"{what}: the T box ({box}) and T ({ss['T']}) disagree"


# ---- actions -------------------------------------------------------------------------------------------------------


def _widget(at: AppTest, kind: str, key: str):
    hits = [w for w in getattr(at, kind) if w.key == key]
    return hits[0] if hits else None


def _button(at: AppTest, *, key: str | None = None, label: str | None = None):
    for b in at.button:
        if (key is not None and b.key == key) or (label is not None and b.label == label):
            return None if b.proto.disabled else b
    return None


def _set_shared(at: AppTest, key: str, value, kind: str) -> None:
    """A shared setting: through its widget when the page shows it, else as a callback would (session state)."""
    w = _widget(at, kind, key)
    if w is not None and not w.proto.disabled:
        w.set_value(value)
    else:
        at.session_state[key] = value


def apply(at: AppTest, action: tuple) -> bool:
    """Perform one action; False when it does not apply to what is on screen (nothing is run then)."""
    kind, *args = action
    ss = at.session_state
    page = SESSION["page"]
    if kind == "page":
        at.switch_page(args[0])
    elif kind in ("D", "H", "seed"):
        at.number_input(key=kind).set_value(args[0])
    elif kind == "T":
        how, value = args
        if how == "slider":
            at.slider(key="T").set_value(value)
        elif how == "box":
            mirror(at, "number_input", "T_box").set_value(value)
        else:  # the gradient page's own length slider
            w = next((w for w in at.slider if w.key and base_key(w.key) == "T_grad"), None)
            if w is None:
                return False
            w.set_value(value)
    elif kind in ("preset", "input"):
        at.selectbox(key=kind).set_value(args[0])
    elif kind == "sidebar_button":
        b = _button(at, label=args[0])
        if b is None:
            return False
        b.click()
    elif kind in ("fb_on", "rho_on"):
        _set_shared(at, kind, args[0], "toggle")
    elif kind in ("fb", "rho", "scale"):
        _set_shared(at, kind, args[0], "slider")
    elif kind == "step":
        b = next((b for b in at.button if b.key and b.key.endswith(f"_{args[0]}") and b.key.split("_")[0]
                  in ("cell", "gates")), None)
        if b is None or b.proto.disabled:
            return False
        b.click()
    elif kind == "t":
        w = _widget(at, "slider", "t")
        if w is None:
            return False
        w.set_value(max(1, min(args[0], ss["T"])))
    elif kind == "cell_mode":
        w = _widget(at, "segmented_control", "cell_mode")
        if w is None:
            return False
        w.set_value(args[0])
    elif kind == "unit":  # any "unit shown" slider on the page (cell, myths)
        sliders = [w for w in at.slider if w.key in ("cell_unit", "myth_output_unit", "myth_clock_unit",
                                                       "myth_variant_unit")]
        if not sliders:
            return False
        w = sliders[args[1] % len(sliders)]
        w.set_value(max(1, min(args[0], ss["H"])))
    elif kind == "gates_units":
        w = _widget(at, "multiselect", "gates_units")
        if w is None:
            return False
        w.set_value(sorted({u % ss["H"] for u in args[0]})[:8])
    elif kind == "gates_quantities":
        w = _widget(at, "multiselect", "gates_quantities")
        if w is None:
            return False
        w.set_value(list(args[0]))
    elif kind == "quick":
        b = _button(at, key=f"quick_{args[0]}")
        if b is None:
            return False
        b.click()
    elif kind == "wp_model":
        w = _widget(at, "segmented_control", "wp_model")
        if w is None:
            return False
        w.set_value(args[0])
    elif kind == "wp_overview":
        if page != page_file("weights"):
            return False
        ss["wp_overview"] = args[0]
    elif kind == "wp_pick":
        w = next((p for p in at.button_group if p.key and base_key(p.key) == "wp_input_pick"), None)
        if w is None:
            return False
        w.set_value(args[0])
    elif kind == "ex_view":
        w = _widget(at, "segmented_control", "ex_view")
        if w is None:
            return False
        w.set_value(args[0])
    elif kind in ("ex_tbptt_on", "ex_clip_on", "myth_x_only"):
        w = _widget(at, "toggle", kind)
        if w is None:
            return False
        w.set_value(args[0])
    elif kind == "ex_tbptt_k":
        w = _widget(at, "slider", "ex_tbptt_k")
        if w is None or w.proto.disabled:
            return False
        w.set_value(max(w.min, min(args[0], w.max)))
    elif kind == "ex_clip":
        w = _widget(at, "select_slider", "ex_clip")
        if w is None or w.proto.disabled:
            return False
        w.set_value(args[0])
    elif kind == "ex_sweep_T":
        w = _widget(at, "slider", "ex_sweep_T")
        if w is None:
            return False
        w.set_value(args[0])
    else:  # pragma: no cover - a typo in the strategies
        raise AssertionError(f"unknown action {action}")
    return True


# ---- drawing examples ----------------------------------------------------------------------------------------------


def _weighted(r: random.Random, table: dict):
    keys = list(table)
    return r.choices(keys, weights=[table[k] for k in keys])[0]


SHARED_ACTIONS = {  # action drawer -> weight
    lambda r: ("page", _weighted(r, PAGE_WEIGHTS)): 2.5,
    lambda r: ("D", r.choice(D_VALUES)): 1,
    lambda r: ("H", r.choice(H_VALUES)): 1,
    lambda r: ("T", r.choice(["slider", "box", "page"]), r.choice(T_VALUES)): 1.5,
    lambda r: ("seed", r.choice(SEEDS)): 0.7,
    lambda r: ("preset", r.choice(list(PRESETS))): 1,
    lambda r: ("input", r.choice(INPUTS)): 0.7,
    lambda r: ("sidebar_button", r.choice(["New random weights", "Rewind to this seed"])): 0.7,
    lambda r: (r.choice(["fb_on", "rho_on"]), r.random() < 0.6): 1,
    lambda r: ("fb", r.choice(FB_VALUES)): 0.5,
    lambda r: ("rho", r.choice(RHO_VALUES)): 0.5,
    lambda r: ("scale", r.choice(SCALE_VALUES)): 0.5,
}
STEP_ACTIONS = {
    lambda r: ("step", r.choice(["first", "prev", "next", "last"])): 2,
    lambda r: ("t", r.choice([1, 2, 20, 2000])): 1,
}
PAGE_ACTIONS = {
    page_file("cell"): {**STEP_ACTIONS, lambda r: ("cell_mode", r.choice(["Forward", "Backward"])): 1.5,
                      lambda r: ("unit", r.choice([1, 2, 64]), 0): 1},
    page_file("gates"): {**STEP_ACTIONS, lambda r: ("gates_units", r.sample(range(64), r.randint(0, 9))): 1,
                       lambda r: ("gates_quantities", r.sample("ifgoch", r.randint(0, 6))): 1},
    page_file("gradients"): {lambda r: ("quick", r.choice(["vanishing_rnn", "preserved_lstm", "exploding_rnn"])): 1.5,
                           lambda r: ("T", "page", r.choice(T_VALUES)): 1},
    page_file("weights"): {lambda r: ("wp_model", r.choice(["lstm", "rnn"])): 1,
                         lambda r: ("wp_overview", r.random() < 0.5): 1,
                         lambda r: ("wp_pick", r.choice(INPUTS)): 1},
    page_file("explorer"): {lambda r: ("ex_view", r.choice(["phase", "sweep", "clip", "jacobian"])): 2,
                          lambda r: (r.choice(["ex_tbptt_on", "ex_clip_on"]), r.random() < 0.6): 1.5,
                          lambda r: ("ex_tbptt_k", r.choice([1, 5, 2000])): 1,
                          lambda r: ("ex_clip", r.choice([0.001, 1.0, 1000.0])): 1,
                          lambda r: ("ex_sweep_T", r.choice([20, 200])): 0.5},
    page_file("myths"): {lambda r: ("myth_x_only", r.random() < 0.6): 1, lambda r: ("unit", r.choice([1, 2, 64]),
                                                                                   r.randint(0, 3)): 1},
    # Visited with the shared controls only: training runs only on its own button (not pressed: seconds per run),
    # and a lesson's Start switches pages by itself (the session's page bookkeeping would not follow).
    page_file("training"): {},
    page_file("lessons"): {},
}


def draw_action(r: random.Random, page: str) -> tuple:
    return _weighted(r, {**SHARED_ACTIONS, **PAGE_ACTIONS[page]})(r)


# A starting link: some valid shared settings, and sometimes values the app must bring into range with a note.
VALID_URL_VALUES = {"preset": list(PRESETS), "D": D_VALUES, "H": H_VALUES, "T": T_VALUES, "seed": SEEDS,
                    "t": [1, 5, 2000], "input": INPUTS, "fb_on": ["1", "0"], "fb": FB_VALUES, "rho_on": ["1", "0"],
                    "rho": RHO_VALUES, "scale": SCALE_VALUES}
BAD_URL_VALUES = {"D": ["0", "9", "-3", "abc"], "H": ["0", "-3", "65", "1e9"], "T": ["10000000", "0", "nan"],
                  "seed": ["-1", "99999999999", "x"], "t": ["0", "1e308", "inf"], "preset": ["nope", ""],
                  "input": ["evil"], "fb": ["1e308", "-inf", "NaN"], "rho": ["-1", "7"], "scale": ["99", "-0.5"],
                  "fb_on": ["yes", "2"]}


def draw_link(r: random.Random) -> tuple[dict, dict]:
    valid = {} if r.random() < 0.3 else {
        k: str(r.choice(v)) for k, v in VALID_URL_VALUES.items() if r.random() < 0.4}
    bad = {} if r.random() < 0.7 else {
        k: r.choice(BAD_URL_VALUES[k]) for k in r.sample(list(BAD_URL_VALUES), r.randint(1, 2))}
    return valid, bad


# ---- the fuzz test -------------------------------------------------------------------------------------------------

STATS = {"examples": 0, "sessions": 0, "runs": 0, "skipped": 0, "seconds": 0.0, "cpu": 0.0, "pages": {}, "actions": {}}
SESSION: dict = {"at": None, "page": None, "history": []}  # the session the examples continue


@pytest.fixture(scope="module", autouse=True)
def _report_stats():
    yield
    if STATS["examples"]:
        print(f"\nfuzz: {STATS['examples']} examples in {STATS['sessions']} sessions, {STATS['runs']} AppTest runs "
              f"({STATS['skipped']} drawn actions did not apply), {STATS['seconds']:.0f} s wall, "
              f"{STATS['cpu']:.0f} s CPU")
        print("  runs per page:", STATS["pages"])
        print("  actions run:", dict(sorted(STATS["actions"].items(), key=lambda kv: -kv[1])))
    if os.environ.get("FUZZ_TIMES"):
        for sec, what in sorted(RUN_TIMES, reverse=True)[:15]:
            print(f"{sec:6.2f}s {what[-160:]}")
    if IGNORED_WARNINGS:
        print("  warnings not from our code (ignored):", sorted(set(IGNORED_WARNINGS))[:10])


def _step(at: AppTest, what: str, before=None) -> None:
    history = SESSION["history"]
    history.append(what)
    label = f"session so far: {' → '.join(history)}"
    run(at, label)
    STATS["runs"] += 1
    STATS["pages"][SESSION["page"]] = STATS["pages"].get(SESSION["page"], 0) + 1
    check(at, label, before)


def _open(page: str, query: dict) -> AppTest:
    """A new browser session from a link: a fresh AppTest, the URL parameters, straight to ``page``."""
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page)  # the first run goes straight to this page, as a deep link does
    SESSION.update(at=at, page=page, history=[])
    STATS["sessions"] += 1
    return at


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", 200)), deadline=None, derandomize=True, database=None,
          phases=(Phase.explicit, Phase.generate), print_blob=False, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**64 - 1))
def test_random_control_sequences_keep_the_app_sound(seed):
    # One draw per example: what is drawn next depends on the session (its page, its sizes), which hypothesis must
    # not see (it checks that equal draws lead to equal draws). The example index is mixed in, so a seed that
    # hypothesis repeats still gives a new example.
    r = random.Random(f"{seed}/{STATS['examples']}")
    t0, c0 = time.perf_counter(), time.process_time()
    if SESSION["at"] is None or r.random() < 1 / 6 or len(SESSION["history"]) > 30:
        page = _weighted(r, PAGE_WEIGHTS)
        valid, bad = draw_link(r)
        query = {**valid, **bad}
        at = _open(page, query)
        _step(at, f"open {page} with {query}")
        notes = " ".join(w.value for w in at.sidebar.warning)
        for key in bad:
            assert f"`{key}=" in notes or f"URL step {key}=" in notes, \
                f"URL value {key}={bad[key]!r} was changed without a visible note: {notes!r}"
    at = SESSION["at"]
    ran = 0
    for _ in range(r.choices([1, 2, 3], weights=[5, 3, 2])[0]):
        action = draw_action(r, SESSION["page"])
        before = lab_of(at)
        if not apply(at, action):
            STATS["skipped"] += 1
            continue
        if action[0] == "page":
            SESSION["page"] = action[1]
        STATS["actions"][action[0]] = STATS["actions"].get(action[0], 0) + 1
        _step(at, repr(action), before)
        ran += 1
    if not ran:  # nothing drawn applied (e.g. a disabled step button): a plain rerun, so every example checks a run
        _step(at, "rerun")
    STATS["examples"] += 1
    STATS["seconds"] += time.perf_counter() - t0
    STATS["cpu"] += time.process_time() - c0


def test_myth_history_chart_has_no_nan_gaps():
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page(page_file("myths"))
    run(at, "open myths")
    assert not at.exception, [e.message for e in at.exception]
    assert any("myth_history" in (c.proto.id or "") for c in at.get("plotly_chart")), "the chart is on the page"
    assert not chart_problems(at)
