"""The general engine: :class:`HttpxTransport`, the :class:`~simulator.delivery.transport.AsyncTransport`
on httpx for https, HTTP/2, proxies from the environment and ASGI apps in process.

A module of its own so that httpx (about 40 ms to import) loads only for the targets that need
it: a plain http:// run or replay goes through the lean engine and never imports it. Import it
from :mod:`simulator.delivery.transport`, which loads this module on first use.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import AsyncIterator, Mapping

import httpx

from simulator.core.defaults import CONCURRENCY, TIMEOUT_S
from simulator.core.outcome import Response
from simulator.delivery.exchange import Headers
from simulator.delivery.transport import (
    RESPONSE_BODY_LIMIT,
    TransportError,
    _target_path,
    check_limits,
    describe_os_error,
    parse_http_target,
)

__all__ = ["HttpxTransport"]


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
        return TransportError("connect", _os_detail(exc) or detail)
    return TransportError("protocol", detail)


def _os_detail(exc: httpx.RequestError) -> str | None:
    """``host:port: Connection refused``, as the lean engine says it (the URL's authority, then
    the OS error's words), from the OS error under an httpx one, whose own words are "All
    connection attempts failed"; None when there is none."""
    cause = _os_error_under(exc)
    if cause is None:
        return None
    request = getattr(exc, "_request", None)  # httpx.RequestError.request raises when unset
    where = f"{request.url.netloc.decode('ascii')}: " if request is not None else ""
    return where + describe_os_error(cause)


def _os_error_under(exc: BaseException) -> OSError | None:
    """The first OS error with an errno in ``exc``'s chain of causes (httpx, httpcore, anyio, the OS)."""
    cause: BaseException | None = exc
    for _ in range(8):  # the chain is short; a cycle must not loop forever
        if cause is None:
            return None
        if isinstance(cause, OSError) and cause.errno:
            return cause
        cause = cause.__cause__ or cause.__context__
    return None
