"""A run's timing: due times scaled by ``speed`` or spaced by ``rate``, and how reports name it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from simulator.core.schedule import Planned

if TYPE_CHECKING:
    from simulator.engine.run import RunConfig

__all__ = ["retime", "timing_label"]


def retime(planned: Iterable[Planned], *, speed: float | None, rate: float | None) -> Iterator[Planned]:
    """Apply ``speed`` (scale due times) or ``rate`` (one request every 1/rate seconds)."""
    if rate:
        for index, item in enumerate(planned):
            yield item._replace(due_s=index / rate)
    elif speed and speed != 1.0:
        for item in planned:
            yield item._replace(due_s=item.due_s / speed)
    else:
        yield from planned


def timing_label(config: RunConfig) -> str:
    """Describe the timing for reports."""
    if config.max_rate:
        return "max-rate"
    if config.rate:
        return f"rate {config.rate:g}/s"
    if config.speed and config.speed != 1.0:
        return f"speed {config.speed:g}x"
    return "scenario"
