"""Losses that read the hidden states: each returns (L, dL/dh) with dL/dh shaped like h.

h is (T, H) for one sequence or (T, B, H) for a batch; a batched loss is the sum over the batch. dL/dh is the
*direct* gradient ∂L/∂h_t (zero at every step the loss does not read), ready for ``lstm_backward`` /
``rnn_backward``, which add what flows back from later steps.

    last_step_mse:  L = ½‖h_T − target‖²     ∂L/∂h_T = h_T − target
    probe_unit:     L = h_T[k]               ∂L/∂h_T = e_k   (k 0-based here, as in the core; the app shows unit k + 1)
    head_cross_entropy:  y = W h_T + b (a loaded model's Linear head),  L = −log softmax(y)[k],
                    ∂L/∂h_T = Wᵀ (softmax(y) − e_k)                  (the model's own output against class k)
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Callable

import numpy as np

from .readout import log_softmax
from .validate import as_float_array

LossFn = Callable[..., tuple[float, np.ndarray]]


def _check_h(h) -> np.ndarray:
    return as_float_array(h, "h", ndim=(2, 3))  # (T, H) | (T, B, H)


def last_step_mse(h, target=None) -> tuple[float, np.ndarray]:
    """L = ½‖h_T − target‖² (summed over the batch); ∂L/∂h_T = h_T − target, zero at every other step.

    h: (T, H) or (T, B, H). target: None (zeros), (H,), or (B, H) for a batch (an (H,) target is shared by the batch).
    """
    h = _check_h(h)
    last = h[-1]  # (H,) | (B, H)
    if target is None:
        t = np.zeros(last.shape[-1])
    else:
        t = as_float_array(target, "target", ndim=(1, 2))
        ok = t.shape == (last.shape[-1],) or t.shape == last.shape
        if not ok:
            need = f"({last.shape[-1]},)" + (f" or {last.shape}" if last.ndim == 2 else "")
            raise ValueError(f"target: got shape {t.shape}, needs {need} to match h's last step")
    diff = last - t  # (H,) | (B, H)
    dh = np.zeros_like(h)
    dh[-1] = diff
    return 0.5 * float(np.sum(diff * diff)), dh


def _check_unit(unit, H: int | None = None) -> int:
    if isinstance(unit, bool) or not isinstance(unit, numbers.Integral) or unit < 0:
        raise ValueError(f"unit: got {unit!r}, needs a whole number >= 0")
    if H is not None and unit >= H:
        raise ValueError(f"unit: got {unit}, needs a unit index in [0, {H - 1}] (H={H})")
    return int(unit)


def probe_unit(h, unit: int = 0) -> tuple[float, np.ndarray]:
    """L = h_T[k] (summed over the batch), k = ``unit``; ∂L/∂h_T = e_k (one-hot), zero at every other step.

    h: (T, H) or (T, B, H); unit in [0, H−1].
    """
    h = _check_h(h)
    k = _check_unit(unit, h.shape[-1])
    dh = np.zeros_like(h)
    dh[-1, ..., k] = 1.0
    return float(np.sum(h[-1, ..., k])), dh


def _check_head(weight, bias, H: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    w = as_float_array(weight, "weight", ndim=2)  # (O, H)
    b = as_float_array(bias, "bias", ndim=1)  # (O,)
    if b.shape != (w.shape[0],) or (H is not None and w.shape[1] != H):
        raise ValueError(f"weight, bias: got shapes {w.shape} and {b.shape}, need (O, H) and (O,) with "
                         f"H = {H if H is not None else 'the hidden size'}")
    return w, b


def head_logits(h, weight, bias) -> np.ndarray:
    """The head's output y = W h_T + b at the last step: (O,), or (B, O) for a batch. h: (T, H) | (T, B, H)."""
    h = _check_h(h)
    w, b = _check_head(weight, bias, h.shape[-1])
    return h[-1] @ w.T + b


def head_probabilities(h, weight, bias) -> np.ndarray:
    """softmax(W h_T + b): the head's class probabilities at the last step, (O,) | (B, O)."""
    return np.exp(log_softmax(head_logits(h, weight, bias)))


def head_cross_entropy(h, weight, bias, label: int = 0) -> tuple[float, np.ndarray]:
    """L = −log softmax(W h_T + b)[k] (summed over the batch), k = ``label``: the cross-entropy of a Linear head's
    logits at the last step against class k, as torch's CrossEntropyLoss on ``head(h[-1])``.

    ∂L/∂y = softmax(y) − e_k,  ∂L/∂h_T = Wᵀ (softmax(y) − e_k); zero at every other step.
    h: (T, H) or (T, B, H); weight (O, H), bias (O,); label in [0, O−1].
    """
    h = _check_h(h)
    w, _ = _check_head(weight, bias, h.shape[-1])
    k = _check_label(label, w.shape[0])
    log_p = log_softmax(head_logits(h, weight, bias))  # (O,) | (B, O)
    dy = np.exp(log_p)
    dy[..., k] -= 1.0
    dh = np.zeros_like(h)
    dh[-1] = dy @ w  # (H,) | (B, H)
    return -float(np.sum(log_p[..., k])), dh


def _check_label(label, O: int | None = None) -> int:
    if isinstance(label, bool) or not isinstance(label, numbers.Integral) or label < 0:
        raise ValueError(f"label: got {label!r}, needs a whole number >= 0 (a class of the head)")
    if O is not None and label >= O:
        raise ValueError(f"label: got {label}, needs a class in [0, {O - 1}] (the head has O = {O} outputs)")
    return int(label)


@dataclass(frozen=True)
class Loss:
    """A named loss: ``fn(h, **kwargs) -> (value, dL/dh)``; ``description`` is one line for the UI."""

    name: str
    description: str
    fn: LossFn


LOSSES: dict[str, Loss] = {
    "last_step_mse": Loss(
        "last_step_mse",
        "L = ½‖h_T − target‖²: squared distance of the last hidden state from a target",
        last_step_mse,
    ),
    "probe_unit": Loss(
        "probe_unit",
        "L = h_T[k]: one unit k of the last hidden state (a probe)",
        probe_unit,
    ),
    "head_cross_entropy": Loss(
        "head_cross_entropy",
        "L = −log softmax(W h_T + b)[k]: cross-entropy of a loaded head's logits at the last step against class k",
        head_cross_entropy,
    ),
}

_OPTIONS = {"last_step_mse": ("target",), "probe_unit": ("unit",), "head_cross_entropy": ("weight", "bias", "label")}


def _get(name: str, kwargs: dict) -> Loss:
    if name not in LOSSES:
        raise ValueError(f"loss: got {name!r}, needs one of {sorted(LOSSES)}")
    bad = sorted(set(kwargs) - set(_OPTIONS[name]))
    if bad:
        raise ValueError(f"{bad[0]}: not an option of loss {name!r}, which takes {list(_OPTIONS[name])}")
    if "unit" in kwargs:
        _check_unit(kwargs["unit"])
    if name == "head_cross_entropy":
        w, _ = _check_head(kwargs.get("weight"), kwargs.get("bias"))
        _check_label(kwargs.get("label", 0), w.shape[0])
    if kwargs.get("target") is not None:
        as_float_array(kwargs["target"], "target", ndim=(1, 2))
    return LOSSES[name]


def make_loss(name: str, **kwargs) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """The loss ``name`` with its options bound: ``loss(h) -> (value, dL/dh)``.

    Options are checked now as far as possible (names, unit >= 0); the unit's upper bound is checked against h.
    """
    loss = _get(name, kwargs)

    def bound(h) -> tuple[float, np.ndarray]:
        return loss.fn(h, **kwargs)

    bound.__name__ = name
    bound.__doc__ = describe_loss(name, **kwargs)
    return bound


def describe_loss(name: str, **kwargs) -> str:
    """One human-readable line for the loss with these options, for the app, where units count from 1: unit=3 (0-based,
    as the core counts) reads "L = h_T[4]: unit 4 of the last hidden state (a probe; units count from 1)"."""
    loss = _get(name, kwargs)
    if name == "probe_unit":
        k = _check_unit(kwargs.get("unit", 0)) + 1
        return f"L = h_T[{k}]: unit {k} of the last hidden state (a probe; units count from 1)"
    if name == "head_cross_entropy":
        O, k = np.shape(kwargs["weight"])[0], _check_label(kwargs.get("label", 0)) + 1
        return (f"L = −log softmax(W h_T + b)[{k}]: cross-entropy of the loaded head's {O} logits at the last step "
                f"against class {k} (classes count from 1)")
    if kwargs.get("target") is None:
        return "L = ½‖h_T‖²: squared distance of the last hidden state from the target 0"
    return loss.description
