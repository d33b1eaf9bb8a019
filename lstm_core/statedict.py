"""A whole PyTorch module's state_dict -> the recurrent layers and the Linear head it holds (``LoadedModel``), and back.

What a trained model's ``model.state_dict()`` looks like, and what is read from it:

    lstm.weight_ih_l0 (4H, D)   lstm.weight_hh_l0 (4H, H)   lstm.bias_ih_l0 (4H,)   lstm.bias_hh_l0 (4H,)
    lstm.weight_ih_l1 (4H, H)   …                                                       (layers 0 … L−1, L ≤ 4)
    fc.weight (O, H)            fc.bias (O,)                                            (a Linear reading h: the head)

- one recurrent module (torch.nn.LSTM, GRU or RNN) under any prefix ('lstm.', 'encoder.rnn.', none); its kind is
  read off weight_hh_l0: (4H, H) an LSTM (gates i, f, g, o), (3H, H) a GRU (r, z, n), (H, H) a tanh RNN;
- at most one Linear whose input size is H (a 'P.weight' (O, H) with its 'P.bias' (O,)): the head, reading the top
  layer's h_t;
- every other key is listed in an ExtraKeysError, never dropped silently (``ignore_extra=True`` loads the model
  without them and lists them in ``LoadedModel.ignored``);
- refused with a message naming what is not supported: bidirectional layers (``_reverse`` keys), an LSTM with
  ``proj_size`` (``weight_hr_l0``), ``bias=False`` (no bias keys), layer normalisation (keys of a norm layer), more
  than one recurrent module, more than one candidate head, more than 4 layers.

The app's own files may add ``forget_gate_l<k>`` = 0 (a single number) for an LSTM layer without a forget gate (the
1997 LSTM, which torch does not have): its forget rows are then 0 and f ≡ 1. Arrays arrive as NumPy arrays of any
real dtype (the byte readers in io.py check the files); here they are checked for shape and finiteness and copied to
float64, with the file's key names in every message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .params import A_KIND, KIND_NAMES, KINDS, kind_of
from .stack import MAX_LAYERS, stack_kind
from .validate import frozen_copy, quoted

MAX_OUTPUTS = 1024  # largest head (a character model's vocabulary is ~100)
MAX_KEYS = 64  # most keys a file may hold (4 LSTM layers, markers and a head are 22; a transformer has hundreds)
MAX_KEY_CHARS = 200  # longest key name
ROLES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")  # a layer's four arrays, as in LSTMParams
_NDIM = {"weight_ih": 2, "weight_hh": 2, "bias_ih": 1, "bias_hh": 1}
_ROWS_PER_UNIT = {4: "lstm", 3: "gru", 1: "rnn"}
_LAYER_KEY = re.compile(r"^(?P<prefix>(?:.*\.)?)(?P<name>weight_ih|weight_hh|bias_ih|bias_hh|weight_hr|forget_gate)"
                        r"_l(?P<layer>\d+)(?P<reverse>_reverse)?$")
_NORM = re.compile(r"^(ln|norm|layer_?norm)(\d+|_\w+)?$|(_ln|_?layer_?norm|_norm)\d*$", re.IGNORECASE)  # a segment
_CONVERT = "convert it to a plain torch.nn.LSTM / GRU / RNN, or load a model without it"


class ExtraKeysError(ValueError):
    """The state_dict holds keys that are neither the recurrent layers nor the head; ``keys`` lists them (file
    order). load_model(..., ignore_extra=True) reads the model without them."""

    def __init__(self, message: str, keys: tuple[str, ...]):
        super().__init__(message)
        self.keys = keys


@dataclass(frozen=True, eq=False)
class LoadedModel:
    """A model read from a whole module's state_dict (or built to be saved as one).

    kind      'lstm' | 'gru' | 'rnn'
    layers    tuple of LSTMParams / GRUParams / RNNParams, bottom first (run them with stack_forward)
    head      (weight (O, H), bias (O,)) of a Linear reading the top layer's h_t, or None
    prefix    the recurrent module's key prefix in the file ('lstm.', 'encoder.rnn.', '' for none)
    head_prefix  the head's key prefix ('fc.'), used again when the model is saved
    mapping   ((file key, what it became), …) in file order, e.g. ('lstm.weight_ih_l0', 'layers[0].weight_ih')
    ignored   keys left out (only with ignore_extra=True)
    notes     what a user should know about the reading (e.g. that nn.RNN is read as tanh)
    """

    kind: str
    layers: tuple
    head: tuple | None = None
    prefix: str = ""
    head_prefix: str = "fc."
    mapping: tuple = ()
    ignored: tuple = ()
    notes: tuple = ()

    def __post_init__(self) -> None:
        layers = tuple(self.layers) if isinstance(self.layers, (tuple, list)) else self.layers
        kind = stack_kind(layers)
        if self.kind != kind:
            raise ValueError(f"kind: got {self.kind!r}, but the layers are {KIND_NAMES[kind]} layers ({kind!r})")
        object.__setattr__(self, "layers", layers)
        if self.head is not None:
            object.__setattr__(self, "head", check_head(self.head, layers[-1].hidden_size))
        for name in ("mapping", "ignored", "notes"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    @property
    def input_size(self) -> int:
        return self.layers[0].input_size

    @property
    def hidden_size(self) -> int:
        return self.layers[0].hidden_size

    @property
    def output_size(self) -> int | None:
        """O, the head's number of outputs, or None without a head."""
        return None if self.head is None else self.head[0].shape[0]

    def key_map(self) -> dict[str, str]:
        """{file key: what it became}, e.g. {'fc.weight': 'head.weight'}."""
        return dict(self.mapping)

    def head_output(self, h) -> np.ndarray:
        """The head's output W h_t + b for top-layer states h (…, H) -> (…, O); a ValueError without a head."""
        if self.head is None:
            raise ValueError("head: this model has no Linear head (the file held none)")
        weight, bias = self.head
        return np.asarray(h, dtype=np.float64) @ weight.T + bias


def check_head(head, hidden_size: int) -> tuple[np.ndarray, np.ndarray]:
    """(weight (O, H), bias (O,)) as read-only float64 copies, finite, 1 <= O <= MAX_OUTPUTS; else a ValueError."""
    if not isinstance(head, (tuple, list)) or len(head) != 2:
        raise ValueError("head: needs (weight (O, H), bias (O,)) or None")
    weight = numeric_array(head[0], "head weight", 2)
    bias = numeric_array(head[1], "head bias", 1)
    O = weight.shape[0]
    if weight.shape[1] != hidden_size or not 1 <= O <= MAX_OUTPUTS:
        raise ValueError(f"head weight: got shape {weight.shape}, needs (O, {hidden_size}) with 1 <= O <= "
                         f"{MAX_OUTPUTS} (a Linear reading the top layer's H = {hidden_size} hidden states)")
    if bias.shape != (O,):
        raise ValueError(f"head bias: got shape {bias.shape}, needs ({O},) to match the head weight {weight.shape}")
    return frozen_copy(weight), frozen_copy(bias)


def numeric_array(value, key: str, ndim: int | None = None) -> np.ndarray:
    """``value`` as a finite float64 array of ``ndim`` dimensions (any if None); refuses bool, text, objects,
    complex, naming ``key``."""
    try:
        a = np.asarray(value)
    except Exception as exc:  # ragged nested lists and the like
        raise ValueError(f"{key}: could not be read as a numeric array ({exc})") from None
    if a.dtype == bool:
        raise ValueError(f"{key}: got booleans (dtype bool), needs real numbers")
    if np.issubdtype(a.dtype, np.complexfloating):
        raise ValueError(f"{key}: got complex numbers (dtype {a.dtype}), needs real numbers")
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise ValueError(f"{key}: got dtype {a.dtype}, needs real numbers (float or int)")
    if ndim is not None and a.ndim != ndim:
        shape = {2: "(rows, columns)", 1: "(rows,)", 0: "(a single number)"}.get(ndim, "")
        raise ValueError(f"{key}: got shape {a.shape} ({a.ndim}-D), needs a {ndim}-D array {shape}".rstrip())
    with np.errstate(over="ignore"):  # float128 / huge ints beyond float64 become inf, refused just below
        a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        bad = int(a.size - np.count_nonzero(np.isfinite(a)))
        raise ValueError(f"{key}: {bad} value(s) are NaN or infinite (non-finite), needs finite numbers")
    return a


def forget_gate_flag(value, key: str) -> bool:
    """A forget_gate_l<k> marker: one number, 0 (no forget gate: the 1997 LSTM) or 1."""
    a = numeric_array(value, key)
    if a.size != 1 or a.ndim > 1 or float(a.reshape(-1)[0]) not in (0.0, 1.0):
        raise ValueError(f"{key}: got {a.size} value(s) {a.reshape(-1)[:3].tolist()}, needs one number: 0 (an LSTM "
                         "layer without a forget gate, f ≡ 1) or 1")
    return bool(a.reshape(-1)[0] == 1.0)


def _shape_text(a) -> str:
    return "(" + ", ".join(str(n) for n in np.shape(a)) + ("," if np.ndim(a) == 1 else "") + ")"


def _listed(keys, arrays: Mapping, limit: int = 4) -> str:
    """A few keys with their shapes, each quoted short, and how many more."""
    shown = ", ".join(f"{quoted(k, 40)} {_shape_text(arrays[k])}" for k in keys[:limit])
    return shown + (f" and {len(keys) - limit:,} more" if len(keys) > limit else "")


def _is_norm(key: str) -> bool:
    """A key of a normalisation layer: a dotted segment named like ln, ln_ih, norm1, layer_norm, LayerNorm, cell_norm."""
    return any(_NORM.search(segment) for segment in key.split("."))


def check_names(keys, where: str = "") -> None:
    """The keys of a file, before its arrays are read: text, at most MAX_KEYS of them, each at most MAX_KEY_CHARS.
    ``where`` (e.g. '.npz') starts the message."""
    keys = list(keys)
    start = f"{where}: " if where else ""
    if len(keys) > MAX_KEYS:
        raise ValueError(f"{start}the file holds {len(keys):,} arrays; a model the app reads (up to {MAX_LAYERS} "
                         f"recurrent layers and a Linear head) has far fewer, at most {MAX_KEYS} keys are read")
    for k in keys:
        if not isinstance(k, str):
            raise ValueError(f"{start}keys must be text, got {type(k).__name__} ({quoted(k, 20)})")
        if len(k) > MAX_KEY_CHARS:
            raise ValueError(f"{start}a key of {len(k):,} characters ({quoted(k, 30)}); a key has at most "
                             f"{MAX_KEY_CHARS}")


def model_from_state_dict(arrays: Mapping, *, ignore_extra: bool = False) -> LoadedModel:
    """A LoadedModel from a whole module's state_dict ``arrays`` (key -> array or nested list), or a ValueError
    naming the keys at fault and what is not supported (see the module docstring)."""
    if not isinstance(arrays, Mapping):
        raise ValueError(f"state_dict: got {type(arrays).__name__}, needs a mapping of key names to arrays")
    check_names(arrays.keys())
    keys = list(arrays)
    found = {k: m for k in keys if (m := _LAYER_KEY.match(k))}
    if not found:
        raise ValueError("no recurrent layer found: needs the keys of a torch.nn.LSTM, GRU or RNN (weight_ih_l0, "
                         "weight_hh_l0, bias_ih_l0, bias_hh_l0, under any prefix such as 'lstm.'); the file holds "
                         + (_listed(keys, arrays) if keys else "no keys"))
    prefixes = sorted({m["prefix"] for m in found.values()})
    if len(prefixes) > 1:
        raise ValueError("recurrent layers under more than one prefix (" + ", ".join(quoted(p, 30) for p in
                         prefixes[:3]) + "): the app reads one recurrent module")
    prefix = prefixes[0]
    _refuse_variants(found, keys, arrays)

    by_layer: dict[int, dict[str, str]] = {}
    for k, m in found.items():
        by_layer.setdefault(int(m["layer"]), {})[m["name"]] = k
    L = len(by_layer)
    if sorted(by_layer) != list(range(L)):
        raise ValueError(f"layers: the file has layers {sorted(by_layer)[:6]} (the l<k> in {quoted(prefix, 30)}"
                         "weight_ih_l<k>), needs 0, 1, … without gaps")
    if L > MAX_LAYERS:
        raise ValueError(f"layers: the file has {L} layers ({prefix}weight_ih_l0 … _l{L - 1}); the app runs at most "
                         f"{MAX_LAYERS}")
    if all("bias_ih" not in names and "bias_hh" not in names for names in by_layer.values()):
        raise ValueError(f"bias=False (the file has no {prefix}bias_ih_l0 or {prefix}bias_hh_l0): not supported; "
                         "the app's models always have biases (add zero biases of shape (rows of weight_ih,) to load "
                         "it)")
    for k, names in sorted(by_layer.items()):
        missing = [f"{prefix}{role}_l{k}" for role in ROLES if role not in names]
        if missing:
            raise ValueError(f"layer {k + 1}: missing {', '.join(quoted(m, 40) for m in missing)}; a recurrent layer "
                             "has weight_ih, weight_hh, bias_ih and bias_hh")

    kind, layers, mapping = _layers(by_layer, arrays, prefix)
    H = layers[-1].hidden_size
    head, head_prefix, head_keys = _head(keys, found, arrays, H)
    mapping += [(k, f"head.{k[len(head_prefix):]}") for k in head_keys]
    other = [k for k in keys if k not in found and k not in head_keys]
    norms = [k for k in other if _is_norm(k)]
    if norms:
        raise ValueError(f"layer normalisation ({_listed(norms, arrays, 2)}): not supported; the app runs torch.nn."
                         f"{'LSTM' if kind == 'lstm' else kind.upper()}'s equations, which have none: {_CONVERT}")
    if other and not ignore_extra:
        raise ExtraKeysError(
            f"keys that are neither the {KIND_NAMES[kind]} layers ({quoted(prefix, 30)}) nor a Linear head reading "
            f"its H = {H} hidden states: {_listed(other, arrays)}. The file was not loaded, so nothing is dropped "
            "without your knowing; it can be loaded without them",
            tuple(other),
        )
    order = {k: n for n, k in enumerate(keys)}
    notes = ["torch.nn.RNN is read as tanh: a state_dict does not record nonlinearity='relu'"] if kind == "rnn" else []
    return LoadedModel(kind=kind, layers=tuple(layers), head=head, prefix=prefix, head_prefix=head_prefix or "fc.",
                       mapping=tuple(sorted(mapping, key=lambda kv: order[kv[0]])), ignored=tuple(other),
                       notes=tuple(notes))


def _refuse_variants(found: dict, keys: list, arrays: Mapping) -> None:
    """Bidirectional and proj_size modules: a message naming the feature and a key that shows it."""
    reverse = [k for k, m in found.items() if m["reverse"]]
    if reverse:
        raise ValueError(f"bidirectional layers ({_listed(reverse, arrays, 1)}, the _reverse keys of "
                         f"bidirectional=True): not supported; the app runs one direction: {_CONVERT}")
    projected = [k for k, m in found.items() if m["name"] == "weight_hr"]
    if projected:
        raise ValueError(f"proj_size ({_listed(projected, arrays, 1)}, an LSTM whose h is projected): not supported; "
                         f"{_CONVERT}")


def _layers(by_layer: dict, arrays: Mapping, prefix: str):
    """(kind, [params per layer], [(key, what it became)]) for layers 0 … L−1, shapes checked in the file's names."""
    first_hh = numeric_array(arrays[by_layer[0]["weight_hh"]], by_layer[0]["weight_hh"], 2)
    rows, H = first_hh.shape
    kind = _ROWS_PER_UNIT.get(rows // H) if H and rows % H == 0 else None
    if kind is None:
        raise ValueError(f"{by_layer[0]['weight_hh']}: got shape {first_hh.shape}, needs (4H, H) for an LSTM, (3H, H) "
                         "for a GRU or (H, H) for a tanh RNN")
    layers, mapping = [], []
    for k, names in sorted(by_layer.items()):
        a = {role: numeric_array(arrays[names[role]], names[role], _NDIM[role]) for role in ROLES}
        want_in = a["weight_ih"].shape[1] if k == 0 else H
        for role, shape in (("weight_ih", (rows, want_in)), ("weight_hh", (rows, H)), ("bias_ih", (rows,)),
                            ("bias_hh", (rows,))):
            if a[role].shape != shape:
                reads = "D inputs" if k == 0 else f"the H = {H} hidden states of layer {k}"
                raise ValueError(f"{names[role]}: got shape {a[role].shape}, needs {shape} ({A_KIND[kind]} "
                                 f"layer with H = {H} reading {reads})")
        extra = {}
        if "forget_gate" in names:
            if kind != "lstm":
                raise ValueError(f"{names['forget_gate']}: only an LSTM layer can be without a forget gate")
            extra["forget_gate"] = forget_gate_flag(arrays[names["forget_gate"]], names["forget_gate"])
        try:
            layers.append(KINDS[kind](**a, **extra))
        except ValueError as exc:  # size limits, a 1997 LSTM's nonzero forget rows: in the file's key names
            msg = str(exc)
            for role in ROLES:
                msg = msg.replace(f"{KINDS[kind].__name__}.{role}", names[role])
            raise ValueError(msg) from None
        mapping += [(names[role], f"layers[{k}].{role}") for role in ROLES]
        if "forget_gate" in names:
            mapping.append((names["forget_gate"], f"layers[{k}].forget_gate"))
    return kind, layers, mapping


def _head(keys: list, found: dict, arrays: Mapping, H: int):
    """(head or None, its prefix or '', its keys): the one 'P.weight' (O, H) with a 'P.bias' (O,)."""
    candidates = []
    for k in keys:
        if k in found or not k.endswith(".weight") or np.ndim(arrays[k]) != 2 or np.shape(arrays[k])[1] != H:
            continue
        p = k[: -len("weight")]
        bias = arrays.get(p + "bias")
        if bias is not None and np.shape(bias) == (np.shape(arrays[k])[0],) and not _is_norm(k):
            candidates.append(p)
    if len(candidates) > 1:
        raise ValueError(f"more than one Linear reads the H = {H} hidden states ("
                         + ", ".join(f"{quoted(p + 'weight', 40)} {_shape_text(arrays[p + 'weight'])}"
                                     for p in candidates[:3]) + "): the app takes at most one head")
    if not candidates:
        return None, "", []
    p = candidates[0]
    try:
        head = check_head((numeric_array(arrays[p + "weight"], p + "weight", 2),
                           numeric_array(arrays[p + "bias"], p + "bias", 1)), H)
    except ValueError as exc:
        raise ValueError(str(exc).replace("head weight", p + "weight").replace("head bias", p + "bias")) from None
    return head, p, [p + "weight", p + "bias"]


def model_state_dict(model: LoadedModel) -> dict[str, np.ndarray]:
    """The model as a torch state_dict (writable float64 copies): the layers under model.prefix with torch's key
    names, the head under model.head_prefix ('fc.weight', 'fc.bias'). An LSTM layer without a forget gate adds
    forget_gate_l<k> = 0 (not a torch key: torch has no such LSTM; drop it to load the rest into nn.LSTM)."""
    if not isinstance(model, LoadedModel):
        raise ValueError(f"model: got {type(model).__name__}, needs a LoadedModel")
    out = {}
    for k, params in enumerate(model.layers):
        for role in ROLES:
            out[f"{model.prefix}{role}_l{k}"] = np.array(getattr(params, role), dtype=np.float64)
        if not getattr(params, "forget_gate", True):
            out[f"{model.prefix}forget_gate_l{k}"] = np.array(0.0)
    if model.head is not None:
        out[model.head_prefix + "weight"], out[model.head_prefix + "bias"] = (np.array(a) for a in model.head)
    return out


def single_layer(params) -> LoadedModel:
    """A one-layer model of ``params`` without a head (e.g. to save it with save_model)."""
    return LoadedModel(kind=kind_of(params), layers=(params,))

