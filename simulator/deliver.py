"""Delivery: fire a timeline of events at a target with NetServer's rules, on an open model.

Deadlines are absolute (``start + due_s``), so a slow receiver never delays later sends;
whatever lateness there is shows up as schedule lag. Events of one chat session go out in
order through a per-session lane; sessions run concurrently on ``concurrency`` workers.
Retry waits do not hold a worker.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections import deque
from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Literal

from simulator import superoffice as so
from simulator.clock import Clock, MonotonicClock
from simulator.events import Event, HeaderSpelling, Request, Webhook, header_name, render
from simulator.outcome import Attempt, ErrorKind, Handler, Response, RunResult, StateChange
from simulator.schedule import Planned
from simulator.signing import sign

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

ACTIVE = so.WebhookState.Active.name
TOO_MANY_ERRORS = so.WebhookState.TooManyErrors.name

_BODY_EVENT_ID = re.compile(rb'("EventId"\s*:\s*")([^"]*)(")')


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
    fault: str | None = None  # an injected fault, passed on to the attempt
    probe: bool = False  # an injected extra: sent once, outside the retry rules and failure count


@dataclass(slots=True)
class _Lane:
    busy: bool = False
    pending: deque[_Item] = field(default_factory=deque)


_Next = Literal["finish", "retry", "requeue"]

#: What a deliverer does when its webhook leaves Active: "end" the run (``sosim run``), or pause
#: and keep running until ``set_state`` makes it Active again, dropping ("drop") or keeping
#: ("hold") the requests it has not sent yet.
Inactive = Literal["end", "drop", "hold"]


class Deliverer:
    """Runs one delivery: reads planned requests, sends them, tells the handlers."""

    def __init__(
        self,
        transport: AsyncTransport,
        handlers: Sequence[Handler],
        *,
        webhook: Webhook | None = None,
        webhooks: Mapping[str, Webhook] | None = None,
        policy: DeliveryPolicy = NETSERVER,
        concurrency: int = 64,
        clock: Clock | None = None,
        max_rate: bool = False,
        inactive: Inactive = "end",
        resign: bool = False,
        label: str | None = None,
    ) -> None:
        """Deliver through ``transport``; ``webhooks`` maps a scenario name to its own webhook
        (secret, spelling) for re-rendering new cycles, ``webhook`` serves every other scenario.

        ``inactive``: see :data:`Inactive`. ``resign`` signs every attempt with the current secret,
        not the one its request was first signed with. ``label`` names the webhook in state changes."""
        self.transport = transport
        self.handlers = handlers
        self.webhook = webhook or Webhook()
        self.webhooks = dict(webhooks or {})
        self.policy = policy
        self.concurrency = max(1, concurrency)
        self.clock = clock or MonotonicClock()
        self.max_rate = max_rate
        self.state = ACTIVE
        self.consecutive_failures = 0
        self.delivered = 0
        self.last_failure = ""  # "HTTP 500" or "connect: 127.0.0.1:8000: Connection refused"
        self.in_flight = 0
        self.unsent = 0  # requests dropped unsent (or between retries) because the run stopped
        self._stop = asyncio.Event()
        self._reason = ""
        self._error: Exception | None = None
        # Ready items; dispatch waits while more than `_backlog` are queued, so a run at
        # --max-rate does not render the whole plan ahead of the workers.
        self._ready: asyncio.Queue[_Item | None] = asyncio.Queue()
        self._backlog = self.concurrency * 4
        self._room = asyncio.Event()
        self._lanes: dict[object, _Lane] = {}
        self._open_items = 0
        self._idle = asyncio.Event()
        self._timers: dict[asyncio.Task[None], _Item] = {}
        self._start = 0.0
        self.inactive: Inactive = inactive
        self.resign = resign
        self.label = label
        self._paused = False
        self._held: deque[_Item] = deque()
        self._source_done = False

    # -- public ------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop sending: nothing new goes out, requests in flight finish or time out."""
        self._stop.set()
        self._drop_retries()
        self._drop_held()

    def set_state(self, state: str) -> None:
        """Follow a state change made elsewhere (an app's PUT): Active resumes, any other pauses.

        With ``inactive="end"`` leaving Active stops the run. Resuming resets the failure count.
        Does not tell the handlers: whoever changed the state reports it.
        """
        if state == ACTIVE:
            self._resume()
            return
        self.state = state
        if self.inactive == "end":
            self.stop()
        else:
            self._pause()

    def swap_webhook(self, webhook: Webhook, webhooks: Mapping[str, Webhook] | None = None) -> None:
        """Sign with another definition (a new secret) from now on: new cycles are rendered with it,
        requests already rendered keep their signature unless ``resign`` is set."""
        self.webhook = webhook
        if webhooks is not None:
            self.webhooks = dict(webhooks)

    @property
    def stopped(self) -> bool:
        """Whether the run was told to stop or the webhook gave up."""
        return self._stop.is_set()

    async def run(
        self, planned: Iterable[Planned] | AsyncIterable[Planned], *, start: float | None = None
    ) -> RunResult:
        """Deliver every planned request, then return how the run ended.

        ``planned`` may be an async iterable (a live feed); it must end by itself, since ``stop``
        does not interrupt a source waiting for its next item. ``start`` is the clock time that
        ``due_s`` counts from (default: now), so several deliverers can share one timeline.
        Re-raises the first exception a handler raised, after the run has wound down.
        """
        self._start = self.clock.now() if start is None else start
        workers = [asyncio.ensure_future(self._worker()) for _ in range(self.concurrency)]
        count = 0
        try:
            count = await self._dispatch(planned)
            self._source_done = True
            if self._paused:  # nothing can resume a finished run: what waits is never sent
                self._drop_retries()
                self._drop_held()
            await self._drain()
        except asyncio.CancelledError:
            for worker in workers:  # cancelled twice (a second Ctrl-C): abandon requests in flight
                worker.cancel()
            raise
        finally:
            self._drop_retries()
            for _ in workers:
                self._ready.put_nowait(None)
            await asyncio.gather(*workers, return_exceptions=True)
        if self._error is not None:
            raise self._error
        interrupted = self._stop.is_set() and self.state == ACTIVE
        return RunResult(
            elapsed_s=self.clock.now() - self._start,
            interrupted=interrupted,
            webhook_state=self.state,
            planned=count,
            reason=self._result_reason(interrupted),
            unsent=self.unsent,
        )

    def _result_reason(self, interrupted: bool) -> str:
        if self._reason:
            return self._reason
        if interrupted:
            return "stopped before the end of the plan"
        if self.delivered == 0 and self.last_failure:
            return f"nothing was delivered; the last failure: {self.last_failure}"
        return ""

    # -- dispatch ----------------------------------------------------------------------

    async def _dispatch(self, planned: Iterable[Planned] | AsyncIterable[Planned]) -> int:
        count = 0
        if isinstance(planned, AsyncIterable):
            async for item in planned:
                if not await self._dispatch_one(item, count + 1):
                    break
                count += 1
            return count
        for item in planned:
            if not await self._dispatch_one(item, count + 1):
                break
            count += 1
        return count

    async def _dispatch_one(self, item: Planned, number: int) -> bool:
        """Wait for ``item``'s deadline and queue it; False when the run stopped instead."""
        if self._stop.is_set():
            return False
        deadline = self._start if self.max_rate else self._start + item.due_s
        if deadline > self.clock.now():
            await self._wait_or_stop(deadline)
            if self._stop.is_set():
                return False
        # A probe neither waits for its session nor holds it up: it has a lane of its own.
        lane_key = ("probe", number) if item.probe else (item.scenario, item.request.session_id)
        queued = _Item(
            item.event,
            item.request,
            item.scenario,
            lane_key,
            deadline,
            fault=item.fault,
            probe=item.probe,
        )
        self._open_items += 1
        self._idle.clear()
        await self._enqueue(queued)
        return True

    async def _wait_or_stop(self, deadline: float) -> None:
        sleeper = asyncio.ensure_future(self.clock.sleep_until(deadline))
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait((sleeper, stopper), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            stopper.cancel()

    async def _enqueue(self, item: _Item) -> None:
        """Hand a new item to the workers, or park it behind its session's item in progress."""
        lane = self._lanes.get(item.lane)
        if lane is None:
            lane = self._lanes[item.lane] = _Lane()
        if lane.busy:
            lane.pending.append(item)
            return
        lane.busy = True
        while self._ready.qsize() >= self._backlog:
            self._room.clear()
            await self._room.wait()
        self._ready.put_nowait(item)

    async def _drain(self) -> None:
        while self._open_items > 0:
            await self._idle.wait()

    # -- workers -----------------------------------------------------------------------

    async def _worker(self) -> None:
        while True:
            item = await self._ready.get()
            if self._ready.qsize() < self._backlog:
                self._room.set()
            if item is None:
                return
            if self._stop.is_set():
                self.unsent += 1
                self._finish_item(item)
                continue
            if self._paused:
                self._park(item)
                continue
            await self._attempt(item)

    def _park(self, item: _Item) -> None:
        """Keep an item until the webhook is Active again ("hold"), or drop it."""
        if self.inactive == "hold" and not self._source_done:
            self._held.append(item)  # it keeps its lane: the session's later items wait behind it
            return
        self.unsent += 1
        self._finish_item(item)

    async def _attempt(self, item: _Item) -> None:
        webhook = self._webhook_for(item.scenario)
        if self.resign:
            item.request = resigned(item.request, webhook.secret, webhook.payload.header_spelling)
        headers = self._headers_for(item, webhook)
        sent = self.clock.now()
        self.in_flight += 1
        status: int | None = None
        error: ErrorKind | None = None
        detail = ""
        response = Response(0)
        try:
            response = await self._send(item, headers)
            status = response.status
        except Exception as exc:  # any transport failure is a failed attempt, never a crash
            error, detail = _classify(exc)
        finally:
            self.in_flight -= 1
        done = self.clock.now()

        delivered = self.policy.is_success(status)
        gone = status == so.GONE_STATUS and self.policy.disable_on_gone
        disable_reason = ""
        following: _Next = "finish"
        if not item.probe:
            disable_reason = self._count_outcome(delivered, gone, status, error, detail)
            following = self._next_step(item, delivered, gone, disable_reason)
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
            final=following != "retry",
            fault=item.fault,
            probe=item.probe,
            response_body=response.body[:4000],
        )
        self._tell("handle_attempt", attempt)
        if disable_reason:
            self._disable(done, disable_reason)
        if following == "retry" and not self._stop.is_set():
            self._retry_later(item, done + self.policy.retry_delays[item.attempt - 1])
        elif following == "requeue" and not self._stop.is_set():
            self._requeue(item, done)
        else:
            self._finish_item(item)

    async def _send(self, item: _Item, headers: tuple[tuple[str, str], ...]) -> Response:
        if item.fault == "slow-body":
            send_slowly = getattr(self.transport, "send_slowly", None)
            if send_slowly is not None:
                response: Response = await send_slowly(headers, item.request.body)
                return response
        return await self.transport.send(headers, item.request.body)

    def _count_outcome(
        self, delivered: bool, gone: bool, status: int | None, error: ErrorKind | None, detail: str
    ) -> str:
        """Update the failure count; return why the webhook must turn TooManyErrors now, or ''."""
        if delivered:
            self.delivered += 1
            self.consecutive_failures = 0
            return ""
        self.consecutive_failures += 1
        self.last_failure = f"HTTP {status}" if status is not None else f"{error}: {detail}"
        if self.state != ACTIVE:
            return ""
        if gone:
            return f"the target answered {so.GONE_STATUS} Gone"
        limit = self.policy.disable_after
        if limit is not None and self.consecutive_failures >= limit:
            return f"{self.consecutive_failures} consecutive failed attempts, the last: {self.last_failure}"
        return ""

    def _next_step(self, item: _Item, delivered: bool, gone: bool, disable_reason: str) -> _Next:
        if delivered or gone or disable_reason or self._stop.is_set():
            return "finish"
        if self._paused and self.inactive == "drop":
            return "finish"
        if item.attempt < self.policy.attempts_per_cycle:
            return "retry"
        return "requeue" if self.policy.on_cycle_failure == "requeue" else "finish"

    def _retry_later(self, item: _Item, when: float) -> None:
        retry = replace(item, attempt=item.attempt + 1, intended=when)
        timer = asyncio.ensure_future(self._ready_at(retry))
        self._timers[timer] = retry
        timer.add_done_callback(lambda done: self._timers.pop(done, None))

    async def _ready_at(self, item: _Item) -> None:
        await self.clock.sleep_until(item.intended)
        self._ready.put_nowait(item)

    def _drop_retries(self) -> None:
        """Forget the retries still waiting for their time (the run is stopping)."""
        timers, self._timers = self._timers, {}
        for timer, item in timers.items():
            if timer.done():  # it has already handed its item to the workers
                continue
            timer.cancel()
            self.unsent += 1
            self._finish_item(item)

    def _drop_held(self) -> None:
        """Forget the items held while the webhook was not Active (the run is stopping)."""
        held, self._held = self._held, deque()
        for item in held:
            self.unsent += 1
            self._finish_item(item)

    def _pause(self) -> None:
        self._paused = True
        if self.inactive == "drop" or self._source_done:
            self._drop_retries()

    def _resume(self) -> None:
        self.state = ACTIVE
        self.consecutive_failures = 0
        self._paused = False
        held, self._held = self._held, deque()
        for item in held:
            self._ready.put_nowait(item)

    def _requeue(self, item: _Item, now: float) -> None:
        """A failed cycle goes to the back of its session's queue with a new EventId."""
        cycle = item.cycle + 1
        request = self._rerender(item, cycle)
        again = replace(item, request=request, cycle=cycle, attempt=1, intended=now)
        self._lanes[item.lane].pending.append(again)
        self._open_items += 1
        self._finish_item(item)

    def _rerender(self, item: _Item, cycle: int) -> Request:
        new_id = cycle_event_id(item.request.event_id, cycle)
        webhook = self._webhook_for(item.scenario)
        if item.event is not None:
            return render(item.event, webhook, event_id=new_id)
        return with_event_id(item.request, new_id, webhook.secret)

    def _finish_item(self, item: _Item) -> None:
        lane = self._lanes.get(item.lane)
        if lane is not None:
            if lane.pending:
                # The next event of the session keeps its own intended time: waiting for its
                # predecessor is lag, not a new schedule.
                self._ready.put_nowait(lane.pending.popleft())
            else:
                del self._lanes[item.lane]
        self._open_items -= 1
        if self._open_items <= 0:
            self._idle.set()

    def _disable(self, at: float, reason: str) -> None:
        self.state = TOO_MANY_ERRORS
        self._reason = f"{TOO_MANY_ERRORS}: {reason}"
        label = self.webhook.name if self.label is None else self.label
        self._tell("handle_state", StateChange(at - self._start, label, self.state, reason))
        if self.inactive == "end":
            self.stop()
        else:
            self._pause()

    def _tell(self, method: str, record: Attempt | StateChange) -> None:
        """Call every handler; a failing one stops the run, and ``run`` re-raises its error."""
        for handler in self.handlers:
            try:
                getattr(handler, method)(record)
            except Exception as exc:  # an output that breaks must not hang the workers
                if self._error is None:
                    self._error = exc
                self.stop()

    def _webhook_for(self, scenario: str) -> Webhook:
        return self.webhooks.get(scenario, self.webhook)

    def _headers_for(self, item: _Item, webhook: Webhook) -> tuple[tuple[str, str], ...]:
        mode = self.policy.retry_header
        if mode == "never" or (mode == "count" and item.attempt == 1):
            return item.request.headers
        name = header_name(so.HEADER_RETRY, webhook.payload.header_spelling)
        return (*item.request.headers, (name, str(item.attempt - 1)))


def with_event_id(request: Request, event_id: str, secret: str | None) -> Request:
    """Give a request whose event is unknown (a replay) a new EventId in body and header, re-signed.

    Keeps the request as it is when that cannot be done consistently: the body has no
    ``EventId``, or the request is signed and no secret is known.
    """
    body, count = _BODY_EVENT_ID.subn(lambda m: m[1] + event_id.encode() + m[3], request.body, count=1)
    id_name, signature_name = so.HEADER_EVENT_ID.lower(), so.HEADER_SIGNATURE.lower()
    signed = any(name.lower() == signature_name for name, _ in request.headers)
    if count == 0 or (signed and not secret):
        return request
    headers = []
    for name, value in request.headers:
        lowered = name.lower()
        if lowered == id_name:
            value = event_id
        elif lowered == signature_name and secret:
            value = sign(body, secret)
        headers.append((name, value))
    return Request(request.event, event_id, request.session_id, tuple(headers), body)


def resigned(request: Request, secret: str | None, spelling: HeaderSpelling = "canonical") -> Request:
    """Return ``request`` signed with ``secret`` (unsigned when None), other headers unchanged; a new
    signature goes right after the EventId header, where ``build_headers`` puts it."""
    signature_name = so.HEADER_SIGNATURE.lower()
    value = sign(request.body, secret) if secret else None
    headers: list[tuple[str, str]] = []
    placed = False
    for name, old in request.headers:
        if name.lower() == signature_name:
            if value is not None and not placed:
                headers.append((name, value))
                placed = True
            continue
        headers.append((name, old))
    if value is not None and not placed:
        id_name = so.HEADER_EVENT_ID.lower()
        at = next((i + 1 for i, (name, _) in enumerate(headers) if name.lower() == id_name), len(headers))
        headers.insert(at, (header_name(so.HEADER_SIGNATURE, spelling), value))
    new_headers = tuple(headers)
    return request if new_headers == request.headers else request._replace(headers=new_headers)


def _classify(exc: BaseException) -> tuple[ErrorKind, str]:
    kind = getattr(exc, "kind", None)
    if kind == "timeout" or kind == "connect" or kind == "protocol":
        return kind, str(getattr(exc, "detail", exc))
    if isinstance(exc, TimeoutError):
        return "timeout", "timed out"
    if isinstance(exc, OSError):
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
