"""Gates over time: every gate, cell and hidden value as a unit × step heatmap on one shared time axis."""

import streamlit as st

from charts.timeline import gate_heatmaps, saturation_bars, unit_lines
from lstm_core.analysis import gate_saturation
from ui import compute, state, widgets
from ui.glossary import TERMS

UNITS, QUANTITIES = "gates_units", "gates_quantities"  # the line view's choices

st.caption(
    "Each row is one quantity, each heatmap row one unit, each column one step t. Gates i, f, o run from 0 (shut) "
    "to 1 (open); g and h from −1 to 1; the cell state c has no such bound, so its colours span its own largest "
    "|value|. Hover for exact values; the outlined column (or line) marks the selected step."
)


@st.fragment
def heatmaps() -> None:
    lab = state.lab()
    run = compute.lstm_run(lab)
    step = widgets.step_controls(lab.T, key="gates")
    widgets.cached_chart(lab, "gate_heatmaps", lambda s: gate_heatmaps(run.trace, step=s), step=step,
                         key="gate_heatmaps", filename="gates_over_time")


@st.fragment
def lines() -> None:
    lab = state.lab()
    run = compute.lstm_run(lab)
    H = lab.lstm.hidden_size
    st.subheader("Line view of chosen units")
    ss = st.session_state
    # Keep only units that still exist after H changed (first visit: the first two units); written only when that
    # changes them, so quick choices in the widget are never overwritten by a rerun.
    chosen = ss.get(UNITS, [0, 1])
    if UNITS not in ss or any(u >= H for u in chosen):
        ss[UNITS] = [u for u in chosen if u < H]
    ss.setdefault(QUANTITIES, ["f", "c", "h"])
    units = st.multiselect(
        "Units (up to 8)", list(range(H)), max_selections=8,
        format_func=lambda u: f"unit {u + 1}", key=UNITS,
    )
    quantities = st.multiselect(
        "Quantities", ["i", "f", "g", "o", "c", "h"], key=QUANTITIES,
        format_func=lambda q: {"i": "input gate i", "f": "forget gate f", "g": "candidate g", "o": "output gate o",
                               "c": "cell c", "h": "hidden h"}[q],
    )
    if not units or not quantities:
        st.info("Choose at least one unit and one quantity to draw the lines.")
        return
    widgets.cached_chart(lab, "unit_lines", lambda _: unit_lines(run.trace, units, quantities),
                         extra=(units, quantities), key="gate_lines", filename="gate_lines")


heatmaps()
lines()
lab = state.lab()
st.subheader("Gate saturation")
st.caption("Share of all (unit, step) values that are saturated: i, f, o below 0.05 (shut) or above 0.95 (open), g "
           "below −0.9 or above 0.9. A saturated gate passes little gradient to its own weights: its slope "
           "σ(1 − σ) is below 0.048 there, against 0.25 at σ = 0.5 (tanh's 1 − g² below 0.19, against 1 at 0).",
           help="Saturated: " + TERMS["saturated"])
widgets.cached_chart(lab, "saturation", lambda _: saturation_bars(gate_saturation(compute.lstm_run(lab).trace)),
                     key="gate_saturation", filename="gate_saturation")
widgets.csv_download(lab, "lstm", key="gates_csv")
widgets.about_equations()
