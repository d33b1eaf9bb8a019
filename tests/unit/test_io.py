"""lstm_core.io: weights (.npz / .json, PyTorch state_dict names) and input CSVs round-trip exactly, and every
malformed upload is refused with a ValueError that says what is wrong."""

from __future__ import annotations

import io
import json
import pickle
import zipfile

import numpy as np
import pytest

from lstm_core import LSTMParams, RNNParams, init_lstm, init_rnn, params_equal
from lstm_core.io import (
    MAX_UPLOAD_BYTES,
    STATE_DICT_KEYS,
    from_json_bytes,
    from_npz_bytes,
    inputs_from_csv_bytes,
    inputs_to_csv_bytes,
    load_params,
    params_from_state_dict,
    params_to_state_dict,
    to_json_bytes,
    to_npz_bytes,
)
from lstm_core.validate import MAX_D, MAX_T

LSTM = init_lstm(3, 5, seed=1, forget_bias=1.0)
RNN = init_rnn(3, 5, seed=2)


def npz_of(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def json_of(obj) -> bytes:
    return json.dumps(obj).encode("utf-8")


def sd_lists(params) -> dict:
    return {k: v.tolist() for k, v in params_to_state_dict(params).items()}


# ------------------------------------------------------------------------------------------- round trips


def test_state_dict_has_pytorch_names_shapes_and_writable_copies():
    sd = params_to_state_dict(LSTM)
    assert list(sd) == list(STATE_DICT_KEYS)
    assert sd["weight_ih_l0"].shape == (20, 3) and sd["weight_hh_l0"].shape == (20, 5)
    assert sd["bias_ih_l0"].shape == (20,) and sd["bias_hh_l0"].shape == (20,)
    assert all(v.dtype == np.float64 and v.flags.writeable for v in sd.values())
    sd["weight_ih_l0"][0, 0] = 123.0  # a copy: the frozen params are untouched
    assert LSTM.weight_ih[0, 0] != 123.0
    np.testing.assert_array_equal(params_to_state_dict(RNN)["weight_hh_l0"], RNN.weight_hh)


@pytest.mark.parametrize("params", [LSTM, RNN], ids=["lstm", "rnn"])
@pytest.mark.parametrize("fmt", ["npz", "json"])
def test_round_trip_is_bit_identical_and_infers_the_model(params, fmt):
    data = to_npz_bytes(params) if fmt == "npz" else to_json_bytes(params)
    back = load_params(data, f"weights.{fmt}")
    assert type(back) is type(params)
    assert params_equal(back, params)
    model = "lstm" if isinstance(params, LSTMParams) else "rnn"
    assert params_equal(load_params(data, f"W.{fmt.upper()}", model=model, expected_input_size=3, expected_hidden_size=5), params)


def test_round_trip_of_extreme_finite_values():
    p = LSTMParams(
        weight_ih=np.full((8, 1), 1e308), weight_hh=np.full((8, 2), -5e-324), bias_ih=np.zeros(8), bias_hh=np.ones(8)
    )
    assert params_equal(from_json_bytes(to_json_bytes(p)), p)
    assert params_equal(from_npz_bytes(to_npz_bytes(p)), p)


def test_json_has_exactly_the_four_keys_of_nested_lists():
    obj = json.loads(to_json_bytes(LSTM).decode("utf-8"))
    assert list(obj) == list(STATE_DICT_KEYS)
    assert np.array_equal(np.array(obj["weight_hh_l0"]), LSTM.weight_hh)


def test_state_dict_accepts_ints_lists_and_other_float_dtypes():
    sd = {k: v.astype(np.float32) for k, v in params_to_state_dict(RNN).items()}
    sd["bias_hh_l0"] = np.arange(5)  # ints are real numbers
    p = params_from_state_dict(sd)
    assert isinstance(p, RNNParams) and p.bias_hh.dtype == np.float64
    np.testing.assert_array_equal(p.bias_hh, np.arange(5.0))
    assert params_equal(params_from_state_dict(sd_lists(LSTM)), LSTM)
    big_endian = {k: v.astype(">f8") for k, v in params_to_state_dict(LSTM).items()}
    assert params_equal(from_npz_bytes(npz_of(**big_endian)), LSTM)


def test_json_with_a_byte_order_mark_and_whitespace_is_read():
    data = b"\xef\xbb\xbf\n " + json.dumps(sd_lists(RNN), indent=2).encode() + b"\n"
    assert params_equal(from_json_bytes(data), RNN)


# ---------------------------------------------------------------------------------- model / expectations


def test_model_mismatch_is_refused_in_both_directions():
    with pytest.raises(ValueError, match=r"weight_hh_l0 has shape \(20, 5\).*an LSTM.*but an RNN was asked for"):
        from_npz_bytes(to_npz_bytes(LSTM), model="rnn")
    with pytest.raises(ValueError, match=r"\(5, 5\), which is an RNN.*but an LSTM was asked for"):
        from_json_bytes(to_json_bytes(RNN), model="lstm")
    with pytest.raises(ValueError, match=r"an LSTM's \(4H, H\) with H=5, but a GRU was asked for"):
        params_from_state_dict(sd_lists(LSTM), model="gru")
    with pytest.raises(ValueError, match="model: got 'transformer'"):
        params_from_state_dict(sd_lists(LSTM), model="transformer")


def test_expected_sizes_are_enforced():
    data = to_npz_bytes(LSTM)
    with pytest.raises(ValueError, match=r"weights are for D=3, H=5 but the app is set to D=4, H=5"):
        from_npz_bytes(data, expected_input_size=4)
    with pytest.raises(ValueError, match=r"weights are for D=3, H=5 but the app is set to D=3, H=8"):
        load_params(to_json_bytes(LSTM), "w.json", expected_hidden_size=8)
    with pytest.raises(ValueError, match=r"D=3, H=5 but the app is set to D=2, H=4"):
        params_from_state_dict(sd_lists(RNN), expected_input_size=2, expected_hidden_size=4)


# ------------------------------------------------------------------------------------------ keys, shapes


def test_missing_extra_and_wrong_keys_list_the_expected_keys():
    sd = sd_lists(LSTM)
    missing = {k: v for k, v in sd.items() if k != "bias_hh_l0"}
    extra = dict(sd, weight_ih_l1=sd["weight_ih_l0"])
    renamed = {k.replace("_l0", ""): v for k, v in sd.items()}  # a torch.nn.LSTMCell state_dict
    expected = "weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0"
    for bad, what in ((missing, "missing bias_hh_l0"), (extra, "unexpected 'weight_ih_l1'"), (renamed, "missing weight_ih_l0")):
        for reader, data in ((from_json_bytes, json_of(bad)), (from_npz_bytes, npz_of(**{k: np.array(v) for k, v in bad.items()}))):
            with pytest.raises(ValueError) as err:
                reader(data)
            assert what in str(err.value) and expected in str(err.value)
        with pytest.raises(ValueError, match="missing|unexpected"):
            params_from_state_dict(bad)


def test_non_mapping_state_dict_is_refused():
    with pytest.raises(ValueError, match="needs a mapping"):
        params_from_state_dict([1, 2, 3])


@pytest.mark.parametrize(
    "key, value, pattern",
    [
        ("weight_ih_l0", np.zeros((19, 3)), r"weight_ih_l0: got shape \(19, 3\), needs \(20, D\)"),
        ("weight_hh_l0", np.zeros((20, 4)), r"weight_hh_l0: got shape \(20, 4\), needs \(4H, H\).*\(H, H\)"),
        ("weight_hh_l0", np.zeros((0, 0)), r"weight_hh_l0: got shape \((0, 0|0,)\)"),
        ("bias_ih_l0", np.zeros(19), r"bias_ih_l0: got shape \(19,\), needs \(20,\)"),
        ("bias_hh_l0", np.zeros((20, 1)), r"bias_hh_l0: got shape \(20, 1\) \(2-D\), needs a 1-D"),
        ("weight_ih_l0", np.zeros(20), r"weight_ih_l0: got shape \(20,\) \(1-D\), needs a 2-D"),
        ("weight_ih_l0", np.zeros((20, 0)), r"weight_ih_l0: got 0, needs a whole number|input size D: got 0"),
    ],
)
def test_wrong_and_inconsistent_shapes_name_the_key(key, value, pattern):
    sd = params_to_state_dict(LSTM)
    sd[key] = value
    with pytest.raises(ValueError, match=pattern):
        params_from_state_dict(sd)
    with pytest.raises(ValueError, match=pattern):
        from_npz_bytes(npz_of(**sd))
    with pytest.raises(ValueError, match=pattern):
        from_json_bytes(json_of({k: v.tolist() for k, v in sd.items()}))


def test_sizes_beyond_the_app_limits_are_refused():
    sd = params_to_state_dict(init_rnn(MAX_D, 4))
    sd["weight_ih_l0"] = np.zeros((4, MAX_D + 1))
    with pytest.raises(ValueError, match=rf"input size D: got {MAX_D + 1}"):
        params_from_state_dict(sd)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_are_refused(bad):
    sd = params_to_state_dict(LSTM)
    sd["weight_hh_l0"][2, 1] = bad
    with pytest.raises(ValueError, match=r"weight_hh_l0: 1 value\(s\) are NaN or infinite"):
        from_npz_bytes(npz_of(**sd))
    with pytest.raises(ValueError, match="weight_hh_l0.*NaN or infinite"):
        params_from_state_dict(sd)


@pytest.mark.parametrize(
    "array, pattern",
    [
        (np.ones(20, dtype=bool), "bias_ih_l0: got booleans"),
        (np.ones(20, dtype=complex), "bias_ih_l0: got complex"),
        (np.array(["1.0"] * 20), "bias_ih_l0: got dtype <U3, needs real numbers"),
        (np.zeros(20, dtype="datetime64[s]"), "bias_ih_l0: got dtype datetime64"),
    ],
)
def test_non_real_dtypes_are_refused(array, pattern):
    sd = params_to_state_dict(LSTM)
    sd["bias_ih_l0"] = array
    with pytest.raises(ValueError, match=pattern):
        from_npz_bytes(npz_of(**sd))
    with pytest.raises(ValueError, match=pattern):
        params_from_state_dict(sd)


# ------------------------------------------------------------------------------------------------- npz


class _Boom:
    """Unpickling this would set a flag: the test proves the loader never unpickles."""

    triggered = False

    def __reduce__(self):
        return (_trigger, ())


def _trigger():
    _Boom.triggered = True
    return "boom"


def test_npz_with_object_arrays_is_refused_without_unpickling():
    sd = params_to_state_dict(LSTM)
    sd["bias_ih_l0"] = np.array([_Boom()] + [0.0] * 19, dtype=object)
    data = npz_of(**sd)  # np.savez pickles object arrays
    assert b"_trigger" in data  # the archive really holds a pickle
    _Boom.triggered = False
    with pytest.raises(ValueError, match=r"bias_ih_l0 holds Python objects .*never loaded"):
        from_npz_bytes(data)
    assert not _Boom.triggered
    # Sanity: the same archive does run the pickle when loaded unsafely, so the flag can flip.
    np.load(io.BytesIO(data), allow_pickle=True)["bias_ih_l0"]
    assert _Boom.triggered


def test_raw_pickle_and_npy_files_are_refused():
    with pytest.raises(ValueError, match="not a valid .npz file"):
        from_npz_bytes(pickle.dumps(params_to_state_dict(LSTM)))
    buf = io.BytesIO()
    np.save(buf, LSTM.weight_ih)
    with pytest.raises(ValueError, match="single-array .npy file; not a valid .npz"):
        from_npz_bytes(buf.getvalue())


@pytest.mark.parametrize("cut", [4, 30, 200, -22, -200])
def test_truncated_npz_is_refused(cut):
    data = to_npz_bytes(LSTM)
    with pytest.raises(ValueError, match="not a valid .npz file"):
        from_npz_bytes(data[:cut])


def test_corrupt_npz_member_is_refused():
    buf = io.BytesIO()
    np.savez_compressed(buf, **params_to_state_dict(LSTM))
    data = bytearray(buf.getvalue())
    # Flip bytes inside the first member's compressed stream (after its local header).
    start = 30 + len("weight_ih_l0.npy") + 10
    data[start:start + 20] = bytes(20)
    with pytest.raises(ValueError, match="not a valid .npz file|could not be read"):
        from_npz_bytes(bytes(data))


def test_garbage_that_starts_like_a_zip_is_refused():
    with pytest.raises(ValueError, match="not a valid .npz file"):
        from_npz_bytes(b"PK\x03\x04" + bytes(100))


def test_npz_zip_bomb_is_refused_before_reading():
    sd = params_to_state_dict(LSTM)
    sd["weight_ih_l0"] = np.zeros((4 * 256, 5000))  # 41 MB of zeros, compresses to a few KB
    buf = io.BytesIO()
    np.savez_compressed(buf, **sd)
    assert len(buf.getvalue()) < MAX_UPLOAD_BYTES
    with pytest.raises(ValueError, match="unpack to .* bytes, more than"):
        from_npz_bytes(buf.getvalue())


def test_npz_with_a_non_array_member_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for k, v in params_to_state_dict(LSTM).items():
            b = io.BytesIO()
            np.save(b, v)
            zf.writestr(k + ".npy", b.getvalue())
        zf.writestr("readme.txt", "hello")
    with pytest.raises(ValueError, match="unexpected 'readme.txt'"):
        from_npz_bytes(buf.getvalue())


# ------------------------------------------------------------------------------------------------ json


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999", "9" * 60 + "e300"])
def test_json_non_finite_tokens_are_refused(token):
    sd = sd_lists(RNN)
    text = json.dumps(sd).replace(repr(sd["bias_ih_l0"][0]), token, 1)
    assert token in text
    with pytest.raises(ValueError, match="non-finite"):
        from_json_bytes(text.encode())


@pytest.mark.parametrize("token", ["1" * 65, "0." + "3" * 63, "-" + "1" * 64, "1e" + "0" * 63])
def test_json_numbers_longer_than_64_characters_are_refused_by_length(token):
    """A number's length is checked before Python converts it (converting a long integer is quadratic)."""
    text = json.dumps(sd_lists(RNN)).replace("[[", f"[[{token},", 1)
    with pytest.raises(ValueError, match=rf"a number of {len(token)} characters \('.*…'\); a number has at most 64"):
        from_json_bytes(text.encode())
    longest = "0." + "1" * 62  # 64 characters: still read
    sd = sd_lists(RNN)
    sd["weight_ih_l0"][0][0] = 0.5
    back = from_json_bytes(json.dumps(sd).replace("[[0.5", "[[" + longest, 1).encode())
    assert back.weight_ih[0, 0] == float(longest)


def test_json_key_twice_is_refused():
    text = to_json_bytes(RNN).decode().replace('"bias_hh_l0"', '"bias_ih_l0"')
    with pytest.raises(ValueError, match="the key 'bias_ih_l0' appears more than once"):
        from_json_bytes(text.encode())


@pytest.mark.parametrize(
    "mutate, pattern",
    [
        (lambda sd: sd.__setitem__("bias_hh_l0", sd["bias_hh_l0"][:-1] + ["0.5"]), r"bias_hh_l0: element 4 is text \('0.5'\)"),
        (lambda sd: sd.__setitem__("bias_hh_l0", sd["bias_hh_l0"][:-1] + [None]), "bias_hh_l0: element 4 is null"),
        (lambda sd: sd.__setitem__("bias_hh_l0", sd["bias_hh_l0"][:-1] + [True]), "bias_hh_l0: element 4 is a boolean"),
        (lambda sd: sd.__setitem__("bias_hh_l0", sd["bias_hh_l0"][:-1] + [[1.0]]), "bias_hh_l0: element 4 is a list"),
        (lambda sd: sd["weight_hh_l0"][2].__setitem__(1, False), r"weight_hh_l0: row 2, column 1 is a boolean \(false\)"),
        (lambda sd: sd["weight_hh_l0"][3].__setitem__(0, "x"), r"weight_hh_l0: row 3, column 0 is text"),
        (lambda sd: sd["weight_hh_l0"][3].pop(), r"weight_hh_l0: ragged rows: row 3 has 4 numbers, row 0 has 5"),
        (lambda sd: sd["weight_ih_l0"].__setitem__(1, 7.0), r"weight_ih_l0: row 1 is float, needs a list of numbers"),
        (lambda sd: sd.__setitem__("weight_ih_l0", {"a": 1}), r"weight_ih_l0: got an object, needs a list of lists"),
        (lambda sd: sd.__setitem__("bias_ih_l0", 3.0), r"bias_ih_l0: got float, needs a list of numbers"),
        (lambda sd: sd.__setitem__("weight_ih_l0", [[[1.0]]] * 5), r"weight_ih_l0: got shape \(5, 1, 1\) \(3-D\), needs a 2-D"),
    ],
)
def test_json_wrong_types_name_the_key_and_position(mutate, pattern):
    sd = sd_lists(RNN)
    mutate(sd)
    with pytest.raises(ValueError, match=pattern):
        from_json_bytes(json_of(sd))


@pytest.mark.parametrize(
    "data, pattern",
    [
        (b"[1, 2, 3]", "got a list at the top level, needs an object with the keys weight_ih_l0"),
        (b'"weights"', "got text .* at the top level"),
        (b"null", "got null at the top level"),
        (b'{"weight_ih_l0": [[1]]', "not valid JSON"),
        (b"{'weight_ih_l0': 1}", "not valid JSON"),
        (b"\xff\xfe{\x00}\x00", "not UTF-8 text"),
        ("{\"a\": \"caf\u00e9\"}".encode("latin-1"), "not UTF-8 text"),
        (b"[" * 100_000 + b"]" * 100_000, "nested far too deeply|not valid JSON|top level"),
        (b"{}", "missing weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0"),
    ],
)
def test_malformed_json_documents(data, pattern):
    with pytest.raises(ValueError, match=pattern):
        from_json_bytes(data)


def test_json_python_literals_are_not_evaluated():
    # Only json.loads: Python expressions are not JSON and must not run.
    with pytest.raises(ValueError, match="not valid JSON"):
        from_json_bytes(b'{"weight_ih_l0": __import__("os").getcwd()}')


# ------------------------------------------------------------------------------------- bytes and dispatch


@pytest.mark.parametrize("reader", [from_npz_bytes, from_json_bytes, inputs_from_csv_bytes])
def test_empty_and_oversize_inputs_are_refused(reader):
    with pytest.raises(ValueError, match=r"empty \(0 bytes\)"):
        reader(b"")
    with pytest.raises(ValueError, match=rf"{MAX_UPLOAD_BYTES + 1:,} bytes, larger than the {MAX_UPLOAD_BYTES:,}-byte"):
        reader(b" " * (MAX_UPLOAD_BYTES + 1))
    with pytest.raises(ValueError, match="needs bytes"):
        reader("a string, not bytes")


def test_bytearray_and_memoryview_are_accepted():
    data = to_json_bytes(LSTM)
    assert params_equal(from_json_bytes(bytearray(data)), LSTM)
    assert params_equal(from_npz_bytes(memoryview(to_npz_bytes(LSTM))), LSTM)


@pytest.mark.parametrize("name", ["weights.pkl", "weights.bin", "weights", "", "weights.npz.exe", "weights.csv"])
def test_load_params_refuses_other_extensions(name):
    with pytest.raises(ValueError, match=r"unsupported file type.*\.npz.*\.json"):
        load_params(to_npz_bytes(LSTM), name)


def test_load_params_dispatches_on_extension_not_content():
    with pytest.raises(ValueError, match="not UTF-8 text|not valid JSON"):
        load_params(to_npz_bytes(LSTM), "weights.json")
    with pytest.raises(ValueError, match="not a valid .npz file"):
        load_params(to_json_bytes(LSTM), "weights.npz")


# ------------------------------------------------------------------------------------------------- csv


def test_csv_round_trip_is_bit_identical():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 4)) * 10.0 ** rng.integers(-300, 300, size=(50, 4))
    x[0, 0], x[1, 1] = 5e-324, -0.0
    data = inputs_to_csv_bytes(x)
    assert data.splitlines()[0] == b"step,x1,x2,x3,x4"
    assert data.splitlines()[1].startswith(b"1,") and data.splitlines()[-1].startswith(b"50,")
    back = inputs_from_csv_bytes(data, expected_D=4)
    assert back.dtype == np.float64 and back.shape == (50, 4)
    assert np.array_equal(back, x)


def test_csv_without_step_column_and_without_header():
    assert inputs_from_csv_bytes(b"a,b\n1,2\n3,4.5\n").tolist() == [[1.0, 2.0], [3.0, 4.5]]
    assert inputs_from_csv_bytes(b"1,2\n3,4.5\n").tolist() == [[1.0, 2.0], [3.0, 4.5]]
    assert inputs_from_csv_bytes(b"\xef\xbb\xbfStep , x0\r\n1, -1e-3\r\n\r\n2,  7\r\n").tolist() == [[-1e-3], [7.0]]


def test_csv_single_column_and_max_length():
    x = np.linspace(-1, 1, MAX_T)[:, None]
    assert np.array_equal(inputs_from_csv_bytes(inputs_to_csv_bytes(x), expected_D=1), x)


@pytest.mark.parametrize(
    "data, pattern",
    [
        (b"step,x0,x1\n1,0.5,abc\n2,1,2\n", r"row 1, column 'x1' is text \('abc'\)"),
        (b"x0,x1\n1,2\n3,=cmd|' /C calc'!A0\n", r"row 2, column 'x1' is text"),
        (b"x0\n1\nTrue\n", r"row 2, column 'x0' is text \('True'\)"),
        (b"x0,x1\n1,2\n3,\n", r"row 2, column 'x1' is empty"),
        (b"x0,x1\n1,2\n3\n", r"row 2, column 'x1' is empty"),
        (b"x0\n1\nnan\n", r"row 2, column 'x0' is nan \(non-finite\)"),
        (b"x0\n-inf\n", r"row 1, column 'x0' is -inf \(non-finite\)"),
        (b"x0\n1e400\n", r"row 1, column 'x0' is 1e400 \(non-finite\)"),
        (b"x0,x1\n1,2\n3,4,5\n", "could not be parsed as CSV"),
        (b"x0,x1\n", "no data rows"),
        (b"step\n1\n2\n", "no input columns"),
        (b"\n\n  \n", "no data"),
        (b"x0\n\xe9\n", "not UTF-8 text"),
    ],
)
def test_csv_malformed_cells_name_row_and_column(data, pattern):
    with pytest.raises(ValueError, match=pattern):
        inputs_from_csv_bytes(data)


def test_csv_wider_than_the_limit_is_refused_line_by_line_before_parsing():
    """Not only the first line: a later line with 10,000 fields is refused (naming it) before csv splits it."""
    data = b"x1,x2\n1,2\n\n" + b"0," * 10_000 + b"0\n"
    with pytest.raises(ValueError, match=r"line 4 has 10,001 fields; at most 3 \(an optional step column and up to 2 "):
        inputs_from_csv_bytes(data, max_columns=2)
    with pytest.raises(ValueError, match=r"the first line has 66 fields; at most 65"):
        inputs_from_csv_bytes(b"0," * 65 + b"0\n")


def test_csv_limits_and_expected_D():
    with pytest.raises(ValueError, match=r"has D=2 input column\(s\) \(x0, x1\) but the model expects D=3"):
        inputs_from_csv_bytes(b"step,x0,x1\n1,1,2\n", expected_D=3)
    too_long = b"x0\n" + b"1\n" * (MAX_T + 1)
    with pytest.raises(ValueError, match=rf"{MAX_T + 1} rows, more than the {MAX_T}-step limit"):
        inputs_from_csv_bytes(too_long)
    too_wide = (",".join(f"x{j}" for j in range(MAX_D + 1)) + "\n" + ",".join(["1"] * (MAX_D + 1)) + "\n").encode()
    with pytest.raises(ValueError, match=rf"{MAX_D + 1} input columns, more than the limit D <= {MAX_D}"):
        inputs_from_csv_bytes(too_wide)


def test_csv_writer_validates_its_input():
    with pytest.raises(ValueError, match=r"x: got shape \(3,\) \(1-D\), needs 2-D"):
        inputs_to_csv_bytes(np.zeros(3))
    with pytest.raises(ValueError, match="NaN or infinite"):
        inputs_to_csv_bytes(np.array([[np.nan]]))
    with pytest.raises(ValueError, match="sequence length T"):
        inputs_to_csv_bytes(np.zeros((MAX_T + 1, 1)))
