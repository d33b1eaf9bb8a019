"""A character-level language model: embedding -> LSTM -> a softmax over the next character at every step.

    x_t = E[char_t]                          (D,)  one learned row of the embedding E (V, D) per symbol
    trace = lstm_forward(params, x)          every gate and state of every step (the core, unchanged)
    p_t = softmax(W_y h_t + b_y)             (V,)  the model's distribution of char_{t+1}
    L = −(1/T) Σ_t log p_t[char_{t+1}]       nats per character; L / ln 2 is bits per character

The embedding's gradient is the core's dx, scattered back to the rows that were looked up:
dE[v] = Σ_{t: char_t = v} dx_t. An embedding instead of one-hot inputs keeps the input size D small (the core
admits D <= 64; the vocabulary has ~98 symbols).

Connectivity (as in Distill's "Visualizing memorization in RNNs"): for a prediction at step t, how strongly each
earlier input drives it, ‖∂ log p_t[char_{t+1}] / ∂x_s‖ for s = 0 … t, one backward pass of the core with
dh_t = W_yᵀ (e_{char_{t+1}} − p_t) (the gradient of log p[k] with respect to the logits is e_k − p) and zeros
elsewhere.

``CharModel.load()`` opens the shipped model (assets/models/, trained by ``python -m lstm_core.train --task chars``,
see lstm_core/chartrain.py); ``model.run(text)`` -> (trace, probs); ``model.sample(prompt, n, temperature, seed)``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .lstm import LSTMParams, LSTMTrace, lstm_backward, lstm_forward
from .params import init_lstm, param_arrays
from .readout import Readout, init_readout, log_softmax
from .validate import MAX_D, MAX_T, as_float_array, check_number, check_size, frozen_copy

UNKNOWN = "\ufffd"  # "�": the one symbol every character outside the vocabulary maps to
CODE_VOCAB = "\t\n" + "".join(chr(k) for k in range(32, 127)) + UNKNOWN  # printable ASCII, newline, tab: V = 98
MAX_V = 256  # largest vocabulary (the readout has one output per symbol)

MODELS_DIR = Path(__file__).resolve().parents[1] / "assets" / "models"
SHIPPED = MODELS_DIR / "stdlib_chars.npz"  # its settings, vocabulary and held-out results: the .json beside it


def check_vocab(vocab: str) -> str:
    """A vocabulary: 2 to MAX_V distinct characters, the last one UNKNOWN."""
    if not isinstance(vocab, str) or not 2 <= len(vocab) <= MAX_V:
        raise ValueError(f"vocab: got {type(vocab).__name__} of length {len(vocab) if isinstance(vocab, str) else '?'}"
                         f", needs a string of 2 to {MAX_V} characters")
    if len(set(vocab)) != len(vocab) or vocab[-1] != UNKNOWN:
        raise ValueError(f"vocab: needs distinct characters ending with the unknown symbol {UNKNOWN!r}")
    return vocab


def code_points(text: str) -> np.ndarray:
    """The Unicode code point of every character of ``text``, (T,) uint32, without a Python loop."""
    return np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype="<u4")


def encode(vocab: str, text: str) -> np.ndarray:
    """The symbol index of every character, (T,) intp; characters outside ``vocab`` become its UNKNOWN (the last)."""
    cp = code_points(text)
    known = code_points(vocab)
    order = np.argsort(known)
    pos = np.clip(np.searchsorted(known[order], cp), 0, len(vocab) - 1)
    ids = order[pos]
    return np.where(known[ids] == cp, ids, len(vocab) - 1).astype(np.intp)


def decode(vocab: str, ids) -> str:
    return "".join(vocab[k] for k in np.asarray(ids, dtype=np.intp).ravel())


def softmax(logits: np.ndarray) -> np.ndarray:
    return np.exp(log_softmax(logits))


def top_next(vocab: str, probs_t: np.ndarray, k: int = 5) -> list[tuple[str, float]]:
    """The k most likely next characters and their probabilities, most likely first."""
    order = np.argsort(-probs_t, kind="stable")[:k]
    return [(vocab[j], float(probs_t[j])) for j in order]


def vocab_of(text: str, size: int = 128) -> str:
    """A vocabulary for ``text``: its ``size`` − 1 most frequent characters (ties: in code-point order), sorted, then
    UNKNOWN for the rest."""
    size = check_size("vocabulary size", size, MAX_V, minimum=2)
    cp, counts = np.unique(code_points(text), return_counts=True)
    keep = cp[np.argsort(-counts, kind="stable")[:size - 1]]
    return "".join(chr(c) for c in np.sort(keep) if chr(c) != UNKNOWN) + UNKNOWN


MAX_UPLOAD_BYTES = 1024 * 1024  # a text to train on: at most 1 MB (as Streamlit's uploader counts a MB)
MIN_UPLOAD_CHARS = 2_000


def read_text_upload(data: bytes, name: str = "file", *, min_chars: int = MIN_UPLOAD_CHARS) -> str:
    """An uploaded text file as a string, or a ValueError saying what is wrong and how to fix it: larger than 1 MB,
    not UTF-8, empty, or shorter than ``min_chars`` characters. No eval, no pickle: the bytes are only decoded."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError(f"{name}: {len(data):,} bytes is more than the 1 MB limit ({MAX_UPLOAD_BYTES:,} bytes); "
                         "upload a shorter text")
    if not data.strip():
        raise ValueError(f"{name}: the file is empty; upload a .txt file with text in it")
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark, if any, is not part of the text
    except UnicodeDecodeError as exc:
        raise ValueError(f"{name}: not UTF-8 text (byte {exc.start:,} is 0x{data[exc.start]:02x}); save the file as "
                         "UTF-8 and upload it again") from None
    if len(text) < min_chars:
        raise ValueError(f"{name}: {len(text):,} characters, needs at least {min_chars:,} to train on")
    return text


@dataclass(frozen=True, eq=False)
class CharModel:
    """A trained (or freshly initialised) character model. Arrays are read-only float64 copies.

    vocab: its V symbols (the last is UNKNOWN); embedding E (V, D); lstm: LSTMParams (D -> H); readout: W_y (V, H),
    b_y (V,). ``info`` is what was stored beside the weights (training settings, held-out results); not maths.
    """

    vocab: str
    embedding: np.ndarray  # (V, D)
    lstm: LSTMParams
    readout: Readout
    info: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        check_vocab(self.vocab)
        E = as_float_array(self.embedding, "embedding", ndim=2)
        V = len(self.vocab)
        if E.shape[0] != V or E.shape[1] != self.lstm.input_size:
            raise ValueError(f"embedding: got shape {E.shape}, needs (V={V}, D={self.lstm.input_size})")
        if self.readout.weight.shape != (V, self.lstm.hidden_size):
            raise ValueError(f"readout.weight: got shape {self.readout.weight.shape}, needs "
                             f"(V={V}, H={self.lstm.hidden_size})")
        object.__setattr__(self, "embedding", frozen_copy(E))

    # ---- sizes and symbols -----------------------------------------------------------------------------------------

    @property
    def V(self) -> int:
        return len(self.vocab)

    @property
    def D(self) -> int:
        return self.lstm.input_size

    @property
    def H(self) -> int:
        return self.lstm.hidden_size

    def encode(self, text: str) -> np.ndarray:
        return encode(self.vocab, text)

    def decode(self, ids) -> str:
        return decode(self.vocab, ids)

    def arrays(self) -> dict[str, np.ndarray]:
        """Every trainable array by name: "embedding", the LSTM's (PyTorch names), "readout.weight", "readout.bias"."""
        return {"embedding": self.embedding, **param_arrays(self.lstm),
                "readout.weight": self.readout.weight, "readout.bias": self.readout.bias}

    def with_arrays(self, arrays: dict[str, np.ndarray]) -> CharModel:
        """The same vocabulary and info with new arrays (named as ``arrays()``)."""
        lstm = LSTMParams(**{k: arrays[k] for k in param_arrays(self.lstm)})
        readout = Readout(weight=arrays["readout.weight"], bias=arrays["readout.bias"])
        return CharModel(self.vocab, arrays["embedding"], lstm, readout, self.info)

    # ---- forward ---------------------------------------------------------------------------------------------------

    def forward_ids(self, ids, h0=None, c0=None) -> tuple[LSTMTrace, np.ndarray]:
        """ids (T,) | (T, B) -> (trace, logits (T, [B,] V)) from (h0, c0) (None = zeros)."""
        trace = lstm_forward(self.lstm, self.embedding[ids], h0, c0)
        return trace, trace.h @ self.readout.weight.T + self.readout.bias

    def run(self, text: str) -> tuple[LSTMTrace, np.ndarray]:
        """Read ``text`` (1 to MAX_T characters) from zero state.

        Returns (trace, probs): the LSTMTrace over the characters (gates, c, h: (T, H)) and probs (T, V), row t the
        model's distribution of the character after character t.
        """
        ids = self._ids(text, "text")
        trace, logits = self.forward_ids(ids)
        return trace, softmax(logits)

    def _ids(self, text: str, name: str) -> np.ndarray:
        if not isinstance(text, str):
            raise ValueError(f"{name}: got {type(text).__name__}, needs a string")
        check_size(f"{name} length (characters)", len(text), MAX_T)
        return self.encode(text)

    def bits_per_char(self, text: str) -> float:
        """Mean −log₂ p(char_{t+1}) over the text's T − 1 predictions, from zero state (text of 2 to MAX_T chars)."""
        ids = self._ids(text, "text")
        if ids.size < 2:
            raise ValueError("text: needs at least 2 characters (one prediction)")
        _, logits = self.forward_ids(ids[:-1])
        log_p = log_softmax(logits)
        return float(-log_p[np.arange(ids.size - 1), ids[1:]].mean() / np.log(2))

    # ---- sampling --------------------------------------------------------------------------------------------------

    def sample(self, prompt: str, n: int, temperature: float = 1.0, seed: int = 0) -> str:
        """Generate ``n`` characters after ``prompt`` (may be empty: then the model starts after a newline).

        Each character is drawn from softmax(logits / temperature) with ``np.random.default_rng(seed)``: the same
        (prompt, n, temperature, seed) gives the same text; low temperature sharpens the distribution, high flattens it.
        Returns the generated characters only (without the prompt).
        """
        n = check_size("n (characters to generate)", n, MAX_T, minimum=0)
        temperature = check_number("temperature", temperature, positive=True)
        ids = self._ids(prompt or "\n", "prompt")
        rng = np.random.default_rng(seed)
        trace, logits = self.forward_ids(ids)
        h, c, y = trace.h[-1], trace.c[-1], logits[-1]
        out = np.empty(n, dtype=np.intp)
        for k in range(n):
            p = softmax(y / temperature)
            out[k] = rng.choice(self.V, p=p)
            step, y = self.forward_ids(out[k:k + 1], h, c)  # one step from the carried state
            h, c, y = step.h[-1], step.c[-1], y[-1]
        return self.decode(out)

    # ---- connectivity ----------------------------------------------------------------------------------------------

    def connectivity(self, trace: LSTMTrace, probs: np.ndarray, target: int, t: int) -> np.ndarray:
        """‖∂ log p_t[target] / ∂x_s‖ for s = 0 … t (the (t+1,) norms), from ``run``'s trace and probs.

        ``target`` is a symbol index (usually the character that really came next). Uses the core's backward pass
        on the first t+1 steps of the trace (the steps after t do not affect p_t).
        """
        T = trace.T
        t = check_size("t (position)", t, T - 1, minimum=0)
        target = check_size("target (symbol index)", target, self.V - 1, minimum=0)
        prefix = LSTMTrace(x=trace.x[:t + 1], h0=trace.h0, c0=trace.c0, i=trace.i[:t + 1], f=trace.f[:t + 1],
                           g=trace.g[:t + 1], o=trace.o[:t + 1], c=trace.c[:t + 1], h=trace.h[:t + 1])
        d_logits = -probs[t]  # ∂ log p[target] / ∂ logits = e_target − p
        d_logits = d_logits.copy()
        d_logits[target] += 1.0
        dh = np.zeros((t + 1, self.H))
        dh[t] = d_logits @ self.readout.weight  # W_yᵀ (e − p)
        dx = lstm_backward(self.lstm, prefix, dh).dx  # (t+1, D): ∂ log p / ∂x_s
        return np.sqrt(np.sum(dx * dx, axis=1))

    # ---- files -----------------------------------------------------------------------------------------------------

    def save(self, path: Path | str, info: dict | None = None) -> tuple[Path, Path]:
        """Write the arrays to ``path`` (.npz) and the vocabulary + ``info`` to the .json beside it."""
        path = Path(path)
        np.savez(path, **self.arrays())
        meta = path.with_suffix(".json")
        meta.write_text(json.dumps({"vocab": self.vocab, **(self.info if info is None else info)}, indent=1) + "\n")
        return path, meta

    @classmethod
    def load(cls, path: Path | str | None = None) -> CharModel:
        """The model at ``path`` (.npz, with its .json beside it); default: the shipped model."""
        path = Path(SHIPPED if path is None else path)
        meta = json.loads(path.with_suffix(".json").read_text())
        vocab = meta.pop("vocab")
        with np.load(path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        lstm = LSTMParams(**{k: arrays[k] for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")})
        readout = Readout(weight=arrays["readout.weight"], bias=arrays["readout.bias"])
        return cls(vocab, arrays["embedding"], lstm, readout, meta)


def init_char_model(vocab: str, embed: int, hidden: int, *, seed: int = 0, forget_bias: float | None = 1.0,
                    info: dict | None = None) -> CharModel:
    """Seeded initial model: E ~ N(0, 1) (torch.nn.Embedding's default), the LSTM and readout from PyTorch's
    U(−1/√H, 1/√H), the forget gate's total bias set to ``forget_bias`` (None: PyTorch's random init)."""
    vocab = check_vocab(vocab)
    D = check_size("embedding size D", embed, MAX_D)
    rng = np.random.default_rng((seed, 4))
    lstm = init_lstm(D, hidden, seed=seed, forget_bias=forget_bias)
    readout = init_readout(hidden, len(vocab), seed=(seed, 3))
    return CharModel(vocab, rng.normal(size=(len(vocab), D)), lstm, readout, dict(info or {}))
