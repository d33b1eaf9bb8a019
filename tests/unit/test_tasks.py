"""Task generators: shapes, one-hot structure, targets, seeding, options and their errors."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_core.tasks import Task, adding_batch, remember_first_batch
from lstm_core.validate import MAX_T


# ---- remember the first --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("gap", [0, 1, 5, 50])
def test_remember_first_structure(gap):
    b = remember_first_batch(gap, 64, seed=3, noise=0.0)
    T = gap + 1
    assert b.x.shape == (T, 64, 8) and b.T == T and b.batch_size == 64
    assert b.kind == "classification"
    np.testing.assert_array_equal(b.steps, [T - 1])
    assert b.target.shape == (1, 64) and np.issubdtype(b.target.dtype, np.integer)
    # every step is one-hot
    np.testing.assert_array_equal(b.x.sum(axis=-1), 1.0)
    assert set(np.unique(b.x)) <= {0.0, 1.0}
    # the cue is at step 0 on channels 0..3 and it is the label; distractors only on channels 4..7
    np.testing.assert_array_equal(np.argmax(b.x[0], axis=-1), b.target[0])
    assert b.x[0, :, 4:].sum() == 0
    if gap:
        assert b.x[1:, :, :4].sum() == 0
        assert b.x[1:, :, 4:].sum() == gap * 64


def test_remember_first_noise_is_added_at_distractor_steps_only():
    clean = remember_first_batch(30, 256, seed=4, noise=0.0)
    noisy = remember_first_batch(30, 256, seed=4, noise=0.1)
    assert noisy.x.shape == clean.x.shape == (31, 256, 8)
    np.testing.assert_array_equal(noisy.x[0], clean.x[0])  # the cue is clean
    np.testing.assert_array_equal(noisy.target, clean.target)
    diff = noisy.x[1:] - clean.x[1:]  # the same symbols, plus N(0, 0.1²) everywhere
    assert abs(diff.mean()) < 0.005 and diff.std() == pytest.approx(0.1, rel=0.03)
    assert remember_first_batch(5, 4).x[1:].std() > 0.3  # noise is on by default (σ = 0.5)


def test_remember_first_is_seeded_and_balanced():
    a, b = remember_first_batch(20, 512, seed=(7, 1, 0)), remember_first_batch(20, 512, seed=(7, 1, 0))
    c = remember_first_batch(20, 512, seed=(7, 1, 1))
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.target, b.target)
    assert not np.array_equal(a.x, c.x)
    a = remember_first_batch(20, 512, seed=(7, 1, 0), noise=0.0)
    counts = np.bincount(a.target[0], minlength=4)
    assert counts.min() > 90  # ≈ 128 each: chance really is 1/4
    # distractor symbols are spread over the 4 distractor channels too
    assert np.bincount(np.argmax(a.x[1:], axis=-1).ravel() - 4, minlength=4).min() > 0.2 * 20 * 512


def test_remember_first_arrays_are_read_only():
    b = remember_first_batch(3, 2)
    for a in (b.x, b.target, b.steps):
        assert not a.flags.writeable


def test_batch_arrays_cannot_be_written_through_their_base():
    """adding_batch's target is a view: its base must be frozen too (validate.freeze), not only the view."""
    assert isinstance(adding_batch(5, 3).target.base, np.ndarray)  # the case this test is about
    for b in (remember_first_batch(3, 2), adding_batch(5, 3)):
        for a in (b.x, b.target, b.steps):
            if not isinstance(a.base, np.ndarray):
                continue  # owns its memory: read-only as the test above checks
            with pytest.raises(ValueError, match="read-only"):
                a.base[...] = 0
            with pytest.raises(ValueError):
                a.flags.writeable = True


def test_remember_first_same_and_noise_distractors():
    same = remember_first_batch(10, 32, seed=0, distractors="same", noise=0.0)
    assert same.x.shape == (11, 32, 4)
    np.testing.assert_array_equal(same.x.sum(axis=-1), 1.0)  # distractors look like cues
    noise = remember_first_batch(10, 32, seed=0, distractors="noise", noise=0.5)
    assert noise.x.shape == (11, 32, 4)
    np.testing.assert_array_equal(np.argmax(noise.x[0], axis=-1), noise.target[0])
    assert 0.35 < noise.x[1:].std() < 0.65


def test_remember_first_more_symbols():
    b = remember_first_batch(4, 100, seed=1, n_symbols=6, n_distractors=3, noise=0.0)
    assert b.x.shape == (5, 100, 9)
    assert b.target.max() <= 5 and b.x[1:, :, :6].sum() == 0


@pytest.mark.parametrize("kwargs, arg", [
    (dict(gap=-1), "gap"), (dict(gap=1.5), "gap"), (dict(gap=MAX_T), "gap"), (dict(batch_size=0), "batch"),
    (dict(distractors="loud"), "distractors"), (dict(n_symbols=1), "n_symbols"),
    (dict(n_distractors=0), "n_distractors"),
    (dict(noise=-0.1), "noise"),
])
def test_remember_first_errors_name_the_argument(kwargs, arg):
    args = dict(gap=5, batch_size=4) | kwargs
    with pytest.raises(ValueError, match=rf"^{arg}:"):
        remember_first_batch(args.pop("gap"), args.pop("batch_size"), **args)


# ---- adding problem ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("gap", [1, 2, 9, 100])
def test_adding_structure(gap):
    b = adding_batch(gap, 256, seed=5)
    T = gap + 1
    assert b.x.shape == (T, 256, 2) and b.kind == "regression"
    assert b.target.shape == (1, 256, 1)
    np.testing.assert_array_equal(b.steps, [T - 1])
    values, marker = b.x[:, :, 0], b.x[:, :, 1]
    assert values.min() >= 0 and values.max() < 1
    np.testing.assert_array_equal(marker.sum(axis=0), 2.0)  # exactly two marked steps per sequence
    half = (T + 1) // 2
    np.testing.assert_array_equal(marker[:half].sum(axis=0), 1.0)  # one in each half
    np.testing.assert_allclose(b.target[0, :, 0], (values * marker).sum(axis=0), rtol=1e-15)


def test_adding_baseline_mse_is_one_sixth():
    b = adding_batch(50, 4096, seed=0)
    assert np.mean((b.target - 1.0) ** 2) == pytest.approx(1 / 6, rel=0.05)
    assert Task("adding", 50).chance == pytest.approx(1 / 6)


def test_adding_is_seeded_and_needs_two_steps():
    np.testing.assert_array_equal(adding_batch(7, 8, seed=2).x, adding_batch(7, 8, seed=2).x)
    assert not np.array_equal(adding_batch(7, 8, seed=2).x, adding_batch(7, 8, seed=3).x)
    with pytest.raises(ValueError, match="^gap:"):
        adding_batch(0, 8)


# ---- Task ----------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("task", [
    Task("remember-first", 7), Task("remember-first", 7, {"distractors": "same"}),
    Task("remember-first", 3, {"n_symbols": 5, "n_distractors": 2}), Task("adding", 7),
])
def test_task_sizes_match_its_batches(task):
    b = task.sample(16, seed=0)
    assert b.x.shape == (task.T, 16, task.input_size)
    assert b.kind == task.kind
    if task.kind == "classification":
        assert b.target.max() < task.output_size
        assert task.chance == pytest.approx(1 / task.output_size)
    else:
        assert b.target.shape[-1] == task.output_size == 1


@pytest.mark.parametrize("name, gap, opts, arg", [
    ("copy", 5, {}, "task"), ("adding", 5, {"noise": 0.1}, "noise"), ("remember-first", -2, {}, "gap"),
    ("remember-first", 5, {"colour": 1}, "colour"),
])
def test_task_errors_name_the_argument(name, gap, opts, arg):
    with pytest.raises(ValueError, match=rf"^{arg}:"):
        Task(name, gap, opts)
