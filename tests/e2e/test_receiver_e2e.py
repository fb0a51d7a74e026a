"""End-to-end tests for the reference receiver: a real server on 127.0.0.1, real HTTP with httpx."""

from __future__ import annotations

import asyncio
import re
import socket
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from simulator.core.events import Event, Request, SessionFields, Webhook, render
from simulator.core.signing import sign
from simulator.servers.receiver import ReceivedRequest, Receiver, ReceiverConfig, ReceiverThread, Verdict
from simulator.superoffice import facts as so

pytestmark = pytest.mark.e2e

SECRET = "e2e-local-test-secret"
WEBHOOK = Webhook(name="e2e", secret=SECRET)
T0 = 15_245_579_220_898_950


def chat_request(name: str = so.EVENT_CREATED, *, session_id: int = 1, step: int = 0) -> Request:
    """A signed chat webhook for session ``session_id``, ``step`` ticks after T0."""
    event_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"sosim-e2e:{name}/{session_id}/{step}"))
    fields = SessionFields(customer_alias="Ola")
    event = Event(name, session_id, T0 + step, event_id, 316, fields)
    return render(event, WEBHOOK)


def session_requests(count: int) -> list[Request]:
    """``count`` requests forming valid sessions of created + four messages each."""
    return [
        chat_request(so.EVENT_CREATED if i % 5 == 0 else so.EVENT_MESSAGE, session_id=i // 5, step=i % 5)
        for i in range(count)
    ]


def post(client: httpx.Client, url: str, request: Request) -> httpx.Response:
    """POST a rendered webhook exactly as rendered."""
    return client.post(url, content=request.body, headers=request.headers)


@pytest.fixture
def receiver() -> Iterator[ReceiverThread]:
    """A signed-webhook receiver that keeps every request."""
    with ReceiverThread(ReceiverConfig(secret=SECRET), keep=True) as running:
        yield running


@pytest.mark.parametrize("use_uvloop", [True, False], ids=["uvloop", "asyncio"])
def test_keep_alive_serves_100_requests_on_one_connection(use_uvloop: bool) -> None:
    """A sender can reuse one keep-alive connection for many webhooks, on either event loop."""
    requests = session_requests(100)
    with (
        ReceiverThread(ReceiverConfig(secret=SECRET), use_uvloop=use_uvloop) as running,
        httpx.Client() as client,
    ):
        responses = [post(client, running.url, r) for r in requests]
        client_ports = {r.extensions["network_stream"].get_extra_info("client_addr")[1] for r in responses}
        tally = running.checker.tally

    assert [r.status_code for r in responses] == [200] * 100
    assert len(client_ports) == 1
    assert (tally.received, tally.accepted, tally.sessions, tally.event_ids) == (100, 100, 20, 100)


def test_status_codes_for_accepted_rejected_and_malformed(receiver: ReceiverThread) -> None:
    """200 for a valid webhook, 401 for a bad or missing signature, 400 for bad JSON or content type."""
    good = chat_request()
    unsigned = [(k, v) for k, v in good.headers if k != so.HEADER_SIGNATURE]
    not_json = b"{'EventId': 1}"
    not_json_headers = [
        (k, sign(not_json, SECRET) if k == so.HEADER_SIGNATURE else v) for k, v in good.headers
    ]
    plain = [(k, "text/plain" if k == so.HEADER_CONTENT_TYPE else v) for k, v in good.headers]

    with httpx.Client() as client:
        accepted = post(client, receiver.url, good)
        tampered = client.post(receiver.url, content=good.body.replace(b"Ola", b"Ole"), headers=good.headers)
        missing = client.post(receiver.url, content=good.body, headers=unsigned)
        invalid = client.post(receiver.url, content=not_json, headers=not_json_headers)
        wrong_type = client.post(receiver.url, content=good.body, headers=plain)
        get = client.get(receiver.url)

    assert (accepted.status_code, accepted.content) == (200, b"")
    assert (tampered.status_code, tampered.text) == (401, "bad-signature\n")
    assert (missing.status_code, missing.text) == (401, "missing-signature\n")
    assert (invalid.status_code, invalid.text) == (400, "invalid-json\n")
    assert (wrong_type.status_code, wrong_type.text) == (400, "wrong-content-type\n")
    assert get.status_code == 405
    assert [r.status for r in receiver.received] == [200, 401, 401, 400, 400, 405]


def test_configured_statuses_are_used() -> None:
    """``respond`` and ``reject_status`` set the answers a sender sees (e.g. to test 2xx handling)."""
    good = chat_request()
    config = ReceiverConfig(secret=SECRET, respond=202, reject_status=403)
    with ReceiverThread(config) as running, httpx.Client() as client:
        accepted = post(client, running.url, good)
        rejected = client.post(running.url, content=good.body + b" ", headers=good.headers)

    assert (accepted.status_code, rejected.status_code) == (202, 403)


def test_fail_rate_one_answers_500_but_still_checks() -> None:
    """fail_rate=1.0 answers every request 500, and the checker still judges each one."""
    requests = session_requests(5)
    with ReceiverThread(ReceiverConfig(secret=SECRET, fail_rate=1.0)) as running, httpx.Client() as client:
        statuses = [post(client, running.url, r).status_code for r in requests]
        tally = running.checker.tally
        answered = running.receiver.statuses

    assert statuses == [500] * 5
    assert (tally.received, tally.accepted) == (5, 5)
    assert answered == {500: 5}


def test_fail_rate_is_reproducible_from_the_seed() -> None:
    """The same seed fails the same requests, so a flaky-receiver run can be repeated exactly."""
    requests = session_requests(40)

    def statuses(seed: int) -> list[int]:
        config = ReceiverConfig(secret=SECRET, fail_rate=0.5, seed=seed)
        with ReceiverThread(config) as running, httpx.Client() as client:
            return [post(client, running.url, r).status_code for r in requests]

    first, again, other = statuses(7), statuses(7), statuses(8)
    assert first == again
    assert first != other
    assert set(first) == {200, 500}


def test_latency_delays_the_answer() -> None:
    """latency_s holds each answer back by that long."""
    request = chat_request()
    with ReceiverThread(ReceiverConfig(secret=SECRET, latency_s=0.2)) as running, httpx.Client() as client:
        started = time.perf_counter()
        response = post(client, running.url, request)
        elapsed = time.perf_counter() - started

    assert response.status_code == 200
    assert elapsed >= 0.15


def test_latency_does_not_serialise_connections() -> None:
    """Concurrent requests on separate connections wait out their latency together, not in turn."""
    requests = session_requests(10)

    async def send_all(url: str) -> list[int]:
        async with httpx.AsyncClient() as client:
            responses = await asyncio.gather(
                *(client.post(url, content=r.body, headers=r.headers) for r in requests)
            )
        return [r.status_code for r in responses]

    with ReceiverThread(ReceiverConfig(secret=SECRET, latency_s=0.3)) as running:
        started = time.perf_counter()
        statuses = asyncio.run(send_all(running.url))
        elapsed = time.perf_counter() - started

    assert statuses == [200] * 10  # out-of-order arrival is reported, but still answered 200
    assert elapsed < 10 * 0.3  # one-by-one would take 3 s


def test_chunked_request_body_is_reassembled(receiver: ReceiverThread) -> None:
    """A chunked body is reassembled byte for byte before the signature is checked."""
    request = chat_request()
    chunks = [request.body[i : i + 100] for i in range(0, len(request.body), 100)]
    assert len(chunks) > 2

    with httpx.Client() as client:
        response = client.post(receiver.url, content=iter(chunks), headers=request.headers)

    assert response.status_code == 200
    (received,) = receiver.received
    assert received.header("Transfer-Encoding") == "chunked"
    assert received.body == request.body


def test_pipelined_requests_are_answered_in_order() -> None:
    """Requests pipelined on one socket get their answers in request order, even with latency."""
    good, bad = chat_request(), chat_request(so.EVENT_MESSAGE, step=1)
    tampered = Request(bad.event, bad.event_id, bad.session_id, bad.headers, bad.body + b" ")

    def raw(request: Request) -> bytes:
        head = "".join(f"{k}: {v}\r\n" for k, v in request.headers)
        start = f"POST / HTTP/1.1\r\nHost: x\r\n{head}Content-Length: {len(request.body)}\r\n\r\n"
        return start.encode() + request.body

    with (
        ReceiverThread(ReceiverConfig(secret=SECRET, latency_s=0.05)) as running,
        socket.create_connection(("127.0.0.1", running.port), timeout=5) as sock,
    ):
        sock.sendall(raw(good) + raw(tampered) + raw(bad))
        data = b""
        while data.count(b"HTTP/1.1 ") < 3:
            data += sock.recv(65536)

    assert re.findall(rb"HTTP/1\.1 \d{3} [^\r]*", data) == [
        b"HTTP/1.1 200 OK",
        b"HTTP/1.1 401 Unauthorized",
        b"HTTP/1.1 200 OK",
    ]


def test_wrong_path_is_404_when_a_path_is_set() -> None:
    """With ``path`` set, the webhook URL answers and every other path is 404 (and not judged)."""
    request = chat_request()
    with ReceiverThread(ReceiverConfig(secret=SECRET, path="/webhook")) as running, httpx.Client() as client:
        assert running.url.endswith("/webhook")
        wrong = post(client, running.url.replace("/webhook", "/other"), request)
        right = post(client, running.url + "?tenant=Cust12345", request)
        tally = running.checker.tally

    assert (wrong.status_code, right.status_code) == (404, 200)
    assert (tally.received, tally.accepted) == (1, 1)


def test_on_request_sees_headers_as_sent_and_the_status() -> None:
    """The callback gets the raw request (original header case) with its verdict and answer."""
    seen: list[tuple[ReceivedRequest, Verdict]] = []
    request = chat_request()
    running = ReceiverThread(ReceiverConfig(secret=SECRET), on_request=lambda r, v: seen.append((r, v)))
    with running, httpx.Client() as client:
        post(client, running.url, request)

    ((received, verdict),) = seen
    assert received.method == "POST" and received.path == "/"
    assert received.body == request.body
    assert (so.HEADER_SIGNATURE, sign(request.body, SECRET)) in received.headers
    assert received.status == 200
    assert verdict.ok and verdict.event_id == request.event_id


def test_receiver_runs_on_the_callers_event_loop() -> None:
    """``Receiver`` can be started and stopped inside the caller's own asyncio program."""
    request = chat_request()

    async def scenario() -> tuple[int, int]:
        receiver = Receiver(ReceiverConfig(secret=SECRET))
        await receiver.start()
        try:
            async with httpx.AsyncClient() as client:
                response = await client.post(receiver.url, content=request.body, headers=request.headers)
        finally:
            await receiver.stop()
        return response.status_code, receiver.checker.tally.accepted

    assert asyncio.run(scenario()) == (200, 1)


def test_stop_closes_the_port_and_open_connections() -> None:
    """After the receiver stops, kept-alive clients and new connections are refused."""
    request = chat_request()
    with httpx.Client() as client:
        with ReceiverThread(ReceiverConfig(secret=SECRET)) as running:
            assert post(client, running.url, request).status_code == 200
        with pytest.raises(httpx.TransportError):
            post(client, running.url, request)


def test_deeply_nested_json_is_a_400_not_a_dropped_connection(receiver: ReceiverThread) -> None:
    """``{"a":`` ten thousand times deep is invalid JSON to the checker: a 400, and it keeps serving."""
    good = chat_request()
    body = b'{"a":' * 10_000 + b"1" + b"}" * 10_000
    headers = [(k, sign(body, SECRET) if k == so.HEADER_SIGNATURE else v) for k, v in good.headers]
    with httpx.Client() as client:
        deep = client.post(receiver.url, content=body, headers=headers)
        after = post(client, receiver.url, good)
    assert (deep.status_code, after.status_code) == (400, 200)
