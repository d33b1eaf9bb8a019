"""Training lab: train an LSTM, a GRU and/or a tanh RNN on a long-gap task, live, and hand the trained network over; below,
the bracket counter (ui/counting.py) and a character model on the user's own text (ui/owntext.py).

Controls on the left (page-local keys tr_*), Train / Stop, live loss and accuracy curves and the per-step gradient
strip on the right; after training, one click puts the trained weights and a task example into the shared state.
The loop, the session keys and the callbacks live in ui/training.py; the figures in charts/training.py.
"""

import itertools

import streamlit as st

from lstm_core.tasks import DISTRACTORS, LONG_GAP_TASKS
from lstm_core.train import OPTIMIZERS
from ui import counting, owntext, routes, state
from ui import training as tr

ss = st.session_state
tr.settle()  # a run cut short by Stop or another control: mark it, keep its results
training = bool(ss.pop(tr.GO, False))

st.caption(
    "Train a network to remember the first symbol of a sequence across a gap of distracting, noisy steps (or to add "
    "two marked numbers). The LSTM's forget gate lets the cue — and its gradient — cross the gap; the GRU keeps h "
    "where its update gate z is near 1; watch the strips below to see how far back each network's gradient reaches."
)

left, right = st.columns([1.25, 2.4], gap="medium")

with left:
    task = st.selectbox("Task", LONG_GAP_TASKS, key="tr_task", disabled=training,
                        help="remember-first: name the cue shown at step 1 (classification). adding: sum the two "
                             "marked values (regression).")
    ss.setdefault("tr_model", "both")  # default here, not in the widget: tr.keep_model sets it too
    choice = st.selectbox("Model", list(tr.MODEL_CHOICES), format_func=tr.MODEL_CHOICES.get,
                                  key="tr_model", disabled=training, on_change=tr.keep_model,
                                  help="Several: side by side, on the same batches, sharing the time budget. The "
                                       "GRU starts from PyTorch's initialisation (it has no forget bias to set).") \
        or "both"
    ss.setdefault("tr_gap", tr.GAP_DEFAULT)  # defaults here, not in the widgets: lesson steps set them too
    ss.setdefault("tr_fb", tr.FB_DEFAULT)
    gap = st.slider("Gap (distractor steps)", *tr.GAP_LIMITS, key="tr_gap", disabled=training,
                    help="Steps between the information and the readout; the sequence has T = gap + 1 steps.")
    c1, c2 = st.columns(2)
    hidden = c1.slider("Hidden size H", 1, 128, 16, key="tr_hidden", disabled=training)
    batch = c2.select_slider("Batch size", [1, 2, 4, 8, 16, 32, 64, 128, 256], 32, key="tr_batch", disabled=training,
                             help="Sequences per training iteration.")
    c1, c2 = st.columns(2)
    optimizer = c1.selectbox("Optimizer", OPTIMIZERS, key="tr_optimizer", disabled=training,
                             format_func={"adam": "Adam", "sgd": "SGD + mom."}.get)
    lr = c2.number_input("Learning rate", 0.0, 1.0, 5e-3, step=1e-3, format="%g", key="tr_lr", disabled=training)
    fb_on = st.toggle("Set the LSTM's initial forget-gate bias", True, key="tr_fb_on", disabled=training,
                      help="On: every LSTM unit starts with this total forget bias b_f (σ(4) ≈ 0.98: remember). "
                           "Off: PyTorch's random initialisation (b_f ≈ 0, f ≈ 0.5: forget half at every step).")
    fb = st.slider("Forget-gate bias b_f", *tr.FB_LIMITS, step=tr.FB_STEP, key="tr_fb",
                   disabled=training or not fb_on,
                   label_visibility="collapsed")
    c1, c2 = st.columns([3, 2], vertical_alignment="center")
    clip_on = c1.toggle("Clip the gradient norm at", True, key="tr_clip_on", disabled=training,
                        help="Scale the whole gradient down when its norm is above the threshold.")
    clip = c2.number_input("Clip gradient norm at", 0.0, 100.0, 1.0, step=0.5, key="tr_clip",
                           disabled=training or not clip_on, label_visibility="collapsed")
    c1, c2 = st.columns(2)
    budget = c1.slider("Time budget (s)", 1, 60, 20, key="tr_budget", disabled=training,
                       help="Wall-clock seconds per press of Train (the chosen models share it, taking turns).")
    noise = c2.slider("Noise σ", 0.0, 2.0, 0.5, step=0.1, key="tr_noise", disabled=training or task != "remember-first",
                      help="remember-first: Gaussian noise on every channel at every distractor step.")
    solved = st.toggle("Stop a model once solved", True, key="tr_solved", disabled=training,
                       help=f"Test accuracy ≥ {tr.STOP_ACCURACY:.0%} (remember-first) or test MSE ≤ {tr.STOP_MSE} "
                            "(adding).")
    with st.expander("More settings"):
        c1, c2 = st.columns(2)
        distractors = c1.selectbox("Distractors", DISTRACTORS, key="tr_distractors",
                                   disabled=training or task != "remember-first",
                                   help="separate: own symbol set (D = 8); same: the cue's symbols (D = 4); "
                                        "noise: noise only (D = 4).")
        momentum = c2.slider("Momentum", 0.0, 0.99, 0.9, step=0.01, key="tr_momentum",
                             disabled=training or optimizer != "sgd", help="SGD only.")
        c1, c2 = st.columns(2)
        trunc_on = c1.toggle("Truncate BPTT", False, key="tr_trunc_on", disabled=training)
        trunc = c2.number_input("Truncate BPTT to", 1, 2000, 10, key="tr_trunc", disabled=training or not trunc_on,
                                help="Backpropagate only this many steps back from each loss step.")
        c1, c2 = st.columns(2)
        seed = c1.number_input("Training seed", 0, 2**31 - 1, 0, key="tr_seed", disabled=training,
                               help="Seeds the weights, every training batch and the test batch.")
        steps = c2.number_input("Max iterations", 1, 1_000_000, 100_000, key="tr_steps", disabled=training)
        c1, c2 = st.columns(2)
        test_size = c1.number_input("Test sequences", 1, 4096, 512, key="tr_test_size", disabled=training)
        eval_every = c2.number_input("Report every (iterations)", 1, 1000, 25, key="tr_eval_every", disabled=training)

    try:
        configs = tr.make_configs(
            choice, task=task, gap=int(gap), hidden=int(hidden), batch=int(batch), steps=int(steps),
            optimizer=optimizer, lr=float(lr), momentum=float(momentum), clip=float(clip) if clip_on else None,
            truncate=int(trunc) if trunc_on else None, forget_bias=float(fb) if fb_on else None, seed=int(seed),
            test_size=int(test_size), eval_every=int(eval_every), distractors=distractors, noise=float(noise))
    except ValueError as exc:
        configs = None
        st.error(f"These settings can't train: {tr.field_error(exc)}", icon=":material/error:")

with right:
    b1, b2, b3 = st.columns([1.2, 1.2, 4])
    b1.button("Train", type="primary", icon=":material/play_arrow:", key="tr_train", on_click=tr.request_train,
              disabled=training or configs is None, width="stretch")
    b2.button("Stop", icon=":material/stop:", key="tr_stop_button", on_click=tr.request_stop, disabled=not training,
              width="stretch", help="Stop training; what was trained so far is kept.")
    if configs is not None:
        b3.caption(tr.plan_text(configs))
    x_axis = st.segmented_control("x axis", ["iteration", "seconds"], default="iteration", key="tr_x",
                                  format_func={"iteration": "iterations", "seconds": "seconds"}.get,
                                  label_visibility="collapsed") or "iteration"
    status_slot = st.empty()
    curves_slot = st.empty()
    strips_slot = st.empty()
    st.caption(
        "The strip: one row per report (y = training iteration), one column per step t; colour = log₁₀ of the "
        "gradient norm at that step on that report's last training batch (LSTM: cell state ∂L/∂c_t; GRU and RNN: "
        "hidden state ∂L/∂h_t). The loss reads the last step (right edge); bright far to the left means the gradient "
        "reaches the cue at t = 1. Blank cells: the gradient underflowed to 0."
    )

    if training and configs is not None:
        bar = status_slot.progress(0.0, text="Starting…")
        redraws = itertools.count()

        def draw(runs, elapsed):
            bar.progress(min(elapsed / budget, 1.0), text=tr.progress_text(runs, elapsed, budget))
            tr.show(runs, curves_slot, strips_slot, x=x_axis, live=next(redraws))

        tr.run_live(configs, budget=float(budget), stop_when_solved=solved, draw=draw)
        st.rerun()  # the final view, with the controls enabled again

    runs = ss.get(tr.RESULTS) or {}
    status = ss.get(tr.STATUS)
    if status:
        kind, text = status
        getattr(status_slot, kind)(text)
    elif not runs:
        status_slot.info("Choose the settings and press **Train**. Curves appear while it trains.",
                         icon=":material/model_training:")
    tr.show(runs, curves_slot, strips_slot, x=x_axis)

    trained = [m for m, run in runs.items() if run.iteration > 0 and m in tr.HANDED_KINDS]
    if "gru" in runs and runs["gru"].iteration > 0:
        st.caption("The trained GRU stays on this page: the hand-over below takes the LSTM and the RNN only, not yet "
                   "the GRU.")
    if trained:
        st.subheader("Look inside the trained network")
        options = [(m,) for m in trained] + ([tuple(trained)] if len(trained) > 1 else [])
        st.markdown("Show the trained network on the walkthrough and gates pages, with a held-out task example:")
        cols = st.columns(len(options) + (1 if len(options) < 3 else 0))
        for col, models in zip(cols, options):
            problem = tr.hand_over_problem(models)
            col.button(f"Use {'both' if len(models) > 1 else 'the ' + tr.MODEL_LABELS[models[0]]}",
                       key=f"tr_handover_{'_'.join(models)}", on_click=tr.hand_over, args=(models,),
                       icon=":material/move_item:", disabled=problem is not None, width="stretch",
                       help=problem or "Sets the sidebar's D, H and T to the task's and loads the weights and one "
                                       "held-out example into the shared state.")
        problem = next((p for p in map(tr.hand_over_problem, options) if p), None)
        if problem:
            st.warning(problem, icon=":material/block:")
        flashed = state.take_flashed(tr.HAND_OVER)
        for kind, text in flashed:
            if kind == "error":
                st.error(text, icon=":material/error:")
        handed = tr.handed_models()
        if handed:
            done = [text for kind, text in flashed if kind == "success"]
            st.success(done[-1] if done else f"The other pages show the trained "
                                             f"{' and '.join(tr.MODEL_LABELS[m] for m in handed)}.",
                       icon=":material/check_circle:")
            for column, path in zip(st.columns(2), ("cell", "gates")):
                route = routes.by_path(path)
                column.page_link(route.file, label=route.title, icon=route.icon)
        st.caption(
            "Handed over: the recurrent weights (W_ih, W_hh, biases) and one held-out sequence. The readout "
            "(W_y, b_y) that turns h_T into the answer is not part of the lab, and the other pages' gradients use "
            "the sidebar preset's own loss, not the training loss. A model not handed over shows the preset's "
            "weights at the new sizes."
        )

st.divider()
counting.section()
st.divider()
owntext.section()
