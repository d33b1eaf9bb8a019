"""The app's shared state: the settings (bound to the URL), the user's edits, the resolved "lab", one-off messages.

Every session key the pages share is a named constant here, and only this module writes them: pages and ui/ modules
read the lab with ``lab()`` and change a setting through a function of this module (usually a widget callback).
No maths here: this module only decides WHICH weights and inputs are current.

Rules it enforces:
- Every shared setting lives in ``st.session_state`` under a fixed key, the same name as its URL parameter and its
  lesson field, so a link reproduces the view. Values read from a URL are validated; anything out of range is
  brought into range with a visible note, never silently.
- A widget owns its value: code writes a shared widget's key only to change it (in a callback, or to keep the step t
  within T), never re-assigns it on an ordinary rerun, so a value the browser is still sending is never overwritten
  by an older one. Shared widgets are created with ``persist_state="session"``, so a value survives pages (and
  presenter mode) that do not draw its widget.
- A second control of the same setting (the sidebar's T box and a page's own T slider beside the T slider, the
  weights page's input pills beside the sidebar's input box) is a *mirror* (``mirror`` / ``on_mirror``): it is
  never written to; when the setting changes elsewhere it is drawn anew under a new key, showing the new value, and
  a value the browser sends for the mirror it showed before is recognised as stale by its key and ignored. (The
  browser sends every widget's value with each change; a widget written by code while the browser still shows its
  old value would send that old value back as if the user had chosen it.) Quick successive changes therefore reach
  the widgets, the lab, the URL and the share link in order, none lost.
- Edits (weights, inputs) are kept until the user decides: when a settings change would rebuild what they edited,
  the app keeps showing the edited state and asks (apply the change and discard the edits, or undo the change).
- Settings that cannot be built (e.g. a preset that needs D ≥ 2) show an error naming the field and the fix, and
  the last valid lab stays on screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from urllib.parse import urlencode

import numpy as np
import streamlit as st

from lstm_core.params import GRUParams, LSTMParams, RNNParams, without_forget_gate
from lstm_core.presets import PRESETS, Preset
from lstm_core.sequences import GENERATORS
from ui import compute

# ---- session keys ------------------------------------------------------------------------------------------------
# The shared settings: each is a widget's key, a URL parameter and a lesson step's field, under the same name.
PRESET, D, H, T, SEED, INPUT, STEP = "preset", "D", "H", "T", "seed", "input", "t"
FB_ON, FB, RHO_ON, RHO, SCALE = "fb_on", "fb", "rho_on", "rho", "scale"
MODEL, LAYERS = "model", "layers"  # which model the cell and gates pages draw; how many layers every model stacks
T_BOX = "T_box"  # the sidebar's exact-length box: a mirror of T
# This module's own (no widget, not in the URL):
INITIALISED = "_initialised"
URL_NOTES = "_url_notes"  # what was wrong with the URL the session started from
EDITS = "_edits"  # Edits: the user's weights and inputs
LAB = "_lab"  # the Lab on screen (always a valid one)
LAB_SETTINGS = "_lab_settings"  # the settings LAB was resolved for
FLASH = "_flash"  # [(section, kind, text)] left by a callback for where its section is drawn
MIRRORS = "_mirrors"  # {mirror name: (generation, the value it was drawn with)}
HEAD_LOSS = "_head_loss"  # a loaded model's Linear head as the lab's loss (set_head_loss)
PLAYING = "_playing"  # Play is on: the page's fragment moves t one step on per tick (widgets.stepping, play_tick)
PLAY_HOLD = "_play_hold"  # this run of the fragment is a full run's: it draws t as it is (only the timer moves t)
PAGE = "_page"  # the page the last full run showed (leaving it stops Play)

DEFAULT_PRESET = "default"
PRESET_INPUT = "preset"  # input choice meaning "the preset's own input sequence"
LIMITS = {D: (1, 8), H: (1, 64), T: (1, 2000), SEED: (0, 2**31 - 1), STEP: (1, 2000), LAYERS: (1, 3)}
# The model switch's choices (keys are URL values): ui.compute.MODEL_LABELS names them on charts.
MODELS = {"lstm": "LSTM", "gru": "GRU", "rnn": "tanh RNN", "lstm1997": "1997 LSTM (no forget gate)"}
DEFAULT_MODEL = "lstm"
KNOB_LIMITS = {FB: (-10.0, 10.0), RHO: (0.0, 3.0), SCALE: (0.0, 5.0)}
KNOB_STEPS = {FB: 0.5, RHO: 0.05, SCALE: 0.1}  # the knob sliders' steps (ui.widgets.knob_controls)
INT_KEYS = (D, H, T, SEED, STEP, LAYERS)
FLOAT_KEYS = (FB, RHO, SCALE)
BOOL_KEYS = (FB_ON, RHO_ON)
TEXT_KEYS = (PRESET, INPUT, MODEL)
SHARED_KEYS = TEXT_KEYS + INT_KEYS + BOOL_KEYS + FLOAT_KEYS
WEIGHT_DEPS = (PRESET, D, H, SEED, FB_ON, FB, RHO_ON, RHO, SCALE)
INPUT_DEPS = (PRESET, D, T, SEED, INPUT)
LAB_DEPS = tuple(k for k in SHARED_KEYS if k != STEP)  # the step t changes what is shown, not what is computed
# URL parameters other modules own (ui/presenter.py: lesson, step, presenter mode); write_url keeps them.
PASSTHROUGH_KEYS = ("lesson", "step", "present")
FLASH_KINDS = ("success", "info", "warning", "error")


def input_options() -> list[str]:
    return [PRESET_INPUT, *GENERATORS]


def input_label(key: str) -> str:
    return "the preset's own input" if key == PRESET_INPUT else GENERATORS[key].label


def preset_defaults(preset: Preset) -> dict:
    """The settings a preset starts from: its sizes, its own input, no knob overrides."""
    return {
        D: preset.D, H: preset.H, T: preset.T, INPUT: PRESET_INPUT,
        FB_ON: False, FB: 1.0, RHO_ON: False, RHO: 1.0, SCALE: 1.0,
    }


def defaults() -> dict:
    """Every shared setting's default. A preset does not choose the model or the layer count: switching presets
    keeps them (a lesson step starts from these defaults, so it shows the LSTM unless it names a model)."""
    return {PRESET: DEFAULT_PRESET, SEED: 0, STEP: 1, MODEL: DEFAULT_MODEL, LAYERS: 1,
            **preset_defaults(PRESETS[DEFAULT_PRESET])}


def text_choices(key: str) -> list[str]:
    """The valid values of a text setting (PRESET, INPUT, MODEL)."""
    return {PRESET: list(PRESETS), MODEL: list(MODELS)}.get(key) or input_options()


# ---- the URL a session starts from -------------------------------------------------------------------------------


def quote_url_value(raw: str) -> str:
    """A URL value as it may appear inside the `code span` of a note: no backticks (one would end the span and let a
    link turn the rest into live Markdown), at most 40 characters."""
    text = str(raw).replace("`", "'")
    return text if len(text) <= 40 else text[:39] + "…"


def _coerce(key: str, raw: str, notes: list[str]):
    """One URL value -> a valid setting, or None (with a note) when it cannot be read."""
    shown = quote_url_value(raw)
    if key in TEXT_KEYS:
        valid = text_choices(key)
        if raw in valid:
            return raw
        notes.append(f"URL parameter `{key}={shown}` is not known; valid values: {', '.join(valid)}. Using the default.")
        return None
    if key in BOOL_KEYS:
        if raw in ("1", "true", "True", "0", "false", "False"):
            return raw in ("1", "true", "True")
        notes.append(f"URL parameter `{key}={shown}` must be 1 or 0. Using the default.")
        return None
    try:
        value = float(raw)
        if not np.isfinite(value):
            raise ValueError
    except ValueError:
        notes.append(f"URL parameter `{key}={shown}` is not a number. Using the default.")
        return None
    lo, hi = LIMITS.get(key) or KNOB_LIMITS[key]
    if key in INT_KEYS:
        if value != int(value):
            notes.append(f"URL parameter `{key}={shown}` must be a whole number; using {int(value)}.")
        value = int(value)
    if not lo <= value <= hi:
        clamped = min(max(value, lo), hi)
        notes.append(f"URL parameter `{key}={shown}` is outside {lo}–{hi}; using {clamped:g}.")
        value = clamped
    return value


def _init_session() -> None:
    """First run of a session: defaults, then the preset's sizes, then URL values on top (validated, with notes)."""
    ss = st.session_state
    if ss.get(INITIALISED):
        return
    notes: list[str] = []
    from_url = {}
    for key in SHARED_KEYS:
        if key in st.query_params:
            value = _coerce(key, st.query_params[key], notes)
            if value is not None:
                from_url[key] = value
    settings = defaults()
    if PRESET in from_url:
        settings.update({PRESET: from_url[PRESET], **preset_defaults(PRESETS[from_url[PRESET]])})
    settings.update(from_url)
    if apply_settings(settings):
        notes.append(f"URL step t={settings[STEP]} is beyond the sequence length T={settings[T]}; "
                     f"showing t={settings[T]}.")
    ss[URL_NOTES] = notes
    ss[EDITS] = Edits()
    ss[INITIALISED] = True


def begin_run() -> str | None:
    """app.py, first thing every run (before any widget): the session's first run reads the URL; then the step t is
    brought within T if T shrank below it. Returns a message when t moved."""
    _init_session()
    ss = st.session_state
    if ss[STEP] > ss[T]:
        ss[STEP] = ss[T]
        return f"Step moved to t = {ss[T]}, the new last step."
    return None


def url_notes() -> list[str]:
    """What was wrong with the URL this session started from (shown with the settings it changed)."""
    return list(st.session_state.get(URL_NOTES, []))


# ---- reading and writing the settings ----------------------------------------------------------------------------


def settings() -> dict:
    """Every shared setting, as the session holds it now."""
    ss = st.session_state
    return {key: ss[key] for key in SHARED_KEYS}


def setting(key: str):
    return st.session_state[key]


def apply_settings(values: dict) -> bool:
    """Write these settings (a callback's, the URL's, a lesson step's; every key a SHARED_KEYS one), the step t
    brought within T. Returns whether t had to be (the caller says so where it matters)."""
    unknown = set(values) - set(SHARED_KEYS)
    if unknown:
        raise KeyError(f"not shared settings: {sorted(unknown)}")
    ss = st.session_state
    for key, value in values.items():
        ss[key] = value
    moved = ss[STEP] > ss[T]
    if moved:
        ss[STEP] = ss[T]
    return moved


def set_step(t: int) -> None:
    """Callback: show step t (1-based). A step chosen by hand stops Play."""
    st.session_state[STEP] = t
    stop_playing()


# ---- Play: the step moves on by itself ------------------------------------------------------------------------------
# While Play is on, the page's fragment (widgets.stepping) reruns on a timer (st.fragment's run_every) and each of
# those reruns moves t one step on (play_tick). The timer belongs to the fragment as a full run draws it, so turning
# Play on or off takes one full rerun (st.rerun in the callback; a full run also ends the browser's old timers).


def playing() -> bool:
    return bool(st.session_state.get(PLAYING))


def play(on: bool, first: int, last: int) -> None:
    """Callback of Play / Pause. Play at the last step starts again from the first (first, last: in the direction
    the page walks, 1 → T or, for BPTT, T → 1)."""
    ss = st.session_state
    if on and ss[STEP] == last:
        ss[STEP] = first
    ss[PLAYING] = on
    st.rerun()


def stop_playing() -> None:
    """Play off (a no-op when it is off). Called from callbacks and from a fragment's run: a full rerun follows, which
    drops the fragment's timer."""
    if st.session_state.pop(PLAYING, False):
        st.rerun()


def play_tick(last: int) -> None:
    """A run of the playing page's fragment that its timer caused: t one step toward ``last`` (T, or 1 for BPTT);
    Play stops once t is there. A full run (Play just pressed, a sidebar change) draws t as it is."""
    ss = st.session_state
    if not playing() or ss.pop(PLAY_HOLD, False):
        return
    if ss[STEP] == last:
        stop_playing()
    ss[STEP] += 1 if last >= ss[STEP] else -1
    lab()  # the URL follows the step


def on_page(path: str) -> None:
    """app.py, every full run: leaving the page that plays stops Play (the browser drops its timer on a page
    switch, and coming back should not restart it)."""
    ss = st.session_state
    if ss.get(PAGE) != path:
        ss.pop(PLAYING, None)
    ss[PAGE] = path


def on_preset_change() -> None:
    """Choosing a preset loads its sizes and input and clears knob overrides (edits are asked about separately)."""
    apply_settings(preset_defaults(PRESETS[st.session_state[PRESET]]))


def choose_preset(key: str) -> None:
    """Callback: switch to preset ``key`` (as if chosen in the sidebar)."""
    apply_settings({PRESET: key, **preset_defaults(PRESETS[key])})


def mirror(setting: str, name: str) -> tuple[str, tuple]:
    """The key of ``name``, a mirror of shared setting ``setting`` (another widget for it), and the ``args`` of its
    on_change (``on_mirror``). Draw it with the setting's value as its default: ``st.number_input(…,
    value=setting(T), key=key, on_change=on_mirror, args=args)``. The key changes (a new widget, showing the
    setting) whenever the setting changed by anything but this mirror since it was last drawn."""
    ss = st.session_state
    mirrors = ss.setdefault(MIRRORS, {})
    generation, shown = mirrors.get(name, (0, None))
    if shown != ss[setting]:
        generation, shown = generation + 1, ss[setting]
        mirrors[name] = (generation, shown)
    return f"{name}_{generation}", (setting, name, generation)


def on_mirror(setting: str, name: str, generation: int) -> None:
    """Callback of a mirror: the setting takes its value, unless the value was sent for a mirror drawn before the
    setting changed elsewhere (a stale one: ignored). Clearing a mirror (a deselected pill) keeps the setting and
    draws the mirror anew."""
    ss = st.session_state
    mirrors = ss[MIRRORS]
    if mirrors.get(name, (None,))[0] != generation:
        return
    value = ss.get(f"{name}_{generation}")
    if value is None:
        mirrors[name] = (generation, None)
        return
    apply_settings({setting: value})
    mirrors[name] = (generation, value)


def next_seed() -> None:
    ss = st.session_state
    ss[SEED] = (ss[SEED] + 1) % (LIMITS[SEED][1] + 1)


def rewind_seed() -> None:
    """Same seed, fresh initialisation: drop weight edits and knob overrides."""
    ss = st.session_state
    ss[EDITS] = ss[EDITS].without_weights()
    clear_head_loss()  # the head came with loaded weights
    ss[FB_ON] = ss[RHO_ON] = False
    ss[SCALE] = 1.0


# ---- one-off messages ----------------------------------------------------------------------------------------------


def flash(section: str, text: str, kind: str = "success") -> None:
    """Leave ``text`` (Markdown, already inert where it quotes the user) for ``section``: a callback's message, shown
    once where that section is drawn (ui.widgets.flashed). ``kind``: success, info, warning or error."""
    if kind not in FLASH_KINDS:
        raise ValueError(f"kind must be one of {FLASH_KINDS}")
    st.session_state.setdefault(FLASH, []).append((section, kind, text))


def take_flashed(section: str) -> list[tuple[str, str]]:
    """The (kind, text) messages left for ``section``, removed as they are taken."""
    ss = st.session_state
    messages = ss.get(FLASH, [])
    ss[FLASH] = [m for m in messages if m[0] != section]
    return [(kind, text) for where, kind, text in messages if where == section]


# ---- edits and the resolved lab ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edits:
    """What the user changed by hand or loaded, with the settings those changes were made under.

    ``lstm``, ``rnn``, ``gru``: a model's bottom layer; ``upper``: a loaded stack's layers above it ({'lstm' | 'gru' |
    'rnn': (layer 2, …)}), which fit only the layer count they came with, so ``weights_base`` then also holds LAYERS.
    """

    lstm: LSTMParams | None = None
    rnn: RNNParams | None = None
    weights_base: dict = field(default_factory=dict)
    x: np.ndarray | None = None
    inputs_base: dict = field(default_factory=dict)
    gru: GRUParams | None = None
    upper: dict = field(default_factory=dict)

    @property
    def has_weights(self) -> bool:
        return self.lstm is not None or self.rnn is not None or self.gru is not None

    def stack(self, kind: str) -> tuple:
        """The layers of ``kind`` ('lstm' | 'gru' | 'rnn') these edits hold, bottom first (() for none)."""
        bottom = getattr(self, kind)
        return () if bottom is None else (bottom, *self.upper.get(kind, ()))

    def without_weights(self) -> "Edits":
        return Edits(x=self.x, inputs_base=self.inputs_base)

    def without_inputs(self) -> "Edits":
        return replace(self, x=None, inputs_base={})


@dataclass(frozen=True)
class Lab:
    """Everything a page needs: the settings, every model's weights, the input and the loss.

    ``lstm``, ``rnn`` (the preset's, with the knobs and hand edits) and ``gru`` (PyTorch's initialisation for the
    seed, with the knobs) are each model's bottom layer, the one that reads x; ``upper`` holds the layers above it
    when the layer count is above 1 ({'lstm' | 'gru' | 'rnn': (layer 2, …)}, seeded per layer). A loaded model
    (Edits) replaces its kind's bottom layer and upper layers. ``layers(model)`` gives a whole stack.
    """

    cfg: dict
    lstm: LSTMParams
    rnn: RNNParams
    x: np.ndarray  # (T, D)
    loss: str
    loss_kwargs: dict
    edited_weights: bool = False
    edited_inputs: bool = False
    gru: GRUParams | None = None
    upper: dict = field(default_factory=dict)

    @property
    def T(self) -> int:
        return self.x.shape[0]

    @property
    def model(self) -> str:
        """The model the cell and gates pages draw: a key of MODELS."""
        return self.cfg.get(MODEL, DEFAULT_MODEL)

    @property
    def n_layers(self) -> int:
        return 1 + len(self.upper.get("lstm", ()))

    def layers(self, model: str) -> tuple:
        """The stack of ``model`` ('lstm', 'lstm1997', 'gru', 'rnn'), bottom first: the 1997 LSTM is the LSTM with
        its forget rows removed (f ≡ 1), layer by layer."""
        if model == "lstm1997":
            return tuple(without_forget_gate(p) for p in self.layers("lstm"))
        return (getattr(self, model), *self.upper.get(model, ()))

    @cached_property
    def key(self) -> str:
        """A digest of everything the computations depend on (weights, input, loss): the figure cache's key."""
        from ui.figures import content_key

        stacks = [p for kind in ("lstm", "gru", "rnn") for p in self.upper.get(kind, ())]
        return content_key(self.lstm, self.rnn, self.x, self.loss, sorted(self.loss_kwargs.items()),
                           *([self.gru] if self.gru is not None else []), *stacks)


def _deps(cfg: dict, keys) -> dict:
    return {k: cfg[k] for k in keys}


def build_lab(cfg: dict) -> Lab:
    """The lab the settings describe, before any hand edits (raises ValueError for impossible settings)."""
    sc = compute.scenario(cfg[PRESET], cfg[D], cfg[H], cfg[T], cfg[SEED])
    x = sc.x if cfg[INPUT] == PRESET_INPUT else compute.inputs(cfg[INPUT], cfg[T], cfg[D], cfg[SEED])
    knobs = dict(forget_bias=cfg[FB] if cfg[FB_ON] else None, spectral_radius=cfg[RHO] if cfg[RHO_ON] else None,
                 scale=cfg[SCALE])
    lstm, rnn = compute.apply_knobs(sc.lstm, sc.rnn, **knobs)
    gru = compute.knobbed(compute.gru_init(cfg[D], cfg[H], cfg[SEED]), **knobs)
    upper = compute.upper_layers(cfg[PRESET], cfg[H], cfg[T], cfg[SEED], cfg[LAYERS], **knobs)
    return Lab(cfg=dict(cfg), lstm=lstm, rnn=rnn, x=x, loss=sc.loss, loss_kwargs=dict(sc.loss_kwargs), gru=gru,
               upper=upper)


def resolve() -> tuple[Lab, list[str], str | None]:
    """app.py, every run: resolve the lab for the current settings and keep it for ``lab()``. Returns (lab,
    conflicts, error): ``conflicts`` names the edits a pending settings change would discard (the lab shown is then
    the last one, unchanged); ``error`` is a message when the settings cannot be built (the last valid lab is
    shown)."""
    ss = st.session_state
    cfg = settings()
    edits: Edits = ss[EDITS]
    last: Lab | None = ss.get(LAB)
    conflicts = []
    if edits.has_weights and _deps(cfg, edits.weights_base) != edits.weights_base:
        conflicts.append("weights")
    if edits.x is not None and _deps(cfg, INPUT_DEPS) != edits.inputs_base:
        conflicts.append("inputs")
    error = None
    if conflicts and last is not None:
        lab = last
    else:
        conflicts = []
        try:
            lab = build_lab(cfg)
        except ValueError as exc:
            error = f"{exc}"
            # the very first run cannot fail on defaults; a bad URL preset/size combination can
            lab = last if last is not None else build_lab({**cfg, **defaults()})
        else:
            if edits.has_weights:
                lab = replace(lab, lstm=edits.lstm or lab.lstm, rnn=edits.rnn or lab.rnn, gru=edits.gru or lab.gru,
                              upper={**lab.upper, **edits.upper}, edited_weights=True)
            if edits.x is not None:
                lab = replace(lab, x=edits.x, edited_inputs=True, cfg={**lab.cfg, T: edits.x.shape[0]})
            lab = _with_head_loss(lab, edits)
    ss[LAB] = lab
    ss[LAB_SETTINGS] = cfg
    return lab, conflicts, error


def lab() -> Lab:
    """The lab on screen: what every page (and every fragment in it) reads. Inside a fragment whose control changed
    a setting, the lab is resolved again and the URL updated; if that raises a question or an error, the whole app
    reruns to show it."""
    ss = st.session_state
    now = settings()
    before = ss[LAB_SETTINGS]
    if now == before:
        return ss[LAB]
    if _deps(now, LAB_DEPS) == _deps(before, LAB_DEPS):  # only the step moved: nothing to compute again
        ss[LAB_SETTINGS] = now
        write_url()
        return ss[LAB]
    current, conflicts, error = resolve()
    if conflicts or error:
        st.rerun(scope="app")
    write_url()
    return current


def edits() -> Edits:
    return st.session_state[EDITS]


def set_weights(lstm: LSTMParams | None = None, rnn: RNNParams | None = None, gru: GRUParams | None = None,
                upper: dict | None = None) -> None:
    """Store hand-edited or loaded weights (validated params objects) for the current settings: each model's bottom
    layer, and ``upper``, a loaded stack's layers above it ({kind: (layer 2, …)}, as many as the sidebar's Layers
    less one; {kind: ()} drops those stored before). Upper layers not named stay (an edit of layer 1 keeps them)."""
    ss = st.session_state
    e: Edits = ss[EDITS]
    given = {k: p for k, p in (("lstm", lstm), ("rnn", rnn), ("gru", gru)) if p is not None}
    upper = {k: v for k, v in {**e.upper, **(upper or {})}.items() if v}
    ss[EDITS] = replace(e, **given, upper=upper,
                        weights_base=_deps(settings(), WEIGHT_DEPS + ((LAYERS,) if upper else ())))


def fit_settings_for_weights(values: dict) -> bool:
    """Callback: write these settings (e.g. the sizes of weights about to be stored) and drop the weight edits that
    no longer fit them (see ``resolve``'s conflicts). Returns whether edits were dropped."""
    apply_settings(values)
    e = edits()
    if e.has_weights and _deps(settings(), e.weights_base) != e.weights_base:
        discard_edits(["weights"])
        return True
    return False


def set_inputs(x: np.ndarray) -> None:
    """Store a hand-edited or uploaded input sequence (T, D) for the current settings; a sequence of another length
    moves T with it (so the settings it is stored under are the ones it was made under)."""
    if x.shape[0] != st.session_state[T]:
        apply_settings({T: int(x.shape[0])})
    ss = st.session_state
    ss[EDITS] = replace(ss[EDITS], x=np.asarray(x, dtype=float), inputs_base=_deps(settings(), INPUT_DEPS))


def discard_edits(kinds) -> None:
    ss = st.session_state
    for kind in kinds:
        ss[EDITS] = ss[EDITS].without_weights() if kind == "weights" else ss[EDITS].without_inputs()
    if "weights" in kinds:
        clear_head_loss()  # the head came with the loaded weights


# ---- a loaded head as the lab's loss -------------------------------------------------------------------------------


def set_head_loss(weight: np.ndarray, bias: np.ndarray, label: int = 0, model: str = "lstm") -> None:
    """The lab's loss becomes the cross-entropy of this Linear head's logits (weight (O, H), bias (O,)) at the last
    step against class ``label`` (0-based), for as long as the weights stored with it (set_weights of ``model``,
    just before) are the lab's: discarding them or a settings change that rebuilds them ends it."""
    st.session_state[HEAD_LOSS] = {"weight": weight, "bias": bias, "label": int(label), "model": model,
                                   "weights_base": st.session_state[EDITS].weights_base}


def set_head_label(label: int) -> None:
    """The class the head's loss is measured against (0-based)."""
    if HEAD_LOSS in st.session_state:
        st.session_state[HEAD_LOSS] = {**st.session_state[HEAD_LOSS], "label": int(label)}


def clear_head_loss() -> None:
    st.session_state.pop(HEAD_LOSS, None)


def head_loss() -> dict | None:
    """The loaded head the lab's loss reads ({'weight', 'bias', 'label', 'model'}), or None (the preset's loss)."""
    return st.session_state.get(HEAD_LOSS)


def _with_head_loss(lab: Lab, edits: Edits) -> Lab:
    head = head_loss()
    if head is None or not edits.has_weights or head["weights_base"] != edits.weights_base \
            or head["weight"].shape[1] != lab.lstm.hidden_size:
        return lab
    return replace(lab, loss="head_cross_entropy",
                   loss_kwargs={"weight": head["weight"], "bias": head["bias"], "label": head["label"]})


def undo_settings(kinds) -> None:
    """Put the settings back to the ones the edits were made under."""
    e: Edits = st.session_state[EDITS]
    for kind in kinds:
        apply_settings(e.weights_base if kind == "weights" else e.inputs_base)


# ---- the URL -------------------------------------------------------------------------------------------------------


def url_params(cfg: dict) -> dict[str, str]:
    """The URL parameters that reproduce ``cfg``: the preset, sizes, seed, input and step; the model and the layer
    count when not the default (LSTM, 1 layer); knobs only when on."""
    params = {k: cfg[k] for k in (PRESET, D, H, T, SEED, INPUT, STEP)}
    if cfg[MODEL] != DEFAULT_MODEL:
        params[MODEL] = cfg[MODEL]
    if cfg[LAYERS] != 1:
        params[LAYERS] = cfg[LAYERS]
    if cfg[FB_ON]:
        params.update({FB_ON: 1, FB: cfg[FB]})
    if cfg[RHO_ON]:
        params.update({RHO_ON: 1, RHO: cfg[RHO]})
    if cfg[SCALE] != 1.0:
        params[SCALE] = cfg[SCALE]
    return {k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in params.items()}


def write_url(extra: dict | None = None) -> None:
    """Mirror the settings of the lab on screen into the URL, then the ``extra`` parameters (app.py: the lesson
    position and presenter mode); without ``extra`` the PASSTHROUGH_KEYS already in the URL stay as they are. The URL
    is written only when it changes."""
    text = url_params(st.session_state[LAB_SETTINGS])
    if extra is None:
        text.update({k: st.query_params[k] for k in PASSTHROUGH_KEYS if k in st.query_params})
    else:
        text.update({k: str(v) for k, v in extra.items()})
    if dict(st.query_params) != text:
        st.query_params.from_dict(text)


def share_link() -> str:
    """This view's address: the page's URL with its query (which write_url keeps equal to the settings)."""
    base = (st.context.url or "").split("?")[0]
    return f"{base}?{urlencode(dict(st.query_params))}"
