"""The in-process faces of the mock API, and the announcer that keeps it in step with delivery.

All of them call :meth:`simulator.mockapi.state.MockApi.handle`; none has its own logic:

* :class:`MockApiApp`: a raw ASGI app (no framework), for ``httpx.ASGITransport`` or any ASGI
  server.
* :func:`mock_transport`: an ``httpx.MockTransport``, for clients built with ``transport=``.
* :func:`respx_router`: a respx router that answers for one base URL, for receivers that
  create their own ``httpx`` clients (the pytest plugin's ``sosim_api`` uses it).

:class:`Announcer` keeps the state in step with a delivery: it notes the events of a planned
stream (:meth:`Announcer.follow`) and wraps the delivery transport (:meth:`Announcer.wrap`) so
that sending a request first announces its event, and the earlier events of its session, to the
state. A receiver that calls back while handling a webhook therefore finds that webhook's message
and none that happened later in the session.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

import httpx

from simulator.core.events import Event
from simulator.core.outcome import Response
from simulator.core.schedule import Planned
from simulator.mockapi.state import ApiResponse, MockApi
from simulator.superoffice import facts as so

if TYPE_CHECKING:
    import respx

    from simulator.delivery.transport import AsyncTransport, Headers

__all__ = [
    "Announcer",
    "AnnouncingTransport",
    "MockApiApp",
    "event_id_of",
    "handle_httpx",
    "mock_transport",
    "respx_router",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

#: The host the in-process faces answer for unless told otherwise (SuperOffice Online's dev host).
DEFAULT_BASE_URL = "https://sod.superoffice.com"


# --- ASGI ------------------------------------------------------------------------------------


class MockApiApp:
    """The mock API as a raw ASGI 3 app: ``httpx.ASGITransport(app=MockApiApp(api))``."""

    def __init__(self, api: MockApi) -> None:
        """Serve ``api``."""
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one HTTP request (and the lifespan protocol, trivially)."""
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])]
        path = scope.get("raw_path") or scope["path"].encode("utf-8")
        response = self.api.handle(
            scope["method"],
            path.decode("latin-1").partition("?")[0],
            scope.get("query_string", b"").decode("latin-1"),
            headers,
            body,
            root=_root(scope, headers),
        )
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response.headers],
            }
        )
        await send({"type": "http.response.body", "body": response.body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _root(scope: Scope, headers: list[tuple[str, str]]) -> str:
    host = next((v for k, v in headers if k.lower() == "host"), None)
    if host is None:
        server = scope.get("server") or ("localhost", None)
        host = f"{server[0]}:{server[1]}" if server[1] else str(server[0])
    return f"{scope.get('scheme', 'http')}://{host}"


# --- httpx and respx -------------------------------------------------------------------------


def handle_httpx(api: MockApi, request: httpx.Request) -> httpx.Response:
    """Answer an ``httpx.Request`` with the mock API."""
    url = request.url
    response = api.handle(
        request.method,
        url.raw_path.decode("ascii").partition("?")[0],
        url.query.decode("ascii"),
        request.headers.multi_items(),
        request.read(),
        root=f"{url.scheme}://{url.netloc.decode('ascii')}",
    )
    return _to_httpx(response)


def _to_httpx(response: ApiResponse) -> httpx.Response:
    extensions = {"reason_phrase": response.reason.encode("ascii")} if response.reason else None
    return httpx.Response(
        response.status, headers=list(response.headers), content=response.body, extensions=extensions
    )


def mock_transport(api: MockApi) -> httpx.MockTransport:
    """An ``httpx.MockTransport`` that answers every request with ``api`` (sync and async clients)."""
    return httpx.MockTransport(lambda request: handle_httpx(api, request))


def respx_router(
    api: MockApi, base_url: str = DEFAULT_BASE_URL, *, pass_through: bool = True
) -> respx.MockRouter:
    """A respx router answering requests under ``base_url`` with ``api``.

    Start it with ``with router:``. Other hosts pass through to the network when
    ``pass_through`` is set (so a test can still reach its own servers), else they fail.
    """
    import respx

    router = respx.MockRouter(assert_all_called=False, assert_all_mocked=not pass_through)
    router.route(name="sosim-api", url__startswith=base_url.rstrip("/")).mock(
        side_effect=lambda request: handle_httpx(api, request)
    )
    if pass_through:
        router.route(name="sosim-pass-through").pass_through()
    return router


# --- following a delivery ----------------------------------------------------------------------


_EVENT_ID_HEADER = so.HEADER_EVENT_ID.lower()


def event_id_of(headers: Iterable[tuple[str, str]]) -> str | None:
    """The ``X-SuperOffice-EventId`` of a request's headers, or None."""
    return next((value for name, value in headers if name.lower() == _EVENT_ID_HEADER), None)


class Announcer:
    """Announces planned events to a state as their webhooks go out.

    Sending a webhook makes its event visible, and with it every earlier event of the same
    chat session (the planned stream is in due order): the API then shows that session as of
    the event's time. A receiver calling back finds the message its webhook announced and none
    that came later, and still finds earlier messages whose webhooks are late (retried or
    reordered). Other sessions show what their own webhooks have announced so far.
    """

    def __init__(self, api: MockApi) -> None:
        """Feed ``api.state``."""
        self.api = api
        self._pending: dict[str, tuple[int, Event]] = {}  # EventId -> (order noted, event)
        self._sessions: dict[int, deque[tuple[int, str]]] = {}  # session -> noted, in order
        self._noted = 0

    def note(self, event: Event, event_id: str | None = None) -> None:
        """Expect ``event`` next in due order; it is announced when it or a later one is sent."""
        key = event_id or event.event_id
        if key in self._pending:
            return
        self._noted += 1
        self._pending[key] = (self._noted, event)
        self._sessions.setdefault(event.session_id, deque()).append((self._noted, key))

    def follow(self, planned: Iterable[Planned]) -> Iterator[Planned]:
        """Pass ``planned`` through, noting each request's event (lazily, in constant memory)."""
        for item in planned:
            if item.event is not None:
                self.note(item.event, item.request.event_id)
            yield item

    def announce_for(self, headers: Headers) -> Event | None:
        """Announce the event of the request with these headers and its session's earlier ones.

        Return that event, or None when the EventId is unknown or already announced.
        """
        event_id = event_id_of(headers)
        return None if event_id is None else self.announce_id(event_id)

    def announce_id(self, event_id: str) -> Event | None:
        """Announce the event with this EventId and its session's earlier ones (see ``announce_for``)."""
        entry = self._pending.get(event_id)
        if entry is None:
            return None
        position, event = entry
        queue = self._sessions[event.session_id]
        while queue and queue[0][0] <= position:
            _, key = queue.popleft()
            earlier = self._pending.pop(key, None)
            if earlier is not None:
                self.api.state.announce(earlier[1])
        if not queue:
            del self._sessions[event.session_id]
        return event

    @property
    def pending(self) -> int:
        """Events noted but not announced yet."""
        return len(self._pending)

    def wrap(self, transport: AsyncTransport) -> AnnouncingTransport:
        """Wrap a delivery transport so each send first announces its event."""
        return AnnouncingTransport(transport, self)


class AnnouncingTransport:
    """A delivery transport that announces each request's event, then sends it with ``inner``.

    It also measures each send's wall-clock time (``last_latency_s``), whatever clock drives
    the delivery.
    """

    def __init__(self, inner: AsyncTransport, announcer: Announcer) -> None:
        """Wrap ``inner``."""
        self.inner = inner
        self.announcer = announcer
        self.target = inner.target
        self.last_latency_s = 0.0

    async def send(self, headers: Headers, body: bytes) -> Response:
        """Announce, then send exactly as ``inner`` does."""
        self.announcer.announce_for(headers)
        started = time.perf_counter()
        try:
            return await self.inner.send(headers, body)
        finally:
            self.last_latency_s = time.perf_counter() - started

    async def aclose(self) -> None:
        """Close ``inner``."""
        await self.inner.aclose()
