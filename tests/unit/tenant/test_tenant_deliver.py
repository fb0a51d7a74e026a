"""The delivery engine's additions for the tenant, on virtual time: live feeds, pause and resume when
the webhook leaves Active, and secrets that change mid-run."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from simulator.core.delivery_rules import DeliveryPolicy, resigned
from simulator.core.events import Event, Request, SessionFields, Webhook, render
from simulator.core.outcome import Attempt, Response, RunInfo, RunResult, StateChange
from simulator.core.schedule import Planned
from simulator.core.signing import verify
from simulator.delivery.clock import FakeClock
from simulator.delivery.deliverer import Deliverer
from simulator.superoffice import facts as so
from simulator.tenant.fanout import PlannedFeed

OLD, NEW = "old-secret", "new-secret"
WEBHOOK = Webhook(name="unit", secret=OLD)
FAST = DeliveryPolicy(name="fast", retry_delays=(1.0, 1.0), disable_after=3)


def planned(due_s: float, session: int, step: int = 0, webhook: Webhook = WEBHOOK) -> Planned:
    """A signed chat message request of ``session`` due at ``due_s``."""
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"tenant-unit:{session}/{step}"))
    event = Event(so.EVENT_MESSAGE, session, 15_245_579_220_898_950 + step, event_id, 316, SessionFields())
    return Planned(due_s, render(event, webhook), "unit", event)


@dataclass
class Target:
    """A fake receiver on the FakeClock: answers ``answer(now)`` and records (time, headers, body)."""

    clock: FakeClock
    answer: Callable[[float], int] = lambda now: 200
    target: str = "fake://target"
    sent: list[tuple[float, tuple[tuple[str, str], ...], bytes]] = field(default_factory=list)

    async def send(self, headers: tuple[tuple[str, str], ...], body: bytes) -> Response:
        now = self.clock.now()
        self.sent.append((now, headers, body))
        return Response(self.answer(now))

    async def aclose(self) -> None:
        """Nothing to close."""

    def secrets(self) -> list[str | None]:
        """Which secret signed each request sent (None: neither)."""
        signed = []
        for _, headers, body in self.sent:
            signature = Request("", "", 0, headers, body).header(so.HEADER_SIGNATURE)
            signed.append(next((s for s in (OLD, NEW) if verify(body, s, signature)), None))
        return signed


@dataclass
class Log:
    """Keeps attempts and state changes."""

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


def test_a_live_feed_is_delivered_as_it_is_offered_and_lag_counts_from_the_shared_start() -> None:
    """An async source works like a list; ``start`` puts the deliverer on a timeline begun earlier."""
    clock = FakeClock(100.0)
    target, log = Target(clock), Log()

    async def main() -> RunResult:
        feed = PlannedFeed(10)
        deliverer = Deliverer(target, [log], webhook=WEBHOOK, clock=clock)
        run = asyncio.ensure_future(deliverer.run(feed, start=90.0))
        feed.offer(planned(10.0, 1))  # due at 100.0: now
        await clock.sleep_until(105.0)
        feed.offer(planned(12.0, 2))  # due at 102.0: already 3 s late
        feed.close()
        return await run

    result = asyncio.run(main())
    assert [round(at, 6) for at, _, _ in target.sent] == [100.0, 105.0]
    assert [round(a.lag_s, 6) for a in log.attempts] == [0.0, 3.0]
    assert (result.planned, result.interrupted) == (2, False)


def test_drop_pauses_at_too_many_errors_and_resumes_when_active_again() -> None:
    """With inactive="drop" TooManyErrors stops sending but not the run; set_state(Active) resumes
    with a fresh failure count, and what was pending meanwhile is dropped."""
    clock = FakeClock()
    target, log = Target(clock, answer=lambda now: 500 if now < 20 else 200), Log()

    async def main() -> tuple[RunResult, Deliverer]:
        feed = PlannedFeed(10)
        deliverer = Deliverer(
            target, [log], webhook=WEBHOOK, policy=FAST, clock=clock, inactive="drop", label="#1"
        )
        run = asyncio.ensure_future(deliverer.run(feed, start=0.0))
        feed.offer(planned(0.0, 1))
        feed.offer(planned(0.0, 1, 1))  # waits behind the first in its session, then dropped
        await clock.sleep_until(10.0)
        assert deliverer.state == "TooManyErrors" and not deliverer.stopped
        feed.offer(planned(10.0, 2))  # offered while paused: dropped too
        await clock.sleep_until(30.0)
        deliverer.set_state("Active")
        assert deliverer.gate.consecutive_failures == 0
        feed.offer(planned(30.0, 3))
        feed.close()
        return await run, deliverer

    result, deliverer = asyncio.run(main())
    assert [round(at, 6) for at, _, _ in target.sent] == [0.0, 1.0, 2.0, 30.0]
    assert [(s.webhook, s.state) for s in log.states] == [("#1", "TooManyErrors")]
    assert log.attempts[-1].delivered
    assert result.unsent == 2
    assert result.webhook_state == "Active" and deliverer.state == "Active"


def test_hold_keeps_requests_while_stopped_and_sends_them_in_order_on_resume() -> None:
    """With inactive="hold" a Stopped webhook keeps its requests and sends them, in order, once Active."""
    clock = FakeClock()
    target = Target(clock)

    async def main() -> RunResult:
        feed = PlannedFeed(10)
        deliverer = Deliverer(target, [Log()], webhook=WEBHOOK, clock=clock, inactive="hold")
        deliverer.set_state("Stopped")
        run = asyncio.ensure_future(deliverer.run(feed, start=0.0))
        for step in range(3):
            feed.offer(planned(float(step), 7, step))
        await clock.sleep_until(50.0)
        assert target.sent == []
        deliverer.set_state("Active")
        await clock.sleep_until(51.0)
        feed.close()
        return await run

    result = asyncio.run(main())
    assert [round(at, 6) for at, _, _ in target.sent] == [50.0, 50.0, 50.0]
    steps = [planned(float(step), 7, step).request.body for step in range(3)]
    assert [body for _, _, body in target.sent] == steps
    assert result.unsent == 0


def test_held_requests_are_dropped_when_the_feed_ends_while_paused() -> None:
    """A run whose webhook is still paused when its source ends finishes, counting what it held as
    unsent: also a session's later request, which waited behind a held one (it used to hang)."""
    clock = FakeClock()

    async def main() -> RunResult:
        feed = PlannedFeed(10)
        deliverer = Deliverer(Target(clock), [Log()], webhook=WEBHOOK, clock=clock, inactive="hold")
        deliverer.set_state("Stopped")
        feed.offer(planned(0.0, 1))
        feed.offer(planned(0.0, 1, 1))  # waits in session 1's lane behind the held request
        feed.offer(planned(0.0, 2))
        feed.close()
        return await deliverer.run(feed, start=0.0)

    result = asyncio.run(asyncio.wait_for(main(), 5))
    assert result.unsent == 3


def test_a_new_secret_signs_new_cycles_while_a_cycle_in_progress_keeps_its_own() -> None:
    """After swap_webhook the retries of the cycle under way keep the old signature (default); the next
    cycle, with its new EventId, is rendered with the new secret."""
    target = _rotate_during_a_retry(resign=False)
    assert target.secrets() == [OLD, OLD, OLD, NEW]


def test_resign_signs_every_attempt_with_the_current_secret() -> None:
    """With resign=True the retry after the rotation already carries the new signature."""
    target = _rotate_during_a_retry(resign=True)
    assert target.secrets() == [OLD, NEW, NEW, NEW]


def _rotate_during_a_retry(*, resign: bool) -> Target:
    clock = FakeClock()
    target = Target(clock)
    target.answer = lambda now: 500 if len(target.sent) <= 3 else 200  # the first cycle fails
    policy = replace(FAST, disable_after=None)

    async def main() -> None:
        deliverer = Deliverer(target, [Log()], webhook=WEBHOOK, policy=policy, clock=clock, resign=resign)

        async def rotate() -> None:
            await clock.sleep_until(0.5)  # after attempt 1 (t=0), before attempt 2 (t=1)
            deliverer.swap_webhook(replace(WEBHOOK, secret=NEW), {"unit": replace(WEBHOOK, secret=NEW)})

        side = asyncio.ensure_future(rotate())
        await deliverer.run([planned(0.0, 1)])
        await side

    asyncio.run(main())
    assert len(target.sent) == 4  # 3 failed attempts (t = 0, 1, 2), then a new cycle: delivered
    return target


def test_resigned_replaces_adds_or_removes_the_signature_in_place() -> None:
    """resigned() re-signs in place, adds a signature after the EventId header, or drops it."""
    request = planned(0.0, 1).request
    swapped = resigned(request, NEW)
    assert [name for name, _ in swapped.headers] == [name for name, _ in request.headers]
    assert verify(swapped.body, NEW, swapped.header(so.HEADER_SIGNATURE))
    unsigned = resigned(request, None)
    assert unsigned.header(so.HEADER_SIGNATURE) is None
    again = resigned(unsigned, OLD)
    names = [name for name, _ in again.headers]
    assert names.index(so.HEADER_SIGNATURE) == names.index(so.HEADER_EVENT_ID) + 1
    assert again == request
