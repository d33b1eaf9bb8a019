"""A whole model loaded on "Inputs and weights" is the model every page shows (ui/uploads.on_model_upload,
ui/state.Edits): a GRU, and stacks of 2–3 layers with a key prefix and a Linear head, written here as torch's
state_dict keys with numpy and safetensors (no torch). Each page's chart data are compared with the core run here on
the file's own weights (gru_forward / stack_forward / stack_backward), not with the app's cache; the settings, the
link, reruns, page switches and the resets are checked too, and a 4-layer file is listed, not loaded.
"""

from __future__ import annotations

import io as bytes_io

import numpy as np
import pytest
from safetensors.numpy import save as safetensors_save

from lstm_core import init_gru, init_lstm, init_rnn, stack_backward, stack_forward
from lstm_core.analysis import stack_grad_norms
from lstm_core.losses import head_cross_entropy, make_loss
from lstm_core.params import params_equal
from tests.helpers import decode, figure, json_trace, lab_of, open_app, page_file, plain, run
from ui import state, uploads

INIT = {"lstm": init_lstm, "gru": init_gru, "rnn": init_rnn}


def stack_params(kind: str, D: int, H: int, n_layers: int, seed: int = 11) -> list:
    """PyTorch-initialised layers of ``kind``, bottom first (layer k > 0 reads H inputs), with non-zero biases."""
    return [INIT[kind](D if k == 0 else H, H, seed=seed + k) for k in range(n_layers)]


def state_dict(layers, prefix: str = "", head=None, head_prefix: str = "fc.") -> dict[str, np.ndarray]:
    """torch's state_dict keys of an nn.LSTM / nn.GRU / nn.RNN under ``prefix`` (+ a Linear head)."""
    arrays = {f"{prefix}{name}_l{k}": getattr(p, name) for k, p in enumerate(layers)
              for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
    if head is not None:
        arrays[f"{head_prefix}weight"], arrays[f"{head_prefix}bias"] = head
    return arrays


def file_bytes(arrays: dict, fmt: str) -> bytes:
    if fmt == "safetensors":
        return safetensors_save({k: np.ascontiguousarray(v) for k, v in arrays.items()})
    buffer = bytes_io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def upload(at, name: str, data: bytes):
    uploader = next(u for u in at.file_uploader if u.key == uploads.MODEL_KEY)
    uploader.upload(name, data, "application/octet-stream")
    run(at, f"upload {name}")
    assert not at.exception, [e.message for e in at.exception]
    return at


def go(at, page: str):
    at.switch_page(page_file(page))
    run(at, page)
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(elements) -> list[str]:
    return [plain(e.value) for e in elements]


def heatmap_rows(fig: dict) -> dict[str, np.ndarray]:
    return {t["name"]: decode(t["z"]) for t in fig["data"] if t.get("type") == "heatmap"}


def diagram_values(at, key: str) -> dict:
    nodes = json_trace(figure(at, key), "nodes")
    return dict(zip(nodes["ids"], decode(nodes["customdata"])))


def query(at) -> dict:
    return {k: (v[0] if isinstance(v, list) else v) for k, v in at.query_params.items()}


# ---- a one-layer GRU --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["safetensors", "npz"])
def test_a_loaded_gru_is_the_gru_of_every_page(fmt):
    """nn.GRU(3, 5) under 'gru.', no head: the sidebar switches to the GRU with D = 3, H = 5 (said in the message);
    the cell, gates and gradient pages draw the file's GRU, and its CSV is of those weights."""
    (p,) = stack_params("gru", 3, 5, 1)
    at = open_app("weights")
    upload(at, f"gru.{fmt}", file_bytes(state_dict([p], "gru."), fmt))
    message = next(t for t in texts(at.success) if t.startswith(f"Loaded gru.{fmt}"))
    assert "1-layer GRU (D = 3, H = 5" in message and "The lab's GRU now has its weights" in message
    csv = next(b for b in at.get("download_button") if b.proto.id.endswith("weights_csv"))
    assert csv.proto.label == "GRU traces and gradients (CSV)"
    assert "Model switched to GRU, D moved to 3 and H moved to 5 to fit it" in message
    lab = lab_of(at)
    assert (lab.model, lab.n_layers, lab.x.shape[1]) == ("gru", 1, 3) and params_equal(lab.gru, p)
    tr = stack_forward([p], lab.x)[0]
    loss = make_loss(lab.loss, **lab.loss_kwargs)
    grads = stack_backward([p], (tr,), loss(tr.h)[1])[0]

    go(at, "cell")
    at.slider(key="t").set_value(7)
    run(at, "t = 7")
    values = diagram_values(at, "gru_cell_diagram")
    assert (values["r"], values["z"], values["n"], values["h"]) == (tr.r[6, 0], tr.z[6, 0], tr.n[6, 0], tr.h[6, 0])
    csv = next(b for b in at.get("download_button") if b.proto.id.endswith("cell_csv"))
    assert "GRU traces and gradients" in csv.proto.label

    go(at, "gates")
    rows = heatmap_rows(figure(at, "gate_heatmaps"))
    assert list(rows) == ["r", "z", "n", "h"]
    for q, z in rows.items():
        np.testing.assert_array_equal(z, getattr(tr, q).T)

    go(at, "gradients")
    assert any("The sidebar's model, the GRU with your loaded or edited weights, is not among the models compared"
               in t for t in texts(at.info))
    at.multiselect(key="grad_models").set_value(["lstm", "gru"])
    run(at, "compare the GRU")
    assert not any("is not among the models compared" in t for t in texts(at.info))
    curve = decode(json_trace(figure(at, "grad_flow"), "GRU ‖∂L/∂h_t‖")["y"])
    np.testing.assert_allclose(curve, np.linalg.norm(grads.dh, axis=-1), rtol=1e-12)

    assert query(at)["model"] == "gru" and "layers" not in query(at)  # the settings; the weights are not in the link
    assert not any(k.startswith(("weight", "bias")) for k in query(at))


def test_the_loaded_gru_survives_reruns_and_page_switches_and_the_resets_clear_it():
    (p,) = stack_params("gru", 2, 8, 1)  # the default D and H: nothing but the model moves
    at = open_app("weights")
    upload(at, "gru.npz", file_bytes(state_dict([p]), "npz"))
    assert "Model switched to GRU to fit it" in next(t for t in texts(at.success) if t.startswith("Loaded gru.npz"))
    for page in ("gates", "explorer", "cell", "weights"):
        go(at, page)
        assert params_equal(lab_of(at).gru, p), page
    run(at, "a rerun")
    assert params_equal(lab_of(at).gru, p) and lab_of(at).edited_weights
    at.button(key="wp_reset_weights").click()
    run(at, "reset weights")
    assert not params_equal(lab_of(at).gru, p) and not lab_of(at).edited_weights
    assert any("no longer runs this model" in t for t in texts(at.caption))
    upload(at, "gru2.npz", file_bytes(state_dict([p]), "npz"))
    assert params_equal(lab_of(at).gru, p)
    next(b for b in at.sidebar.button if b.label == "Rewind to this seed").click()
    run(at, "rewind")
    assert not params_equal(lab_of(at).gru, p) and not lab_of(at).edited_weights


# ---- stacks with a prefix and a head ------------------------------------------------------------------------------


def test_a_two_layer_lstm_with_a_prefix_and_a_head_is_the_lstm_stack_of_every_page():
    layers = stack_params("lstm", 3, 6, 2)
    head = (np.random.default_rng(5).normal(size=(4, 6)), np.array([0.1, -0.2, 0.3, 0.0]))
    at = open_app("weights", query={"model": "gru"})
    upload(at, "lstm2.safetensors",
           file_bytes(state_dict(layers, "encoder.lstm.", head, "decoder."), "safetensors"))
    message = next(t for t in texts(at.success) if t.startswith("Loaded lstm2.safetensors"))
    assert "Model switched to LSTM, Layers moved to 2, D moved to 3 and H moved to 6" in message
    assert "all 2 layers" in message and "Its head now gives the lab's loss" in message
    lab = lab_of(at)
    assert (lab.model, lab.n_layers) == ("lstm", 2) and all(map(params_equal, lab.layers("lstm"), layers))
    assert lab.loss == "head_cross_entropy"
    traces = stack_forward(layers, lab.x)
    value, dh = head_cross_entropy(traces[-1].h, *head, label=0)
    grads = stack_backward(layers, traces, dh)
    assert [m.value for m in at.metric] == [f"{value:.4g}"]  # the head's L reads the top layer
    assert any(m.label == "L for the LSTM (top of 2 layers) on the lab's input" for m in at.metric)

    go(at, "gates")
    at.radio(key="gates_layer").set_value(2)
    run(at, "layer 2")
    rows = heatmap_rows(figure(at, "gate_heatmaps"))
    for q in "ifgoch":
        np.testing.assert_array_equal(rows[q], getattr(traces[1], q).T)

    go(at, "gradients")
    heat = figure(at, "grad_layers_lstm")["data"][0]
    np.testing.assert_allclose(np.array(heat["customdata"], dtype=float), stack_grad_norms(grads), rtol=1e-12)
    assert query(at)["layers"] == "2" and "model" not in query(at)


def test_a_three_layer_gru_with_a_prefix_and_a_head_shows_its_top_layer_on_the_cell_page():
    layers = stack_params("gru", 2, 4, 3)
    head = (np.random.default_rng(6).normal(size=(3, 4)), np.zeros(3))
    at = open_app("weights")
    upload(at, "gru3.npz", file_bytes(state_dict(layers, "rnn.", head, "head."), "npz"))
    lab = lab_of(at)
    assert (lab.model, lab.n_layers) == ("gru", 3) and all(map(params_equal, lab.layers("gru"), layers))
    traces = stack_forward(layers, lab.x)
    assert [m.value for m in at.metric] == [f"{head_cross_entropy(traces[-1].h, *head, label=0)[0]:.4g}"]

    go(at, "cell")
    at.radio(key="cell_layer").set_value(3)
    at.slider(key="t").set_value(5)
    run(at, "layer 3, t = 5")
    values = diagram_values(at, "gru_cell_diagram")
    assert (values["z"], values["n"], values["h"]) == (traces[2].z[4, 0], traces[2].n[4, 0], traces[2].h[4, 0])
    assert any("GRU, layer 3 of 3" in t for t in texts(at.markdown))

    # a layer count other than the file's would rebuild the loaded layers: asked, not done silently
    at.number_input(key="layers").set_value(2)
    run(at, "layers = 2")
    assert any("rebuilds your edited weights" in t for t in texts(at.warning))
    assert all(map(params_equal, lab_of(at).layers("gru"), layers))
    at.button[[b.label for b in at.button].index("Keep my edits, undo the change")].click()
    run(at, "undo")
    assert at.session_state["layers"] == 3 and all(map(params_equal, lab_of(at).layers("gru"), layers))


def test_a_four_layer_file_is_listed_not_loaded_with_the_reason():
    layers = stack_params("rnn", 2, 3, 4)
    at = open_app("weights")
    before = lab_of(at)
    upload(at, "rnn4.npz", file_bytes(state_dict(layers, "rnn."), "npz"))
    info = next(t for t in texts(at.info) if t.startswith("Read rnn4.npz"))
    assert "4-layer tanh RNN" in info and "The lab is unchanged" in info
    assert "the app shows at most 3 layers (sidebar Layers 1–3) and this model has 4" in info
    lab = lab_of(at)
    assert lab.cfg == before.cfg and params_equal(lab.rnn, before.rnn) and not lab.edited_weights
    assert len(next(d.value for d in at.dataframe if "key in the file" in d.value.columns)) == 16
    assert state.MODEL not in query(at)
