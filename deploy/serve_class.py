"""Serve the app to a class: N Streamlit replicas on loopback ports behind Debian's nginx, one session per replica.

    deploy/serve-class --replicas 4 --port 8080              # http://127.0.0.1:8080, Ctrl-C (or SIGTERM) stops all
    deploy/serve-class --replicas 4 --port 8080 --address 0.0.0.0 --pin   # the classroom network; replica i on core i

Streamlit keeps every session in the memory of the process that opened it, and its file uploads go to that process
by HTTP (``PUT /_stcore/upload_file/<session>/<file>``), apart from the session's websocket: a request that reaches
another replica fails with HTTP 400 (streamlit#2936, #4173). So the proxy must send all of one browser's requests to
one replica (session affinity). It does that with a cookie and stock nginx only:

- a browser without the cookie ``lstm_lab_replica`` gets one on its first response, whose value is that request's
  random ``$request_id``; the request itself was routed by the same value;
- every request is routed by ``hash $affinity consistent``, where ``$affinity`` is the cookie's value, or
  ``$request_id`` while there is no cookie yet. Equal key, equal replica: the page, its websocket, its uploads all
  go where the first response came from.

Why a cookie rather than ``hash $remote_addr``: a class behind one NAT or school proxy shows a single address, which
would put every student on one replica. With the cookie each browser is placed at random. Consistent hashing keeps
the placement when a replica is down (its browsers move, nobody else's).

Everything nginx writes (its config, pid file, temporary files, access and error logs) and every replica's log go
to one working folder (a new temporary folder, removed on exit, or ``--workdir``, kept). No system file is touched:
nginx runs as ``nginx -p <workdir> -c <workdir>/nginx.conf -g 'daemon off;'``. SIGTERM or SIGINT stops nginx and then
every replica; children also get SIGTERM if this process dies (PR_SET_PDEATHSIG). ``<workdir>/state.json`` lists the
children's pids and ports while they run.

Each replica runs with OPENBLAS_NUM_THREADS=1 (unless set otherwise in the environment): one session's matrix
products then use one core, and N replicas share N cores without oversubscribing them (README, "Serving a class").
"""

from __future__ import annotations

import argparse
import ctypes
import grp
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"
COOKIE = "lstm_lab_replica"
NGINX = "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """preexec_fn: SIGTERM this child when the process that started it dies (Linux prctl PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


class Replica:
    """One ``streamlit run app.py`` on 127.0.0.1:``port``, optionally pinned to ``cpus`` (taskset list, e.g. "0")."""

    def __init__(self, port: int, *, log: Path, cpus: str | None = None):
        self.port, self.log, self.cpus = port, log, cpus
        self.proc: subprocess.Popen | None = None

    def command(self) -> list[str]:
        pin = ["taskset", "-c", self.cpus] if self.cpus is not None else []
        return [*pin, sys.executable, "-m", "streamlit", "run", str(APP),
                "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(self.port),
                "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
                "--server.runOnSave", "false"]

    def start(self) -> "Replica":
        env = {"OPENBLAS_NUM_THREADS": "1", **os.environ, "PYTHONUNBUFFERED": "1"}
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(self.command(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env,
                                         start_new_session=True, preexec_fn=_die_with_parent)
        return self

    def wait_healthy(self, timeout: float = 60.0) -> None:
        """Poll /_stcore/health until it answers "ok"; RuntimeError (with the log's end) if the process exits."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit on port {self.port} exited with code {self.proc.returncode}:\n"
                                   f"{self.log_tail()}")
            if _healthy(f"http://127.0.0.1:{self.port}/_stcore/health"):
                return
            time.sleep(0.2)
        raise RuntimeError(f"streamlit on port {self.port} did not answer /_stcore/health within {timeout:.0f} s:\n"
                           f"{self.log_tail()}")

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def stop(self, timeout: float = 15.0) -> None:
        stop_process(self.proc, signal.SIGTERM, timeout)


def stop_process(proc: subprocess.Popen | None, sig: int, timeout: float) -> None:
    """Send ``sig``, wait up to ``timeout`` s, then SIGKILL; always reaps the child."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)


def max_upload_mb() -> int:
    """server.maxUploadSize of the app's .streamlit/config.toml (Streamlit's default 200 without one)."""
    try:
        with open(ROOT / ".streamlit" / "config.toml", "rb") as f:
            return int(tomllib.load(f).get("server", {}).get("maxUploadSize", 200))
    except FileNotFoundError:
        return 200


def nginx_config(workdir: Path, address: str, port: int, replica_ports: list[int]) -> str:
    """nginx.conf for the proxy: every path under ``workdir``, websocket upgrade, cookie affinity (module docstring).

    The request body limit is the app's upload limit plus 1 MB for the multipart framing (Streamlit itself refuses
    larger files with its own message)."""
    user = ""
    if os.geteuid() == 0:  # workers drop root; nginx chowns its temporary folders to this user
        nobody = pwd.getpwnam("nobody")
        user = f"user nobody {grp.getgrgid(nobody.pw_gid).gr_name};"
    servers = "\n".join(f"        server 127.0.0.1:{p};" for p in replica_ports)
    w = workdir
    return f"""# written by deploy/serve-class; nginx -p {w} -c {w}/nginx.conf -g 'daemon off;'
{user}
worker_processes 1;
pid {w}/nginx.pid;
error_log {w}/error.log notice;
events {{ worker_connections 4096; }}

http {{
    client_body_temp_path {w}/temp/client_body;
    proxy_temp_path {w}/temp/proxy;
    fastcgi_temp_path {w}/temp/fastcgi;
    uwsgi_temp_path {w}/temp/uwsgi;
    scgi_temp_path {w}/temp/scgi;

    # The affinity key: the browser's cookie, or (first request, no cookie yet) this request's random id, which the
    # response then sets as the cookie: both requests hash to the same replica.
    map $cookie_{COOKIE} $affinity {{
        ""      $request_id;
        default $cookie_{COOKIE};
    }}
    map $cookie_{COOKIE} $affinity_cookie {{
        ""      "{COOKIE}=$request_id; Path=/; HttpOnly; SameSite=Lax";
        default "";
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ""      "";
    }}

    log_format affinity '$time_iso8601 "$request" $status upstream=$upstream_addr affinity=$affinity';
    access_log {w}/access.log affinity;

    upstream streamlit_replicas {{
        hash $affinity consistent;
{servers}
        keepalive 16;
    }}

    server {{
        listen {address}:{port};
        client_max_body_size {max_upload_mb() + 1}m;
        large_client_header_buffers 4 256k;  # long share links: Streamlit, not nginx, decides what is too long

        location / {{
            proxy_pass http://streamlit_replicas;
            proxy_http_version 1.1;
            # No temporary files: nginx's workers (nobody, when started as root) may not reach the working folder
            # (a --workdir under a private folder), and a response or upload spooled there failed (the 4.7 MB Plotly
            # chunk, then "Failed to fetch dynamically imported module" in the browser). Responses are passed on
            # from memory buffers at the client's pace, uploads are streamed to the replica.
            proxy_max_temp_file_size 0;
            proxy_request_buffering off;
            proxy_set_header Host $http_host;  # with the port: Streamlit checks a websocket's Origin against it
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_read_timeout 1d;  # a websocket stays open while a student keeps the tab
            proxy_send_timeout 1d;
            add_header Set-Cookie $affinity_cookie always;  # an empty value adds no header
        }}
    }}
}}
"""


class ClassServer:
    """The replicas and nginx in front of them (``start``, ``serve_forever``, ``stop``)."""

    def __init__(self, replicas: int, port: int, *, address: str = "127.0.0.1", workdir: Path | None = None,
                 pin: bool = False, nginx: str = NGINX):
        self.n, self.port, self.address, self.pin, self.nginx_bin = replicas, port, address, pin, nginx
        self.keep = workdir is not None
        self.workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="serve-class-"))
        self.replicas: list[Replica] = []
        self.nginx: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.address in ("0.0.0.0", "") else self.address
        return f"http://{host}:{self.port}"

    def start(self) -> "ClassServer":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.workdir.chmod(0o711)  # nginx's workers (another user when started as root) reach temp/, list nothing
        (self.workdir / "temp").mkdir(exist_ok=True)
        cores = sorted(os.sched_getaffinity(0))
        for i in range(self.n):
            for attempt in range(3):  # a free port can be taken before streamlit binds it
                replica = Replica(free_port(), log=self.workdir / f"replica-{i + 1}.log",
                                  cpus=str(cores[i % len(cores)]) if self.pin else None).start()
                try:
                    replica.wait_healthy(timeout=120)
                    break
                except RuntimeError:
                    replica.stop()
                    if attempt == 2 or "already in use" not in replica.log_tail():
                        raise
            self.replicas.append(replica)
        conf = self.workdir / "nginx.conf"
        conf.write_text(nginx_config(self.workdir, self.address, self.port, [r.port for r in self.replicas]))
        with open(self.workdir / "nginx.out", "w") as out:
            self.nginx = subprocess.Popen([self.nginx_bin, "-p", str(self.workdir), "-c", str(conf),
                                           "-g", "daemon off;"], stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True, preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 30
        while not _healthy(f"{self.url}/_stcore/health"):
            if self.nginx.poll() is not None or time.monotonic() > deadline:
                logs = [self.workdir / name for name in ("nginx.out", "error.log")]
                raise RuntimeError(f"nginx did not start (exit code {self.nginx.poll()}):\n" + "".join(
                    path.read_text(errors="replace") for path in logs if path.exists()))
            time.sleep(0.1)
        (self.workdir / "state.json").write_text(json.dumps({
            "url": self.url, "nginx": {"pid": self.nginx.pid},
            "replicas": [{"port": r.port, "pid": r.proc.pid, "log": str(r.log)} for r in self.replicas]}, indent=1))
        return self

    def serve_forever(self) -> int:
        """Wait until a signal (returns 0) or a child's exit (returns 1, saying which)."""
        while True:
            for name, proc in [("nginx", self.nginx)] + [(f"replica on port {r.port}", r.proc) for r in self.replicas]:
                if proc.poll() is not None:
                    print(f"serve-class: {name} exited with code {proc.returncode}; stopping everything",
                          file=sys.stderr, flush=True)
                    return 1
            time.sleep(0.5)

    def stop(self) -> None:
        """nginx first (no new requests), then every replica; the working folder goes unless it was given."""
        stop_process(self.nginx, signal.SIGTERM, 10)  # nginx: TERM is its fast shutdown
        for replica in self.replicas:  # all at once, then wait for each
            if replica.proc.poll() is None:
                replica.proc.send_signal(signal.SIGTERM)
        for replica in self.replicas:
            replica.stop()
        if not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)


class _Stop(Exception):
    pass


def _raise_stop(signum, _frame) -> None:
    raise _Stop(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="serve-class", description=__doc__.split("\n\n")[0])
    ap.add_argument("--replicas", type=int, default=os.cpu_count() or 1,
                    help="Streamlit processes (default: one per core)")
    ap.add_argument("--port", type=int, default=8501, help="the proxy's port (default 8501)")
    ap.add_argument("--address", default="127.0.0.1",
                    help="the proxy's address (default 127.0.0.1; 0.0.0.0 serves the classroom network)")
    ap.add_argument("--workdir", type=Path, help="folder for nginx's files and the logs (kept; default: a new "
                                                 "temporary folder, removed on exit)")
    ap.add_argument("--pin", action="store_true", help="pin replica i to core i (mod the number of cores)")
    ap.add_argument("--nginx", default=shutil.which("nginx") or NGINX, help=f"nginx binary (default {NGINX})")
    args = ap.parse_args(argv)
    if args.replicas < 1:
        ap.error("--replicas must be at least 1")
    if not Path(args.nginx).exists():
        ap.error(f"nginx not found at {args.nginx}: apt-get install -y nginx (only the binary is used)")
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    server = ClassServer(args.replicas, args.port, address=args.address, workdir=args.workdir, pin=args.pin,
                         nginx=args.nginx)
    status = 0
    try:
        server.start()
        print(f"serve-class: LSTM Gate Lab at {server.url} ({args.replicas} replica(s) on ports "
              f"{', '.join(str(r.port) for r in server.replicas)}; nginx config and logs in {server.workdir}). "
              "Ctrl-C stops.", flush=True)
        status = server.serve_forever()
    except _Stop as stop:
        print(f"serve-class: {stop}, stopping", flush=True)
    except RuntimeError as exc:
        print(f"serve-class: {exc}", file=sys.stderr, flush=True)
        status = 1
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second signal must not interrupt the clean-up
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        server.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
