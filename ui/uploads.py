"""The uploaders of the "Inputs and weights" page: callbacks that hand a file to lstm_core.io (which refuses anything
beyond the app's limits from the raw bytes, before parsing) and store what it read through ui.state, and the
messages, which repeat the file's name and lstm_core's reason and so go through ``messages.inert``.

Callbacks run before the script, so they may change the sidebar's keys (an inputs file of another length moves T).
"""

from __future__ import annotations

import streamlit as st

from lstm_core import io
from ui import state
from ui.messages import file_name, inert
from ui.tables import INPUTS, NETWORK_NAMES

INPUTS_KEY, INPUTS_ERROR = "wp_inputs_file", "_wp_inputs_upload_error"
WEIGHTS_ERROR = "_wp_weights_upload_error"
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
    state.flash(flash_section(model), f"Loaded {file_name(uploaded.name)} into the {NETWORK_NAMES[model]}. Every "
                                      "page now uses these weights.")


def file_error(name: str, exc: ValueError, kept: str) -> str:
    """The message of a refused upload: the file's name, lstm_core.io's reason (without its '.ext: ' prefix)."""
    reason = str(exc)
    for prefix in (".csv: ", ".npz: ", ".json: "):
        reason = reason.removeprefix(prefix)
    return f"Could not load {file_name(name)}: {inert(reason.rstrip('.'))}. The previous {kept} are kept."


def show_error(error_key: str, uploader_key: str) -> None:
    """Show an upload's error while the refused file is still in the uploader."""
    stored = st.session_state.get(error_key)
    uploaded = st.session_state.get(uploader_key)
    if stored and uploaded is not None and uploaded.file_id == stored[0]:
        st.error(stored[1], icon=":material/error:")
