"""Hostile clients at load against sosim's own servers, each started through the CLI as a user does.

    python -m bench.hostile [--clients 50] [--requests 2000] [--slowloris 500] [--servers receive,api,tenant]

For each of ``sosim receive``, ``sosim api`` and ``sosim tenant`` (a real process on 127.0.0.1):

1. ``--slowloris`` connections that send half a request head and then nothing; they are held open
   while the rest runs, and the server must close them itself (its request timeout);
2. ``--clients`` keep-alive clients sending ``--requests`` requests each, at once, and reading
   every answer: the count of answers by status class (any 5xx, or a missing answer, is a MISS);
3. after both, one more plain request, which must still be answered;
4. the server's RSS (``/proc``) before and after: growth over ``--rss-bar`` MiB (50, issue 14) is a MISS.

Prints one row per server and PASS/MISS. Bounded: the load is a fixed count, every answer has a
10 s timeout, a slowloris connection is held at most 90 s, and every process it starts is stopped
at the end (also on Ctrl-C).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench._host import HOST, BenchError, free_port, stop_process, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "scenarios" / "support-chat.yaml")
SECRET_ENV = "SOSIM_BENCH_SECRET"
TENANT = "Cust12345"
ANSWER_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Target:
    """A sosim server: the command that starts it and the request its clients repeat."""

    name: str
    argv: tuple[str, ...]
    request: bytes


@dataclass
class Tally:
    """What one server answered."""

    statuses: Counter[str] = field(default_factory=Counter)
    unanswered: int = 0
    slowloris_closed: int = 0
    seconds: float = 0.0


def _targets(port: int) -> dict[str, Target]:
    auth = b"Authorization: Bearer bench\r\n"
    sosim = (sys.executable, "-m", "simulator")
    return {
        "receive": Target(
            "receive",
            (*sosim, "receive", "--port", str(port), "--secret-env", SECRET_ENV, "--quiet"),
            # Unsigned: the receiver answers 401, a 4xx, every time (the point is the load, not the verdict).
            b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 2\r\n\r\n{}",
        ),
        "api": Target(
            "api",
            (*sosim, "api", SCENARIO, "--port", str(port), "--sessions", "20"),
            b"GET /%s/api/v1/ChatSession?$top=5 HTTP/1.1\r\nHost: x\r\n%s\r\n" % (TENANT.encode(), auth),
        ),
        "tenant": Target(
            "tenant",
            (*sosim, "tenant", SCENARIO, "--port", str(port), "--sessions", "5", "--wait-timeout", "10m"),
            b"GET /%s/api/v1/Webhook HTTP/1.1\r\nHost: x\r\n%s\r\n" % (TENANT.encode(), auth),
        ),
    }


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no VmRSS for pid {pid}")


async def _read_answer(reader: asyncio.StreamReader) -> str | None:
    """One HTTP answer's status class ("2xx"...), or None when the server closed first."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    status = head.split(b" ", 2)[1].decode()
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return f"{status[0]}xx" if status.isdigit() else "garbage"


async def _client(port: int, request: bytes, count: int, tally: Tally) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        for _ in range(count):
            writer.write(request)
            answer = await asyncio.wait_for(_read_answer(reader), ANSWER_TIMEOUT_S)
            if answer is None:  # closed: reconnect and go on, counting the request as unanswered
                tally.unanswered += 1
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
                continue
            tally.statuses[answer] += 1
    finally:
        writer.close()


async def _slowloris(port: int, tally: Tally, hold_s: float) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    try:
        data = await asyncio.wait_for(reader.read(), hold_s)
        tally.slowloris_closed += 1 if data is not None else 0
    except (TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()


async def _attack(port: int, target: Target, clients: int, requests: int, slow: int) -> Tally:
    tally = Tally()
    started = time.perf_counter()
    loris = [asyncio.create_task(_slowloris(port, tally, ANSWER_TIMEOUT_S * 9)) for _ in range(slow)]
    await asyncio.sleep(0.2)  # the half-open heads are in before the load starts
    await asyncio.gather(*(_client(port, target.request, requests, tally) for _ in range(clients)))
    tally.seconds = time.perf_counter() - started
    await asyncio.gather(*loris)  # the server's request timeout (30 s) closes them
    return tally


async def _still_answers(port: int, request: bytes) -> str | None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(request)
        return await asyncio.wait_for(_read_answer(reader), ANSWER_TIMEOUT_S)
    finally:
        writer.close()


@contextlib.contextmanager
def _started(target: Target, port: int) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, SECRET_ENV: "bench-secret", "PYTHONUNBUFFERED": "1"}
    log = open(os.devnull, "wb")  # noqa: SIM115 - closed below, after the process
    process = subprocess.Popen(target.argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    try:
        wait_for_port(port, process, lambda: f"sosim {target.name} did not start")
        yield process
    finally:
        stop_process(process)
        log.close()


def measure(name: str, clients: int, requests: int, slow: int, rss_bar: float) -> bool:
    port = free_port()
    target = _targets(port)[name]
    with _started(target, port) as process:
        asyncio.run(_still_answers(port, target.request))  # warm: first answers load lazy modules
        before = _rss_mib(process.pid)
        tally = asyncio.run(_attack(port, target, clients, requests, slow))
        after_answer = asyncio.run(_still_answers(port, target.request))
        after = _rss_mib(process.pid)
    five = tally.statuses.get("5xx", 0)
    total = sum(tally.statuses.values())
    grew = after - before
    ok = five == 0 and tally.unanswered == 0 and after_answer not in (None, "5xx") and grew < rss_bar
    shown = " ".join(f"{k} {v:,}" for k, v in sorted(tally.statuses.items()))
    print(
        f"{name:8} {total:>9,} answers in {tally.seconds:5.1f} s ({shown}); unanswered {tally.unanswered}; "
        f"slowloris closed by the server {tally.slowloris_closed}/{slow}; afterwards {after_answer}; "
        f"RSS {before:.1f} -> {after:.1f} MiB (+{grew:.1f}) {'PASS' if ok else 'MISS'}"
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000, help="per client")
    parser.add_argument("--slowloris", type=int, default=500)
    parser.add_argument("--servers", default="receive,api,tenant")
    parser.add_argument("--rss-bar", type=float, default=50.0, help="MiB of growth that is a MISS")
    args = parser.parse_args(argv)
    print(
        f"{args.clients} clients x {args.requests:,} requests, {args.slowloris} slowloris connections held "
        f"meanwhile, per server (load average {os.getloadavg()[0]:.2f})"
    )
    results = [
        measure(name, args.clients, args.requests, args.slowloris, args.rss_bar)
        for name in args.servers.split(",")
    ]
    return 0 if all(results) else 1


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
