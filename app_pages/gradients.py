"""Gradient flow: the same input through an LSTM and a tanh RNN; how much gradient reaches each earlier step."""

import numpy as np
import streamlit as st

from charts.gradients import gradient_flow, path_factors
from lstm_core.analysis import first_last_ratio
from lstm_core.losses import describe_loss
from ui import compute, source, state, widgets
from ui.glossary import TERMS

QUICK = {"vanishing_rnn": "Vanishing (RNN)", "preserved_lstm": "Preserved (LSTM)", "exploding_rnn": "Exploding (RNN)",
         "exploding_lstm": "Exploding (LSTM)"}

lab = state.lab()
st.caption(
    "Both models read the same input and the same loss; the curves show how large ∂L/∂h_t and ∂L/∂c_t are at "
    "every earlier step t. Read them from right (where the loss is) to left (the start of the sequence)."
)

cols = st.columns(len(QUICK) + 1)
cols[0].markdown("**Presets:**")
for col, (key, label) in zip(cols[1:], QUICK.items()):
    col.button(label, key=f"quick_{key}", on_click=state.choose_preset, args=(key,), width="stretch",
               type="primary" if lab.cfg[state.PRESET] == key else "secondary")


def _ratio(r: float) -> str:
    return "—" if r == 0 else f"{r:.2e}"


def _half_life(n) -> str:
    return "never within T" if n is None else f"{n} step{'s' if n != 1 else ''}"


widgets.length_control(key="grad")


@st.fragment
def flow() -> None:
    lab = state.lab()
    widgets.knob_controls()
    lstm, rnn = compute.lstm_run(lab), compute.rnn_run(lab)
    st.markdown(f"**Loss:** {describe_loss(lab.loss, **lab.loss_kwargs)}",
                help=("Probe: " + TERMS["probe"]) if lab.loss == "probe_unit" else None)

    hl = compute.half_lives(lstm, rnn)
    m = st.columns(3)
    m[0].metric("LSTM ‖∂L/∂c₁‖ / ‖∂L/∂c_T‖", _ratio(first_last_ratio(lstm.norms["dc"])),
                help="How much of the cell state's gradient at the last step is still there at the first step, "
                     "along the cell path and back through h together.")
    m[1].metric("LSTM ‖∂L/∂h₁‖ / ‖∂L/∂h_T‖", _ratio(first_last_ratio(lstm.norms["dh"])),
                help="The same ratio for the LSTM's hidden state h. Only the cell path is protected by the forget "
                     "gates: ∂L/∂h can vanish while ∂L/∂c survives.")
    m[2].metric("RNN ‖∂L/∂h₁‖ / ‖∂L/∂h_T‖", _ratio(first_last_ratio(rnn.norms["dh"])),
                help="The same ratio for the tanh RNN's hidden state.")
    m = st.columns(3)
    m[0].metric("LSTM half-life of ‖∂L/∂c_t‖", _half_life(hl["LSTM"]), help="Half-life: " + TERMS["half-life"])
    m[1].metric("RNN half-life of ‖∂L/∂h_t‖", _half_life(hl["RNN"]), help="Half-life: " + TERMS["half-life"])

    curves = {"LSTM ‖∂L/∂h_t‖": lstm.norms["dh"], "LSTM ‖∂L/∂c_t‖": lstm.norms["dc"], "RNN ‖∂L/∂h_t‖": rnn.norms["dh"]}
    widgets.cached_chart(
        lab, "gradient_flow", lambda _: gradient_flow(curves, half_lives=hl, title="Gradient norm at each step (log scale)"),
        key="grad_flow", filename="gradient_flow")

    st.subheader("Why the cell path keeps the gradient longer")
    st.markdown(
        "Along the cell state the LSTM multiplies the gradient by the forget gates only: **∏ f** (orange). The "
        "tanh RNN multiplies by **W_hhᵀ·diag(1 − h²)** at every step; its line is the exact size of that product "
        "(its spectral norm). Long products of factors below 1 vanish geometrically, above 1 they explode. "
        "∏ f stays constant only if f ≡ 1: with f < 1 it shrinks too, only more slowly."
    )
    with st.spinner("Computing the exact RNN Jacobian products…"):
        carousel, rnn_factor = compute.path_factors(lab)
        widgets.cached_chart(lab, "path_factors",
                             lambda _: path_factors(carousel, rnn_factor, title="Gain from step t to the last step"),
                             key="path_factors", filename="path_factors")
    if lab.T > 1:
        st.caption(
            f"**Here:** the cell path alone carries **∏ f = {np.median(carousel[0]):.2g}** (median over units) from "
            f"the last step back to the first, while ∂L/∂c arrives at **{first_last_ratio(lstm.norms['dc']):.2g}** "
            "of its value at the end: the two differ because the gradient also comes back through h and W_hh."
        )
    st.info(
        "**LSTMs mitigate vanishing gradients; they do not solve them.** Their ∂L/∂h can still vanish while ∂L/∂c "
        "survives, a forget gate below 1 still loses the gradient over a long enough gap, and large recurrent "
        "weights make an LSTM's gradient explode too (preset *Exploding gradient (LSTM)*).",
        icon=":material/balance:")
    source.carried_back_code()
    d1, d2 = st.columns(2)
    with d1:
        widgets.csv_download(lab, "lstm", key="grad_csv_lstm")
    with d2:
        widgets.csv_download(lab, "rnn", key="grad_csv_rnn")


flow()
widgets.about_equations()
