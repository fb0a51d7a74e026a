"""A bounded sample of sessions for the HTML report's swimlanes: the slowest and the failed.

Memory stays constant however long the run: at most ``slowest`` sessions ranked by their
slowest attempt (latency from the intended send time) and ``failed`` sessions with an
undelivered attempt, each keeping at most ``attempts`` attempts whose headers, body and
response are cut to ``DETAIL_BYTES``. An attempt with an injected fault does not make its
session failed: the fault's own verdict judges its answer.

A session joins the sample with the attempt that made it slow or failed, and from then on its
attempts are kept. Its earlier attempts are not: keeping them would mean keeping every
session's history. The failed sample keeps the first sessions that failed, except that a
session whose request failed for good takes the place of one whose failures were all retried
successfully.
"""

from __future__ import annotations

import heapq
import itertools
import math
from dataclasses import dataclass, field
from typing import Final

from simulator.outcome import Attempt

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
    failed_requests: int = 0  # requests that failed for good
    slow: bool = False
    failed: bool = False

    def add(self, attempt: Attempt, limit: int, notable: bool) -> None:
        """Keep ``attempt``; when full, a ``notable`` (failed or slowest) one replaces a routine one."""
        self.worst_latency_s = max(self.worst_latency_s, attempt.latency_s)
        if not attempt.delivered:
            self.undelivered += 1
            self.failed_requests += attempt.final
        if len(self.attempts) >= limit:
            self.omitted += 1
            routine = next((i for i, a in enumerate(self.attempts) if a.delivered), None) if notable else None
            if routine is None:
                return
            del self.attempts[routine]
        self.attempts.append(AttemptDetail.of(attempt))


class SessionSample:
    """Keeps the slowest and the failed sessions of a run (a part of ``RunStats``)."""

    def __init__(
        self, slowest: int = SLOWEST, failed: int = FAILED, attempts: int = ATTEMPTS_PER_SESSION
    ) -> None:
        self.slowest_limit = slowest
        self.failed_limit = failed
        self.attempts_limit = attempts
        self._traces: dict[SessionKey, SessionTrace] = {}
        self._failed: dict[SessionKey, None] = {}  # in the order they joined
        self._slow: list[tuple[float, int, SessionKey]] = []  # min-heap; stale entries are skipped
        self._slow_members = 0
        self._seq = itertools.count()
        # A new session must be slower than this to join the slowest (-inf while there is room).
        self._slow_floor = -math.inf if slowest > 0 else math.inf

    def handle_attempt(self, attempt: Attempt) -> None:
        """Sample the attempt's session if it is slow or failed, and keep the attempt if sampled."""
        key = (attempt.scenario, attempt.request.session_id)
        latency = attempt.done_s - attempt.intended_s
        trace = self._traces.get(key)
        if trace is None:
            if (attempt.delivered or attempt.fault is not None) and latency <= self._slow_floor:
                return  # the common case: a routine attempt of a session outside the sample
            trace = self._traces[key] = SessionTrace(attempt.scenario, attempt.request.session_id)
        notable = not attempt.delivered or latency > trace.worst_latency_s
        # An injected fault's answer is judged by its own verdict, so it does not make a session failed.
        if not attempt.delivered and attempt.fault is None and not trace.failed:
            self._join_failed(key, trace, attempt.final)
        if latency > self._slow_floor and latency > trace.worst_latency_s:
            self._join_slow(key, trace, latency)
        if trace.slow or trace.failed:
            trace.add(attempt, self.attempts_limit, notable)
        else:
            self._traces.pop(key, None)

    def sessions(self) -> list[SessionTrace]:
        """Failed sessions (in the order they failed), then the other slow ones (slowest first)."""
        failed = [self._traces[key] for key in self._failed]
        slow = [t for t in self._traces.values() if t.slow and not t.failed]
        return failed + sorted(slow, key=lambda t: -t.worst_latency_s)

    def _join_failed(self, key: SessionKey, trace: SessionTrace, final: bool) -> None:
        if len(self._failed) >= self.failed_limit:
            if not final:
                return
            recovered = next((k for k in self._failed if not self._traces[k].failed_requests), None)
            if recovered is None:
                return
            self._leave(recovered, failed=True)
        trace.failed = True
        self._failed[key] = None

    def _join_slow(self, key: SessionKey, trace: SessionTrace, latency: float) -> None:
        trace.worst_latency_s = latency
        heapq.heappush(self._slow, (latency, next(self._seq), key))
        if not trace.slow:
            trace.slow = True
            self._slow_members += 1
            if self._slow_members > self.slowest_limit:
                self._drop_stale()
                _, _, fastest = heapq.heappop(self._slow)
                self._leave(fastest, failed=False)
        self._drop_stale()
        if self._slow_members >= self.slowest_limit:
            self._slow_floor = self._slow[0][0] if self._slow else math.inf
        if len(self._slow) > 4 * self.slowest_limit:
            self._slow = [entry for entry in self._slow if self._current(entry)]
            heapq.heapify(self._slow)

    def _current(self, entry: tuple[float, int, SessionKey]) -> bool:
        """Whether a heap entry stands for a slow session at its present worst latency."""
        trace = self._traces.get(entry[2])
        return trace is not None and trace.slow and trace.worst_latency_s == entry[0]

    def _drop_stale(self) -> None:
        while self._slow and not self._current(self._slow[0]):
            heapq.heappop(self._slow)

    def _leave(self, key: SessionKey, *, failed: bool) -> None:
        trace = self._traces[key]
        if failed:
            trace.failed = False
            del self._failed[key]
        else:
            trace.slow = False
            self._slow_members -= 1
        if not (trace.slow or trace.failed):
            del self._traces[key]
