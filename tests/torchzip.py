"""Files in torch.save's format written without torch (the tests never import it): a zip whose ``<root>/data.pkl``
is a pickle written opcode by opcode, with each tensor a ``torch._utils._rebuild_tensor_v2`` call on a persistent
storage id, and the storages' raw bytes in ``<root>/data/<key>``, the way torch 2.x writes them (compare
tests/fixtures/models/*.pt, written by torch itself). Used to build ordinary and hostile .pt files."""

from __future__ import annotations

import io
import pickle
import struct
import zipfile

import numpy as np

STORAGE = {"<f8": "DoubleStorage", "<f4": "FloatStorage", "<f2": "HalfStorage", "<i8": "LongStorage",
           "<i4": "IntStorage", "|b1": "BoolStorage", "|u1": "ByteStorage"}


def _text(s: str) -> bytes:
    b = s.encode()
    return pickle.BINUNICODE + struct.pack("<I", len(b)) + b


def _int(n: int) -> bytes:
    return pickle.BININT + struct.pack("<i", n)


def _tuple(items: list[bytes]) -> bytes:
    return pickle.MARK + b"".join(items) + pickle.TUPLE


def _global(module: str, name: str) -> bytes:
    return pickle.GLOBAL + f"{module}\n{name}\n".encode()


def tensor_pickle(entries: list[tuple[str, str, str, int, int, tuple, tuple]]) -> bytes:
    """A state_dict pickle: entries (key, storage class, storage key, numel, offset, size, stride)."""
    out = [pickle.PROTO + b"\x02", _global("collections", "OrderedDict"), pickle.EMPTY_TUPLE, pickle.REDUCE, pickle.MARK]
    for key, storage, skey, numel, offset, size, stride in entries:
        pid = _tuple([_text("storage"), _global("torch", storage), _text(skey), _text("cpu"), _int(numel)])
        args = _tuple([pid + pickle.BINPERSID, _int(offset), _tuple([_int(n) for n in size]),
                       _tuple([_int(n) for n in stride]), pickle.NEWFALSE,
                       _global("collections", "OrderedDict") + pickle.EMPTY_TUPLE + pickle.REDUCE])
        out += [_text(key), _global("torch._utils", "_rebuild_tensor_v2"), args, pickle.REDUCE]
    out += [pickle.SETITEMS, pickle.STOP]
    return b"".join(out)


def torch_zip(pkl: bytes, storages: dict[str, bytes], root: str = "archive", compression=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        zf.writestr(f"{root}/data.pkl", pkl)
        zf.writestr(f"{root}/byteorder", b"little")
        for key, data in storages.items():
            zf.writestr(f"{root}/data/{key}", data)
        zf.writestr(f"{root}/version", b"3\n")
    return buf.getvalue()


def save_state_dict(arrays: dict[str, np.ndarray], root: str = "archive") -> bytes:
    """The bytes torch.save(state_dict) would write for these arrays (C-contiguous, one storage each)."""
    entries, storages = [], {}
    for n, (key, a) in enumerate(arrays.items()):
        a = np.ascontiguousarray(a)
        dtype = a.dtype.newbyteorder("<") if a.dtype.byteorder == ">" else a.dtype
        storage = STORAGE[dtype.str]
        stride = tuple(s // a.itemsize for s in a.strides)
        entries.append((key, storage, str(n), a.size, 0, a.shape, stride))
        storages[str(n)] = a.astype(dtype).tobytes()
    return torch_zip(tensor_pickle(entries), storages, root)


def payload_pickle(module: str, name: str, argument: str) -> bytes:
    """A pickle that, when loaded by an ordinary unpickler, calls module.name(argument) (e.g. os.system)."""
    return pickle.PROTO + b"\x02" + _global(module, name) + _tuple([_text(argument)]) + pickle.REDUCE + pickle.STOP
