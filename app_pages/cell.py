"""Cell walkthrough: one cell of the chosen model at step t, with the live values on the diagram and in the
equations (the LSTM's and the 1997 LSTM's diagram, the GRU's, the tanh RNN's one equation)."""

import streamlit as st

from charts.cell import cell_diagram, gru_cell_diagram, unit_bars, unit_bars_at, with_step_frame
from ui import compute, equations, source, state, widgets

MODE = "cell_mode"  # Forward / Backward (a lesson step may set it: ui/routes.py)
LAYER = "cell_layer"  # which layer of a stack the page shows

lab = state.lab()
model = lab.model
H = lab.lstm.hidden_size
top = st.columns([2, 3])


def _start_backward_at_the_end() -> None:
    """BPTT walks from t = T back to 1, so switching to Backward starts at the last step."""
    if st.session_state.get(MODE) == "Backward":
        state.set_step(lab.T)


st.session_state.setdefault(MODE, "Forward")  # default here, not in the widget: a lesson step sets it too
mode = top[0].segmented_control(
    "Direction", ["Forward", "Backward"], key=MODE, on_change=_start_backward_at_the_end,
    help="Forward: the values the cell computes. Backward: the gradients BPTT sends back, from t = T down to 1.",
) or "Forward"
unit = widgets.unit_slider("cell_unit", "Unit shown on the diagram", H, where=top[1], notes=True,
                           help="The diagram follows one hidden unit; the bars below show all units.")
layer = widgets.layer_picker(LAYER, lab.n_layers)
if model == "rnn":
    widgets.no_gates_note("So there is no cell diagram to draw; its live equation is below.")
elif model == "lstm1997":
    st.caption("The 1997 LSTM (Hochreiter & Schmidhuber): no forget gate, f ≡ 1, so cₜ = cₜ₋₁ + iₜ ⊙ gₜ.")


@widgets.stepping
def walkthrough() -> None:
    lab = state.lab()
    run = compute.layer_run(lab, model, layer)
    backward = mode == "Backward"
    step = widgets.step_controls(lab.T, key="cell", reverse=backward)
    name, title = model.replace("1997", ""), widgets.model_title(lab, layer)
    direct = "loss" if layer == lab.n_layers - 1 else f"layer {layer + 2}"
    if compute.CORE[model] == "lstm":
        compact = widgets.on_phone()  # a phone: the diagram's compact layout, whose labels do not overlap at 390 px
        theme = widgets.theme()  # light: darker text than Streamlit's chart grey
        widgets.cached_chart(
            lab, "cell_diagram",
            lambda s: cell_diagram(run.trace, s, unit, grads=run.grads, mode=mode.lower(), compact=compact,
                                   theme=theme),
            step=step, frame=lambda spec, s: with_step_frame(spec, run.trace, s, unit, grads=run.grads,
                                                             mode=mode.lower(), compact=compact),
            extra=(model, layer, unit, mode, compact, theme), key="cell_diagram",
            filename=f"{model}_cell_{mode.lower()}_t{step + 1}")
        st.caption("The diagram's own ▶ Play animates it alone, smoothly, in your browser (with a mouse or touch); "
                   "Play above, the buttons and the step slider move the step of the whole page: diagram, equations "
                   "and bars.")
    elif model == "gru":
        if backward:
            st.info("The GRU diagram shows the forward values at this step; BPTT's gradients at this step are in the "
                    "equations and the bars below.", icon=":material/info:")
        widgets.cached_chart(lab, "gru_cell_diagram", lambda _: gru_cell_diagram(run.trace, step, unit),
                             extra=(layer, unit, step), key="gru_cell_diagram", filename=f"gru_cell_t{step + 1}")
        st.caption("Play, the buttons and the step slider above choose the step the diagram, the equations and the "
                   "bars show.")
    left, right = st.columns([5, 4])
    listing = st.container()  # below both columns: the whole step function, full width
    with left:
        st.markdown(f"**{title}: unit {unit + 1} of {H}, step t = {step + 1} of {lab.T}**"
                    + (" — gradients" if backward else " — values"))
        if backward:
            latex = {"lstm": equations.backward_latex, "gru": equations.gru_backward_latex,
                     "rnn": equations.rnn_backward_latex}[compute.CORE[model]]
            st.latex(latex(run.trace, run.grads, run.dh_direct, step, unit, direct=direct))
        else:
            latex = {"lstm": equations.forward_latex, "gru": equations.gru_forward_latex,
                     "rnn": equations.rnn_forward_latex}[compute.CORE[model]]
            st.latex(latex(run.trace, compute.preactivations_of(lab, model, layer), step, unit))
        source.cell_step_code(backward, listing=listing, model=compute.CORE[model])
    if model != "rnn":
        with right:
            widgets.cached_chart(
                lab, "unit_bars", lambda s: unit_bars(run.trace, s, grads=run.grads, mode=mode.lower()), step=step,
                at=lambda spec, s: unit_bars_at(spec, run.trace, s, grads=run.grads, mode=mode.lower()),
                extra=(model, layer, mode), key="cell_bars", filename=f"{name}_units_t{step + 1}")


walkthrough()
widgets.csv_download(lab, model, key="cell_csv")
widgets.about_equations()
