"""The closed loop's benchmark: how many open conversations one core of sosim sustains.

A trivial bot (raw asyncio, one keep-alive connection pool, no framework: it must never be the
bottleneck) answers every customer message through sosim's mock chat API. ``sosim run`` plays
the customers through its CLI, pinned to core 0; the bot runs on core 1. For each level of open
sessions it prints the conversations, the replies and timeouts, the reply latency (webhook out to
the bot's write) and the loop's own delay: from the bot's API write to the webhook it raises
going out. Target: under 2 ms p99 at 1,000 open sessions.

    python -m bench.loop                 # levels 250, 500, 1000, 2000
    python -m bench.loop --levels 1000 --json bench/out/loop.json

Every run is bounded: the sessions are counted, and each sosim run has a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._host import HOST, BenchError, child_setup, free_port, stop_process, wait_for_port

SECRET = "bench-secret"
RUN_TIMEOUT_S = 300


# --- the trivial bot -----------------------------------------------------------------------------


class _Api:
    """A few keep-alive HTTP/1.1 connections to the mock API, each used by one request at a time."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def call(self, method: str, path: str, body: bytes = b"") -> bytes:
        reader, writer = self.idle.pop() if self.idle else await asyncio.open_connection(self.host, self.port)
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer bench\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        writer.write(head.encode() + body)
        status_and_headers = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in status_and_headers.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        answer = await reader.readexactly(length)
        self.idle.append((reader, writer))
        return answer


async def serve_bot(port: int, api_port: int) -> None:
    """Answer each chatsession.message: fetch the new messages, reply to each customer message."""
    api = _Api(HOST, api_port)
    newest: dict[int, int] = {}
    tasks: set[asyncio.Future[None]] = set()

    async def answer(event: dict[str, Any]) -> None:
        session = event["PrimaryKey"]
        base = f"/{event['ContextIdentifier']}/api/v1/ChatSession/{session}"
        after = newest.get(session, 0)
        for message in json.loads(await api.call("GET", f"{base}/Messages?after={after}")):
            newest[session] = max(newest.get(session, 0), message["ChatMessageId"])
            if message["Type"] == "ToUser":
                await api.call("POST", f"{base}/Messages", b'{"Type":"ToCustomer","Message":"On it."}')

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                event = json.loads(await reader.readexactly(length))
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                if event.get("Event") == "chatsession.message":
                    task = asyncio.ensure_future(answer(event))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
        except (asyncio.IncompleteReadError, ConnectionError, StopIteration):
            writer.close()

    server = await asyncio.start_server(connection, HOST, port, backlog=4096)
    async with server:
        await server.serve_forever()


# --- one level -----------------------------------------------------------------------------------


def scenario(path: Path, sessions: int) -> None:
    """``sessions`` customers arrive within 5 s and each talks for about 20 s: all open at once."""
    path.write_text(
        json.dumps(
            {
                "name": "bench-loop",
                "locales": {"en_GB": 1.0},
                "webhook": {"secret": SECRET},
                "arrivals": {"sessions": sessions, "process": "uniform", "rate": sessions / 5},
                "flow": {
                    "bot": "external",
                    "external": {"reply_timeout": 30, "on_timeout": "abandon"},
                    "chatbot": {"turns": 4, "customer_delay": {"fixed": 5}, "handoff_probability": 0},
                    "conversation": {"customer_delay": {"fixed": 1}},
                },
            }
        ),
        encoding="utf-8",
    )


def run_level(sessions: int, workdir: Path) -> dict[str, Any]:
    """Run ``sosim run`` against the trivial bot with ``sessions`` customers; return the figures."""
    bot_port, api_port = free_port(), free_port()
    bot = subprocess.Popen(
        [sys.executable, "-m", "bench.loop", "--bot", str(bot_port), str(api_port)],
        preexec_fn=child_setup(1),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_for_port(bot_port, bot, lambda: "the trivial bot")
        path = workdir / f"loop-{sessions}.yaml"
        report = workdir / f"loop-{sessions}.json"
        scenario(path, sessions)
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "simulator",
                "run",
                str(path),
                "--target",
                f"http://{HOST}:{bot_port}/webhook",
                "--serve-api",
                f"{HOST}:{api_port}",
                "--report",
                str(report),
                "--quiet",
                "--concurrency",
                "512",
            ],
            preexec_fn=child_setup(0),
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_S,
            env={**os.environ, "SOSIM_SECRET": SECRET},
        )
        wall = time.perf_counter() - started
    finally:
        stop_process(bot)
    if not report.exists():
        raise BenchError(f"sosim run wrote no report (exit {done.returncode}): {done.stderr[-800:]}")
    summary = json.loads(report.read_text(encoding="utf-8"))
    conversation = summary["conversation"]
    return {
        "sessions": sessions,
        "peak_open": conversation["peak_open"],
        "replies": conversation["replies"],
        "unanswered": conversation["unanswered"],
        "reply_ms": conversation["reply_latency_ms"],
        "loop_delay_ms": conversation["loop_delay_ms"],
        "lag_p99_ms": summary["lag_ms"]["p99"],
        "exit": done.returncode,
        "wall_s": round(wall, 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--levels", type=int, nargs="+", default=[250, 500, 1000, 2000])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--bot", type=int, nargs=2, metavar=("PORT", "API_PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bot:
        asyncio.run(serve_bot(*args.bot))
        return 0
    rows = []
    print(f"closed loop: sosim on core 0, a trivial bot on core 1 ({os.cpu_count()} CPUs)")
    print(f"{'open':>6} {'replies':>8} {'unanswered':>10} {'reply p50':>10} {'reply p99':>10} "
          f"{'loop p50':>9} {'loop p99':>9} {'loop max':>9} {'lag p99':>8}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for level in args.levels:
            row = run_level(level, Path(tmp))
            rows.append(row)
            reply, loop = row["reply_ms"], row["loop_delay_ms"]
            print(
                f"{row['peak_open']:>6} {row['replies']:>8} {row['unanswered']:>10} {reply['p50']:>8.2f}ms "
                f"{reply['p99']:>8.2f}ms {loop['p50']:>7.3f}ms {loop['p99']:>7.3f}ms {loop['max']:>7.2f}ms "
                f"{row['lag_p99_ms']:>6.2f}ms"
            )
    sustained = [r["peak_open"] for r in rows if r["unanswered"] == 0 and r["loop_delay_ms"]["p99"] < 2.0]
    best = max(sustained) if sustained else 0
    print(f"sustained with no timeout and loop p99 < 2 ms: {best} open conversations")
    at_1000 = [r for r in rows if r["sessions"] == 1000]
    if at_1000:
        p99 = at_1000[0]["loop_delay_ms"]["p99"]
        print(f"{'PASS' if p99 < 2.0 else 'MISS'} loop delay p99 < 2 ms at 1000 open sessions ({p99:.3f} ms)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
