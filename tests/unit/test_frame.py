"""lstm_core.frame.to_frame: a tidy (step, batch, unit, quantity, value) frame that pivots back to the trace."""

from __future__ import annotations

import io
import time

import numpy as np
import pandas as pd
import pytest

from lstm_core import (
    gru_backward, gru_forward, init_gru, init_lstm, init_rnn, lstm_backward, lstm_forward, rnn_backward, rnn_forward,
)
from lstm_core.frame import (
    COLUMNS,
    GRU_GRAD_QUANTITIES,
    GRU_QUANTITIES,
    LSTM_GRAD_QUANTITIES,
    LSTM_QUANTITIES,
    RNN_GRAD_QUANTITIES,
    RNN_QUANTITIES,
    to_frame,
)

LSTM_ARRAYS = {"x": "x", "i": "i", "f": "f", "g": "g", "o": "o", "c": "c", "h": "h"}
LSTM_GRAD_ARRAYS = {"dL/dh": "dh", "dL/dc": "dc", "dz_i": "dz_i", "dz_f": "dz_f", "dz_g": "dz_g", "dz_o": "dz_o", "dL/dx": "dx"}
RNN_GRAD_ARRAYS = {"dL/dh": "dh", "dz": "dz", "dL/dx": "dx"}


def lstm_case(T=6, B=None, D=3, H=4, seed=0):
    rng = np.random.default_rng(seed)
    p = init_lstm(D, H, seed=seed)
    x = rng.normal(size=(T, D) if B is None else (T, B, D))
    state = (H,) if B is None else (B, H)
    tr = lstm_forward(p, x, h0=rng.normal(size=state), c0=rng.normal(size=state))
    gr = lstm_backward(p, tr, rng.normal(size=tr.h.shape))
    return tr, gr


def rnn_case(T=6, B=None, D=3, H=4, seed=0):
    rng = np.random.default_rng(seed)
    p = init_rnn(D, H, seed=seed)
    tr = rnn_forward(p, rng.normal(size=(T, D) if B is None else (T, B, D)))
    return tr, rnn_backward(p, tr, rng.normal(size=tr.h.shape))


def array_back(df: pd.DataFrame, quantity: str, batched: bool) -> np.ndarray:
    """Rebuild a (T, K) or (T, B, K) array for one quantity from the tidy frame (independent of to_frame's layout)."""
    sub = df[df["quantity"] == quantity]
    T, B, K = sub["step"].max(), sub["batch"].max() + 1, sub["unit"].max() + 1
    assert len(sub) == T * B * K
    wide = sub.pivot_table(index=["step", "batch"], columns="unit", values="value", aggfunc="first")
    assert list(wide.index.get_level_values("step").unique()) == list(range(1, T + 1))  # 1-based steps
    out = wide.to_numpy().reshape(T, B, K)
    return out if batched else out[:, 0, :]


def test_columns_and_dtypes():
    tr, gr = lstm_case()
    df = to_frame(tr, gr)
    assert tuple(df.columns) == COLUMNS
    assert df["step"].dtype == np.int64 and df["batch"].dtype == np.int64 and df["unit"].dtype == np.int64
    assert df["value"].dtype == np.float64
    assert list(df["quantity"].cat.categories) == list(LSTM_QUANTITIES + LSTM_GRAD_QUANTITIES)
    assert not df.isna().any().any()


@pytest.mark.parametrize("B", [None, 3], ids=["single", "batched"])
def test_lstm_values_pivot_back_to_the_trace_and_grads(B):
    tr, gr = lstm_case(T=7, B=B, D=2, H=5)
    df = to_frame(tr, gr)
    T, H, D = 7, 5, 2
    Bn = 1 if B is None else B
    assert len(df) == T * Bn * (D + 6 * H + 6 * H + D)
    for q, attr in LSTM_ARRAYS.items():
        np.testing.assert_array_equal(array_back(df, q, B is not None), getattr(tr, attr), err_msg=q)
    for q, attr in LSTM_GRAD_ARRAYS.items():
        np.testing.assert_array_equal(array_back(df, q, B is not None), getattr(gr, attr), err_msg=q)
    assert set(df["batch"]) == set(range(Bn))


def test_rnn_values_pivot_back():
    tr, gr = rnn_case(T=5, B=2, D=3, H=4)
    df = to_frame(tr, gr)
    assert list(df["quantity"].cat.categories) == list(RNN_QUANTITIES + RNN_GRAD_QUANTITIES)
    np.testing.assert_array_equal(array_back(df, "x", True), tr.x)
    np.testing.assert_array_equal(array_back(df, "h", True), tr.h)
    for q, attr in RNN_GRAD_ARRAYS.items():
        np.testing.assert_array_equal(array_back(df, q, True), getattr(gr, attr), err_msg=q)


def test_single_sequence_has_batch_zero_and_step_one_is_the_first_step():
    tr, _ = lstm_case(T=4)
    df = to_frame(tr)
    assert set(df["batch"]) == {0}
    assert list(df["quantity"].cat.categories) == list(LSTM_QUANTITIES)
    row = df[(df["quantity"] == "h") & (df["step"] == 1) & (df["unit"] == 2)]
    assert len(row) == 1 and row["value"].iloc[0] == tr.h[0, 2]  # step 1 = after the first input
    last = df[(df["quantity"] == "c") & (df["step"] == 4) & (df["unit"] == 0)]
    assert last["value"].iloc[0] == tr.c[3, 0]
    x_units = df.loc[df["quantity"] == "x", "unit"]
    assert set(x_units) == {0, 1, 2}  # input channels, not hidden units


def test_keys_are_unique():
    tr, gr = lstm_case(T=3, B=2)
    df = to_frame(tr, gr)
    assert not df.duplicated(["step", "batch", "unit", "quantity"]).any()


def test_wrong_arguments_are_refused():
    ltr, lgr = lstm_case()
    rtr, rgr = rnn_case()
    with pytest.raises(ValueError, match="needs an LSTMTrace, GRUTrace or RNNTrace"):
        to_frame(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="grads: got RNNGrads, needs LSTMGrads"):
        to_frame(ltr, rgr)
    with pytest.raises(ValueError, match="grads: got LSTMGrads, needs RNNGrads"):
        to_frame(rtr, lgr)
    _, other = lstm_case(T=9)
    with pytest.raises(ValueError, match="do not match the trace"):
        to_frame(ltr, other)


def test_csv_export_round_trips():
    tr, gr = lstm_case(T=3)
    df = to_frame(tr, gr)
    back = pd.read_csv(io.StringIO(df.to_csv(index=False)))
    assert list(back.columns) == list(COLUMNS) and len(back) == len(df)
    np.testing.assert_allclose(back["value"].to_numpy(), df["value"].to_numpy(), rtol=1e-15, atol=0)


def test_large_trace_builds_fast():
    tr, gr = lstm_case(T=2000, D=8, H=64, seed=3)
    to_frame(tr, gr)  # warm-up
    t0 = time.perf_counter()
    df = to_frame(tr, gr)
    elapsed = time.perf_counter() - t0
    assert len(df) == 2000 * (8 + 12 * 64 + 8)
    assert elapsed < 0.5, f"to_frame took {elapsed:.3f}s for T=2000, H=64"


@pytest.mark.parametrize("B", [None, 2])
def test_a_gru_trace_pivots_back(B):
    p = init_gru(2, 3, seed=5)
    x = np.random.default_rng(5).normal(size=(4, 2) if B is None else (4, B, 2))
    tr = gru_forward(p, x)
    gr = gru_backward(p, tr, np.ones(tr.h.shape))
    df = to_frame(tr, gr)
    assert list(df["quantity"].cat.categories) == list(GRU_QUANTITIES + GRU_GRAD_QUANTITIES)
    for q, a in (("z", tr.z), ("n", tr.n), ("dz_r", gr.dz_r), ("dL/dh", gr.dh)):
        got = df[df.quantity == q].pivot_table(index=["step", "batch"], columns="unit", values="value").to_numpy()
        np.testing.assert_array_equal(got, a.reshape(-1, 3))
    with pytest.raises(ValueError, match="grads: got LSTMGrads, needs GRUGrads"):
        to_frame(tr, lstm_case()[1])
