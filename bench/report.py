"""Benchmark: what a run's report costs, per attempt and in memory. Prints figures; it is not a test.

* ``record``: ``RunStats.handle_attempt`` for N synthetic attempts (sosim's per-attempt report path),
  then the reads a report makes (``summary()``), in process CPU time;
* ``durations``: ``Durations.record`` for N values of two shapes, fast (0.2-20 ms: a local receiver)
  and slow (0.1-3 s: queueing behind a slow one), then three percentiles;
* ``memory``: tracemalloc's peak while N attempts spread over a simulated run of S seconds are fed to
  a ``RunStats`` (synthetic timestamps, no clock, no network), with a closed-loop
  ``ConversationStats`` fed one session per 10 attempts.

    python -m bench.report                    # 1e6 attempts; memory at 1e5 and 2e6 over 10 h
    python -m bench.report --quick            # 1e5 attempts; memory at 1e4 and 1e5
"""

from __future__ import annotations

import argparse
import gc
import time
import tracemalloc
from collections.abc import Callable, Iterator

from simulator.core.conversation import Observation
from simulator.core.events import Request
from simulator.core.outcome import Attempt, RunResult
from simulator.report.conversation import ConversationStats
from simulator.report.series import Durations
from simulator.report.stats import RunStats

HEADERS = (("Content-Type", "application/json; charset=utf-8"),)
TEN_HOURS_S = 36_000.0


def attempts(
    count: int,
    run_s: float,
    *,
    headers: tuple[tuple[str, str], ...] = HEADERS,
    body: bytes = b"{}",
    busy: bytes = b"",
    scenario: str = "bench",
) -> Iterator[Attempt]:
    """``count`` answered attempts evenly spread over ``run_s`` seconds, of one event type, 100 a
    session; one in 97 is answered 500 with the body ``busy``."""
    rate = count / run_s
    request = Request("chatsession.message", "evt", 0, headers, body)
    for i in range(count):
        if i % 100 == 0:
            request = Request("chatsession.message", f"evt-{i}", i // 100, headers, body)
        due = i / rate
        status = 500 if i % 97 == 0 else 200
        yield Attempt(
            request=request,
            scenario=scenario,
            cycle=1,
            attempt=1,
            intended_s=due,
            sent_s=due + 0.0005,
            done_s=due + 0.002 + (i * 7919 % 1000) / 100_000,
            status=status,
            delivered=status == 200,
            response_body=busy if status == 500 else b"",
        )


def cpu_s(action: Callable[[], object]) -> float:
    start = time.process_time()
    action()
    return time.process_time() - start


def bench_record(count: int) -> None:
    feed = list(attempts(count, count / 1000))
    stats = RunStats()
    handle = stats.handle_attempt

    def record() -> None:
        for attempt in feed:
            handle(attempt)

    gc.collect()
    recorded = cpu_s(record)
    stats.finish(RunResult(elapsed_s=count / 1000, interrupted=False, webhook_state="Active", planned=count))
    read = cpu_s(stats.summary)
    print(
        f"record  {count:>9,} attempts  handle_attempt {recorded:6.2f} s "
        f"({recorded / count * 1e6:.2f} us each)  summary() {read * 1000:7.1f} ms"
    )


def bench_durations(count: int) -> None:
    shapes = {
        "fast": [0.0002 + (i * 7919 % 99_991) / 5_000_000 for i in range(count)],
        "slow": [0.1 + (i * 7919 % 99_991) / 34_500 for i in range(count)],
    }
    for name, values in shapes.items():
        durations = Durations()
        record = durations.record

        def feed(values: list[float] = values, record: Callable[[float], int] = record) -> None:
            for value in values:
                record(value)

        gc.collect()
        recorded = cpu_s(feed)
        read = cpu_s(lambda durations=durations: durations.percentiles((50.0, 99.0, 99.9)))
        print(
            f"durations {name} {count:>9,} values  record {recorded:6.2f} s "
            f"({recorded / count * 1e6:.2f} us each)  first read {read * 1000:7.1f} ms"
        )


def peak_memory(count: int, run_s: float) -> tuple[int, int]:
    """tracemalloc's peak and the memory still held after feeding ``count`` attempts over ``run_s``."""
    gc.collect()
    tracemalloc.start()
    stats = RunStats()
    conversation = stats.conversation = ConversationStats()
    for i, attempt in enumerate(attempts(count, run_s)):
        stats.handle_attempt(attempt)
        if i % 10 == 0:
            at, session = attempt.sent_s, i // 10
            conversation.observe(Observation("started", session, at), None)
            conversation.observe(Observation("reply", session, at + 0.5), at + 0.1)
            conversation.observe(Observation("ended", session, at + 1.0, ending="customer"), None)
    stats.summary()
    held, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return held, peak


def bench_memory(counts: tuple[int, ...], run_s: float) -> None:
    for count in counts:
        held, peak = peak_memory(count, run_s)
        print(
            f"memory  {count:>9,} attempts over {run_s / 3600:.1f} h: "
            f"held {held / 1e6:7.2f} MB, peak {peak / 1e6:7.2f} MB"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="1e5 attempts; memory at 1e4 and 1e5")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args(argv)
    count = 100_000 if args.quick else 1_000_000
    bench_record(count)
    bench_durations(count)
    if not args.skip_memory:
        bench_memory((10_000, 100_000) if args.quick else (100_000, 2_000_000), TEN_HOURS_S)


if __name__ == "__main__":
    main()
