"""The training lab's "your own text": upload a .txt, train a small character model on it within a time budget (loss
curve and samples while it trains), then open it in the text lab.

Nothing is written to disk: the upload stays in Streamlit's upload manager and the model in ``st.session_state``
(ui.text.OWN_MODEL), both gone when the session ends. Every report is stored as it arrives, so Stop (a click, which
interrupts the run) keeps what was trained so far.
"""

from __future__ import annotations

import streamlit as st

from charts.text import char_curves
from lstm_core.chartrain import CharTrainConfig, text_corpus, train_chars
from lstm_core.text import MAX_UPLOAD_BYTES, read_text_upload, vocab_of
from ui import routes, widgets
from ui import text as text_lab
from ui.text import OWN_MODEL

RUN = "ot_run"  # session key: dict(name, rows, sample, state, reason)
RUNNING = "ot_running"
SAMPLE_CHARS, SAMPLE_TEMPERATURE = 200, 0.8


def config(hidden: int, seed: int, text_chars: int) -> CharTrainConfig:
    """A small, fast model for a text of ``text_chars`` characters: chunks of 50, up to 16 streams, constant Adam 3e-3
    (the run ends on time, so there is no schedule to decay along)."""
    batch = max(1, min(16, int(text_chars * 0.9) // 51))
    return CharTrainConfig(hidden=hidden, embed=16, chunk=50, batch=batch, steps=10_000_000, lr=3e-3, lr_final=3e-3,
                           seed=seed, eval_every=25, eval_chars=5000)


def _store(name: str, p, rows: list[dict], sample: str) -> None:
    st.session_state[RUN] = dict(name=name, rows=rows, sample=sample, state=p.state, reason=p.reason,
                                 iteration=p.iteration, seconds=p.seconds)
    model = p.state.model
    st.session_state[OWN_MODEL] = (model, name, st.session_state.get("_ot_excerpt", ""))


def train_live(text: str, name: str, hidden: int, seed: int, budget: float, slots) -> None:
    """Train on ``text`` for ``budget`` seconds, redrawing progress, curves and a sample at every report."""
    ss = st.session_state
    corpus = text_corpus(text, name=name)
    cfg = config(hidden, seed, len(text))
    ss["_ot_excerpt"] = corpus.heldout[:2000]
    ss[RUNNING] = True
    rows: list[dict] = []
    bar, curves, sample_slot = slots
    for k, p in enumerate(train_chars(cfg, corpus, vocab=vocab_of(text), max_seconds=budget)):
        rows.append(dict(iteration=p.iteration, train_bits=p.train_bits, heldout_bits=p.heldout_bits))
        sample = p.state.model.sample("", SAMPLE_CHARS, SAMPLE_TEMPERATURE, seed=0) if p.done or k % 4 == 0 else None
        if sample is None:
            sample = (ss.get(RUN) or {}).get("sample", "")
        _store(name, p, rows, sample)
        bar.progress(min(p.seconds / budget, 1.0), text=f"{p.seconds:.0f} / {budget:.0f} s — iteration {p.iteration}, "
                                                        f"held-out {p.heldout_bits:.2f} bits per character")
        with curves.container():
            widgets.chart(char_curves(rows), key=f"ot_curves_live{k}", filename="your_text_training")
        sample_slot.code(sample, language=None, wrap_lines=True)
    ss[RUNNING] = False


def open_in_text_lab() -> None:
    """on_click: the text lab reads a held-out part of the text with the user's model (the page opens next run)."""
    text_lab.use_own_model(st.session_state.get("_ot_excerpt", ""))
    st.session_state["_ot_open"] = True


def section() -> None:
    ss = st.session_state
    if ss.pop("_ot_open", False):
        st.switch_page(routes.by_path("text").file)
    st.subheader("Train on your own text")
    st.caption(
        "Upload a plain-text file (UTF-8, at most 1 MB): a small character-level LSTM learns to predict its next "
        "character, live, within the time budget; the last tenth of the text is held out to measure it. Then open "
        "the model in the text lab. Nothing you upload is stored: it is gone when you close the tab."
    )
    if ss.pop(RUNNING, False):
        st.info("Training was stopped; the model trained so far is kept.", icon=":material/stop_circle:")
    upload = st.file_uploader("Text file (.txt)", type=["txt"], key="ot_file",
                              max_upload_size=MAX_UPLOAD_BYTES // (1024 * 1024),
                              help=f"UTF-8 text, at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    c1, c2, c3 = st.columns(3)
    hidden = c1.select_slider("Hidden size H", [16, 32, 64, 128], 64, key="ot_hidden")
    budget = c2.slider("Time budget (s)", 10, 300, 60, step=10, key="ot_budget")
    seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="ot_seed")
    text = None
    if upload is not None:
        try:
            text = read_text_upload(upload.getvalue(), upload.name)
        except ValueError as exc:
            st.error(f"**Text file** — {exc}", icon=":material/error:")
    b1, b2, _ = st.columns([1, 1, 3])
    go = b1.button("Train on this text", type="primary", icon=":material/play_arrow:", key="ot_train",
                   disabled=text is None, width="stretch")
    b2.button("Stop", icon=":material/stop:", key="ot_stop", width="stretch",
              help="Stops training; the model so far is kept.")
    bar, curves, sample_slot = st.empty(), st.empty(), st.empty()
    if go and text is not None:
        train_live(text, upload.name, int(hidden), int(seed), float(budget), (bar.progress(0.0), curves, sample_slot))
        st.rerun()
    run = ss.get(RUN)
    if not run:
        return
    bar.success(f"“{run['name']}”: {run['iteration']} iterations in {run['seconds']:.0f} s; held-out "
                f"{run['rows'][-1]['heldout_bits']:.2f} bits per character.", icon=":material/check_circle:")
    with curves.container():
        widgets.chart(char_curves(run["rows"]), key="ot_curves", filename="your_text_training")
    with sample_slot.container():
        st.caption(f"A sample of {SAMPLE_CHARS} characters (temperature {SAMPLE_TEMPERATURE}, seed 0):")
        st.code(run["sample"], language=None, wrap_lines=True)
    st.button("Open it in the text lab", icon=":material/code:", key="ot_open", on_click=open_in_text_lab)
