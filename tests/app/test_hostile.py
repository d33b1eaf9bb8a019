"""Hostile input, one case per test, through the app as a student would hit it (AppTest): weight files through the
*Inputs and weights* page's uploaders (.npz and .json, both models), input sequences through its CSV uploader, a
hand-typed weight cell, and URL parameters. Each case must get a clear message naming what is wrong; the lab on
screen (``session_state["_lab"]``: both models' weights and the input) must stay the last valid one; and a normal
interaction afterwards (stepping on the cell page) must still work. Plus the classroom settings: no
``unsafe_allow_html`` / raw HTML with user content, no stack traces for students, the upload cap.

Each refused upload is checked for: no exception, an ``st.error`` reading "Could not load <file>: <reason>. The
previous … are kept." with the reason's key words, an unchanged lab (every array compared), no Python warning from
our code during the run, and a working app afterwards.

Over the upload cap: AppTest's ``file_uploader.upload`` does not go through Streamlit's server, so
``server.maxUploadSize`` (5 MB in .streamlit/config.toml) is not enforced here: the server's own cap is covered by
the config test below (and by the browser suite if it uploads); here a 6 MB payload tests lstm_core.io's own cap
(MAX_UPLOAD_BYTES) through the page, which is what protects the app when a file gets past the browser.
"""

from __future__ import annotations

import ast
import io as _io
import json
import re
import statistics
import threading
import time
import tomllib
from pathlib import Path

import numpy as np
import pytest
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from lstm_core import io
from lstm_core.params import LSTMParams
from lstm_core.presets import PRESETS
from tests.helpers import APP, chart_problems, lab_of, page_file, plain, run, same_lab
from tests import hostile

ROOT = Path(__file__).resolve().parents[2]
PAGE = page_file("weights")
SIZES = {"D": 2, "H": 3, "T": 6}  # small: the weights page costs less, the shapes are still distinct
D, H = SIZES["D"], SIZES["H"]


def test_the_hostile_payloads_assume_the_apps_limits():
    """tests/hostile.py builds its payloads for the app's largest sizes: they are ui.state's."""
    from ui import state

    assert (state.LIMITS[state.T][1], state.LIMITS[state.D][1], state.LIMITS[state.H][1]) == (
        hostile.APP_T, hostile.APP_D, hostile.APP_H)


# ---- helpers -------------------------------------------------------------------------------------------------------


def open_page(page: str = PAGE, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in (SIZES if query is None else query).items():
        at.query_params[key] = str(value)
    at.switch_page(page)
    run(at, f"open {page}")
    assert not at.exception, [e.message for e in at.exception]
    return at


@pytest.fixture
def at() -> AppTest:
    at = open_page()
    lab = at.session_state["_lab"]
    assert (lab.x.shape, lab.lstm.hidden_size) == ((SIZES["T"], D), H)
    return at


def errors(at: AppTest) -> list[str]:
    return [plain(e.value) for e in at.error]


def upload(at: AppTest, key: str, name: str, data: bytes) -> AppTest:
    uploader = next(u for u in at.file_uploader if u.key == key)
    uploader.upload(name, data, "application/octet-stream")
    return run(at, f"upload {name}")


def still_works(at: AppTest) -> None:
    """A normal interaction after the refusal: the cell page, one step forward."""
    at.switch_page(page_file("cell"))
    run(at, "cell page")
    t = at.session_state["t"]
    at.button(key="cell_next").click()
    run(at, "next step")
    assert not at.exception, [e.message for e in at.exception]
    assert at.session_state["t"] == t + 1
    assert not chart_problems(at)


def refused(at: AppTest, before, name: str, *fragments: str, kept: str = "weights") -> str:
    """The upload of ``name`` was refused with a message containing ``fragments``; the lab is unchanged."""
    assert not at.exception, [e.message for e in at.exception]
    hits = [e for e in errors(at) if e.startswith(f"Could not load {name}: ")]
    assert hits, f"no error about {name}: {errors(at)}"
    message = hits[0]
    assert message.endswith(f"The previous {kept} are kept."), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    lab = lab_of(at)
    assert same_lab(lab, before), "the lab changed"
    assert not lab.edited_weights and not lab.edited_inputs
    still_works(at)
    return message


def state_dict(params, **replace) -> dict:
    sd = io.params_to_state_dict(params)
    sd.update(replace)
    return sd


def npz_bytes(arrays: dict, *, compressed: bool = False) -> bytes:
    buf = _io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def json_bytes(obj) -> bytes:
    return json.dumps(obj).encode()


# ---- weight files: shapes ------------------------------------------------------------------------------------------


def test_npz_weight_hh_of_the_wrong_shape(at):
    before = lab_of(at)
    data = npz_bytes(state_dict(before.lstm, weight_hh_l0=np.zeros((4 * H, H + 1))))
    upload(at, "wp_weights_file_lstm", "wrong_hh.npz", data)
    refused(at, before, "wrong_hh.npz", "weight_hh_l0", f"shape ({4 * H}, {H + 1})", "(4H, H)")


def test_json_bias_of_the_wrong_length(at):
    before = lab_of(at)
    sd = {k: v.tolist() for k, v in state_dict(before.lstm).items()}
    sd["bias_ih_l0"] = sd["bias_ih_l0"][:-1]
    upload(at, "wp_weights_file_lstm", "short_bias.json", json_bytes(sd))
    refused(at, before, "short_bias.json", "bias_ih_l0", f"({4 * H - 1},)", f"needs ({4 * H},)")


def test_npz_weights_of_another_network_size(at):
    before = lab_of(at)
    other = PRESETS["default"].build(D=D, H=H + 2, T=4, seed=3).lstm
    upload(at, "wp_weights_file_lstm", "h5.npz", io.to_npz_bytes(other))
    refused(at, before, "h5.npz", f"D={D}, H={H + 2}", f"app is set to D={D}, H={H}")


def test_rnn_uploader_refuses_lstm_weights(at):
    before = lab_of(at)
    upload(at, "wp_weights_file_rnn", "lstm_for_rnn.json", io.to_json_bytes(before.lstm))
    refused(at, before, "lstm_for_rnn.json", "weight_hh_l0", "an RNN was asked for")


# ---- weight files: NaN, inf, huge ----------------------------------------------------------------------------------


def test_npz_with_nan_weights(at):
    before = lab_of(at)
    w = before.lstm.weight_hh.copy()
    w[1, 2] = np.nan
    upload(at, "wp_weights_file_lstm", "nan.npz", npz_bytes(state_dict(before.lstm, weight_hh_l0=w)))
    refused(at, before, "nan.npz", "weight_hh_l0", "NaN or infinite")


def test_npz_with_infinite_rnn_bias(at):
    before = lab_of(at)
    b = before.rnn.bias_ih.copy()
    b[0] = -np.inf
    upload(at, "wp_weights_file_rnn", "inf.npz", npz_bytes(state_dict(before.rnn, bias_ih_l0=b)))
    refused(at, before, "inf.npz", "bias_ih_l0", "NaN or infinite")


def test_json_with_nan_token(at):
    before = lab_of(at)
    text = io.to_json_bytes(before.lstm).decode().replace("[[", "[[NaN,", 1)
    upload(at, "wp_weights_file_lstm", "nan.json", text.encode())
    refused(at, before, "nan.json", "non-finite number (NaN)")


def test_json_number_beyond_float64(at):
    before = lab_of(at)
    text = io.to_json_bytes(before.lstm).decode().replace("[[", "[[1e999,", 1)
    upload(at, "wp_weights_file_lstm", "overflow.json", text.encode())
    refused(at, before, "overflow.json", "non-finite number (1e999)")



def test_json_weights_of_1e308(at):
    before = lab_of(at)
    big = LSTMParams(*(np.full_like(getattr(before.lstm, k), 1e308)
                       for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))
    upload(at, "wp_weights_file_lstm", "huge.json", io.to_json_bytes(big))
    refused(at, before, "huge.json", "weight_ih_l0", "larger than 1e+06", "within ±1e+06")


def test_weight_table_cell_of_1e308_is_refused(at):
    before = lab_of(at)
    key = next(e.key for e in at.data_editor if e.key.startswith("wp_lstm_") and e.key.endswith("_f_weight_hh"))
    at.session_state[key] = {"edited_rows": {0: {"h1": "1e308"}}, "added_rows": [], "deleted_rows": []}
    run(at, "edit a cell")
    at.button(key="wp_apply_weights").click()
    run(at, "apply")
    assert not at.exception, [e.message for e in at.exception]
    assert any("W_hf table: row unit = 1, column h1 is 1e+308" in e and "within ±1e+06" in e
               and e.endswith("The previous weights are kept.") for e in errors(at)), errors(at)
    assert same_lab(lab_of(at), before) and not lab_of(at).edited_weights
    still_works(at)


# ---- weight files: broken, empty, pickled, oversized ---------------------------------------------------------------


def test_empty_npz(at):
    before = lab_of(at)
    upload(at, "wp_weights_file_lstm", "empty.npz", b"")
    refused(at, before, "empty.npz", "empty (0 bytes)")


def test_truncated_npz(at):
    before = lab_of(at)
    data = io.to_npz_bytes(before.lstm)
    upload(at, "wp_weights_file_lstm", "cut.npz", data[: len(data) // 2])
    message = refused(at, before, "cut.npz", "not a valid .npz file")
    assert "zip" in message


class _Tripwire:
    """Pickled into an object array; unpickling it calls ``_tripped`` (what a malicious .npz would run)."""

    def __reduce__(self):
        return (_tripped, ("the .npz was unpickled",))


TRIPPED: list[str] = []


def _tripped(what: str) -> str:
    TRIPPED.append(what)
    return what


def _pickled_npz(params) -> bytes:
    sd = state_dict(params)
    sd["weight_ih_l0"] = np.array([_Tripwire()], dtype=object)
    return npz_bytes(sd)


def test_the_tripwire_fires_when_unpickled():
    """The control for the next test: loading the same file WITH pickle does run the payload."""
    TRIPPED.clear()
    lstm = PRESETS["default"].build(D=D, H=H, T=4).lstm
    with np.load(_io.BytesIO(_pickled_npz(lstm)), allow_pickle=True) as archive:
        archive["weight_ih_l0"]
    assert TRIPPED == ["the .npz was unpickled"]
    TRIPPED.clear()


def test_npz_holding_a_pickled_object_array_is_refused_and_never_unpickled(at):
    before = lab_of(at)
    TRIPPED.clear()
    upload(at, "wp_weights_file_lstm", "pickled.npz", _pickled_npz(before.lstm))
    refused(at, before, "pickled.npz", "weight_ih_l0 holds Python objects", "never loaded")
    assert TRIPPED == [], "the upload was unpickled"


def test_npz_that_unpacks_beyond_the_limit(at):
    """A zip bomb: 24 MB of zeros compressed to ~25 kB."""
    before = lab_of(at)
    data = npz_bytes(state_dict(before.lstm, weight_ih_l0=np.zeros((3000, 1000))), compressed=True)
    assert len(data) < 100_000
    upload(at, "wp_weights_file_lstm", "bomb.npz", data)
    refused(at, before, "bomb.npz", "unpack to 24,", "more than the 16,777,216-byte limit")


def test_weights_file_over_the_upload_cap(at):
    """One byte more than the browser lets through (5 MB = 5,000,000 bytes); Streamlit's server takes up to 5 MiB."""
    before = lab_of(at)
    data = io.to_npz_bytes(before.lstm)
    data += b"\0" * (io.MAX_UPLOAD_BYTES + 1 - len(data))
    upload(at, "wp_weights_file_lstm", "over.npz", data)
    refused(at, before, "over.npz", "5,000,001 bytes, larger than the 5,000,000-byte (5 MB) limit")


# ---- weight files: JSON keys, types, encoding ----------------------------------------------------------------------


def test_json_with_wrong_keys(at):
    before = lab_of(at)
    sd = {k.removesuffix("_l0"): v.tolist() for k, v in state_dict(before.lstm).items()}  # weight_ih, … (no _l0)
    upload(at, "wp_weights_file_lstm", "keys.json", json_bytes(sd))
    refused(at, before, "keys.json", "missing weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0",
            "unexpected 'bias_hh'", "Expected exactly the keys")


def test_json_with_text_in_a_weight(at):
    before = lab_of(at)
    sd = {k: v.tolist() for k, v in state_dict(before.rnn).items()}
    sd["weight_hh_l0"][1][2] = "0.5"
    upload(at, "wp_weights_file_rnn", "text.json", json_bytes(sd))
    refused(at, before, "text.json", "weight_hh_l0: row 1, column 2 is text ('0.5'), needs a number")


def test_json_with_a_list_at_the_top(at):
    before = lab_of(at)
    upload(at, "wp_weights_file_lstm", "list.json", json_bytes([before.lstm.weight_ih.tolist()]))
    refused(at, before, "list.json", "got a list at the top level", "weight_ih_l0")


def test_json_that_is_not_utf8(at):
    before = lab_of(at)
    data = '{"weight_ih_l0": [[0.5]], "café": 1}'.encode("latin-1")
    upload(at, "wp_weights_file_lstm", "latin1.json", data)
    refused(at, before, "latin1.json", "not UTF-8 text", "0xe9")


# ---- input CSV -----------------------------------------------------------------------------------------------------


def _csv(rows: list[str]) -> bytes:
    return ("step,x1,x2\n" + "\n".join(rows) + "\n").encode()


def test_csv_with_a_text_cell(at):
    before = lab_of(at)
    upload(at, "wp_inputs_file", "text.csv", _csv(["1,0.5,0.25", "2,abc,0.5", "3,1,1"]))
    refused(at, before, "text.csv", "row 2, column 'x1' is text ('abc'), needs a number", kept="inputs")


def test_csv_with_nan_and_inf(at):
    before = lab_of(at)
    upload(at, "wp_inputs_file", "nan.csv", _csv(["1,0.5,inf", "2,nan,0.5"]))
    refused(at, before, "nan.csv", "non-finite", kept="inputs")


def test_csv_that_is_not_utf8(at):
    before = lab_of(at)
    data = "step,x1,x2\n1,0.5,0.25\n2,0.5,0.25 # été\n".encode("latin-1")
    upload(at, "wp_inputs_file", "latin1.csv", data)
    refused(at, before, "latin1.csv", "not UTF-8 text", kept="inputs")


def test_csv_with_1e308(at):
    before = lab_of(at)
    upload(at, "wp_inputs_file", "huge.csv", _csv([f"{t},1e308,-1e308" for t in range(1, 7)]))
    refused(at, before, "huge.csv", "row 1, column x1 is 1e+308", "within ±1e+06", kept="inputs")


# ---- hostile files through the page (lstm_core/io's own bounds: tests/unit/test_hostile_uploads.py) ----------------


MARKDOWN_NAME = "[x](http://127.0.0.1:9/)![i](http://127.0.0.1:9/i.png).csv"


def markdown_free(value: str) -> bool:
    """True when a message's Markdown source has no live link, image, colour or formula (each needs one of these
    character pairs unescaped) and no bare URL that GFM would link (it finds those after escapes are resolved, so a
    scheme's ':', an '@' and 'www.' must carry the invisible WORD JOINER)."""
    return not re.search(r"(?<!\\)(\]\(|!\[|:[a-z]+\[|\$)|(https?|mailto)\\?:(?!\u2060)|www\\?\.|@(?!\u2060)", value)


def test_markdown_check_catches_a_live_link():
    for live in (f"Loaded {MARKDOWN_NAME}", "see http://a.b", ":red[x]", "$x$", r"http\://a\.b", r"www\.a\.b",
                 r"a\@b\.c"):
        assert not markdown_free(live), live
    assert markdown_free("Loaded \\[x\\]\\(http\\:\u2060\\/\\/127\\.0\\.0\\.1\\) www\u2060\\. a\\@\u2060b")


def test_a_file_name_with_markdown_is_shown_as_text(at):
    """The name lands in st.success (a good file) and st.error (a bad one): shown as its characters, cut to 60."""
    x = np.linspace(-1, 1, 2 * D * 3).reshape(-1, D)
    upload(at, "wp_inputs_file", MARKDOWN_NAME, io.inputs_to_csv_bytes(x))
    success = [s.value for s in at.success if "Loaded" in plain(s.value)]
    assert success and all(markdown_free(v) for v in success), success
    assert plain(success[0]).startswith(f"Loaded {MARKDOWN_NAME}: {len(x)} steps"), plain(success[0])
    before = lab_of(at)
    long_name = MARKDOWN_NAME[:-4] * 5 + ".csv"
    upload(at, "wp_inputs_file", long_name, b"step,x1,x2\n1,[y](http://127.0.0.1:9/),2\n")
    bad = [e.value for e in at.error]
    assert bad and all(markdown_free(v) for v in bad), bad
    assert plain(bad[0]).startswith(f"Could not load {long_name[:59]}…: row 1, column 'x1' is text ('[y]"), bad
    assert same_lab(lab_of(at), before)


@pytest.mark.parametrize("name", list(hostile.CASES))
def test_hostile_file_through_the_page_is_refused_with_a_short_inert_message(at, name):
    reader, build, reason = hostile.CASES[name]
    before = lab_of(at)
    key = "wp_inputs_file" if reader == "csv" else "wp_weights_file_lstm"
    upload(at, key, "h." + reader.rsplit(".", 1)[-1], build())
    assert not at.exception, [e.message for e in at.exception]
    shown = [e.value for e in at.error]
    assert len(shown) == 1 and reason in plain(shown[0]), shown
    assert len(plain(shown[0])) <= 600 and markdown_free(shown[0])
    assert same_lab(lab_of(at), before)


def test_a_rerun_stays_quick_while_another_session_parses_the_worst_allowed_files():
    """Sessions share one server process (and Python's GIL). While another session keeps parsing the slowest files
    the upload readers still read to the end (a 2000 × 8 CSV of 64-character numbers and a 4 MB JSON state_dict),
    the cell page's rerun in this session stays under 1 s. Baseline and loaded reruns come from the same run, so a
    slow shared machine moves both (the bound is then relative: at most 3× the baseline's median)."""
    worst = [(r, build()) for r, build in (hostile.ALLOWED[n][::1] for n in hostile.ALLOWED) if r != "csv core"]
    assert {r for r, _ in worst} == {"csv D=8", "w.json"}
    b = open_page(page_file("cell"))

    def reruns(n: int) -> list[float]:
        times = []
        for step in range(n):
            b.slider(key="t").set_value(1 + step % 4)  # a real change: the page redraws its step
            t0 = time.perf_counter()
            run(b, "rerun")
            times.append(time.perf_counter() - t0)
        return times

    reruns(2)  # warm caches
    base = statistics.median(reruns(7))
    stop, parsed = threading.Event(), [0]

    def other_session():
        while not stop.is_set():
            for reader, data in worst:
                try:
                    hostile.read(reader, data)
                except ValueError:
                    pass
                parsed[0] += 1

    thread = threading.Thread(target=other_session, daemon=True)
    thread.start()
    try:
        while parsed[0] == 0:  # the other session is in its parsing loop
            time.sleep(0.01)
        before = parsed[0]
        loaded = reruns(7)
        during = parsed[0] - before
        alive = thread.is_alive()
    finally:
        stop.set()
        thread.join(timeout=30)
    busy = statistics.median(loaded)
    print(f"\n[hostile] cell-page rerun: median {base * 1000:.0f} ms alone, {busy * 1000:.0f} ms (max "
          f"{max(loaded) * 1000:.0f} ms) while another thread parsed {during} worst-case files")
    assert alive and during >= 2, "the other session kept parsing while this one reran"
    assert busy < max(1.0, 3 * base), (base, loaded)


# ---- URL parameters ------------------------------------------------------------------------------------------------


def open_link(query: dict) -> AppTest:
    return open_page(page_file("cell"), query)


def notes(at: AppTest) -> str:
    return " ".join(w.value for w in at.sidebar.warning)


def link_still_works(at: AppTest) -> None:
    """The app works after a bad link: the view matches the settings and the step slider moves."""
    ss = at.session_state
    lab = lab_of(at)
    assert lab.x.shape == (ss["T"], ss["D"]) and lab.lstm.hidden_size == ss["H"]
    if ss["T"] > 1:
        at.slider(key="t").set_value(2)
        run(at, "move the step")
        assert not at.exception and ss["t"] == 2
    assert not chart_problems(at)


@pytest.mark.parametrize(
    "query, key, value, fragment",
    [
        ({"T": "10000000"}, "T", 2000, "`T=10000000` is outside 1–2000; using 2000"),
        ({"H": "0"}, "H", 1, "`H=0` is outside 1–64; using 1"),
        ({"H": "-3"}, "H", 1, "`H=-3` is outside 1–64; using 1"),
        ({"preset": "lstm_of_doom"}, "preset", "default", "`preset=lstm_of_doom` is not known; valid values: default"),
        ({"seed": "twelve"}, "seed", 0, "`seed=twelve` is not a number"),
        ({"D": "2.5"}, "D", 2, "`D=2.5` must be a whole number; using 2"),
        ({"T": "30", "t": "1e308"}, "t", 30, "outside 1–2000"),
        ({"fb_on": "1", "fb": "NaN"}, "fb", 1.0, "`fb=NaN` is not a number"),
    ],
    ids=["T=10000000", "H=0", "H=-3", "unknown-preset", "seed-not-a-number", "D-not-whole", "t=1e308", "fb=NaN"],
)
def test_bad_url_value_is_brought_into_range_with_a_note(query, key, value, fragment):
    at = open_link(query)
    assert at.session_state[key] == value
    assert fragment in notes(at), notes(at)
    link_still_works(at)


def _outside_code_spans(markdown: str) -> str:
    """``markdown`` with its inline code spans removed (CommonMark: a run of n backticks up to the next run of n)."""
    out, i = [], 0
    while i < len(markdown):
        if markdown[i] == "`":
            n = len(markdown[i:]) - len(markdown[i:].lstrip("`"))
            close = re.compile(r"(?<!`)" + "`" * n + r"(?!`)").search(markdown, i + n)
            if close:
                i = close.end()
                continue
            out.append(markdown[i:i + n])
            i += n
            continue
        out.append(markdown[i])
        i += 1
    return "".join(out)


def test_code_span_helper():
    assert _outside_code_spans("a `b` c ``d`e`` f") == "a  c  f"
    assert "[x](y)" in _outside_code_spans("`p=`[x](y)``")


INJECTION = "x`[Click here to log in](https://evil.example)`"


@pytest.mark.parametrize("key", ["preset", "input", "lesson", "present"])
def test_url_value_cannot_inject_markdown_into_the_note(key):
    at = open_link({key: INJECTION})
    text = " ".join(w.value for w in at.warning)  # sidebar notes, or the main area's in presenter mode
    assert f"`{key}=" in text and "Click here" in text, f"a note quotes the value: {text!r}"
    assert "](https://evil" not in _outside_code_spans(text), text
    link_still_works(at)


# ---- classroom settings --------------------------------------------------------------------------------------------


def _config() -> dict:
    with open(ROOT / ".streamlit" / "config.toml", "rb") as f:
        return tomllib.load(f)


def test_config_hides_error_details_from_students():
    value = _config()["client"]["showErrorDetails"]
    assert value == "none"
    assert value in {o.value for o in st_config.ShowErrorDetailsConfigOptions}  # a value Streamlit 1.67 knows


def test_an_uncaught_error_shows_no_stack_trace_but_tests_still_see_it():
    """With the project's config loaded (AppTest reads .streamlit/config.toml of the working directory, the
    repository root under pytest), an uncaught exception still reaches ``at.exception`` (tests fail on it), but its
    element carries no stack trace, no type and not the message: only Streamlit's generic text."""
    assert st_config.get_option("client.showErrorDetails") == "none", "pytest runs from the repository root"
    at = AppTest.from_string("raise ValueError('secret detail at /work/main/lstm_core')", default_timeout=30)
    at.run()
    assert len(at.exception) == 1, "tests still see the exception"
    element = at.exception[0]
    assert not list(element.stack_trace)
    assert "secret" not in element.message and "/work/main" not in element.message
    assert element.proto.type == ""


def test_upload_cap_in_config_matches_the_core_and_the_uploaders(at):
    """One number: .streamlit/config.toml's server.maxUploadSize (MB; the browser refuses files over that many ×
    1,000,000 bytes), lstm_core.io's cap, what every uploader on the page enforces and what its help says."""
    cap_mb = _config()["server"]["maxUploadSize"]
    assert 1 <= cap_mb <= 5, "a few MB"
    assert io.MAX_UPLOAD_MB == cap_mb and io.MAX_UPLOAD_BYTES == cap_mb * 1_000_000
    uploaders = list(at.file_uploader)
    assert len(uploaders) == 3
    for u in uploaders:
        assert u.proto.max_upload_size_mb == cap_mb
        assert f"Up to {cap_mb} MB ({cap_mb * 1_000_000:,} bytes)" in u.proto.help


def _sources() -> list[Path]:
    files = [ROOT / "app.py"]
    for d in ("app_pages", "ui", "charts", "lstm_core"):
        found = sorted((ROOT / d).rglob("*.py"))
        assert found, f"no sources in {d}/: the scan would pass on nothing"
        files += found
    return files


def _static_text(node: ast.AST, constants: set[str]) -> bool:
    """True when ``node`` can only be fixed text: a string literal, a module-level name bound to one, and ``+`` or
    ``a if cond else b`` of those (no f-strings, no calls, no function arguments)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, ast.Name):
        return node.id in constants
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _static_text(node.left, constants) and _static_text(node.right, constants)
    if isinstance(node, ast.IfExp):
        return _static_text(node.body, constants) and _static_text(node.orelse, constants)
    return False


# Builders of HTML that pass every character of the user's text through html.escape (the text lab's coloured text,
# Karpathy's view; tests/unit/test_chart_text.py feeds them hostile text): st.html of their result is allowed.
ESCAPING_BUILDERS = {"karpathy_html", "connectivity_html"}


def _escaped(node: ast.AST) -> bool:
    """A call of one of ESCAPING_BUILDERS (as a name or an attribute, e.g. tx.karpathy_html(...))."""
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    return (f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")) in ESCAPING_BUILDERS


def _html_problems(source: str, where: str) -> tuple[list[str], list[str]]:
    """(problems, uses of html()) in one module's source."""
    tree = ast.parse(source)
    constants = {t.id for stmt in tree.body if isinstance(stmt, ast.Assign)
                 and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)
                 for t in stmt.targets if isinstance(t, ast.Name)}
    problems, uses = [], []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        line = f"{where}:{node.lineno}"
        for kw in node.keywords:
            if kw.arg == "unsafe_allow_html" and not (isinstance(kw.value, ast.Constant) and not kw.value.value):
                problems.append(f"{line} unsafe_allow_html")
        func = node.func
        if (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")) == "html":
            uses.append(line)
            body = [*node.args, *(k.value for k in node.keywords if k.arg == "body")]
            if not all(_static_text(a, constants) or _escaped(a) for a in body):
                problems.append(f"{line} html() of text that is not fixed")
    return problems, uses


def test_html_check_catches_user_content():
    bad = ("import streamlit as st\nCSS = '<style></style>'\nname = st.text_input('n')\n"
           "st.html(f'<b>{name}</b>')\nst.html(CSS + name)\nst.markdown(name, unsafe_allow_html=True)\n"
           "st.html(CSS + ('' if name else CSS))\n")
    problems, uses = _html_problems(bad, "x.py")
    assert problems == ["x.py:4 html() of text that is not fixed", "x.py:5 html() of text that is not fixed",
                        "x.py:6 unsafe_allow_html"]
    assert len(uses) == 3
    escaped = "import streamlit as st\nst.html(tx.karpathy_html(r, m))\nst.html(tx.karpathy_html(r) + name)\n"
    assert _html_problems(escaped, "y.py")[0] == ["y.py:3 html() of text that is not fixed"]


def test_no_unsafe_html_with_user_content():
    """No ``unsafe_allow_html=True`` anywhere in the app; ``st.html`` / ``components.html`` only with fixed text
    (static CSS: app.py's padding, ui/presenter.py's panel and projector CSS) or the result of a builder that escapes
    every character (ESCAPING_BUILDERS: the text lab's coloured text), never with anything else computed or typed in."""
    problems, uses = [], []
    for path in _sources():
        p, u = _html_problems(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
        problems += p
        uses += u
    assert not problems, problems
    assert any(u.startswith("app.py:") for u in uses), "the check sees app.py's st.html (static CSS)"
