"""Delivery: fire a timeline of events at a target with NetServer's rules, on an open model.

Deadlines are absolute (``start + due_s``), so a slow receiver never delays later sends;
whatever lateness there is shows up as schedule lag. Events of one chat session go out in
order through a per-session lane; up to ``concurrency`` sessions have a request in flight.
Retry waits do not hold a connection.

The core is callback-driven: an attempt starts as soon as a slot is free and its outcome is
handled when the transport reports it, with no coroutine, queue hand-off or future per request.
Transports that offer ``submit`` (the lean engine) report straight from their protocol callbacks;
any other transport's ``send`` coroutine runs in a task that reports the same way. The rules
themselves (:class:`DeliveryPolicy`) live in :mod:`simulator.core.delivery_rules`.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncIterable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Literal

from simulator.core.defaults import CONCURRENCY
from simulator.core.delivery_rules import (
    ACTIVE,
    NETSERVER,
    DeliveryPolicy,
    WebhookGate,
    resigned,
)
from simulator.core.events import Webhook
from simulator.core.outcome import (
    Attempt,
    ErrorKind,
    Handler,
    Outcome,
    Response,
    RunResult,
    StateChange,
)
from simulator.core.schedule import Planned
from simulator.delivery.clock import Clock, MonotonicClock
from simulator.delivery.dispatch import Dispatcher
from simulator.delivery.exchange import OnDone, Submitter, TaskSubmitter, classify_error
from simulator.delivery.item import Item, Next, attempt_record, rerender, result_reason, retry_headers
from simulator.delivery.lanes import SessionLanes
from simulator.delivery.waiting import Waiting
from simulator.superoffice import facts as so

__all__ = ["Deliverer", "Inactive"]

if TYPE_CHECKING:
    from simulator.delivery.transport import AsyncTransport


#: What a deliverer does when its webhook leaves Active: "end" the run (``sosim run``), or pause
#: and keep running until ``set_state`` makes it Active again, dropping ("drop") or keeping
#: ("hold") the requests it has not sent yet.
Inactive = Literal["end", "drop", "hold"]


class Deliverer(Dispatcher):
    """Runs one delivery: reads planned requests, sends them, tells the handlers."""

    def __init__(
        self,
        transport: AsyncTransport,
        handlers: Sequence[Handler],
        *,
        webhook: Webhook | None = None,
        webhooks: Mapping[str, Webhook] | None = None,
        policy: DeliveryPolicy = NETSERVER,
        concurrency: int = CONCURRENCY,
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
        #: The failure count and the webhook's state, by NetServer's rules.
        self.gate = WebhookGate(policy)
        self.in_flight = 0
        self.admitted = 0  # planned requests taken from the source so far
        self._flying: set[Item] = set()  # the items in flight, reported as abandoned if the run is cancelled
        self.unsent = 0  # requests dropped unsent (or between retries) because the run stopped
        self.abandoned = 0  # attempts in flight when the run was cancelled: their answers never came
        self._stop = asyncio.Event()
        self._stopping = False  # _stop.is_set() as a plain attribute: read several times an event
        self._error: BaseException | None = None
        # Items whose turn has come, waiting for a free slot; dispatch waits once `_backlog` are
        # queued, so a run at --max-rate does not render the plan ahead, and resumes when half
        # of them have gone: one wake-up per `_backlog // 2` events, not one per event. A backlog
        # of one item per slot is enough to keep every slot busy; a larger one only keeps more
        # requests alive at once, and at --max-rate their cache misses cost more than the
        # queueing saves (bench.replay: 4 per slot was ~15% slower per event than 1 per slot).
        self._ready: deque[Item] = deque()
        self._backlog = self.concurrency
        self._low_water = self._backlog // 2
        self._room = asyncio.Event()
        self._pumping = False
        self._abandoned = False  # the run was cancelled: late outcomes are ignored
        # The callback face: the transport's own (the lean engine's), or its send() in tasks.
        self._in_tasks = TaskSubmitter(transport.send)
        own_submit = getattr(transport, "submit", None)
        if own_submit is not None and policy.retry_after == "honour":
            # The lean engine keeps response headers only when asked: Retry-After needs them.
            own_submit = partial(own_submit, with_headers=True)
        self._submit: Submitter = own_submit or self._in_tasks
        send_slowly = getattr(transport, "send_slowly", None)  # the slow-body fault's way to send
        self._slowly = TaskSubmitter(send_slowly) if send_slowly is not None else None
        self._attempt_handlers: list[Callable[[Attempt], None]] = []
        self._success_statuses = policy.success_statuses
        self._first_as_is = policy.retry_header != "always"  # a first attempt has no retry header
        # The real clock's reading without a method call in between: two readings an attempt.
        self._now = time.perf_counter if type(self.clock) is MonotonicClock else self.clock.now
        self._lanes: SessionLanes[Item] = SessionLanes()
        self._open_items = 0
        self._idle = asyncio.Event()
        #: Retries waiting for their time, and items held while the webhook is not Active.
        self._waiting = Waiting(self.clock, self._ready_again)
        self._start = 0.0
        self._running = False  # run() has begun: _start is set
        self.inactive: Inactive = inactive
        self.resign = resign
        self.label = label
        self._paused = False
        self._source_done = False

    # -- public ------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop sending: nothing new goes out, requests in flight finish or time out."""
        self._stopping = True
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
        self.gate.state = state
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
    def state(self) -> str:
        """The webhook's state: Active, TooManyErrors, or what ``set_state`` was told."""
        return self.gate.state

    @property
    def busy(self) -> bool:
        """Whether requests are still open: in flight, waiting for a retry, queued or held."""
        return self._open_items > 0

    @property
    def stopped(self) -> bool:
        """Whether the run was told to stop or the webhook gave up."""
        return self._stopping

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
        self._running = True
        # Bound once per run: the caller may add handlers (live progress) after construction.
        self._attempt_handlers = [handler.handle_attempt for handler in self.handlers]
        count = 0
        try:
            count = await self._dispatch(planned)
            self._source_done = True
            if self._paused:  # nothing can resume a finished run: what waits is never sent
                self._drop_retries()
                self._drop_held()
                self._pump()  # the dropped items' session followers are ready now: drop them too
            await self._drain()
        except asyncio.CancelledError:
            # Cancelled (a second Ctrl-C): abandon the requests in flight, and say they went out.
            self._abandon_in_flight()
            self._in_tasks.cancel()
            if self._slowly is not None:
                self._slowly.cancel()
            raise
        except Exception:
            # The source failed (a corrupt line in a recording): send nothing more, but let the
            # requests in flight finish (or time out) and be reported before the error goes on.
            self.stop()
            await self._drain()
            raise
        finally:
            self._drop_retries()
        if self._error is not None:
            raise self._error
        interrupted = self._stopping and self.gate.active
        return self._result(count, interrupted, result_reason(self.gate, interrupted))

    def cancelled_result(self) -> RunResult:
        """How a cancelled run ended (``run`` raised CancelledError instead of returning)."""
        abandoned = f"; {self.abandoned} request(s) in flight were abandoned" if self.abandoned else ""
        result = self._result(self.admitted, True, "cancelled" + abandoned)
        return result if self._running else replace(result, elapsed_s=0.0)

    def _result(self, planned: int, interrupted: bool, reason: str) -> RunResult:
        return RunResult(
            elapsed_s=self.clock.now() - self._start,
            interrupted=interrupted,
            webhook_state=self.gate.state,
            planned=planned,
            reason=reason,
            unsent=self.unsent,
        )

    # -- dispatch ----------------------------------------------------------------------

    def _admit(self, item: Planned, number: int, deadline: float) -> None:
        """Start a due item now, or queue it behind its session or for a free slot."""
        # A probe neither waits for its session nor holds it up: it has a lane of its own.
        lane_key = ("probe", number) if item.probe else (item.scenario, item.request.session_id)
        # Positional: keyword arguments cost more, and this runs once an event.
        event, request, scenario = item.event, item.request, item.scenario
        queued = Item(event, request, scenario, lane_key, deadline, 1, 1, item.fault, item.probe)
        self.admitted = number
        if self._open_items <= 0:  # _idle is set only then: no call per event otherwise
            self._idle.clear()
        self._open_items += 1
        if not self._lanes.enter(lane_key, queued):
            return
        if self.in_flight < self.concurrency and not self._ready:
            self._start_attempt(queued)
        else:
            self._ready.append(queued)
            self._pump()

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
            ready = self._ready
            while ready and (self.in_flight < self.concurrency or self._stopping):
                self._start_attempt(ready.popleft())
            if len(ready) <= self._low_water:
                self._room.set()
        finally:
            self._pumping = False

    def _park(self, item: Item) -> None:
        """Keep an item until the webhook is Active again ("hold"), or drop it."""
        if self.inactive == "hold" and not self._source_done:
            self._waiting.held.append(item)  # it keeps its lane: the session's later items wait behind it
            return
        self.unsent += 1
        self._finish_item(item)

    def _start_attempt(self, item: Item) -> None:
        """Send ``item`` now; ``_on_outcome`` takes it from there."""
        if self._stopping:
            self.unsent += 1
            self._finish_item(item)
            return
        if self._paused:
            self._park(item)
            return
        if self.resign:
            webhook = self._webhook_for(item.scenario)
            item.request = resigned(item.request, webhook.secret, webhook.payload.header_spelling)
        # _retry_headers' common case without the call: a first attempt goes out as rendered.
        first = item.attempt == 1 and self._first_as_is
        item.headers = headers = item.request.headers if first else self._retry_headers(item)
        item.sent = self._now()
        self.in_flight += 1
        self._flying.add(item)
        on_done = partial(self._on_outcome, item)
        try:
            if item.fault == "slow-body" and self._slowly is not None:
                self._slowly(headers, item.request.body, on_done)
            else:
                self._submit(headers, item.request.body, on_done)
        except Exception as exc:  # a transport that refuses at once: a failed attempt all the same
            self._schedule_outcome(on_done, exc)

    def _on_outcome(self, item: Item, outcome: Outcome) -> None:
        """Apply NetServer's rules to one attempt's outcome, tell the handlers, start what is next."""
        if self._abandoned:
            return
        try:
            self._settle(item, outcome)
        except BaseException as exc:  # a bug here must end the run with its error, never hang it
            if self._error is None:
                self._error = exc
            self.stop()
        if self._ready:
            self._pump()

    def _settle(self, item: Item, outcome: Outcome) -> None:
        done = self._now()
        self.in_flight -= 1
        self._flying.discard(item)
        status: int | None = None
        error: ErrorKind | None = None
        detail = ""
        body = b""
        answer_headers: tuple[tuple[str, str], ...] = ()
        if isinstance(outcome, Response):
            status = outcome.status
            body = outcome.body
            answer_headers = outcome.headers
        else:  # any transport failure is a failed attempt, never a crash
            error, detail = classify_error(outcome)

        delivered = status in self._success_statuses
        disable_reason = ""
        following: Next = "finish"
        if item.probe:
            pass
        elif delivered:  # the common case, inlined: gate.count and _next_step would say the same
            gate = self.gate
            gate.delivered += 1
            gate.consecutive_failures = 0
        else:
            gone = status == so.GONE_STATUS and self.policy.disable_on_gone
            disable_reason = self.gate.count(delivered, status, error, detail)
            following = self._next_step(item, delivered, gone, disable_reason)
        requeued = following == "requeue" and not self._stopping
        attempt = attempt_record(
            item, self._start, done, status, error, detail, delivered, following != "retry", body
        )
        if requeued:
            attempt = attempt._replace(requeued=True)
        for handle in self._attempt_handlers:  # _tell for attempts, with bound methods and no call
            try:
                handle(attempt)
            except Exception as exc:
                self._handler_failed(exc)
        if disable_reason:
            self._disable(done, disable_reason)
        if following == "retry" and not self._stopping:
            self._waiting.retry(item, done + self.policy.retry_delay(item.attempt, answer_headers))
        elif following == "requeue" and not self._stopping:
            self._requeue(item, done)
        else:
            if following != "finish":  # a retry or a later cycle the run stopped before
                self.unsent += 1
            self._finish_item(item)

    def _abandon_in_flight(self) -> None:
        """Tell the handlers of every attempt still in flight: it went out and its answer never came.

        Late outcomes are ignored from now on, so each of these attempts is reported once."""
        self._abandoned = True
        flying, self._flying = self._flying, set()
        self.abandoned = len(flying)
        done = self._now()
        detail = "the run was cancelled before the answer came"
        for item in sorted(flying, key=lambda queued: queued.sent):
            self.in_flight -= 1
            abandoned = attempt_record(item, self._start, done, None, "abandoned", detail, False, True, b"")
            self._tell("handle_attempt", abandoned)

    def _schedule_outcome(self, on_done: OnDone, outcome: Outcome) -> None:
        """Report an outcome on the next loop turn (never from inside ``_start_attempt``)."""
        asyncio.get_running_loop().call_soon(on_done, outcome)

    def _next_step(self, item: Item, delivered: bool, gone: bool, disable_reason: str) -> Next:
        if delivered or gone or disable_reason or self._stopping:
            return "finish"
        if self._paused and self.inactive == "drop":
            return "finish"
        if item.attempt < self.policy.attempts_per_cycle:
            return "retry"
        return "requeue" if self.policy.on_cycle_failure == "requeue" else "finish"

    def _drop_retries(self) -> None:
        """Forget the retries still waiting for their time (the run is stopping)."""
        for item in self._waiting.drop_retries():
            self.unsent += 1
            self._finish_item(item)

    def _drop_held(self) -> None:
        """Forget the items held while the webhook was not Active (the run is stopping)."""
        for item in self._waiting.release_held():
            self.unsent += 1
            self._finish_item(item)

    def _pause(self) -> None:
        self._paused = True
        if self.inactive == "drop" or self._source_done:
            self._drop_retries()
        self._pump()  # park (or drop) what is ready now rather than at the next outcome

    def _resume(self) -> None:
        self.gate.resume()
        self._paused = False
        self._ready.extend(self._waiting.release_held())
        self._pump()

    def _ready_again(self, item: Item) -> None:
        """A retry whose time has come."""
        self._ready.append(item)
        self._pump()

    def _requeue(self, item: Item, now: float) -> None:
        """A failed cycle goes to the back of its session's queue with a new EventId."""
        cycle = item.cycle + 1
        request = rerender(item, cycle, self._webhook_for(item.scenario))
        again = replace(item, request=request, cycle=cycle, attempt=1, intended=now)
        self._lanes.wait(item.lane, again)
        self._open_items += 1
        self._finish_item(item)

    def _finish_item(self, item: Item) -> None:
        following = self._lanes.leave(item.lane)
        if following is not None:
            # The next event of the session keeps its own intended time: waiting for its
            # predecessor is lag, not a new schedule.
            self._ready.append(following)
        self._open_items -= 1
        if self._open_items <= 0:
            self._idle.set()

    def _disable(self, at: float, reason: str) -> None:
        self.gate.disable(reason)
        label = self.webhook.name if self.label is None else self.label
        self._tell("handle_state", StateChange(at - self._start, label, self.gate.state, reason))
        if self.inactive == "end":
            self.stop()
        else:
            self._pause()

    def _tell(self, method: str, record: Attempt | StateChange) -> None:
        """Call every handler; a failing one stops the run, and ``run`` re-raises its error."""
        for handler in self.handlers:
            try:
                getattr(handler, method)(record)
            except Exception as exc:
                self._handler_failed(exc)

    def _handler_failed(self, exc: Exception) -> None:
        """An output that breaks must not hang the run: stop it, and ``run`` re-raises the error."""
        if self._error is None:
            self._error = exc
        self.stop()

    def _webhook_for(self, scenario: str) -> Webhook:
        return self.webhooks.get(scenario, self.webhook)

    def _retry_headers(self, item: Item) -> tuple[tuple[str, str], ...]:
        spelling = self._webhook_for(item.scenario).payload.header_spelling
        return retry_headers(item, self.policy.retry_header, spelling)
