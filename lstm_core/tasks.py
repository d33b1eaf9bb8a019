"""Seeded training tasks with an adjustable gap: batches (T, B, D) with targets at the loss steps.

remember-first (classification, chance = 1/n_symbols)
    Step 0 shows one of ``n_symbols`` cue symbols (one-hot, noise-free); the next ``gap`` steps are distractors;
    after the last step the network must name the cue. T = gap + 1, the loss reads only the last step. Every
    distractor step also carries Gaussian noise N(0, noise²) on every channel (the cue step is clean). Distractor
    symbols:

    "separate"  one-hot symbols from a *separate* set of ``n_distractors`` channels (D = n_symbols + n_distractors).
                The default: a distractor step is then recognisable as one, so an LSTM can learn to close its input
                gate there and ignore the noise, which a tanh RNN, with no multiplicative gate, cannot.
    "same"      one-hot symbols from the cue's own set (D = n_symbols): every later step looks like a new cue, and
                the network must learn to ignore all but the first; much harder for both models.
    "noise"     no symbols, only the noise, on the cue channels (D = n_symbols).

    The default noise σ = 0.5 is the one that separates the models at gap 50 (training runs: bench/NOTES.md).

adding (regression, baseline MSE of always answering 1 = 1/6)
    Two channels: a value u_t ~ U(0, 1) and a marker that is 1 at exactly two steps; the target after the last step
    is the sum of the two marked values. T = gap + 1 (gap ≥ 1); the first marker is in the first half
    [0, ⌈T/2⌉), the second in the second half [⌈T/2⌉, T) (the setup of Le et al. 2015 / Arjovsky et al. 2016).

brackets (classification at every step, a counter; after Weiss, Goldberg & Yahav 2018)
    Three one-hot symbols "(", ")", "a" (D = 3). Every step is "(" with probability 1/3, ")" with 1/3 (only while a
    bracket is open) and "a" otherwise, and the depth never exceeds BRACKET_DEPTH (then ")" or "a"). After every step
    the network must name the bracket depth 0 … BRACKET_DEPTH: the loss reads all T = gap + 1 steps. A cell that adds
    on "(", subtracts on ")" and keeps its value on "a" (input gate open on brackets, forget gate near 1) solves it.

Every sampler is pure: the same (task, batch size, seed) gives the same batch. ``seed`` is anything
``np.random.default_rng`` accepts, e.g. an int or a tuple of ints such as (seed, iteration).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .validate import MAX_B, MAX_T, check_number, check_size, freeze

TASKS = ("remember-first", "adding", "brackets")
LONG_GAP_TASKS = ("remember-first", "adding")  # the tasks with one loss step after a gap
BRACKET_SYMBOLS = "()a"  # one-hot channels of the brackets task
BRACKET_DEPTH = 6  # deepest nesting of the brackets task: the classes are the depths 0 … 6
DISTRACTORS = ("separate", "same", "noise")


@dataclass(frozen=True, eq=False)
class TaskBatch:
    """One batch of a task. ``target`` is (S, B) int labels (classification) or (S, B, K) floats (regression)."""

    x: np.ndarray  # (T, B, D)
    target: np.ndarray
    steps: np.ndarray  # (S,) the steps the loss reads, in [0, T−1]
    kind: str  # "classification" | "regression"

    @property
    def T(self) -> int:
        return self.x.shape[0]

    @property
    def batch_size(self) -> int:
        return self.x.shape[1]


def _gap(gap, minimum: int) -> int:
    return check_size("gap", gap, MAX_T - 1, minimum=minimum)


def remember_first_batch(
    gap: int,
    batch_size: int,
    *,
    seed=0,
    n_symbols: int = 4,
    n_distractors: int = 4,
    distractors: str = "separate",
    noise: float = 0.5,
) -> TaskBatch:
    """A remember-the-first batch: x (gap+1, B, D), labels (1, B) = the cue at step 0, loss step T−1.

    ``noise``: σ of the Gaussian noise added to every channel at every distractor step (steps 1..gap).
    """
    gap = _gap(gap, 0)
    B = check_size("batch", batch_size, MAX_B)
    K = check_size("n_symbols", n_symbols, 32, minimum=2)
    if distractors not in DISTRACTORS:
        raise ValueError(f"distractors: got {distractors!r}, needs one of {list(DISTRACTORS)}")
    n_d = check_size("n_distractors", n_distractors, 32) if distractors == "separate" else 0
    noise = check_number("noise", noise, nonnegative=True)
    rng = np.random.default_rng(seed)
    T, D = gap + 1, K + n_d
    labels = rng.integers(0, K, size=B)
    x = np.zeros((T, B, D))
    x[0, np.arange(B), labels] = 1.0  # the cue, one-hot
    if gap and distractors != "noise":
        offset = K if distractors == "separate" else 0
        sym = rng.integers(0, n_d or K, size=(gap, B))  # (gap, B) distractor symbols
        t_idx, b_idx = np.meshgrid(np.arange(1, T), np.arange(B), indexing="ij")
        x[t_idx, b_idx, offset + sym] = 1.0
    if gap and noise > 0:
        x[1:] += rng.normal(0.0, float(noise), size=(gap, B, D))
    target = labels[None, :].astype(np.intp)  # (1, B)
    steps = np.array([T - 1], dtype=np.intp)
    freeze(x, target, steps)
    return TaskBatch(x=x, target=target, steps=steps, kind="classification")


def adding_batch(gap: int, batch_size: int, *, seed=0) -> TaskBatch:
    """An adding-problem batch: x (gap+1, B, 2) = [value, marker], targets (1, B, 1) = the sum of the marked values."""
    gap = _gap(gap, 1)
    B = check_size("batch", batch_size, MAX_B)
    rng = np.random.default_rng(seed)
    T = gap + 1
    half = (T + 1) // 2
    x = np.zeros((T, B, 2))
    x[:, :, 0] = rng.uniform(0.0, 1.0, size=(T, B))
    first = rng.integers(0, half, size=B)
    second = rng.integers(half, T, size=B)
    b = np.arange(B)
    x[first, b, 1] = 1.0
    x[second, b, 1] = 1.0
    target = (x[first, b, 0] + x[second, b, 0])[None, :, None]  # (1, B, 1)
    steps = np.array([T - 1], dtype=np.intp)
    freeze(x, target, steps)
    return TaskBatch(x=x, target=target, steps=steps, kind="regression")


def brackets_batch(gap: int, batch_size: int, *, seed=0) -> TaskBatch:
    """A brackets batch: x (gap+1, B, 3) one-hot "(", ")", "a"; labels (T, B) = the depth after every step."""
    gap = _gap(gap, 0)
    B = check_size("batch", batch_size, MAX_B)
    rng = np.random.default_rng(seed)
    T = gap + 1
    u = rng.random((T, B))
    symbols = np.empty((T, B), dtype=np.intp)
    depth = np.empty((T, B), dtype=np.intp)
    d = np.zeros(B, dtype=np.intp)
    for t in range(T):  # 0 = "(", 1 = ")", 2 = "a"
        s = np.where(u[t] < 1 / 3, 0, np.where(u[t] < 2 / 3, 1, 2))
        s = np.where((s == 0) & (d == BRACKET_DEPTH), 2, s)  # no deeper than BRACKET_DEPTH
        s = np.where((s == 1) & (d == 0), 2, s)  # no ")" without an open "("
        d = d + (s == 0) - (s == 1)
        symbols[t], depth[t] = s, d
    x = np.zeros((T, B, 3))
    t_idx, b_idx = np.meshgrid(np.arange(T), np.arange(B), indexing="ij")
    x[t_idx, b_idx, symbols] = 1.0
    steps = np.arange(T, dtype=np.intp)
    freeze(x, depth, steps)
    return TaskBatch(x=x, target=depth, steps=steps, kind="classification")


@dataclass(frozen=True)
class Task:
    """A task and its options: ``sample(batch_size, seed)`` draws a TaskBatch; sizes and baselines for the UI."""

    name: str  # one of TASKS
    gap: int
    options: dict = field(default_factory=dict)  # remember-first: n_symbols, n_distractors, distractors, noise

    def __post_init__(self) -> None:
        if self.name not in TASKS:
            raise ValueError(f"task: got {self.name!r}, needs one of {list(TASKS)}")
        allowed = ("n_symbols", "n_distractors", "distractors", "noise") if self.name == "remember-first" else ()
        bad = sorted(set(self.options) - set(allowed))
        if bad:
            raise ValueError(f"{bad[0]}: not an option of task {self.name!r}, which takes {list(allowed)}")
        self.sample(1, seed=0)  # validates gap and options with the samplers' own messages

    def sample(self, batch_size: int, seed=0) -> TaskBatch:
        if self.name == "remember-first":
            return remember_first_batch(self.gap, batch_size, seed=seed, **self.options)
        if self.name == "brackets":
            return brackets_batch(self.gap, batch_size, seed=seed)
        return adding_batch(self.gap, batch_size, seed=seed)

    @property
    def kind(self) -> str:
        return "regression" if self.name == "adding" else "classification"

    @property
    def T(self) -> int:
        return self.gap + 1

    @property
    def n_symbols(self) -> int:
        return self.options.get("n_symbols", 4)

    @property
    def input_size(self) -> int:
        if self.name == "adding":
            return 2
        if self.name == "brackets":
            return len(BRACKET_SYMBOLS)
        separate = self.options.get("distractors", "separate") == "separate"
        return self.n_symbols + (self.options.get("n_distractors", 4) if separate else 0)

    @property
    def output_size(self) -> int:
        return {"remember-first": self.n_symbols, "brackets": BRACKET_DEPTH + 1}.get(self.name, 1)

    @property
    def chance(self) -> float:
        """Accuracy of guessing uniformly (classification) or MSE of always answering the mean 1 (adding: Var = 2/12)."""
        if self.name == "adding":
            return 1.0 / 6.0
        return 1.0 / self.output_size
