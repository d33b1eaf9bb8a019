"""Reading a ``torch.save(model.state_dict(), "model.pt")`` file without torch and without unpickling objects.

Such a file is a zip archive (torch ≥ 1.6):

    <name>/data.pkl      a pickle of an OrderedDict {key: tensor}; each tensor is pickled as a call
                         torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, meta])
                         whose storage is a *persistent id* ('storage', torch.FloatStorage, '0', 'cpu', numel)
    <name>/data/0, …     each storage's raw bytes (little-endian, as <name>/byteorder says)
    <name>/version, …    format bookkeeping

A pickle is a program: every GLOBAL opcode names a Python object (any function, e.g. os.system) that the following
REDUCE calls. Here the unpickler's ``find_class`` admits exactly these names and maps each to something of ours:

    collections.OrderedDict          -> collections.OrderedDict (a plain container)
    torch._utils._rebuild_tensor_v2  -> _rebuild_tensor: a NumPy array from a storage, bounds checked
    torch._utils._rebuild_parameter  -> the array itself (a saved nn.Parameter)
    torch.<Float|Double|Half|Long|Int|Short|Char|Byte|Bool>Storage -> a dtype marker (never called)

Any other name (os.system, builtins.eval, a model's own class from ``torch.save(model)``) is refused when its GLOBAL is
read, before anything could call it: nothing in the file is executed. ``persistent_load`` accepts only the storage
tuple above and reads the storage's bytes itself, with the .npz reader's discipline: stored or deflated members
only, declared and actual size equal to numel × itemsize, a cap on the total, and the pickle itself at most
MAX_PICKLE_BYTES. The older non-zip format (torch < 1.6, ``_use_new_zipfile_serialization=False``) and anything
else are refused with the two lines of torch that convert such a file.
"""

from __future__ import annotations

import io
import math
import pickle
import zipfile
from collections import OrderedDict

import numpy as np

from .validate import quoted

MAX_PICKLE_BYTES = 1_000_000  # a state_dict's pickle is ~100 bytes per tensor
CONVERT = ("convert it where torch is installed (only for a file you trust: loading runs its pickle): "
           "sd = torch.load('model.pt', weights_only=False)  (for a whole model, add .state_dict()); then "
           "numpy.savez('model.npz', **{k: v.detach().cpu().double().numpy() for k, v in sd.items()})")
_STORAGES = {  # torch's storage class -> NumPy dtype (little-endian)
    "DoubleStorage": "<f8", "FloatStorage": "<f4", "HalfStorage": "<f2", "LongStorage": "<i8", "IntStorage": "<i4",
    "ShortStorage": "<i2", "CharStorage": "i1", "ByteStorage": "u1", "BoolStorage": "?",
}


class Refused(ValueError):
    """Why the file is not read; the message is fit to show the user."""


class _StorageType:
    """What find_class returns for torch.FloatStorage & co.: the dtype of a storage, nothing callable."""

    __slots__ = ("name", "dtype")

    def __init__(self, name: str):
        self.name, self.dtype = name, np.dtype(_STORAGES[name])


class _Storage:
    """A storage read by persistent_load: its elements as a 1-D array."""

    __slots__ = ("data",)

    def __init__(self, data: np.ndarray):
        self.data = data


def _int(value, what: str) -> int:
    if type(value) is not int or value < 0:
        raise Refused(f"a tensor's {what} is {quoted(repr(value), 30)}, needs a whole number >= 0")
    return value


def _rebuild_parameter(data, requires_grad=False, backward_hooks=None, *rest):
    """torch._utils._rebuild_parameter: a saved nn.Parameter is its tensor."""
    if not isinstance(data, np.ndarray):
        raise Refused("a saved parameter does not hold a tensor")
    return data


MAX_TENSORS = 1000  # far more than any state_dict the app reads (at most statedict.MAX_KEYS keys)


class _Unpickler(pickle.Unpickler):
    """An unpickler that calls nothing but the few functions in _ALLOWED and reads storages from the zip."""

    def __init__(self, data: bytes, archive: zipfile.ZipFile, root: str, max_bytes: int):
        super().__init__(io.BytesIO(data))
        self.archive, self.root = archive, root
        self.budget = max_bytes  # bytes of storages read
        self.tensor_budget = max_bytes  # bytes of tensors built from them (a stride-0 view could repeat one number)
        self.tensors = 0
        self.storages: dict[str, _Storage] = {}
        self.allowed = {
            ("collections", "OrderedDict"): OrderedDict,
            ("torch._utils", "_rebuild_tensor_v2"): self.rebuild_tensor,
            ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
        }

    def find_class(self, module, name):
        if (module, name) in self.allowed:
            return self.allowed[(module, name)]
        if module == "torch" and name in _STORAGES:
            return _StorageType(name)
        if module == "torch" and name == "BFloat16Storage":
            raise Refused("it holds bfloat16 tensors, which NumPy cannot read: save them as float32 (.float()) or "
                          "float64 (.double())")
        raise Refused(f"its pickle refers to {quoted(f'{module}.{name}', 50)}, which is not part of a state_dict of "
                      "tensors (a whole model saved with torch.save(model) is pickled Python code); the app never "
                      "runs a file's pickle")

    def rebuild_tensor(self, storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
        """torch._utils._rebuild_tensor_v2 for our _Storage: the elements at offset + Σ index_k · stride_k, every one
        of them checked to lie inside the storage before NumPy views it, the copy within the size budget."""
        if not isinstance(storage, _Storage):
            raise Refused("a tensor's storage is not one of the file's data/ entries")
        if not isinstance(size, tuple) or not isinstance(stride, tuple) or len(size) != len(stride) or len(size) > 8:
            raise Refused("a tensor's size and stride are not matching tuples of at most 8 numbers")
        offset = _int(storage_offset, "storage offset")
        size = tuple(_int(n, "size") for n in size)
        stride = tuple(_int(n, "stride") for n in stride)
        data = storage.data
        self.tensors += 1
        self.tensor_budget -= math.prod(size) * data.dtype.itemsize
        if self.tensors > MAX_TENSORS or self.tensor_budget < 0:
            raise Refused("its tensors add up to more than the size limit of a model the app reads")
        if math.prod(size) == 0:
            return np.zeros(size, dtype=data.dtype)
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))  # the largest index the view reads
        if last >= data.size:
            raise Refused(f"a tensor of size {size} and stride {stride} at offset {offset} reads element {last:,} of "
                          f"a storage of {data.size:,}")
        strides = [s * data.dtype.itemsize for s in stride]
        return np.array(np.lib.stride_tricks.as_strided(data[offset:], shape=size, strides=strides, writeable=False))

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str) and isinstance(pid[3], str)):
            raise Refused("a persistent id in its pickle is not a ('storage', type, key, location, size) record")
        _, kind, key, _location, numel = pid
        numel = _int(numel, "storage size")
        if key in self.storages:
            return self.storages[key]
        if not key.isdigit() or len(key) > 12:
            raise Refused(f"a storage key is {quoted(key, 20)}, needs a number")
        name = f"{self.root}data/{key}"
        try:
            info = self.archive.getinfo(name)
        except KeyError:
            raise Refused(f"its pickle names storage {key}, but the archive has no {quoted(name, 40)}") from None
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Refused(f"storage {key} is compressed with method {info.compress_type}; torch stores them "
                          "uncompressed")
        nbytes = numel * kind.dtype.itemsize
        if info.file_size != nbytes:
            raise Refused(f"storage {key} should hold {numel:,} numbers of {kind.dtype.itemsize} bytes, {nbytes:,} "
                          f"bytes, but its entry holds {info.file_size:,}")
        self.budget -= nbytes
        if self.budget < 0:
            raise Refused("its tensors unpack to more than the size limit of a model the app reads")
        with self.archive.open(info) as f:
            raw = f.read(nbytes + 1)
        if len(raw) != nbytes:
            raise Refused(f"storage {key}'s entry does not hold its declared {nbytes:,} bytes")
        self.storages[key] = _Storage(np.frombuffer(raw, dtype=kind.dtype))
        return self.storages[key]


def read_torch_zip(data: bytes, max_bytes: int) -> dict[str, np.ndarray]:
    """The tensors of a torch.save(state_dict) file: {key: NumPy array} in the file's order. ``data`` are the file's
    bytes (already size-checked); ``max_bytes`` caps the total size of the tensors. Raises Refused (a ValueError)
    with a message for the user."""
    if not data.startswith(b"PK"):
        if data[:2] in (b"\x80\x02", b"\x80\x03", b"\x80\x04", b"\x80\x05"):
            raise Refused(f"it is in torch's old format (a bare pickle, torch < 1.6), which cannot be read without "
                          f"running it; {CONVERT}")
        raise Refused(f"not a file written by torch.save (a zip archive); {CONVERT}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise Refused(f"not a valid torch.save zip archive ({type(exc).__name__}); {CONVERT}") from None
    with archive:
        pickles = [n for n in names if n.endswith("data.pkl") and n.count("/") == 1]
        if len(pickles) != 1:
            raise Refused(f"not a torch.save archive: it has {len(pickles)} <name>/data.pkl entries, needs one; "
                          f"{CONVERT}")
        root = pickles[0][: -len("data.pkl")]
        order = archive.getinfo(root + "byteorder") if root + "byteorder" in names else None
        if order is not None and (order.file_size > 16 or archive.read(order).strip() != b"little"):
            raise Refused("its tensors are big-endian; the app reads little-endian files (any PC's)")
        info = archive.getinfo(pickles[0])
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) or info.file_size > MAX_PICKLE_BYTES:
            raise Refused(f"its data.pkl is {info.file_size:,} bytes (method {info.compress_type}); a state_dict's "
                          f"is at most {MAX_PICKLE_BYTES:,}, stored or deflated")
        try:
            with archive.open(info) as f:
                pkl = f.read(MAX_PICKLE_BYTES + 1)
            obj = _Unpickler(pkl, archive, root, max_bytes).load()
        except Refused:
            raise
        except RecursionError:
            raise Refused("its pickle is nested far too deeply") from None
        except Exception as exc:  # a malformed pickle, a corrupt entry, a call with the wrong arguments
            raise Refused(f"its pickle could not be read as a state_dict ({type(exc).__name__}: "
                          f"{quoted(str(exc), 80)}); {CONVERT}") from None
    if not isinstance(obj, dict):
        raise Refused(f"it holds {type(obj).__name__}, not a state_dict (a mapping of names to tensors); {CONVERT}")
    out = {}
    for key, value in obj.items():
        if not isinstance(value, np.ndarray):
            raise Refused(f"its entry {quoted(key, 40)} is {type(value).__name__}, not a tensor")
        out[key] = value
    return out
