"""Gradient explorer: where, in the space of weights, gradients vanish, survive or explode — for both models.

Four views (one at a time, so only the open one is computed): phase diagrams (click a cell to load it into the shared
knobs), a length sweep with the fitted decay rate and half-life, truncated BPTT and clipping applied to the
gradient-flow curves, and the exact state-Jacobian norm, an upper bound, beside the loss's state gradient.
"""

from functools import partial

import numpy as np
import streamlit as st

from charts.explorer import clipped_flow, jacobian_vs_gradient, length_sweep_chart
from lstm_core import explore
from lstm_core.analysis import first_last_ratio, state_grad_norms
from ui import compute, state, widgets
from ui import explore as ex
from ui.glossary import TERMS

VIEWS = {"phase": "Phase diagrams", "sweep": "Length sweep", "clip": "Clip & truncate", "jacobian": "Jacobian"}
RESOLUTIONS = (21, 41)
CLIP_OPTIONS = (0.001, 0.01, 0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 100.0, 1000.0)
# This page's own session keys (VIEW, CLIP_ON, TBPTT_ON: a lesson step may set them, ui/routes.py)
VIEW, VIEW_LAST, CLIP_ON, TBPTT_ON, TBPTT_K = "ex_view", "_ex_view_last", "ex_clip_on", "ex_tbptt_on", "ex_tbptt_k"
JACOBIAN_OK = "_ex_jacobian_ok"  # the lab key for which the user asked for a slow Jacobian

ss = st.session_state
lab = state.lab()
H, D, seed = lab.lstm.hidden_size, lab.lstm.input_size, int(lab.cfg[state.SEED])
fb = float(lab.cfg[state.FB]) if lab.cfg[state.FB_ON] else None
rho = float(lab.cfg[state.RHO]) if lab.cfg[state.RHO_ON] else None


def _keep_view() -> None:
    """A click on the view already shown would deselect it: keep showing it instead."""
    if ss[VIEW] is None:
        ss[VIEW] = ss.get(VIEW_LAST, "phase")


ss.setdefault(VIEW, "phase")  # default here, not in the widget: a lesson step sets it too
view = st.segmented_control(
    "View", list(VIEWS), format_func=VIEWS.get, key=VIEW, label_visibility="collapsed",
    on_change=_keep_view, help="One view at a time: only the one shown is computed.") or "phase"
ss[VIEW_LAST] = view


def _signed(v: float) -> str:
    return format(v, ".4g").replace("-", "−")


def _num(v: float) -> str:
    if not np.isfinite(v):
        return "overflow" if v > 0 or np.isnan(v) else "—"
    return f"{v:.3g}"


# ---- phase diagrams --------------------------------------------------------------------------------------------------

if view == "phase":
    c1, c2, _ = st.columns([3, 2, 4])
    T_map = c1.slider("Sequence length T (maps)", 10, 300, 100, step=10, key="ex_phase_T",
                      help="Each cell runs a sequence of this length forward and back. Up to 300 for speed.")
    n = c2.segmented_control("Resolution", RESOLUTIONS, format_func=lambda k: f"{k}×{k}", default=RESOLUTIONS[0],
                             key="ex_phase_n", help="Cells per axis. 41×41 is 1,681 configurations per map.") \
        or RESOLUTIONS[0]
    widgets.flashed(ex.FLASH)
    cols = st.columns(len(ex.PHASE_MODELS))
    for col, model in zip(cols, ex.PHASE_MODELS):
        key = f"ex_phase_{model}"
        current = (fb, rho) if model == "lstm" else (None, rho)  # the green ✕: the lab's knobs on this map
        with col, st.spinner(f"Running {n * n:,} {model.upper()} configurations…"):
            widgets.chart(
                ex.phase_figure(model, n, T_map, H, D, seed, None if current == (None, None) else current),
                key=key, filename=f"phase_{model}_T{T_map}_H{H}_seed{seed}", selection_mode="points",
                on_select=partial(ex.load_cell, model, key, n, T_map, H, D, seed),
            )
    st.caption(
        f"Colour: log₁₀(gradient at step 1 ÷ gradient at step T) in decades (powers of ten): ‖∂L/∂c‖ for the LSTM, "
        f"‖∂L/∂h‖ for the GRU and the RNN. **Vanishing** (blue) below {_signed(explore.VANISHING_BELOW)}: less than a tenth "
        f"arrives. **Preserved** from {_signed(explore.VANISHING_BELOW)} to +{explore.EXPLODING_ABOVE:g}: within a "
        f"factor of ten. **Exploding** (red) above +{explore.EXPLODING_ABOVE:g}. **Click a cell** to load its b_f "
        "and ρ (GRU and RNN maps: ρ only) into the shared knobs (green ✕: the current setting). The GRU has no "
        "forget gate: its map's rows are the update-gate bias b_z (z near 1 keeps h).",
        help="Decade: " + TERMS["decade"] + " Spectral radius: " + TERMS["spectral radius"])
    with st.expander("How each cell is computed"):
        st.markdown(
            f"Fresh weights (H = {H}, D = {D}, seed {seed}) with every bias 0 except b_f (GRU: b_z); the spectral "
            "radius ρ rescales each W_hh gate block (LSTM, GRU) or W_hh (RNN); x_t ~ N(0, 1) (RNN: N(0, s²), s the "
            f"input scale); h₀ = c₀ = 0; loss L = uᵀh_T with u = (1, …, 1)/√H. The GRU's update gate z plays the "
            "forget gate's part: h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}, so along the direct path the gradient is "
            "multiplied by z at every step (∏ z, the counterpart of the LSTM's ∏ f); b_z sets where z starts. The other pages apply the knobs to the "
            "preset's own weights, input and loss, so their numbers differ from the map's."
        )

# ---- length sweep ----------------------------------------------------------------------------------------------------

elif view == "sweep":
    chart_col, side = st.columns([3, 1.3])
    with side:
        T_max = st.slider("Longest sequence T_max", 20, 1000, 200, step=10, key="ex_sweep_T",
                          help="20 lengths evenly spaced up to this one; each sends a gradient from step T back to 1.")
    sweeps = ex.length_sweeps(T_max, H, D, seed, fb, rho)
    rows = {"factor per step": [], "half-life": []}
    for name in ("LSTM", "RNN"):
        sw = sweeps[name]
        rows["factor per step"].append("no fit" if np.isnan(sw.rate_per_step) else f"×{np.exp(sw.rate_per_step):.4g}")
        hl = sw.half_life
        rows["half-life"].append("no fit" if np.isnan(hl) else "never" if np.isinf(hl) else f"{hl:.1f} steps")
    with side:
        st.markdown("| | LSTM | RNN |\n|---|---|---|\n"
                    + "\n".join(f"| {k} | {a} | {b} |" for k, (a, b) in rows.items()))
        st.caption("From the fitted line: the half-life is how many more steps of T halve the gradient reaching "
                   "step 1, ln 2 ÷ (−ln factor).")
    with chart_col:
        widgets.content_chart(  # the sweep uses fresh weights, not the lab's: keyed by its own settings only
            "ex_sweep", lambda: length_sweep_chart(sweeps, title="Gradient reaching step 1 from a loss at step T"),
            T_max, fb, rho, H, D, seed, key="ex_sweep_chart", filename=f"length_sweep_H{H}_seed{seed}")
    widgets.knob_controls()
    st.caption(
        "The phase diagrams' experiment with the knobs above (off: b_f = 0, radius as initialised; the weight scale "
        "is not used). A straight line on this log axis is a fixed factor per step: exponential decay or growth."
    )

# ---- clip and truncate -----------------------------------------------------------------------------------------------

elif view == "clip":
    T = lab.T
    k_max = max(T, 2)
    ss.setdefault(TBPTT_ON, True)  # defaults here, not in the widgets: lesson steps set them
    ss.setdefault(CLIP_ON, True)
    if ss.get(TBPTT_K, k_max + 1) > k_max:  # first visit, or T shrank below the window
        ss[TBPTT_K] = min(ss.get(TBPTT_K, min(20, max(T // 2, 1))), k_max)
    c1, c2 = st.columns(2)
    with c1:
        trunc_on = st.toggle("Truncated BPTT", key=TBPTT_ON,
                             help="Cut the backward pass into windows of k steps counted back from T; no gradient "
                                  "crosses a window's edge (as if h and c were detached there).")
        k = st.slider("Window k (steps)", 1, k_max, key=TBPTT_K, disabled=not trunc_on)
    with c2:
        clip_on = st.toggle("Clip by global norm", key=CLIP_ON,
                            help="After backward, scale every parameter gradient by min(1, c/‖∇θ‖). Global norm: "
                                 + TERMS["global norm"])
        c = st.select_slider("Threshold c", CLIP_OPTIONS, value=1.0, key="ex_clip", disabled=not clip_on,
                             format_func=lambda v: f"{v:g}")
    truncate = int(k) if trunc_on else None
    clip = float(c) if clip_on else None
    parts = [f"TBPTT k = {truncate}" if truncate else "", f"clipped at c = {clip:g}" if clip else ""]
    after_label = "after " + " and ".join(p for p in parts if p) if any(parts) else "after (nothing applied)"
    cols = st.columns(2)
    for col, model, name, q, qk in ((cols[0], "lstm", "LSTM", "‖∂L/∂c_t‖", "dc"),
                                    (cols[1], "rnn", "RNN", "‖∂L/∂h_t‖", "dh")):
        res = ex.clip_truncate(lab, model, truncate, clip)
        with col:
            widgets.cached_chart(
                lab, f"ex_clip_{model}",
                lambda _, res=res, name=name, q=q, qk=qk: clipped_flow(
                    res.full[qk], res.after[qk], model=name, quantity=q, truncate=truncate, after_label=after_label,
                    title=f"{name}: {q}"),
                extra=(truncate, clip), key=f"ex_clip_chart_{model}", filename=f"clip_truncate_{model}")
            mc = st.columns(3)
            mc[0].metric("‖∇θ‖ full BPTT", _num(res.norm_full), help="Global norm: " + TERMS["global norm"])
            mc[1].metric(f"with TBPTT k = {truncate}" if truncate else "before clipping", _num(res.norm_before),
                         help="Before clipping: with truncated BPTT when it is on, else the full BPTT norm.")
            mc[2].metric(f"after clipping at {clip:g}" if clip else "no clipping", _num(res.norm_after),
                         delta=f"×{res.scale:.3g}" if res.clipped else None, delta_color="off", delta_arrow="off",
                         help="What an optimiser would be given; the factor scales every step's curve alike.")
    st.caption(
        "Clipping multiplies the whole gradient by one factor: the curve moves down, its shape stays. It tames an "
        "explosion; it cannot revive a vanished gradient. Truncation keeps the last k steps exact and sends no "
        "gradient further back (shaded): the update is biased towards short dependencies. Solid: the true BPTT norms."
    )

# ---- Jacobian --------------------------------------------------------------------------------------------------------

else:
    seconds = ex.jacobian_seconds(lab.T, H)
    if seconds > ex.JACOBIAN_AUTO_SECONDS and ss.get(JACOBIAN_OK) != lab.key:
        st.info(f"The exact Jacobian costs O(T·(2H)³) for the LSTM: about {seconds:.0f} s at T = {lab.T}, H = {H}.",
                icon=":material/hourglass_top:")
        st.button(f"Compute (takes ~{seconds:.0f} s)", key="ex_jacobian_compute", type="primary",
                  on_click=lambda: ss.__setitem__(JACOBIAN_OK, lab.key))
    else:
        with st.spinner(f"Multiplying {lab.T} exact step Jacobians…"):
            jac = {"LSTM ‖∂(h_T,c_T)/∂(h_t,c_t)‖₂": ex.jacobian_norms(lab, "lstm"),
                   "RNN ‖∂h_T/∂h_t‖₂": ex.jacobian_norms(lab, "rnn")}
        lstm_run, rnn_run = compute.lstm_run(lab), compute.rnn_run(lab)
        grads = {"LSTM ‖∂L/∂(h_t, c_t)‖": state_grad_norms(lstm_run.trace, lstm_run.grads),
                 "RNN ‖∂L/∂h_t‖": rnn_run.norms["dh"]}
        widgets.cached_chart(
            lab, "ex_jacobian",
            lambda _: jacobian_vs_gradient(jac, grads, title="Exact state Jacobian (long dashes) vs loss gradient"),
            key="ex_jacobian_chart", filename=f"jacobian_vs_gradient_T{lab.T}_H{H}")
        j1 = jac["LSTM ‖∂(h_T,c_T)/∂(h_t,c_t)‖₂"][0]
        g1 = first_last_ratio(grads["LSTM ‖∂L/∂(h_t, c_t)‖"])
        st.caption(
            "Long dashes: the spectral norm of ∂state_T/∂state_t, the most that any gradient arriving at step T can be "
            "stretched on its way back to t: an upper bound. Solid (LSTM) and dotted (RNN): this lab's loss (it reads "
            "h_T) and its gradient "
            "with respect to the state, divided by its value at T; it is one case and can lie far below. "
            f"**Here, at t = 1 (LSTM): bound {_num(j1)}, loss gradient {_num(g1)}.**",
            help="Jacobian: " + TERMS["Jacobian"])
