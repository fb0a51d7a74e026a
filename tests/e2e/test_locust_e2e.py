"""sosim on Locust, end to end on 127.0.0.1: a Locust master with two worker processes, headless,
firing the shipped locustfile's users at sosim's own verifying receiver.

Locust runs in subprocesses only: importing it here would monkey-patch this test process.
Skipped when Locust is not installed (``pip install 'sosim[locust]'``; the ``test`` extra has it).
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.core.generate import make_generator
from simulator.core.scenario import load_scenario
from simulator.locust import LOCUSTFILE
from simulator.locust.shard import ShardLayout
from simulator.servers.receiver import ReceiverConfig, ReceiverThread

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="Locust is not installed"),
]

SECRET = "locust-e2e-secret"
SECRET_ENV = "SOSIM_LOCUST_E2E_SECRET"
SEED = 11
SCENARIO = """\
name: locust-e2e
seed: 3
locales: {en_GB: 0.5, sv_SE: 0.5}
webhook: {name: Locust e2e hook, context_identifier: Cust777}
population: {first_session_id: 610000, first_message_id: 91000001, identity_pool: 32}
arrivals: {duration: 1h, process: poisson, rate: 1/s}
flow:
  chatbot: {probability: 0.3}
  conversation: {turns: {uniform: [1, 3]}}
"""


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    """The scenario the users play (no secret in it: --secret-env brings that)."""
    path = tmp_path / "locust-e2e.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


@pytest.fixture
def receiver() -> Iterator[ReceiverThread]:
    """sosim's verifying receiver, keeping every request."""
    with ReceiverThread(ReceiverConfig(secret=SECRET), keep=True) as thread:
        yield thread


def free_port() -> int:
    """A port nobody listens on now, so a Locust master elsewhere on the machine cannot clash."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def locust(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run Locust's own CLI on the shipped locustfile: a master and two worker processes."""
    env = {**os.environ, SECRET_ENV: SECRET}
    port = str(free_port())
    command = [
        *(sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--processes", "2"),
        *("--master-bind-host", "127.0.0.1", "--master-bind-port", port, "--master-port", port),
        *args,
    ]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, check=False)


def test_two_workers_deliver_whole_sessions_that_the_master_counts_exactly(
    receiver: ReceiverThread, scenario_file: Path, tmp_path: Path
) -> None:
    """Every session arrives complete, in order and signed; workers share no EventId; report == receiver."""
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    result = locust(
        *("-u", "6", "-r", "50", "-t", "8s", "--stop-timeout", "20"),
        *("--host", receiver.url + "hook", "--scenario", str(scenario_file)),
        *("--secret-env", SECRET_ENV, "--seed", str(SEED), "--speed", "300"),
        *("--sosim-report", str(report), "--sosim-junit", str(junit)),
        *("--fail-if", "error_rate > 1%", "--fail-if", "sent < 20"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "no final figures" not in result.stderr and "its reports hold" not in result.stderr

    tally = receiver.checker.tally
    summary = json.loads(report.read_text(encoding="utf-8"))
    assert tally.problems == {}  # every signature verified, every session in order
    assert summary["totals"]["attempts"] == tally.received > 0
    assert summary["totals"]["delivered"] == tally.accepted
    assert {name: sum(e["status_codes"].values()) for name, e in summary["events"].items()} == tally.events
    assert tally.duplicates == 0 and tally.event_ids == tally.received

    # The bytes sosim run sends: Locust's client would add Accept-Encoding (and follow redirects).
    sosim_headers = {"host", "content-length", "content-type", "user-agent"}
    for request in receiver.received:
        names = {key.lower() for key, _ in request.headers}
        assert {name for name in names if not name.startswith("x-superoffice-")} == sosim_headers
        assert request.method == "POST" and request.path == "/hook"

    scenario = load_scenario(scenario_file)
    first = scenario.population.first_session_id
    arrived: dict[int, list[str]] = defaultdict(list)
    for request in receiver.received:
        body = json.loads(request.body)
        arrived[body["PrimaryKey"]].append(body["EventId"])
    generator = make_generator(scenario, seed=SEED)
    for session_id, event_ids in arrived.items():
        expected = [t.event.event_id for t in generator.session(session_id - first, 0.0).events]
        assert event_ids == expected, f"session {session_id} arrived incomplete or out of order"

    extra = summary["run"]["extra"]
    layout = ShardLayout(int(extra["workers"]), int(extra["shard_stride"]))
    by_worker: dict[int, set[str]] = defaultdict(set)
    for session_id, event_ids in arrived.items():
        by_worker[layout.locate(session_id - first).slot].update(event_ids)
    assert sorted(by_worker) == [0, 1]
    assert not by_worker[0] & by_worker[1]

    cases = ET.parse(junit).getroot().iter("testcase")
    assert [c.get("name") for c in cases if c.get("classname") == "sosim.thresholds"] == [
        "error_rate > 1%",
        "sent < 20",
    ]


def test_requests_in_flight_when_the_stop_timeout_runs_out_are_counted_as_abandoned(
    scenario_file: Path, tmp_path: Path
) -> None:
    """Users killed at --stop-timeout with a request in flight: the master still counts every attempt.

    The receiver answers each request after 2 s, longer than the 1 s --stop-timeout, so when the
    run ends every user still in a session has a request in flight and is killed with it. Each
    of those requests reached the receiver; the master's report counts them as abandoned.
    """
    report = tmp_path / "report.json"
    with ReceiverThread(ReceiverConfig(secret=SECRET, latency_s=2.0)) as thread:
        result = locust(
            *("-u", "4", "-r", "50", "-t", "3s", "--stop-timeout", "1"),
            *("--host", thread.url + "hook", "--scenario", str(scenario_file)),
            *("--secret-env", SECRET_ENV, "--seed", str(SEED), "--speed", "300"),
            *("--sosim-report", str(report)),
        )
        tally = thread.checker.tally
    assert result.returncode in (0, 1), result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "no final figures" not in result.stderr and "its reports hold" not in result.stderr
    summary = json.loads(report.read_text(encoding="utf-8"))
    assert summary["totals"]["attempts"] == tally.received > 0
    assert summary["errors"]["abandoned"] >= 1


def test_a_crossed_fail_if_sets_locusts_exit_code(
    receiver: ReceiverThread, scenario_file: Path, tmp_path: Path
) -> None:
    """A distributed run whose --fail-if is crossed exits 1, with the verdict in the JUnit report."""
    junit = tmp_path / "junit.xml"
    result = locust(
        *("-u", "2", "-r", "50", "-t", "2s", "--stop-timeout", "10"),
        *("--host", receiver.url + "hook", "--scenario", str(scenario_file)),
        *("--secret-env", SECRET_ENV, "--speed", "300", "--sosim-junit", str(junit)),
        *("--fail-if", "sent < 1000000"),
    )
    assert result.returncode == 1, result.stderr[-3000:]
    assert "FAIL" in result.stderr and "sent < 1000000" in result.stderr
    failures = [
        case for case in ET.parse(junit).getroot().iter("testcase") if case.find("failure") is not None
    ]
    assert [case.get("name") for case in failures] == ["sent < 1000000"]


def test_only_200_is_a_success_in_locusts_own_statistics(scenario_file: Path, tmp_path: Path) -> None:
    """A 201 is a failure in Locust's table, named by event type; nine of them end the run."""
    with ReceiverThread(ReceiverConfig(secret=SECRET, respond=201)) as thread:
        result = locust(
            *("-u", "6", "-r", "50", "-t", "20s", "--stop-timeout", "10", "--csv", str(tmp_path / "run")),
            *("--host", thread.url + "hook", "--scenario", str(scenario_file)),
            *("--secret-env", SECRET_ENV, "--speed", "300"),
        )
    assert result.returncode == 1, result.stderr[-3000:]
    assert "TooManyErrors" in result.stderr
    failures = (tmp_path / "run_failures.csv").read_text(encoding="utf-8")
    assert "chatsession.created" in failures
    assert "HTTP 201: NetServer counts only [200] as delivered" in failures
    stats = (tmp_path / "run_stats.csv").read_text(encoding="utf-8").splitlines()
    created = next(line.split(",") for line in stats if ",chatsession.created," in line)
    assert int(created[2]) == int(created[3]) > 0  # every request of the type failed


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--scenario", "no-such-scenario.yaml", "no-such-scenario.yaml: no such file (--scenario)"),
        (
            "--fail-if",
            "p99 >> 1s",
            "--fail-if 'p99 >> 1s': unknown operator '>>'; use one of > >= < <= == !=",
        ),
    ],
)
def test_a_broken_option_is_one_clear_line_from_master_and_each_worker(
    scenario_file: Path, option: str, value: str, message: str
) -> None:
    """The master and both workers each print one sosim error line and exit 2, without a traceback."""
    scenario = [] if option == "--scenario" else ["--scenario", str(scenario_file)]
    result = locust("-u", "2", "-t", "2s", "--host", "http://127.0.0.1:9/hook", *scenario, option, value)
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("sosim: error")]
    assert sorted(lines) == sorted(
        [
            f"sosim: error: {message}",
            f"sosim: error on worker 0: {message}",
            f"sosim: error on worker 1: {message}",
        ]
    )
    assert "Traceback" not in result.stderr
