"""The one clock of a run, injectable so tests drive the scheduler without sleeping."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections import deque
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


async def sleep_until_or(clock: Clock, deadline: float, event: asyncio.Event) -> None:
    """Sleep on ``clock`` until ``deadline``, or until ``event`` is set, whichever comes first."""
    sleeper = asyncio.ensure_future(clock.sleep_until(deadline))
    waker = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait((sleeper, waker), return_when=asyncio.FIRST_COMPLETED)
    finally:
        sleeper.cancel()
        waker.cancel()


# Yields a waker spends at most waiting for the loop to settle, so a task that never blocks
# cannot freeze virtual time.
_MAX_SETTLE_YIELDS = 10_000
# On loops that hide their ready queue (uvloop), how many quiet checks in a row count as settled.
_QUIET_CHECKS = 3


class FakeClock:
    """Virtual time for tests: waiting jumps the clock forward instead of sleeping.

    Time moves only when the event loop has settled, that is when no task or callback can run
    without time passing. Then the earliest sleeper wakes, at exactly its deadline; sleepers
    with equal deadlines wake in the order they went to sleep. A cancelled sleeper does not
    move the clock.
    """

    def __init__(self, start: float = 0.0) -> None:
        self.time = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []  # a heap
        self._order = itertools.count()
        self._waker: asyncio.Task[None] | None = None

    def now(self) -> float:
        """Return the virtual time."""
        return self.time

    def advance(self, seconds: float) -> None:
        """Move virtual time forward (for synchronous tests)."""
        self.time += seconds

    async def sleep_until(self, deadline: float) -> None:
        """Wait in virtual time until ``deadline``."""
        if deadline <= self.time:
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._sleepers, (deadline, next(self._order), future))
        if self._waker is None or self._waker.done():
            self._waker = loop.create_task(self._wake_in_order())
        await future

    async def _wake_in_order(self) -> None:
        while True:
            await _settle()
            # Cancelled sleepers (a wait that lost a race, a stopped timer) are nobody's deadline.
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)
            if not self._sleepers:
                return
            deadline, _, future = heapq.heappop(self._sleepers)
            self.time = max(self.time, deadline)
            future.set_result(None)


async def _settle() -> None:
    """Yield until nothing else on the loop can run (best effort on loops other than asyncio's)."""
    loop = asyncio.get_running_loop()
    ready = getattr(loop, "_ready", None)  # asyncio's queue of runnable callbacks
    quiet = 0
    for _ in range(_MAX_SETTLE_YIELDS):
        await asyncio.sleep(0)
        if isinstance(ready, deque):
            if not ready:
                return
        elif _others_blocked():
            quiet += 1
            if quiet >= _QUIET_CHECKS:
                return
        else:
            quiet = 0


def _others_blocked() -> bool:
    """Whether every other task waits on a future that is not done yet."""
    me = asyncio.current_task()
    for task in asyncio.all_tasks():
        if task is me:
            continue
        waiter = getattr(task, "_fut_waiter", None)
        if waiter is None or waiter.done():
            return False
    return True
