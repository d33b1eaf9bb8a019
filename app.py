"""LSTM Gate Lab — router and shared sidebar. Run: streamlit run app.py"""

from __future__ import annotations

import streamlit as st

from lstm_core.presets import PRESETS
from ui import state

st.set_page_config(page_title="LSTM Gate Lab", page_icon=":material/memory:", layout="wide")

PAGES = [
    st.Page("pages/cell.py", title="Cell walkthrough", icon=":material/biotech:", url_path="cell", default=True),
    st.Page("pages/gates.py", title="Gates over time", icon=":material/stacked_line_chart:", url_path="gates"),
    st.Page("pages/gradients.py", title="Gradient flow", icon=":material/trending_down:", url_path="gradients"),
    st.Page("pages/weights.py", title="Inputs and weights", icon=":material/tune:", url_path="weights"),
]

# Static layout CSS only (no user content): less empty space above the page, so a 1280×720 projector shows more.
st.html("<style>[data-testid=stMainBlockContainer]{padding-top:2.5rem}</style>")

state.init_session()
state.keep_shared_keys()
ss = st.session_state

with st.sidebar:
    st.title("LSTM Gate Lab")
    for note in ss.get("_url_notes", []):
        st.warning(note, icon=":material/link:")
    st.selectbox("Preset", list(PRESETS), key="preset", format_func=lambda k: PRESETS[k].title,
                 on_change=state.on_preset_change, help="A ready-made classroom configuration.")
    st.caption(PRESETS[ss["preset"]].explanation)
    c1, c2 = st.columns(2)
    c1.number_input("Input size D", *state.LIMITS["D"], step=1, key="D", help="Input channels per step (1–8).")
    c2.number_input("Hidden size H", *state.LIMITS["H"], step=1, key="H", help="LSTM/RNN units (1–64).")
    st.slider("Sequence length T", *state.LIMITS["T"], key="T", on_change=state.on_T_slider,
              help="Number of time steps (1–2000).")
    st.number_input("T (type an exact length)", *state.LIMITS["T"], step=1, key="T_box", on_change=state.on_T_box)
    st.number_input("Seed", *state.LIMITS["seed"], step=1, key="seed",
                    help="Seeds the weights and the generated input: the same seed gives the same network.")
    st.selectbox("Input sequence", state.input_options(), key="input", format_func=state.input_label)
    st.button("New random weights", icon=":material/casino:", on_click=state.next_seed, width="stretch",
              help="Next seed: new random weights (and a new random input, if the input is generated).")
    st.button("Rewind to this seed", icon=":material/replay:", on_click=state.rewind_seed, width="stretch",
              help="The same seed's initial weights again: drops hand edits and knob settings.")

if ss["t"] > ss["T"]:
    ss["t"] = ss["T"]
    st.toast(f"Step moved to t = {ss['T']}, the new last step.")

lab, conflicts, error = state.resolve()
state.remember_resolved(lab)
if error:
    st.error(f"These settings can't be built: {error} The view below keeps the last valid settings.", icon=":material/error:")
if conflicts:
    what = " and ".join(f"edited {k}" for k in conflicts)
    st.warning(
        f"You changed a setting that rebuilds your {what}. The view still shows your edits. "
        "Apply the new settings (your edits are discarded), or undo the change?",
        icon=":material/pan_tool:",
    )
    a, b, _ = st.columns([2, 2, 3])
    a.button("Apply new settings, discard my edits", on_click=state.discard_edits, args=(conflicts,), type="primary")
    b.button("Keep my edits, undo the change", on_click=state.undo_settings, args=(conflicts,))
else:
    state.write_url(state.config())

with st.sidebar:
    with st.expander("Share this view", icon=":material/share:"):
        st.caption("This link reopens the app with the same preset, sizes, seed, input and step:")
        st.code(state.share_link(state.config()), language=None, wrap_lines=True)
        if lab.edited_weights or lab.edited_inputs:
            st.caption("Hand-edited weights and inputs are not in the link: download them on *Inputs and weights*.")

st.navigation(PAGES).run()
