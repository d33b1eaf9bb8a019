"""The uploaders of the "Inputs and weights" page: callbacks that hand a file to lstm_core.io (which refuses anything
beyond the app's limits from the raw bytes, before parsing) and store what it read through ui.state, and the
messages, which repeat the file's name and lstm_core's reason and so go through ``messages.inert``.

Callbacks run before the script, so they may change the sidebar's keys (an inputs file of another length moves T, a
whole model of other sizes moves D and H).

A whole model (``on_model_upload``: io.load_model, .npz / .json / .safetensors / .pt) goes into the lab when the lab
can show it: an LSTM, GRU or tanh RNN of 1–3 layers (the sidebar's Layers range) within the sidebar's size limits.
The sidebar's Model, Layers, D and H move to the file's, every layer is the file's, and its Linear head, if any,
becomes the lab's loss (ui.state.set_head_loss). Anything else (4 layers, sizes beyond the sidebar's) is read,
listed and offered for download, and the lab is left as it was (``lab_fit`` says why).
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from lstm_core import io
from lstm_core.losses import describe_loss
from lstm_core.params import KIND_NAMES
from lstm_core.statedict import ExtraKeysError, LoadedModel
from ui import state, tables
from ui.figures import content_key
from ui.messages import file_name, inert
from ui.tables import INPUTS, NETWORK_NAMES, model_summary

INPUTS_KEY, INPUTS_ERROR = "wp_inputs_file", "_wp_inputs_upload_error"
WEIGHTS_ERROR = "_wp_weights_upload_error"
MODEL_KEY, MODEL_ERROR = "wp_model_file", "_wp_model_upload_error"
MODEL_IGNORE_EXTRA = "wp_model_ignore_extra"  # the checkbox: load a file's model without its other keys
LOADED = "_wp_loaded_model"  # (file name, LoadedModel, whether it went into the lab) of the last model read
MODEL_SECTION = "upload model"  # where the whole-model uploader's messages show
MODEL_TYPES = ["npz", "json", "safetensors", "pt", "pth"]
# What the uploaders' help says; the widget gets the same number (max_upload_size) and prints "Limit 5MB per file".
LIMIT_TEXT = f"Up to {io.MAX_UPLOAD_MB} MB ({io.MAX_UPLOAD_BYTES:,} bytes)."


def weights_key(model: str) -> str:
    return f"wp_weights_file_{model}"


def flash_section(model: str) -> str:
    """Where a weights file's message shows: under that model's uploader, where the user is looking."""
    return f"upload {model}"


def on_inputs_upload() -> None:
    """A CSV of inputs for the current D, at most the app's T; a new length T moves the sidebar's T with it."""
    ss = st.session_state
    uploaded = ss.get(INPUTS_KEY)
    if uploaded is None:
        return
    D = state.lab().x.shape[1]
    try:
        x = io.inputs_from_csv_bytes(uploaded.getvalue(), expected_D=D, max_rows=state.LIMITS[state.T][1],
                                     max_columns=state.LIMITS[state.D][1])
        io.check_magnitude(x, ".csv")
    except ValueError as exc:
        ss[INPUTS_ERROR] = (uploaded.file_id, file_error(uploaded.name, exc, "inputs"))
        return
    ss.pop(INPUTS_ERROR, None)
    state.set_inputs(x)  # a file of another length moves T with it
    state.flash(INPUTS, f"Loaded {file_name(uploaded.name)}: {x.shape[0]} steps × {D} channel(s). Every page now "
                          "uses these inputs.")


def on_weights_upload(model: str) -> None:
    """An .npz / .json state_dict for ``model``; its sizes must match the app's D and H."""
    ss = st.session_state
    uploaded = ss.get(weights_key(model))
    if uploaded is None:
        return
    lab = state.lab()
    current = lab.lstm if model == "lstm" else lab.rnn
    try:
        params = io.load_params(uploaded.getvalue(), uploaded.name, model=model,
                                expected_input_size=current.input_size, expected_hidden_size=current.hidden_size)
        io.check_magnitude(params)
    except ValueError as exc:
        ss[WEIGHTS_ERROR] = (uploaded.file_id, file_error(uploaded.name, exc, "weights"))
        return
    ss.pop(WEIGHTS_ERROR, None)
    state.set_weights(**{model: params})
    text = f"Loaded {file_name(uploaded.name)} into the {NETWORK_NAMES[model]}. Every page now uses these weights."
    head = state.head_loss()
    if head is not None and head["model"] == model:  # the head came with the weights this file replaces
        state.clear_head_loss()
        text += " The loaded head's loss went with the weights it came with: the loss is the preset's again."
    state.flash(flash_section(model), text)


def lab_fit(model: LoadedModel) -> str | None:
    """Why the lab cannot show ``model`` (None: it can, every layer of it)."""
    lo, hi = state.LIMITS[state.LAYERS]
    if model.num_layers > hi:
        # Not its bottom layers alone: they would be a network the file does not describe, and its head reads the top
        # layer's h, which the lab would not have.
        return (f"the app shows at most {hi} layers (sidebar Layers {lo}–{hi}) and this model has "
                f"{model.num_layers}; loading only its bottom {hi} would show a different network (its head reads "
                f"layer {model.num_layers}), so it is listed here and not put into the lab")
    for key, size in ((state.D, model.input_size), (state.H, model.hidden_size)):
        lo, hi = state.LIMITS[key]
        if not lo <= size <= hi:
            return f"its {key} = {size} is beyond the sidebar's {key} range {lo}–{hi}, so it is not put into the lab"
    return None


def fitted_settings(model: LoadedModel) -> dict:
    """The sidebar settings that show ``model``: its kind on the Model switch, its layer count, its D and H."""
    return {state.MODEL: model.kind, state.LAYERS: model.num_layers, state.D: model.input_size,
            state.H: model.hidden_size}


def moved_text(moved: dict) -> str:
    """'Model switched to GRU, Layers moved to 2 and H moved to 4' for the settings a loaded model moved."""
    names = {state.LAYERS: "Layers"}  # D and H are named by their keys, as in the sidebar's labels
    parts = [f"Model switched to {state.MODELS[v]}" if k == state.MODEL else f"{names.get(k, k)} moved to {v}"
             for k, v in moved.items()]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def in_lab(model: LoadedModel) -> bool:
    """Whether the lab's weights of the model's kind are this model's, every layer (a reset, an edit of a layer or
    another upload since replaces them)."""
    stored = state.edits().stack(model.kind)
    return len(stored) == model.num_layers and all(a is b for a, b in zip(stored, model.layers))


def on_model_upload() -> None:
    """A whole model's state_dict (io.load_model). A model the lab can show goes into it (the sidebar's Model,
    Layers, D and H move to the file's; a head becomes the loss); anything else is kept for the page to show."""
    ss = st.session_state
    uploaded = ss.get(MODEL_KEY)
    if uploaded is None:
        return
    try:
        model = io.load_model(uploaded.getvalue(), uploaded.name, ignore_extra=bool(ss.get(MODEL_IGNORE_EXTRA)))
        io.check_magnitude(model)
    except ValueError as exc:
        message = file_error(uploaded.name, exc, "weights")
        if isinstance(exc, ExtraKeysError):
            message += " Tick *Load without keys that are not the model's* above the uploader to load it without them."
        ss[MODEL_ERROR] = (uploaded.file_id, message)
        return
    ss.pop(MODEL_ERROR, None)
    name, why_not = file_name(uploaded.name), lab_fit(model)
    ss[LOADED] = (uploaded.name, model, why_not is None)
    ignored = f" Left out as you asked: {inert(', '.join(model.ignored), 200)}." if model.ignored else ""
    if why_not is not None:
        state.flash(MODEL_SECTION, f"Read {name}: {model_summary(model)}. The lab is unchanged: {why_not}. Below: "
                                   f"which key became what, and the model to download.{ignored}", "info")
        return
    moved = {k: v for k, v in fitted_settings(model).items() if state.setting(k) != v}
    dropped = state.fit_settings_for_weights(moved)  # edits made for other sizes cannot stay beside the new ones
    kind = model.kind
    state.set_weights(**{kind: model.layers[0]}, upper={kind: model.layers[1:]})
    every = f", all {model.num_layers} layers" if model.num_layers > 1 else ""
    text = f"Loaded {name}: {model_summary(model)}. The lab's {KIND_NAMES[kind]} now has its weights{every}"
    text += f" (the sidebar's {moved_text(moved)} to fit it)." if moved else "."
    if dropped:
        text += " Your earlier weight edits, made for other settings, were dropped."
    if model.head is not None:
        state.set_head_loss(*model.head, label=0, model=kind)
        text += (" Its head now gives the lab's loss: the cross-entropy of its logits at the last step against "
                 "class 1 (choose the class below).")
    else:
        state.clear_head_loss()
    state.flash(MODEL_SECTION, text + ignored)


def on_head_label(key: str) -> None:
    """The head-loss class box (1-based) -> the lab's loss."""
    state.set_head_label(int(st.session_state[key]) - 1)


HEAD_LABEL_KEY = "wp_head_label"


def file_error(name: str, exc: ValueError, kept: str) -> str:
    """The message of a refused upload: the file's name, lstm_core.io's reason (without its '.ext: ' prefix)."""
    reason = str(exc)
    for prefix in (".csv: ", ".npz: ", ".json: ", ".safetensors: ", ".pt: "):
        reason = reason.removeprefix(prefix)
    return f"Could not load {file_name(name)}: {inert(reason.rstrip('.'))}. The previous {kept} are kept."


def show_error(error_key: str, uploader_key: str) -> None:
    """Show an upload's error while the refused file is still in the uploader."""
    stored = st.session_state.get(error_key)
    uploaded = st.session_state.get(uploader_key)
    if stored and uploaded is not None and uploaded.file_id == stored[0]:
        st.error(stored[1], icon=":material/error:")


def loaded_model_section(lab) -> None:
    """The last whole model read: its summary, whether the lab shows it (checked live: a reset or another upload may
    have replaced it), which key became what, its downloads, and the head's loss when the lab uses it."""
    loaded = st.session_state.get(LOADED)
    if loaded is None:
        return
    name, model, went_in = loaded
    st.markdown(f"**{file_name(name)}**: {model_summary(model)}.")
    if went_in and in_lab(model):
        st.caption(f"The lab's {KIND_NAMES[model.kind]} runs this model on every page (sidebar Model "
                   f"{state.MODELS[model.kind]}, Layers {model.num_layers}).")
    elif went_in:
        st.caption(f"The lab's {KIND_NAMES[model.kind]} no longer runs this model (its weights were reset or "
                   "replaced since); upload the file again to load it.")
    else:
        st.caption(f"Not in the lab: {lab_fit(model)}.")
    for note in model.notes:
        st.caption(f"Note: {inert(note)}.")
    st.dataframe(tables.model_keys_frame(model), hide_index=True, width="stretch", key="wp_model_keys")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    cols = st.columns(len(io.SAVE_FORMATS))
    for col, fmt in zip(cols, io.SAVE_FORMATS):
        col.download_button(f"⬇ This model as .{fmt}", data=partial(io.save_model, model, fmt),
                            file_name=f"{stem}.{fmt}", key=f"wp_model_{fmt}", on_click="ignore", width="stretch",
                            help="The same keys and values as the file read (float64): torch loads it with "
                                 "module.load_state_dict.")
    if lab.loss == "head_cross_entropy":
        head_section(lab)


def head_section(lab) -> None:
    """The head as the lab's loss: the class it is measured against, the logits and probabilities, L, a way back."""
    head = lab.loss_kwargs
    O = head["weight"].shape[0]
    st.markdown("**The head as the loss**")
    st.caption(describe_loss(lab.loss, **head) + ". It is now the lab's loss: every gradient the pages show, for "
               "every model they run, is of this L (each model's top-layer h_T through the same head).")
    frame, value, network = tables.head_frame(lab)
    c1, c2 = st.columns([1, 2])
    with c1:
        key = f"{HEAD_LABEL_KEY}_{content_key(head['weight'], head['bias'])[:8]}"
        st.number_input(f"Class k (1–{O})", 1, O, head["label"] + 1, key=key, on_change=on_head_label, args=(key,),
                        help="The class the cross-entropy is measured against.")
        st.metric(f"L for the {network} on the lab's input", f"{value:.4g}",
                  help="−log softmax(W h_T + b)[k], computed live.")
        st.button("Use the preset's loss again", key="wp_head_off", on_click=state.clear_head_loss,
                  help="The head stays listed above; the loss goes back to the preset's.")
    with c2:
        st.dataframe(frame, hide_index=True, width="stretch", key="wp_head_table",
                     column_config={"logit y_k": st.column_config.NumberColumn(format="%.4g"),
                                    "softmax p_k": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0,
                                                                                   format="%.3f")})
