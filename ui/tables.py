"""Editable number tables (st.data_editor) of the "Inputs and weights" page: arrays in, exact float64 out; the weight
blocks' tables beside their heatmaps, the new weights assembled from them, and Apply / Discard of both sections.

The cells are edited as text and read with ``lstm_core.io.parse_number``. Streamlit's number-cell editor keeps only
the characters it likes from what is typed (``1e-3`` was saved as −13, ``2.5e-4`` as −2.54, ``1e300`` as 1300) and
Apply accepted each; as text, any notation Python's ``float()`` reads is stored exactly and anything else is refused
with a message naming the cell. A table shows each value with 6 significant digits (``cell_text``); a cell whose text
is still the one shown keeps its exact value, so an edit changes only the cells that were typed into.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd
import streamlit as st

from charts.weights import weight_heatmap
from lstm_core import io, losses
from lstm_core.params import GATE_NAMES, GRU_GATE_NAMES, KIND_NAMES, LSTMParams, block_symbol, gates_of, with_block
from ui import compute, figures, state, widgets
from ui.messages import inert

MATRICES = {  # weight array -> (label, what a column is)
    "weight_ih": ("input weights, reading x_t", "input channel"),
    "weight_hh": ("recurrent weights, reading h_t−1", "previous hidden unit"),
}
INPUTS, WEIGHTS = "inputs", "weights"  # the page's two sections (also their state.flash sections)
NETWORK_NAMES = {"lstm": "LSTM", "rnn": "tanh RNN"}  # how the weights page and its messages name the two networks


def _nonce_key(section: str) -> str:
    return f"_wp_{section}_nonce"


def editor_key(section: str, *parts) -> str:
    """A key for the tables of ``section`` ("inputs" / "weights") that changes with their data (``parts``: arrays or
    params, fingerprinted by ui.figures.content_key) and with every Discard, so a table shows what is applied."""
    nonce = st.session_state.get(_nonce_key(section), 0)
    return f"{section}_{figures.content_key(*parts)[:10]}n{nonce}"


def discard_table_edits(section: str) -> None:
    """Callback: new editor keys for ``section``, so its tables show the applied values again."""
    st.session_state[_nonce_key(section)] = st.session_state.get(_nonce_key(section), 0) + 1


def cell_text(value: float) -> str:
    """How a table shows a number: 6 significant digits (``0.123457``, ``-2.5e-05``, ``1e+06``)."""
    return f"{value:.6g}"


def frame(matrix: np.ndarray, *, row_name: str, col_prefix: str, columns=None) -> pd.DataFrame:
    """A 2-D array as a table of texts, 1-based row labels (``row_name`` 1…) and columns ``col_prefix``1…."""
    rows, cols = matrix.shape
    columns = columns or [f"{col_prefix}{j + 1}" for j in range(cols)]
    texts = np.vectorize(cell_text, otypes=[object])(matrix) if matrix.size else np.empty(matrix.shape, object)
    return pd.DataFrame(texts, columns=columns, index=pd.RangeIndex(1, rows + 1, name=row_name))


def editor(matrix: np.ndarray, *, key: str, row_name: str, col_prefix: str, columns=None, extra: dict | None = None,
           height=None) -> pd.DataFrame:
    """An editable table of ``matrix`` (text cells of at most MAX_NUMBER_CHARS characters, right-aligned like
    numbers); ``extra`` columns ({name: values}) are shown read-only. Returns the table as edited (not applied)."""
    df = frame(matrix, row_name=row_name, col_prefix=col_prefix, columns=columns)
    config = {c: st.column_config.TextColumn(c, max_chars=io.MAX_NUMBER_CHARS, alignment="right") for c in df.columns}
    for name, values in (extra or {}).items():
        df[name] = [cell_text(v) for v in values]
        config[name] = st.column_config.TextColumn(name, disabled=True, alignment="right")
    return st.data_editor(df, key=key, num_rows="fixed", column_config=config, height=height, width="stretch")


def _edited(df: pd.DataFrame, original: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(cells as edited, mask of the cells whose text is no longer the one shown for ``original``)."""
    cells = df.iloc[:, : original.shape[1]].to_numpy(dtype=object)
    shown = frame(original, row_name="", col_prefix="").to_numpy(dtype=object)
    return cells, cells != shown


def changed_cells(df: pd.DataFrame, original: np.ndarray) -> int:
    """How many cells of the edited table differ from what it showed for ``original``."""
    return int(np.count_nonzero(_edited(df, original)[1]))


def values(df: pd.DataFrame, original: np.ndarray, *, where: str, row_name: str) -> np.ndarray:
    """The edited table's numbers: ``original``'s exact values where the text was not changed, the typed number
    where it was. ValueError naming the first bad cell (empty, not a number, not finite, beyond ±MAX_ABS_VALUE) and
    how many there are; ``where`` names the table."""
    cells, changed = _edited(df, original)
    columns = list(df.columns)
    out = np.array(original, dtype=np.float64, copy=True)
    problems = []
    for r, c in zip(*np.nonzero(changed)):  # row by row, as the table reads
        cell = f"{where}: row {row_name} = {r + 1}, column {columns[c]}"
        value = cells[r, c]
        try:
            if value is None or (isinstance(value, float) and np.isnan(value)):  # a cleared cell arrives as NaN
                raise ValueError(f"{cell} is empty, needs a number")
            if not isinstance(value, str):  # a number sent by a client that is not the app's own
                value = repr(float(value)) if isinstance(value, (int, float)) and not isinstance(value, bool) else ""
            number = io.parse_number(value, cell)
            if abs(number) > io.MAX_ABS_VALUE:
                raise ValueError(f"{cell} is {number:g}, larger than {io.MAX_ABS_VALUE:g} in size")
        except ValueError as exc:
            problems.append(str(exc))
            continue
        out[r, c] = number
    if problems:
        raise ValueError(f"{problems[0]}. Type a number within ±{io.MAX_ABS_VALUE:g} there ({len(problems)} cell(s) "
                         "to fix), or press Discard table edits.")
    return out


def preview(df: pd.DataFrame, original: np.ndarray) -> np.ndarray:
    """The edited table's numbers for a chart, or ``original`` while a cell cannot be read (Apply reports it)."""
    try:
        return values(df, original, where="", row_name="")
    except ValueError:
        return original


def block_of(params, name: str, gate: str | None) -> np.ndarray:
    """Weight array ``name`` of ``params``: one gate's rows of an LSTM, the whole array of the RNN (gate None)."""
    return params.gate_block(name, gate) if gate else getattr(params, name)


def block_editors(params, gate: str | None, tag: str) -> tuple[dict, int]:
    """Tables + heatmaps for one gate's blocks (or the RNN's whole arrays). Returns ({name: edited frame}, changes)."""
    who = f"{GATE_NAMES[gate]} {gate}" if gate else "tanh RNN"
    block = partial(block_of, params, gate=gate)
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
            df = editor(matrix, key=f"wp_{tag}_{name}", row_name="unit", col_prefix=prefix, height=height)
        changed += changed_cells(df, matrix)
        edited[name] = df
        with f:
            shown = preview(df, matrix)
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
        both = np.column_stack([b_ih, b_hh])
        df = editor(both, key=f"wp_{tag}_bias", row_name="unit", col_prefix="", columns=["b_ih", "b_hh"],
                           extra={"b_ih + b_hh": b_ih + b_hh}, height=height)
    changed += changed_cells(df, both)
    edited["bias"] = df
    with f:
        shown = preview(df, both)
        title = f"{bias_symbol} (H × 2)"
        widgets.content_chart(
            "weight_heatmap", lambda: weight_heatmap(shown, title=title, x_label="1 = b_ih, 2 = b_hh", y_label="unit"),
            shown, title, "bias", key=f"wp_{tag}_bias_map", filename=f"{model}_bias_{gate or 'all'}_H{H}")
    return edited, changed


def assemble(params, edited_by_gate: dict):
    """New params from the weight tables of ``params`` as edited: {gate (None for the RNN): {"weight_ih" |
    "weight_hh" | "bias": frame}}; a ValueError naming the first bad cell (or the params' own check)."""
    new = params
    for gate, edited in edited_by_gate.items():
        block = partial(block_of, params, gate=gate)
        for name in MATRICES:
            new = with_block(new, name, gate, values(edited[name], block(name), where=f"{block_symbol(name, gate)} table",
                                                     row_name="unit"))
        shown = np.column_stack([block("bias_ih"), block("bias_hh")])
        where = f"{block_symbol('bias_ih', gate)} and {block_symbol('bias_hh', gate)} bias table"
        bias = values(edited["bias"], shown, where=where, row_name="unit")
        new = with_block(with_block(new, "bias_ih", gate, bias[:, 0]), "bias_hh", gate, bias[:, 1])
    return new


def apply_inputs(edited: pd.DataFrame, x: np.ndarray, changed: int) -> str | None:
    """Apply the edited input table (``x`` as shown): store it through ui.state and leave a message for the section;
    or return the message naming the bad cell (nothing is stored)."""
    try:
        new = values(edited, x, where="Input table", row_name="t")
    except ValueError as exc:
        return f"{inert(exc)} The previous inputs are kept."
    state.set_inputs(new)
    state.flash(INPUTS, f"Applied your edits: {changed} cell(s) of the input sequence changed.")
    return None


def apply_weights(model: str, params, edited_by_gate: dict, changed: int) -> str | None:
    """Apply ``model``'s edited weight tables (``params`` as shown), like apply_inputs."""
    try:
        new = assemble(params, edited_by_gate)
    except ValueError as exc:
        return f"Could not apply the weight edits: {inert(exc)} The previous weights are kept."
    state.set_weights(**{model: new})
    state.flash(WEIGHTS, f"Applied your edits to the {NETWORK_NAMES[model]}'s weights ({changed} cell(s)).")
    return None


# ---- a loaded model: which key became what ---------------------------------------------------------------------------

ARRAY_ROLES = {  # a layer's array -> what it is
    "weight_ih": "input weights (reading x_t)", "weight_hh": "recurrent weights (reading h_t−1)",
    "bias_ih": "input bias", "bias_hh": "recurrent bias",
}


def became(model, target: str) -> tuple[str, str]:
    """(what a file key became, its blocks) for a LoadedModel's mapping target ('layers[0].weight_ih', 'head.weight',
    'layers[0].forget_gate'), e.g. ('layer 1 · input weights (reading x_t)', 'W_ii, W_if, W_ig, W_io')."""
    if target.startswith("head."):
        if target == "head.weight":
            return "head · Linear weight W (reads the top layer's h_t)", f"W ({model.output_size} × {model.hidden_size})"
        return "head · Linear bias b", f"b ({model.output_size},)"
    where, role = target.split(".", 1)
    k = int(where[len("layers["):-1])
    if role == "forget_gate":
        return f"layer {k + 1} · no forget gate (f ≡ 1, the 1997 LSTM)", "—"
    params = model.layers[k]
    gates = gates_of(params)
    blocks = ", ".join(block_symbol(role, g) for g in gates) if gates else block_symbol(role)
    reads = "x_t" if k == 0 else f"h_t of layer {k}"
    what = ARRAY_ROLES[role].replace("x_t", reads) if role == "weight_ih" else ARRAY_ROLES[role]
    return f"layer {k + 1} · {what}", blocks


def model_keys_frame(model) -> pd.DataFrame:
    """One row per key of a loaded model's file: the key, its shape, what it became, its gate blocks."""
    arrays = {}
    for k, params in enumerate(model.layers):
        for role in ARRAY_ROLES:
            arrays[f"layers[{k}].{role}"] = getattr(params, role)
    if model.head is not None:
        arrays["head.weight"], arrays["head.bias"] = model.head
    rows = []
    for key, target in model.mapping:
        what, blocks = became(model, target)
        shape = arrays[target].shape if target in arrays else ()
        rows.append({"key in the file": key, "shape": " × ".join(map(str, shape)) or "scalar", "became": what,
                     "blocks (gate order)": blocks})
    return pd.DataFrame(rows)


def model_summary(model) -> str:
    """One line: '2-layer GRU (D = 3, H = 4, gates r, z, n) with a Linear head of 2 outputs'."""
    gates = gates_of(model.layers[0])
    names = {**GATE_NAMES, **GRU_GATE_NAMES}
    kind = KIND_NAMES[model.kind] if getattr(model.layers[0], "forget_gate", True) else "1997 LSTM (no forget gate)"
    text = f"{model.num_layers}-layer {kind} (D = {model.input_size}, H = {model.hidden_size}"
    if gates:
        text += ", gates " + ", ".join(f"{g} ({names[g]})" for g in gates)
    text += ")"
    return text + (f" with a Linear head of {model.output_size} outputs" if model.head is not None else ", no head")


def head_frame(lab) -> tuple[pd.DataFrame, float, str]:
    """The lab's head loss, live: (one row per class: logit and softmax probability of the head's network at the last
    step, the chosen class marked; the loss value L; the network's name)."""
    head = lab.loss_kwargs
    model = (state.head_loss() or {}).get("model", "lstm")
    run = compute.layer_run(lab, model, lab.n_layers - 1)  # the head reads the top layer
    logits = losses.head_logits(run.trace.h, head["weight"], head["bias"])
    probs = losses.head_probabilities(run.trace.h, head["weight"], head["bias"])
    value, _ = losses.head_cross_entropy(run.trace.h, head["weight"], head["bias"], head["label"])
    frame = pd.DataFrame({"class": np.arange(1, logits.size + 1), "logit y_k": logits, "softmax p_k": probs,
                          "the loss's class": ["◀" if k == head["label"] else "" for k in range(logits.size)]})
    return frame, value, KIND_NAMES[model] + (f" (top of {lab.n_layers} layers)" if lab.n_layers > 1 else "")
