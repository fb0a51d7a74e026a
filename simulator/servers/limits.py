"""What a hostile client may cost sosim's own servers (``receive``, ``api``, ``tenant``), written once.

Each connection gets a :class:`ConnectionGuard`: the request head (request line and headers) is
capped while it streams in (431, or 414 for the URL alone), a declared or streamed body past the
limit is refused at once (413), an idle keep-alive connection is closed, and a request must
arrive whole within ``request_timeout_s`` of its first byte (408), so a client sending a byte a
second (slowloris) cannot hold a connection, or its file descriptor, for long. The time the
server itself takes to answer never counts against the client.

:class:`AcceptErrorLog` keeps a server that has run out of file descriptors from writing a
traceback per refused accept (asyncio retries each accept of its backlog): one line a second at
most, with the count of what was refused meanwhile.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol

from simulator.core.errors import UsageError

__all__ = [
    "DEFAULT_LIMITS",
    "AcceptErrorLog",
    "ConnectionGuard",
    "Parser",
    "ServerLimits",
    "install_accept_error_log",
]

log = logging.getLogger("simulator.servers")

_OUT_OF_RESOURCES: Final = frozenset((errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM))


@dataclass(frozen=True, slots=True)
class ServerLimits:
    """Per-request and per-connection limits of a sosim server (docs/reference/server-limits.md)."""

    max_head_bytes: int = 64 * 1024  # request line plus headers
    max_headers: int = 100
    max_body_bytes: int = 16 * 1024 * 1024
    #: A keep-alive connection with no request in progress is closed after this long (nginx's
    #: default keepalive_timeout: long enough that a client reusing it rarely races the close).
    idle_timeout_s: float = 75.0
    #: From a request's first byte to its last; past it the answer is 408 and the connection closes.
    request_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        for name in ("max_head_bytes", "max_headers", "max_body_bytes"):
            if getattr(self, name) < 1:
                raise UsageError(f"{name}: {getattr(self, name)} must be at least 1")
        for name in ("idle_timeout_s", "request_timeout_s"):
            if not 0 < getattr(self, name) < float("inf"):
                raise UsageError(f"{name}: {getattr(self, name)} must be a positive number of seconds")


DEFAULT_LIMITS: Final = ServerLimits()


class Parser(Protocol):
    """The part of httptools' request parser the guard drives."""

    def feed_data(self, data: bytes) -> None:
        """Parse ``data``, calling the protocol's callbacks."""


Refuse = Callable[[int], None]  # answer this status and close
Expire = Callable[[bool], None]  # the deadline passed; True when a request was in progress


class ConnectionGuard:
    """One connection's limits: call its hooks from the protocol's httptools callbacks."""

    __slots__ = ("_handle", "_head_bytes", "_in_head", "_in_request", "_loop", "_on_expire", "limits")

    def __init__(self, limits: ServerLimits, on_expire: Expire) -> None:
        """Guard a connection with ``limits``; ``on_expire`` is called when a deadline passes."""
        self.limits = limits
        self._on_expire = on_expire
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._in_head = False  # a request has begun and its headers are not complete
        self._in_request = False  # a request has begun and is not complete
        self._head_bytes = 0

    def opened(self) -> None:
        """The connection is open: the idle deadline starts."""
        self._loop = asyncio.get_running_loop()
        self._arm(self.limits.idle_timeout_s)

    def feed(self, parser: Parser, data: bytes) -> int | None:
        """Feed ``data`` to ``parser``; return 431 when an unfinished head has outgrown the limit.

        A chunk fed while a head was already in progress is all head until the head ends, so
        the count is exact but for the chunk the request began in: memory stays within the
        limit plus one read.
        """
        was_in_head = self._in_head
        parser.feed_data(data)
        if was_in_head and self._in_head:
            self._head_bytes += len(data)
            if self._head_bytes > self.limits.max_head_bytes:
                return 431
        return None

    def message_begin(self) -> None:
        """A request's first byte: it must now arrive whole within the request deadline."""
        self._in_head = self._in_request = True
        self._head_bytes = 0
        self._arm(self.limits.request_timeout_s)

    def headers_complete(self, url: bytes, headers: Sequence[tuple[str, str]]) -> int | None:
        """The head is in: the status to refuse it with (414, 431, 413), or None."""
        self._in_head = False
        limits = self.limits
        if len(url) > limits.max_head_bytes:
            return 414
        if len(headers) > limits.max_headers:
            return 431
        if len(url) + sum(len(name) + len(value) + 4 for name, value in headers) > limits.max_head_bytes:
            return 431
        length = content_length(headers)
        if length is not None and length > limits.max_body_bytes:
            return 413
        return None

    def body_too_large(self, size: int) -> bool:
        """Whether a body that has reached ``size`` bytes is over the limit."""
        return size > self.limits.max_body_bytes

    def message_complete(self) -> None:
        """The request is in; the server's own time to answer does not count."""
        self._in_head = self._in_request = False
        self._cancel()

    def answered(self) -> None:
        """An answer went out: idle again, unless the next request has already begun."""
        if not self._in_request:
            self._arm(self.limits.idle_timeout_s)

    def closed(self) -> None:
        """The connection closed: no deadline any more."""
        self._cancel()
        self._loop = None

    def _arm(self, seconds: float) -> None:
        self._cancel()
        if self._loop is not None:
            self._handle = self._loop.call_later(seconds, self._expired)

    def _cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _expired(self) -> None:
        self._handle = None
        self._on_expire(self._in_request)


def content_length(headers: Sequence[tuple[str, str]]) -> int | None:
    """The declared Content-Length, or None (absent or not a number: the parser judges that)."""
    for name, value in headers:
        if name.lower() == "content-length":
            text = value.strip()
            return int(text) if text.isascii() and text.isdigit() else None
    return None


class AcceptErrorLog:
    """A loop exception handler: out-of-descriptor accept errors are logged once per interval."""

    def __init__(
        self,
        previous: Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        interval_s: float = 1.0,
    ) -> None:
        """Log through ``log``; other errors go to ``previous`` (or the loop's default handler)."""
        self._previous = previous
        self._clock = clock
        self._interval_s = interval_s
        self._last: float | None = None
        self._held = 0  # refused accepts since the last line

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """Handle one exception context of ``loop``."""
        exc = context.get("exception")
        if not (isinstance(exc, OSError) and exc.errno in _OUT_OF_RESOURCES):
            if self._previous is not None:
                self._previous(loop, context)
            else:
                loop.default_exception_handler(context)
            return
        self._held += 1
        now = self._clock()
        if self._last is not None and now - self._last < self._interval_s:
            return
        log.error(
            "cannot accept connections: %s (%d refused since the last message); existing connections "
            "are still served and idle ones close after their timeout; raise `ulimit -n` or lower "
            "the clients' concurrency",
            exc.strerror or exc,
            self._held,
        )
        self._last = now
        self._held = 0


def install_accept_error_log(loop: asyncio.AbstractEventLoop) -> None:
    """Make ``loop`` log out-of-descriptor accept errors once a second at most (idempotent)."""
    current = loop.get_exception_handler()
    if not isinstance(current, AcceptErrorLog):
        loop.set_exception_handler(AcceptErrorLog(current))
