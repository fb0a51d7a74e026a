"""Progress while a run goes: planned total, percent and time left; plain status lines off a terminal.

Everything runs on a FakeClock (or a hand-moved clock): no sleeping.
"""

from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from simulator.core.events import Request
from simulator.core.outcome import Attempt, Response
from simulator.core.plan import PlanOptions, arrival_window_s
from simulator.core.scenario import parse_scenario
from simulator.delivery import transport as transports
from simulator.delivery.clock import FakeClock
from simulator.engine.run import RunConfig, run
from simulator.report.progress import LiveProgress, Progress, print_status

SUPPORT_CHAT = str(Path(__file__).parents[3] / "scenarios" / "support-chat.yaml")


class Hand:
    """A clock moved by hand."""

    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def attempt(session: int, *, number: int = 1, status: int = 200, final: bool = True) -> Attempt:
    request = Request("chatsession.message", f"e{session}", session, (), b"{}")
    return Attempt(request, "s", 1, number, 0.0, 0.0, 0.0, status, delivered=status == 200, final=final)


def progress(clock: Hand, **known: Any) -> Progress:
    figures = Progress(metric=lambda name: float("nan"), in_flight=lambda: 2, now=clock, **known)
    figures.start(None)  # type: ignore[arg-type]
    return figures


def test_progress_shows_the_planned_total_a_percent_and_the_time_left() -> None:
    """With a planned total: sent 3/10 (30%), and the time left at the recent rate."""
    clock = Hand()
    figures = progress(clock, planned=10)
    clock.t = 1.0
    for session in range(3):
        figures.handle_attempt(attempt(session))
    figures.handle_attempt(attempt(3, status=500, final=False))
    figures.handle_attempt(attempt(3, number=2, status=500))
    clock.t = 1.5
    line = figures.status_line()
    assert "sent 4/10 (40%)" in line
    assert "delivered 3, lost 1, retries 1, in flight 2" in line
    assert figures.left_s() == pytest.approx(6 / (4 / 1.5))
    assert "elapsed 1.5s, left ~" in line


def test_progress_without_a_total_counts_down_the_expected_duration() -> None:
    """Without a total, the time left is the expected duration less the elapsed time; none past it."""
    clock = Hand()
    figures = progress(clock, expected_s=60.0)
    clock.t = 15.0
    assert figures.sent_text() == "0"
    assert figures.left_s() == 45.0
    clock.t = 61.0
    assert figures.left_s() is None
    assert "left" not in figures.status_line()


def test_the_live_panel_shows_the_same_total_and_time_left() -> None:
    """On a terminal the panel shows sent of the planned total, with percent and time left."""
    clock = Hand()
    console = Console(file=io.StringIO(), width=120, force_terminal=True)
    panel = LiveProgress(console, metric=lambda name: float("nan"), in_flight=lambda: 0, planned=4, now=clock)
    panel.started = 0.0
    clock.t = 1.0
    panel.handle_attempt(attempt(1))
    capture = Console(file=io.StringIO(), width=120, record=True)
    capture.print(panel._render())
    text = capture.export_text()
    assert "sent 1/4 (25%)" in text
    assert "left ~" in text


def test_status_lines_come_every_10_seconds_of_the_run_clock() -> None:
    """Off a terminal, one plain line every 10 s: three lines in 35 s of (virtual) run time."""
    clock = FakeClock()
    lines: list[str] = []
    figures = Progress(metric=lambda name: 0.0, in_flight=lambda: 0, now=clock.now)

    async def main() -> None:
        ticker = asyncio.ensure_future(print_status(figures, lines.append, clock.sleep_until))
        await clock.sleep_until(35.0)
        ticker.cancel()

    asyncio.run(main())
    assert [line.split("elapsed ")[1] for line in lines] == ["10.0s", "20.0s", "30.0s"]
    assert all(line.startswith("progress: sent 0, delivered 0") for line in lines)


def test_the_expected_duration_is_the_scenarios_arrival_window() -> None:
    """The last session is expected to start after (sessions - 1) / rate, or at the duration, scaled."""
    scenario = parse_scenario("name: a\narrivals: {sessions: 7, rate: 1/min}\n")
    assert arrival_window_s([scenario], PlanOptions()) == 360.0
    assert arrival_window_s([scenario], PlanOptions(time_scale=0.5)) == 180.0
    assert arrival_window_s([scenario], PlanOptions(duration_s=90.0, sessions=None)) == 90.0
    burst = parse_scenario(
        "name: b\narrivals: {sessions: 10, process: burst, burst: {size: 4, every: 30s}}\n"
    )
    assert arrival_window_s([burst], PlanOptions()) == 60.0


class Instant:
    """A transport that answers 200 at once."""

    async def send(self, headers: tuple[tuple[str, str], ...], body: bytes) -> Response:
        return Response(200)

    async def aclose(self) -> None:
        """Nothing to close."""


def test_a_run_off_a_terminal_prints_a_status_line_every_10_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """`sosim run` into a CI log is not silent: a status line every 10 s, with the time left from
    the scenario's arrivals (3 sessions at 12/h start within 10 minutes)."""
    monkeypatch.setattr(transports, "open_transport", lambda *args, **kwargs: Instant())
    out = io.StringIO()
    console = Console(file=out, width=200, force_terminal=False)
    config = RunConfig(
        scenarios=(SUPPORT_CHAT,),
        target="http://127.0.0.1:9/webhook",
        secret="s",
        sessions=3,
        preflight=False,
    )
    outcome = run(config, console=console, clock=FakeClock())
    assert outcome.exit_code == 0
    lines = [line for line in out.getvalue().splitlines() if line.startswith("progress: ")]
    assert len(lines) >= 3
    assert "elapsed 10.0s, left ~9m50s" in lines[0]
    assert "elapsed 20.0s" in lines[1]
