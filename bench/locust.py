"""Benchmark: events/s of one Locust worker process playing sosim sessions, against plain Locust and
``sosim run``, on the same receiver in one run; and the cost per event of sosim's code inside Locust.

Prints figures; it is not a test. The receiver (nginx answering 200 to ``POST /webhook``, or sosim's own
receiver) runs on core 1; every sender runs on core 0. Each round measures, one after the other:

(a) plain Locust: one worker process (``--processes 1``) of ``FastHttpUser``s posting the
    scenario's first 2,000 rendered, signed requests round and round through ``self.client.post``:
    the same bodies, headers and event names as (b) sends, nothing generated or checked. Locust's
    client adds ``Accept-Encoding`` to each, which (b) does not send (``sosim run``'s bytes);
(b) sosim in Locust: one worker process of the shipped locustfile's ``SosimUser``s playing the
    scenario at full speed, every event generated, signed, sent with NetServer's rules and recorded;
(c) ``sosim run --max-rate`` (the asyncio engine) on the same receiver, for comparison.

Locust's rate and CPU time are measured inside the worker, between ``spawning_complete`` and
``test_stopping``, by a small listener locustfile passed next to the real one (``-f a.py,b.py``).
Rounds alternate (a), (b), (c), and the table shows the best round of each (with the median):
other work on the machine only ever slows a round down. (d) splits sosim's own cost per event
into generation, rendering and signing, NetServer's rules with pacing, and recording, measured in
this process without a network.

Targets: (b) at least 8,000 events/s, and no more than 15% below (a).

    python -m bench.locust                           # 5 rounds of 6 s, about 2 minutes
    python -m bench.locust --rounds 5 --seconds 15 --users 64
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench._host import BenchError, child_setup, free_port, pin_to_core
from bench.send import DEFAULT_SCENARIO, SENDER_CORE, Table, bench_plan, deliver, open_receiver
from simulator.core.events import Request, render
from simulator.core.generate import make_generator
from simulator.core.outcome import Attempt, StateChange
from simulator.core.scenario import Scenario, load_scenario, webhook_for
from simulator.locust import LOCUSTFILE
from simulator.locust.cluster import WorkerRecorder
from simulator.locust.play import Answer, Headers, Recorder, SessionPlayer, SpeedPacing

SECRET = "bench-secret"
SECRET_ENV = "SOSIM_BENCH_SECRET"
TARGET_RATE = 8_000.0
MAX_OVERHEAD = 0.15
SPEED = "1000000"  # the scenario's delays vanish: users send as fast as the receiver answers
SESSIONS_FOR_COSTS = 400

# The listener locustfile: pins the worker to the sender core and measures it in steady state.
MEASURE = """\
import json, os, time
from locust import events
from locust.runners import MasterRunner

_count = [0]
_start = {}

@events.init.add_listener
def _pin(environment, runner, **kw):
    cores = os.sched_getaffinity(0)
    role = "BENCH_MASTER_CORE" if isinstance(runner, MasterRunner) else "BENCH_SENDER_CORE"
    wanted = {int(os.environ[role])}
    if wanted <= cores:
        os.sched_setaffinity(0, wanted)

@events.request.add_listener
def _counted(**kw):
    _count[0] += 1

@events.spawning_complete.add_listener
def _started(**kw):
    _start.update(cpu=time.process_time(), wall=time.perf_counter(), n=_count[0])

@events.test_stopping.add_listener
def _stopped(environment, **kw):
    if not _start or isinstance(environment.runner, MasterRunner):
        return
    figures = {
        "requests": _count[0] - _start["n"],
        "cpu_s": time.process_time() - _start["cpu"],
        "wall_s": time.perf_counter() - _start["wall"],
    }
    with open(os.environ["BENCH_OUT"], "w") as out:
        json.dump(figures, out)
"""

# Plain Locust: the same kind of user posting the scenario's own requests (their bodies, headers
# and event names, so it sends what sosim sends), pre-rendered, through Locust's standard client.
PLAIN = """\
import itertools, json, os
from locust import FastHttpUser, constant, task

with open(os.environ["BENCH_PLAIN_REQUESTS"], encoding="utf-8") as _file:
    _POOL = [(r["body"].encode(), dict(r["headers"]), r["event"]) for r in json.load(_file)]
_users = itertools.count()

class PlainUser(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        start = next(_users) * 31 % len(_POOL)  # users spread over the pool
        self._requests = itertools.cycle(_POOL[start:] + _POOL[:start])

    @task
    def post(self):
        body, headers, name = next(self._requests)
        self.client.post("", data=body, headers=headers, name=name)
"""
#: Requests in (a)'s pool: enough for the scenario's mix of event types and body sizes.
PLAIN_POOL = 2_000


@dataclass(frozen=True, slots=True)
class WorkerFigures:
    """One Locust worker's steady state: requests, CPU seconds and wall seconds."""

    requests: int
    cpu_s: float
    wall_s: float

    @property
    def rate(self) -> float:
        """Requests per second of wall time."""
        return self.requests / self.wall_s

    @property
    def cpu_us(self) -> float:
        """CPU microseconds per request in the worker."""
        return self.cpu_s / self.requests * 1e6


def run_locust(
    files: Sequence[Path], url: str, args: argparse.Namespace, extra: Sequence[str], env: dict[str, str]
) -> WorkerFigures:
    """One headless Locust run, one worker process; its steady-state figures."""
    with tempfile.TemporaryDirectory(prefix="sosim-bench-locust-") as tmp:
        out = Path(tmp) / "figures.json"
        port = str(free_port())
        command = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            ",".join(str(file) for file in files),
            *("--headless", "--processes", "1", "--only-summary", "--loglevel", "WARNING"),
            *("--master-bind-host", "127.0.0.1", "--master-bind-port", port, "--master-port", port),
            *("-u", str(args.users), "-r", str(args.users * 100), "-t", f"{args.seconds:g}s"),
            *("--host", url, *extra),
        ]
        done = subprocess.run(
            command,
            env={**env, "BENCH_OUT": str(out)},
            capture_output=True,
            text=True,
            timeout=args.seconds + 120,
            check=False,
            preexec_fn=child_setup(SENDER_CORE),
        )
        if not out.exists():
            raise BenchError(f"locust exited {done.returncode} without figures: {done.stderr[-2000:]}")
        figures = json.loads(out.read_text(encoding="utf-8"))
    if not figures["requests"]:
        raise BenchError("a Locust run sent nothing")
    return WorkerFigures(figures["requests"], figures["cpu_s"], figures["wall_s"])


@dataclass(frozen=True, slots=True)
class Costs:
    """sosim's own work per event inside Locust, in microseconds, measured without a network."""

    generate: float
    render: float
    rules: float
    record: float

    @property
    def total(self) -> float:
        """All of sosim's per-event work."""
        return self.generate + self.render + self.rules + self.record


class _Clock:
    def now(self) -> float:
        return time.perf_counter()

    def sleep_until(self, deadline: float) -> None:
        """Never waits: the costs are CPU time."""


class _Discard:
    def handle_attempt(self, attempt: Attempt) -> None:
        """Drop it."""

    def handle_state(self, change: StateChange) -> None:
        """Drop it."""


def _best_us(run: Callable[[], object], events: int, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times) / events * 1e6


def measure_costs(scenario: Scenario, sessions: int = SESSIONS_FOR_COSTS) -> Costs:
    """Per-event microseconds of generation, render+sign, rules+pacing and recording (best of 5)."""
    generator = make_generator(scenario, time_scale=1e-6)
    webhook = webhook_for(scenario, SECRET)
    plans = [generator.session(index, 0.0) for index in range(sessions)]
    events = sum(len(plan.events) for plan in plans)
    ok = Answer(200)

    def send(request: Request, headers: Headers) -> Answer:
        return ok

    def play(recorder: Callable[[], Recorder]) -> Callable[[], None]:
        def run() -> None:
            player = SessionPlayer(webhook, scenario.name, _Clock(), recorder())
            pacing = SpeedPacing(1e6)
            for plan in plans:
                player.play(plan, pacing, send)

        return run

    generate = _best_us(lambda: [generator.session(index, 0.0) for index in range(sessions)], events)
    rendering = _best_us(lambda: [render(t.event, webhook) for plan in plans for t in plan.events], events)
    with_rules = _best_us(play(_Discard), events)
    with_recording = _best_us(play(WorkerRecorder), events)
    return Costs(generate, rendering, with_rules - rendering, with_recording - with_rules)


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything one benchmark run measured."""

    receiver: str
    plain: list[WorkerFigures]
    sosim: list[WorkerFigures]
    engine: list[float]  # sosim run --max-rate, events/s
    costs: Costs


def measure_all(args: argparse.Namespace, stack: contextlib.ExitStack) -> Figures:
    """Start the receiver (stopped by ``stack``) and run the rounds."""
    scenario = load_scenario(args.scenario)
    for _ in bench_plan(scenario, 2_000):  # fill the Faker identity pools before (c) is timed
        pass
    receiver = open_receiver(args.receiver, install=not args.no_install, stack=stack)
    print(f"receiver: {receiver.name} at {receiver.url}", flush=True)
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sosim-bench-files-")))
    measure, plain = tmp / "bench_measure.py", tmp / "bench_plain.py"
    measure.write_text(MEASURE, encoding="utf-8")
    plain.write_text(PLAIN, encoding="utf-8")
    requests = tmp / "bench_plain_requests.json"
    pool = [p.request for p in bench_plan(scenario, PLAIN_POOL)]
    requests.write_text(
        json.dumps([{"event": r.event, "headers": r.headers, "body": r.body.decode()} for r in pool]),
        encoding="utf-8",
    )
    env = {
        **os.environ,
        SECRET_ENV: SECRET,
        "BENCH_SENDER_CORE": str(SENDER_CORE),
        "BENCH_MASTER_CORE": str(1 - SENDER_CORE if (os.cpu_count() or 1) > 1 else SENDER_CORE),
        "BENCH_PLAIN_REQUESTS": str(requests),
    }
    sosim_options = [
        *("--scenario", str(args.scenario), "--secret-env", SECRET_ENV, "--speed", SPEED),
        *("--stop-timeout", "0"),
    ]
    figures: dict[str, list[WorkerFigures]] = {"plain": [], "sosim": []}
    engine: list[float] = []
    for round_ in range(1, args.rounds + 1):
        print(f"round {round_}/{args.rounds}: (a) plain Locust ...", flush=True)
        figures["plain"].append(run_locust([plain, measure], receiver.url, args, [], env))
        print(f"round {round_}/{args.rounds}: (b) sosim in Locust ...", flush=True)
        figures["sosim"].append(run_locust([LOCUSTFILE, measure], receiver.url, args, sosim_options, env))
        print(f"round {round_}/{args.rounds}: (c) sosim run --max-rate ...", flush=True)
        run = deliver("(c)", receiver.url, bench_plan(scenario, 10**7), max_rate=True, seconds=args.seconds)
        if run.stats.delivered == 0:
            raise BenchError("(c) sosim run delivered nothing")
        engine.append(run.rate)
    print("(d) sosim's cost per event ...", flush=True)
    return Figures(receiver.name, figures["plain"], figures["sosim"], engine, measure_costs(scenario))


def _spread(values: Sequence[float], unit: str = "") -> str:
    return f"{max(values):,.0f}{unit} (median {statistics.median(values):,.0f}, min {min(values):,.0f})"


def build_table(figures: Figures, users: int) -> Table:
    """The best round of each, its targets and ratios, and the cost split."""
    table = Table()
    table.add("receiver", figures.receiver)
    # Best of the rounds: other work on the machine only ever slows a round down.
    plain = max(f.rate for f in figures.plain)
    sosim = max(f.rate for f in figures.sosim)
    engine = max(figures.engine)
    plain_cpu = min(f.cpu_us for f in figures.plain)
    sosim_cpu = min(f.cpu_us for f in figures.sosim)
    table.add(
        f"(a) plain Locust, 1 worker, {users} FastHttpUsers, pre-rendered requests",
        _spread([f.rate for f in figures.plain], " req/s"),
        "ceiling",
    )
    table.add(
        f"(b) sosim in Locust, 1 worker, {users} SosimUsers",
        _spread([f.rate for f in figures.sosim], " ev/s"),
        f">= {TARGET_RATE:,.0f}/s",
        f"{sosim / TARGET_RATE:.2f}x target -> {'met' if sosim >= TARGET_RATE else 'MISSED'}",
    )
    overhead = 1 - sosim / plain
    table.add(
        "(b) vs (a): throughput given up to sosim (wall clock)",
        f"{overhead:.1%}",
        f"<= {MAX_OVERHEAD:.0%}",
        "met" if overhead <= MAX_OVERHEAD else "MISSED",
    )
    # CPU time per request is steadier than wall-clock rates on a shared machine: it is what one
    # core of the worker's own would give.
    cpu_overhead = 1 - plain_cpu / sosim_cpu
    table.add(
        "worker CPU per request: (a) / (b)",
        f"{plain_cpu:.1f} us / {sosim_cpu:.1f} us",
        "",
        f"sosim adds {sosim_cpu - plain_cpu:.1f} us",
    )
    per_core = 1e6 / sosim_cpu
    table.add(
        "(b) per CPU-second of the worker (a core of its own)",
        f"{per_core:,.0f} ev/s",
        f">= {TARGET_RATE:,.0f}/s",
        f"{per_core / TARGET_RATE:.2f}x target -> {'met' if per_core >= TARGET_RATE else 'MISSED'}",
    )
    table.add(
        "(b) vs (a) per CPU-second",
        f"{cpu_overhead:.1%}",
        f"<= {MAX_OVERHEAD:.0%}",
        "met" if cpu_overhead <= MAX_OVERHEAD else "MISSED",
    )
    table.add(
        "(c) sosim run --max-rate (asyncio engine)",
        _spread(figures.engine, " ev/s"),
        "",
        f"{engine / sosim:.2f}x (b)",
    )
    costs = figures.costs
    table.add(
        "(d) sosim per event: generate / render+sign / rules+pacing / record",
        f"{costs.generate:.1f} / {costs.render:.1f} / {costs.rules:.1f} / {costs.record:.1f} us",
        "",
        f"{costs.total:.1f} us in all, no network",
    )
    budget = plain_cpu * (1 / (1 - MAX_OVERHEAD) - 1)
    table.add(
        f"(d) budget per event for a {MAX_OVERHEAD:.0%} cost at (a)'s CPU per request", f"{budget:.1f} us"
    )
    return table


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds of (a), (b), (c)")
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each run")
    parser.add_argument("--users", type=int, default=64, help="Locust users in (a) and (b)")
    parser.add_argument("--receiver", choices=("auto", "nginx", "builtin"), default="auto")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install nginx")
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO, help="scenario file")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.users < 1 or args.seconds < 3:
        parser.error("--rounds and --users must be at least 1, --seconds at least 3")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; 1 on setup errors, 0 otherwise."""
    args = parse_args(argv)
    pinned = pin_to_core(SENDER_CORE)
    print(
        f"sosim Locust benchmark: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, senders "
        f"{'pinned to core 0' if pinned else 'not pinned'}, load average {os.getloadavg()[0]:.2f} "
        "(other work on the machine skews every figure)"
    )
    try:
        with contextlib.ExitStack() as stack:
            figures = measure_all(args, stack)
    except BenchError as exc:
        print(f"bench/locust.py: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench/locust.py: interrupted; every process it started is stopped", file=sys.stderr)
        return 130
    print()
    print(build_table(figures, args.users).render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
