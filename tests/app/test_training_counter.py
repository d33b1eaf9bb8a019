"""The training lab's counter under AppTest: Train the counter trains the brackets LSTM live and shows the unit whose
cell counts, with the core's numbers."""

from __future__ import annotations

import numpy as np

from lstm_core.counting import COUNTER, find_counter
from lstm_core.train import test_batch
from tests.helpers import decode, figure, open_app


def test_counter_trains_and_shows_the_counting_unit():
    at = open_app("training")
    assert any("Train the counter" in i.value for i in at.info)
    at.number_input(key="ct_seed").set_value(1).run()
    at.button(key="ct_train").click().run(timeout=120)
    assert not at.exception
    res = at.session_state["ct_result"]
    assert res["config"] == COUNTER.replace(seed=1) and res["seconds"] <= 30 + 5  # budget, + one report's work
    c = res["counter"]
    # the result is the core's own analysis of the trained network on the test sequences
    again = find_counter(res["params"], test_batch(res["config"]))
    assert again.unit == c.unit and again.r == c.r
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Counter unit"] == f"unit {c.unit + 1}"
    assert metrics["r(c, depth)"] == f"{c.r:+.3f}"
    if res["reason"] == "target":  # trained to 99 % within the budget: then the cell counts
        assert abs(c.r) >= 0.9
    fig = figure(at, "ct_figure")
    np.testing.assert_array_equal(decode(fig["data"][0]["y"]), c.depth)
    np.testing.assert_allclose(decode(fig["data"][1]["y"]), c.states["c"])
    table = at.dataframe[-1].value
    assert table["symbol"].tolist() == ["(", ")", "a"]
    assert table["f"].tolist() == [round(c.gate_means[s]["f"], 3) for s in "()a"]
