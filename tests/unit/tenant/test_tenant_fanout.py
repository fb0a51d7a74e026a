"""Fan-out on virtual time: each webhook its own events, secret, headers, queue, failures and state."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from simulator.core.delivery_rules import DeliveryPolicy
from simulator.core.events import Event, Request, SessionFields, Webhook
from simulator.core.outcome import Response
from simulator.core.signing import verify
from simulator.delivery.clock import FakeClock
from simulator.report.stats import RunStats
from simulator.superoffice import facts as so
from simulator.tenant.fanout import Fanout, FanoutSettings
from simulator.tenant.model import WebhookDef, default_webhook, webhook_from_json
from simulator.tenant.registry import Registry

FAST = DeliveryPolicy(name="fast", retry_delays=(1.0, 1.0), disable_after=3)
SCENARIO = "unit"


def chat_event(name: str, session: int, step: int = 0) -> Event:
    """A chat event of ``session`` with a fixed EventId."""
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"fanout-unit:{session}/{step}/{name}"))
    return Event(name, session, 15_245_579_220_898_950 + step, event_id, 316, SessionFields())


@dataclass
class Received:
    """One request a fake receiver got, with the virtual time it arrived."""

    at: float
    url: str
    request: Request

    @property
    def event(self) -> str | None:
        return self.request.header(so.HEADER_EVENT)

    @property
    def body(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.request.body)
        return doc


@dataclass
class Receivers:
    """Fake receivers keyed by URL on the FakeClock: a status per (url, now) and a delay per url."""

    clock: FakeClock
    status: Callable[[str, float], int] = lambda url, now: 200
    delay: dict[str, float] = field(default_factory=dict)
    got: list[Received] = field(default_factory=list)

    def open(self, url: str) -> _Transport:
        return _Transport(self, url)

    def at(self, url: str) -> list[Received]:
        return [r for r in self.got if r.url == url]


class _Transport:
    def __init__(self, receivers: Receivers, url: str) -> None:
        self.receivers = receivers
        self.target = url

    async def send(self, headers: tuple[tuple[str, str], ...], body: bytes) -> Response:
        receivers, clock = self.receivers, self.receivers.clock
        request = Request("", "", 0, headers, body)
        receivers.got.append(Received(clock.now(), self.target, request))
        wait = receivers.delay.get(self.target, 0.0)
        if wait:
            await clock.sleep_until(clock.now() + wait)
        return Response(receivers.status(self.target, clock.now()), (("Server", "fake"),), b"nope")

    async def aclose(self) -> None:
        """Nothing to close."""


@dataclass
class Tenant:
    """A registry and a fan-out on a FakeClock, following each other as the real tenant does."""

    clock: FakeClock
    registry: Registry
    fanout: Fanout
    receivers: Receivers
    stats: RunStats

    def register(self, url: str, **body: Any) -> WebhookDef:
        return self.registry.create(
            webhook_from_json({"TargetUrl": url, **body}, default_webhook(), "always")
        )

    async def settle(self, until: float) -> None:
        await self.clock.sleep_until(until)

    def publish(self, event: Event) -> int:
        return self.fanout.publish_event(event, SCENARIO, self.fanout.now_s())


Script = Callable[[Tenant], Awaitable[None]]


def state_of(t: Tenant, webhook_id: int) -> so.WebhookState | None:
    """The registry's State of a webhook (None when it does not exist)."""
    hook = t.registry.get(webhook_id)
    return None if hook is None else hook.state


def run(
    script: Script,
    *,
    settings: FanoutSettings | None = None,
    receivers: Receivers | None = None,
    drain_timeout_s: float | None = None,
) -> Tenant:
    """Run ``script`` against a fresh tenant on virtual time, then drain and close the fan-out."""
    clock = FakeClock()
    receivers = receivers or Receivers(clock)
    receivers.clock = clock
    holder: list[Tenant] = []

    async def main() -> None:
        registry = Registry(now_ticks=lambda: 17_676_000_000_000_000)
        stats = RunStats()
        fanout = Fanout(
            registry,
            settings or FanoutSettings(policy=FAST),
            base_webhook=Webhook(name="base", context_identifier="Cust1"),
            scenario_webhooks={SCENARIO: Webhook(name="base", context_identifier="Cust1")},
            handlers=[stats],
            clock=clock,
            origin=0.0,
            transport_factory=receivers.open,
        )
        loop = asyncio.get_running_loop()
        registry.subscribe(lambda change: loop.call_soon(fanout.apply, change))
        tenant = Tenant(clock, registry, fanout, receivers, stats)
        holder.append(tenant)
        await script(tenant)
        await fanout.close(drain_timeout_s)

    asyncio.run(asyncio.wait_for(main(), 10))
    return holder[0]


def test_each_webhook_gets_exactly_its_events_with_its_secret_headers_and_name() -> None:
    """Two webhooks with different Events, secrets and Headers: each copy is its own, exact match only."""

    async def script(t: Tenant) -> None:
        t.register("http://a/h", Name="a", Events=["chatsession.created"], Secret="sa", Headers={"X-A": "1"})
        t.register("http://b/h", Name="b", Events=["chatsession.message", "chatsession"], Secret="sb")
        await t.settle(0.1)
        for step, name in enumerate((so.EVENT_CREATED, so.EVENT_MESSAGE, so.EVENT_MESSAGE, so.EVENT_CHANGED)):
            t.publish(chat_event(name, 5, step))
        await t.settle(1.0)

    t = run(script)
    a, b = t.receivers.at("http://a/h"), t.receivers.at("http://b/h")
    assert [r.event for r in a] == ["chatsession.created"]
    assert [r.event for r in b] == ["chatsession.message", "chatsession.message"]
    assert all(verify(r.request.body, "sa", r.request.header(so.HEADER_SIGNATURE)) for r in a)
    assert all(verify(r.request.body, "sb", r.request.header(so.HEADER_SIGNATURE)) for r in b)
    assert a[0].request.header("X-A") == "1" and b[0].request.header("X-A") is None
    assert (a[0].body["WebhookName"], b[0].body["WebhookName"]) == ("a", "b")
    assert a[0].body["ContextIdentifier"] == "Cust1"


def test_a_slow_webhook_does_not_delay_another_and_lag_is_per_webhook() -> None:
    """A receiver taking 5 s per request falls behind alone: the fast one's lag stays 0."""
    receivers = Receivers(FakeClock(), delay={"http://slow/h": 5.0})

    async def script(t: Tenant) -> None:
        t.register("http://slow/h", Events=["chatsession.message"])
        t.register("http://fast/h", Events=["chatsession.message"])
        await t.settle(0.0)
        for step in range(5):
            await t.settle(float(step))
            t.publish(chat_event(so.EVENT_MESSAGE, 9, step))  # one session: in order, one at a time
        await t.settle(40.0)

    t = run(script, receivers=receivers)
    fast, slow = t.fanout.hooks[2].stats, t.fanout.hooks[1].stats
    assert [round(r.at, 6) for r in t.receivers.at("http://fast/h")] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert fast.lag.max_s == 0.0
    assert [round(r.at, 6) for r in t.receivers.at("http://slow/h")] == [0.0, 5.0, 10.0, 15.0, 20.0]
    assert round(slow.lag.max_s, 3) == 16.0


def test_too_many_errors_stops_sending_tells_subscribers_and_resumes_when_set_active() -> None:
    """Three failed attempts turn the webhook TooManyErrors: LastError keeps the answer, a watcher on
    webhook1.errors gets the state event, nothing more is sent; State Active resumes it (webhook1.started)."""
    failing_until = [1000.0]
    receivers = Receivers(
        FakeClock(), status=lambda url, now: 500 if url == "http://bad/h" and now < failing_until[0] else 200
    )

    async def script(t: Tenant) -> None:
        t.register("http://bad/h", Name="bad", Events=["chatsession.message"])
        t.register("http://watch/h", Name="watch", Events=["webhook1.errors", "webhook1.started"], Secret="w")
        await t.settle(0.0)
        t.publish(chat_event(so.EVENT_MESSAGE, 1))
        await t.settle(10.0)
        assert state_of(t, 1) is so.WebhookState.TooManyErrors
        t.publish(chat_event(so.EVENT_MESSAGE, 2))  # not sent: the webhook is not Active
        await t.settle(20.0)
        failing_until[0] = 0.0
        t.registry.set_state(1, so.WebhookState.Active, "api", "saved")
        await t.settle(21.0)
        t.publish(chat_event(so.EVENT_MESSAGE, 3))
        await t.settle(30.0)

    t = run(script, receivers=receivers)
    bad = t.receivers.at("http://bad/h")
    assert [round(r.at, 6) for r in bad] == [0.0, 1.0, 2.0, 21.0]
    assert [r.body["PrimaryKey"] for r in bad] == [1, 1, 1, 3]
    usage = t.registry.usage(1)
    assert usage.last_error.startswith("HTTP/1.1 500 Internal Server Error\r\nServer: fake\r\n\r\nnope")
    watch = t.receivers.at("http://watch/h")
    assert [r.event for r in watch] == ["webhook1.errors", "webhook1.started"]
    assert [r.body["Event"] for r in watch] == ["webhook.errors", "webhook.started"]
    assert watch[0].body["FieldValues"]["state"] == 2 and watch[1].body["FieldValues"]["state"] == 0
    assert verify(watch[0].request.body, "w", watch[0].request.header(so.HEADER_SIGNATURE))
    timeline = [(c.webhook, c.state) for c in t.stats.state_changes]
    assert timeline == [
        ("#1 bad", "Active"),
        ("#2 watch", "Active"),
        ("#1 bad", "TooManyErrors"),
        ("#1 bad", "Active"),
    ]


def test_a_webhook_that_fails_after_the_last_event_still_tells_its_watchers() -> None:
    """The last scenario event fails its cycle during the drain: webhook1.errors still reaches the watcher."""
    receivers = Receivers(FakeClock(), status=lambda url, now: 500 if url == "http://bad/h" else 200)

    async def script(t: Tenant) -> None:
        t.register("http://bad/h", Name="bad", Events=["chatsession.message"])
        t.register("http://watch/h", Name="watch", Events=["webhook1.errors"])
        await t.settle(0.0)
        t.publish(chat_event(so.EVENT_MESSAGE, 1))  # the last event: playback ends here

    t = run(script, receivers=receivers)
    assert len(t.receivers.at("http://bad/h")) == 3
    assert state_of(t, 1) is so.WebhookState.TooManyErrors
    watch = t.receivers.at("http://watch/h")
    assert [(r.event, r.body["Event"]) for r in watch] == [("webhook1.errors", "webhook.errors")]
    assert t.fanout.hooks[2].stats.delivered == 1


class _UntilStopped:
    """A transport that answers 500 only once the fan-out has been told to stop sending."""

    target = "http://hang/h"

    def __init__(self, released: asyncio.Event) -> None:
        self.released = released

    async def send(self, headers: tuple[tuple[str, str], ...], body: bytes) -> Response:
        await self.released.wait()
        return Response(500, (), b"")

    async def aclose(self) -> None:
        """Nothing to close."""


def test_the_wait_for_late_state_events_ends_at_the_drain_timeout() -> None:
    """A webhook still sending when the drain timeout passes is stopped: the drain does not wait on."""
    receivers = Receivers(FakeClock())
    released = asyncio.Event()
    receivers.open = lambda url: _UntilStopped(released)  # type: ignore[method-assign]

    async def script(t: Tenant) -> None:
        stop = t.fanout.stop

        def stop_and_release() -> None:
            stop()
            released.set()

        t.fanout.stop = stop_and_release  # type: ignore[method-assign]
        t.register("http://hang/h", Events=["chatsession.message"])
        await t.settle(0.0)
        t.publish(chat_event(so.EVENT_MESSAGE, 1))

    t = run(script, receivers=receivers, drain_timeout_s=0.05)
    assert released.is_set() and t.fanout.hooks[1].deliverer.stopped
    assert t.fanout.hooks[1].stats.attempts == 1  # no retry after the stop


def test_a_gone_answer_disables_at_once() -> None:
    """410 Gone turns the webhook TooManyErrors after one attempt, without retries."""
    receivers = Receivers(FakeClock(), status=lambda url, now: 410)

    async def script(t: Tenant) -> None:
        t.register("http://gone/h", Events=["chatsession.message"])
        await t.settle(0.0)
        t.publish(chat_event(so.EVENT_MESSAGE, 1))
        await t.settle(5.0)

    t = run(script, receivers=receivers)
    assert len(t.receivers.got) == 1
    assert state_of(t, 1) is so.WebhookState.TooManyErrors


def test_hold_sends_what_happened_while_stopped_once_active() -> None:
    """With while_inactive="hold" events raised while Stopped are sent after State returns to Active."""

    async def script(t: Tenant) -> None:
        t.register("http://app/h", Events=["chatsession.message"], State="Stopped")
        await t.settle(0.0)
        t.publish(chat_event(so.EVENT_MESSAGE, 1))
        t.publish(chat_event(so.EVENT_MESSAGE, 2))
        await t.settle(5.0)
        assert t.receivers.got == []
        t.registry.set_state(1, so.WebhookState.Active, "api", "saved")
        await t.settle(6.0)

    t = run(script, settings=FanoutSettings(policy=FAST, while_inactive="hold"))
    assert [(round(r.at, 6), r.body["PrimaryKey"]) for r in t.receivers.got] == [(5.0, 1), (5.0, 2)]


def test_registrations_and_deletions_take_effect_mid_run() -> None:
    """A webhook registered mid-run gets the events after it; a deleted one gets nothing more."""

    async def script(t: Tenant) -> None:
        t.register("http://first/h", Events=["chatsession.message"])
        await t.settle(0.0)
        t.publish(chat_event(so.EVENT_MESSAGE, 1))
        await t.settle(1.0)
        t.register("http://second/h", Events=["chatsession.message"])
        t.registry.delete(1)
        await t.settle(2.0)
        t.publish(chat_event(so.EVENT_MESSAGE, 2))
        await t.settle(3.0)

    t = run(script)
    assert [r.body["PrimaryKey"] for r in t.receivers.at("http://first/h")] == [1]
    assert [r.body["PrimaryKey"] for r in t.receivers.at("http://second/h")] == [2]
    assert [g.definition.webhook_id for g in t.fanout.gone] == [1]


def test_rotation_counts_accepted_and_rejected_per_secret_and_never_names_it() -> None:
    """A receiver that refuses the new secret is caught: secret #2's attempts are rejected."""
    receivers = Receivers(FakeClock())

    def status(url: str, now: float) -> int:
        last = receivers.got[-1].request
        return 200 if verify(last.body, "one", last.header(so.HEADER_SIGNATURE)) else 401

    receivers.status = status

    async def script(t: Tenant) -> None:
        t.register("http://app/h", Events=["chatsession.message"], Secret="one")
        await t.settle(0.0)
        t.publish(chat_event(so.EVENT_MESSAGE, 1))
        await t.settle(1.0)
        t.registry.rotate_secret(1, "two", "schedule")
        await t.settle(2.0)
        t.publish(chat_event(so.EVENT_MESSAGE, 2))
        await t.settle(3.0)

    once = DeliveryPolicy(retry_delays=(), disable_after=None, on_cycle_failure="discard")
    t = run(script, settings=FanoutSettings(policy=once), receivers=receivers)
    counts = t.fanout.hooks[1].secret_counts
    assert list(counts) == ["#1", "#2"]
    assert (counts["#1"].accepted, counts["#1"].rejected) == (1, 0)
    assert (counts["#2"].accepted, counts["#2"].rejected, counts["#2"].failed) == (0, 1, 1)
    assert [(r.webhook, r.secret, r.source) for r in t.fanout.rotations] == [("#1", "#2", "schedule")]
    assert "one" not in repr(counts) and "two" not in repr(t.fanout.rotations)


def test_signalled_events_go_to_their_subscribers_only() -> None:
    """Fanout.signal delivers foo.bar to the webhooks listening for foo.bar, with the data as FieldValues."""

    async def script(t: Tenant) -> None:
        t.register("http://yes/h", Events=["foo.bar"])
        t.register("http://no/h", Events=["foo.baz"])
        await t.settle(0.0)
        assert t.fanout.signal("foo.bar", 12, {"a": 1}) == 1
        await t.settle(1.0)

    t = run(script)
    assert [(r.event, r.body["FieldValues"]) for r in t.receivers.got] == [("foo.bar", {"a": 1})]


def test_stopped_by_the_app_pauses_sending_and_tells_subscribers() -> None:
    """An app setting State Stopped pauses its webhook (webhook1.stopped to watchers); Active resumes it."""

    async def script(t: Tenant) -> None:
        t.register("http://app/h", Events=["chatsession.message"])
        t.register("http://watch/h", Events=["webhook1.stopped", "webhook1.started"])
        await t.settle(0.0)
        t.registry.set_state(1, so.WebhookState.Stopped, "api", "saved")
        await t.settle(1.0)
        t.publish(chat_event(so.EVENT_MESSAGE, 1))
        await t.settle(2.0)
        t.registry.set_state(1, so.WebhookState.Active, "api", "saved")
        await t.settle(3.0)
        t.publish(chat_event(so.EVENT_MESSAGE, 2))
        await t.settle(4.0)

    t = run(script)
    assert [r.body["PrimaryKey"] for r in t.receivers.at("http://app/h")] == [2]
    assert [r.event for r in t.receivers.at("http://watch/h")] == ["webhook1.stopped", "webhook1.started"]
    assert [(c.state, c.reason) for c in t.fanout.hooks[1].stats.state_changes] == [
        ("Active", "registered"),
        ("Stopped", "saved (api)"),
        ("Active", "saved (api)"),
    ]


def test_properties_are_top_level_keys_after_the_documented_ones_and_signed() -> None:
    """Properties ("custom values to inject into JSON body of webhook call", v1Webhook_PostWebhook)
    land as top-level keys after the documented ones; a documented key wins a clash; the signature
    covers the bytes sent; signalled events carry them too."""
    props = {"fieldName": {"a": 1}, "Tag": "x", "eventid": "hijack", "WebhookName": "hijack"}

    async def script(t: Tenant) -> None:
        events = ["chatsession.created", "chatsession.message", "foo.bar"]
        t.register("http://p/h", Name="p", Events=events, Secret="sp", Properties=props)
        t.register("http://q/h", Name="q", Events=["chatsession.created"])
        await t.settle(0.1)
        t.publish(chat_event(so.EVENT_CREATED, 7))
        t.publish(chat_event(so.EVENT_MESSAGE, 7, 1))
        t.fanout.signal("foo.bar", 3, None)
        await t.settle(1.0)

    t = run(script)
    got = t.receivers.at("http://p/h")
    assert sorted(str(r.event) for r in got) == sorted([so.EVENT_CREATED, so.EVENT_MESSAGE, "foo.bar"])
    for r in got:
        keys = list(r.body)
        assert keys[-2:] == ["fieldName", "Tag"]
        assert r.body["fieldName"] == {"a": 1} and r.body["WebhookName"] == "p"
        assert r.body["EventId"] != "hijack" and "eventid" not in r.body
        assert verify(r.request.body, "sp", r.request.header(so.HEADER_SIGNATURE))
    assert "fieldName" not in t.receivers.at("http://q/h")[0].body


def test_properties_in_body_can_be_turned_off() -> None:
    """FanoutSettings(properties_in_body=False) sends only the documented keys."""

    async def script(t: Tenant) -> None:
        t.register("http://p/h", Events=["chatsession.created"], Properties={"fieldName": {}})
        await t.settle(0.1)
        t.publish(chat_event(so.EVENT_CREATED, 7))
        await t.settle(1.0)

    t = run(script, settings=FanoutSettings(policy=FAST, properties_in_body=False))
    assert "fieldName" not in t.receivers.got[0].body
