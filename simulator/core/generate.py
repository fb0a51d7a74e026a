"""Chat sessions from a scenario: a seeded state machine, pure and lazy.

Each session gets its own ``random.Random`` derived from (seed, session index), so a session
is the same whatever else is generated, and any shard of sessions can be rebuilt alone.
The pipeline: :mod:`~simulator.core.identities` (Faker pools, agents) ->
:mod:`~simulator.core.session_builder` (one session through the flow) -> here (all sessions in
arrival order, merged into one timeline by due time).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from simulator.core.events import TICKS_PER_SECOND
from simulator.core.identities import FAKER_PROVIDERS, Agent, IdentityPool, agent_for, identity_pool
from simulator.core.scenario_model import Scenario
from simulator.core.schedule import Timed, arrival_offsets, merge_sessions
from simulator.core.session_builder import MESSAGE_ID_STRIDE, SessionBuilder, SessionPlan, count_of

#: ``(k, n)``: the sessions whose index is ``k`` modulo ``n``, one worker's share of ``--processes n``.
Shard = tuple[int, int]

__all__ = [
    "FAKER_PROVIDERS",
    "MESSAGE_ID_STRIDE",
    "Agent",
    "Generator",
    "IdentityPool",
    "SessionBuilder",
    "SessionPlan",
    "Shard",
    "count_of",
    "event_id_mask",
    "generate_sessions",
    "identity_pool",
    "make_generator",
    "timeline",
]


@dataclass(frozen=True, slots=True)
class Generator:
    """Turns a scenario into session plans; holds only what is derived once per run."""

    scenario: Scenario
    seed: int
    start_ticks: int
    time_scale: float
    agents: tuple[Agent, ...]
    #: Every locale's Faker identities, built before the first session: Faker costs about 35 ms
    #: a locale, and paid lazily it fell inside a run's first second as schedule lag.
    pools: Mapping[str, IdentityPool]
    burst: int = 0
    #: XORed into every EventId's random bits: 0 reproduces the seeded ids, a run id makes them fresh.
    id_mask: int = 0

    def sessions(self, limit: int | None = None, shard: Shard | None = None) -> Iterator[SessionPlan]:
        """Yield session plans in arrival order (at most ``limit``); with ``shard`` ``(k, n)``, only
        the sessions whose index is ``k`` modulo ``n`` (one worker's share of ``--processes n``),
        each built and timed exactly as in the whole run."""
        arrivals = arrival_offsets(self.scenario.arrivals, random.Random(f"{self.seed}:arrivals"))
        for index, start_s in enumerate(arrivals):
            if limit is not None and index >= limit:
                return
            if shard is not None and index % shard[1] != shard[0]:
                continue
            # The burst fault: the first sessions all arrive at the same instant.
            yield self.session(index, 0.0 if index < self.burst else start_s)

    def session(self, index: int, start_s: float) -> SessionPlan:
        """Build session number ``index`` starting at ``start_s``."""
        return self.builder(index, start_s, lag=self.stamp_lag(index)).build()

    def builder(self, index: int, start_s: float, *, lag: int = 0) -> SessionBuilder:
        """The walker of session ``index`` at ``start_s``, with its own seeded random stream (the
        closed loop drives one step by step instead of building the whole plan at once)."""
        rng = random.Random(f"{self.seed}:session:{index}")
        visitor = self.scenario.population.visitor_associate_id
        return SessionBuilder(self, rng, index, start_s, system_id=visitor, lag=lag)

    def stamp_lag(self, index: int) -> int:
        """How many ticks session ``index``'s Timestamps precede their due time (under a second).

        NetServer stamps an event when it is saved and sends it later from a queue, so real
        Timestamps fall a moment before the request and have all 7 digits. Without this, sessions
        that arrive on whole seconds (uniform arrivals) would have whole-second Timestamps. A hash,
        not the session's ``rng``, so adding it left every other draw as it was.
        """
        digest = hashlib.blake2b(f"{self.seed}:lag:{index}".encode(), digest_size=8).digest()
        return int.from_bytes(digest) % TICKS_PER_SECOND

    def ticks(self, offset_s: float) -> int:
        """Convert a scenario offset to Timestamp ticks."""
        return self.start_ticks + round(offset_s * self.time_scale * TICKS_PER_SECOND)


def make_generator(
    scenario: Scenario,
    *,
    seed: int | None = None,
    start: datetime | None = None,
    time_scale: float = 1.0,
    burst: int = 0,
    run_id: str | None = None,
) -> Generator:
    """Prepare generation for a scenario; ``seed`` and ``start`` override the scenario's own.

    ``run_id`` changes every EventId (and nothing else), so two runs of the same scenario and seed
    are not taken for duplicates by a receiver that deduplicates on EventId.
    """
    run_seed = scenario.seed if seed is None else seed
    begin = start or scenario.start
    # Whole seconds plus the microseconds: round(begin.timestamp()) would add a second from .5 on.
    start_ticks = int(begin.replace(microsecond=0).timestamp()) * TICKS_PER_SECOND + begin.microsecond * 10
    size = scenario.population.identity_pool
    pools: dict[str, IdentityPool] = {loc: identity_pool(loc, run_seed, size) for loc in scenario.locales}
    first_pool = next(iter(pools.values()))
    agents = tuple(agent_for(spec, i, first_pool) for i, spec in enumerate(scenario.population.agents))
    return Generator(scenario, run_seed, start_ticks, time_scale, agents, pools, burst, event_id_mask(run_id))


def event_id_mask(run_id: str | None) -> int:
    """The 128 bits a run id mixes into EventIds (0 without one: the seeded ids)."""
    if not run_id:
        return 0
    # XOR with a constant is a bijection: ids stay unique within a run, and the session's random
    # stream is drawn exactly as before, so payload text and timing do not change.
    return int.from_bytes(hashlib.blake2b(run_id.encode("utf-8"), digest_size=16).digest())


def generate_sessions(
    scenario: Scenario,
    *,
    seed: int | None = None,
    start: datetime | None = None,
    time_scale: float = 1.0,
    limit: int | None = None,
    burst: int = 0,
    run_id: str | None = None,
    shard: Shard | None = None,
) -> Iterator[SessionPlan]:
    """Yield the scenario's sessions in arrival order (the first ``burst`` all at time 0)."""
    generator = make_generator(
        scenario, seed=seed, start=start, time_scale=time_scale, burst=burst, run_id=run_id
    )
    return generator.sessions(limit, shard)


def timeline(
    scenario: Scenario,
    *,
    seed: int | None = None,
    start: datetime | None = None,
    time_scale: float = 1.0,
    limit: int | None = None,
    burst: int = 0,
    run_id: str | None = None,
    shard: Shard | None = None,
) -> Iterator[Timed]:
    """Yield every event of the scenario ordered by due time, in constant memory."""
    plans = generate_sessions(
        scenario,
        seed=seed,
        start=start,
        time_scale=time_scale,
        limit=limit,
        burst=burst,
        run_id=run_id,
        shard=shard,
    )
    return merge_sessions((plan.start_s, plan.events) for plan in plans)
