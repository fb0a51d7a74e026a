"""A run's clock starts when its first request is ready, so warming up is never schedule lag.

The generator is made slow on a FakeClock: making its first request moves virtual time by 0.7 s,
as Faker, the caches and the first sessions once cost before the first request went out. No
sleeping and no timing: the lag is read from the run's own statistics on the virtual clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import simulator.core.plan as plans
from simulator.core.outcome import Response
from simulator.core.scenario import load_scenarios
from simulator.core.schedule import Planned
from simulator.delivery import transport as transports
from simulator.delivery.clock import FakeClock
from simulator.delivery.dispatch import primed
from simulator.engine.run import RunConfig, run

SCENARIOS = Path(__file__).parents[3] / "scenarios"
WARM_UP_S = 0.7


class Instant:
    """A transport that answers 200 at once."""

    async def send(self, headers: tuple[tuple[str, str], ...], body: bytes) -> Response:
        return Response(200)

    async def aclose(self) -> None:
        """Nothing to close."""


def test_the_first_requests_are_not_late_by_the_generators_warm_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """--rate 100/s with a generator that needs 0.7 s for its first request: every request goes
    out on its schedule (lag 0 on the virtual clock), not 0.7 s late."""
    clock = FakeClock()
    real_plan = plans.plan

    def cold_plan(*args: Any, **kwargs: Any) -> Iterator[Planned]:
        items = real_plan(*args, **kwargs)

        def warming() -> Iterator[Planned]:
            clock.advance(WARM_UP_S)
            yield from items

        return warming()

    monkeypatch.setattr(plans, "plan", cold_plan)
    monkeypatch.setattr(transports, "open_transport", lambda *args, **kwargs: Instant())
    config = RunConfig(
        scenarios=(str(SCENARIOS / "support-chat.yaml"),),
        target="http://127.0.0.1:9/webhook",
        secret="s",
        sessions=3,
        rate=100.0,
        quiet=True,
        preflight=False,
    )
    outcome = run(config, clock=clock)
    stats = outcome.stats
    assert outcome.exit_code == 0
    assert stats.delivered > 10
    assert stats.lag.max_s == 0.0
    # The run's elapsed time starts with the first request too: the requests / the rate.
    assert outcome.result.elapsed_s == pytest.approx((stats.delivered - 1) / 100.0, abs=0.011)


def test_a_source_that_fails_on_its_first_item_fails_when_read() -> None:
    """A broken source (a corrupt first line) raises where reading it always raised, inside the
    delivery, which then winds down and reports: not while the run is being set up."""

    def broken() -> Iterator[int]:
        raise ValueError("line 1: not JSON")
        yield 0

    source = primed(broken())
    with pytest.raises(ValueError, match="line 1"):
        next(source)


def test_primed_makes_the_first_item_at_once_and_keeps_every_item() -> None:
    """primed() runs the source up to its first item, and the stream is unchanged."""
    made: list[int] = []

    def source() -> Iterator[int]:
        for number in range(3):
            made.append(number)
            yield number

    stream = primed(source())
    assert made == [0]
    assert list(stream) == [0, 1, 2]
    assert list(primed(iter(()))) == []


def test_every_locales_identities_are_made_before_the_first_session() -> None:
    """Faker (about 35 ms a locale) runs when generation is prepared, for every locale of the
    scenario, not when a locale's first session comes up in the middle of a run."""
    from simulator.core.generate import make_generator

    scenario = load_scenarios((str(SCENARIOS / "busy-hour.yaml"),))[0]
    generator = make_generator(scenario)
    assert set(generator.pools) == set(scenario.locales)
