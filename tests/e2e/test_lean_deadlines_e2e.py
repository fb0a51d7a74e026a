"""LeanTransport's deadlines, kept by one timer for every request in flight, on a real socket."""

from __future__ import annotations

import asyncio

from simulator.delivery.lean import LeanTransport
from simulator.delivery.transport import TransportError

TIMEOUT_S = 0.3


async def _answer_unless_told_to_hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            if await reader.readexactly(length) == b"hang":
                await asyncio.sleep(30)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()
    except (asyncio.IncompleteReadError, asyncio.CancelledError, ConnectionError):
        writer.close()


async def _staggered_sends() -> list[tuple[str, float]]:
    server = await asyncio.start_server(_answer_unless_told_to_hang, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport = LeanTransport(f"http://127.0.0.1:{port}/hook", timeout=TIMEOUT_S, concurrency=8)
    loop = asyncio.get_running_loop()

    async def one(index: int) -> tuple[str, float]:
        await asyncio.sleep(index * 0.07)
        started = loop.time()
        try:
            await transport.send((), b"hang" if index % 3 == 0 else b"fine")
            return "ok", loop.time() - started
        except TransportError as exc:
            return exc.kind, loop.time() - started

    try:
        return await asyncio.gather(*(one(index) for index in range(12)))
    finally:
        await transport.aclose()
        server.close()


def test_each_request_times_out_at_its_own_deadline_while_others_are_answered() -> None:
    """Requests that start at different times each fail when their own timeout has passed."""
    results = asyncio.run(_staggered_sends())
    for index, (outcome, elapsed) in enumerate(results):
        if index % 3 == 0:
            assert outcome == "timeout"
            assert TIMEOUT_S - 0.01 <= elapsed < TIMEOUT_S + 0.1
        else:
            assert outcome == "ok"
            assert elapsed < TIMEOUT_S
