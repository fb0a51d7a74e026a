"""Replaying a hostile recording on the lean engine puts exactly one well-framed request on the wire."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from simulator.core.events import Request
from simulator.delivery.lean import LeanTransport
from simulator.delivery.transport import TransportError
from simulator.recording.record import read_recording, request_line

BODY = b'{"EventId":"id-1"}'


async def _exchange(headers: tuple[tuple[str, str], ...]) -> tuple[list[bytes], int]:
    """Send once through the lean engine to a raw server; return every byte-run the server got."""
    received: list[bytes] = []
    done = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        fields = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:] if b": " in line)
        body = await reader.readexactly(int(fields[b"Content-Length"]))
        received.append(head + body)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        received.append(await reader.read())  # whatever else came on the connection
        writer.close()
        done.set()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = LeanTransport(f"http://127.0.0.1:{port}/hook", timeout=5.0)
    try:
        response = await transport.send(headers, BODY)
        await transport.aclose()
        await asyncio.wait_for(done.wait(), 5.0)
    finally:
        server.close()
        await server.wait_closed()
    assert response.status == 200
    return received, port


def test_recorded_content_length_and_host_are_replaced_by_the_real_ones(tmp_path: Path) -> None:
    """A recording's Content-Length: 999999 and Host never go out: one request, its real length."""
    path = tmp_path / "r.jsonl"
    headers = (("Host", "evil.example"), ("Content-Length", "999999"), ("X-SuperOffice-EventId", "id-1"))
    header = {"format": "sosim-recording", "version": 1, "kind": "run"}
    line = request_line(Request("chatsession.created", "id-1", 7, headers, BODY))
    path.write_text(json.dumps(header) + "\n" + json.dumps(line) + "\n")
    [record] = list(read_recording(path)[1])
    received, port = asyncio.run(_exchange(record.request.headers))
    request, rest = received
    assert request == (
        f"POST /hook HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-SuperOffice-EventId: id-1\r\n"
        f"Content-Length: {len(BODY)}\r\n\r\n".encode()
        + BODY
    )
    assert rest == b""


def test_caller_headers_for_host_and_length_are_dropped_by_the_lean_engine() -> None:
    """Even handed to the transport directly, Host and Content-Length are the transport's own."""
    received, port = asyncio.run(_exchange((("content-length", "0"), ("HOST", "x"))))
    assert received == [
        f"POST /hook HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {len(BODY)}\r\n\r\n".encode()
        + BODY,
        b"",
    ]


@pytest.mark.parametrize("value", ["a\r\nContent-Length: 0\r\n\r\nGET /smuggled HTTP/1.1", "a\nb", "a\x00"])
def test_a_header_with_a_line_break_is_not_sent(value: str) -> None:
    """A header value with CR, LF or NUL fails the attempt before a byte is written."""
    transport = LeanTransport("http://127.0.0.1:9/hook")
    with pytest.raises(TransportError, match="CR, LF or NUL"):
        transport.request_bytes((("X-Test", value),), BODY)
