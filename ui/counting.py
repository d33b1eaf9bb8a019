"""The training lab's counter: train an LSTM on the brackets task live (at most 30 s), then show the unit whose cell
counts the depth and its gates. The maths is lstm_core.counting; the figure charts.text.counter_figure."""

from __future__ import annotations

import streamlit as st

from charts.text import counter_figure
from lstm_core.counting import COUNTER, COUNTER_SECONDS, find_counter
from lstm_core.tasks import BRACKET_DEPTH
from lstm_core.train import test_batch, train
from ui import widgets

RESULT = "ct_result"  # session key: dict(config, iteration, seconds, accuracy, reason, counter, params)
STOP_ACCURACY = 0.99


def train_counter(seed: int, budget: float, progress) -> None:
    """Train COUNTER with ``seed`` for at most ``budget`` seconds (or until test accuracy 0.99), then find the
    counter; the result goes into the session."""
    cfg = COUNTER.replace(seed=seed)
    last = None
    for p in train(cfg, max_seconds=budget, stop_accuracy=STOP_ACCURACY):
        last = p
        progress.progress(min(p.seconds / budget, 1.0),
                          text=f"{p.seconds:.0f} / {budget:.0f} s — iteration {p.iteration}, test accuracy "
                               f"{p.test.accuracy:.0%}")
    counter = find_counter(last.state.params, test_batch(cfg))
    st.session_state[RESULT] = dict(config=cfg, iteration=last.iteration, seconds=last.seconds,
                                    accuracy=last.test.accuracy, reason=last.reason, counter=counter,
                                    params=last.state.params)


def section() -> None:
    ss = st.session_state
    st.subheader("A counter you can see")
    st.caption(
        f"An LSTM with {COUNTER.hidden} units reads sequences of “(”, “)” and “a” ({COUNTER.gap + 1} symbols) and must "
        f"name the bracket depth (0–{BRACKET_DEPTH}) after every symbol, the task Weiss, Goldberg & Yahav (2018) "
        "used to show that LSTMs learn to count. After training, the app finds the unit whose cell state c follows "
        "the depth most closely (Pearson r over every step of 256 test sequences) and shows its gates."
    )
    c1, c2, c3 = st.columns([1, 2, 1.4], vertical_alignment="bottom")
    seed = c1.number_input("Seed", 0, 2**31 - 1, 0, key="ct_seed", help="Seeds the weights and every batch.")
    budget = c2.slider("Time budget (s)", 5, COUNTER_SECONDS, COUNTER_SECONDS, key="ct_budget",
                       help=f"Training stops earlier once the test accuracy reaches {STOP_ACCURACY:.0%}.")
    go = c3.button("Train the counter", icon=":material/play_arrow:", key="ct_train", width="stretch")
    if go:
        slot = st.empty()
        train_counter(int(seed), float(budget), slot.progress(0.0, text="Starting…"))
        slot.empty()
    res = ss.get(RESULT)
    if not res:
        st.info("Press **Train the counter**: it takes up to half a minute.", icon=":material/calculate:")
        return
    c = res["counter"]
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Counter unit", f"unit {c.unit + 1}")
    m2.metric("r(c, depth)", f"{c.r:+.3f}", help="Pearson r between this unit's cell state and the depth, over every "
                                                 "step of the 256 test sequences.")
    m3.metric("Test accuracy", f"{res['accuracy']:.1%}", help="Share of (step, sequence) depths named right.")
    m4.metric("Training", f"{res['seconds']:.1f} s", help=f"{res['iteration']} iterations, seed {res['config'].seed}")
    widgets.chart(counter_figure(c.symbols, c.depth, c.states, unit=c.unit, r=c.r), key="ct_figure",
                  filename="bracket_counter")
    st.caption(f"Mean gate values of unit {c.unit + 1} at the steps that read each symbol (test sequences):")
    st.dataframe([{"symbol": s, **{g: round(v, 3) for g, v in means.items()}} for s, means in c.gate_means.items()],
                 hide_index=True)
