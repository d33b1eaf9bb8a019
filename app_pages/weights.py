"""Inputs and weights: see and edit the input sequence and every weight block, turn the knobs, save and load.

Edits are applied explicitly ("Apply …" buttons) and stored through ``ui.state`` (set_inputs / set_weights), so
every page follows them and a later settings change asks before discarding them. Bad cells or files show an error
naming the place and the fix; the previous inputs / weights are kept.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from charts.weights import gate_weight_heatmaps, input_lines, weight_heatmap
from lstm_core import io
from lstm_core.params import GATE_NAMES, GATES, block_symbol
from ui import state, tables, uploads, widgets
from ui.tables import INPUTS, NETWORK_NAMES, WEIGHTS

BIG_T = 500  # above this many steps the inputs table gets a note (it always scrolls)


# ---- the page -----------------------------------------------------------------------------------------------------

lab = state.lab()
T, D = lab.x.shape
H = lab.lstm.hidden_size

st.caption(
    f"Everything the networks compute from: the input sequence x (T = {T} steps × D = {D} channels) and the weights "
    f"of the LSTM and the tanh RNN (H = {H} units). Edit a table, then press its **Apply** button; every page follows."
)

# ---- 1. inputs ------------------------------------------------------------------------------------------------------

st.subheader("Input sequence x")
widgets.flashed(INPUTS)
if lab.edited_inputs:
    st.info("These inputs are your own (edited or uploaded), not the generated sequence.", icon=":material/edit:")


@st.fragment
def inputs_section() -> None:
    lab = state.lab()
    T, D = lab.x.shape
    left, right = st.columns([2, 3])
    with left:
        st.markdown(f"**x as a table: {T} rows (steps t) × {D} column(s) (input channels)**")
        if T > BIG_T:
            st.caption(f"{T} rows: the table scrolls. Every cell is still editable; downloading the CSV, editing it "
                       "in a spreadsheet and uploading it back is quicker for big changes.")
        edited = tables.editor(lab.x, key=f"wp_{tables.editor_key(INPUTS, lab.x)}", row_name="t", col_prefix="x",
                               height=min(36 + 35 * T, 390))
        changed = tables.changed_cells(edited, lab.x)
        b1, b2 = st.columns(2)
        apply = b1.button("Apply edited inputs", type="primary" if changed else "secondary", key="wp_apply_inputs",
                          disabled=not changed, width="stretch",
                          help="Use the table as the input of both networks on every page.")
        b2.button("Discard table edits", key="wp_discard_inputs", disabled=not changed, width="stretch",
                  on_click=tables.discard_table_edits, args=(INPUTS,),
                  help="Show the applied inputs again (nothing else changes).")
        if changed:
            st.caption(f"{changed} cell(s) changed in the table, not applied yet.")
        if apply:
            problem = tables.apply_inputs(edited, lab.x, changed)
            if problem:
                st.error(problem, icon=":material/error:")
            else:
                st.rerun(scope="app")
    with right:
        preview = tables.preview(edited, lab.x)  # a bad cell is reported by Apply; the chart keeps the applied x
        widgets.content_chart("input_lines", lambda: input_lines(preview), preview, key="wp_input_lines",
                              filename=f"inputs_T{T}_D{D}")
        st.caption("Each line is one input channel x_j over the steps t = 1…T"
                   + (" (showing the table as edited, not applied yet)." if changed else "."))


inputs_section()

st.markdown("**Generated sequences** (the same choice as *Input sequence* in the sidebar)")
pick_key, pick_args = state.mirror(state.INPUT, "wp_input_pick")  # the sidebar's Input sequence, as pills
st.pills("Input sequence", state.input_options(), format_func=state.input_label, default=state.setting(state.INPUT),
         key=pick_key, on_change=state.on_mirror, args=pick_args, label_visibility="collapsed",
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
        type=["csv"], key=uploads.INPUTS_KEY, on_change=uploads.on_inputs_upload, max_upload_size=io.MAX_UPLOAD_MB,
        help=f"{uploads.LIMIT_TEXT} A file with a different number of rows sets the sequence length T "
             f"(1–{state.LIMITS[state.T][1]}); a number has at most {io.MAX_NUMBER_CHARS} characters.",
    )
    uploads.show_error(uploads.INPUTS_ERROR, uploads.INPUTS_KEY)

st.divider()

# ---- 2. weights -----------------------------------------------------------------------------------------------------

st.subheader("Weights")
widgets.flashed(WEIGHTS)
if lab.edited_weights:
    st.info("The weights include your own edits or an uploaded file.", icon=":material/edit:")
model = st.segmented_control("Model", list(NETWORK_NAMES), format_func=NETWORK_NAMES.get, default="lstm", key="wp_model",
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


@st.fragment
def weights_section(model: str) -> None:
    lab = state.lab()
    params = lab.lstm if model == "lstm" else lab.rnn
    tag = f"{model}_{tables.editor_key(WEIGHTS, params)}"
    st.caption("Each table is one block of the weights; the heatmap beside it shows the table (red +, blue −). "
               "Edit any cells, in any tab, then press **Apply weight edits** below.")
    edited_by_gate, changed = {}, 0
    if model == "lstm":
        tabs = st.tabs([f"{g}: {GATE_NAMES[g]} ({block_symbol('weight_ih', g)}, {block_symbol('weight_hh', g)})"
                        for g in GATES])
        for gate, tab in zip(GATES, tabs):
            with tab:
                edited_by_gate[gate], n = tables.block_editors(params, gate, f"{tag}_{gate}")
                changed += n
    else:
        edited_by_gate[None], changed = tables.block_editors(params, None, tag)
    a, b, c = st.columns([1, 1, 2])
    apply = a.button("Apply weight edits", type="primary" if changed else "secondary", key="wp_apply_weights",
                     disabled=not changed, width="stretch",
                     help=f"Use the tables as the {NETWORK_NAMES[model]}'s weights on every page.")
    b.button("Discard table edits", key="wp_discard_weights", disabled=not changed, width="stretch",
             on_click=tables.discard_table_edits, args=(WEIGHTS,),
             help="Show the applied weights again in every table (nothing else changes).")
    c.caption(f"{changed} cell(s) changed in the tables, not applied yet." if changed else "No unapplied changes.")
    if apply:
        problem = tables.apply_weights(model, params, edited_by_gate, changed)
        if problem:
            st.error(problem, icon=":material/error:")
        else:
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
              args=(["weights"],),
              help="Drop your edited or loaded weights (every model and layer); the knobs still apply.")

st.divider()

# ---- 4. save and load -----------------------------------------------------------------------------------------------

st.subheader("Save and load weights")
st.caption("PyTorch state_dict names (weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0), float64: the files load "
           "into torch.nn.LSTM / torch.nn.RNN, and theirs load here.")
d1, d2 = st.columns(2)
for col, m in ((d1, "lstm"), (d2, "rnn")):
    p = lab.lstm if m == "lstm" else lab.rnn
    with col:
        st.markdown(f"**{NETWORK_NAMES[m]}** ({'4H' if m == 'lstm' else 'H'} = {p.weight_hh.shape[0]} rows, D = {D}, H = {H})")
        stem = f"lstm_gate_lab_{m}_D{D}_H{H}"
        e1, e2, e3 = st.columns(3)
        e1.download_button("⬇ .npz", data=partial(io.to_npz_bytes, p), file_name=f"{stem}.npz",
                           mime="application/zip",
                           key=f"wp_npz_{m}", on_click="ignore", width="stretch",
                           help="numpy.savez archive: np.load(file) gives the four arrays.")
        e2.download_button("⬇ .json", data=partial(io.to_json_bytes, p), file_name=f"{stem}.json",
                           mime="application/json",
                           key=f"wp_json_{m}", on_click="ignore", width="stretch",
                           help="One JSON object: the four arrays as nested lists of numbers.")
        e3.download_button("⬇ .safetensors", data=partial(io.to_safetensors_bytes, p),
                           file_name=f"{stem}.safetensors", mime="application/octet-stream",
                           key=f"wp_safetensors_{m}", on_click="ignore", width="stretch",
                           help="safetensors file (no pickle): safetensors.torch.load_file(file) gives the four "
                                "tensors.")
        st.file_uploader(f"Load {NETWORK_NAMES[m]} weights (.npz, .json, .safetensors or .pt; D = {D}, H = {H})",
                         type=uploads.MODEL_TYPES,
                         key=uploads.weights_key(m), on_change=uploads.on_weights_upload, args=(m,),
                         max_upload_size=io.MAX_UPLOAD_MB,
                         help=f"{uploads.LIMIT_TEXT} One layer's four arrays under torch's names. The sizes must "
                              "match the sidebar's D and H; change them there first if needed. A whole model's file "
                              "(with a prefix such as lstm., more layers or a head) goes in the uploader below.")
        uploads.show_error(uploads.WEIGHTS_ERROR, uploads.weights_key(m))
        widgets.flashed(uploads.flash_section(m))

st.markdown("#### Load a whole PyTorch model")
st.caption("A state_dict saved from a whole torch module (torch.save(model.state_dict(), 'model.pt'), or as .npz, "
           ".json or .safetensors): one nn.LSTM, nn.GRU or nn.RNN under any prefix (lstm., encoder.rnn., none) with "
           "1–4 layers, and at most one Linear reading its hidden states (the head). A .pt file is read without torch "
           "and without running any code in it. A model of 1–3 layers goes into the lab, every layer: the sidebar's "
           "Model, Layers, D and H move to the file's and its head, if any, becomes the loss. A 4-layer model is read "
           "and listed here, and the lab stays as it is (the app shows at most 3 layers).")
st.checkbox("Load without keys that are not the model's", key=uploads.MODEL_IGNORE_EXTRA,
            help="Off: a file holding other keys (an embedding, a second Linear…) is refused with the list of them. "
                 "On: the model is loaded and the keys left out are named.")
st.file_uploader("A whole model's state_dict (.pt, .pth, .safetensors, .npz or .json)", type=uploads.MODEL_TYPES,
                 key=uploads.MODEL_KEY, on_change=uploads.on_model_upload, max_upload_size=io.MAX_UPLOAD_MB,
                 help=f"{uploads.LIMIT_TEXT} Sizes up to the core's limits; the lab itself shows D ≤ "
                      f"{state.LIMITS[state.D][1]} and H ≤ {state.LIMITS[state.H][1]}.")
uploads.show_error(uploads.MODEL_ERROR, uploads.MODEL_KEY)
widgets.flashed(uploads.MODEL_SECTION)
uploads.loaded_model_section(lab)

st.divider()
widgets.csv_download(lab, lab.model, key="weights_csv")  # the model the sidebar shows
widgets.about_equations()
