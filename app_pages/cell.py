"""Cell walkthrough: one LSTM cell at step t, with the live values on the diagram and in the equations."""

import streamlit as st

from charts.cell import cell_diagram, unit_bars
from ui import compute, equations, source, state, widgets

MODE = "cell_mode"  # Forward / Backward (a lesson step may set it: ui/routes.py)

lab = state.lab()
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


@st.fragment
def walkthrough() -> None:
    lab = state.lab()
    run = compute.lstm_run(lab)
    backward = mode == "Backward"
    step = widgets.step_controls(lab.T, key="cell", reverse=backward)
    compact = widgets.on_phone()  # a phone: the diagram's compact layout, whose labels do not overlap at 390 px
    widgets.cached_chart(
        lab, "cell_diagram",
        lambda s: cell_diagram(run.trace, s, unit, grads=run.grads, mode=mode.lower(), compact=compact),
        step=step, extra=(unit, mode, compact), key="cell_diagram", filename=f"lstm_cell_{mode.lower()}_t{step + 1}")
    st.caption("▶ Play animates every step in the browser; the buttons and the step slider above choose the step "
               "that the equations and bars below explain.")
    left, right = st.columns([5, 4])
    listing = st.container()  # below both columns: the whole step function, full width
    with left:
        st.markdown(f"**Unit {unit + 1} of {H}, step t = {step + 1} of {lab.T}**"
                    + (" — gradients" if backward else " — values"))
        if backward:
            st.latex(equations.backward_latex(run.trace, run.grads, run.dh_direct, step, unit))
        else:
            st.latex(equations.forward_latex(run.trace, compute.preactivations(lab), step, unit))
        source.cell_step_code(backward, listing=listing)
    with right:
        widgets.cached_chart(lab, "unit_bars", lambda _: unit_bars(run.trace, step, grads=run.grads, mode=mode.lower()),
                             extra=(step, mode), key="cell_bars", filename=f"lstm_units_t{step + 1}")


walkthrough()
widgets.csv_download(lab, "lstm", key="cell_csv")
widgets.about_equations()
