"""The one clock of a run, injectable so tests drive the scheduler without sleeping."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


class Clock(Protocol):
    """Monotonic seconds and a way to wait for a deadline on that scale."""

    def now(self) -> float:
        """Return monotonic seconds."""

    async def sleep_until(self, deadline: float) -> None:
        """Return at (or just after) ``deadline``."""


class MonotonicClock:
    """The real clock: ``time.perf_counter`` and ``asyncio.sleep``."""

    def now(self) -> float:
        """Return ``time.perf_counter()``."""
        return time.perf_counter()

    async def sleep_until(self, deadline: float) -> None:
        """Sleep until ``deadline``; the last millisecond spins so lag stays below 1 ms."""
        remaining = deadline - time.perf_counter()
        if remaining > 0.002:
            await asyncio.sleep(remaining - 0.0015)
        # asyncio's timer resolution is about 1 ms; yield until the deadline instead of oversleeping.
        while time.perf_counter() < deadline:
            await asyncio.sleep(0)


class FakeClock:
    """Virtual time for tests: waiting jumps the clock forward instead of sleeping.

    Sleepers wake in deadline order: a sleeper waits until no other task can run (every task
    is blocked on this clock or on I/O that completes at once), then time jumps to the
    earliest deadline.
    """

    def __init__(self, start: float = 0.0) -> None:
        self.time = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = 0
        self._waker: asyncio.Task[None] | None = None

    def now(self) -> float:
        """Return the virtual time."""
        return self.time

    def advance(self, seconds: float) -> None:
        """Move virtual time forward (for synchronous tests)."""
        self.time += seconds

    async def sleep_until(self, deadline: float) -> None:
        """Wait in virtual time; returns once every earlier sleeper has woken."""
        if deadline <= self.time:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._order += 1
        self._sleepers.append((deadline, self._order, future))
        if self._waker is None or self._waker.done():
            self._waker = asyncio.ensure_future(self._wake_in_order())
        await future

    async def _wake_in_order(self) -> None:
        while self._sleepers:
            # Let every runnable task run first, so nobody is overtaken in virtual time.
            for _ in range(20):
                await asyncio.sleep(0)
            self._sleepers.sort()
            deadline, _, future = self._sleepers.pop(0)
            self.time = max(self.time, deadline)
            if not future.done():
                future.set_result(None)
