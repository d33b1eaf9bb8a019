"""The character model (lstm_core.text): the API the text lab and a hidden check call, the per-step readout and the
embedding's gradients against centered differences, connectivity against centered differences, the sampler's
reproducibility, text uploads, and the shipped weights against the held-out loss stored beside them."""

from __future__ import annotations

import hashlib
import json
import platform

import numpy as np
import pytest

from lstm_core.chartrain import CHECK_FILES, evaluate, gradients, stdlib_corpus
from lstm_core.lstm import LSTMTrace, lstm_forward
from lstm_core.readout import next_symbol_loss, softmax_cross_entropy
from lstm_core.text import (CODE_VOCAB, SHIPPED, UNKNOWN, CharModel, decode, encode, init_char_model,
                            read_text_upload, top_next, vocab_of)
from lstm_core.validate import MAX_D, MAX_T

from tests.helpers import centered_diff, rel_error

TOL = 1e-6


@pytest.fixture(scope="module")
def shipped() -> CharModel:
    return CharModel.load()


def tiny_model(seed: int = 0) -> CharModel:
    return init_char_model("ab(\n" + UNKNOWN, embed=3, hidden=4, seed=seed, forget_bias=None)


# ---- the API -------------------------------------------------------------------------------------------------------

def test_shipped_model_api(shipped):
    m = shipped
    assert m.vocab == CODE_VOCAB and len(m.vocab) == 98
    assert m.D <= MAX_D and m.embedding.shape == (98, m.D)
    text = 'def f(x):\n    return "a" + x  # done\n'
    trace, probs = m.run(text)
    assert isinstance(trace, LSTMTrace)
    T = len(text)
    for q in ("i", "f", "g", "o", "c", "h"):
        assert getattr(trace, q).shape == (T, m.H), q
    assert probs.shape == (T, m.V)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(probs >= 0)
    # the trace is the core's own forward pass of the embedded characters
    ref = lstm_forward(m.lstm, m.embedding[encode(m.vocab, text)])
    np.testing.assert_array_equal(trace.h, ref.h)
    # probs[t] is the softmax of the readout of h_t
    logits = ref.h @ m.readout.weight.T + m.readout.bias
    ref_p = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(probs, ref_p / ref_p.sum(1, keepdims=True), rtol=1e-12)


@pytest.mark.parametrize("prompt, expected", [("def f(x)", ":"), ("self.", "_"), ('print("hello', "w")])
def test_shipped_model_has_learned_python(shipped, prompt, expected):
    """A trained model, not a random one: its most likely next character is the one Python code usually has."""
    _, probs = shipped.run(prompt)
    assert top_next(shipped.vocab, probs[-1], 1)[0][0] == expected


def test_run_checks_its_text(shipped):
    with pytest.raises(ValueError, match="text length"):
        shipped.run("")
    with pytest.raises(ValueError, match="text length"):
        shipped.run("x" * (MAX_T + 1))
    with pytest.raises(ValueError, match="needs a string"):
        shipped.run(b"bytes")
    trace, probs = shipped.run("x" * 20_000)  # the page's limit: one pass
    assert probs.shape == (20_000, shipped.V) and np.all(np.isfinite(trace.c))


def test_encode_maps_unknown_characters_to_the_last_symbol():
    ids = encode(CODE_VOCAB, "aé\t€\n😀~")
    assert decode(CODE_VOCAB, ids) == f"a{UNKNOWN}\t{UNKNOWN}\n{UNKNOWN}~"
    assert ids[1] == len(CODE_VOCAB) - 1


def test_vocab_of_keeps_the_most_frequent_characters():
    v = vocab_of("aaabbc" + "é" * 5, size=3)
    assert v == "aé" + UNKNOWN
    assert vocab_of("ba")[-1] == UNKNOWN and set(vocab_of("ba")[:-1]) == {"a", "b"}


# ---- sampling ------------------------------------------------------------------------------------------------------

def test_sampler_is_reproducible(shipped):
    a = shipped.sample("def ", 120, 0.8, seed=3)
    assert len(a) == 120
    assert shipped.sample("def ", 120, 0.8, seed=3) == a  # same seed, same text
    assert shipped.sample("def ", 120, 0.8, seed=4) != a  # another seed, another text
    assert shipped.sample("", 0, 1.0, seed=0) == ""


def test_sampler_follows_the_model():
    """With temperature → small, sampling is the argmax: each character is the model's most likely next one."""
    m = tiny_model()
    out = m.sample("ab", 6, 1e-3, seed=0)
    text = "ab"
    for ch in out:
        _, probs = m.run(text)
        assert ch == m.vocab[int(np.argmax(probs[-1]))]
        text += ch


def test_sampler_checks_its_arguments(shipped):
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="temperature"):
            shipped.sample("x", 5, bad, 0)
    with pytest.raises(ValueError, match="n "):
        shipped.sample("x", -1, 1.0, 0)


# ---- gradients -----------------------------------------------------------------------------------------------------

def test_next_symbol_loss_gradients_match_centered_differences():
    """The per-step readout: L (mean over every step) and its gradients for W_y, b_y and h."""
    from lstm_core.readout import Readout
    rng = np.random.default_rng(0)
    T, B, H, K = 5, 2, 3, 4
    h = rng.normal(size=(T, B, H))
    labels = rng.integers(0, K, size=(T, B))
    ro = Readout(weight=rng.normal(size=(K, H)), bias=rng.normal(size=K))
    loss, g, dh = next_symbol_loss(ro, h, labels)
    ref, _ = softmax_cross_entropy(h @ ro.weight.T + ro.bias, labels)
    assert loss == pytest.approx(ref, rel=1e-14)
    f_w = lambda w: next_symbol_loss(Readout(weight=w, bias=ro.bias), h, labels)[0]  # noqa: E731
    f_b = lambda b: next_symbol_loss(Readout(weight=ro.weight, bias=b), h, labels)[0]  # noqa: E731
    f_h = lambda x: next_symbol_loss(ro, x, labels)[0]  # noqa: E731
    assert rel_error(centered_diff(f_w, ro.weight), g.weight) < TOL
    assert rel_error(centered_diff(f_b, ro.bias), g.bias) < TOL
    assert rel_error(centered_diff(f_h, h), dh) < TOL


def test_training_gradients_match_centered_differences():
    """Every trainable array of the character model, the embedding included (the core's dx scattered to its rows),
    from a carried state (h0, c0)."""
    m = tiny_model(1)
    rng = np.random.default_rng(2)
    ids = rng.integers(0, m.V, size=(7, 2))
    h0, c0 = rng.normal(size=(2, m.H)) * 0.5, rng.normal(size=(2, m.H))
    loss, grads, _ = gradients(m, ids, h0, c0)
    arrays = m.arrays()
    for name, a in arrays.items():
        f = lambda v, name=name: gradients(m.with_arrays({**arrays, name: v}), ids, h0, c0)[0]  # noqa: E731
        num = centered_diff(f, a)
        assert np.max(np.abs(num)) > 1e-4, f"{name}: degenerate check"
        assert rel_error(num, grads[name]) < TOL, name


@pytest.mark.parametrize("t", [0, 3, 8])
def test_connectivity_matches_centered_differences(t):
    """‖∂ log p_t[target] / ∂x_s‖ from the core's backward pass against centered differences in every input x_s."""
    m = tiny_model(3)
    text = "a(b\nab(a\nb"
    trace, probs = m.run(text)
    target = int(m.encode(text[t + 1])[0])
    norms = m.connectivity(trace, probs, target, t)
    assert norms.shape == (t + 1,)
    x = m.embedding[m.encode(text)]

    def log_p(xs):
        tr = lstm_forward(m.lstm, xs)
        y = tr.h[t] @ m.readout.weight.T + m.readout.bias
        return float(y[target] - y.max() - np.log(np.exp(y - y.max()).sum()))

    num = centered_diff(log_p, x)
    assert np.allclose(num[t + 1:], 0.0, atol=1e-12)  # later inputs do not affect p_t
    expected = np.sqrt((num[:t + 1] ** 2).sum(axis=1))
    assert expected.max() > 1e-3
    assert rel_error(expected, norms) < TOL


def test_connectivity_checks_position(shipped):
    trace, probs = shipped.run("abc")
    with pytest.raises(ValueError, match="t \\(position\\)"):
        shipped.connectivity(trace, probs, 0, 3)


# ---- uploads -------------------------------------------------------------------------------------------------------

def test_upload_reads_utf8_text():
    text = "héllo wörld\n" * 300
    assert read_text_upload(text.encode("utf-8")) == text
    assert read_text_upload(b"\xef\xbb\xbf" + text.encode("utf-8")) == text  # a byte-order mark is dropped


@pytest.mark.parametrize("data, message", [
    (b"", "empty"),
    (b"   \n\t ", "empty"),
    ("abc".encode("utf-16"), "not UTF-8"),
    (b"ok text " * 500 + b"\xff\xfe", "not UTF-8"),
    (b"x" * (1024 * 1024 + 1), "1 MB"),
    (b"short text", "at least 2,000"),
])
def test_upload_errors_say_what_is_wrong(data, message):
    with pytest.raises(ValueError, match=message) as exc:
        read_text_upload(data, "notes.txt")
    assert str(exc.value).startswith("notes.txt: ")


# ---- the shipped weights -------------------------------------------------------------------------------------------

def test_shipped_files_are_small_and_documented(shipped):
    assert SHIPPED.stat().st_size <= 5_000_000
    meta = json.loads(SHIPPED.with_suffix(".json").read_text())
    assert meta["vocab"] == CODE_VOCAB
    for key in ("settings", "corpus", "heldout", "heldout_check", "best_units", "command", "train_seconds"):
        assert key in meta, key
    assert meta["command"].startswith("python -m lstm_core.train --task chars")
    assert meta["heldout"]["bits_per_char"] <= 2.2  # the target, on the whole held-out set
    with np.load(SHIPPED, allow_pickle=False) as z:
        assert all(z[k].dtype == np.float64 for k in z.files)


def test_shipped_weights_reach_the_stored_heldout_loss(shipped):
    """Re-evaluate the documented slice (the first CHECK_FILES held-out files, evaluated as at training time) and
    compare with the value stored beside the weights. Tolerance 1e-9 relative: the evaluation is deterministic float64;
    only BLAS summation order (thread count) and the core's implementation (step functions vs the buffered loop,
    equal to ~1e-15 per step) can differ, which moves a mean over ~10⁵ log-probabilities by far less than 1e-9."""
    check = shipped.info["heldout_check"]
    if platform.python_version() != shipped.info["corpus"]["python"]:
        pytest.skip(f"the held-out files are this interpreter's stdlib: trained on Python "
                    f"{shipped.info['corpus']['python']}, running {platform.python_version()}")
    corpus = stdlib_corpus()
    assert list(corpus.heldout_files[:CHECK_FILES]) == check["files"]
    text = "".join(corpus.heldout_parts[:CHECK_FILES])
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == check["sha256"], "the stdlib files changed"
    bits = evaluate(shipped, text).bits_per_char
    assert bits == pytest.approx(check["bits_per_char"], rel=1e-9)
    assert bits <= 2.2 + 0.3  # and it is a trained model, not a random one (≈ log2 98 = 6.6 bits)
