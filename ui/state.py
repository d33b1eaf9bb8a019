"""The shared state of the app: configuration (bound to the URL), the user's edits, and the resolved "lab".

No maths here: this module only decides WHICH weights and inputs are current. Pages call ``current()`` to get
the resolved Lab and ``set_weights`` / ``set_inputs`` to store the user's edits.

Rules it enforces:
- Every shared control lives in ``st.session_state`` under a fixed key, mirrored into the URL query string, so a
  link reproduces the view. Values read from a URL are validated; anything out of range is brought into range with
  a visible note, never silently.
- Edits (weights, inputs) are kept until the user decides: when a control change would rebuild what they edited,
  the app keeps showing the edited state and asks (apply the change and discard the edits, or undo the change).
- A configuration that cannot be built (e.g. a preset that needs D ≥ 2) shows an error naming the field and the
  fix, and the last valid lab stays on screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np
import streamlit as st

from lstm_core.params import LSTMParams, RNNParams
from lstm_core.presets import PRESETS, Preset
from lstm_core.sequences import GENERATORS
from ui import compute

# ---- the shared configuration ------------------------------------------------------------------------------------

DEFAULT_PRESET = "default"
PRESET_INPUT = "preset"  # input choice meaning "the preset's own input sequence"
LIMITS = {"D": (1, 8), "H": (1, 64), "T": (1, 2000), "seed": (0, 2**31 - 1), "t": (1, 2000)}
KNOB_LIMITS = {"fb": (-10.0, 10.0), "rho": (0.0, 3.0), "scale": (0.0, 5.0)}
KNOB_STEPS = {"fb": 0.5, "rho": 0.05, "scale": 0.1}  # the knob sliders' steps (ui.widgets.knob_controls)
# URL parameter names are the session-state keys.
INT_KEYS = ("D", "H", "T", "seed", "t")
FLOAT_KEYS = ("fb", "rho", "scale")
BOOL_KEYS = ("fb_on", "rho_on")
TEXT_KEYS = ("preset", "input")
SHARED_KEYS = TEXT_KEYS + INT_KEYS + BOOL_KEYS + FLOAT_KEYS
WEIGHT_DEPS = ("preset", "D", "H", "seed", "fb_on", "fb", "rho_on", "rho", "scale")
# URL parameters other modules own (ui/presenter.py: lesson, step, presenter mode); write_url keeps them.
PASSTHROUGH_KEYS = ("lesson", "step", "present")
INPUT_DEPS = ("preset", "D", "T", "seed", "input")


def input_options() -> list[str]:
    return [PRESET_INPUT, *GENERATORS]


def input_label(key: str) -> str:
    return "the preset's own input" if key == PRESET_INPUT else GENERATORS[key].label


def preset_defaults(preset: Preset) -> dict:
    """The configuration a preset starts from: its sizes, its own input, no knob overrides."""
    return {
        "D": preset.D, "H": preset.H, "T": preset.T, "input": PRESET_INPUT,
        "fb_on": False, "fb": 1.0, "rho_on": False, "rho": 1.0, "scale": 1.0,
    }


def defaults() -> dict:
    return {"preset": DEFAULT_PRESET, "seed": 0, "t": 1, **preset_defaults(PRESETS[DEFAULT_PRESET])}


def quote_url_value(raw: str) -> str:
    """A URL value as it may appear inside the `code span` of a note: no backticks (one would end the span and let a
    link turn the rest into live Markdown), at most 40 characters."""
    text = str(raw).replace("`", "'")
    return text if len(text) <= 40 else text[:39] + "…"


def _coerce(key: str, raw: str, notes: list[str]):
    """One URL value -> a valid setting, or None (with a note) when it cannot be read."""
    shown = quote_url_value(raw)
    if key in TEXT_KEYS:
        valid = list(PRESETS) if key == "preset" else input_options()
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


def init_session() -> None:
    """First run of a session: defaults, then the preset's sizes, then URL values on top (validated, with notes)."""
    ss = st.session_state
    if ss.get("_initialised"):
        return
    notes: list[str] = []
    from_url = {}
    for key in SHARED_KEYS:
        if key in st.query_params:
            value = _coerce(key, st.query_params[key], notes)
            if value is not None:
                from_url[key] = value
    cfg = defaults()
    if "preset" in from_url:
        cfg.update(preset=from_url["preset"], **preset_defaults(PRESETS[from_url["preset"]]))
    cfg.update(from_url)
    if apply_config(cfg):
        notes.append(f"URL step t={cfg['t']} is beyond the sequence length T={cfg['T']}; showing t={cfg['T']}.")
    ss["_url_notes"] = notes
    ss["_edits"] = Edits()
    ss["_initialised"] = True


def apply_config(cfg: dict) -> bool:
    """Write a whole configuration (every shared key) to session state, the step t brought within T; returns
    whether t had to be (the caller says so where it matters)."""
    ss = st.session_state
    for key, value in cfg.items():
        ss[key] = value
    ss["t"] = min(cfg["t"], cfg["T"])
    return cfg["t"] > cfg["T"]


def keep_shared_keys() -> None:
    """Every run, before the sidebar: re-assign the shared widget keys so Streamlit keeps them when the widget is not
    on the current page, and set the exact-length box T_box to T (whatever changed T since: a slider, a preset, a
    lesson step, an upload; the box's own edits reach T through on_T_box)."""
    ss = st.session_state
    for key in SHARED_KEYS:
        if key in ss:
            ss[key] = ss[key]
    if "T" in ss:
        ss["T_box"] = ss["T"]


def keep_shared_keys_again() -> None:
    """Re-assign every shared key whose widget is not drawn yet in this run (pages and fragments call this through
    ``current`` / ``refresh``).

    app.py's keep_shared_keys does this at the top of a full run. A fragment rerun skips app.py, and Streamlit then
    keeps a shared value whose widget was last drawn on another page only as that widget's state and deletes it as
    stale (a fragment run after a page switch), or deletes it when the page changes next (after a fragment run of
    the page that draws it): the next full run has no "t" or "fb_on" (KeyError in app.py). Assigned through
    st.session_state, a value is kept. A widget already drawn in this run (app.py's sidebar) cannot be assigned and
    needs nothing: it was kept before it was drawn."""
    from streamlit.errors import StreamlitWidgetAlreadyInstantiatedError

    ss = st.session_state
    for key in SHARED_KEYS:
        if key in ss:
            try:
                ss[key] = ss[key]
            except StreamlitWidgetAlreadyInstantiatedError:
                pass


def config() -> dict:
    ss = st.session_state
    return {key: ss[key] for key in SHARED_KEYS}


def write_url(cfg: dict, extra: dict | None = None) -> None:
    """Mirror the configuration into the URL (knobs only when switched on), then the ``extra`` parameters; without
    ``extra`` the PASSTHROUGH_KEYS already in the URL stay as they are (pages call this from their fragments)."""
    params = {k: cfg[k] for k in ("preset", "D", "H", "T", "seed", "input", "t")}
    if cfg["fb_on"]:
        params.update(fb_on=1, fb=cfg["fb"])
    if cfg["rho_on"]:
        params.update(rho_on=1, rho=cfg["rho"])
    if cfg["scale"] != 1.0:
        params["scale"] = cfg["scale"]
    text = {k: f"{v:g}" if isinstance(v, float) else str(v) for k, v in params.items()}
    if extra is None:
        text.update({k: st.query_params[k] for k in PASSTHROUGH_KEYS if k in st.query_params})
    else:
        text.update({k: str(v) for k, v in extra.items()})
    if dict(st.query_params) != text:
        st.query_params.from_dict(text)


def share_link() -> str:
    """This view's address: the page's URL with its query (which write_url keeps equal to the settings)."""
    from urllib.parse import urlencode

    base = (st.context.url or "").split("?")[0]
    return f"{base}?{urlencode(dict(st.query_params))}"


# ---- callbacks used by the sidebar ---------------------------------------------------------------------------------


def on_preset_change() -> None:
    """Choosing a preset loads its sizes and input and clears knob overrides (edits are asked about separately)."""
    ss = st.session_state
    for key, value in preset_defaults(PRESETS[ss["preset"]]).items():
        ss[key] = value
    ss["t"] = min(ss["t"], ss["T"])


def on_T_box() -> None:
    st.session_state["T"] = st.session_state["T_box"]


def next_seed() -> None:
    st.session_state["seed"] = (st.session_state["seed"] + 1) % (LIMITS["seed"][1] + 1)


def rewind_seed() -> None:
    """Same seed, fresh initialisation: drop weight edits and knob overrides."""
    ss = st.session_state
    ss["_edits"] = ss["_edits"].without_weights()
    ss["fb_on"] = ss["rho_on"] = False
    ss["scale"] = 1.0


# ---- edits and the resolved lab ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edits:
    """What the user changed by hand, with the settings those changes were made under."""

    lstm: LSTMParams | None = None
    rnn: RNNParams | None = None
    weights_base: dict = field(default_factory=dict)
    x: np.ndarray | None = None
    inputs_base: dict = field(default_factory=dict)

    @property
    def has_weights(self) -> bool:
        return self.lstm is not None or self.rnn is not None

    def without_weights(self) -> "Edits":
        return Edits(x=self.x, inputs_base=self.inputs_base)

    def without_inputs(self) -> "Edits":
        return Edits(lstm=self.lstm, rnn=self.rnn, weights_base=self.weights_base)


@dataclass(frozen=True)
class Lab:
    """Everything a page needs: the configuration, the preset, both models' weights, the input and the loss."""

    cfg: dict
    preset: Preset
    lstm: LSTMParams
    rnn: RNNParams
    x: np.ndarray  # (T, D)
    loss: str
    loss_kwargs: dict
    edited_weights: bool = False
    edited_inputs: bool = False

    @property
    def T(self) -> int:
        return self.x.shape[0]

    @cached_property
    def key(self) -> str:
        """A digest of everything the computations depend on (weights, input, loss): the figure cache's key."""
        from ui.figures import content_key

        return content_key(self.lstm, self.rnn, self.x, self.loss, sorted(self.loss_kwargs.items()))


def _deps(cfg: dict, keys) -> dict:
    return {k: cfg[k] for k in keys}


def build_lab(cfg: dict) -> Lab:
    """The lab the settings describe, before any hand edits (raises ValueError for an impossible configuration)."""
    preset = PRESETS[cfg["preset"]]
    sc = compute.scenario(cfg["preset"], cfg["D"], cfg["H"], cfg["T"], cfg["seed"])
    x = sc.x if cfg["input"] == PRESET_INPUT else compute.inputs(cfg["input"], cfg["T"], cfg["D"], cfg["seed"])
    lstm, rnn = compute.apply_knobs(
        sc.lstm, sc.rnn,
        forget_bias=cfg["fb"] if cfg["fb_on"] else None,
        spectral_radius=cfg["rho"] if cfg["rho_on"] else None,
        scale=cfg["scale"],
    )
    return Lab(cfg=dict(cfg), preset=preset, lstm=lstm, rnn=rnn, x=x, loss=sc.loss, loss_kwargs=dict(sc.loss_kwargs))


def resolve() -> tuple[Lab, list[str], str | None]:
    """Resolve the current lab. Returns (lab, conflicts, error): ``conflicts`` names the edits a pending settings
    change would discard (the lab shown is then the last one, unchanged); ``error`` is a message when the settings
    cannot be built (the last valid lab is shown)."""
    ss = st.session_state
    cfg = config()
    edits: Edits = ss["_edits"]
    last: Lab | None = ss.get("_last_lab")
    conflicts = []
    if edits.has_weights and _deps(cfg, WEIGHT_DEPS) != edits.weights_base:
        conflicts.append("weights")
    if edits.x is not None and _deps(cfg, INPUT_DEPS) != edits.inputs_base:
        conflicts.append("inputs")
    if conflicts and last is not None:
        return last, conflicts, None
    try:
        lab = build_lab(cfg)
    except ValueError as exc:
        if last is None:  # the very first run cannot fail on defaults; a bad URL preset/size combination can
            fallback = {**cfg, **defaults()}
            return build_lab(fallback), [], f"{exc}"
        return last, [], f"{exc}"
    if edits.has_weights:
        lab = replace(lab, lstm=edits.lstm or lab.lstm, rnn=edits.rnn or lab.rnn, edited_weights=True)
    if edits.x is not None:
        lab = replace(lab, x=edits.x, edited_inputs=True, cfg={**lab.cfg, "T": edits.x.shape[0]})
    ss["_last_lab"] = lab
    return lab, [], None


def current() -> Lab:
    """The lab that app.py resolved for this run. Every page calls this first."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory or "_lab" not in st.session_state:
        _rerun_through_router()
    keep_shared_keys_again()
    return st.session_state["_lab"]


def _rerun_through_router() -> None:
    """A page ran without app.py: Streamlit's legacy pages/ routing, which is only switched off once st.navigation
    has run in the process, so the first deep link (e.g. /gates) after a server start lands here. Switch the legacy
    routing off and rerun: app.py then runs and routes to the same page."""
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    st.rerun()


def set_weights(lstm: LSTMParams | None = None, rnn: RNNParams | None = None) -> None:
    """Store hand-edited weights (validated params objects) for the current settings."""
    ss = st.session_state
    e: Edits = ss["_edits"]
    ss["_edits"] = Edits(
        lstm=lstm if lstm is not None else e.lstm,
        rnn=rnn if rnn is not None else e.rnn,
        weights_base=_deps(config(), WEIGHT_DEPS),
        x=e.x,
        inputs_base=e.inputs_base,
    )


def set_inputs(x: np.ndarray) -> None:
    """Store a hand-edited or uploaded input sequence (T, D) for the current settings."""
    ss = st.session_state
    e: Edits = ss["_edits"]
    ss["_edits"] = Edits(lstm=e.lstm, rnn=e.rnn, weights_base=e.weights_base, x=np.asarray(x, dtype=float),
                         inputs_base=_deps(config(), INPUT_DEPS))


def discard_edits(kinds) -> None:
    ss = st.session_state
    for kind in kinds:
        ss["_edits"] = ss["_edits"].without_weights() if kind == "weights" else ss["_edits"].without_inputs()


def undo_settings(kinds) -> None:
    """Put the settings back to the ones the edits were made under."""
    ss = st.session_state
    e: Edits = ss["_edits"]
    for kind in kinds:
        for key, value in (e.weights_base if kind == "weights" else e.inputs_base).items():
            ss[key] = value


def choose_preset(key: str) -> None:
    """Callback: switch to preset ``key`` (as if chosen in the sidebar)."""
    st.session_state["preset"] = key
    on_preset_change()


def remember_resolved(lab: Lab) -> None:
    """app.py: the lab resolved for this full run, and the settings it was resolved from."""
    st.session_state["_lab"] = lab
    st.session_state["_resolved_cfg"] = config()


def refresh() -> Lab:
    """Inside an @st.fragment: the lab for the current settings. A fragment rerun after a shared control changed
    resolves again (and updates the URL); if that raises a question or an error, the whole app reruns to show it."""
    keep_shared_keys_again()
    if config() == st.session_state.get("_resolved_cfg"):
        return current()
    lab, conflicts, error = resolve()
    if conflicts or error:
        st.rerun(scope="app")
    remember_resolved(lab)
    write_url(config())
    return lab
