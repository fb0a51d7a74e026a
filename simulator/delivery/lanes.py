"""Per-session ordering: each chat session's requests go out one after the other.

A session's lane exists while one of its requests is in progress; later requests of the same
session wait behind it, in order. Most sessions never have a second request waiting (their next
event is seconds away), so a lane's queue is only created when one does.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["SessionLanes"]

T = TypeVar("T")


class SessionLanes(Generic[T]):
    """The lanes of a run, keyed by session (any hashable key)."""

    __slots__ = ("_lanes",)

    def __init__(self) -> None:
        self._lanes: dict[Hashable, deque[T] | None] = {}

    def __len__(self) -> int:
        """Lanes with a request in progress."""
        return len(self._lanes)

    def enter(self, key: Hashable, item: T) -> bool:
        """Let ``item`` go now (True, its lane is taken), or queue it behind its session's request."""
        if key in self._lanes:
            self.wait(key, item)
            return False
        self._lanes[key] = None
        return True

    def wait(self, key: Hashable, item: T) -> None:
        """Queue ``item`` behind the request of its session in progress."""
        pending = self._lanes.get(key)
        if pending is None:
            self._lanes[key] = pending = deque()
        pending.append(item)

    def leave(self, key: Hashable) -> T | None:
        """The request in progress is done: return the next one waiting (it keeps the lane), or
        None and free the lane."""
        lanes = self._lanes
        if key not in lanes:
            return None
        pending = lanes[key]
        if pending:
            return pending.popleft()
        del lanes[key]
        return None
