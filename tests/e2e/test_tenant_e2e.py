"""``sosim tenant`` end to end: apps register their own webhooks over real HTTP on 127.0.0.1.

The main receiver is a small FastAPI app under uvicorn that behaves like a SuperOffice app: it
registers itself on startup through the tenant's REST API, answers the test event, verifies
every signature with ``hmac`` itself, fetches each new message through the chat API and rotates
its secret with PUT mid-run. Simpler targets are written on ``http.server``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click
import httpx
import pytest
import uvicorn
from click.testing import CliRunner
from fastapi import FastAPI, Request, Response

from simulator.core.delivery_rules import DeliveryPolicy
from simulator.core.generate import generate_sessions, timeline
from simulator.core.scenario import parse_scenario
from simulator.core.scenario_model import Scenario
from simulator.delivery.clock import Clock, MonotonicClock
from simulator.superoffice import facts as so
from simulator.tenant.config import RotateSpec
from simulator.tenant.report import junit_cases
from simulator.tenant.run import Tenant, TenantConfig, TenantOutcome

pytestmark = pytest.mark.e2e

TOKEN = "e2e-app-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SCENARIO = """
name: tenant-e2e
seed: 11
webhook: {context_identifier: Cust777}
arrivals: {sessions: 4, process: uniform, rate: 1}
flow:
  queue: {wait: {fixed: 1s}, abandon_probability: 0}
  conversation: {turns: {uniform: [2, 3]}, customer_delay: {fixed: 1s}, agent_delay: {fixed: 1s}}
"""
CHAT_EVENTS = ["chatsession.created", "chatsession.message", "chatsession.changed"]


def scenario() -> Scenario:
    """The e2e scenario: 4 sessions, 69 events over about 12 s of scenario time."""
    return parse_scenario(SCENARIO)


def expected(names: list[str]) -> Counter[str]:
    """How many events of each subscribed name the scenario raises."""
    return Counter(t.event.name for t in timeline(scenario()) if t.event.name in names)


def signature(body: bytes, secret: str) -> str:
    """The signature a receiver computes itself: base64 HMAC-SHA256 over the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@contextmanager
def tenant_running(clock: Clock | None = None, **options: Any) -> Iterator[Tenant]:
    """A started tenant on a free port (scenario above, quiet), closed afterwards."""
    settings: dict[str, Any] = {"port": 0, "speed": 10.0, "wait_timeout_s": 15.0, "drain_timeout_s": 10.0}
    settings.update(options)
    with Tenant(TenantConfig(**settings), scenarios=[scenario()], clock=clock) as tenant:
        yield tenant


def play_in_background(tenant: Tenant) -> Future[TenantOutcome]:
    """Run ``tenant.play()`` on a worker thread, so the test can act as the app meanwhile."""
    pool = ThreadPoolExecutor(1)
    future = pool.submit(tenant.play)
    pool.shutdown(wait=False)
    return future


#: Only a guard against a hang: no test waits for time, each waits for a state or an event.
HANG_GUARD_S = 60.0


def wait_until(check: Callable[[], bool], timeout_s: float = HANG_GUARD_S) -> None:
    """Poll ``check`` (a state) every 20 ms until it holds; the bound only guards against a hang."""
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


# --- a FastAPI app that registers itself -------------------------------------------------------------


@dataclass
class AppState:
    """What the app saw: accepted EventIds with the secret that signed them, fetched messages."""

    webhook_id: int = 0
    secrets: list[str] = field(default_factory=list)  # accepted secrets, oldest first
    accepted: dict[str, tuple[str, int]] = field(default_factory=dict)  # EventId -> (event, secret index)
    duplicates: int = 0
    rejected: int = 0
    pings: int = 0
    messages: dict[int, list[int]] = field(default_factory=dict)  # session -> ChatMessageIds fetched
    rotated: bool = False
    registration_error: str = ""


def create_app(api_root: str, public_url: str, secret: str, new_secret: str) -> FastAPI:
    """A SuperOffice app: registers on startup, verifies, fetches messages, and rotates its secret
    with PUT when ``app.state.rotate()`` is called (from any thread; it returns once the PUT is answered)."""
    state = AppState(secrets=[secret])
    background: set[asyncio.Task[None]] = set()
    loops: list[asyncio.AbstractEventLoop] = []

    def spawn(coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        background.add(task)
        task.add_done_callback(background.discard)

    async def register() -> None:
        body = {
            "Name": "e2e-app",
            "Events": CHAT_EVENTS,
            "TargetUrl": f"{public_url}/webhook",
            "Secret": secret,
        }
        async with httpx.AsyncClient(headers=AUTH, timeout=10) as client:
            answer = await client.post(f"{api_root}/Webhook", json=body)
        if answer.status_code != 200:
            state.registration_error = answer.text
            return
        state.webhook_id = answer.json()["WebhookId"]

    async def rotate() -> None:
        state.secrets.append(new_secret)  # accept both during the changeover
        async with httpx.AsyncClient(headers=AUTH, timeout=10) as client:
            current = (await client.get(f"{api_root}/Webhook/{state.webhook_id}")).json()
            answer = await client.put(
                f"{api_root}/Webhook/{state.webhook_id}", json={**current, "Secret": new_secret}
            )
        assert answer.status_code == 200, answer.text
        state.rotated = True

    async def fetch(session_id: int) -> None:
        after = state.messages.get(session_id, [0])[-1]
        async with httpx.AsyncClient(headers=AUTH, timeout=10) as client:
            answer = await client.get(
                f"{api_root}/ChatSession/{session_id}/Messages", params={"after": after}
            )
        answer.raise_for_status()
        state.messages.setdefault(session_id, []).extend(m["ChatMessageId"] for m in answer.json())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loops.append(asyncio.get_running_loop())
        spawn(register())  # not awaited: the test event can only be answered once the app serves
        yield

    app = FastAPI(lifespan=lifespan)
    app.state.seen = state
    app.state.rotate = lambda: asyncio.run_coroutine_threadsafe(rotate(), loops[0])

    @app.post("/webhook")
    async def webhook(request: Request) -> Response:
        body = await request.body()
        given = request.headers.get("X-SuperOffice-Signature", "")
        which = next(
            (i for i, s in enumerate(state.secrets) if hmac.compare_digest(signature(body, s), given)), None
        )
        if which is None:
            state.rejected += 1
            return Response(status_code=401)
        if request.headers.get("X-Hook-Test") == "true":
            state.pings += 1
            return Response(status_code=200)
        event = json.loads(body)
        if event["EventId"] in state.accepted:
            state.duplicates += 1
            return Response(status_code=200)
        if event["Event"] == "chatsession.message":
            await fetch(event["PrimaryKey"])
        state.accepted[event["EventId"]] = (event["Event"], which)
        return Response(status_code=200)

    return app


@contextmanager
def serve_app(make: Callable[[str], FastAPI]) -> Iterator[FastAPI]:
    """Serve ``make(public_url)`` under uvicorn on a socket bound (and listening) before it starts."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    app = make(f"http://127.0.0.1:{sock.getsockname()[1]}")
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield app
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


class HeldClock(MonotonicClock):
    """The real clock, except that every sleeper first awaits ``hold()``: a test holds the tenant's
    playback at a state (so many events published) until the app has done something."""

    def __init__(self) -> None:
        self.hold: Callable[[], Awaitable[None]] | None = None

    async def sleep_until(self, deadline: float) -> None:
        await super().sleep_until(deadline)
        if self.hold is not None:
            await self.hold()


def rotate_once_published(tenant: Tenant, clock: HeldClock, published: int, app: FastAPI) -> list[int]:
    """Once the tenant has published ``published`` events to webhook #1, have the app rotate its
    secret, and publish nothing more until the app's PUT is answered. Returns a list that gets
    how many events were published before the rotation."""
    rotation: list[asyncio.Future[None]] = []
    before: list[int] = []

    async def hold() -> None:
        hook = tenant.fanout.hook(1)
        if hook is None or hook.published < published:
            return
        if not rotation:
            before.append(hook.published)
            rotation.append(asyncio.wrap_future(app.state.rotate()))
        await rotation[0]

    clock.hold = hold
    return before


def hold_once_raised_while_disabled(
    tenant: Tenant, clock: HeldClock, count: int
) -> tuple[threading.Event, Future[None]]:
    """Once webhook #1 is TooManyErrors and ``count`` events were raised since, hold the playback
    (and set the Event returned) until the Future returned gets a result."""
    held, resume = threading.Event(), Future[None]()
    since: list[int] = []

    async def hold() -> None:
        hook = tenant.fanout.hook(1)
        if resume.done() or hook is None or hook.definition.state != so.WebhookState.TooManyErrors:
            return
        since.append(since[0] if since else tenant.api.state.announced)
        if tenant.api.state.announced - since[0] >= count:
            held.set()
            await asyncio.wrap_future(resume)

    clock.hold = hold
    return held, resume


def test_an_app_registers_itself_rotates_its_secret_and_accepts_every_event_exactly_once() -> None:
    """The app registers on startup (ping answered), gets the whole scenario, fetches each message,
    rotates its secret with PUT after the tenant published 25 events; both sides agree every event
    was accepted exactly once, under the first secret before the PUT's 200 and the second after."""
    clock = HeldClock()
    with tenant_running(clock=clock) as tenant:
        api_root = tenant.api_root
        with serve_app(lambda url: create_app(api_root, url, "first-secret", "second-secret")) as app:
            before = rotate_once_published(tenant, clock, 25, app)
            outcome = tenant.play()
            seen: AppState = app.state.seen
    assert seen.registration_error == ""
    assert seen.rotated and seen.pings == 2  # the registration and the PUT that rotated the secret
    events = expected(CHAT_EVENTS)
    # the app's side: each event once, none rejected, those published before the PUT with the first
    # secret, every later one with the second
    assert Counter(name for name, _ in seen.accepted.values()) == events
    assert (seen.duplicates, seen.rejected) == (0, 0)
    assert before[0] >= 25
    assert Counter(which for _, which in seen.accepted.values()) == {
        0: before[0],
        1: sum(events.values()) - before[0],
    }
    for plan in generate_sessions(scenario()):
        assert seen.messages[plan.session_id] == [m.message_id for m in plan.messages]
    # sosim's side: the same count, delivered at the first attempt, per secret
    hook = outcome.webhook(1)
    assert (hook["requests"], hook["delivered"], hook["failed"], hook["retries"]) == (
        sum(events.values()),
    ) * 2 + (0, 0)
    secrets = {s["secret"]: s for s in hook["secrets"]}
    assert set(secrets) == {"#1", "#2"}
    assert secrets["#1"]["accepted"] + secrets["#2"]["accepted"] == sum(events.values())
    assert secrets["#2"]["accepted"] > 0 and secrets["#1"]["rejected"] == secrets["#2"]["rejected"] == 0
    assert [r["secret"] for r in outcome.section["rotations"]] == ["#2"]
    assert "first-secret" not in json.dumps(outcome.section) and "second-secret" not in json.dumps(
        outcome.section
    )
    assert outcome.exit_code == 0


# --- simple targets -------------------------------------------------------------------------------


@dataclass
class Arrival:
    """One request a target got."""

    at: float
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def event(self) -> str:
        return self.headers.get("x-superoffice-event", "")


class Target:
    """An http.server target: ``answer(arrival)`` gives (status, body), and may wait for an event first."""

    def __init__(self, answer: Callable[[Arrival], tuple[int, bytes]]) -> None:
        self.answer = answer
        self.arrivals: list[Arrival] = []
        self.arrived = threading.Condition()
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                arrival = Arrival(time.monotonic(), {k.lower(): v for k, v in self.headers.items()}, body)
                with target.arrived:
                    target.arrivals.append(arrival)
                    target.arrived.notify_all()
                status, text = target.answer(arrival)
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args: Any) -> None:
                """Quiet."""

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[Arrival]:
        """Every request but the test events."""
        return [a for a in self.arrivals if a.headers.get("x-hook-test") != "true"]

    def wait_for_events(self, count: int) -> list[Arrival]:
        """Block until ``count`` events (not test events) arrived; return them."""
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.events()) >= count, HANG_GUARD_S), "events missing"
            return self.events()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def targets(*made: Target) -> Iterator[tuple[Target, ...]]:
    """Close the targets afterwards."""
    try:
        yield made
    finally:
        for target in made:
            target.close()


def test_a_target_that_fails_the_test_event_is_not_registered() -> None:
    """Answering 500 to the test event refuses the POST with the documented error (status and body
    of the target's answer) and registers nothing."""
    with targets(Target(lambda a: (500, b"not ready yet"))) as (target,), tenant_running() as tenant:
        answer = httpx.post(f"{tenant.api_root}/Webhook", json={"TargetUrl": target.url}, headers=AUTH)
        listed = httpx.get(f"{tenant.api_root}/Webhook", headers=AUTH)
    error = answer.json()
    assert answer.status_code == 400
    assert list(error) == ["Error", "ErrorType", "ErrorMessage", "ErrorSource"]
    assert "answered 500" in error["ErrorMessage"] and "not ready yet" in error["ErrorMessage"]
    assert [a.headers["x-hook-test"] for a in target.arrivals] == ["true"]
    assert listed.json() == []


def test_a_failing_target_turns_too_many_errors_stops_getting_events_and_resumes_on_patch() -> None:
    """Failures turn the webhook TooManyErrors (seen through GET), LastError holds the target's
    answer, a watcher gets webhook1.errors, sending stops; a PATCH to Active resumes it."""
    broken = threading.Event()
    broken.set()

    def answer(arrival: Arrival) -> tuple[int, bytes]:
        ping = arrival.headers.get("x-hook-test") == "true"
        return (500, b"handler crashed") if broken.is_set() and not ping else (200, b"")

    policy = DeliveryPolicy(name="custom", retry_delays=(0.05, 0.05), disable_after=3)
    clock = HeldClock()
    with (
        targets(Target(answer), Target(lambda a: (200, b""))) as (bad, watcher),
        tenant_running(clock, policy=policy, speed=4.0, wait_for_webhooks=2) as tenant,
    ):
        api = httpx.Client(base_url=tenant.api_root, headers=AUTH, timeout=HANG_GUARD_S)
        assert (
            api.post("/Webhook", json={"TargetUrl": bad.url, "Events": CHAT_EVENTS}).json()["WebhookId"] == 1
        )
        watch = {"TargetUrl": watcher.url, "Events": ["webhook1.errors", "webhook1.started"]}
        assert api.post("/Webhook", json=watch).status_code == 200
        held, resume = hold_once_raised_while_disabled(tenant, clock, 5)
        running = play_in_background(tenant)
        assert held.wait(HANG_GUARD_S), "webhook #1 never turned TooManyErrors"
        state = api.get("/Webhook/1").json()["State"]
        last_error = api.get("/Webhook/1/LastError").json()
        hook = tenant.fanout.hook(1)
        assert hook is not None
        wait_until(lambda: hook.deliverer.in_flight == 0)  # what was on its way when it turned has arrived
        sent_before = len(bad.events())
        broken.clear()
        patched = api.patch("/Webhook/1", json=[{"op": "replace", "path": "/State", "value": "Active"}])
        resume.set_result(None)
        outcome = running.result(timeout=HANG_GUARD_S)
    assert state == "TooManyErrors"
    assert last_error.startswith("HTTP/1.1 500 Internal Server Error\r\n")
    assert "Content-Type: text/plain" in last_error and last_error.endswith("\r\n\r\nhandler crashed")
    # three failed attempts (and any already in flight), then none of the 5 events raised since
    assert 3 <= sent_before <= 5
    assert patched.status_code == 200 and patched.json()["State"] == "Active"
    assert len(bad.events()) > sent_before and all(a.event in CHAT_EVENTS for a in bad.events())
    assert [a.event for a in watcher.events()] == ["webhook1.errors", "webhook1.started"]
    assert json.loads(watcher.events()[0].body)["Event"] == "webhook.errors"
    states = [(c["state"], c["reason"].split(" ")[0]) for c in outcome.webhook(1)["state_changes"]]
    assert (
        states[0] == ("Active", "registered")
        and ("TooManyErrors", "3") in states
        and states[-1][0] == "Active"
    )
    assert outcome.exit_code == 1  # requests failed for good while it was broken


def test_a_webhook_that_fails_after_the_last_event_still_sends_its_state_event() -> None:
    """The last chat event fails its whole cycle after playback ended: the webhook turns
    TooManyErrors during the drain, and the watcher still gets webhook1.errors before the run ends."""
    total = sum(expected(CHAT_EVENTS).values())
    event_ids: dict[str, None] = {}  # in the order they first arrived
    lock = threading.Lock()

    def answer(arrival: Arrival) -> tuple[int, bytes]:
        if arrival.headers.get("x-hook-test") == "true":
            return 200, b""
        event_id = arrival.headers["x-superoffice-eventid"]
        with lock:
            event_ids.setdefault(event_id, None)
            last = len(event_ids) == total and next(reversed(event_ids)) == event_id
        return (500, b"late failure") if last else (200, b"")

    policy = DeliveryPolicy(name="custom", retry_delays=(0.05, 0.05), disable_after=3)
    with (
        targets(Target(answer), Target(lambda a: (200, b""))) as (bad, watcher),
        tenant_running(policy=policy, wait_for_webhooks=2) as tenant,
    ):
        api = httpx.Client(base_url=tenant.api_root, headers=AUTH, timeout=HANG_GUARD_S)
        assert api.post("/Webhook", json={"TargetUrl": bad.url, "Events": CHAT_EVENTS}).status_code == 200
        assert (
            api.post("/Webhook", json={"TargetUrl": watcher.url, "Events": ["webhook1.errors"]}).status_code
            == 200
        )
        outcome = tenant.play()
    assert len(bad.events()) == total + 2  # every event once, the last one three times
    assert [a.event for a in watcher.events()] == ["webhook1.errors"]
    assert json.loads(watcher.events()[0].body)["PrimaryKey"] == 1
    assert outcome.webhook(2)["delivered"] == 1


def test_two_webhooks_get_their_own_events_signatures_and_headers_and_a_slow_one_delays_only_itself() -> None:
    """Different secrets, Events and Headers: each target gets exactly its events, signed with its own
    secret and carrying its own header; the slow one, which answers nothing until the fast one has
    every event, delays only itself."""
    fast_done = threading.Event()

    def slow_answer(arrival: Arrival) -> tuple[int, bytes]:
        if arrival.headers.get("x-hook-test") != "true":
            assert fast_done.wait(HANG_GUARD_S)
        return 200, b""

    with (
        targets(Target(lambda a: (200, b"")), Target(slow_answer)) as (fast, slow),
        tenant_running(wait_for_webhooks=2) as tenant,
    ):
        api = httpx.Client(base_url=tenant.api_root, headers=AUTH, timeout=HANG_GUARD_S)
        api.post(
            "/Webhook",
            json={
                "Name": "fast",
                "TargetUrl": fast.url,
                "Events": ["chatsession.message"],
                "Secret": "fast-s",
                "Headers": {"X-Who": "fast"},
            },
        ).raise_for_status()
        api.post(
            "/Webhook",
            json={
                "Name": "slow",
                "TargetUrl": slow.url,
                "Events": ["chatsession.created", "chatsession.changed"],
                "Secret": "slow-s",
                "Headers": {"X-Who": "slow"},
            },
        ).raise_for_status()
        running = play_in_background(tenant)
        fast.wait_for_events(sum(expected(["chatsession.message"]).values()))
        slow_answered = tenant.fanout.hooks[2].stats.attempts  # none: the slow target holds them all
        fast_done.set()
        outcome = running.result(timeout=HANG_GUARD_S)
    assert slow_answered == 0
    for target, name, secret, events in (
        (fast, "fast", "fast-s", ["chatsession.message"]),
        (slow, "slow", "slow-s", ["chatsession.created", "chatsession.changed"]),
    ):
        got = target.events()
        assert Counter(a.event for a in got) == expected(events)
        assert all(a.headers["x-superoffice-signature"] == signature(a.body, secret) for a in got)
        assert all(a.headers["x-who"] == name and json.loads(a.body)["WebhookName"] == name for a in got)
    assert outcome.webhook(2)["lag_ms"]["max"] > outcome.webhook(1)["lag_ms"]["p50"]
    assert outcome.exit_code == 0


def test_a_scheduled_rotation_catches_a_receiver_that_only_knows_the_old_secret(tmp_path: Path) -> None:
    """rotate_secret at 0.3 s: the receiver rejects the new secret; the report counts the rejections
    under secret #2, JUnit fails that case, the run exits 1 and no secret is written anywhere."""
    from simulator.report.writers import write_json, write_junit

    def answer(arrival: Arrival) -> tuple[int, bytes]:
        ok = arrival.headers.get("x-superoffice-signature") == signature(arrival.body, "old-secret")
        return (200, b"") if ok else (401, b"bad signature")

    rotation = RotateSpec(0.3, "new-secret")
    once = DeliveryPolicy(name="once", retry_delays=(), disable_after=None, on_cycle_failure="discard")
    with targets(Target(answer)) as (target,), tenant_running(rotations=(rotation,), policy=once) as tenant:
        body = {"TargetUrl": target.url, "Events": CHAT_EVENTS, "Secret": "old-secret"}
        httpx.post(f"{tenant.api_root}/Webhook", json=body, headers=AUTH).raise_for_status()
        outcome = tenant.play()
    secrets = {s["secret"]: s for s in outcome.webhook(1)["secrets"]}
    assert secrets["#1"]["accepted"] > 0 and secrets["#1"]["rejected"] == 0
    assert secrets["#2"]["accepted"] == 0 and secrets["#2"]["rejected"] > 0
    assert secrets["#1"]["accepted"] + secrets["#2"]["rejected"] == sum(expected(CHAT_EVENTS).values())
    failing = {name: failure for name, failure in junit_cases(outcome.hooks) if failure}
    assert list(failing) == [
        "tenant webhook #1: every request delivered",
        "tenant webhook #1 secret #2: accepted",
    ]
    assert outcome.exit_code == 1
    write_json(outcome.stats, tmp_path / "report.json", {"tenant": outcome.section})
    write_junit(outcome.stats, outcome.thresholds, tmp_path / "junit.xml", outcome.junit_cases())
    for written in ("report.json", "junit.xml"):
        text = (tmp_path / written).read_text()
        assert "old-secret" not in text and "new-secret" not in text
    assert (
        json.loads((tmp_path / "report.json").read_text())["tenant"]["rotations"][0]["source"] == "schedule"
    )


def test_after_a_puts_200_every_request_rendered_carries_the_new_secret() -> None:
    """The PUT that rotates a secret is answered only once the delivery side signs with it: a render
    the delivery loop was busy with when the PUT arrived comes before the 200 (old secret is right),
    and every render after the 200 carries the new signature."""
    with (
        targets(Target(lambda a: (200, b""))) as (target,),
        tenant_running(ping_on="never") as tenant,
    ):
        api = httpx.Client(base_url=tenant.api_root, headers=AUTH, timeout=HANG_GUARD_S)
        body = {"TargetUrl": target.url, "Events": ["chatsession.created"], "Secret": "old-secret"}
        current = api.post("/Webhook", json=body).json()
        holding, go, settling, answered = (threading.Event() for _ in range(4))
        seen_at_render: list[bool] = []

        def busy_then_render() -> None:  # on the delivery loop, queued before the PUT arrives
            holding.set()
            assert go.wait(HANG_GUARD_S), "the PUT neither settled nor was answered"
            seen_at_render.append(answered.is_set())
            tenant.fanout.signal("chatsession.created", 1, None)

        endpoints = tenant.api.webhook_endpoints
        settle = getattr(endpoints, "settle", None)

        def observed_settle() -> None:
            settling.set()
            go.set()
            if settle is not None:
                settle()

        endpoints.settle = observed_settle
        assert tenant._loop is not None
        tenant._loop.call_soon_threadsafe(busy_then_render)
        assert holding.wait(HANG_GUARD_S)
        with ThreadPoolExecutor(1) as pool:
            put = pool.submit(api.put, "/Webhook/1", json={**current, "Secret": "new-secret"})
            put.add_done_callback(lambda done: (answered.set(), go.set()))
            assert put.result().status_code == 200
        tenant._call(_signal_now(tenant, 2))
        got = target.wait_for_events(2)
    secrets = {json.loads(a.body)["PrimaryKey"]: signed_with(a, "old-secret", "new-secret") for a in got}
    # (was the 200 out when #1 was rendered?, #1's secret, #2's secret): #1 old is right only before it
    assert (seen_at_render, secrets[1], secrets[2]) == ([False], "old-secret", "new-secret")


def signed_with(arrival: Arrival, *secrets: str) -> str:
    """Which of ``secrets`` signed ``arrival`` ("unknown" when none did)."""
    given = arrival.headers.get("x-superoffice-signature", "")
    return next((s for s in secrets if hmac.compare_digest(signature(arrival.body, s), given)), "unknown")


async def _signal_now(tenant: Tenant, primary_key: int) -> None:
    tenant.fanout.signal("chatsession.created", primary_key, None)


def test_the_api_answers_other_requests_while_a_registrations_test_event_is_pending() -> None:
    """A target that holds its answer to the test event does not hold up the API: a GET made while
    the registration waits is answered (the webhook not listed yet), then the registration ends."""
    ping_arrived, release = threading.Event(), threading.Event()

    def answer(arrival: Arrival) -> tuple[int, bytes]:
        if arrival.headers.get("x-hook-test") == "true":
            ping_arrived.set()
            assert release.wait(HANG_GUARD_S)
        return 200, b""

    with targets(Target(answer)) as (target,), tenant_running(ping_timeout_s=HANG_GUARD_S) as tenant:
        api = httpx.Client(base_url=tenant.api_root, headers=AUTH, timeout=HANG_GUARD_S)
        with ThreadPoolExecutor(1) as pool:
            registering = pool.submit(api.post, "/Webhook", json={"TargetUrl": target.url})
            assert ping_arrived.wait(HANG_GUARD_S)
            listed = httpx.get(f"{tenant.api_root}/Webhook", headers=AUTH, timeout=HANG_GUARD_S)
            still_pending = not registering.done()
            release.set()
            registered = registering.result()
        listed_after = api.get("/Webhook")
    assert (listed.status_code, listed.json(), still_pending) == (200, [], True)
    assert registered.status_code == 200 and [w["WebhookId"] for w in listed_after.json()] == [1]


def test_bad_requests_over_http_get_4xx_answers_and_never_a_5xx() -> None:
    """Malformed JSON, wrong types, unknown ids and missing auth over real HTTP: documented 4xx bodies."""
    with tenant_running() as tenant:
        api = httpx.Client(base_url=tenant.api_root, headers=AUTH)
        answers = {
            "malformed JSON": api.post(
                "/Webhook", content=b"{oops", headers={"Content-Type": "application/json"}
            ),
            "wrong type": api.post("/Webhook", json={"TargetUrl": ["x"]}),
            "empty TargetUrl": api.post("/Webhook", json={"TargetUrl": ""}),
            "unknown id": api.get("/Webhook/42"),
            "unknown id LastError": api.get("/Webhook/42/LastError"),
            "unknown id PATCH": api.patch("/Webhook/42", json=[]),
            "missing auth": httpx.get(f"{tenant.api_root}/Webhook"),
            "wrong method": api.delete("/Webhook"),
        }
        deleted = api.delete("/Webhook/42")
    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses == {
        "malformed JSON": 400,
        "wrong type": 400,
        "empty TargetUrl": 400,
        "unknown id": 404,
        "unknown id LastError": 404,
        "unknown id PATCH": 404,
        "missing auth": 401,
        "wrong method": 405,
    }
    assert all(answer.json()["Error"] is True for answer in answers.values())
    assert deleted.status_code == 404


# --- the command line ---------------------------------------------------------------------------


def documented_cli() -> click.Group:
    """The real ``sosim`` group (``simulator.cli:main``); tests/docs runs the commands docs/ shows."""
    from simulator.cli import main

    return main


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--speed", "0"], "--speed must be above 0"),
        (["--speed", "2", "--rate", "5/s"], "choose one of --speed and --rate"),
        (["--rotate-secret", "30s=SOSIM_TENANT_TEST_UNSET"], "SOSIM_TENANT_TEST_UNSET is not set"),
        (["--rotate-secret", "soon=X"], "--rotate-secret 'soon=X'"),
        (["--port", "0", "--wait-timeout", "0.2s"], "0 of 1 webhooks registered within 0.2 s"),
    ],
)
def test_cli_usage_errors_are_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    """Wrong options, an unset rotation variable or no registration in time: one line, exit code 2."""
    scenario_file = tmp_path / "tenant.yaml"
    scenario_file.write_text(SCENARIO, encoding="utf-8")
    result = CliRunner().invoke(documented_cli(), ["tenant", str(scenario_file), *args])
    assert result.exit_code == 2, result.output
    assert "sosim: error: " in result.output and message in result.output
    assert "Traceback" not in result.output


def test_cli_serves_waits_for_a_registration_plays_and_writes_the_reports(tmp_path: Path) -> None:
    """`sosim tenant FILE --port P --speed 10 --report --junit --html`: exit 0 once the registered
    target got every event, with the tenant section in the JSON report."""
    scenario_file = tmp_path / "tenant.yaml"
    scenario_file.write_text(SCENARIO, encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    report, junit, html = tmp_path / "r.json", tmp_path / "j.xml", tmp_path / "r.html"
    args = ["tenant", str(scenario_file), "--port", str(port), "--speed", "10", "--report", str(report)]
    args += ["--junit", str(junit), "--html", str(html)]
    with targets(Target(lambda a: (200, b""))) as (target,):
        pool = ThreadPoolExecutor(1)
        running = pool.submit(CliRunner().invoke, documented_cli(), args)
        api_root = f"http://127.0.0.1:{port}/Cust777/api/v1"

        def registered() -> bool:
            try:
                body = {"TargetUrl": target.url, "Events": CHAT_EVENTS, "Secret": "cli-secret"}
                return httpx.post(f"{api_root}/Webhook", json=body, headers=AUTH).status_code == 200
            except httpx.TransportError:
                return False

        wait_until(registered)
        result = running.result(timeout=30)
        pool.shutdown()
    assert result.exit_code == 0, result.output
    assert "webhooks" in result.output and "#1" in result.output
    section = json.loads(report.read_text())["tenant"]
    assert section["webhooks"][0]["delivered"] == len(target.events()) == sum(expected(CHAT_EVENTS).values())
    assert "tenant webhook #1" in junit.read_text() and html.stat().st_size > 0
    for written in (report, junit, html):
        assert "cli-secret" not in written.read_text()


def test_several_scenarios_keep_their_own_tenant_in_each_copy() -> None:
    """Two scenario files play together; each event carries its own scenario's ContextIdentifier."""
    other = parse_scenario(
        SCENARIO.replace("Cust777", "Cust888").replace("seed: 11", "seed: 12").replace("e2e", "e2e-b")
        + "population: {first_session_id: 900000}\n"
    )
    with (
        targets(Target(lambda a: (200, b""))) as (target,),
        Tenant(
            TenantConfig(port=0, speed=10.0, wait_timeout_s=15.0), scenarios=[scenario(), other]
        ) as tenant,
    ):
        body = {"TargetUrl": target.url, "Events": CHAT_EVENTS}
        httpx.post(f"{tenant.api_root}/Webhook", json=body, headers=AUTH).raise_for_status()
        outcome = tenant.play()
    bodies = [json.loads(a.body) for a in target.events()]
    tenants = {(b["PrimaryKey"] >= 900000, b["ContextIdentifier"]) for b in bodies}
    assert tenants == {(False, "Cust777"), (True, "Cust888")}
    assert outcome.exit_code == 0


def _event_ids_of_one_play(**options: Any) -> list[str]:
    """Play the scenario once to one registered target; return the EventIds it received, in order."""
    with targets(Target(lambda a: (200, b""))) as (target,), tenant_running(rate=500.0, **options) as tenant:
        body = {"TargetUrl": target.url, "Events": CHAT_EVENTS, "Secret": "ids-secret"}
        httpx.post(f"{tenant.api_root}/Webhook", json=body, headers=AUTH).raise_for_status()
        assert tenant.play().exit_code == 0
        return [json.loads(a.body)["EventId"] for a in target.events()]


def test_each_tenant_run_sends_fresh_event_ids_unless_deterministic_ids() -> None:
    """Two runs of the same scenario share no EventId (a deduplicating app keeps both);
    deterministic_ids (--deterministic-ids) sends the seeded ids, the ones generate makes."""
    first, second = _event_ids_of_one_play(), _event_ids_of_one_play()
    assert first and len(set(first)) == len(first)
    assert not set(first) & set(second)
    seeded = {timed.event.event_id for timed in timeline(scenario())}
    assert set(_event_ids_of_one_play(deterministic_ids=True)) == seeded


@pytest.mark.skipif(
    threading.current_thread() is not threading.main_thread(), reason="signal handlers need the main thread"
)
class _InterruptedWhileFinishing:
    """An output that gets a Ctrl-C halfway through writing itself, as a user's second one at the end."""

    def __init__(self) -> None:
        self.written = False

    def start(self, info: Any) -> None:
        pass

    def handle_attempt(self, attempt: Any) -> None:
        pass

    def handle_state(self, change: Any) -> None:
        pass

    def finish(self, result: Any) -> None:
        import os
        import signal

        os.kill(os.getpid(), signal.SIGINT)  # Python runs the handler at the next bytecode: here
        self.written = True


def test_a_ctrl_c_while_the_tenant_writes_its_reports_does_not_cut_them_off() -> None:
    """The reports are written whole when a Ctrl-C comes as they are written, as ``sosim run``
    writes its own; it used to escape from play halfway (session 16 left it)."""
    output = _InterruptedWhileFinishing()
    config = TenantConfig(port=0, speed=10.0, wait_timeout_s=15.0, drain_timeout_s=10.0)
    with Tenant(config, scenarios=[scenario()], handlers=[output]) as tenant:
        outcome = tenant.play(before=tenant.stop)  # stopped at once: nothing registers
    assert output.written
    assert outcome.result.interrupted


def test_a_ctrl_c_while_the_play_is_handed_to_the_loop_thread_still_ends_in_an_outcome() -> None:
    """A SIGINT that lands while ``play`` hands its coroutine to the loop thread (the GIL goes to that
    thread there, and the flag is seen right after) is noted, not raised outside play's handling:
    play returns an interrupted outcome with its handlers finished, so the report gets written.
    It used to escape from play ('interrupted', exit 130, no report) in about 1 run of 12."""
    import os
    import signal

    with tenant_running() as tenant:
        loop_thread = tenant._loop_thread
        assert loop_thread is not None
        submit = loop_thread.submit

        handed: list[Future[Any]] = []

        def submit_while_interrupted(coroutine: Any) -> Any:
            loop_thread.submit = submit  # type: ignore[method-assign]  # once: close() submits too
            future = submit(coroutine)  # the play is scheduled on the loop thread...
            os.kill(os.getpid(), signal.SIGINT)  # ...and the handler runs at the next bytecode: here
            handed.append(future)
            return future

        loop_thread.submit = submit_while_interrupted  # type: ignore[method-assign]
        outcome = tenant.play()
        assert handed and handed[0].done()  # play waited for the play it had scheduled
    assert outcome.result.interrupted
    assert outcome.exit_code == 130
