"""Optimisers and gradient clipping in NumPy, as pure functions on dicts of named arrays.

Parameters and gradients are ``dict[str, ndarray]`` with the same keys (e.g. "weight_ih", …, "readout.weight").
Nothing is updated in place: ``update`` returns new parameters and a new (frozen) optimiser state.

SGD with momentum (PyTorch's convention, no dampening):

    v ← μ v + g        θ ← θ − η v

Adam (Kingma & Ba 2015, Algorithm 1, with bias correction), at step t = 1, 2, …:

    m ← β₁ m + (1 − β₁) g        v ← β₂ v + (1 − β₂) g²
    m̂ = m / (1 − β₁ᵗ)            v̂ = v / (1 − β₂ᵗ)           θ ← θ − η m̂ / (√v̂ + ε)

Clipping by global norm (done by a training step, never inside backward):

    ‖g‖ = √(Σ_k ‖g_k‖²)          g ← g · c/‖g‖  if ‖g‖ > c
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .analysis import unit_norms
from .validate import check_number, frozen_copy

Arrays = dict[str, np.ndarray]


def _positive(name: str, value, *, allow_zero: bool = False, below_one: bool = False) -> float:
    """A finite float > 0 (>= 0 with allow_zero; and < 1 with below_one), or a ValueError naming ``name``."""
    value = check_number(name, value)
    low_ok = value >= 0 if allow_zero else value > 0
    if not low_ok or (below_one and value >= 1):
        lo = "[0" if allow_zero else "(0"
        need = f"in {lo}, 1)" if below_one else (">= 0" if allow_zero else "> 0")
        raise ValueError(f"{name}: got {value}, needs a number {need}")
    return float(value)


def _check_same_keys(params: Arrays, grads: Arrays) -> None:
    if set(params) != set(grads):
        raise ValueError(f"grads: keys {sorted(grads)} do not match the parameters' keys {sorted(params)}")
    for k in params:
        if np.shape(grads[k]) != np.shape(params[k]):
            raise ValueError(f"grads[{k!r}]: got shape {np.shape(grads[k])}, needs {np.shape(params[k])}")


def _frozen(d: Arrays) -> Arrays:
    return {k: frozen_copy(a) for k, a in d.items()}


# ---- SGD with momentum ---------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class SGDState:
    """The velocity v of every parameter (zeros before the first step)."""

    velocity: Arrays


@dataclass(frozen=True)
class SGD:
    """SGD with momentum μ (μ = 0: plain SGD). v ← μ v + g; θ ← θ − η v."""

    lr: float = 0.1
    momentum: float = 0.9

    def __post_init__(self) -> None:
        _positive("lr", self.lr)
        _positive("momentum", self.momentum, allow_zero=True, below_one=True)

    def init(self, params: Arrays) -> SGDState:
        return SGDState(velocity=_frozen({k: np.zeros_like(a, dtype=np.float64) for k, a in params.items()}))

    def update(self, params: Arrays, grads: Arrays, state: SGDState) -> tuple[Arrays, SGDState]:
        """One step: returns (new params, new state). Arguments are not modified."""
        _check_same_keys(params, grads)
        new_p, new_v = {}, {}
        for k, p in params.items():
            v = self.momentum * state.velocity[k] + grads[k]
            new_v[k] = v
            new_p[k] = p - self.lr * v
        return new_p, SGDState(velocity=_frozen(new_v))


# ---- Adam ----------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class AdamState:
    """Step count t (0 before the first update) and the moment estimates m, v of every parameter."""

    step: int
    m: Arrays
    v: Arrays


@dataclass(frozen=True)
class Adam:
    """Adam with bias correction (Kingma & Ba 2015); the defaults are the paper's except the learning rate."""

    lr: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8

    def __post_init__(self) -> None:
        _positive("lr", self.lr)
        _positive("beta1", self.beta1, allow_zero=True, below_one=True)
        _positive("beta2", self.beta2, allow_zero=True, below_one=True)
        _positive("eps", self.eps)

    def init(self, params: Arrays) -> AdamState:
        zeros = {k: np.zeros_like(a, dtype=np.float64) for k, a in params.items()}
        return AdamState(step=0, m=_frozen(zeros), v=_frozen(zeros))

    def update(self, params: Arrays, grads: Arrays, state: AdamState) -> tuple[Arrays, AdamState]:
        """One step: returns (new params, new state). Arguments are not modified."""
        _check_same_keys(params, grads)
        t = state.step + 1
        c1 = 1.0 - self.beta1 ** t  # bias corrections
        c2 = 1.0 - self.beta2 ** t
        new_p, new_m, new_v = {}, {}, {}
        for k, p in params.items():
            g = grads[k]
            m = self.beta1 * state.m[k] + (1.0 - self.beta1) * g
            v = self.beta2 * state.v[k] + (1.0 - self.beta2) * (g * g)
            new_m[k], new_v[k] = m, v
            new_p[k] = p - self.lr * (m / c1) / (np.sqrt(v / c2) + self.eps)
        return new_p, AdamState(step=t, m=_frozen(new_m), v=_frozen(new_v))


Optimizer = SGD | Adam
OPTIMIZERS = ("adam", "sgd")


def make_optimizer(name: str, lr: float, *, momentum: float = 0.9) -> Optimizer:
    """'adam' -> Adam(lr); 'sgd' -> SGD(lr, momentum)."""
    if name == "adam":
        return Adam(lr=lr)
    if name == "sgd":
        return SGD(lr=lr, momentum=momentum)
    raise ValueError(f"optimizer: got {name!r}, needs one of {list(OPTIMIZERS)}")


# ---- clipping ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Clipped:
    """Result of clipping: the (possibly rescaled) gradients, the global norm before and after, and the factor."""

    grads: Arrays
    norm_before: float
    norm_after: float
    scale: float  # 1.0 when not clipped

    @property
    def clipped(self) -> bool:
        return self.scale < 1.0


def global_norm(grads: Arrays) -> float:
    """‖g‖ = √(Σ_k Σ g_k²) over every array, without overflow or underflow of the squares (scaled by the largest
    |entry|, as analysis.unit_norms): exploding gradients up to float64's limit still get their true norm."""
    if not grads:
        return 0.0
    flat = np.concatenate([np.ravel(g) for g in grads.values()])
    return float(unit_norms(flat[None])[0])


def clip_by_global_norm(grads: Arrays, max_norm: float | None) -> Clipped:
    """Rescale all gradients together so that their global norm is at most ``max_norm`` (None: no clipping).

    The direction is kept: g ← g · max_norm/‖g‖ when ‖g‖ > max_norm. Returns both norms, so the caller can show
    what backward really produced and what the optimiser was given.
    """
    before = global_norm(grads)
    if max_norm is None or before <= _positive("max_norm", max_norm):
        return Clipped(grads=dict(grads), norm_before=before, norm_after=before, scale=1.0)
    scale = max_norm / before
    out = {k: g * scale for k, g in grads.items()}
    return Clipped(grads=out, norm_before=before, norm_after=global_norm(out), scale=scale)
