"""The mock API over HTTP: a small asyncio server (httptools parser, keep-alive), a thread to run
it in, ``sosim api`` and the ``--serve-api`` option of ``sosim run``.

The server only parses HTTP/1.1 and calls :meth:`simulator.mockapi.state.MockApi.handle`; like the
reference receiver it needs no web framework.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import http
import signal
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple, cast

import httptools

from simulator.core.defaults import API_PORT, LOOPBACK
from simulator.core.errors import UsageError
from simulator.core.schedule import Planned
from simulator.delivery.clock import Clock, MonotonicClock
from simulator.delivery.signals import signals_noted
from simulator.mockapi.http import Announcer
from simulator.mockapi.state import ApiResponse, ChatState, MockApi, MockApiOptions
from simulator.servers.limits import ConnectionGuard, ServerLimits, install_accept_error_log
from simulator.servers.thread import ServerThread

if TYPE_CHECKING:
    from simulator.core.scenario_model import Scenario
    from simulator.delivery.transport import AsyncTransport

__all__ = ["ApiServer", "ApiServerThread", "LiveApi", "parse_host_port", "serve_scenarios"]

MAX_BODY_BYTES = 1024 * 1024
#: The API's bodies are small JSON documents: a tighter body limit than the receiver's.
API_LIMITS = ServerLimits(max_body_bytes=MAX_BODY_BYTES)
#: After a run's last webhook the API stays up until no request has come for API_QUIET_S (at most
#: API_LINGER_S more): a bot fetches after its 200, and its last calls should get answers, as
#: from a tenant that stays up, not a closed socket.
API_QUIET_S = 0.25
API_LINGER_S = 2.0


def linger_notice(limit_s: float) -> str:
    """What a run says when it ends with the receiver's calls to the API still open."""
    waiting = f"waiting up to {limit_s:g} s for the receiver's open calls"
    return f"mock SuperOffice API: {waiting} (Ctrl-C stops waiting)"


def parse_host_port(text: str) -> tuple[str, int]:
    """Parse ``HOST:PORT`` (``127.0.0.1:8765``, ``[::1]:8765``, ``:8765``); raise ValueError if wrong."""
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]") or LOOPBACK
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError("expected HOST:PORT, e.g. 127.0.0.1:8765")
    return host, int(port)


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


# --- the server --------------------------------------------------------------------------------


class ApiServer:
    """Serves a :class:`MockApi` over HTTP/1.1 on the running event loop."""

    def __init__(
        self,
        api: MockApi,
        host: str = LOOPBACK,
        port: int = 0,
        *,
        limits: ServerLimits = API_LIMITS,
        sock: socket.socket | None = None,
    ) -> None:
        """Prepare to listen on ``host:port`` (port 0 picks a free one), or on a bound ``sock``."""
        self.api = api
        if sock is not None:
            bound: tuple[str, int] = sock.getsockname()[:2]
            host, port = bound
        self.host: str = host
        self.port: int = port
        self._sock = sock
        self.limits = limits
        self._server: asyncio.Server | None = None
        self._connections: set[_Connection] = set()
        #: Requests begun and answers written so far: whether, and how lately, clients still call.
        self.requests = 0
        self.answers = 0

    @property
    def idle(self) -> bool:
        """Whether every request begun so far has had its answer."""
        return self.answers >= self.requests

    async def until_quiet(
        self,
        clock: Clock,
        quiet_s: float = API_QUIET_S,
        limit_s: float = API_LINGER_S,
        *,
        cut: Callable[[], bool] = lambda: False,
    ) -> None:
        """Wait until every request has had its answer and none new has come for ``quiet_s``, or
        for ``limit_s`` at most (a client that hangs up mid-request leaves one unanswered).
        ``cut`` is asked after each spell: once it says so (Ctrl-C meanwhile), stop waiting."""
        deadline = clock.now() + limit_s
        while clock.now() < deadline and not cut():
            seen = self.requests
            await clock.sleep_until(min(deadline, clock.now() + quiet_s))
            if self.requests == seen and self.idle:
                return

    @property
    def url(self) -> str:
        """The server's root URL, e.g. ``http://127.0.0.1:8765``."""
        return _url(self.host, self.port)

    async def start(self) -> None:
        """Start listening."""
        loop = asyncio.get_running_loop()
        install_accept_error_log(loop)
        if self._sock is not None:
            self._server = await loop.create_server(lambda: _Connection(self), sock=self._sock)
        else:
            self._server = await loop.create_server(lambda: _Connection(self), self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        for connection in list(self._connections):
            connection.close()
        await server.wait_closed()


@dataclass(slots=True)
class _Request:
    url: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)


class _Pending(NamedTuple):
    answer: Callable[[], ApiResponse]
    blocks: bool  # answer on a worker thread
    close: bool  # close the connection after the answer


class _Connection(asyncio.Protocol):
    """One client connection: parse requests with httptools and answer each in order."""

    def __init__(self, server: ApiServer) -> None:
        self._server = server
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._request = _Request()
        self._answers: deque[_Pending] = deque()  # received, not answered yet, in order
        self._busy = False  # a request is being answered on a worker thread
        self._refused = False  # answered a request over a limit: nothing more is read
        self._guard = ConnectionGuard(server.limits, self._expired)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        self._server._connections.add(self)
        self._guard.opened()

    def connection_lost(self, exc: Exception | None) -> None:
        self._server._connections.discard(self)
        self._guard.closed()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        try:
            refused = self._guard.feed(self._parser, data)
        except httptools.HttpParserUpgrade:
            self._write(501, b"", close=True)
        except httptools.HttpParserError:
            self._write(400, b"", close=True)
        else:
            if refused is not None:
                self._refuse(refused)

    def on_message_begin(self) -> None:
        self._server.requests += 1
        self._request = _Request()
        self._guard.message_begin()

    def on_url(self, url: bytes) -> None:
        self._request.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._request.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        request = self._request
        refused = self._guard.headers_complete(request.url, request.headers)
        if refused is not None:
            self._refuse(refused)

    def on_body(self, body: bytes) -> None:
        request = self._request
        if self._refused:
            return
        if self._guard.body_too_large(len(request.body) + len(body)):
            self._refuse(413)  # at once: an endless body is not read to its end
            return
        request.body += body

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._guard.message_complete()
        request = self._request
        keep_alive = self._parser.should_keep_alive()
        parsed = httptools.parse_url(request.url)
        host = next((v for k, v in request.headers if k.lower() == "host"), self._server.url[7:])
        method = self._parser.get_method().decode("ascii")
        path = (parsed.path or b"/").decode("latin-1")
        answer = functools.partial(
            self._server.api.handle,
            method,
            path,
            (parsed.query or b"").decode("latin-1"),
            request.headers,
            bytes(request.body),
            root=f"http://{host}",
        )
        self._answers.append(_Pending(answer, self._server.api.may_block(method, path), not keep_alive))
        if not self._busy:
            self._answer_next()

    def _answer_next(self) -> None:
        """Answer the requests received so far, in order. One that may block (a registration's test
        event) is answered on a worker thread, so this loop keeps serving other connections
        meanwhile; this connection reads nothing more until it is answered."""
        while self._answers and not self._busy:
            pending = self._answers.popleft()
            if not pending.blocks:
                self._send(pending.answer(), pending.close)
                continue
            self._busy = True
            if self._transport is not None:
                self._transport.pause_reading()
            future = asyncio.get_running_loop().run_in_executor(None, pending.answer)
            future.add_done_callback(functools.partial(self._answered, pending.close))

    def _answered(self, close: bool, future: asyncio.Future[ApiResponse]) -> None:
        self._busy = False
        if future.cancelled():
            return
        self._send(future.result(), close)
        if self._transport is not None and not self._transport.is_closing():
            self._transport.resume_reading()
        self._answer_next()

    def _send(self, response: ApiResponse, close: bool) -> None:
        self._write(
            response.status, response.body, close=close, headers=response.headers, reason=response.reason
        )

    def _write(
        self,
        status: int,
        body: bytes,
        *,
        close: bool,
        headers: Sequence[tuple[str, str]] = (),
        reason: str = "",
    ) -> None:
        transport = self._transport
        self._server.answers += 1
        if transport is None or transport.is_closing():
            return
        phrase = reason or http.HTTPStatus(status).phrase
        lines = [f"HTTP/1.1 {status} {phrase}", f"Content-Length: {len(body)}"]
        lines += [f"{name}: {value}" for name, value in headers]
        if close:
            lines.append("Connection: close")
        transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        if close:
            transport.close()
        else:
            self._guard.answered()

    def _refuse(self, status: int) -> None:
        """Answer a request over a limit (413, 414, 431) and close: the rest is not read."""
        self._refused = True
        self._answers.clear()
        self._write(status, b"", close=True)

    def _expired(self, in_request: bool) -> None:
        """A deadline passed: 408 to a request still arriving, a plain close to an idle connection."""
        if in_request and not self._busy and not self._answers:
            self._refuse(408)
        else:
            self.close()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


class ApiServerThread(ServerThread):
    """An :class:`ApiServer` on its own event loop in a daemon thread; a context manager."""

    def __init__(
        self, api: MockApi, host: str = LOOPBACK, port: int = 0, *, limits: ServerLimits = API_LIMITS
    ) -> None:
        """Prepare the server; nothing listens until ``start`` or ``with``."""
        self.server = ApiServer(api, host, port, limits=limits)
        super().__init__(self.server, name="sosim-mock-api")

    @property
    def url(self) -> str:
        """The server's root URL (the real port once started)."""
        return self.server.url

    @property
    def api(self) -> MockApi:
        """The API served."""
        return self.server.api

    def start(self) -> ApiServerThread:
        """Start the thread; return once the socket listens (a port in use is a usage error)."""
        try:
            return super().start()
        except OSError as error:
            from simulator.delivery.transport import describe_os_error

            raise UsageError(f"cannot serve the mock API on {self.url}: {describe_os_error(error)}") from None


# --- sosim run --serve-api ----------------------------------------------------------------------


class LiveApi:
    """The mock API following a live run: serves over HTTP what has been announced so far.

    ``follow`` the planned stream (before any fault injection, so reordered webhooks still
    find earlier messages) and ``wrap`` the delivery transport: each event becomes visible,
    with its session's earlier ones, just before its webhook is sent. Only announced sessions
    are kept. When the run ends it stays up until the receiver's last calls have had their
    answers (:meth:`ApiServer.until_quiet`), unless it was halted or left by an error; a Ctrl-C
    while it waits ends the wait.
    """

    #: How long, at most, it waits for the receiver's last calls once the run has ended.
    linger_s: float = API_LINGER_S

    def __init__(
        self,
        scenarios: Iterable[Scenario],
        host: str = LOOPBACK,
        port: int = API_PORT,
        *,
        seed: int | None = None,
        options: MockApiOptions | None = None,
        clock: Clock | None = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        """Register the scenarios' tenants, topics and agents; serve on ``host:port`` once entered.
        ``clock`` times the wait for the last calls (a FakeClock in tests); ``say`` tells the
        user when calls are still open at the end, so the pause has a reason."""
        state = ChatState()
        for scenario in scenarios:
            state.add_scenario(scenario, seed=seed)
        self.api = MockApi(state, options)
        self.announcer = Announcer(self.api)
        self.thread = ApiServerThread(self.api, host, port)
        self._clock: Clock = clock or MonotonicClock()
        self._halted = False
        self._say = say
        #: Set by a Ctrl-C or SIGTERM while it waits for the receiver's last calls.
        self.cut = threading.Event()

    @property
    def url(self) -> str:
        """The server's root URL; requests go to ``{url}/{ContextIdentifier}/api/v1/...``."""
        return self.thread.url

    def follow(self, planned: Iterable[Planned]) -> Iterator[Planned]:
        """Pass the planned stream through, noting each event."""
        return self.announcer.follow(planned)

    def wrap(self, transport: AsyncTransport) -> AsyncTransport:
        """Wrap the delivery transport so each send announces its event first."""
        return self.announcer.wrap(transport)

    def halt(self) -> None:
        """The run was told to stop (Ctrl-C): stop serving at once when it ends."""
        self._halted = True

    def __enter__(self) -> LiveApi:
        self.thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc_info: object) -> None:
        try:
            if exc_type is None and not self._halted:
                # Ctrl-C or SIGTERM now only ends the wait: the run is complete.
                with signals_noted(lambda _number: self.cut.set()):
                    if self._say is not None and not self.thread.server.idle:
                        self._say(linger_notice(self.linger_s))
                    wait = self.thread.server.until_quiet(
                        self._clock, limit_s=self.linger_s, cut=self.cut.is_set
                    )
                    self.thread.call(wait)
        finally:
            self.thread.stop()


# --- sosim api ----------------------------------------------------------------------------------


def scenario_state(
    scenarios: Iterable[Scenario],
    *,
    seed: int | None = None,
    sessions: int | None = None,
    start: datetime | None = None,
) -> ChatState:
    """The final state of every session of the scenarios (a later scenario wins on equal ids).

    ``seed`` and ``sessions`` override the scenarios' own, as for ``sosim generate``.
    """
    from simulator.core.generate import generate_sessions
    from simulator.core.plan import PlanOptions, adjust

    state = ChatState()
    for scenario in scenarios:
        adjusted = adjust(scenario, PlanOptions(sessions=sessions))
        state.add_scenario(adjusted, seed=seed)
        state.add_plans(generate_sessions(adjusted, seed=seed, start=start))
    return state


def serve_scenarios(
    paths: Sequence[str],
    *,
    host: str = LOOPBACK,
    port: int = API_PORT,
    seed: int | None = None,
    sessions: int | None = None,
    tokens: Sequence[str] = (),
    echo: Callable[[str], None] = print,
) -> int:
    """Serve the scenario files' final state until Ctrl-C (``sosim api``); return the exit code."""
    from simulator.core.scenario import load_scenarios

    scenarios = load_scenarios(list(paths))
    state = scenario_state(scenarios, seed=seed, sessions=sessions)
    tenant = scenarios[0].webhook.context_identifier
    options = MockApiOptions(tokens=frozenset(tokens) if tokens else None)
    api = MockApi(state, options)

    async def main() -> None:
        server = ApiServer(api, host, port)
        try:
            await server.start()
        except OSError as exc:
            from simulator.delivery.transport import describe_os_error

            # asyncio's words repeat the address ("error while attempting to bind on ..."): the errno's
            raise UsageError(f"cannot listen on {host}:{port}: {describe_os_error(exc)}") from None
        count = len(state.session_ids)
        echo(f"mock SuperOffice chat API on {server.url} ({count} sessions); Ctrl-C stops")
        echo(f"  e.g. GET {server.url}/{tenant}/api/v1/ChatSession/{_first(state)}/Messages?after=0")
        echo("  with Authorization: Bearer <any token>" + (" (only the --token values)" if tokens else ""))
        # Ctrl-C and SIGTERM end the wait through the loop's own handlers: they wake the loop
        # whichever thread the kernel hands a signal to. The KeyboardInterrupt of a Python handler
        # came only when the main thread woke, and idle in epoll it could stay asleep (one-core CI
        # saw the command ignore SIGTERM). One that comes before this is a KeyboardInterrupt.
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(number, stop.set)
        try:
            await stop.wait()
        finally:
            await server.stop()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
    return 0


def _first(state: ChatState) -> int | str:
    ids = state.session_ids
    return ids[0] if ids else "{id}"
