"""Class capacity benchmark (not a test): how many students one server core carries, at Streamlit's protocol level.

    python bench/bench_class.py                                     # 10, 20, 40, 80 students, 60 s each
    python bench/bench_class.py --students 10,20,40,80 --seconds 60
    python bench/bench_class.py --students 40 --seconds 30 --soak 40 --loads   # + memory soak, page loads

Each simulated student is a Streamlit session spoken to over Streamlit's own websocket protocol (bench/stclient.py:
the BackMsg/ForwardMsg messages the front end sends and reads), not a browser, so the students cost little and the
server's core is what is measured. The server (`streamlit run app.py`) is pinned to one core (`taskset -c 0`,
OPENBLAS_NUM_THREADS=1) and this script, with all its students, to another (``--client-cpu``).

For every class size: a fresh server; one warm-up visit to every page of the mix (a teacher checking the link);
then the students arrive, spread over ``--ramp`` seconds, each on a page (PAGES' ``start`` weights), and wait for
the script to finish. Each then acts every few seconds (``--think``, uniform) for ``--seconds``: it changes one
widget, chosen by the weights below among what is on its page, and waits for the run to finish (the student's next
action waits too). The latency of an action is the time from sending the change to Streamlit's ``script_finished``
(after any ``st.rerun``), which is what a browser shows as the end of the running indicator, minus the browser's
own drawing. Printed per class size: p50/p95/p99 of all actions, errors (exception elements, compile errors,
closed sockets, runs that did not finish within ``--timeout``), the server's CPU use and RSS (/proc) with every
student connected, and the memory per session: (RSS with the class connected − RSS after the warm-up) / students.

``--soak N``: N sessions in turn at the largest settings (D = 8, H = 64, T = 2000, session k with seed k, so every
session computes afresh): each opens the default page, steps t, visits every page of the mix, and closes. RSS
after each session is printed (the "soak curve"); the target is RSS flat within 20 % once the caches have filled.
``--loads``: one user opening each page at the largest settings, first time (nothing cached for the page), again,
and alone (a seed of its own: nothing cached for the lab either).

Where the pages come from: the url paths in PAGES below are app.py's route table's (ROUTES' url_path values; the
default page is served at ""); the script checks them against the navigation the server sends and stops with a
message if one is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.stclient import ProtocolError, RunResult, Session  # noqa: E402
from deploy.serve_class import Replica, free_port  # noqa: E402

LARGEST = {"D": 8, "H": 64, "T": 2000}  # the sidebar's upper limits (ui/state.py LIMITS)
SIZES = {"H": (4, 16), "T": (20, 100)}  # sidebar changes keep the class near the default sizes (D=2, H=8, T=40)


# ---- what a student does ------------------------------------------------------------------------------------------

Act = Callable[["Student"], Awaitable[RunResult]]


async def step_slider(s: "Student") -> RunResult:
    """Drag the step slider t a few steps (1–3) left or right."""
    t, T = int(s.session.value("t")[0]), int(s.session.widget("t").proto.max)
    new = min(max(t + s.rng.choice([-3, -2, -1, 1, 1, 2, 3]), 1), T)
    return await s.session.set("t", new if new != t else (t % T) + 1)


def step_button(prefix: str) -> Act:
    async def press(s: "Student") -> RunResult:
        """Press ◀ or ▶ beside the step slider (whichever is enabled)."""
        keys = [k for k in (f"{prefix}_next", f"{prefix}_prev") if not s.session.widget(k).proto.disabled]
        return await s.session.set(s.rng.choice(keys), True)
    return press


def slider_walk(key: str, steps: int = 1) -> Act:
    async def move(s: "Student") -> RunResult:
        """Move a slider by one or a few of its steps, within its range."""
        p = s.session.widget(key).proto
        v = s.session.value(key)[0]
        new = min(max(v + s.rng.choice([-1, 1]) * s.rng.randint(1, steps) * p.step, p.min), p.max)
        return await s.session.set(key, new if new != v else (p.min if v == p.max else v + p.step))
    return move


def choose(key: str) -> Act:
    async def pick(s: "Student") -> RunResult:
        """Pick another option of a segmented control / pills."""
        p = s.session.widget(key).proto
        now = s.session.value(key)
        options = [o.content for o in p.options if [o.content] != now]
        return await s.session.set(key, [s.rng.choice(options)])
    return pick


def toggle(key: str) -> Act:
    async def flip(s: "Student") -> RunResult:
        return await s.session.set(key, not s.session.value(key))
    return flip


def sidebar_size(key: str, delta: int) -> Act:
    async def change(s: "Student") -> RunResult:
        """Change a sidebar size by ±delta, kept within SIZES (near the defaults)."""
        lo, hi = SIZES[key]
        v = int(s.session.value(key) if key != "T" else s.session.value(key)[0])
        new = min(max(v + s.rng.choice([-delta, delta]), lo), hi)
        new = new if new != v else (v - delta if v + delta > hi else v + delta)
        return await s.session.set(key, new)
    return change


async def next_seed(s: "Student") -> RunResult:
    """Type the next seed (what "New random weights" does)."""
    return await s.session.set("seed", int(s.session.value("seed")) + 1)


@dataclass(frozen=True)
class Page:
    start: float  # weight of starting here (the link the teacher shared)
    visit: float  # weight of switching to it from another page
    actions: tuple[tuple[str, float, Act], ...]  # (name, weight, act) of what students change on it


PAGES: dict[str, Page] = {  # url path (app.py ROUTES' url_path; "" = the default page, Cell walkthrough) -> page
    "": Page(3, 3, (("cell: step slider t", 6, step_slider), ("cell: step ▶/◀", 4, step_button("cell")),
                    ("cell: unit slider", 1, slider_walk("cell_unit", 2)), ("cell: direction", 1, choose("cell_mode")))),
    "gates": Page(2, 2, (("gates: step slider t", 6, step_slider), ("gates: step ▶/◀", 3, step_button("gates")))),
    "gradients": Page(2, 3, (("gradients: weight scale", 4, slider_walk("scale", 3)),
                             ("gradients: length T", 1, slider_walk("T_grad", 20)))),
    "weights": Page(0, 1, (("weights: model", 1, choose("wp_model")),)),
    "explorer": Page(0, 1, (("explorer: view", 1, choose("ex_view")),)),
    "myths": Page(0, 1, (("myths: x-only variant", 1, toggle("myth_x_only")),)),
    "lessons": Page(1, 1, ()),
    "text": Page(0, 0.5, ()),
    "training": Page(0, 0.5, ()),  # nobody presses Train: that is a time-budgeted job (see README)
}
SIDEBAR: tuple[tuple[str, float, Act], ...] = (
    ("sidebar: H ±1", 0.5, sidebar_size("H", 1)), ("sidebar: T ±10", 0.5, sidebar_size("T", 10)),
    ("sidebar: next seed", 0.5, next_seed))
SWITCH_WEIGHT = 2.5  # relative weight of switching page, against the page's and the sidebar's actions


@dataclass
class Student:
    n: int
    session: Session
    rng: random.Random
    latencies: list[tuple[str, float]] = field(default_factory=list)  # (action, seconds)
    load_s: float = float("nan")
    errors: list[str] = field(default_factory=list)

    def next_action(self) -> tuple[str, Act | None, str | None]:
        """(name, act, None) or ("page switch", None, path), drawn by weight from what is on screen."""
        here = self.session.page
        options = [(name, w, act, None) for name, w, act in PAGES[here].actions + SIDEBAR]
        options += [(f"switch to /{path}", SWITCH_WEIGHT * page.visit / sum(p.visit for q, p in PAGES.items() if q != here),
                     None, path) for path, page in PAGES.items() if path != here and page.visit]
        name, _, act, path = self.rng.choices(options, weights=[o[1] for o in options])[0]
        return name, act, path


async def run_student(st: Student, path: str, arrive_at: float, until: float, think: tuple[float, float]) -> None:
    await asyncio.sleep(max(arrive_at - time.monotonic(), 0))
    try:
        st.load_s = (await st.session.open(path)).seconds
        st.errors += st.session.errors
        while not st.errors:
            await asyncio.sleep(st.rng.uniform(*think))
            if time.monotonic() >= until:
                break
            name, act, target = st.next_action()
            where, seen = st.session.page, len(st.session.errors)
            result = await (st.session.switch_page(target) if target is not None else act(st))
            st.latencies.append(("page switch" if target is not None else name, result.seconds))
            st.errors += [f"{name} (on /{where}): {e}" for e in st.session.errors[seen:]]
    except ProtocolError as exc:
        st.errors.append(str(exc))
    finally:
        await st.session.close()


# ---- the server ---------------------------------------------------------------------------------------------------

def proc_stat(pid: int) -> tuple[float, float]:
    """(RSS in MB, CPU seconds used so far) of a process, from /proc."""
    with open(f"/proc/{pid}/status") as f:
        rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return rss, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class NicedReplica(Replica):
    """A Replica at a scheduling priority (``--nice``: on a machine other jobs share, a negative value gives the
    server its core, which is what "students per core" asks about).

    The replica runs in a session of its own (setsid), and with the kernel's autogroups (sched_autogroup_enabled)
    a session's processes share one scheduling group that competes with every other session's as an equal,
    whatever their nice values: a niced server still got 15-25 % of its core beside other jobs. So the nice value
    is given to the process and to its autogroup (/proc/<pid>/autogroup; lowering it needs root)."""

    def __init__(self, *args, nice: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.nice = nice

    def command(self) -> list[str]:
        ttl = [] if Server.SESSION_TTL is None else ["--server.disconnectedSessionTTL", str(Server.SESSION_TTL)]
        return (["nice", "-n", str(self.nice)] if self.nice else []) + super().command() + ttl

    def start(self) -> "NicedReplica":
        super().start()
        if self.nice:
            try:
                Path(f"/proc/{self.proc.pid}/autogroup").write_text(str(self.nice))
            except OSError as exc:
                print(f"bench_class: could not set the server's autogroup nice ({exc}); it shares the core with "
                      "other sessions' jobs as an equal", flush=True)
        return self


class Server:
    """One `streamlit run app.py` pinned to ``cpu`` with OPENBLAS_NUM_THREADS=1 (deploy.serve_class.Replica)."""

    NICE = 0  # --nice
    SESSION_TTL: int | None = None  # --session-ttl (None: Streamlit's server.disconnectedSessionTTL, 120 s)

    def __init__(self, cpu: int, log: Path):
        self.replica = NicedReplica(free_port(), log=log, cpus=str(cpu), nice=self.NICE)

    def __enter__(self) -> "Server":
        self.replica.start()
        self.replica.wait_healthy(timeout=120)
        return self

    def __exit__(self, *exc) -> None:
        self.replica.stop()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.replica.port}"

    @property
    def pid(self) -> int:
        """The server's own pid (nice and taskset exec it, so it is the child's)."""
        return self.replica.proc.pid

    def stat(self) -> tuple[float, float]:
        return proc_stat(self.pid)


async def warm_up(server: Server, query: dict | None = None) -> None:
    """One visit to every page of the mix (and a check that the server's navigation has them all)."""
    s = Session(server.base)
    await s.open("", query)
    missing = [p for p in PAGES if p not in s.page_hashes]
    if missing:
        raise SystemExit(f"pages {missing} are not in the app's navigation {sorted(s.page_hashes)}: update PAGES in "
                         f"{Path(__file__).name} (its url paths are app.py's ROUTES')")
    for path in PAGES:
        await s.switch_page(path)
    await s.close()
    if s.errors:
        raise SystemExit(f"the warm-up visit saw errors: {s.errors}")


@dataclass
class ClassResult:
    students: int
    latencies: list[tuple[str, float]]
    loads: list[float]
    errors: list[str]
    rss_warm: float
    rss_class: float
    rss_peak: float
    server_cpu: float  # share of one core while the class was acting
    client_cpu: float  # share of the students' core used by this process
    cpu_per_action: float  # server CPU seconds from the first arrival to the end / (actions + first loads)


def py_spy(pid: int, out: Path | None) -> subprocess.Popen | None:
    """``py-spy record`` of the server while the class acts (``--profile``): raw stacks, one line per stack."""
    if out is None:
        return None
    return subprocess.Popen(["py-spy", "record", "-p", str(pid), "-r", "50", "-f", "raw", "-o", str(out),
                             "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def run_class(n: int, args, log: Path) -> ClassResult:
    with Server(args.server_cpu, log) as server:
        await warm_up(server)
        await asyncio.sleep(1)
        rss_warm, _ = server.stat()
        spy = py_spy(server.replica.proc.pid, args.profile and args.profile.with_suffix(f".{n}.txt"))
        rng = random.Random(args.seed * 1000 + n)
        starts = [p for p in PAGES if PAGES[p].start]
        t0 = time.monotonic()
        students = [Student(i, Session(server.base, timeout=args.timeout), random.Random(rng.random()))
                    for i in range(n)]
        until = t0 + args.ramp + args.seconds
        paths = rng.choices(starts, weights=[PAGES[p].start for p in starts], k=n)
        tasks = [asyncio.create_task(run_student(st, path, t0 + args.ramp * i / n, until, args.think))
                 for i, (st, path) in enumerate(zip(students, paths))]
        peak, samples, rss_class = rss_warm, [], None
        cpu0 = time.process_time()
        _, server_cpu0 = server.stat()
        while not all(t.done() for t in tasks):
            await asyncio.sleep(1)
            rss, cpu = server.stat()
            peak = max(peak, rss)
            samples.append((time.monotonic(), rss, cpu))
            if time.monotonic() >= until and rss_class is None:
                rss_class = rss  # every student still connected (their last actions finishing): the class's memory
        wall = time.monotonic() - t0
        if spy is not None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
            spy.wait(timeout=60)
        client_cpu = (time.process_time() - cpu0) / wall
        window = [(t, c) for t, _, c in samples if t0 + args.ramp <= t <= until]
        server_cpu = ((window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0])
                      if len(window) > 1 else (samples[-1][2] - server_cpu0) / wall)
        rss_class = rss_class if rss_class is not None else samples[-1][1]
        _, server_cpu_end = server.stat()
    lat = [x for st in students for x in st.latencies]
    loads = [st.load_s for st in students if np.isfinite(st.load_s)]
    return ClassResult(n, lat, loads, [e for st in students for e in st.errors], rss_warm, rss_class, peak,
                       server_cpu, client_cpu, (server_cpu_end - server_cpu0) / max(len(lat) + len(loads), 1))


# ---- server CPU per action ------------------------------------------------------------------------------------------

async def action_costs(server: Server, repeats: int, seed: int) -> dict[str, list[float]]:
    """One student alone does every action of the mix ``repeats`` times (page switches to each page); returns the
    server's CPU seconds per action (from /proc: the server's whole process, so measured wall-clock-free)."""
    rng = random.Random(seed)
    costs: dict[str, list[float]] = {}
    s = Session(server.base)
    await s.open("")
    st = Student(0, s, rng)
    for path, page in PAGES.items():
        for _ in range(repeats):
            await s.switch_page(path if path else "lessons")  # leave and come back: a real switch each time
            cpu0 = server.stat()[1]
            await s.switch_page(path)
            costs.setdefault(f"switch to /{path}", []).append(server.stat()[1] - cpu0)
        for name, _, act in page.actions + (SIDEBAR if path == "" else ()):
            for _ in range(repeats):
                cpu0 = server.stat()[1]
                await act(st)
                costs.setdefault(name, []).append(server.stat()[1] - cpu0)
    await s.close()
    if s.errors:
        raise SystemExit(f"the cost run saw errors: {s.errors}")
    return costs


def mix_weights() -> dict[str, float]:
    """Each action's share of all actions in the class mix, from PAGES' weights: the share of time on each page is
    taken as its visit weight (switches land on a page in proportion to it; a student leaves with probability
    SWITCH_WEIGHT / (its actions' weights + SIDEBAR's + SWITCH_WEIGHT), which the stay is inversely proportional to)."""
    stay = {p: (sum(a[1] for a in page.actions) + sum(a[1] for a in SIDEBAR) + SWITCH_WEIGHT) / SWITCH_WEIGHT
            for p, page in PAGES.items() if page.visit}
    time_share = {p: PAGES[p].visit * stay[p] for p in stay}
    total_time = sum(time_share.values())
    shares: dict[str, float] = {}
    for p, ts in time_share.items():
        total = sum(a[1] for a in PAGES[p].actions) + sum(a[1] for a in SIDEBAR) + SWITCH_WEIGHT
        for name, w, _ in PAGES[p].actions + SIDEBAR:
            shares[name] = shares.get(name, 0) + ts / total_time * w / total
        for q, page in PAGES.items():  # this page's switches, spread over the targets by visit weight
            if q != p and page.visit:
                share = ts / total_time * SWITCH_WEIGHT / total * page.visit / sum(
                    PAGES[r].visit for r in PAGES if r != p and PAGES[r].visit)
                shares[f"switch to /{q}"] = shares.get(f"switch to /{q}", 0) + share
    return shares


def report_costs(costs: dict[str, list[float]], think: tuple[float, float]) -> None:
    shares = mix_weights()
    print(f"\nServer CPU per action, one student alone (ms, mean of {len(next(iter(costs.values())))}: /proc counts "
          "10 ms ticks), and its share of the class mix:")
    mean = 0.0
    for name, values in costs.items():
        ms = statistics.fmean(values) * 1000
        mean += shares.get(name, 0) * ms
        print(f"  {name:<28} {ms:7.1f}   {shares.get(name, 0):6.1%}")
    rate = 2 / (think[0] + think[1])  # actions per second per student
    print(f"  mix-weighted mean: {mean:.1f} ms of server CPU per action; at one action per {1 / rate:.0f} s per "
          f"student one core is fully busy with {1000 / (mean * rate):.0f} students (at 50 % busy: "
          f"{500 / (mean * rate):.0f})")


# ---- soak and page loads at the largest settings ------------------------------------------------------------------

async def soak(server: Server, sessions: int, seed0: int = 0) -> list[tuple[int, float, float]]:
    """Sessions in turn at the largest settings, each its own seed; returns (session, seconds, RSS MB after it)."""
    curve = []
    for k in range(sessions):
        t0 = time.perf_counter()
        s = Session(server.base, timeout=300)
        await s.open("", {**LARGEST, "seed": seed0 + k})
        for v in (2, 3, 1000, 2000):
            await s.set("t", v)
        for path in PAGES:
            if path:
                await s.switch_page(path)
        await s.close()
        if s.errors:
            raise SystemExit(f"soak session {k + 1}: {s.errors}")
        await asyncio.sleep(0.5)
        curve.append((k + 1, time.perf_counter() - t0, server.stat()[0]))
        print(f"  soak session {k + 1:>3}: {curve[-1][1]:5.1f} s, server RSS {curve[-1][2]:7.0f} MB", flush=True)
    return curve


async def page_loads(server: Server, seed: int) -> list[tuple[str, float, float, float]]:
    """Open each page at the largest settings in a new session: first time (the pages in PAGES' order, one seed, so
    a page finds the lab an earlier page computed), again, and alone (a seed of its own: the page computes its lab
    too, as for a user whose link opens it first)."""
    out = []
    for k, path in enumerate(PAGES):
        times = []
        for page_seed in (seed, seed, seed + 1 + k):
            s = Session(server.base, timeout=300)
            times.append((await s.open(path, {**LARGEST, "seed": page_seed})).seconds)
            await s.close()
            if s.errors:
                raise SystemExit(f"/{path}: {s.errors}")
        out.append((path, *times))
    return out


# ---- report -------------------------------------------------------------------------------------------------------

def profile_summary(path: Path, top: int = 30) -> None:
    """The frames with the largest inclusive share of a py-spy raw profile (all threads)."""
    if not path.is_file():
        print(f"\nProfile {path}: not written (is py-spy installed, may it attach to the server, is the folder "
              "there?)")
        return
    inclusive, total = Counter(), 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        total += int(count)
        for frame in set(stack.split(";")):
            inclusive[frame] += int(count)
    print(f"\nProfile {path.name}: {total} samples at 50 Hz; frames by inclusive share:")
    for frame, count in inclusive.most_common(top):
        print(f"  {count / total:6.1%}  {frame[:140]}")


def pct(values, q) -> float:
    return float(np.percentile(values, q)) if len(values) else float("nan")


def report_class(results: list[ClassResult], args) -> None:
    print(f"\nOne server core (taskset -c {args.server_cpu}, OPENBLAS_NUM_THREADS=1, nice {args.nice}), students on "
          f"core {args.client_cpu}; default settings (D=2, H=8, T=40); {args.seconds:g} s of actions per student, one "
          f"every {args.think[0]:g}–{args.think[1]:g} s; arrivals over {args.ramp:g} s.")
    print(f"{'students':>8} {'actions':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'errors':>6} "
          f"{'load p50/p95 s':>15} {'server CPU':>10} {'CPU ms/act':>10} {'RSS MB':>8} {'MB/session':>10} "
          f"{'client CPU':>10}")
    for r in results:
        ms = [s * 1000 for _, s in r.latencies]
        print(f"{r.students:>8} {len(ms):>8} {pct(ms, 50):8.0f} {pct(ms, 95):8.0f} {pct(ms, 99):8.0f} "
              f"{max(ms, default=float('nan')):8.0f} {len(r.errors):>6} "
              f"{pct(r.loads, 50):7.2f}/{pct(r.loads, 95):<7.2f} {r.server_cpu:10.0%} {r.cpu_per_action * 1000:10.0f} "
              f"{r.rss_class:8.0f} {(r.rss_class - r.rss_warm) / r.students:10.1f} {r.client_cpu:10.0%}")
    print("server CPU: the share of its core the server used while the class acted (well below 100 % with long "
          "latencies: other processes had the core); CPU ms/act: its CPU time per action (and first load).")
    for r in results:
        if r.errors:
            print(f"errors with {r.students} students:")
            for text, count in Counter(r.errors).most_common(5):
                print(f"  {count} × {text[:200]}")
    print("\nBy action (all class sizes; ms):")
    print(f"{'action':<28}" + "".join(f"{f'{r.students} p50/p95':>16}" for r in results))
    names = sorted({a for r in results for a, _ in r.latencies})
    for name in names:
        cells = []
        for r in results:
            ms = [s * 1000 for a, s in r.latencies if a == name]
            cells.append(f"{len(ms):>4}× {pct(ms, 50):4.0f}/{pct(ms, 95):<5.0f}" if ms else f"{'-':>16}")
        print(f"{name:<28}" + "".join(f"{c:>16}" for c in cells))


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def main_async(args) -> int:
    logs = ROOT / "artifacts" / "bench"
    logs.mkdir(parents=True, exist_ok=True)
    print(f"bench_class: load average at start {load_average()} ({os.cpu_count()} cores)", flush=True)
    results = []
    for n in args.students:
        print(f"  {n} students …", flush=True)
        r = await run_class(n, args, logs / f"class-server-{n}.log")
        ms = [s * 1000 for _, s in r.latencies]
        print(f"  {n} students: {len(ms)} actions, p50 {pct(ms, 50):.0f} ms, p95 {pct(ms, 95):.0f} ms, "
              f"{len(r.errors)} errors, server CPU {r.server_cpu:.0%}, RSS {r.rss_class:.0f} MB; "
              f"load average {load_average()}", flush=True)
        results.append(r)
        if args.profile:
            profile_summary(args.profile.with_suffix(f".{n}.txt"))
    if results:
        report_class(results, args)
    status = 0 if all(not r.errors for r in results) else 1
    if args.costs:
        with Server(args.server_cpu, logs / "class-server-costs.log") as server:
            await warm_up(server)
            report_costs(await action_costs(server, args.costs, args.seed), args.think)
    if args.loads or args.soak:
        with Server(args.server_cpu, logs / "class-server-largest.log") as server:
            if args.loads:
                await warm_up(server)  # imports and first runs at the default settings, as a server in use
                rows = await page_loads(server, seed=12345)
                print(f"\nPage loads at the largest settings ({', '.join(f'{k} = {v}' for k, v in LARGEST.items())}), "
                      "one user, a new session each (s; first time for these settings, then again; alone: "
                      "with a seed of its own, nothing cached):")
                for path, first, again, alone in rows:
                    print(f"  /{path:<12} {first:6.2f} {again:6.2f} {alone:6.2f}")
            if args.soak:
                print(f"\nSoak: {args.soak} sessions in turn at the largest settings, session k with seed k "
                      "(disconnected sessions are kept by Streamlit for server.disconnectedSessionTTL = 120 s):")
                rss0 = server.stat()[0]
                curve = await soak(server, args.soak)
                rss = [c[2] for c in curve]
                settled = rss[len(rss) // 4:]
                print(f"  RSS before {rss0:.0f} MB; after session 1 {rss[0]:.0f} MB, max {max(rss):.0f} MB, last "
                      f"{rss[-1]:.0f} MB; over sessions {len(rss) // 4 + 1}–{len(rss)}: max/min "
                      f"{max(settled) / min(settled):.2f} (target ≤ 1.20)")
                print("  curve (session: MB): " + ", ".join(f"{k}: {m:.0f}" for k, _, m in curve))
    print(f"\nload average at the end {load_average()}")
    return status


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--students", type=lambda s: [int(x) for x in s.split(",") if x], default=[10, 20, 40, 80],
                    help="class sizes to run, comma-separated (default 10,20,40,80)")
    ap.add_argument("--seconds", type=float, default=60.0, help="acting time per student (default 60)")
    ap.add_argument("--think", type=lambda s: tuple(float(x) for x in s.split(",")), default=(2.0, 6.0),
                    help="seconds between a student's actions, uniform between two values (default 2,6)")
    ap.add_argument("--ramp", type=float, default=10.0, help="students arrive spread over this many s (default 10)")
    ap.add_argument("--timeout", type=float, default=120.0, help="a run not finished after this many s is an error")
    ap.add_argument("--soak", type=int, default=0, help="also N sessions in turn at the largest settings")
    ap.add_argument("--costs", type=int, default=0, metavar="N",
                    help="also the server CPU of each action, one student doing each N times")
    ap.add_argument("--loads", action="store_true", help="also page loads at the largest settings (one user)")
    ap.add_argument("--server-cpu", type=int, default=0, help="core the server is pinned to (default 0)")
    ap.add_argument("--client-cpu", type=int, default=1, help="core the students run on (default 1)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the students' choices")
    ap.add_argument("--session-ttl", type=int, metavar="S",
                    help="server.disconnectedSessionTTL: Streamlit keeps a closed session (its state and the "
                         "messages it was sent) this many seconds for a reconnect (default 120). A soak whose "
                         "sessions take a few seconds each then holds the last ~120 s of sessions at once; a short "
                         "TTL shows what stays after them (the caches)")
    ap.add_argument("--nice", type=int, default=0,
                    help="start the server under nice -n NICE (e.g. -10 on a machine other jobs share; default 0)")
    ap.add_argument("--profile", type=Path, help="record the server with py-spy while each class acts, raw stacks "
                                                 "to PROFILE.<students>.txt, and print the frames that take most of it")
    args = ap.parse_args()
    os.sched_setaffinity(0, {args.client_cpu})
    Server.NICE = args.nice
    Server.SESSION_TTL = args.session_ttl
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())
