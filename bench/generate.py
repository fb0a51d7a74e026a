"""Benchmark: how fast sosim generates, signs and serialises webhook events, and in how much memory.

Prints figures; it is not a test. Three stages are timed separately, on one core:

* ``plan``: ``plan()`` end to end: sessions generated, every event rendered to exact body bytes,
  HMAC-signed and given its headers (what ``sosim run`` feeds the sender);
* ``timeline``: generation only (``timeline()``: session state machines and the lazy merge);
* ``render``: rendering only (``render()`` on events generated beforehand: body, headers, signature).

Rates are given per second of wall time and per second of this process's CPU time; on a quiet
machine they agree, and when other work shares the core the CPU-time rate still measures what one
core can do, so the target is judged on it.

Memory is measured on the ``plan`` stage as tracemalloc's peak (a separate, slower pass) and as
the growth of the process's peak RSS. sosim keeps a few bounded caches (formatted seconds,
FieldValues JSON) that fill during the first 1e5 events or so, so the peak at 1e4 is not the
steady state: memory counts as flat when the peak after all N events stays within ``FLAT_RATIO``
of the peak after the first N/2 of the same run (anything that grows per event would double).

    python -m bench.generate            # 1e4 and 1e6 events (about 80 s)
    python -m bench.generate --quick    # 1e4 and 1e5 events
    python -m bench.generate --events 300000 --profile
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import itertools
import os
import pstats
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench._host import pin_to_core
from simulator.core.events import render
from simulator.core.generate import timeline
from simulator.core.plan import PlanOptions, adjust, plan
from simulator.core.scenario import Scenario, load_scenario, webhook_for

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCENARIO = ROOT / "scenarios" / "busy-hour.yaml"
SECRET = "bench-secret"
#: The issue's target: generated, signed and serialised events per second on one core.
TARGET_RATE = 100_000.0
#: Peak memory after N events within this factor of the peak after N/2 counts as flat.
FLAT_RATIO = 1.25
#: busy-hour averages about 24 events a session; one session per 10 events leaves plenty.
EVENTS_PER_SESSION_FLOOR = 10
#: Events generated once for the render-only stage, then rendered round-robin.
RENDER_POOL = 20_000
WARM_UP_EVENTS = 2_000
DEFAULT_SIZES = (10_000, 1_000_000)
QUICK_SIZES = (10_000, 100_000)
STAGES = ("plan", "timeline", "render")


@dataclass(frozen=True, slots=True)
class Measurement:
    """One timed pass over ``events`` events of one stage."""

    stage: str
    events: int
    seconds: float
    cpu_seconds: float
    rss_growth_bytes: int
    traced_peak_bytes: int | None = None
    traced_half_peak_bytes: int | None = None  # tracemalloc's peak after the first half

    @property
    def rate(self) -> float:
        """Events per second."""
        return self.events / self.seconds if self.seconds > 0 else float("nan")

    @property
    def cpu_rate(self) -> float:
        """Events per second of this process's CPU time (what one core does when it is not shared)."""
        return self.events / self.cpu_seconds if self.cpu_seconds > 0 else float("nan")


def max_rss_bytes() -> int:
    """The process's peak resident set size so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def bench_scenario(path: Path, events: int) -> tuple[Scenario, PlanOptions]:
    """Load ``path`` with enough sessions for ``events`` events and a fixed secret and start."""
    scenario = load_scenario(path)
    sessions = events // EVENTS_PER_SESSION_FLOOR + 100
    start = datetime(2026, 1, 5, 10, tzinfo=UTC)
    return scenario, PlanOptions(sessions=sessions, secret=SECRET, start=start)


def plan_stream(scenario: Scenario, options: PlanOptions, events: int) -> Iterator[object]:
    """The first ``events`` rendered and signed requests of the scenario."""
    return itertools.islice(plan([scenario], options), events)


def timeline_stream(scenario: Scenario, options: PlanOptions, events: int) -> Iterator[object]:
    """The first ``events`` generated (not rendered) events of the scenario."""
    adjusted = adjust(scenario, options)
    return itertools.islice(timeline(adjusted, seed=options.seed, start=options.start), events)


def render_stream(scenario: Scenario, options: PlanOptions, events: int) -> Iterator[object]:
    """Render ``events`` events drawn round-robin from a pool generated before timing starts."""
    adjusted = adjust(scenario, options)
    pool = [t.event for t in itertools.islice(timeline(adjusted, start=options.start), RENDER_POOL)]
    webhook = webhook_for(adjusted, options.secret)
    return (render(event, webhook) for event in itertools.islice(itertools.cycle(pool), events))


StreamFactory = Callable[[Scenario, PlanOptions, int], Iterator[object]]
FACTORIES: dict[str, StreamFactory] = {
    "plan": plan_stream,
    "timeline": timeline_stream,
    "render": render_stream,
}


def _drain(items: Iterable[object]) -> int:
    count = 0
    for _ in items:
        count += 1
    return count


def measure(stage: str, scenario: Scenario, options: PlanOptions, events: int, *, trace: bool) -> Measurement:
    """Time one stage over ``events`` events; with ``trace``, record tracemalloc's peak instead."""
    stream = FACTORIES[stage](scenario, options, events)
    # render's pool is built by the first next(); keep that outside the timing.
    first = next(stream, None)
    gc.collect()
    rss_before = max_rss_bytes()
    if trace:
        tracemalloc.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    count = _drain(itertools.islice(stream, events // 2)) + (first is not None)
    half_peak = tracemalloc.get_traced_memory()[1] if trace else None
    count += _drain(stream)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return Measurement(stage, count, seconds, cpu_seconds, max_rss_bytes() - rss_before, peak, half_peak)


def warm_up(scenario: Scenario, options: PlanOptions) -> None:
    """Fill the per-run caches (Faker identity pools of every locale, phrasebooks) before timing."""
    _drain(plan_stream(scenario, options, WARM_UP_EVENTS))


def run_benchmark(
    sizes: Sequence[int],
    scenario_path: Path = DEFAULT_SCENARIO,
    *,
    stages: Sequence[str] = STAGES,
    trace: bool = True,
) -> list[Measurement]:
    """Measure every stage at every size (ascending), then tracemalloc's peak of ``plan`` per size."""
    ordered = sorted(sizes)
    scenario, options = bench_scenario(scenario_path, max(ordered))
    warm_up(scenario, options)
    results = [measure(stage, scenario, options, n, trace=False) for n in ordered for stage in stages]
    if trace and "plan" in stages:
        results.extend(measure("plan", scenario, options, n, trace=True) for n in ordered)
    return results


def _mib(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:.1f} MiB"


def format_table(results: Sequence[Measurement]) -> str:
    """The figures as a plain-text table, with the ratio of each rate to the target."""
    lines = [
        f"{'stage':<10} {'events':>10} {'seconds':>8} {'events/s':>10} {'per CPU-s':>10} {'vs 100k/s':>9} "
        f"{'RSS peak +':>11}"
    ]
    for m in (m for m in results if m.traced_peak_bytes is None):
        lines.append(
            f"{m.stage:<10} {m.events:>10,} {m.seconds:>8.2f} {m.rate:>10,.0f} {m.cpu_rate:>10,.0f} "
            f"{m.cpu_rate / TARGET_RATE:>8.2f}x {_mib(m.rss_growth_bytes):>11}"
        )
    traced = [m for m in results if m.traced_peak_bytes is not None]
    if traced:
        lines.append("")
        lines.append(
            f"{'memory (plan, tracemalloc)':<28} {'events':>10} {'peak at N/2':>12} {'peak at N':>11}"
        )
        lines.extend(
            f"{'':<28} {m.events:>10,} {_mib(m.traced_half_peak_bytes):>12} {_mib(m.traced_peak_bytes):>11}"
            for m in traced
        )
    return "\n".join(lines)


def verdict(results: Sequence[Measurement]) -> str:
    """One line each on the rate target and on flat memory."""
    plans = [m for m in results if m.stage == "plan" and m.traced_peak_bytes is None]
    lines = []
    if plans:
        best = plans[-1]
        status = "met" if best.cpu_rate >= TARGET_RATE else "MISSED"
        lines.append(
            f"target >= {TARGET_RATE:,.0f} events/s on one core (plan, {best.events:,} events): "
            f"{best.cpu_rate:,.0f} per CPU-s = {best.cpu_rate / TARGET_RATE:.2f}x target -> {status} "
            f"({best.rate:,.0f} per wall-clock s, CPU busy {best.cpu_seconds / best.seconds:.0%})"
        )
    traced = [m for m in results if m.traced_peak_bytes and m.traced_half_peak_bytes]
    if traced:
        small, large = traced[0], traced[-1]
        assert small.traced_peak_bytes and large.traced_peak_bytes and large.traced_half_peak_bytes
        growth = large.traced_peak_bytes / large.traced_half_peak_bytes
        flat = "flat" if growth <= FLAT_RATIO else "NOT flat"
        lines.append(
            f"memory: tracemalloc peak {_mib(large.traced_peak_bytes)} after {large.events:,} events vs "
            f"{_mib(large.traced_half_peak_bytes)} after {large.events // 2:,} = {growth:.2f}x -> {flat} "
            f"(flat means <= {FLAT_RATIO}x)"
        )
        if small is not large:
            lines.append(
                f"        peak at {large.events:,} vs at {small.events:,} events: "
                f"{large.traced_peak_bytes / small.traced_peak_bytes:.2f}x (bounded caches fill meanwhile)"
            )
    return "\n".join(lines)


def profile_plan(scenario_path: Path, events: int, top: int = 25) -> str:
    """cProfile the ``plan`` stage over ``events`` events; return the top functions by own time."""
    scenario, options = bench_scenario(scenario_path, events)
    warm_up(scenario, options)
    profiler = cProfile.Profile()
    profiler.runcall(_drain, plan_stream(scenario, options, events))
    return format_profile(profiler, top)


def format_profile(profiler: cProfile.Profile, top: int) -> str:
    """The top functions of a profile, by own time and by cumulative time, as text."""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run, print the table; exit 0 whether or not the targets are met."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, help="one size only: this many events (plus 1e4 to compare)")
    parser.add_argument("--quick", action="store_true", help="1e4 and 1e5 events instead of 1e4 and 1e6")
    parser.add_argument(
        "--scenario", type=Path, default=DEFAULT_SCENARIO, help="scenario file (with a secret)"
    )
    parser.add_argument("--no-trace", action="store_true", help="skip the tracemalloc pass")
    parser.add_argument("--profile", action="store_true", help="also cProfile the plan stage")
    args = parser.parse_args(argv)
    if args.events is not None and args.events < 1:
        parser.error("--events must be at least 1")

    sizes: tuple[int, ...] = QUICK_SIZES if args.quick else DEFAULT_SIZES
    if args.events is not None:
        sizes = tuple(sorted({min(10_000, args.events), args.events}))
    pinned = pin_to_core(0)
    print(f"sosim generate benchmark: {args.scenario.name}, sizes {', '.join(f'{n:,}' for n in sizes)}")
    print(
        f"python {sys.version.split()[0]}, {'pinned to core 0' if pinned else 'not pinned'}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}"
    )
    results = run_benchmark(sizes, args.scenario, trace=not args.no_trace)
    print()
    print(format_table(results))
    print()
    print(verdict(results))
    if args.profile:
        print()
        print(profile_plan(args.scenario, max(sizes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
