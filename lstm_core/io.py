"""Saving and loading weights and input sequences: bytes in, bytes out, every malformed file refused clearly.

Weights use PyTorch's one-layer state_dict key names, so a file written here loads into ``torch.nn.LSTM`` /
``torch.nn.RNN`` (after ``torch.from_numpy`` / ``torch.tensor``) and a torch state_dict saved as .npz or JSON
loads here:

    weight_ih_l0 (4H, D) | (H, D)    weight_hh_l0 (4H, H) | (H, H)    bias_ih_l0 (4H,) | (H,)    bias_hh_l0 …

LSTM or RNN is read off ``weight_hh_l0``: (4H, H) is an LSTM (row blocks i, f, g, o), (H, H) a tanh RNN.

Formats:
    .npz   ``np.savez`` archive of the four arrays. Read with ``allow_pickle=False``: an archive holding Python
           objects is refused and nothing in it is unpickled.
    .json  one object with exactly the four keys, values nested lists of numbers. Parsed by ``json.loads`` only;
           NaN / Infinity tokens and numbers that overflow float64 are refused.
    .csv   an input sequence x (T, D): header ``step,x1,…,xD``, one row per step (``step`` is 1-based and
           optional when reading).

Every reader takes untrusted bytes (an upload) and raises ValueError with a message fit to show the user: plain
text (no Markdown of ours), at most a few hundred characters, quoting the user's own text (a file's key, header or
cell) only through ``validate.quoted`` (60 characters at most).

Linear time, bounded memory: a student's upload must not stall the class server. Each reader checks the raw bytes
before anything is parsed: the size (MAX_UPLOAD_BYTES), then for a CSV the line count, the first line's field count
and the longest field (a number has at most MAX_NUMBER_CHARS characters), for JSON the count of separators and the
length of every number and key, for .npz every member's compression, declared size and array header. Numbers are
read one by one with ``float()`` (never an array of strings, never a parser that renames duplicate columns).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from collections.abc import Mapping

import numpy as np

from .params import GRUParams, LSTMParams, RNNParams
from .statedict import (
    MAX_KEYS, ExtraKeysError, LoadedModel, check_names, forget_gate_flag, model_from_state_dict, model_state_dict,
    numeric_array,
)
from .torchfile import Refused, read_torch_zip
from .validate import MAX_D, MAX_H, MAX_T, as_float_array, check_size, quoted

# Largest file any reader accepts. Streamlit's browser client refuses files over server.maxUploadSize (in
# .streamlit/config.toml) × 1,000,000 bytes, so this is the same number: one limit wherever a user meets it.
MAX_UPLOAD_MB = 5
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1_000_000
# Longest number (or CSV column name) in characters. float64's shortest round-trip form has at most 24
# ("-2.2250738585072014e-308"); 64 leaves room for spaces and extra digits, and keeps every cell cheap to read.
MAX_NUMBER_CHARS = 64
# Largest |number| the app takes from a file or a table (the readers themselves round-trip any finite float64).
# Finite is not enough: with 1e308 every product W·x overflows float64 (NaN gates, overflow warnings, errors on the
# pages). 1e6 is far beyond any trained network's weights and keeps every pre-activation, at most
# (D + H + 2) · 5 · 1e6 · 1e6 with the weight-scale knob, far below float64's 1.8e308.
MAX_ABS_VALUE = 1e6
# Largest total *uncompressed* size of the arrays in an .npz (guards against zip bombs). An LSTM at the size
# limits (H=256, D=64) is 329,728 float64 = 2.6 MB; int64/float64 of that size fit with room to spare.
MAX_NPZ_UNCOMPRESSED_BYTES = 16 * 1024 * 1024
# The most numbers a weights file can hold at the core's size limits (an LSTM with H = MAX_H, D = MAX_D): a JSON
# file with more separators than this (and its rows' and keys' few) is refused before it is parsed.
MAX_WEIGHT_NUMBERS = 4 * MAX_H * (MAX_D + MAX_H + 2)

STATE_DICT_KEYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
FORGET_GATE_KEY = "forget_gate_l0"  # optional: 0 for an LSTM without a forget gate (the 1997 LSTM; not a torch key)
_FIELDS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")  # LSTMParams / GRUParams / RNNParams field of each key
_NDIM = {"weight_ih_l0": 2, "weight_hh_l0": 2, "bias_ih_l0": 1, "bias_hh_l0": 1, FORGET_GATE_KEY: None}  # None: any
_MODELS = {"lstm": LSTMParams, "gru": GRUParams, "rnn": RNNParams}
_A_MODEL = {"lstm": "an LSTM", "gru": "a GRU", "rnn": "an RNN"}
_ROWS = {"lstm": "4H, H", "gru": "3H, H", "rnn": "H, H"}

Params = LSTMParams | GRUParams | RNNParams


# ----------------------------------------------------------------------------------------------- state_dict


def params_to_state_dict(params: Params) -> dict[str, np.ndarray]:
    """The four arrays under PyTorch's key names, as writable float64 copies (``torch.from_numpy`` accepts them); an
    LSTM without a forget gate (the 1997 LSTM) adds forget_gate_l0 = 0, which torch's nn.LSTM does not have."""
    if not isinstance(params, (LSTMParams, GRUParams, RNNParams)):
        raise ValueError(f"params: got {type(params).__name__}, needs LSTMParams, GRUParams or RNNParams")
    out = {key: np.array(getattr(params, field), dtype=np.float64, copy=True)
           for key, field in zip(STATE_DICT_KEYS, _FIELDS)}
    if not getattr(params, "forget_gate", True):
        out[FORGET_GATE_KEY] = np.array(0.0)
    return out


def _expected_keys_text() -> str:
    return ", ".join(STATE_DICT_KEYS)


def _check_keys(keys, where: str) -> list[str]:
    """Exactly the four state_dict keys (and optionally forget_gate_l0), or a ValueError listing what is missing /
    extra / expected. Returns the keys to read."""
    keys = list(keys)
    bad_type = [k for k in keys if not isinstance(k, str)]
    if bad_type:
        raise ValueError(f"{where}: keys must be text, got {type(bad_type[0]).__name__}; "
                         f"expected keys: {_expected_keys_text()}")
    missing = [k for k in STATE_DICT_KEYS if k not in keys]
    extra = [k for k in keys if k not in STATE_DICT_KEYS and k != FORGET_GATE_KEY]
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if extra:
            first = sorted(extra[:1000])[:3]  # a few, each cut short (an archive may name thousands, any length)
            more = f" and {len(extra) - len(first):,} more" if len(extra) > len(first) else ""
            parts.append("unexpected " + ", ".join(quoted(k, 30) for k in first) + more)
        raise ValueError(
            f"{where}: {'; '.join(parts)}. Expected exactly the keys {_expected_keys_text()} "
            "(a one-layer torch.nn.LSTM / GRU / RNN state_dict; a whole model's file is read by load_model)"
        )
    return list(STATE_DICT_KEYS) + ([FORGET_GATE_KEY] if FORGET_GATE_KEY in keys else [])


def _numeric_array(value, key: str) -> np.ndarray:
    """``value`` as a finite float64 array of the key's number of dimensions; refuses bool, text, objects, complex."""
    return numeric_array(value, key, _NDIM[key])


def _infer_model(w_hh: np.ndarray) -> str:
    rows, H = w_hh.shape
    for model, per_unit in (("lstm", 4), ("gru", 3), ("rnn", 1)):
        if H >= 1 and rows == per_unit * H:
            return model
    raise ValueError(
        f"weight_hh_l0: got shape {w_hh.shape}, needs (4H, H) for an LSTM, (3H, H) for a GRU or (H, H) for an RNN, "
        "with H >= 1"
    )


def params_from_state_dict(
    d: Mapping,
    model: str | None = None,
    expected_input_size: int | None = None,
    expected_hidden_size: int | None = None,
) -> Params:
    """LSTMParams, GRUParams or RNNParams from a mapping with exactly the keys weight_ih_l0, weight_hh_l0, bias_ih_l0,
    bias_hh_l0 (and, for an LSTM without a forget gate, forget_gate_l0 = 0).

    ``model``: 'lstm', 'gru', 'rnn', or None to infer it from weight_hh_l0's shape ((4H, H) → LSTM, (3H, H) → GRU,
    (H, H) → RNN).
    ``expected_input_size`` / ``expected_hidden_size``: when given, weights of another D / H are refused.
    Values may be arrays or nested lists of real numbers (int or float, not bool); they are copied to float64.
    """
    if not isinstance(d, Mapping):
        raise ValueError(f"state_dict: got {type(d).__name__}, needs a mapping with keys {_expected_keys_text()}")
    return _params_from_arrays(d, "state_dict", model, expected_input_size, expected_hidden_size)


def _params_from_arrays(d: Mapping, where: str, model, expected_input_size, expected_hidden_size) -> Params:
    """One layer's params from a file's arrays (any format, read already): the keys, then the arrays, then _build."""
    _check_model(model)
    arrays = {key: _numeric_array(d[key], key) for key in _check_keys(d.keys(), where)}
    return _build(arrays, model, expected_input_size, expected_hidden_size)


def _check_model(model) -> None:
    if model is not None and model not in _MODELS:
        raise ValueError(f"model: got {model!r}, needs 'lstm', 'gru', 'rnn' or None (infer from weight_hh_l0)")


def _build(arrays: dict[str, np.ndarray], model, expected_input_size, expected_hidden_size) -> Params:
    _check_model(model)
    w_ih, w_hh = arrays["weight_ih_l0"], arrays["weight_hh_l0"]
    found = _infer_model(w_hh)
    if model is not None and model != found:
        H = w_hh.shape[1]
        raise ValueError(
            f"weight_hh_l0 has shape {w_hh.shape}, which is {_A_MODEL[found]}'s ({_ROWS[found]}) with H={H}, but "
            f"{_A_MODEL[model]} was asked for, whose weight_hh_l0 is ({_ROWS[model]})"
        )
    rows, H = w_hh.shape
    # Shape consistency, with the state_dict key names in the messages.
    if w_ih.shape[0] != rows:
        raise ValueError(
            f"weight_ih_l0: got shape {w_ih.shape}, needs ({rows}, D) to match weight_hh_l0 {w_hh.shape}"
        )
    for key in ("bias_ih_l0", "bias_hh_l0"):
        if arrays[key].shape != (rows,):
            raise ValueError(f"{key}: got shape {arrays[key].shape}, needs ({rows},) to match weight_hh_l0 {w_hh.shape}")
    D = w_ih.shape[1]
    if (expected_input_size is not None and D != expected_input_size) or (
        expected_hidden_size is not None and H != expected_hidden_size
    ):
        want_d = expected_input_size if expected_input_size is not None else D
        want_h = expected_hidden_size if expected_hidden_size is not None else H
        raise ValueError(f"the weights are for D={D}, H={H} but the app is set to D={want_d}, H={want_h}")
    cls = _MODELS[found]
    extra = {}
    if FORGET_GATE_KEY in arrays:
        if found != "lstm":
            raise ValueError(f"{FORGET_GATE_KEY}: only an LSTM can be without a forget gate, these are {_A_MODEL[found]}'s "
                             "weights")
        extra["forget_gate"] = forget_gate_flag(arrays[FORGET_GATE_KEY], FORGET_GATE_KEY)
    try:
        return cls(**{field: arrays[key] for key, field in zip(STATE_DICT_KEYS, _FIELDS)}, **extra)
    except ValueError as exc:  # size limits etc.: speak in state_dict key names
        msg = str(exc)
        for key, field in zip(STATE_DICT_KEYS, _FIELDS):
            msg = msg.replace(f"{cls.__name__}.{field}", key)
        raise ValueError(msg) from None


# ---------------------------------------------------------------------------------------------------- bytes


def _check_bytes(data, what: str) -> bytes:
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise ValueError(f"{what}: got {type(data).__name__}, needs bytes (the file's contents)")
    if len(data) == 0:
        raise ValueError(f"{what}: the file is empty (0 bytes)")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(f"{what}: the file is {len(data):,} bytes, larger than the {MAX_UPLOAD_BYTES:,}-byte "
                         f"({MAX_UPLOAD_MB} MB) limit")
    return data


def _decode_text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")  # a leading BOM (Excel, Notepad) is dropped
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what}: not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x})") from None


def check_magnitude(value, what: str = "", limit: float = MAX_ABS_VALUE) -> None:
    """Refuse numbers larger than ``limit`` in size, naming where: ``value`` is LSTMParams / GRUParams / RNNParams or
    a whole LoadedModel (messages use the state_dict key names, a model's as in its file) or an input sequence
    x (T, D) (messages name the row t and the column x1…xD). ``what`` prefixes the message (e.g. ".csv")."""
    prefix = f"{what}: " if what else ""
    if isinstance(value, (LSTMParams, GRUParams, RNNParams, LoadedModel)):
        arrays = model_state_dict(value) if isinstance(value, LoadedModel) else params_to_state_dict(value)
        for key, a in arrays.items():
            big = np.abs(a) > limit
            if big.any():
                raise ValueError(
                    f"{prefix}{key} has {int(big.sum())} value(s) larger than {limit:g} in size (largest "
                    f"{np.abs(a).max():g}); needs numbers within ±{limit:g}"
                )
        return
    x = np.asarray(value, dtype=np.float64)
    big = np.abs(x) > limit
    if big.any():
        r, c = (int(i) for i in np.argwhere(big.reshape(x.shape[0], -1))[0])
        raise ValueError(
            f"{prefix}row {r + 1}, column x{c + 1} is {x.reshape(x.shape[0], -1)[r, c]:g}, larger than {limit:g} in "
            f"size ({int(big.sum())} value(s)); needs numbers within ±{limit:g}"
        )


# ------------------------------------------------------------------------------------------------------ npz


def to_npz_bytes(params: Params) -> bytes:
    """An uncompressed ``np.savez`` archive of the four state_dict arrays (float64)."""
    return _npz_bytes(params_to_state_dict(params))


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


_NOT_NPZ = "not a valid .npz file (expected a zip archive written by numpy.savez)"


def from_npz_bytes(
    data: bytes,
    model: str | None = None,
    expected_input_size: int | None = None,
    expected_hidden_size: int | None = None,
) -> Params:
    """Weights from the bytes of an .npz archive (``allow_pickle=False``: object arrays are refused, never unpickled)."""
    arrays = _npz_arrays(data, lambda files: _check_keys(files, ".npz"))
    return _build({key: _numeric_array(a, key) for key, a in arrays.items()}, model, expected_input_size,
                  expected_hidden_size)


def _npz_arrays(data: bytes, keys_to_read) -> dict[str, np.ndarray]:
    """The arrays of an .npz archive's bytes: ``keys_to_read(names)`` checks the archive's names (before any
    member is read) and returns those to read; each is then checked for its compression, its declared size (in
    total at most MAX_NPZ_UNCOMPRESSED_BYTES) and its .npy header before NumPy reads it (``allow_pickle=False``)."""
    data = _check_bytes(data, ".npz")
    if not data.startswith(b"PK"):
        if data.startswith(b"\x93NUMPY"):
            raise ValueError(".npz: this is a single-array .npy file; " + _NOT_NPZ)
        raise ValueError(".npz: " + _NOT_NPZ)
    try:
        archive = np.load(io.BytesIO(data), allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ValueError(f".npz: {_NOT_NPZ} ({_reason(exc)})") from None
    arrays = {}
    with archive:
        if not isinstance(archive, np.lib.npyio.NpzFile):  # pragma: no cover - guarded by the PK check
            raise ValueError(".npz: " + _NOT_NPZ)
        members = {key: _npz_member(archive.zip, key) for key in keys_to_read(archive.files)}
        total = sum(info.file_size for info in members.values())
        if total > MAX_NPZ_UNCOMPRESSED_BYTES:
            raise ValueError(
                f".npz: its arrays unpack to {total:,} bytes, more than the {MAX_NPZ_UNCOMPRESSED_BYTES:,}-byte limit"
            )
        for key, info in members.items():
            _check_npy_header(archive.zip, info, key)  # before NumPy allocates what the header asks for
            try:
                arrays[key] = archive[key]
            except Exception as exc:  # zlib.error, a bad CRC and other failures of a corrupt member
                raise ValueError(f".npz: {_key(key)} could not be read; {_NOT_NPZ} ({_reason(exc)})") from None
    return arrays


def _key(key: str) -> str:
    """A key as a message shows it: a one-layer state_dict's own names as they are, any other (a user's) quoted."""
    return key if key in _NDIM else quoted(key, 40)


def _reason(exc: Exception) -> str:
    """A library's error message, cut short (it may repeat the file's own bytes)."""
    return f"{type(exc).__name__}: {quoted(str(exc), 100)}"


def _npz_member(zf: zipfile.ZipFile, key: str) -> zipfile.ZipInfo:
    """The archive member holding ``key`` (``key.npy``, as numpy.savez names it), stored or deflated only: zipfile
    inflates a bzip2 / LZMA read in one piece before cutting it to the member's declared size, so a few hundred
    bytes of bzip2 could ask for gigabytes."""
    try:
        info = zf.getinfo(key + ".npy")
    except KeyError:
        info = zf.getinfo(key)  # np.load also accepts a member without the .npy suffix
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise ValueError(f".npz: {_key(key)} is compressed with method {info.compress_type}; numpy.savez writes "
                         "stored or deflated members only")
    return info


def _check_npy_header(zf: zipfile.ZipFile, info: zipfile.ZipInfo, key: str) -> None:
    """The member's .npy header (read on its own: a few hundred bytes) must describe a numeric array whose size is
    what the member holds. NumPy allocates the header's shape × itemsize before reading the data, so a header that
    claims 80 GB over 64 bytes of data would otherwise be an 80 GB request."""
    fmt = np.lib.format
    try:
        with zf.open(info) as f:
            version = fmt.read_magic(f)
            read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, _, dtype = read_header(f)
            header_bytes = f.tell()
    except Exception as exc:
        raise ValueError(f".npz: {_key(key)} is not a .npy array; {_NOT_NPZ} ({_reason(exc)})") from None
    if dtype.hasobject:
        raise ValueError(f".npz: {_key(key)} holds Python objects (a pickled object array); only numeric arrays are "
                         "accepted, and pickled data is never loaded")
    claimed = math.prod(shape) * dtype.itemsize
    held = info.file_size - header_bytes
    if claimed != held:
        raise ValueError(f".npz: {_key(key)}'s header says shape {quoted(shape, 40)[1:-1]} of {dtype.itemsize}-byte "
                         f"numbers, {claimed:,} bytes, but the file holds {held:,} bytes of data; {_NOT_NPZ}")


# ----------------------------------------------------------------------------------------------------- json


def to_json_bytes(params: Params) -> bytes:
    """UTF-8 JSON object with exactly the four state_dict keys (and forget_gate_l0 for a 1997 LSTM), values nested
    lists of floats (shortest round-trip repr, so reading it back gives bit-identical float64)."""
    sd = params_to_state_dict(params)
    text = json.dumps({k: v.tolist() for k, v in sd.items()}, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")


class _Refused(Exception):
    """Raised inside json.loads by the hooks below; its message is the reason shown to the user."""


def _parse_constant(token: str):
    raise _Refused(f"contains a non-finite number ({token}); only finite numbers are accepted")


def _parse_number(token: str) -> float:
    """Every JSON number, as text, before Python converts it: length first (a 5-million-digit integer would take
    CPython minutes to convert), then float() (a huge finite-looking literal becomes inf and is refused)."""
    if len(token) > MAX_NUMBER_CHARS:
        raise _Refused(f"contains a number of {len(token):,} characters ({quoted(token, 20)}); a number has at most "
                       f"{MAX_NUMBER_CHARS}")
    value = float(token)
    if not math.isfinite(value):
        raise _Refused(f"contains a non-finite number ({quoted(token, 30)[1:-1]}); only finite numbers are accepted")
    return value


def _json_object(pairs: list[tuple[str, object]]) -> dict:
    """Every JSON object: a key twice is refused (json.loads would silently keep the last)."""
    obj = dict(pairs)
    if len(obj) < len(pairs):
        seen = set()
        twice = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise _Refused(f"the key {quoted(twice, 30)} appears more than once")
    return obj


def _is_number(v) -> bool:
    return type(v) is float or type(v) is int  # not bool (a subclass of int), not str, not None


def _describe(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return f"a boolean ({str(v).lower()})"
    if isinstance(v, str):
        return f"text ({quoted(v, 20)})"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def _json_array(value, key: str, ndim: int | None = None) -> np.ndarray:
    """A nested list of numbers as float64, or a ValueError naming the key and the offending position. ``ndim``: the
    number of levels, by default the key's own (2 for weights, 1 for biases, 0 for forget_gate_l0's single number)
    or, for any other key of a whole model's file, as deep as the value is nested."""
    shown = _key(key)
    depth, probe = 0, value
    while isinstance(probe, list):
        depth += 1
        probe = probe[0] if probe else None
    if ndim is None:
        ndim = depth if _NDIM.get(key) is None else _NDIM[key]
    if ndim == 0:
        if not _is_number(value):
            raise ValueError(f"{shown}: got {_describe(value)}, needs a number")
        return np.array(float(value))
    if not isinstance(value, list):
        raise ValueError(f"{shown}: got {_describe(value)}, needs a {'list of lists' if ndim == 2 else 'list'} of numbers")
    if depth != ndim or ndim > 2:  # a well-formed array of the wrong rank gets the same shape message as .npz
        try:
            a = np.asarray(value)
        except ValueError:
            a = None
        if a is not None and (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
            return numeric_array(a, shown, ndim)  # raises if the rank is wrong
        if ndim > 2:
            raise ValueError(f"{shown}: not a rectangular {ndim}-D array of numbers")
    if ndim == 1:
        for j, v in enumerate(value):
            if not _is_number(v):
                raise ValueError(f"{shown}: element {j} is {_describe(v)}, needs a number")
        return np.array(value, dtype=np.float64).reshape(len(value))
    width = None
    for r, row in enumerate(value):
        if not isinstance(row, list):
            raise ValueError(f"{shown}: row {r} is {_describe(row)}, needs a list of numbers (a 2-D list of lists)")
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise ValueError(f"{shown}: ragged rows: row {r} has {len(row)} numbers, row 0 has {width}")
        for j, v in enumerate(row):
            if not _is_number(v):
                raise ValueError(f"{shown}: row {r}, column {j} is {_describe(v)}, needs a number")
    return np.array(value, dtype=np.float64).reshape(len(value), width or 0)


def _json_object_of(data: bytes, wants: str, max_keys: int, keys_text: str, max_numbers: int,
                    numbers_text: str, what: str = ".json") -> dict:
    """The top-level object of a JSON file's bytes (``wants`` says what it should hold). Before parsing, the count of
    keys (':') and of values (','; one per number but about one per row) must be within ``max_keys`` /
    ``max_numbers`` (else the message goes on with ``keys_text`` / ``numbers_text``: what the app takes), so
    json.loads never builds millions of objects."""
    data = _check_bytes(data, what)
    text = _decode_text(data, what)
    keys, separators = text.count(":"), text.count(",")
    if keys > max_keys:
        raise ValueError(f"{what}: holds about {keys:,} keys; {keys_text}")
    if separators > max_numbers:
        raise ValueError(f"{what}: holds about {separators:,} numbers; {numbers_text}")
    try:
        obj = json.loads(text, parse_constant=_parse_constant, parse_float=_parse_number, parse_int=_parse_number,
                         object_pairs_hook=_json_object)
    except _Refused as exc:
        raise ValueError(f"{what}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"{what}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise ValueError(f"{what}: not valid here: lists are nested far too deeply") from None
    if not isinstance(obj, dict):
        raise ValueError(f"{what}: got {_describe(obj)} at the top level, needs an object with {wants}")
    return obj


def from_json_bytes(
    data: bytes,
    model: str | None = None,
    expected_input_size: int | None = None,
    expected_hidden_size: int | None = None,
) -> Params:
    """Weights from the bytes of a JSON object {weight_ih_l0: [[…]], weight_hh_l0: [[…]], bias_ih_l0: […], bias_hh_l0: […]}.

    Parsed with ``json.loads`` only (no eval). NaN / Infinity tokens and numbers beyond float64 are refused.
    """
    obj = _json_object_of(data, f"the keys {_expected_keys_text()}",
                          16 * len(STATE_DICT_KEYS), f"needs exactly the keys {_expected_keys_text()}",
                          MAX_WEIGHT_NUMBERS + 16 * MAX_H, f"the largest network the app takes (an LSTM with "
                          f"H = {MAX_H}, D = {MAX_D}) has {MAX_WEIGHT_NUMBERS:,}")
    arrays = {key: _json_array(obj[key], key) for key in _check_keys(obj.keys(), ".json")}
    for key, a in arrays.items():
        arrays[key] = _numeric_array(a, key)  # dtype / ndim / finiteness, one place for every format
    return _build(arrays, model, expected_input_size, expected_hidden_size)


# ----------------------------------------------------------------------------------------------- safetensors


def to_safetensors_bytes(params: Params) -> bytes:
    """A .safetensors file of the four state_dict arrays (float64), loadable with ``safetensors.torch.load_file``."""
    return _safetensors_bytes(params_to_state_dict(params))


def _safetensors_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    from safetensors.numpy import save

    return save({k: np.ascontiguousarray(v) for k, v in arrays.items()}, metadata={"format": "pt"})


# safetensors dtype -> bytes per number, for those NumPy reads (BF16 and the 8-bit floats it cannot)
_SAFETENSORS_DTYPES = {"F64": 8, "F32": 4, "F16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U64": 8, "U32": 4,
                       "U16": 2, "U8": 1, "BOOL": 1}
MAX_SAFETENSORS_HEADER = 100_000  # a model's header is ~100 bytes per tensor


def _safetensors_arrays(data: bytes) -> dict[str, np.ndarray]:
    """The arrays of a .safetensors file's bytes, in the header's order. The header (8 bytes of length, then JSON)
    is checked first: its length within the file, every entry's dtype, shape and byte range consistent and inside the
    file; only then does the ``safetensors`` package (Rust, no pickle) read the arrays."""
    data = _check_bytes(data, ".safetensors")
    n = int.from_bytes(data[:8], "little") if len(data) >= 8 else -1
    if not 2 <= n <= min(len(data) - 8, MAX_SAFETENSORS_HEADER):
        raise ValueError(f".safetensors: not a safetensors file (its first 8 bytes give a header of {n:,} bytes; the "
                         f"file has {len(data):,} bytes, a header at most {MAX_SAFETENSORS_HEADER:,})")
    header = _json_object_of(data[8:8 + n], "an entry per tensor", MAX_KEYS * 8,
                             f"a model the app reads has at most {MAX_KEYS}", MAX_KEYS * 32,
                             f"a model the app reads has at most {MAX_KEYS} tensors", what=".safetensors header")
    entries = {k: v for k, v in header.items() if k != "__metadata__"}
    check_names(entries, ".safetensors")
    held = len(data) - 8 - n
    for key, e in entries.items():
        if not isinstance(e, dict) or set(e) != {"dtype", "shape", "data_offsets"}:
            raise ValueError(f".safetensors: the header's entry {quoted(key, 40)} is not {{dtype, shape, data_offsets}}")
        dtype, shape, offsets = e["dtype"], e["shape"], e["data_offsets"]
        if dtype not in _SAFETENSORS_DTYPES:
            raise ValueError(f".safetensors: {quoted(key, 40)} has dtype {quoted(dtype, 12)}, which NumPy cannot read; "
                             "save it as float32 or float64" if isinstance(dtype, str) else
                             f".safetensors: {quoted(key, 40)} has no dtype name")
        if not (isinstance(shape, list) and len(shape) <= 8 and all(_whole(v) for v in shape)
                and isinstance(offsets, list) and len(offsets) == 2 and all(_whole(v) for v in offsets)
                and offsets[0] <= offsets[1] <= held
                and offsets[1] - offsets[0] == math.prod(int(v) for v in shape) * _SAFETENSORS_DTYPES[dtype]):
            raise ValueError(f".safetensors: {quoted(key, 40)}: its shape and byte range disagree or lie outside the "
                             f"file's {held:,} bytes of data")
    try:
        from safetensors.numpy import load

        arrays = load(data)
    except Exception as exc:  # the package's own checks (overlapping ranges, …)
        raise ValueError(f".safetensors: could not be read ({_reason(exc)})") from None
    return {key: arrays[key] for key in entries}


def _whole(v) -> bool:
    return type(v) is float and v.is_integer() and 0 <= v < 2**53  # json numbers arrive as floats (_parse_number)


def from_safetensors_bytes(
    data: bytes,
    model: str | None = None,
    expected_input_size: int | None = None,
    expected_hidden_size: int | None = None,
) -> Params:
    """Weights from the bytes of a .safetensors file holding a one-layer state_dict (its four keys)."""
    return _params_from_arrays(_safetensors_arrays(data), ".safetensors", model, expected_input_size,
                               expected_hidden_size)


# ------------------------------------------------------------------------------------------------------- .pt


def _torch_arrays(data: bytes) -> dict[str, np.ndarray]:
    """The tensors of a torch.save(state_dict) file, read without torch and without running its pickle
    (lstm_core/torchfile.py)."""
    data = _check_bytes(data, ".pt")
    try:
        arrays = read_torch_zip(data, MAX_NPZ_UNCOMPRESSED_BYTES)
    except Refused as exc:
        raise ValueError(f".pt: {exc}") from None
    check_names(arrays, ".pt")
    return arrays


def from_pt_bytes(
    data: bytes,
    model: str | None = None,
    expected_input_size: int | None = None,
    expected_hidden_size: int | None = None,
) -> Params:
    """Weights from a ``torch.save(nn_lstm.state_dict())`` file of one layer (its four keys)."""
    return _params_from_arrays(_torch_arrays(data), ".pt", model, expected_input_size, expected_hidden_size)


# ------------------------------------------------------------------------------------------------- dispatch


def _extension(filename) -> tuple[str, str]:
    name = str(filename or "")
    return name, (name.rsplit(".", 1)[-1].lower() if "." in name else "")


def _unsupported(name: str, ext: str, what: str) -> ValueError:
    return ValueError(f"{name or 'file'}: unsupported file type {('.' + ext) if ext else '(no extension)'}; "
                      f"upload {what} as .npz (numpy.savez of a state_dict), .json, .safetensors or .pt / .pth "
                      "(torch.save of a state_dict)")


def load_params(
    data: bytes,
    filename: str,
    model: str | None = None,
    expected_input_size: int | None = None,
    expected_hidden_size: int | None = None,
) -> Params:
    """One layer's weights from an uploaded file, by its extension: .npz (numpy.savez), .json, .safetensors or
    .pt / .pth (torch.save of an nn.LSTM / GRU / RNN's state_dict). A whole model's file: load_model."""
    name, ext = _extension(filename)
    readers = {"npz": from_npz_bytes, "json": from_json_bytes, "safetensors": from_safetensors_bytes,
               "pt": from_pt_bytes, "pth": from_pt_bytes}
    if ext not in readers:
        raise _unsupported(name, ext, "weights")
    return readers[ext](data, model=model, expected_input_size=expected_input_size,
                        expected_hidden_size=expected_hidden_size)


# -------------------------------------------------------------------------------------------- whole models


def _json_model_arrays(data: bytes) -> dict[str, np.ndarray]:
    obj = _json_object_of(data, "an array per key (a state_dict)", MAX_KEYS + 16,
                          f"a model the app reads has at most {MAX_KEYS}",
                          MAX_WEIGHT_NUMBERS + 16 * MAX_H, f"a model as JSON may have up to {MAX_WEIGHT_NUMBERS:,} "
                          "(save larger ones as .npz or .safetensors)")
    check_names(obj, ".json")
    return {key: _json_array(value, key) for key, value in obj.items()}


_MODEL_READERS = {
    "npz": lambda data: _npz_arrays(data, lambda files: (check_names(files, ".npz"), files)[1]),
    "json": _json_model_arrays,
    "safetensors": _safetensors_arrays,
    "pt": _torch_arrays,
    "pth": _torch_arrays,
}


def load_model(data: bytes, filename: str, *, ignore_extra: bool = False) -> LoadedModel:
    """A whole model (``LoadedModel``: kind, layers bottom first, head, prefix, which key became what) from an
    uploaded state_dict of a torch module, by the file's extension: .npz, .json, .safetensors or .pt / .pth.

    One recurrent module under any prefix ('lstm.', 'encoder.rnn.', none) with 1–4 layers, and at most one Linear
    reading its hidden states (the head); see lstm_core/statedict.py for what is refused and why. Other keys raise
    an ExtraKeysError (a ValueError) that lists them, unless ``ignore_extra`` (then they are in ``model.ignored``).
    Every file is checked on its raw bytes first, as the one-layer readers do.
    """
    name, ext = _extension(filename)
    if ext not in _MODEL_READERS:
        raise _unsupported(name, ext, "a model")
    arrays = _MODEL_READERS[ext](data)
    where = "." + ("pt" if ext == "pth" else ext)
    try:
        return model_from_state_dict(arrays, ignore_extra=ignore_extra)
    except ExtraKeysError as exc:
        raise ExtraKeysError(f"{where}: {exc}", exc.keys) from None
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from None


SAVE_FORMATS = ("npz", "json", "safetensors")


def save_model(model: LoadedModel, fmt: str = "npz") -> bytes:
    """The bytes of a whole model's state_dict (torch's key names, float64) as .npz, .json or .safetensors: what
    load_model reads back, bit for bit, and what torch loads with ``module.load_state_dict`` (an LSTM layer without a
    forget gate adds forget_gate_l<k>, which torch has no place for)."""
    if fmt not in SAVE_FORMATS:
        raise ValueError(f"fmt: got {fmt!r}, needs one of {list(SAVE_FORMATS)}")
    arrays = model_state_dict(model)
    if fmt == "npz":
        return _npz_bytes(arrays)
    if fmt == "safetensors":
        return _safetensors_bytes(arrays)
    return json.dumps({k: v.tolist() for k, v in arrays.items()}, allow_nan=False, separators=(",", ":")).encode()


# ------------------------------------------------------------------------------------------------------ csv


def inputs_to_csv_bytes(x) -> bytes:
    """An input sequence x (T, D) as CSV: header ``step,x1,…,xD``, one row per step, step = 1…T.

    Floats are written in their shortest round-trip form, so reading the file back gives bit-identical values.
    """
    import pandas as pd

    x = as_float_array(x, "x", ndim=2)
    T, D = x.shape
    check_size("sequence length T", T, MAX_T)
    check_size("input size D", D, MAX_D)
    df = pd.DataFrame(x, columns=[f"x{j + 1}" for j in range(D)])  # 1-based, as the app's table and charts
    df.insert(0, "step", np.arange(1, T + 1))
    return df.to_csv(index=False, lineterminator="\n").encode("utf-8")


def parse_number(text: str, where: str) -> float:
    """One number as a person typed it or a file holds it: anything Python's ``float()`` reads (``1e-3``,
    ``-2.5E+4``, ``.5``, ``1_000``), spaces around it ignored, at most MAX_NUMBER_CHARS characters, finite.
    Otherwise a ValueError "<where> is …" (``where`` names the cell, e.g. "row 3, column 'x1'")."""
    s = text.strip()
    if not s:
        raise ValueError(f"{where} is empty, needs a number")
    if len(s) > MAX_NUMBER_CHARS:
        raise ValueError(f"{where} has {len(s):,} characters ({quoted(s, 20)}); a number has at most "
                         f"{MAX_NUMBER_CHARS}")
    try:
        value = float(s)
    except ValueError:
        raise ValueError(f"{where} is text ({quoted(s, 20)}), needs a number") from None
    if not math.isfinite(value):  # s is float()'s own syntax here (digits, letters, . _ + -): shown as it is
        raise ValueError(f"{where} is {s} (non-finite), needs a finite number")
    return value


def _looks_numeric(name: str) -> bool:
    try:
        float(name)
    except ValueError:
        return False
    return True


# A field longer than any number may be. Tried only where a field starts (after a comma or a line break): tried at
# every byte, the pattern would scan up to 64 bytes from each, 65 times the work.
_LONG_FIELD = re.compile(rb"(?:\A|(?<=[,\n]))[^,\n]{%d}" % (MAX_NUMBER_CHARS + 1))
_SEPARATOR = re.compile(rb"[,\n]")


def _check_csv_bytes(data: bytes, max_rows: int, max_fields: int, inputs: str) -> None:
    """The checks on the raw bytes (line breaks already ``\\n``), each one linear and before anything is split:
    the number of lines, the longest field, the first line's number of fields."""
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    if lines > 2 * (max_rows + 1):  # room for a header and blank lines; the exact row count is checked later
        raise ValueError(f".csv: {lines:,} lines; the app takes at most {max_rows:,} rows (time steps) and a header")
    long = _LONG_FIELD.search(data)
    if long:
        start = long.start()  # the leftmost run: it begins where its field begins
        end = _SEPARATOR.search(data, start)
        end = end.start() if end else len(data)
        line = data.count(b"\n", 0, start) + 1
        field = data.count(b",", data.rfind(b"\n", 0, start) + 1, start) + 1
        head = data[start:start + 20].decode("utf-8", errors="replace")
        raise ValueError(f".csv: line {line:,}, field {field:,} has {end - start:,} characters ({quoted(head, 15)}); "
                         f"a number or a column name has at most {MAX_NUMBER_CHARS}")
    body = data.lstrip()
    first = body[: body.find(b"\n")] if b"\n" in body else body
    fields = first.count(b",") + 1
    if fields > max_fields:
        raise ValueError(f".csv: the first line has {fields:,} fields; at most {max_fields} (an optional step "
                         f"column and {inputs})")


def inputs_from_csv_bytes(
    data: bytes, expected_D: int | None = None, max_rows: int = MAX_T, max_columns: int = MAX_D
) -> np.ndarray:
    """An input sequence x (T, D) float64 from CSV bytes.

    Columns: an optional leading ``step`` column (ignored), then one column per input channel (any header
    names; a file without a header row, i.e. whose first row is all numbers, is read as data). Every cell must be
    a finite number (see ``parse_number``); errors name the data row (1-based, header excluded) and the column.
    ``expected_D``: the number of input columns the model needs; ``max_rows`` / ``max_columns``: the caller's
    limits on T and D (at most the core's MAX_T, MAX_D). Files beyond them are refused from their raw bytes.
    """
    data = _check_bytes(data, ".csv")
    max_rows = check_size("max_rows", max_rows, MAX_T)
    max_columns = check_size("max_columns", max_columns, MAX_D)
    if expected_D is not None:
        check_size("expected_D", expected_D, max_columns)
    inputs = f"up to {max_columns} input column{'s' if max_columns > 1 else ''}"
    data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")  # Windows and old Mac line breaks
    _check_csv_bytes(data, max_rows, max_columns + 1, inputs)
    text = _decode_text(data, ".csv")
    numbered = [(n, line) for n, line in enumerate(text.split("\n"), 1) if line.strip()]  # blank lines skipped
    if not numbered:
        raise ValueError(".csv: the file has no data (only whitespace)")
    for n, line in numbered:  # every line as narrow as the first must be, before csv splits any of them
        fields = line.count(",") + 1
        if fields > max_columns + 1:
            raise ValueError(f".csv: line {n:,} has {fields:,} fields; at most {max_columns + 1} (an optional step "
                             f"column and {inputs})")
    lines = [line for _, line in numbered]
    try:
        rows = list(csv.reader(lines, skipinitialspace=True))  # at most 2·(max_rows + 1) short lines by now
    except csv.Error as exc:
        raise ValueError(f".csv: could not be parsed as CSV ({quoted(str(exc), 80)[1:-1]})") from None

    names = [c.strip() for c in rows[0]]
    if all(_looks_numeric(c) for c in names):  # no header row: the first row is data
        names = [f"x{j + 1}" for j in range(len(names))]
    else:
        rows = rows[1:]
    skip = 1 if names and names[0].lower() == "step" else 0
    T, D = len(rows), len(names) - skip
    if T == 0:
        raise ValueError(".csv: no data rows (needs one row per time step after the header)")
    if D == 0:
        raise ValueError(".csv: no input columns (needs x1, …, xD, optionally after a 'step' column)")
    if T > max_rows:
        raise ValueError(f".csv: {T} rows, more than the {max_rows}-step limit (T <= {max_rows})")
    if D > max_columns:
        raise ValueError(f".csv: {D} input columns, more than the limit D <= {max_columns}")
    if expected_D is not None and D != expected_D:
        shown = ", ".join(quoted(c, 20)[1:-1] for c in names[skip:skip + 6]) + (" …" if D > 6 else "")
        raise ValueError(f".csv: has D={D} input column(s) ({shown}) but the model expects D={expected_D}")

    x = np.empty((T, D))
    columns = [quoted(c, 30) for c in names[skip:]]
    for r, fields in enumerate(rows):
        if len(fields) > len(names):
            raise ValueError(f".csv: could not be parsed as CSV: row {r + 1} has {len(fields)} fields, the header "
                             f"{len(names)}")
        fields = fields[skip:] + [""] * (len(names) - len(fields))  # missing cells are reported as empty
        for j, cell in enumerate(fields):
            x[r, j] = parse_number(cell, f"row {r + 1}, column {columns[j]}")
    return x
