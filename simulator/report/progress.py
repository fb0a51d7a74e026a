"""Live progress on a TTY: sent, delivered, failed, in flight, rate, p50/p99, elapsed and left."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

from simulator.core.outcome import Attempt, RunInfo, RunResult, StateChange
from simulator.core.units import format_duration


class LiveProgress:
    """A run handler that redraws one status panel a few times a second (rich ``Live``)."""

    def __init__(
        self,
        console: Any,
        *,
        metric: Callable[[str], float],
        in_flight: Callable[[], int],
        planned: int | None = None,
        target_rate: float | None = None,
    ) -> None:
        self.console = console
        self.metric = metric
        self.in_flight = in_flight
        self.planned = planned
        self.target_rate = target_rate
        self.sent = 0
        self.delivered = 0
        self.failed = 0
        self.retries = 0
        self.state = "Active"
        self._started = 0.0
        self._recent: deque[float] = deque(maxlen=4096)
        self._live: Any = None

    def start(self, info: RunInfo) -> None:
        """Open the live panel."""
        from rich.live import Live

        self._started = time.perf_counter()
        self._live = Live(self._render(), console=self.console, refresh_per_second=4, transient=True)
        self._live.get_renderable = self._render  # redraw from current counters on every refresh
        self._live.start()

    def handle_attempt(self, attempt: Attempt) -> None:
        """Count one attempt."""
        if attempt.attempt == 1:
            self.sent += 1
            self._recent.append(time.perf_counter())
        else:
            self.retries += 1
        if attempt.final:
            if attempt.delivered:
                self.delivered += 1
            else:
                self.failed += 1

    def handle_state(self, change: StateChange) -> None:
        """Show the webhook's new state."""
        self.state = change.state

    def finish(self, result: RunResult) -> None:
        """Close the panel."""
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _rate(self) -> float:
        now = time.perf_counter()
        while self._recent and now - self._recent[0] > 2.0:
            self._recent.popleft()
        window = min(2.0, max(now - self._started, 1e-3))
        return len(self._recent) / window

    def _render(self) -> Any:
        from rich.table import Table

        elapsed = time.perf_counter() - self._started
        rate = self._rate()
        table = Table.grid(padding=(0, 2))
        p50, p99 = self.metric("p50"), self.metric("p99")
        target = f" / {self.target_rate:,.0f}" if self.target_rate else ""
        left = ""
        if self.planned and rate > 0 and self.sent < self.planned:
            left = f"  left ~{format_duration((self.planned - self.sent) / rate)}"
        table.add_row(
            f"sent [bold]{self.sent:,}[/]" + (f"/{self.planned:,}" if self.planned else ""),
            f"delivered [green]{self.delivered:,}[/]",
            f"failed [red]{self.failed:,}[/]",
            f"retries {self.retries:,}",
            f"in flight {self.in_flight()}",
        )
        table.add_row(
            f"rate {rate:,.0f}{target}/s",
            f"p50 {_ms(p50)}",
            f"p99 {_ms(p99)}",
            f"webhook {self.state}",
            f"elapsed {format_duration(elapsed)}{left}",
        )
        return table


def _ms(seconds: float) -> str:
    return "-" if seconds != seconds else f"{seconds * 1000:.1f}ms"  # NaN: nothing measured yet
