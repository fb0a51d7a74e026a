"""The dispatch half of the :class:`~simulator.delivery.deliverer.Deliverer`: reading the planned
requests and admitting each at its deadline (absolute, ``start + due_s``; at --max-rate as soon as it
is read), waiting while the queue of ready items is full."""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import AsyncIterable, Callable, Iterable, Iterator
from typing import TypeVar

from simulator.core.schedule import Planned
from simulator.delivery.clock import Clock, sleep_until_or
from simulator.delivery.item import Item

__all__ = ["Dispatcher", "primed"]

T = TypeVar("T")


def primed(planned: Iterable[T]) -> Iterator[T]:
    """``planned``'s items, the first one made now: read the run's clock after this, so the
    work before the first request (imports, caches, the first session) is not counted as lag.

    An error raised while making the first item is raised when it is read, as before."""
    iterator = iter(planned)
    try:
        first = next(iterator)
    except StopIteration:
        return iterator
    except Exception as exc:  # the source is broken: fail where reading it always failed
        return _raising(exc)
    return itertools.chain((first,), iterator)


def _raising(exc: Exception) -> Iterator[T]:
    raise exc
    yield  # a generator: the error comes when it is read


class Dispatcher:
    """The deliverer's dispatch loop; the deliverer sets these attributes and admits each item."""

    clock: Clock
    max_rate: bool
    _now: Callable[[], float]
    _start: float
    _stop: asyncio.Event
    _stopping: bool
    _ready: deque[Item]
    _backlog: int
    _room: asyncio.Event

    def _admit(self, item: Planned, number: int, deadline: float) -> None:
        raise NotImplementedError

    async def _dispatch(self, planned: Iterable[Planned] | AsyncIterable[Planned]) -> int:
        count = 0
        if isinstance(planned, AsyncIterable):
            async for item in planned:
                if not await self._dispatch_one(item, count + 1):
                    break
                count += 1
            return count
        # The same steps as _dispatch_one, inlined: at --max-rate this loop runs once an event.
        now, ready, backlog = self._now, self._ready, self._backlog
        origin, max_rate = self._start, self.max_rate
        for item in planned:
            if self._stopping:
                break
            # At --max-rate an event is due when it is read: its lag is the wait for a free
            # slot or for its session's previous answer, not the time since the run began.
            deadline = now() if max_rate else origin + item.due_s
            if not max_rate and deadline > now():
                await sleep_until_or(self.clock, deadline, self._stop)
                if self._stopping:
                    break
            count += 1
            self._admit(item, count, deadline)
            if len(ready) >= backlog:
                await self._wait_for_room()
        return count

    async def _dispatch_one(self, item: Planned, number: int) -> bool:
        """Wait for ``item``'s deadline and admit it; False when the run stopped instead."""
        if self._stopping:
            return False
        deadline = self._now() if self.max_rate else self._start + item.due_s
        if deadline > self.clock.now():
            await sleep_until_or(self.clock, deadline, self._stop)
            if self._stopping:
                return False
        self._admit(item, number, deadline)
        if len(self._ready) >= self._backlog:
            await self._wait_for_room()
        return True

    async def _wait_for_room(self) -> None:
        """Wait while the queue of ready items is full (or until the run stopped); ``_pump`` wakes
        this only once the queue is down to half the backlog."""
        while len(self._ready) >= self._backlog and not self._stopping:
            self._room.clear()
            await self._room.wait()
