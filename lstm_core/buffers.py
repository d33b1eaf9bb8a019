"""Recycled work buffers for the forward and backward passes.

Why: every lstm_forward / lstm_backward writes its whole record (all gates, states and gradients of every step) into
one large fresh buffer. Fresh memory is expensive on Linux: glibc hands large freed blocks back to the kernel, and
the next call's first touch of each 4 KiB page is a page fault in which the kernel zeroes it. At (T, B, H) =
(200, 32, 32) that was about a third of a forward + backward pass. Repeated runs of the same size (a training loop,
a benchmark, a page rerun) can instead reuse the buffer of an earlier run once nothing uses it any more.

How it stays safe: every array a trace or gradient hands out is a view of its buffer, and a NumPy view holds a
reference to the array that owns the memory. So a pooled buffer whose reference count shows no holder but the pool
is unreachable from any caller and may be written again; one that anything still refers to (a trace, a view of it, a
DataFrame built on it without a copy, a memoryview) is never handed out. The check and the hand-out happen under a
lock, and the hand-out itself creates a reference, so two threads (Streamlit sessions) never get the same buffer.
The pool keeps at most MAX_POOLED_BYTES; a buffer larger than MAX_BUFFER_BYTES is never kept (the kernel's fresh
pages are cheap relative to the work on it at those sizes).
"""

from __future__ import annotations

import sys
import threading

import numpy as np

MAX_BUFFER_BYTES = 32 * 2**20  # larger buffers are plain np.empty and never pooled
MAX_POOLED_BYTES = 64 * 2**20  # total memory the pool may keep alive between calls

_lock = threading.Lock()
_pool: list[np.ndarray] = []  # 1-D float64 owners, most recently used last


def _reference_counts() -> tuple[int, bool]:
    """sys.getrefcount of a pooled owner that nothing else refers to, measured the way empty() looks at one (held by
    a list and a local variable: 3 on CPython today), and whether counts are exact here: a view adds exactly one
    reference to its owner and dropping it removes it. The pool's safety rests on that; where it does not hold (a
    free-threaded build with deferred counts, another interpreter) the pool is switched off and empty() is np.empty."""
    pool = [np.empty(2)]
    owner = pool[0]
    free = sys.getrefcount(owner)
    view = owner.reshape(2, 1)
    busy = sys.getrefcount(owner)
    del view
    gil = getattr(sys, "_is_gil_enabled", lambda: True)()
    return free, gil and busy == free + 1 and sys.getrefcount(owner) == free


_FREE_REFCOUNT, ENABLED = _reference_counts()


def empty(shape: tuple[int, ...]) -> np.ndarray:
    """An uninitialised float64 array of ``shape`` (like np.empty), backed by a recycled buffer when one of exactly
    this size is free. The caller owns the returned array like any other; never rely on its contents."""
    n = 1
    for d in shape:
        n *= int(d)
    if not ENABLED or n * 8 > MAX_BUFFER_BYTES or n == 0:
        return np.empty(shape)
    with _lock:
        for k in range(len(_pool) - 1, -1, -1):
            owner = _pool[k]
            if owner.size == n and sys.getrefcount(owner) <= _FREE_REFCOUNT:
                _pool.append(_pool.pop(k))  # most recently used last
                owner.flags.writeable = True  # its last user froze it (lstm._freeze); nothing else can see it now
                return owner.reshape(shape)  # a view: holds a reference to owner until the caller drops it
        owner = np.empty(n)
        _pool.append(owner)
        total = sum(a.nbytes for a in _pool)
        k = 0
        while total > MAX_POOLED_BYTES and k < len(_pool) - 1:  # forget the least recently used free buffers
            old = _pool[k]
            if sys.getrefcount(old) <= _FREE_REFCOUNT:
                total -= _pool.pop(k).nbytes
            else:
                k += 1
        return owner.reshape(shape)


def pooled_bytes() -> int:
    """Bytes the pool currently keeps (in use or free); for tests and benchmarks."""
    with _lock:
        return sum(a.nbytes for a in _pool)


def clear() -> None:
    """Forget every pooled buffer (arrays still in use stay valid: they keep their memory alive themselves)."""
    with _lock:
        _pool.clear()
