"""The training lab's Streamlit glue: session keys of a run, the live loop, Stop, and the hand-over to the other pages.

Everything trained is kept in ``st.session_state[RESULTS]`` ({model: ModelRun}) and updated after EVERY progress
report, so a Stop (a button click, which interrupts the running script with a rerun) or any other interruption never
loses what was trained: the next run of the page finds the flag RUNNING still set, marks the runs stopped
(STOP was clicked) or interrupted (another control changed), and shows the stored results.

Train again continues from the stored state when the model's TrainConfig is unchanged, else starts fresh.
No maths here: the core trains (lstm_core.train), the charts draw (charts.training).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial
from typing import Callable

import numpy as np
import streamlit as st

from charts.training import gradient_strip, shared_zrange, training_curves
from lstm_core.train import Progress, TrainConfig, TrainState, init_state, test_batch, train
from ui import compute, state, widgets

RESULTS = "tr_results"  # {model: ModelRun} of the last run (kept across reruns)
RUNNING = "tr_running"  # True while the live loop runs; still True on the next run = the loop was interrupted
STOP = "tr_stop"  # set by the Stop button's callback
GO = "tr_go"  # set by the Train button's callback: this run trains
STATUS = "tr_status"  # (kind, text) about how the last run ended
HAND_OVER = "training hand-over"  # the state.flash section of the hand-over callback's message
HANDED = "tr_handed"  # {model: params} handed over to the shared state

GAP_LIMITS, GAP_DEFAULT = (1, 200), 20  # the Gap slider (distractor steps)
FB_LIMITS, FB_STEP, FB_DEFAULT = (-5.0, 10.0), 0.5, 4.0  # the LSTM's initial forget-bias slider
MODEL_LABELS = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}  # how the training lab names the models it trains
# The Model control's choices (also a lesson's tr_model value) and the models each one trains, side by side.
MODEL_CHOICES = {"both": "LSTM and RNN", "all": "LSTM, GRU and RNN", "lstm": "LSTM", "gru": "GRU", "rnn": "RNN"}
MODEL_SETS = {"both": ("lstm", "rnn"), "all": ("lstm", "gru", "rnn"), "lstm": ("lstm",), "gru": ("gru",),
              "rnn": ("rnn",)}
HANDED_KINDS = ("lstm", "rnn")  # the models whose trained weights the lab takes (state.set_weights); not yet the GRU
DRAW_EVERY = 0.5  # seconds of wall time between live redraws (the last report is always drawn)
STOP_ACCURACY, STOP_MSE = 0.99, 0.01  # "stop when solved" targets
FIELD_LABELS = {  # TrainConfig field -> the control's label, for error messages
    "task": "Task", "gap": "Gap", "model": "Model", "hidden": "Hidden size H", "batch": "Batch size",
    "steps": "Max iterations", "optimizer": "Optimizer", "lr": "Learning rate", "momentum": "Momentum",
    "clip": "Clip gradient norm at", "truncate": "Truncate BPTT to", "forget_bias": "Forget-gate bias",
    "seed": "Training seed", "test_size": "Test sequences", "eval_every": "Report every",
    "distractors": "Distractors", "n_symbols": "Symbols", "n_distractors": "Distractor symbols", "noise": "Noise σ",
}
REASONS = {"time": "time budget used", "steps": "maximum iterations reached", "target": "solved (target reached)",
           "stopped": "stopped", "interrupted": "interrupted"}


@dataclass
class ModelRun:
    """One model's training so far: its config, the reports as rows, the per-step gradient norms, the latest state."""

    config: TrainConfig
    state: TrainState
    rows: list[dict] = field(default_factory=list)  # Progress.row() (seconds accumulated over resumed runs)
    step_norms: list[np.ndarray] = field(default_factory=list)  # (T,) per report
    reason: str = ""  # how the latest run ended (REASONS)
    seconds0: float = 0.0  # compute seconds of the earlier runs this one continues

    @property
    def iteration(self) -> int:
        return self.state.iteration

    @property
    def iterations(self) -> np.ndarray:
        return np.array([r["iteration"] for r in self.rows], dtype=np.int64)

    def add(self, p: Progress) -> None:
        """Store a report (a report without a new iteration, e.g. "maximum already reached", only ends the run)."""
        self.state = p.state
        if p.losses.size:
            row = p.row()
            row["seconds"] = round(self.seconds0 + p.seconds, 4)
            self.rows.append(row)
            self.step_norms.append(np.asarray(p.step_norms))
        if p.done:
            self.reason = p.reason

    def latest(self) -> str:
        if not self.rows:
            return f"iteration {self.iteration}"
        r = self.rows[-1]
        metric = f"test accuracy {r['accuracy']:.0%}" if r["accuracy"] is not None else f"test MSE {r['mse']:.4f}"
        return f"iteration {r['iteration']}, {metric}"


# ---- configuration ---------------------------------------------------------------------------------------------------


def make_configs(choice: str, **fields) -> dict[str, TrainConfig]:
    """The TrainConfig of each chosen model (``choice``: a MODEL_CHOICES key); raises ValueError naming the field."""
    return {m: TrainConfig(model=m, **fields) for m in MODEL_SETS[choice]}


def field_error(exc: ValueError) -> str:
    """A ValueError from TrainConfig ("lr: got 0.0, needs …") with the control's label in front."""
    text = str(exc)
    name = text.split(":", 1)[0].strip()
    label = FIELD_LABELS.get(name)
    return f"**{label}** — {text}" if label else text


def plan(configs: dict[str, TrainConfig]) -> dict[str, bool]:
    """{model: True if Train continues the stored run (same config), False if it starts fresh}."""
    runs = st.session_state.get(RESULTS) or {}
    return {m: m in runs and runs[m].config == cfg and runs[m].iteration > 0 for m, cfg in configs.items()}


def plan_text(configs: dict[str, TrainConfig]) -> str:
    resume = plan(configs)
    runs = st.session_state.get(RESULTS) or {}
    parts = []
    for m, cont in resume.items():
        if cont:
            parts.append(f"{MODEL_LABELS[m]} continues from iteration {runs[m].iteration} (same settings)")
        elif m in runs:
            parts.append(f"{MODEL_LABELS[m]} starts fresh (the settings changed since its last run)")
        else:
            parts.append(f"{MODEL_LABELS[m]} starts fresh")
    return "Train: " + "; ".join(parts) + "."


# ---- callbacks -------------------------------------------------------------------------------------------------------


def keep_model() -> None:
    """The Model box's on_change: remember the choice, and should the box ever be cleared (None), keep the last."""
    ss = st.session_state
    if ss.get("tr_model") is None:
        ss["tr_model"] = ss.get("_tr_model_last", "both")
    ss["_tr_model_last"] = ss["tr_model"]


def request_train() -> None:
    st.session_state[GO] = True
    st.session_state[STOP] = False


def request_stop() -> None:
    st.session_state[STOP] = True


def settle() -> None:
    """Start of every page run: if the live loop was cut short (RUNNING still set), say so and keep its results."""
    ss = st.session_state
    stopped = bool(ss.pop(STOP, False))
    if not ss.get(RUNNING):
        return
    ss[RUNNING] = False
    runs: dict[str, ModelRun] = ss.get(RESULTS) or {}
    reason = "stopped" if stopped else "interrupted"
    for run in runs.values():
        if not run.reason:
            run.reason = reason
    where = ", ".join(f"{MODEL_LABELS[m]} at iteration {run.iteration}" for m, run in runs.items())
    if stopped:
        ss[STATUS] = ("info", f"Stopped: {where}. The results so far are kept; Train continues from here.")
    else:
        ss[STATUS] = ("warning", f"Training was interrupted (a control changed while it ran): {where}. "
                                 "The results so far are kept.")


# ---- the live loop ---------------------------------------------------------------------------------------------------


def run_live(configs: dict[str, TrainConfig], *, budget: float, stop_when_solved: bool,
             draw: Callable[[dict[str, ModelRun], float], None], clock=time.perf_counter) -> None:
    """Train the chosen models for ``budget`` seconds of wall time in all (both models and every redraw included),
    one report from each model in turn (same seed, so the same training batches at the same iteration), storing
    every report in session state and calling ``draw(runs, elapsed)`` at most every DRAW_EVERY seconds and after the
    last report.

    The models share what is left of the budget, minus the longest redraw so far (kept for the last one), in
    proportion to what one iteration of each costs (measured from its reports; equal parts before), so that they end
    at about the same iteration. A model stops before an iteration it could not finish, with its closing evaluation,
    in its part (lstm_core.train's ``time_left``); once one model stops, the others share the rest."""
    ss = st.session_state
    old: dict[str, ModelRun] = ss.get(RESULTS) or {}
    resume = plan(configs)
    runs: dict[str, ModelRun] = {}
    for m, cfg in configs.items():
        if resume[m]:
            run = old[m]
            run.reason, run.seconds0 = "", run.rows[-1]["seconds"] if run.rows else 0.0
        else:
            run = ModelRun(config=cfg, state=init_state(cfg))
        runs[m] = run
    ss[RESULTS] = runs
    ss[STATUS] = None
    ss[RUNNING] = True
    t0 = clock()
    active = list(runs)
    start = {m: run.iteration for m, run in runs.items()}
    per_iteration = {m: 0.0 for m in runs}  # compute seconds per iteration, from the reports of this run
    draw_seconds = 0.0  # the longest redraw so far

    def share(m: str) -> float:
        """Seconds model ``m`` may still use: its part of what is left for the models still training."""
        left = t0 + budget - clock() - draw_seconds
        costs = [per_iteration[a] for a in active]
        if m not in active or not all(costs):
            return left / max(len(active), 1)
        return left * per_iteration[m] / sum(costs)

    target = dict(stop_accuracy=STOP_ACCURACY, stop_mse=STOP_MSE) if stop_when_solved else {}
    gens = {m: train(run.config, state=run.state, time_left=partial(share, m), clock=clock, **target)
            for m, run in runs.items()}
    last_draw = -np.inf
    while active:
        for m in list(active):
            try:
                p = next(gens[m])
            except StopIteration:  # pragma: no cover — train always ends with a done report
                active.remove(m)
                continue
            runs[m].add(p)
            ss[RESULTS] = runs  # stored after every report
            if p.iteration > start[m]:
                per_iteration[m] = p.seconds / (p.iteration - start[m])
            if p.done:
                active.remove(m)
        # a redraw while training only while it leaves time for the last one (the models reserve that one)
        if not active or (clock() - last_draw >= DRAW_EVERY and t0 + budget - clock() >= 2 * draw_seconds):
            started = clock()
            draw(runs, started - t0)
            last_draw = clock()
            draw_seconds = max(draw_seconds, last_draw - started)
    ss[RUNNING] = False
    ss[STATUS] = ("success", f"Done in {clock() - t0:.1f} s of the {budget:g} s budget: " + "; ".join(
        f"{MODEL_LABELS[m]} {run.latest()} ({REASONS.get(run.reason, run.reason)})" for m, run in runs.items()) + ".")


# ---- showing the results ---------------------------------------------------------------------------------------------


def history(runs: dict[str, ModelRun]) -> dict[str, list[dict]]:
    return {m: run.rows for m, run in runs.items()}


def quantity(model: str) -> str:
    return "‖∂L/∂c_t‖" if model == "lstm" else "‖∂L/∂h_t‖"


def show(runs: dict[str, ModelRun], curves_slot, strips_slot, *, x: str = "iteration", live: int | None = None) -> None:
    """The curves and the gradient strips of ``runs`` into two st.empty() slots. ``live``: a counter for unique chart
    keys while the loop redraws in one script run (None: the stable keys tr_curves, tr_strip_<model>)."""
    suffix = "" if live is None else f"_live{live}"
    runs = {m: r for m, r in runs.items() if r.rows}
    if not runs:
        return
    task = next(iter(runs.values())).config.make_task()
    with curves_slot.container():
        widgets.chart(training_curves(history(runs), chance=task.chance, x=x),
                      key=f"tr_curves{suffix}", filename="training_curves")
    zrange = shared_zrange(*[np.array(r.step_norms) for r in runs.values()])
    with strips_slot.container():
        cols = st.columns(len(runs))
        for col, (m, run) in zip(cols, runs.items()):
            with col:
                fig = gradient_strip(run.iterations, np.array(run.step_norms), quantity=quantity(m), zrange=zrange,
                                     title=f"{MODEL_LABELS[m]} {quantity(m)}")
                widgets.chart(fig, key=f"tr_strip_{m}{suffix}", filename=f"gradient_strip_{m}")


def progress_text(runs: dict[str, ModelRun], elapsed: float, budget: float) -> str:
    parts = [f"{MODEL_LABELS[m]} {run.latest()}" for m, run in runs.items()]
    return f"{elapsed:.0f} / {budget:.0f} s — " + " · ".join(parts)


# ---- hand-over to the shared state -----------------------------------------------------------------------------------


def hand_over_problem(models: tuple[str, ...]) -> str | None:
    """Why the trained ``models`` cannot be shown on the other pages (the sidebar's limits, the preset), or None."""
    ss = st.session_state
    runs: dict[str, ModelRun] = ss.get(RESULTS) or {}
    missing = [m for m in models if m not in runs or runs[m].iteration == 0]
    if missing:
        return f"Nothing trained yet for {', '.join(MODEL_LABELS[m] for m in missing)}."
    if any(m not in HANDED_KINDS for m in models):
        return ("The hand-over takes the LSTM and the RNN only, not yet a trained GRU: it stays here with its curves "
                "and gradient strip.")
    cfg = runs[models[0]].config
    task = cfg.make_task()
    D, H, T = task.input_size, cfg.hidden, task.T
    for m in models[1:]:
        c = runs[m].config
        if (c.make_task().input_size, c.hidden, c.make_task().T) != (D, H, T):
            return "The LSTM and the RNN were trained with different sizes: hand them over one at a time."
    for name, value, key in (("input size D", D, state.D), ("hidden size H", H, state.H),
                             ("sequence length T", T, state.T)):
        lo, hi = state.LIMITS[key]
        if not lo <= value <= hi:
            return (f"The other pages take {name} {lo}–{hi}; this network has {name} = {value}. "
                    f"Train with a {'smaller hidden size' if key == 'H' else 'shorter gap'} to hand it over.")
    try:
        compute.scenario(state.setting(state.PRESET), D, H, T, int(state.setting(state.SEED)))
    except ValueError as exc:
        return f"The sidebar's preset cannot be built at D = {D}, H = {H}, T = {T}: {exc} Choose another preset."
    return None


def hand_over(models: tuple[str, ...]) -> None:
    """on_click: put the trained weights and one test example into the shared state, settings first, then the
    edits (set_weights / set_inputs record the settings they were made under), so no conflict is asked about."""
    ss = st.session_state
    problem = hand_over_problem(models)
    if problem:
        state.flash(HAND_OVER, problem, "error")
        return
    runs: dict[str, ModelRun] = ss[RESULTS]
    cfg = runs[models[0]].config
    task = cfg.make_task()
    T = task.T
    state.apply_settings({state.D: task.input_size, state.H: cfg.hidden, state.T: T, state.STEP: T,
                          state.INPUT: state.PRESET_INPUT})
    state.discard_edits(["weights"])  # the other model goes back to the preset's weights at the new sizes
    state.set_weights(**{m: runs[m].state.params for m in models})
    example = test_batch(cfg)
    state.set_inputs(np.array(example.x[:, 0, :]))  # (T, D): the first held-out sequence
    ss[HANDED] = {m: runs[m].state.params for m in models}
    if task.kind == "classification":
        what = f"its cue (step 1) is symbol {int(example.target[0, 0]) + 1} of {task.n_symbols}"
    else:
        what = f"the target sum is {float(example.target[0, 0, 0]):.3f}"
    state.flash(HAND_OVER, f"The trained {' and '.join(MODEL_LABELS[m] for m in models)} and a held-out {cfg.task} "
                           f"example (T = {T}; {what}) are now the shared network and input: sidebar set to "
                           f"D = {task.input_size}, H = {cfg.hidden}, T = {T}.")


def handed_models() -> list[str]:
    """The models whose handed-over weights are still what the other pages show."""
    handed = st.session_state.get(HANDED) or {}
    edits = state.edits()
    return [m for m, p in handed.items() if getattr(edits, m) is p]
