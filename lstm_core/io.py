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

Every reader takes untrusted bytes (an upload) and raises ValueError with a message fit to show the user.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from collections.abc import Mapping

import numpy as np

from .params import LSTMParams, RNNParams
from .validate import MAX_D, MAX_T, as_float_array, check_size

MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # largest file any reader accepts
# Largest |number| the app takes from a file or a table (the readers themselves round-trip any finite float64).
# Finite is not enough: with 1e308 every product W·x overflows float64 (NaN gates, overflow warnings, errors on the
# pages). 1e6 is far beyond any trained network's weights and keeps every pre-activation, at most
# (D + H + 2) · 5 · 1e6 · 1e6 with the weight-scale knob, far below float64's 1.8e308.
MAX_ABS_VALUE = 1e6
# Largest total *uncompressed* size of the arrays in an .npz (guards against zip bombs). An LSTM at the size
# limits (H=256, D=64) is 329,728 float64 = 2.6 MB; int64/float64 of that size fit with room to spare.
MAX_NPZ_UNCOMPRESSED_BYTES = 16 * 1024 * 1024

STATE_DICT_KEYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
_FIELDS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")  # LSTMParams / RNNParams field of each key
_NDIM = {"weight_ih_l0": 2, "weight_hh_l0": 2, "bias_ih_l0": 1, "bias_hh_l0": 1}
_MODELS = {"lstm": LSTMParams, "rnn": RNNParams}

Params = LSTMParams | RNNParams


# ----------------------------------------------------------------------------------------------- state_dict


def params_to_state_dict(params: Params) -> dict[str, np.ndarray]:
    """The four arrays under PyTorch's key names, as writable float64 copies (``torch.from_numpy`` accepts them)."""
    if not isinstance(params, (LSTMParams, RNNParams)):
        raise ValueError(f"params: got {type(params).__name__}, needs LSTMParams or RNNParams")
    return {key: np.array(getattr(params, field), dtype=np.float64, copy=True) for key, field in zip(STATE_DICT_KEYS, _FIELDS)}


def _expected_keys_text() -> str:
    return ", ".join(STATE_DICT_KEYS)


def _check_keys(keys, where: str) -> None:
    """Exactly the four state_dict keys, or a ValueError listing what is missing / extra / expected."""
    keys = list(keys)
    bad_type = [k for k in keys if not isinstance(k, str)]
    if bad_type:
        raise ValueError(f"{where}: keys must be text, got {bad_type[:3]!r}; expected keys: {_expected_keys_text()}")
    missing = [k for k in STATE_DICT_KEYS if k not in keys]
    extra = sorted(k for k in keys if k not in STATE_DICT_KEYS)
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if extra:
            shown = ", ".join(repr(k) for k in extra[:5]) + (" …" if len(extra) > 5 else "")
            parts.append("unexpected " + shown)
        raise ValueError(
            f"{where}: {'; '.join(parts)}. Expected exactly the keys {_expected_keys_text()} "
            "(a one-layer torch.nn.LSTM / torch.nn.RNN state_dict)"
        )


def _numeric_array(value, key: str) -> np.ndarray:
    """``value`` as a finite float64 array of the key's number of dimensions; refuses bool, text, objects, complex."""
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
    want = _NDIM[key]
    if a.ndim != want:
        shape = "(rows, columns)" if want == 2 else "(rows,)"
        raise ValueError(f"{key}: got shape {a.shape} ({a.ndim}-D), needs a {want}-D array {shape}")
    with np.errstate(over="ignore"):  # float128 / huge ints beyond float64 become inf, refused just below
        a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        bad = int(a.size - np.count_nonzero(np.isfinite(a)))
        raise ValueError(f"{key}: {bad} value(s) are NaN or infinite (non-finite), needs finite numbers")
    return a


def _infer_model(w_hh: np.ndarray) -> str:
    rows, H = w_hh.shape
    if H >= 1 and rows == 4 * H:
        return "lstm"
    if H >= 1 and rows == H:
        return "rnn"
    raise ValueError(
        f"weight_hh_l0: got shape {w_hh.shape}, needs (4H, H) for an LSTM or (H, H) for an RNN, with H >= 1"
    )


def params_from_state_dict(
    d: Mapping,
    model: str | None = None,
    expected_input_size: int | None = None,
    expected_hidden_size: int | None = None,
) -> Params:
    """LSTMParams or RNNParams from a mapping with exactly the keys weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0.

    ``model``: 'lstm', 'rnn', or None to infer it from weight_hh_l0's shape ((4H, H) → LSTM, (H, H) → RNN).
    ``expected_input_size`` / ``expected_hidden_size``: when given, weights of another D / H are refused.
    Values may be arrays or nested lists of real numbers (int or float, not bool); they are copied to float64.
    """
    if model is not None and model not in _MODELS:
        raise ValueError(f"model: got {model!r}, needs 'lstm', 'rnn' or None (infer from weight_hh_l0)")
    if not isinstance(d, Mapping):
        raise ValueError(f"state_dict: got {type(d).__name__}, needs a mapping with keys {_expected_keys_text()}")
    _check_keys(d.keys(), "state_dict")
    arrays = {key: _numeric_array(d[key], key) for key in STATE_DICT_KEYS}
    return _build(arrays, model, expected_input_size, expected_hidden_size)


def _build(arrays: dict[str, np.ndarray], model, expected_input_size, expected_hidden_size) -> Params:
    w_ih, w_hh = arrays["weight_ih_l0"], arrays["weight_hh_l0"]
    found = _infer_model(w_hh)
    if model is not None and model != found:
        H = w_hh.shape[1]
        raise ValueError(
            f"weight_hh_l0 has shape {w_hh.shape}, which is {'an LSTM' if found == 'lstm' else 'an RNN'}'s "
            f"({'4H, H' if found == 'lstm' else 'H, H'}) with H={H}, but {'an LSTM' if model == 'lstm' else 'an RNN'} "
            "was asked for"
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
    try:
        return cls(**{field: arrays[key] for key, field in zip(STATE_DICT_KEYS, _FIELDS)})
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
        raise ValueError(
            f"{what}: the file is {len(data):,} bytes, larger than the {MAX_UPLOAD_BYTES:,}-byte "
            f"({MAX_UPLOAD_BYTES // (1024 * 1024)} MiB) limit"
        )
    return data


def _decode_text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")  # a leading BOM (Excel, Notepad) is dropped
    except UnicodeDecodeError as exc:
        raise ValueError(f"{what}: not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x})") from None


def check_magnitude(value, what: str = "", limit: float = MAX_ABS_VALUE) -> None:
    """Refuse numbers larger than ``limit`` in size, naming where: ``value`` is LSTMParams / RNNParams (messages use
    the state_dict key names) or an input sequence x (T, D) (messages name the row t and the column x1…xD).
    ``what`` prefixes the message (e.g. ".csv")."""
    prefix = f"{what}: " if what else ""
    if isinstance(value, (LSTMParams, RNNParams)):
        for key, a in params_to_state_dict(value).items():
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
    buf = io.BytesIO()
    np.savez(buf, **params_to_state_dict(params))
    return buf.getvalue()


_NOT_NPZ = "not a valid .npz file (expected a zip archive written by numpy.savez)"


def from_npz_bytes(
    data: bytes,
    model: str | None = None,
    expected_input_size: int | None = None,
    expected_hidden_size: int | None = None,
) -> Params:
    """Weights from the bytes of an .npz archive (``allow_pickle=False``: object arrays are refused, never unpickled)."""
    data = _check_bytes(data, ".npz")
    if not data.startswith(b"PK"):
        if data.startswith(b"\x93NUMPY"):
            raise ValueError(".npz: this is a single-array .npy file; " + _NOT_NPZ)
        raise ValueError(".npz: " + _NOT_NPZ)
    try:
        archive = np.load(io.BytesIO(data), allow_pickle=False)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ValueError(f".npz: {_NOT_NPZ} ({exc})") from None
    arrays = {}
    with archive:
        if not isinstance(archive, np.lib.npyio.NpzFile):  # pragma: no cover - guarded by the PK check
            raise ValueError(".npz: " + _NOT_NPZ)
        _check_keys(archive.files, ".npz")
        try:
            total = sum(info.file_size for info in archive.zip.infolist())
        except Exception:  # pragma: no cover
            total = 0
        if total > MAX_NPZ_UNCOMPRESSED_BYTES:
            raise ValueError(
                f".npz: its arrays unpack to {total:,} bytes, more than the {MAX_NPZ_UNCOMPRESSED_BYTES:,}-byte limit"
            )
        for key in STATE_DICT_KEYS:
            try:
                value = archive[key]
            except ValueError as exc:
                if "pickle" in str(exc).lower() or "object" in str(exc).lower():
                    raise ValueError(
                        f".npz: {key} holds Python objects (a pickled object array); only numeric arrays are "
                        "accepted, and pickled data is never loaded"
                    ) from None
                raise ValueError(f".npz: {key} could not be read; {_NOT_NPZ} ({exc})") from None
            except (zipfile.BadZipFile, OSError, EOFError, KeyError) as exc:
                raise ValueError(f".npz: {key} could not be read; {_NOT_NPZ} ({exc})") from None
            except Exception as exc:  # zlib.error and other decoder failures of a corrupt member
                raise ValueError(f".npz: {key} could not be read; {_NOT_NPZ} ({type(exc).__name__}: {exc})") from None
            arrays[key] = _numeric_array(value, key)
    return _build(arrays, model, expected_input_size, expected_hidden_size)


# ----------------------------------------------------------------------------------------------------- json


def to_json_bytes(params: Params) -> bytes:
    """UTF-8 JSON object with exactly the four state_dict keys, values nested lists of floats (shortest round-trip
    repr, so reading it back gives bit-identical float64)."""
    sd = params_to_state_dict(params)
    text = json.dumps({k: v.tolist() for k, v in sd.items()}, allow_nan=False, separators=(",", ":"))
    return text.encode("utf-8")


class _NonFinite(Exception):
    pass


def _parse_constant(token: str):
    raise _NonFinite(token)


def _parse_number(token: str) -> float:
    value = float(token)  # float() of a huge literal is inf, never an exception
    if not math.isfinite(value):
        raise _NonFinite(token if len(token) <= 30 else token[:27] + "…")
    return value


def _is_number(v) -> bool:
    return type(v) is float or type(v) is int  # not bool (a subclass of int), not str, not None


def _describe(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return f"a boolean ({str(v).lower()})"
    if isinstance(v, str):
        return f"text ({v[:20]!r})"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


def _json_array(value, key: str) -> np.ndarray:
    """A nested list of numbers (2-D for weights, 1-D for biases) as float64, or a ValueError naming the key and
    the offending position."""
    if not isinstance(value, list):
        raise ValueError(f"{key}: got {_describe(value)}, needs a {'list of lists' if _NDIM[key] == 2 else 'list'} of numbers")
    depth, probe = 0, value
    while isinstance(probe, list):
        depth += 1
        probe = probe[0] if probe else None
    if depth != _NDIM[key]:  # a well-formed array of the wrong rank gets the same shape message as .npz
        try:
            a = np.asarray(value)
        except ValueError:
            a = None
        if a is not None and (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
            _numeric_array(a, key)  # raises: wrong number of dimensions
    if _NDIM[key] == 1:
        for j, v in enumerate(value):
            if not _is_number(v):
                raise ValueError(f"{key}: element {j} is {_describe(v)}, needs a number")
        return np.array(value, dtype=np.float64).reshape(len(value))
    width = None
    for r, row in enumerate(value):
        if not isinstance(row, list):
            raise ValueError(f"{key}: row {r} is {_describe(row)}, needs a list of numbers (a 2-D list of lists)")
        if width is None:
            width = len(row)
        elif len(row) != width:
            raise ValueError(f"{key}: ragged rows: row {r} has {len(row)} numbers, row 0 has {width}")
        for j, v in enumerate(row):
            if not _is_number(v):
                raise ValueError(f"{key}: row {r}, column {j} is {_describe(v)}, needs a number")
    return np.array(value, dtype=np.float64).reshape(len(value), width or 0)


def from_json_bytes(
    data: bytes,
    model: str | None = None,
    expected_input_size: int | None = None,
    expected_hidden_size: int | None = None,
) -> Params:
    """Weights from the bytes of a JSON object {weight_ih_l0: [[…]], weight_hh_l0: [[…]], bias_ih_l0: […], bias_hh_l0: […]}.

    Parsed with ``json.loads`` only (no eval). NaN / Infinity tokens and numbers beyond float64 are refused.
    """
    data = _check_bytes(data, ".json")
    text = _decode_text(data, ".json")
    try:
        obj = json.loads(text, parse_constant=_parse_constant, parse_float=_parse_number, parse_int=_parse_number)
    except _NonFinite as exc:
        raise ValueError(f".json: contains a non-finite number ({exc}); only finite numbers are accepted") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f".json: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise ValueError(".json: not valid here: lists are nested far too deeply") from None
    if not isinstance(obj, dict):
        raise ValueError(
            f".json: got {_describe(obj)} at the top level, needs an object with the keys {_expected_keys_text()}"
        )
    _check_keys(obj.keys(), ".json")
    arrays = {key: _json_array(obj[key], key) for key in STATE_DICT_KEYS}
    for key, a in arrays.items():
        arrays[key] = _numeric_array(a, key)  # dtype / ndim / finiteness, one place for every format
    return _build(arrays, model, expected_input_size, expected_hidden_size)


# ------------------------------------------------------------------------------------------------- dispatch


def load_params(
    data: bytes,
    filename: str,
    model: str | None = None,
    expected_input_size: int | None = None,
    expected_hidden_size: int | None = None,
) -> Params:
    """Weights from an uploaded file, by its extension: .npz (numpy.savez) or .json."""
    name = str(filename or "")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    kwargs = dict(model=model, expected_input_size=expected_input_size, expected_hidden_size=expected_hidden_size)
    if ext == "npz":
        return from_npz_bytes(data, **kwargs)
    if ext == "json":
        return from_json_bytes(data, **kwargs)
    raise ValueError(
        f"{name or 'file'}: unsupported file type {('.' + ext) if ext else '(no extension)'}; "
        "upload weights as .npz (numpy.savez of a state_dict) or .json"
    )


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


def _looks_numeric(name) -> bool:
    try:
        float(str(name))
    except ValueError:
        return False
    return True


def inputs_from_csv_bytes(data: bytes, expected_D: int | None = None) -> np.ndarray:
    """An input sequence x (T, D) float64 from CSV bytes.

    Columns: an optional leading ``step`` column (ignored), then one column per input channel (any header
    names; a file without a header row, i.e. whose first row is all numbers, is read as data). Every cell must be
    a finite number; errors name the data row (1-based, header excluded) and the column.
    """
    import pandas as pd

    data = _check_bytes(data, ".csv")
    text = _decode_text(data, ".csv")
    if not text.strip():
        raise ValueError(".csv: the file has no data (only whitespace)")

    def read(header):
        return pd.read_csv(
            io.StringIO(text), header=header, skipinitialspace=True,
            skip_blank_lines=True, dtype=str, keep_default_na=False, na_filter=False,
        )  # every cell as text: numbers are converted below, so a bad cell can be named

    try:
        df = read(0)
        if len(df.columns) and all(_looks_numeric(c) for c in df.columns):
            df = read(None)  # no header row: the first row is data
            df.columns = [f"x{j + 1}" for j in range(df.shape[1])]
    except pd.errors.EmptyDataError:
        raise ValueError(".csv: the file has no data") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise ValueError(f".csv: could not be parsed as CSV ({str(exc).strip()})") from None

    columns = [str(c) for c in df.columns]
    if columns and columns[0].strip().lower() == "step":
        df = df.iloc[:, 1:]
        columns = columns[1:]
    T, D = df.shape
    if T == 0:
        raise ValueError(".csv: no data rows (needs one row per time step after the header)")
    if D == 0:
        raise ValueError(".csv: no input columns (needs x1, …, xD, optionally after a 'step' column)")
    if T > MAX_T:
        raise ValueError(f".csv: {T} rows, more than the {MAX_T}-step limit (T <= {MAX_T})")
    if D > MAX_D:
        raise ValueError(f".csv: {D} input columns, more than the limit D <= {MAX_D}")
    if expected_D is not None and D != expected_D:
        raise ValueError(
            f".csv: has D={D} input column(s) ({', '.join(columns[:6])}{' …' if D > 6 else ''}) "
            f"but the model expects D={expected_D}"
        )

    cells = df.to_numpy(dtype=object)  # (T, D) of str
    x = np.empty((T, D))
    for j in range(D):
        col = cells[:, j]
        try:
            x[:, j] = np.asarray(col, dtype=str).astype(np.float64)  # fast path
            ok = True
        except ValueError:
            ok = False
        if not ok:  # find the first offending cell to name it
            for r, cell in enumerate(col):
                s = str(cell).strip()
                if s == "":
                    raise ValueError(f".csv: row {r + 1}, column '{columns[j]}' is empty, needs a number")
                try:
                    x[r, j] = float(s)
                except ValueError:
                    shown = s if len(s) <= 20 else s[:17] + "…"
                    raise ValueError(
                        f".csv: row {r + 1}, column '{columns[j]}' is text ({shown!r}), needs a number"
                    ) from None
        bad = ~np.isfinite(x[:, j])
        if bad.any():
            r = int(np.argmax(bad))
            raise ValueError(
                f".csv: row {r + 1}, column '{columns[j]}' is {col[r]!s} (non-finite), needs a finite number"
            )
    return x
