"""A run cancelled with requests in flight (a second Ctrl-C) reports what it sent and abandoned.

No signals and no sleeping: the transport never answers, and cancels the run itself once every
slot has a request in flight, as a second Ctrl-C does; the run goes on a FakeClock.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from simulator.core.outcome import Response, RunInfo, RunResult
from simulator.delivery import transport as transports
from simulator.delivery.clock import FakeClock
from simulator.engine.run import EXIT_INTERRUPTED, RunConfig, run
from simulator.report.writers import render_summary

SUPPORT_CHAT = str(Path(__file__).parents[3] / "scenarios" / "support-chat.yaml")
CONCURRENCY = 64


class CancelsWhenFull:
    """A transport that never answers; when ``CONCURRENCY`` requests are in flight it cancels the run."""

    def __init__(self) -> None:
        self.sent = 0
        self.run_task: asyncio.Task[Any] | None = None

    async def send(self, headers: tuple[tuple[str, str], ...], body: bytes) -> Response:
        self.sent += 1
        if self.sent == CONCURRENCY and self.run_task is not None:
            self.run_task.cancel()
        await asyncio.get_running_loop().create_future()  # never set
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        """Nothing to close."""


class RunTask:
    """A handler that hands the transport the run's task when the run starts."""

    def __init__(self, transport: CancelsWhenFull) -> None:
        self.transport = transport

    def start(self, info: RunInfo) -> None:
        self.transport.run_task = asyncio.current_task()

    def handle_attempt(self, attempt: Any) -> None:
        """Counted by RunStats."""

    def handle_state(self, change: Any) -> None:
        """Not expected."""

    def finish(self, result: RunResult) -> None:
        """Nothing to close."""


def test_a_cancelled_run_counts_the_requests_it_abandoned(monkeypatch: pytest.MonkeyPatch) -> None:
    """64 requests in flight at the second Ctrl-C: 64 events sent and lost, not "no attempt was made"."""
    silent = CancelsWhenFull()
    monkeypatch.setattr(transports, "open_transport", lambda *args, **kwargs: silent)
    config = RunConfig(
        scenarios=(SUPPORT_CHAT,),
        target="http://127.0.0.1:9/webhook",
        secret="s",
        sessions=80,
        max_rate=True,
        concurrency=CONCURRENCY,
        quiet=True,
        preflight=False,
    )
    outcome = run(config, extra_handlers=[RunTask(silent)], clock=FakeClock())
    stats = outcome.stats
    assert outcome.exit_code == EXIT_INTERRUPTED
    assert outcome.result.interrupted
    assert "64 request(s) in flight were abandoned" in outcome.result.reason
    assert (stats.attempts, stats.sent, stats.lost, stats.delivered) == (64, 64, 64, 0)
    assert stats.errors == {"abandoned": 64}
    console = Console(record=True, width=100)
    render_summary(stats, [], console)
    text = console.export_text()
    assert "no attempt was made" not in text
    assert "64 request(s) were in flight when the run was cancelled" in text
