"""Each fault end to end on 127.0.0.1: the reference receiver passes them all, a naive one that
trusts every request fails the forgeries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from simulator.core.faults import FAULTS, FaultSpec
from simulator.engine.run import RunConfig, run
from simulator.servers.receiver import ReceiverConfig, ReceiverThread, WebhookChecker

pytestmark = pytest.mark.e2e

SECRET = "fault-e2e-secret"
SCENARIO = f"""
name: faults-e2e
seed: 5
webhook: {{secret: {SECRET}}}
arrivals: {{sessions: 12, process: uniform, rate: 12/min}}
flow:
  queue: {{wait: 5s, abandon_probability: 0}}
  conversation: {{turns: 3, customer_delay: 4s, agent_delay: 4s}}
"""


class NaiveHandler(BaseHTTPRequestHandler):
    """A receiver that trusts every request: answers 200 without checking anything."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


class NaiveServer(ThreadingHTTPServer):
    """http.server's default listen backlog of 5 drops connections under a burst; raise it."""

    request_queue_size = 128
    daemon_threads = True


@pytest.fixture
def naive_url() -> Iterator[str]:
    server = NaiveServer(("127.0.0.1", 0), NaiveHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def scenario(tmp_path: Path) -> str:
    path = tmp_path / "faults.yaml"
    path.write_text(SCENARIO)
    return str(path)


def fire(scenario: str, target: str, faults: tuple[FaultSpec, ...], tmp_path: Path):  # type: ignore[no-untyped-def]
    config = RunConfig(
        scenarios=(scenario,),
        target=target,
        max_rate=True,
        quiet=True,
        faults=faults,
        record=str(tmp_path / "rec.jsonl"),
    )
    return run(config)


@pytest.mark.parametrize("name", FAULTS)
def test_reference_receiver_passes_each_fault(name: str, scenario: str, tmp_path: Path) -> None:
    """sosim's own receiver answers every fault as a correct receiver should; the run exits 0 and
    every injected request is tagged with its fault in the recording."""
    spec = FaultSpec(name, 5 if name == "burst" else 0.3)
    checker = WebhookChecker(SECRET, check_order=False)  # reordered traffic is out of order on purpose
    with ReceiverThread(ReceiverConfig(secret=SECRET), checker=checker) as receiver:
        outcome = fire(scenario, receiver.url, (spec,), tmp_path)
    assert outcome.faults is not None
    verdict = outcome.faults.verdicts[name]
    assert verdict.sent > 0 and verdict.passed, verdict.describe()
    assert outcome.exit_code == 0
    lines = [json.loads(line) for line in (tmp_path / "rec.jsonl").read_text().splitlines()]
    assert sum(1 for line in lines if line.get("fault") == name) == verdict.sent


def test_naive_receiver_fails_the_forgeries(scenario: str, naive_url: str, tmp_path: Path) -> None:
    """A receiver that trusts everything fails bad-signature, missing-signature and tampered-body,
    and the run exits 1; duplicates still pass."""
    faults = tuple(
        FaultSpec(n, 0.3) for n in ("bad-signature", "missing-signature", "tampered-body", "duplicate")
    )
    outcome = fire(scenario, naive_url, faults, tmp_path)
    assert outcome.faults is not None
    verdicts = outcome.faults.verdicts
    assert not verdicts["bad-signature"].passed
    assert not verdicts["missing-signature"].passed
    assert not verdicts["tampered-body"].passed
    assert verdicts["duplicate"].passed
    assert outcome.exit_code == 1


def test_naive_receiver_accepts_malformed_json(scenario: str, naive_url: str, tmp_path: Path) -> None:
    """A receiver that answers 200 to a truncated body fails malformed-json."""
    outcome = fire(scenario, naive_url, (FaultSpec("malformed-json", 0.3),), tmp_path)
    assert outcome.faults is not None and not outcome.faults.verdicts["malformed-json"].passed
