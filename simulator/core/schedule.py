"""Arrival processes and the lazy merge of many sessions into one timeline.

Pure: functions of a spec and a seeded ``random.Random``; no clock, no I/O. The delivery
side turns ``due_s`` into wall-clock deadlines with its own injectable clock.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from simulator.core.events import Event, Request
    from simulator.core.scenario_model import ArrivalsSpec, Delay


class Timed(NamedTuple):
    """An event with the moment it is due, in seconds from the start of the run."""

    due_s: float
    event: Event


class Planned(NamedTuple):
    """A rendered request and when it is due, in seconds from the start of the run."""

    due_s: float
    request: Request
    scenario: str
    event: Event | None = None  # None for replayed requests, whose event is not re-rendered
    fault: str | None = None  # the injected fault this request carries, for recording and report
    probe: bool = False  # an injected extra: sent once, outside the retry rules and failure count


def arrival_offsets(spec: ArrivalsSpec, rng: random.Random) -> Iterator[float]:
    """Yield session start offsets (seconds) for the scenario's arrival process, ending by itself."""
    limit = spec.sessions if spec.sessions is not None else math.inf
    horizon = spec.duration if spec.duration is not None else math.inf
    for count, offset in enumerate(_process(spec, rng)):
        if count >= limit or offset >= horizon:
            return
        yield offset


def _process(spec: ArrivalsSpec, rng: random.Random) -> Iterator[float]:
    if spec.process == "burst" and spec.burst is not None:
        instant = 0.0
        while True:
            for _ in range(spec.burst.size):
                yield instant
            instant += spec.burst.every
    elif spec.process == "uniform":
        index = 0
        while True:
            yield index / spec.rate
            index += 1
    else:  # poisson: exponential gaps, the first session at 0 so short runs start at once
        instant = 0.0
        while True:
            yield instant
            instant += rng.expovariate(spec.rate)


def draw_delay(delay: Delay, rng: random.Random) -> float:
    """Draw one delay in seconds from a fixed, uniform or lognormal distribution."""
    entry = _SAMPLERS.get(id(delay))
    if entry is None:
        entry = _sampler_entry(delay)
    return entry[1](rng)


Sampler = Callable[[random.Random], float]
#: A sampler per delay spec, by id; the entry keeps its spec alive so the id is not reused.
_SAMPLERS: dict[int, tuple[object, Sampler]] = {}
_SAMPLERS_MAX = 1024


def _sampler_entry(delay: Delay) -> tuple[object, Sampler]:
    if len(_SAMPLERS) >= _SAMPLERS_MAX:
        _SAMPLERS.clear()  # many scenarios loaded in one process: start over rather than grow
    entry = _SAMPLERS[id(delay)] = (delay, sampler(delay))
    return entry


def sampler(delay: Delay) -> Sampler:
    """A function drawing ``delay`` from a ``random.Random``, with the spec's constants derived once.

    It draws exactly what ``draw_delay`` always drew: the same calls on the generator, so
    seeded sessions keep their bytes.
    """
    from simulator.core.scenario_model import Fixed, Uniform

    # isinstance, not getattr with a default: a delay holds only its own kind's fields.
    if isinstance(delay, Fixed):
        fixed = delay.fixed
        return lambda rng: fixed
    if isinstance(delay, Uniform):
        low, high = delay.uniform
        return lambda rng: rng.uniform(low, high)
    spec = delay.lognormal
    mu = math.log(spec.median)
    sigma = (math.log(spec.p95) - mu) / 1.6448536269514722  # z of the 95th percentile
    longest = delay.max
    if longest is None:
        return lambda rng: rng.lognormvariate(mu, sigma)
    return lambda rng: min(rng.lognormvariate(mu, sigma), longest)


def merge_sessions(sessions: Iterable[tuple[float, Iterable[Timed]]]) -> Iterator[Timed]:
    """Merge per-session event lists into one stream ordered by due time, lazily.

    ``sessions`` yields ``(start_s, events)`` in increasing ``start_s``; every event of a session
    is due at or after its start. Memory holds only the sessions still in progress.
    """
    heap: list[tuple[float, int, int, Timed]] = []
    order = 0  # tie-breaker that keeps one session's events in their own order
    for start_s, events in sessions:
        while heap and heap[0][0] <= start_s:
            yield heapq.heappop(heap)[3]
        for timed in events:
            heapq.heappush(heap, (timed.due_s, order, 0, timed))
            order += 1
    while heap:
        yield heapq.heappop(heap)[3]
