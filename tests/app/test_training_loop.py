"""ui.training.run_live on its own (bare Streamlit session state, a fake clock): the time budget is training time."""

from __future__ import annotations

import time

import streamlit as st

from lstm_core.train import TrainConfig
from ui import training as tr


def test_redraw_time_is_not_charged_to_the_budget():
    """Each redraw here takes 5 s of a fake wall clock (a slow browser or a big chart). With a 1 s budget the run must
    still train for about 1 s, not stop after the first redraw; and the ``elapsed`` passed to draw excludes redraws."""
    slow = [0.0]

    def clock() -> float:
        return time.perf_counter() + slow[0]

    seen = []

    def draw(runs, elapsed):
        seen.append(elapsed)
        slow[0] += 5.0

    cfg = TrainConfig(gap=5, hidden=8, test_size=64, eval_every=5, steps=1_000_000)
    st.session_state.clear()
    tr.run_live({"lstm": cfg}, budget=1.0, stop_when_solved=False, draw=draw, clock=clock)
    run = st.session_state[tr.RESULTS]["lstm"]
    trained = run.rows[-1]["seconds"]  # compute seconds, as the core measures them
    assert trained >= 0.8, f"stopped after {trained:.2f} s of training: redraws were charged to the 1 s budget"
    assert len(seen) >= 2 and max(seen) < 1.0 + 0.5, seen
    assert run.reason == "time" and not st.session_state[tr.RUNNING]
