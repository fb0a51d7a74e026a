"""The worker side of ``sosim run --processes N`` (:mod:`simulator.engine.processes`): one share.

A worker is a spawned process. It takes its :class:`Job` from the pipe, plays it with the run or
replay engine (its console off, its stderr in a file the parent prints once), says ready just
before its clock starts, starts on the parent's go, and hands back a :class:`Report`: its figures
as plain data (:func:`simulator.report.merge.encode_final`), its settings and how it ended.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.core.errors import SimulatorError
from simulator.core.outcome import RunInfo, RunResult
from simulator.engine.run import RunConfig, RunOutcome
from simulator.recording.replay import ReplayOptions

__all__ = ["GO", "STOP", "TERM", "Job", "Report", "StartTogether", "worker_main"]

#: What the parent sends a worker after its job: start, stop (a Ctrl-C press) or terminate.
GO, STOP, TERM = "go", "stop", "term"
_SIGNALS = {STOP: signal.SIGINT, TERM: signal.SIGTERM}
#: How often a worker tells the parent its counts, for the parent's progress lines.
PROGRESS_EVERY_S = 1.0


@dataclass(frozen=True, slots=True)
class Job:
    """One worker's share of the run."""

    index: int
    count: int
    config: RunConfig
    replay: ReplayOptions | None  # None: ``sosim run``
    stderr: str  # where the worker's warnings go, for the parent to print once


@dataclass(slots=True)
class Report:
    """What a finished worker hands back."""

    stats: dict[str, Any]  # encode_final of its RunStats
    info: RunInfo | None
    result: RunResult
    default_secret: str | None


def worker_main(pipe: Any) -> None:
    """A worker process: take the job, play it, hand back the figures (spawned, so module level)."""
    if hasattr(os, "setpgrp"):  # Ctrl-C at the terminal reaches the parent only, which passes it on
        os.setpgrp()
    _warm_up()
    try:
        job: Job = pipe.recv()
    except (EOFError, OSError):
        return  # the parent stopped before it sent a job (bad input, Ctrl-C)
    descriptor = os.open(job.stderr, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(descriptor, 2)
    os.close(descriptor)
    message: tuple[Any, ...]
    try:
        outcome = _play(job, StartTogether(pipe))
        info = outcome.stats.info
        message = ("done", Report(_encode(outcome.stats), info, outcome.result, outcome.default_secret))
    except SimulatorError as exc:
        message = ("error", f"stopped: {exc}")
    except (Exception, KeyboardInterrupt) as exc:  # a bug: one line for the parent, not a traceback
        message = ("crash", f"failed: {type(exc).__name__}: {exc}")
    with contextlib.suppress(OSError):
        pipe.send(message)


def _warm_up() -> None:
    """Import what every run needs while the parent prepares the job."""
    import simulator.core.plan
    import simulator.core.scenario
    import simulator.delivery.deliverer
    import simulator.delivery.transport
    import simulator.report.stats  # noqa: F401

    with contextlib.suppress(ImportError):
        import uvloop  # noqa: F401


def _play(job: Job, together: StartTogether) -> RunOutcome:
    if job.replay is not None:
        from simulator.engine.replay import replay

        return replay(job.config, job.replay, extra_handlers=[together])
    from simulator.engine.run import run

    return run(job.config, extra_handlers=[together])


def _encode(stats: Any) -> dict[str, Any]:
    from simulator.report.merge import encode_final

    return encode_final(stats)


class StartTogether:
    """A run handler whose ``start`` is a worker's last step before its clock starts: it tells the
    parent it is ready and waits for the go, so every worker starts at the same moment. From then
    on a thread turns the parent's messages into the run's own SIGINT (stop, then abandon) and
    SIGTERM handling; a parent that is gone counts as a stop."""

    def __init__(self, pipe: Any) -> None:
        self._pipe = pipe
        self._attempts = self._delivered = 0
        self._report_at = 0.0  # when the parent next hears how far this worker got

    def start(self, info: RunInfo) -> None:
        """Ready; wait for the go (or an early stop), then listen for stops."""
        import asyncio

        loop = asyncio.get_running_loop()
        self._pipe.send(("ready",))
        try:
            first = self._pipe.recv()
        except (EOFError, OSError):  # the parent is gone: stop before anything is sent
            signal.raise_signal(signal.SIGINT)
            return
        if first != GO:
            signal.raise_signal(_SIGNALS.get(first, signal.SIGINT))  # the run's handler takes it
        threading.Thread(target=self._listen, args=(loop.call_soon_threadsafe,), daemon=True).start()

    def _listen(self, call_soon: Callable[..., Any]) -> None:
        gone = False
        while not gone:
            try:
                message = self._pipe.recv()
            except (EOFError, OSError):
                message, gone = STOP, True  # the parent is gone: stop as Ctrl-C does, once
            number = _SIGNALS.get(message)
            if number is None:
                continue
            try:
                call_soon(signal.raise_signal, number)
            except RuntimeError:
                return  # the run's loop has closed: nothing left to stop

    def handle_attempt(self, attempt: Any) -> None:
        """Count it; about once a second, tell the parent how far this worker got."""
        self._attempts += 1
        self._delivered += bool(attempt.delivered)
        now = time.monotonic()
        if now >= self._report_at:
            self._report_at = now + PROGRESS_EVERY_S
            with contextlib.suppress(OSError):
                self._pipe.send(("progress", self._attempts, self._delivered))

    def handle_state(self, change: Any) -> None:
        """Nothing."""

    def finish(self, result: RunResult) -> None:
        """Nothing."""
