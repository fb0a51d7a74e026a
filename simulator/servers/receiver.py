"""The reference receiver behind ``sosim receive``: checks webhooks the way a careful receiver should.

Two layers, like the rest of sosim:

- ``WebhookChecker`` (in :mod:`simulator.core.checker`, re-exported here) is pure. It judges one
  request (method, headers, exact body bytes) and keeps a running ``Tally``. Memory is bounded:
  it remembers the last ``ReceiverConfig.id_window`` EventIds and chat sessions (default
  1,000,000; about 350 bytes each when full), and the verdict says when older ones were forgotten.
- ``Receiver`` is the I/O shell: an asyncio HTTP/1.1 server (httptools parser, keep-alive,
  Content-Length and chunked bodies) that feeds every request to a checker and answers with a
  status derived from the verdict. ``ReceiverThread`` runs one in a background thread, for tests,
  the CLI's embedded mode and users' pytest suites.

Problems a verdict can carry, and the status the receiver answers with:

- ``bad-signature``, ``missing-signature``: ``reject_status`` (401); a receiver must not trust it.
- ``wrong-content-type``, ``invalid-json`` (NaN/Infinity and trailing commas included),
  ``not-an-object``, ``missing-header:<name>``, ``bad-field:<key>``, ``event-id-mismatch``
  (header vs body ``EventId``), ``event-mismatch`` (header vs body ``Event``): 400.
- ``unexpected-method``: 405.
- ``event-id-reused`` (a known EventId with a different body), ``created-not-first``,
  ``timestamp-backwards``: answered ``respond`` all the same. SuperOffice promises no order
  (reference §3.5), so a real receiver must not make NetServer retry over them; they are
  still counted, and they fail ``verdict_ok``.

A repeated EventId with identical bytes is a retry: ``Verdict.duplicate`` and ``Tally.duplicates``
count it, and it is not a problem.
"""

from __future__ import annotations

import asyncio
import http
import logging
import random
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import cast

import httptools

from simulator.core.checker import (
    AUTH_PROBLEMS,
    SEQUENCE_PROBLEMS,
    UNEXPECTED_METHOD,
    WRONG_PATH,
    Tally,
    Verdict,
    WebhookChecker,
    timestamp_key,
)

# The rest of the problem vocabulary, re-exported from its home in simulator.core.checker.
from simulator.core.checker import BAD_FIELD as BAD_FIELD
from simulator.core.checker import BAD_SIGNATURE as BAD_SIGNATURE
from simulator.core.checker import CREATED_NOT_FIRST as CREATED_NOT_FIRST
from simulator.core.checker import EVENT_ID_MISMATCH as EVENT_ID_MISMATCH
from simulator.core.checker import EVENT_ID_REUSED as EVENT_ID_REUSED
from simulator.core.checker import EVENT_MISMATCH as EVENT_MISMATCH
from simulator.core.checker import INVALID_JSON as INVALID_JSON
from simulator.core.checker import MISSING_HEADER as MISSING_HEADER
from simulator.core.checker import MISSING_SIGNATURE as MISSING_SIGNATURE
from simulator.core.checker import NOT_AN_OBJECT as NOT_AN_OBJECT
from simulator.core.checker import TIMESTAMP_BACKWARDS as TIMESTAMP_BACKWARDS
from simulator.core.checker import WRONG_CONTENT_TYPE as WRONG_CONTENT_TYPE
from simulator.core.verdict import tally_summary, verdict_caveat, verdict_line, verdict_ok, verdict_table
from simulator.delivery.eventloop import event_loop_factory
from simulator.servers.limits import ConnectionGuard, install_accept_error_log
from simulator.servers.receiver_config import OnRequest, ReceivedRequest, ReceiverConfig
from simulator.servers.thread import ServerThread

__all__ = [
    "ReceivedRequest",
    "Receiver",
    "ReceiverConfig",
    "ReceiverThread",
    "Tally",
    "Verdict",
    "WebhookChecker",
    "tally_summary",
    "timestamp_key",
    "verdict_caveat",
    "verdict_line",
    "verdict_ok",
    "verdict_table",
]

log = logging.getLogger(__name__)

# --- the HTTP server ----------------------------------------------------------------


_REFUSALS = {
    408: b"request not complete in time\n",
    413: b"body too large\n",
    414: b"URL too long\n",
    431: b"request headers too large\n",
}


def _status_for(verdict: Verdict, config: ReceiverConfig) -> int:
    if verdict.ok:
        return config.respond
    problems = verdict.problems
    if UNEXPECTED_METHOD in problems:
        return 405
    if any(p in AUTH_PROBLEMS for p in problems):
        return config.reject_status
    if all(p in SEQUENCE_PROBLEMS for p in problems):
        return config.respond
    return 400


@lru_cache(maxsize=512)
def _response(status: int, text: bytes, connection: str | None) -> bytes:
    """The full response bytes; few distinct ones occur, so they are built once each."""
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    head = f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(text)}\r\n"
    if text:
        head += "Content-Type: text/plain; charset=utf-8\r\n"
    if connection is not None:
        head += f"Connection: {connection}\r\n"
    return head.encode("latin-1") + b"\r\n" + text


class Receiver:
    """An asyncio HTTP/1.1 server that checks every request with a ``WebhookChecker``."""

    def __init__(
        self,
        config: ReceiverConfig | None = None,
        *,
        on_request: OnRequest | None = None,
        keep: bool = False,
        checker: WebhookChecker | None = None,
    ) -> None:
        """Serve ``config``; ``keep`` stores every ``ReceivedRequest`` in ``received``."""
        self._config = config or ReceiverConfig()
        self._checker = checker or WebhookChecker(self._config.secret, window=self._config.id_window)
        self._on_request = on_request
        self._keep = keep
        self._received: list[ReceivedRequest] = []
        self._statuses: dict[int, int] = {}
        self._random = random.Random(self._config.seed)
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        self._port = self._config.port

    @property
    def config(self) -> ReceiverConfig:
        """The configuration served."""
        return self._config

    @property
    def checker(self) -> WebhookChecker:
        """The checker judging every request; its ``tally`` is the run's summary."""
        return self._checker

    @property
    def received(self) -> list[ReceivedRequest]:
        """Every request so far, when constructed with ``keep=True`` (otherwise empty)."""
        return self._received

    @property
    def statuses(self) -> dict[int, int]:
        """How many answers of each status were sent."""
        return dict(self._statuses)

    @property
    def port(self) -> int:
        """The port listened on (the real one once started with port 0)."""
        return self._port

    @property
    def url(self) -> str:
        """The webhook URL to register, e.g. ``http://127.0.0.1:54321/``."""
        host = self._config.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self._port}{self._config.path or '/'}"

    async def start(self) -> None:
        """Start listening on the running event loop."""
        loop = asyncio.get_running_loop()
        install_accept_error_log(loop)
        self._server = await loop.create_server(
            lambda: _Connection(self), self._config.host, self._config.port, backlog=2048
        )
        self._port = self._server.sockets[0].getsockname()[1]

    async def serve_forever(self) -> None:
        """Start if needed and serve until cancelled."""
        if self._server is None:
            await self.start()
        assert self._server is not None
        await self._server.serve_forever()

    async def stop(self) -> None:
        """Stop listening and close every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        # Delayed answers still waiting are dropped, and awaited so no task outlives the loop.
        pending = [task for connection in self._connections for task in connection.close()]
        await asyncio.gather(*pending, return_exceptions=True)
        await server.wait_closed()

    def _handle(self, request: _Parsed, connection: _Connection) -> None:
        """Judge one complete request, pick the status and answer it."""
        config = self._config
        if config.path is not None and request.path != config.path:
            verdict = Verdict(False, (WRONG_PATH,), None, None, None)
            status, text = 404, b"not found\n"
        else:
            verdict = self._checker.check_lowered(request.method, request.lowered, request.body)
            status = _status_for(verdict, config)
            text = b"" if verdict.ok else (", ".join(verdict.problems) + "\n").encode()
            if config.fail_rate and self._random.random() < config.fail_rate:
                status, text = config.fail_status, b"injected failure\n"
        self._statuses[status] = self._statuses.get(status, 0) + 1
        if self._keep or self._on_request is not None:
            self._record(request, verdict, status)
        connection.respond(status, text, config.latency_s)

    def _record(self, request: _Parsed, verdict: Verdict, status: int) -> None:
        received = ReceivedRequest(
            request.method, request.path, tuple(request.headers), request.body, time.time(), status
        )
        if self._keep:
            self._received.append(received)
        if self._on_request is not None:
            try:
                self._on_request(received, verdict)
            except Exception:
                # The sender must still get its answer; the callback's bug goes to the log.
                log.exception("on_request callback failed")


@dataclass(slots=True)
class _Parsed:
    """A request being parsed (mutable while httptools fills it in)."""

    method: str = ""
    url: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    lowered: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)
    size: int = 0
    body: bytes = b""

    @property
    def path(self) -> str:
        """The request path without the query."""
        return self.url.partition(b"?")[0].decode("latin-1")


class _Connection(asyncio.Protocol):
    """One client connection: parses requests with httptools and answers them in order."""

    __slots__ = (
        "_closing",
        "_connection_header",
        "_guard",
        "_parser",
        "_pending",
        "_receiver",
        "_request",
        "_tail",
        "_transport",
    )

    def __init__(self, receiver: Receiver) -> None:
        self._receiver = receiver
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._request = _Parsed()
        self._connection_header: str | None = None
        self._closing = False
        self._tail: asyncio.Task[None] | None = None  # the latest delayed answer, to keep order
        self._pending: set[asyncio.Task[None]] = set()
        self._guard = ConnectionGuard(receiver.config.limits, self._expired)

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, though they implement it.
        self._transport = cast(asyncio.Transport, transport)
        self._receiver._connections.add(self)
        self._guard.opened()

    def connection_lost(self, exc: Exception | None) -> None:
        self._receiver._connections.discard(self)
        self._guard.closed()
        self._closing = True
        for task in self._pending:
            task.cancel()

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        try:
            refused = self._guard.feed(self._parser, data)
        except httptools.HttpParserCallbackError:
            raise  # our own bug: let asyncio report it rather than blame the client
        except httptools.HttpParserUpgrade:
            pass  # answered 501 in on_message_complete, and the connection is closing
        except httptools.HttpParserError:
            if not self._closing:
                self._write(_response(400, b"malformed HTTP request\n", "close"), close=True)
        else:
            if refused is not None:
                self._refuse(refused)

    def pause_writing(self) -> None:
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        if self._transport is not None and not self._closing:
            self._transport.resume_reading()

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._request = _Parsed()
        self._guard.message_begin()

    def on_url(self, url: bytes) -> None:
        self._request.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1")
        text = value.decode("latin-1")
        self._request.headers.append((key, text))
        self._request.lowered[key.lower()] = text

    def on_headers_complete(self) -> None:
        request = self._request
        refused = self._guard.headers_complete(request.url, request.headers)
        if refused is not None:
            self._refuse(refused)
            return
        parser = self._parser
        self._request.method = parser.get_method().decode("ascii")
        if not parser.should_keep_alive():
            self._connection_header = "close"
        elif parser.get_http_version() == "1.0":
            self._connection_header = "keep-alive"
        else:
            self._connection_header = None
        if self._request.lowered.get("expect", "").lower() == "100-continue":
            self._write(b"HTTP/1.1 100 Continue\r\n\r\n", close=False)

    def on_body(self, body: bytes) -> None:
        request = self._request
        request.size += len(body)
        if self._closing:
            return
        if self._guard.body_too_large(request.size):
            self._refuse(413)  # at once: a client streaming an endless body is not read to its end
            return
        request.chunks.append(body)

    def on_message_complete(self) -> None:
        if self._closing:
            return
        self._guard.message_complete()
        request = self._request
        if self._parser.should_upgrade():
            # httptools skips the body of an Upgrade request (curl --http2 sends one): refuse it
            # plainly instead of judging a body that never arrived.
            self._write(_response(501, b"protocol upgrade not supported\n", "close"), close=True)
            return
        request.body = b"".join(request.chunks)
        self._receiver._handle(request, self)

    # answering

    def respond(self, status: int, text: bytes, delay_s: float) -> None:
        """Answer the current request now, or after ``delay_s`` without holding up the loop."""
        connection = self._connection_header
        close = connection == "close"
        self._closing = self._closing or close
        data = _response(status, text, connection)
        if delay_s <= 0 and self._tail is None:
            self._write(data, close)
            return
        task = asyncio.get_running_loop().create_task(self._respond_later(self._tail, data, close, delay_s))
        self._tail = task
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _respond_later(
        self, previous: asyncio.Task[None] | None, data: bytes, close: bool, delay_s: float
    ) -> None:
        await asyncio.sleep(delay_s)
        if previous is not None:
            await previous  # answers leave in request order, as HTTP/1.1 requires
        self._write(data, close)
        if self._tail is asyncio.current_task():
            self._tail = None

    def _write(self, data: bytes, close: bool) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return
        transport.write(data)
        if close:
            self._closing = True
            transport.close()
        elif not data.startswith(b"HTTP/1.1 100 "):
            self._guard.answered()

    def _refuse(self, status: int) -> None:
        """Answer a request over a limit (413, 414, 431) and close: the rest is not read."""
        self._write(_response(status, _REFUSALS[status], "close"), close=True)

    def _expired(self, in_request: bool) -> None:
        """A deadline passed: 408 to a request still arriving, a plain close to an idle connection."""
        if in_request and self._tail is None:
            self._write(_response(408, _REFUSALS[408], "close"), close=True)
        else:
            self.close()

    def close(self) -> list[asyncio.Task[None]]:
        """Close the connection now (the receiver is stopping); return the cancelled answers."""
        self._closing = True
        if self._transport is not None:
            self._transport.close()
        pending = list(self._pending)
        for task in pending:
            task.cancel()
        return pending


# --- a receiver in a background thread ---------------------------------------------


class ReceiverThread(ServerThread):
    """A ``Receiver`` on its own event loop in a daemon thread; a context manager.

    Like pytest-httpserver: start it, point the sender at ``url``, then assert on
    ``checker.tally`` or ``received`` (with ``keep=True``).
    """

    def __init__(
        self,
        config: ReceiverConfig | None = None,
        *,
        on_request: OnRequest | None = None,
        keep: bool = False,
        checker: WebhookChecker | None = None,
        use_uvloop: bool = True,
        start_timeout_s: float = 10.0,
    ) -> None:
        """Prepare the receiver; nothing listens until ``start`` or ``with``."""
        self.receiver = Receiver(config, on_request=on_request, keep=keep, checker=checker)
        super().__init__(
            self.receiver,
            name="sosim-receiver",
            loop_factory=event_loop_factory(use_uvloop),
            start_timeout_s=start_timeout_s,
        )

    @property
    def url(self) -> str:
        """The webhook URL to register."""
        return self.receiver.url

    @property
    def port(self) -> int:
        """The port listened on."""
        return self.receiver.port

    @property
    def checker(self) -> WebhookChecker:
        """The checker judging every request."""
        return self.receiver.checker

    @property
    def received(self) -> list[ReceivedRequest]:
        """Every request so far (with ``keep=True``)."""
        return self.receiver.received
