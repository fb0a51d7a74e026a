"""Both transports against real HTTP servers on 127.0.0.1: exact bytes, keep-alive, closes, failures.

The server is a raw asyncio server in a background thread (like pytest-httpserver), so the
tests see exactly the bytes on the wire and every accepted connection. The asgi:// test loads
this module's ``app`` by ``__name__``, so it works under whatever name pytest imported it.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Literal, TypeVar

import pytest

from simulator.core.outcome import Response
from simulator.delivery.transport import (
    AsyncTransport,
    HttpxTransport,
    LeanTransport,
    TransportError,
    open_transport,
)

pytestmark = pytest.mark.e2e

T = TypeVar("T")

Mode = Literal[
    "ok",
    "chunked",
    "close",
    "close-after",
    "drop-reused",
    "garbage-reused",
    "drop",
    "until-eof",
    "garbage",
    "interim",
    "silent",
    "redirect",
    "huge-body",
    "trickle",
    "cut-body",
]
Engine = Literal["lean", "httpx"]
ENGINES: tuple[Engine, ...] = ("lean", "httpx")

HEADERS = (
    ("Content-Type", "application/json"),
    ("User-Agent", "NetServer-Webhook/10.4"),
    ("X-SuperOffice-Event", "chatsession.message"),
    ("X-Superoffice-EventId", "7c9e6679-7425-40de-944b-e07fc1f90ae7"),
    ("x-superoffice-signature", "c2lnbmF0dXJl"),
    ("X-Custom", "Blåbær"),
)
BODY = '{"Event":"chatsession.message","Text":"Hei, jeg får ikke logget inn på Blåbær"}'.encode()
CHUNKS = (b"a" * 3000, b"b" * 3000, b"c" * 10)

_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Server: raw\r\n\r\nok"
_CLOSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
_UNTIL_EOF = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nbody until the end"
_INTERIM = b"HTTP/1.1 100 Continue\r\n\r\n" + _OK
_GARBAGE = b"HTTP/1.1 two hundred\r\n\r\n"
_CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for chunk in CHUNKS)
    + b"0\r\n\r\n"
)


class RawServer:
    """An HTTP/1.1 server in a thread that records raw requests and counts connections.

    ``mode`` says how it answers: ``ok`` keeps connections alive; ``chunked`` answers in chunks;
    ``close`` says ``Connection: close`` and closes; ``close-after`` closes right after each
    answer without saying so; ``drop-reused`` answers the first request of a connection and
    drops any later one unanswered; ``garbage-reused`` answers the first request of a connection
    and any later one with an invalid status line; ``drop`` drops every request unanswered; ``until-eof``
    sends a body delimited by closing; ``garbage`` answers with an invalid status line;
    ``interim`` sends ``100 Continue`` before the answer; ``silent`` never answers (until the
    client goes away); ``redirect`` answers 301 to another path; ``huge-body`` answers a 100 MB
    body; ``trickle`` sends its answer one byte every 50 ms; ``cut-body`` promises 100 bytes of
    body, sends 10 and closes.
    """

    def __init__(self, mode: Mode = "ok") -> None:
        self.mode = mode
        self.requests: list[bytes] = []
        self.connections = 0
        self.port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    @property
    def url(self) -> str:
        """The URL of the hook on this server."""
        return f"http://127.0.0.1:{self.port}/hook?tenant=Cust12345"

    def __enter__(self) -> RawServer:
        self._thread.start()
        assert self._ready.wait(5), "server did not start"
        return self

    def __exit__(self, *exc_info: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop.wait()
        server.close()  # asyncio.run then cancels the connection handlers still running

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        answered = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                body = await reader.readexactly(_content_length(head))
                self.requests.append(head + body)
                if self.mode == "silent":
                    await reader.read()  # returns once the client closes
                    return
                if self.mode == "drop" or (self.mode == "drop-reused" and answered):
                    return
                if self.mode in _SLOW_ANSWERS:
                    await _SLOW_ANSWERS[self.mode](writer)
                    return
                garbage = self.mode == "garbage-reused" and answered
                writer.write(_GARBAGE if garbage else _ANSWERS.get(self.mode, _OK))
                await writer.drain()
                answered += 1
                if self.mode in ("close", "close-after", "until-eof"):
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return
        finally:
            writer.close()


HUGE_BODY = 100 * 1024 * 1024


async def _huge_body(writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % HUGE_BODY)
    block = b"x" * (1024 * 1024)
    for _ in range(HUGE_BODY // len(block)):
        writer.write(block)
        await writer.drain()


async def _trickle(writer: asyncio.StreamWriter) -> None:
    for byte in _OK:
        writer.write(bytes([byte]))
        await writer.drain()
        await asyncio.sleep(0.05)


async def _cut_body(writer: asyncio.StreamWriter) -> None:
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
    await writer.drain()


#: Answers written over time (or left unfinished); the connection closes after each.
_SLOW_ANSWERS: dict[str, Callable[[asyncio.StreamWriter], Awaitable[None]]] = {
    "huge-body": _huge_body,
    "trickle": _trickle,
    "cut-body": _cut_body,
}

_ANSWERS: dict[str, bytes] = {
    "redirect": b"HTTP/1.1 301 Moved Permanently\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n",
    "chunked": _CHUNKED,
    "close": _CLOSE,
    "until-eof": _UNTIL_EOF,
    "garbage": _GARBAGE,
    "interim": _INTERIM,
}


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def _header_lines(raw: bytes) -> list[bytes]:
    """The header lines of a raw request (after the request line), as sent."""
    return raw.partition(b"\r\n\r\n")[0].split(b"\r\n")[1:]


def _transport(engine: Engine, url: str, *, timeout: float = 5.0, concurrency: int = 8) -> AsyncTransport:
    if engine == "lean":
        return LeanTransport(url, timeout=timeout, concurrency=concurrency)
    return HttpxTransport(url, timeout=timeout, concurrency=concurrency)


def _run(transport: AsyncTransport, use: Callable[[AsyncTransport], Awaitable[T]]) -> T:
    """Run ``use(transport)`` in a fresh event loop and close the transport afterwards."""

    async def main() -> T:
        try:
            return await use(transport)
        finally:
            await transport.aclose()

    return asyncio.run(main())


def _send_n(n: int, *, concurrently: bool = False) -> Callable[[AsyncTransport], Awaitable[list[Response]]]:
    async def use(transport: AsyncTransport) -> list[Response]:
        if concurrently:
            return list(await asyncio.gather(*(transport.send(HEADERS, BODY) for _ in range(n))))
        return [await transport.send(HEADERS, BODY) for _ in range(n)]

    return use


def _failure(transport: AsyncTransport) -> TransportError:
    with pytest.raises(TransportError) as caught:
        _run(transport, _send_n(1))
    return caught.value


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[RawServer]:
    """A RawServer in the mode given by indirect parametrisation (``ok`` by default)."""
    with RawServer(getattr(request, "param", "ok")) as running:
        yield running


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- exact delivery -------------------------------------------------------------------


def test_lean_writes_exact_request_bytes(server: RawServer) -> None:
    """The lean engine puts exactly our headers (order and spelling) and body on the wire."""
    _run(LeanTransport(server.url), _send_n(1))
    header_block = b"".join(b"%s: %s\r\n" % (n.encode(), v.encode()) for n, v in HEADERS)
    assert server.requests == [
        b"POST /hook?tenant=Cust12345 HTTP/1.1\r\n"
        + f"Host: 127.0.0.1:{server.port}\r\n".encode()
        + header_block
        + f"Content-Length: {len(BODY)}\r\n\r\n".encode()
        + BODY
    ]


def test_httpx_sends_exact_headers_and_body(server: RawServer) -> None:
    """httpx delivers our headers in order and spelling, plus only Host and Content-Length."""
    _run(HttpxTransport(server.url), _send_n(1))
    (raw,) = server.requests
    assert raw.startswith(b"POST /hook?tenant=Cust12345 HTTP/1.1\r\n")
    assert _header_lines(raw) == [
        f"Host: 127.0.0.1:{server.port}".encode(),
        *(f"{name}: {value}".encode() for name, value in HEADERS),
        f"Content-Length: {len(BODY)}".encode(),
    ]
    assert raw.partition(b"\r\n\r\n")[2] == BODY


@pytest.mark.parametrize("engine", ENGINES)
def test_response_status_headers_and_body(server: RawServer, engine: Engine) -> None:
    """Both engines return the server's status, headers as sent, and body."""
    (response,) = _run(_transport(engine, server.url), _send_n(1))
    assert response == Response(200, (("Content-Length", "2"), ("X-Server", "raw")), b"ok")


# --- connections ------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_keep_alive_reuses_at_most_concurrency_connections(server: RawServer, engine: Engine) -> None:
    """200 concurrent sends with concurrency 4 all succeed over at most 4 connections."""
    responses = _run(_transport(engine, server.url, concurrency=4), _send_n(200, concurrently=True))
    assert [r.status for r in responses] == [200] * 200
    assert len(server.requests) == 200
    assert 1 <= server.connections <= 4


@pytest.mark.parametrize("server", ["chunked"], indirect=True)
@pytest.mark.parametrize("engine", ENGINES)
def test_chunked_body_is_cut_to_4096_and_connection_reused(server: RawServer, engine: Engine) -> None:
    """A chunked body arrives joined (first 4096 bytes kept) and is read fully, so keep-alive holds."""
    responses = _run(_transport(engine, server.url, concurrency=1), _send_n(3))
    assert [r.body for r in responses] == [b"".join(CHUNKS)[:4096]] * 3
    assert server.connections == 1


@pytest.mark.parametrize("server", ["close"], indirect=True)
@pytest.mark.parametrize("engine", ENGINES)
def test_connection_close_answers_reconnect_every_time(server: RawServer, engine: Engine) -> None:
    """A server answering `Connection: close` every time still gets all 20 requests, one connection each."""
    responses = _run(_transport(engine, server.url), _send_n(20))
    assert [r.status for r in responses] == [200] * 20
    assert server.connections == 20


@pytest.mark.parametrize("server", ["close-after"], indirect=True)
@pytest.mark.parametrize("engine", ENGINES)
def test_server_closing_idle_connections(server: RawServer, engine: Engine) -> None:
    """A server that closes kept-alive connections while they are idle costs no failed attempt."""

    async def use(transport: AsyncTransport) -> list[int]:
        statuses = []
        for _ in range(10):
            statuses.append((await transport.send(HEADERS, BODY)).status)
            await asyncio.sleep(0.02)  # idle long enough for the server's close to arrive
        return statuses

    assert _run(_transport(engine, server.url), use) == [200] * 10
    assert server.connections == 10


def test_lean_submit_reports_from_later_callbacks_and_queues_beyond_its_pool(server: RawServer) -> None:
    """The callback face: 12 exchanges on a pool of 3 all end in order of answer, each reported
    after ``submit`` returned, over at most 3 kept-alive connections; responses leave headers out."""
    transport = LeanTransport(server.url, concurrency=3)

    async def use(_: AsyncTransport) -> list[Any]:
        outcomes: list[Any] = []
        submitting = [False]
        early: list[Any] = []
        finished = asyncio.get_running_loop().create_future()

        def on_done(outcome: Any) -> None:
            (early if submitting[0] else outcomes).append(outcome)
            if len(outcomes) + len(early) == 12:
                finished.set_result(None)

        for _ in range(12):
            submitting[0] = True
            transport.submit(HEADERS, BODY, on_done)
            submitting[0] = False
        await asyncio.wait_for(finished, 10)
        assert early == []
        return outcomes

    outcomes = _run(transport, use)
    assert [(o.status, o.headers, o.body) for o in outcomes] == [(200, (), b"ok")] * 12
    assert len(server.requests) == 12
    assert server.connections == 3


@pytest.mark.parametrize("engine", ENGINES)
def test_send_returns_the_response_headers(server: RawServer, engine: Engine) -> None:
    """``send`` keeps the answer's headers (the tenant shows them in LastError)."""
    (response,) = _run(_transport(engine, server.url), _send_n(1))
    assert ("X-Server", "raw") in response.headers
    assert ("Content-Length", "2") in response.headers


@pytest.mark.parametrize("server", ["silent"], indirect=True)
def test_lean_aclose_ends_exchanges_in_progress_with_a_connect_error(server: RawServer) -> None:
    """Closing the transport (a run abandoned by a second Ctrl-C) ends what is still waiting for
    an answer at once, long before the timeout, and reports it."""
    transport = LeanTransport(server.url, timeout=60.0, concurrency=2)

    async def use(_: AsyncTransport) -> list[Any]:
        outcomes: list[Any] = []
        for _ in range(3):  # the third waits for a slot and never starts
            transport.submit(HEADERS, BODY, outcomes.append)
        while len(server.requests) < 2:
            await asyncio.sleep(0.01)
        await transport.aclose()
        return outcomes

    outcomes = _run(transport, use)
    assert [(type(o), o.kind) for o in outcomes] == [(TransportError, "connect")] * 2
    assert len(server.requests) == 2


@pytest.mark.parametrize("server", ["drop-reused"], indirect=True)
@pytest.mark.parametrize("engine", ENGINES)
def test_a_request_dropped_on_a_reused_connection_is_resent_once_on_a_fresh_one(
    server: RawServer, engine: Engine
) -> None:
    """The server's idle close raced the request: it is resent, and no attempt fails."""
    transport = _transport(engine, server.url, concurrency=1)
    responses = _run(transport, _send_n(5))
    assert [r.status for r in responses] == [200] * 5
    # Every request after the first went out twice: dropped on the old connection, answered on a new.
    assert len(server.requests) == 9
    assert server.connections == 5
    if isinstance(transport, HttpxTransport):
        assert transport.stale_resends == 4


@pytest.mark.parametrize("server", ["garbage-reused"], indirect=True)
@pytest.mark.parametrize("engine", ENGINES)
def test_a_reused_connection_that_answers_garbage_is_not_resent(server: RawServer, engine: Engine) -> None:
    """The server answered, badly: the attempt fails and the POST went out once (no duplicate)."""

    async def use(transport: AsyncTransport) -> tuple[int, TransportError]:
        first = await transport.send(HEADERS, BODY)
        with pytest.raises(TransportError) as caught:
            await transport.send(HEADERS, BODY)
        return first.status, caught.value

    status, error = _run(_transport(engine, server.url, concurrency=1), use)
    assert (status, error.kind) == (200, "protocol")
    assert (len(server.requests), server.connections) == (2, 1)


@pytest.mark.parametrize("server", ["drop"], indirect=True)
@pytest.mark.parametrize("engine", ENGINES)
def test_fresh_connection_dropped_unanswered_is_not_retried(server: RawServer, engine: Engine) -> None:
    """A server that closes without answering a new connection fails the attempt; the POST is sent once."""
    error = _failure(_transport(engine, server.url))
    assert error.kind == "protocol"
    assert len(server.requests) == 1


@pytest.mark.parametrize("server", ["interim"], indirect=True)
@pytest.mark.parametrize("engine", ENGINES)
def test_interim_100_continue_is_skipped(server: RawServer, engine: Engine) -> None:
    """An unasked-for `100 Continue` is not taken for the answer; the final 200 is."""
    responses = _run(_transport(engine, server.url, concurrency=1), _send_n(2))
    assert [(r.status, r.body) for r in responses] == [(200, b"ok")] * 2
    assert server.connections == 1


@pytest.mark.parametrize("server", ["until-eof"], indirect=True)
def test_lean_reads_a_body_delimited_by_close(server: RawServer) -> None:
    """A response without Content-Length or chunking ends when the server closes the connection."""
    responses = _run(LeanTransport(server.url), _send_n(2))
    assert [r.body for r in responses] == [b"body until the end"] * 2


# --- failures ---------------------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_connection_refused_is_a_connect_error(engine: Engine) -> None:
    """Nothing listening on the port fails the attempt with kind "connect"."""
    error = _failure(_transport(engine, f"http://127.0.0.1:{_closed_port()}/hook"))
    assert error.kind == "connect"


@pytest.mark.parametrize("server", ["silent"], indirect=True)
@pytest.mark.parametrize("engine", ENGINES)
def test_server_that_never_answers_times_out(server: RawServer, engine: Engine) -> None:
    """A server that accepts the request but never answers fails with kind "timeout" after the timeout."""
    error = _failure(_transport(engine, server.url, timeout=0.3))
    assert error.kind == "timeout"
    assert "0.3" in error.detail


@pytest.mark.parametrize("server", ["garbage"], indirect=True)
@pytest.mark.parametrize("engine", ENGINES)
def test_unparsable_response_is_a_protocol_error(server: RawServer, engine: Engine) -> None:
    """An answer that is not HTTP fails the attempt with kind "protocol"."""
    assert _failure(_transport(engine, server.url)).kind == "protocol"


@pytest.mark.parametrize("server", ["silent"], indirect=True)
@pytest.mark.parametrize("engine", ENGINES)
def test_never_more_than_concurrency_connections(server: RawServer, engine: Engine) -> None:
    """While requests hang, only `concurrency` connections are open; the other sends wait their turn."""

    async def use(transport: AsyncTransport) -> int:
        sends = [asyncio.create_task(transport.send(HEADERS, BODY)) for _ in range(12)]
        for _ in range(500):
            if len(server.requests) >= 3:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # time enough for a fourth connection to show up, were there one
        open_connections = server.connections
        for send in sends:
            send.cancel()
        await asyncio.gather(*sends, return_exceptions=True)
        return open_connections

    assert _run(_transport(engine, server.url, concurrency=3), use) == 3
    assert len(server.requests) == 3


# --- in-process ASGI --------------------------------------------------------------------


async def app(
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[dict[str, Any]]],
    send: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    """A raw ASGI receiver: echoes the body, and the path and header names in headers."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    names = b",".join(name for name, _ in scope["headers"])
    headers = [(b"x-path", str(scope["path"]).encode()), (b"x-header-names", names)]
    await send({"type": "http.response.start", "status": 201, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def test_asgi_app_in_process_through_open_transport() -> None:
    """asgi://module:app/path delivers headers and body to the app in process, at that path."""
    transport = open_transport(f"asgi://{__name__}:app/hook")
    (response,) = _run(transport, _send_n(1))
    assert response.status == 201
    assert response.body == BODY
    received = dict(response.headers)
    assert received["x-path"] == "/hook"
    expected = ["host", *(name.lower() for name, _ in HEADERS), "content-length"]
    assert received["x-header-names"].split(",") == expected


# --- faulty targets (issue 14's battery) --------------------------------------------------


@pytest.mark.parametrize("server", ["redirect"], indirect=True)
@pytest.mark.parametrize("engine", ENGINES)
def test_a_301_is_an_answer_not_followed(server: RawServer, engine: Engine) -> None:
    """NetServer posts to the URL it has: a redirect is a non-200 answer, and nothing follows it."""
    responses = _run(_transport(engine, server.url), _send_n(2))
    assert [r.status for r in responses] == [301, 301]
    assert len(server.requests) == 2 and all(b"/hook?" in raw.split(b"\r\n")[0] for raw in server.requests)


@pytest.mark.parametrize("server", ["huge-body"], indirect=True)
@pytest.mark.parametrize("engine", ENGINES)
def test_a_100_mb_answer_keeps_4096_bytes_of_it(server: RawServer, engine: Engine) -> None:
    """A 100 MB body is not held in memory: the answer keeps its first 4096 bytes (as for chunks)."""
    tracemalloc.start()
    try:
        responses = _run(_transport(engine, server.url, timeout=30), _send_n(1))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [r.status for r in responses] == [200]
    assert responses[0].body == b"x" * 4096
    assert peak < 20 * 1024 * 1024, f"{peak / 2**20:.1f} MiB held for a 100 MiB body"


@pytest.mark.parametrize("server", ["trickle"], indirect=True)
@pytest.mark.parametrize("engine", ENGINES)
def test_an_answer_trickling_one_byte_at_a_time_ends_at_the_timeout(
    server: RawServer, engine: Engine
) -> None:
    """Bytes that keep coming do not stretch the request's timeout: it is a deadline, not an idle timer."""
    error = _failure(_transport(engine, server.url, timeout=0.3))
    assert error.kind == "timeout"


@pytest.mark.parametrize("server", ["cut-body"], indirect=True)
@pytest.mark.parametrize("engine", ENGINES)
def test_a_connection_closed_mid_body_fails_the_attempt(server: RawServer, engine: Engine) -> None:
    """10 of 100 promised bytes and a close: the attempt fails (it is not a 200 with a short body)."""
    error = _failure(_transport(engine, server.url))
    assert error.kind in ("protocol", "connect"), error
