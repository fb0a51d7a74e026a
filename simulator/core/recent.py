"""A mapping that remembers only its most recent keys: the receiver's bounded memory.

``Recent(capacity)`` is a dict that forgets its oldest key (by first insertion) once it holds
``capacity`` keys, and counts what it forgot. Eviction is O(1): a deque keeps the insertion order
beside the dict (one pointer per key), so the memory is bounded by ``capacity`` entries however
long a receiver runs.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["Recent"]

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """The ``capacity`` most recently added keys and their values."""

    __slots__ = ("_data", "_order", "capacity", "forgotten", "get", "replace")

    def __init__(self, capacity: int) -> None:
        """Keep at most ``capacity`` keys (at least 1)."""
        if capacity < 1:
            raise ValueError(f"a window keeps at least 1 key, not {capacity}")
        self.capacity = capacity
        self.forgotten = 0  # keys dropped to make room
        self._data: dict[K, V] = {}
        self._order: deque[K] = deque()
        # The dict's own methods, bound: no Python frame on the receiver's hot path.
        #: The key's value, or None when it was never added or has been forgotten.
        self.get: Callable[[K], V | None] = self._data.get
        #: Give a key that is present a new value (its age stays that of its first ``set``).
        self.replace: Callable[[K, V], None] = self._data.__setitem__

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def set(self, key: K, value: V) -> bool:
        """Set the key's value and tell whether the key is new; a new key may make the oldest one
        be forgotten."""
        data = self._data
        new = key not in data
        if new:
            if len(data) >= self.capacity:
                del data[self._order.popleft()]
                self.forgotten += 1
            self._order.append(key)
        data[key] = value
        return new
