"""Gradient flow: the same input through an LSTM and a tanh RNN; how much gradient reaches each earlier step."""

import ui.preload  # noqa: F401  (first: see ui/preload.py)

import streamlit as st

from charts.gradients import gradient_flow, path_factors
from lstm_core.analysis import first_last_ratio
from lstm_core.losses import describe_loss
from ui import compute, source, state, widgets

QUICK = {"vanishing_rnn": "Vanishing (tanh RNN)", "preserved_lstm": "Preserved (LSTM, b_f = +4)",
         "exploding_rnn": "Exploding (RNN, ρ = 1.5)"}

lab = state.current()
st.header("Gradient flow: LSTM vs tanh RNN")
st.caption(
    "Both models read the same input and the same loss; the curves show how large ∂L/∂h_t and ∂L/∂c_t are at "
    "every earlier step t. Read them from right (where the loss is) to left (the start of the sequence)."
)

cols = st.columns(len(QUICK) + 1)
cols[0].markdown("**Presets:**")
for col, (key, label) in zip(cols[1:], QUICK.items()):
    col.button(label, key=f"quick_{key}", on_click=state.choose_preset, args=(key,), width="stretch",
               type="primary" if lab.cfg["preset"] == key else "secondary")


def _ratio(r: float) -> str:
    return "—" if r == 0 else f"{r:.2e}"


def _half_life(n) -> str:
    return "never (stays ≥ 10 %)" if n is None else f"{n} steps"


widgets.length_control(key="grad")


@st.fragment
def flow() -> None:
    lab = state.refresh()
    widgets.knob_controls()
    lstm, rnn = compute.lstm_run(lab), compute.rnn_run(lab)
    st.markdown(f"**Loss:** {describe_loss(lab.loss, **lab.loss_kwargs)}")

    hl = compute.half_lives(lstm, rnn)
    m = st.columns(4)
    m[0].metric("LSTM ‖∂L/∂c₁‖ / ‖∂L/∂c_T‖", _ratio(first_last_ratio(lstm.norms["dc"])),
                help="How much of the gradient at the last step survives back to the first, along the cell state.")
    m[1].metric("RNN ‖∂L/∂h₁‖ / ‖∂L/∂h_T‖", _ratio(first_last_ratio(rnn.norms["dh"])),
                help="The same ratio for the tanh RNN's hidden state.")
    m[2].metric("LSTM memory half-life", _half_life(hl["LSTM"]),
                help="Steps back from T until ‖∂L/∂c_t‖ first falls below 1/10 of its value at T.")
    m[3].metric("RNN memory half-life", _half_life(hl["RNN"]),
                help="Steps back from T until ‖∂L/∂h_t‖ first falls below 1/10 of its value at T.")

    curves = {"LSTM ‖∂L/∂h_t‖": lstm.norms["dh"], "LSTM ‖∂L/∂c_t‖": lstm.norms["dc"], "RNN ‖∂L/∂h_t‖": rnn.norms["dh"]}
    widgets.cached_chart(
        lab, "gradient_flow", lambda _: gradient_flow(curves, half_lives=hl, title="Gradient norm at each step (log scale)"),
        key="grad_flow", filename="gradient_flow")

    st.subheader("Why one survives and the other does not")
    st.markdown(
        "Along the cell state the LSTM multiplies the gradient by the forget gates only: **∏ f** (orange). "
        "The tanh RNN multiplies by **W_hhᵀ·diag(1 − h²)** at every step; the line shows the exact size of that "
        "product (its spectral norm). Products of numbers below 1 vanish geometrically; above 1 they explode."
    )
    def build(_):
        carousel, rnn_factor = compute.path_factors(lab)
        return path_factors(carousel, rnn_factor, title="Gain from step t to the last step")

    with st.spinner("Computing the exact RNN Jacobian products…"):
        widgets.cached_chart(lab, "path_factors", build, key="path_factors", filename="path_factors")
    source.carried_back_code()
    d1, d2 = st.columns(2)
    with d1:
        widgets.csv_download(lab, "lstm", key="grad_csv_lstm")
    with d2:
        widgets.csv_download(lab, "rnn", key="grad_csv_rnn")


flow()
widgets.about_equations()
