"""The values scenario nodes are built from: limits, the checks of durations, rates, shares and
counts, literals, and the delay and count distributions (the nodes' base, Strict, is in
:mod:`simulator.core.schema`).

The nodes themselves live in :mod:`simulator.core.scenario_model` (the scenario, its webhook,
payload, population and arrivals), :mod:`simulator.core.scenario_flow` (a session's state machine)
and :mod:`simulator.core.scenario_faults` (the faults to inject).
"""

import math
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from simulator.core.schema import (
    Check,
    Problem,
    Strict,
    after,
    before,
    field,
    node,
    node_check,
    number,
    one_of,
    optional,
    pair,
    tagged,
    whole,
)
from simulator.core.units import parse_duration, parse_rate, percent_share

#: Limits on values that validate as numbers but cannot work: generation would hang, grow without
#: bound, or overflow a .NET DateTime (which ends at 9999-12-31). Each is far above any real use.
MAX_SECONDS = 366 * 24 * 3600.0  # the longest duration or delay: a year
MAX_RATE = 1_000_000.0  # arrivals per second
MAX_TURNS = 1_000  # exchanges per session: a session's plan is held in memory
MAX_SESSIONS = 1_000_000_000
MAX_BURST = 1_000_000  # sessions that start at the same instant
#: SuperOffice ids (PrimaryKey, AssociateId, ...) are 32-bit integers.
MAX_ID = 2**31 - 1
#: SQL Server's datetime, where SuperOffice stores dates, starts in 1753; the upper bound leaves
#: room for the longest run before year 10000, which Timestamp cannot spell.
EARLIEST_START = datetime(1753, 1, 1, tzinfo=UTC)
LATEST_START = datetime(9000, 1, 1, tzinfo=UTC)

SECONDS = number(parse=parse_duration, le=MAX_SECONDS)
PER_SECOND = number(parse=parse_rate, le=MAX_RATE)
PROBABILITY = number(parse=percent_share, ge=0.0, le=1.0)  # 0.3 or 30%

#: Whole numbers: YAML's ``true`` and ``yes`` are booleans and no count (see schema.whole).
WHOLE_NUMBER = whole()
NON_NEGATIVE_INT = whole(ge=0)
ID = whole(ge=1, le=MAX_ID)
TURNS = whole(ge=0, le=MAX_TURNS)

EntryStatus = Literal["InQueue", "PreChatForm", "Faq"]
FinalStatus = Literal["Finished", "Closed"]
EndedBy = Literal["user", "customer", "idle"]
#: Who plays a role in a session: sosim ("simulated") or the system under test ("external").
Role = Literal["simulated", "external"]
#: What a customer does when the system under test does not answer in time.
TimeoutConsequence = Literal["repeat", "human", "abandon"]
Locale = Literal["nb_NO", "sv_SE", "da_DK", "de_DE", "nl_NL", "en_GB", "en_US"]
ChatEventName = Literal["chatsession.created", "chatsession.message", "chatsession.changed"]


def choice(literal: Any) -> Check:
    """The check of a Literal type: one of its values."""
    return one_of(*get_args(literal))


SUM_TOLERANCE = 1e-6


def check_weights_sum_to_one(weights: dict[Any, float]) -> dict[Any, float]:
    """Refuse branch weights that are negative or do not add up to 1."""
    if not weights:
        raise ValueError("needs at least one branch")
    if any(w < 0 for w in weights.values()):
        raise ValueError("probabilities must not be negative")
    total = math.fsum(weights.values())
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise ValueError(f"probabilities add up to {total:g}, they must add up to 1")
    return weights


# --- distributions ------------------------------------------------------------------


def _ordered(bounds: tuple[Any, Any]) -> tuple[Any, Any]:
    if bounds[0] > bounds[1]:
        raise ValueError("the lower bound is above the upper bound")
    return bounds


class Fixed(Strict):
    """Always the same delay."""

    fixed: float = field(SECONDS)


class Uniform(Strict):
    """A delay drawn uniformly between two bounds."""

    uniform: tuple[float, float] = field(after(pair(SECONDS, SECONDS), _ordered))


class LognormalSpec(Strict):
    """Median and 95th percentile of a lognormal delay."""

    median: float = field(SECONDS)
    p95: float = field(SECONDS)

    @node_check
    def _p95_above_median(self) -> None:
        if self.median <= 0 or self.p95 < self.median:
            raise ValueError("needs 0 < median <= p95")


class Lognormal(Strict):
    """A long-tailed delay: most are near the median, a few are long."""

    lognormal: LognormalSpec = field(node(LognormalSpec))
    max: float | None = field(optional(SECONDS), default=None)


def _bare_duration(value: Any) -> Any:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return {"fixed": value}
    return value


def delay_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        found = [k for k in ("fixed", "uniform", "lognormal") if k in value]
        return found[0] if len(found) == 1 else None
    return (
        getattr(value, "__class__", type(None)).__name__.lower()
        if isinstance(value, Fixed | Uniform | Lognormal)
        else None
    )


#: A delay: a duration, or one of the three distributions.
Delay = Fixed | Uniform | Lognormal
DELAY = before(
    _bare_duration,
    tagged(
        delay_kind,
        {"fixed": node(Fixed), "uniform": node(Uniform), "lognormal": node(Lognormal)},
        Problem(
            "delay",
            "expected a duration (30s), {fixed: 30s}, {uniform: [10s, 1m]}"
            " or {lognormal: {median: 30s, p95: 2m}}",
        ),
    ),
)


class CountRange(Strict):
    """A whole number drawn uniformly between two bounds, both included."""

    uniform: tuple[int, int] = field(after(pair(TURNS, TURNS), _ordered))


#: A count: a whole number, or a range to draw it from.
Count = int | CountRange
COUNT = tagged(
    lambda v: "range" if isinstance(v, dict | CountRange) else "count",
    {"count": TURNS, "range": node(CountRange)},
    Problem("count", "expected a whole number or {uniform: [LOW, HIGH]}"),
)
