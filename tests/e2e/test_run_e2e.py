"""End-to-end tests for ``sosim run`` as a library: real servers on 127.0.0.1, real HTTP, real time.

Two kinds of server: sosim's own verifying receiver, and an independent minimal one written
here on ``http.server`` that checks signatures with ``hmac`` itself, so sosim is not judged by
its own code. Retry tests use short custom delays; one test keeps NetServer's real 1 s / 4 s, on
the FakeClock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal

import pytest
from rich.console import Console

from simulator.core.delivery_rules import NETSERVER, ONCE
from simulator.core.outcome import Attempt, RunInfo, RunResult, StateChange
from simulator.delivery.clock import FakeClock
from simulator.engine.run import EXIT_FAILED, EXIT_OK, RunConfig, RunOutcome, run
from simulator.report.stats import RunStats, render_summary
from simulator.servers.receiver import ReceiverConfig, ReceiverThread, WebhookChecker, verdict_ok
from simulator.superoffice import facts as so

pytestmark = pytest.mark.e2e

SECRET = "e2e-run-secret"
SUPPORT_CHAT = str(Path(__file__).resolve().parents[2] / "scenarios" / "support-chat.yaml")
TOO_MANY_ERRORS = so.WebhookState.TooManyErrors.name
FAST_RETRIES = replace(NETSERVER, name="custom", retry_delays=(0.1, 0.2))


def config(target: str | None, **options: Any) -> RunConfig:
    """A quiet run of support-chat at full speed, signed with SECRET."""
    settings: dict[str, Any] = {"sessions": 5, "max_rate": True, "secret": SECRET, "quiet": True}
    settings.update(options)
    return RunConfig(scenarios=(SUPPORT_CHAT,), target=target, **settings)


# --- an independent receiver --------------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    """One request as the independent server saw it."""

    at: float  # time.monotonic() when its body was read
    headers: dict[str, str]  # lower-case names
    body: bytes
    signature_ok: bool

    @property
    def event_id(self) -> str | None:
        return self.headers.get("x-superoffice-eventid")

    @property
    def retry(self) -> str | None:
        return self.headers.get("x-superoffice-retry")

    @property
    def payload(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.body)
        return doc


Decide = Callable[[Arrival, list[Arrival]], int]


class _Hook(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a production receiver would

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        headers = {name.lower(): value for name, value in self.headers.items()}
        digest = hmac.new(SECRET.encode("utf-8"), body, hashlib.sha256).digest()
        expected = base64.b64encode(digest).decode("ascii")
        given = headers.get("x-superoffice-signature", "")
        arrival = Arrival(time.monotonic(), headers, body, hmac.compare_digest(expected, given))
        server: IndependentServer = self.server  # type: ignore[assignment]
        with server.lock:
            server.arrivals.append(arrival)
            status = server.decide(arrival, server.arrivals) if arrival.signature_ok else 401
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output clean."""


class IndependentServer(ThreadingHTTPServer):
    """A minimal webhook receiver that counts TCP connections and answers by ``decide``."""

    daemon_threads = True

    def __init__(self, decide: Decide) -> None:
        super().__init__(("127.0.0.1", 0), _Hook)
        self.decide = decide
        self.lock = threading.Lock()
        self.arrivals: list[Arrival] = []
        self.connections = 0

    def get_request(self) -> tuple[socket.socket, Any]:
        accepted = super().get_request()
        self.connections += 1
        return accepted

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


@contextmanager
def independent_server(decide: Decide = lambda arrival, seen: 200) -> Iterator[IndependentServer]:
    """Serve on an ephemeral port in a thread for the duration of the block."""
    server = IndependentServer(decide)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def first_cycle_fails(arrival: Arrival, seen: list[Arrival]) -> int:
    """500 for every request carrying the first EventId the server saw, 200 for the rest."""
    return 500 if arrival.event_id == seen[0].event_id else 200


def without_event_id(payload: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in payload.items() if key != "EventId"}


# --- against sosim's receiver ---------------------------------------------------------------


@pytest.mark.parametrize("engine", ["lean", "httpx"])
def test_every_request_verified_by_the_receiver_and_counted_in_the_stats(
    engine: Literal["lean", "httpx"],
) -> None:
    """With either engine, every request of a run passes the receiver's checks and the stats agree."""
    with ReceiverThread(ReceiverConfig(secret=SECRET)) as receiver:
        outcome = run(config(receiver.url + "webhook", engine=engine))
        tally = receiver.checker.tally
    stats: RunStats = outcome.stats
    assert outcome.exit_code == EXIT_OK
    assert tally.problems == {}
    assert tally.received == tally.accepted == stats.attempts == stats.requests == stats.delivered > 100
    assert stats.failed == 0 and stats.retries == 0
    assert stats.status_codes == {200: stats.attempts}
    assert dict(tally.events) == {name: counts.sent for name, counts in stats.events.items()}
    assert tally.sessions == 5
    assert outcome.result.webhook_state == so.WebhookState.Active.name
    assert not outcome.result.interrupted


def test_built_in_receiver_is_used_without_a_target() -> None:
    """Without --target the run verifies itself against the embedded receiver and reports its tally."""
    outcome = run(config(None, sessions=3))
    assert outcome.exit_code == EXIT_OK
    assert outcome.receiver_tally is not None
    assert outcome.receiver_tally.accepted == outcome.stats.attempts > 0
    assert outcome.receiver_tally.problems == {}


@pytest.mark.parametrize("engine", ["lean", "httpx"])
def test_connections_are_kept_alive_across_many_requests(engine: Literal["lean", "httpx"]) -> None:
    """200+ requests at --concurrency 4 travel over at most 4 TCP connections."""
    with independent_server() as server:
        # preflight=False: the preflight's own probe would be one more (request-less) connection.
        outcome = run(config(server.url, sessions=10, concurrency=4, engine=engine, preflight=False))
    assert outcome.exit_code == EXIT_OK
    assert len(server.arrivals) == outcome.stats.attempts >= 200
    assert all(arrival.signature_ok for arrival in server.arrivals)
    assert 1 <= server.connections <= 4


# --- NetServer's rules, seen from an independent receiver -----------------------------


def test_retries_carry_the_same_event_id_and_a_retry_count() -> None:
    """A failing request is retried with the same EventId, body and signature; Retry is absent, 1, 2."""
    with independent_server(first_cycle_fails) as server:
        outcome = run(config(server.url, sessions=1, concurrency=1, policy=FAST_RETRIES))
    first = server.arrivals[:3]
    assert {arrival.event_id for arrival in first} == {first[0].event_id}
    assert {arrival.body for arrival in first} == {first[0].body}
    assert [arrival.retry for arrival in first] == [None, "1", "2"]
    assert all(arrival.signature_ok for arrival in server.arrivals)
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(first)]
    # the custom 0.1 s and 0.2 s waits, in that order, never shorter (load can only lengthen them)
    assert gaps[0] >= 0.09 and gaps[1] >= 0.19
    assert outcome.stats.retries == 2


def test_a_failed_cycle_is_sent_again_last_with_a_new_event_id() -> None:
    """After a failed cycle the payload comes back after the session's other events, under a new EventId."""
    with independent_server(first_cycle_fails) as server:
        outcome = run(config(server.url, sessions=1, concurrency=1, policy=FAST_RETRIES))
    arrivals = server.arrivals
    original, again = arrivals[0], arrivals[-1]
    assert again.event_id not in (None, original.event_id)
    assert again.payload["EventId"] == again.event_id
    assert again.signature_ok
    assert again.retry is None
    assert without_event_id(again.payload) == without_event_id(original.payload)
    event_ids = [arrival.event_id for arrival in arrivals]
    assert event_ids.count(again.event_id) == 1
    assert event_ids.count(original.event_id) == 3
    assert len(arrivals) == outcome.stats.attempts == outcome.stats.requests + 2
    assert outcome.stats.delivered == outcome.stats.requests - 1  # the failed cycle is one failed request
    assert outcome.result.webhook_state == so.WebhookState.Active.name


def test_the_receivers_verdict_counts_a_requeued_created_behind_its_session_apart() -> None:
    """A created whose cycle failed arrives after changed → Finished: counted as requeued, not an error."""
    with independent_server(first_cycle_fails) as server:
        run(config(server.url, sessions=1, concurrency=1, policy=FAST_RETRIES))
    checker = WebhookChecker(SECRET)
    verdicts = [checker.check("POST", arrival.headers, arrival.body) for arrival in server.arrivals]

    assert server.arrivals[0].payload["Event"] == so.EVENT_CREATED
    assert verdicts[-1].event == so.EVENT_CREATED and verdicts[-1].out_of_order
    assert so.EVENT_CHANGED in [arrival.payload["Event"] for arrival in server.arrivals[3:-1]]
    tally = checker.tally
    assert (tally.requeued, tally.requeued_out_of_order) == (1, 1)
    assert tally.problems == {}
    assert verdict_ok(tally)


def test_an_event_delivered_in_a_later_cycle_fails_no_report(tmp_path: Path) -> None:
    """Over real HTTP, NetServer's 1 s / 4 s on the FakeClock: the first event fails its cycle and is
    delivered in the next. It counts as delivered in a later cycle, nothing is lost, and the exit code,
    JUnit, JSON and HTML all pass the run (JUnit used to say failures="1" beside exit code 0)."""
    from xml.etree import ElementTree

    from simulator.report.writers import write_reports

    with independent_server(first_cycle_fails) as server:
        outcome = run(config(server.url, sessions=1, concurrency=1), clock=FakeClock())
    stats = outcome.stats
    assert outcome.exit_code == EXIT_OK
    counts = stats.delivery_counts()
    assert counts["delivered_later_cycle"] == 1
    assert counts["lost"] == 0
    assert counts["events_sent"] == counts["delivered_first_attempt"] + 1 == len(server.arrivals) - 3
    assert stats.failed == 1  # the per-cycle count old readers know
    paths = {name: tmp_path / name for name in ("r.json", "j.xml", "r.html")}
    write_reports(
        stats, outcome.thresholds, report=paths["r.json"], junit=paths["j.xml"], html=paths["r.html"]
    )
    assert json.loads(paths["r.json"].read_text())["totals"]["lost"] == 0
    assert ElementTree.parse(paths["j.xml"]).getroot().attrib["failures"] == "0"
    assert '<span class="badge pass">PASS</span>' in paths["r.html"].read_text()


class Attempts:
    """A run output that keeps every attempt (offsets on the run's clock)."""

    def __init__(self) -> None:
        self.attempts: list[Attempt] = []

    def start(self, info: RunInfo) -> None:
        """Nothing to prepare."""

    def handle_attempt(self, attempt: Attempt) -> None:
        self.attempts.append(attempt)

    def handle_state(self, change: StateChange) -> None:
        """States are in the stats."""

    def finish(self, result: RunResult) -> None:
        """Nothing to close."""


def test_nine_failures_at_netserver_spacing_turn_the_webhook_too_many_errors() -> None:
    """Against a receiver that always fails: 9 attempts, 1 s then 4 s apart in each cycle, then silence.

    NetServer's real 1 s / 4 s spacing on the FakeClock: the requests go over real HTTP to the
    independent server, but the waits between them take no time (each wait starts once the
    answer is in, so the virtual gaps are exact)."""
    log = Attempts()
    with independent_server(lambda arrival, seen: 500) as server:
        outcome = run(config(server.url, sessions=1, concurrency=1), extra_handlers=[log], clock=FakeClock())
        arrivals = list(server.arrivals)
    # Every attempt was answered, and the server records a request before answering it: what it
    # saw is all that was sent, nothing went out after TooManyErrors.
    assert [attempt.status for attempt in log.attempts] == [500] * 9
    assert len(arrivals) == 9
    for cycle, sent in zip(
        (arrivals[0:3], arrivals[3:6], arrivals[6:9]),
        (log.attempts[0:3], log.attempts[3:6], log.attempts[6:9]),
        strict=True,
    ):
        assert {arrival.event_id for arrival in cycle} == {cycle[0].event_id}
        assert [arrival.retry for arrival in cycle] == [None, "1", "2"]
        assert [attempt.request.event_id for attempt in sent] == [arrival.event_id for arrival in cycle]
        assert sent[1].sent_s - sent[0].done_s == pytest.approx(1.0)
        assert sent[2].sent_s - sent[1].done_s == pytest.approx(4.0)
    assert [attempt.sent_s for attempt in log.attempts] == pytest.approx([0, 1, 5, 5, 6, 10, 10, 11, 15])
    assert len({arrival.event_id for arrival in arrivals}) == 3
    assert outcome.exit_code == EXIT_FAILED
    assert outcome.result.webhook_state == TOO_MANY_ERRORS
    assert outcome.stats.too_many_errors_at == pytest.approx(15.0)
    assert "9 consecutive failed attempts" in outcome.result.reason


# --- a target that is down --------------------------------------------------------------


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _summary_text(outcome: RunOutcome) -> str:
    console = Console(record=True, width=200, file=io.StringIO())
    render_summary(outcome.stats, outcome.thresholds, console)
    return console.export_text()


@dataclass
class _Recording:
    lines: list[dict[str, Any]] = field(default_factory=list)

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [line for line in self.lines if line.get("type") == kind]


def _read_recording(path: Path) -> _Recording:
    return _Recording([json.loads(text) for text in path.read_text(encoding="utf-8").splitlines()])


def test_target_down_exits_1_says_connection_refused_and_keeps_the_recording(
    closed_port: int, tmp_path: Path
) -> None:
    """A target that refuses connections: exit 1, a message naming the refusal, and a complete recording."""
    recording = tmp_path / "down.jsonl"
    target = f"http://127.0.0.1:{closed_port}/hook"
    # preflight=False: what the delivery does when the target is down (the preflight would refuse at once).
    outcome = run(config(target, sessions=12, record=str(recording), preflight=False))
    assert outcome.exit_code == EXIT_FAILED
    assert outcome.stats.delivered == 0
    assert outcome.stats.errors["connect"] == outcome.stats.attempts >= 9
    assert outcome.result.webhook_state == TOO_MANY_ERRORS
    assert "Connection refused" in outcome.result.reason
    assert "Connection refused" in _summary_text(outcome)
    lines = _read_recording(recording)
    assert lines.lines[0]["format"] == "sosim-recording"
    assert lines.lines[0]["target"] == target
    attempts = lines.of_type("attempt")
    assert len(attempts) == outcome.stats.attempts
    assert all(
        line["error"] == "connect" and "Connection refused" in line["error_detail"] for line in attempts
    )
    assert lines.of_type("state")[0]["state"] == TOO_MANY_ERRORS
    assert lines.lines[-1]["type"] == "end"


def test_target_down_with_delivery_once_still_names_the_refusal(closed_port: int) -> None:
    """Without TooManyErrors (--delivery once) the outcome still says why nothing was delivered."""
    outcome = run(
        config(
            f"http://127.0.0.1:{closed_port}/hook",
            sessions=1,
            policy=ONCE,
            preflight=False,
        )
    )
    assert outcome.exit_code == EXIT_FAILED
    assert outcome.result.webhook_state == so.WebhookState.Active.name
    assert outcome.result.reason.startswith("nothing was delivered")
    assert "Connection refused" in outcome.result.reason
