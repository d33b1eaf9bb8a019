"""Readout and losses (values, gradients by centered differences), the training step, the loop and the CLI."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lstm_core import forget_bias_of, lstm_backward, lstm_forward
from lstm_core.readout import (
    Readout, init_readout, loss_steps, mse, readout_backward, readout_forward, softmax_cross_entropy,
)
from lstm_core.tasks import Task
from lstm_core.train import (
    MAX_EVAL_BYTES, Progress, StepMetrics, TrainConfig, evaluate, gradients, init_state, main, max_test_size, run,
    train, train_batch, train_step,
)
from lstm_core.train import test_batch as held_out_batch

from tests.helpers import centered_diff, rel_error

ROOT = Path(__file__).resolve().parents[2]


# ---- readout and losses --------------------------------------------------------------------------------------------

def _readout_problem(seed=0, T=6, B=3, H=5, K=4):
    rng = np.random.default_rng(seed)
    return init_readout(H, K, seed=seed), rng.normal(size=(T, B, H)), rng


def test_readout_forward_is_affine_at_the_chosen_steps():
    r, h, _ = _readout_problem()
    y = readout_forward(r, h, steps=[1, -1])
    assert y.shape == (2, 3, 4)
    np.testing.assert_allclose(y[0], h[1] @ r.weight.T + r.bias, rtol=1e-14)
    np.testing.assert_allclose(y[1], h[5] @ r.weight.T + r.bias, rtol=1e-14)
    # a single sequence (T, H) works too
    np.testing.assert_allclose(readout_forward(r, h[:, 0])[0], h[-1, 0] @ r.weight.T + r.bias, rtol=1e-14)


def test_init_readout_is_seeded_and_bounded():
    a, b = init_readout(16, 4, seed=1), init_readout(16, 4, seed=1)
    np.testing.assert_array_equal(a.weight, b.weight)
    assert np.all(np.abs(a.weight) <= 0.25) and a.weight.shape == (4, 16) and a.bias.shape == (4,)
    assert not a.weight.flags.writeable


@pytest.mark.parametrize("loss_name", ["xent", "mse"])
def test_readout_and_loss_gradients_match_centered_differences(loss_name):
    r, h, rng = _readout_problem(seed=2)
    steps = [0, 3, 5]
    if loss_name == "xent":
        target = rng.integers(0, 4, size=(3, 3))
        loss_fn = softmax_cross_entropy
    else:
        target = rng.normal(size=(3, 3, 4))
        loss_fn = mse

    def total(weight, bias, hh):
        return loss_fn(readout_forward(Readout(weight, bias), hh, steps), target)[0]

    L, dy = loss_fn(readout_forward(r, h, steps), target)
    grads, dh = readout_backward(r, h, steps, dy)
    num_w = centered_diff(lambda w: total(w, r.bias, h), r.weight)
    num_b = centered_diff(lambda b: total(r.weight, b, h), r.bias)
    num_h = centered_diff(lambda hh: total(r.weight, r.bias, hh), h)
    assert rel_error(num_w, grads.weight) < 1e-7
    assert rel_error(num_b, grads.bias) < 1e-7
    assert rel_error(num_h, dh) < 1e-7
    assert np.all(dh[[1, 2, 4]] == 0)  # the loss does not read those steps


def test_softmax_cross_entropy_values():
    L, d = softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    assert L == pytest.approx(np.log(4))
    np.testing.assert_allclose(d, (np.full((2, 4), 0.25) - np.eye(4)[[0, 3]]) / 2)
    L, _ = softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([1]))  # no overflow warning (an error here)
    assert L == pytest.approx(1000.0)


def test_mse_values():
    L, d = mse(np.array([1.0, 2.0]), np.array([0.0, 0.0]))
    assert L == pytest.approx(2.5)
    np.testing.assert_allclose(d, [1.0, 2.0])


@pytest.mark.parametrize("call, arg", [
    (lambda: softmax_cross_entropy(np.zeros((2, 3)), np.array([0, 3])), "labels"),
    (lambda: softmax_cross_entropy(np.zeros((2, 3)), np.array([0.0, 1.0])), "labels"),
    (lambda: mse(np.zeros(3), np.zeros(2)), "target"),
    (lambda: loss_steps([6], 6), "steps"), (lambda: loss_steps([], 6), "steps"),
    (lambda: loss_steps([1, 1], 6), "steps"), (lambda: loss_steps([0.5], 6), "steps"),
    (lambda: readout_forward(init_readout(3, 2), np.zeros((4, 5))), "h"),
    (lambda: readout_backward(init_readout(3, 2), np.zeros((4, 3)), [-1], np.zeros((1, 3))), "dy"),
    (lambda: Readout(np.zeros((2, 3)), np.zeros(3)), "Readout.bias"),
])
def test_readout_errors_name_the_argument(call, arg):
    with pytest.raises(ValueError, match=rf"^{arg}:"):
        call()


# ---- gradients through the recurrent core --------------------------------------------------------------------------

@pytest.mark.parametrize("model, task", [("lstm", "remember-first"), ("rnn", "remember-first"), ("lstm", "adding"),
                                         ("rnn", "adding")])
def test_training_gradients_match_centered_differences(model, task):
    """The whole chain: forward, readout, loss, dh = W_yᵀ dy, BPTT; checked on a few entries of every array."""
    cfg = TrainConfig(task=task, gap=4, model=model, hidden=3, batch=5, forget_bias=1.0)
    state = init_state(cfg)
    batch = train_batch(cfg, 0)
    _, _, grads, _ = gradients(state.params, state.readout, batch)
    arrays = state.arrays()
    rng = np.random.default_rng(0)
    for name, a in arrays.items():
        for _ in range(3):
            idx = tuple(int(rng.integers(0, n)) for n in a.shape)

            def loss_at(v, name=name):
                changed = dict(arrays, **{name: v})
                p = type(state.params)(**{k: w for k, w in changed.items() if not k.startswith("readout.")})
                r = Readout(changed["readout.weight"], changed["readout.bias"])
                return gradients(p, r, batch)[0]

            num = centered_diff(loss_at, a, index=idx)[idx]
            assert num == pytest.approx(grads[name][idx], rel=1e-6, abs=1e-9), (name, idx)  # abs: rounding of L ≈ 1


def test_step_norms_are_the_batch_mean_of_the_carried_gradient():
    cfg = TrainConfig(gap=6, hidden=4, batch=3)
    state = init_state(cfg)
    batch = train_batch(cfg, 0)
    _, _, _, norms = gradients(state.params, state.readout, batch)
    trace = lstm_forward(state.params, batch.x)
    y = readout_forward(state.readout, trace.h, batch.steps)
    _, dh = readout_backward(state.readout, trace.h, batch.steps, softmax_cross_entropy(y, batch.target)[1])
    dc = lstm_backward(state.params, trace, dh).dc  # (T, B, H)
    expected = [np.mean([np.linalg.norm(dc[t, b]) for b in range(3)]) for t in range(7)]
    np.testing.assert_allclose(norms, expected, rtol=1e-12)


@pytest.mark.parametrize("model", ["lstm", "rnn"])
def test_truncated_bptt_cuts_the_carried_gradient(model):
    cfg = TrainConfig(gap=9, hidden=4, batch=3, model=model, truncate=3)
    state = init_state(cfg)
    batch = train_batch(cfg, 0)
    _, _, g_trunc, norms = gradients(state.params, state.readout, batch, truncate=3)
    _, _, g_full, norms_full = gradients(state.params, state.readout, batch)
    assert np.all(norms[:-3] == 0) and np.all(norms[-3:] > 0)  # only the last window sees the loss
    assert np.all(norms_full > 0)
    assert not np.allclose(g_trunc["weight_ih"], g_full["weight_ih"])
    np.testing.assert_array_equal(g_trunc["readout.weight"], g_full["readout.weight"])
    # and train_step uses config.truncate
    _, m = train_step(state, batch)
    np.testing.assert_array_equal(m.step_norms, norms)


# ---- one training step ---------------------------------------------------------------------------------------------

def test_init_state_sets_the_forget_bias_and_is_seeded():
    s = init_state(TrainConfig(forget_bias=4.0))
    np.testing.assert_array_equal(forget_bias_of(s.params), 4.0)
    assert s.params.input_size == 8 and s.readout.output_size == 4 and s.iteration == 0
    random_init = init_state(TrainConfig(forget_bias=None))
    assert np.all(np.abs(forget_bias_of(random_init.params)) <= 0.5)
    again = init_state(TrainConfig(forget_bias=4.0))
    for k, a in s.arrays().items():
        np.testing.assert_array_equal(a, again.arrays()[k])
    other = init_state(TrainConfig(forget_bias=4.0, seed=1))
    assert not np.array_equal(other.params.weight_hh, s.params.weight_hh)


def test_train_step_is_pure_and_updates_everything():
    cfg = TrainConfig(gap=5, hidden=4, batch=8)
    s0 = init_state(cfg)
    before = {k: a.copy() for k, a in s0.arrays().items()}
    batch = train_batch(cfg, 0)
    s1, m = train_step(s0, batch)
    assert isinstance(m, StepMetrics) and m.iteration == 1 and s1.iteration == 1 and s0.iteration == 0
    for k, a in s0.arrays().items():
        np.testing.assert_array_equal(a, before[k])  # the old state is untouched
        assert not np.array_equal(s1.arrays()[k], a), k  # Adam moves every array on its first step
    assert m.step_norms.shape == (6,) and np.all(np.isfinite(m.step_norms))
    assert 0.0 <= m.accuracy <= 1.0 and m.loss > 0
    s1b, m_b = train_step(s0, batch)  # deterministic
    for k, a in s1.arrays().items():
        np.testing.assert_array_equal(a, s1b.arrays()[k])


def test_train_step_clips_and_records_both_norms():
    cfg = TrainConfig(gap=5, hidden=4, batch=8, clip=1e-3)
    _, m = train_step(init_state(cfg), train_batch(cfg, 0))
    assert m.grad_norm_before > 1e-3 and m.clipped
    assert m.grad_norm_after == pytest.approx(1e-3, rel=1e-12)
    cfg = cfg.replace(clip=None)
    _, m2 = train_step(init_state(cfg), train_batch(cfg, 0))
    assert m2.grad_norm_after == m2.grad_norm_before == pytest.approx(m.grad_norm_before, rel=1e-14)
    assert not m2.clipped


def test_sgd_step_is_minus_lr_times_gradient():
    cfg = TrainConfig(gap=3, hidden=4, batch=4, optimizer="sgd", lr=0.1, momentum=0.9, clip=None)
    s0 = init_state(cfg)
    batch = train_batch(cfg, 0)
    _, _, grads, _ = gradients(s0.params, s0.readout, batch)
    s1, _ = train_step(s0, batch)
    for k, a in s0.arrays().items():
        np.testing.assert_allclose(s1.arrays()[k], a - 0.1 * grads[k], rtol=1e-13, atol=1e-15)


def test_evaluate_reports_accuracy_or_mse():
    cfg = TrainConfig(gap=5, hidden=4, test_size=64)
    ev = evaluate(init_state(cfg), held_out_batch(cfg))
    assert ev.mse is None and 0.0 <= ev.accuracy <= 1.0 and ev.loss > 0
    cfg = TrainConfig(task="adding", gap=5, hidden=4, test_size=64)
    ev = evaluate(init_state(cfg), held_out_batch(cfg))
    assert ev.accuracy is None and ev.mse == ev.loss > 0


def test_batches_are_seeded_by_seed_and_iteration_and_test_is_held_out():
    cfg = TrainConfig(gap=5)
    np.testing.assert_array_equal(train_batch(cfg, 3).x, train_batch(cfg, 3).x)
    assert not np.array_equal(train_batch(cfg, 3).x, train_batch(cfg, 4).x)
    assert not np.array_equal(train_batch(cfg, 3).x, train_batch(cfg.replace(seed=1), 3).x)
    test = held_out_batch(cfg)
    assert test.x.shape == (6, 512, 8)
    assert not np.array_equal(test.x[:, :32], train_batch(cfg, 0).x)


# ---- the loop ------------------------------------------------------------------------------------------------------

def test_train_yields_reports_and_stops_at_steps():
    cfg = TrainConfig(gap=3, hidden=4, steps=25, eval_every=10, test_size=32)
    reports = list(train(cfg))
    assert [p.iteration for p in reports] == [10, 20, 25]
    assert [p.done for p in reports] == [False, False, True] and reports[-1].reason == "steps"
    assert [p.losses.size for p in reports] == [10, 10, 5]
    assert all(isinstance(p, Progress) and p.step_norms.shape == (4,) for p in reports)
    assert all(p.grad_norms_before.shape == p.grad_norms_after.shape == p.losses.shape for p in reports)
    assert np.all(reports[0].grad_norms_after <= cfg.clip * (1 + 1e-12))
    secs = [p.seconds for p in reports]
    assert secs == sorted(secs) and secs[0] > 0
    json.dumps(reports[-1].row())  # JSON-ready


def test_train_exact_multiple_gives_one_final_report():
    reports = list(train(TrainConfig(gap=3, hidden=4, steps=20, eval_every=10, test_size=32)))
    assert [(p.iteration, p.done) for p in reports] == [(10, False), (20, True)]


def test_train_is_reproducible_and_resumable():
    cfg = TrainConfig(gap=4, hidden=4, steps=30, eval_every=10, test_size=32)
    a = list(train(cfg))[-1].state
    b = list(train(cfg))[-1].state
    for k, arr in a.arrays().items():
        np.testing.assert_array_equal(arr, b.arrays()[k])
    # stop after 10, resume from that state: the same 30 iterations
    first = next(iter(train(cfg)))
    resumed = list(train(cfg, state=first.state))[-1].state
    assert resumed.iteration == 30
    for k, arr in a.arrays().items():
        np.testing.assert_array_equal(arr, resumed.arrays()[k])
    with pytest.raises(ValueError, match="^state:"):
        next(train(cfg.replace(seed=1), state=first.state))


def test_train_stops_at_target_and_time():
    cfg = TrainConfig(gap=2, hidden=8, steps=5000, eval_every=10, test_size=64)
    last = list(train(cfg, stop_accuracy=0.0))[-1]  # any accuracy reaches 0: stop at the first report
    assert last.iteration == 10 and last.reason == "target"
    last = list(train(cfg, max_seconds=0.05))[-1]
    assert last.reason == "time" and last.iteration < 5000


def test_time_left_ends_the_run_by_the_deadline():
    """A caller's deadline (run_live shares one between both models): train stops before an iteration that, with the
    closing evaluation, would not end in time. A virtual clock (every reading 1 ms on) makes it exact."""
    ticks = itertools.count(0.0, 0.001)

    def clock() -> float:
        return next(ticks)

    cfg = TrainConfig(gap=2, hidden=4, steps=100_000, eval_every=10, test_size=32)
    reports = list(train(cfg, time_left=lambda: 0.5 - clock(), clock=clock))
    end = clock()
    assert reports[-1].reason == "time" and reports[-1].done
    assert 0.45 <= end <= 0.505, f"ended at {end:.3f} s of a 0.5 s deadline (a few readings after it: 3 ms)"
    assert reports[-1].iteration >= 50


def test_the_test_set_is_capped_so_one_evaluation_stays_within_200_mb():
    most = max_test_size(gap=200, hidden=128, input_size=8)  # the training lab's largest settings
    assert 50 <= most < 4096
    TrainConfig(gap=200, hidden=128, test_size=most)
    with pytest.raises(ValueError, match=rf"^test_size: got {most + 1} sequences, at most {most} at gap 200 with "
                                         r"H = 128 .* within 200 MB"):
        TrainConfig(gap=200, hidden=128, test_size=most + 1)
    assert max_test_size(gap=20, hidden=16, input_size=8) >= 4096, "the page's defaults allow its whole range"


EVAL_CHILD = r"""
import sys, tracemalloc
from lstm_core.train import TrainConfig, evaluate, init_state, max_test_size, test_batch
model, gap, hidden = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
cfg = TrainConfig(model=model, gap=gap, hidden=hidden, test_size=max_test_size(gap=gap, hidden=hidden, input_size=8))
state, batch = init_state(cfg), test_batch(cfg)
tracemalloc.start()
evaluate(state, batch)
print(tracemalloc.get_traced_memory()[1])
"""


@pytest.mark.parametrize("model, gap, hidden", [("lstm", 200, 128), ("rnn", 200, 128), ("lstm", 200, 16)])
def test_one_evaluation_of_the_largest_test_set_stays_within_200_mb(model, gap, hidden):
    """Measured in a fresh process (no recycled buffer hides an allocation); before the cap, 4,096 sequences at gap
    200 with H = 128 took 5.3 GB."""
    out = subprocess.run([sys.executable, "-c", EVAL_CHILD, model, str(gap), str(hidden)], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    peak = int(out.stdout.split()[-1])
    assert peak <= MAX_EVAL_BYTES, f"{peak / 1e6:.0f} MB"


def test_a_seconds_long_run_learns_gap_5():
    """The LSTM with the default settings solves remember-the-first at gap 5 in a few hundred iterations."""
    res = run(TrainConfig(gap=5, steps=600, eval_every=25), stop_accuracy=0.99)
    s = res.summary()
    assert s["accuracy"] >= 0.95, s
    assert s["test_loss"] < 0.5 and s["seconds_to_95"] is not None
    assert res.history[0]["iteration"] == 25


def test_rnn_learns_gap_5_with_little_noise():
    """A sanity check of the RNN path (with the default noise σ = 0.5 the RNN is slow even at gap 5)."""
    res = run(TrainConfig(gap=5, model="rnn", noise=0.1, steps=1500, eval_every=50), stop_accuracy=0.99)
    assert res.summary()["accuracy"] >= 0.95


def test_adding_problem_learns_short_gap():
    res = run(TrainConfig(task="adding", gap=5, steps=1500, eval_every=50), stop_mse=0.01)
    s = res.summary()
    assert s["mse"] < 0.05 < s["baseline_mse"], s


@pytest.mark.parametrize("kwargs, arg", [
    (dict(model="gru"), "model"), (dict(task="copy"), "task"), (dict(gap=-1), "gap"), (dict(hidden=0), "hidden"),
    (dict(hidden=10_000), "hidden"), (dict(batch=0), "batch"), (dict(lr=0.0), "lr"), (dict(lr=float("nan")), "lr"),
    (dict(clip=0.0), "clip"), (dict(truncate=0), "truncate"), (dict(optimizer="rmsprop"), "optimizer"),
    (dict(momentum=1.5, optimizer="sgd"), "momentum"), (dict(seed=-1), "seed"), (dict(steps=-5), "steps"),
    (dict(forget_bias=float("inf")), "forget_bias"), (dict(distractors="loud"), "distractors"),
    (dict(eval_every=0), "eval_every"), (dict(task="adding", gap=0), "gap"),
])
def test_config_errors_name_the_argument(kwargs, arg):
    with pytest.raises(ValueError, match=rf"^{arg}:"):
        TrainConfig(**kwargs)


def test_config_is_hashable_and_task_matches():
    cfg = TrainConfig(distractors="same")
    assert hash(cfg) == hash(TrainConfig(distractors="same"))
    assert cfg.make_task() == Task("remember-first", 50, dict(n_symbols=4, n_distractors=4, distractors="same",
                                                              noise=0.5))


# ---- command line --------------------------------------------------------------------------------------------------

def test_cli_json_parses(tmp_path):
    cmd = [sys.executable, "-m", "lstm_core.train", "--task", "remember-first", "--gap", "5", "--model", "lstm",
           "--hidden", "16", "--seed", "0", "--steps", "60", "--eval-every", "30", "--stop-accuracy", "none", "--json"]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    for key in ("task", "model", "gap", "steps", "seconds", "final_loss", "accuracy", "forget_bias", "noise"):
        assert key in data, key
    assert (data["task"], data["model"], data["gap"], data["steps"]) == ("remember-first", "lstm", 5, 60)
    assert 0.0 <= data["accuracy"] <= 1.0 and data["seconds"] > 0


def test_cli_adding_reports_mse(capsys):
    assert main(["--task", "adding", "--gap", "4", "--steps", "20", "--eval-every", "10", "--json",
                 "--optimizer", "sgd", "--lr", "0.05", "--clip", "none", "--truncate", "2", "--model", "rnn"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["task"] == "adding" and "mse" in data and "accuracy" not in data
    assert data["clip"] is None and data["truncate"] == 2 and data["forget_bias"] is None


@pytest.mark.parametrize("text, value", [("2.5", 2.5), ("0", 0.0), ("-1", -1.0), ("none", None)])
def test_cli_forget_bias_option(text, value, capsys):
    assert main(["--gap", "3", "--steps", "1", "--eval-every", "1", f"--forget-bias={text}", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["forget_bias"] == value


def test_cli_stops_early_by_default(capsys):
    assert main(["--gap", "3", "--eval-every", "25", "--json"]) == 0  # gap 3 is solved long before 5000 steps
    data = json.loads(capsys.readouterr().out)
    assert data["stopped"] == "target" and data["accuracy"] >= 0.99 and data["steps"] < 5000


@pytest.mark.parametrize("argv, needle", [
    (["--gap", "-3"], "gap"), (["--model", "gru"], "--model"), (["--lr", "0"], "lr"), (["--hidden", "0"], "hidden"),
    (["--clip", "abc"], "--clip"), (["--steps", "many"], "--steps"), (["--optimizer", "rmsprop"], "--optimizer"),
    (["--seconds", "-1"], "seconds"), (["--stop-accuracy", "nan"], "stop-accuracy"),
    (["--task", "adding", "--gap", "0"], "gap"), (["--bogus"], "--bogus"),
])
def test_cli_errors_are_clean(argv, needle, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv + ["--json"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "error:" in err and needle in err and "Traceback" not in err


def test_cli_error_in_a_real_process_has_no_traceback():
    out = subprocess.run([sys.executable, "-m", "lstm_core.train", "--gap", "-3", "--json"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and out.stdout == ""
    assert "gap" in out.stderr and "Traceback" not in out.stderr
