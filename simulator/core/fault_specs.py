"""The faults sosim can inject, as data: their names, default rates and sizes, the answers a
correct receiver gives, and the one parser of ``NAME=RATE`` and ``FAULT=CODES`` that the command
line and scenario files share.

Light on purpose: ``sosim validate`` checks a scenario's ``faults:`` with it, without loading the
renderer that :mod:`simulator.core.faults` needs to inject them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from simulator.core.errors import UsageError, did_you_mean
from simulator.core.units import parse_share

PROBES = (
    "duplicate",
    "bad-signature",
    "missing-signature",
    "stale-replay",
    "tampered-body",
    "malformed-json",
    "wrong-content-type",
    "oversized-body",
    "slow-body",
)
SHAPING = ("reorder", "header-case", "burst")
FAULTS = PROBES + SHAPING

DEFAULT_RATE = 0.05
DEFAULT_BURST = 20
DEFAULT_OVERSIZE = 2 * 1024 * 1024

#: What a correct receiver answers, per fault; "2xx"/"4xx" are classes, numbers exact codes.
DEFAULT_EXPECTATIONS: Mapping[str, tuple[str, ...]] = {
    "duplicate": ("2xx",),
    "bad-signature": ("401", "403"),
    "missing-signature": ("401", "403"),
    "stale-replay": ("2xx", "4xx"),
    "tampered-body": ("401", "403"),
    "malformed-json": ("4xx",),
    "wrong-content-type": ("2xx", "4xx"),
    "oversized-body": ("2xx", "4xx"),
    "slow-body": ("2xx", "4xx"),
    "reorder": ("2xx",),
    "header-case": ("2xx",),
    "burst": ("2xx",),
}


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """One fault to inject: its name, how often (or burst size) and what a receiver should answer."""

    name: str
    rate: float = DEFAULT_RATE
    expect: tuple[str, ...] = ()
    size: int = DEFAULT_OVERSIZE  # oversized-body only

    @property
    def expected(self) -> tuple[str, ...]:
        """The answers that pass: the user's, else the default for this fault."""
        return self.expect or DEFAULT_EXPECTATIONS[self.name]


STATUS_CLASSES = ("2xx", "3xx", "4xx", "5xx")


def fault_problem(name: str) -> str | None:
    """Why ``name`` is not a fault (naming the closest one and the allowed ones), or None."""
    if name in FAULTS:
        return None
    hint = did_you_mean(name, FAULTS)
    hint = f", {hint}" if hint else ""
    return f"unknown fault{hint} (allowed: {', '.join(FAULTS)})"


def status_problem(code: str) -> str | None:
    """Why ``code`` is not an HTTP status (``401``) or class (``4xx``), or None."""
    if code in STATUS_CLASSES or (code.isdigit() and 100 <= int(code) <= 599):
        return None
    return f"{code!r} is not a status or class (e.g. 401, 4xx)"


def rate_problem(name: str, rate: float) -> str | None:
    """Why ``rate`` cannot be the rate of fault ``name`` (burst's is a count of sessions), or None."""
    if name == "burst":
        whole = rate >= 1 and rate == int(rate)
        return None if whole else "burst takes a whole number of sessions, such as 50"
    return None if 0 < rate <= 1 else "the rate must be above 0 and at most 1 (burst takes a session count)"


def parse_fault(text: str) -> FaultSpec:
    """Parse ``NAME[=RATE]``: ``duplicate``, ``reorder=5%``; ``burst=N`` is a count of sessions."""
    name, _, value = text.strip().partition("=")
    name = name.strip().lower()
    problem = fault_problem(name)
    if problem:
        raise UsageError(problem, option="faults", value=repr(text))
    if not value:
        return FaultSpec(name, DEFAULT_BURST if name == "burst" else DEFAULT_RATE)
    try:
        number = parse_share(value)
    except ValueError:
        wanted = "a whole number of sessions, such as 50" if name == "burst" else "a rate such as 0.05 or 5%"
        raise UsageError(f"{value!r} is not {wanted}", option="faults", value=repr(text)) from None
    problem = rate_problem(name, number)
    if problem:
        raise UsageError(problem, option="faults", value=repr(text))
    return FaultSpec(name, number)


def parse_expectation(text: str) -> tuple[str, tuple[str, ...]]:
    """Parse ``FAULT=CODES``, such as ``bad-signature=401,403`` or ``malformed-json=4xx``."""
    name, _, codes = text.partition("=")
    name = name.strip().lower()
    allowed = tuple(part.strip().lower() for part in codes.split(",") if part.strip())
    problem: str | None = "expected FAULT=CODES, such as bad-signature=401,403"
    if allowed:
        problem = fault_problem(name) or next(filter(None, map(status_problem, allowed)), None)
    if problem:
        raise UsageError(problem, option="expectations", value=repr(text))
    return name, allowed


def answer_matches(status: int | None, allowed: tuple[str, ...]) -> bool:
    """Tell whether a status is one of the allowed codes or classes; no answer never matches."""
    if status is None:
        return False
    return any(part == str(status) or (part.endswith("xx") and part[0] == str(status)[0]) for part in allowed)
