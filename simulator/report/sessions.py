"""A bounded sample of sessions for the HTML report's swimlanes: the slowest and the failed.

Memory stays constant however long the run: at most ``slowest`` sessions ranked by their
slowest attempt (latency from the intended send time) and ``failed`` sessions with an
undelivered attempt, each keeping at most ``attempts`` attempts whose headers, body and
response are cut to ``DETAIL_BYTES``. An attempt with an injected fault does not make its
session failed: the fault's own verdict judges its answer.

A session joins the sample with the attempt that made it a candidate (slower than the floor,
see ``SessionSample``) or failed, and from then on its attempts are kept. Its earlier attempts
are not: keeping them would mean keeping every session's history. The failed sample keeps the
first sessions that failed, except that a session whose request failed for good takes the place
of one whose failures were all retried successfully.

The sample costs little per attempt: most are rejected by one comparison, and a kept attempt is
only referenced; its details are cut and copied when the report asks for ``sessions()``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Final

from simulator.core.outcome import Attempt, fate_of

SLOWEST: Final = 50
FAILED: Final = 50
ATTEMPTS_PER_SESSION: Final = 16
DETAIL_BYTES: Final = 2048

SessionKey = tuple[str, int]


def cut_text(data: bytes, limit: int = DETAIL_BYTES) -> str:
    """The first ``limit`` bytes as text (invalid UTF-8 shown as U+FFFD, a split character dropped)."""
    if len(data) <= limit:
        return data.decode("utf-8", errors="replace")
    return data[:limit].decode("utf-8", errors="ignore")


@dataclass(frozen=True, slots=True)
class AttemptDetail:
    """One attempt as the swimlanes show it: timing, outcome, and what went over the wire."""

    event: str
    event_id: str
    cycle: int
    attempt: int
    intended_s: float
    sent_s: float
    done_s: float
    status: int | None
    error: str | None
    error_detail: str
    delivered: bool
    final: bool
    fault: str | None
    headers: str  # "Name: value" lines, cut to DETAIL_BYTES
    body: str  # cut to DETAIL_BYTES
    body_bytes: int  # the whole body's size
    response: str  # the response body, cut to DETAIL_BYTES
    response_bytes: int
    requeued: bool = False  # failed, and its event went on in a later cycle

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptDetail:
        """Copy what the report needs from an attempt, cutting the large parts."""
        request = attempt.request
        headers = "\n".join(f"{name}: {value}" for name, value in request.headers)
        return cls(
            event=request.event,
            event_id=request.event_id,
            cycle=attempt.cycle,
            attempt=attempt.attempt,
            intended_s=attempt.intended_s,
            sent_s=attempt.sent_s,
            done_s=attempt.done_s,
            status=attempt.status,
            error=attempt.error,
            error_detail=attempt.error_detail[:DETAIL_BYTES],
            delivered=attempt.delivered,
            final=attempt.final,
            fault=attempt.fault,
            headers=headers[:DETAIL_BYTES],
            body=cut_text(request.body),
            body_bytes=len(request.body),
            response=cut_text(attempt.response_body),
            response_bytes=len(attempt.response_body),
            requeued=attempt.requeued,
        )

    @property
    def latency_s(self) -> float:
        """From the intended send time to the answer."""
        return self.done_s - self.intended_s


@dataclass(slots=True)
class SessionTrace:
    """The kept attempts of one sampled session, and why it was sampled."""

    scenario: str
    session_id: int
    attempts: list[AttemptDetail] = field(default_factory=list)
    omitted: int = 0  # attempts after joining the sample that were not kept
    worst_latency_s: float = -math.inf
    undelivered: int = 0  # attempts that were not delivered
    failed_requests: int = 0  # events lost: their last attempt failed and nothing followed
    slow: bool = False
    failed: bool = False


class _Member:
    """A session in the sample while the run goes on: its attempts kept as they are (the details
    are only cut and copied when the report asks for them)."""

    __slots__ = (
        "failed",
        "failed_requests",
        "kept",
        "omitted",
        "scenario",
        "session_id",
        "slow",
        "undelivered",
        "worst",
    )

    def __init__(self, scenario: str, session_id: int) -> None:
        self.scenario = scenario
        self.session_id = session_id
        self.kept: list[Attempt] = []
        self.omitted = 0
        self.worst = -math.inf
        self.undelivered = 0
        self.failed_requests = 0
        self.slow = False
        self.failed = False

    def add(self, attempt: Attempt, latency: float, limit: int, notable: bool) -> None:
        """Keep ``attempt``; when full, a ``notable`` (failed or slowest) one replaces a routine one."""
        if latency > self.worst:
            self.worst = latency
        if not attempt.delivered:
            self.undelivered += 1
            self.failed_requests += fate_of(attempt) == "lost"
        kept = self.kept
        if len(kept) >= limit:
            self.omitted += 1
            routine = next((i for i, a in enumerate(kept) if a.delivered), None) if notable else None
            if routine is None:
                return
            del kept[routine]
        kept.append(attempt)

    def trace(self) -> SessionTrace:
        return SessionTrace(
            self.scenario,
            self.session_id,
            [AttemptDetail.of(attempt) for attempt in self.kept],
            self.omitted,
            self.worst,
            self.undelivered,
            self.failed_requests,
            self.slow,
            self.failed,
        )


class SessionSample:
    """Keeps the slowest and the failed sessions of a run (a part of ``RunStats``).

    The slowest cost O(1) per attempt, amortised: a session becomes a candidate when one of its
    attempts is slower than the floor; once there are more than ``2 * slowest + 16`` candidates,
    the ``slowest`` slowest stay and the floor rises to the slowest latency of the last of them.
    What ``sessions()`` returns is exactly the ``slowest`` slowest sessions (ties aside): a
    session turned away was never slower than the floor, and the floor is never above the
    ``slowest``-th slowest latency of the run. At --max-rate, where every attempt is due at the
    start and so slower than the one before, nearly every attempt makes a candidate; that only
    references the attempt, and the details are cut and copied when the report asks for them.
    """

    def __init__(
        self, slowest: int = SLOWEST, failed: int = FAILED, attempts: int = ATTEMPTS_PER_SESSION
    ) -> None:
        self.slowest_limit = slowest
        self.failed_limit = failed
        self.attempts_limit = attempts
        self._traces: dict[SessionKey, _Member] = {}
        self._failed: dict[SessionKey, None] = {}  # in the order they joined
        self._failed_for_good = False  # every failed member failed for good: none can be replaced
        self._slow_members = 0
        self._slow_cap = 2 * slowest + 16
        # A new session must be slower than this to join the slowest.
        self._slow_floor = -math.inf if slowest > 0 else math.inf

    def handle_attempt(self, attempt: Attempt) -> None:
        """Sample the attempt's session if it is slow or failed, and keep the attempt if sampled."""
        key = (attempt.scenario, attempt.request.session_id)
        latency = attempt.done_s - attempt.intended_s
        member = self._traces.get(key)
        delivered = attempt.delivered
        if member is None:
            if (delivered or attempt.fault is not None) and latency <= self._slow_floor:
                return  # the common case: a routine attempt of a session outside the sample
            member = self._traces[key] = _Member(attempt.scenario, attempt.request.session_id)
        notable = not delivered or latency > member.worst
        # An injected fault's answer is judged by its own verdict, so it does not make a session failed.
        if not delivered and attempt.fault is None and not member.failed:
            self._join_failed(key, member, fate_of(attempt) == "lost")
        if latency > member.worst and latency > self._slow_floor:
            member.worst = latency
            if not member.slow:
                member.slow = True
                self._slow_members += 1
                if self._slow_members > self._slow_cap:
                    self._keep_slowest(self.slowest_limit)
        if member.slow or member.failed:
            member.add(attempt, latency, self.attempts_limit, notable)
        elif self._traces.get(key) is member:
            del self._traces[key]

    def sessions(self) -> list[SessionTrace]:
        """Failed sessions (in the order they failed), then the other slow ones (slowest first)."""
        if self._slow_members > self.slowest_limit:
            self._keep_slowest(self.slowest_limit)
        failed = [self._traces[key].trace() for key in self._failed]
        slow = [m for m in self._traces.values() if m.slow and not m.failed]
        slow.sort(key=lambda m: -m.worst)
        return failed + [m.trace() for m in slow]

    def _join_failed(self, key: SessionKey, member: _Member, lost: bool) -> None:
        if len(self._failed) >= self.failed_limit:
            if not lost or self._failed_for_good:
                return
            recovered = next((k for k in self._failed if not self._traces[k].failed_requests), None)
            if recovered is None:
                # Members only leave to make room, and failed_requests never falls: settled for good.
                self._failed_for_good = True
                return
            self._leave(recovered, failed=True)
        member.failed = True
        self._failed[key] = None

    def _keep_slowest(self, limit: int) -> None:
        """Drop all but the ``limit`` slowest slow members and raise the floor to the last of them."""
        slow = [(key, m) for key, m in self._traces.items() if m.slow]
        slow.sort(key=lambda entry: -entry[1].worst)
        for key, _ in slow[limit:]:
            self._leave(key, failed=False)
        self._slow_floor = slow[limit - 1][1].worst if limit else math.inf

    def _leave(self, key: SessionKey, *, failed: bool) -> None:
        member = self._traces[key]
        if failed:
            member.failed = False
            del self._failed[key]
        else:
            member.slow = False
            self._slow_members -= 1
        if not (member.slow or member.failed):
            del self._traces[key]
