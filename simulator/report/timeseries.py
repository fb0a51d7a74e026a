"""The run's figures over time, in bounded memory: one point per ``step`` seconds.

A point is one second of the run at first. Once a run outgrows ``MAX_SERIES_POINTS`` seconds,
``StepSeries`` doubles its step and merges each pair of adjacent points, so a day-long run keeps
at most that many points (``RunStats``' points are about 7 KB each: 2 KB of counters and two
log-linear histograms): the report states the step it ended with (``series_step_s``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, Final, Generic, Protocol, Self, TypeVar

from simulator.report.series import CoarseHistogram

__all__ = ["MAX_SERIES_POINTS", "SecondStats", "StepSeries"]

#: A run keeps one point a second up to 1 h; a longer one a point every 2, 4, 8 ... seconds.
MAX_SERIES_POINTS: Final = 3_600


class Point(Protocol):
    def add(self, other: Self, /) -> None: ...


P = TypeVar("P", bound=Point)


class StepSeries(Generic[P]):
    """Points of ``step`` seconds from second 0, at most ``limit`` of them (the step doubles).

    ``points`` maps ``second // step`` to the point; it is public for ``RunStats``' hot path.
    """

    __slots__ = ("limit", "make", "points", "step")

    def __init__(self, make: Callable[[], P], limit: int = MAX_SERIES_POINTS) -> None:
        self.make = make
        self.limit = limit
        self.step = 1
        self.points: dict[int, P] = {}

    def at(self, t_s: float) -> P:
        """The point the run second ``t_s`` falls in (made on first use; before 0 counts as 0)."""
        t = max(int(t_s), 0)
        if t // self.step >= self.limit:
            self._coarsen(t)
        key = t // self.step
        point = self.points.get(key)
        if point is None:
            point = self.points[key] = self.make()
        return point

    def _coarsen(self, t: int) -> None:
        """Double the step (merging adjacent points) until second ``t`` fits in ``limit`` points."""
        while t // self.step >= self.limit:
            merged: dict[int, P] = {}
            for key, point in self.points.items():
                into = merged.get(key // 2)
                if into is None:
                    merged[key // 2] = point
                else:
                    into.add(point)
            self.points = merged
            self.step *= 2

    def items(self) -> list[tuple[int, P]]:
        """(first second, point) in time order; quiet points are absent."""
        return [(key * self.step, point) for key, point in sorted(self.points.items())]

    def step_for(self, wanted: int) -> int:
        """The smallest multiple of ``step`` that is at least ``wanted`` seconds."""
        return -(-max(wanted, 1) // self.step) * self.step

    def merged(self, step: int = 1) -> Iterator[tuple[int, P | None]]:
        """Every ``step_for(step)`` seconds from 0 to the last point: its first second and the merged
        point, None when quiet."""
        if not self.points:
            return
        step = self.step_for(step)
        ratio = step // self.step
        last = max(self.points)
        if ratio == 1:
            yield from ((key * step, self.points.get(key)) for key in range(last + 1))
            return
        for first in range(0, last + 1, ratio):
            merged: P | None = None
            for key in range(first, min(first + ratio, last + 1)):
                point = self.points.get(key)
                if point is None:
                    continue
                if merged is None:
                    merged = self.make()
                merged.add(point)
            yield first * self.step, merged


class SecondStats:
    """The figures of one second of the run (or of several, merged)."""

    __slots__ = (
        "delivered",
        "errors",
        "failed",
        "lag",
        "retries",
        "sent",
        "service",
        "status_4xx",
        "status_5xx",
    )

    def __init__(self) -> None:
        self.sent = 0
        self.delivered = 0
        self.failed = 0
        self.retries = 0
        self.status_4xx = 0
        self.status_5xx = 0
        self.errors = 0
        self.service = CoarseHistogram()
        self.lag = CoarseHistogram()

    def add(self, other: SecondStats) -> None:
        """Fold another second into this one."""
        self.sent += other.sent
        self.delivered += other.delivered
        self.failed += other.failed
        self.retries += other.retries
        self.status_4xx += other.status_4xx
        self.status_5xx += other.status_5xx
        self.errors += other.errors
        self.service.add(other.service)
        self.lag.add(other.lag)

    def row(self, t: int) -> dict[str, Any]:
        p50, p90, p99 = self.service.percentiles_ms((50.0, 90.0, 99.0))
        lag_p50, lag_p99 = self.lag.percentiles_ms((50.0, 99.0))
        return {
            "t": t,
            "sent": self.sent,
            "delivered": self.delivered,
            "failed": self.failed,
            "retries": self.retries,
            "status_4xx": self.status_4xx,
            "status_5xx": self.status_5xx,
            "errors": self.errors,
            "p50_ms": p50,
            "p90_ms": p90,
            "p99_ms": p99,
            "lag_p50_ms": lag_p50,
            "lag_p99_ms": lag_p99,
        }
