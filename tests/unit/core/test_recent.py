"""The bounded mapping behind the receiver's duplicate memory."""

from __future__ import annotations

import pytest

from simulator.core.recent import Recent


def test_the_oldest_key_is_forgotten_and_counted() -> None:
    recent: Recent[str, int] = Recent(2)
    assert recent.set("a", 1) and recent.set("b", 2)
    assert not recent.set("a", 10)  # an update is not a new key and keeps a's age
    assert recent.set("c", 3)
    assert recent.get("a") is None and recent.get("b") == 2 and recent.get("c") == 3
    assert len(recent) == 2 and recent.forgotten == 1
    recent.replace("c", 30)
    assert recent.get("c") == 30 and len(recent) == 2


def test_memory_stays_at_the_capacity() -> None:
    recent: Recent[int, bool] = Recent(100)
    for key in range(10_000):
        recent.set(key, True)
    assert len(recent) == 100 and recent.forgotten == 9_900
    assert all(recent.get(key) for key in range(9_900, 10_000))


def test_a_window_keeps_at_least_one_key() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Recent(0)
