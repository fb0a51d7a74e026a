"""From scenarios to one ordered stream of rendered requests (pure: no I/O, no clock)."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from simulator.events import Webhook, render
from simulator.generate import timeline
from simulator.scenario import Scenario, webhook_for
from simulator.schedule import Planned, Timed


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """What the command line may change about the scenarios' own settings."""

    seed: int | None = None
    sessions: int | None = None
    duration_s: float | None = None
    secret: str | None = None
    start: datetime | None = None
    time_scale: float = 1.0


def adjust(scenario: Scenario, options: PlanOptions) -> Scenario:
    """Apply ``--sessions`` / ``--duration`` to a scenario's arrivals."""
    if options.sessions is None and options.duration_s is None:
        return scenario
    arrivals = scenario.arrivals.model_copy(
        update={"sessions": options.sessions, "duration": options.duration_s}
    )
    return scenario.model_copy(update={"arrivals": arrivals})


def plan_events(timeline_: Iterable[Timed], webhook: Webhook, scenario: str) -> Iterator[Planned]:
    """Render each subscribed event of a timeline for ``webhook``, lazily."""
    for timed in timeline_:
        if timed.event.name in webhook.events:
            yield Planned(timed.due_s, render(timed.event, webhook), scenario, timed.event)


def plan(scenarios: Sequence[Scenario], options: PlanOptions) -> Iterator[Planned]:
    """Generate, render and merge several scenarios into one stream ordered by due time."""
    streams = []
    for scenario in scenarios:
        adjusted = adjust(scenario, options)
        events = timeline(adjusted, seed=options.seed, start=options.start, time_scale=options.time_scale)
        streams.append(plan_events(events, webhook_for(adjusted, options.secret), scenario.name))
    if len(streams) == 1:
        return streams[0]
    return heapq.merge(*streams, key=lambda planned: planned.due_s)
