"""Delivery transports: one interface, two engines.

Like httpx's ``AsyncBaseTransport``, every transport turns (headers, body) into a
:class:`~simulator.core.outcome.Response` or raises :class:`TransportError`, so the delivery engine
never knows which one it drives:

* :class:`HttpxTransport` is the general client: http, https, HTTP/2 when ``h2`` is installed,
  proxies from the environment, and ASGI apps in process.
* :class:`LeanTransport` is the load engine: asyncio (uvloop when installed), HTTP/1.1 keep-alive
  and the httptools response parser, tens of thousands of requests per second on one core. It
  lives in :mod:`simulator.delivery.lean` and is loaded on first use.

:func:`open_transport` picks one from a target URL.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import os
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol
from urllib.parse import quote, urlsplit

import httpx

from simulator.core.defaults import CONCURRENCY, TIMEOUT_S
from simulator.core.errors import UsageError
from simulator.core.outcome import ErrorKind, Response
from simulator.core.urls import mask_url
from simulator.delivery.exchange import Headers as Headers  # re-exported: the transports' header type

if TYPE_CHECKING:
    from simulator.delivery.lean import LeanTransport

__all__ = [
    "RESPONSE_BODY_LIMIT",
    "RESPONSE_HEAD_LIMIT",
    "RESPONSE_HEAD_LINES_LIMIT",
    "AsyncTransport",
    "Engine",
    "HttpxTransport",
    "LeanTransport",
    "TransportError",
    "install_uvloop",
    "open_transport",
]

Engine = Literal["auto", "httpx", "lean"]

#: Bytes of a response body kept in ``Response.body``; the rest is read and dropped.
RESPONSE_BODY_LIMIT = 4096
#: The most bytes and lines a response's status line and headers may take (interim 1xx answers
#: included): a server that sends headers without end fails the attempt instead of filling memory.
RESPONSE_HEAD_LIMIT = 64 * 1024
RESPONSE_HEAD_LINES_LIMIT = 200

_ENGINES: tuple[Engine, ...] = ("auto", "httpx", "lean")
_ALLOWED_TARGETS = "http://host[:port]/path, https://host[:port]/path or asgi://package.module:app/path"
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


def __getattr__(name: str) -> type[LeanTransport]:
    """Load the lean engine on first use of ``LeanTransport`` (it imports this module)."""
    if name == "LeanTransport":
        from simulator.delivery.lean import LeanTransport

        return LeanTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def install_uvloop() -> bool:
    """Use uvloop's event loop policy when uvloop is importable; return whether it did.

    Call before ``asyncio.run``.
    """
    from simulator.delivery.eventloop import uvloop_policy

    policy = uvloop_policy()
    if policy is None:
        return False
    asyncio.set_event_loop_policy(policy)
    return True


def open_transport(
    target: str,
    *,
    engine: Engine = "auto",
    timeout: float = TIMEOUT_S,
    concurrency: int = CONCURRENCY,
    verify: bool = True,
) -> AsyncTransport:
    """Open the transport for ``target``: ``http://``, ``https://`` or ``asgi://module:app/path``.

    ``auto`` picks :class:`LeanTransport` for plain http:// and :class:`HttpxTransport` for
    everything else. ``asgi://package.module:app/path`` imports that ASGI app and calls it in
    process. Raises :class:`~simulator.core.errors.UsageError` for anything else.
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
        from simulator.delivery.lean import LeanTransport

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
        raise UsageError(f"unsupported target {mask_url(target)!r}: use {_ALLOWED_TARGETS}")
    return scheme


def parse_http_target(target: str) -> _HttpTarget:
    if _scheme(target) == "asgi":
        raise UsageError(f"{mask_url(target)!r} is an ASGI app, not a network address: use open_transport")
    parts = urlsplit(target)
    try:
        port = parts.port
    except ValueError:
        raise UsageError(f"invalid port in target {mask_url(target)!r}: use {_ALLOWED_TARGETS}") from None
    if not parts.hostname:
        raise UsageError(f"no host in target {mask_url(target)!r}: use {_ALLOWED_TARGETS}")
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
    return parse_http_target(target).path


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


def check_limits(timeout: float, concurrency: int) -> None:
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
        timeout: float = TIMEOUT_S,
        concurrency: int = CONCURRENCY,
        app: object | None = None,
        verify: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        check_limits(timeout, concurrency)
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
                parse_http_target(target)
        #: Requests sent again because a kept-alive connection was closed before answering.
        self.stale_resends = 0
        self._stale_retries = concurrency + 1  # tries beyond the first, each on another connection
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
        return await self._exchange(request, self._timeout)

    async def send_slowly(
        self, headers: Headers, body: bytes, *, chunks: int = 8, interval_s: float = 0.1
    ) -> Response:
        """Send with the body trickling in ``chunks`` pieces ``interval_s`` apart (``slow-body``)."""
        size = max(1, -(-len(body) // chunks))

        async def trickle() -> AsyncIterator[bytes]:
            for start in range(0, len(body), size):
                await asyncio.sleep(interval_s)
                yield body[start : start + size]

        named = {name.lower() for name, _ in headers}
        length = () if "content-length" in named else (("Content-Length", str(len(body))),)
        raw_headers = [(name.encode(), value.encode()) for name, value in (*headers, *length)]
        request = httpx.Request("POST", self._url, headers=raw_headers, content=trickle())
        # The trickled body cannot be sent twice, so a stale connection is not retried here.
        return await self._exchange(request, self._timeout + chunks * interval_s, resend=False)

    async def aclose(self) -> None:
        """Close the client and its connections."""
        await self._client.aclose()

    async def _exchange(self, request: httpx.Request, timeout_s: float, *, resend: bool = True) -> Response:
        """Send ``request`` within a slot and ``timeout_s``; read the answer (body capped)."""
        async with self._slots:
            try:
                async with asyncio.timeout(timeout_s):
                    response = await (
                        self._send_fresh(request) if resend else self._client.send(request, stream=True)
                    )
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

    async def _send_fresh(self, request: httpx.Request) -> httpx.Response:
        """Send; again when a kept-alive connection was closed before it answered (a stale one).

        A server's idle timeout can close a pooled connection just as a request goes out on it:
        httpx then fails with "Server disconnected without sending a response" although the
        server never took the request. As the lean engine, browsers and urllib3 do, the request
        goes out again, and it is not a failed attempt: the caller sees only the answer. Only a
        connection that was reused qualifies (a new one that drops the request is a real failure),
        and only before a complete response head; each resend that lands on another stale pooled
        connection may go again, at most once per pooled connection, within the same timeout.
        h11 cannot tell "no byte" from "part of a status line" before the close, so a server
        that started answering and then dropped the connection would get the request twice:
        with the same EventId, which is what receivers deduplicate on (SuperOffice resends an
        event with the same EventId within a cycle, docs: webhooks "Retries"); we accept that
        rare duplicate over counting a request that never reached the server as failed.
        """
        for _ in range(self._stale_retries):
            probe = _StaleProbe()
            request.extensions["trace"] = probe
            try:
                return await self._client.send(request, stream=True)
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as exc:
                if not probe.stale(exc):
                    raise
            self.stale_resends += 1
        request.extensions.pop("trace", None)
        return await self._client.send(request, stream=True)


class _StaleProbe:
    """httpcore's trace of one try: did it open a connection, did a response head arrive?"""

    __slots__ = ("answered", "connected", "sent")

    def __init__(self) -> None:
        self.connected = False  # a new connection was opened for this try
        self.sent = False  # the request went to a connection (an in-process app sends no trace)
        self.answered = False  # a complete response head arrived

    async def __call__(self, name: str, info: Mapping[str, object]) -> None:
        if name.startswith("connection.connect_tcp."):
            self.connected = True
        elif name.endswith(".send_request_headers.started"):
            self.sent = True
        elif name.endswith(".receive_response_headers.complete"):
            self.answered = True

    def stale(self, error: httpx.RequestError) -> bool:
        """The try failed on a reused connection that the server closed before answering."""
        if self.connected or self.answered or not self.sent:
            return False
        if isinstance(error, httpx.RemoteProtocolError):
            return _SERVER_GONE in str(error)
        return True  # a reset while writing the request or waiting for its answer


#: httpcore's words when the connection closed before a response head came (h11 state SEND_RESPONSE).
_SERVER_GONE = "without sending a response"


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
