"""Delivery: fire a timeline of events at a target with NetServer's rules, on an open model.

Deadlines are absolute (``start + due_s``), so a slow receiver never delays later sends;
whatever lateness there is shows up as schedule lag. Events of one chat session go out in
order through a per-session lane; sessions run concurrently on ``concurrency`` workers.
Retry waits do not hold a connection.

The core is callback-driven: an attempt starts as soon as a slot is free and its outcome is
handled when the transport reports it, with no coroutine, queue hand-off or future per request.
Transports that offer ``submit`` (the lean engine) report straight from their protocol callbacks;
any other transport's ``send`` coroutine runs in a task that reports the same way.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections import deque
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Literal, Protocol

from simulator import superoffice as so
from simulator.clock import Clock, MonotonicClock
from simulator.events import Event, HeaderSpelling, Request, Webhook, header_name, render
from simulator.outcome import Attempt, ErrorKind, Handler, Response, RunResult, StateChange
from simulator.schedule import Planned
from simulator.signing import sign

if TYPE_CHECKING:
    from simulator.transport import AsyncTransport, Headers

#: What a transport reports when an exchange ends: the response, or why there is none.
Outcome = Response | BaseException
OnDone = Callable[[Outcome], None]


class Submitter(Protocol):
    """The callback face of a transport: start an exchange now, report its outcome later.

    ``on_done`` is never called before ``submit`` returns.
    """

    def __call__(self, headers: Headers, body: bytes, on_done: OnDone) -> None:
        """Start sending ``body``; call ``on_done`` with the response or the exception."""


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
    sent: float = 0.0  # clock time the attempt in progress went out
    headers: tuple[tuple[str, str], ...] = ()  # the headers it went out with


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
        self._error: BaseException | None = None
        # Items whose turn has come, waiting for a free slot; dispatch waits while more than
        # `_backlog` are queued, so a run at --max-rate does not render the whole plan ahead.
        self._ready: deque[_Item] = deque()
        self._backlog = self.concurrency * 4
        self._room = asyncio.Event()
        self._pumping = False
        self._abandoned = False  # the run was cancelled: late outcomes are ignored
        self._tasks: set[asyncio.Task[None]] = set()  # exchanges of transports without submit
        self._submit: Submitter = getattr(transport, "submit", None) or self._submit_in_task
        self._attempt_handlers: list[Callable[[Attempt], None]] = []
        # The real clock's reading without a method call in between: three readings an attempt.
        self._success_statuses = policy.success_statuses
        self._now = time.perf_counter if type(self.clock) is MonotonicClock else self.clock.now
        # A session's lane: present while one of its items is in progress, with the items
        # waiting behind it (None until the first one waits: most sessions never queue).
        self._lanes: dict[object, deque[_Item] | None] = {}
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
        self._pump()

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
        # Bound once per run: the caller may add handlers (live progress) after construction.
        self._attempt_handlers = [handler.handle_attempt for handler in self.handlers]
        count = 0
        try:
            count = await self._dispatch(planned)
            self._source_done = True
            if self._paused:  # nothing can resume a finished run: what waits is never sent
                self._drop_retries()
                self._drop_held()
            await self._drain()
        except asyncio.CancelledError:
            # Cancelled (a second Ctrl-C): abandon the requests in flight.
            self._abandoned = True
            for task in list(self._tasks):
                task.cancel()
            raise
        finally:
            self._drop_retries()
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
        # The same steps as _dispatch_one, inlined: at --max-rate this loop runs once an event.
        stopped, now, ready, backlog = self._stop.is_set, self._now, self._ready, self._backlog
        origin, max_rate = self._start, self.max_rate
        for item in planned:
            if stopped():
                break
            deadline = origin if max_rate else origin + item.due_s
            if not max_rate and deadline > now():
                await self._wait_or_stop(deadline)
                if stopped():
                    break
            count += 1
            self._admit(item, count, deadline)
            if len(ready) >= backlog:
                await self._wait_for_room()
        return count

    async def _dispatch_one(self, item: Planned, number: int) -> bool:
        """Wait for ``item``'s deadline and admit it; False when the run stopped instead."""
        if self._stop.is_set():
            return False
        deadline = self._start if self.max_rate else self._start + item.due_s
        if deadline > self.clock.now():
            await self._wait_or_stop(deadline)
            if self._stop.is_set():
                return False
        self._admit(item, number, deadline)
        if len(self._ready) >= self._backlog:
            await self._wait_for_room()
        return True

    def _admit(self, item: Planned, number: int, deadline: float) -> None:
        """Start a due item now, or queue it behind its session or for a free slot."""
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
        lanes = self._lanes
        if lane_key in lanes:
            self._wait_in_lane(queued)
            return
        lanes[lane_key] = None
        if self.in_flight < self.concurrency and not self._ready:
            self._start_attempt(queued)
        else:
            self._ready.append(queued)
            self._pump()

    async def _wait_for_room(self) -> None:
        """Wait until the queue of ready items is below the backlog (or the run stopped)."""
        while len(self._ready) >= self._backlog and not self._stop.is_set():
            self._room.clear()
            await self._room.wait()

    async def _wait_or_stop(self, deadline: float) -> None:
        sleeper = asyncio.ensure_future(self.clock.sleep_until(deadline))
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait((sleeper, stopper), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            stopper.cancel()

    async def _drain(self) -> None:
        while self._open_items > 0:
            await self._idle.wait()

    # -- attempts ----------------------------------------------------------------------

    def _pump(self) -> None:
        """Start ready items while slots are free (all of them, unsent, once the run stopped)."""
        if self._pumping:  # an outcome reported while starting an attempt: the loop below goes on
            return
        self._pumping = True
        try:
            ready, stopped = self._ready, self._stop.is_set
            while ready and (self.in_flight < self.concurrency or stopped()):
                self._start_attempt(ready.popleft())
            if len(ready) < self._backlog:
                self._room.set()
        finally:
            self._pumping = False

    def _park(self, item: _Item) -> None:
        """Keep an item until the webhook is Active again ("hold"), or drop it."""
        if self.inactive == "hold" and not self._source_done:
            self._held.append(item)  # it keeps its lane: the session's later items wait behind it
            return
        self.unsent += 1
        self._finish_item(item)

    def _start_attempt(self, item: _Item) -> None:
        """Send ``item`` now; ``_on_outcome`` takes it from there."""
        if self._stop.is_set():
            self.unsent += 1
            self._finish_item(item)
            return
        if self._paused:
            self._park(item)
            return
        webhook = self.webhooks.get(item.scenario, self.webhook) if self.webhooks else self.webhook
        if self.resign:
            item.request = resigned(item.request, webhook.secret, webhook.payload.header_spelling)
        item.headers = headers = self._headers_for(item, webhook)
        item.sent = self._now()
        self.in_flight += 1
        on_done = partial(self._on_outcome, item)
        try:
            if item.fault == "slow-body" and hasattr(self.transport, "send_slowly"):
                self._submit_in_task(headers, item.request.body, on_done, slowly=True)
            else:
                self._submit(headers, item.request.body, on_done)
        except Exception as exc:  # a transport that refuses at once: a failed attempt all the same
            self._schedule_outcome(on_done, exc)

    def _on_outcome(self, item: _Item, outcome: Outcome) -> None:
        """Apply NetServer's rules to one attempt's outcome, tell the handlers, start what is next."""
        if self._abandoned:
            return
        try:
            self._settle(item, outcome)
        except BaseException as exc:  # a bug here must end the run with its error, never hang it
            if self._error is None:
                self._error = exc
            self.stop()
        self._pump()

    def _settle(self, item: _Item, outcome: Outcome) -> None:
        done = self._now()
        self.in_flight -= 1
        status: int | None = None
        error: ErrorKind | None = None
        detail = ""
        body = b""
        if isinstance(outcome, Response):
            status = outcome.status
            body = outcome.body
        else:  # any transport failure is a failed attempt, never a crash
            error, detail = _classify(outcome)

        delivered = status in self._success_statuses
        disable_reason = ""
        following: _Next = "finish"
        if item.probe:
            pass
        elif delivered:  # the common case, inlined: _count_outcome and _next_step would say the same
            self.delivered += 1
            self.consecutive_failures = 0
        else:
            gone = status == so.GONE_STATUS and self.policy.disable_on_gone
            disable_reason = self._count_outcome(delivered, gone, status, error, detail)
            following = self._next_step(item, delivered, gone, disable_reason)
        headers, request = item.headers, item.request
        if headers is not request.headers and headers != request.headers:
            request = request._replace(headers=headers)
        start = self._start
        attempt = Attempt(
            request,
            item.scenario,
            item.cycle,
            item.attempt,
            item.intended - start,
            item.sent - start,
            done - start,
            status,
            error,
            detail,
            delivered,
            following != "retry",
            item.fault,
            body[:4000] if len(body) > 4000 else body,
            item.probe,
        )
        self._tell_attempt(attempt)
        if disable_reason:
            self._disable(done, disable_reason)
        if following == "retry" and not self._stop.is_set():
            self._retry_later(item, done + self.policy.retry_delays[item.attempt - 1])
        elif following == "requeue" and not self._stop.is_set():
            self._requeue(item, done)
        else:
            self._finish_item(item)

    def _submit_in_task(
        self, headers: Headers, body: bytes, on_done: OnDone, *, slowly: bool = False
    ) -> None:
        """Run a transport's ``send`` (or ``send_slowly``) coroutine in a task that reports its outcome."""
        send = self.transport.send_slowly if slowly else self.transport.send  # type: ignore[attr-defined]
        task = asyncio.ensure_future(_exchange(send, headers, body, on_done))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _schedule_outcome(self, on_done: OnDone, outcome: Outcome) -> None:
        """Report an outcome on the next loop turn (never from inside ``_start_attempt``)."""
        asyncio.get_running_loop().call_soon(on_done, outcome)

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
        self._ready.append(item)
        self._pump()

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
        self._pump()  # park (or drop) what is ready now rather than at the next outcome

    def _resume(self) -> None:
        self.state = ACTIVE
        self.consecutive_failures = 0
        self._paused = False
        held, self._held = self._held, deque()
        self._ready.extend(held)
        self._pump()

    def _requeue(self, item: _Item, now: float) -> None:
        """A failed cycle goes to the back of its session's queue with a new EventId."""
        cycle = item.cycle + 1
        request = self._rerender(item, cycle)
        again = replace(item, request=request, cycle=cycle, attempt=1, intended=now)
        self._wait_in_lane(again)
        self._open_items += 1
        self._finish_item(item)

    def _rerender(self, item: _Item, cycle: int) -> Request:
        new_id = cycle_event_id(item.request.event_id, cycle)
        webhook = self._webhook_for(item.scenario)
        if item.event is not None:
            return render(item.event, webhook, event_id=new_id)
        return with_event_id(item.request, new_id, webhook.secret)

    def _wait_in_lane(self, item: _Item) -> None:
        """Queue ``item`` behind the item of its session in progress."""
        pending = self._lanes.get(item.lane)
        if pending is None:
            self._lanes[item.lane] = pending = deque()
        pending.append(item)

    def _finish_item(self, item: _Item) -> None:
        lanes = self._lanes
        if item.lane in lanes:
            pending = lanes[item.lane]
            if pending:
                # The next event of the session keeps its own intended time: waiting for its
                # predecessor is lag, not a new schedule.
                self._ready.append(pending.popleft())
            else:
                del lanes[item.lane]
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

    def _tell_attempt(self, attempt: Attempt) -> None:
        """Give every handler the attempt (``_tell`` for the common case, with bound methods)."""
        for handle in self._attempt_handlers:
            try:
                handle(attempt)
            except Exception as exc:  # an output that breaks must not hang the run
                if self._error is None:
                    self._error = exc
                self.stop()

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


async def _exchange(
    send: Callable[[Headers, bytes], Awaitable[Response]], headers: Headers, body: bytes, on_done: OnDone
) -> None:
    """Await one ``send`` and report its outcome (a cancelled exchange reports nothing)."""
    try:
        outcome: Outcome = await send(headers, body)
    except Exception as exc:  # a failed attempt, reported as such
        outcome = exc
    on_done(outcome)


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
