"""Benchmark: how fast sosim sends signed webhooks, how punctual it is, and in how much memory.

Prints figures; it is not a test. One run starts a receiver on 127.0.0.1 (nginx answering 200 to
``POST /webhook`` on core 1, installed with apt-get when missing, or else sosim's own receiver in a
separate process on core 1), runs sosim in this process on core 0, and measures:

(a) the ceiling: wrk (or hey) posting one fixed signed body for a few seconds, on core 0;
(b) sosim's whole pipeline at --max-rate: events generated, signed and sent through the
    ``Deliverer`` and ``LeanTransport`` with 32 connections, for a bounded count or time;
(b') the same with requests rendered beforehand, which splits generation from sending;
(c) schedule lag at a fixed 5,000 events/s (p50, p99, max from ``RunStats``);
(d) memory (RSS) over a longer max-rate run.

    python -m bench.send                      # under a minute
    python -m bench.send --events 1000000     # a longer memory run in (d)
    python -m bench.send --receiver builtin --profile

Every process it starts is stopped at the end; it exits non-zero on errors only, never because
a target was missed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import itertools
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from bench._host import (
    HOST,
    BenchError,
    LoadToolResult,
    Receiver,
    apt_install,
    child_setup,
    find_tool,
    free_port,
    nginx_receiver,
    pin_to_core,
    run_hey,
    run_wrk,
    stop_process,
    wait_for_port,
)
from bench.generate import format_profile
from simulator.core.delivery_rules import ONCE
from simulator.core.outcome import RunResult
from simulator.core.plan import PlanOptions, plan
from simulator.core.scenario import Scenario, load_scenario
from simulator.core.schedule import Planned
from simulator.delivery.deliverer import Deliverer
from simulator.delivery.transport import LeanTransport, install_uvloop
from simulator.engine.timing import retime
from simulator.report.stats import RunStats

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = ROOT / "scenarios" / "busy-hour.yaml"
SECRET = "bench-secret"
SENDER_CORE, RECEIVER_CORE = 0, 1
CONCURRENCY = 32

TARGET_RATE = 25_000.0  # events/s at --max-rate
TARGET_LAG_P99_S = 0.002  # at LAG_RATE
LAG_RATE = 5_000.0
FLAT_GROWTH_BYTES = 8 * 2**20  # RSS growth from N/2 to N events that still counts as flat

WRK_SECONDS = 5.0
MAX_RATE_EVENTS, MAX_RATE_SECONDS = 200_000, 10.0  # (b), (b')
LAG_SECONDS = 5.0
MEMORY_EVENTS, MEMORY_SECONDS = 300_000, 120.0
RENDERED_POOL = 20_000
EVENTS_PER_SESSION_FLOOR = 10  # busy-hour averages about 24 events a session


# The built-in receiver without signature or order checks: the fastest sosim can answer.
# It exits when our end of its stdin closes, so it never outlives this script.
BUILTIN_RECEIVER = """\
import asyncio, sys
from simulator.servers.receiver import Receiver, ReceiverConfig, WebhookChecker
from simulator.delivery.transport import install_uvloop

async def main() -> None:
    config = ReceiverConfig(host=sys.argv[1], port=int(sys.argv[2]))
    receiver = Receiver(config, checker=WebhookChecker(None, check_order=False))
    await receiver.start()
    gone = asyncio.Event()
    asyncio.get_running_loop().add_reader(sys.stdin.fileno(), gone.set)
    try:
        await asyncio.wait_for(gone.wait(), timeout=3600)
    except TimeoutError:
        pass
    await receiver.stop()

install_uvloop()
asyncio.run(main())
"""


@contextlib.contextmanager
def builtin_receiver() -> Iterator[Receiver]:
    """sosim's own Receiver in a separate Python process on the receiver core."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))),
    }
    process = subprocess.Popen(
        [sys.executable, "-c", BUILTIN_RECEIVER, HOST, str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        preexec_fn=child_setup(RECEIVER_CORE),
    )
    try:
        wait_for_port(port, process, lambda: "see its stderr above")
        yield Receiver("sosim Receiver (no signature check)", f"http://{HOST}:{port}", "/webhook")
    finally:
        if process.stdin is not None:
            process.stdin.close()
        stop_process(process)
        if process.stderr is not None:
            err = process.stderr.read().decode(errors="replace").strip()
            process.stderr.close()
            if err and process.returncode not in (0, -signal.SIGTERM):
                print(f"built-in receiver: {err}", file=sys.stderr)


def open_receiver(choice: str, *, install: bool, stack: contextlib.ExitStack) -> Receiver:
    """Start nginx (installing it if allowed) or fall back to the built-in receiver."""
    if choice in ("auto", "nginx"):
        nginx = find_tool("nginx")
        if nginx is None and install and apt_install("nginx"):
            nginx = find_tool("nginx")
        if nginx is not None:
            try:
                return stack.enter_context(nginx_receiver(nginx, RECEIVER_CORE))
            except BenchError as exc:
                if choice == "nginx":
                    raise
                print(f"nginx failed ({exc}); using the built-in receiver", file=sys.stderr)
        elif choice == "nginx":
            raise BenchError("nginx is not installed (and --no-install was given or apt-get failed)")
    return stack.enter_context(builtin_receiver())


# --- (a) wrk / hey ----------------------------------------------------------------------


def measure_load_tool(
    url: str, headers: Sequence[tuple[str, str]], body: bytes, seconds: float, *, install: bool
) -> LoadToolResult | None:
    """The ceiling a C load generator reaches on this receiver, or None without wrk or hey."""
    wrk = find_tool("wrk")
    hey = find_tool("hey")
    if wrk is None and hey is None and install and apt_install("wrk"):
        wrk = find_tool("wrk")
    if wrk is not None:
        return run_wrk(wrk, url, headers, body, seconds=seconds, connections=CONCURRENCY, core=SENDER_CORE)
    if hey is not None:
        return run_hey(hey, url, headers, body, seconds=seconds, connections=CONCURRENCY, core=SENDER_CORE)
    return None


# --- (b)-(d) sosim ------------------------------------------------------------------------


def rss_bytes() -> int:
    """The current resident set size (Linux); elsewhere the peak so far."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


@dataclass(slots=True)
class RssSampler:
    """RSS sampled against the number of requests done, a few times a second."""

    stats: RunStats
    interval_s: float = 0.2
    samples: list[tuple[int, int]] = field(default_factory=list)  # (requests done, RSS bytes)

    async def run(self) -> None:
        """Sample until cancelled."""
        while True:
            self.samples.append((self.stats.requests, rss_bytes()))
            await asyncio.sleep(self.interval_s)


@dataclass(frozen=True, slots=True)
class SendResult:
    """One sosim delivery run."""

    label: str
    stats: RunStats
    result: RunResult
    cpu_s: float  # this process's CPU time (user + system) during the run
    rss: list[tuple[int, int]]

    @property
    def rate(self) -> float:
        """Requests answered (delivered or not) per second of the run."""
        return self.stats.requests / self.result.elapsed_s if self.result.elapsed_s > 0 else float("nan")

    @property
    def cpu_rate(self) -> float:
        """Requests per second of sosim's CPU time: what one unshared core would do."""
        return self.stats.requests / self.cpu_s if self.cpu_s > 0 else float("nan")

    @property
    def cpu_busy(self) -> float:
        """Share of the run sosim spent on the CPU (below 1: waiting for the receiver, or a shared core)."""
        return self.cpu_s / self.result.elapsed_s if self.result.elapsed_s > 0 else float("nan")

    def rss_at(self, requests: int) -> int:
        """RSS of the first sample taken once ``requests`` were done (the last sample otherwise)."""
        return next((rss for done, rss in self.rss if done >= requests), self.rss[-1][1])


def deliver(
    label: str,
    url: str,
    planned: Iterable[Planned],
    *,
    max_rate: bool,
    seconds: float,
    sample_rss: bool = False,
) -> SendResult:
    """Send ``planned`` with the Deliverer and LeanTransport (uvloop), stopping after ``seconds``."""
    install_uvloop()
    stats = RunStats()
    sampler = RssSampler(stats)
    cpu = [0.0]

    async def main() -> RunResult:
        transport = LeanTransport(url, timeout=10.0, concurrency=CONCURRENCY)
        # ONCE: no retries, so a stopped run ends as soon as the requests in flight are answered.
        deliverer = Deliverer(transport, [stats], policy=ONCE, concurrency=CONCURRENCY, max_rate=max_rate)
        stopper = asyncio.get_running_loop().call_later(seconds, deliverer.stop)
        sampling = asyncio.ensure_future(sampler.run()) if sample_rss else None
        cpu_started = time.process_time()
        try:
            return await deliverer.run(planned)
        finally:
            cpu[0] = time.process_time() - cpu_started
            stopper.cancel()
            if sampling is not None:
                sampling.cancel()
                sampler.samples.append((stats.requests, rss_bytes()))
            await transport.aclose()

    result = asyncio.run(main())
    stats.finish(result)
    return SendResult(label, stats, result, cpu[0], sampler.samples)


def bench_plan(scenario: Scenario, events: int) -> Iterator[Planned]:
    """The first ``events`` rendered, signed requests of the scenario (enough sessions for them)."""
    options = PlanOptions(
        sessions=events // EVENTS_PER_SESSION_FLOOR + 100,
        secret=SECRET,
        start=datetime(2026, 1, 5, 10, tzinfo=UTC),
    )
    return itertools.islice(plan([scenario], options), events)


def rendered(scenario: Scenario, events: int) -> Iterator[Planned]:
    """``events`` requests drawn round-robin from a pool rendered beforehand."""
    pool = list(bench_plan(scenario, min(events, RENDERED_POOL)))
    return itertools.islice(itertools.cycle(pool), events)


def at_rate(planned: Iterable[Planned], rate: float) -> Iterator[Planned]:
    """Re-time requests to one every ``1/rate`` s, as ``sosim run --rate`` does."""
    return retime(planned, speed=None, rate=rate)


# --- report -------------------------------------------------------------------------------


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None or seconds != seconds else f"{seconds * 1000:.2f} ms"


def _mib(value: int) -> str:
    return f"{value / 2**20:.1f} MiB"


@dataclass(slots=True)
class Table:
    """A four-column plain-text table."""

    rows: list[tuple[str, str, str, str]] = field(default_factory=list)

    def add(self, figure: str, measured: str, target: str = "", ratio: str = "") -> None:
        """Append one row."""
        self.rows.append((figure, measured, target, ratio))

    def render(self) -> str:
        """The table with aligned columns."""
        header = ("figure", "measured", "target", "ratio")
        widths = [max(len(row[i]) for row in [header, *self.rows]) for i in range(4)]
        lines = [
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in [header, *self.rows]
        ]
        lines.insert(1, "  ".join("-" * width for width in widths))
        return "\n".join(lines)


def _failures(run: SendResult) -> str:
    stats = run.stats
    if not stats.failed:
        return ""
    return f" ({stats.failed:,} failed: {dict(stats.errors) or dict(stats.status_codes)})"


def add_rate_row(table: Table, run: SendResult, wrk: LoadToolResult | None) -> None:
    """A max-rate run's events/s with its ratio to the target and to wrk."""
    ratio = f"{run.rate / TARGET_RATE:.2f}x target ({run.cpu_rate / TARGET_RATE:.2f}x per CPU-s)"
    if wrk is not None:
        ratio += f", {run.rate / wrk.rate:.2f}x {wrk.tool}"
    measured = (
        f"{run.rate:,.0f} ev/s ({run.stats.requests:,} in {run.result.elapsed_s:.1f} s; "
        f"{run.cpu_rate:,.0f} per CPU-s, CPU {run.cpu_busy:.0%}){_failures(run)}"
    )
    table.add(run.label, measured, f">= {TARGET_RATE:,.0f}/s", ratio)


def memory_rows(table: Table, run: SendResult) -> None:
    """RSS before, at half way and at the end of the memory run, and whether it stayed flat."""
    done = run.stats.requests
    start, half, end = run.rss[0][1], run.rss_at(done // 2), run.rss[-1][1]
    growth = end - half
    verdict = "flat" if growth <= FLAT_GROWTH_BYTES else "NOT flat"
    table.add(
        f"(d) RSS: start / at {done // 2:,} / at {done:,}",
        f"{_mib(start)} / {_mib(half)} / {_mib(end)}",
        "flat",
        f"+{_mib(growth)} in 2nd half: {verdict}",
    )


def profile_pipeline(url: str, scenario: Scenario, events: int, top: int = 25) -> str:
    """cProfile the max-rate pipeline over ``events`` events; top functions by own and cumulative time."""
    profiler = cProfile.Profile()
    profiler.runcall(
        deliver, "(profile)", url, bench_plan(scenario, events), max_rate=True, seconds=MAX_RATE_SECONDS * 3
    )
    return format_profile(profiler, top)


# --- main ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything one benchmark run measured."""

    receiver: str
    tool: LoadToolResult | None
    pipeline: SendResult
    sending: SendResult
    lag: SendResult
    memory: SendResult
    max_rss: int


def measure_all(args: argparse.Namespace, stack: contextlib.ExitStack) -> Figures:
    """Start the receiver (stopped by ``stack``) and measure (a) to (d)."""
    scenario = load_scenario(args.scenario)
    # Fill the Faker identity pools and phrasebooks before anything is timed.
    first = next(bench_plan(scenario, 1))
    for _ in bench_plan(scenario, 2_000):
        pass
    receiver = open_receiver(args.receiver, install=not args.no_install, stack=stack)
    url = receiver.url
    print(f"receiver: {receiver.name} at {url}", flush=True)

    print("(a) load tool ...", flush=True)
    request = first.request
    tool = measure_load_tool(
        url, request.headers, request.body, args.wrk_seconds, install=not args.no_install
    )

    print("(b) max-rate pipeline ...", flush=True)
    label = f"(b) sosim generate+sign+send, c={CONCURRENCY}"
    pipeline = deliver(
        label, url, bench_plan(scenario, args.max_rate_events), max_rate=True, seconds=MAX_RATE_SECONDS
    )

    print(f"(c) lag at {LAG_RATE:,.0f}/s ...", flush=True)
    planned = at_rate(bench_plan(scenario, int(LAG_RATE * args.lag_seconds)), LAG_RATE)
    lag = deliver("(c)", url, planned, max_rate=False, seconds=args.lag_seconds + 5)

    print(f"(d) memory over {args.events:,} events at max rate ...", flush=True)
    label = f"(d) sosim max-rate, {args.events:,} events"
    planned = bench_plan(scenario, args.events)
    memory = deliver(label, url, planned, max_rate=True, seconds=args.memory_seconds, sample_rss=True)
    max_rss = _max_rss()

    # Last: its pool of rendered requests, once freed, would hide growth in (d)'s RSS.
    print("(b') max-rate, pre-rendered ...", flush=True)
    label = "(b') sosim send only (pre-rendered)"
    sending = deliver(
        label, url, rendered(scenario, args.max_rate_events), max_rate=True, seconds=MAX_RATE_SECONDS
    )

    for run in (pipeline, sending, lag, memory):
        if run.stats.delivered == 0:
            raise BenchError(f"{run.label}: nothing was delivered{_failures(run)}")
    if args.profile:
        print("profiling (b) ...", flush=True)
        print(profile_pipeline(url, scenario, args.max_rate_events))
    return Figures(receiver.name, tool, pipeline, sending, lag, memory, max_rss)


def build_table(figures: Figures) -> Table:
    """The figures, their targets and the ratios, one row each."""
    table = Table()
    table.add("receiver", figures.receiver)
    tool = figures.tool
    if tool is None:
        table.add("(a) wrk/hey", "not installed")
    else:
        extra = f", {tool.non_2xx:,} non-2xx" if tool.non_2xx else ""
        table.add(
            f"(a) {tool.tool} -t1 -c{CONCURRENCY}, one signed body",
            f"{tool.rate:,.0f} req/s (p50 {_ms(tool.p50_s)}, p99 {_ms(tool.p99_s)}{extra})",
            "ceiling",
        )
    add_rate_row(table, figures.pipeline, tool)
    add_rate_row(table, figures.sending, tool)
    lag = figures.lag
    metric = lag.stats.metric
    p99 = metric("lag_p99")
    table.add(
        f"(c) lag p50 / p99 / max at {LAG_RATE:,.0f}/s ({lag.stats.requests:,} events)",
        f"{_ms(metric('lag_p50'))} / {_ms(p99)} / {_ms(metric('lag_max'))}{_failures(lag)}",
        f"p99 <= {_ms(TARGET_LAG_P99_S)}",
        f"p99 {p99 / TARGET_LAG_P99_S:.2f}x limit -> {'met' if p99 <= TARGET_LAG_P99_S else 'MISSED'}",
    )
    table.add(
        "(c) achieved rate; service p50 / p99",
        f"{lag.rate:,.0f} ev/s; {_ms(metric('p50'))} / {_ms(metric('p99'))}",
    )
    add_rate_row(table, figures.memory, tool)
    memory_rows(table, figures.memory)
    table.add("(d) peak RSS of this process (ru_maxrss)", _mib(figures.max_rss))
    return table


def _max_rss() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=MEMORY_EVENTS, help="events in the memory run (d)")
    parser.add_argument("--memory-seconds", type=float, default=MEMORY_SECONDS, help="time cap of run (d)")
    parser.add_argument("--max-rate-events", type=int, default=MAX_RATE_EVENTS, help="event cap of (b)")
    parser.add_argument("--wrk-seconds", type=float, default=WRK_SECONDS, help="duration of (a)")
    parser.add_argument("--lag-seconds", type=float, default=LAG_SECONDS, help="duration of (c)")
    parser.add_argument("--receiver", choices=("auto", "nginx", "builtin"), default="auto")
    parser.add_argument("--no-install", action="store_true", help="never apt-get install nginx or wrk")
    parser.add_argument("--scenario", type=Path, default=DEFAULT_SCENARIO, help="scenario file")
    parser.add_argument("--profile", action="store_true", help="also cProfile the (b) pipeline")
    args = parser.parse_args(argv)
    for name in ("events", "max_rate_events"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    for name in ("memory_seconds", "wrk_seconds", "lag_seconds"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    return args


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the table; 1 on setup errors, 0 otherwise."""
    args = parse_args(argv)
    # SIGTERM unwinds like Ctrl-C, so the receiver and its temporary directory are cleaned up.
    signal.signal(signal.SIGTERM, _interrupt)
    pinned = pin_to_core(SENDER_CORE)
    print(
        f"sosim send benchmark: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, sosim "
        f"{'pinned to core 0' if pinned else 'not pinned'}, receiver on core {RECEIVER_CORE}, "
        f"load average {os.getloadavg()[0]:.2f} (other work on the machine skews every figure)"
    )
    try:
        with contextlib.ExitStack() as stack:
            figures = measure_all(args, stack)
    except BenchError as exc:
        print(f"bench/send.py: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench/send.py: interrupted; every process it started is stopped", file=sys.stderr)
        return 130
    print()
    print(build_table(figures).render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
