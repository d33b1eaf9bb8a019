"""Myths vs. measurements: nine common misconceptions about LSTMs, each with a correction and a live chart from the
core that refutes it, plus a variant LSTM whose gates ignore h_{t−1}.

The numbers come from lstm_core.myths (through the cached ``_measured`` below); the figures from charts.myths."""

from __future__ import annotations

import ui.preload  # noqa: F401  (first: see ui/preload.py)

import streamlit as st

from charts import myths as charts
from lstm_core import myths
from lstm_core.params import LSTMParams
from ui import state, widgets

ss = st.session_state

lab = state.current()
seed = int(lab.cfg["seed"])
H, D = lab.lstm.hidden_size, lab.lstm.input_size


@st.cache_data(max_entries=64, show_spinner=False)
def _measured(name: str, w_ih, w_hh, b_ih, b_hh, x, seed: int):
    """One myth's numbers for these weights / input / seed (cached by content: the timing is measured once)."""
    p = LSTMParams(w_ih, w_hh, b_ih, b_hh)
    return {
        "history": lambda: myths.same_input_different_history(p, seed=seed),
        "output": lambda: myths.output_formula(p, x),
        "distribution": lambda: myths.gate_distribution(p, seed=seed),
        "bptt": lambda: myths.bptt_cost(p, seed=seed),
        "clock": lambda: myths.no_wall_clock(p, seed=seed),
        "recurrent": lambda: myths.recurrent_connections(p),
        "shapes": lambda: myths.gate_weight_shapes(p),
        "lab_variant": lambda: myths.x_only_gate_traces(p, x),
    }[name]()


@st.cache_data(max_entries=8, show_spinner=False)
def _hand_built(name: str, seed: int):
    """The lab-independent measurements (hand-set weights)."""
    return {
        "forget": lambda: myths.forget_gate_memory(seed=seed),
        "input": lambda: myths.input_gate_memory(seed=seed),
        "variant": lambda: myths.x_only_comparison(seed=seed),
    }[name]()


def measured(name: str, of: state.Lab | None = None):
    """The lab-dependent measurement ``name`` of ``of`` (default: this run's lab), cached by content."""
    of = lab if of is None else of
    p = of.lstm
    return _measured(name, p.weight_ih, p.weight_hh, p.bias_ih, p.bias_hh, of.x, int(of.cfg["seed"]))


def myth(n: int, claim: str, correction: str, *, expanded: bool = False):
    """An expander headed by the myth; the claim in bold and the two-sentence correction open it."""
    box = st.expander(f"Myth {n}: “{claim}”", expanded=expanded, icon=":material/quiz:")
    box.markdown(f"**Myth:** “{claim}”  \n**Measured:** {correction}")
    return box


st.header("Myths vs. measurements")
st.caption(
    "Nine things often said about LSTMs, each checked against a live computation by this app's own core. Charts that "
    "use “this lab's LSTM” follow the sidebar (preset, sizes, seed); the others use small hand-set networks."
)

# ---- 1 -------------------------------------------------------------------------------------------------------------
with myth(1, "The gates look only at the current input $x_t$",
          "Every gate also reads the previous hidden state, $z_t = W_{ih} x_t + W_{hh} h_{t-1} + b$, so the same "
          "$x_t$ can open a gate after one history and close it after another. Below, this lab's LSTM reads two "
          "different random histories and then the very same last input.", expanded=True):
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
          "keeps $c$ and $f ≈ 0$ erases it. Read it as a “keep gate”: open means remember."):
    r2 = _hand_built("forget", seed)
    widgets.content_chart("myth_forget", lambda: charts.gated_memory(r2), "forget", seed, key="myth_forget",
                          filename="myth2_forget_gate_keeps")
    st.caption(f"**What to look at:** three hand-built cells start from the same memory c₀ = 1 with their input "
               f"gates shut. With f ≈ 1 (green) c stays within **{r2.max_drift(0):.1e}** of c₀ over "
               f"{r2.c.shape[0]} "
               f"steps; with f ≈ 0 (grey) it is gone after the first step.")

# ---- 3 -------------------------------------------------------------------------------------------------------------
with myth(3, "$h_t = \\tanh(\\sigma(c_t))$",
          "The hidden state is $h_t = o_t \\odot \\tanh(c_t)$: the output gate $o_t$ (a sigmoid of $x_t$ and "
          "$h_{t-1}$) scales tanh of the cell state, and no sigmoid is applied to $c_t$. $\\tanh(\\sigma(c))$ could "
          "never be negative — it stays in (0, 0.76) — yet $h_t$ often is."):
    r3 = measured("output")
    u3 = widgets.unit_slider("myth_output_unit", "Unit shown", H)
    widgets.cached_chart(lab, "myth_output", lambda _: charts.output_formula(r3, u3), extra=(u3,),
                         key="myth_output", filename="myth3_output_formula")
    st.caption(f"**What to look at:** the circles, $o_t \\odot \\tanh(c_t)$ recomputed from the gates, sit exactly "
               f"on the core's $h_t$ (largest difference {r3.max_err_true:.1e} over all units); the dashed myth "
               f"misses by up "
               f"to **{r3.max_err_myth:.2f}** and never leaves the grey band. Input: this lab's sequence.")

# ---- 4 -------------------------------------------------------------------------------------------------------------
with myth(4, "Gates are 0 or 1",
          "A gate is a sigmoid, so it takes every value strictly between 0 and 1 and lets that fraction through. "
          "Training can push a gate towards 0 or 1, but it never gets there, and most values sit in between."):
    r4 = measured("distribution")
    widgets.cached_chart(lab, "myth_distribution", lambda _: charts.gate_histograms(r4), extra=(seed,),
                         key="myth_distribution", filename="myth4_gate_distribution")
    lo = min(v[0] for v in r4.value_range.values())
    hi = max(v[1] for v in r4.value_range.values())
    st.caption(f"**What to look at:** the values of i, f and o of this lab's LSTM over {r4.T} steps of random "
               f"input ({r4.n_values:,} per gate). A binary gate would put every bar in the grey strips at 0 and 1; "
               f"here the values run from {lo:.3f} to {hi:.3f}.")

# ---- 5 -------------------------------------------------------------------------------------------------------------
with myth(5, "BPTT is a trick to reduce computation",
          "Backpropagation through time is ordinary backpropagation applied to the network unrolled over its T "
          "steps: it computes the exact gradient, and its time and memory grow linearly with T. The approximation "
          "that saves work is truncated BPTT, which cuts the gradient after k steps."):
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
          "timestamp; if the gaps matter, give them to it as an input (e.g. Δt as an extra channel)."):
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
          "is elementwise)."):
    r7 = measured("recurrent")
    widgets.cached_chart(lab, "myth_recurrent", lambda _: charts.recurrent_blocks(lab.lstm),
                         key="myth_recurrent", filename="myth7_recurrent_matrix")
    nz = min(r7.nonzero.values())
    st.caption(f"**What to look at:** this lab's W_hh, one H × H block per gate (row: unit at step t, column: unit "
               f"of $h_{{t-1}}$). One-to-one connections would leave everything off the dotted diagonal white; here "
               f"**{100 * r7.offdiag_share:.0f} %** of the weight magnitude is off it, and each block has at least "
               f"{nz} of {H * H} entries nonzero.")

# ---- 8 -------------------------------------------------------------------------------------------------------------
with myth(8, "Closing the input gate erases the memory",
          "The input gate controls writing: with $i ≈ 0$ nothing new enters the cell, and (with $f ≈ 1$) $c$ is "
          "kept unchanged. Erasing is the forget gate's job ($f ≈ 0$)."):
    r8 = _hand_built("input", seed)
    widgets.content_chart("myth_input", lambda: charts.gated_memory(r8), "input", seed, key="myth_input",
                          filename="myth8_input_gate_keeps")
    st.caption(f"**What to look at:** three cells start from c₀ = 1 and read the same random input. With the input "
               f"gate shut (green) c stays within **{r8.max_drift(0):.1e}** of c₀; opening it (orange) adds "
               f"$\\tanh(x_t)$ at every step; only a shut forget gate (grey) erases the memory.")

# ---- 9 -------------------------------------------------------------------------------------------------------------
with myth(9, "Each gate has one weight matrix of size hidden × input",
          "Each gate has an $H \\times D$ block reading $x_t$ and an $H \\times H$ block reading $h_{t-1}$, plus "
          "biases: $z = W_x x_t + W_h h_{t-1} + b$. PyTorch stacks the four gates, so `weight_ih` is $4H \\times D$ "
          "and `weight_hh` is $4H \\times H$."):
    r9 = measured("shapes")
    widgets.cached_chart(lab, "myth_shapes", lambda _: charts.gate_blocks(r9),
                         key="myth_shapes", filename="myth9_gate_blocks")
    c9 = r9.counts["i"]
    st.caption(f"**What to look at:** this lab (D = {D}, H = {H}) as [W_ih | W_hh]: each gate's band of {H} rows "
               f"has {c9['input']} input weights and {c9['hidden']} recurrent weights (+ {c9['bias']} biases), "
               f"**{r9.total:,}** parameters in all.")

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
    lab = state.refresh()
    show = st.toggle("Run the x-only-gates LSTM beside the standard one", key="myth_x_only",
                     help="Off: the standard LSTM alone. On: the same weights with the gates' W_hh rows zeroed.")
    rv = _hand_built("variant", int(lab.cfg["seed"]))
    m = st.columns(3)
    m[0].metric("Standard LSTM: error", f"{rv.errors['standard']:.1e}",
                help=f"Mean |c_T − tanh(first marked value)| over {rv.batch} random sequences.")
    if show:
        m[1].metric("x-only gates: error", f"{rv.errors['x_only']:.2f}",
                    help=f"The same measure for the variant: its input gate opens at every marker, so the memory "
                         f"ends as the sum of all marked values.")
    widgets.content_chart("myth_variant_task", lambda: charts.variant_task(rv, show_x_only=show),
                          int(lab.cfg["seed"]), show, key="myth_variant_task", filename="myth_x_only_task")
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
