"""LSTM Gate Lab — router and shared sidebar. Run: streamlit run app.py"""

from __future__ import annotations

import ui.preload  # noqa: F401  (first: see ui/preload.py)

from pathlib import Path

import streamlit as st

from lstm_core.presets import PRESETS
from ui import presenter, state, widgets

# The tab icon is a file served by the app itself: a ":material/…:" icon would be fetched from fonts.gstatic.com,
# which a classroom network without internet access cannot reach.
ICON = Path(__file__).resolve().parent / "assets" / "icon.png"

# Presenter mode (?present=1): the sidebar starts collapsed and holds no controls, type is larger (ui/presenter.py).
st.set_page_config(page_title="LSTM Gate Lab", page_icon=str(ICON), layout="wide",
                   initial_sidebar_state="collapsed" if presenter.presenting() else "auto")

DEFAULT_ROUTE = "cell"  # the default page, served at "/"
ROUTES = {  # url path -> page; lesson steps (assets/lessons/) name their page by these paths
    "lessons": st.Page("pages/lessons.py", title="Lessons", icon=":material/school:", url_path="lessons"),
    # The default page is served at "/" whatever its url_path; "/cell" is the alias page below.
    "cell": st.Page("pages/cell.py", title="Cell walkthrough", icon=":material/biotech:", url_path="walkthrough",
                    default=True),
    "gates": st.Page("pages/gates.py", title="Gates over time", icon=":material/stacked_line_chart:", url_path="gates"),
    "gradients": st.Page("pages/gradients.py", title="Gradient flow", icon=":material/trending_down:", url_path="gradients"),
    "weights": st.Page("pages/weights.py", title="Inputs and weights", icon=":material/tune:", url_path="weights"),
    "explorer": st.Page("pages/explorer.py", title="Gradient explorer", icon=":material/grid_on:", url_path="explorer"),
    "myths": st.Page("pages/myths.py", title="Myths vs. measurements", icon=":material/fact_check:", url_path="myths"),
    "training": st.Page("pages/training.py", title="Training lab", icon=":material/model_training:", url_path="training"),
    "text": st.Page("pages/text.py", title="Text lab", icon=":material/code:", url_path="text"),
}
TITLES = {path: page.title for path, page in ROUTES.items()}


def _cell_alias() -> None:
    """/cell (a link someone typed or shared): open the default page at "/" with the same query parameters,
    instead of Streamlit's "Page not found" dialog."""
    st.switch_page(ROUTES["cell"], query_params=st.query_params.to_dict())


CELL_ALIAS = st.Page(_cell_alias, title="Cell walkthrough", url_path="cell", visibility="hidden")

# Static layout CSS only (no user content): less empty space above the page, so a 1280×720 projector shows more.
st.html("<style>[data-testid=stMainBlockContainer]{padding-top:2.5rem}</style>")

state.init_session()
presenter.init(ROUTES, DEFAULT_ROUTE)  # a lesson link (?lesson=…&step=…) loads its step's settings on the session's first run
state.keep_shared_keys()
ss = st.session_state
present = presenter.presenting()

presenter.follow(ROUTES)  # a lesson step opened on another page: switch there now (ends this run)
page = st.navigation([*ROUTES.values(), CELL_ALIAS])
here = DEFAULT_ROUTE if page in (ROUTES["cell"], CELL_ALIAS) or not page.url_path else page.url_path
presenter.arrived(here)
presenter.style()
notes = [*ss.get("_url_notes", []), *presenter.notes()]

if present:  # no controls, only the way out; the lesson panel below holds the step navigation
    for note in notes:
        st.warning(note, icon=":material/link:")
    with st.sidebar:
        st.button("Leave presenter mode", icon=":material/close_fullscreen:", key="present_off",
                  on_click=presenter.set_presenting, args=(False,), width="stretch")
        widgets.glossary()
else:
    with st.sidebar:
        st.title("LSTM Gate Lab")
        for note in notes:
            st.warning(note, icon=":material/link:")
        st.selectbox("Preset", list(PRESETS), key="preset", format_func=lambda k: PRESETS[k].title,
                     on_change=state.on_preset_change, help="A ready-made classroom configuration.")
        st.caption(PRESETS[ss["preset"]].explanation)
        c1, c2 = st.columns(2)
        c1.number_input("Input size D", *state.LIMITS["D"], step=1, key="D", help="Input channels per step (1–8).")
        c2.number_input("Hidden size H", *state.LIMITS["H"], step=1, key="H", help="LSTM/RNN units (1–64).")
        st.slider("Sequence length T", *state.LIMITS["T"], key="T",
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
presenter.panel(here, TITLES)  # the running lesson's step, above the page
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
    state.write_url(state.config(), presenter.url_params())

if not present:
    with st.sidebar:
        st.button("Presenter mode", icon=":material/present_to_all:", key="present_on", width="stretch",
                  on_click=presenter.set_presenting, args=(True,),
                  help="Larger type and no controls, for a projector (links with present=1 open in it).")
        with st.expander("Share this view", icon=":material/share:"):
            st.caption("This link reopens the app with the same preset, sizes, seed, input and step:")
            st.code(state.share_link(), language=None, wrap_lines=True)
            if lab.edited_weights or lab.edited_inputs:
                st.caption("Hand-edited weights and inputs are not in the link: download them on *Inputs and weights*.")
        widgets.glossary()

page.run()
