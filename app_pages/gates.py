"""Gates over time: every gate and state value of the chosen model as a unit × step heatmap on one shared time axis."""

import streamlit as st

from charts.timeline import GRU_QUANTITIES, QUANTITIES, gate_heatmaps, saturation_bars, unit_lines
from lstm_core.analysis import gate_saturation
from ui import compute, state, widgets
from ui.glossary import TERMS

UNITS, QUANTITIES_KEY, LAYER = "gates_units", "gates_quantities", "gates_layer"  # the line view's choices, the layer
NAMES = {"i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o", "c": "cell c",
         "h": "hidden h", "r": "reset gate r", "z": "update gate z", "n": "candidate n"}
# What each model shows (a key of ui.state.MODELS -> its quantities, the line view's first choice)
SHOWN = {"lstm": (QUANTITIES, ["f", "c", "h"]), "lstm1997": (QUANTITIES, ["i", "c", "h"]),
         "gru": (GRU_QUANTITIES, ["z", "h"]), "rnn": (("h",), ["h"])}

lab = state.lab()
model = lab.model
quantities, first_lines = SHOWN[model]
layer = widgets.layer_picker(LAYER, lab.n_layers)
if model == "gru":
    st.caption(
        f"**{widgets.model_title(lab, layer)}.** Each row is one quantity, each heatmap row one unit, each column one "
        "step t. The reset gate r and the update gate z run from 0 to 1; the candidate n and the hidden state h from "
        "−1 to 1. z near 1 keeps hₜ₋₁, near 0 writes the candidate n. Hover for exact values; the outlined column "
        "(or line) marks the selected step.")
elif model == "rnn":
    widgets.no_gates_note("Below is its hidden state h, unit by unit.")
else:
    st.caption(
        f"**{widgets.model_title(lab, layer)}.** Each row is one quantity, each heatmap row one unit, each column one "
        "step t. Gates i, f, o run from 0 (shut) to 1 (open); g and h from −1 to 1; the cell state c has no such "
        "bound, so its colours span its own largest |value|. Hover for exact values; the outlined column (or line) "
        "marks the selected step."
        + (" The 1997 LSTM has no forget gate: its f row is 1 everywhere." if model == "lstm1997" else "")
    )


@widgets.stepping
def heatmaps() -> None:
    lab = state.lab()
    run = compute.layer_run(lab, model, layer)
    step = widgets.step_controls(lab.T, key="gates")
    widgets.cached_chart(lab, "gate_heatmaps", lambda s: gate_heatmaps(run.trace, step=s, quantities=quantities),
                         step=step, extra=(model, layer), key="gate_heatmaps", filename=f"{model}_gates_over_time")


@st.fragment
def lines() -> None:
    lab = state.lab()
    run = compute.layer_run(lab, model, layer)
    H = lab.lstm.hidden_size
    st.subheader("Line view of chosen units")
    ss = st.session_state
    # Keep only units that still exist after H changed (first visit: the first two units); written only when that
    # changes them, so quick choices in the widget are never overwritten by a rerun.
    chosen = ss.get(UNITS, [0, 1])
    if UNITS not in ss or any(u >= H for u in chosen):
        ss[UNITS] = [u for u in chosen if u < H]
    # each model keeps its own choice of quantities (an LSTM's f means nothing to a GRU)
    key = QUANTITIES_KEY if compute.CORE[model] == "lstm" else f"{QUANTITIES_KEY}_{model}"
    ss.setdefault(key, first_lines)
    units = st.multiselect(
        "Units (up to 8)", list(range(H)), max_selections=8,
        format_func=lambda u: f"unit {u + 1}", key=UNITS,
    )
    shown = st.multiselect("Quantities", list(quantities), key=key, format_func=NAMES.get)
    if not units or not shown:
        st.info("Choose at least one unit and one quantity to draw the lines.")
        return
    widgets.cached_chart(lab, "unit_lines", lambda _: unit_lines(run.trace, units, shown),
                         extra=(model, layer, units, shown), key="gate_lines", filename=f"{model}_gate_lines")


heatmaps()
lines()
lab = state.lab()
if model != "rnn":
    st.subheader("Gate saturation")
    st.caption("Share of all (unit, step) values that are saturated: sigmoid gates below 0.05 (shut) or above 0.95 "
               "(open), the candidate below −0.9 or above 0.9. A saturated gate passes little gradient to its own "
               "weights: its slope σ(1 − σ) is below 0.048 there, against 0.25 at σ = 0.5 (tanh's 1 − g² below "
               "0.19, against 1 at 0).", help="Saturated: " + TERMS["saturated"])
    widgets.cached_chart(
        lab, "saturation", lambda _: saturation_bars(gate_saturation(compute.layer_run(lab, model, layer).trace)),
        extra=(model, layer), key="gate_saturation", filename=f"{model}_gate_saturation")
widgets.csv_download(lab, model, key="gates_csv")
widgets.about_equations()
