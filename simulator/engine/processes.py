"""``sosim run --processes N`` and ``sosim replay --processes N``: one run on N cores.

The parent prepares once (checks the outputs and the target, starts the built-in receiver when
there is no ``--target``) and spawns N workers (``multiprocessing``'s spawn context: no fork of a
process with threads). Worker ``k`` plays session ``k`` modulo N (``run``: by session index;
``replay``: by PrimaryKey) with the run's own seed, run id and start time, so the N workers
together send exactly the events one process sends, each session in order from one worker.

- **Timing**: the workers start their clocks together (each says ready, the parent says go), so
  every event keeps its due time; ``--rate R`` paces each worker at R/N and ``--concurrency C``
  gives each ceil(C/N) requests in flight, so the totals stay those asked for.
- **Report**: each worker hands back its ``RunStats`` as plain data (:mod:`simulator.report.merge`,
  the wire form Locust's workers use too); the parent merges the HDR histograms and counts exactly
  and judges ``--fail-if`` and the exit code on the merged figures.
- **Recording**: each worker records to ``RECORD.partK`` (flushed line by line); at the end the
  parent writes ``RECORD`` from the parts (:mod:`simulator.recording.merge`) and removes them.
- **Stopping**: the workers run in process groups of their own, so Ctrl-C reaches only the
  parent, which passes each press on (the first stops the run, the second abandons what is in
  flight, as with one process); SIGTERM likewise. A worker whose parent dies stops the same way.
- **Failures**: a worker that fails or dies stops the others and fails the run with one line.

Faults, the closed loop, ``--serve-api``, ``asgi://`` targets and ``--shift-timestamps`` are
refused: they hold state that one process must see whole.

Called from Python, :func:`play_sharded` follows the spawn rules: the workers import the
caller's main module, so a script calls it under ``if __name__ == "__main__":``.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import signal
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import asdict, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from simulator.core.errors import SimulatorError, UsageError
from simulator.core.outcome import RunInfo, RunResult
from simulator.core.urls import mask_url
from simulator.delivery.signals import handlers_set, signals_noted
from simulator.engine.checks import check_outputs, check_target
from simulator.engine.run import (
    RunConfig,
    RunOutcome,
    _target,
    exit_code,
    expects_created,
    merge_faults,
    new_run_id,
)
from simulator.engine.timing import timing_label
from simulator.engine.workers import GO, STOP, TERM, Job, Report, worker_main
from simulator.recording.merge import merge_recordings, part_path
from simulator.recording.replay import ReplayOptions

__all__ = ["STATUS_EVERY_S", "play_sharded"]

#: Seconds between the progress lines of a run on several processes (as a log gets them from one).
STATUS_EVERY_S = 10.0


def play_sharded(
    config: RunConfig, replay: ReplayOptions | None = None, *, console: Any = None
) -> RunOutcome:
    """Play ``config`` (a run, or a replay of ``replay``) on ``config.processes`` workers; one outcome."""
    check_outputs(record=config.record, report=config.report, junit=config.junit, html=config.html)
    count = config.processes
    with ExitStack() as stack:
        workers = stack.enter_context(_Workers(count))  # they start up while this process prepares
        secret, check_order, created = _prepare(config, replay)
        check_target(config)
        target, receiver = _target(config, secret, stack, check_order, created_first=created)
        scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="sosim-workers-"))
        jobs = _jobs(config, replay, target, scratch)
        if console is not None and not config.quiet:
            where = ("the built-in verifying receiver at " if receiver is not None else "") + mask_url(target)
            console.print(
                f"sosim {'replay' if replay else 'run'}: {', '.join(config.scenarios)} -> {where} "
                f"({_timing(config)}, {config.policy.name} delivery, concurrency {config.concurrency}, "
                f"{count} processes)",
                soft_wrap=True,
            )
        say = (
            None
            if console is None or config.quiet
            else partial(console.print, soft_wrap=True, highlight=False)
        )
        reports, failure = _supervise(workers, jobs, say)
        _print_warnings(jobs)
        result = _merge_results([r.result for r in reports.values()], failure)
        info = _merged_info(config, reports, target)
        if config.record and info is not None:
            with _ignoring_sigint():  # a Ctrl-C now would leave the parts unmerged
                _merge_recording(config.record, count, info, None if failure else result)
        if failure is not None:
            raise SimulatorError(failure)
        stats = _merged_stats(config, reports, info, result)
        tally = receiver.checker.tally if receiver is not None else None
    thresholds = stats.evaluate_thresholds()
    code = exit_code(stats, thresholds, result, tally)
    outcome = RunOutcome(stats, thresholds, result, code, tally)
    outcome.default_secret = next((r.default_secret for r in reports.values() if r.default_secret), None)
    return outcome


# --- the parent -----------------------------------------------------------------------


def _prepare(config: RunConfig, replay: ReplayOptions | None) -> tuple[str | None, bool, bool]:
    """Refuse what one process must see whole; the built-in receiver's secret, order check and
    whether it expects chatsession.created first."""
    if config.target and config.target.startswith("asgi://"):
        raise UsageError("an asgi:// app runs inside one process; give an http(s) target", option="processes")
    if config.serve_api:
        raise UsageError(
            "serving the mock API holds every session's state in one process", option="processes"
        )
    if replay is not None:
        if config.faults:
            raise UsageError("faults are injected and judged in one process; inject none", option="processes")
        if replay.shift_timestamps:
            raise UsageError(
                "shifting Timestamps moves each by the first request's, which one process must see; "
                "give up one of the two",
                option="processes",
            )
        return replay.secret, not replay.filtered, True
    from simulator.core.conversation import is_external
    from simulator.core.scenario import load_scenarios, webhook_for

    scenarios = load_scenarios(config.scenarios)
    if merge_faults(config.faults, scenarios):
        raise UsageError(
            "faults are injected and judged in one process; inject none (nor a scenario's faults:), "
            "or play in one process",
            option="processes",
        )
    if any(is_external(s.flow) for s in scenarios):
        raise UsageError(
            "the closed loop waits for one system's answers; run it in one process", option="processes"
        )
    webhooks = [webhook_for(s, config.secret) for s in scenarios]
    return webhooks[0].secret, True, expects_created(webhooks)


def _timing(config: RunConfig) -> str:
    """The run's timing as reports name it (no target and no timing: max-rate, as execute does)."""
    if config.max_rate or (config.target is None and not (config.speed or config.rate)):
        return "max-rate"
    return timing_label(config)


def _jobs(config: RunConfig, replay: ReplayOptions | None, target: str, scratch: str) -> list[Job]:
    count = config.processes
    shared = replace(
        config,
        target=target,
        processes=1,
        max_rate=_timing(config) == "max-rate",
        rate=config.rate / count if config.rate else None,
        concurrency=math.ceil(config.concurrency / count),
        report=None,
        junit=None,
        html=None,
        thresholds=(),
        quiet=True,
        preflight=False,
        run_id=None if config.deterministic_ids else config.run_id or new_run_id(),
        started=config.started or datetime.now(UTC),
    )
    jobs = []
    for index in range(count):
        shard = (index, count)
        record = str(part_path(config.record, index)) if config.record else None
        jobs.append(
            Job(
                index,
                count,
                replace(shared, shard=shard, record=record),
                replace(replay, shard=shard) if replay is not None else None,
                str(Path(scratch) / f"worker{index}.err"),
            )
        )
    return jobs


class _Workers:
    """The worker processes and their pipes (a context manager: closing the pipes stops them)."""

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: dict[int, Any] = {}
        self.processes: dict[int, Any] = {}
        with _ignoring_sigint():  # a Ctrl-C while a worker starts must not break its start-up
            for index in range(count):
                mine, theirs = context.Pipe()
                process = context.Process(target=worker_main, args=(theirs,), name=f"sosim-worker-{index}")
                process.daemon = True
                process.start()
                theirs.close()
                self.pipes[index], self.processes[index] = mine, process

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *_exc: object) -> None:
        for pipe in self.pipes.values():
            pipe.close()  # a worker without its job exits; one still playing stops as on Ctrl-C
        for process in self.processes.values():
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
                process.join()

    def send(self, index: int, message: Any) -> None:
        with contextlib.suppress(OSError):  # a worker that has gone needs no message
            self.pipes[index].send(message)


def _supervise(
    workers: _Workers, jobs: Sequence[Job], say: Callable[[str], None] | None = None
) -> tuple[dict[int, Report], str | None]:
    """Run the workers to the end, with a progress line through ``say`` every ``STATUS_EVERY_S``;
    their reports, and the first failure (None when none failed)."""
    from multiprocessing.connection import wait

    with _signals_as_messages() as (wakeup, presses):
        for job in jobs:
            workers.send(job.index, job)
        supervisor = _Supervisor(workers, len(jobs))
        next_line = time.monotonic() + STATUS_EVERY_S
        while supervisor.pending:
            pipes = {workers.pipes[i]: i for i in supervisor.pending}
            ended = {workers.processes[i].sentinel: i for i in supervisor.pending}
            if say is not None and time.monotonic() >= next_line:
                next_line += STATUS_EVERY_S
                say(supervisor.status_line())
            timeout = max(next_line - time.monotonic(), 0.0) if say is not None else None
            for ready in wait([wakeup, *pipes, *ended], timeout):
                if ready == wakeup:
                    os.read(wakeup, 64)
                    supervisor.pass_on(presses.take())
                elif isinstance(ready, int) and ready in ended:
                    supervisor.hear(ended[ready], ended=True)
                elif ready in pipes:
                    supervisor.hear(pipes[ready], ended=False)
    return supervisor.reports, supervisor.failure


class _Supervisor:
    """The parent's view of the workers: who is ready, who has reported, what failed."""

    def __init__(self, workers: _Workers, count: int) -> None:
        self.workers = workers
        self.count = count
        self.pending = set(workers.processes)
        self.ready: set[int] = set()
        self.reports: dict[int, Report] = {}
        self.failure: str | None = None
        self.stopping = False  # a press came before the go: the workers get it instead
        self.counts: dict[int, tuple[int, int]] = {}  # attempts and delivered, as last heard
        self.started: float | None = None  # when the go went out

    def status_line(self) -> str:
        """How far the workers got: the plain line a log gets every ``STATUS_EVERY_S``."""
        attempts = sum(a for a, _ in self.counts.values())
        delivered = sum(d for _, d in self.counts.values())
        elapsed = time.monotonic() - self.started if self.started is not None else 0.0
        rate = attempts / elapsed if elapsed > 0 else 0.0
        return (
            f"progress: {attempts:,} attempts, {delivered:,} delivered, {rate:,.0f}/s, "
            f"elapsed {elapsed:.1f}s, {len(self.pending)} of {self.count} processes playing"
        )

    def pass_on(self, messages: Sequence[str]) -> None:
        """Pass the parent's Ctrl-C presses and SIGTERM on to every worker still playing."""
        for message in messages:
            self.stopping = True
            for index in self.pending:
                self.workers.send(index, message)

    def hear(self, index: int, *, ended: bool) -> None:
        """Take worker ``index``'s next message (``ended``: its process has exited)."""
        if index not in self.pending:
            return
        message = _receive(self.workers.pipes[index], self.workers.processes[index], ended)
        if message[0] == "progress":
            self.counts[index] = (message[1], message[2])
            return
        if message[0] == "ready":
            self.ready.add(index)
            if len(self.ready) == self.count and self.failure is None and not self.stopping:
                self.started = time.monotonic()
                for other in self.pending:
                    self.workers.send(other, GO)
            return
        self.pending.discard(index)
        if message[0] == "done":
            self.reports[index] = message[1]
            return
        self.failure = self.failure or f"worker {index + 1} of {self.count} {message[1]}"
        for other in self.pending:
            self.workers.send(other, STOP)  # the others stop; their recordings complete


def _receive(pipe: Any, process: Any, ended: bool) -> tuple[Any, ...]:
    """A worker's next message; a worker that ended without one has crashed."""
    if not ended or pipe.poll():
        with contextlib.suppress(EOFError, OSError):
            message: tuple[Any, ...] = pipe.recv()
            return message
    process.join(timeout=10)
    code = process.exitcode
    if code is not None and code < 0:
        how = f"was killed by {signal.Signals(-code).name}"
    else:
        how = f"exited with code {code}"
    return ("crash", f"{how} before it reported (its share of the run is incomplete)")


class _Presses:
    """Signals the parent got, waiting to be passed on."""

    def __init__(self) -> None:
        self._messages: list[str] = []

    def add(self, message: str) -> None:
        self._messages.append(message)

    def take(self) -> list[str]:
        taken, self._messages = self._messages, []
        return taken


@contextlib.contextmanager
def _signals_as_messages() -> Iterator[tuple[int, _Presses]]:
    """Within the block, SIGINT and SIGTERM are noted and wake the supervisor through a pipe."""
    read, write = os.pipe()
    presses = _Presses()

    def note(number: int) -> None:
        presses.add(TERM if number == signal.SIGTERM else STOP)
        with contextlib.suppress(OSError):
            os.write(write, b"!")

    try:
        with signals_noted(note):
            yield read, presses
    finally:
        os.close(read)
        os.close(write)


@contextlib.contextmanager
def _ignoring_sigint() -> Iterator[None]:
    """SIGINT ignored while workers start: they inherit that until their run handles it."""
    with handlers_set({signal.SIGINT: signal.SIG_IGN}):
        yield


def _print_warnings(jobs: Sequence[Job]) -> None:
    """The workers' warnings, each distinct line once (every worker warns of the same secret)."""
    import sys

    seen: set[str] = set()
    for job in jobs:
        with contextlib.suppress(OSError):
            for line in Path(job.stderr).read_text(encoding="utf-8", errors="replace").splitlines():
                if line.strip() and line not in seen:
                    seen.add(line)
                    print(line, file=sys.stderr)


def _merge_results(results: Sequence[RunResult], failure: str | None) -> RunResult:
    """How the run ended: the longest worker's time, the sums, the first stop or webhook state."""
    if not results:
        return RunResult(0.0, True, "Active", 0, failure or "interrupted")
    active = "Active"
    stopped = next((r for r in results if r.interrupted), None)
    disabled = next((r for r in results if r.webhook_state != active), None)
    telling = stopped or disabled or results[0]
    return RunResult(
        elapsed_s=max(r.elapsed_s for r in results),
        interrupted=stopped is not None,
        webhook_state=disabled.webhook_state if disabled else active,
        planned=sum(r.planned for r in results),
        reason=telling.reason,
        unsent=sum(r.unsent for r in results),
    )


def _merged_info(config: RunConfig, reports: dict[int, Report], target: str) -> RunInfo | None:
    """The run's settings as one process would report them, and how many processes played it."""
    info = next((r.info for _, r in sorted(reports.items()) if r.info is not None), None)
    if info is None:
        return None
    extra = {**info.extra, "processes": str(config.processes)}
    if config.rate:
        extra["target_rate"] = f"{config.rate:g}"
    return replace(
        info, target=mask_url(target), timing=_timing(config), concurrency=config.concurrency, extra=extra
    )


def _merged_stats(
    config: RunConfig, reports: dict[int, Report], info: RunInfo | None, result: RunResult
) -> Any:
    from simulator.report.merge import ClusterStats

    stats = ClusterStats(config.thresholds, empty_ok=config.empty_ok)
    if info is not None:
        stats.start(info)
    for _, report in sorted(reports.items()):
        stats.merge(report.stats)
    stats.finish(result)
    return stats


def _merge_recording(record: str, count: int, info: RunInfo, result: RunResult | None) -> None:
    """Write the one recording from the workers' parts, then remove the parts."""
    from simulator.recording.record import header_line

    parts = [part_path(record, index) for index in range(count)]
    end = {"type": "end", **asdict(result)} if result is not None else None
    try:
        merge_recordings(parts, record, header_line("run", **asdict(info)), end)
    except OSError as exc:
        raise SimulatorError(f"cannot write the recording ({exc})", option="record", value=record) from None
    for part in parts:
        part.unlink(missing_ok=True)
