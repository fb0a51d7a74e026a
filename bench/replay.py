"""Replay at --max-rate, sosim's fastest path, against wrk on the same receiver in one run.

    python -m bench.replay [--events 200000] [--seconds 10] [--receiver auto|nginx|builtin] [--read-only]

It writes a fixtures file (`sosim generate` format) of signed requests, then replays it through
the same code as `sosim replay SOURCE --max-rate` (read lazily, Deliverer, LeanTransport on
uvloop) pinned to one core. Target from the issue: at least 50,000 events/s from one core.
Bounded: at most --events requests or --seconds, whichever comes first; traffic to 127.0.0.1 only.
Figure (c) times the reading side alone (parse, select, rewrite, plan; no network), best of 3 in
process CPU time; --read-only prints just that figure, for fixtures and for a `run --record` file.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

from bench._host import BenchError, find_tool, pin_to_core, run_wrk
from bench.send import CONCURRENCY, DEFAULT_SCENARIO, SENDER_CORE, bench_plan, deliver, open_receiver
from simulator.core.events import Request
from simulator.core.outcome import Attempt
from simulator.core.scenario import load_scenario
from simulator.recording.fixtures import write_fixtures
from simulator.recording.record import JsonlWriter, attempt_line, header_line
from simulator.recording.replay import ReplayOptions, replay_plan

TARGET = 50_000
READ_REPEATS = 3


def write_bench_fixtures(out: Path, events: int) -> int:
    """Write ``events`` signed requests of the default scenario as a fixtures file."""
    scenario = load_scenario(DEFAULT_SCENARIO)
    items = ((p.due_s, p.scenario, p.request) for p in bench_plan(scenario, events))
    return write_fixtures(items, out, "jsonl", {"scenarios": [str(DEFAULT_SCENARIO)]})


def write_bench_recording(out: Path, events: int) -> int:
    """Write ``events`` delivered attempts as ``run --record`` writes them (no network)."""
    scenario = load_scenario(DEFAULT_SCENARIO)
    writer = JsonlWriter(out, flush_each=False)
    count = 0
    try:
        writer.write(header_line("run", scenarios=[str(DEFAULT_SCENARIO)]))
        for p in bench_plan(scenario, events):
            writer.write(attempt_line(_delivered(p.request, p.scenario, p.due_s)))
            count += 1
    finally:
        writer.close()
    return count


def _delivered(request: Request, scenario: str, due_s: float) -> Attempt:
    return Attempt(request, scenario, 1, 1, due_s, due_s + 1e-4, due_s + 6e-4, 200, delivered=True)


def read_plan_rate(source: Path, options: ReplayOptions | None = None) -> tuple[int, float]:
    """Records and records/s per CPU-s of iterating ``replay_plan`` fully, best of 3."""
    best, count = 0.0, 0
    for _ in range(READ_REPEATS):
        start = time.process_time()
        count = _drain(replay_plan(source, options or ReplayOptions())[1])
        spent = time.process_time() - start
        best = max(best, count / spent if spent > 0 else 0.0)
    return count, best


def _drain(items: Iterable[object]) -> int:
    return sum(1 for _ in items)


def read_plan_line(label: str, source: Path) -> str:
    """The printed figure for the reading side alone."""
    count, rate = read_plan_rate(source)
    return f"(c) read+plan only, {label:<22}{rate:>10,.0f} records/s per CPU-s ({count:,} records)"


def read_only(events: int) -> int:
    """Print figure (c) for a fixtures file and a ``run --record`` file; no receiver needed."""
    with tempfile.TemporaryDirectory(prefix="sosim-bench-read-") as tmp:
        fixtures, recording = Path(tmp) / "fixtures.jsonl", Path(tmp) / "run.jsonl"
        write_bench_fixtures(fixtures, events)
        write_bench_recording(recording, events)
        print(read_plan_line("fixtures", fixtures))
        print(read_plan_line("run --record", recording))
    return 0


def main() -> int:
    """Measure wrk and replay --max-rate on one receiver; print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--receiver", choices=("auto", "nginx", "builtin"), default="auto")
    parser.add_argument("--no-install", action="store_true")
    parser.add_argument("--read-only", action="store_true", help="print only figure (c), no network")
    args = parser.parse_args()
    pin_to_core(SENDER_CORE)
    if args.read_only:
        return read_only(args.events)
    with tempfile.TemporaryDirectory(prefix="sosim-bench-replay-") as tmp, contextlib.ExitStack() as stack:
        fixtures = Path(tmp) / "fixtures.jsonl"
        count = write_bench_fixtures(fixtures, args.events)
        reading = read_plan_line("fixtures", fixtures)
        receiver = open_receiver(args.receiver, install=not args.no_install, stack=stack)
        first = next(replay_plan(fixtures, ReplayOptions())[1]).request
        wrk = find_tool("wrk")
        ceiling = None
        if wrk is not None:
            request = (receiver.url, first.headers, first.body)
            ceiling = run_wrk(wrk, *request, seconds=5.0, connections=CONCURRENCY, core=SENDER_CORE)
        _, planned = replay_plan(fixtures, ReplayOptions())
        run = deliver("replay --max-rate", receiver.url, planned, max_rate=True, seconds=args.seconds)
    print(f"receiver: {receiver.name}; fixtures: {count:,} signed requests")
    if ceiling is not None:
        print(f"(a) wrk -t1 -c32, one body           {ceiling.rate:>10,.0f} req/s   ceiling")
    ratio = f", {run.rate / ceiling.rate:.2f}x wrk" if ceiling else ""
    print(
        f"(b) sosim replay --max-rate          {run.rate:>10,.0f} ev/s    ({run.stats.requests:,} in "
        f"{run.result.elapsed_s:.1f} s; {run.cpu_rate:,.0f} per CPU-s{ratio})"
    )
    print(reading)
    verdict = "met" if run.cpu_rate >= TARGET else "MISSED"
    print(f"target >= {TARGET:,} events/s from one core: {run.cpu_rate / TARGET:.2f}x per CPU-s -> {verdict}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        sys.exit(1)
