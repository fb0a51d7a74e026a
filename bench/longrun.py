"""Long-run memory, through the CLI: ``sosim run --max-rate --record`` into ``sosim receive``.

    python -m bench.longrun [--events 2000000] [--scenario scenarios/busy-hour.yaml]
                            [--interval 5] [--warm-up 30] [--id-window N] [--max-seconds 1200]

Both are real processes on 127.0.0.1, as a user starts them. Every ``--interval`` seconds the
RSS of each is read from ``/proc``; at the end it prints the samples and, per process, how far
RSS moved after the warm-up (the first ``--warm-up`` seconds; the receiver grows until its
window of EventIds is full, ``--id-window``, so warm up past that). Issue 14's bar is 20 MiB.
The run is bounded by ``--events`` and ``--max-seconds``; its recording and output go to a
temporary folder that is removed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench._host import BenchError, beside_python, find_tool, free_port, stop_process, wait_for_port

SECRET_ENV = "SOSIM_BENCH_SECRET"
BAR_MIB = 20.0


@dataclass(frozen=True)
class Sample:
    """One reading: seconds since the sender started, and both processes' RSS in MiB."""

    at_s: float
    run_mib: float
    receive_mib: float


def rss_mib(pid: int) -> float:
    """Resident set size of ``pid`` in MiB (0 once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def events_per_session(scenario: str) -> float:
    """How many events a session of ``scenario`` makes, from 200 generated sessions."""
    output = subprocess.run(
        sosim("generate", scenario, "--sessions", "200", "--format", "jsonl", "--out", "-"),
        capture_output=True,
        check=True,
        env=_env(),
    ).stdout
    return max(1, output.count(b"\n")) / 200


def _env() -> dict[str, str]:
    return {**os.environ, SECRET_ENV: "bench-longrun", "SOSIM_SECRET": "bench-longrun"}


def sosim(*args: str) -> list[str]:
    """The command line of ``sosim ARGS``: the console script beside this interpreter."""
    script = beside_python("sosim") or find_tool("sosim")
    if script is None:
        raise BenchError("sosim is not installed: pip install -e .")
    return [script, *args]


@contextlib.contextmanager
def receiver(port: int, events: int, id_window: int | None) -> Iterator[subprocess.Popen[bytes]]:
    """``sosim receive`` on 127.0.0.1:port; stopped (SIGINT, then killed) on the way out."""
    command = sosim("receive", "--port", str(port), "--secret-env", SECRET_ENV, "--quiet")
    command += ["--max-requests", str(events * 2)]  # a bound, above any retries
    if id_window is not None:
        command += ["--id-window", str(id_window)]
    process = subprocess.Popen(command, env=_env(), stdout=subprocess.DEVNULL)
    try:
        wait_for_port(port, process, lambda: "sosim receive did not start")
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                stop_process(process)


def sample_until_done(
    sender: subprocess.Popen[bytes], receiving: int, interval_s: float, max_seconds: float
) -> list[Sample]:
    """Read both RSS figures every ``interval_s`` until the sender exits (or time runs out)."""
    started = time.monotonic()
    samples: list[Sample] = []
    while True:
        at = time.monotonic() - started
        samples.append(Sample(at, rss_mib(sender.pid), rss_mib(receiving)))
        try:
            sender.wait(interval_s)
            return samples
        except subprocess.TimeoutExpired:
            if at > max_seconds:
                sender.send_signal(signal.SIGINT)  # a bounded run: stop it the way a user would
                sender.wait(30)
                return samples


def growth(samples: Sequence[Sample], warm_up_s: float, pick: str) -> tuple[float, float, float]:
    """(lowest, highest, highest - lowest) RSS after the warm-up, for ``run`` or ``receive``."""
    values = [getattr(s, f"{pick}_mib") for s in samples if s.at_s >= warm_up_s]
    values = [v for v in values if v > 0]
    if not values:
        raise BenchError("no sample after the warm-up: raise --events or lower --warm-up")
    return min(values), max(values), max(values) - min(values)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--scenario", default="scenarios/busy-hour.yaml")
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--warm-up", type=float, default=30.0)
    parser.add_argument("--id-window", type=int, default=None)
    parser.add_argument("--max-seconds", type=float, default=1200.0)
    options = parser.parse_args(argv)

    sessions = max(1, round(options.events / events_per_session(options.scenario)))
    port = free_port()
    with (
        tempfile.TemporaryDirectory(prefix="sosim-longrun-") as folder,
        receiver(port, options.events, options.id_window) as receiving,
    ):
        record = str(Path(folder) / "run.jsonl")
        command = sosim(
            "run", options.scenario, "--target", f"http://127.0.0.1:{port}/webhook",
            "--secret-env", SECRET_ENV, "--max-rate", "--sessions", str(sessions),
            "--record", record, "--quiet",
        )  # fmt: skip
        log = Path(folder) / "run.log"
        with log.open("wb") as output:
            sender = subprocess.Popen(command, env=_env(), stdout=output, stderr=subprocess.STDOUT)
            samples = sample_until_done(sender, receiving.pid, options.interval, options.max_seconds)
        with open(record, "rb") as lines:
            recorded = sum(1 for _ in lines) - 1  # minus the header line
        tail = log.read_text(errors="replace")
    print(f"{options.scenario}: {sessions} sessions, {recorded} recorded requests")
    print(f"run exit {sender.returncode}")
    print(f"{'t (s)':>7} {'run MiB':>9} {'receive MiB':>12}")
    for s in samples:
        print(f"{s.at_s:7.0f} {s.run_mib:9.1f} {s.receive_mib:12.1f}")
    verdict = 0
    for pick in ("run", "receive"):
        low, high, moved = growth(samples, options.warm_up, pick)
        ok = moved <= BAR_MIB
        verdict |= not ok
        print(
            f"{pick:>8}: after {options.warm_up:g} s warm-up {low:.1f}..{high:.1f} MiB, "
            f"moved {moved:.1f} MiB ({'PASS' if ok else 'MISS'}, bar {BAR_MIB:g} MiB)"
        )
    if sender.returncode:
        print(tail[-2000:])
    return verdict


if __name__ == "__main__":
    sys.exit(main())
