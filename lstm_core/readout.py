"""A linear readout on the hidden states at chosen steps, and the two training losses.

    y_t = W_y h_t + b_y                 for t in ``steps``           (S, B, K)
    dW_y = Σ_{t,b} dy_t h_tᵀ   db_y = Σ_{t,b} dy_t   ∂L/∂h_t = W_yᵀ dy_t at the loss steps, 0 elsewhere

The last line is the ``dh`` that ``lstm_backward`` / ``rnn_backward`` take: the loss's *direct* gradient on h_t.

Losses (means, as torch's ``CrossEntropyLoss`` / ``MSELoss`` with reduction="mean"):

    softmax cross-entropy   L = −(1/N) Σ_n log softmax(y_n)[label_n]      ∂L/∂y_n = (softmax(y_n) − e_label) / N
    mean squared error      L = (1/M) Σ (y − target)²                     ∂L/∂y   = 2 (y − target) / M

with N = S·B predictions and M = S·B·K output values.

A per-step readout (a language model: every step predicts the next symbol) is the same readout at every step:
``next_symbol_loss`` reads all T steps, L = −(1/(T·B)) Σ_{t,b} log softmax(W_y h_t + b_y)[label_t].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .validate import MAX_H, as_float_array, check_size, frozen_copy

MAX_K = 256  # largest number of readout outputs (a character model has one per symbol of its vocabulary)


@dataclass(frozen=True, eq=False)
class Readout:
    """Linear readout weights: y = W_y h + b_y. Read-only float64 copies, validated on construction."""

    weight: np.ndarray  # (K, H)  W_y
    bias: np.ndarray  # (K,)    b_y

    def __post_init__(self) -> None:
        w = as_float_array(self.weight, "Readout.weight", ndim=2)
        b = as_float_array(self.bias, "Readout.bias", ndim=1)
        check_size("readout outputs K", w.shape[0], MAX_K)
        check_size("hidden size H", w.shape[1], MAX_H)
        if b.shape != (w.shape[0],):
            raise ValueError(f"Readout.bias: got shape {b.shape}, needs ({w.shape[0]},) to match weight {w.shape}")
        for name, a in (("weight", w), ("bias", b)):
            object.__setattr__(self, name, frozen_copy(a))

    @property
    def output_size(self) -> int:
        return self.weight.shape[0]

    @property
    def hidden_size(self) -> int:
        return self.weight.shape[1]


def init_readout(hidden_size: int, output_size: int, *, seed=0) -> Readout:
    """Seeded readout from torch.nn.Linear's default distribution: W_y, b_y ~ U(−k, k), k = 1/√H."""
    H = check_size("hidden size H", hidden_size, MAX_H)
    K = check_size("readout outputs K", output_size, MAX_K)
    rng = np.random.default_rng(seed)
    k = 1.0 / np.sqrt(H)
    return Readout(weight=rng.uniform(-k, k, size=(K, H)), bias=rng.uniform(-k, k, size=(K,)))


def _check_h(readout: Readout, h) -> np.ndarray:
    h = as_float_array(h, "h", ndim=(2, 3))  # (T, H) | (T, B, H)
    if h.shape[-1] != readout.hidden_size:
        raise ValueError(f"h: got shape {h.shape}, needs last axis H={readout.hidden_size} to match the readout")
    return h


def loss_steps(steps, T: int) -> np.ndarray:
    """``steps`` as a 1-D array of distinct step indices in [0, T−1]; negative indices count from the end (−1 = last).

    Raises ValueError naming ``steps`` for an empty list, non-integers, duplicates or indices out of range.
    """
    s = np.atleast_1d(np.asarray(steps))
    if s.ndim != 1 or s.size == 0 or not np.issubdtype(s.dtype, np.integer):
        raise ValueError(f"steps: got {steps!r}, needs a non-empty list of whole step indices")
    if np.any(s < -T) or np.any(s >= T):
        raise ValueError(f"steps: got {s.tolist()}, needs indices in [{-T}, {T - 1}] for T={T}")
    s = s % T
    if np.unique(s).size != s.size:
        raise ValueError(f"steps: got {s.tolist()}, needs distinct steps")
    return s.astype(np.intp)


def readout_forward(readout: Readout, h, steps=(-1,)) -> np.ndarray:
    """y_t = W_y h_t + b_y at each of ``steps``. h: (T, H) or (T, B, H) -> y: (S, K) or (S, B, K)."""
    h = _check_h(readout, h)
    s = loss_steps(steps, h.shape[0])
    return h[s] @ readout.weight.T + readout.bias


def readout_backward(readout: Readout, h, steps, dy) -> tuple[Readout, np.ndarray]:
    """Gradients of the readout and the direct ∂L/∂h for the recurrent backward.

    h: (T, H) | (T, B, H); dy = ∂L/∂y: (S, K) | (S, B, K). Returns (Readout of dW_y, db_y; dh shaped like h with
    W_yᵀ dy_t at the loss steps and zeros elsewhere).
    """
    h = _check_h(readout, h)
    s = loss_steps(steps, h.shape[0])
    hs = h[s]  # (S, [B,] H)
    want = hs.shape[:-1] + (readout.output_size,)
    dy = as_float_array(dy, "dy")
    if dy.shape != want:
        raise ValueError(f"dy: got shape {dy.shape}, needs {want}")
    K, H = readout.weight.shape
    dy2, hs2 = dy.reshape(-1, K), hs.reshape(-1, H)
    grads = Readout(weight=dy2.T @ hs2, bias=dy2.sum(axis=0))
    dh = np.zeros_like(h)
    dh[s] = dy @ readout.weight  # W_yᵀ dy_t
    return grads, dh


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log softmax(y)_k = y_k − max y − log Σ_j e^{y_j − max y} along the last axis: no overflow for any finite y."""
    z = logits - logits.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def softmax_cross_entropy(logits, labels) -> tuple[float, np.ndarray]:
    """L = −mean_n log softmax(logits_n)[label_n]; returns (L, ∂L/∂logits).

    logits: (..., K) floats; labels: (...) whole numbers in [0, K−1].
    """
    logits = as_float_array(logits, "logits")
    if logits.ndim < 1 or logits.shape[-1] < 1:
        raise ValueError(f"logits: got shape {logits.shape}, needs (..., K) with K >= 1")
    labels = np.asarray(labels)
    K = logits.shape[-1]
    if labels.shape != logits.shape[:-1] or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels: got shape {labels.shape} ({labels.dtype}), needs whole numbers of shape "
                         f"{logits.shape[:-1]}")
    if labels.size and (labels.min() < 0 or labels.max() >= K):
        raise ValueError(f"labels: got values in [{labels.min()}, {labels.max()}], needs [0, {K - 1}]")
    log_p = log_softmax(logits)  # (..., K)
    N = max(labels.size, 1)
    picked = np.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]
    loss = -float(picked.sum()) / N
    d = np.exp(log_p)
    np.put_along_axis(d, labels[..., None], np.take_along_axis(d, labels[..., None], axis=-1) - 1.0, axis=-1)
    d /= N
    return loss, d


def next_symbol_loss(readout: Readout, h, labels) -> tuple[float, Readout, np.ndarray]:
    """The per-step softmax readout with cross-entropy: every step t predicts ``labels[t]`` (e.g. the next character).

    h: (T, H) | (T, B, H); labels: (T,) | (T, B) whole numbers in [0, K−1].
    Returns (L in nats per prediction, Readout of dW_y, db_y, dh = ∂L/∂h_t for every step, shaped like h).
    """
    h = _check_h(readout, h)
    every_step = np.arange(h.shape[0])
    y = readout_forward(readout, h, every_step)  # (T, [B,] K) logits
    loss, dy = softmax_cross_entropy(y, labels)
    grads, dh = readout_backward(readout, h, every_step, dy)
    return loss, grads, dh


def mse(y, target) -> tuple[float, np.ndarray]:
    """L = mean((y − target)²) over every element; returns (L, ∂L/∂y = 2 (y − target) / M)."""
    y = as_float_array(y, "y")
    t = as_float_array(target, "target")
    if t.shape != y.shape:
        raise ValueError(f"target: got shape {t.shape}, needs {y.shape} to match y")
    diff = y - t
    M = max(diff.size, 1)
    return float(np.sum(diff * diff)) / M, (2.0 / M) * diff
