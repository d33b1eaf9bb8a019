"""Parameters of an LSTM, a GRU and a tanh RNN, in PyTorch's layout, plus seeded initialisation.

Layout (the same as ``torch.nn.LSTM`` / ``torch.nn.GRU`` / ``torch.nn.RNN`` with one layer):

    LSTMParams: weight_ih (4H, D), weight_hh (4H, H), bias_ih (4H,), bias_hh (4H,); row blocks i, f, g, o
    GRUParams:  weight_ih (3H, D), weight_hh (3H, H), bias_ih (3H,), bias_hh (3H,); row blocks r, z, n
    RNNParams:  weight_ih (H, D),  weight_hh (H, H),  bias_ih (H,),  bias_hh (H,)

All are frozen dataclasses holding read-only float64 copies, validated on construction, so a trace computed from
them can never be changed behind its back. ``LSTMParams(..., forget_gate=False)`` is the 1997 LSTM (Hochreiter &
Schmidhuber), which has no forget gate: f ≡ 1, its forget rows are 0 (see LSTMParams).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .validate import MAX_D, MAX_H, as_float_array, check_size, frozen_copy

ARRAY_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")  # PyTorch's parameter order
GATES = ("i", "f", "g", "o")  # PyTorch's row-block order in weight_ih / weight_hh / biases
GATE_NAMES = {"i": "input gate", "f": "forget gate", "g": "cell candidate", "o": "output gate"}
GRU_GATES = ("r", "z", "n")  # torch.nn.GRU's row-block order
GRU_GATE_NAMES = {"r": "reset gate", "z": "update gate", "n": "candidate"}
_SYMBOLS = {"weight_ih": "W_i", "weight_hh": "W_h", "bias_ih": "b_i", "bias_hh": "b_h"}


def block_symbol(name: str, gate: str | None = None) -> str:
    """The symbol PyTorch's documentation gives a weight block: array ``name`` ('weight_ih', 'weight_hh', 'bias_ih',
    'bias_hh') restricted to ``gate``'s rows, e.g. ('weight_ih', 'i') -> 'W_ii' (input → input gate),
    ('weight_hh', 'f') -> 'W_hf', ('bias_hh', 'o') -> 'b_ho', a GRU's ('weight_ih', 'n') -> 'W_in'; with gate None
    the whole stacked array: 'W_ih', 'W_hh', 'b_ih', 'b_hh' (also the tanh RNN's names)."""
    if name not in _SYMBOLS:
        raise ValueError(f"name: got {name!r}, needs one of {list(_SYMBOLS)}")
    if gate is not None and gate not in GATES + GRU_GATES:
        raise ValueError(f"gate: got {gate!r}, needs one of {list(GATES + GRU_GATES)} or None")
    return _SYMBOLS[name] + (gate if gate is not None else "h")  # W_i + h = W_ih, W_h + h = W_hh


def gate_rows(H: int, gate: str) -> slice:
    """The rows of ``gate`` in a weight or bias of hidden size H (PyTorch's layout): an LSTM's 'i', 'f', 'g', 'o' or a
    GRU's 'r', 'z', 'n'."""
    k = (GATES if gate in GATES else GRU_GATES).index(gate)
    return slice(k * H, (k + 1) * H)


def gates_of(params) -> tuple[str, ...]:
    """The gates (row blocks) of ``params``: GATES for an LSTM, GRU_GATES for a GRU, () for a tanh RNN."""
    if isinstance(params, LSTMParams):
        return GATES
    if isinstance(params, GRUParams):
        return GRU_GATES
    return ()


def _check_params(obj, rows_per_unit: int) -> None:
    """Shared shape/finiteness validation of (weight_ih, weight_hh, bias_ih, bias_hh)."""
    name = type(obj).__name__
    w_ih = as_float_array(obj.weight_ih, f"{name}.weight_ih", ndim=2)
    w_hh = as_float_array(obj.weight_hh, f"{name}.weight_hh", ndim=2)
    rows, d = w_ih.shape
    if rows % rows_per_unit or rows == 0:
        raise ValueError(
            f"{name}.weight_ih: got shape {w_ih.shape}, needs ({rows_per_unit}*H, D) with H >= 1"
        )
    h = rows // rows_per_unit
    check_size("hidden size H", h, MAX_H)
    check_size("input size D", d, MAX_D)
    if w_hh.shape != (rows, h):
        raise ValueError(f"{name}.weight_hh: got shape {w_hh.shape}, needs ({rows}, {h}) to match weight_ih {w_ih.shape}")
    b_ih = as_float_array(obj.bias_ih, f"{name}.bias_ih", ndim=1)
    b_hh = as_float_array(obj.bias_hh, f"{name}.bias_hh", ndim=1)
    for bname, b in (("bias_ih", b_ih), ("bias_hh", b_hh)):
        if b.shape != (rows,):
            raise ValueError(f"{name}.{bname}: got shape {b.shape}, needs ({rows},)")
    for f_, arr in zip(ARRAY_NAMES, (w_ih, w_hh, b_ih, b_hh)):
        object.__setattr__(obj, f_, frozen_copy(arr))


class _Sizes:
    """What every params class reads off its arrays (W_hh is (rows, H), W_ih is (rows, D))."""

    @property
    def hidden_size(self) -> int:
        return self.weight_hh.shape[1]

    @property
    def input_size(self) -> int:
        return self.weight_ih.shape[1]


class _Gated(_Sizes):
    """What the gated params classes add: their arrays' row blocks by gate."""

    def gate_block(self, name: str, gate: str) -> np.ndarray:
        """The (H, ·) or (H,) block of array ``name`` ('weight_ih', …) that belongs to ``gate`` (an LSTM's 'i', 'f',
        'g', 'o'; a GRU's 'r', 'z', 'n')."""
        if gate not in gates_of(self):
            raise ValueError(f"gate: got {gate!r}, needs one of {list(gates_of(self))}")
        return getattr(self, name)[gate_rows(self.hidden_size, gate)]


@dataclass(frozen=True, eq=False)
class LSTMParams(_Gated):
    """LSTM weights in PyTorch layout; row blocks of every array are the gates i, f, g, o (in that order).

    ``forget_gate=False`` is the 1997 LSTM (Hochreiter & Schmidhuber), which has no forget gate: lstm_step uses
    f ≡ 1 exactly (c_t = c_{t−1} + i ⊙ g, the constant error carousel), so the forget rows of every array are unused;
    they must be 0, and their gradients are exactly 0. The layout stays PyTorch's, so the other gates' blocks are
    where they are in an nn.LSTM.
    """

    weight_ih: np.ndarray  # (4H, D)
    weight_hh: np.ndarray  # (4H, H)
    bias_ih: np.ndarray  # (4H,)
    bias_hh: np.ndarray  # (4H,)
    forget_gate: bool = True  # False: the 1997 LSTM, f ≡ 1

    def __post_init__(self) -> None:
        _check_params(self, 4)
        if not isinstance(self.forget_gate, (bool, np.bool_)):
            raise ValueError(f"LSTMParams.forget_gate: got {self.forget_gate!r}, needs True or False")
        object.__setattr__(self, "forget_gate", bool(self.forget_gate))
        if not self.forget_gate:
            f = gate_rows(self.hidden_size, "f")
            for name in ARRAY_NAMES:
                if np.any(getattr(self, name)[f]):
                    raise ValueError(
                        f"LSTMParams.{name}: its forget-gate rows {f.start}–{f.stop - 1} hold nonzero values, but "
                        "forget_gate=False (the 1997 LSTM has no forget gate, f ≡ 1): they must be 0"
                    )


@dataclass(frozen=True, eq=False)
class RNNParams(_Sizes):
    """Elman RNN (tanh) weights in PyTorch layout."""

    weight_ih: np.ndarray  # (H, D)
    weight_hh: np.ndarray  # (H, H)
    bias_ih: np.ndarray  # (H,)
    bias_hh: np.ndarray  # (H,)

    def __post_init__(self) -> None:
        _check_params(self, 1)


@dataclass(frozen=True, eq=False)
class GRUParams(_Gated):
    """GRU weights in PyTorch layout (``torch.nn.GRU``); row blocks of every array are r, z, n (in that order):
    reset gate, update gate, candidate."""

    weight_ih: np.ndarray  # (3H, D)
    weight_hh: np.ndarray  # (3H, H)
    bias_ih: np.ndarray  # (3H,)
    bias_hh: np.ndarray  # (3H,)

    def __post_init__(self) -> None:
        _check_params(self, 3)


Params = LSTMParams | GRUParams | RNNParams
KINDS = {"lstm": LSTMParams, "gru": GRUParams, "rnn": RNNParams}  # a model's kind, as load_model names it
KIND_NAMES = {"lstm": "LSTM", "gru": "GRU", "rnn": "tanh RNN"}
A_KIND = {"lstm": "an LSTM", "gru": "a GRU", "rnn": "a tanh RNN"}  # for messages: "layer 2 is a GRU"


def kind_of(params) -> str:
    """'lstm', 'gru' or 'rnn': which model ``params`` are for (the 1997 LSTM is an 'lstm' with forget_gate False)."""
    for kind, cls in KINDS.items():
        if isinstance(params, cls):
            return kind
    raise ValueError(f"params: got {type(params).__name__}, needs LSTMParams, GRUParams or RNNParams")


def param_arrays(params: Params) -> dict[str, np.ndarray]:
    """The four arrays by field name, in PyTorch's parameter order (an LSTM's forget_gate flag is not an array)."""
    return {name: getattr(params, name) for name in ARRAY_NAMES}


def params_equal(a: Params, b: Params) -> bool:
    """Same type, the same forget_gate (LSTM) and bit-identical arrays."""
    return type(a) is type(b) and getattr(a, "forget_gate", True) == getattr(b, "forget_gate", True) and all(
        np.array_equal(x, y) for x, y in zip(param_arrays(a).values(), param_arrays(b).values())
    )


def gradients_like(params: Params, weight_ih, weight_hh, bias_ih, bias_hh) -> Params:
    """Parameter gradients in the layout of ``params`` (the same type and shapes), as read-only copies. Unlike
    weights they are not required to be finite: a backward pass that overflows float64 reports inf as it is."""
    grads = object.__new__(type(params))  # skips the weights' validation; the shapes are the backward pass's own
    for name, a in zip(ARRAY_NAMES, (weight_ih, weight_hh, bias_ih, bias_hh)):
        if a.shape != getattr(params, name).shape:
            raise ValueError(f"{name} gradient: got shape {a.shape}, needs {getattr(params, name).shape}")
        object.__setattr__(grads, name, frozen_copy(a))
    if isinstance(params, LSTMParams):
        object.__setattr__(grads, "forget_gate", params.forget_gate)
    return grads


def _uniform_arrays(input_size: int, hidden_size: int, rows_per_unit: int, seed: int, scale: float) -> dict:
    """PyTorch's default initialisation of every array, U(−k, k) with k = scale/√H, drawn from one seeded generator in
    the order weight_ih (R, D), weight_hh (R, H), bias_ih (R,), bias_hh (R,), R = rows_per_unit · H."""
    check_size("input size D", input_size, MAX_D)
    check_size("hidden size H", hidden_size, MAX_H)
    _check_finite_scalar("scale", scale)
    rng = np.random.default_rng(seed)
    k = scale / np.sqrt(hidden_size)
    R = rows_per_unit * hidden_size
    shapes = dict(weight_ih=(R, input_size), weight_hh=(R, hidden_size), bias_ih=(R,), bias_hh=(R,))
    return {name: rng.uniform(-k, k, size=shape) for name, shape in shapes.items()}


def init_lstm(
    input_size: int,
    hidden_size: int,
    *,
    seed: int = 0,
    scale: float = 1.0,
    forget_bias: float | None = None,
    spectral_radius: float | None = None,
    forget_gate: bool = True,
) -> LSTMParams:
    """Seeded LSTM weights from PyTorch's default distribution U(−k, k), k = scale/√H.

    ``forget_bias``: when given, the forget-gate rows of bias_ih are set to it and those of bias_hh to 0, so the
    total forget bias b_f = b_ih_f + b_hh_f equals ``forget_bias`` exactly.
    ``spectral_radius``: when given, each gate block of W_hh is rescaled to it (see ``with_spectral_radius``).
    ``forget_gate=False``: the 1997 LSTM (f ≡ 1): the same numbers as with a forget gate, its rows set to 0.
    """
    arrays = _uniform_arrays(input_size, hidden_size, 4, seed, scale)
    if not forget_gate:
        if forget_bias is not None:
            raise ValueError("forget_bias: an LSTM without a forget gate (forget_gate=False) has no forget bias")
        for a in arrays.values():
            a[gate_rows(hidden_size, "f")] = 0.0
    p = LSTMParams(**arrays, forget_gate=forget_gate)
    if forget_bias is not None:
        p = with_forget_bias(p, forget_bias)
    if spectral_radius is not None:
        p = with_spectral_radius(p, spectral_radius)
    return p


def init_rnn(
    input_size: int,
    hidden_size: int,
    *,
    seed: int = 0,
    scale: float = 1.0,
    spectral_radius: float | None = None,
) -> RNNParams:
    """Seeded tanh-RNN weights from PyTorch's default distribution U(−k, k), k = scale/√H."""
    p = RNNParams(**_uniform_arrays(input_size, hidden_size, 1, seed, scale))
    return p if spectral_radius is None else with_spectral_radius(p, spectral_radius)


def init_gru(
    input_size: int,
    hidden_size: int,
    seed: int = 0,
    *,
    scale: float = 1.0,
    spectral_radius: float | None = None,
) -> GRUParams:
    """Seeded GRU weights from PyTorch's default distribution U(−k, k), k = scale/√H (torch.nn.GRU's init).

    ``spectral_radius``: when given, each gate block of W_hh (r, z, n) is rescaled to it (see with_spectral_radius).
    """
    p = GRUParams(**_uniform_arrays(input_size, hidden_size, 3, seed, scale))
    return p if spectral_radius is None else with_spectral_radius(p, spectral_radius)


def _check_finite_scalar(name: str, value: float) -> None:
    if not np.isfinite(value):
        raise ValueError(f"{name}: got {value!r}, needs a finite number")


def with_forget_bias(params: LSTMParams, forget_bias: float) -> LSTMParams:
    """A copy whose total forget-gate bias b_ih_f + b_hh_f equals ``forget_bias`` (all in bias_ih, bias_hh_f = 0).
    Refused for the 1997 LSTM (forget_gate=False), which has no forget gate to bias."""
    _check_finite_scalar("forget_bias", forget_bias)
    if not params.forget_gate:
        raise ValueError("forget_bias: this LSTM has no forget gate (the 1997 LSTM, f ≡ 1), so there is no forget "
                         "bias to set")
    f = gate_rows(params.hidden_size, "f")
    b_ih = params.bias_ih.copy()
    b_hh = params.bias_hh.copy()
    b_ih[f] = forget_bias
    b_hh[f] = 0.0
    return replace(params, bias_ih=b_ih, bias_hh=b_hh)


def without_forget_gate(params: LSTMParams) -> LSTMParams:
    """The 1997 LSTM made from ``params``: the same i, g, o blocks, the forget rows set to 0 and forget_gate=False, so
    lstm_step uses f ≡ 1 exactly (not a huge forget bias). An LSTM that already has no forget gate is returned as is."""
    if not params.forget_gate:
        return params
    f = gate_rows(params.hidden_size, "f")
    arrays = {name: a.copy() for name, a in param_arrays(params).items()}
    for a in arrays.values():
        a[f] = 0.0
    return LSTMParams(**arrays, forget_gate=False)


def forget_bias_of(params: LSTMParams) -> np.ndarray:
    """Total forget-gate bias per unit, b_ih_f + b_hh_f, shape (H,)."""
    return params.gate_block("bias_ih", "f") + params.gate_block("bias_hh", "f")


def spectral_radius(matrix: np.ndarray) -> float:
    """max |eigenvalue| of a square matrix."""
    return float(np.max(np.abs(np.linalg.eigvals(matrix)))) if matrix.size else 0.0


def with_spectral_radius(params: Params, radius: float) -> Params:
    """A copy with W_hh rescaled to spectral radius ``radius``.

    RNN: W_hh (H, H) itself. LSTM and GRU: each gate's (H, H) block of W_hh separately, so every gate sees the same
    recurrent gain. A zero block stays zero (it has no direction to rescale; e.g. the 1997 LSTM's forget rows).
    """
    _check_finite_scalar("spectral_radius", radius)
    if radius < 0:
        raise ValueError(f"spectral_radius: got {radius}, needs a value >= 0")
    factors = radius_factors(radius, block_radii(params.weight_hh))  # one per (H, H) block
    w = params.weight_hh * np.repeat(factors, params.hidden_size)[:, None]
    return replace(params, weight_hh=w)


def block_radii(w_hh: np.ndarray) -> np.ndarray:
    """ρ_k of each (H, H) row block of w_hh (H its number of columns; one block for an RNN, three for a GRU, four for an
    LSTM), as
    with_spectral_radius measures them; 0 for a zero block."""
    H = w_hh.shape[1]
    return np.array([spectral_radius(w_hh[k * H:(k + 1) * H]) for k in range(w_hh.shape[0] // H)])


def radius_factors(radius, rho: np.ndarray) -> np.ndarray:
    """The factors r / ρ_k with which with_spectral_radius rescales each block to radius r; a zero block keeps factor
    1 (it stays zero). ``radius`` a number -> (blocks,); an array of radii (cells,) -> (cells, blocks)."""
    r = np.asarray(radius, dtype=np.float64)[..., None]
    return np.where(rho > 0, r / np.where(rho > 0, rho, 1.0), 1.0)


def with_block(params: Params, name: str, gate: str | None, block) -> Params:
    """A copy with one block replaced: the (H, ·) or (H,) rows of array ``name`` ('weight_ih', …) that belong to
    ``gate`` ('i', 'f', 'g', 'o' of an LSTM; 'r', 'z', 'n' of a GRU), or the whole array when ``gate`` is None.
    Validated like any params (so the 1997 LSTM's forget rows stay 0)."""
    arrays = {k: np.array(v) for k, v in param_arrays(params).items()}
    if name not in arrays:
        raise ValueError(f"name: got {name!r}, needs one of {list(arrays)}")
    if gate is None:
        rows = slice(None)
    elif gate in gates_of(params):
        rows = gate_rows(params.hidden_size, gate)
    else:
        raise ValueError(f"gate: got {gate!r}, needs one of {list(GATES)} for an LSTM, {list(GRU_GATES)} for a GRU, "
                         "or None")
    block = as_float_array(block, f"{name} block")
    if block.shape != arrays[name][rows].shape:
        raise ValueError(f"{name} block: got shape {block.shape}, needs {arrays[name][rows].shape}")
    arrays[name][rows] = block
    return replace(params, **arrays)


def scaled(params: Params, factor: float) -> Params:
    """A copy with every weight and bias multiplied by ``factor``."""
    _check_finite_scalar("factor", factor)
    return replace(params, **{k: v * factor for k, v in param_arrays(params).items()})
