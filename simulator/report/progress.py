"""Progress while a run goes: a live panel on a terminal, one plain status line every 10 s off one.

Both show the same figures (:class:`Progress`): events sent (of the planned total, with a percent,
when it is known), delivered, lost, retries, in flight, the send rate, elapsed time and the time
left. The time left comes from the planned total and the recent rate when the total is known, else
from the expected duration (the scenario's arrival window). Time comes from the run's clock, so tests
drive both on a FakeClock.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Final

from simulator.core.outcome import Attempt, RunInfo, RunResult, StateChange, fate_of, starts_event
from simulator.core.units import format_duration

#: Seconds between two status lines when the output is not a terminal (a CI log).
STATUS_EVERY_S: Final = 10.0
_RATE_WINDOW_S: Final = 2.0


class Progress:
    """A run handler that keeps the figures progress shows; ``status_line`` is their plain text."""

    def __init__(
        self,
        *,
        metric: Callable[[str], float],
        in_flight: Callable[[], int],
        planned: int | None = None,
        expected_s: float | None = None,
        target_rate: float | None = None,
        now: Callable[[], float] = time.perf_counter,
    ) -> None:
        """``planned``: the events the run will send, when known; ``expected_s``: how long the run is
        expected to take, when known; ``now``: the run's clock."""
        self.metric = metric
        self.in_flight = in_flight
        self.planned = planned or None
        self.expected_s = expected_s
        self.target_rate = target_rate
        self.now = now
        self.sent = 0
        self.delivered = 0
        self.lost = 0
        self.retries = 0
        self.state = "Active"
        self.started = now()
        self._recent: deque[float] = deque(maxlen=4096)

    def start(self, info: RunInfo) -> None:
        """Start the clock."""
        self.started = self.now()

    def handle_attempt(self, attempt: Attempt) -> None:
        """Count one attempt by what it did to its event."""
        if starts_event(attempt):
            self.sent += 1
            self._recent.append(self.now())
        elif attempt.attempt > 1:
            self.retries += 1
        fate = fate_of(attempt)
        if fate == "lost":
            self.lost += 1
        elif fate is not None:
            self.delivered += 1

    def handle_state(self, change: StateChange) -> None:
        """Show the webhook's new state."""
        self.state = change.state

    def finish(self, result: RunResult) -> None:
        """Nothing to close."""

    @property
    def elapsed_s(self) -> float:
        """Seconds since the run started, on the run's clock."""
        return max(self.now() - self.started, 0.0)

    def rate(self) -> float:
        """Events sent per second over the last two seconds."""
        now = self.now()
        while self._recent and now - self._recent[0] > _RATE_WINDOW_S:
            self._recent.popleft()
        window = min(_RATE_WINDOW_S, max(now - self.started, 1e-3))
        return len(self._recent) / window

    def sent_text(self) -> str:
        """``1,234`` or, with a planned total, ``1,234/5,000 (25%)``."""
        if not self.planned:
            return f"{self.sent:,}"
        return f"{self.sent:,}/{self.planned:,} ({100 * self.sent // self.planned}%)"

    def left_s(self) -> float | None:
        """The time left: from the planned total at the recent rate, else from the expected duration."""
        if self.planned:
            rate = self.rate()
            if self.sent >= self.planned:
                return 0.0
            return (self.planned - self.sent) / rate if rate > 0 else None
        if self.expected_s is not None and self.elapsed_s < self.expected_s:
            return self.expected_s - self.elapsed_s
        return None  # unknown, or past the expected end: the last sessions are finishing

    def time_text(self, separator: str) -> str:
        """``elapsed 12s`` and, when known, ``left ~38s``."""
        left = self.left_s()
        elapsed = f"elapsed {format_duration(self.elapsed_s)}"
        return elapsed if left is None else f"{elapsed}{separator}left ~{format_duration(left)}"

    def status_line(self) -> str:
        """One plain line of the figures, for a log."""
        parts = [
            f"sent {self.sent_text()}",
            f"delivered {self.delivered:,}",
            f"lost {self.lost:,}",
            f"retries {self.retries:,}",
            f"in flight {self.in_flight()}",
            f"{self.rate():,.0f}/s",
            f"webhook {self.state}",
            self.time_text(", "),
        ]
        return "progress: " + ", ".join(parts)


class LiveProgress(Progress):
    """The progress figures as one status panel, redrawn a few times a second (rich ``Live``)."""

    def __init__(self, console: Any, **figures: Any) -> None:
        super().__init__(**figures)
        self.console = console
        self._live: Any = None

    def start(self, info: RunInfo) -> None:
        """Open the live panel."""
        from rich.live import Live

        super().start(info)
        self._live = Live(self._render(), console=self.console, refresh_per_second=4, transient=True)
        self._live.get_renderable = self._render  # redraw from current counters on every refresh
        self._live.start()

    def finish(self, result: RunResult) -> None:
        """Close the panel."""
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _render(self) -> Any:
        from rich.table import Table

        table = Table.grid(padding=(0, 2))
        p50, p99 = self.metric("p50"), self.metric("p99")
        target = f" / {self.target_rate:,.0f}" if self.target_rate else ""
        table.add_row(
            f"sent [bold]{self.sent_text()}[/]",
            f"delivered [green]{self.delivered:,}[/]",
            f"lost [red]{self.lost:,}[/]",
            f"retries {self.retries:,}",
            f"in flight {self.in_flight()}",
        )
        table.add_row(
            f"rate {self.rate():,.0f}{target}/s",
            f"p50 {_ms(p50)}",
            f"p99 {_ms(p99)}",
            f"webhook {self.state}",
            self.time_text("  "),
        )
        return table


async def print_status(
    progress: Progress,
    say: Callable[[str], None],
    sleep_until: Callable[[float], Awaitable[None]],
    every_s: float = STATUS_EVERY_S,
) -> None:
    """Say ``progress.status_line()`` every ``every_s`` seconds of the run's clock, until cancelled."""
    due = progress.started + every_s
    while True:
        await sleep_until(due)
        say(progress.status_line())
        due += every_s


def _ms(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1000:.1f}ms"  # NaN: nothing measured yet
