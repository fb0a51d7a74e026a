"""Tests for simulator.delivery.deliverer on virtual time: NetServer's delivery rules.

No network and no sleeping.

A ``FakeClock`` drives the ``Deliverer``; a scripted fake transport answers every request and
records when it went out on that clock, so every time below is exact.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from simulator.core.checker import Tally
from simulator.core.delivery_rules import NETSERVER, ONCE, DeliveryPolicy
from simulator.core.events import Event, Request, SessionFields, Webhook, render
from simulator.core.outcome import Attempt, Response, RunInfo, RunResult, StateChange
from simulator.core.schedule import Planned
from simulator.core.signing import verify
from simulator.core.units import parse_statuses
from simulator.delivery.clock import FakeClock
from simulator.delivery.deliverer import Deliverer
from simulator.delivery.exchange import TaskSubmitter
from simulator.delivery.transport import TransportError
from simulator.engine.run import EXIT_FAILED, EXIT_OK, exit_code, retime
from simulator.report.stats import RunStats
from simulator.report.thresholds import parse_threshold
from simulator.superoffice import facts as so

SECRET = "unit-test-secret"
WEBHOOK = Webhook(name="unit", secret=SECRET)
SCENARIO = "unit"
T0_TICKS = 15_245_579_220_898_950
TOO_MANY_ERRORS = so.WebhookState.TooManyErrors.name
ACTIVE = so.WebhookState.Active.name

Answer = int | Exception


def event_for(session: int, step: int = 0) -> Event:
    """A chat message event of ``session`` with a fixed EventId."""
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sosim-unit:{session}/{step}"))
    return Event(
        so.EVENT_MESSAGE, session, T0_TICKS + step, event_id, 316, SessionFields(customer_alias="Ola")
    )


def planned(due_s: float, session: int, step: int = 0) -> Planned:
    """A signed request of ``session`` due ``due_s`` seconds into the run."""
    event = event_for(session, step)
    return Planned(due_s, render(event, WEBHOOK), SCENARIO, event)


@dataclass(frozen=True)
class Sent:
    """One request as the fake transport got it, with the virtual time it went out."""

    at: float
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)

    @property
    def event_id(self) -> str | None:
        return self.header(so.HEADER_EVENT_ID)

    @property
    def retry(self) -> str | None:
        return self.header(so.HEADER_RETRY)

    @property
    def payload(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.body)
        return doc

    @property
    def session(self) -> int:
        return int(self.payload["PrimaryKey"])


class FakeTransport:
    """Answers from a script (statuses, or exceptions to raise), after ``delay`` virtual seconds."""

    target = "fake://receiver"

    def __init__(
        self,
        clock: FakeClock,
        answers: Iterable[Answer] = (),
        *,
        default: Answer = 200,
        answer: Callable[[Sent], Answer] | None = None,
        delay: float | Callable[[Sent], float] = 0.0,
    ) -> None:
        self.clock = clock
        self.answers = list(answers)  # used in the order requests go out, then ``default``
        self.default = default
        self.answer = answer
        self.delay = delay
        self.sent: list[Sent] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.closed = False

    async def send(self, headers: tuple[tuple[str, str], ...], body: bytes) -> Response:
        call = Sent(self.clock.now(), headers, body)
        self.sent.append(call)
        if self.answer is not None:
            reply = self.answer(call)
        else:
            reply = self.answers.pop(0) if self.answers else self.default
        wait = self.delay(call) if callable(self.delay) else self.delay
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if wait:
                await self.clock.sleep_until(self.clock.now() + wait)
        finally:
            self.in_flight -= 1
        if isinstance(reply, Exception):
            raise reply
        return Response(reply)

    async def aclose(self) -> None:
        self.closed = True


class SubmitTransport(FakeTransport):
    """The same fake behind the callback face the lean engine offers (``submit``), which the
    Deliverer prefers to ``send``: the outcome arrives through ``on_done`` from a later callback
    (the fake's ``send`` run by the TaskSubmitter the Deliverer itself uses for other transports)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._face = TaskSubmitter(self.send)
        self.submitting = False
        self.reported_while_submitting = False

    def submit(
        self, headers: tuple[tuple[str, str], ...], body: bytes, on_done: Callable[[Any], None]
    ) -> None:
        def report(outcome: Any) -> None:
            self.reported_while_submitting |= self.submitting
            on_done(outcome)

        self.submitting = True
        self._face(headers, body, report)
        self.submitting = False


FACES = ("send", "submit")
LAST_LOG: Log  # the log of the latest deliver() call, kept also when the run raised


@dataclass
class Log:
    """A handler that keeps everything it is told."""

    attempts: list[Attempt] = field(default_factory=list)
    states: list[StateChange] = field(default_factory=list)

    def start(self, info: RunInfo) -> None:
        """Nothing to prepare."""

    def handle_attempt(self, attempt: Attempt) -> None:
        self.attempts.append(attempt)

    def handle_state(self, change: StateChange) -> None:
        self.states.append(change)

    def finish(self, result: RunResult) -> None:
        """Nothing to close."""


@dataclass
class Delivery:
    """What one run on virtual time left behind."""

    result: RunResult
    log: Log
    transport: FakeTransport
    deliverer: Deliverer

    @property
    def times(self) -> list[float]:
        return [call.at for call in self.transport.sent]


During = Callable[[Deliverer, FakeClock], Awaitable[None]]


def deliver(
    items: Iterable[Planned],
    *,
    answers: Iterable[Answer] = (),
    default: Answer = 200,
    answer: Callable[[Sent], Answer] | None = None,
    delay: float | Callable[[Sent], float] = 0.0,
    policy: DeliveryPolicy = NETSERVER,
    concurrency: int = 64,
    start: float = 0.0,
    handlers: Sequence[Any] = (),
    during: During | None = None,
    face: str = "send",
    max_rate: bool = False,
) -> Delivery:
    """Run a Deliverer over ``items`` on a FakeClock starting at ``start``, through the transport's
    ``send`` coroutine or its ``submit`` callback face (``face``)."""
    global LAST_LOG
    clock = FakeClock(start)
    kind = SubmitTransport if face == "submit" else FakeTransport
    transport = kind(clock, answers, default=default, answer=answer, delay=delay)
    log = LAST_LOG = Log()
    deliverer = Deliverer(
        transport,
        [log, *handlers],
        webhook=WEBHOOK,
        policy=policy,
        concurrency=concurrency,
        clock=clock,
        max_rate=max_rate,
    )

    async def main() -> RunResult:
        side = asyncio.ensure_future(during(deliverer, clock)) if during is not None else None
        try:
            return await deliverer.run(items)
        finally:
            if side is not None:
                side.cancel()

    return Delivery(asyncio.run(main()), log, transport, deliverer)


# --- the fake clock ---------------------------------------------------------------------


def test_fake_clock_wakes_sleepers_in_deadline_order_even_when_tasks_are_busy() -> None:
    """Virtual time never overtakes a busy task: sleepers wake exactly at their deadline, in order."""
    clock = FakeClock()
    woke: list[tuple[str, float, float]] = []

    async def sleeper(name: str, busy_turns: int, deadlines: Sequence[float]) -> None:
        for deadline in deadlines:
            for _ in range(busy_turns):  # work that takes many loop turns but no virtual time
                await asyncio.sleep(0)
            await clock.sleep_until(deadline)
            woke.append((name, deadline, clock.now()))

    async def main() -> None:
        await asyncio.gather(
            sleeper("a", 300, [5.0, 6.0]),
            sleeper("b", 0, [3.0, 7.0]),
            sleeper("c", 60, [1.0, 4.0, 5.5]),
        )

    asyncio.run(main())
    assert [name for name, _, _ in woke] == ["c", "b", "c", "a", "c", "a", "b"]
    assert all(now == deadline for _, deadline, now in woke)


def test_fake_clock_does_not_move_for_a_cancelled_sleeper() -> None:
    """A wait that was abandoned (say, the run stopped first) leaves virtual time where it was."""
    clock = FakeClock(start=2.0)

    async def main() -> float:
        sleeper = asyncio.ensure_future(clock.sleep_until(10.0))
        await asyncio.sleep(0)
        sleeper.cancel()
        for _ in range(200):
            await asyncio.sleep(0)
        return clock.now()

    assert asyncio.run(main()) == 2.0


def test_fake_clock_wakes_equal_deadlines_in_arrival_order() -> None:
    """Sleepers with the same deadline wake in the order they started waiting."""
    clock = FakeClock()
    woke: list[int] = []

    async def sleeper(number: int) -> None:
        await clock.sleep_until(1.0)
        woke.append(number)

    async def main() -> None:
        await asyncio.gather(*(sleeper(n) for n in range(5)))

    asyncio.run(main())
    assert woke == [0, 1, 2, 3, 4]
    assert clock.now() == 1.0


# --- the open model ---------------------------------------------------------------------


def test_requests_go_out_at_start_plus_due_time_with_zero_lag() -> None:
    """Each request is sent at its absolute deadline; offsets are measured from the start of the run."""
    run = deliver([planned(0.0, 1), planned(1.5, 2), planned(4.25, 3)], start=1000.0)
    assert run.times == [1000.0, 1001.5, 1004.25]
    assert [a.intended_s for a in run.log.attempts] == [0.0, 1.5, 4.25]
    assert [a.sent_s for a in run.log.attempts] == [0.0, 1.5, 4.25]
    assert [a.lag_s for a in run.log.attempts] == [0.0, 0.0, 0.0]
    assert run.result.elapsed_s == 4.25
    assert run.result.planned == 3
    assert run.result.webhook_state == ACTIVE
    assert not run.result.interrupted


def test_slow_answer_does_not_delay_another_sessions_request() -> None:
    """A receiver that takes 10 s over one request does not hold back the next session's request."""
    slow = planned(0.0, 1)
    run = deliver(
        [slow, planned(1.0, 2)],
        delay=lambda call: 10.0 if call.session == 1 else 0.25,
    )
    assert run.times == [0.0, 1.0]
    fast, slow_attempt = run.log.attempts  # completion order
    assert fast.request.session_id == 2
    assert (fast.sent_s, fast.lag_s, fast.service_s) == (1.0, 0.0, 0.25)
    assert slow_attempt.request.session_id == 1
    assert slow_attempt.service_s == 10.0


def test_events_of_one_session_go_out_in_order_and_the_wait_counts_as_lag() -> None:
    """The second event of a session waits for a slow first one; that wait shows as lag and latency."""
    run = deliver(
        [planned(0.0, 1, step=0), planned(1.0, 1, step=1), planned(2.0, 2)],
        delay=lambda call: 5.0 if call.event_id == event_for(1, 0).event_id else 0.5,
    )
    assert [(call.at, call.session) for call in run.transport.sent] == [(0.0, 1), (2.0, 2), (5.0, 1)]
    second = next(a for a in run.log.attempts if a.request.event_id == event_for(1, 1).event_id)
    assert (second.intended_s, second.sent_s) == (1.0, 5.0)
    assert second.lag_s == 4.0
    assert second.service_s == 0.5
    assert second.latency_s == 4.5  # from the intended time: the wait is not hidden


@pytest.mark.parametrize("face", FACES)
def test_sessions_run_concurrently_up_to_the_concurrency_limit(face: str) -> None:
    """With --concurrency 3 never more than 3 requests are in flight, and the queueing shows as lag."""
    run = deliver([planned(0.0, session) for session in range(10)], delay=1.0, concurrency=3, face=face)
    assert run.transport.max_in_flight == 3
    assert run.times == [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0]
    assert sorted(a.lag_s for a in run.log.attempts) == [0.0] * 3 + [1.0] * 3 + [2.0] * 3 + [3.0]
    assert run.deliverer.in_flight == 0


# --- NetServer's retry rules ----------------------------------------------------------


@pytest.mark.parametrize("face", FACES)
def test_retries_wait_1s_then_4s_with_the_same_event_id_and_a_retry_count(face: str) -> None:
    """A failed attempt is retried 1 s, then 4 s after its answer: same EventId and body, Retry 1 then 2."""
    item = planned(0.0, 1)
    run = deliver([item], answers=[500, 500, 200], delay=0.5, face=face)
    assert run.times == [0.0, 1.5, 6.0]
    assert {call.event_id for call in run.transport.sent} == {item.request.event_id}
    assert {call.body for call in run.transport.sent} == {item.request.body}
    assert [call.retry for call in run.transport.sent] == [None, "1", "2"]
    attempts = run.log.attempts
    assert [(a.cycle, a.attempt, a.final, a.delivered) for a in attempts] == [
        (1, 1, False, False),
        (1, 2, False, False),
        (1, 3, True, True),
    ]
    assert [a.lag_s for a in attempts] == [0.0, 0.0, 0.0]
    assert attempts[1].request.header(so.HEADER_RETRY) == "1"  # the recording shows what was sent


def test_a_retry_wait_does_not_hold_a_worker() -> None:
    """While one request waits for its retry, another session's request goes out on time."""
    run = deliver([planned(0.0, 1), planned(0.5, 2)], answers=[500, 200, 200], concurrency=1)
    assert [(call.at, call.session) for call in run.transport.sent] == [(0.0, 1), (0.5, 2), (1.0, 1)]


def test_timeouts_and_connection_errors_are_failed_attempts() -> None:
    """A timeout or a refused connection is retried like an error status, with the same EventId."""
    run = deliver(
        [planned(0.0, 1)],
        answers=[TransportError("timeout", "no answer in 10 s"), TransportError("connect", "refused"), 200],
    )
    assert [(a.status, a.error, a.delivered) for a in run.log.attempts] == [
        (None, "timeout", False),
        (None, "connect", False),
        (200, None, True),
    ]
    assert run.log.attempts[1].error_detail == "refused"
    assert len({call.event_id for call in run.transport.sent}) == 1


def test_failed_cycle_goes_to_the_back_of_the_queue_with_a_new_signed_event_id() -> None:
    """After 3 failed attempts the event is sent again after the session's next event, with a new EventId."""
    first, second = planned(0.0, 1, step=0), planned(0.5, 1, step=1)
    original = first.request.event_id
    run = deliver([first, second], answer=lambda call: 500 if call.event_id == original else 200)
    sent = run.transport.sent
    assert [call.event_id for call in sent[:4]] == [original, original, original, second.request.event_id]
    again = sent[4]
    assert len(sent) == 5
    assert again.at == 5.0
    assert again.event_id is not None and again.event_id != original
    assert uuid.UUID(again.event_id).version == 4
    assert again.payload["EventId"] == again.event_id
    assert verify(again.body, SECRET, again.header(so.HEADER_SIGNATURE))
    assert again.retry is None
    assert {k: v for k, v in again.payload.items() if k != "EventId"} == {
        k: v for k, v in sent[0].payload.items() if k != "EventId"
    }
    last = run.log.attempts[-1]
    assert (last.cycle, last.attempt, last.delivered) == (2, 1, True)


def test_replayed_request_gets_a_new_event_id_in_body_and_header_on_a_new_cycle() -> None:
    """A request without its event (a replay) is rewritten for its next cycle: new EventId, re-signed."""
    source = planned(0.0, 7)
    replayed = Planned(0.0, source.request, "replay", None)
    run = deliver([replayed], answers=[500, 500, 500])
    again = run.transport.sent[3]
    assert again.event_id != source.request.event_id
    assert again.payload["EventId"] == again.event_id
    assert again.session == 7
    assert verify(again.body, SECRET, again.header(so.HEADER_SIGNATURE))


def test_nine_consecutive_failures_turn_the_webhook_too_many_errors_and_stop_sending() -> None:
    """Three failed cycles (9 attempts) disable the webhook: the report says so and nothing else is sent."""
    run = deliver([planned(0.0, 1), planned(100.0, 2), planned(200.0, 3)], default=500, concurrency=1)
    assert run.times == [0.0, 1.0, 5.0, 5.0, 6.0, 10.0, 10.0, 11.0, 15.0]
    assert {call.session for call in run.transport.sent} == {1}
    cycles = [call.event_id for call in run.transport.sent]
    assert len(set(cycles)) == 3
    assert cycles[0:3] == [cycles[0]] * 3 and cycles[3:6] == [cycles[3]] * 3
    (change,) = run.log.states
    assert (change.state, change.at_s) == (TOO_MANY_ERRORS, 15.0)
    assert "9 consecutive failed attempts" in change.reason
    assert run.result.webhook_state == TOO_MANY_ERRORS
    assert not run.result.interrupted
    assert run.result.elapsed_s == 15.0  # it did not wait for the events due at 100 s and 200 s
    assert "TooManyErrors" in run.result.reason and "HTTP 500" in run.result.reason
    assert [a.final for a in run.log.attempts] == [False, False, True] * 3


@pytest.mark.parametrize("face", FACES)
def test_too_many_errors_with_requests_in_flight_reports_each_of_them_once(face: str) -> None:
    """When the webhook gives up, requests already in flight finish and are reported; none starts later."""
    run = deliver(
        [planned(0.0, session) for session in range(8)], default=500, delay=1.0, concurrency=4, face=face
    )
    (change,) = run.log.states
    assert change.state == TOO_MANY_ERRORS
    assert all(call.at < change.at_s for call in run.transport.sent)
    assert len(run.log.attempts) == len(run.transport.sent) >= 9
    assert run.result.webhook_state == TOO_MANY_ERRORS


def test_410_gone_disables_the_webhook_at_once() -> None:
    """A 410 answer turns the webhook TooManyErrors on the spot: no retry, no further request."""
    run = deliver([planned(0.0, 1), planned(1.0, 2)], answers=[410])
    assert run.times == [0.0]
    (change,) = run.log.states
    assert change.state == TOO_MANY_ERRORS
    assert "410" in change.reason
    (attempt,) = run.log.attempts
    assert attempt.final and not attempt.delivered
    assert run.result.webhook_state == TOO_MANY_ERRORS


def test_a_delivered_request_resets_the_failure_count() -> None:
    """Eight failures, a success, eight more failures: the webhook stays Active."""
    answers: list[Answer] = [500] * 8 + [200] + [500] * 8 + [200]
    run = deliver([planned(0.0, 1), planned(100.0, 2)], answers=answers)
    assert len(run.transport.sent) == 18
    assert run.log.states == []
    assert run.result.webhook_state == ACTIVE
    assert run.deliverer.gate.consecutive_failures == 0
    assert sum(a.delivered for a in run.log.attempts) == 2


@pytest.mark.parametrize("status", [201, 204])
def test_only_200_counts_as_delivered_by_default(status: int) -> None:
    """NetServer accepts only 200 OK: a 201 or 204 answer is a failure and is retried."""
    run = deliver([planned(0.0, 1)], answers=[status, status, 200])
    assert [a.delivered for a in run.log.attempts] == [False, False, True]


@pytest.mark.parametrize("status", [201, 204])
def test_a_custom_policy_can_accept_any_2xx(status: int) -> None:
    """With --delivery custom --success 2xx a 201 or 204 answer is delivered at the first attempt."""
    policy = replace(NETSERVER, name="custom", success_statuses=parse_statuses("2xx"))
    run = deliver([planned(0.0, 1)], answers=[status], policy=policy)
    (attempt,) = run.log.attempts
    assert attempt.delivered and attempt.final


def test_once_policy_sends_each_request_once() -> None:
    """--delivery once: one attempt per request, no retries, no new cycles, no TooManyErrors."""
    run = deliver([planned(0.0, session) for session in range(12)], default=500, policy=ONCE)
    assert len(run.transport.sent) == 12
    assert all(call.retry is None for call in run.transport.sent)
    assert all(a.final and not a.delivered for a in run.log.attempts)
    assert run.log.states == []
    assert run.result.webhook_state == ACTIVE
    assert run.result.reason == "nothing was delivered; the last failure: HTTP 500"


# --- stopping ---------------------------------------------------------------------------


def test_stop_sends_nothing_new_and_reports_the_requests_in_flight() -> None:
    """Ctrl-C mid-run: no new request (nor retry) goes out; the ones in flight finish and are reported."""

    async def stop_at_3_2(deliverer: Deliverer, clock: FakeClock) -> None:
        await clock.sleep_until(3.2)
        deliverer.stop()

    failing = event_for(1).event_id
    run = deliver(
        [planned(float(second), second) for second in range(10)],
        answer=lambda call: 500 if call.event_id == failing else 200,  # its retry would be due at 3.5
        delay=1.5,
        during=stop_at_3_2,
    )
    assert run.times == [0.0, 1.0, 2.0, 3.0]
    assert sorted(a.sent_s for a in run.log.attempts) == [0.0, 1.0, 2.0, 3.0]
    assert max(a.done_s for a in run.log.attempts) == 4.5
    assert run.result.interrupted
    assert run.result.reason == "stopped before the end of the plan"
    assert run.result.webhook_state == ACTIVE
    assert run.result.elapsed_s == 4.5
    assert run.deliverer.unsent == 1  # the retry that was waiting for its time


def test_handlers_see_every_attempt_exactly_once() -> None:
    """Each request that went out reaches every handler once, with the headers it was sent with."""

    items = [planned(0.25 * n, n % 5, step=n) for n in range(20)]
    doomed = {item.request.event_id for item in items if item.request.session_id == 0}

    def answer(call: Sent) -> Answer:
        # Session 0 fails its first cycles (requeued, new EventIds); odd sessions fail first attempts.
        if call.event_id in doomed or (call.session % 2 and call.retry is None):
            return 503
        return 200

    policy = replace(NETSERVER, name="custom", retry_delays=(0.5, 1.0), disable_after=None)
    second = Log()
    run = deliver(
        items,
        answer=answer,
        delay=lambda call: 0.1 * (call.session + 1),
        policy=policy,
        concurrency=3,
        handlers=[second],
    )

    def key(at: float, event_id: str | None, retry: str | None) -> tuple[float, str, str]:
        return (round(at, 9), event_id or "", retry or "")

    from_transport = sorted(key(c.at, c.event_id, c.retry) for c in run.transport.sent)
    for log in (run.log, second):
        reported = sorted(
            key(a.sent_s, a.request.event_id, a.request.header(so.HEADER_RETRY)) for a in log.attempts
        )
        assert reported == from_transport
    assert len(set(from_transport)) == len(from_transport)
    assert any(a.cycle == 2 for a in run.log.attempts)  # the mix had new cycles and retries
    assert any(a.attempt == 2 for a in run.log.attempts)
    assert run.result.webhook_state == ACTIVE


def test_a_failing_handler_stops_the_run_and_its_error_is_raised() -> None:
    """An output that breaks (a full disk) ends the run with its error instead of hanging it."""

    class Broken(Log):
        def handle_attempt(self, attempt: Attempt) -> None:
            raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        deliver([planned(float(n), n) for n in range(5)], handlers=[Broken()])


# --- injected faults ------------------------------------------------------------------


def test_a_probe_is_sent_once_on_time_outside_the_failure_count() -> None:
    """An injected probe goes out at its time even while its session is busy, once, and never counts."""
    original = planned(0.0, 1)
    forged = original.request._replace(headers=(*original.request.headers[:-1], (so.HEADER_SIGNATURE, "x")))
    probe = Planned(0.002, forged, SCENARIO, None, "bad-signature", True)
    run = deliver(
        [original, probe],
        answer=lambda call: 401 if call.header(so.HEADER_SIGNATURE) == "x" else 200,
        delay=lambda call: 5.0 if call.header(so.HEADER_SIGNATURE) != "x" else 0.0,
    )
    assert run.times == [0.0, 0.002]
    attempt = next(a for a in run.log.attempts if a.fault == "bad-signature")
    assert (attempt.status, attempt.final, attempt.delivered) == (401, True, False)
    assert run.deliverer.gate.consecutive_failures == 0
    assert len(run.transport.sent) == 2


# --- runner helpers ---------------------------------------------------------------------


def _dues(items: Iterable[Planned]) -> list[float]:
    return [item.due_s for item in items]


def test_retime_scales_by_speed_or_spaces_by_rate() -> None:
    """--speed 2 halves every due time; --rate 4/s spaces requests 0.25 s apart in the same order."""
    items = [planned(0.0, 1), planned(2.0, 2), planned(6.0, 3)]
    assert _dues(retime(items, speed=2.0, rate=None)) == [0.0, 1.0, 3.0]
    assert _dues(retime(items, speed=None, rate=4.0)) == [0.0, 0.25, 0.5]
    assert _dues(retime(items, speed=None, rate=None)) == [0.0, 2.0, 6.0]
    assert _dues(retime(items, speed=1.0, rate=None)) == [0.0, 2.0, 6.0]
    spaced = list(retime(items, speed=None, rate=4.0))
    assert [p.request for p in spaced] == [p.request for p in items]


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("200", {200}),
        ("200, 204", {200, 204}),
        ("2xx", set(range(200, 300))),
        ("2XX,301", {*range(200, 300), 301}),
    ],
)
def test_parse_statuses_reads_codes_and_classes(text: str, codes: set[int]) -> None:
    """--success takes codes, classes like 2xx, or a comma list of both."""
    assert parse_statuses(text) == frozenset(codes)


@pytest.mark.parametrize("text", ["ok", "600", "99", "2x", "6xx", "20o"])
def test_parse_statuses_rejects_what_is_not_a_status(text: str) -> None:
    """A value that is not an HTTP status or class is refused with the offending part named."""
    with pytest.raises(ValueError, match="is not a status"):
        parse_statuses(text)


def _stats(*statuses: int, service_s: float = 0.010) -> RunStats:
    stats = RunStats()
    for n, status in enumerate(statuses):
        request = planned(float(n), n).request
        stats.handle_attempt(
            Attempt(
                request, SCENARIO, 1, 1, float(n), float(n), n + service_s, status, delivered=status == 200
            )
        )
    return stats


def _result(state: str = ACTIVE) -> RunResult:
    return RunResult(elapsed_s=1.0, interrupted=False, webhook_state=state, planned=2)


def test_exit_code_is_0_when_everything_was_delivered() -> None:
    """A clean run exits 0."""
    assert exit_code(_stats(200, 200), [], _result(), None) == EXIT_OK
    assert exit_code(_stats(200, 500), [], _result(), Tally(received=2, accepted=2)) == EXIT_OK


def test_exit_code_is_1_when_a_threshold_is_crossed() -> None:
    """--fail-if 'p99 > 1ms' with 10 ms answers exits 1."""
    stats = RunStats((parse_threshold("p99 > 1ms"),))
    for n in range(3):
        stats.handle_attempt(
            Attempt(planned(0.0, n).request, SCENARIO, 1, 1, 0.0, 0.0, 0.01, 200, delivered=True)
        )
    assert exit_code(stats, stats.evaluate_thresholds(), _result(), None) == EXIT_FAILED


def test_exit_code_is_1_when_the_webhook_gave_up_or_nothing_was_delivered() -> None:
    """TooManyErrors, or not one request delivered (a target that is down), exits 1."""
    assert exit_code(_stats(200), [], _result(TOO_MANY_ERRORS), None) == EXIT_FAILED
    assert exit_code(_stats(500, 503), [], _result(), None) == EXIT_FAILED


def test_exit_code_is_1_when_the_receiver_saw_bad_requests() -> None:
    """The built-in receiver finding a bad signature fails the run."""
    tally = Tally(received=2, accepted=1, problems={"bad-signature": 1})
    assert exit_code(_stats(200, 200), [], _result(), tally) == EXIT_FAILED


def test_with_event_id_keeps_a_signed_request_it_cannot_re_sign() -> None:
    """Without the secret a signed request keeps its bytes rather than carry a wrong signature."""
    from simulator.core.delivery_rules import with_event_id

    request = planned(0.0, 1).request
    assert with_event_id(request, "new-id", None) == request
    changed = with_event_id(request, "new-id", SECRET)
    assert (changed.event_id, json.loads(changed.body)["EventId"]) == ("new-id", "new-id")
    assert changed.header(so.HEADER_EVENT_ID) == "new-id"
    assert verify(changed.body, SECRET, changed.header(so.HEADER_SIGNATURE))
    unsigned = Request(request.event, request.event_id, 1, request.headers[:-1], request.body)
    assert with_event_id(unsigned, "other", None).header(so.HEADER_EVENT_ID) == "other"


def test_submit_face_reports_outcomes_later_and_keeps_each_session_in_order() -> None:
    """Through ``submit``, outcomes never arrive while an attempt is being started, and a session's
    events still go out one after the other (the next waits for the previous answer)."""
    items = [planned(float(n) / 10, session) for n in range(4) for session in (1, 2)]
    run = deliver(items, delay=1.0, face="submit")
    assert isinstance(run.transport, SubmitTransport)
    assert not run.transport.reported_while_submitting
    assert [a.status for a in run.log.attempts] == [200] * 8
    for session in (1, 2):
        sent = [a.sent_s for a in run.log.attempts if a.request.session_id == session]
        assert sent == [0.0, 1.0, 2.0, 3.0]  # each waits a whole answer (1 s) for its predecessor


def test_a_transport_that_refuses_at_once_is_a_failed_attempt_not_a_crash() -> None:
    """``submit`` raising (say a closed transport) fails that attempt through the normal rules."""

    class Refusing(FakeTransport):
        def submit(self, headers: Any, body: bytes, on_done: Callable[[Any], None]) -> None:
            raise RuntimeError("cannot send: closed")

    clock = FakeClock()
    log = Log()
    deliverer = Deliverer(Refusing(clock, ()), [log], webhook=WEBHOOK, policy=ONCE, clock=clock)
    result = asyncio.run(deliverer.run([planned(0.0, 1), planned(0.0, 2)]))
    assert [(a.error, a.error_detail) for a in log.attempts] == [
        ("protocol", "RuntimeError: cannot send: closed")
    ] * 2
    assert result.webhook_state == "Active" and deliverer.in_flight == 0


@pytest.mark.parametrize("face", FACES)
def test_a_failing_source_lets_the_requests_in_flight_finish_before_its_error(face: str) -> None:
    """A plan that raises midway (a corrupt recording line) sends nothing more, but the requests
    already in flight are answered and reported before the error reaches the caller."""

    class CorruptLine(Exception):
        pass

    def source() -> Iterable[Planned]:
        yield from (planned(0.0, session) for session in range(3))
        raise CorruptLine("line 4")

    with pytest.raises(CorruptLine):
        deliver(source(), delay=1.0, face=face)
    assert LAST_LOG.attempts and [a.status for a in LAST_LOG.attempts] == [200] * 3


@pytest.mark.parametrize("face", FACES)
def test_max_rate_reads_the_plan_no_further_ahead_than_one_request_per_slot(face: str) -> None:
    """At --max-rate the plan is read as fast as slots free up, but never more than ``concurrency``
    requests beyond those in flight: a deeper queue only keeps more requests alive at once."""
    concurrency, pulled = 4, [0]
    ahead: list[int] = []  # read but not yet answered, each time a request goes out

    def source() -> Iterable[Planned]:
        for session in range(60):  # each its own session: nothing waits for a predecessor
            pulled[0] += 1
            yield planned(0.0, session)

    def answer(_: Sent) -> Answer:
        ahead.append(pulled[0] - len(LAST_LOG.attempts))
        return 200

    run = deliver(source(), answer=answer, delay=1.0, concurrency=concurrency, face=face, max_rate=True)
    assert [a.status for a in run.log.attempts] == [200] * 60
    assert max(ahead) == 2 * concurrency  # the slots full, and one request ready for each


@pytest.mark.parametrize("face", FACES)
def test_max_rate_reads_the_plan_again_once_half_the_ready_queue_has_gone(face: str) -> None:
    """A full ready queue pauses reading; it resumes when half the queue has gone out, and then
    reads that half at once: one wake-up per ``concurrency // 2`` events, not one per answer."""
    concurrency, answered_at_read = 4, []

    def source() -> Iterable[Planned]:
        for session in range(40):
            answered_at_read.append(len(LAST_LOG.attempts))
            yield planned(0.0, session)

    def one_answer_at_a_time(sent: Sent) -> float:
        return 1.0 + sent.session / 100

    run = deliver(source(), delay=one_answer_at_a_time, concurrency=concurrency, face=face, max_rate=True)
    assert len(run.log.attempts) == 40
    reads = sorted(Counter(answered_at_read).items())
    assert reads[0] == (0, 2 * concurrency)  # the slots and the queue filled before any answer
    assert {count for _, count in reads[1:-1]} == {concurrency // 2}


@pytest.mark.parametrize(
    ("mode", "expected"), [("count", [None, "1"]), ("always", ["0", "1"]), ("never", [None, None])]
)
def test_the_retry_header_follows_the_policy_from_the_first_attempt(
    mode: str, expected: list[str | None]
) -> None:
    """X-SuperOffice-Retry: absent on a first attempt by default, "0" there with "always", never
    sent with "never"; a retry carries its count."""
    policy = replace(NETSERVER, retry_header=mode)
    run = deliver([planned(0.0, 1)], answers=[500, 200], policy=policy)
    assert [sent.retry for sent in run.transport.sent] == expected


# --- per-event counts, and what a cancelled run reports -----------------------------------


def test_a_failed_cycle_says_its_event_goes_on_and_the_later_delivery_counts_as_such() -> None:
    """The last attempt of a failed cycle is marked requeued; RunStats counts the event delivered in a
    later cycle, not lost, however many cycles failed before."""
    first = planned(0.0, 1)
    original = first.request.event_id
    stats = RunStats()
    run = deliver(
        [first, planned(0.0, 2)], answer=lambda c: 500 if c.event_id == original else 200, handlers=[stats]
    )
    assert [
        (a.cycle, a.attempt, a.final, a.requeued) for a in run.log.attempts if a.request.session_id == 1
    ] == [
        (1, 1, False, False),
        (1, 2, False, False),
        (1, 3, True, True),
        (2, 1, True, False),
    ]
    assert stats.delivery_counts() == {
        "events_sent": 2,
        "delivered_first_attempt": 1,
        "delivered_after_retries": 0,
        "delivered_later_cycle": 1,
        "lost": 0,
    }
    assert (stats.failed, stats.requeues) == (1, 1)


@pytest.mark.parametrize("face", FACES)
def test_sent_counts_every_event_that_went_out_when_the_webhook_gives_up(face: str) -> None:
    """With 401 for everything and 40 requests in flight, TooManyErrors stops the retries of some:
    sent is still every event that went out (40), retries only the attempts after a first, so
    attempts = sent + retries + requeues, and all 40 are lost."""
    stats = RunStats()
    run = deliver(
        [planned(0.0, session) for session in range(40)], default=401, delay=1.0, handlers=[stats], face=face
    )
    assert run.result.webhook_state == TOO_MANY_ERRORS
    assert len(run.transport.sent) == stats.attempts == 40
    assert (stats.sent, stats.retries, stats.requeues, stats.lost) == (40, 0, 0, 40)
    assert stats.status_codes == {401: 40}


def test_a_refused_connection_and_its_retry_count_as_one_event_sent() -> None:
    """Connection refused, retried once, then the run stops: one event sent, one retry, one lost."""
    stats = RunStats()

    async def stop_after_the_retry(deliverer: Deliverer, clock: FakeClock) -> None:
        await clock.sleep_until(1.5)
        deliverer.stop()

    refused = TransportError("connect", "connection refused")
    deliver([planned(0.0, 1)], default=refused, handlers=[stats], during=stop_after_the_retry)
    assert (stats.attempts, stats.sent, stats.retries, stats.lost, stats.delivered) == (2, 1, 1, 1, 0)
    assert stats.errors == {"connect": 2}
    assert stats.achieved_rate > 0 and stats.delivered_rate == 0.0


class SilentTransport:
    """Takes every request and never answers (a hung receiver); says when ``expect`` are in flight."""

    target = "fake://silent"

    def __init__(self, expect: int) -> None:
        self.expect = expect
        self.sent = 0
        self.all_in_flight = asyncio.Event()

    async def send(self, headers: tuple[tuple[str, str], ...], body: bytes) -> Response:
        self.sent += 1
        if self.sent == self.expect:
            self.all_in_flight.set()
        await asyncio.get_running_loop().create_future()  # never set
        raise AssertionError("unreachable")

    async def aclose(self) -> None:
        """Nothing to close."""


def test_a_cancelled_run_reports_every_request_in_flight_as_abandoned() -> None:
    """A second Ctrl-C cancels the run with 64 requests in flight: each is reported once, as sent and
    abandoned (no answer), so the report counts 64 events sent and lost instead of nothing."""
    stats, log = RunStats(), Log()
    transport = SilentTransport(expect=64)
    clock = FakeClock()
    deliverer = Deliverer(
        transport, [stats, log], webhook=WEBHOOK, concurrency=64, clock=clock, max_rate=True
    )

    async def main() -> None:
        run = asyncio.ensure_future(deliverer.run([planned(0.0, session) for session in range(100)]))
        await transport.all_in_flight.wait()
        run.cancel()
        with pytest.raises(asyncio.CancelledError):
            await run

    asyncio.run(main())
    assert len(log.attempts) == 64
    assert {(a.error, a.status, a.delivered, a.final) for a in log.attempts} == {
        ("abandoned", None, False, True)
    }
    assert len({a.request.session_id for a in log.attempts}) == 64
    assert (stats.attempts, stats.sent, stats.lost) == (64, 64, 64)
    assert deliverer.in_flight == 0
    result = deliverer.cancelled_result()
    assert result.interrupted
    assert "64 request(s) in flight were abandoned" in result.reason
    assert result.planned >= 64
