"""Argument checks shared by the whole core: every error names the argument, what it got and what it needs."""

from __future__ import annotations

import numbers

import numpy as np

MAX_T = 20_000  # longest sequence the core accepts (the text lab runs up to 20,000 characters in one pass)
MAX_H = 256  # largest hidden size
MAX_D = 64  # largest input size
MAX_B = 4096  # largest batch (the phase grid uses the batch axis for its cells)
QUOTE_CHARS = 60  # longest piece of a user's text (a file name, a key, a header, a cell) a message repeats


def shorten(text, limit: int = QUOTE_CHARS) -> str:
    """``text`` (a str) cut to at most ``limit`` characters, ending in "…" when cut."""
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(text, limit: int = QUOTE_CHARS) -> str:
    """``text`` as a message may repeat it: ``shorten``-ed, in quotes, with line breaks and other control characters
    escaped (Python's repr), e.g. ``'abc'`` or ``'77777…'``. The core's messages quote a user's text (a key, a header,
    a cell) only through this, so no file can make a message long."""
    return repr(shorten(text, limit))


def check_size(name: str, value, maximum: int, minimum: int = 1) -> int:
    """An integer in [minimum, maximum], or a ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}: got {value!r}, needs a whole number in [{minimum}, {maximum}]")
    if not minimum <= value <= maximum:
        raise ValueError(f"{name}: got {value}, needs a whole number in [{minimum}, {maximum}]")
    return int(value)


def as_float_array(value, name: str, ndim: int | tuple[int, ...] | None = None) -> np.ndarray:
    """``value`` as a finite float64 array with the given number of dimensions, or a ValueError naming ``name``."""
    try:
        a = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{name}: could not be read as a numeric array ({exc})") from None
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        raise ValueError(f"{name}: got dtype {a.dtype}, needs numbers (float64)")
    if np.iscomplexobj(a):
        raise ValueError(f"{name}: got complex values, needs real numbers")
    a = a.astype(np.float64, copy=False)
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else ndim
        if a.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name}: got shape {a.shape} ({a.ndim}-D), needs {want}")
    if not np.all(np.isfinite(a)):
        bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
        raise ValueError(f"{name}: {bad} value(s) are NaN or infinite, needs finite numbers")
    return a


def check_number(name: str, value, *, positive: bool = False, nonnegative: bool = False) -> float:
    """A finite real number (not a bool) as float, > 0 with ``positive``, >= 0 with ``nonnegative``; else a
    ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name}: got {value!r}, needs a finite number")
    if positive and value <= 0:
        raise ValueError(f"{name}: got {value}, needs a number > 0")
    if nonnegative and value < 0:
        raise ValueError(f"{name}: got {value}, needs a number >= 0")
    return float(value)


def frozen_copy(a) -> np.ndarray:
    """A read-only float64 copy of ``a`` (for results that must not alias the caller's arrays)."""
    a = np.array(a, dtype=np.float64, copy=True)
    a.flags.writeable = False
    return a


def freeze(*arrays: np.ndarray) -> None:
    """Make each array read-only, and the array it is a view of too (e.g. the dz array behind grads.dz_i):
    otherwise ``a.base[...] = 0`` or ``a.flags.writeable = True`` could change a result behind its back."""
    for a in arrays:
        a.flags.writeable = False
        if isinstance(a.base, np.ndarray):
            a.base.flags.writeable = False


def check_sequence(x, input_size: int, name: str = "x") -> np.ndarray:
    """Validate an input sequence: (T, D) or (T, B, D), finite, within the app's size limits."""
    x = as_float_array(x, name, ndim=(2, 3))
    T = x.shape[0]
    if not 1 <= T <= MAX_T:
        raise ValueError(f"{name}: got shape {x.shape}, needs 1 <= T <= {MAX_T} steps on axis 0")
    if x.ndim == 3 and not 1 <= x.shape[1] <= MAX_B:
        raise ValueError(f"{name}: got shape {x.shape}, needs a batch 1 <= B <= {MAX_B} on axis 1")
    if x.shape[-1] != input_size:
        want = f"(T, {input_size})" if x.ndim == 2 else f"(T, B, {input_size})"
        raise ValueError(f"{name}: got shape {x.shape}, needs {want} to match the weights' input size D={input_size}")
    return x


def check_state(value, name: str, lead: tuple[int, ...], hidden_size: int) -> np.ndarray:
    """An initial state (h0 or c0): None means zeros; else shape lead + (H,), finite."""
    shape = lead + (hidden_size,)
    if value is None:
        return np.zeros(shape)
    return check_like(value, name, shape).copy()  # the trace keeps its own copy: the caller may reuse its buffer


def check_like(value, name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A finite float64 array of exactly ``shape`` (e.g. dL/dh, which has the shape of trace.h)."""
    a = as_float_array(value, name)
    if a.shape != shape:
        raise ValueError(f"{name}: got shape {a.shape}, needs {shape}")
    return a
