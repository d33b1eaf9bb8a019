"""Process-wide caches bounded by the memory their values take, not by a number of entries.

One server process serves a whole class, and every cache is shared by every session. A bound in entries is the wrong
bound: at the default sizes (T = 40, H = 8) one computed run takes ~30 KB and a thousand of them would be harmless,
while at the largest (T = 2000, H = 64) one takes ~14 MB and 32 of them took 450 MB (issue 17's memory soak: RSS
still climbing after 30 sessions, to 1.1 GB). A ``Budget`` keeps the most recently used values whose sizes add up
to at most its number of bytes (``nbytes``: numpy arrays by their buffers, strings by length), so it fills after a
few labs at the largest settings and holds many at the default ones.

Values are shared, not copied (``st.cache_data`` pickled every value and unpickled a fresh copy at every hit: ~15 ms
and 14 MB of churn per rerun at the largest settings). They must therefore never be mutated: the core's traces and
gradients are frozen dataclasses of read-only arrays, figure JSON is never written to (ui/figures.py), and
``freeze`` makes the arrays of anything else read-only. Concurrent sessions asking for the same missing value wait
for one computation instead of each computing it (a class opening the same link at once).
"""

from __future__ import annotations

import functools
import hashlib
import sys
import threading
from collections import OrderedDict
from dataclasses import fields, is_dataclass
from typing import Any, Callable

import numpy as np

MB = 1_000_000


def digest(*parts) -> str:
    """A short digest of values: equal content, equal digest. Arrays by shape, dtype and bytes; dataclasses (e.g.
    the core's params) by their fields; tuples, lists and dicts item by item; anything else by its repr."""
    h = hashlib.blake2b(digest_size=16)

    def feed(part) -> None:
        if isinstance(part, np.ndarray):
            h.update(f"a{part.shape}{part.dtype.str}".encode())
            h.update(np.ascontiguousarray(part).tobytes())
        elif is_dataclass(part) and not isinstance(part, type):
            h.update(f"d{type(part).__name__}(".encode())
            for f in fields(part):
                feed(getattr(part, f.name))
            h.update(b")")
        elif isinstance(part, (tuple, list)):
            h.update(b"(" if isinstance(part, tuple) else b"[")
            for item in part:
                feed(item)
            h.update(b")")
        elif isinstance(part, dict):
            h.update(b"{")
            for key, value in part.items():
                feed(key)
                feed(value)
            h.update(b"}")
        else:
            h.update(repr(part).encode())
        h.update(b"|")

    for part in parts:
        feed(part)
    return h.hexdigest()


_NUMBERS = frozenset({int, float, bool, complex, type(None)})


def nbytes(value) -> int:
    """Bytes a value holds: numpy arrays by their buffer (a view's base counted once), strings and bytes by length,
    dataclasses / dicts / sequences by their items, numbers by sys.getsizeof each time they occur, any other object
    once by sys.getsizeof. A loop over a stack, not recursion: a figure's JSON (tens of thousands of items in an
    animated cell diagram) is sized on every cache miss, and a call per item cost as much as building the figure."""
    total, seen, stack = 0, set(), [value]
    size = sys.getsizeof
    while stack:
        v = stack.pop()
        if type(v) in _NUMBERS:
            total += size(v)
            continue
        if id(v) in seen:
            continue
        seen.add(id(v))
        if isinstance(v, dict):
            total += size(v)
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, (list, tuple, set, frozenset)):
            total += size(v)
            stack.extend(v)
        elif isinstance(v, np.ndarray):
            base = v
            while isinstance(base.base, np.ndarray):
                base = base.base
            if base is v:
                total += v.nbytes + 112
            else:
                stack.append(base)
        elif is_dataclass(v) and not isinstance(v, type):
            total += 64
            stack.extend(getattr(v, f.name) for f in fields(v))
        else:  # strings, bytes, anything else
            total += size(v)
    return total


def freeze(value):
    """Make every numpy array reachable in ``value`` (dataclass fields, dicts, sequences) read-only; returns it."""
    if isinstance(value, np.ndarray):
        value.flags.writeable = False
    elif is_dataclass(value) and not isinstance(value, type):
        for f in fields(value):
            freeze(getattr(value, f.name))
    elif isinstance(value, dict):
        for v in value.values():
            freeze(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            freeze(v)
    return value


class Budget:
    """A thread-safe LRU cache holding at most ``max_mb`` megabytes of values (``nbytes``).

    A value larger than the whole budget is returned but not kept. ``stats()`` says what it holds."""

    def __init__(self, name: str, max_mb: float):
        self.name, self.max_bytes = name, int(max_mb * MB)
        self._values: OrderedDict[str, tuple[Any, int]] = OrderedDict()  # key -> (value, bytes), oldest first
        self._bytes = 0
        self._lock = threading.Lock()
        self._computing: dict[str, threading.Lock] = {}
        self.hits = self.misses = 0

    def get(self, key: str, compute: Callable[[], Any]) -> Any:
        """The value cached under ``key``, or ``compute()`` (once, even when several threads ask at the same time)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                self.hits += 1
                return self._values[key][0]
            computing = self._computing.setdefault(key, threading.Lock())
        with computing:
            with self._lock:
                if key in self._values:  # another thread computed it while this one waited
                    self._values.move_to_end(key)
                    self.hits += 1
                    return self._values[key][0]
            try:
                value = compute()
            finally:
                with self._lock:
                    self._computing.pop(key, None)
            size = nbytes(value)
            with self._lock:
                self.misses += 1
                if size <= self.max_bytes:
                    self._values[key] = (value, size)
                    self._bytes += size
                    while self._bytes > self.max_bytes:
                        _, (_, old) = self._values.popitem(last=False)
                        self._bytes -= old
            return value

    def cached(self, fn: Callable) -> Callable:
        """Decorator: cache ``fn``'s results in this budget, keyed by its name and the digest of its arguments."""
        name = f"{fn.__module__}.{fn.__qualname__}"

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return self.get(digest(name, args, sorted(kwargs.items())), lambda: fn(*args, **kwargs))

        wrapper.budget = self
        return wrapper

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._bytes = 0

    def stats(self) -> dict:
        with self._lock:
            return {"name": self.name, "entries": len(self._values), "mb": self._bytes / MB,
                    "max_mb": self.max_bytes / MB, "hits": self.hits, "misses": self.misses}
