"""A Streamlit session over Streamlit's own websocket protocol, without a browser (for bench/bench_class.py).

It speaks to ``/_stcore/stream`` the way Streamlit 1.67's front end does (read from its site-packages:
``web/server/starlette/starlette_websocket.py``, ``runtime/app_session.py``, ``proto/*.proto`` and the front end's
``static/js/index.*.js``):

- every request is a ``BackMsg`` with ``rerun_script``, a ``ClientState``: the URL's query string, the state of
  every widget on screen (``WidgetStates``), the page (``page_name`` from the URL path on the first run,
  ``page_script_hash`` after a page switch), the fragment the changed widget belongs to (``fragment_id``), the
  hashes of the large messages it already holds (``cached_message_hashes``) and the browser's ``context_info``;
- the server answers with ``ForwardMsg``s: ``new_session`` (with ``metadata.run``: which fragments run),
  ``navigation`` (the pages: url path → page script hash), ``page_info_changed`` (the query string the script
  set), ``delta``s (elements and blocks, each with ``metadata.delta_path`` and ``metadata.active_script_hash``),
  ``ref_hash`` (a large element the client already holds) and finally ``script_finished``.

Widgets are learned from the deltas, as the front end learns them: a widget element carries its ``id``
(``$$ID-<hash>-<user key>``), its ``default``, and ``value`` / ``raw_value`` when the script set it
(``set_value``). The client keeps the value the front end would hold for each widget on screen and sends all of
them on every rerun; a change sets one of them. Only the widget kinds this app's benchmark scenarios touch are
modelled (slider, number_input, selectbox, checkbox/toggle, multiselect, segmented_control/pills, select_slider;
buttons as triggers); other widgets (file uploader, data editor, chart selections) are not sent, which the server
treats as "unchanged since the last run".

The forward-message cache is the front end's: messages marked ``metadata.cacheable`` are kept and their hashes sent
back; a message not used for more than ``max_cached_message_age`` full runs is dropped (fragment runs age only
their own fragment's messages).
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlencode

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.runtime.state.common import user_key_from_element_id
from websockets.asyncio.client import connect  # a dependency of streamlit itself (requires websockets >= 12)

FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY: "full", ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY: "fragment",
            ForwardMsg.FINISHED_WITH_COMPILE_ERROR: "compile error"}
MAIN, SIDEBAR = 0, 1  # delta_path[0]: the root container


class ProtocolError(RuntimeError):
    """The session saw something a student would see as broken: an exception element, a compile error, a closed
    socket, a run that did not finish in time, a widget or page the scenario needs that is not on screen."""


@dataclass
class Widget:
    id: str
    key: str | None  # the user key (None for widgets without one)
    kind: str  # the element type: slider, number_input, selectbox, …
    proto: object  # the element's widget proto, as last sent
    state: WidgetState | None  # what the front end would send (None: nothing, e.g. a button)
    fragment_id: str
    root: int  # MAIN or SIDEBAR
    script_hash: str  # active_script_hash: app.py's (main) or the page's
    run: str  # script_run_id of the run that last drew it


def _state_from_proto(kind: str, w, previous: WidgetState | None) -> WidgetState | None:
    """The value the front end holds for a widget element it has just received: the script's value when it set one
    (``set_value``), else what it held already (same widget id), else the widget's default."""
    if previous is not None and not getattr(w, "set_value", False):
        return previous
    s = WidgetState(id=w.id)
    if kind in ("slider", "select_slider"):
        values = list(w.value) if w.set_value else list(w.default)
        if kind == "slider":
            s.double_array_value.data[:] = values
        else:  # select_slider: the formatted options of the chosen indices
            s.string_array_value.data[:] = list(w.raw_value) if w.set_value else [w.options[int(i)] for i in values]
    elif kind == "number_input":
        value = w.value if w.set_value else w.default
        if w.data_type == type(w).INT:
            s.int_value = int(value)
        else:
            s.double_value = float(value)
    elif kind == "selectbox":
        if w.set_value:
            s.string_value = w.raw_value
        elif w.default >= 0 and len(w.options):
            s.string_value = w.options[w.default]
        else:
            return None
    elif kind == "checkbox":
        s.bool_value = w.value if w.set_value else w.default
    elif kind == "multiselect":
        s.string_array_value.data[:] = list(w.raw_values) if w.set_value else [w.options[i] for i in w.default]
    elif kind == "button_group":
        s.string_array_value.data[:] = (list(w.raw_values) if w.set_value
                                        else [w.options[i].content for i in w.default])
    else:
        return None
    return s


WIDGET_KINDS = ("slider", "select_slider", "number_input", "selectbox", "checkbox", "multiselect", "button_group",
                "button")


@dataclass
class RunResult:
    """One rerun: from sending the request to ``script_finished`` (the last one, after any st.rerun chain)."""

    seconds: float
    status: str  # "full" or "fragment"
    messages: int
    bytes: int


@dataclass
class Session:
    """One simulated student: a websocket session on a Streamlit server."""

    base: str  # http://127.0.0.1:port
    timeout: float = 120.0
    ws: object = None
    query_string: str = ""
    page: str = ""  # url path of the page on screen ("" = default page)
    page_hashes: dict[str, str] = field(default_factory=dict)  # url path -> page_script_hash ("" = default page)
    main_script_hash: str = ""
    widgets: dict[str, Widget] = field(default_factory=dict)  # widget id -> Widget
    charts: dict[str, dict] = field(default_factory=dict)  # plotly chart key (user key) -> its figure spec
    errors: list[str] = field(default_factory=list)
    cache: dict[str, tuple[bytes, int, str]] = field(default_factory=dict)  # hash -> (message, run count, fragment)
    run_count: int = 0
    max_age: int = 2
    _run_id: str = ""
    _fragments: tuple = ()

    # -- connection --

    async def open(self, path: str = "", query: dict | None = None) -> RunResult:
        """Load ``/path?query`` as a browser tab does (the index page, health, host config, then the websocket and
        the first run); returns the first run's result (its time counts from the index request)."""
        t0 = time.perf_counter()
        url = f"{self.base}/{path}" + (f"?{urlencode(query)}" if query else "")
        await asyncio.to_thread(_fetch, url, f"{self.base}/_stcore/health", f"{self.base}/_stcore/host-config")
        self.page, self.query_string = path, urlencode(query or {})
        self.ws = await connect(self.base.replace("http", "ws", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                                origin=self.base, max_size=None, open_timeout=self.timeout,
                                ping_interval=None)
        result = await self._rerun(ClientState(page_name=path, query_string=self.query_string))
        result.seconds = time.perf_counter() - t0
        return result

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    # -- what a student does --

    def widget(self, key: str) -> Widget:
        """The widget with this user key; or, when there is none, the mirror of that name on screen (the app's
        ui.state.mirror draws a second control of a setting as "<name>_<generation>", the newest generation)."""
        for w in self.widgets.values():
            if w.key == key:
                return w
        mirrors = [w for w in self.widgets.values() if w.key and w.key.rpartition("_")[0] == key
                   and w.key.rpartition("_")[2].isdigit()]
        if mirrors:
            return max(mirrors, key=lambda w: int(w.key.rpartition("_")[2]))
        raise ProtocolError(f"no widget with key {key!r} on page {self.page or '/'} "
                            f"(keys on screen: {sorted(k for k in (w.key for w in self.widgets.values()) if k)})")

    def has(self, key: str) -> bool:
        try:
            self.widget(key)
        except ProtocolError:
            return False
        return True

    def value(self, key: str):
        """The value the front end holds for the widget (or mirror, see ``widget``) with this key."""
        s = self.widget(key).state
        kind = s.WhichOneof("value")
        v = getattr(s, kind)
        return list(v.data) if hasattr(v, "data") else v

    async def set(self, key: str, value) -> RunResult:
        """Change one widget (by its user key) as the front end does on a user's change, and wait for the run."""
        w = self.widget(key)
        s = WidgetState(id=w.id)
        if w.kind == "button":
            s.trigger_value = True
        elif w.kind == "slider":
            s.double_array_value.data[:] = value if isinstance(value, (list, tuple)) else [value]
        elif w.kind == "number_input":
            if w.proto.data_type == type(w.proto).INT:
                s.int_value = int(value)
            else:
                s.double_value = float(value)
        elif w.kind == "selectbox":
            s.string_value = value
        elif w.kind == "checkbox":
            s.bool_value = bool(value)
        elif w.kind in ("multiselect", "button_group", "select_slider"):
            s.string_array_value.data[:] = list(value)
        else:
            raise ProtocolError(f"widget {key!r} is a {w.kind}, which this client cannot change")
        if w.kind != "button":
            w.state = s
        states = [x.state for x in self.widgets.values() if x.state is not None and x.id != w.id]
        states.append(s)
        return await self._rerun(ClientState(query_string=self.query_string, fragment_id=w.fragment_id,
                                             page_script_hash=self.page_hashes.get(self.page, "")), states)

    async def switch_page(self, path: str) -> RunResult:
        """Click a page in the sidebar navigation: a rerun of that page's script hash with the states of the widgets
        the router (app.py) drew; the page's own widgets are gone."""
        if path not in self.page_hashes:
            raise ProtocolError(f"no page {path!r} in the app's navigation (pages: {sorted(self.page_hashes)})")
        kept = [w for w in self.widgets.values() if w.script_hash == self.main_script_hash]
        self.widgets = {w.id: w for w in kept}
        self.page = path
        return await self._rerun(ClientState(query_string="", page_script_hash=self.page_hashes[path]),
                                 [w.state for w in kept if w.state is not None])

    # -- the protocol --

    def _context(self) -> ClientState:
        c = ClientState()
        c.context_info.timezone = "UTC"
        c.context_info.timezone_offset = 0
        c.context_info.locale = "en-US"
        c.context_info.url = f"{self.base}/{self.page}" + (f"?{self.query_string}" if self.query_string else "")
        c.context_info.is_embedded = False
        c.context_info.color_scheme = "light"
        return c

    async def _rerun(self, client_state: ClientState, states: list[WidgetState] = ()) -> RunResult:
        msg = BackMsg()
        msg.rerun_script.CopyFrom(self._context())
        msg.rerun_script.MergeFrom(client_state)
        msg.rerun_script.widget_states.widgets.extend(states)
        msg.rerun_script.cached_message_hashes[:] = list(self.cache)
        t0 = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        count = size = 0
        while True:
            try:
                raw = await asyncio.wait_for(self.ws.recv(), timeout=max(t0 + self.timeout - time.perf_counter(), 0.01))
            except TimeoutError:
                raise ProtocolError(f"the run did not finish within {self.timeout:.0f} s") from None
            except Exception as exc:  # the socket closed
                raise ProtocolError(f"websocket: {type(exc).__name__}: {exc}") from None
            count, size = count + 1, size + len(raw)
            status = self._receive(raw)
            if status is not None:
                if status == "compile error":
                    raise ProtocolError("the script ended with a compile error")
                return RunResult(time.perf_counter() - t0, status, count, size)

    def _receive(self, raw: bytes) -> str | None:
        """Handle one ForwardMsg; returns the run's status when it is a final ``script_finished``."""
        msg = ForwardMsg()
        msg.ParseFromString(raw)
        kind = msg.WhichOneof("type")
        if msg.metadata.cacheable:
            self.cache[msg.hash] = (raw, self.run_count, msg.delta.fragment_id if kind == "delta" else "")
        if kind == "ref_hash":
            cached = self.cache.get(msg.ref_hash)
            if cached is None:
                raise ProtocolError(f"cached ForwardMsg miss {msg.ref_hash}")
            self.cache[msg.ref_hash] = (cached[0], self.run_count, cached[2])
            metadata = msg.metadata
            msg = ForwardMsg()
            msg.ParseFromString(cached[0])
            msg.metadata.CopyFrom(metadata)
            kind = msg.WhichOneof("type")
        if kind == "new_session":
            self._run_id = msg.metadata.run.script_run_id
            self._fragments = tuple(msg.metadata.run.fragment_ids)
            self.main_script_hash = msg.new_session.main_script_hash
            self.max_age = msg.new_session.config.max_cached_message_age or self.max_age
            for page in msg.new_session.app_pages:
                self.page_hashes.setdefault(page.url_pathname, page.page_script_hash)
        elif kind == "navigation":
            self.page_hashes = {("" if p.is_default else p.url_pathname): p.page_script_hash
                                for p in msg.navigation.app_pages}
            for p in msg.navigation.app_pages:
                self.page_hashes.setdefault(p.url_pathname, p.page_script_hash)
            current = msg.navigation.page_script_hash
            self.page = next((path for path, h in self.page_hashes.items() if h == current), self.page)
        elif kind == "page_info_changed":
            self.query_string = msg.page_info_changed.query_string
        elif kind == "page_not_found":
            self.errors.append(f"page not found: {msg.page_not_found.page_name}")
        elif kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
            self.errors.append(f"compile error: {msg.session_event.script_compilation_exception.message}")
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            self._element(msg)
        elif kind == "script_finished":
            status = FINISHED.get(msg.script_finished)
            if status is not None:
                self._finish(status)
            return status
        return None

    def _element(self, msg: ForwardMsg) -> None:
        el = msg.delta.new_element
        kind = el.WhichOneof("type")
        if kind == "exception":
            self.errors.append(f"exception: {el.exception.type}: {el.exception.message[:200]}")
            return
        if kind == "plotly_chart" and el.plotly_chart.spec:
            key = user_key_from_element_id(el.plotly_chart.id) if el.plotly_chart.id else None
            if key:
                self.charts[key] = json.loads(el.plotly_chart.spec)
            return
        if kind not in WIDGET_KINDS:
            return
        w = getattr(el, kind)
        if not w.id:
            return
        if kind == "slider" and w.type == type(w).Type.SELECT_SLIDER:
            kind = "select_slider"  # st.select_slider arrives as a slider element; its state is the option labels
        old = self.widgets.get(w.id)
        state = None if kind == "button" else _state_from_proto(kind, w, old.state if old else None)
        self.widgets[w.id] = Widget(w.id, user_key_from_element_id(w.id), kind, w, state, msg.delta.fragment_id,
                                    msg.metadata.delta_path[0] if msg.metadata.delta_path else MAIN,
                                    msg.metadata.active_script_hash, self._run_id)

    def _finish(self, status: str) -> None:
        """A run ended: widgets it did not draw are gone (a fragment run only replaces its fragment's), and cached
        messages age by one run (front end: ForwardMsgCache.incrementRunCount)."""
        fragments = self._fragments if status == "fragment" else ()
        self.widgets = {i: w for i, w in self.widgets.items()
                        if w.run == self._run_id or (fragments and w.fragment_id not in fragments)}
        self.run_count += 1
        self.cache = {h: c for h, c in self.cache.items()
                      if (fragments and (not c[2] or c[2] not in fragments)) or self.run_count - c[1] <= self.max_age}


def _fetch(*urls: str) -> None:
    for url in urls:
        with urllib.request.urlopen(url, timeout=60) as resp:
            resp.read()
