"""Sharding: which sessions each Locust user plays, so no two users anywhere share one.

Generation builds session ``i`` from ``(seed, i)`` alone (:meth:`Generator.session`), and session
``i`` owns its session id, its message ids and its EventIds. So the cluster only has to hand out
distinct indexes, and it does that without talking:

- the master counts the workers ``W`` and users ``N`` when the run starts, and gives each worker a
  *slot* ``0 .. W-1`` (its worker index, ranked among the connected workers);
- a user takes the lowest free *ordinal* on its worker, and plays lane ``ordinal * W + slot``;
- the ``k``-th session of a lane has index ``k * stride + lane``, with ``stride = W * ceil(N / W)``.

Locust spreads users evenly over workers, so the lanes fill ``0 .. stride-1`` and the indexes
stay dense. A user that finds no lane below ``stride`` (one added in the web UI mid-run) plays
nothing rather than repeat another user's sessions. A lane remembers how far it got, so a user
that takes over a freed ordinal continues the lane instead of replaying it.

An index names its worker, user and turn (:meth:`ShardLayout.locate`), and ``--seed`` with the
index rebuilds the session exactly, on any machine.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["Lanes", "Location", "ShardLayout"]


class Location(NamedTuple):
    """Where a session index was played: worker slot, user ordinal on that worker, and turn."""

    slot: int
    ordinal: int
    turn: int


@dataclass(frozen=True, slots=True)
class ShardLayout:
    """The cluster's split of session indexes, fixed when a run starts."""

    workers: int
    stride: int
    limit: int | None = None  # the scenario's ``arrivals.sessions``, when it has one

    def __post_init__(self) -> None:
        if self.workers < 1 or self.stride < self.workers or self.stride % self.workers:
            raise ValueError(f"bad shard layout: {self.workers} workers, stride {self.stride}")

    @classmethod
    def plan(cls, workers: int, users: int, limit: int | None = None) -> ShardLayout:
        """The layout for ``users`` users spread evenly over ``workers`` workers."""
        workers = max(1, workers)
        per_worker = max(1, math.ceil(max(1, users) / workers))
        return cls(workers, workers * per_worker, limit)

    @property
    def users_per_worker(self) -> int:
        """The most users one worker can run with a lane of its own."""
        return self.stride // self.workers

    def lane(self, slot: int, ordinal: int) -> int | None:
        """The lane of user ``ordinal`` on worker ``slot``, or None when it has no room."""
        if not 0 <= slot < self.workers or not 0 <= ordinal < self.users_per_worker:
            return None
        return ordinal * self.workers + slot

    def index(self, lane: int, turn: int) -> int:
        """The session index a lane plays on its ``turn``-th session (0-based)."""
        return turn * self.stride + lane

    def locate(self, index: int) -> Location:
        """Which worker slot, user ordinal and turn played session ``index``."""
        turn, lane = divmod(index, self.stride)
        ordinal, slot = divmod(lane, self.workers)
        return Location(slot, ordinal, turn)


@dataclass(slots=True)
class Lanes:
    """One worker's lanes: handed to users as they start, continued when a user takes over."""

    layout: ShardLayout
    slot: int
    _free: list[int] = field(default_factory=list)  # released ordinals, a heap
    _next_ordinal: int = 0
    _turns: dict[int, int] = field(default_factory=dict)  # lane -> sessions handed out

    def acquire(self) -> int | None:
        """Take the lowest free lane; None when this worker has no room for another user."""
        if self._free:
            return self.layout.lane(self.slot, heapq.heappop(self._free))
        lane = self.layout.lane(self.slot, self._next_ordinal)
        if lane is not None:
            self._next_ordinal += 1
        return lane

    def release(self, lane: int) -> None:
        """Give a lane back when its user stops; the next user continues where it left off."""
        heapq.heappush(self._free, lane // self.layout.workers)

    def next_index(self, lane: int) -> int | None:
        """The next session index of ``lane``, or None when the scenario has no more sessions."""
        turn = self._turns.get(lane, 0)
        index = self.layout.index(lane, turn)
        limit = self.layout.limit
        if limit is not None and index >= limit:
            return None
        self._turns[lane] = turn + 1
        return index
