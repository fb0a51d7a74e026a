"""The lean load engine: keep-alive HTTP/1.1 on asyncio and the httptools response parser.

:class:`LeanTransport` implements :class:`~simulator.delivery.transport.AsyncTransport` with a bounded pool
of persistent connections, one request in flight on each: tens of thousands of requests per second
on one core (uvloop when installed). It speaks plain HTTP/1.1 only, over TCP or TLS; the general
client is :class:`~simulator.delivery.transport.HttpxTransport`. Import it from
:mod:`simulator.delivery.transport`, which loads this module on first use. Each connection is a
:class:`~simulator.delivery.lean_protocol.Connection`.
"""

from __future__ import annotations

import asyncio
import collections
import math
import ssl
from collections.abc import Callable
from functools import partial
from typing import NamedTuple

from simulator.core.defaults import CONCURRENCY, TIMEOUT_S
from simulator.core.headers import without_transport_headers
from simulator.core.outcome import Response
from simulator.delivery.exchange import OnDone
from simulator.delivery.lean_protocol import (
    Connection,
    ConnectionResult,
    Disconnected,
    OnResult,
)
from simulator.delivery.transport import (
    Headers,
    TransportError,
    check_limits,
    describe_os_error,
    parse_http_target,
)

__all__ = ["LeanTransport"]


class _Exchange(NamedTuple):
    """An exchange waiting for a new connection: its bytes, its caller, its deadline."""

    data: bytes
    on_done: OnDone
    deadline: float
    with_headers: bool


class LeanTransport:
    """The load engine: a bounded pool of keep-alive HTTP/1.1 connections on asyncio and httptools."""

    def __init__(
        self,
        target: str,
        *,
        timeout: float = TIMEOUT_S,
        concurrency: int = CONCURRENCY,
        verify: bool = True,
    ) -> None:
        check_limits(timeout, concurrency)
        parsed = parse_http_target(target)
        self.target = target
        self._host = parsed.host
        self._port = parsed.port
        self._authority = parsed.authority
        self._timeout = timeout
        self._timeout_detail = f"no complete response within {timeout:g} s"
        self._ssl = _client_ssl_context(verify) if parsed.scheme == "https" else None
        request_line = f"POST {parsed.path} HTTP/1.1\r\n".encode("ascii")
        self._head = request_line + f"Host: {parsed.authority}\r\n".encode("ascii")
        # One request per connection at a time, so holding a slot is holding (at most) one
        # connection: never more than `concurrency` are open. Exchanges beyond that wait in
        # `_queued`, in order, each as the call that starts it once a slot is handed over.
        self._free_slots = concurrency
        self._queued: collections.deque[Callable[[], None]] = collections.deque()
        self._idle: list[Connection] = []
        self._connecting: set[asyncio.Task[None]] = set()
        self._on_result: OnResult = self._exchange_done
        self._closed = False
        # Requests in flight and their deadlines, oldest first. One timer, armed for the earliest
        # deadline, times them out: a timer per request would cost more than the rest of the send.
        self._busy: dict[Connection, float] = {}
        self._sweep: asyncio.TimerHandle | None = None
        self._sweep_at = math.inf
        self._sweep_loop: asyncio.AbstractEventLoop | None = None

    def request_bytes(self, headers: Headers, body: bytes) -> bytes:
        """Return the exact bytes :meth:`send` writes: request line, Host, headers, Content-Length, body."""
        # Host and Content-Length are always ours: a caller's (say a recording's) is dropped, since a
        # wrong one would misframe the request. The edges refuse CR/LF/NUL; counting the line
        # breaks here is a cheap last guard against a header that smuggles another request.
        headers = without_transport_headers(headers)
        # "name: value" lines joined in C (str.join over the pairs), not an f-string per header.
        lines = "\r\n".join(map(": ".join, headers)) + "\r\n" if headers else ""
        if lines.count("\n") != len(headers) or lines.count("\r") != len(headers) or "\x00" in lines:
            raise TransportError("protocol", "a header holds CR, LF or NUL: not sent")
        return b"".join((self._head, lines.encode(), b"Content-Length: %d\r\n\r\n" % len(body), body))

    def submit(self, headers: Headers, body: bytes, on_done: OnDone, *, with_headers: bool = False) -> None:
        """Start POSTing ``body`` with exactly ``headers`` (plus Host and Content-Length); call
        ``on_done`` with the :class:`Response` or a :class:`TransportError`, from a later callback.

        The delivery engine's fast path: no task, future or coroutine per request. The response's
        headers are left out unless ``with_headers`` (delivery reads only status and body).
        """
        if self._closed:
            raise RuntimeError("cannot send: this LeanTransport has been closed")
        data = self.request_bytes(headers, body)
        if self._free_slots:
            self._free_slots -= 1
            self._begin(data, on_done, with_headers)
        else:
            self._queued.append(partial(self._begin, data, on_done, with_headers))

    async def send(self, headers: Headers, body: bytes) -> Response:
        """POST ``body`` with exactly ``headers`` (plus Host and Content-Length) to the target.

        A cancelled ``send`` leaves its exchange to finish (or time out) on its own; the
        response is then dropped and the connection kept.
        """
        future: asyncio.Future[Response] = asyncio.get_running_loop().create_future()
        self.submit(headers, body, partial(_resolve, future), with_headers=True)
        return await future

    async def send_slowly(
        self, headers: Headers, body: bytes, *, chunks: int = 8, interval_s: float = 0.1
    ) -> Response:
        """Send like :meth:`send`, but the body trickles in ``chunks`` pieces ``interval_s`` apart,
        on a connection of its own (the ``slow-body`` fault)."""
        data = self.request_bytes(headers, body)
        head, rest = data[: len(data) - len(body)], data[len(data) - len(body) :]
        size = max(1, -(-len(rest) // chunks))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout + chunks * interval_s
        await self._take_slot()
        try:
            conn = await self._connect(loop, deadline)
            timer = loop.call_at(deadline, conn.time_out, self._timeout_detail)
            waiter: asyncio.Future[Response] = loop.create_future()
            try:
                conn.with_headers = True
                conn.start(head, lambda _, outcome: _resolve(waiter, outcome))
                for start in range(0, len(rest), size):
                    await asyncio.sleep(interval_s)
                    if conn.usable():
                        assert conn.transport is not None
                        conn.transport.write(rest[start : start + size])
                return await waiter
            except Disconnected as exc:
                raise TransportError(exc.kind, exc.detail) from None
            finally:
                timer.cancel()
                conn.close()
        finally:
            self._release_slot()

    async def aclose(self) -> None:
        """Close every connection. Exchanges still in progress (their caller gave up on them)
        end with a ``connect`` error, and exchanges still waiting for a slot never start."""
        self._closed = True
        for task in list(self._connecting):
            task.cancel()
        self._queued.clear()
        busy = list(self._busy)
        for conn in busy:
            conn.give_up(
                TransportError("connect", f"{self._authority}: closed by sosim before an answer came")
            )
        if self._sweep is not None and self._sweep_loop is asyncio.get_running_loop():
            self._sweep.cancel()
        self._sweep, self._sweep_at = None, math.inf
        idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()
        pending = [conn.lost for conn in (*idle, *busy) if not conn.lost.done()]
        if pending:
            # Let connection_lost run so the loop can shut down without unclosed-transport warnings.
            await asyncio.wait(pending, timeout=1.0)

    # -- internals

    async def _take_slot(self) -> None:
        """Wait for a slot of the pool (first come, first served, behind queued exchanges)."""
        if self._free_slots:
            self._free_slots -= 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queued.append(partial(_hand_slot, waiter, self._release_slot))
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self._release_slot()  # handed a slot, then cancelled before using it: pass it on
            raise

    def _release_slot(self) -> None:
        """Hand the slot to the first queued exchange, or free it."""
        if self._queued:
            self._queued.popleft()()
        else:
            self._free_slots += 1

    def _begin(self, data: bytes, on_done: OnDone, with_headers: bool) -> None:
        """Send on an idle connection, or open one; the slot is held."""
        idle = self._idle
        # The common case first: the most recently used idle connection is fine, and its loop is
        # the running one (a connection lives on the loop that opened it).
        conn = idle.pop() if idle else None
        if conn is not None and conn.usable():
            conn.reused = True
            loop = conn.loop
        else:
            if conn is not None:
                conn.close()
            conn = self._take_idle()
            loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        if conn is None:
            self._open_in_task(loop, _Exchange(data, on_done, deadline, with_headers))
        else:
            self._start(loop, conn, data, on_done, deadline, with_headers)

    def _open_in_task(self, loop: asyncio.AbstractEventLoop, exchange: _Exchange) -> None:
        task = loop.create_task(self._open_and_start(loop, exchange))
        self._connecting.add(task)
        task.add_done_callback(self._connecting.discard)

    def _start(
        self,
        loop: asyncio.AbstractEventLoop,
        conn: Connection,
        data: bytes,
        on_done: OnDone,
        deadline: float,
        with_headers: bool,
    ) -> None:
        conn.data, conn.on_done, conn.with_headers = data, on_done, with_headers
        self._busy[conn] = deadline
        if deadline < self._sweep_at or loop is not self._sweep_loop:
            self._arm_sweep(loop, deadline)
        conn.start(data, self._on_result)

    async def _open_and_start(self, loop: asyncio.AbstractEventLoop, exchange: _Exchange) -> None:
        data, on_done, deadline, with_headers = exchange
        try:
            conn = await self._connect(loop, deadline)
        except TransportError as exc:
            self._release_slot()
            on_done(exc)
            return
        except asyncio.CancelledError:  # the transport closed while connecting
            self._release_slot()
            on_done(TransportError("connect", f"{self._authority}: the transport was closed"))
            raise
        if self._closed:
            conn.close()
            self._release_slot()
            on_done(TransportError("connect", f"{self._authority}: the transport was closed"))
            return
        self._start(loop, conn, data, on_done, deadline, with_headers)

    def _exchange_done(self, conn: Connection, outcome: ConnectionResult) -> None:
        """One exchange ended: return the connection to the pool, the slot, and tell the caller."""
        deadline = self._busy.pop(conn, math.inf)
        on_done, data = conn.on_done, conn.data
        conn.on_done, conn.data = None, b""
        if on_done is None:
            return
        if isinstance(outcome, Response):
            # conn.closed covers a half-close or a loss seen so far (usable() inlined).
            if conn.keep_alive and not conn.closed and not self._closed:
                self._idle.append(conn)
            else:
                conn.close()
            if self._queued:
                self._queued.popleft()()  # the slot goes to the first exchange waiting for one
            else:
                self._free_slots += 1
            on_done(outcome)
            return
        conn.close(abort=True)  # failed mid-exchange: its state is unknown
        if isinstance(outcome, Disconnected):
            if conn.reused and outcome.before_response and not self._closed:
                # The server dropped a kept-alive connection before answering (its idle timeout
                # raced our write): nothing was processed, so one retry on a fresh connection is
                # safe, as in browsers and httpcore. The slot stays with the exchange.
                loop = asyncio.get_running_loop()
                self._open_in_task(loop, _Exchange(data, on_done, deadline, conn.with_headers))
                return
            outcome = TransportError(outcome.kind, outcome.detail)
        self._release_slot()
        on_done(outcome)

    def _take_idle(self) -> Connection | None:
        idle = self._idle
        while idle:
            # Most recently used first: the least likely to have hit the server's idle timeout.
            conn = idle.pop()
            if conn.usable():
                conn.reused = True
                return conn
            conn.close()
        return None

    async def _connect(self, loop: asyncio.AbstractEventLoop, deadline: float) -> Connection:
        try:
            async with asyncio.timeout_at(deadline):
                _, conn = await loop.create_connection(
                    partial(Connection, loop),
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
            raise TransportError("connect", f"{self._authority}: {describe_os_error(exc)}") from None
        return conn

    def _arm_sweep(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        """Make the deadline sweep run at ``when`` (it re-arms itself while requests are in flight)."""
        if self._sweep is not None and self._sweep_loop is loop:
            self._sweep.cancel()
        self._sweep = loop.call_at(when, self._time_out_late, loop)
        self._sweep_at, self._sweep_loop = when, loop

    def _time_out_late(self, loop: asyncio.AbstractEventLoop) -> None:
        """Fail every request past its deadline; re-arm for the earliest deadline still ahead."""
        self._sweep, self._sweep_at = None, math.inf
        now = loop.time()
        late = [conn for conn, deadline in self._busy.items() if deadline <= now]
        for conn in late:
            conn.time_out(self._timeout_detail)  # reports through _exchange_done, leaving _busy
        ahead = [deadline for conn, deadline in self._busy.items() if deadline > now]
        if ahead:
            self._arm_sweep(loop, min(ahead))


def _hand_slot(waiter: asyncio.Future[None], release: Callable[[], None]) -> None:
    """Give a waiting ``send_slowly`` its slot, or pass the slot on when it stopped waiting."""
    if waiter.done():
        release()
    else:
        waiter.set_result(None)


def _resolve(future: asyncio.Future[Response], outcome: Response | BaseException) -> None:
    """Settle a ``send`` future with an exchange's outcome (unless its caller gave up)."""
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


def _client_ssl_context(verify: bool) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context
