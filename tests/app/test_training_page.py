"""Training lab under AppTest: controls, a short live run (both models), Stop, the hand-over, invalid settings.

Runs are tiny (gap 5, H 8, 64 test sequences, a 2 s budget) to keep the suite short on a busy machine; one trained
app is shared by the tests that only read its results (module fixture), the others start their own.
"""

from __future__ import annotations

import numpy as np
import pytest

from lstm_core.train import test_batch as core_test_batch
from tests.helpers import decode, figure, mirror, open_app, page_file
from ui import training as tr

PAGE = page_file("training")
CONFLICT = "rebuilds your"  # app.py's edit-protection question


def small(at, *, budget: int = 2, model: str = "both"):
    """Tiny, fast settings (no run)."""
    at.selectbox(key="tr_model").set_value(model)
    at.slider(key="tr_gap").set_value(5)
    at.slider(key="tr_hidden").set_value(8)
    at.number_input(key="tr_test_size").set_value(64)
    at.number_input(key="tr_eval_every").set_value(10)
    at.slider(key="tr_budget").set_value(budget)
    return at.run()


def texts(elements) -> str:
    return " ".join(str(e.value) for e in elements)


@pytest.fixture(scope="module")
def trained():
    """One app after a 2 s run of both models (shared by read-only tests)."""
    at = small(open_app(PAGE))
    at.button(key="tr_train").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


# ---- the page and its controls ---------------------------------------------------------------------------------------


def test_page_loads_with_a_prompt_and_no_charts():
    at = open_app(PAGE)
    assert not at.exception and not at.error
    assert "press **Train**" in texts(at.info)
    assert not at.get("plotly_chart"), "nothing trained yet: no figures"
    assert at.button(key="tr_stop_button").disabled and not at.button(key="tr_train").disabled


CONTROLS = {  # key -> (kind, values: min / middle / max or every option)
    "tr_task": ("selectbox", ["remember-first", "adding"]),
    "tr_model": ("selectbox", ["both", "all", "lstm", "gru", "rnn"]),
    "tr_optimizer": ("selectbox", ["adam", "sgd"]),
    "tr_distractors": ("selectbox", ["separate", "same", "noise"]),
    "tr_gap": ("slider", [1, 100, 200]),
    "tr_hidden": ("slider", [1, 64, 128]),
    "tr_batch": ("select_slider", [1, 32, 256]),
    "tr_fb": ("slider", [-5.0, 2.5, 10.0]),
    "tr_budget": ("slider", [1, 30, 60]),
    "tr_noise": ("slider", [0.0, 1.0, 2.0]),
    "tr_momentum": ("slider", [0.0, 0.5, 0.99]),
    "tr_lr": ("number_input", [1e-4, 0.5, 1.0]),
    "tr_clip": ("number_input", [0.5, 50.0, 100.0]),
    "tr_trunc": ("number_input", [1, 1000, 2000]),
    "tr_seed": ("number_input", [0, 1000, 2**31 - 1]),
    "tr_steps": ("number_input", [1, 500_000, 1_000_000]),
    "tr_test_size": ("number_input", [1, 2048, 4096]),
    "tr_eval_every": ("number_input", [1, 500, 1000]),
}


@pytest.mark.parametrize("key", list(CONTROLS))
def test_every_control_min_mid_max_without_exception(key):
    kind, values = CONTROLS[key]
    at = open_app(PAGE)
    if key == "tr_momentum":
        at.selectbox(key="tr_optimizer").set_value("sgd")
    if key == "tr_trunc":
        at.toggle(key="tr_trunc_on").set_value(True)
    at.run()
    for value in values:
        getattr(at, kind)(key=key).set_value(value).run()
        assert not at.exception, (key, value, [e.message for e in at.exception])
        assert not at.error, (key, value, texts(at.error))
        assert at.session_state[key] == value
        assert not at.button(key="tr_train").disabled


@pytest.mark.parametrize("key", ["tr_fb_on", "tr_clip_on", "tr_trunc_on", "tr_solved"])
def test_toggles(key):
    at = open_app(PAGE)
    for value in (not at.toggle(key=key).value, at.toggle(key=key).value):
        at.toggle(key=key).set_value(value).run()
        assert not at.exception and not at.error


def test_segmented_x_axis_switches_the_curves_to_seconds(trained):
    trained.segmented_control(key="tr_x").set_value("seconds").run()
    fig = figure(trained, "tr_curves")
    assert "seconds" in fig["layout"]["xaxis"]["title"]["text"]
    runs = trained.session_state[tr.RESULTS]
    lstm_train = next(t for t in fig["data"] if t["name"] == "LSTM train loss")
    np.testing.assert_array_equal(decode(lstm_train["x"]), [r["seconds"] for r in runs["lstm"].rows])
    trained.segmented_control(key="tr_x").set_value("iteration").run()


# ---- invalid settings ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key,value,label", [("tr_lr", 0.0, "Learning rate"), ("tr_clip", 0.0, "Clip gradient norm")])
def test_invalid_setting_shows_an_error_naming_it(key, value, label):
    at = open_app(PAGE)
    at.number_input(key=key).set_value(value).run()
    assert not at.exception
    assert label in texts(at.error)
    assert at.button(key="tr_train").disabled, "Train is off while the settings can't train"


def test_adding_task_with_momentum_sgd_builds():
    at = open_app(PAGE)
    at.selectbox(key="tr_task").set_value("adding")
    at.selectbox(key="tr_optimizer").set_value("sgd").run()
    assert not at.exception and not at.error
    assert at.slider(key="tr_noise").disabled and not at.slider(key="tr_momentum").disabled


# ---- a short run of both models --------------------------------------------------------------------------------------


def test_training_stores_history_and_the_figures_show_exactly_it(trained):
    at = trained
    runs = at.session_state[tr.RESULTS]
    assert set(runs) == {"lstm", "rnn"}
    for m, run in runs.items():
        assert run.iteration > 0 and run.rows and run.reason in ("time", "target"), (m, run.reason)
        assert len(run.rows) == len(run.step_norms)
        assert run.rows[-1]["iteration"] == run.iteration
        assert run.config.gap == 5 and run.config.hidden == 8 and run.config.test_size == 64
    assert abs(runs["lstm"].iteration - runs["rnn"].iteration) <= 10 or "target" in (runs["lstm"].reason,
                                                                                      runs["rnn"].reason), \
        "the two models take turns and share the time by their cost: within one report of each other"
    assert "Done in " in texts(at.success) and " of the 2 s budget: " in texts(at.success)

    fig = figure(at, "tr_curves")
    for m, name in (("lstm", "LSTM"), ("rnn", "RNN")):
        rows = runs[m].rows
        by = {t["name"]: t for t in fig["data"]}
        np.testing.assert_array_equal(decode(by[f"{name} train loss"]["x"]), [r["iteration"] for r in rows])
        np.testing.assert_array_equal(decode(by[f"{name} train loss"]["y"]), [r["train_loss"] for r in rows])
        np.testing.assert_array_equal(decode(by[f"{name} test loss"]["y"]), [r["test_loss"] for r in rows])
        np.testing.assert_array_equal(decode(by[f"{name} test accuracy"]["y"]), [r["accuracy"] for r in rows])
        strip = figure(at, f"tr_strip_{m}")
        z = decode(strip["data"][0]["z"])
        np.testing.assert_allclose(z, np.log10(np.array(runs[m].step_norms)), rtol=1e-12)
        np.testing.assert_array_equal(decode(strip["data"][0]["y"]), runs[m].iterations)
        np.testing.assert_array_equal(decode(strip["data"][0]["x"]), np.arange(1, 7))
    assert any(t["name"].startswith("chance") for t in fig["data"])
    # the controls are enabled again after the run, and kept their values
    assert not at.slider(key="tr_gap").disabled and at.slider(key="tr_gap").value == 5
    assert "continues from iteration" in texts(at.caption)


def test_train_again_continues_and_a_changed_setting_starts_fresh(trained):
    at = trained
    before = {m: r.iteration for m, r in at.session_state[tr.RESULTS].items()}
    at.slider(key="tr_budget").set_value(1).run()  # the budget is not part of the config
    at.button(key="tr_train").click().run()
    assert not at.exception
    after = at.session_state[tr.RESULTS]
    for m in before:
        assert after[m].iteration > before[m] or after[m].reason == "target"
        assert after[m].rows[0]["iteration"] < before[m] < after[m].rows[-1]["iteration"] or after[m].reason == "target"
    at.slider(key="tr_hidden").set_value(6).run()
    assert "starts fresh (the settings changed" in texts(at.caption)
    at.slider(key="tr_hidden").set_value(8).run()


def test_stop_keeps_the_results_and_says_where(trained):
    at = trained
    runs = at.session_state[tr.RESULTS]
    its = {m: r.iteration for m, r in runs.items()}
    for r in runs.values():
        r.reason = ""  # as in the middle of a run
    at.session_state[tr.RUNNING] = True  # the loop was running …
    at.session_state[tr.STOP] = True  # … when Stop was clicked (its callback ran before this rerun)
    at.run()
    assert not at.exception
    assert "Stopped: LSTM at iteration" in texts(at.info)
    runs = at.session_state[tr.RESULTS]
    assert {m: r.iteration for m, r in runs.items()} == its and all(r.reason == "stopped" for r in runs.values())
    assert figure(at, "tr_curves") and not at.session_state[tr.RUNNING]
    # interrupted by another control (no Stop flag): kept too, said differently
    at.session_state[tr.RUNNING] = True
    at.run()
    assert "interrupted" in texts(at.warning)


# ---- hand-over -------------------------------------------------------------------------------------------------------


def test_hand_over_sets_the_shared_state_without_a_conflict_and_the_cell_page_loads(trained):
    at = trained
    runs = at.session_state[tr.RESULTS]
    at.button(key="tr_handover_lstm").click().run()
    assert not at.exception and CONFLICT not in texts(at.warning), texts(at.warning)
    lab = at.session_state["_lab"]
    trained_lstm = runs["lstm"].state.params
    for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        np.testing.assert_array_equal(getattr(lab.lstm, name), getattr(trained_lstm, name))
    np.testing.assert_array_equal(lab.x, core_test_batch(runs["lstm"].config).x[:, 0, :])
    ss = at.session_state
    assert (ss["D"], ss["H"], ss["T"], ss["t"], ss["input"]) == (8, 8, 6, 6, "preset")
    assert mirror(at, "number_input", "T_box").value == 6
    assert "are now the shared network" in texts(at.success)
    assert len(at.get("page_link")) == 2

    at.switch_page(page_file("cell")).run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.warning, texts(at.warning)  # app.py's edit-protection did not ask
    assert at.session_state["_lab"].lstm is trained_lstm or np.array_equal(
        at.session_state["_lab"].lstm.weight_hh, trained_lstm.weight_hh)
    at.switch_page(page_file("gates")).run()
    assert not at.exception

    at.switch_page(PAGE).run()
    at.button(key="tr_handover_lstm_rnn").click().run()  # both at once
    assert not at.exception and CONFLICT not in texts(at.warning)
    np.testing.assert_array_equal(at.session_state["_lab"].rnn.weight_hh, runs["rnn"].state.params.weight_hh)


def test_gru_lstm_and_rnn_train_side_by_side_and_the_gru_stays_on_the_page():
    """Model "LSTM, GRU and RNN": three runs on the same batches, the GRU's curves and its ‖∂L/∂h_t‖ strip are its
    own numbers; it is not offered for the hand-over (the hand-over takes the LSTM and the RNN only)."""
    at = small(open_app(PAGE), budget=3, model="all")
    assert "GRU starts fresh" in texts(at.caption)
    at.button(key="tr_train").click().run()
    assert not at.exception, [e.message for e in at.exception]
    runs = at.session_state[tr.RESULTS]
    assert set(runs) == {"lstm", "gru", "rnn"} and runs["gru"].iteration > 0
    assert type(runs["gru"].state.params).__name__ == "GRUParams" and runs["gru"].config.model == "gru"
    rows = runs["gru"].rows
    by = {t["name"]: t for t in figure(at, "tr_curves")["data"]}
    np.testing.assert_array_equal(decode(by["GRU train loss"]["y"]), [r["train_loss"] for r in rows])
    np.testing.assert_array_equal(decode(by["GRU test accuracy"]["y"]), [r["accuracy"] for r in rows])
    strip = figure(at, "tr_strip_gru")
    np.testing.assert_allclose(decode(strip["data"][0]["z"]), np.log10(np.array(runs["gru"].step_norms)), rtol=1e-12)
    assert "GRU ‖∂L/∂h_t‖" in strip["layout"]["title"]["text"]
    keys = {b.key for b in at.button if b.key and b.key.startswith("tr_handover_")}
    assert keys == {"tr_handover_lstm", "tr_handover_rnn", "tr_handover_lstm_rnn"}
    assert "The trained GRU stays on this page" in texts(at.caption)


def test_hand_over_is_refused_when_the_sidebar_cannot_hold_the_network():
    at = small(open_app(PAGE), budget=1, model="lstm")
    at.slider(key="tr_hidden").set_value(65)
    at.slider(key="tr_gap").set_value(1)
    at.number_input(key="tr_test_size").set_value(8).run()
    at.button(key="tr_train").click().run()
    assert not at.exception
    assert at.button(key="tr_handover_lstm").disabled
    assert "hidden size H 1–64" in texts(at.warning)
    assert at.session_state["H"] != 65, "nothing was handed over"
