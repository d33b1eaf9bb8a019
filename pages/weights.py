"""Inputs and weights: see and edit the input sequence and every weight block, turn the knobs, save and load.

Edits are applied explicitly ("Apply …" buttons) and stored through ``ui.state`` (set_inputs / set_weights), so
every page follows them and a later settings change asks before discarding them. Bad cells or files show an error
naming the place and the fix; the previous inputs / weights are kept.
"""

from __future__ import annotations

import ui.preload  # noqa: F401  (first: see ui/preload.py)

from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

from charts.weights import gate_weight_heatmaps, input_lines, weight_heatmap
from lstm_core import io
from lstm_core.params import GATE_NAMES, GATES, LSTMParams, block_symbol, with_block
from ui import figures, state, widgets

ss = st.session_state
MODELS = {"lstm": "LSTM", "rnn": "tanh RNN"}
BIG_T = 500  # above this many steps the inputs table gets a note (it always scrolls)
MATRICES = {  # name -> (label, what a row / a column is)
    "weight_ih": ("input weights, reading x_t", "input channel"),
    "weight_hh": ("recurrent weights, reading h_t−1", "previous hidden unit"),
}

# ---- table plumbing (arrays <-> editable frames, the check of edited cells) ------------------------------------


def _digest(*parts) -> str:
    """Short fingerprint (ui.figures.content_key) of arrays or params: part of an editor's key, so a table resets
    when its data changes elsewhere."""
    return figures.content_key(*parts)[:10]


def _frame(matrix: np.ndarray, *, row_name: str, col_prefix: str, columns=None) -> pd.DataFrame:
    """A 2-D array as a table with 1-based row labels (``row_name`` 1…) and columns ``col_prefix``1…."""
    rows, cols = matrix.shape
    columns = columns or [f"{col_prefix}{j + 1}" for j in range(cols)]
    return pd.DataFrame(matrix, columns=columns, index=pd.RangeIndex(1, rows + 1, name=row_name))


def _table_values(df: pd.DataFrame, columns, *, where: str, row_name: str) -> np.ndarray:
    """The edited table's numbers (rows × columns), or ValueError naming the first empty / non-finite cell."""
    values = df[list(columns)].to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(values)
    bad = ~finite | (np.abs(np.where(finite, values, 0.0)) > io.MAX_ABS_VALUE)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        v = values[r, c]
        what = ("is empty" if np.isnan(v) else f"is {v} (not finite)" if not np.isfinite(v)
                else f"is {v:g}, larger than {io.MAX_ABS_VALUE:g} in size")
        raise ValueError(
            f"{where}: row {row_name} = {r + 1}, column {columns[c]} {what}. Type a number within "
            f"±{io.MAX_ABS_VALUE:g} there ({int(bad.sum())} cell(s) to fix), or press *Discard table edits*."
        )
    return values


def _changed_cells(df: pd.DataFrame, columns, original: np.ndarray) -> int:
    values = df[list(columns)].to_numpy(dtype=float, na_value=np.nan)
    return int(np.count_nonzero(~(values == original)))


def _editor(matrix: np.ndarray, *, key: str, row_name: str, col_prefix: str, columns=None, disabled=(), height=None,
            extra: dict | None = None) -> pd.DataFrame:
    """An editable numeric table of ``matrix``; returns the table as edited (not yet applied)."""
    df = _frame(matrix, row_name=row_name, col_prefix=col_prefix, columns=columns)
    for name, values in (extra or {}).items():
        df[name] = values
    config = {c: st.column_config.NumberColumn(c, format="%.4f", disabled=c in disabled) for c in df.columns}
    return st.data_editor(df, key=key, num_rows="fixed", column_config=config, height=height, width="stretch")


def _discard_table_edits(section: str) -> None:
    """Callback: new editor keys for ``section`` ('inputs' / 'weights'), so its tables show the applied values."""
    ss[f"_wp_{section}_nonce"] = ss.get(f"_wp_{section}_nonce", 0) + 1


def _flash(kind: str, text: str) -> None:
    ss.setdefault("_wp_flash", []).append((kind, text))


def _show_flash(section: str) -> None:
    """Show (once) the messages a callback or an Apply left for ``section`` ('inputs', 'weights', 'upload lstm',
    'upload rnn'), where that section is drawn."""
    for kind, text in [m for m in ss.get("_wp_flash", []) if m[0].startswith(section)]:
        st.success(text, icon=":material/check_circle:")
    ss["_wp_flash"] = [m for m in ss.get("_wp_flash", []) if not m[0].startswith(section)]


# ---- callbacks (run before the script, so they may change the sidebar's keys) -----------------------------------


def _on_inputs_upload() -> None:
    """A CSV of inputs: parse with lstm_core.io; a new length T moves the sidebar's T with it."""
    uploaded = ss.get("wp_inputs_file")
    if uploaded is None:
        return
    lab = state.current()
    D = lab.x.shape[1]
    try:
        x = io.inputs_from_csv_bytes(uploaded.getvalue(), expected_D=D)
        io.check_magnitude(x, ".csv")
        lo, hi = state.LIMITS["T"]
        if not lo <= x.shape[0] <= hi:
            raise ValueError(f"it has {x.shape[0]} rows (time steps); the app shows T = {lo}…{hi} steps")
    except ValueError as exc:
        ss["_wp_inputs_upload_error"] = (uploaded.file_id, _file_error(uploaded.name, exc, "inputs"))
        return
    ss.pop("_wp_inputs_upload_error", None)
    T = x.shape[0]
    if T != ss["T"]:
        ss["T"] = T
    state.set_inputs(x)
    _flash("inputs ok", f"Loaded {uploaded.name}: {T} steps × {D} channel(s). Every page now uses these inputs.")


def _on_weights_upload(model: str) -> None:
    """An .npz / .json state_dict for ``model``: parse with lstm_core.io, sizes must match the app's D and H."""
    uploaded = ss.get(f"wp_weights_file_{model}")
    if uploaded is None:
        return
    lab = state.current()
    current = lab.lstm if model == "lstm" else lab.rnn
    try:
        params = io.load_params(uploaded.getvalue(), uploaded.name, model=model,
                                expected_input_size=current.input_size, expected_hidden_size=current.hidden_size)
        io.check_magnitude(params)
    except ValueError as exc:
        ss["_wp_weights_upload_error"] = (uploaded.file_id, _file_error(uploaded.name, exc, "weights"))
        return
    ss.pop("_wp_weights_upload_error", None)
    state.set_weights(**{model: params})
    # shown under this model's uploader (section 4), where the user is looking, not at the top of the Weights section
    _flash(f"upload {model}", f"Loaded {uploaded.name} into the {MODELS[model]}. Every page now uses these weights.")


def _on_input_pick() -> None:
    """The input pills choose the input, like the sidebar's *Input sequence* (a deselect keeps the choice)."""
    if ss.get("wp_input_pick"):
        ss["input"] = ss["wp_input_pick"]


def _file_error(name: str, exc: ValueError, kept: str) -> str:
    """The message of a refused upload: the file's name, lstm_core.io's reason (without its '.ext: ' prefix)."""
    reason = str(exc)
    for prefix in (".csv: ", ".npz: ", ".json: "):
        reason = reason.removeprefix(prefix)
    return f"Could not load {name}: {reason.rstrip('.')}. The previous {kept} are kept."


def _upload_error(error_key: str, uploader_key: str) -> None:
    """Show an upload's error while the rejected file is still in the uploader."""
    stored = ss.get(error_key)
    uploaded = ss.get(uploader_key)
    if stored and uploaded is not None and uploaded.file_id == stored[0]:
        st.error(stored[1], icon=":material/error:")


# ---- the page -----------------------------------------------------------------------------------------------------

lab = state.current()
T, D = lab.x.shape
H = lab.lstm.hidden_size

st.header("Inputs and weights")
st.caption(
    f"Everything the networks compute from: the input sequence x (T = {T} steps × D = {D} channels) and the weights "
    f"of the LSTM and the tanh RNN (H = {H} units). Edit a table, then press its **Apply** button; every page follows."
)

# ---- 1. inputs ------------------------------------------------------------------------------------------------------

st.subheader("Input sequence x")
_show_flash("inputs")
if lab.edited_inputs:
    st.info("These inputs are your own (edited or uploaded), not the generated sequence.", icon=":material/edit:")


@st.fragment
def inputs_section() -> None:
    lab = state.current()
    T, D = lab.x.shape
    columns = [f"x{j + 1}" for j in range(D)]
    left, right = st.columns([2, 3])
    with left:
        st.markdown(f"**x as a table: {T} rows (steps t) × {D} column(s) (input channels)**")
        if T > BIG_T:
            st.caption(f"{T} rows: the table scrolls. Every cell is still editable; downloading the CSV, editing it "
                       "in a spreadsheet and uploading it back is quicker for big changes.")
        edited = _editor(lab.x, key=f"wp_inputs_{_digest(lab.x)}_{ss.get('_wp_inputs_nonce', 0)}", row_name="t",
                         col_prefix="x", height=min(36 + 35 * T, 390))
        changed = _changed_cells(edited, columns, lab.x)
        b1, b2 = st.columns(2)
        apply = b1.button("Apply edited inputs", type="primary" if changed else "secondary", key="wp_apply_inputs",
                          disabled=not changed, width="stretch",
                          help="Use the table as the input of both networks on every page.")
        b2.button("Discard table edits", key="wp_discard_inputs", disabled=not changed, width="stretch",
                  on_click=_discard_table_edits, args=("inputs",),
                  help="Show the applied inputs again (nothing else changes).")
        if changed:
            st.caption(f"{changed} cell(s) changed in the table, not applied yet.")
        if apply:
            try:
                x = _table_values(edited, columns, where="Input table", row_name="t")
            except ValueError as exc:
                st.error(f"{exc} The previous inputs are kept.", icon=":material/error:")
            else:
                state.set_inputs(x)
                _flash("inputs ok", f"Applied your edits: {changed} cell(s) of the input sequence changed.")
                st.rerun(scope="app")
    with right:
        try:
            preview = _table_values(edited, columns, where="", row_name="t")
        except ValueError:
            preview = lab.x  # the error is reported when applying; the chart keeps the applied inputs
        widgets.content_chart("input_lines", lambda: input_lines(preview), preview, key="wp_input_lines",
                              filename=f"inputs_T{T}_D{D}")
        st.caption("Each line is one input channel x_j over the steps t = 1…T"
                   + (" (showing the table as edited, not applied yet)." if changed else "."))


inputs_section()

st.markdown("**Generated sequences** (the same choice as *Input sequence* in the sidebar)")
ss["wp_input_pick"] = lab.cfg["input"]  # follow the shared setting (set before the widget is drawn)
st.pills("Input sequence", state.input_options(), format_func=state.input_label, key="wp_input_pick",
         on_change=_on_input_pick, label_visibility="collapsed",
         help="Choosing one while you have edited inputs asks before discarding them.")
if lab.edited_inputs:
    st.button("⟲ Reset inputs to the generated sequence", key="wp_reset_inputs",
              on_click=state.discard_edits, args=(["inputs"],),
              help="Drop your edited or uploaded inputs and use the sequence chosen in the sidebar again.")
c1, c2 = st.columns([1, 2])
with c1:
    st.markdown("**Download the inputs**")
    st.download_button(
        "⬇ Inputs (CSV)", data=partial(io.inputs_to_csv_bytes, lab.x),
        file_name=f"lstm_gate_lab_inputs_T{T}_D{D}.csv", mime="text/csv", key="wp_inputs_csv", on_click="ignore",
        help="One row per step: step, then one column per input channel.",
    )
with c2:
    st.markdown("**Upload inputs (CSV)**")
    st.file_uploader(
        f"A CSV with one row per step and {D} number column(s) (an optional leading 'step' column is ignored)",
        type=["csv"], key="wp_inputs_file", on_change=_on_inputs_upload,
        help=f"A file with a different number of rows sets the sequence length T (1–{state.LIMITS['T'][1]}).",
    )
    _upload_error("_wp_inputs_upload_error", "wp_inputs_file")

st.divider()

# ---- 2. weights -----------------------------------------------------------------------------------------------------

st.subheader("Weights")
_show_flash("weights")
if lab.edited_weights:
    st.info("The weights include your own edits or an uploaded file.", icon=":material/edit:")
model = st.segmented_control("Model", list(MODELS), format_func=MODELS.get, default="lstm", key="wp_model",
                             help="Which network's weights to show, edit, save or load.") or "lstm"

overview = st.expander("Overview: every weight at once", key="wp_overview", on_change="rerun")
with overview:
    if not overview.open:
        pass  # drawn only when open: two fewer figures on every rerun
    elif model == "lstm":
        st.caption("PyTorch layout: the rows of weight_ih (4H × D) and weight_hh (4H × H) are stacked in the gate "
                   "order i, f, g, o; here each gate's block is one panel. Red is positive, blue negative.")
        widgets.content_chart("gate_weights_ih", lambda: gate_weight_heatmaps(lab.lstm, "weight_ih"), lab.lstm,
                              key="wp_overview_ih", filename=f"lstm_weight_ih_D{D}_H{H}")
        widgets.content_chart("gate_weights_hh", lambda: gate_weight_heatmaps(lab.lstm, "weight_hh"), lab.lstm,
                              key="wp_overview_hh", filename=f"lstm_weight_hh_H{H}")
    else:
        st.caption("The tanh RNN has one block per matrix: weight_ih (H × D) and weight_hh (H × H).")
        o1, o2 = st.columns(2)
        with o1:
            widgets.content_chart("rnn_weight_ih", lambda: weight_heatmap(
                lab.rnn.weight_ih, title="RNN weight_ih (H × D)", x_label="input channel", y_label="unit"),
                lab.rnn.weight_ih, key="wp_overview_ih", filename=f"rnn_weight_ih_D{D}_H{H}")
        with o2:
            widgets.content_chart("rnn_weight_hh", lambda: weight_heatmap(
                lab.rnn.weight_hh, title="RNN weight_hh (H × H)", x_label="previous hidden unit", y_label="unit"),
                lab.rnn.weight_hh, key="wp_overview_hh", filename=f"rnn_weight_hh_H{H}")


def _block_editors(params, gate: str | None, tag: str) -> tuple[dict, int]:
    """Tables + heatmaps for one gate's blocks (or the RNN's whole arrays). Returns ({name: edited frame}, changes)."""
    who = f"{GATE_NAMES[gate]} {gate}" if gate else "tanh RNN"
    block = (lambda name: params.gate_block(name, gate)) if gate else (lambda name: getattr(params, name))
    H, D = params.hidden_size, params.input_size
    model = "lstm" if isinstance(params, LSTMParams) else "rnn"
    edited, changed = {}, 0
    height = min(36 + 35 * H, 600)  # about the heatmap's height: the whole block is visible up to H = 16
    for name, (label, col_what) in MATRICES.items():
        matrix = block(name)
        prefix = "x" if name == "weight_ih" else "h"
        shape = f"H × D = {H} × {D}" if name == "weight_ih" else f"H × H = {H} × {H}"
        symbol = block_symbol(name, gate)  # PyTorch's: W_ii, W_hi, … (the RNN: W_ih, W_hh)
        t, f = st.columns([1, 1])
        with t:
            st.markdown(f"**{symbol}** — {who}, {label}")
            st.caption(f"{name} block: {shape}; row = unit, column = {col_what}.")
            df = _editor(matrix, key=f"wp_{tag}_{name}", row_name="unit", col_prefix=prefix, height=height)
        cols = list(df.columns)
        changed += _changed_cells(df, cols, matrix)
        edited[name] = df
        with f:
            try:
                shown = _table_values(df, cols, where="", row_name="unit")
            except ValueError:
                shown = matrix
            title = f"{symbol} ({shape.split(' = ')[1]})"
            widgets.content_chart(
                "weight_heatmap", lambda: weight_heatmap(shown, title=title, x_label=col_what, y_label="unit"),
                shown, title, col_what, key=f"wp_{tag}_{name}_map", filename=f"{model}_{name}_{gate or 'all'}_D{D}_H{H}")
    b_ih, b_hh = block("bias_ih"), block("bias_hh")
    bias_symbol = f"{block_symbol('bias_ih', gate)} and {block_symbol('bias_hh', gate)}"
    t, f = st.columns([1, 1])
    with t:
        st.markdown(f"**{bias_symbol}** — {who}, biases")
        st.caption(f"This gate's rows of bias_ih (column b_ih) and bias_hh (column b_hh): H = {H} values each; row "
                   "= unit. The network adds them; the sum column updates after Apply.")
        df = _editor(np.column_stack([b_ih, b_hh]), key=f"wp_{tag}_bias", row_name="unit", col_prefix="",
                     columns=["b_ih", "b_hh"], disabled=("b_ih + b_hh",), extra={"b_ih + b_hh": b_ih + b_hh},
                     height=height)
    changed += _changed_cells(df, ["b_ih", "b_hh"], np.column_stack([b_ih, b_hh]))
    edited["bias"] = df
    with f:
        try:
            shown = _table_values(df, ["b_ih", "b_hh"], where="", row_name="unit")
        except ValueError:
            shown = np.column_stack([b_ih, b_hh])
        title = f"{bias_symbol} (H × 2)"
        widgets.content_chart(
            "weight_heatmap", lambda: weight_heatmap(shown, title=title, x_label="1 = b_ih, 2 = b_hh", y_label="unit"),
            shown, title, "bias", key=f"wp_{tag}_bias_map", filename=f"{model}_bias_{gate or 'all'}_H{H}")
    return edited, changed


def _assemble(params, edited_by_gate: dict):
    """New params from the edited tables (ValueError naming the first bad cell, or the params' own check)."""
    for gate, edited in edited_by_gate.items():
        for name in MATRICES:
            df = edited[name]
            block = _table_values(df, list(df.columns), where=f"{block_symbol(name, gate)} table", row_name="unit")
            params = with_block(params, name, gate, block)
        where = f"{block_symbol('bias_ih', gate)} and {block_symbol('bias_hh', gate)} bias table"
        bias = _table_values(edited["bias"], ["b_ih", "b_hh"], where=where, row_name="unit")
        params = with_block(with_block(params, "bias_ih", gate, bias[:, 0]), "bias_hh", gate, bias[:, 1])
    return params


@st.fragment
def weights_section(model: str) -> None:
    lab = state.current()
    params = lab.lstm if model == "lstm" else lab.rnn
    tag = f"{model}_{_digest(params)}n{ss.get('_wp_weights_nonce', 0)}"
    st.caption("Each table is one block of the weights; the heatmap beside it shows the table (red +, blue −). "
               "Edit any cells, in any tab, then press **Apply weight edits** below.")
    edited_by_gate, changed = {}, 0
    if model == "lstm":
        tabs = st.tabs([f"{g}: {GATE_NAMES[g]} ({block_symbol('weight_ih', g)}, {block_symbol('weight_hh', g)})"
                        for g in GATES])
        for gate, tab in zip(GATES, tabs):
            with tab:
                edited_by_gate[gate], n = _block_editors(params, gate, f"{tag}_{gate}")
                changed += n
    else:
        edited_by_gate[None], changed = _block_editors(params, None, tag)
    a, b, c = st.columns([1, 1, 2])
    apply = a.button("Apply weight edits", type="primary" if changed else "secondary", key="wp_apply_weights",
                     disabled=not changed, width="stretch",
                     help=f"Use the tables as the {MODELS[model]}'s weights on every page.")
    b.button("Discard table edits", key="wp_discard_weights", disabled=not changed, width="stretch",
             on_click=_discard_table_edits, args=("weights",),
             help="Show the applied weights again in every table (nothing else changes).")
    c.caption(f"{changed} cell(s) changed in the tables, not applied yet." if changed else "No unapplied changes.")
    if apply:
        try:
            new = _assemble(params, edited_by_gate)
        except ValueError as exc:
            st.error(f"Could not apply the weight edits: {exc} The previous weights are kept.", icon=":material/error:")
        else:
            state.set_weights(**{model: new})
            _flash("weights ok", f"Applied your edits to the {MODELS[model]}'s weights ({changed} cell(s)).")
            st.rerun(scope="app")


weights_section(model)

# ---- 3. knobs -------------------------------------------------------------------------------------------------------

st.markdown("#### Weight knobs")
st.caption("The knobs reshape the preset's seeded weights (both models; the forget bias is LSTM only). They are "
           "shared settings, kept in the link. Turning one while you have hand-edited weights asks before "
           "discarding the edits.")
widgets.knob_controls()
if lab.edited_weights:
    st.button("⟲ Reset weights to the seed's initialisation", key="wp_reset_weights", on_click=state.discard_edits,
              args=(["weights"],), help="Drop your edited or uploaded weights (both models); the knobs still apply.")

st.divider()

# ---- 4. save and load -----------------------------------------------------------------------------------------------

st.subheader("Save and load weights")
st.caption("PyTorch state_dict names (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0), float64: the files load "
           "into torch.nn.LSTM / torch.nn.RNN, and theirs load here.")
d1, d2 = st.columns(2)
for col, m in ((d1, "lstm"), (d2, "rnn")):
    p = lab.lstm if m == "lstm" else lab.rnn
    with col:
        st.markdown(f"**{MODELS[m]}** ({'4H' if m == 'lstm' else 'H'} = {p.weight_hh.shape[0]} rows, D = {D}, H = {H})")
        stem = f"lstm_gate_lab_{m}_D{D}_H{H}"
        e1, e2 = st.columns(2)
        e1.download_button("⬇ .npz", data=partial(io.to_npz_bytes, p), file_name=f"{stem}.npz",
                           mime="application/zip",
                           key=f"wp_npz_{m}", on_click="ignore", width="stretch",
                           help="numpy.savez archive: np.load(file) gives the four arrays.")
        e2.download_button("⬇ .json", data=partial(io.to_json_bytes, p), file_name=f"{stem}.json",
                           mime="application/json",
                           key=f"wp_json_{m}", on_click="ignore", width="stretch",
                           help="One JSON object: the four arrays as nested lists of numbers.")
        st.file_uploader(f"Load {MODELS[m]} weights (.npz or .json, D = {D}, H = {H})", type=["npz", "json"],
                         key=f"wp_weights_file_{m}", on_change=_on_weights_upload, args=(m,),
                         help=f"Up to {io.MAX_UPLOAD_BYTES // (1024 * 1024)} MB. The sizes must match the sidebar's "
                              "D and H; change them there first if needed.")
        _upload_error("_wp_weights_upload_error", f"wp_weights_file_{m}")
        _show_flash(f"upload {m}")

st.divider()
widgets.csv_download(lab, "lstm", key="weights_csv")
widgets.about_equations()
