"""429 with Retry-After from a real server on 127.0.0.1: NetServer's fixed spacing by default,
the Retry-After wait when asked for (docs/explanations/superoffice-choices.md).

The waits run on the FakeClock, so a 30 s Retry-After takes no real time; the requests and the
answers (with their headers) cross real sockets, on both engines.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from simulator.core.delivery_rules import NETSERVER, DeliveryPolicy
from simulator.core.outcome import Attempt, RunInfo, RunResult, StateChange
from simulator.delivery.clock import FakeClock
from simulator.engine.run import EXIT_OK, RunConfig, run

pytestmark = pytest.mark.e2e

SUPPORT_CHAT = str(Path(__file__).resolve().parents[2] / "scenarios" / "support-chat.yaml")


class _Throttling(BaseHTTPRequestHandler):
    """429 with the server's Retry-After to the first two requests, 200 afterwards."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        server: ThrottlingServer = self.server  # type: ignore[assignment]
        with server.lock:
            server.seen += 1
            throttled = server.seen <= 2
        self.send_response(429 if throttled else 200)
        if throttled:
            self.send_header("Retry-After", server.retry_after)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean."""


class ThrottlingServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, retry_after: str) -> None:
        super().__init__(("127.0.0.1", 0), _Throttling)
        self.retry_after = retry_after
        self.lock = threading.Lock()
        self.seen = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


@contextmanager
def throttling_server(retry_after: str) -> Iterator[ThrottlingServer]:
    server = ThrottlingServer(retry_after)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class Attempts:
    def __init__(self) -> None:
        self.attempts: list[Attempt] = []

    def start(self, info: RunInfo) -> None: ...

    def handle_attempt(self, attempt: Attempt) -> None:
        self.attempts.append(attempt)

    def handle_state(self, change: StateChange) -> None: ...

    def finish(self, result: RunResult) -> None: ...


def _first_gaps(policy: DeliveryPolicy, engine: str, retry_after: str = "30") -> list[float]:
    log = Attempts()
    with throttling_server(retry_after) as server:
        settings: dict[str, Any] = {"sessions": 1, "concurrency": 1, "max_rate": True, "quiet": True}
        settings.update(policy=policy, engine=engine, preflight=False)
        config = RunConfig(scenarios=(SUPPORT_CHAT,), target=server.url, **settings)
        outcome = run(config, extra_handlers=[log], clock=FakeClock())
    assert outcome.exit_code == EXIT_OK
    first = log.attempts[:3]
    assert [attempt.status for attempt in first] == [429, 429, 200]
    return [later.sent_s - earlier.done_s for earlier, later in itertools.pairwise(first)]


@pytest.mark.parametrize("engine", ["lean", "httpx"])
def test_by_default_retry_after_is_ignored_as_netserver_documents(engine: str) -> None:
    """NetServer's documented retries come 1 s and 4 s after a failure, whatever the 429 asks for."""
    assert _first_gaps(NETSERVER, engine) == pytest.approx([1.0, 4.0])


@pytest.mark.parametrize("engine", ["lean", "httpx"])
def test_retry_after_is_waited_for_when_honoured(engine: str) -> None:
    """With retry_after="honour", the next attempt waits the 30 s the server asked for."""
    assert _first_gaps(replace(NETSERVER, retry_after="honour"), engine) == pytest.approx([30.0, 30.0])


def test_an_honoured_retry_after_is_capped_and_never_shortens_the_schedule() -> None:
    """A huge Retry-After waits at most retry_after_max_s; a short one keeps NetServer's own delay."""
    honour = replace(NETSERVER, retry_after="honour", retry_after_max_s=10.0)
    assert _first_gaps(honour, "lean", retry_after="86400") == pytest.approx([10.0, 10.0])
    assert _first_gaps(honour, "lean", retry_after="2") == pytest.approx([2.0, 4.0])
    assert _first_gaps(honour, "lean", retry_after="soon") == pytest.approx([1.0, 4.0])
