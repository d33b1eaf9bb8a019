"""Hostile uploads, built byte by byte: what a student could hand the app's CSV and weights uploaders to stall or
crash the class server. Shared by tests/unit/test_hostile_uploads.py (each must be refused quickly and without a
memory spike) and bench/bench_uploads.py (prints CPU seconds and peak memory of each).

``CASES`` (and ``MODEL_CASES``, for the whole-model reader) maps a name to (reader, builder, reason): ``reader`` names one of ``READERS`` (how the weights page hands an
upload to lstm_core.io, for a model of that size); ``builder()`` returns the bytes (all ≤ 5,000,000 bytes, the app's upload
cap, so none is refused just for its size); ``reason`` is a piece of the refusal's message. ``ALLOWED`` (``MODEL_ALLOWED``) are the worst files the readers must still accept:
the biggest and slowest within the limits.
"""

from __future__ import annotations

import io as _io
import json
import struct
import zipfile

import numpy as np

CAP = 5_000_000  # the app's upload cap (lstm_core.io.MAX_UPLOAD_BYTES); every payload fits under it
APP_T, APP_D, APP_H = 2000, 8, 64  # the app's largest sizes (ui.state.LIMITS; tests check they agree)
STATE_DICT_KEYS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


# ---- CSV -----------------------------------------------------------------------------------------------------------

def wide_row(columns: int) -> bytes:
    """One line of ``columns`` cells "0," (50,000 columns = 100 KB: 33 s of CPU before the fix)."""
    return b"0," * columns + b"\n"


def wide_5mb() -> bytes:
    return b"0," * (CAP // 2 - 1) + b"\n"


def long_cell(rows: int = 5000, digits: int = 2_000_000) -> bytes:
    """``rows`` rows of two columns, the last row's first cell a ``digits``-digit number (asked NumPy for 37 GiB)."""
    return b"x1,x2\n" + b"0,0\n" * (rows - 1) + b"9" * digits + b",0\n"


def tall_5mb() -> bytes:
    """2.5 million one-digit rows."""
    return b"x1\n" + b"0\n" * (CAP // 2 - 2)


def duplicate_header(columns: int = 50_000) -> bytes:
    """A header of ``columns`` identical names (pandas renames duplicates x, x.1, x.2, … in quadratic time)."""
    return b"x," * (columns - 1) + b"x\n" + b"0," * (columns - 1) + b"0\n"


def no_separator_5mb() -> bytes:
    """5 MB without a comma or a line break: one field of 5 million digits."""
    return b"1" * (CAP - 1)


def long_header_name() -> bytes:
    return b"x1," + b"n" * (CAP - 100) + b"\n0,0\n"


def widest_allowed(rows: int = APP_T, inputs: int = APP_D, chars: int = 64) -> bytes:
    """The worst CSV the weights page accepts: ``rows`` rows of a step column and ``inputs`` numbers of ``chars``
    characters each (the longest a number may be)."""
    number = ("0." + "1234567890" * 7)[:chars]
    header = "step," + ",".join(f"x{j + 1}" for j in range(inputs))
    body = "".join(f"{t}," + ",".join([number] * inputs) + "\n" for t in range(1, rows + 1))
    return (header + "\n" + body).encode()


def core_allowed() -> bytes:
    """The worst CSV lstm_core.io accepts at the core's limits (T = 5000, D = 64) under the 5 MB cap."""
    return widest_allowed(rows=5000, inputs=64, chars=14)


# ---- JSON ----------------------------------------------------------------------------------------------------------

def json_deep() -> bytes:
    """Lists nested 2.5 million deep."""
    return b"[" * (CAP // 2) + b"]" * (CAP // 2)


def json_long_key() -> bytes:
    return b'{"' + b"k" * (CAP - 20) + b'": 1}'


def json_long_number() -> bytes:
    """A 5-million-digit integer (CPython converts long decimal strings to int in quadratic time)."""
    return b'{"weight_ih_l0": [[' + b"7" * (CAP - 40) + b"]]}"


def json_long_float() -> bytes:
    return b'{"weight_ih_l0": [[0.' + b"3" * (CAP - 40) + b"]]}"


def json_many_numbers() -> bytes:
    """2.5 million numbers in one list (a Python float and a list slot each when parsed: ~80 MB)."""
    n = CAP // 2 - 20
    return b'{"bias_ih_l0": [' + b"0," * n + b"0]}"


def json_largest_allowed() -> bytes:
    """The largest LSTM lstm_core.io accepts (H = 256, D = 64: 329,728 numbers) as JSON, just under the cap."""
    rng = np.random.default_rng(0)
    sd = {"weight_ih_l0": (1024, 64), "weight_hh_l0": (1024, 256), "bias_ih_l0": (1024,), "bias_hh_l0": (1024,)}
    return json.dumps({k: np.round(rng.normal(size=shape), 9).tolist() for k, shape in sd.items()},
                      separators=(",", ":")).encode()


def json_many_keys() -> bytes:
    body = b",".join(b'"%d":0' % i for i in range(450_000))
    return b"{" + body[: CAP - 10].rsplit(b",", 1)[0] + b"}"


# ---- npz -----------------------------------------------------------------------------------------------------------

def npy_bytes(array: np.ndarray) -> bytes:
    buf = _io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def npy_with_header(shape: tuple, payload: bytes, dtype: str = "<f8") -> bytes:
    """A .npy member whose header claims ``shape`` but which holds only ``payload``."""
    header = repr({"descr": dtype, "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload


def zip_of(members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> bytes:
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _small_members(**replace: bytes) -> dict[str, bytes]:
    shapes = {"weight_ih_l0": (8, 1), "weight_hh_l0": (8, 2), "bias_ih_l0": (8,), "bias_hh_l0": (8,)}
    members = {f"{k}.npy": npy_bytes(np.zeros(s)) for k, s in shapes.items()}
    members.update({f"{k}.npy": v for k, v in replace.items()})
    return members


def npz_lying_header() -> bytes:
    """weight_ih_l0's header claims 100,000 × 100,000 float64 (80 GB); the member holds 64 bytes."""
    return zip_of(_small_members(weight_ih_l0=npy_with_header((100_000, 100_000), bytes(64))))


def npz_lying_header_small() -> bytes:
    """A header claiming 2,000 × 2,000 float64 (32 MB, within what a machine grants) over 64 bytes of data."""
    return zip_of(_small_members(weight_ih_l0=npy_with_header((2000, 2000), bytes(64))))


def npz_bomb(rows: int = 4 * 256, cols: int = 60_000) -> bytes:
    """weight_ih_l0 of ``rows`` × ``cols`` float64 zeros (491 MB) deflated into about 0.5 MB."""
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in _small_members().items():
            if name != "weight_ih_l0.npy":
                zf.writestr(name, data)
        with zf.open("weight_ih_l0.npy", "w", force_zip64=True) as member:
            member.write(npy_with_header((rows, cols), b""))
            row = bytes(8 * cols)
            for _ in range(rows):
                member.write(row)
    return buf.getvalue()


def npz_bzip2_bomb(megabytes: int = 100) -> bytes:
    """weight_ih_l0 as a bzip2 member: ``megabytes`` MB of zeros in ~100 bytes, its size in the zip's central
    directory then changed to 64 bytes (zipfile decompresses what one read of a bzip2 / LZMA member yields in one
    piece, and only then cuts it to the size the directory gives)."""
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in _small_members().items():
            if name != "weight_ih_l0.npy":
                zf.writestr(name, data)
        info = zipfile.ZipInfo("weight_ih_l0.npy")
        info.compress_type = zipfile.ZIP_BZIP2
        with zf.open(info, "w", force_zip64=True) as member:
            member.write(npy_with_header((megabytes << 17,), b""))
            chunk = bytes(1 << 20)
            for _ in range(megabytes):
                member.write(chunk)
    data = bytearray(buf.getvalue())
    entry = data.rfind(b"PK\x01\x02")  # the last central directory entry: weight_ih_l0.npy
    assert data[entry + 46: entry + 46 + 16] == b"weight_ih_l0.npy"
    extra_len = struct.unpack_from("<H", data, entry + 30)[0]
    extra = entry + 46 + 16
    # zip64 extra field (id 1) holds the real sizes: uncompressed size first
    pos = extra
    while pos < extra + extra_len:
        tag, size = struct.unpack_from("<HH", data, pos)
        if tag == 1:
            struct.pack_into("<Q", data, pos + 4, 64)
        pos += 4 + size
    if struct.unpack_from("<I", data, entry + 24)[0] != 0xFFFFFFFF:
        struct.pack_into("<I", data, entry + 24, 64)
    return bytes(data)


def npz_object_array() -> bytes:
    """weight_ih_l0 is a pickled object array (np.save pickles it)."""
    return zip_of(_small_members(weight_ih_l0=npy_bytes(np.array([{"a": 1}, None], dtype=object))))


def npz_many_members(n: int = 20_000) -> bytes:
    members = _small_members()
    tiny = npy_bytes(np.zeros(1))
    members.update({f"m{i}.npy": tiny for i in range(n)})
    return zip_of(members)


def npz_long_member_names(n: int = 40) -> bytes:
    members = _small_members()
    members.update({("n" * 60_000) + f"{i}.npy": b"" for i in range(n)})
    return zip_of(members)


# ---- whole models: .pt, .safetensors, and the model readers of .npz / .json --------------------------------------------

def _torchzip():
    """tests/torchzip.py (torch.save's format without torch), loaded from beside this file so that the benchmark's
    children (which import this file by path, with another checkout's code first on sys.path) find it too."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("torchzip", Path(__file__).with_name("torchzip.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pt_system_payload() -> bytes:
    """A .pt whose data.pkl calls os.system (posix.system) when an ordinary unpickler loads it."""
    tz = _torchzip()
    return tz.torch_zip(tz.payload_pickle("posix", "system", "echo pwned"), {})


def pt_stride_zero_bomb() -> bytes:
    """One 8-byte storage viewed with stride 0 as 100,000 × 100,000 float64 (80 GB if NumPy copied it)."""
    tz = _torchzip()
    pkl = tz.tensor_pickle([("lstm.weight_ih_l0", "DoubleStorage", "0", 1, 0, (100_000, 100_000), (0, 0))])
    return tz.torch_zip(pkl, {"0": bytes(8)})


def pt_storage_claims_a_billion() -> bytes:
    tz = _torchzip()
    pkl = tz.tensor_pickle([("lstm.weight_ih_l0", "DoubleStorage", "0", 10**9, 0, (10**9,), (1,))])
    return tz.torch_zip(pkl, {"0": bytes(64)})


def pt_storage_deflate_bomb(megabytes: int = 400) -> bytes:
    """A storage of ``megabytes`` MB of zeros (its numel matching), deflated to well under 1 MB."""
    tz = _torchzip()
    numel = (megabytes << 20) // 8
    pkl = tz.tensor_pickle([("lstm.weight_ih_l0", "DoubleStorage", "0", numel, 0, (numel,), (1,))])
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("archive/data.pkl", pkl)
        with zf.open("archive/data/0", "w", force_zip64=True) as member:
            chunk = bytes(1 << 20)
            for _ in range(megabytes):
                member.write(chunk)
    return buf.getvalue()


def pt_pickle_deflate_bomb(megabytes: int = 200) -> bytes:
    """data.pkl of ``megabytes`` MB (one long run of MARK opcodes), deflated to well under 1 MB."""
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open("archive/data.pkl", "w", force_zip64=True) as member:
            chunk = b"(" * (1 << 20)
            for _ in range(megabytes):
                member.write(chunk)
    return buf.getvalue()


def pt_many_tensors(n: int = 6000) -> bytes:
    """6,000 one-number tensors on one storage (a pickle of ~0.9 MB, just under the 1 MB a data.pkl may have)."""
    tz = _torchzip()
    pkl = tz.tensor_pickle([(f"k{i}", "DoubleStorage", "0", 1, 0, (1,), (1,)) for i in range(n)])
    return tz.torch_zip(pkl, {"0": bytes(8)})


def _safetensors(header: dict, data: bytes) -> bytes:
    h = json.dumps(header).encode()
    return len(h).to_bytes(8, "little") + h + data


def safetensors_lying_header() -> bytes:
    """A header claiming 100,000 × 100,000 float64 (80 GB) over 64 bytes of data."""
    return _safetensors({"lstm.weight_ih_l0": {"dtype": "F64", "shape": [100_000, 100_000],
                                               "data_offsets": [0, 80_000_000_000]}}, bytes(64))


def safetensors_huge_header_length() -> bytes:
    return (4_999_000).to_bytes(8, "little") + b"{" + b" " * (CAP - 20) + b"}"


def safetensors_many_entries(n: int = 1500) -> bytes:
    return _safetensors({f"k{i}": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]} for i in range(n)}, b"")


def model_npz_many_members(n: int = 20_000) -> bytes:
    tiny = npy_bytes(np.zeros(1))
    return zip_of({f"m{i}.npy": tiny for i in range(n)})


def model_largest_allowed(fmt: str):
    """The largest one-layer LSTM lstm_core accepts (H = 256, D = 64: 2.6 MB of float64) as a whole-model file."""
    rng = np.random.default_rng(0)
    sd = {"lstm.weight_ih_l0": rng.normal(size=(1024, 64)), "lstm.weight_hh_l0": rng.normal(size=(1024, 256)),
          "lstm.bias_ih_l0": rng.normal(size=1024), "lstm.bias_hh_l0": rng.normal(size=1024),
          "fc.weight": rng.normal(size=(10, 256)), "fc.bias": rng.normal(size=10)}

    def build() -> bytes:
        if fmt == "pt":
            return _torchzip().save_state_dict(sd)
        if fmt == "safetensors":
            from safetensors.numpy import save

            return save(sd)
        buf = _io.BytesIO()
        np.savez(buf, **sd)
        return buf.getvalue()

    return build


# ---- the catalogue -------------------------------------------------------------------------------------------------

CASES = {
    "csv: 25k columns (50 KB)": ("csv", lambda: wide_row(25_000), "the first line has 25,001 fields; at most 9"),
    "csv: 50k columns (100 KB)": ("csv", lambda: wide_row(50_000), "the first line has 50,001 fields; at most 9"),
    "csv: 100k columns (200 KB)": ("csv", lambda: wide_row(100_000), "the first line has 100,001 fields"),
    "csv: 2.5M columns (5 MB)": ("csv", wide_5mb, "the first line has 2,500,000 fields"),
    "csv: long cell (2 MB, 5000 rows)": ("csv", long_cell, "5,001 lines; the app takes at most 2,000 rows"),
    "csv: long cell (2.5 MB, 2000 rows)": ("csv", lambda: long_cell(rows=2000, digits=2_500_000),
                                           "line 2,001, field 1 has 2,500,000 characters"),
    "csv: 2.5M rows (5 MB)": ("csv", tall_5mb, "2,499,999 lines; the app takes at most 2,000 rows"),
    "csv: 50k duplicate header names": ("csv", duplicate_header, "the first line has 50,000 fields"),
    "csv: no separator (5 MB)": ("csv", no_separator_5mb, "line 1, field 1 has 4,999,999 characters"),
    "csv: 5 MB header name": ("csv", long_header_name, "line 1, field 2 has 4,999,900 characters"),
    "json: nested 2.5M deep": ("w.json", json_deep, "nested far too deeply"),
    "json: 5 MB key": ("w.json", json_long_key, "unexpected 'kkkk"),
    "json: 5M-digit integer": ("w.json", json_long_number, "a number of 4,999,960 characters"),
    "json: 5M-digit fraction": ("w.json", json_long_float, "a number of 4,999,962 characters"),
    "json: 2.5M numbers": ("w.json", json_many_numbers, "numbers; the largest network the app takes"),
    "json: 450k keys": ("w.json", json_many_keys, "keys; needs exactly the keys"),
    "npz: header claims 80 GB": ("w.npz", npz_lying_header, "80,000,000,000 bytes, but the file holds 64 bytes"),
    "npz: header claims 32 MB": ("w.npz", npz_lying_header_small, "32,000,000 bytes, but the file holds 64 bytes"),
    "npz: 491 MB bomb": ("w.npz", npz_bomb, "unpack to 491,520,768 bytes"),
    "npz: bzip2 bomb (100 MB, size says 64 B)": ("w.npz", npz_bzip2_bomb, "compressed with method 12"),
    "npz: object array": ("w.npz", npz_object_array, "holds Python objects"),
    "npz: 20k members": ("w.npz", npz_many_members, "and 19,997 more"),
    "npz: 60 KB member names": ("w.npz", npz_long_member_names, "unexpected 'nnnn"),
}

# The whole-model reader (lstm_core.io.load_model: .pt, .safetensors and whole-module .npz / .json), to which the
# weights page's whole-model uploader hands its files: refused the same way, in tests/unit/test_hostile_uploads.py
# and the benchmark.
MODEL_CASES = {
    "pt: os.system in data.pkl": ("m.pt", pt_system_payload, "refers to 'posix.system'"),
    "pt: stride-0 view as 80 GB": ("m.pt", pt_stride_zero_bomb, "add up to more than the size limit"),
    "pt: storage claims 10^9 numbers": ("m.pt", pt_storage_claims_a_billion, "should hold 1,000,000,000 numbers"),
    "pt: 400 MB storage bomb": ("m.pt", pt_storage_deflate_bomb, "unpack to more than the size limit"),
    "pt: 200 MB data.pkl bomb": ("m.pt", pt_pickle_deflate_bomb, "data.pkl is 209,715,200 bytes"),
    "pt: 6,000 tensors": ("m.pt", pt_many_tensors, "add up to more than the size limit"),
    "safetensors: header claims 80 GB": ("m.safetensors", safetensors_lying_header, "lie outside the file's 64 bytes"),
    "safetensors: 5 MB header": ("m.safetensors", safetensors_huge_header_length, "a header of 4,999,000 bytes"),
    "safetensors: 1500 entries": ("m.safetensors", safetensors_many_entries, "keys; a model the app reads"),
    "model npz: 20k members": ("m.npz", model_npz_many_members, "holds 20,000 arrays"),
    "model json: 2.5M numbers": ("m.json", json_many_numbers, "numbers; a model as JSON may have up to"),
    "model json: 5 MB key": ("m.json", json_long_key, "a key of"),
}


def _csv(io, data: bytes, **limits):
    """io.inputs_from_csv_bytes with the limits it knows (an older lstm_core, for the benchmark's "before", has no
    ``max_rows``)."""
    import inspect

    known = inspect.signature(io.inputs_from_csv_bytes).parameters
    return io.inputs_from_csv_bytes(data, **{k: v for k, v in limits.items() if k in known})


READERS = {  # name -> how the weights page calls lstm_core.io (the page passes the app's T limit and the model's D)
    "csv": lambda io, data: _csv(io, data, expected_D=2, max_rows=APP_T, max_columns=APP_D),
    "csv D=8": lambda io, data: _csv(io, data, expected_D=APP_D, max_rows=APP_T, max_columns=APP_D),
    "csv core": lambda io, data: _csv(io, data, expected_D=64),
    "w.json": lambda io, data: io.load_params(data, "w.json"),
    "w.npz": lambda io, data: io.load_params(data, "w.npz"),
    # the whole-model uploader (lstm_core.io.load_model)
    "m.npz": lambda io, data: io.load_model(data, "m.npz"),
    "m.json": lambda io, data: io.load_model(data, "m.json"),
    "m.safetensors": lambda io, data: io.load_model(data, "m.safetensors"),
    "m.pt": lambda io, data: io.load_model(data, "m.pt"),
}

ALLOWED = {
    "csv: widest allowed (2000 × 8, 64-char numbers)": ("csv D=8", widest_allowed),
    "csv: core's largest (5000 × 64, 4.9 MB)": ("csv core", core_allowed),
    "json: largest LSTM (H = 256, D = 64)": ("w.json", json_largest_allowed),
}

MODEL_ALLOWED = {
    "model pt: largest LSTM + head (2.6 MB)": ("m.pt", model_largest_allowed("pt")),
    "model safetensors: largest LSTM + head": ("m.safetensors", model_largest_allowed("safetensors")),
    "model npz: largest LSTM + head": ("m.npz", model_largest_allowed("npz")),
}


def read(reader: str, data: bytes):
    """Hand ``data`` to lstm_core.io the way the weights page does (``READERS[reader]``)."""
    from lstm_core import io

    return READERS[reader](io, data)
