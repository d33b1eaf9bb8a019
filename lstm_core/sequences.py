"""Seeded input sequences for the lab: every generator is ``f(T, D, *, seed=0, **options) -> ndarray (T, D)``.

Steps are 0-based (index 0 is the first step). Deterministic generators accept ``seed`` too, so all share one
signature; the same (T, D, seed, options) always gives the same array.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .validate import MAX_D, MAX_T, check_number, check_size


def _sizes(T, D) -> tuple[int, int]:
    return check_size("T", T, MAX_T), check_size("D", D, MAX_D)


def _step_index(name: str, value, T: int) -> int:
    return check_size(name, value, T - 1, minimum=0)


def random_normal(T: int, D: int, *, seed: int = 0, scale: float = 1.0) -> np.ndarray:
    """x_t ~ N(0, scale²) independently per step and channel. (T, D)"""
    T, D = _sizes(T, D)
    scale = check_number("scale", scale, nonnegative=True)
    return np.random.default_rng(seed).normal(0.0, 1.0, size=(T, D)) * scale


def sine(T: int, D: int, *, seed: int = 0, period: float = 20.0, amplitude: float = 1.0) -> np.ndarray:
    """x_t[d] = amplitude · sin(2π t / period + 2π d / D): one sine per channel, channels evenly phase-shifted.

    Deterministic (``seed`` is accepted and ignored). (T, D)
    """
    T, D = _sizes(T, D)
    period = check_number("period", period, positive=True)
    amplitude = check_number("amplitude", amplitude)
    t = np.arange(T)[:, None]
    phase = 2.0 * np.pi * np.arange(D)[None, :] / D
    return amplitude * np.sin(2.0 * np.pi * t / period + phase)


def step(T: int, D: int, *, seed: int = 0, at: int | None = None, height: float = 1.0) -> np.ndarray:
    """x_t = 0 for t < at, ``height`` on every channel from step ``at`` on (default at = T // 2). (T, D)"""
    T, D = _sizes(T, D)
    at = T // 2 if at is None else _step_index("at", at, T)
    x = np.zeros((T, D))
    x[at:] = check_number("height", height)
    return x


def impulse(T: int, D: int, *, seed: int = 0, at: int = 0, height: float = 1.0) -> np.ndarray:
    """x_t = ``height`` on every channel at step ``at`` (0-based), zero elsewhere. (T, D)"""
    T, D = _sizes(T, D)
    at = _step_index("at", at, T)
    x = np.zeros((T, D))
    x[at] = check_number("height", height)
    return x


def ramp(T: int, D: int, *, seed: int = 0) -> np.ndarray:
    """x_t = t / (T − 1) on every channel: 0 at the first step to 1 at the last (all 0 when T = 1). (T, D)"""
    T, D = _sizes(T, D)
    r = np.arange(T) / (T - 1) if T > 1 else np.zeros(1)
    return np.repeat(r[:, None], D, axis=1)


def remember_first(T: int, D: int, *, seed: int = 0, signal: float = 1.0, noise: float = 0.0) -> np.ndarray:
    """x_0 = ``signal`` on every channel, then x_t ~ N(0, noise²) for t ≥ 1 (zeros when noise = 0).

    The task a network must solve to report the first input at the end. (T, D)
    """
    T, D = _sizes(T, D)
    signal = check_number("signal", signal)
    noise = check_number("noise", noise, nonnegative=True)
    x = np.random.default_rng(seed).normal(0.0, 1.0, size=(T, D)) * noise
    x[0] = signal
    return x


@dataclass(frozen=True)
class Generator:
    """A named input generator: ``fn(T, D, *, seed=0, **options) -> (T, D)``."""

    key: str
    label: str
    description: str
    fn: Callable[..., np.ndarray]

    @property
    def options(self) -> dict[str, object]:
        """The generator's options and their defaults (its keyword-only arguments after ``seed``)."""
        params = inspect.signature(self.fn).parameters
        return {k: p.default for k, p in params.items() if p.kind is p.KEYWORD_ONLY and k != "seed"}


GENERATORS: dict[str, Generator] = {
    g.key: g
    for g in (
        Generator("random", "Random noise", "Independent Gaussian values, N(0, scale²), at every step.", random_normal),
        Generator("sine", "Sine waves", "A sine per channel (period in steps), channels phase-shifted.", sine),
        Generator("step", "Step", "Zero, then a constant height from step `at` on (default: halfway).", step),
        Generator("impulse", "Impulse", "A single spike of `height` at step `at`, zero elsewhere.", impulse),
        Generator("ramp", "Ramp", "Rises linearly from 0 at the first step to 1 at the last.", ramp),
        Generator(
            "remember_first",
            "Remember the first input",
            "A signal at the first step, then zeros (or noise): can the network still report it at the end?",
            remember_first,
        ),
    )
}


def generate(key: str, T: int, D: int, seed: int = 0, **opts) -> np.ndarray:
    """GENERATORS[key].fn(T, D, seed=seed, **opts), with unknown keys/options reported as ValueError. (T, D)"""
    if key not in GENERATORS:
        raise ValueError(f"generator: got {key!r}, needs one of {list(GENERATORS)}")
    gen = GENERATORS[key]
    bad = sorted(set(opts) - set(gen.options))
    if bad:
        raise ValueError(f"{bad[0]}: not an option of generator {key!r}, which takes {list(gen.options)}")
    return gen.fn(T, D, seed=seed, **opts)
