"""Training an LSTM or a tanh RNN with a linear readout on a long-gap task, step by step, in NumPy.

One iteration (``train_step``) on a batch x (T, B, D):

    trace = forward(params, x)                              every gate and state of every step
    y     = W_y h_t + b_y at the loss steps                 (S, B, K)
    L, dy = cross-entropy (remember-first) or MSE (adding)  means over the batch
    dh    = W_yᵀ dy at the loss steps, 0 elsewhere          the loss's direct ∂L/∂h_t
    grads = backward(params, trace, dh, truncate=k)         full BPTT, or truncated to windows of k steps
    clip the global norm to ``clip`` (norms before and after are recorded), then one Adam / SGD-momentum update

Use it three ways:

- ``train_step(state, batch) -> (state, StepMetrics)``: pure; the page can drive it one click at a time.
- ``train(config)``: a generator yielding a ``Progress`` every ``config.eval_every`` iterations (test metrics,
  per-iteration losses and gradient norms of the window, per-step gradient norms ‖dL/dc_t‖ / ‖dL/dh_t‖), so a page
  can draw live and stop by simply not asking for more.
- ``run(config) -> TrainResult`` and the command line::

    python -m lstm_core.train --task remember-first --gap 50 --model lstm --hidden 16 --seed 0 --json

``--task chars`` trains the text lab's character model instead (lstm_core/chartrain.py).

Everything is reproducible from ``config.seed``: the weights, the training batch of iteration n (seed
(seed, 1, n)) and the held-out test batch (seed (seed, 2)).

Defaults are the ones that work (calibrated with H = 16, batch 32, gap 50): distractors from a separate symbol set
with Gaussian noise σ = 0.5 on every channel, Adam 5e-3, clipping at 1, and a forget-gate bias of 4 for the LSTM,
which keeps f ≈ σ(4) ≈ 0.98 at the start so that the cue survives 50 steps in c (0.98⁵⁰ ≈ 0.36) and its gradient
survives the way back. The training runs behind these choices, and how to repeat them: bench/NOTES.md.
"""

from __future__ import annotations

import argparse
import functools
import json
import numbers
import sys
import time
from dataclasses import asdict, dataclass
from typing import Callable, Iterator

import numpy as np

from .analysis import unit_norms
from .lstm import LSTMParams, lstm_backward, lstm_forward
from .optim import OPTIMIZERS, AdamState, Clipped, SGDState, clip_by_global_norm, make_optimizer
from .params import RNNParams, init_lstm, init_rnn, param_arrays
from .readout import Readout, init_readout, mse, readout_backward, readout_forward, softmax_cross_entropy
from .rnn import rnn_backward, rnn_forward
from .tasks import DISTRACTORS, TASKS, Task, TaskBatch
from .validate import MAX_B, MAX_H, MAX_T, check_number, check_size

TRAINABLE_MODELS = ("lstm", "rnn")  # TrainConfig.model
READOUT_PREFIX = "readout."
MAX_EVAL_BYTES = 200 * 10**6  # one test evaluation (a forward pass over the whole test set) stays within this


def eval_bytes(*, gap: int, hidden: int, input_size: int, test_size: int) -> int:
    """An upper bound on the memory one test evaluation takes: the forward pass records every step of every test
    sequence, (T + 1) steps × test_size × (12H + 2D + 8) float64 (every gate before and after its nonlinearity, c,
    tanh c and h, the inputs twice; the implementation takes about half of this)."""
    return 8 * (gap + 2) * test_size * (12 * hidden + 2 * input_size + 8)


def max_test_size(*, gap: int, hidden: int, input_size: int) -> int:
    """The largest test set whose evaluation stays within MAX_EVAL_BYTES (at least 1 sequence)."""
    return max(1, MAX_EVAL_BYTES // eval_bytes(gap=gap, hidden=hidden, input_size=input_size, test_size=1))


# ---- configuration -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run; hashable (usable as a cache key). Validated on construction."""

    task: str = "remember-first"  # "remember-first" | "adding"
    gap: int = 50  # distractor steps between the information and the readout; T = gap + 1
    model: str = "lstm"  # "lstm" | "rnn"
    hidden: int = 16  # H
    batch: int = 32  # B, sequences per training iteration
    steps: int = 5000  # maximum number of training iterations
    optimizer: str = "adam"  # "adam" | "sgd" (with momentum)
    lr: float = 5e-3
    momentum: float = 0.9  # SGD only
    clip: float | None = 1.0  # max global gradient norm; None = no clipping
    truncate: int | None = None  # truncated BPTT window k; None = full BPTT
    forget_bias: float | None = 4.0  # initial total forget-gate bias (LSTM only); None = PyTorch's random init
    seed: int = 0
    test_size: int = 512  # held-out sequences for test accuracy / MSE
    eval_every: int = 50  # iterations between reports (test evaluation)
    distractors: str = "separate"  # remember-first: "separate" | "same" | "noise"
    n_symbols: int = 4  # remember-first: number of cue classes
    n_distractors: int = 4  # remember-first, "separate": number of distractor symbols
    noise: float = 0.5  # remember-first: σ of the Gaussian noise on every channel at the distractor steps

    def __post_init__(self) -> None:
        if self.model not in TRAINABLE_MODELS:
            raise ValueError(f"model: got {self.model!r}, needs one of {list(TRAINABLE_MODELS)}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer: got {self.optimizer!r}, needs one of {list(OPTIMIZERS)}")
        check_size("hidden", self.hidden, MAX_H)
        check_size("batch", self.batch, MAX_B)
        check_size("steps", self.steps, 10_000_000, minimum=0)
        check_size("test_size", self.test_size, MAX_B)
        check_size("eval_every", self.eval_every, 1_000_000)
        if self.seed is None or isinstance(self.seed, bool) or not isinstance(self.seed, numbers.Integral) \
                or self.seed < 0:
            raise ValueError(f"seed: got {self.seed!r}, needs a whole number >= 0")
        if self.truncate is not None:
            check_size("truncate", self.truncate, MAX_T)
        if self.clip is not None:
            check_number("clip", self.clip, positive=True)
        if self.forget_bias is not None:
            check_number("forget_bias", self.forget_bias)
        make_optimizer(self.optimizer, self.lr, momentum=self.momentum)  # checks lr, momentum
        task = self.make_task()  # checks task, gap and the task options
        most = max_test_size(gap=self.gap, hidden=self.hidden, input_size=task.input_size)
        if self.test_size > most:
            raise ValueError(
                f"test_size: got {self.test_size} sequences, at most {most} at gap {self.gap} with H = {self.hidden} "
                f"(one test evaluation records every step of every sequence and must stay within "
                f"{MAX_EVAL_BYTES // 10**6} MB); use fewer test sequences, a shorter gap or a smaller H")

    def make_task(self) -> Task:
        """The task (with its options) this config trains on."""
        return _task_of(self)

    def replace(self, **changes) -> TrainConfig:
        return TrainConfig(**{**asdict(self), **changes})


@functools.lru_cache(maxsize=64)
def _task_of(config: TrainConfig) -> Task:
    opts = {}
    if config.task == "remember-first":
        opts = dict(n_symbols=config.n_symbols, n_distractors=config.n_distractors, distractors=config.distractors,
                    noise=config.noise)
    return Task(config.task, config.gap, opts)


# ---- state ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class TrainState:
    """Model, readout and optimiser state after ``iteration`` training iterations under ``config``."""

    config: TrainConfig
    params: LSTMParams | RNNParams
    readout: Readout
    opt_state: AdamState | SGDState
    iteration: int = 0

    def arrays(self) -> dict[str, np.ndarray]:
        """All trainable arrays by name: the recurrent ones (PyTorch names) and "readout.weight", "readout.bias"."""
        return _arrays(self.params, self.readout)


def _arrays(params, readout: Readout) -> dict[str, np.ndarray]:
    out = dict(param_arrays(params))
    out[READOUT_PREFIX + "weight"] = readout.weight
    out[READOUT_PREFIX + "bias"] = readout.bias
    return out


def _split(arrays: dict[str, np.ndarray], model_type) -> tuple[LSTMParams | RNNParams, Readout]:
    rec = {k: v for k, v in arrays.items() if not k.startswith(READOUT_PREFIX)}
    return model_type(**rec), Readout(weight=arrays[READOUT_PREFIX + "weight"], bias=arrays[READOUT_PREFIX + "bias"])


def init_state(config: TrainConfig) -> TrainState:
    """Seeded initial weights (the LSTM's forget-gate bias set to ``config.forget_bias``), zero optimiser state."""
    task = config.make_task()
    D, H = task.input_size, config.hidden
    if config.model == "lstm":
        params = init_lstm(D, H, seed=config.seed, forget_bias=config.forget_bias)
    else:
        params = init_rnn(D, H, seed=config.seed)
    readout = init_readout(H, task.output_size, seed=(config.seed, 3))
    opt = make_optimizer(config.optimizer, config.lr, momentum=config.momentum)
    return TrainState(config=config, params=params, readout=readout, opt_state=opt.init(_arrays(params, readout)))


def train_batch(config: TrainConfig, iteration: int) -> TaskBatch:
    """The training batch of iteration ``iteration`` (0-based): seed (config.seed, 1, iteration)."""
    return config.make_task().sample(config.batch, seed=(config.seed, 1, iteration))


def test_batch(config: TrainConfig) -> TaskBatch:
    """The held-out batch of ``config.test_size`` sequences: seed (config.seed, 2), never used for training."""
    return config.make_task().sample(config.test_size, seed=(config.seed, 2))


test_batch.__test__ = False  # not a pytest test


# ---- one iteration -------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class StepMetrics:
    """What one training iteration measured (on its training batch, before the update)."""

    iteration: int  # 1-based: the number of updates done after this step
    loss: float
    accuracy: float | None  # classification: fraction of the batch right; regression: None
    grad_norm_before: float  # global gradient norm from backward
    grad_norm_after: float  # after clipping (what the optimiser was given)
    step_norms: np.ndarray  # (T,) batch mean of ‖dL/dc_t‖ (LSTM) or ‖dL/dh_t‖ (RNN)

    @property
    def clipped(self) -> bool:
        return self.grad_norm_after < self.grad_norm_before


def _forward(params, x):
    return lstm_forward(params, x) if isinstance(params, LSTMParams) else rnn_forward(params, x)


def _loss(batch: TaskBatch, y: np.ndarray) -> tuple[float, np.ndarray]:
    if batch.kind == "classification":
        return softmax_cross_entropy(y, batch.target)
    return mse(y, batch.target)


def _accuracy(batch: TaskBatch, y: np.ndarray) -> float | None:
    if batch.kind != "classification":
        return None
    return float(np.mean(np.argmax(y, axis=-1) == batch.target))


def gradients(params, readout: Readout, batch: TaskBatch, *, truncate: int | None = None):
    """Loss and exact gradients (no clipping) for one batch.

    Returns (loss, y (S, B, K), grads dict keyed like ``TrainState.arrays()``, step_norms (T,)).
    """
    trace = _forward(params, batch.x)
    y = readout_forward(readout, trace.h, batch.steps)  # (S, B, K)
    loss, dy = _loss(batch, y)
    d_readout, dh = readout_backward(readout, trace.h, batch.steps, dy)  # dh: W_yᵀ dy at the loss steps
    if isinstance(params, LSTMParams):
        g = lstm_backward(params, trace, dh, truncate=truncate)
        carried = g.dc  # (T, B, H) dL/dc_t
    else:
        g = rnn_backward(params, trace, dh, truncate=truncate)
        carried = g.dh  # (T, B, H) dL/dh_t
    step_norms = unit_norms(carried).mean(axis=1)  # (T,): finite even where the squares would overflow
    step_norms.flags.writeable = False
    return loss, y, _arrays(g.params, d_readout), step_norms


def train_step(state: TrainState, batch: TaskBatch) -> tuple[TrainState, StepMetrics]:
    """One iteration: forward, loss, BPTT (``config.truncate``), clip (``config.clip``), optimiser update.

    Pure: ``state`` and ``batch`` are not modified; returns the new state and what was measured.
    """
    cfg = state.config
    loss, y, grads, step_norms = gradients(state.params, state.readout, batch, truncate=cfg.truncate)
    clipped: Clipped = clip_by_global_norm(grads, cfg.clip)
    opt = make_optimizer(cfg.optimizer, cfg.lr, momentum=cfg.momentum)
    new_arrays, new_opt = opt.update(state.arrays(), clipped.grads, state.opt_state)
    params, readout = _split(new_arrays, type(state.params))
    new_state = TrainState(config=cfg, params=params, readout=readout, opt_state=new_opt,
                           iteration=state.iteration + 1)
    metrics = StepMetrics(
        iteration=new_state.iteration, loss=loss, accuracy=_accuracy(batch, y),
        grad_norm_before=clipped.norm_before, grad_norm_after=clipped.norm_after, step_norms=step_norms,
    )
    return new_state, metrics


@dataclass(frozen=True)
class Evaluation:
    """Loss and accuracy (classification) or MSE (regression) on a batch, without any update."""

    loss: float
    accuracy: float | None
    mse: float | None


def evaluate(state: TrainState, batch: TaskBatch) -> Evaluation:
    """Forward only: the readout's loss and accuracy / MSE on ``batch`` (e.g. ``test_batch(config)``)."""
    trace = _forward(state.params, batch.x)
    y = readout_forward(state.readout, trace.h, batch.steps)
    loss, _ = _loss(batch, y)
    if batch.kind == "classification":
        return Evaluation(loss=loss, accuracy=_accuracy(batch, y), mse=None)
    return Evaluation(loss=loss, accuracy=None, mse=loss)


# ---- the loop ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Progress:
    """A report from ``train``: the window of iterations since the previous report, then a test evaluation."""

    iteration: int  # updates done so far
    seconds: float  # compute time so far (training + evaluation; time the consumer holds the generator excluded)
    train_loss: float  # mean training loss over the window
    test: Evaluation
    losses: np.ndarray  # (n,) training loss of each iteration of the window
    grad_norms_before: np.ndarray  # (n,) global gradient norm of each iteration, from backward
    grad_norms_after: np.ndarray  # (n,) after clipping
    step_norms: np.ndarray  # (T,) per-step ‖dL/dc_t‖ (LSTM) / ‖dL/dh_t‖ (RNN) of the window's last iteration
    state: TrainState
    done: bool = False
    reason: str = ""  # when done: "steps" | "time" | "target"

    def row(self) -> dict:
        """Scalars only, JSON-ready."""
        return dict(iteration=self.iteration, seconds=round(self.seconds, 4), train_loss=self.train_loss,
                    test_loss=self.test.loss, accuracy=self.test.accuracy, mse=self.test.mse,
                    grad_norm_before=float(self.grad_norms_before[-1]) if self.grad_norms_before.size else None,
                    grad_norm_after=float(self.grad_norms_after[-1]) if self.grad_norms_after.size else None)


def _reached(ev: Evaluation, stop_accuracy: float | None, stop_mse: float | None) -> bool:
    if ev.accuracy is not None and stop_accuracy is not None:
        return ev.accuracy >= stop_accuracy
    if ev.mse is not None and stop_mse is not None:
        return ev.mse <= stop_mse
    return False


def train(
    config: TrainConfig,
    *,
    state: TrainState | None = None,
    max_seconds: float | None = None,
    time_left: Callable[[], float] | None = None,
    stop_accuracy: float | None = None,
    stop_mse: float | None = None,
    clock=time.perf_counter,
) -> Iterator[Progress]:
    """Train from ``state`` (default: ``init_state(config)``), yielding a Progress every ``config.eval_every``
    iterations and a last one with ``done=True``.

    Stops after ``config.steps`` iterations in total, after ``max_seconds`` of compute, or once the test accuracy
    reaches ``stop_accuracy`` (the test MSE falls to ``stop_mse`` for regression), checked at each report. A caller
    may also just stop iterating. Resuming from a Progress's state continues the same batch sequence.
    ``time_left``: a caller's deadline, as the seconds it still gives this run (asked before every iteration; time
    the caller holds the generator counts). The run stops (reason "time") when that is less than the next iteration
    and the closing evaluation take (the last ones measured), so it ends by the deadline, not one report after it
    (unless its very first iteration is longer than the time given).
    ``clock``: the time source for ``seconds`` and ``max_seconds`` (wall time by default; ``time.process_time``
    gives CPU time, which a busy machine does not inflate).
    """
    if max_seconds is not None:
        check_number("max_seconds", max_seconds, positive=True)
    state = init_state(config) if state is None else state
    if state.config != config:
        raise ValueError("state: was made with a different config")
    test = test_batch(config)
    elapsed = 0.0
    t0 = clock()
    window: list[StepMetrics] = []
    last_norms = np.zeros(config.gap + 1)
    step_seconds = eval_seconds = 0.0  # the last iteration's and the last evaluation's duration

    def stop_reason() -> str:
        if state.iteration >= config.steps:
            return "steps"
        if max_seconds is not None and elapsed + clock() - t0 >= max_seconds:
            return "time"
        if time_left is not None:
            # before the first evaluation is measured: a forward pass over the test set costs at most about half an
            # iteration per batch of test sequences (forward and backward; measured 0.1–0.5 across the lab's sizes)
            evaluation = eval_seconds or step_seconds * config.test_size / config.batch / 2
            if time_left() <= step_seconds + evaluation:
                return "time"
        return ""

    reason = stop_reason()
    while True:
        if not reason:
            started = clock()
            state, m = train_step(state, train_batch(config, state.iteration))
            step_seconds = clock() - started
            window.append(m)
            last_norms = m.step_norms
            reason = stop_reason()
        if reason or len(window) >= config.eval_every:
            started = clock()
            ev = evaluate(state, test)
            eval_seconds = clock() - started
            if not reason and _reached(ev, stop_accuracy, stop_mse):
                reason = "target"
            losses = np.array([m.loss for m in window])
            elapsed += clock() - t0
            yield Progress(
                iteration=state.iteration, seconds=elapsed,
                train_loss=float(losses.mean()) if losses.size else ev.loss, test=ev, losses=losses,
                grad_norms_before=np.array([m.grad_norm_before for m in window]),
                grad_norms_after=np.array([m.grad_norm_after for m in window]),
                step_norms=last_norms, state=state, done=bool(reason), reason=reason,
            )
            if reason:
                return
            window = []
            t0 = clock()


@dataclass(frozen=True, eq=False)
class TrainResult:
    """Summary of a finished run; ``summary()`` is the command line's JSON object."""

    config: TrainConfig
    final: Progress
    history: tuple[dict, ...]  # Progress.row() of every report
    seconds_to_95: float | None  # compute seconds at the first report with test accuracy >= 0.95 (None: never)
    iterations_to_95: int | None

    def summary(self) -> dict:
        c, f = self.config, self.final
        task = c.make_task()
        out = dict(
            task=c.task, model=c.model, gap=c.gap, hidden=c.hidden, seed=c.seed, batch=c.batch,
            optimizer=c.optimizer, lr=c.lr, clip=c.clip, truncate=c.truncate,
            forget_bias=c.forget_bias if c.model == "lstm" else None,
            steps=f.iteration, max_steps=c.steps, seconds=round(f.seconds, 3), stopped=f.reason,
            final_loss=f.train_loss, test_loss=f.test.loss,
        )
        if task.kind == "classification":
            out.update(accuracy=f.test.accuracy, chance=task.chance, distractors=c.distractors, noise=c.noise,
                       seconds_to_95=self.seconds_to_95, iterations_to_95=self.iterations_to_95)
        else:
            out.update(mse=f.test.mse, baseline_mse=task.chance)
        return out


def run(config: TrainConfig, *, max_seconds: float | None = None, stop_accuracy: float | None = None,
        stop_mse: float | None = None, on_progress=None, clock=time.perf_counter) -> TrainResult:
    """Train to the end (see ``train``) and summarise; ``on_progress(Progress)`` is called at every report."""
    history, s95, i95, last = [], None, None, None
    for p in train(config, max_seconds=max_seconds, stop_accuracy=stop_accuracy, stop_mse=stop_mse, clock=clock):
        history.append(p.row())
        if s95 is None and p.test.accuracy is not None and p.test.accuracy >= 0.95:
            s95, i95 = p.seconds, p.iteration
        if on_progress is not None:
            on_progress(p)
        last = p
    return TrainResult(config=config, final=last, history=tuple(history), seconds_to_95=s95, iterations_to_95=i95)


# ---- command line --------------------------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse's own errors: usage + message, exit 2, no traceback
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n")


def _optional_float(text: str) -> float | None:
    """A number, or None for 'none' / 'off'."""
    if text.lower() in ("none", "off"):
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}, needs a number or 'none'") from None


def _clip_norm(text: str) -> float | None:
    """--clip: a number, or None (no clipping) for 'none' / 'off' / 0."""
    value = _optional_float(text)
    return None if value == 0 else value


def _optional_int(text: str) -> int | None:
    """--truncate: a whole number, or None (full BPTT) for 'none' / 'off' / 0."""
    if text.lower() in ("none", "off", "0"):
        return None
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"got {text!r}, needs a whole number or 'none'") from None


def _task_arguments(args: list[str]) -> list[str]:
    """The values given to --task ("--task X" or "--task=X")."""
    out = [b for a, b in zip(args, args[1:]) if a == "--task"]
    return out + [a.split("=", 1)[1] for a in args if a.startswith("--task=")]


def build_parser() -> argparse.ArgumentParser:
    d = TrainConfig()
    p = _Parser(prog="python -m lstm_core.train",
                description="Train an LSTM or a tanh RNN (NumPy) on a long-gap task and report test accuracy.")
    p.add_argument("--task", choices=TASKS, default=d.task,
                   help="a long-gap task; '--task chars' trains the character model instead (its own options: "
                        "python -m lstm_core.train --task chars --help)")
    p.add_argument("--gap", type=int, default=d.gap, help="distractor steps before the readout (T = gap + 1)")
    p.add_argument("--model", choices=TRAINABLE_MODELS, default=d.model)
    p.add_argument("--hidden", type=int, default=d.hidden, help="hidden size H")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--steps", type=int, default=d.steps, help="maximum training iterations")
    p.add_argument("--seconds", type=float, default=None, help="time budget in seconds (default: none)")
    p.add_argument("--stop-accuracy", type=_optional_float, default=0.99,
                   help="stop once test accuracy reaches this (remember-first; default 0.99), or 'none'")
    p.add_argument("--stop-mse", type=float, default=None, help="stop once test MSE falls to this (adding)")
    p.add_argument("--batch", type=int, default=d.batch)
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=d.optimizer)
    p.add_argument("--lr", type=float, default=d.lr, help="learning rate")
    p.add_argument("--momentum", type=float, default=d.momentum, help="SGD momentum")
    p.add_argument("--clip", type=_clip_norm, default=d.clip,
                   help="max global gradient norm, or 'none' (also 0) for no clipping")
    p.add_argument("--truncate", type=_optional_int, default=d.truncate,
                   help="truncated BPTT window in steps, or 'none' (also 0) for full BPTT")
    p.add_argument("--forget-bias", type=_optional_float, default=d.forget_bias,
                   help="initial forget-gate bias of the LSTM, or 'none' for PyTorch's random init")
    p.add_argument("--distractors", choices=DISTRACTORS, default=d.distractors,
                   help="remember-first: distractor symbols from a separate set, the cue's own set, or none")
    p.add_argument("--noise", type=float, default=d.noise,
                   help="remember-first: σ of the Gaussian noise on every channel at the distractor steps")
    p.add_argument("--test-size", type=int, default=d.test_size)
    p.add_argument("--eval-every", type=int, default=d.eval_every)
    p.add_argument("--json", action="store_true", help="print one JSON object instead of progress lines")
    return p


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if "chars" in _task_arguments(args):  # the character model has its own options: lstm_core/chartrain.py
        from . import chartrain
        return chartrain.main(args)
    parser = build_parser()
    a = parser.parse_args(argv)
    try:
        if a.seconds is not None:
            check_number("seconds", a.seconds, positive=True)
        for name, v in (("stop-accuracy", a.stop_accuracy), ("stop-mse", a.stop_mse)):
            if v is not None:
                check_number(name, v)
        config = TrainConfig(
            task=a.task, gap=a.gap, model=a.model, hidden=a.hidden, batch=a.batch, steps=a.steps,
            optimizer=a.optimizer, lr=a.lr, momentum=a.momentum, clip=a.clip, truncate=a.truncate,
            forget_bias=a.forget_bias, seed=a.seed, test_size=a.test_size, eval_every=a.eval_every,
            distractors=a.distractors, noise=a.noise,
        )
    except ValueError as exc:
        parser.error(str(exc))

    def show(p: Progress) -> None:
        metric = f"accuracy {p.test.accuracy:.3f}" if p.test.accuracy is not None else f"mse {p.test.mse:.4f}"
        print(f"iter {p.iteration:6d}  {p.seconds:7.2f}s  loss {p.train_loss:.4f}  test {metric}  "
              f"|g| {p.row()['grad_norm_before'] or 0:.3g}", file=sys.stderr if a.json else sys.stdout, flush=True)

    try:
        result = run(config, max_seconds=a.seconds, stop_accuracy=a.stop_accuracy, stop_mse=a.stop_mse,
                     on_progress=None if a.json else show)
    except KeyboardInterrupt:
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130
    summary = result.summary()
    if a.json:
        print(json.dumps(summary))
    else:
        print(", ".join(f"{k}={v}" for k, v in summary.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
