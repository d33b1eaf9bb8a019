"""lstm_core.io.load_model: whole torch modules saved by torch itself (tests/fixtures/models, made by
make_reference.py) in .npz, .safetensors, .json and .pt, run through stack_forward and the head against torch's own
outputs at rtol 1e-9; what is not supported, by torch's own key names; save_model round trips; the .pt reader's
restricted unpickler against payloads that would run code; hostile .safetensors headers."""

from __future__ import annotations

import io as _io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from lstm_core import (
    GRUParams, LSTMParams, init_gru, init_lstm, init_rnn, io, params_equal, stack_backward, stack_forward,
)
from lstm_core.statedict import ExtraKeysError, LoadedModel, model_from_state_dict, model_state_dict, single_layer
from tests.torchzip import _global, payload_pickle, save_state_dict, tensor_pickle, torch_zip

from tests.helpers import load_reference

REF = load_reference()
MODELS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "models"
FILES = [pytest.param(m, f, id=f) for m in REF["models"] for f in m["files"]]
PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def read(name: str) -> bytes:
    return (MODELS_DIR / name).read_bytes()


def npz_of(arrays: dict) -> bytes:
    buf = _io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


# ---------------------------------------------------------------------------------- models torch saved itself


@pytest.mark.parametrize("spec, filename", FILES)
def test_a_module_torch_saved_runs_as_torch_runs_it(spec, filename):
    model = io.load_model(read(filename), filename)
    assert model.kind == spec["kind"] and model.num_layers == spec["layers"] and model.prefix == spec["prefix"]
    x = np.asarray(spec["x"])
    traces = stack_forward(model.layers, x)
    np.testing.assert_allclose(traces[-1].h, np.asarray(spec["h_top"]), rtol=1e-9, atol=0)
    if spec["head_prefix"] is None:
        assert model.head is None and model.output_size is None
    else:
        assert model.head_prefix == spec["head_prefix"]
        np.testing.assert_allclose(model.head_output(traces[-1].h), np.asarray(spec["output"]), rtol=1e-9, atol=0)
    # every key of the file became something, in the file's order (safetensors sorts its header by name)
    keys = list(np.load(MODELS_DIR / (filename.rsplit(".", 1)[0] + ".npz")).files)
    mapped = [k for k, _ in model.mapping]
    assert mapped == (sorted(keys) if filename.endswith(".safetensors") else keys)
    assert model.key_map()[spec["prefix"] + "weight_hh_l0"] == "layers[0].weight_hh"
    assert model.ignored == () and all(isinstance(p, LSTMParams | GRUParams) or p is not None for p in model.layers)


@pytest.mark.parametrize("spec", REF["models"], ids=lambda s: s["name"])
def test_the_four_formats_give_bit_identical_models(spec):
    models = [io.load_model(read(f), f) for f in spec["files"]]
    for other in models[1:]:
        for a, b in zip(models[0].layers, other.layers):
            assert params_equal(a, b)
        if models[0].head is not None:
            for a, b in zip(models[0].head, other.head):
                np.testing.assert_array_equal(a, b)


def test_float32_weights_are_widened_exactly():
    spec = next(m for m in REF["models"] if m["dtype"] == "float32")
    model = io.load_model(read(spec["files"][0]), spec["files"][0])
    w = model.layers[0].weight_ih
    assert w.dtype == np.float64 and np.array_equal(w, w.astype(np.float32).astype(np.float64))


def test_a_loaded_model_is_frozen_and_backpropagates():
    model = io.load_model(read("encoder_rnn.safetensors"), "encoder_rnn.safetensors")
    with pytest.raises(Exception):
        model.kind = "gru"
    with pytest.raises(ValueError, match="read-only"):
        model.head[0][...] = 0
    x = np.asarray(next(m for m in REF["models"] if m["name"] == "encoder_rnn")["x"])
    traces = stack_forward(model.layers, x)
    grads = stack_backward(model.layers, traces, np.ones(traces[-1].h.shape))
    assert grads[0].dx.shape == x.shape


# ------------------------------------------------------------------------------------------------ round trips


def _models():
    lstm97 = init_lstm(3, 4, seed=2, forget_gate=False)
    return {
        "lstm+head": LoadedModel("lstm", (init_lstm(3, 4), init_lstm(4, 4, seed=1)),
                                 head=(np.arange(8.0).reshape(2, 4), np.array([0.5, -1.0])), prefix="encoder.rnn."),
        "gru": LoadedModel("gru", (init_gru(2, 5), init_gru(5, 5, seed=3), init_gru(5, 5, seed=4))),
        "rnn": single_layer(init_rnn(1, 2)),
        "lstm1997": LoadedModel("lstm", (lstm97, init_lstm(4, 4, seed=5)), head=(np.ones((3, 4)), np.zeros(3)),
                                head_prefix="out."),
    }


@pytest.mark.parametrize("fmt", io.SAVE_FORMATS)
@pytest.mark.parametrize("name", list(_models()))
def test_save_model_round_trips_bit_for_bit(name, fmt):
    model = _models()[name]
    back = io.load_model(io.save_model(model, fmt), f"m.{fmt}")
    assert back.kind == model.kind and back.prefix == model.prefix and len(back.layers) == len(model.layers)
    for a, b in zip(model.layers, back.layers):
        assert params_equal(a, b)
    assert (back.head is None) == (model.head is None)
    if model.head is not None:
        assert back.head_prefix == model.head_prefix
        for a, b in zip(model.head, back.head):
            np.testing.assert_array_equal(a, b)


def test_the_1997_lstm_is_saved_with_its_marker_and_refused_where_it_cannot_be():
    model = _models()["lstm1997"]
    sd = model_state_dict(model)
    assert "forget_gate_l0" in sd and "forget_gate_l1" not in sd and sd["forget_gate_l0"] == 0
    p = init_lstm(3, 4, forget_gate=False)
    for fmt, to in (("npz", io.to_npz_bytes), ("json", io.to_json_bytes), ("safetensors", io.to_safetensors_bytes)):
        back = io.load_params(to(p), f"w.{fmt}")
        assert params_equal(back, p) and back.forget_gate is False
    gru = io.params_to_state_dict(init_gru(3, 4)) | {"forget_gate_l0": np.array(0.0)}
    with pytest.raises(ValueError, match="forget_gate_l0: only an LSTM can be without a forget gate"):
        io.params_from_state_dict(gru)
    with pytest.raises(ValueError, match=r"forget_gate_l0: got 1 value\(s\) \[0.5\], needs one number: 0"):
        io.params_from_state_dict(io.params_to_state_dict(p) | {"forget_gate_l0": np.array(0.5)})
    filled = io.params_to_state_dict(init_lstm(3, 4)) | {"forget_gate_l0": np.array(0.0)}
    with pytest.raises(ValueError, match="weight_ih_l0: its forget-gate rows 4–7 hold nonzero values, but "
                                         "forget_gate=False"):
        io.params_from_state_dict(filled)
    with pytest.raises(ValueError, match="lstm.weight_ih_l0: its forget-gate rows"):
        model_from_state_dict({f"lstm.{k}": v for k, v in filled.items()})


@pytest.mark.parametrize("fmt", ["npz", "json", "safetensors", "pt"])
@pytest.mark.parametrize("make", [init_lstm, init_gru, init_rnn])
def test_load_params_reads_one_layer_in_every_format(make, fmt):
    p = make(3, 4, seed=7)
    sd = io.params_to_state_dict(p)
    data = {"npz": io.to_npz_bytes, "json": io.to_json_bytes, "safetensors": io.to_safetensors_bytes,
            "pt": lambda q: save_state_dict(io.params_to_state_dict(q))}[fmt](p)
    assert params_equal(io.load_params(data, f"weights.{fmt}"), p)
    assert params_equal(io.load_model(data, f"weights.{fmt}").layers[0], p)
    with pytest.raises(ValueError, match="unexpected 'fc.weight'"):
        io.load_params(save_state_dict(sd | {"fc.weight": np.ones((2, 4))}) if fmt == "pt"
                       else npz_of(sd | {"fc.weight": np.ones((2, 4))}), "w.pt" if fmt == "pt" else "w.npz")


def test_loaded_model_validates_itself():
    with pytest.raises(ValueError, match="kind: got 'gru', but the layers are LSTM layers"):
        LoadedModel("gru", (init_lstm(2, 3),))
    with pytest.raises(ValueError, match=r"head weight: got shape \(2, 4\), needs \(O, 3\)"):
        LoadedModel("lstm", (init_lstm(2, 3),), head=(np.ones((2, 4)), np.ones(2)))
    with pytest.raises(ValueError, match=r"head bias: got shape \(3,\), needs \(2,\)"):
        LoadedModel("lstm", (init_lstm(2, 3),), head=(np.ones((2, 3)), np.ones(3)))
    with pytest.raises(ValueError, match="head: this model has no Linear head"):
        single_layer(init_rnn(2, 3)).head_output(np.zeros((4, 3)))
    with pytest.raises(ValueError, match="fmt: got 'pt'"):
        io.save_model(single_layer(init_rnn(2, 3)), "pt")


# ------------------------------------------------------------------------------------- what is not supported


def zeros_of(keys: dict) -> dict:
    rng = np.random.default_rng(0)
    return {k: rng.normal(size=shape) for k, shape in keys.items()}


@pytest.mark.parametrize("name", list(REF["refusals"]))
@pytest.mark.parametrize("fmt", ["npz", "pt"])
def test_what_is_not_supported_is_named(name, fmt):
    spec = REF["refusals"][name]
    arrays = zeros_of(spec["keys"])
    data = npz_of(arrays) if fmt == "npz" else save_state_dict(arrays)
    with pytest.raises(ValueError) as info:
        io.load_model(data, f"model.{fmt}")
    message = str(info.value)
    assert spec["reason"] in message and message.startswith(f".{fmt}: ")
    assert len(message) <= 600


def test_extra_keys_are_listed_not_dropped_and_can_be_left_out_knowingly():
    arrays = zeros_of(REF["refusals"]["embedding"]["keys"])
    with pytest.raises(ExtraKeysError) as info:
        io.load_model(npz_of(arrays), "m.npz")
    assert info.value.keys == ("embedding.weight",)
    assert "nothing is dropped without your knowing" in str(info.value)
    model = io.load_model(npz_of(arrays), "m.npz", ignore_extra=True)
    assert model.ignored == ("embedding.weight",) and model.output_size == 2 and model.prefix == "lstm."
    assert "embedding.weight" not in model.key_map()


def test_structural_refusals_with_their_keys():
    lstm = {f"lstm.{k}": v for k, v in io.params_to_state_dict(init_lstm(3, 4)).items()}
    gru = {f"gru.{k}": v for k, v in io.params_to_state_dict(init_gru(3, 4)).items()}
    cases = [
        ({}, "no recurrent layer found"),
        ({"fc.weight": np.ones((2, 4)), "fc.bias": np.ones(2)}, r"no recurrent layer found.*'fc.weight' \(2, 4\)"),
        (lstm | gru, r"more than one prefix \('gru.', 'lstm.'\)"),
        ({k: v for k, v in lstm.items() if k != "lstm.bias_hh_l0"}, r"layer 1: missing 'lstm.bias_hh_l0'"),
        (lstm | {"lstm.weight_ih_l2": np.ones((16, 4))}, r"layers \[0, 2\]"),
        ({k.replace("l0", "l1"): v for k, v in lstm.items()}, r"layers \[1\]"),
        ({"rnn.weight_hh_l0": np.ones((10, 4)), "rnn.weight_ih_l0": np.ones((10, 3)), "rnn.bias_ih_l0": np.ones(10),
          "rnn.bias_hh_l0": np.ones(10)}, r"rnn.weight_hh_l0: got shape \(10, 4\), needs \(4H, H\)"),
        (lstm | {k.replace("l0", "l1"): v for k, v in lstm.items()},
         r"lstm.weight_ih_l1: got shape \(16, 3\), needs \(16, 4\) \(an LSTM layer with H = 4 reading the H = 4"),
        (lstm | {"fc.weight": np.ones((2, 4)), "fc.bias": np.ones(3)}, r"keys that are neither.*'fc.weight' \(2, 4\)"),
        (lstm | {"fc.weight": np.ones((2, 4)), "fc.bias": np.ones(2), "out.weight": np.ones((5, 4)),
                 "out.bias": np.ones(5)}, r"more than one Linear reads the H = 4 hidden states"),
        (lstm | {"fc.weight": np.full((2, 4), np.nan), "fc.bias": np.ones(2)}, r"fc.weight: 8 value\(s\) are NaN"),
        ({k: v.astype(bool) for k, v in lstm.items()}, "got booleans"),
    ]
    for arrays, pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            model_from_state_dict(arrays)


def test_rnn_is_read_as_tanh_with_a_note():
    model = io.load_model(read("rnn3.npz"), "rnn3.npz")
    assert any("nonlinearity='relu'" in note for note in model.notes)


def test_file_types_and_names():
    with pytest.raises(ValueError, match=r"model.bin: unsupported file type \.bin; upload a model as \.npz"):
        io.load_model(read("gru2.npz"), "model.bin")
    assert io.load_model(read("gru2.pt"), "GRU2.PTH").kind == "gru"  # .pth, any case
    with pytest.raises(ValueError, match="not a valid .npz file"):
        io.load_model(read("gru2.pt")[:100], "gru2.npz")


# -------------------------------------------------------------------------------------------- the .pt reader


def test_a_whole_pickled_module_and_the_old_format_are_refused_with_the_conversion():
    with pytest.raises(ValueError, match=r"refers to '__main__.LSTMWithHead'.*never runs a file's pickle") as info:
        io.load_model(read("whole_module.pt"), "whole_module.pt")
    assert len(str(info.value)) <= 600
    with pytest.raises(ValueError, match=r"torch's old format.*sd = torch.load\('model.pt', weights_only=False\)"):
        io.load_model(read("legacy_format.pt"), "legacy_format.pt")


@pytest.mark.parametrize("module, name", [("posix", "system"), ("os", "system"), ("builtins", "eval"),
                                          ("builtins", "exec"), ("subprocess", "check_call"), ("builtins", "getattr")])
def test_a_pickle_that_would_run_code_is_refused_and_runs_nothing(tmp_path, module, name):
    marker = tmp_path / "ran"
    argument = {"system": f"touch {marker}", "check_call": f"touch {marker}",
                "eval": f"open({str(marker)!r}, 'w')", "exec": f"open({str(marker)!r}, 'w')"}.get(name, "x")
    data = torch_zip(payload_pickle(module, name, argument), {})
    if module == "posix":  # the control: an ordinary unpickler does run it (so the refusal below means something)
        pickle.loads(payload_pickle(module, name, argument))
        assert marker.exists()
        marker.unlink()
    for reader in (lambda d: io.load_model(d, "m.pt"), lambda d: io.load_params(d, "w.pt")):
        with pytest.raises(ValueError, match=rf"refers to '{module}.{name}'"):
            reader(data)
    assert not marker.exists()


def test_a_payload_hidden_inside_a_state_dict_is_refused_too(tmp_path):
    marker = tmp_path / "ran"
    pkl = tensor_pickle([("w", "DoubleStorage", "0", 1, 0, (1,), (1,))])
    evil = pkl[:-2] + _global("posix", "system") + pickle.MARK + pickle.BINUNICODE + len(f"touch {marker}").to_bytes(
        4, "little") + f"touch {marker}".encode() + pickle.TUPLE + pickle.REDUCE + pickle.POP + pkl[-2:]
    with pytest.raises(ValueError, match="refers to 'posix.system'"):
        io.load_model(torch_zip(evil, {"0": bytes(8)}), "m.pt")
    assert not marker.exists()


def _one_tensor(storage="DoubleStorage", numel=4, offset=0, size=(2, 2), stride=(2, 1), data=None, **zip_kw):
    pkl = tensor_pickle([("weight_ih_l0", storage, "0", numel, offset, size, stride)])
    return torch_zip(pkl, {"0": bytes(8 * numel) if data is None else data}, **zip_kw)


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(stride=(3, 1)), r"reads element 4 of a storage of 4"),
    (dict(offset=3), r"at offset 3 reads element 6"),
    (dict(size=(100_000, 100_000), stride=(0, 0)), "add up to more than the size limit"),
    (dict(numel=4, data=bytes(16)), r"should hold 4 numbers of 8 bytes, 32 bytes, but its entry holds 16"),
    (dict(numel=10**9, data=bytes(8)), r"should hold 1,000,000,000 numbers"),
    (dict(size=(-1, 2)), r"size is '-1', needs a whole number"),
    (dict(storage="BFloat16Storage"), "bfloat16"),
    (dict(storage="ComplexDoubleStorage"), r"refers to 'torch.ComplexDoubleStorage'"),
])
def test_lying_tensors_are_refused(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        io.load_model(_one_tensor(**kwargs), "m.pt")


def test_pt_archives_that_are_not_what_torch_writes():
    good = save_state_dict(io.params_to_state_dict(init_rnn(2, 3)))
    assert io.load_params(good, "w.pt").hidden_size == 3
    with zipfile.ZipFile(_io.BytesIO(good)) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    cases = [
        (torch_zip(b"\x80\x02]q\x00.", {}), "it holds list, not a state_dict"),
        (torch_zip(b"not a pickle", {}), "its pickle could not be read as a state_dict"),
        (b"PK\x03\x04" + bytes(100), "not a valid torch.save zip archive"),
        (b"hello", "not a file written by torch.save"),
        (npz_of({"a": np.ones(2)}), "0 <name>/data.pkl entries"),
        (torch_zip(pickle.PROTO + b"\x02" + pickle.MARK * 100_000 + pickle.STOP, {}),
         "its pickle could not be read"),
        (torch_zip(b"\x80\x02" + b"(" * 1_100_000, {}), "data.pkl is 1,100,002 bytes"),
    ]
    big_endian = dict(members)
    big_endian["archive/byteorder"] = b"big"
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for k, v in big_endian.items():
            zf.writestr(k, v)
    cases.append((buf.getvalue(), "big-endian"))
    missing = {k: v for k, v in members.items() if k != "archive/data/1"}
    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for k, v in missing.items():
            zf.writestr(k, v)
    cases.append((buf.getvalue(), r"names storage 1, but the archive has no 'archive/data/1'"))
    for data, pattern in cases:
        with pytest.raises(ValueError, match=pattern):
            io.load_model(data, "m.pt")


def test_a_deflated_pt_and_a_saved_parameter_are_read():
    arrays = io.params_to_state_dict(init_gru(2, 3))
    pkl = tensor_pickle([(k, "DoubleStorage", str(n), a.size, 0, a.shape, tuple(s // 8 for s in a.strides))
                         for n, (k, a) in enumerate(arrays.items())])
    data = torch_zip(pkl, {str(n): a.tobytes() for n, a in enumerate(arrays.values())},
                     compression=zipfile.ZIP_DEFLATED)
    assert params_equal(io.load_params(data, "w.pt"), init_gru(2, 3))
    # a transposed (non-contiguous) view: torch saves its stride, the reader follows it
    w = np.arange(6.0).reshape(2, 3)
    pkl = tensor_pickle([("t", "DoubleStorage", "0", 6, 0, (3, 2), (1, 3))])
    from lstm_core.torchfile import read_torch_zip
    np.testing.assert_array_equal(read_torch_zip(torch_zip(pkl, {"0": w.tobytes()}), 1 << 20)["t"], w.T)


# ----------------------------------------------------------------------------------------- .safetensors


def _safetensors(header: dict, data: bytes) -> bytes:
    h = json.dumps(header).encode()
    return len(h).to_bytes(8, "little") + h + data


@pytest.mark.parametrize("data, pattern", [
    (_safetensors({"w": {"dtype": "F64", "shape": [1000, 1000], "data_offsets": [0, 8_000_000]}}, bytes(64)),
     "lie outside the file's 64 bytes"),
    (_safetensors({"w": {"dtype": "F64", "shape": [2, 2], "data_offsets": [0, 16]}}, bytes(64)),
     "shape and byte range disagree"),
    (_safetensors({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, bytes(4)), "'BF16'.*float32"),
    (_safetensors({"w": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8], "extra": 1}}, bytes(8)),
     "not {dtype, shape, data_offsets}"),
    (_safetensors({f"k{i}": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]} for i in range(100)}, b""),
     "holds 100 arrays"),
    (_safetensors({"w": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]},
                   "v": {"dtype": "F64", "shape": [1], "data_offsets": [0, 8]}}, bytes(8)), "could not be read"),
    ((10**12).to_bytes(8, "little") + b"{}", "a header of 1,000,000,000,000 bytes"),
    (b"\x05\x00\x00\x00\x00\x00\x00\x00[1,2]", "got a list at the top level"),
    (b"\x03\x00\x00\x00\x00\x00\x00\x00{\x00}", "not valid JSON"),
    (b"abc", "not a safetensors file"),
])
def test_hostile_safetensors_are_refused(data, pattern):
    with pytest.raises(ValueError, match=pattern) as info:
        io.load_model(data, "m.safetensors")
    assert str(info.value).startswith(".safetensors")


def test_model_npz_and_json_are_checked_like_the_one_layer_files():
    with pytest.raises(ValueError, match="holds 65 arrays"):
        io.load_model(npz_of({f"k{i}": np.zeros(1) for i in range(65)}), "m.npz")
    with pytest.raises(ValueError, match="a key of 201 characters"):
        io.load_model(npz_of({"k" * 201: np.zeros(1)}), "m.npz")
    with pytest.raises(ValueError, match="holds Python objects"):
        buf = _io.BytesIO()
        np.savez(buf, **{"lstm.weight_ih_l0": np.array([None, 1], dtype=object)})
        io.load_model(buf.getvalue(), "m.npz")
    sd = {k: v.tolist() for k, v in io.params_to_state_dict(init_lstm(2, 3)).items()}
    with pytest.raises(ValueError, match=r"'config': got an object, needs a list of numbers|'config': got an object"):
        io.load_model(json.dumps(sd | {"config": {"a": 1}}).encode(), "m.json")
    with pytest.raises(ValueError, match="the key 'bias_ih_l0' appears more than once"):
        io.load_model(b'{"bias_ih_l0": [1], "bias_ih_l0": [2]}', "m.json")
    with pytest.raises(ValueError, match="numbers; a model as JSON may have up to"):
        io.load_model(b'{"a": [' + b"0," * 400_000 + b"0]}", "m.json")
    three_d = sd | {"conv.weight": np.zeros((2, 2, 2)).tolist()}
    with pytest.raises(ExtraKeysError, match=r"'conv.weight' \(2, 2, 2\)"):
        io.load_model(json.dumps(three_d).encode(), "m.json")
