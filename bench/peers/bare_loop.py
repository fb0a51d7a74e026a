"""Python's ceiling for one fixed body: a bare asyncio + uvloop sender, no engine around it.

What one core of Python reaches when it does nothing but write one request and parse its answer
(httptools, as sosim's lean engine does) on each keep-alive connection: no payloads, signing,
schedule, per-session order, retries, histograms or report. ``python -m bench.peers`` runs it
beside wrk and hey with the same request, to show how much of the gap to wrk is sosim's own work
per request rather than the language's.

python bench/peers/bare_loop.py --url http://127.0.0.1:8080/webhook --request req.bin --seconds 8

Bounded: it stops after ``--seconds`` or ``--count`` answers, whichever comes first, and prints
one JSON line: answers, 2xx answers and the seconds spent sending.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from urllib.parse import urlsplit

import httptools

try:
    import uvloop
except ImportError:  # the bench still runs, on the stdlib loop
    uvloop = None


class Sender(asyncio.Protocol):
    """One keep-alive connection: the next request goes out when the last answer is complete."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.send_or_close()

    def send_or_close(self) -> None:
        run = self.run
        assert self.transport is not None
        if run.sent < run.count and time.monotonic() < run.deadline:
            run.sent += 1
            self.transport.write(run.request)
        else:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def on_message_complete(self) -> None:
        run = self.run
        run.answers += 1
        if 200 <= self.parser.get_status_code() < 300:
            run.ok += 1
        self.send_or_close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.run.closed(self)


class Run:
    def __init__(self, request: bytes, connections: int, count: int, seconds: float) -> None:
        self.request, self.connections, self.count = request, connections, count
        self.deadline = time.monotonic() + seconds
        self.sent = self.answers = self.ok = 0
        self.open = 0
        self.done: asyncio.Future[None] | None = None

    def closed(self, _sender: Sender) -> None:
        self.open -= 1
        if self.open <= 0 and self.done is not None and not self.done.done():
            self.done.set_result(None)

    async def main(self, host: str, port: int) -> float:
        loop = asyncio.get_running_loop()
        self.done = loop.create_future()
        start = time.perf_counter()
        for _ in range(self.connections):
            await loop.create_connection(lambda: Sender(self), host, port)
            self.open += 1
        remaining = self.deadline - time.monotonic() + 10
        await asyncio.wait_for(self.done, timeout=max(remaining, 1))
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--request", required=True, help="file with the request's exact bytes")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--count", type=int, default=10_000_000)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    target = urlsplit(args.url)
    if target.hostname not in ("127.0.0.1", "localhost"):
        parser.error("--url must be on 127.0.0.1 or localhost")
    with open(args.request, "rb") as file:
        request = file.read()
    run = Run(request, args.connections, args.count, args.seconds)
    runner = uvloop.run if uvloop is not None else asyncio.run
    seconds = runner(run.main(target.hostname, target.port or 80))
    print(json.dumps({"answers": run.answers, "ok": run.ok, "seconds": seconds}))


if __name__ == "__main__":
    main()
