"""The recycled work buffers (lstm_core.buffers) and the forward buffer a trace keeps: a result is never overwritten
by a later run, a buffer is reused only when nothing refers to it, and a trace that is not lstm_forward's own
(hand-built, replaced, pickled) is backpropagated from its fields."""

from __future__ import annotations

import dataclasses
import pickle
import threading

import numpy as np
import pytest

from lstm_core import buffers, init_lstm, init_rnn, lstm_backward, lstm_forward, rnn_backward, rnn_forward
from lstm_core.lstm import LSTMTrace
from lstm_core.rnn import RNNTrace

RUN = {"lstm": (lstm_forward, lstm_backward, LSTMTrace), "rnn": (rnn_forward, rnn_backward, RNNTrace)}


@pytest.fixture(autouse=True)
def empty_pool():
    buffers.clear()
    yield
    buffers.clear()


def problem(T=12, B=3, D=2, H=4, seed=0, model="lstm"):
    rng = np.random.default_rng(seed)
    p = (init_lstm if model == "lstm" else init_rnn)(D, H, seed=seed, scale=2.0)
    shape = (T, D) if B is None else (T, B, D)
    return p, rng.normal(size=shape), rng.normal(size=shape[:-1] + (H,))


def snapshot(obj) -> dict:
    """Copies of every array field; a gradient's parameter gradients as 'params.weight_ih' etc."""
    out = {f.name: np.array(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.name != "params"}
    if hasattr(obj, "params"):
        out.update({f"params.{f.name}": np.array(getattr(obj.params, f.name)) for f in dataclasses.fields(obj.params)})
    return out


def test_a_free_buffer_is_reused_and_a_held_one_is_not():
    a = buffers.empty((50, 40, 3))
    owner = id(a.base)  # an id, not a reference: a reference would (rightly) keep the buffer in use
    a[...] = 1.0
    b = buffers.empty((50, 40, 3))  # a is still held: must be a different buffer
    assert not np.shares_memory(a, b)
    np.testing.assert_array_equal(a, 1.0)
    del a
    c = buffers.empty((3, 40, 50))  # same size, other shape: the freed buffer comes back
    assert id(c.base) == owner


def test_a_view_of_a_result_keeps_its_buffer_from_reuse():
    a = buffers.empty((100, 100))
    owner = id(a.base)
    view = a[10:20].T  # e.g. a chart's slice of a trace field
    del a
    b = buffers.empty((100, 100))
    assert id(b.base) != owner
    del view  # b still held: only the first buffer can be free now
    assert id(buffers.empty((100, 100)).base) == owner  # once the view is gone, the buffer is free again


@pytest.mark.parametrize("model", ["lstm", "rnn"])
@pytest.mark.parametrize("B", [None, 3])
def test_a_results_buffer_cannot_be_written_either(B, model):
    """Fields are views of a recycled buffer: neither the buffer (``.base``) nor re-enabling a field's writeable flag
    may open a way to change a result."""
    forward, backward, _ = RUN[model]
    p, x, dh = problem(B=B, model=model)
    tr = forward(p, x)
    gr = backward(p, tr, dh)
    assert isinstance(tr.h.base, np.ndarray) and isinstance(gr.dh.base, np.ndarray)  # views of the buffers
    for obj in (tr, gr):
        for f in dataclasses.fields(obj):
            a = getattr(obj, f.name)
            if not isinstance(a, np.ndarray) or a.base is None:
                continue  # an array that owns its memory (x, dx, dh0, …) is read-only as before
            with pytest.raises(ValueError, match="read-only"):
                a.base[...] = 0.0
            with pytest.raises(ValueError):
                a.flags.writeable = True


def test_pool_is_on_here():
    """CPython with the GIL (what CI runs): the reference-count self-check passes, so the pool is in use."""
    assert buffers.ENABLED
    a = buffers.empty((1000,))
    assert a.base is not None


def test_large_buffers_are_not_pooled():
    n = buffers.MAX_BUFFER_BYTES // 8 + 1
    a = buffers.empty((n,))
    assert a.base is None and buffers.pooled_bytes() == 0


def test_pool_size_is_bounded():
    size = buffers.MAX_BUFFER_BYTES // 8
    for k in range(6):  # distinct sizes, each dropped at once
        buffers.empty((size - k,))
    assert buffers.pooled_bytes() <= buffers.MAX_POOLED_BYTES


@pytest.mark.parametrize("model", ["lstm", "rnn"])
@pytest.mark.parametrize("B", [None, 3])
def test_earlier_results_survive_later_runs(B, model):
    """The point of the pool: a trace or gradient still held is never overwritten by the next run of the same size."""
    forward, backward, _ = RUN[model]
    p, x, dh = problem(B=B, model=model)
    tr1 = forward(p, x)
    g1 = backward(p, tr1, dh)
    before_tr, before_g = snapshot(tr1), snapshot(g1)
    for k in range(3):  # same sizes, other inputs: would reuse tr1's/g1's buffers if the pool ignored holders
        p2, x2, dh2 = problem(B=B, seed=10 + k, model=model)
        backward(p2, forward(p2, x2), dh2)
    for name, v in snapshot(tr1).items():
        np.testing.assert_array_equal(v, before_tr[name], err_msg=name)
    for name, v in snapshot(g1).items():
        np.testing.assert_array_equal(v, before_g[name], err_msg=name)


def test_results_are_equal_whether_buffers_are_fresh_or_recycled():
    p, x, dh = problem(B=4)
    fresh = snapshot(lstm_backward(p, lstm_forward(p, x), dh))  # pool empty: fresh buffers
    for _ in range(3):
        lstm_backward(*problem(B=4, seed=7)[:1], lstm_forward(*problem(B=4, seed=7)[:2]), problem(B=4, seed=7)[2])
    again = snapshot(lstm_backward(p, lstm_forward(p, x), dh))  # recycled buffers with stale contents
    for name in fresh:
        np.testing.assert_array_equal(again[name], fresh[name], err_msg=name)


def test_threads_never_share_a_buffer():
    """Streamlit runs sessions in threads: concurrent runs of one size must each get their own buffers."""
    p, x, dh = problem(T=30, B=4, H=6)
    want = snapshot(lstm_backward(p, lstm_forward(p, x), dh))
    errors = []

    def worker():
        try:
            for _ in range(30):
                g = snapshot(lstm_backward(p, lstm_forward(p, x), dh))
                for name in want:
                    np.testing.assert_array_equal(g[name], want[name], err_msg=name)
        except AssertionError as exc:  # pragma: no cover - only on failure
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


@pytest.mark.parametrize("model", ["lstm", "rnn"])
@pytest.mark.parametrize("B", [None, 3])
@pytest.mark.parametrize("how", ["hand-built", "pickled", "replaced"])
def test_backward_of_a_trace_that_is_not_forwards_own(B, how, model):
    """A trace built from copies of the fields, unpickled (st.cache_data) or changed with dataclasses.replace is
    backpropagated from its own fields (the kept buffer would describe another trace)."""
    forward, backward, Trace = RUN[model]
    p, x, dh = problem(B=B, model=model)
    tr = forward(p, x)
    if how == "hand-built":
        other = Trace(**{f.name: np.array(getattr(tr, f.name)) for f in dataclasses.fields(tr)})
    elif how == "pickled":
        other = pickle.loads(pickle.dumps(tr))
        assert not hasattr(other, "_columns")
    else:
        h = np.array(tr.h)
        h[..., 0] = 0.5  # a different state: the backward pass must use it
        other = dataclasses.replace(tr, h=h)
    got = snapshot(backward(p, other, dh))
    if how == "replaced":
        want = snapshot(backward(p, Trace(**{n: np.array(getattr(other, n)) for n in snapshot(other)}), dh))
        # h_{t−1} enters dW_hh: the original trace's buffer would have given another value
        assert not np.allclose(got["params.weight_hh"], snapshot(backward(p, tr, dh))["params.weight_hh"])
    else:
        want = snapshot(backward(p, tr, dh))
    for name in want:
        np.testing.assert_array_equal(got[name], want[name], err_msg=name)


@pytest.mark.parametrize("model", ["lstm", "rnn"])
def test_pickled_trace_is_not_twice_the_size(model):
    p, x, _ = problem(T=200, B=8, H=16, model=model)
    tr = RUN[model][0](p, x)
    fields = sum(np.asarray(getattr(tr, f.name)).nbytes for f in dataclasses.fields(tr))
    assert len(pickle.dumps(tr)) < 1.1 * fields
