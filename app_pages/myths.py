"""Myths vs. measurements: twelve common misconceptions about LSTMs, each with a correction and a live chart from the
core that refutes it, plus a variant LSTM whose gates ignore h_{t−1}.

The numbers come from lstm_core.myths (through the cached ``_measured`` below); the figures from charts.myths."""

from __future__ import annotations

import streamlit as st

from charts import myths as charts
from lstm_core import myths
from lstm_core.params import LSTMParams
from ui import compute, memo, state, widgets

lab = state.lab()
seed = int(lab.cfg[state.SEED])
H, D = lab.lstm.hidden_size, lab.lstm.input_size


@compute.MYTHS.cached
def _measured(name: str, w_ih, w_hh, b_ih, b_hh, x, seed: int, forget_gate: bool = True):
    """One myth's numbers for these weights / input / seed (cached by content in a byte budget shared by every
    session, read-only: the timing is measured once); forget_gate False: the 1997 LSTM (f ≡ 1)."""
    p = LSTMParams(w_ih, w_hh, b_ih, b_hh, forget_gate)
    return memo.freeze({
        "history": lambda: myths.same_input_different_history(p, seed=seed),
        "output": lambda: myths.output_formula(p, x),
        "distribution": lambda: myths.gate_distribution(p, seed=seed),
        "bptt": lambda: myths.bptt_cost(p, seed=seed),
        "clock": lambda: myths.no_wall_clock(p, seed=seed),
        "recurrent": lambda: myths.recurrent_connections(p),
        "shapes": lambda: myths.gate_weight_shapes(p),
        "lab_variant": lambda: myths.x_only_gate_traces(p, x),
        "sharing": lambda: myths.weight_sharing(p, x, seed=seed),
        "growth": lambda: myths.cell_state_growth(p, x, seed=seed),
    }[name]())


@st.cache_data(max_entries=8, show_spinner=False)
def _hand_built(name: str, seed: int):
    """The lab-independent measurements (hand-set weights)."""
    return {
        "forget": lambda: myths.forget_gate_memory(seed=seed),
        "input": lambda: myths.input_gate_memory(seed=seed),
        "variant": lambda: myths.x_only_comparison(seed=seed),
        "limits": lambda: myths.gradient_limits(seed=seed),
    }[name]()


def measured(name: str, of: state.Lab | None = None):
    """The lab-dependent measurement ``name`` of ``of`` (default: this run's lab), cached by content; a spinner
    (after Streamlit's half-second delay) while a new one runs: timing BPTT (myth 5) takes about a second."""
    of = lab if of is None else of
    p = of.lstm
    with st.spinner("Measuring on this lab's LSTM…"):
        return _measured(name, p.weight_ih, p.weight_hh, p.bias_ih, p.bias_hh, of.x, int(of.cfg[state.SEED]),
                         p.forget_gate)


def _and(items) -> str:
    """'i', 'i and f', 'i, f and o'."""
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def open_key(n: int) -> str:
    """The session key of myth ``n``'s expander: True while it is open."""
    return f"myth_{n}_open"


def myth(n: int, claim: str, correction: str, *, expanded: bool = False):
    """An expander headed by the myth; the claim in bold and the two-sentence correction open it. The expander
    tracks its state (``box.open``, rerunning when it is toggled) so that a closed myth computes and sends nothing:
    building all twelve myths' measurements and charts at the largest settings took 5 s on a page where one is open."""
    box = st.expander(f"Myth {n}: “{claim}”", expanded=expanded, icon=":material/quiz:", key=open_key(n),
                      on_change="rerun")
    box.markdown(f"**Myth:** “{claim}”  \n**Measured:** {correction}")
    return box


st.caption(
    "Twelve things often said about LSTMs, each checked against a live computation by this app's own core. Charts "
    "that use “this lab's LSTM” follow the sidebar (preset, sizes, seed); the others use small hand-set networks or "
    "the named presets, seeded by the sidebar's seed."
)

# ---- 1 -------------------------------------------------------------------------------------------------------------
with myth(1, "The gates look only at the current input $x_t$",
          "Every gate also reads the previous hidden state, $z_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}$ "
          "(the input gate's rows: $W_{ii}$ and $W_{hi}$), so the same $x_t$ can open a gate after one history and "
          "close it after another. Below, this lab's LSTM reads two different random histories and then the very "
          "same last input.", expanded=True) as box:
    if box.open:
        r1 = measured("history")
        widgets.cached_chart(lab, "myth_history", lambda _: charts.history_gates(r1), extra=(seed,),
                             key="myth_history", filename="myth1_gates_read_history")
        if r1.max_diff == 0.0:
            st.info("This network's gate rows of W_hh are all zero (a hand-built preset), so here the gates really do "
                    "see $x_t$ only; choose another preset to see the gap.", icon=":material/info:")
        st.caption(f"**What to look at:** each short bar joins one unit's gate value after history A (dot) and after "
                   f"history B (diamond) at the same last input; the gap is the history speaking through $h_{{t-1}}$. "
                   f"Largest gap: **{r1.max_diff:.3f}**.")

# ---- 2 -------------------------------------------------------------------------------------------------------------
with myth(2, "A forget gate that opens ($f ≈ 1$) erases the memory",
          "The forget gate multiplies the old cell state, $c_t = f_t \\odot c_{t-1} + i_t \\odot g_t$, so $f ≈ 1$ "
          "keeps $c$ and $f ≈ 0$ erases it. Read it as a “keep gate”: open means remember.") as box:
    if box.open:
        r2 = _hand_built("forget", seed)
        widgets.content_chart("myth_forget", lambda: charts.gated_memory(r2), "forget", seed, key="myth_forget",
                              filename="myth2_forget_gate_keeps")
        st.caption(f"**What to look at:** three hand-built cells start from the same memory c₀ = 1 with their input "
                   f"gates shut. With f ≈ 1 (green) c stays within **{r2.max_drift(0):.1e}** of c₀ over "
                   f"{r2.c.shape[0]} steps; with f ≈ {r2.f[0, 1]:.2f} (orange) half of it is gone after "
                   f"**{r2.steps_to_half(1)} steps**; with f ≈ 0 (grey) it is gone after the first step.")

# ---- 3 -------------------------------------------------------------------------------------------------------------
with myth(3, "$h_t = \\tanh(\\sigma(c_t))$",
          "The hidden state is $h_t = o_t \\odot \\tanh(c_t)$: the output gate $o_t$ (a sigmoid of $x_t$ and "
          "$h_{t-1}$) scales tanh of the cell state, and no sigmoid is applied to $c_t$. $\\tanh(\\sigma(c))$ could "
          "never be negative or leave (0, 0.76); $h_t$ can be negative and can come close to ±1.") as box:
    if box.open:
        r3 = measured("output")
        u3 = widgets.unit_slider("myth_output_unit", "Unit shown", H)
        widgets.cached_chart(lab, "myth_output", lambda _: charts.output_formula(r3, u3), extra=(u3,),
                             key="myth_output", filename="myth3_output_formula")
        st.caption(f"**What to look at:** the circles, $o_t \\odot \\tanh(c_t)$ recomputed from the gates, sit exactly "
                   f"on the core's $h_t$ (largest difference {r3.max_err_true:.1e} over all units); the dashed myth "
                   f"misses by up "
                   f"to **{r3.max_err_myth:.2f}** and never leaves the grey band. "
                   + (f"Here {100 * r3.share_negative:.0f} % of $h_t$'s values are negative. " if r3.share_negative > 0
                      else "This network's $h_t$ happens never to be negative, yet the myth's formula still misses it. ")
                   + "Input: this lab's sequence.")

# ---- 4 -------------------------------------------------------------------------------------------------------------
with myth(4, "Gates are 0 or 1",
          "A gate is a sigmoid, so it takes values strictly between 0 and 1 and lets that fraction through. A strong "
          "bias or training can push a gate close to 0 or 1 (it is then *saturated* and acts almost like a switch), "
          "but never onto them; how close depends on the network.") as box:
    if box.open:
        r4 = measured("distribution")
        widgets.cached_chart(lab, "myth_distribution", lambda _: charts.gate_histograms(r4), extra=(seed,),
                             key="myth_distribution", filename="myth4_gate_distribution")
        lo = min(v[0] for v in r4.value_range.values())
        hi = max(v[1] for v in r4.value_range.values())
        saturated, mostly = r4.saturated, r4.mostly_saturated
        st.caption(f"**What to look at:** the values of i, f and o of this lab's LSTM over {r4.T} steps of random "
                   f"input ({r4.n_values:,} per gate). A binary gate would put every bar in the grey strips (below 0.05, "
                   f"above 0.95); here the values run from {lo:.2g} to "
                   + (f"1 − {1 - hi:.2g}, never exactly 0 or 1. " if hi < 1.0 else
                      "1.0: mathematically a sigmoid stays below 1, but σ(z) rounds to exactly 1 in float64 once "
                      "z > 37. ")
                   + (f"This network's {_and(mostly)} gate{'s are' if len(mostly) > 1 else ' is'} mostly saturated "
                      f"({', '.join(f'{k}: {100 * saturated[k]:.0f} %' for k in mostly)} of the values in the grey "
                      "strips): hand-set or strongly biased gates can act almost like switches." if mostly else
                      "Most values sit in between: " + ", ".join(f"{k} {100 * r4.share_between[k]:.0f} %"
                                                                 for k in r4.share_between) + " in (0.05, 0.95)."))

# ---- 5 -------------------------------------------------------------------------------------------------------------
with myth(5, "BPTT is a trick to reduce computation",
          "Backpropagation through time is ordinary backpropagation applied to the network unrolled over its T "
          "steps: it computes the exact gradient, and its time and memory grow linearly with T. The approximation "
          "that saves work is truncated BPTT, which cuts the gradient after k steps.") as box:
    if box.open:
        r5 = measured("bptt")
        widgets.cached_chart(lab, "myth_bptt", lambda _: charts.bptt_cost(r5), extra=(seed,),
                             key="myth_bptt", filename="myth5_bptt_cost")
        st.caption(f"**What to look at:** measured on this server with this lab's LSTM (H = {H}), about "
                   f"**{1e6 * r5.slope:.1f} µs per step** (straight-line fit, R² = {r5.r2:.3f}; timings vary from run to "
                   f"run, more so on a busy machine). Right: the forward pass keeps every step's gates and states for "
                   f"the backward pass, T·(D + 6H) + 2H numbers — a straight line.")

# ---- 6 -------------------------------------------------------------------------------------------------------------
with myth(6, "A time step is a slice of wall-clock time, usually ≤ 100 ms",
          "A time step is a position in the sequence — the t-th element — however much time passed between "
          "elements: words, daily prices and 10 ms audio frames are all one step each. The LSTM never sees a "
          "timestamp; if the gaps matter, give them to it as an input (e.g. Δt as an extra channel).") as box:
    if box.open:
        r6 = measured("clock")
        u6 = widgets.unit_slider("myth_clock_unit", "Unit shown", H)
        widgets.cached_chart(lab, "myth_clock", lambda _: charts.no_clock(r6, u6), extra=(seed, u6),
                             key="myth_clock", filename="myth6_no_wall_clock")
        st.caption(f"**What to look at:** the same {r6.x.shape[0]} values recorded at 100 per second and at irregular "
                   f"gaps of 1 s to 5 min look nothing alike on a clock (left), yet this lab's LSTM gives the same h "
                   f"step by step (right): largest difference **{r6.max_diff:g}**.")

# ---- 7 -------------------------------------------------------------------------------------------------------------
with myth(7, "Hidden units connect one-to-one across time",
          "Each gate's recurrent weights form a full $H \\times H$ matrix: every unit of $h_{t-1}$ feeds every "
          "unit's $i, f, g$ and $o$ at step $t$. Only the cell state is carried unit by unit ($f_t \\odot c_{t-1}$ "
          "is elementwise).") as box:
    if box.open:
        r7 = measured("recurrent")
        widgets.cached_chart(lab, "myth_recurrent", lambda _: charts.recurrent_blocks(lab.lstm),
                             key="myth_recurrent", filename="myth7_recurrent_matrix")
        nz = min(r7.nonzero.values())
        if r7.weight_sum == 0.0:
            st.info("This network's W_hh is all zero (a hand-built preset): here no unit reads $h_{t-1}$ at all, and "
                    "only the cell state carries anything across time. Choose another preset to see full blocks.",
                    icon=":material/info:")
        else:
            st.caption(f"**What to look at:** this lab's W_hh, one H × H block per gate ($W_{{hi}}, W_{{hf}}, W_{{hg}}, "
                       f"W_{{ho}}$; row: unit at step t, column: unit of $h_{{t-1}}$). One-to-one connections would "
                       f"leave everything off the dotted diagonal white; here **{100 * r7.offdiag_share:.0f} %** of the "
                       f"weight magnitude is off it, and each block has at least {nz} of {H * H} entries nonzero.")

# ---- 8 -------------------------------------------------------------------------------------------------------------
with myth(8, "Closing the input gate erases the memory",
          "The input gate controls writing: with $i ≈ 0$ nothing new enters the cell, and (with $f ≈ 1$) $c$ is "
          "kept unchanged. Erasing is the forget gate's job ($f ≈ 0$).") as box:
    if box.open:
        r8 = _hand_built("input", seed)
        widgets.content_chart("myth_input", lambda: charts.gated_memory(r8), "input", seed, key="myth_input",
                              filename="myth8_input_gate_keeps")
        st.caption(f"**What to look at:** three cells start from c₀ = 1 and read the same random input. With the input "
                   f"gate shut (green) c stays within **{r8.max_drift(0):.1e}** of c₀; opening it (orange) adds "
                   f"$\\tanh(x_t)$ at every step; only a shut forget gate (grey) erases the memory.")

# ---- 9 -------------------------------------------------------------------------------------------------------------
with myth(9, "Each gate has one weight matrix of size hidden × input",
          "Each gate has an $H \\times D$ block reading $x_t$ and an $H \\times H$ block reading $h_{t-1}$, plus "
          "two biases: for the input gate $z_i = W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}$, and likewise "
          "$W_{if}, W_{hf}$, … for f, g and o. PyTorch stacks the four gates, so `weight_ih` $= W_{ih}$ is "
          "$4H \\times D$ and `weight_hh` $= W_{hh}$ is $4H \\times H$.") as box:
    if box.open:
        r9 = measured("shapes")
        widgets.cached_chart(lab, "myth_shapes", lambda _: charts.gate_blocks(r9),
                             key="myth_shapes", filename="myth9_gate_blocks")
        c9 = r9.counts["i"]
        st.caption(f"**What to look at:** this lab (D = {D}, H = {H}) as [W_ih | W_hh]: each gate's band of {H} rows "
                   f"has {c9['input']} input weights and {c9['hidden']} recurrent weights (+ {c9['bias']} biases), "
                   f"**{r9.total:,}** parameters in all.")

# ---- 10 ------------------------------------------------------------------------------------------------------------
with myth(10, "LSTMs solve the vanishing-gradient problem",
          "They mitigate it. Along the cell path the gradient is multiplied only by forget gates, $\\prod f$, which "
          "still shrinks geometrically unless $f \\equiv 1$; the hidden state's gradient $\\partial L/\\partial h$ is "
          "not protected by the forget gates and can fall far below $\\partial L/\\partial c$; and with large "
          "recurrent weights an LSTM's gradient explodes like an RNN's.") as box:
    if box.open:
        r10 = _hand_built("limits", seed)
        widgets.content_chart("myth_limits", lambda: charts.gradient_limits(r10), "limits", seed, key="myth_limits",
                              filename="myth10_lstm_gradient_limits")
        q = r10.ratios
        st.caption(f"**What to look at:** three LSTMs of {r10.T} steps (presets, seed {seed}), each curve divided by its "
                   f"value at the last step. With b_f = +4 (f ≈ 0.98) ∂L/∂c reaches step 1 at **{q[myths.PRESERVED_C]:.2g}**"
                   f" of its end value (the cell path alone, ∏ f, carries {r10.prod_f:.2g}), ∂L/∂h only at "
                   f"**{q[myths.PRESERVED_H]:.2g}**. With b_f = +1 (f ≈ 0.73, a common initialisation) ∂L/∂c falls to "
                   f"**{q[myths.COMMON_C]:.1e}**. In the *Exploding gradient (LSTM)* preset it grows "
                   f"**{q[myths.EXPLODING_C]:.1e}** times.")

# ---- 11 ------------------------------------------------------------------------------------------------------------
with myth(11, "Each time step has its own weights",
          "One set of weights, $W_{ih}$, $W_{hh}$ and the biases, is used at every step: unrolling the network over "
          "T steps copies the computation, not the weights. The parameter count, 4H(D + H + 2), does not depend on "
          "T, and BPTT adds every step's share into the one gradient, "
          "$\\partial L/\\partial W_{hh} = \\sum_t dz_t\\, h_{t-1}^\\top$.") as box:
    if box.open:
        r11 = measured("sharing")
        widgets.cached_chart(lab, "myth_sharing", lambda _: charts.weight_sharing(r11), extra=(seed,),
                             key="myth_sharing", filename="myth11_shared_weights")
        st.caption(f"**What to look at:** this lab's LSTM (D = {D}, H = {H}) has **{r11.n_params[0]:,}** parameters at "
                   + ", ".join(f"T = {T:,}" for T in r11.lengths) + " alike, while the values kept for BPTT grow from "
                   f"{r11.n_stored[0]:,} to {r11.n_stored[-1]:,}. Right: every step of this lab's sequence adds its share "
                   f"to the same ∂L/∂W_hh (L = ½‖h_T‖²); the shares sum to it up to {r11.max_sum_error:.0e} (rounding).")

# ---- 12 ------------------------------------------------------------------------------------------------------------
with myth(12, "The cell state is bounded between −1 and 1, like h",
          f"$h_t = o_t \\odot \\tanh(c_t)$ is squashed into (−1, 1); $c_t$ is not. $c_t = f_t \\odot c_{{t-1}} + "
          f"i_t \\odot g_t$ adds a value in (−1, 1) at every step: with $f < 1$ it stays within $1/(1-f)$ "
          f"({1 / (1 - myths.FADE_F):.1f} for f ≈ {myths.FADE_F:.2f}), with $f ≈ 1$ it can grow without bound.") as box:
    if box.open:
        r12 = measured("growth")
        widgets.cached_chart(lab, "myth_growth", lambda _: charts.cell_growth(r12), extra=(seed,),
                             key="myth_growth", filename="myth12_cell_state_growth")
        lab_c, lab_h = float(r12.lab_max_c.max()), float(r12.lab_max_h.max())
        st.caption(f"**What to look at:** the cell with f ≈ 1 reaches c = **{r12.c[-1, 0]:.0f}** after {r12.c.shape[0]} "
                   f"steps and the one with f ≈ {r12.f[1]:.2f} levels off near {r12.c[-1, 1]:.1f} (bound "
                   f"{r12.bound[1]:.1f}), while h stays within ±{float(abs(r12.h).max()):.2f} (o = ½ here). This lab's LSTM: "
                   f"|c| up to **{lab_c:.2f}**, |h| up to **{lab_h:.2f}**"
                   + (" (its cells happen to stay within ±1 here)." if lab_c <= 1.0 else "."))

# ---- variant ---------------------------------------------------------------------------------------------------------
st.subheader("Variant: gates that ignore $h_{t-1}$")
st.markdown(
    "The **x-only** variant sets the i, f and o rows of W_hh to zero, so each gate decides from $x_t$ (and its bias) "
    "alone; the candidate g keeps its recurrent weights, because it is the content written, not a gate. "
    "**Task:** a value arrives at every step and a few of them are marked; keep the **first** marked value. After "
    "the first marker the input gate must stay shut at the later ones — and whether something is already stored "
    "is only known through $h_{t-1}$. A hand-set LSTM (two units: a memory and a “stored” flag) does exactly this."
)


@st.fragment
def variant() -> None:
    lab = state.lab()
    show = st.toggle("Run the x-only-gates LSTM beside the standard one", key="myth_x_only",
                     help="Off: the standard LSTM alone. On: the same weights with the gates' W_hh rows zeroed.")
    rv = _hand_built("variant", int(lab.cfg[state.SEED]))
    m = st.columns(3)
    m[0].metric("Standard LSTM: error", f"{rv.errors['standard']:.1e}",
                help=f"Mean |c_T − tanh(first marked value)| over {rv.batch} random sequences.")
    if show:
        m[1].metric("x-only gates: error", f"{rv.errors['x_only']:.2f}",
                    help="The same measure for the variant: its input gate opens at every marker, so the memory "
                         "ends as the sum of all marked values.")
    widgets.content_chart("myth_variant_task", lambda: charts.variant_task(rv, show_x_only=show),
                          int(lab.cfg[state.SEED]), show, key="myth_variant_task", filename="myth_x_only_task")
    st.caption("**What to look at:** the standard input gate (blue) opens at the first diamond only; the x-only "
               "gate (dashed) opens at every diamond, so its memory keeps adding the later values and misses the "
               "dotted target." if show else
               "**What to look at:** the input gate (blue) opens at the first diamond only, and c keeps that value. "
               "Switch the variant on to see what happens when the gates cannot read $h_{t-1}$.")
    st.markdown("**This lab's LSTM, same input:** its gates with and without $h_{t-1}$ (one unit).")
    lv = measured("lab_variant", lab)
    uv = widgets.unit_slider("myth_variant_unit", "Unit shown", lab.lstm.hidden_size)
    widgets.cached_chart(lab, "myth_lab_variant", lambda _: charts.variant_lab_gates(lv, uv, show_x_only=show),
                         extra=(uv, show), key="myth_lab_variant", filename="myth_x_only_lab")
    if show:
        st.caption("Largest change in a gate over all steps and units when $h_{t-1}$ is cut off: "
                   + ", ".join(f"{k} **{v:.3f}**" for k, v in lv.max_diff.items()) + ".")


variant()
