"""Gradient flow: the same input through two or three models (LSTM, GRU, tanh RNN, 1997 LSTM); how much gradient
reaches each earlier step, and with stacked layers, each layer."""

import numpy as np
import streamlit as st

from charts.gradients import gradient_flow, layer_heatmap, path_factors
from lstm_core.analysis import first_last_ratio
from lstm_core.losses import describe_loss
from ui import compute, source, state, widgets
from ui.glossary import GREFF_2017, TERMS

QUICK = {"vanishing_rnn": "Vanishing (RNN)", "preserved_lstm": "Preserved (LSTM)", "exploding_rnn": "Exploding (RNN)",
         "exploding_lstm": "Exploding (LSTM)"}
COMPARED = "grad_models"  # the models compared (a lesson step may set it: ui/routes.py)
DEFAULT_COMPARED = ["lstm", "rnn"]
SUBSCRIPT = {"dc": ("c", "∂L/∂c"), "dh": ("h", "∂L/∂h")}

lab = state.lab()
st.caption(
    "Every model reads the same input and the same loss; the curves show how large ∂L/∂h_t (and, for the LSTMs, "
    "∂L/∂c_t) are at every earlier step t. Read them from right (where the loss is) to left (the start of the "
    "sequence)."
)

cols = st.columns(len(QUICK) + 1)
cols[0].markdown("**Presets:**")
for col, (key, label) in zip(cols[1:], QUICK.items()):
    col.button(label, key=f"quick_{key}", on_click=state.choose_preset, args=(key,), width="stretch",
               type="primary" if lab.cfg[state.PRESET] == key else "secondary")


def _ratio(norms) -> str:
    """norms[0] / norms[−1] for a metric: "—" when nothing arrives at step 1; "∞" said as what it is when the last
    step's norm is exactly 0 (e.g. a 1997 LSTM cell so large that tanh(c_T) is ±1: nothing enters it at step T);
    "overflow" if the quotient passes float64's largest number."""
    r = first_last_ratio(norms)
    if r == 0:
        return "—"
    if norms[-1] == 0:
        return "∞ (0 at step T)"
    return f"{r:.2e}" if np.isfinite(r) else "overflow (> 10³⁰⁸)"


def _half_life(n) -> str:
    return "never within T" if n is None else f"{n} step{'s' if n != 1 else ''}"


def _norm_names(model: str) -> list[str]:
    """What a model's curves show: 'dh' and 'dc' for the LSTMs, 'dh' for the others."""
    return ["dh", "dc"] if compute.carried(model) == "dc" else ["dh"]


widgets.length_control(key="grad")
st.session_state.setdefault(COMPARED, DEFAULT_COMPARED)  # default here, not in the widget: a lesson step sets it too
chosen = st.multiselect(
    "Models compared (two or three)", list(compute.COMPARED_MODELS), key=COMPARED, max_selections=3,
    format_func=lambda m: state.MODELS[m],
    help="Each model runs on the same input under the same loss: the LSTM and the tanh RNN are the preset's, the "
         "GRU is PyTorch's initialisation for the seed (or a loaded model's), the 1997 LSTM is the LSTM without its "
         "forget gate.")
if "lstm1997" in chosen:
    st.caption(GREFF_2017)
if lab.model not in chosen and state.edits().stack(compute.CORE[lab.model]):
    st.info(f"The sidebar's model, the {state.MODELS[lab.model]} with your loaded or edited weights, is not among the "
            "models compared: add it above to see its gradients.", icon=":material/info:")


@st.fragment
def flow() -> None:
    lab = state.lab()
    widgets.knob_controls()
    if not chosen:
        st.info("Choose at least one model above (two or three to compare them).", icon=":material/info:")
        return
    top = lab.n_layers - 1
    runs = {m: compute.layer_run(lab, m, top) for m in chosen}
    st.markdown(f"**Loss:** {describe_loss(lab.loss, **lab.loss_kwargs)}",
                help=("Probe: " + TERMS["probe"]) if lab.loss == "probe_unit" else None)
    if lab.n_layers > 1:
        st.caption(f"With {lab.n_layers} stacked layers the curves and numbers are the top layer's (layer "
                   f"{lab.n_layers}, the one the loss reads); the heatmaps below show every layer.")

    hl = compute.carried_half_lives(runs)
    ratios = []
    for m in chosen:
        for q in sorted(_norm_names(m)):  # 'dc' before 'dh': the carried quantity first
            sub, symbol = SUBSCRIPT[q]
            ratios.append((f"{compute.MODEL_LABELS[m]} ‖∂L/∂{sub}₁‖ / ‖∂L/∂{sub}_T‖",
                           _ratio(runs[m].norms[q]),
                           f"How much of {symbol}_t's norm at the last step is still there at the first step."
                           + (" Only the cell path is protected by the forget gates: ∂L/∂h can vanish while ∂L/∂c "
                              "survives." if q == "dh" and "dc" in runs[m].norms else "")))
    m_cols = st.columns(max(3, len(ratios)))
    for col, (label, value, help_text) in zip(m_cols, ratios):
        col.metric(label, value, help=help_text)
    m_cols = st.columns(max(3, len(chosen)))
    for col, m in zip(m_cols, chosen):
        sub = SUBSCRIPT[compute.carried(m)][0]
        col.metric(f"{compute.MODEL_LABELS[m]} half-life of ‖∂L/∂{sub}_t‖", _half_life(hl[compute.MODEL_LABELS[m]]),
                   help="Half-life: " + TERMS["half-life"])

    curves = {f"{compute.MODEL_LABELS[m]} ‖∂L/∂{SUBSCRIPT[q][0]}_t‖": runs[m].norms[q]
              for m in chosen for q in _norm_names(m)}
    widgets.cached_chart(
        lab, "gradient_flow",
        lambda _: gradient_flow(curves, half_lives=hl, title="Gradient norm at each step (log scale)"),
        extra=(tuple(chosen),), key="grad_flow", filename="gradient_flow")

    if lab.n_layers > 1:
        st.subheader("Depth and time: every layer's gradient")
        st.caption("‖∂L/∂h_t‖ of each layer at each step, coloured by its log₁₀: the loss reads the top layer at the "
                   "right; the gradient travels left through time and down through the layers (each layer's h gets "
                   "what the layer above sends back through its input).")
        for m in chosen:
            norms = compute.stack_run(lab, m).norms
            widgets.cached_chart(
                lab, "layer_heatmap",
                lambda _, m=m, norms=norms: layer_heatmap(
                    norms, title=f"{state.MODELS[m]}: ‖∂L/∂h_t‖ per layer and step (colour: log₁₀)"),
                extra=(m, lab.n_layers), key=f"grad_layers_{m}", filename=f"{m}_gradient_layers")

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
            f"**Here** (one layer)**:** the cell path alone carries **∏ f = {np.median(carousel[0]):.2g}** (median "
            f"over units) from the last step back to the first, while ∂L/∂c arrives at "
            f"**{first_last_ratio(compute.lstm_run(lab).norms['dc']):.2g}** of its value at the end: the two differ "
            "because the gradient also comes back through h and W_hh."
            + (f" The GRU's direct path hₜ = … + z ⊙ hₜ₋₁ carries **∏ z = "
               f"{np.median(compute.update_gate_path(lab)[0]):.2g}** over the same steps." if "gru" in chosen else "")
        )
    st.info(
        "**LSTMs mitigate vanishing gradients; they do not solve them.** Their ∂L/∂h can still vanish while ∂L/∂c "
        "survives, a forget gate below 1 still loses the gradient over a long enough gap, and large recurrent "
        "weights make an LSTM's gradient explode too (preset *Exploding gradient (LSTM)*).",
        icon=":material/balance:")
    source.carried_back_code()
    for col, m in zip(st.columns(len(chosen)), chosen):
        with col:
            widgets.csv_download(lab, m, key=f"grad_csv_{m}")


flow()
widgets.about_equations()
