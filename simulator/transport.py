"""Delivery transports: one interface, two engines.

Like httpx's ``AsyncBaseTransport``, every transport turns (headers, body) into a
:class:`~simulator.outcome.Response` or raises :class:`TransportError`, so the delivery engine
never knows which one it drives:

* :class:`HttpxTransport` is the general client: http, https, HTTP/2 when ``h2`` is installed,
  proxies from the environment, and ASGI apps in process.
* :class:`LeanTransport` is the load engine: asyncio (uvloop when installed), HTTP/1.1 keep-alive
  and the httptools response parser, tens of thousands of requests per second on one core.

:func:`open_transport` picks one from a target URL.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
import socket
import ssl
import sys
from dataclasses import dataclass
from functools import partial
from typing import Literal, Protocol, cast
from urllib.parse import quote, urlsplit

import httptools
import httpx

from simulator.errors import UsageError
from simulator.outcome import ErrorKind, Response

__all__ = [
    "RESPONSE_BODY_LIMIT",
    "AsyncTransport",
    "Engine",
    "HttpxTransport",
    "LeanTransport",
    "TransportError",
    "install_uvloop",
    "open_transport",
]

Headers = tuple[tuple[str, str], ...]
Engine = Literal["auto", "httpx", "lean"]

#: Bytes of a response body kept in ``Response.body``; the rest is read and dropped.
RESPONSE_BODY_LIMIT = 4096

_ENGINES: tuple[Engine, ...] = ("auto", "httpx", "lean")
_ALLOWED_TARGETS = "http://host[:port]/path, https://host[:port]/path or asgi://package.module:app/path"
# Names a caller may set itself; the transports then leave theirs out, as httpx does.
_OWN_HEADERS = frozenset(("host", "content-length"))
_OWN_HEADER_LENGTHS = frozenset(len(name) for name in _OWN_HEADERS)
# Everything RFC 3986 allows in a path and query stays as given; only the rest is escaped.
_PATH_SAFE = "!#$%&'()*+,/:;=?@[]~"


class TransportError(Exception):
    """A failed attempt that got no HTTP answer."""

    def __init__(self, kind: ErrorKind, detail: str) -> None:
        super().__init__(kind, detail)
        self.kind: ErrorKind = kind
        self.detail = detail

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


class AsyncTransport(Protocol):
    """What the delivery engine drives: POST exact headers and body to one target URL."""

    target: str

    async def send(self, headers: Headers, body: bytes) -> Response:
        """POST ``body`` with exactly ``headers`` (plus Host and Content-Length) to the target.

        Header names and values go on the wire as UTF-8. The timeout covers connect, send and
        the full response. Raises :class:`TransportError` on timeout, refused or reset
        connections and unparsable responses.
        """
        ...

    async def aclose(self) -> None:
        """Close every connection; the transport cannot send afterwards."""
        ...


def install_uvloop() -> bool:
    """Use uvloop's event loop policy when uvloop is importable; return whether it did.

    Call before ``asyncio.run``.
    """
    try:
        import uvloop
    except ImportError:
        return False
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    return True


def open_transport(
    target: str,
    *,
    engine: Engine = "auto",
    timeout: float = 10.0,
    concurrency: int = 64,
    verify: bool = True,
) -> AsyncTransport:
    """Open the transport for ``target``: ``http://``, ``https://`` or ``asgi://module:app/path``.

    ``auto`` picks :class:`LeanTransport` for plain http:// and :class:`HttpxTransport` for
    everything else. ``asgi://package.module:app/path`` imports that ASGI app and calls it in
    process. Raises :class:`~simulator.errors.UsageError` for anything else.
    """
    if engine not in _ENGINES:
        raise UsageError(f"unknown delivery engine {engine!r}: use auto, httpx or lean")
    scheme = _scheme(target)
    if scheme == "asgi":
        if engine == "lean":
            raise UsageError(
                f"the lean engine cannot call an ASGI app ({target!r}): use engine auto or httpx"
            )
        app = _load_asgi_app(target)
        return HttpxTransport(target, timeout=timeout, concurrency=concurrency, app=app, verify=verify)
    if engine == "lean" or (engine == "auto" and scheme == "http"):
        return LeanTransport(target, timeout=timeout, concurrency=concurrency, verify=verify)
    return HttpxTransport(target, timeout=timeout, concurrency=concurrency, verify=verify)


# --- targets ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _HttpTarget:
    """An http(s) URL split into what a connection needs."""

    scheme: str
    host: str
    port: int
    authority: str  # the Host header: host[:port] as the URL spells it
    path: str  # request target: path and query, percent-escaped where needed


def _scheme(target: str) -> str:
    scheme, sep, _ = target.partition("://")
    scheme = scheme.lower()
    if not sep or scheme not in ("http", "https", "asgi"):
        raise UsageError(f"unsupported target {target!r}: use {_ALLOWED_TARGETS}")
    return scheme


def _parse_http_target(target: str) -> _HttpTarget:
    if _scheme(target) == "asgi":
        raise UsageError(f"{target!r} is an ASGI app, not a network address: use open_transport")
    parts = urlsplit(target)
    try:
        port = parts.port
    except ValueError:
        raise UsageError(f"invalid port in target {target!r}: use {_ALLOWED_TARGETS}") from None
    if not parts.hostname:
        raise UsageError(f"no host in target {target!r}: use {_ALLOWED_TARGETS}")
    scheme = parts.scheme.lower()
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    authority = parts.netloc.rpartition("@")[2]
    if not authority.isascii():
        authority = parts.hostname.encode("idna").decode("ascii") + (f":{port}" if port else "")
    return _HttpTarget(
        scheme=scheme,
        host=parts.hostname,
        port=port or (443 if scheme == "https" else 80),
        authority=authority,
        path=quote(path, safe=_PATH_SAFE),
    )


def _split_asgi_target(target: str) -> tuple[str, str, str]:
    """Split ``asgi://package.module:attr/path`` into (module, attr, path)."""
    spec, slash, path = target.partition("://")[2].partition("/")
    module, colon, attr = spec.partition(":")
    if not (module and colon and attr):
        raise UsageError(f"invalid ASGI target {target!r}: use asgi://package.module:app/path")
    return module, attr, slash + path or "/"


def _target_path(target: str) -> str:
    """The path and query an in-process app sees for ``target`` (asgi:// or http(s)://)."""
    if _scheme(target) == "asgi":
        return _split_asgi_target(target)[2]
    return _parse_http_target(target).path


def _load_asgi_app(target: str) -> object:
    module_name, attr, _ = _split_asgi_target(target)
    # Like uvicorn's default --app-dir, so `asgi://myreceiver:app` finds ./myreceiver.py when
    # sosim runs as a console script (whose sys.path does not hold the working directory).
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.append(cwd)
    try:
        obj: object = importlib.import_module(module_name)
    except Exception as exc:  # any failure while importing the user's module is a usage problem
        raise UsageError(
            f"cannot load ASGI app from {target!r}: importing {module_name!r} failed "
            f"({type(exc).__name__}: {exc})"
        ) from None
    for name in attr.split("."):
        try:
            obj = getattr(obj, name)
        except AttributeError:
            raise UsageError(f"cannot load ASGI app from {target!r}: {module_name} has no {attr!r}") from None
    if not callable(obj):
        raise UsageError(f"cannot load ASGI app from {target!r}: {module_name}:{attr} is not callable")
    return obj


def _check_limits(timeout: float, concurrency: int) -> None:
    if timeout <= 0:
        raise UsageError(f"timeout must be positive, got {timeout!r}")
    if concurrency < 1:
        raise UsageError(f"concurrency must be at least 1, got {concurrency!r}")


# --- httpx ----------------------------------------------------------------------------


class HttpxTransport:
    """The general client on httpx: http, https, HTTP/2 when ``h2`` is installed, env proxies, ASGI."""

    def __init__(
        self,
        target: str,
        *,
        timeout: float = 10.0,
        concurrency: int = 64,
        app: object | None = None,
        verify: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        _check_limits(timeout, concurrency)
        self.target = target
        self._timeout = timeout
        self._timeout_detail = f"no complete response within {timeout:g} s"
        # The pool never makes a request wait: the semaphore queues it before the timeout starts,
        # as LeanTransport does, so the timeout measures the target and not our own queue.
        self._slots = asyncio.Semaphore(concurrency)
        if app is not None:
            self._url = httpx.URL("http://localhost" + _target_path(target))
            # An app that crashes answers 500, as it would behind a real server.
            transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
        else:
            self._url = httpx.URL(target)
            if transport is None:
                _parse_http_target(target)
        self._client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            verify=verify,
            http2=importlib.util.find_spec("h2") is not None,
            follow_redirects=False,
        )

    async def send(self, headers: Headers, body: bytes) -> Response:
        """POST ``body`` with exactly ``headers`` (plus Host and Content-Length) to the target."""
        # A bare Request, not client.post: the client's default headers (Accept, User-Agent, ...)
        # must not reach the receiver. Headers go as UTF-8 bytes, as in LeanTransport (httpx
        # itself would refuse a non-ASCII value such as a customer's name).
        raw_headers = [(name.encode(), value.encode()) for name, value in headers]
        request = httpx.Request("POST", self._url, headers=raw_headers, content=body)
        async with self._slots:
            try:
                async with asyncio.timeout(self._timeout):
                    response = await self._client.send(request, stream=True)
                    try:
                        kept = await _read_capped(response)
                    finally:
                        await response.aclose()
            except TimeoutError:
                raise TransportError("timeout", self._timeout_detail) from None
            except httpx.RequestError as exc:
                raise _from_httpx_error(exc) from None
        raw = response.headers.raw
        return Response(
            response.status_code,
            tuple((name.decode("latin-1"), value.decode("latin-1")) for name, value in raw),
            kept,
        )

    async def aclose(self) -> None:
        """Close the client and its connections."""
        await self._client.aclose()


async def _read_capped(response: httpx.Response) -> bytes:
    """Read the whole body, keep its first RESPONSE_BODY_LIMIT bytes (as sent, not decoded)."""
    if response.is_stream_consumed:  # built from bytes, as httpx.MockTransport handlers do
        return response.content[:RESPONSE_BODY_LIMIT]
    parts: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        if size < RESPONSE_BODY_LIMIT:
            part = chunk[: RESPONSE_BODY_LIMIT - size]
            parts.append(part)
            size += len(part)
    return b"".join(parts)


def _from_httpx_error(exc: httpx.RequestError) -> TransportError:
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        return TransportError("timeout", detail)
    if isinstance(exc, httpx.NetworkError | httpx.ProxyError):
        return TransportError("connect", detail)
    return TransportError("protocol", detail)


# --- lean -----------------------------------------------------------------------------


class _Disconnected(TransportError):
    """The connection ended without a complete response."""

    def __init__(self, kind: ErrorKind, detail: str, *, before_response: bool) -> None:
        super().__init__(kind, detail)
        self.before_response = before_response


def _describe_os_error(exc: OSError) -> str:
    if isinstance(exc, socket.gaierror) or not exc.errno:
        return exc.strerror or str(exc) or type(exc).__name__
    return os.strerror(exc.errno)


class _Connection(asyncio.Protocol):
    """One persistent HTTP/1.1 connection: one request in flight, its response parsed by httptools."""

    __slots__ = (
        "_body",
        "_body_size",
        "_got_bytes",
        "_headers",
        "_headers_done",
        "_loop",
        "_parser",
        "_waiter",
        "closed",
        "keep_alive",
        "lost",
        "reused",
        "transport",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[Response] | None = None
        self._headers: list[tuple[str, str]] = []
        self._body: list[bytes] = []
        self._body_size = 0
        self._headers_done = False
        self._got_bytes = False
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.keep_alive = False
        self.reused = False
        self.lost: asyncio.Future[None] = loop.create_future()

    # -- used by LeanTransport

    def request(self, data: bytes) -> asyncio.Future[Response]:
        """Write one request and return the future of its response."""
        assert self.transport is not None  # connection_made ran before create_connection returned
        self._waiter = waiter = self._loop.create_future()
        self._reset_response()
        self._got_bytes = False
        self.keep_alive = False
        self.transport.write(data)
        return waiter

    def usable(self) -> bool:
        """Whether the connection can carry another request."""
        return not self.closed and self.transport is not None and not self.transport.is_closing()

    def time_out(self, detail: str) -> None:
        """Fail the request in flight and drop the connection (its state is unknown)."""
        self._fail(TransportError("timeout", detail))
        self.close(abort=True)

    def close(self, *, abort: bool = False) -> None:
        """Close the connection; ``abort`` skips flushing what is still buffered."""
        self.closed = True
        if self.transport is not None:
            if abort:
                self.transport.abort()
            else:
                self.transport.close()

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport."""
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        """Feed response bytes to the parser."""
        if self._waiter is None:
            # Bytes nobody asked for (say a 408 before an idle close): the connection is unusable.
            self.close(abort=True)
            return
        self._got_bytes = True
        try:
            self._parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            self._fail(TransportError("protocol", f"invalid HTTP response: {exc}"))
            self.close(abort=True)

    def eof_received(self) -> bool | None:
        """Mark the connection closed as soon as the server half-closes it."""
        self.closed = True
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        """Settle the request in flight: a close-delimited body ends here, anything else fails."""
        self.closed = True
        if not self.lost.done():
            self.lost.set_result(None)
        if self._waiter is None:
            return
        if self._headers_done and not self._is_framed():
            self.keep_alive = False
            self._complete()
            return
        before_response = not self._got_bytes
        if exc is None:
            when = "before responding" if before_response else "in the middle of the response"
            detail = f"server closed the connection {when}"
            self._fail(_Disconnected("protocol", detail, before_response=before_response))
        else:
            detail = _describe_os_error(exc) if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
            self._fail(_Disconnected("connect", detail, before_response=before_response))

    # -- httptools callbacks

    def on_header(self, name: bytes, value: bytes) -> None:
        """Collect one response header."""
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        """Note that the status line and headers are in."""
        self._headers_done = True

    def on_body(self, body: bytes) -> None:
        """Keep the start of the body, drop the rest."""
        room = RESPONSE_BODY_LIMIT - self._body_size
        if room > 0:
            part = body[:room] if len(body) > room else body
            self._body.append(part)
            self._body_size += len(part)

    def on_message_complete(self) -> None:
        """Resolve the request with the response, unless it was an interim 1xx answer."""
        if self._parser.get_status_code() < 200:
            self._reset_response()  # the final answer follows on the same connection
            return
        self.keep_alive = self._parser.should_keep_alive()
        self._complete()

    # -- internals

    def _reset_response(self) -> None:
        self._headers.clear()
        self._body.clear()
        self._body_size = 0
        self._headers_done = False

    def _complete(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            response = Response(self._parser.get_status_code(), tuple(self._headers), b"".join(self._body))
            waiter.set_result(response)

    def _fail(self, error: TransportError) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def _is_framed(self) -> bool:
        """Whether the response announced its length (otherwise the body runs until the close)."""
        return any(name.lower() in ("content-length", "transfer-encoding") for name, _ in self._headers)


class LeanTransport:
    """The load engine: a bounded pool of keep-alive HTTP/1.1 connections on asyncio and httptools."""

    def __init__(
        self,
        target: str,
        *,
        timeout: float = 10.0,
        concurrency: int = 64,
        verify: bool = True,
    ) -> None:
        _check_limits(timeout, concurrency)
        parsed = _parse_http_target(target)
        self.target = target
        self._host = parsed.host
        self._port = parsed.port
        self._authority = parsed.authority
        self._timeout = timeout
        self._timeout_detail = f"no complete response within {timeout:g} s"
        self._ssl = _client_ssl_context(verify) if parsed.scheme == "https" else None
        request_line = f"POST {parsed.path} HTTP/1.1\r\n".encode("ascii")
        self._head = request_line + f"Host: {parsed.authority}\r\n".encode("ascii")
        self._head_without_host = request_line
        # One request per connection at a time, so holding a slot is holding (at most) one
        # connection: never more than `concurrency` are open.
        self._slots = asyncio.Semaphore(concurrency)
        self._idle: list[_Connection] = []
        self._closed = False

    def request_bytes(self, headers: Headers, body: bytes) -> bytes:
        """Return the exact bytes :meth:`send` writes: request line, Host, headers, Content-Length, body."""
        head = self._head
        length: bytes | None = b"Content-Length: %d\r\n\r\n" % len(body)
        for name, _ in headers:
            # Cheap length test first: almost no header is 4 or 14 characters long.
            if len(name) in _OWN_HEADER_LENGTHS and name.lower() in _OWN_HEADERS:
                head, length = self._heads_for(headers, len(body))
                break
        if not headers:
            return b"".join((head, length or b"\r\n", body))
        lines = "\r\n".join(map(": ".join, headers)).encode()
        return b"".join((head, lines, b"\r\n", length or b"\r\n", body))

    async def send(self, headers: Headers, body: bytes) -> Response:
        """POST ``body`` with exactly ``headers`` (plus Host and Content-Length) to the target."""
        if self._closed:
            raise RuntimeError("cannot send: this LeanTransport has been closed")
        data = self.request_bytes(headers, body)
        async with self._slots:
            return await self._exchange(data)

    async def aclose(self) -> None:
        """Close every idle connection; connections in use close when their request ends."""
        self._closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        pending = [conn.lost for conn in idle if not conn.lost.done()]
        if pending:
            # Let connection_lost run so the loop can shut down without unclosed-transport warnings.
            await asyncio.wait(pending, timeout=1.0)

    # -- internals

    def _heads_for(self, headers: Headers, body_size: int) -> tuple[bytes, bytes | None]:
        """The request head and Content-Length line when the caller sets Host or Content-Length."""
        names = {name.lower() for name, _ in headers}
        head = self._head_without_host if "host" in names else self._head
        length = None if "content-length" in names else b"Content-Length: %d\r\n\r\n" % body_size
        return head, length

    async def _exchange(self, data: bytes) -> Response:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        conn = self._take_idle()
        if conn is not None:
            try:
                return await self._roundtrip(loop, conn, data, deadline)
            except _Disconnected as exc:
                if not exc.before_response:
                    raise TransportError(exc.kind, exc.detail) from None
                # The server dropped a kept-alive connection before answering (its idle timeout
                # raced our write): nothing was processed, so one retry on a fresh connection
                # is safe, as in browsers and httpcore.
        conn = await self._connect(loop, deadline)
        try:
            return await self._roundtrip(loop, conn, data, deadline)
        except _Disconnected as exc:
            raise TransportError(exc.kind, exc.detail) from None

    def _take_idle(self) -> _Connection | None:
        idle = self._idle
        while idle:
            # Most recently used first: the least likely to have hit the server's idle timeout.
            conn = idle.pop()
            if conn.usable():
                conn.reused = True
                return conn
            conn.close()
        return None

    async def _connect(self, loop: asyncio.AbstractEventLoop, deadline: float) -> _Connection:
        try:
            async with asyncio.timeout_at(deadline):
                _, conn = await loop.create_connection(
                    partial(_Connection, loop),
                    self._host,
                    self._port,
                    ssl=self._ssl,
                    server_hostname=self._host if self._ssl is not None else None,
                )
        except TimeoutError:
            raise TransportError("timeout", f"{self._authority}: {self._timeout_detail}") from None
        except ssl.SSLError as exc:
            raise TransportError("connect", f"{self._authority}: TLS failed: {exc.reason or exc}") from None
        except OSError as exc:
            raise TransportError("connect", f"{self._authority}: {_describe_os_error(exc)}") from None
        return conn

    async def _roundtrip(
        self, loop: asyncio.AbstractEventLoop, conn: _Connection, data: bytes, deadline: float
    ) -> Response:
        waiter = conn.request(data)
        # A bare timer on the future costs less than asyncio.timeout's per-call machinery.
        timer = loop.call_at(deadline, conn.time_out, self._timeout_detail)
        try:
            response = await waiter
        except BaseException:
            conn.close(abort=True)  # failed or cancelled mid-exchange: the connection's state is unknown
            raise
        finally:
            timer.cancel()
        if conn.keep_alive and conn.usable() and not self._closed:
            self._idle.append(conn)
        else:
            conn.close()
        return response


def _client_ssl_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
