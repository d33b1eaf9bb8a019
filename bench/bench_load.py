"""Load benchmark (not a test): N concurrent browser sessions keep moving sliders for a fixed time; prints the p50 and
p95 rerun latency and whether every session stayed error-free.

    python bench/bench_load.py                      # 8 sessions, 30 s of slider changes each
    python bench/bench_load.py --sessions 4 --seconds 10
    python bench/bench_load.py --warm               # one visit per page first, then the class arrives

One `streamlit run app.py` server on 127.0.0.1 at a free port, one Debian chromium with one browser context (its own
Streamlit session) per simulated student. Sessions alternate between two pages, so the load mixes a light and a
heavy rerun:

- Cell walkthrough ("/"): the step slider t (a fragment rerun: redraw the diagram with its animation frames);
- Gradient flow ("/gradients"): the weight-scale slider (both models forward + BPTT and the RNN Jacobian products).

Each session behaves like a student: press a key on the slider, wait until that rerun has finished, press the next
(ten steps right, ten back, …). The rerun latency is measured inside the page, on its own clock: from the key press
to Streamlit's script state `notRunning` (`[data-testid=stApp][data-test-script-state]`). The run is bounded: after
--seconds no new key is pressed, every session's last rerun gets at most --rerun-timeout seconds, then everything
stops. Exit status 1 if any session saw an error (exception box, dialog, JavaScript error, a rerun that never
finished) or made no change at all.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.browser import (  # noqa: E402  (the same server / browser machinery as the e2e tests)
    ARTIFACTS,
    IDLE,
    INIT_SCRIPT,
    LOAD_TIMEOUT_MS,
    READY,
    UNSEEN_RUN_MS,
    VIEWPORT,
    StreamlitServer,
    launch_chromium,
)

from ui import routes  # noqa: E402

SCENARIOS = [  # (label, URL path, slider key)
    ("cell: step t", routes.by_path("cell").url, "t"),
    ("gradients: weight scale", routes.by_path("gradients").url, "scale"),
]


@dataclass
class Session:
    n: int
    label: str
    load_s: float = float("nan")
    latencies_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unseen: int = 0  # reruns the server answered but too fast for the script-state observer (not timed)


class StartLine:
    """Every session loads its page first; the slider clock starts when the last one has loaded (or failed)."""

    def __init__(self, sessions: int, seconds: float):
        self.waiting, self.seconds = sessions, seconds
        self.go = asyncio.Event()
        self.deadline = float("inf")

    async def arrive(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.deadline = time.monotonic() + self.seconds
            self.go.set()
        await self.go.wait()


async def student(browser, server: StreamlitServer, n: int, start: StartLine, rerun_timeout_ms: float) -> Session:
    label, path, key = SCENARIOS[n % len(SCENARIOS)]
    s = Session(n, label)
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(INIT_SCRIPT)
    page = await context.new_page()
    page.on("pageerror", lambda exc: s.errors.append(f"JavaScript error: {exc}"))
    sent = []  # first byte of each websocket message to the server: 0x5a = BackMsg field 11, rerun_script
    received = []  # every websocket message from the server (a rerun always sends some: deltas, script finished)

    def watch(ws) -> None:
        ws.on("framesent", lambda payload: sent.append((payload if isinstance(payload, bytes) else payload.encode())[:1]))
        ws.on("framereceived", lambda payload: received.append(1))

    page.on("websocket", watch)
    arrived = False
    try:
        t0 = time.monotonic()
        await page.goto(server.url(path), timeout=LOAD_TIMEOUT_MS)
        await page.wait_for_function(READY, arg=IDLE, timeout=LOAD_TIMEOUT_MS)
        s.load_s = time.monotonic() - t0
        for text in await page.locator("[data-testid=stException]").all_inner_texts():
            raise RuntimeError(f"exception on load: {text.strip()[:300]}")
        thumb = page.locator(f".st-key-{key} input[type=range]")
        await thumb.focus()
        arrived = True
        await start.arrive()
        presses = 0
        while time.monotonic() < start.deadline and not s.errors:
            direction = "ArrowRight" if (presses // 10) % 2 == 0 else "ArrowLeft"  # ten steps right, ten back
            before = await page.evaluate("window.__e2e.idle")
            nsent, nreceived = len(sent), len(received)
            await thumb.press(direction)
            try:
                await page.wait_for_function(
                    "([n, sel]) => window.__e2e.idle > n && document.querySelector(sel) !== null",
                    arg=[before, IDLE], timeout=UNSEEN_RUN_MS)
            except Exception:  # noqa: BLE001
                idle_now = await page.evaluate("sel => document.querySelector(sel) !== null", IDLE)
                if idle_now and len(received) > nreceived:
                    # The server answered and the app is idle: the run was too fast for the state observer
                    # (running and notRunning in one render). Counted, not timed.
                    s.unseen += 1
                    presses += 1
                    continue
                try:
                    await page.wait_for_function(
                        "([n, sel]) => window.__e2e.idle > n && document.querySelector(sel) !== null",
                        arg=[before, IDLE], timeout=rerun_timeout_ms)
                    idle_at, input_at = await page.evaluate("[window.__e2e.idleAt, window.__e2e.inputAt]")
                    s.latencies_ms.append(idle_at - input_at)
                    presses += 1
                    continue
                except Exception:  # noqa: BLE001 - a rerun that never finished is this session's error
                    pass
                state = await page.evaluate(
                    "[document.querySelector('[data-testid=stApp]').getAttribute('data-test-script-state'),"
                    " window.__e2e.log.slice(-3).map(x => x[0]).join('>'), window.__e2e.runs, window.__e2e.idle]")
                s.errors.append(f"rerun after key press {presses + 1} ({direction}, slider at "
                                f"{await thumb.get_attribute('value')}) did not finish in {rerun_timeout_ms / 1000:.0f} s;"
                                f" script state {state[0]}, last states {state[1]}, runs {state[2]}, idle {state[3]};"
                                f" rerun requests the browser sent after the press: {sent[nsent:].count(b'Z')}")
                break
            idle_at, input_at = await page.evaluate("[window.__e2e.idleAt, window.__e2e.inputAt]")
            s.latencies_ms.append(idle_at - input_at)
            presses += 1
        for what, selector in (("exception", "[data-testid=stException]"), ("dialog", "[role=dialog]")):
            for text in await page.locator(selector).all_inner_texts():
                s.errors.append(f"{what}: {text.strip()[:200]}")
    except Exception as exc:  # noqa: BLE001 - report it, keep the other sessions going
        s.errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    finally:
        if not arrived:
            await start.arrive()
        await context.close()
    return s


async def warm_up(browser, server: StreamlitServer) -> None:
    """One visit to every benchmarked page before the class arrives (as a teacher checking the link would)."""
    context = await browser.new_context(viewport=VIEWPORT)
    await context.add_init_script(INIT_SCRIPT)
    page = await context.new_page()
    for _, path, _ in SCENARIOS:
        await page.goto(server.url(path), timeout=LOAD_TIMEOUT_MS)
        await page.wait_for_function(READY, arg=IDLE, timeout=LOAD_TIMEOUT_MS)
    await context.close()


async def run(sessions: int, seconds: float, rerun_timeout: float, warm: bool) -> list[Session]:
    from playwright.async_api import async_playwright

    server = StreamlitServer("bench-load").start()
    try:
        async with async_playwright() as pw:
            try:
                browser = await launch_chromium(pw)  # the e2e tests' launcher: Debian's chromium, same flags
            except RuntimeError as exc:  # chromium missing: the message says how to install it
                raise SystemExit(str(exc)) from None
            try:
                if warm:
                    await warm_up(browser, server)
                start = StartLine(sessions, seconds)
                tasks = [student(browser, server, n, start, rerun_timeout * 1000) for n in range(sessions)]
                bound = LOAD_TIMEOUT_MS / 1000 + seconds + rerun_timeout + 60  # hard stop, whatever happens
                return await asyncio.wait_for(asyncio.gather(*tasks), timeout=bound)
            finally:
                await browser.close()
    finally:
        server.stop()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--seconds", type=float, default=30.0, help="slider-changing time per session")
    ap.add_argument("--rerun-timeout", type=float, default=60.0, help="give up on one rerun after this many s")
    ap.add_argument("--warm", action="store_true",
                    help="visit each page once before the sessions start (default: all sessions hit a fresh server)")
    args = ap.parse_args()
    t0 = time.monotonic()
    results = asyncio.run(run(args.sessions, args.seconds, args.rerun_timeout, args.warm))
    wall = time.monotonic() - t0
    status = report(results, args, wall)
    errors = [line for line in (ARTIFACTS / "server-bench-load.log").read_text(errors="replace").splitlines()
              if line and not line[0].isspace() and ("Error" in line or "Exception" in line)]
    if errors:  # the browser shows students no details (client.showErrorDetails): the server log has them
        print(f"server log ({ARTIFACTS / 'server-bench-load.log'}):")
        for line, count in Counter(errors).most_common(5):
            print(f"  {count} × {line[:200]}")
    return status


def report(results: list[Session], args, wall: float) -> int:
    print(f"LSTM Gate Lab load benchmark: {args.sessions} concurrent browser sessions, {args.seconds:g} s of slider "
          f"changes each, one server on 127.0.0.1{' (warmed up first)' if args.warm else ' (fresh)'}, "
          f"{wall:.0f} s wall clock in all")
    print(f"{'session':>7}  {'scenario':<26} {'load s':>7} {'changes':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  status")
    for s in results:
        lat = np.asarray(s.latencies_ms)
        cols = (f"{np.percentile(lat, 50):8.0f} {np.percentile(lat, 95):8.0f} {lat.max():8.0f}" if lat.size
                else f"{'-':>8} {'-':>8} {'-':>8}")
        status = "ok" if not s.errors and lat.size else ("; ".join(s.errors) or "no change made")
        status += f" ({s.unseen} more reruns answered too fast to time)" if s.unseen else ""
        print(f"{s.n:>7}  {s.label:<26} {s.load_s:7.1f} {lat.size:8d} {cols}  {status}")
    print()
    for label, *_ in SCENARIOS:
        lat = np.concatenate([s.latencies_ms for s in results if s.label == label] or [[]])
        if lat.size:
            print(f"{label:<26} rerun latency: p50 {np.percentile(lat, 50):.0f} ms, p95 {np.percentile(lat, 95):.0f} ms "
                  f"({lat.size} changes)")
    lat = np.concatenate([s.latencies_ms for s in results] or [[]])
    ok = all(not s.errors and s.latencies_ms for s in results)
    if lat.size:
        print(f"{'all sessions':<26} rerun latency: p50 {np.percentile(lat, 50):.0f} ms, p95 "
              f"{np.percentile(lat, 95):.0f} ms ({lat.size} changes, {lat.size / args.seconds:.1f} per s)")
    loads = [s.load_s for s in results if np.isfinite(s.load_s)]
    if loads:
        print(f"{'first load':<26} median {statistics.median(loads):.1f} s, max {max(loads):.1f} s")
    print("every session stayed error-free" if ok else "SOME SESSIONS HAD ERRORS (see status above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
