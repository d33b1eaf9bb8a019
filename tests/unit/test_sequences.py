"""Input generators: shapes, seeding, where the features land, and argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_core.sequences import (
    GENERATORS, Generator, generate, impulse, ramp, random_normal, remember_first, sine, step,
)
from lstm_core.validate import MAX_D, MAX_T

KEYS = ["random", "sine", "step", "impulse", "ramp", "remember_first"]


def test_registry_keys_and_entries():
    assert list(GENERATORS) == KEYS
    for key, gen in GENERATORS.items():
        assert isinstance(gen, Generator) and gen.key == key and gen.label and gen.description


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("T, D", [(1, 1), (7, 3), (50, 8)])
def test_shape_dtype_finite_and_reproducible(key, T, D):
    x = generate(key, T, D, seed=3)
    assert x.shape == (T, D) and x.dtype == np.float64 and np.all(np.isfinite(x))
    assert np.array_equal(x, generate(key, T, D, seed=3))


def test_seed_changes_random_inputs_only_where_random():
    assert not np.array_equal(random_normal(20, 2, seed=0), random_normal(20, 2, seed=1))
    assert not np.array_equal(remember_first(20, 2, seed=0, noise=0.1), remember_first(20, 2, seed=1, noise=0.1))
    assert np.array_equal(sine(20, 2, seed=0), sine(20, 2, seed=1))


def test_random_normal_scale():
    x = random_normal(4000, 2, seed=0, scale=0.5)
    assert abs(x.std() - 0.5) < 0.02 and abs(x.mean()) < 0.02
    assert np.array_equal(random_normal(10, 2, seed=5, scale=2.0), 2.0 * random_normal(10, 2, seed=5))


def test_sine_values_and_phase_shift():
    x = sine(40, 4, period=10.0, amplitude=2.0)
    t = np.arange(40)
    for d in range(4):
        np.testing.assert_allclose(x[:, d], 2.0 * np.sin(2 * np.pi * t / 10 + 2 * np.pi * d / 4), atol=1e-12)
    np.testing.assert_allclose(x[10], x[0], atol=1e-12)  # periodic
    assert not np.allclose(x[:, 0], x[:, 1])


def test_step_and_impulse_locations():
    s = step(10, 2, height=3.0)
    assert np.all(s[:5] == 0) and np.all(s[5:] == 3.0)
    assert np.all(step(10, 1, at=0) == 1.0)
    x = impulse(10, 3, at=7, height=-2.0)
    assert np.all(x[7] == -2.0) and np.count_nonzero(x) == 3
    assert np.flatnonzero(impulse(5, 1)[:, 0]).tolist() == [0]


def test_ramp_and_remember_first():
    r = ramp(5, 2)
    np.testing.assert_allclose(r[:, 0], [0, 0.25, 0.5, 0.75, 1.0])
    assert np.array_equal(r[:, 0], r[:, 1]) and np.all(ramp(1, 2) == 0)
    x = remember_first(6, 2, signal=0.7)
    assert np.all(x[0] == 0.7) and np.all(x[1:] == 0)
    n = remember_first(500, 2, signal=1.0, noise=0.3)
    assert np.all(n[0] == 1.0) and abs(n[1:].std() - 0.3) < 0.03


def test_generate_passes_options():
    assert np.array_equal(generate("impulse", 8, 2, at=4), impulse(8, 2, at=4))
    assert GENERATORS["step"].options == {"at": None, "height": 1.0}


@pytest.mark.parametrize(
    "call, word",
    [
        (lambda: generate("sine", 0, 2), "T"),
        (lambda: generate("sine", MAX_T + 1, 2), "T"),
        (lambda: generate("random", 5.0, 2), "T"),
        (lambda: generate("random", 5, 0), "D"),
        (lambda: generate("ramp", 5, MAX_D + 1), "D"),
        (lambda: generate("impulse", 5, 1, at=5), "at"),
        (lambda: generate("step", 5, 1, at=-1), "at"),
        (lambda: generate("sine", 5, 1, period=0.0), "period"),
        (lambda: generate("random", 5, 1, scale=-1.0), "scale"),
        (lambda: generate("remember_first", 5, 1, noise=float("nan")), "noise"),
        (lambda: generate("impulse", 5, 1, height="big"), "height"),
        (lambda: generate("nope", 5, 1), "generator"),
        (lambda: generate("ramp", 5, 1, at=2), "at"),
    ],
)
def test_bad_arguments_name_themselves(call, word):
    with pytest.raises(ValueError, match=rf"^{word}\b"):
        call()
