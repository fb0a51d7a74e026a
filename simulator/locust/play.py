"""One chat session delivered as NetServer delivers it, paced for Locust's closed model.

Pure: the clock and the HTTP call are passed in, so the rules run the same under gevent, in a
unit test with a fake clock, or anywhere else. The rules are ``sosim run``'s, from the same
:class:`~simulator.core.delivery_rules.DeliveryPolicy`:

- only the policy's success statuses (200) count as delivered;
- a cycle is the first attempt plus one retry per ``retry_delays`` entry, all with the same
  EventId, retries carrying ``X-SuperOffice-Retry``;
- a failed cycle goes to the back of the session's queue with a new EventId
  (:func:`~simulator.core.delivery_rules.cycle_event_id`);
- ``disable_after`` consecutive failed attempts, or a 410, turn the webhook TooManyErrors and
  nothing more is sent.

Pacing is either the scenario's own delays scaled by ``--speed`` (each session starts when its
user is free, as Locust's closed model has it) or a fixed slot every ``users / rate`` seconds per
user. Either way an event has an *intended* time, and whatever a slow receiver holds up shows as
schedule lag (sent minus intended) and as latency from the intended time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Literal, NamedTuple, Protocol

from simulator.core.delivery_rules import (
    WebhookGate,
    cycle_event_id,
)
from simulator.core.events import Event, Request, Webhook, header_name, render
from simulator.core.generate import SessionPlan
from simulator.core.outcome import Attempt, ErrorKind, StateChange
from simulator.delivery.exchange import Headers as Headers  # re-exported for the Locust user
from simulator.superoffice import facts as so

__all__ = [
    "Answer",
    "Clock",
    "Pacing",
    "RatePacing",
    "Recorder",
    "SessionPlayer",
    "SpeedPacing",
    "WebhookGate",
]


class Answer(NamedTuple):
    """What one HTTP attempt got: a status, or an error kind and detail when there was no answer."""

    status: int | None
    error: ErrorKind | None = None
    detail: str = ""
    body: bytes = b""


#: What an attempt in flight got when its user was stopped: no answer; it counts as lost.
_ABANDONED: Final = Answer(None, "abandoned", "the user was stopped before the answer came (--stop-timeout)")

#: Sends one attempt: the rendered request and the exact headers to send with it.
Send = Callable[[Request, Headers], Answer]


class Clock(Protocol):
    """The run's clock: seconds since the run started, and a way to wait."""

    def now(self) -> float:
        """Seconds since the start of the run."""

    def sleep_until(self, deadline: float) -> None:
        """Return at ``deadline`` (at once when it has passed)."""


class Recorder(Protocol):
    """Where attempts and webhook state changes go (``RunStats`` is one)."""

    def handle_attempt(self, attempt: Attempt) -> None:
        """Called after every attempt."""

    def handle_state(self, change: StateChange) -> None:
        """Called when the webhook changes state."""


class Pacing(Protocol):
    """When each event of a user's sessions is due."""

    def begin_session(self, now: float) -> None:
        """A session starts on the run's clock at ``now``."""

    def intended(self, offset_s: float) -> float:
        """The intended send time of the next event, ``offset_s`` scenario seconds into its session."""


@dataclass(slots=True)
class SpeedPacing:
    """The scenario's delays divided by ``speed``, from the moment the session starts."""

    speed: float = 1.0
    _start: float = 0.0

    def begin_session(self, now: float) -> None:
        """Start the session's schedule now."""
        self._start = now

    def intended(self, offset_s: float) -> float:
        """The session's start plus the scaled offset."""
        return self._start + offset_s / self.speed


@dataclass(slots=True)
class RatePacing:
    """One event every ``interval_s`` seconds, on a schedule that never resets.

    A user that falls behind sends at once and stays behind: the lag grows instead of the
    schedule moving, so a slow receiver cannot hide behind the closed model.
    """

    interval_s: float
    _next: float | None = None

    def begin_session(self, now: float) -> None:
        """The first session starts the schedule; later ones continue it."""
        if self._next is None:
            self._next = now

    def intended(self, offset_s: float) -> float:
        """The next slot of the schedule (the scenario's own spacing is ignored)."""
        slot = self._next if self._next is not None else 0.0
        self._next = slot + self.interval_s
        return slot


@dataclass(slots=True)
class _Cycle:
    """One delivery cycle of one event, waiting in its session's queue."""

    event: Event
    offset_s: float  # scenario seconds into the session
    request: Request
    cycle: int = 1
    intended: float | None = None  # set for a requeued cycle; else the pacing decides


Next = Literal["finish", "retry", "requeue"]


@dataclass(slots=True)
class SessionPlayer:
    """Plays sessions for one worker: renders, sends, applies the rules, records every attempt."""

    webhook: Webhook
    scenario: str
    clock: Clock
    recorder: Recorder
    gate: WebhookGate = field(default_factory=WebhookGate)
    _retry_header: str = ""
    _attempts: list[Attempt] = field(default_factory=list)  # this session's, not yet recorded

    def __post_init__(self) -> None:
        self._retry_header = header_name(so.HEADER_RETRY, self.webhook.payload.header_spelling)

    def play(self, plan: SessionPlan, pacing: Pacing, send: Send) -> bool:
        """Deliver a session's events in order; False once the webhook has turned TooManyErrors.

        The session is rendered when it starts and its attempts are recorded when it ends (or is
        cut off): done in one go, each step stays in the CPU's caches between HTTP calls.
        """
        pacing.begin_session(self.clock.now())
        subscribed, webhook = self.webhook.events, self.webhook
        queue = deque(
            _Cycle(timed.event, timed.due_s - plan.start_s, render(timed.event, webhook))
            for timed in plan.events
            if timed.event.name in subscribed
        )
        try:
            while queue:
                item = queue.popleft()
                intended = item.intended if item.intended is not None else pacing.intended(item.offset_s)
                again = self._deliver(item, intended, send)
                if not self.gate.active:
                    return False
                if again is not None:
                    queue.append(again)
            return self.gate.active
        finally:
            self._flush()

    def _flush(self) -> None:
        attempts, self._attempts = self._attempts, []
        handle = self.recorder.handle_attempt
        for attempt in attempts:
            handle(attempt)

    def _deliver(self, item: _Cycle, intended: float, send: Send) -> _Cycle | None:
        """Run one cycle (first attempt and retries); return the requeued cycle, if any."""
        request = item.request
        policy = self.gate.policy
        attempt = 1
        clock = self.clock
        while self.gate.active:
            clock.sleep_until(intended)
            if not self.gate.active:
                return None
            headers = self._headers(request, attempt)
            sent = clock.now()
            try:
                answer = send(request, headers)
            except BaseException:
                # Stopped with the attempt in flight (Locust kills a user that outlasts
                # --stop-timeout): it went out, so it is counted, as abandoned; `play` records it.
                self._record(item, headers, attempt, intended, sent, clock.now(), _ABANDONED, "finish")
                raise
            done = clock.now()
            delivered = policy.is_success(answer.status)
            reason = self.gate.count(delivered, answer.status, answer.error, answer.detail)
            following = self._next_step(attempt, delivered, answer.status, reason)
            self._record(item, headers, attempt, intended, sent, done, answer, following, delivered)
            if reason:
                self.gate.disable(reason)
                self._flush()
                self.recorder.handle_state(StateChange(done, self.webhook.name, self.gate.state, reason))
            if following == "retry":
                intended = done + policy.retry_delays[attempt - 1]
                attempt += 1
                continue
            if following == "requeue":
                cycle = item.cycle + 1
                again = render(item.event, self.webhook, event_id=cycle_event_id(item.event.event_id, cycle))
                return _Cycle(item.event, item.offset_s, again, cycle, done)
            return None
        return None

    def _record(
        self,
        item: _Cycle,
        headers: Headers,
        attempt: int,
        intended: float,
        sent: float,
        done: float,
        answer: Answer,
        following: Next,
        delivered: bool = False,
    ) -> None:
        """Keep one attempt until the session ends (``play`` hands them to the recorder)."""
        request = item.request
        self._attempts.append(
            Attempt(
                request=request if headers is request.headers else request._replace(headers=headers),
                scenario=self.scenario,
                cycle=item.cycle,
                attempt=attempt,
                intended_s=intended,
                sent_s=sent,
                done_s=done,
                status=answer.status,
                error=answer.error,
                error_detail=answer.detail,
                delivered=delivered,
                final=following != "retry",
                response_body=answer.body[:4000],
                requeued=following == "requeue",
            )
        )

    def _next_step(self, attempt: int, delivered: bool, status: int | None, disable_reason: str) -> Next:
        policy = self.gate.policy
        gone = status == so.GONE_STATUS and policy.disable_on_gone
        if delivered or gone or disable_reason or not self.gate.active:
            return "finish"
        if attempt < policy.attempts_per_cycle:
            return "retry"
        return "requeue" if policy.on_cycle_failure == "requeue" else "finish"

    def _headers(self, request: Request, attempt: int) -> Headers:
        mode = self.gate.policy.retry_header
        if mode == "never" or (mode == "count" and attempt == 1):
            return request.headers
        return (*request.headers, (self._retry_header, str(attempt - 1)))
