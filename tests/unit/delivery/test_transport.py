"""Tests for simulator.delivery.transport without a network: httpx.MockTransport, request bytes, dispatch.

asgi:// targets name this module by ``__name__``, so they load it under whatever name pytest
imported it as.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine

import httpx
import pytest

from simulator.core.errors import UsageError
from simulator.core.outcome import Response
from simulator.delivery.transport import (
    RESPONSE_BODY_LIMIT,
    HttpxTransport,
    LeanTransport,
    TransportError,
    install_uvloop,
    open_transport,
)

HEADERS = (
    ("Content-Type", "application/json"),
    ("User-Agent", "NetServer-Webhook/10.4"),
    ("X-SuperOffice-Event", "chatsession.message"),
    ("X-Superoffice-EventId", "7c9e6679-7425-40de-944b-e07fc1f90ae7"),
    ("X-SuperOffice-Signature", "c2lnbmF0dXJl"),
)
_Send = Callable[[object], Awaitable[None]]
BODY = '{"Event":"chatsession.message","Text":"Hei, jeg får ikke logget inn på Blåbær"}'.encode()


def _send_through(
    handler: Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]],
    *,
    timeout: float = 5.0,
    target: str = "http://receiver.test:8080/hook?tenant=Cust12345",
) -> Response:
    """Send HEADERS and BODY through an HttpxTransport whose network is ``handler``."""

    async def run() -> Response:
        transport = HttpxTransport(target, timeout=timeout, transport=httpx.MockTransport(handler))
        try:
            return await transport.send(HEADERS, BODY)
        finally:
            await transport.aclose()

    return asyncio.run(run())


def _failure(handler: Callable[[httpx.Request], httpx.Response], *, timeout: float = 5.0) -> TransportError:
    with pytest.raises(TransportError) as caught:
        _send_through(handler, timeout=timeout)
    return caught.value


# --- HttpxTransport -------------------------------------------------------------------


def test_httpx_sends_exact_headers_in_order_plus_only_host_and_content_length() -> None:
    """The receiver gets our headers as given (order, spelling) and no httpx defaults like Accept."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    _send_through(handler)
    (request,) = seen
    sent = [(name.decode(), value.decode()) for name, value in request.headers.raw]
    assert sent == [("Host", "receiver.test:8080"), *HEADERS, ("Content-Length", str(len(BODY)))]


def test_httpx_posts_exact_body_to_target_path_and_query() -> None:
    """The body bytes arrive unchanged, POSTed to the target's path and query."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    _send_through(handler)
    (request,) = seen
    assert request.method == "POST"
    assert request.url.raw_path == b"/hook?tenant=Cust12345"
    assert request.content == BODY


def test_httpx_returns_status_headers_and_body() -> None:
    """A Response carries the target's status, headers and body."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(202, headers=[("X-Receiver", "ok")], content=b"accepted")

    response = _send_through(handler)
    assert response.status == 202
    assert ("X-Receiver", "ok") in response.headers
    assert response.body == b"accepted"


def test_httpx_keeps_only_the_first_4096_bytes_of_a_body() -> None:
    """A large response body is cut to RESPONSE_BODY_LIMIT bytes."""
    big = bytes(range(256)) * 40

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, content=big)

    response = _send_through(handler)
    assert RESPONSE_BODY_LIMIT == 4096
    assert response.body == big[:4096]


def test_httpx_read_timeout_is_a_timeout_error() -> None:
    """httpx's own timeouts are reported as kind "timeout"."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    assert _failure(handler).kind == "timeout"


def test_httpx_total_timeout_covers_a_slow_response() -> None:
    """A target slower than the timeout fails with kind "timeout" once the timeout has passed."""

    async def handler(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(30)  # cancelled by the 0.05 s timeout
        return httpx.Response(200)

    with pytest.raises(TransportError) as caught:
        _send_through(handler, timeout=0.05)
    assert caught.value.kind == "timeout"
    assert "0.05" in caught.value.detail


def test_httpx_connect_error_is_a_connect_error() -> None:
    """A refused connection is reported as kind "connect" with httpx's reason."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("Connection refused", request=request)

    error = _failure(handler)
    assert error.kind == "connect"
    assert "Connection refused" in error.detail
    assert str(error) == "connect: ConnectError: Connection refused"


def test_a_refused_connection_reads_the_same_through_httpx_as_through_the_lean_engine() -> None:
    """Through httpx (https, trigger) a refused port said 'ConnectError: All connection attempts
    failed'; the OS error under it now gives the lean engine's 'host:port: Connection refused'."""
    import socket

    from simulator.delivery.httpx_engine import HttpxTransport

    with socket.socket() as closed:  # bound and never listening: the connection is refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]

        async def send() -> None:
            transport = HttpxTransport(f"http://127.0.0.1:{port}/hook", timeout=5.0)
            try:
                await transport.send((("Content-Type", "application/json"),), b"{}")
            finally:
                await transport.aclose()

        with pytest.raises(TransportError) as caught:
            asyncio.run(send())
    assert str(caught.value) == f"connect: 127.0.0.1:{port}: Connection refused"


def test_httpx_reset_connection_is_a_connect_error() -> None:
    """A connection reset while reading is reported as kind "connect"."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("Connection reset by peer", request=request)

    assert _failure(handler).kind == "connect"


def test_httpx_broken_response_is_a_protocol_error() -> None:
    """An unparsable answer is reported as kind "protocol"."""

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("illegal status line", request=request)

    assert _failure(handler).kind == "protocol"


def test_httpx_asgi_app_sees_the_target_path() -> None:
    """With ``app`` the request goes to the app in process, at the asgi:// target's path."""
    paths: list[str] = []

    async def app(scope: dict[str, object], receive: object, send: _Send) -> None:
        paths.append(str(scope["path"]))
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def run() -> Response:
        transport = HttpxTransport("asgi://receiver:app/hooks/chat", app=app)
        try:
            return await transport.send(HEADERS, BODY)
        finally:
            await transport.aclose()

    assert asyncio.run(run()).status == 204
    assert paths == ["/hooks/chat"]


# --- LeanTransport request bytes ------------------------------------------------------


def test_lean_request_bytes_are_exact() -> None:
    """The lean engine writes request line, Host, our headers in order, Content-Length, then the body."""
    transport = LeanTransport("http://127.0.0.1:8080/hook?tenant=Cust12345")
    expected = (
        b"POST /hook?tenant=Cust12345 HTTP/1.1\r\n"
        b"Host: 127.0.0.1:8080\r\n"
        b"Content-Type: application/json\r\n"
        b"User-Agent: NetServer-Webhook/10.4\r\n"
        b"X-SuperOffice-Event: chatsession.message\r\n"
        b"X-Superoffice-EventId: 7c9e6679-7425-40de-944b-e07fc1f90ae7\r\n"
        b"X-SuperOffice-Signature: c2lnbmF0dXJl\r\n"
        b"Content-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
    )
    assert transport.request_bytes(HEADERS, BODY) == expected


def test_lean_request_without_headers_or_path() -> None:
    """A bare target and no headers still make a well-formed request for path /."""
    transport = LeanTransport("http://receiver.test")
    assert transport.request_bytes((), b"") == (
        b"POST / HTTP/1.1\r\nHost: receiver.test\r\nContent-Length: 0\r\n\r\n"
    )


def test_lean_computes_host_and_content_length_itself() -> None:
    """A Host or Content-Length header the caller sets is dropped: a wrong one would misframe the request."""
    transport = LeanTransport("http://127.0.0.1:8080/hook")
    data = transport.request_bytes((("host", "tenant.example"), ("Content-length", "999999")), b"{}")
    assert data == b"POST /hook HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nContent-Length: 2\r\n\r\n{}"


def test_lean_escapes_non_ascii_paths() -> None:
    """A path with non-ASCII characters is percent-encoded, existing escapes are kept."""
    transport = LeanTransport("http://127.0.0.1/kunde/blåbær%20as?q=ø")
    assert transport.request_bytes((), b"").startswith(
        b"POST /kunde/bl%C3%A5b%C3%A6r%20as?q=%C3%B8 HTTP/1.1\r\n"
    )


# --- open_transport ----------------------------------------------------------------------


def _close(transport: object) -> None:
    aclose = getattr(transport, "aclose", None)
    if aclose is not None:
        asyncio.run(aclose())


@pytest.mark.parametrize(
    ("target", "engine", "expected"),
    [
        ("http://127.0.0.1:8000/hook", "auto", LeanTransport),
        ("HTTP://127.0.0.1:8000/hook", "auto", LeanTransport),
        ("https://receiver.test/hook", "auto", HttpxTransport),
        ("http://127.0.0.1:8000/hook", "httpx", HttpxTransport),
        ("https://receiver.test/hook", "lean", LeanTransport),
    ],
)
def test_open_transport_picks_engine_by_scheme(target: str, engine: str, expected: type) -> None:
    """auto sends plain http:// through the lean engine and https through httpx; an explicit engine wins."""
    transport = open_transport(target, engine=engine)  # type: ignore[arg-type]
    try:
        assert type(transport) is expected
        assert transport.target == target
    finally:
        _close(transport)


def test_open_transport_loads_asgi_app_by_import_name() -> None:
    """asgi://module:attr/path imports the app and runs it in process through httpx."""
    transport = open_transport(f"asgi://{__name__}:asgi_app/hook")
    try:
        assert isinstance(transport, HttpxTransport)
        response = asyncio.run(transport.send(HEADERS, BODY))
        assert response.status == 200
        assert response.body == b"/hook"
    finally:
        _close(transport)


async def asgi_app(scope: dict[str, object], receive: object, send: _Send) -> None:
    """Answer 200 with the request path (the app the asgi:// dispatch test loads)."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": str(scope["path"]).encode()})


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("ftp://receiver.test/hook", "unsupported target 'ftp://receiver.test/hook'"),
        ("receiver.test/hook", "unsupported target 'receiver.test/hook'"),
        ("http:///hook", "no host in target"),
        ("http://receiver.test:eighty/hook", "invalid port"),
        ("asgi://nonexistent.module:app/hook", "importing 'nonexistent.module' failed (ModuleNotFoundError"),
        (f"asgi://{__name__}/hook", "use asgi://package.module:app/path"),
        (f"asgi://{__name__}:no_such_app/hook", "has no 'no_such_app'"),
        (f"asgi://{__name__}:BODY/hook", "is not callable"),
    ],
)
def test_open_transport_rejects_bad_targets_with_one_line(target: str, message: str) -> None:
    """A wrong target is a UsageError naming what was given and what is allowed, on one line."""
    with pytest.raises(UsageError) as caught:
        open_transport(target)
    text = str(caught.value)
    assert message in text
    assert "\n" not in text


def test_unsupported_scheme_message_lists_allowed_targets() -> None:
    """The message for a wrong scheme tells the user which targets work."""
    with pytest.raises(UsageError, match=r"http://.*https://.*asgi://package\.module:app/path"):
        open_transport("ftp://receiver.test/hook")


def test_lean_engine_refuses_asgi_targets() -> None:
    """engine="lean" cannot call an in-process app and says which engines can."""
    with pytest.raises(UsageError, match="use engine auto or httpx"):
        open_transport(f"asgi://{__name__}:asgi_app/hook", engine="lean")


def test_unknown_engine_is_a_usage_error() -> None:
    """An engine name other than auto, httpx or lean is rejected."""
    with pytest.raises(UsageError, match="unknown delivery engine 'curl'"):
        open_transport("http://127.0.0.1/hook", engine="curl")  # type: ignore[arg-type]


@pytest.mark.parametrize(("timeout", "concurrency"), [(0.0, 8), (1.0, 0)])
def test_limits_must_be_positive(timeout: float, concurrency: int) -> None:
    """A zero timeout or concurrency is rejected up front."""
    with pytest.raises(UsageError):
        open_transport("http://127.0.0.1/hook", timeout=timeout, concurrency=concurrency)


def test_transport_error_keeps_kind_and_detail() -> None:
    """TransportError exposes kind and detail and prints as 'kind: detail'."""
    error = TransportError("protocol", "invalid HTTP response")
    assert (error.kind, error.detail) == ("protocol", "invalid HTTP response")
    assert str(error) == "protocol: invalid HTTP response"


def test_install_uvloop_sets_the_policy() -> None:
    """install_uvloop makes asyncio.run use uvloop when uvloop is installed."""
    uvloop = pytest.importorskip("uvloop")
    before = asyncio.get_event_loop_policy()
    try:
        assert install_uvloop() is True
        assert isinstance(asyncio.get_event_loop_policy(), uvloop.EventLoopPolicy)
    finally:
        asyncio.set_event_loop_policy(before)
