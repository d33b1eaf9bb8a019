"""The bracket counter: train an LSTM on the brackets task (lstm_core.tasks) and find the unit whose cell counts.

After training, the test sequences are run once more; the counter is the unit whose cell state c_t has the largest
|Pearson r| with the bracket depth after step t (over every step of every test sequence). Its gate pattern is the
mean of each gate at the steps that read "(", ")" and "a": a counting cell opens its input gate on the brackets (to
add +g or −g) and keeps its forget gate near 1 (to keep the count).

COUNTER is the configuration the training lab uses (H = 8, Adam 1e-2, forget bias 4, T = 40); how many iterations
and seconds it needs to reach test accuracy 0.99 for seeds 0–9: bench/NOTES.md (the unit test checks seeds 0–2
within 1,500 iterations).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .codefeatures import unit_correlations
from .lstm import lstm_forward
from .params import GATES
from .tasks import BRACKET_SYMBOLS, TaskBatch
from .train import TrainConfig

COUNTER = TrainConfig(task="brackets", gap=39, hidden=8, lr=1e-2, forget_bias=4.0, batch=32, steps=100_000,
                      eval_every=25, test_size=256)
COUNTER_SECONDS = 30  # the training lab's budget for it


@dataclass(frozen=True, eq=False)
class Counter:
    """The unit whose cell counts, and what it does."""

    unit: int
    r: float  # Pearson r of its c with the depth, over every step of every test sequence
    r_all: np.ndarray  # (H,) every unit's r
    gate_means: dict  # symbol -> {gate -> mean value at the steps reading that symbol}
    symbols: str  # the first test sequence, as "(", ")", "a"
    depth: np.ndarray  # (T,) its depth after every step
    states: dict  # "c", "i", "f", "g", "o" -> (T,) the counter unit's values on that sequence


def find_counter(params, batch: TaskBatch) -> Counter:
    """The counting unit of ``params`` (LSTMParams trained on brackets) on ``batch`` (a brackets TaskBatch)."""
    trace = lstm_forward(params, batch.x)
    H = params.hidden_size
    depth = batch.target.astype(float)  # (T, B)
    r_all = unit_correlations(depth.ravel(), trace.c.reshape(-1, H))
    unit = int(np.nanargmax(np.abs(r_all)))
    which = batch.x.argmax(axis=-1)  # (T, B) symbol index
    gate_means = {s: {g: float(getattr(trace, g)[..., unit][which == k].mean()) if np.any(which == k) else float("nan")
                      for g in GATES} for k, s in enumerate(BRACKET_SYMBOLS)}
    return Counter(unit=unit, r=float(r_all[unit]), r_all=r_all, gate_means=gate_means,
                   symbols="".join(BRACKET_SYMBOLS[k] for k in which[:, 0]), depth=depth[:, 0],
                   states={q: np.array(getattr(trace, q)[:, 0, unit]) for q in ("c", *GATES)})
