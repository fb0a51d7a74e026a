"""One connection of the lean engine: an asyncio protocol with one HTTP/1.1 exchange at a time,
its response parsed by httptools. :class:`~simulator.delivery.lean.LeanTransport` pools these."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import cast

import httptools

from simulator.core.outcome import ErrorKind, Response
from simulator.delivery.exchange import OnDone
from simulator.delivery.transport import (
    RESPONSE_BODY_LIMIT,
    RESPONSE_HEAD_LIMIT,
    RESPONSE_HEAD_LINES_LIMIT,
    TransportError,
    describe_os_error,
)

__all__ = ["Connection", "ConnectionResult", "Disconnected", "OnResult"]

#: How an exchange ends on a connection: the response, or the transport error that stopped it.
ConnectionResult = Response | TransportError
OnResult = Callable[["Connection", ConnectionResult], None]

_tuple = tuple.__new__  # a NamedTuple without its Python-level __new__: once a request
# Response headers that frame the body; without one, the body runs until the server closes.
_FRAMING_HEADERS = (b"content-length", b"transfer-encoding")


class Disconnected(TransportError):
    """The connection ended without a complete response."""

    def __init__(self, kind: ErrorKind, detail: str, *, before_response: bool) -> None:
        super().__init__(kind, detail)
        self.before_response = before_response


class Connection(asyncio.Protocol):
    """One persistent HTTP/1.1 connection: one request in flight, its response parsed by httptools."""

    __slots__ = (
        "_body",
        "_body_size",
        "_got_bytes",
        "_head",
        "_head_lines",
        "_head_size",
        "_headers_done",
        "_on_result",
        "_parser",
        "closed",
        "data",
        "keep_alive",
        "loop",
        "lost",
        "on_done",
        "reused",
        "transport",
        "with_headers",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._parser = httptools.HttpResponseParser(self)
        self._on_result: OnResult | None = None
        self._head: list[bytes] = []  # raw bytes received until the headers were complete
        self._head_size = 0
        self._head_lines = 0
        self._body: list[bytes] = []
        self._body_size = 0
        self._headers_done = False
        self._got_bytes = False
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.keep_alive = False
        self.reused = False
        # The exchange in progress, kept for the pool: its request bytes and its caller.
        self.data = b""
        self.on_done: OnDone | None = None
        self.with_headers = False  # whether the response keeps its headers (parsed from _head)
        self.lost: asyncio.Future[None] = loop.create_future()

    # -- used by LeanTransport

    def start(self, data: bytes, on_result: OnResult) -> None:
        """Write one request; ``on_result`` gets the response or the error, from a later callback."""
        assert self.transport is not None  # connection_made ran before create_connection returned
        self._on_result = on_result
        self._head.clear()
        self._head_size = self._head_lines = 0
        if self._body:  # _reset_response, inlined: this runs once a request
            self._body.clear()
            self._body_size = 0
        self._headers_done = False
        self._got_bytes = False
        self.keep_alive = False
        self.transport.write(data)

    def usable(self) -> bool:
        """Whether the connection can carry another request."""
        return not self.closed and self.transport is not None and not self.transport.is_closing()

    def time_out(self, detail: str) -> None:
        """Fail the request in flight and drop the connection (its state is unknown)."""
        self.give_up(TransportError("timeout", detail))

    def give_up(self, error: TransportError) -> None:
        """End the request in flight with ``error`` and drop the connection."""
        self._fail(error)
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
        if self._on_result is None:
            # Bytes nobody asked for (say a 408 before an idle close): the connection is unusable.
            self.close(abort=True)
            return
        self._got_bytes = True
        in_head = not self._headers_done
        if in_head:
            self._head.append(data)  # read again only if the server closes mid-response
            self._head_size += len(data)
            self._head_lines += data.count(b"\n")
        try:
            self._parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
            self._fail(TransportError("protocol", f"invalid HTTP response: {exc}"))
            self.close(abort=True)
            return
        # Still in the headers after this read (so all of it was head): hold the head to its limits.
        if (
            in_head
            and not self._headers_done
            and self._on_result is not None
            and (self._head_size > RESPONSE_HEAD_LIMIT or self._head_lines > RESPONSE_HEAD_LINES_LIMIT)
        ):
            limits = f"{RESPONSE_HEAD_LIMIT // 1024} KiB or {RESPONSE_HEAD_LINES_LIMIT} lines"
            self.give_up(TransportError("protocol", f"response headers over {limits}: not read further"))

    def eof_received(self) -> bool | None:
        """Mark the connection closed as soon as the server half-closes it."""
        self.closed = True
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        """Settle the request in flight: a close-delimited body ends here, anything else fails."""
        self.closed = True
        if not self.lost.done():
            self.lost.set_result(None)
        if self._on_result is None:
            return
        if self._headers_done and not self._is_framed():
            self.keep_alive = False
            self._complete()
            return
        before_response = not self._got_bytes
        if exc is None:
            when = "before responding" if before_response else "in the middle of the response"
            detail = f"server closed the connection {when}"
            self._fail(Disconnected("protocol", detail, before_response=before_response))
        else:
            detail = describe_os_error(exc) if isinstance(exc, OSError) else f"{type(exc).__name__}: {exc}"
            self._fail(Disconnected("connect", detail, before_response=before_response))

    # -- httptools callbacks

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
        status = self._parser.get_status_code()
        if status < 200:
            self._reset_response()  # the final answer follows on the same connection
            return
        self.keep_alive = self._parser.should_keep_alive()
        self._complete(status)

    # -- internals

    def _reset_response(self) -> None:
        self._body.clear()
        self._body_size = 0
        self._headers_done = False

    def _complete(self, status: int | None = None) -> None:
        on_result, self._on_result = self._on_result, None
        if on_result is not None:
            if status is None:
                status = self._parser.get_status_code()
            body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
            headers = _parse_headers(self._last_head()) if self.with_headers else ()
            on_result(self, _tuple(Response, (status, headers, body)))

    def _fail(self, error: TransportError) -> None:
        on_result, self._on_result = self._on_result, None
        if on_result is not None:
            on_result(self, error)

    def _is_framed(self) -> bool:
        """Whether the response announced its length (otherwise the body runs until the close).

        Read from the raw head: an ``on_header`` callback would cost more than the rest of the
        parse on every response, for an answer needed only when a server closes mid-response.
        """
        head = self._last_head().lower()
        return any(b"\n" + name + b":" in head for name in _FRAMING_HEADERS)

    def _last_head(self) -> bytes:
        """The status line and headers of the final response (interim 1xx answers may precede it)."""
        heads = [block for block in b"".join(self._head).split(b"\r\n\r\n") if block.startswith(b"HTTP/")]
        return heads[-1] if heads else b""


def _parse_headers(head: bytes) -> tuple[tuple[str, str], ...]:
    """The header fields of a raw response head (its status line skipped)."""
    fields = (line.partition(b":") for line in head.split(b"\r\n")[1:])
    return tuple(
        (name.strip().decode("latin-1"), value.strip().decode("latin-1")) for name, _, value in fields
    )
