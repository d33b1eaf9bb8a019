"""AppTest of the whole-model uploader on the "Inputs and weights" page (ui/uploads.on_model_upload): each format
torch's own files come in (tests/fixtures/models, written by tests/fixtures/make_reference.py with torch), what goes
into the lab and what does not, which key became what, the head as the loss, downloads, refusals.

Uploads use ``at.file_uploader[…].upload(name, bytes, mime)``, which hands the bytes to the uploader's on_change
callback as the browser would (tests/app/test_hostile.py does the same); the real file input is covered by
tests/e2e/test_uploads_browser.py.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from lstm_core import io, losses
from lstm_core.statedict import model_state_dict
from lstm_core.lstm import lstm_forward
from lstm_core.params import params_equal
from lstm_core.rnn import rnn_forward
from tests.helpers import lab_of, open_app, page_file, plain, run
from ui import uploads

PAGE = page_file("weights")
MODELS = Path(__file__).resolve().parents[1] / "fixtures" / "models"


def fixture_bytes(name: str) -> bytes:
    return (MODELS / name).read_bytes()


def upload(at: AppTest, name: str, data: bytes | None = None) -> AppTest:
    uploader = next(u for u in at.file_uploader if u.key == uploads.MODEL_KEY)
    uploader.upload(name, fixture_bytes(name) if data is None else data, "application/octet-stream")
    run(at, f"upload {name}")
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(elements) -> list[str]:
    return [plain(e.value) for e in elements]


def table_with(at: AppTest, column: str):
    """The st.dataframe that has ``column`` (AppTest's dataframes carry no key)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def keys_table(at: AppTest):
    return table_with(at, "key in the file")


@pytest.fixture
def at() -> AppTest:
    return open_app(PAGE)


@pytest.mark.parametrize("fmt", ["pt", "safetensors", "npz", "json"])
def test_a_one_layer_lstm_with_a_head_goes_into_the_lab_and_its_head_becomes_the_loss(at, fmt):
    """lstm_fc: torch's nn.LSTM(3, 5) under 'lstm.' + nn.Linear(5, 2) under 'fc.'. The sidebar's D and H move to 3
    and 5, the lab's LSTM is the file's, the loss is the head's cross-entropy at class 1, computed live."""
    name = f"lstm_fc.{fmt}"
    model = io.load_model(fixture_bytes(name), name)
    upload(at, name)
    lab = lab_of(at)
    assert (at.session_state["D"], at.session_state["H"]) == (3, 5)
    assert params_equal(lab.lstm, model.layers[0]) and lab.edited_weights
    assert lab.loss == "head_cross_entropy" and lab.loss_kwargs["label"] == 0
    np.testing.assert_array_equal(lab.loss_kwargs["weight"], model.head[0])
    message = next(s for s in texts(at.success) if s.startswith(f"Loaded {name}"))
    assert "1-layer LSTM (D = 3, H = 5" in message and "head of 2 outputs" in message and "D moved to 3" in message
    table = keys_table(at)
    became = dict(zip(table["key in the file"], table["became"]))
    blocks = dict(zip(table["key in the file"], table["blocks (gate order)"]))
    assert became["lstm.weight_ih_l0"].startswith("layer 1 · input weights") and blocks["lstm.weight_ih_l0"] == \
        "W_ii, W_if, W_ig, W_io"
    assert became["fc.weight"].startswith("head") and blocks["fc.bias"] == "b (2,)"
    # the head's loss, live: L and the probabilities of the lab's LSTM at the last step
    h = lstm_forward(lab.lstm, lab.x).h
    expected = losses.head_cross_entropy(h, *model.head, label=0)[0]
    assert [m.value for m in at.metric] == [f"{expected:.4g}"]
    probs = table_with(at, "softmax p_k")["softmax p_k"].to_numpy()
    np.testing.assert_allclose(probs, losses.head_probabilities(h, *model.head), rtol=1e-12)


def test_choosing_the_class_changes_the_loss_on_the_gradients_page(at):
    upload(at, "lstm_fc.safetensors")
    box = next(n for n in at.number_input if n.key.startswith(uploads.HEAD_LABEL_KEY))
    box.set_value(2)
    run(at, "class 2")
    lab = lab_of(at)
    assert lab.loss_kwargs["label"] == 1
    h = lstm_forward(lab.lstm, lab.x).h
    head = (lab.loss_kwargs["weight"], lab.loss_kwargs["bias"])
    assert [m.value for m in at.metric] == [f"{losses.head_cross_entropy(h, *head, label=1)[0]:.4g}"]
    at.switch_page(page_file("gradients"))
    run(at, "gradients page")
    assert not at.exception
    assert any("cross-entropy of the loaded head's 2 logits" in t and "class 2" in t for t in texts(at.markdown))


def test_the_preset_loss_comes_back_on_request_and_with_a_weights_reset(at):
    upload(at, "lstm_fc.npz")
    at.button(key="wp_head_off").click()
    run(at, "head off")
    assert lab_of(at).loss != "head_cross_entropy"
    upload(at, "lstm_fc.json")
    assert lab_of(at).loss == "head_cross_entropy"
    at.button(key="wp_reset_weights").click()
    run(at, "reset weights")
    lab = lab_of(at)
    assert lab.loss != "head_cross_entropy" and not lab.edited_weights
    assert any("no longer runs this model" in t for t in texts(at.caption))


@pytest.mark.parametrize("fmt", ["pt", "safetensors"])
def test_a_gru_stack_saved_by_torch_goes_into_the_lab_every_layer(at, fmt):
    """gru2: torch's nn.GRU(3, 4, num_layers=2), no prefix, no head. The sidebar switches to the GRU with 2 layers,
    D = 3, H = 4; both layers are the file's; the key table says which key became what."""
    name = f"gru2.{fmt}"
    model = io.load_model(fixture_bytes(name), name)
    upload(at, name)
    lab = lab_of(at)
    assert (lab.model, lab.n_layers, at.session_state["D"], at.session_state["H"]) == ("gru", 2, 3, 4)
    assert all(map(params_equal, lab.layers("gru"), model.layers)) and lab.loss != "head_cross_entropy"
    message = next(s for s in texts(at.success) if s.startswith(f"Loaded {name}"))
    assert "2-layer GRU (D = 3, H = 4" in message and "The lab's GRU now has its weights, all 2 layers" in message
    assert "Model switched to GRU, Layers moved to 2, D moved to 3 and H moved to 4 to fit it" in message
    assert any("The lab's GRU runs this model on every page (sidebar Model GRU, Layers 2)" in t
               for t in texts(at.caption))
    table = keys_table(at)
    blocks = dict(zip(table["key in the file"], table["blocks (gate order)"]))
    became = dict(zip(table["key in the file"], table["became"]))
    assert blocks["weight_hh_l1"] == "W_hr, W_hz, W_hn" and became["weight_ih_l1"].startswith(
        "layer 2 · input weights (reading h_t of layer 1)")
    assert len(table) == 8


def test_a_two_layer_lstm_under_a_nested_prefix_goes_in_with_its_head(at):
    upload(at, "encoder_rnn.pt")
    model = io.load_model(fixture_bytes("encoder_rnn.pt"), "encoder_rnn.pt")
    table = keys_table(at)
    became = dict(zip(table["key in the file"], table["became"]))
    assert became["encoder.rnn.weight_ih_l1"].startswith("layer 2") and became["decoder.weight"].startswith("head")
    lab = lab_of(at)
    assert lab.n_layers == 2 and all(map(params_equal, lab.layers("lstm"), model.layers))
    assert lab.loss == "head_cross_entropy"
    np.testing.assert_array_equal(lab.loss_kwargs["weight"], model.head[0])


def test_a_three_layer_rnn_notes_that_it_is_read_as_tanh(at):
    upload(at, "rnn3.safetensors")
    assert any("read as tanh" in t for t in texts(at.caption))


def test_a_one_layer_rnn_goes_into_the_labs_rnn(at):
    """A whole-module file of one tanh RNN layer and a head (made here with load_model's own writer)."""
    rnn3 = io.load_model(fixture_bytes("rnn3.npz"), "rnn3.npz")
    from lstm_core.statedict import LoadedModel

    one = LoadedModel(kind="rnn", layers=rnn3.layers[:1], head=rnn3.head, prefix="rnn.", head_prefix="head.")
    upload(at, "one_rnn.safetensors", io.save_model(one, "safetensors"))
    lab = lab_of(at)
    assert params_equal(lab.rnn, one.layers[0]) and lab.loss == "head_cross_entropy"
    h = rnn_forward(lab.rnn, lab.x).h
    assert [m.value for m in at.metric] == [f"{losses.head_cross_entropy(h, *one.head, label=0)[0]:.4g}"]


def test_downloads_write_the_model_read(at):
    upload(at, "gru2.pt")
    model = io.load_model(fixture_bytes("gru2.pt"), "gru2.pt")
    buttons = {b.proto.label: b for b in at.get("download_button")}
    assert {"⬇ This model as .npz", "⬇ This model as .json", "⬇ This model as .safetensors"} <= set(buttons)
    assert {"⬇ .safetensors"} <= set(buttons)
    back = io.load_model(io.save_model(model, "safetensors"), "m.safetensors")
    assert all(params_equal(a, b) for a, b in zip(back.layers, model.layers))


def test_extra_keys_are_refused_with_their_names_then_loaded_on_request(at):
    arrays = model_state_dict(io.load_model(fixture_bytes("lstm_fc.npz"), "lstm_fc.npz"))
    arrays["embedding.weight"] = np.zeros((7, 3))
    data = io._npz_bytes(arrays)
    before = lab_of(at)
    upload(at, "extra.npz", data)
    error = next(t for t in texts(at.error) if t.startswith("Could not load extra.npz: "))
    assert "embedding.weight" in error and "Load without keys that are not the model's" in error
    assert params_equal(lab_of(at).lstm, before.lstm)
    at.checkbox(key=uploads.MODEL_IGNORE_EXTRA).check()
    run(at, "tick ignore")
    upload(at, "extra2.npz", data)
    message = next(s for s in texts(at.success) if s.startswith("Loaded extra2.npz"))
    assert "Left out as you asked: embedding.weight" in message


@pytest.mark.parametrize("name, data, reason", [
    ("legacy_format.pt", None, "legacy"),
    ("whole_module.pt", None, ""),
    ("garbage.pth", b"not a zip archive", ""),
    ("cut.safetensors", fixture_bytes("lstm_fc.safetensors")[:50], ""),
])
def test_unreadable_files_are_refused_naming_the_file(at, name, data, reason):
    before = lab_of(at)
    upload(at, name, data)
    error = next(t for t in texts(at.error) if t.startswith(f"Could not load {name}: "))
    assert reason.lower() in error.lower() and error.endswith("The previous weights are kept.")
    assert params_equal(lab_of(at).lstm, before.lstm)
