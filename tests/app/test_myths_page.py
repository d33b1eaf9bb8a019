"""AppTest of the "Myths vs. measurements" page: it loads, every chart carries the core's numbers (recomputed here from
lstm_core.myths and the lab), the unit sliders and the x-only-variant toggle work, and the page follows the sidebar."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_core import lstm_forward, myths
from lstm_core.presets import PRESETS
from tests.helpers import decode, figure, figures, json_trace, lab_of, open_app, page_file

PAGE = page_file("myths")
CHARTS = ("myth_history", "myth_forget", "myth_output", "myth_distribution", "myth_bptt", "myth_clock",
          "myth_recurrent", "myth_input", "myth_shapes", "myth_limits", "myth_sharing", "myth_growth",
          "myth_variant_task", "myth_lab_variant")


def y_of(fig, name):
    return decode(json_trace(fig, name)["y"])


def open_myths(query: dict | None = None, opened=range(1, 13)):
    """The page with the myths ``opened`` open (the page's expanders track their state: a closed myth computes and
    sends nothing, app_pages/myths.open_key)."""
    at = open_app(PAGE, query=query)
    for n in opened:
        at.session_state[f"myth_{n}_open"] = True
    return at.run()


@pytest.fixture(scope="module")
def page():
    return open_myths()


def test_page_loads_with_every_chart_and_myth(page):
    assert not page.exception
    for key in CHARTS:
        figure(page, key)
    labels = [e.label for e in page.expander]
    assert sum(label.startswith("Myth ") for label in labels) == 12
    assert any("LSTMs solve the vanishing-gradient problem" in label for label in labels)
    assert page.toggle(key="myth_x_only").value is False


def test_only_open_myths_are_computed():
    """Myth 1 starts open, the others closed: their charts are not on the page until their expander opens, and go
    when it closes (the largest settings took 5 s to build all twelve)."""
    at = open_app(PAGE)
    keys = " ".join(figures(at))
    assert all(k in keys for k in ("myth_history", "myth_variant_task", "myth_lab_variant")), keys
    assert not any(k in keys for k in ("myth_bptt", "myth_growth", "myth_forget")), keys
    assert sum(e.label.startswith("Myth ") for e in at.expander) == 12, "every claim is listed, open or not"
    at.session_state["myth_5_open"] = True
    at.run()
    assert not at.exception
    r5 = figure(at, "myth_bptt")
    assert np.all(y_of(r5, "measured") > 0)
    at.session_state["myth_5_open"] = False
    at.run()
    assert "myth_bptt" not in " ".join(figures(at))


def test_lab_charts_carry_the_core_numbers(page):
    lab = lab_of(page)
    seed = lab.cfg["seed"]
    h = myths.same_input_different_history(lab.lstm, seed=seed)
    fig = figure(page, "myth_history")
    for k in "ifgo":
        np.testing.assert_allclose(y_of(fig, f"{k} after A"), h.gates_a[k], rtol=1e-12)
        np.testing.assert_allclose(y_of(fig, f"{k} after B"), h.gates_b[k], rtol=1e-12)
    assert f"{h.max_diff:.3f}" in " ".join(c.value for c in page.caption)

    tr = lstm_forward(lab.lstm, lab.x)
    fig = figure(page, "myth_output")
    np.testing.assert_allclose(y_of(fig, "h_t (the core)"), tr.h[:, 0], rtol=1e-12)
    np.testing.assert_allclose(y_of(fig, "o_t ⊙ tanh(c_t)"), tr.o[:, 0] * np.tanh(tr.c[:, 0]), rtol=1e-12)
    np.testing.assert_allclose(y_of(fig, "myth: tanh(σ(c_t))"), np.tanh(1 / (1 + np.exp(-tr.c[:, 0]))), rtol=1e-12)

    d = myths.gate_distribution(lab.lstm, seed=seed)
    fig = figure(page, "myth_distribution")
    for k in "ifo":
        counts = y_of(fig, k)
        np.testing.assert_array_equal(counts, d.counts[k])
        assert counts.sum() == d.n_values == 200 * lab.lstm.hidden_size

    fig = figure(page, "myth_bptt")
    T = decode(json_trace(fig, "stored numbers")["x"])
    D, H = lab.lstm.input_size, lab.lstm.hidden_size
    np.testing.assert_array_equal(y_of(fig, "stored numbers"), T * (D + 6 * H) + 2 * H)
    assert np.all(y_of(fig, "measured") > 0)

    n = myths.no_wall_clock(lab.lstm, seed=seed)
    fig = figure(page, "myth_clock")
    fast, slow = y_of(fig, "recorded 100 samples per second"), y_of(fig, "recorded 1 s to 5 min apart")
    np.testing.assert_array_equal(fast, slow)
    np.testing.assert_allclose(fast, lstm_forward(lab.lstm, n.x).h[:, 0], rtol=1e-12)

    fig = figure(page, "myth_recurrent")
    for n_, k in enumerate("ifgo"):
        z = decode(json_trace(fig, k)["z"])
        np.testing.assert_array_equal(np.asarray(z, dtype=float).reshape(H, H), lab.lstm.weight_hh[n_ * H:(n_ + 1) * H])

    fig = figure(page, "myth_shapes")
    z = np.asarray(decode(fig["data"][0]["z"]), dtype=float).reshape(4 * H, D + H)
    np.testing.assert_array_equal(z, np.hstack([lab.lstm.weight_ih, lab.lstm.weight_hh]))


def test_hand_built_charts_carry_the_core_numbers(page):
    seed = lab_of(page).cfg["seed"]
    for key, fn in (("myth_forget", myths.forget_gate_memory), ("myth_input", myths.input_gate_memory)):
        r = fn(seed=seed)
        fig = figure(page, key)
        for u, label in enumerate(r.labels):
            np.testing.assert_allclose(y_of(fig, label)[1:], r.c[:, u], rtol=1e-12)
        assert np.max(np.abs(y_of(fig, r.labels[0]) - 1.0)) < 1e-3, "f ≈ 1 / i ≈ 0 keeps c within 1e-3"
    v = myths.x_only_comparison(seed=seed)
    fig = figure(page, "myth_variant_task")
    np.testing.assert_allclose(y_of(fig, "standard LSTM"), v.traces["standard"]["c"], rtol=1e-12)


def captions(at) -> str:
    return " ".join(c.value for c in at.caption)


def test_new_myths_show_the_core_numbers(page):
    lab = lab_of(page)
    seed = lab.cfg["seed"]
    text = captions(page)
    r = myths.gradient_limits(seed=seed)
    q = r.ratios
    for want in (f"**{q[myths.PRESERVED_C]:.2g}**", f"∏ f, carries {r.prod_f:.2g}", f"**{q[myths.PRESERVED_H]:.2g}**",
                 f"**{q[myths.COMMON_C]:.1e}**", f"**{q[myths.EXPLODING_C]:.1e}**"):
        assert want in text, want
    fig = figure(page, "myth_limits")
    np.testing.assert_allclose(y_of(fig, myths.EXPLODING_C), r.curves[myths.EXPLODING_C], rtol=1e-12)

    w = myths.weight_sharing(lab.lstm, lab.x, seed=seed)
    H, D = lab.lstm.hidden_size, lab.lstm.input_size
    assert f"has **{4 * H * (D + H + 2):,}** parameters at T = 10, T = 100, T = 1,000 alike" in text
    fig = figure(page, "myth_sharing")
    np.testing.assert_array_equal(y_of(fig, "weights and biases (one set for every step)"), w.n_params)

    g = myths.cell_state_growth(lab.lstm, lab.x, seed=seed)
    assert f"reaches c = **{g.c[-1, 0]:.0f}**" in text and f"|c| up to **{g.lab_max_c.max():.2f}**" in text
    np.testing.assert_allclose(y_of(figure(page, "myth_growth"), "largest |c_t|"), g.lab_max_c, rtol=1e-12)
    forget = myths.forget_gate_memory(seed=seed)
    assert f"half of it is gone after **{forget.steps_to_half(1)} steps**" in text


def test_the_latch_gets_honest_captions():
    """The hand-built latch: W_hh = 0, h never negative, gates saturated — the page says so instead of the opposite."""
    at = open_myths(query={"preset": "latch"})
    assert not at.exception
    text = captions(at)
    info = " ".join(i.value for i in at.info)
    assert "W_hh is all zero" in info and "of the weight magnitude is off it" not in text, "myth 7: no '0 % off'"
    assert "happens never to be negative" in text and "of $h_t$'s values are negative" not in text
    assert "i, f and o gates are mostly saturated" in text and "Most values sit in between" not in text
    assert "rounds to exactly 1 in float64" in text


def test_variant_toggle_adds_the_x_only_lstm():
    at = open_myths()
    fig = figure(at, "myth_variant_task")
    assert "x-only gates" not in [t.get("name") for t in fig["data"]]
    assert len(at.metric) == 1
    at.toggle(key="myth_x_only").set_value(True).run()
    assert not at.exception
    v = myths.x_only_comparison(seed=lab_of(at).cfg["seed"])
    fig = figure(at, "myth_variant_task")
    np.testing.assert_allclose(y_of(fig, "x-only gates"), v.traces["x_only"]["c"], rtol=1e-12)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Standard LSTM: error"] == f"{v.errors['standard']:.1e}"
    assert metrics["x-only gates: error"] == f"{v.errors['x_only']:.2f}"
    assert v.errors["x_only"] > 100 * v.errors["standard"]

    lab = lab_of(at)
    lv = myths.x_only_gate_traces(lab.lstm, lab.x)
    fig = figure(at, "myth_lab_variant")
    np.testing.assert_allclose(y_of(fig, "f: x-only"), lv.x_only.f[:, 0], rtol=1e-12)
    np.testing.assert_allclose(y_of(fig, "f: standard"), lv.standard.f[:, 0], rtol=1e-12)
    at.toggle(key="myth_x_only").set_value(False).run()
    assert "f: x-only" not in [t.get("name") for t in figure(at, "myth_lab_variant")["data"]]


def test_unit_sliders_pick_the_unit():
    at = open_myths()
    at.slider(key="myth_output_unit").set_value(5).run()
    at.slider(key="myth_clock_unit").set_value(3).run()
    assert not at.exception
    lab = lab_of(at)
    tr = lstm_forward(lab.lstm, lab.x)
    np.testing.assert_allclose(y_of(figure(at, "myth_output"), "h_t (the core)"), tr.h[:, 4], rtol=1e-12)
    n = myths.no_wall_clock(lab.lstm, seed=lab.cfg["seed"])
    np.testing.assert_allclose(y_of(figure(at, "myth_clock"), "recorded 1 s to 5 min apart"), n.h_slow[:, 2],
                               rtol=1e-12)


def test_page_follows_the_sidebar_and_survives_small_h():
    at = open_myths()
    at.slider(key="myth_output_unit").set_value(8).run()
    at.number_input(key="H").set_value(1).run()
    assert not at.exception
    lab = lab_of(at)
    assert lab.lstm.hidden_size == 1
    tr = lstm_forward(lab.lstm, lab.x)
    np.testing.assert_allclose(y_of(figure(at, "myth_output"), "h_t (the core)"), tr.h[:, 0], rtol=1e-12)
    at.selectbox(key="preset").set_value("latch").run()
    assert not at.exception
    assert any("all zero" in e.value for e in at.info), "the latch's W_hh = 0: the page says why there is no gap"


@pytest.mark.parametrize("preset", list(PRESETS))
def test_each_preset(preset):
    at = open_myths(query={"preset": preset})
    assert not at.exception
    lab = lab_of(at)
    fig = figure(at, "myth_distribution")
    d = myths.gate_distribution(lab.lstm, seed=lab.cfg["seed"])
    np.testing.assert_array_equal(y_of(fig, "f"), d.counts["f"])


def test_deep_link_opens_the_page_with_its_settings():
    at = open_myths(query={"preset": "preserved_lstm", "seed": 3})
    lab = lab_of(at)
    assert lab.cfg["preset"] == "preserved_lstm" and lab.cfg["seed"] == 3
    h = myths.same_input_different_history(lab.lstm, seed=3)
    np.testing.assert_allclose(y_of(figure(at, "myth_history"), "i after B"), h.gates_b["i"], rtol=1e-12)
