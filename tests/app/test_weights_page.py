"""AppTest of the "Inputs and weights" page: edit → apply → every page's lab follows; bad cells and files are
refused with an error and the previous inputs / weights kept; knobs; uploads and downloads.

Cell edits are driven the way AppTest supports for a keyed st.data_editor: assign its edit state
(edited_rows / added_rows / deleted_rows) on ``at.session_state`` before ``run()``. Uploads use
``at.file_uploader[…].upload(name, bytes, mime)`` with real bytes written by ``lstm_core.io``.
"""

from __future__ import annotations


import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lstm_core import io
from lstm_core.params import LSTMParams, RNNParams, forget_bias_of, params_equal
from tests.helpers import lab_of, mirror, open_app, page_file, plain
from ui.tables import cell_text

PAGE = page_file("weights")


@pytest.fixture
def at() -> AppTest:
    return open_app(PAGE)


def editor_key(at: AppTest, prefix: str) -> str:
    """The key of the data_editor whose key starts with ``prefix`` (keys carry a fingerprint of their data)."""
    keys = [e.key for e in at.data_editor if e.key and e.key.startswith(prefix)]
    assert len(keys) == 1, (prefix, [e.key for e in at.data_editor])
    return keys[0]


def block_key(at: AppTest, model: str, suffix: str) -> str:
    """The key of a weight table: wp_<model>_<fingerprint>_[<gate>_]<weight_ih|weight_hh|bias>."""
    keys = [e.key for e in at.data_editor if e.key.startswith(f"wp_{model}_") and e.key.endswith(f"_{suffix}")]
    assert len(keys) == 1, (model, suffix, keys)
    return keys[0]


def shown(matrix) -> list[list[str]]:
    """What a table shows for ``matrix``: each value as text, 6 significant digits."""
    return [[cell_text(v) for v in row] for row in np.asarray(matrix)]


def edit(at: AppTest, key: str, rows: dict) -> None:
    at.session_state[key] = {"edited_rows": rows, "added_rows": [], "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception


def texts(at: AppTest, kind: str) -> list[str]:
    return [plain(e.value) for e in at.get(kind)]


def uploader(at: AppTest, key: str):
    return next(u for u in at.file_uploader if u.key == key)


# ---- the page renders ----------------------------------------------------------------------------------------------


def test_page_renders_tables_charts_and_downloads(at):
    x = lab_of(at).x
    T, D = x.shape
    H = lab_of(at).lstm.hidden_size
    inputs = at.data_editor[0]
    assert inputs.key.startswith("wp_inputs_")
    assert inputs.editing_mode == "fixed"
    assert list(inputs.value.columns) == [f"x{j + 1}" for j in range(D)]
    assert list(inputs.value.index) == list(range(1, T + 1))
    assert inputs.value.to_numpy().tolist() == shown(x)
    # LSTM: 4 gates × (weight_ih, weight_hh, bias) tables
    assert len([e for e in at.data_editor if e.key.startswith("wp_lstm_")]) == 12
    f_hh = next(e for e in at.data_editor if e.key.startswith("wp_lstm_") and e.key.endswith("_f_weight_hh"))
    assert f_hh.value.to_numpy().tolist() == shown(lab_of(at).lstm.gate_block("weight_hh", "f"))
    assert list(f_hh.value.columns) == [f"h{j + 1}" for j in range(H)]
    bias = next(e for e in at.data_editor if e.key.endswith("_i_bias"))
    assert list(bias.value.columns) == ["b_ih", "b_hh", "b_ih + b_hh"]
    assert len(at.get("plotly_chart")) == 1 + 12  # input lines, 12 block heatmaps (the overview is closed)
    assert not at.error
    assert {"Input sequence x", "Weights", "Save and load weights"} <= set(texts(at, "subheader"))
    labels = [d.proto.label for d in at.get("download_button")]
    assert any(".npz" in s for s in labels) and any(".json" in s for s in labels) and any("CSV" in s for s in labels)


def test_overview_heatmaps_when_open(at):
    at.session_state["wp_overview"] = True
    at.run()
    assert not at.exception, at.exception
    for model in ("lstm", "rnn"):
        at.segmented_control(key="wp_model").set_value(model).run()
        assert not at.exception, at.exception
        keys = [c.proto.id for c in at.get("plotly_chart")]
        assert any("wp_overview_ih" in k for k in keys) and any("wp_overview_hh" in k for k in keys), keys


def test_rnn_tables(at):
    at.segmented_control(key="wp_model").set_value("rnn").run()
    assert not at.exception
    keys = [e.key for e in at.data_editor if e.key.startswith("wp_rnn_")]
    assert len(keys) == 3
    ih = next(e for e in at.data_editor if e.key.startswith("wp_rnn_") and e.key.endswith("_weight_ih"))
    assert ih.value.to_numpy().tolist() == shown(lab_of(at).rnn.weight_ih)


# ---- inputs --------------------------------------------------------------------------------------------------------


def test_apply_edited_inputs(at):
    before = lab_of(at).x.copy()
    assert at.button(key="wp_apply_inputs").disabled
    edit(at, editor_key(at, "wp_inputs_"), {0: {"x1": "0.75"}, 2: {"x1": "-1.5"}})
    assert not at.button(key="wp_apply_inputs").disabled
    assert any("2 cell(s) changed" in c for c in texts(at, "caption"))
    assert not lab_of(at).edited_inputs  # nothing applied yet
    at.button(key="wp_apply_inputs").click().run()
    assert not at.exception, at.exception
    new = lab_of(at)
    assert new.edited_inputs
    expected = before.copy()
    expected[0, 0], expected[2, 0] = 0.75, -1.5
    np.testing.assert_array_equal(new.x, expected)
    assert any("Applied your edits" in s for s in texts(at, "success"))
    # the table now shows the applied inputs under a new key, with nothing pending
    assert at.data_editor[0].value.to_numpy().tolist() == shown(expected)
    assert at.button(key="wp_apply_inputs").disabled
    # reset back to the generated sequence
    at.button(key="wp_reset_inputs").click().run()
    assert not lab_of(at).edited_inputs
    np.testing.assert_array_equal(lab_of(at).x, before)


def test_cleared_input_cell_is_an_error_and_keeps_inputs(at):
    before = lab_of(at).x.copy()
    edit(at, editor_key(at, "wp_inputs_"), {1: {"x1": None}})
    at.button(key="wp_apply_inputs").click().run()
    assert not at.exception
    errors = texts(at, "error")
    assert any("row t = 2, column x1 is empty" in e and "previous inputs are kept" in e for e in errors), errors
    assert not lab_of(at).edited_inputs
    np.testing.assert_array_equal(lab_of(at).x, before)


def test_upload_inputs_csv_with_new_length_moves_T(at):
    D = lab_of(at).x.shape[1]
    x = np.linspace(-1, 1, 37 * D).reshape(37, D)
    uploader(at, "wp_inputs_file").upload("mine.csv", io.inputs_to_csv_bytes(x), "text/csv")
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["T"] == 37 and mirror(at, "number_input", "T_box").value == 37
    assert lab_of(at).edited_inputs and lab_of(at).T == 37
    np.testing.assert_array_equal(lab_of(at).x, x)
    assert at.slider(key="T").value == 37
    assert not texts(at, "warning")  # no "settings would discard your edits" question: the app follows the upload
    assert any("Loaded mine.csv: 37 steps" in s for s in texts(at, "success"))


@pytest.mark.parametrize(
    "content_of, fragment",
    [
        (lambda D: ("step," + ",".join(f"x{j}" for j in range(D)) + "\n1" + ",0.5" * D + "\n2" + ",oops" * D + "\n")
         .encode(), "row 2, column 'x0' is text"),
        (lambda D: b"", "empty"),
        (lambda D: ("step," + ",".join(f"c{j}" for j in range(D + 1)) + "\n1" + ",0" * (D + 1) + "\n").encode(),
         "input column(s)"),
    ],
    ids=["text-cell", "empty-file", "wrong-D"],
)
def test_bad_inputs_csv_is_refused(at, content_of, fragment):
    before = lab_of(at).x.copy()
    T = at.session_state["T"]
    uploader(at, "wp_inputs_file").upload("bad.csv", content_of(before.shape[1]), "text/csv")
    at.run()
    assert not at.exception, at.exception
    errors = texts(at, "error")
    assert any(e.startswith("Could not load bad.csv") and fragment in e and "previous inputs are kept" in e
               for e in errors), errors
    np.testing.assert_array_equal(lab_of(at).x, before)
    assert at.session_state["T"] == T and not lab_of(at).edited_inputs


def test_inputs_csv_longer_than_the_app_allows_is_refused(at):
    D = lab_of(at).x.shape[1]
    uploader(at, "wp_inputs_file").upload("long.csv", io.inputs_to_csv_bytes(np.zeros((2001, D))), "text/csv")
    at.run()
    assert any("2001 rows, more than the 2000-step limit" in e for e in texts(at, "error")), texts(at, "error")
    assert not lab_of(at).edited_inputs


def test_long_sequence_gets_a_note_and_a_scrolling_table(at):
    at.slider(key="T").set_value(600).run()
    assert not at.exception, at.exception
    assert any("600 rows: the table scrolls" in c for c in texts(at, "caption"))
    table = at.data_editor[0]
    assert len(table.value) == 600 and table.editing_mode == "fixed"


def test_generator_pills_choose_the_shared_input(at):
    pills = mirror(at, "button_group", "wp_input_pick")
    assert pills.value == at.session_state["input"]
    other = next(o for o in ("sine", "random", "step", "ramp") if o != at.session_state["input"])
    pills.set_value(other).run()
    assert not at.exception, at.exception
    assert at.session_state["input"] == other
    assert at.selectbox(key="input").value == other  # the sidebar follows
    # after editing the inputs, choosing another sequence asks before discarding them
    edit(at, editor_key(at, "wp_inputs_"), {0: {"x1": "9"}})
    at.button(key="wp_apply_inputs").click().run()
    edited = lab_of(at).x.copy()
    mirror(at, "button_group", "wp_input_pick").set_value("ramp" if other != "ramp" else "step").run()
    assert any("rebuilds your edited inputs" in w for w in texts(at, "warning"))
    np.testing.assert_array_equal(lab_of(at).x, edited)


# ---- weights -------------------------------------------------------------------------------------------------------


def test_apply_weight_edits_lstm(at):
    old: LSTMParams = lab_of(at).lstm
    H = old.hidden_size
    edit(at, block_key(at, "lstm", "f_weight_hh"), {0: {"h1": "0.5"}})
    edit(at, block_key(at, "lstm", "g_bias"), {H - 1: {"b_hh": "-2"}})  # a second table: both edits count
    assert not at.button(key="wp_apply_weights").disabled
    at.button(key="wp_apply_weights").click().run()
    assert not at.exception, at.exception
    new: LSTMParams = lab_of(at).lstm
    assert lab_of(at).edited_weights
    w_hh, b_hh = old.weight_hh.copy(), old.bias_hh.copy()
    w_hh[H + 0, 0] = 0.5  # f block, unit 1, column h1
    b_hh[2 * H + H - 1] = -2.0  # g block, last unit
    np.testing.assert_array_equal(new.weight_hh, w_hh)
    np.testing.assert_array_equal(new.bias_hh, b_hh)
    np.testing.assert_array_equal(new.weight_ih, old.weight_ih)
    np.testing.assert_array_equal(new.bias_ih, old.bias_ih)
    assert params_equal(lab_of(at).rnn, lab_of(at).rnn)
    assert any("Applied your edits" in s for s in texts(at, "success"))
    # reset to the seed's initialisation
    at.button(key="wp_reset_weights").click().run()
    assert not lab_of(at).edited_weights and params_equal(lab_of(at).lstm, old)


def test_apply_weight_edits_rnn(at):
    at.segmented_control(key="wp_model").set_value("rnn").run()
    old_lstm, old = lab_of(at).lstm, lab_of(at).rnn
    edit(at, block_key(at, "rnn", "weight_ih"), {0: {"x1": "1.25"}})
    at.button(key="wp_apply_weights").click().run()
    assert not at.exception, at.exception
    w = old.weight_ih.copy()
    w[0, 0] = 1.25
    np.testing.assert_array_equal(lab_of(at).rnn.weight_ih, w)
    assert params_equal(lab_of(at).lstm, old_lstm)


TYPED = {  # what a person types -> the weight stored (exactly): any notation Python's float() reads
    "1e-3": 0.001, "-2.5E+4": -25000.0, ".5": 0.5, "2.5e-4": 0.00025, "1e+06": 1e6, " 7 ": 7.0, "1_000": 1000.0,
    "-0.0000001": -1e-7, "3.141592653589793238462643383279": 3.141592653589793,
}


def test_typed_notations_are_stored_exactly(at):
    """Streamlit's number-cell editor saved 1e-3 as −13: the tables are text, read with float(), and every cell
    that was not typed into keeps its exact value (the table shows only 6 digits)."""
    old: LSTMParams = lab_of(at).lstm
    H, D = old.hidden_size, old.input_size
    cells = [(r, c) for r in range(H) for c in range(D)][: len(TYPED)]
    assert len(cells) == min(len(TYPED), H * D)
    edit(at, block_key(at, "lstm", "i_weight_ih"),
         {r: {f"x{c + 1}": text for (rr, c), text in zip(cells, TYPED) if rr == r} for r, _ in cells})
    at.button(key="wp_apply_weights").click().run()
    assert not at.exception and not at.error, texts(at, "error")
    w = old.weight_ih.copy()
    for (r, c), value in zip(cells, TYPED.values()):
        w[r, c] = value  # the i gate's rows come first
    assert np.array_equal(lab_of(at).lstm.weight_ih, w), "typed cells exact, all others untouched to the last bit"
    assert np.array_equal(lab_of(at).lstm.weight_hh, old.weight_hh)


@pytest.mark.parametrize(
    "typed, fragment",
    [
        ("1e-3x", "is text ('1e-3x')"), ("1,5", "is text ('1,5')"), ("0x10", "is text ('0x10')"),
        ("--1", "is text ('--1')"), ("", "is empty"), ("nan", "is nan (non-finite)"), ("-inf", "is -inf (non-finite)"),
        ("1e400", "is 1e400 (non-finite)"), ("2e6", "is 2e+06, larger than 1e+06 in size"),
        ("1" * 65, "has 65 characters"), ("[x](http://127.0.0.1:9/)", "is text ('[x](http://127.0.0.…')"),
    ],
)
def test_anything_else_typed_is_refused_naming_the_cell(at, typed, fragment):
    old = lab_of(at).lstm
    edit(at, block_key(at, "lstm", "g_weight_hh"), {1: {"h2": typed}})
    at.button(key="wp_apply_weights").click().run()
    assert not at.exception
    errors = texts(at, "error")
    assert any(f"W_hg table: row unit = 2, column h2 {fragment}" in e and "(1 cell(s) to fix)" in e
               and e.endswith("The previous weights are kept.") for e in errors), errors
    assert not any("](" in e.value for e in at.error), "the typed text is shown inert: no Markdown link"
    assert not lab_of(at).edited_weights and params_equal(lab_of(at).lstm, old)


def test_invalid_weight_cell_is_an_error_and_keeps_weights(at):
    old = lab_of(at).lstm
    edit(at, block_key(at, "lstm", "o_weight_ih"), {0: {"x1": None}})
    at.button(key="wp_apply_weights").click().run()
    assert not at.exception
    errors = texts(at, "error")
    assert any("W_io table: row unit = 1, column x1 is empty" in e and "previous weights are kept" in e
               for e in errors), errors
    assert not lab_of(at).edited_weights and params_equal(lab_of(at).lstm, old)


def test_discard_table_edits(at):
    old = lab_of(at).lstm
    key = block_key(at, "lstm", "f_weight_hh")
    edit(at, key, {0: {"h1": None}})
    assert not at.button(key="wp_discard_weights").disabled
    at.button(key="wp_discard_weights").click().run()
    assert not at.exception
    assert block_key(at, "lstm", "f_weight_hh") != key  # fresh tables, showing the applied weights
    assert at.button(key="wp_apply_weights").disabled and not at.error
    assert params_equal(lab_of(at).lstm, old) and not lab_of(at).edited_weights
    # the same for the inputs table
    x = lab_of(at).x.copy()
    edit(at, editor_key(at, "wp_inputs_"), {0: {"x1": "123"}})
    at.button(key="wp_discard_inputs").click().run()
    assert at.data_editor[0].value.to_numpy().tolist() == shown(x)
    assert at.button(key="wp_apply_inputs").disabled


def test_knobs_change_the_forget_bias(at):
    before = lab_of(at).lstm
    at.toggle(key="fb_on").set_value(True).run()
    at.slider(key="fb").set_value(3.0).run()
    assert not at.exception, at.exception
    np.testing.assert_array_equal(forget_bias_of(lab_of(at).lstm), 3.0)
    at.toggle(key="fb_on").set_value(False).run()
    np.testing.assert_array_equal(forget_bias_of(lab_of(at).lstm), forget_bias_of(before))


def test_knob_after_weight_edit_asks_before_discarding(at):
    edit(at, block_key(at, "lstm", "i_weight_ih"), {0: {"x1": "0.5"}})
    at.button(key="wp_apply_weights").click().run()
    edited = lab_of(at).lstm
    at.toggle(key="fb_on").set_value(True).run()
    assert not at.exception
    assert any("rebuilds your edited weights" in w for w in texts(at, "warning"))
    assert params_equal(lab_of(at).lstm, edited)  # still the user's weights until they decide


# ---- weight files --------------------------------------------------------------------------------------------------


def _shifted(p, by: float):
    return type(p)(p.weight_ih + by, p.weight_hh - by, p.bias_ih, p.bias_hh + by)


@pytest.mark.parametrize("model, ext", [("lstm", "npz"), ("lstm", "json"), ("rnn", "npz"), ("rnn", "json")])
def test_upload_weights(at, model, ext):
    other = "rnn" if model == "lstm" else "lstm"
    target = _shifted(getattr(lab_of(at), model), 0.125)
    other_before = getattr(lab_of(at), other)
    data = io.to_npz_bytes(target) if ext == "npz" else io.to_json_bytes(target)
    uploader(at, f"wp_weights_file_{model}").upload(f"w.{ext}", data, "application/octet-stream")
    at.run()
    assert not at.exception, at.exception
    assert lab_of(at).edited_weights
    assert params_equal(getattr(lab_of(at), model), target)
    assert params_equal(getattr(lab_of(at), other), other_before)
    # the confirmation sits next to the uploader that was used (same column), not at the top of the page
    column = next(c for c in at.columns if any(u.key == f"wp_weights_file_{model}" for u in c.get("file_uploader")))
    assert any(f"Loaded w.{ext}" in plain(s.value) for s in column.get("success"))
    assert sum(f"Loaded w.{ext}" in s for s in texts(at, "success")) == 1
    at.run()  # shown once: gone on the next rerun
    assert not any("Loaded" in s for s in texts(at, "success"))


def test_download_buttons_for_both_models(at):
    keys = {d.key for d in at.get("download_button")}
    assert {"wp_npz_lstm", "wp_json_lstm", "wp_npz_rnn", "wp_json_rnn", "wp_inputs_csv", "weights_csv"} <= keys


@pytest.mark.parametrize(
    "name, content_of, fragment",
    [
        ("wrong_size.npz", lambda p: io.to_npz_bytes(type(p)(np.zeros((4 * 3, p.input_size)), np.zeros((12, 3)),
                                                            np.zeros(12), np.zeros(12))), "the app is set to"),
        ("rnn_as_lstm.json", lambda p: io.to_json_bytes(RNNParams(
            np.zeros((p.hidden_size, p.input_size)), np.zeros((p.hidden_size, p.hidden_size)),
            np.zeros(p.hidden_size), np.zeros(p.hidden_size))), "an LSTM was asked for"),
        ("broken.json", lambda p: b'{"weight_ih_l0": [[1, NaN]]}', "non-finite"),
        ("garbage.npz", lambda p: b"not a zip at all", "not a valid .npz"),
    ],
)
def test_bad_weight_files_are_refused(at, name, content_of, fragment):
    old = lab_of(at).lstm
    if old.hidden_size == 3 and name == "wrong_size.npz":
        pytest.skip("default H is 3; the wrong-size file would match")
    uploader(at, "wp_weights_file_lstm").upload(name, content_of(old), "application/octet-stream")
    at.run()
    assert not at.exception, at.exception
    errors = texts(at, "error")
    assert any(e.startswith(f"Could not load {name}: ") and fragment in e
               and e.endswith("The previous weights are kept.") for e in errors), errors
    assert not lab_of(at).edited_weights and params_equal(lab_of(at).lstm, old)
    # the error stays while the file is in the uploader, and goes when it is removed
    at.run()
    assert any(name in e for e in texts(at, "error"))
    uploader(at, "wp_weights_file_lstm").clear()
    at.run()
    assert not any(name in e for e in texts(at, "error"))
