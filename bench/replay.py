"""Replay at --max-rate, sosim's fastest path, against wrk on the same receiver in one run.

    python -m bench.replay [--events 200000] [--seconds 10] [--receiver auto|nginx|builtin]

It writes a fixtures file (`sosim generate` format) of signed requests, then replays it through
the same code as `sosim replay SOURCE --max-rate` (read lazily, Deliverer, LeanTransport on
uvloop) pinned to one core. Target from the issue: at least 50,000 events/s from one core.
Bounded: at most --events requests or --seconds, whichever comes first; traffic to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
from pathlib import Path

from bench.send import (
    DEFAULT_SCENARIO,
    SENDER_CORE,
    BenchError,
    bench_plan,
    deliver,
    find_tool,
    open_receiver,
    pin_to_core,
    run_wrk,
)
from simulator.fixtures import write_fixtures
from simulator.replay import ReplayOptions, replay_plan
from simulator.scenario import load_scenario

TARGET = 50_000


def main() -> int:
    """Measure wrk and replay --max-rate on one receiver; print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--receiver", choices=("auto", "nginx", "builtin"), default="auto")
    parser.add_argument("--no-install", action="store_true")
    args = parser.parse_args()
    pin_to_core(SENDER_CORE)
    with tempfile.TemporaryDirectory(prefix="sosim-bench-replay-") as tmp, contextlib.ExitStack() as stack:
        fixtures = Path(tmp) / "fixtures.jsonl"
        scenario = load_scenario(DEFAULT_SCENARIO)
        items = ((p.due_s, p.scenario, p.request) for p in bench_plan(scenario, args.events))
        count = write_fixtures(items, fixtures, "jsonl", {"scenarios": [str(DEFAULT_SCENARIO)]})
        receiver = open_receiver(args.receiver, install=not args.no_install, stack=stack)
        first = next(replay_plan(fixtures, ReplayOptions())[1]).request
        wrk = find_tool("wrk")
        ceiling = run_wrk(wrk, receiver.url, first.headers, first.body, 5.0) if wrk else None
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
    verdict = "met" if run.cpu_rate >= TARGET else "MISSED"
    print(f"target >= {TARGET:,} events/s from one core: {run.cpu_rate / TARGET:.2f}x per CPU-s -> {verdict}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        sys.exit(1)
