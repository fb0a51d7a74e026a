"""Hostile clients against sosim's own servers on 127.0.0.1: `receive`, the mock API and the tenant API.

Each attack goes over a raw socket. The servers answer 4xx (or close the connection), never 5xx,
never hang, and still answer a good request afterwards. The time limits are set short here so
slow clients are cut off within a second; their defaults are in docs/reference/server-limits.md.
"""

from __future__ import annotations

import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from simulator.core.events import Webhook
from simulator.mockapi.server import API_LIMITS, ApiServerThread
from simulator.mockapi.state import ChatState, MockApi, MockApiOptions
from simulator.servers.limits import ServerLimits
from simulator.servers.receiver import ReceiverConfig, ReceiverThread
from simulator.tenant.api import ApiSettings, PingResult, TenantApi, WebhookEndpoints
from simulator.tenant.registry import Registry

pytestmark = pytest.mark.e2e

SHORT = {"idle_timeout_s": 0.5, "request_timeout_s": 0.5}
RECEIVER_LIMITS = ServerLimits(**SHORT)  # type: ignore[arg-type]
API_SHORT_LIMITS = ServerLimits(max_body_bytes=API_LIMITS.max_body_bytes, **SHORT)  # type: ignore[arg-type]
READ_TIMEOUT_S = 10.0  # far above every limit: reaching it means the server hung
LIMIT_STATUSES = {408, 413, 414, 431}
STATUS = re.compile(rb"HTTP/1\.[01] (\d{3}) ")


@contextmanager
def receiver() -> Iterator[tuple[int, bytes]]:
    with ReceiverThread(ReceiverConfig(limits=RECEIVER_LIMITS)) as running:
        yield running.receiver.port, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"


@contextmanager
def mock_api() -> Iterator[tuple[int, bytes]]:
    state = ChatState()
    state.add_tenant("Cust1")
    api = MockApi(state, MockApiOptions())
    with ApiServerThread(api, limits=API_SHORT_LIMITS) as running:
        yield (
            running.server.port,
            b"GET /Cust1/api/v1/ChatTopic HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n",
        )


@contextmanager
def tenant_api() -> Iterator[tuple[int, bytes]]:
    state = ChatState()
    state.add_tenant("Cust1")
    endpoints = WebhookEndpoints(
        Registry(),
        Webhook(name="sosim", context_identifier="Cust1"),
        pinger=lambda url, request: PingResult(200, "ok"),
        settings=ApiSettings(ping_on="never"),
    )
    api = TenantApi(endpoints, state=state, options=MockApiOptions())
    with ApiServerThread(api, limits=API_SHORT_LIMITS) as running:
        yield (
            running.server.port,
            b"GET /Cust1/api/v1/Webhook HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n\r\n",
        )


SERVERS: dict[str, Callable[[], contextmanager[tuple[int, bytes]]]] = {  # type: ignore[valid-type]
    "receive": receiver,
    "api": mock_api,
    "tenant": tenant_api,
}


def exchange(port: int, data: bytes, *, half_close: bool = False, chunk: int = 1 << 16) -> bytes:
    """Send ``data`` and read until the server closes (or READ_TIMEOUT_S, which fails the test)."""
    with socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT_S) as sock:
        try:
            for start in range(0, len(data), chunk):
                sock.sendall(data[start : start + chunk])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server refused and closed before taking it all: what is answered counts
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        received = b""
        while True:
            try:
                part = sock.recv(65536)
            except ConnectionResetError:
                break
            except TimeoutError:
                pytest.fail(f"no close within {READ_TIMEOUT_S}s; got {received[:200]!r}")
            if not part:
                break
            received += part
    return received


def statuses(answer: bytes) -> list[int]:
    return [int(code) for code in STATUS.findall(answer)]


GOOD_GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
ATTACKS: dict[str, tuple[bytes, dict[str, bool], set[int] | None]] = {
    # name: (bytes, exchange options, the statuses allowed; None: any 4xx or a plain close)
    "garbage bytes": (b"\x00\xff\xfe\x16\x03\x01 garbage\r\n\r\n", {}, {400}),
    "TLS hello on plain http": (bytes.fromhex("160301020001") + b"\x00" * 200, {}, {400}),
    "64 KiB header": (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70_000 + b"\r\n\r\n", {}, {431}),
    "endless header": (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 3_000_000, {}, {431}),
    "1000 headers": (
        b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(1000)) + b"\r\n",
        {},
        {431},
    ),
    "100 KiB URL": (b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", {}, {414, 431}),
    "100 MB body declared": (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n" + b"x" * 1000,
        {},
        {413},
    ),
    "endless chunked body": (
        b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"100000\r\n"
        + b"x" * 0x100000
        + b"\r\n" * 1
        + (b"100000\r\n" + b"x" * 0x100000 + b"\r\n") * 17,
        {},
        {413},
    ),
    "pipelined junk": (GOOD_GET + b"JUNK JUNK JUNK\r\n\r\n", {}, None),
    "half-closed mid-head": (b"GET / HTTP/1.1\r\nHost: x\r\nX-A:", {"half_close": True}, None),
    "half-closed mid-body": (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n{}",
        {"half_close": True},
        None,
    ),
    "invalid UTF-8 path": (
        b"GET /\xff\xfe\xc3\x28/%C3%28 HTTP/1.1\r\nHost: x\r\n\r\n",
        {"half_close": True},
        None,
    ),
    "bad percent-encoding": (
        b"GET /%zz%/..%2f..%2fetc%2fpasswd%00?$filter=%27%20or%201 HTTP/1.1\r\nHost: x\r\n\r\n",
        {"half_close": True},
        None,
    ),
    "NUL in header": (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", {}, {400}),
    "bare LF and odd method": (b"BREW /pot HTTP/1.1\nHost: x\n\n", {"half_close": True}, None),
    "HTTP/2 preface": (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", {}, None),
    "slowloris: head never ends": (b"GET / HTTP/1.1\r\nHost: x\r\nX-A: b", {}, {408}),
    "slowloris: body never ends": (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{", {}, {408}),
    "idle connection": (b"", {}, set()),
}


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize("attack", ATTACKS)
def test_a_hostile_client_gets_4xx_or_a_close_and_the_server_still_answers(server: str, attack: str) -> None:
    """No 5xx, no hang: each attack ends in a 4xx or a close, and a good request is answered after it."""
    data, options, allowed = ATTACKS[attack]
    with SERVERS[server]() as (port, good):
        answer = exchange(port, data, **options)
        got = statuses(answer)
        assert all(400 <= status < 500 or status < 300 for status in got), (got, answer[:300])
        if allowed is not None:
            refusals = [status for status in got if status >= 400]
            assert (refusals and set(refusals) <= allowed) if allowed else not got, (got, answer[:300])
        after = statuses(
            exchange(port, good.replace(b"HTTP/1.1\r\n", b"HTTP/1.1\r\nConnection: close\r\n", 1))
        )
        assert after and after[-1] < 500 and after[-1] not in LIMIT_STATUSES, after


@pytest.mark.parametrize("server", SERVERS)
def test_limits_do_not_refuse_what_is_within_them(server: str) -> None:
    """A 60 KiB header and 99 headers pass, pipelined on one keep-alive connection (the answers to
    these requests are the server's usual 4xx for an unsigned webhook or an unknown route)."""
    with SERVERS[server]() as (port, good):
        big = good.replace(b"Host: x\r\n", b"Host: x\r\nX-Big: " + b"a" * 60_000 + b"\r\n", 1)
        many = good.replace(
            b"Host: x\r\n", b"Host: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(97)), 1
        )
        answer = exchange(port, big + many + good, half_close=True)
        got = statuses(answer)
        assert len(got) == 3 and not set(got) & LIMIT_STATUSES and max(got) < 500, answer[:300]


# --- running out of file descriptors ----------------------------------------------------------


@pytest.mark.skipif(not Path("/bin/sh").exists(), reason="needs a POSIX shell for ulimit")
def test_out_of_file_descriptors_is_logged_once_a_second_and_the_server_recovers() -> None:
    """`sosim receive` under `ulimit -n 64` with 100 connections held open: one log line a second
    (not a traceback per refused accept), and a good request is answered once they close."""
    command = f"ulimit -n 64 && exec {shlex.quote(sys.executable)} -m simulator receive --port 0"
    server = subprocess.Popen(
        ["/bin/sh", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []
    reader = threading.Thread(target=lambda: [lines.put(line) for line in server.stderr or ()], daemon=True)
    reader.start()

    def next_line() -> str:
        line = lines.get(timeout=READ_TIMEOUT_S)
        seen.append(line)
        return line

    held: list[socket.socket] = []
    try:
        port = 0
        while not port:
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)/", next_line())
            port = int(found.group(1)) if found else 0
        for _ in range(100):
            held.append(socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT_S))
        messages = 0
        while messages < 2:  # the second message comes a second after the first, not sooner
            messages += "cannot accept connections" in next_line()
            assert len(seen) <= 6, seen[-6:]  # before: a traceback per refused accept, ~8,000 lines a second
        assert "Too many open files" in seen[-1] and "refused since the last message" in seen[-1]
        for sock in held:
            sock.close()
        held.clear()
        answer = exchange(
            port, b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}"
        )
        assert statuses(answer) == [400], answer  # an unsigned non-webhook: judged, not refused
    finally:
        for sock in held:
            sock.close()
        server.send_signal(signal.SIGINT)
        server.wait(timeout=READ_TIMEOUT_S)
