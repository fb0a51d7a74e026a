"""The reference receiver behind ``sosim receive``: checks webhooks the way a careful receiver should.

Two layers, like the rest of sosim:

- ``WebhookChecker`` is pure. It judges one request (method, headers, exact body bytes) and keeps
  a running ``Tally``. Memory is one entry per EventId and one int per chat session.
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
import contextlib
import http
import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, cast

import httptools

from simulator import superoffice as so
from simulator.errors import UsageError
from simulator.signing import verify

__all__ = [
    "ReceivedRequest",
    "Receiver",
    "ReceiverConfig",
    "ReceiverThread",
    "Tally",
    "Verdict",
    "WebhookChecker",
    "timestamp_key",
    "verdict_ok",
    "verdict_table",
]

log = logging.getLogger(__name__)

# --- problem vocabulary (sosim's own words, not SuperOffice's) -----------------------

BAD_SIGNATURE = "bad-signature"
MISSING_SIGNATURE = "missing-signature"
WRONG_CONTENT_TYPE = "wrong-content-type"
INVALID_JSON = "invalid-json"
NOT_AN_OBJECT = "not-an-object"
MISSING_HEADER = "missing-header:"  # + canonical header name
BAD_FIELD = "bad-field:"  # + payload key: missing or of the wrong type
EVENT_ID_MISMATCH = "event-id-mismatch"
EVENT_MISMATCH = "event-mismatch"
UNEXPECTED_METHOD = "unexpected-method"
EVENT_ID_REUSED = "event-id-reused"
CREATED_NOT_FIRST = "created-not-first"
TIMESTAMP_BACKWARDS = "timestamp-backwards"
WRONG_PATH = "wrong-path"  # only on verdicts the server makes up for 404s; never in a tally

AUTH_PROBLEMS = frozenset({BAD_SIGNATURE, MISSING_SIGNATURE})
SEQUENCE_PROBLEMS = frozenset({EVENT_ID_REUSED, CREATED_NOT_FIRST, TIMESTAMP_BACKWARDS})

_CONTENT_TYPE = so.HEADER_CONTENT_TYPE.lower()
_EVENT = so.HEADER_EVENT.lower()
_EVENT_ID = so.HEADER_EVENT_ID.lower()
_SIGNATURE = so.HEADER_SIGNATURE.lower()
_RETRY = so.HEADER_RETRY.lower()
_HOOK_TEST = so.HEADER_HOOK_TEST.lower()
_JSON_MEDIA_TYPE = "application/json"

# NetServer's UTC Timestamp with 0-7 fraction digits (reference §3.6).
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.([0-9]{1,7}))?Z")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder built once: json.loads with keyword arguments builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def timestamp_key(value: object) -> int | None:
    """Return an integer that orders NetServer ``Timestamp`` strings in time, or None if malformed.

    Fractions are padded to 7 digits, so ``…42.089895Z`` and ``…42.0898950Z`` compare equal.
    """
    if not isinstance(value, str):
        return None
    match = _TIMESTAMP.fullmatch(value)
    if match is None:
        return None
    digits = value[0:4] + value[5:7] + value[8:10] + value[11:13] + value[14:16] + value[17:19]
    return int(digits + (match.group(1) or "").ljust(7, "0"))


# --- the pure checker ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """The checker's judgement of one received request."""

    ok: bool
    problems: tuple[str, ...]
    event: str | None
    event_id: str | None
    session_id: int | None
    duplicate: bool = False
    retry: str | None = None  # the X-SuperOffice-Retry value, as sent
    test_ping: bool = False  # the registration ping: ``test`` with ``X-Hook-Test: true``


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts over every request a checker has judged (a snapshot)."""

    received: int = 0
    accepted: int = 0  # verdicts without problems
    duplicates: int = 0
    retries: int = 0  # requests carrying X-SuperOffice-Retry
    tests: int = 0  # accepted registration pings
    sessions: int = 0  # distinct chat sessions seen
    event_ids: int = 0  # distinct EventIds accepted
    events: Mapping[str, int] = field(default_factory=dict)  # well-formed requests per event name
    problems: Mapping[str, int] = field(default_factory=dict)  # requests per problem kind

    @property
    def failed(self) -> int:
        """Requests with at least one problem."""
        return self.received - self.accepted


class WebhookChecker:
    """Judge webhook requests one by one, and remember what is needed to spot retries and disorder."""

    def __init__(
        self,
        secret: str | None,
        *,
        require_signature: bool | None = None,
        check_order: bool = True,
    ) -> None:
        """Check signatures with ``secret``; ``check_order=False`` skips the per-session checks."""
        if require_signature is None:
            require_signature = secret is not None
        if require_signature and secret is None:
            raise UsageError("a signature can only be required together with a secret")
        self._secret = secret
        self._require_signature = require_signature
        self._check_order = check_order
        self._bodies: dict[str, int] = {}  # EventId -> hash of the first body (process-local)
        self._sessions: dict[int, int] = {}  # PrimaryKey -> latest timestamp_key
        self._received = 0
        self._accepted = 0
        self._duplicates = 0
        self._retries = 0
        self._tests = 0
        self._events: dict[str, int] = {}
        self._problems: dict[str, int] = {}

    def check(
        self, method: str, headers: Mapping[str, str] | Iterable[tuple[str, str]], body: bytes
    ) -> Verdict:
        """Judge one request; header names match case-insensitively and the body is the raw bytes."""
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        return self.check_lowered(method, {name.lower(): value for name, value in pairs}, body)

    def check_lowered(self, method: str, headers: Mapping[str, str], body: bytes) -> Verdict:
        """Like ``check``, for headers already keyed by lower-case name (the server's fast path)."""
        retry = headers.get(_RETRY)
        if method != "POST":
            verdict = Verdict(False, (UNEXPECTED_METHOD,), None, None, None, retry=retry)
            return self._count(verdict, well_formed=False)
        problems: list[str] = []
        self._check_signature(headers.get(_SIGNATURE), body, problems)
        content_type = headers.get(_CONTENT_TYPE)
        if content_type is None or not content_type.lower().startswith(_JSON_MEDIA_TYPE):
            problems.append(WRONG_CONTENT_TYPE)
        header_event = headers.get(_EVENT)
        header_event_id = headers.get(_EVENT_ID)
        if header_event is None:
            problems.append(MISSING_HEADER + so.HEADER_EVENT)
        if header_event_id is None:
            problems.append(MISSING_HEADER + so.HEADER_EVENT_ID)
        event, event_id, session_id, ticks = header_event, header_event_id, None, None
        doc = _parse_object(body, problems)
        if doc is not None:
            event = _str_field(doc, "Event", header_event, EVENT_MISMATCH, problems)
            event_id = _str_field(doc, "EventId", header_event_id, EVENT_ID_MISMATCH, problems)
            ticks = timestamp_key(doc.get("Timestamp"))
            if ticks is None:
                problems.append(BAD_FIELD + "Timestamp")
            session_id = _session_id(doc, event, problems)
        # Only well-formed requests (verified, when there is a secret) may change what is remembered.
        well_formed = not problems
        duplicate = False
        if well_formed and event_id is not None:
            duplicate = self._remember(event_id, body, problems)
            if session_id is not None and ticks is not None and not duplicate and self._check_order:
                self._follow_session(session_id, event, ticks, problems)
        test_ping = event == so.EVENT_TEST and headers.get(_HOOK_TEST, "").lower() == "true"
        verdict = Verdict(
            not problems, tuple(problems), event, event_id, session_id, duplicate, retry, test_ping
        )
        return self._count(verdict, well_formed=well_formed)

    @property
    def tally(self) -> Tally:
        """A snapshot of the counts so far."""
        return Tally(
            received=self._received,
            accepted=self._accepted,
            duplicates=self._duplicates,
            retries=self._retries,
            tests=self._tests,
            sessions=len(self._sessions),
            event_ids=len(self._bodies),
            events=dict(self._events),
            problems=dict(self._problems),
        )

    def _check_signature(self, signature: str | None, body: bytes, problems: list[str]) -> None:
        if signature is None:
            if self._require_signature:
                problems.append(MISSING_SIGNATURE)
        elif self._secret is not None and not verify(body, self._secret, signature):
            problems.append(BAD_SIGNATURE)

    def _remember(self, event_id: str, body: bytes, problems: list[str]) -> bool:
        """Record the EventId; tell whether it was seen before (a retry or a reuse)."""
        digest = hash(body)
        first = self._bodies.get(event_id)
        if first is None:
            self._bodies[event_id] = digest
            return False
        if first != digest:
            problems.append(EVENT_ID_REUSED)
        return True

    def _follow_session(self, session_id: int, event: str | None, ticks: int, problems: list[str]) -> None:
        latest = self._sessions.get(session_id)
        if latest is None:
            if event != so.EVENT_CREATED:
                problems.append(CREATED_NOT_FIRST)
            self._sessions[session_id] = ticks
            return
        if event == so.EVENT_CREATED:
            problems.append(CREATED_NOT_FIRST)
        if ticks < latest:
            problems.append(TIMESTAMP_BACKWARDS)
        else:
            self._sessions[session_id] = ticks

    def _count(self, verdict: Verdict, *, well_formed: bool) -> Verdict:
        self._received += 1
        if verdict.ok:
            self._accepted += 1
            self._tests += verdict.test_ping
        self._duplicates += verdict.duplicate
        if verdict.retry is not None:
            self._retries += 1
        # A flood of forged requests must not grow this dict with made-up event names.
        if well_formed and verdict.event is not None:
            self._events[verdict.event] = self._events.get(verdict.event, 0) + 1
        for problem in verdict.problems:
            self._problems[problem] = self._problems.get(problem, 0) + 1
        return verdict


def _parse_object(body: bytes, problems: list[str]) -> dict[str, Any] | None:
    """Parse the body as strict UTF-8 JSON (no NaN/Infinity, no trailing commas) holding an object."""
    try:
        doc = _DECODER.decode(body.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are both ValueErrors
        problems.append(INVALID_JSON)
        return None
    if not isinstance(doc, dict):
        problems.append(NOT_AN_OBJECT)
        return None
    return doc


def _str_field(
    doc: Mapping[str, Any], key: str, header: str | None, mismatch: str, problems: list[str]
) -> str | None:
    """Return the body's string ``key``, noting when it is missing or differs from its header."""
    value = doc.get(key)
    if not isinstance(value, str):
        problems.append(BAD_FIELD + key)
        return header
    if header is not None and header != value:
        problems.append(mismatch)
    return value


def _session_id(doc: Mapping[str, Any], event: str | None, problems: list[str]) -> int | None:
    """Return the chat session's PrimaryKey, or None for payloads of other entities."""
    entity = doc.get("Entity")
    if entity != so.ENTITY_CHATSESSION:
        if event in so.CHAT_EVENTS:
            problems.append(BAD_FIELD + "Entity")
        return None
    key = doc.get("PrimaryKey")
    if type(key) is not int:  # bool is an int subclass, and not a key
        problems.append(BAD_FIELD + "PrimaryKey")
        return None
    return key


def verdict_table(tally: Tally) -> list[tuple[str, str]]:
    """Rows (label, value) summarising a tally, events and problems last."""
    rows = [
        ("received", str(tally.received)),
        ("accepted", str(tally.accepted)),
        ("with problems", str(tally.failed)),
        ("duplicates (same EventId)", str(tally.duplicates)),
        ("distinct EventIds", str(tally.event_ids)),
        ("retries (X-SuperOffice-Retry)", str(tally.retries)),
        ("chat sessions", str(tally.sessions)),
        ("test pings", str(tally.tests)),
    ]
    rows.extend((f"event {name}", str(n)) for name, n in sorted(tally.events.items()))
    rows.extend((f"problem {name}", str(n)) for name, n in sorted(tally.problems.items()))
    return rows


def verdict_ok(tally: Tally) -> bool:
    """Tell whether every request passed; retries of the same bytes do not count against it."""
    return not any(tally.problems.values())


# --- the HTTP server ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReceiverConfig:
    """How the receiver listens and answers."""

    host: str = "127.0.0.1"
    port: int = 0  # 0 picks a free port
    secret: str | None = None
    respond: int = 200  # status for accepted requests
    reject_status: int = 401  # bad or missing signature; other malformed requests get 400
    fail_rate: float = 0.0  # share of requests answered ``fail_status`` regardless (seeded)
    fail_status: int = 500
    latency_s: float = 0.0  # added before each answer, without blocking other requests
    seed: int = 0
    path: str | None = None  # if set, other paths get 404

    def __post_init__(self) -> None:
        for name in ("respond", "reject_status", "fail_status"):
            if not 100 <= getattr(self, name) <= 599:
                raise UsageError(f"{name}: {getattr(self, name)} is not an HTTP status")
        if not 0.0 <= self.fail_rate <= 1.0:
            raise UsageError(f"fail_rate: {self.fail_rate} is not between 0 and 1")
        if self.latency_s < 0:
            raise UsageError(f"latency_s: {self.latency_s} is negative")
        if self.path is not None and not self.path.startswith("/"):
            raise UsageError(f"path: {self.path!r} does not start with '/'")


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request as it arrived, and the status it was answered with."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]  # as received, original case and order
    body: bytes
    received_at: float  # time.time()
    status: int

    def header(self, name: str) -> str | None:
        """Return a header's value, matching the name case-insensitively."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


OnRequest = Callable[[ReceivedRequest, Verdict], None]

MAX_BODY_BYTES = 16 * 1024 * 1024


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
        self._checker = checker or WebhookChecker(self._config.secret)
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

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, though they implement it.
        self._transport = cast(asyncio.Transport, transport)
        self._receiver._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._receiver._connections.discard(self)
        self._closing = True
        for task in self._pending:
            task.cancel()

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserCallbackError:
            raise  # our own bug: let asyncio report it rather than blame the client
        except httptools.HttpParserUpgrade:
            pass  # answered 501 in on_message_complete, and the connection is closing
        except httptools.HttpParserError:
            self._write(_response(400, b"malformed HTTP request\n", "close"), close=True)

    def pause_writing(self) -> None:
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        if self._transport is not None and not self._closing:
            self._transport.resume_reading()

    # httptools callbacks

    def on_message_begin(self) -> None:
        self._request = _Parsed()

    def on_url(self, url: bytes) -> None:
        self._request.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1")
        text = value.decode("latin-1")
        self._request.headers.append((key, text))
        self._request.lowered[key.lower()] = text

    def on_headers_complete(self) -> None:
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
        if request.size <= MAX_BODY_BYTES:
            request.chunks.append(body)

    def on_message_complete(self) -> None:
        if self._closing:
            return
        request = self._request
        if self._parser.should_upgrade():
            # httptools skips the body of an Upgrade request (curl --http2 sends one): refuse it
            # plainly instead of judging a body that never arrived.
            self._write(_response(501, b"protocol upgrade not supported\n", "close"), close=True)
            return
        if request.size > MAX_BODY_BYTES:
            self._closing = True
            self._write(_response(413, b"body too large\n", "close"), close=True)
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


def _new_event_loop(use_uvloop: bool) -> asyncio.AbstractEventLoop:
    if use_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
            return loop
    return asyncio.new_event_loop()


class ReceiverThread:
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
        self._use_uvloop = use_uvloop
        self._start_timeout_s = start_timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

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

    def start(self) -> ReceiverThread:
        """Start the thread and return once the socket is listening."""
        if self._thread is not None:
            raise RuntimeError("receiver thread already started")
        self._thread = threading.Thread(target=self._run, name="sosim-receiver", daemon=True)
        self._thread.start()
        if not self._ready.wait(self._start_timeout_s):
            raise RuntimeError("receiver did not start in time")
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop has already ended and closed
            loop.call_soon_threadsafe(loop.stop)
        thread.join()
        self._thread = None

    def __enter__(self) -> ReceiverThread:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self) -> None:
        loop = _new_event_loop(self._use_uvloop)
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            try:
                loop.run_until_complete(self.receiver.start())
            except BaseException as exc:  # handed to the starting thread, which raises it
                self._error = exc
                return
            finally:
                self._ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self.receiver.stop())
        finally:
            loop.close()
