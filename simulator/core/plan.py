"""From scenarios to one ordered stream of rendered requests (pure: no I/O, no clock)."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from simulator.core.events import Webhook, render
from simulator.core.generate import timeline
from simulator.core.scenario import Scenario, webhook_for
from simulator.core.schedule import Planned, Timed

_tuple = tuple.__new__  # a NamedTuple without its Python-level __new__: once an event


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """What the command line may change about the scenarios' own settings."""

    seed: int | None = None
    sessions: int | None = None
    duration_s: float | None = None
    secret: str | None = None
    start: datetime | None = None
    time_scale: float = 1.0
    burst: int = 0  # the burst fault: this many sessions start at the same instant
    run_id: str | None = None  # mixed into EventIds, so each run's are fresh; None: the seeded ids
    shard: tuple[int, int] | None = None  # (k, n): only sessions with index k mod n (--processes n)


def adjust(scenario: Scenario, options: PlanOptions) -> Scenario:
    """Apply ``--sessions`` / ``--duration`` to a scenario's arrivals."""
    if options.sessions is None and options.duration_s is None:
        return scenario
    arrivals = scenario.arrivals.model_copy(
        update={"sessions": options.sessions, "duration": options.duration_s}
    )
    return scenario.model_copy(update={"arrivals": arrivals})


def plan_events(
    timeline_: Iterable[Timed], webhook: Webhook, scenario: str, burst_below: int = 0
) -> Iterator[Planned]:
    """Render each subscribed event of a timeline for ``webhook``, lazily; sessions with an id
    below ``burst_below`` are tagged with the burst fault."""
    for timed in timeline_:
        event = timed.event
        if event.name in webhook.events:
            fault = "burst" if event.session_id < burst_below else None
            yield _tuple(Planned, (timed.due_s, render(event, webhook), scenario, event, fault, False))


def arrival_window_s(scenarios: Sequence[Scenario], options: PlanOptions) -> float | None:
    """When the last session is expected to start, in seconds of the run (``time_scale`` applied):
    what progress shows as the expected duration. None when a scenario's arrivals cannot tell."""
    ends: list[float] = []
    for scenario in scenarios:
        arrivals = adjust(scenario, options).arrivals
        windows = [arrivals.duration] if arrivals.duration is not None else []
        count = arrivals.sessions
        if count is not None:
            if arrivals.process == "burst" and arrivals.burst is not None:
                windows.append((math.ceil(count / arrivals.burst.size) - 1) * arrivals.burst.every)
            else:  # uniform: exactly; poisson: the expected start of the last of ``count`` sessions
                windows.append((count - 1) / arrivals.rate)
        if not windows:
            return None
        ends.append(min(windows))
    return max(ends) * options.time_scale if ends else None


def plan(scenarios: Sequence[Scenario], options: PlanOptions) -> Iterator[Planned]:
    """Generate, render and merge several scenarios into one stream ordered by due time."""
    streams = []
    for scenario in scenarios:
        adjusted = adjust(scenario, options)
        events = timeline(
            adjusted,
            seed=options.seed,
            start=options.start,
            time_scale=options.time_scale,
            burst=options.burst,
            run_id=options.run_id,
            shard=options.shard,
        )
        burst_below = scenario.population.first_session_id + options.burst if options.burst else 0
        streams.append(plan_events(events, webhook_for(adjusted, options.secret), scenario.name, burst_below))
    if len(streams) == 1:
        return streams[0]
    return heapq.merge(*streams, key=lambda planned: planned.due_s)
