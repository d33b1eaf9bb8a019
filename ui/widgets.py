"""Streamlit building blocks every page shares: charts with the PNG modebar, CSV download, step controls, knobs and
the "About the equations" expander. One place per idea, so the pages stay thin."""

from __future__ import annotations

import functools
import re

import plotly.graph_objects as go
import streamlit as st

from charts.style import plotly_config
from charts.summary import figure_summary
from ui import compute, figures, state
from ui import glossary as _glossary

EQUATIONS = r"""
\begin{aligned}
i_t &= \sigma(W_{ii}\,x_t + b_{ii} + W_{hi}\,h_{t-1} + b_{hi}) &
f_t &= \sigma(W_{if}\,x_t + b_{if} + W_{hf}\,h_{t-1} + b_{hf}) \\
g_t &= \tanh(W_{ig}\,x_t + b_{ig} + W_{hg}\,h_{t-1} + b_{hg}) &
o_t &= \sigma(W_{io}\,x_t + b_{io} + W_{ho}\,h_{t-1} + b_{ho}) \\
c_t &= f_t \odot c_{t-1} + i_t \odot g_t & h_t &= o_t \odot \tanh(c_t)
\end{aligned}
"""

STACKED = r"""
z_t = W_{ih}\,x_t + b_{ih} + W_{hh}\,h_{t-1} + b_{hh} = [z_i;\ z_f;\ z_g;\ z_o], \qquad
W_{ih} = \begin{bmatrix} W_{ii} \\ W_{if} \\ W_{ig} \\ W_{io} \end{bmatrix}, \quad
W_{hh} = \begin{bmatrix} W_{hi} \\ W_{hf} \\ W_{hg} \\ W_{ho} \end{bmatrix}
"""

BPTT = r"""
\begin{aligned}
\tfrac{\partial L}{\partial h_t} &= \tfrac{\partial L}{\partial h_t}\Big|_{\text{direct}} + W_{hh}^\top\, dz_{t+1} \\
\tfrac{\partial L}{\partial c_t} &= \tfrac{\partial L}{\partial h_t} \odot o_t \odot (1-\tanh^2 c_t)
  + f_{t+1} \odot \tfrac{\partial L}{\partial c_{t+1}}
\end{aligned}
"""


FLASH_ICONS = {"success": ":material/check_circle:", "info": ":material/info:", "warning": ":material/warning:",
               "error": ":material/error:"}


def chart(fig: go.Figure, *, key: str, filename: str, **kwargs):
    """Show a figure full width, SVG-friendly, with a PNG download in its modebar, and under it a one-line summary
    computed from the data it draws (charts.summary.figure_summary): for screen readers, which cannot read a
    Plotly chart, and for the back rows of a lecture hall."""
    event = st.plotly_chart(fig, width="stretch", config=plotly_config(filename), key=key, **kwargs)
    st.caption(caption_text(figure_summary(fig.to_dict())))
    return event


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-!|$<>~])")


def caption_text(summary: str) -> str:
    """A summary as a caption that shows exactly its characters: Markdown and LaTeX characters escaped (trace names
    such as 'dL/dh_t … W_hh' would otherwise turn into italics)."""
    return _MARKDOWN.sub(r"\\\1", summary)


def cached_chart(lab: state.Lab, name: str, build, *, step: int | None = None, at=None, frame=None, extra=(),
                 key: str, filename: str):
    """Show ``build(step)`` through the figure cache (built once per lab content + ``extra``; see ui.figures;
    ``at``: the chart's own function moving the built figure to ``step``; ``frame``: the chart's own function adding
    the frame of a step its animation skips)."""
    fig = figures.cached(name, figures.content_key(lab.key, *extra), build, step=step, at=at, frame=frame)
    return chart(fig, key=key, filename=filename)


def content_chart(name: str, build, *parts, key: str, filename: str, **kwargs):
    """Show ``build()`` through the figure cache, keyed by ``parts`` (the arrays and labels the figure is made of):
    for figures that depend on something other than the lab, e.g. a table being edited. ``kwargs`` go to
    st.plotly_chart (e.g. on_select)."""
    fig = figures.cached(name, figures.content_key(*parts), lambda _: build())
    return chart(fig, key=key, filename=filename, **kwargs)


def csv_download(lab: state.Lab, model: str = "lstm", *, key: str) -> None:
    """Download the tidy (step, batch, unit, quantity, value) CSV of the current traces and gradients."""
    per_unit = {"lstm": 13, "gru": 8, "rnn": 3}[compute.CORE[model]]  # quantities per unit and step
    rows = lab.T * (lab.lstm.hidden_size * per_unit + 2 * lab.x.shape[1])
    one_layer = " (one layer)" if lab.n_layers > 1 else ""  # the CSV is the model's one-layer run
    st.download_button(
        f"{compute.MODEL_LABELS[model]} traces and gradients{one_layer} (CSV)",
        data=lambda: compute.traces_csv(lab, model),  # built only when clicked: long traces make large files
        file_name=f"lstm_gate_lab_{model}_{lab.cfg['preset']}_T{lab.T}_seed{lab.cfg['seed']}.csv",
        mime="text/csv",
        key=key,
        icon=":material/download:",
        on_click="ignore",
        help=f"About {rows:,} rows: every step, unit and quantity (x, gates, c, h and the BPTT gradients).",
    )


def about_equations() -> None:
    with st.expander("About the equations"):
        st.markdown(
            "PyTorch's `nn.LSTM` equations and notation, no peepholes: $W_{ii}$ reads the input into the input gate, "
            "$W_{hi}$ the previous hidden state into it, and likewise for the forget gate f, the cell candidate g "
            "and the output gate o."
        )
        st.latex(EQUATIONS)
        st.markdown(
            "PyTorch stacks the four gates' blocks in the order **i, f, g, o**: `weight_ih` $= W_{ih}$ is (4H × D), "
            "`weight_hh` $= W_{hh}$ is (4H × H), and `bias_ih`, `bias_hh` are (4H,), exactly as in a state_dict:"
        )
        st.latex(STACKED)
        st.markdown(
            "Backpropagation through time, from the last step back (carries start at zero after it); "
            "$dz_t = \\partial L/\\partial z_t$ is the gradient of the pre-activations $z_t$ above:"
        )
        st.latex(BPTT)
        st.markdown(
            "The term $f_{t+1} \\odot \\partial L/\\partial c_{t+1}$ is the *error carousel*: along the cell path "
            "the gradient is multiplied only by forget gates, $\\prod f$ over many steps. It keeps the gradient "
            "constant only if $f \\equiv 1$; with $f < 1$ it still shrinks geometrically, only much more slowly than "
            "a tanh RNN's, which is multiplied by $W_{hh}^\\top \\mathrm{diag}(1-h_t^2)$ at every step. The "
            "gradient also flows back through $h$ ($W_{hh}^\\top dz_{t+1}$), which can add to it or make it explode."
        )


def glossary() -> None:
    """The glossary (ui.glossary) as an expander: app.py shows it in the sidebar of every page."""
    with st.expander("Glossary", icon=":material/menu_book:"):
        st.markdown(_glossary.markdown())


PLAY_SECONDS = 1.0  # Play's pace: one step a second, time to read the diagram's numbers as they change

# Icon-only buttons (the step buttons) keep their label for screen readers and hide it from the eye: the usual
# "visually hidden" rule, so the row of icons still fits a 390 px phone. Fixed text: every button in a row keyed
# "<key>_step_buttons" except Play, whose word stays visible.
_HIDDEN_LABELS = ("<style>[class*='_step_buttons'] [class*='st-key-']:not([class*='_play']) button p"
                  "{position:absolute;width:1px;height:1px;margin:-1px;overflow:hidden;clip-path:inset(50%);"
                  "white-space:nowrap}</style>")


def stepping(page_fragment):
    """Decorator for a page's fragment that draws ``step_controls``: an ``st.fragment`` that, while Play is on,
    reruns every PLAY_SECONDS (its ``run_every``), each of those reruns one step further (ui/state.py, Play)."""

    @functools.wraps(page_fragment)
    def run() -> None:
        st.session_state[state.PLAY_HOLD] = True  # a full run: draw t as it is
        st.fragment(page_fragment, run_every=PLAY_SECONDS if state.playing() else None)()

    return run


def step_controls(T: int, *, key: str, reverse: bool = False) -> int:
    """First / previous / Play / next / last buttons and a step slider bound to the shared step t (1-based); call it
    in a fragment made by ``stepping``.

    ``reverse`` (backward mode) labels the buttons in the direction BPTT walks: from T back to 1, and Play walks
    that way too. Returns the selected 0-based step index.
    """
    first, last = (T, 1) if reverse else (1, T)
    delta = -1 if reverse else 1
    state.play_tick(last)
    t = state.setting(state.STEP)
    playing = state.playing()
    # The buttons stay one row that shrinks to fit on a phone (a horizontal container that does not wrap); there the
    # slider goes below them.
    buttons, slider = st.columns([4, 6])
    row = buttons.container(horizontal=True, wrap=False, gap="small", key=f"{key}_step_buttons")
    row.html(_HIDDEN_LABELS)
    toward = (" (toward t = T)", " (toward t = 1)") if reverse else ("", "")

    def step_button(name: str, label: str, icon: str, to: int, disabled: bool) -> None:
        # the label is what a screen reader says (hidden on screen: _HIDDEN_LABELS) and the tooltip
        row.button(label, icon=f":material/{icon}:", key=f"{key}_{name}", help=label, on_click=state.set_step,
                   args=(min(max(to, 1), T),), disabled=disabled, width="stretch")

    step_button("first", f"Go to t = {first}", "first_page", first, t == first)
    step_button("prev", "One step back" + toward[0], "chevron_left", t - delta, t == first)
    row.button("Pause" if playing else "Play", icon=":material/pause:" if playing else ":material/play_arrow:",
               key=f"{key}_play", on_click=state.play, args=(not playing, first, last), disabled=T == 1,
               help=f"Walk through the steps{toward[1]}, one a second: everything on this page that shows the step "
                    "follows. Press again to pause; at the last step, Play starts again from the first.")
    step_button("next", "One step forward" + toward[1], "chevron_right", t + delta, t == last)
    step_button("last", f"Go to t = {last}", "last_page", last, t == last)
    if T > 1:
        slider.slider("Step t", 1, T, key=state.STEP, persist_state="session", on_change=state.stop_playing,
                      help="The time step shown (1 = first input, T = last).")
    else:
        slider.markdown("**Step t = 1** (the sequence has one step)")
    return state.setting(state.STEP) - 1


def on_phone() -> bool:
    """The browser is a phone's: its User-Agent says "Mobi" (the test MDN recommends). Used to choose layouts
    that need to know the width before drawing, such as the cell diagram's compact one."""
    return "Mobi" in (st.context.headers.get("User-Agent") or "")


def theme() -> str | None:
    """The page's theme, "light" or "dark" (Streamlit infers it from the app's background; None when unknown, as
    under AppTest). For figures that must choose a text colour themselves (charts.cell.cell_diagram)."""
    return st.context.theme.type


def unit_slider(key: str, label: str, H: int, *, where=st, help: str | None = None, notes: bool = False) -> int:
    """A 1-based slider over the hidden units, kept within H: a value left from a larger H is brought to H (said in
    a caption with ``notes``). Returns the 0-based unit; with H = 1 there is no slider and the unit is 0. ``where``:
    the container (a column) to draw in."""
    ss = st.session_state
    if ss.get(key, 1) > H:
        ss[key] = H
        if notes:
            where.caption(f"The hidden size is now {H}, so the diagram shows unit {H}.")
    if H == 1:
        if notes:
            where.caption("The network has a single hidden unit.")
        return 0
    return where.slider(label, 1, H, key=key, help=help) - 1


def knob_controls() -> None:
    """The shared weight knobs: forget-gate bias, W_hh spectral radius, weight scale (both models)."""
    c1, c2, c3 = st.columns(3)
    with c1:
        st.toggle("Set the forget-gate bias", key=state.FB_ON, persist_state="session",
                  help="Off: the preset's own forget biases. On: every LSTM unit's b_f = b_ih,f + b_hh,f is set.")
        st.slider("Forget-gate bias b_f", *state.KNOB_LIMITS[state.FB], step=state.KNOB_STEPS[state.FB],
                  key=state.FB, persist_state="session", disabled=not state.setting(state.FB_ON),
                  help="f = σ(b_f + …): σ(+3) ≈ 0.95 keeps most of the cell state per step; σ(−3) ≈ 0.05 forgets it.")
    with c2:
        st.toggle("Set the W_hh spectral radius", key=state.RHO_ON, persist_state="session",
                  help="Off: as initialised. On: the RNN's W_hh and each LSTM gate block of W_hh are rescaled.")
        st.slider("Spectral radius of W_hh", *state.KNOB_LIMITS[state.RHO], step=state.KNOB_STEPS[state.RHO],
                  key=state.RHO, persist_state="session", disabled=not state.setting(state.RHO_ON),
                  help="Below 1 a tanh RNN's gradient vanishes. Above 1 it can explode, from just above 1 for tiny "
                       "inputs; larger inputs saturate tanh and push that border up. Spectral radius: "
                       + _glossary.TERMS["spectral radius"])
    with c3:
        st.slider("Weight scale (×)", *state.KNOB_LIMITS[state.SCALE], step=state.KNOB_STEPS[state.SCALE],
                  key=state.SCALE, persist_state="session",
                  help="Multiplies every weight and bias of both models (applied before the two knobs on the left).")


def length_control(*, key: str) -> None:
    """A sequence-length slider on a page: a mirror of the sidebar's T (the same shared setting, ui.state.mirror)."""
    widget_key, args = state.mirror(state.T, f"T_{key}")
    st.slider("Sequence length T", *state.LIMITS[state.T], value=state.setting(state.T), key=widget_key,
              on_change=state.on_mirror, args=args,
              help="The same setting as in the sidebar: longer sequences make the difference plain.")


def flashed(section: str) -> None:
    """Show, once, the messages a callback left for ``section`` (state.flash), where that section is drawn."""
    for kind, text in state.take_flashed(section):
        getattr(st, kind)(text, icon=FLASH_ICONS[kind])


def layer_picker(key: str, n_layers: int, *, where=st) -> int:
    """Which layer of the stack the page draws (1 = the layer that reads x, the last = the one the loss reads): radio
    buttons when there are layers to choose, a value left from a larger layer count brought to the top layer (said in
    a caption). Returns the 0-based layer; 0 with one layer (nothing is drawn)."""
    if n_layers <= 1:
        return 0
    ss = st.session_state
    if key in ss and ss[key] > n_layers:
        ss[key] = n_layers
        where.caption(f"The stack now has {n_layers} layers, so the page shows layer {n_layers}.")
    return where.radio("Layer", list(range(1, n_layers + 1)), key=key, horizontal=True,
                       format_func=lambda k: f"{k} (reads x)" if k == 1 else
                       f"{k} (read by the loss)" if k == n_layers else str(k),
                       help="Which layer's gates and states are shown: layer 1 reads the input x, each layer above "
                            "reads the hidden states of the one below, and the loss reads the top layer.") - 1


def model_title(lab: state.Lab, layer: int = 0) -> str:
    """The model the page shows, as a heading's words: "GRU", "1997 LSTM (no forget gate), layer 2 of 3"."""
    name = state.MODELS[lab.model]
    if lab.model == "lstm" and not lab.lstm.forget_gate:  # the no_forget_gate preset's LSTM
        name = "LSTM (this preset's has no forget gate: the 1997 LSTM)"
    return name if lab.n_layers == 1 else f"{name}, layer {layer + 1} of {lab.n_layers}"


def no_gates_note(what: str) -> None:
    """Said plainly where a page draws gates and the chosen model (the tanh RNN) has none."""
    st.info(f"The tanh RNN has no gates and no cell state: its one equation is "
            f"hₜ = tanh(W_ih xₜ + b_ih + W_hh hₜ₋₁ + b_hh). {what} Choose the LSTM, the GRU or the 1997 LSTM "
            "under **Model** in the sidebar to see gates.", icon=":material/info:")
