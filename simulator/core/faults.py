"""Fault injection: messy traffic that proves a receiver deduplicates, tolerates reordering and
rejects forgeries, each with the answer a correct receiver gives.

Two kinds of fault:
- *probes* are extra requests next to the real traffic (forgeries, duplicates, malformed
  bodies). Each is sent once, outside NetServer's retry rules and the webhook's failure count,
  and judged against its expectation.
- *shaping* faults change the real traffic itself (``reorder``, ``header-case``, ``burst``); it
  keeps NetServer's rules and must still be accepted.

The transforms are pure: a seeded stream function over ``Planned`` requests.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.core.events import Request
from simulator.core.fault_specs import (
    DEFAULT_BURST,
    DEFAULT_EXPECTATIONS,
    DEFAULT_OVERSIZE,
    DEFAULT_RATE,
    FAULTS,
    PROBES,
    SHAPING,
    STATUS_CLASSES,
    FaultSpec,
    answer_matches,
    fault_problem,
    parse_expectation,
    parse_fault,
    rate_problem,
    status_problem,
)
from simulator.core.outcome import Attempt, RunInfo, RunResult, StateChange
from simulator.core.schedule import Planned
from simulator.core.signing import sign
from simulator.superoffice import facts as so

# The faults as data live in fault_specs, light enough for `sosim validate`; still importable here.
__all__ = [
    "DEFAULT_BURST",
    "DEFAULT_EXPECTATIONS",
    "DEFAULT_OVERSIZE",
    "DEFAULT_RATE",
    "FAULTS",
    "FAULT_HEADER",
    "PROBES",
    "SHAPING",
    "STALE_AGE_S",
    "STATUS_CLASSES",
    "FaultReport",
    "FaultSpec",
    "FaultVerdict",
    "Injector",
    "answer_matches",
    "fault_problem",
    "parse_expectation",
    "parse_fault",
    "rate_problem",
    "status_problem",
]


#: Every request the injector makes (a probe) or moves (``reorder``, both the held request and the
#: one that overtakes it) carries this header, naming its fault, so ``sosim receive`` can count an
#: injected problem as expected instead of as a failure. SuperOffice never sends it, so real traffic
#: is judged as before; the body, and so the signature, is untouched. ``Injector(mark=False)`` leaves
#: it out, for probes indistinguishable from real traffic.
FAULT_HEADER = "X-Sosim-Fault"

#: How old (in timeline seconds) a request must be before stale-replay sends it again.
STALE_AGE_S = 30.0


# --- the stream transform ---------------------------------------------------------------


@dataclass(slots=True)
class Injector:
    """Adds probes and shapes traffic, deterministically for a seed."""

    faults: tuple[FaultSpec, ...]
    secret: str | None
    seed: int = 0
    mark: bool = True  # add FAULT_HEADER to every request made or moved by a fault
    rng: random.Random = field(init=False)
    _held: dict[int, Planned] = field(init=False, default_factory=dict)
    _past: deque[Planned] = field(init=False, default_factory=lambda: deque(maxlen=512))

    def __post_init__(self) -> None:
        self.rng = random.Random(f"{self.seed}:faults")

    def __call__(self, planned: Iterable[Planned]) -> Iterator[Planned]:
        """Yield the planned requests with faults applied, still ordered by due time."""
        by_name = {spec.name: spec for spec in self.faults}
        for item in planned:
            item = self._shape(item, by_name)
            held = self._held.pop(item.request.session_id, None)
            if "reorder" in by_name and held is None and self.rng.random() < by_name["reorder"].rate:
                self._held[item.request.session_id] = item._replace(
                    request=self._marked(item.request, "reorder"), fault="reorder"
                )
                continue
            yield from self._release_due(item.due_s)
            if held is not None:  # the successor overtakes the held request: both are the fault's doing
                item = item._replace(request=self._marked(item.request, "reorder"))
            yield item
            if held is not None:
                yield held._replace(due_s=item.due_s)  # overtaken by its successor
            yield from self._probes(item, by_name)
            self._past.append(item)
        yield from sorted(self._held.values(), key=lambda p: p.due_s)
        self._held.clear()

    def _release_due(self, now_s: float, window_s: float = 30.0) -> Iterator[Planned]:
        """Send held events whose session went quiet, so nothing is held for ever."""
        for session, held in list(self._held.items()):
            if now_s - held.due_s > window_s:
                del self._held[session]
                yield held._replace(due_s=now_s)

    def _shape(self, item: Planned, by_name: Mapping[str, FaultSpec]) -> Planned:
        spec = by_name.get("header-case")
        if spec is not None and self.rng.random() < spec.rate:
            headers = tuple((_recase(name), value) for name, value in item.request.headers)
            return item._replace(request=item.request._replace(headers=headers), fault="header-case")
        return item

    def _probes(self, item: Planned, by_name: Mapping[str, FaultSpec]) -> Iterator[Planned]:
        for spec in self.faults:
            if spec.name not in PROBES or self.rng.random() >= spec.rate:
                continue
            source = item
            if spec.name == "stale-replay":
                old = [p for p in self._past if item.due_s - p.due_s >= STALE_AGE_S]
                if not old:
                    continue
                source = self.rng.choice(old)
            request = self._marked(self._mutate(spec, source.request), spec.name)
            yield Planned(item.due_s, request, item.scenario, None, spec.name, True)

    def _mutate(self, spec: FaultSpec, request: Request) -> Request:
        name = spec.name
        body = request.body
        if name in ("duplicate", "stale-replay", "slow-body"):
            return request
        if name == "bad-signature":
            return _with_signature(request, sign(body, (self.secret or "") + "-forged"))
        if name == "missing-signature":
            return request._replace(headers=_drop(request.headers, so.HEADER_SIGNATURE))
        if name == "tampered-body":
            tampered = body.replace(b'"PrimaryKey":', b'"PrimaryKey":9', 1)
            return request._replace(body=tampered if tampered != body else body + b" ")
        if name == "wrong-content-type":
            return request._replace(headers=_set(request.headers, so.HEADER_CONTENT_TYPE, "text/plain"))
        if name == "malformed-json":
            return self._resigned(request, body[: max(1, len(body) // 2)])
        padding = b" " * max(0, spec.size - len(body))  # oversized-body: still valid JSON
        return self._resigned(request, body[:-1] + padding + body[-1:])

    def _marked(self, request: Request, fault: str) -> Request:
        """The request with :data:`FAULT_HEADER` naming ``fault`` (replacing any earlier mark)."""
        if not self.mark:
            return request
        return request._replace(headers=(*_drop(request.headers, FAULT_HEADER), (FAULT_HEADER, fault)))

    def _resigned(self, request: Request, body: bytes) -> Request:
        """A changed body with a valid signature, so only its content is at fault."""
        if not self.secret:
            return request._replace(body=body)
        return _with_signature(request._replace(body=body), sign(body, self.secret))


def _recase(name: str) -> str:
    """``X-SuperOffice-EventId`` -> ``x-superoffice-eventid`` or ``X-Superoffice-Eventid`` style."""
    return name.lower() if len(name) % 2 else "-".join(part.capitalize() for part in name.split("-"))


def _drop(headers: tuple[tuple[str, str], ...], name: str) -> tuple[tuple[str, str], ...]:
    return tuple(pair for pair in headers if pair[0].lower() != name.lower())


def _set(headers: tuple[tuple[str, str], ...], name: str, value: str) -> tuple[tuple[str, str], ...]:
    return tuple((key, value if key.lower() == name.lower() else old) for key, old in headers)


def _with_signature(request: Request, signature: str) -> Request:
    headers = _drop(request.headers, so.HEADER_SIGNATURE)
    return request._replace(headers=(*headers, (so.HEADER_SIGNATURE, signature)))


# --- verdicts ----------------------------------------------------------------------------


@dataclass(slots=True)
class FaultVerdict:
    """How a receiver answered one fault, against what a correct one answers."""

    fault: str
    expected: tuple[str, ...]
    sent: int = 0
    matched: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Every request with this fault got an expected answer (and at least one was sent)."""
        return self.sent > 0 and self.matched == self.sent

    def describe(self) -> str:
        """One line for summaries and JUnit."""
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(self.statuses.items())) or "none"
        verdict = "PASS" if self.passed else "FAIL"
        return (
            f"{verdict} {self.fault}: {self.sent} sent, answers {answers}; expected {'/'.join(self.expected)}"
        )


class FaultReport:
    """A run handler that judges every fault-tagged attempt against its expectation."""

    def __init__(self, faults: Iterable[FaultSpec]) -> None:
        self.verdicts = {spec.name: FaultVerdict(spec.name, spec.expected) for spec in faults}

    def start(self, info: RunInfo) -> None:
        """Nothing to prepare."""

    def handle_attempt(self, attempt: Attempt) -> None:
        """Judge one attempt that carries a fault."""
        verdict = self.verdicts.get(attempt.fault or "")
        if verdict is None or not attempt.final:
            return
        verdict.sent += 1
        key = str(attempt.status) if attempt.status is not None else (attempt.error or "no answer")
        verdict.statuses[key] = verdict.statuses.get(key, 0) + 1
        if answer_matches(attempt.status, verdict.expected):
            verdict.matched += 1

    def handle_state(self, change: StateChange) -> None:
        """Webhook state does not affect verdicts."""

    def finish(self, result: RunResult) -> None:
        """Nothing to close."""

    @property
    def passed(self) -> bool:
        """Every injected fault got only expected answers."""
        return all(v.passed for v in self.verdicts.values())

    def junit_cases(self) -> list[tuple[str, str | None]]:
        """One JUnit case per fault: (name, failure message or None)."""
        return [(f"fault {v.fault}", None if v.passed else v.describe()) for v in self.verdicts.values()]

    def summary(self) -> dict[str, Any]:
        """JSON-ready verdicts."""
        return {
            name: {
                "sent": v.sent,
                "expected": list(v.expected),
                "matched": v.matched,
                "answers": v.statuses,
                "passed": v.passed,
            }
            for name, v in self.verdicts.items()
        }
