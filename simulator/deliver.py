"""Delivery: fire a timeline of events at a target with NetServer's rules, on an open model.

Deadlines are absolute (``start + due_s``), so a slow receiver never delays later sends;
whatever lateness there is shows up as schedule lag. Events of one chat session go out in
order through a per-session lane; sessions run concurrently on ``concurrency`` workers.
Retry waits do not hold a worker.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from simulator import superoffice as so
from simulator.clock import Clock, MonotonicClock
from simulator.events import Event, Request, Webhook, header_name, render
from simulator.outcome import Attempt, Handler, Response, RunResult, StateChange
from simulator.schedule import Planned

if TYPE_CHECKING:
    from simulator.transport import AsyncTransport


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How failures are retried and when the webhook gives up (reference §3.3-§3.4)."""

    name: str = "netserver"
    retry_delays: tuple[float, ...] = so.RETRY_DELAYS_S
    success_statuses: frozenset[int] = so.SUCCESS_STATUSES
    #: Consecutive failed attempts that turn the webhook TooManyErrors; None never disables.
    disable_after: int | None = so.DISABLE_AFTER_FAILURES
    disable_on_gone: bool = True
    #: After a failed cycle: "requeue" to the back of the session's queue with a new EventId,
    #: or "discard" the event.
    on_cycle_failure: Literal["requeue", "discard"] = "requeue"
    #: X-SuperOffice-Retry: "count" omits it on the first attempt and sends 1, 2 on retries;
    #: "always" sends 0, 1, 2; "never" omits it.
    retry_header: Literal["count", "always", "never"] = "count"

    @property
    def attempts_per_cycle(self) -> int:
        """Attempts in one cycle: the first plus one per retry delay."""
        return len(self.retry_delays) + 1

    def is_success(self, status: int | None) -> bool:
        """Tell whether an answer counts as delivered."""
        return status is not None and status in self.success_statuses


NETSERVER = DeliveryPolicy()
ONCE = DeliveryPolicy(name="once", retry_delays=(), disable_after=None, on_cycle_failure="discard")


def cycle_event_id(event_id: str, cycle: int) -> str:
    """Derive the EventId of a later delivery cycle, deterministically, as a v4-shaped GUID."""
    if cycle <= 1:
        return event_id
    digest = hashlib.sha256(f"{event_id}:{cycle}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-a{digest[17:20]}-{digest[20:32]}"


@dataclass(slots=True)
class _Item:
    """One request on its way: the event, its rendered form and where it is in its cycle."""

    event: Event | None
    request: Request
    scenario: str
    lane: object
    intended: float  # absolute clock time the next attempt is due
    cycle: int = 1
    attempt: int = 1


@dataclass(slots=True)
class _Lane:
    busy: bool = False
    pending: deque[_Item] = field(default_factory=deque)


class Deliverer:
    """Runs one delivery: reads planned requests, sends them, tells the handlers."""

    def __init__(
        self,
        transport: AsyncTransport,
        handlers: Sequence[Handler],
        *,
        webhook: Webhook | None = None,
        policy: DeliveryPolicy = NETSERVER,
        concurrency: int = 64,
        clock: Clock | None = None,
        max_rate: bool = False,
    ) -> None:
        self.transport = transport
        self.handlers = handlers
        self.webhook = webhook or Webhook()
        self.policy = policy
        self.concurrency = max(1, concurrency)
        self.clock = clock or MonotonicClock()
        self.max_rate = max_rate
        self.state = "Active"
        self.consecutive_failures = 0
        self.in_flight = 0
        self.unsent = 0  # planned requests never sent because the webhook stopped
        self._stop = asyncio.Event()
        self._ready: asyncio.Queue[_Item | None] = asyncio.Queue(maxsize=self.concurrency * 4)
        self._lanes: dict[object, _Lane] = {}
        self._open_items = 0
        self._idle = asyncio.Event()
        self._timers: set[asyncio.Task[None]] = set()
        self._start = 0.0

    # -- public ------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop taking new events; requests in flight finish or time out."""
        self._stop.set()

    @property
    def stopped(self) -> bool:
        """Whether the run was told to stop or the webhook gave up."""
        return self._stop.is_set()

    async def run(self, planned: Iterable[Planned]) -> RunResult:
        """Deliver every planned request, then return how the run ended."""
        self._start = self.clock.now()
        workers = [asyncio.ensure_future(self._worker()) for _ in range(self.concurrency)]
        interrupted = False
        count = 0
        try:
            count = await self._dispatch(planned)
            await self._drain()
        except asyncio.CancelledError:
            interrupted = True
            raise
        finally:
            for timer in self._timers:
                timer.cancel()
            for _ in workers:
                self._force_put(None)
            await asyncio.gather(*workers, return_exceptions=True)
        interrupted = interrupted or (self._stop.is_set() and self.state == "Active")
        return RunResult(
            elapsed_s=self.clock.now() - self._start,
            interrupted=interrupted,
            webhook_state=self.state,
            planned=count,
        )

    # -- dispatch ----------------------------------------------------------------------

    async def _dispatch(self, planned: Iterable[Planned]) -> int:
        count = 0
        for item in planned:
            if self._stop.is_set():
                self.unsent += 1 if self.state != "Active" else 0
                break
            count += 1
            deadline = self._start if self.max_rate else self._start + item.due_s
            if deadline > self.clock.now():
                await self._wait_or_stop(deadline)
                if self._stop.is_set():
                    break
            lane_key = (item.scenario, item.request.session_id)
            queued = _Item(item.event, item.request, item.scenario, lane_key, deadline)
            self._open_items += 1
            self._idle.clear()
            await self._enqueue(queued)
        return count

    async def _wait_or_stop(self, deadline: float) -> None:
        sleeper = asyncio.ensure_future(self.clock.sleep_until(deadline))
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait((sleeper, stopper), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            stopper.cancel()

    async def _enqueue(self, item: _Item) -> None:
        lane = self._lanes.get(item.lane)
        if lane is None:
            lane = self._lanes[item.lane] = _Lane()
        if lane.busy:
            lane.pending.append(item)
            return
        lane.busy = True
        await self._ready.put(item)

    def _force_put(self, item: _Item | None) -> None:
        try:
            self._ready.put_nowait(item)
        except asyncio.QueueFull:
            # Retries and lane hand-offs must never block a worker; let the queue grow briefly.
            self._ready._queue.append(item)  # type: ignore[attr-defined]
            self._ready._unfinished_tasks += 1  # type: ignore[attr-defined]
            self._ready._wakeup_next(self._ready._getters)  # type: ignore[attr-defined]

    async def _drain(self) -> None:
        while self._open_items > 0:
            await self._idle.wait()

    # -- workers -----------------------------------------------------------------------

    async def _worker(self) -> None:
        while True:
            item = await self._ready.get()
            if item is None:
                return
            if self.state != "Active":
                self.unsent += 1
                self._finish_item(item)
                continue
            await self._attempt(item)

    async def _attempt(self, item: _Item) -> None:
        headers = self._headers_for(item)
        sent = self.clock.now()
        self.in_flight += 1
        status: int | None = None
        error = None
        detail = ""
        response = Response(0)
        try:
            response = await self.transport.send(headers, item.request.body)
            status = response.status
        except Exception as exc:  # any transport failure is a failed attempt, never a crash
            error, detail = _classify(exc)
        finally:
            self.in_flight -= 1
        done = self.clock.now()
        delivered = self.policy.is_success(status)
        gone = status == so.GONE_STATUS and self.policy.disable_on_gone
        last_in_cycle = delivered or gone or item.attempt >= self.policy.attempts_per_cycle
        request = item.request if headers == item.request.headers else item.request._replace(headers=headers)
        attempt = Attempt(
            request=request,
            scenario=item.scenario,
            cycle=item.cycle,
            attempt=item.attempt,
            intended_s=item.intended - self._start,
            sent_s=sent - self._start,
            done_s=done - self._start,
            status=status,
            error=error,
            error_detail=detail,
            delivered=delivered,
            final=last_in_cycle,
            response_body=response.body[:4000],
        )
        for handler in self.handlers:
            handler.handle_attempt(attempt)
        self._after_attempt(item, delivered, gone, done)

    def _after_attempt(self, item: _Item, delivered: bool, gone: bool, done: float) -> None:
        if delivered:
            self.consecutive_failures = 0
            self._finish_item(item)
            return
        self.consecutive_failures += 1
        if gone:
            self._disable(done, f"the target answered {so.GONE_STATUS} Gone")
        elif self.policy.disable_after is not None and self.consecutive_failures >= self.policy.disable_after:
            self._disable(done, f"{self.consecutive_failures} consecutive failed attempts")
        if self.state != "Active":
            self._finish_item(item)
        elif item.attempt < self.policy.attempts_per_cycle:
            self._retry_later(item, done + self.policy.retry_delays[item.attempt - 1])
        elif self.policy.on_cycle_failure == "requeue":
            self._requeue(item, done)
        else:
            self._finish_item(item)

    def _retry_later(self, item: _Item, when: float) -> None:
        retry = replace(item, attempt=item.attempt + 1, intended=when)

        async def fire() -> None:
            await self.clock.sleep_until(when)
            self._force_put(retry)

        timer = asyncio.ensure_future(fire())
        self._timers.add(timer)
        timer.add_done_callback(self._timers.discard)

    def _requeue(self, item: _Item, now: float) -> None:
        """A failed cycle goes to the back of its session's queue with a new EventId."""
        cycle = item.cycle + 1
        request = self._rerender(item, cycle)
        again = replace(item, request=request, cycle=cycle, attempt=1, intended=now)
        lane = self._lanes[item.lane]
        lane.pending.append(again)
        self._open_items += 1
        self._finish_item(item)

    def _rerender(self, item: _Item, cycle: int) -> Request:
        first_id = cycle_event_id(item.request.event_id, 1)
        new_id = (
            cycle_event_id(first_id, cycle)
            if item.cycle == 1
            else cycle_event_id(item.request.event_id, cycle)
        )
        if item.event is not None:
            return render(item.event, self.webhook, event_id=new_id)
        return item.request  # a replayed request whose event is unknown keeps its bytes

    def _finish_item(self, item: _Item) -> None:
        lane = self._lanes.get(item.lane)
        if lane is not None:
            if lane.pending:
                following = lane.pending.popleft()
                following.intended = max(following.intended, self.clock.now())
                self._force_put(following)
            else:
                lane.busy = False
                del self._lanes[item.lane]
        self._open_items -= 1
        if self._open_items <= 0:
            self._idle.set()

    def _disable(self, at: float, reason: str) -> None:
        if self.state != "Active":
            return
        self.state = "TooManyErrors"
        change = StateChange(at - self._start, self.webhook.name, self.state, reason)
        for handler in self.handlers:
            handler.handle_state(change)
        self._stop.set()

    def _headers_for(self, item: _Item) -> tuple[tuple[str, str], ...]:
        mode = self.policy.retry_header
        if mode == "never" or (mode == "count" and item.attempt == 1):
            return item.request.headers
        name = header_name(so.HEADER_RETRY, self.webhook.payload.header_spelling)
        return (*item.request.headers, (name, str(item.attempt - 1)))


def _classify(exc: BaseException) -> tuple[Literal["timeout", "connect", "protocol"], str]:
    kind = getattr(exc, "kind", None)
    if kind in ("timeout", "connect", "protocol"):
        return kind, str(getattr(exc, "detail", exc))
    if isinstance(exc, TimeoutError):
        return "timeout", "timed out"
    if isinstance(exc, ConnectionError | OSError):
        return "connect", str(exc) or type(exc).__name__
    return "protocol", f"{type(exc).__name__}: {exc}"


def call_finish(
    handlers: Sequence[Handler], result: RunResult, on_error: Callable[[Exception], None]
) -> None:
    """Finish every handler, even when one of them fails, so each output is closed."""
    for handler in handlers:
        try:
            handler.finish(result)
        except Exception as exc:  # one broken output must not keep the others open
            on_error(exc)
