"""The "No forget gate (1997 LSTM)" preset in the running app: every page runs it as the 1997 LSTM (f ≡ 1 from the
core, not a forget gate at σ(0) = ½ from weights rebuilt without the flag), says so where f is shown, and refuses the
forget-bias knob with a message instead of a traceback."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_core import io
from lstm_core.presets import PRESETS
from ui import compute

from tests.helpers import PAGES, figure, lab_of, open_app

QUERY = {"preset": "no_forget_gate"}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_the_1997_lstm(page):
    at = open_app(page, query=QUERY)
    assert not at.exception
    lab = lab_of(at)
    assert lab.cfg["preset"] == "no_forget_gate" and lab.lstm.forget_gate is False
    run = compute.lstm_run(lab)
    assert np.all(run.trace.f == 1.0) and not np.any(run.grads.dz_f)


def test_the_cell_page_writes_f_as_1_not_as_a_sigmoid():
    at = open_app("cell", query=QUERY)
    shown = " ".join(e.value for e in at.latex)
    assert r"\equiv 1 \quad \text{(no forget gate: the 1997 LSTM)}" in shown
    assert r"\sigma(z_f) = \sigma(" not in shown


def test_the_gates_page_titles_the_f_row():
    at = open_app("gates", query=QUERY)
    titles = [a["text"] for a in figure(at, "gate_heatmaps")["layout"]["annotations"]]
    assert any("≡ 1 (no forget gate)" in t for t in titles), titles
    at = open_app("gates")
    titles = [a["text"] for a in figure(at, "gate_heatmaps")["layout"]["annotations"]]
    assert not any("≡ 1" in t for t in titles)


def test_the_forget_bias_knob_is_refused_with_a_message():
    at = open_app("gradients", query=QUERY)
    at.session_state["fb_on"] = True
    at.run()
    assert not at.exception
    assert any("this LSTM has no forget gate" in e.value for e in at.error)
    assert lab_of(at).lstm.forget_gate is False  # the last valid lab is kept


def test_downloaded_weights_load_back_as_the_1997_lstm():
    at = open_app("weights", query=QUERY)
    assert not at.exception
    lstm = lab_of(at).lstm
    back = io.load_params(io.to_npz_bytes(lstm), "w.npz")
    assert back.forget_gate is False and np.array_equal(back.weight_hh, lstm.weight_hh)
    assert PRESETS["no_forget_gate"].focus == "lstm"
