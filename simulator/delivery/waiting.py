"""The requests a :class:`~simulator.delivery.deliverer.Deliverer` keeps outside its ready queue:
retries until their time comes (a retry wait holds no connection), and items held while the
webhook is not Active (``inactive="hold"``)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import replace

from simulator.delivery.clock import Clock
from simulator.delivery.item import Item

__all__ = ["Waiting"]


class Waiting:
    """Retry timers and held items; ``ready`` takes a retry whose time has come."""

    def __init__(self, clock: Clock, ready: Callable[[Item], None]) -> None:
        self.clock = clock
        self.ready = ready
        self.timers: dict[asyncio.Task[None], Item] = {}
        self.held: deque[Item] = deque()

    def retry(self, item: Item, when: float) -> None:
        """Make ``item``'s next attempt ready at clock time ``when``."""
        retry = replace(item, attempt=item.attempt + 1, intended=when)
        timer = asyncio.ensure_future(self._ready_at(retry))
        self.timers[timer] = retry
        timer.add_done_callback(lambda done: self.timers.pop(done, None))

    async def _ready_at(self, item: Item) -> None:
        await self.clock.sleep_until(item.intended)
        self.ready(item)

    def drop_retries(self) -> list[Item]:
        """Cancel the retries still waiting for their time, and return their items."""
        timers, self.timers = self.timers, {}
        dropped = []
        for timer, item in timers.items():
            if timer.done():  # it has already put its item back in the ready queue
                continue
            timer.cancel()
            dropped.append(item)
        return dropped

    def release_held(self) -> deque[Item]:
        """Take every held item (to send now, or to drop)."""
        held, self.held = self.held, deque()
        return held
