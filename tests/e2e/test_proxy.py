"""deploy/serve-class in a real browser: two replicas behind nginx, one browser session through the proxy.

Streamlit keeps a session in the process that opened it, and a file upload is a plain HTTP request
(``PUT /_stcore/upload_file/<session>/<file>``) beside the session's websocket: if it reached the other replica the
upload failed with HTTP 400 (streamlit#2936, #4173). serve-class routes every request of a browser by its affinity
cookie. The test loads pages, moves a slider and uploads a weights file and an inputs file (larger than nginx's
request buffer) through the proxy, with the deployment's folder where nginx's workers cannot write (pytest's
private tmp_path: nginx must not need temporary files), checks every upload answer and nginx's own log (all of
the browser's requests went to one replica), then sends SIGTERM and checks that no process of the deployment is
left (/proc).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest

from lstm_core import init_lstm, io
from tests.e2e.browser import ARTIFACTS, ROOT, free_port, new_app
from tests.helpers import DEFAULT

SCRIPT = ROOT / "deploy" / "serve-class"
COOKIE = "lstm_lab_replica"
START_TIMEOUT = 240  # two replicas start one after the other on a busy 2-core machine


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (read from /proc)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def processes_mentioning(text: str) -> list[str]:
    """Command lines of running processes (other than this one) that contain ``text``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline and alive(int(entry.name)):
            found.append(f"{entry.name}: {cmdline}")
    return found


class Proxy:
    """``deploy/serve-class --replicas 2`` as a user starts it; what tests/e2e/browser.App needs of a server."""

    def __init__(self, workdir: Path):
        self.workdir, self.port = workdir, free_port()
        self.log_path = ARTIFACTS / "server-proxy.log"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "w") as log:
            self.proc = subprocess.Popen([sys.executable, str(SCRIPT), "--replicas", "2", "--port", str(self.port),
                                          "--workdir", str(workdir)], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while not (workdir / "state.json").exists() or not _healthy(f"{self.base}/_stcore/health"):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"serve-class did not start (exit code {self.proc.poll()}):\n{self.log_tail()}",
                            pytrace=False)
            time.sleep(0.2)
        self.state = json.loads((workdir / "state.json").read_text())

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "/", query: dict | None = None) -> str:
        return self.base + path + (f"?{urlencode(query)}" if query else "")

    def log_tail(self, n: int = 40) -> str:
        parts = [self.log_path, *sorted(self.workdir.glob("replica-*.log")), self.workdir / "error.log"]
        return "\n".join(f"== {p.name}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-n:])
                         for p in parts if p.exists())

    def pids(self) -> list[int]:
        return [self.state["nginx"]["pid"], *(r["pid"] for r in self.state["replicas"])]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture
def proxy(tmp_path):
    p = Proxy(tmp_path / "serve-class")
    yield p
    p.stop()


def test_a_session_through_two_replicas_then_sigterm_leaves_nothing(browser, proxy):
    assert len(proxy.state["replicas"]) == 2
    replica_ports = {r["port"] for r in proxy.state["replicas"]}
    app = new_app(browser, proxy)
    uploads: list[tuple[str, int]] = []
    app.page.on("response", lambda r: uploads.append((r.request.method, r.status))
                if "/_stcore/upload_file/" in r.url else None)
    try:
        app.open("/")
        app.press_slider("t", "ArrowRight")
        app.page.locator(".st-key-cell_diagram g.textpoint text", has_text="step t = 2 of 40").wait_for()
        app.nav("Gradient flow")
        app.assert_healthy()
        app.nav("Inputs and weights")
        weights = init_lstm(DEFAULT["D"], DEFAULT["H"], seed=77)
        app.rerun(lambda: app.page.locator(".st-key-wp_weights_file_lstm input[type=file]").set_input_files(
            {"name": "class.npz", "mimeType": "application/octet-stream", "buffer": io.to_npz_bytes(weights)}))
        app.page.get_by_text("Loaded class.npz into the LSTM.").wait_for()
        app.assert_healthy()
        # an upload larger than nginx's 16 KB request buffer (which it would spool to a temporary file)
        x = np.sin(np.linspace(0, 60, 2 * 1000)).reshape(1000, 2)
        data = io.inputs_to_csv_bytes(x)
        assert len(data) > 16_384
        app.rerun(lambda: app.page.locator(".st-key-wp_inputs_file input[type=file]").set_input_files(
            {"name": "class.csv", "mimeType": "text/csv", "buffer": data}))
        app.page.get_by_text("Loaded class.csv: 1000 steps").wait_for()
        app.assert_healthy()
        app.screenshot("proxy-weights-uploaded")
        assert uploads and all(200 <= status < 300 for _, status in uploads), uploads  # no HTTP 400 from a replica
        app.nav("Cell walkthrough")  # the session (and its uploaded weights) are still there after more requests
        app.assert_healthy()
        assert app.slider_value("t") == 2
        cookie = next(c["value"] for c in app.page.context.cookies() if c["name"] == COOKIE)
    except Exception:
        app.screenshot("FAILED-proxy")
        raise
    finally:
        app.page.context.close()

    # nginx's log: every request this browser sent with its cookie went to one replica (the websocket is logged
    # when it closes, just after the browser context)
    deadline = time.monotonic() + 30
    while True:
        lines = (proxy.workdir / "access.log").read_text().splitlines()
        mine = [line for line in lines if f"affinity={cookie}" in line]
        if any("/_stcore/stream" in line for line in mine) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    upstreams = {line.split("upstream=")[1].split()[0] for line in mine}
    assert any("/_stcore/upload_file/" in line for line in mine), "the upload went through the proxy with the cookie"
    assert any("/_stcore/stream" in line for line in mine), "so did the websocket"
    assert len(upstreams) == 1 and int(upstreams.pop().rsplit(":", 1)[1]) in replica_ports, upstreams

    pids = proxy.pids()
    assert all(alive(pid) for pid in pids)
    proxy.proc.send_signal(signal.SIGTERM)
    assert proxy.proc.wait(timeout=60) == 0, proxy.log_tail()
    assert not [pid for pid in pids if alive(pid)], "nginx and both replicas are gone"
    assert not processes_mentioning(str(proxy.workdir)), "no nginx (its command line names the folder) is left"
    assert not (proxy.workdir / "nginx.pid").exists(), "nginx removed its pid file: it shut down, not killed"
    assert not any(_healthy(f"http://127.0.0.1:{port}/_stcore/health") for port in [proxy.port, *replica_ports])
