"""LSTM Gate Lab — router and shared sidebar. Run: streamlit run app.py"""

from __future__ import annotations

# First, completely: several sessions starting at once on a fresh server (a class opening the teacher's link) run
# app.py in parallel threads, and plotly looks pandas up in sys.modules without importing it, so one session could
# see another's half-imported pandas ("partially initialized module 'pandas' has no attribute 'Series'"). Importing
# both here makes every thread wait on the import lock until they are complete (tests/e2e: "a class arriving at once").
import pandas  # noqa: F401, I001
import plotly.graph_objects  # noqa: F401
import plotly.io  # noqa: F401

from pathlib import Path

import streamlit as st

from lstm_core.presets import PRESETS
from ui import presenter, routes, state, widgets
from ui.glossary import GREFF_2017

# The tab icon is a file served by the app itself: a ":material/…:" icon would be fetched from fonts.gstatic.com,
# which a classroom network without internet access cannot reach.
ICON = Path(__file__).resolve().parent / "assets" / "icon.png"

# Presenter mode (?present=1): the sidebar starts collapsed and holds no controls, type is larger (ui/presenter.py).
st.set_page_config(page_title="LSTM Gate Lab", page_icon=str(ICON), layout="wide",
                   initial_sidebar_state="collapsed" if presenter.presenting() else "auto")

# url path -> page, from the route table (ui/routes.py). The default page is served at "/" whatever its url_path,
# and Streamlit answers that url_path itself with "Page not found"; so it gets a path of its own, and its route's
# path (/cell, a link someone typed or shared) is a hidden page that opens it with the same query parameters.
PAGES = {route.path: st.Page(route.file, title=route.title, icon=route.icon, default=route.default,
                             url_path=f"{route.path}-page" if route.default else route.path)
         for route in routes.ROUTES}


def _default_page_alias() -> None:
    st.switch_page(PAGES[routes.DEFAULT.path], query_params=st.query_params.to_dict())


ALIAS = st.Page(_default_page_alias, title=routes.DEFAULT.title, url_path=routes.DEFAULT.path, visibility="hidden")

# Static layout CSS only (no user content): less empty space above the page, so a 1280×720 projector shows more.
st.html("<style>[data-testid=stMainBlockContainer]{padding-top:2.5rem}</style>")

step_moved = state.begin_run()
presenter.init()  # a lesson link (?lesson=…&step=…) loads its step's settings on the session's first run
present = presenter.presenting()

presenter.follow(PAGES)  # a lesson step opened on another page: switch there now (ends this run)
page = st.navigation([*PAGES.values(), ALIAS])
route = next((r for r in routes.ROUTES if PAGES[r.path] == page), routes.DEFAULT)  # the alias: the default page
presenter.arrived(route.path)
state.on_page(route.path)  # leaving a page stops its Play
presenter.style()
notes = [*state.url_notes(), *presenter.notes()]

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
        st.selectbox("Preset", list(PRESETS), key=state.PRESET, format_func=lambda k: PRESETS[k].title,
                     on_change=state.on_preset_change, persist_state="session",
                     help="A ready-made classroom configuration.")
        st.caption(PRESETS[state.setting(state.PRESET)].explanation)
        m1, m2 = st.columns([5, 2])
        m1.selectbox("Model", list(state.MODELS), key=state.MODEL, format_func=state.MODELS.get,
                     persist_state="session",
                     help="Which model the cell walkthrough and the gates page draw. The LSTM and the tanh RNN are "
                          "the preset's; the GRU is PyTorch's initialisation for the seed (the knobs apply to it "
                          "too); the 1997 LSTM is the preset's LSTM without its forget gate (f ≡ 1). A model loaded "
                          "on Inputs and weights replaces its kind's weights, every layer.")
        m2.number_input("Layers", *state.LIMITS[state.LAYERS], step=1, key=state.LAYERS, persist_state="session",
                        help="Stacked layers (1–3): layer 1 reads x, each layer above reads the hidden states of "
                             "the one below, and the loss reads the top layer.")
        if state.setting(state.MODEL) == "lstm1997":
            st.caption(GREFF_2017)
        c1, c2 = st.columns(2)
        c1.number_input("Input size D", *state.LIMITS[state.D], step=1, key=state.D, persist_state="session",
                        help="Input channels per step (1–8).")
        c2.number_input("Hidden size H", *state.LIMITS[state.H], step=1, key=state.H, persist_state="session",
                        help="LSTM/RNN units (1–64).")
        st.slider("Sequence length T", *state.LIMITS[state.T], key=state.T, persist_state="session",
                  help="Number of time steps (1–2000).")
        box_key, box_args = state.mirror(state.T, state.T_BOX)
        st.number_input("T (type an exact length)", *state.LIMITS[state.T], value=state.setting(state.T), step=1,
                        key=box_key, on_change=state.on_mirror, args=box_args)
        st.number_input("Seed", *state.LIMITS[state.SEED], step=1, key=state.SEED, persist_state="session",
                        help="Seeds the weights and the generated input: the same seed gives the same network.")
        st.selectbox("Input sequence", state.input_options(), key=state.INPUT, format_func=state.input_label,
                     persist_state="session")
        st.button("New random weights", icon=":material/casino:", on_click=state.next_seed, width="stretch",
                  help="Next seed: new random weights (and a new random input, if the input is generated).")
        st.button("Rewind to this seed", icon=":material/replay:", on_click=state.rewind_seed, width="stretch",
                  help="The same seed's initial weights again: drops hand edits and knob settings.")

if step_moved and routes.STEP in route.controls:  # said where the step is shown
    st.toast(step_moved)

lab, conflicts, error = state.resolve()
presenter.panel(route.path)  # the running lesson's step, above the page
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
    state.write_url(presenter.url_params())

if not present:
    with st.sidebar:
        st.button("Presenter mode", icon=":material/present_to_all:", key="present_on", width="stretch",
                  on_click=presenter.set_presenting, args=(True,),
                  help="Larger type and no controls, for a projector (links with present=1 open in it).")
        with st.expander("Share this view", icon=":material/share:"):
            st.caption("This link reopens the app with the same preset, sizes, seed, input and step:")
            st.code(state.share_link(), language=None, wrap_lines=True)
            if lab.edited_weights or lab.edited_inputs:
                st.caption("Hand-edited or loaded weights and inputs are not in the link: download them on *Inputs "
                           "and weights*.")
        widgets.glossary()

st.header(route.header)
page.run()
