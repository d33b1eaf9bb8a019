"""ui.memo: caches bounded by the bytes their values hold, shared (not copied) and computed once per key."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from lstm_core import init_lstm
from ui import memo


def test_nbytes_counts_array_buffers_once_and_walks_containers():
    a = np.zeros((1000, 10))  # 80,000 bytes
    assert 80_000 <= memo.nbytes(a) < 81_000
    view = a[:10]
    assert memo.nbytes((a, view)) - memo.nbytes((a,)) < 100, "a view of an array already counted adds no buffer"
    assert memo.nbytes(view) >= 80_000, "a view alone keeps its whole base alive"
    nested = {"x": [a, np.ones(500)], "y": "z" * 10_000}
    assert memo.nbytes(nested) >= 80_000 + 4_000 + 10_000
    p = init_lstm(3, 16, seed=0)
    assert memo.nbytes(p) >= sum(getattr(p, f).nbytes for f in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))


def test_digest_follows_content_not_identity():
    a = np.arange(12.0)
    assert memo.digest(a, "x", (1, 2)) == memo.digest(a.copy(), "x", (1, 2))
    assert memo.digest(a) != memo.digest(a.reshape(3, 4)), "the shape is part of the key"
    assert memo.digest(a) != memo.digest(a.astype(np.float32)), "so is the dtype"
    b = a.copy()
    b[5] += 1e-12
    assert memo.digest(a) != memo.digest(b)
    assert memo.digest(init_lstm(2, 4, seed=1)) == memo.digest(init_lstm(2, 4, seed=1))
    assert memo.digest(init_lstm(2, 4, seed=1)) != memo.digest(init_lstm(2, 4, seed=2))
    assert memo.digest({"a": 1}) != memo.digest({"a": 2})


def test_budget_evicts_least_recently_used_by_bytes():
    budget = memo.Budget("test", max_mb=0.25)  # 250,000 bytes: three arrays of 80 KB, not four
    computed = []

    def value(k):
        def compute():
            computed.append(k)
            return np.full(10_000, float(k))  # 80,000 bytes
        return budget.get(str(k), compute)

    for k in (1, 2, 3):
        value(k)
    value(1)  # 1 is now the most recently used
    value(4)  # over budget: 2 (least recently used) goes
    stats = budget.stats()
    assert stats["entries"] == 3 and stats["mb"] <= 0.25
    assert computed == [1, 2, 3, 4]
    value(1), value(3), value(4)
    assert computed == [1, 2, 3, 4], "kept values are not recomputed"
    value(2)
    assert computed[-1] == 2, "the evicted value is computed again"
    assert budget.stats()["mb"] <= 0.25


def test_a_value_larger_than_the_budget_is_returned_not_kept():
    budget = memo.Budget("tiny", max_mb=0.01)
    big = budget.get("big", lambda: np.zeros(10_000))
    assert big.shape == (10_000,)
    assert budget.stats()["entries"] == 0 and budget.stats()["mb"] == 0


def test_cached_decorator_shares_the_value_and_keys_by_content():
    budget = memo.Budget("deco", max_mb=10)
    calls = []

    @budget.cached
    def double(x, *, k=2):
        calls.append(1)
        return memo.freeze(x * k)

    a = np.arange(5.0)
    first = double(a)
    assert double(a.copy()) is first, "equal content: the same (shared) object"
    assert len(calls) == 1
    double(a, k=3)
    assert len(calls) == 2, "another keyword value is another key"
    with pytest.raises(ValueError):
        first[0] = 1.0  # a shared value is read-only


def test_freeze_reaches_arrays_inside_containers_and_dataclasses():
    value = {"a": np.zeros(3), "b": [np.ones(2), (np.ones(1),)]}
    memo.freeze(value)
    assert not value["a"].flags.writeable and not value["b"][0].flags.writeable
    assert not value["b"][1][0].flags.writeable


def test_threads_asking_for_the_same_missing_value_compute_it_once():
    budget = memo.Budget("threads", max_mb=1)
    calls, results = [], []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return np.arange(3.0)

    threads = [threading.Thread(target=lambda: results.append(budget.get("k", slow))) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(results) == 6 and all(r is results[0] for r in results)


def test_a_failed_computation_is_not_cached_and_can_be_retried():
    budget = memo.Budget("fail", max_mb=1)

    def boom():
        raise ValueError("no")

    with pytest.raises(ValueError):
        budget.get("k", boom)
    assert budget.get("k", lambda: 7) == 7
