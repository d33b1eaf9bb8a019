"""SGD with momentum and Adam against hand computation and recorded PyTorch values; clipping by global norm."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lstm_core.optim import SGD, Adam, clip_by_global_norm, global_norm, make_optimizer

P0 = {"w": np.array([0.5, -1.0, 2.0]), "b": np.array([0.1])}
GRADS = [
    {"w": np.array([1.0, -2.0, 0.5]), "b": np.array([3.0])},
    {"w": np.array([-0.5, 0.25, 1.5]), "b": np.array([-1.0])},
    {"w": np.array([2.0, 0.0, -4.0]), "b": np.array([0.5])},
]
# torch 2.13 float64: torch.optim.Adam(lr=0.1, betas=(0.9, 0.999), eps=1e-8) / torch.optim.SGD(lr=0.1, momentum=0.9)
# on the same parameters and gradients, parameters after each of the three steps.
TORCH_ADAM = [
    {"w": [0.400000001, -0.9000000005, 1.900000002], "b": [3.333333331578814e-10]},
    {"w": [0.37336629737090316, -0.8427465433289555, 1.8082218909226944], "b": [-0.04002185668309012]},
    {"w": [0.3075551378428032, -0.7984894550672699, 1.8415673661000334], "b": [-0.08056439681366902]},
]
TORCH_SGD = [
    {"w": [0.4, -0.8, 1.95], "b": [-0.2]},
    {"w": [0.36, -0.645, 1.755], "b": [-0.37]},
    {"w": [0.124, -0.5055, 1.9795], "b": [-0.573]},
]


def _run(opt, steps=3):
    params, state, out = P0, opt.init(P0), []
    for g in GRADS[:steps]:
        params, state = opt.update(params, g, state)
        out.append(params)
    return out, state


# ---- SGD with momentum ---------------------------------------------------------------------------------------------

def test_sgd_momentum_matches_hand_computation():
    """v1 = g1, θ1 = θ0 − η v1;  v2 = μ v1 + g2, θ2 = θ1 − η v2 (scalar 'b': θ0 = 0.1, g = 3, −1)."""
    (p1, p2), state = _run(SGD(lr=0.1, momentum=0.9), steps=2)
    v1 = 3.0
    b1 = 0.1 - 0.1 * v1  # −0.2
    v2 = 0.9 * v1 + (-1.0)  # 1.7
    b2 = b1 - 0.1 * v2  # −0.37
    assert p1["b"][0] == pytest.approx(b1, abs=1e-15)
    assert p2["b"][0] == pytest.approx(b2, abs=1e-15)
    assert state.velocity["b"][0] == pytest.approx(v2, abs=1e-15)


def test_sgd_momentum_matches_torch():
    params, _ = _run(SGD(lr=0.1, momentum=0.9))
    for ours, ref in zip(params, TORCH_SGD):
        for k in ref:
            np.testing.assert_allclose(ours[k], ref[k], rtol=1e-12, atol=1e-15)


def test_sgd_without_momentum_is_plain_gradient_descent():
    (p1, p2), _ = _run(SGD(lr=0.5, momentum=0.0), steps=2)
    np.testing.assert_allclose(p2["w"], P0["w"] - 0.5 * GRADS[0]["w"] - 0.5 * GRADS[1]["w"], rtol=1e-15)


# ---- Adam ----------------------------------------------------------------------------------------------------------

def test_adam_first_step_moves_each_weight_by_lr_times_sign():
    """Step 1: m̂ = g and v̂ = g², so the update is η g/(|g| + ε) ≈ η sign(g) whatever the gradient's size."""
    (p1,), state = _run(Adam(lr=0.1), steps=1)
    g = GRADS[0]
    for k in P0:
        np.testing.assert_allclose(p1[k], P0[k] - 0.1 * g[k] / (np.abs(g[k]) + 1e-8), rtol=1e-14)
    assert state.step == 1


def test_adam_matches_hand_computation_with_bias_correction():
    """Scalar 'b': θ0 = 0.1, g1 = 3, g2 = −1, η = 0.1, β1 = 0.9, β2 = 0.999, ε = 1e-8, written out by hand."""
    (p1, p2), state = _run(Adam(lr=0.1), steps=2)
    m1, v1 = 0.1 * 3.0, 0.001 * 9.0  # 0.3, 0.009
    b1 = 0.1 - 0.1 * (m1 / 0.1) / (math.sqrt(v1 / 0.001) + 1e-8)
    m2 = 0.9 * m1 + 0.1 * (-1.0)  # 0.17
    v2 = 0.999 * v1 + 0.001 * 1.0  # 0.009991
    m_hat, v_hat = m2 / (1 - 0.9 ** 2), v2 / (1 - 0.999 ** 2)
    b2 = b1 - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8)
    assert p1["b"][0] == pytest.approx(b1, rel=1e-13, abs=1e-15)
    assert p2["b"][0] == pytest.approx(b2, rel=1e-13)
    assert b2 == pytest.approx(-0.04002185668309012, rel=1e-12)  # the hand computation agrees with torch
    assert state.m["b"][0] == pytest.approx(m2, rel=1e-14)
    assert state.v["b"][0] == pytest.approx(v2, rel=1e-14)
    assert state.step == 2


def test_adam_matches_torch():
    params, _ = _run(Adam(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-8))
    for ours, ref in zip(params, TORCH_ADAM):
        for k in ref:
            np.testing.assert_allclose(ours[k], ref[k], rtol=1e-12, atol=1e-15)


def test_adam_without_bias_correction_would_differ():
    """Guard that the test above can fail: the uncorrected step at t = 1 is √(1−β2)/(1−β1) ≈ 0.32 times smaller."""
    (p1,), _ = _run(Adam(lr=0.1), steps=1)
    uncorrected = P0["b"] - 0.1 * (0.1 * 3.0) / (math.sqrt(0.001 * 9.0) + 1e-8)
    assert abs(p1["b"][0] - uncorrected[0]) > 0.05


# ---- purity and validation -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("opt", [SGD(lr=0.1), Adam(lr=0.1)], ids=["sgd", "adam"])
def test_update_is_pure_and_state_is_read_only(opt):
    params = {k: v.copy() for k, v in P0.items()}
    grads = {k: v.copy() for k, v in GRADS[0].items()}
    state0 = opt.init(params)
    new, state1 = opt.update(params, grads, state0)
    for k in P0:
        np.testing.assert_array_equal(params[k], P0[k])
        np.testing.assert_array_equal(grads[k], GRADS[0][k])
        assert not np.array_equal(new[k], P0[k])
    arrays = [*state0.__dict__.values(), *state1.__dict__.values()]
    for d in (a for a in arrays if isinstance(a, dict)):
        for a in d.values():
            assert not a.flags.writeable
    # the same inputs give the same outputs (no hidden counter)
    again, _ = opt.update(params, grads, state0)
    for k in P0:
        np.testing.assert_array_equal(again[k], new[k])


@pytest.mark.parametrize("make, arg", [
    (lambda: SGD(lr=0.0), "lr"), (lambda: SGD(lr=-1.0), "lr"), (lambda: SGD(lr=float("nan")), "lr"),
    (lambda: SGD(lr=0.1, momentum=1.0), "momentum"), (lambda: SGD(lr=0.1, momentum=-0.1), "momentum"),
    (lambda: Adam(lr=0.0), "lr"), (lambda: Adam(beta1=1.0), "beta1"), (lambda: Adam(beta2=-0.5), "beta2"),
    (lambda: Adam(eps=0.0), "eps"), (lambda: make_optimizer("rmsprop", 0.1), "optimizer"),
])
def test_bad_hyperparameters_name_the_argument(make, arg):
    with pytest.raises(ValueError, match=rf"^{arg}:"):
        make()


def test_mismatched_gradients_are_rejected():
    opt = Adam()
    with pytest.raises(ValueError, match="keys"):
        opt.update(P0, {"w": GRADS[0]["w"]}, opt.init(P0))
    with pytest.raises(ValueError, match=r"grads\['w'\]"):
        opt.update(P0, {"w": np.zeros(2), "b": np.zeros(1)}, opt.init(P0))


# ---- clipping ------------------------------------------------------------------------------------------------------

def test_global_norm_spans_all_arrays():
    assert global_norm({"a": np.array([3.0, 0.0]), "b": np.array([[4.0], [12.0]])}) == pytest.approx(13.0)


def test_clip_records_both_norms_and_scales_to_max_norm():
    g = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0], [12.0]])}  # ‖g‖ = 13
    out = clip_by_global_norm(g, 1.0)
    assert out.norm_before == pytest.approx(13.0, rel=1e-15)
    assert out.norm_after == pytest.approx(1.0, rel=1e-14)
    assert out.scale == pytest.approx(1 / 13) and out.clipped
    np.testing.assert_allclose(out.grads["a"], [3 / 13, 0.0], rtol=1e-15)
    np.testing.assert_allclose(out.grads["b"], [[4 / 13], [12 / 13]], rtol=1e-15)
    np.testing.assert_array_equal(g["a"], [3.0, 0.0])  # the input is untouched


def test_clip_keeps_gradients_under_the_threshold():
    g = {"a": np.array([0.3, -0.4])}  # ‖g‖ = 0.5
    out = clip_by_global_norm(g, 1.0)
    assert out.norm_before == out.norm_after == pytest.approx(0.5)
    assert out.scale == 1.0 and not out.clipped
    np.testing.assert_array_equal(out.grads["a"], g["a"])


def test_clip_none_means_no_clipping_but_still_measures():
    g = {"a": np.array([300.0, -400.0])}
    out = clip_by_global_norm(g, None)
    assert out.norm_before == out.norm_after == pytest.approx(500.0)
    np.testing.assert_array_equal(out.grads["a"], g["a"])


@pytest.mark.parametrize("bad", [0.0, -1.0, float("inf"), float("nan")])
def test_clip_rejects_bad_max_norm(bad):
    with pytest.raises(ValueError, match="^max_norm:"):
        clip_by_global_norm({"a": np.array([1e-3])}, bad)


def test_global_norm_survives_exploding_and_vanishing_gradients():
    """Summing squares would overflow near 1e154 (and clipping would then make NaN): the norm must stay exact."""
    import numpy as np

    from lstm_core.optim import clip_by_global_norm, global_norm

    g = {"a": np.full(3, 1e200), "b": np.array([2e200])}
    assert global_norm(g) == pytest.approx(np.sqrt(7) * 1e200, rel=1e-14)
    assert global_norm({"a": np.array([3e-200, 4e-200])}) == pytest.approx(5e-200, rel=1e-14)
    c = clip_by_global_norm(g, 1.0)
    assert np.isfinite(c.grads["a"]).all() and c.norm_after == pytest.approx(1.0, rel=1e-12)
