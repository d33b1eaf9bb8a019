"""Losses: values against direct formulas, gradients against centered differences, argument checks."""

from __future__ import annotations

import numpy as np
import pytest

from lstm_core.losses import LOSSES, Loss, describe_loss, last_step_mse, make_loss, probe_unit

from tests.helpers import centered_diff


def numeric_grad(fn, h):
    """Centered differences (tests/unit/conftest.centered_diff) of fn(h)[0] w.r.t. every element of h."""
    return centered_diff(lambda a: fn(a)[0], h)


SHAPES = [(5, 3), (4, 2, 3)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("target_kind", ["none", "shared", "per_batch"])
def test_last_step_mse_value_and_gradient(shape, target_kind):
    rng = np.random.default_rng(0)
    h = rng.normal(size=shape)
    if target_kind == "none":
        target = None
    elif target_kind == "shared":
        target = rng.normal(size=shape[-1])
    else:
        target = rng.normal(size=shape[1:])
    value, dh = last_step_mse(h, target)
    t = 0.0 if target is None else target
    assert value == pytest.approx(0.5 * np.sum((h[-1] - t) ** 2), rel=1e-12)
    assert dh.shape == h.shape
    assert np.all(dh[:-1] == 0)
    np.testing.assert_allclose(dh, numeric_grad(lambda a: last_step_mse(a, target), h), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("shape", SHAPES)
def test_probe_unit_value_and_gradient(shape):
    h = np.random.default_rng(1).normal(size=shape)
    value, dh = probe_unit(h, unit=2)
    assert value == pytest.approx(np.sum(h[-1, ..., 2]))
    np.testing.assert_allclose(dh, numeric_grad(lambda a: probe_unit(a, unit=2), h), rtol=1e-6, atol=1e-9)
    assert dh.sum() == np.prod(shape[1:-1], dtype=int)  # one 1 per sequence, at the last step


def test_make_loss_binds_options():
    h = np.random.default_rng(2).normal(size=(4, 3))
    fn = make_loss("probe_unit", unit=1)
    assert fn(h)[0] == h[-1, 1]
    target = np.ones(3)
    v1, d1 = make_loss("last_step_mse", target=target)(h)
    v2, d2 = last_step_mse(h, target)
    assert v1 == v2 and np.array_equal(d1, d2)


def test_registry_entries_are_losses():
    assert set(LOSSES) == {"last_step_mse", "probe_unit"}
    for name, loss in LOSSES.items():
        assert isinstance(loss, Loss) and loss.name == name and loss.description.startswith("L = ")


def test_describe_loss_names_the_unit():
    # the core's unit=3 is the app's unit 4: the app counts units from 1
    assert "h_T[4]" in describe_loss("probe_unit", unit=3) and "unit 4 " in describe_loss("probe_unit", unit=3)
    assert "h_T[1]" in describe_loss("probe_unit") and "unit 0" not in describe_loss("probe_unit")
    assert describe_loss("last_step_mse", target=[1.0, 2.0]) == LOSSES["last_step_mse"].description
    assert "target 0" in describe_loss("last_step_mse")


@pytest.mark.parametrize(
    "call, word",
    [
        (lambda: probe_unit(np.zeros((3, 2)), unit=2), "unit"),
        (lambda: probe_unit(np.zeros((3, 2)), unit=-1), "unit"),
        (lambda: probe_unit(np.zeros((3, 2)), unit=1.5), "unit"),
        (lambda: make_loss("probe_unit", unit=-1), "unit"),
        (lambda: make_loss("probe_unit", unit=5)(np.zeros((3, 2))), "unit"),
        (lambda: make_loss("nope"), "loss"),
        (lambda: make_loss("probe_unit", target=1), "target"),
        (lambda: describe_loss("nope"), "loss"),
        (lambda: last_step_mse(np.zeros((3, 2)), target=np.zeros(3)), "target"),
        (lambda: last_step_mse(np.zeros((3, 2, 4)), target=np.zeros((3, 4))), "target"),
        (lambda: last_step_mse(np.zeros(3)), "h"),
        (lambda: last_step_mse(np.full((3, 2), np.nan)), "h"),
    ],
)
def test_bad_arguments_name_themselves(call, word):
    with pytest.raises(ValueError, match=rf"^{word}\b"):
        call()
