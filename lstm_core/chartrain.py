"""Training a character model (lstm_core.text) with truncated BPTT over chunks, Adam and gradient clipping.

One iteration (``train_step``) on a chunk of B parallel streams of text, ids (T+1, B):

    x     = E[ids[:-1]]                                     (T, B, D) inputs;  ids[1:] are the targets
    trace = lstm_forward(params, x, h0, c0)                  (h0, c0) carried over from the previous chunk
    L, dh = next_symbol_loss(readout, trace.h, ids[1:])      softmax cross-entropy at every step (nats)
    grads = lstm_backward(params, trace, dh)                 BPTT within the chunk: the truncation
    dE    = Σ dx_t scattered to the rows E[ids_t]            the embedding's gradient
    clip the global norm to ``clip``, one Adam step at the learning rate of this iteration

The streams: the training text is cut into B equal parts; stream b reads its part chunk after chunk, so the state at
the end of a chunk is the right state to start the next (it is carried, detached: no gradient crosses the chunk
boundary). After the last whole chunk of its part every stream starts again at the beginning from zero state.
The learning rate falls from ``lr`` to ``lr_final`` along a half cosine over ``steps`` iterations.

The corpus of the shipped model (``stdlib_corpus``): the top-level modules of the Python standard library of the
interpreter that trains (``sysconfig.get_paths()["stdlib"]/*.py``, sorted by file name, read as UTF-8; no
subpackages, no download); every tenth file of that list (the 10th, 20th, …) is held out for evaluation and never
trained on. Evaluation (``evaluate``) cuts the held-out text into ``streams`` equal parts read from zero state; the
loss is the mean over every prediction inside the parts. Everything is reproducible from ``config.seed`` (the
initial weights; the chunks are read in a fixed order).

Command line (the shipped weights; see ``build_parser`` for every option):

    python -m lstm_core.train --task chars --hidden 128 --steps 10000 --seed 0
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import platform
import sys
import sysconfig
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from .codefeatures import FEATURES, CorrelationSums, code_features
from .lstm import lstm_backward, lstm_forward
from .optim import Adam, AdamState, clip_by_global_norm
from .params import param_arrays
from .readout import log_softmax, next_symbol_loss
from .text import CODE_VOCAB, SHIPPED, CharModel, init_char_model
from .validate import MAX_B, MAX_D, MAX_H, check_number, check_size

LN2 = math.log(2.0)
HELD_OUT_EVERY = 10  # every 10th file of the sorted list is held out


# ---- corpus --------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Corpus:
    """Training and held-out text, and where they came from. ``heldout_parts`` are the separate held-out documents
    (files), concatenated in ``heldout``; features are computed per part."""

    name: str
    train: str
    heldout: str
    train_files: tuple[str, ...] = ()
    heldout_files: tuple[str, ...] = ()
    heldout_parts: tuple[str, ...] = ()

    def describe(self) -> dict:
        return dict(name=self.name, train_chars=len(self.train), heldout_chars=len(self.heldout),
                    train_files=len(self.train_files), heldout_files=list(self.heldout_files),
                    heldout_sha256=hashlib.sha256(self.heldout.encode("utf-8")).hexdigest())


def stdlib_dir() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def stdlib_corpus(directory: Path | str | None = None) -> Corpus:
    """The standard library's top-level modules, sorted by name; every HELD_OUT_EVERY-th one (1-based) held out."""
    files = sorted(Path(directory or stdlib_dir()).glob("*.py"), key=lambda p: p.name)
    if len(files) < HELD_OUT_EVERY:
        raise ValueError(f"stdlib: found {len(files)} .py files in {directory or stdlib_dir()}, needs at least "
                         f"{HELD_OUT_EVERY}")
    train, held = [], []
    for k, f in enumerate(files):
        (held if (k + 1) % HELD_OUT_EVERY == 0 else train).append(f)
    read = lambda fs: [f.read_text(encoding="utf-8") for f in fs]  # noqa: E731
    held_texts = read(held)
    return Corpus(
        name=f"Python {platform.python_version()} standard library, top-level modules",
        train="".join(read(train)), heldout="".join(held_texts),
        train_files=tuple(f.name for f in train), heldout_files=tuple(f.name for f in held),
        heldout_parts=tuple(held_texts),
    )


def text_corpus(text: str, name: str = "your text", heldout_fraction: float = 0.1) -> Corpus:
    """A single text: its last ``heldout_fraction`` is held out."""
    cut = len(text) - max(1, int(len(text) * heldout_fraction))
    return Corpus(name=name, train=text[:cut], heldout=text[cut:], heldout_parts=(text[cut:],))


# ---- configuration -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CharTrainConfig:
    """Everything that defines a training run of a character model; validated on construction."""

    hidden: int = 128  # H
    embed: int = 32  # D, the embedding size
    chunk: int = 100  # T, characters per chunk (the truncated-BPTT window)
    batch: int = 32  # B, parallel streams
    steps: int = 10_000  # training iterations
    lr: float = 3e-3  # Adam's learning rate at the start
    lr_final: float = 3e-4  # … and at the last iteration (half-cosine decay)
    clip: float | None = 1.0  # max global gradient norm; None = no clipping
    forget_bias: float | None = 1.0  # initial total forget-gate bias; None = PyTorch's random init
    seed: int = 0
    eval_every: int = 200  # iterations between reports
    eval_chars: int = 20_000  # held-out characters evaluated at each report (the first ones)

    def __post_init__(self) -> None:
        check_size("hidden", self.hidden, MAX_H)
        check_size("embed", self.embed, MAX_D)
        check_size("chunk", self.chunk, 1000, minimum=2)
        check_size("batch", self.batch, MAX_B)
        check_size("steps", self.steps, 10_000_000, minimum=0)
        check_size("eval_every", self.eval_every, 1_000_000)
        check_size("eval_chars", self.eval_chars, 10_000_000, minimum=2)
        check_size("seed", self.seed, 2**32 - 1, minimum=0)
        check_number("lr", self.lr, positive=True)
        check_number("lr_final", self.lr_final, positive=True)
        if self.clip is not None:
            check_number("clip", self.clip, positive=True)
        if self.forget_bias is not None:
            check_number("forget_bias", self.forget_bias)

    def lr_at(self, iteration: int) -> float:
        """The learning rate of 0-based ``iteration``: lr_final + (lr − lr_final)·(1 + cos(π n / steps)) / 2."""
        frac = min(iteration / max(self.steps - 1, 1), 1.0)
        return self.lr_final + (self.lr - self.lr_final) * 0.5 * (1.0 + math.cos(math.pi * frac))


# ---- one iteration -------------------------------------------------------------------------------------------------

def gradients(model: CharModel, ids: np.ndarray, h0=None, c0=None):
    """Loss (nats per character) and exact gradients (no clipping) for chunk ``ids`` (T+1, B) from (h0, c0).

    Returns (loss, grads keyed like ``model.arrays()``, trace).
    """
    inputs, targets = ids[:-1], ids[1:]
    trace = lstm_forward(model.lstm, model.embedding[inputs], h0, c0)  # x_t = E[char_t]
    loss, d_readout, dh = next_symbol_loss(model.readout, trace.h, targets)
    g = lstm_backward(model.lstm, trace, dh)
    d_embedding = np.zeros_like(model.embedding)
    np.add.at(d_embedding, inputs, g.dx)  # dE[v] = Σ_{t: char_t = v} dx_t
    grads = {"embedding": d_embedding, **param_arrays(g.params),
             "readout.weight": d_readout.weight, "readout.bias": d_readout.bias}
    return loss, grads, trace


@dataclass(frozen=True, eq=False)
class CharState:
    """Model and optimiser after ``iteration`` iterations, and the carried state (h, c) of every stream."""

    config: CharTrainConfig
    model: CharModel
    opt_state: AdamState
    iteration: int = 0
    h: np.ndarray | None = None  # (B, H), None = zeros
    c: np.ndarray | None = None


def init_state(config: CharTrainConfig, vocab: str = CODE_VOCAB) -> CharState:
    model = init_char_model(vocab, config.embed, config.hidden, seed=config.seed, forget_bias=config.forget_bias)
    return CharState(config=config, model=model, opt_state=Adam(lr=config.lr).init(model.arrays()))


class Streams:
    """The training text as B streams read chunk by chunk (module docstring)."""

    def __init__(self, ids: np.ndarray, batch: int, chunk: int):
        part = len(ids) // batch
        if part < chunk + 1:
            raise ValueError(f"text: {len(ids)} characters are too few for {batch} streams of at least one chunk of "
                             f"{chunk} (needs >= {batch * (chunk + 1)})")
        self.parts = ids[:part * batch].reshape(batch, part).T  # (part, B): column b is stream b
        self.chunk = chunk
        self.per_stream = (part - 1) // chunk  # whole chunks per stream

    def chunk_of(self, iteration: int) -> tuple[np.ndarray, bool]:
        """(ids (T+1, B) of 0-based ``iteration``, whether the streams start again here: zero state)."""
        k = iteration % self.per_stream
        return self.parts[k * self.chunk:(k + 1) * self.chunk + 1], k == 0


def train_step(state: CharState, ids: np.ndarray, restart: bool = False) -> tuple[CharState, float, float]:
    """One iteration on chunk ``ids`` (T+1, B): returns (new state, loss in nats per char, gradient norm before
    clipping). ``restart`` starts the streams from zero state instead of the carried one."""
    cfg = state.config
    h0, c0 = (None, None) if restart else (state.h, state.c)
    loss, grads, trace = gradients(state.model, ids, h0, c0)
    clipped = clip_by_global_norm(grads, cfg.clip)
    arrays, opt_state = Adam(lr=cfg.lr_at(state.iteration)).update(state.model.arrays(), clipped.grads,
                                                                    state.opt_state)
    new = CharState(config=cfg, model=state.model.with_arrays(arrays), opt_state=opt_state,
                    iteration=state.iteration + 1, h=np.array(trace.h[-1]), c=np.array(trace.c[-1]))
    return new, loss, clipped.norm_before


# ---- evaluation ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Evaluation:
    bits_per_char: float
    predictions: int  # how many characters were predicted
    correlations: dict  # {(feature, "c" | "h"): (H,) Pearson r}; empty without features


def evaluate(model: CharModel, text: str, *, streams: int = 64, chunk: int = 100,
             features: dict[str, np.ndarray] | None = None) -> Evaluation:
    """Bits per character on ``text`` cut into ``streams`` equal parts (the last len % streams characters are left
    out), each read from zero state in chunks of ``chunk`` (carrying the state: the same numbers as one pass).

    With ``features`` (name -> (len(text),), e.g. ``code_features``), also Pearson's r of every unit's c and h (after
    reading character t) with each feature at t, over the same positions.
    """
    ids = model.encode(text)
    streams = min(streams, max(1, len(ids) // 2))
    part = len(ids) // streams
    if part < 2:
        raise ValueError(f"text: {len(ids)} characters, needs at least 2 per stream")
    cols = ids[:part * streams].reshape(streams, part).T  # (part, S)
    feats = {k: np.asarray(v, float)[:part * streams].reshape(streams, part).T for k, v in (features or {}).items()}
    sums = {(k, q): CorrelationSums(model.H) for k in feats for q in ("c", "h")}
    total, n, h, c = 0.0, 0, None, None
    for a in range(0, part - 1, chunk):
        b = min(a + chunk, part - 1)
        trace, logits = model.forward_ids(cols[a:b], h, c)
        log_p = log_softmax(logits)  # (T, S, V)
        total -= float(np.take_along_axis(log_p, cols[a + 1:b + 1, :, None], axis=-1).sum())
        n += (b - a) * streams
        for (k, q), s in sums.items():
            s.add(feats[k][a:b].ravel(), getattr(trace, q).reshape(-1, model.H))
        h, c = trace.h[-1], trace.c[-1]
    return Evaluation(bits_per_char=total / n / LN2, predictions=n,
                      correlations={key: s.r() for key, s in sums.items()})


def corpus_features(corpus: Corpus) -> dict[str, np.ndarray]:
    """code_features of every held-out part, concatenated (aligned with ``corpus.heldout``)."""
    per_part = [code_features(p).values for p in corpus.heldout_parts]
    return {k: np.concatenate([f[k] for f in per_part]) for k in FEATURES}


def best_units(ev: Evaluation) -> dict:
    """For every feature and quantity: the unit with the largest |r| and its r (JSON-ready)."""
    out = {}
    for (feature, q), r in ev.correlations.items():
        if np.all(np.isnan(r)):
            continue
        u = int(np.nanargmax(np.abs(r)))
        out.setdefault(feature, {})[q] = dict(unit=u, r=round(float(r[u]), 4))
    return out


# ---- the loop ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class CharProgress:
    iteration: int
    seconds: float  # compute time so far (training + evaluation)
    train_bits: float  # mean training loss of the window, bits per character
    heldout_bits: float  # on the first config.eval_chars held-out characters
    losses: np.ndarray  # (n,) bits per character of each iteration of the window
    state: CharState
    done: bool = False
    reason: str = ""  # when done: "steps" | "time"


def train_chars(config: CharTrainConfig, corpus: Corpus, *, state: CharState | None = None, vocab: str = CODE_VOCAB,
                max_seconds: float | None = None, clock=time.perf_counter) -> Iterator[CharProgress]:
    """Train, yielding a CharProgress every ``config.eval_every`` iterations and a last one with done=True (after
    ``config.steps`` iterations in total, or ``max_seconds`` of compute). A caller may also just stop asking."""
    state = init_state(config, vocab) if state is None else state
    streams = Streams(state.model.encode(corpus.train), config.batch, config.chunk)
    probe = corpus.heldout[:config.eval_chars]
    elapsed, t0, window = 0.0, clock(), []

    def reason() -> str:
        if state.iteration >= config.steps:
            return "steps"
        if max_seconds is not None and elapsed + clock() - t0 >= max_seconds:
            return "time"
        return ""

    why = reason()
    while True:
        if not why:
            ids, restart = streams.chunk_of(state.iteration)
            state, loss, _ = train_step(state, ids, restart)
            window.append(loss / LN2)
            why = reason()
        if why or len(window) >= config.eval_every:
            held = evaluate(state.model, probe, streams=8).bits_per_char
            elapsed += clock() - t0
            losses = np.array(window)
            yield CharProgress(iteration=state.iteration, seconds=elapsed,
                               train_bits=float(losses.mean()) if losses.size else held, heldout_bits=held,
                               losses=losses, state=state, done=bool(why), reason=why)
            if why:
                return
            window, t0 = [], clock()


# ---- command line --------------------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    d = CharTrainConfig()
    p = argparse.ArgumentParser(prog="python -m lstm_core.train --task chars",
                                description="Train the character model on the Python standard library (NumPy) and "
                                            "save it with its held-out results.")
    p.add_argument("--task", choices=["chars"], default="chars")
    p.add_argument("--hidden", type=int, default=d.hidden, help="hidden size H")
    p.add_argument("--embed", type=int, default=d.embed, help="embedding size D")
    p.add_argument("--chunk", type=int, default=d.chunk, help="characters per chunk (truncated BPTT window)")
    p.add_argument("--batch", type=int, default=d.batch, help="parallel streams")
    p.add_argument("--steps", type=int, default=d.steps, help="training iterations")
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--lr-final", type=float, default=d.lr_final)
    p.add_argument("--clip", type=float, default=d.clip, help="max global gradient norm (0: none)")
    p.add_argument("--forget-bias", type=float, default=d.forget_bias)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--eval-every", type=int, default=d.eval_every)
    p.add_argument("--out", type=Path, default=SHIPPED, help=f"weights file (.npz; default {SHIPPED})")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    try:
        config = CharTrainConfig(hidden=a.hidden, embed=a.embed, chunk=a.chunk, batch=a.batch, steps=a.steps,
                                 lr=a.lr, lr_final=a.lr_final, clip=a.clip or None, forget_bias=a.forget_bias,
                                 seed=a.seed, eval_every=a.eval_every)
    except ValueError as exc:
        parser.error(str(exc))
    corpus = stdlib_corpus()
    print(f"{corpus.name}: {len(corpus.train):,} training characters in {len(corpus.train_files)} files, "
          f"{len(corpus.heldout):,} held out in {len(corpus.heldout_files)}", flush=True)
    wall0, load0 = time.time(), _load_average()
    last = None
    for p in train_chars(config, corpus):
        print(f"iter {p.iteration:6d}  {p.seconds:8.1f}s  {p.iteration / max(p.seconds, 1e-9):5.2f} it/s  "
              f"train {p.train_bits:.3f}  held-out slice {p.heldout_bits:.3f} bits/char", flush=True)
        last = p
    train_seconds = time.time() - wall0
    model = last.state.model
    print("evaluating on the whole held-out set …", flush=True)
    ev = evaluate(model, corpus.heldout, features=corpus_features(corpus))
    check = heldout_check(model, corpus)
    info = dict(
        corpus=corpus.describe() | dict(selection=f"{stdlib_dir()}/*.py sorted by name; every {HELD_OUT_EVERY}th "
                                                  f"file held out", python=platform.python_version()),
        settings=asdict(config),
        command="python -m lstm_core.train " + " ".join(sys.argv[1:] if argv is None else argv),
        iterations=last.iteration, train_seconds=round(train_seconds, 1),
        machine=dict(cpus=os.cpu_count(), load_average_start=load0, load_average_end=_load_average(),
                     openblas_threads=os.environ.get("OPENBLAS_NUM_THREADS", "default")),
        iterations_per_second=round(last.iteration / max(last.seconds, 1e-9), 3),
        final_train_bits_per_char=round(last.train_bits, 4),
        heldout=dict(bits_per_char=ev.bits_per_char, predictions=ev.predictions,
                     evaluation="held-out text cut into 64 equal parts, each read from zero state"),
        heldout_check=check, best_units=best_units(ev),
    )
    a.out.parent.mkdir(parents=True, exist_ok=True)
    paths = model.save(a.out, info)
    print(f"held-out: {ev.bits_per_char:.4f} bits/char over {ev.predictions:,} predictions; best units: "
          f"{info['best_units']}", flush=True)
    print(f"saved {paths[0]} ({paths[0].stat().st_size / 1e6:.2f} MB) and {paths[1]}", flush=True)
    return 0


def _load_average() -> list[float] | None:
    """The machine's 1, 5 and 15-minute load averages (how shared the CPU was), where the OS reports them."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except (AttributeError, OSError):
        return None


CHECK_FILES = 3  # the held-out check a unit test repeats: the first CHECK_FILES held-out files


def heldout_check(model: CharModel, corpus: Corpus) -> dict:
    """A documented slice of the held-out set that a test can re-evaluate in seconds: the first CHECK_FILES held-out
    files, evaluated as ``evaluate`` does (64 streams)."""
    files = corpus.heldout_files[:CHECK_FILES]
    text = "".join(corpus.heldout_parts[:CHECK_FILES])
    return dict(files=list(files), chars=len(text), sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
                bits_per_char=evaluate(model, text).bits_per_char)
