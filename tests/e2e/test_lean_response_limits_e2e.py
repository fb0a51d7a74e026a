"""The lean engine bounds a response's headers as it bounds its body: endless headers fail the attempt."""

from __future__ import annotations

import asyncio

import pytest

from simulator.delivery.lean import LeanTransport
from simulator.delivery.transport import RESPONSE_HEAD_LIMIT, TransportError


async def _send_to(answer: bytes, *, forever: bytes = b"") -> TransportError | int:
    """POST once to a raw server that writes ``answer``, then ``forever`` until the client leaves."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(answer)
            while forever:
                writer.write(forever * 64)
                await writer.drain()
            await writer.drain()
            await reader.read()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = LeanTransport(f"http://127.0.0.1:{port}/hook", timeout=30.0)
    try:
        return (await transport.send((), b"{}")).status
    except TransportError as exc:
        return exc
    finally:
        await transport.aclose()
        server.close()


@pytest.mark.parametrize(
    "forever",
    [b"X-Endless: " + b"a" * 1000 + b"\r\n", b"X: 1\r\n"],
    ids=["long-headers", "many-headers"],
)
def test_endless_response_headers_fail_the_attempt_with_a_clear_error(forever: bytes) -> None:
    """A server that sends headers without end ends the attempt as a protocol failure, not a hang."""
    outcome = asyncio.run(_send_to(b"HTTP/1.1 200 OK\r\n", forever=forever))
    assert isinstance(outcome, TransportError)
    assert outcome.kind == "protocol"
    assert "response headers over 64 KiB or 200 lines" in outcome.detail


def test_a_large_body_after_small_headers_is_still_read() -> None:
    """The head limit counts only the head: a body far larger than it, in the same read, is fine."""
    body = b"b" * (4 * RESPONSE_HEAD_LIMIT)
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    assert asyncio.run(_send_to(answer)) == 200
