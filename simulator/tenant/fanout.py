"""Fan-out: every event to every Active webhook that subscribed to it, each with its own queue.

:class:`Fanout` runs on the tenant's event loop and follows the :class:`Registry`'s changes. Each
registered webhook gets a :class:`Hook`: its own feed, transport and
:class:`~simulator.delivery.deliverer.Deliverer` (its own retry cycles, failure count and concurrency), so one
slow or failing receiver never delays another. A copy of an event is rendered for each webhook:
its WebhookName, its secret, its extra Headers.

When a webhook leaves Active the deliverer pauses instead of ending (``inactive`` drop or hold),
and the state event (``webhook{id}.errors`` ...) goes to the webhooks subscribed to it, also when
that happens after the last scenario event: the drain keeps the feeds open until no webhook has
anything left to send (at most the drain timeout). A new
secret signs every request rendered after the change; requests already in a retry cycle keep
theirs unless ``rotation="resign"``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from simulator.core.defaults import CONCURRENCY, TIMEOUT_S
from simulator.core.delivery_rules import NETSERVER, DeliveryPolicy
from simulator.core.events import Event, Request, Webhook, render
from simulator.core.outcome import Attempt, Handler, Response, RunInfo, RunResult, StateChange
from simulator.core.schedule import Planned
from simulator.delivery.clock import Clock
from simulator.delivery.deliverer import Deliverer
from simulator.delivery.transport import AsyncTransport, Engine, open_transport
from simulator.report.stats import RunStats
from simulator.superoffice import facts as so
from simulator.tenant.events import (
    StateNumbering,
    describe_answer,
    render_signal,
    render_state_event,
    state_event_name,
)
from simulator.tenant.hook import CapturingTransport, Hook, PlannedFeed, SecretCounts
from simulator.tenant.model import WebhookDef
from simulator.tenant.registry import Change, Registry, wall_ticks
from simulator.tenant.report import Rotation

__all__ = ["Fanout", "FanoutSettings", "Hook", "PlannedFeed", "SecretCounts"]

log = logging.getLogger(__name__)

STATE_LANE = "webhook-state"
SIGNAL_LANE = "signal"
ACTIVE = so.WebhookState.Active


@dataclass(frozen=True, slots=True)
class FanoutSettings:
    """How each webhook's deliveries run (the README lists each choice)."""

    policy: DeliveryPolicy = NETSERVER
    concurrency: int = CONCURRENCY
    timeout_s: float = TIMEOUT_S
    engine: Engine = "auto"
    verify_tls: bool = True
    #: Events raised while a webhook is Stopped or TooManyErrors: never sent to it ("drop", NetServer)
    #: or kept and sent once it is Active again ("hold").
    while_inactive: Literal["drop", "hold"] = "drop"
    #: A request already signed keeps its secret through its retry cycle ("keep"), or every
    #: attempt is signed with the current secret ("resign").
    rotation: Literal["keep", "resign"] = "keep"
    #: Requests waiting in one webhook's feed before newer ones are dropped (and counted).
    max_queue: int = 100_000
    state_numbering: StateNumbering = "note"
    #: Add each webhook's Properties to its bodies as top-level keys (v1Webhook_PostWebhook:
    #: "custom values to inject into JSON body of webhook call"); False sends the documented keys only.
    properties_in_body: bool = True


class _HookHandler:
    """Feeds one webhook's attempts to the registry (usage, LastError, TooManyErrors) and its counts."""

    def __init__(self, fanout: Fanout, hook_id: int) -> None:
        self._fanout = fanout
        self._id = hook_id

    def start(self, info: RunInfo) -> None:
        """Nothing to prepare."""

    def handle_attempt(self, attempt: Attempt) -> None:
        """Count the attempt for the webhook and its secret; keep a failure as LastError."""
        hook = self._fanout.hook(self._id)
        if hook is None:
            return
        answer = hook.transport.take(attempt.request.headers)
        error = "" if attempt.delivered else _last_error(attempt, answer)
        self._fanout.registry.record_attempt(self._id, attempt.delivered, error)
        label = hook.secret_label(attempt.request)
        counts = hook.secret_counts.setdefault(label, SecretCounts(attempt.sent_s, label != "unsigned"))
        counts.attempts += 1
        self._fanout.note_activity()
        if attempt.status is None:
            counts.no_answer += 1
        elif attempt.delivered:
            counts.accepted += 1
        else:
            counts.rejected += 1
        if attempt.final:
            counts.requests += 1
            counts.delivered += attempt.delivered
            counts.failed += not attempt.delivered

    def handle_state(self, change: StateChange) -> None:
        """The deliverer gave up: the webhook turns TooManyErrors in the registry."""
        changed = self._fanout.registry.set_state(
            self._id, so.WebhookState.TooManyErrors, "engine", change.reason
        )
        if changed is not None:  # its state event is published when the fan-out follows the change
            self._fanout.owe_state_event()

    def finish(self, result: RunResult) -> None:
        """Nothing to close."""


def _last_error(attempt: Attempt, answer: Response | Exception | None) -> str:
    if isinstance(answer, Response):
        return describe_answer(answer.status, answer.headers, answer.body)
    if attempt.status is not None:
        return describe_answer(attempt.status, (), attempt.response_body)
    return f"{attempt.error}: {attempt.error_detail}" if attempt.error else "no answer"


class Fanout:
    """The delivery side of the tenant: one :class:`Hook` per registered webhook."""

    def __init__(
        self,
        registry: Registry,
        settings: FanoutSettings,
        *,
        base_webhook: Webhook,
        scenario_webhooks: Mapping[str, Webhook],
        handlers: Sequence[Handler],
        clock: Clock,
        origin: float,
        transport_factory: Callable[[str], AsyncTransport] | None = None,
    ) -> None:
        """Deliver for ``registry``'s webhooks on the running loop; offsets count from ``origin``.

        ``base_webhook`` renders state and signalled events; ``scenario_webhooks`` each scenario's
        events (its tenant, NetServer version and payload options). ``handlers`` see every attempt
        and state change of every webhook.
        """
        self.registry = registry
        self.settings = settings
        self.base_webhook = base_webhook
        self.scenario_webhooks = dict(scenario_webhooks)
        self.handlers = tuple(handlers)
        self.clock = clock
        self.origin = origin
        self.hooks: dict[int, Hook] = {}
        self.gone: list[Hook] = []  # deleted webhooks, kept for the report
        self.rotations: list[Rotation] = []
        self._open = transport_factory or self._open_transport
        self._closing = False
        self._stopped = False
        self._closed = False
        self._changed = asyncio.Event()  # a registry change was followed, or an attempt settled
        self._owed = 0  # engine state changes whose state event is not yet published

    def now_s(self) -> float:
        """Seconds since the origin."""
        return self.clock.now() - self.origin

    def hook(self, webhook_id: int) -> Hook | None:
        """The live hook of a webhook id."""
        return self.hooks.get(webhook_id)

    # -- following the registry ------------------------------------------------------------

    def owe_state_event(self) -> None:
        """Note that an engine state change is on its way to ``apply``: the drain waits for it."""
        self._owed += 1

    def note_activity(self) -> None:
        """Wake the drain to look again whether every webhook is done (an attempt settled)."""
        self._changed.set()

    def apply(self, change: Change) -> None:
        """Follow one registry change (call on the loop, in the order the changes happened)."""
        if change.source == "engine" and change.state_changed and self._owed > 0:
            self._owed -= 1  # published below (or its webhook is gone): no longer owed
        try:
            if change.kind == "created" and change.after is not None:
                self._add(change.after)
            elif change.kind == "deleted" and change.before is not None:
                self._remove(change.before)
            elif change.after is not None:
                self._update(change)
        except Exception:  # one webhook that cannot be followed must not stop the others
            log.exception("cannot follow the change of webhook %s", change.webhook.label)
        self._changed.set()

    def _add(self, definition: WebhookDef) -> None:
        transport = CapturingTransport(self._open(definition.target_url or ""))
        stats = RunStats()
        deliverer = Deliverer(
            transport,
            [*self.handlers, stats, _HookHandler(self, definition.webhook_id)],
            webhook=self._derive(definition, self.base_webhook),
            webhooks={name: self._derive(definition, w) for name, w in self.scenario_webhooks.items()},
            policy=self.settings.policy,
            concurrency=self.settings.concurrency,
            clock=self.clock,
            inactive=self.settings.while_inactive,
            resign=self.settings.rotation == "resign",
            label=definition.label,
        )
        feed = PlannedFeed(self.settings.max_queue)
        hook = Hook(definition, feed, transport, deliverer, self.now_s(), stats)
        hook.note_secret(definition.secret, hook.registered_s)
        self.hooks[definition.webhook_id] = hook
        if definition.state != ACTIVE:
            deliverer.set_state(definition.state.name)
        hook.task = asyncio.ensure_future(deliverer.run(hook.feed, start=self.origin))
        if self._closing:
            hook.feed.close()
        self._record(hook, definition.state.name, "registered")

    def _remove(self, definition: WebhookDef) -> None:
        hook = self.hooks.pop(definition.webhook_id, None)
        if hook is None:
            return
        hook.feed.close()
        hook.deliverer.stop()
        hook.deleted_s = self.now_s()
        self.gone.append(hook)
        self._record(hook, "Deleted", "deleted through the API")

    def _update(self, change: Change) -> None:
        assert change.after is not None and change.before is not None
        hook = self.hooks.get(change.after.webhook_id)
        if hook is None:
            return
        before, after = change.before, change.after
        hook.definition = after
        deliverer = hook.deliverer
        deliverer.label = after.label
        if after.target_url != before.target_url:
            hook.old_transports.append(hook.transport.inner)
            hook.transport.inner = self._open(after.target_url or "")
            hook.transport.target = hook.transport.inner.target
        deliverer.swap_webhook(
            self._derive(after, self.base_webhook),
            {name: self._derive(after, w) for name, w in self.scenario_webhooks.items()},
        )
        if change.secret_changed:
            hook.note_secret(after.secret, self.now_s())
            label = f"#{len(hook.secrets)}" if after.secret else "unsigned"
            self.rotations.append(Rotation(self.now_s(), after.label, label, change.source))
        if change.state_changed:
            if change.source != "engine":  # the engine has already paused and reported itself
                deliverer.set_state(after.state.name)
                self._record(hook, after.state.name, f"{change.reason} ({change.source})")
            self._publish_state_event(after)

    def _record(self, hook: Hook, state: str, reason: str) -> None:
        change = StateChange(self.now_s(), hook.definition.label, state, reason)
        for handler in (*self.handlers, hook.stats):
            handler.handle_state(change)

    # -- publishing ------------------------------------------------------------------------

    def wants(self, hook: Hook, event_name: str) -> bool:
        """Whether ``hook`` gets a copy of ``event_name`` now."""
        definition = hook.definition
        if not definition.subscribes(event_name):
            return False
        return definition.state == ACTIVE or self.settings.while_inactive == "hold"

    def publish_event(self, event: Event, scenario: str, due_s: float) -> int:
        """Offer a chat event to every webhook that wants it; return the copies queued."""
        copies = 0
        for hook in list(self.hooks.values()):
            if self.wants(hook, event.name):
                webhook = hook.deliverer.webhooks.get(scenario, hook.deliverer.webhook)
                copies += self._offer(hook, Planned(due_s, render(event, webhook), scenario, event))
        return copies

    def publish(self, event_name: str, lane: str, build: Callable[[Webhook], Request]) -> int:
        """Offer a request built per webhook (state and signalled events), due now."""
        copies = 0
        due_s = self.now_s()
        for hook in list(self.hooks.values()):
            if self.wants(hook, event_name):
                copies += self._offer(hook, Planned(due_s, build(hook.deliverer.webhook), lane))
        return copies

    def signal(self, event_name: str, primary_key: int, data: Mapping[str, object] | None) -> int:
        """Deliver an event signalled through the API to the webhooks listening for it."""
        event_id, ticks = str(uuid.uuid4()), wall_ticks()
        return self.publish(
            event_name,
            SIGNAL_LANE,
            lambda webhook: render_signal(webhook, event_name, primary_key, data, event_id, ticks),
        )

    def _publish_state_event(self, source: WebhookDef) -> None:
        name = state_event_name(source.webhook_id, source.state)
        if name is None:
            return
        usage = self.registry.usage(source.webhook_id)
        event_id, ticks = str(uuid.uuid4()), wall_ticks()
        numbering = self.settings.state_numbering
        self.publish(
            name,
            STATE_LANE,
            lambda webhook: render_state_event(webhook, source, usage, event_id, ticks, numbering),
        )

    def _offer(self, hook: Hook, item: Planned) -> int:
        if hook.feed.offer(item):
            hook.published += 1
            return 1
        return 0

    # -- lifetime --------------------------------------------------------------------------

    async def wait_for(self, count: int, timeout_s: float | None) -> bool:
        """Wait until ``count`` webhooks are registered; False when ``timeout_s`` passes first."""

        async def enough() -> None:
            while len(self.hooks) < count:
                self._changed.clear()
                await self._changed.wait()

        try:
            await asyncio.wait_for(enough(), timeout_s)
        except TimeoutError:
            return False
        return True

    def stop(self) -> None:
        """Stop every webhook now: nothing more is sent."""
        self._closing = True
        self._stopped = True
        for hook in self.hooks.values():
            hook.feed.close()
            hook.deliverer.stop()

    async def close(self, drain_timeout_s: float | None) -> None:
        """End every feed, let each webhook send what it has (at most ``drain_timeout_s``), then
        stop what is left and close the transports. Closing again does nothing."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        deadline = None if drain_timeout_s is None else loop.time() + drain_timeout_s
        await self._until_done_sending(deadline)
        self._closing = True
        for hook in self.hooks.values():
            hook.feed.close()
        every = [*self.hooks.values(), *self.gone]
        tasks = [hook.task for hook in every if hook.task is not None]
        if tasks:
            timeout_s = None if deadline is None else max(0.0, deadline - loop.time())
            _, pending = await asyncio.wait(tasks, timeout=timeout_s)
            if pending:
                self.stop()
            await asyncio.gather(*tasks, return_exceptions=True)
        failure: BaseException | None = None
        for hook in every:
            task = hook.task
            if task is not None and not task.cancelled():
                failure = failure or task.exception()
                hook.result = None if task.exception() else task.result()
                if hook.result is not None:
                    hook.stats.finish(hook.result)
            for transport in (hook.transport, *hook.old_transports):
                await transport.aclose()
        if failure is not None:  # an output failed (e.g. a handler's disk is full): say so
            raise failure

    async def _until_done_sending(self, deadline: float | None) -> None:
        """Keep the feeds open while any webhook still sends or a state event is owed (a webhook that
        turns TooManyErrors after the last scenario event still tells its watchers), until ``deadline``
        on the loop's clock."""
        loop = asyncio.get_running_loop()
        while not self._stopped and not self._done_sending():
            self._changed.clear()
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return

    def _done_sending(self) -> bool:
        """No state event owed, and every Active webhook has nothing queued or in its cycles."""
        if self._owed:
            return False
        return all(
            hook.deliverer.state != ACTIVE.name or (hook.feed.empty and not hook.deliverer.busy)
            for hook in self.hooks.values()
        )

    # -- rendering -------------------------------------------------------------------------

    def _derive(self, definition: WebhookDef, base: Webhook) -> Webhook:
        """The render settings of one webhook: the scenario's payload, the webhook's name, secret,
        Events and Headers."""
        return replace(
            base,
            name=definition.name or "",
            secret=definition.secret,
            events=frozenset(definition.events),
            headers=definition.headers or (),
            properties=definition.properties if self.settings.properties_in_body else None,
        )

    def _open_transport(self, url: str) -> AsyncTransport:
        settings = self.settings
        return open_transport(
            url,
            engine=settings.engine,
            timeout=settings.timeout_s,
            concurrency=settings.concurrency,
            verify=settings.verify_tls,
        )
