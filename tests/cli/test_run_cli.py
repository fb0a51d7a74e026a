"""`sosim run` as a user runs it, in a subprocess: exit codes, messages, output files and Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from simulator.servers.receiver import ReceiverConfig, ReceiverThread

ROOT = Path(__file__).resolve().parents[2]
SECRET = "cli-run-secret"


def sosim(*args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run ``python -m simulator ARGS`` from the repository root and wait for it."""
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(),
    )


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["SOSIM_SECRET"] = SECRET
    env.pop("COLUMNS", None)
    return env


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _failures(junit: Path) -> list[ET.Element]:
    return list(ET.parse(junit).getroot().iter("failure"))


def test_run_against_the_built_in_receiver_exits_0_and_writes_every_file(tmp_path: Path) -> None:
    """A clean run exits 0 and leaves a recording, a JSON report and a JUnit file that all parse."""
    record, report, junit = tmp_path / "run.jsonl", tmp_path / "report.json", tmp_path / "junit.xml"
    done = sosim(
        "run", "scenarios/support-chat.yaml", "--sessions", "3", "--quiet",
        "--record", str(record), "--report", str(report), "--junit", str(junit),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr

    lines = _jsonl(record)
    assert lines[0]["format"] == "sosim-recording" and lines[0]["kind"] == "run"
    attempts = [line for line in lines if line.get("type") == "attempt"]
    assert attempts and all(line["status"] == 200 and line["delivered"] for line in attempts)
    assert lines[-1]["type"] == "end" and lines[-1]["webhook_state"] == "Active"

    summary = json.loads(report.read_text(encoding="utf-8"))
    assert summary["totals"]["delivered"] == summary["totals"]["requests"] == len(attempts)
    assert summary["totals"]["failed"] == 0
    # the built-in receiver's verdict, with what a receiver must tolerate counted apart
    receiver = summary["receiver"]
    assert receiver["ok"] is True and receiver["received"] == len(attempts)
    assert receiver["requeued"] == receiver["requeued_out_of_order"] == 0
    assert receiver["sessions"] == 3

    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites" and root.get("failures") == "0"
    assert _failures(junit) == []


def test_crossed_threshold_exits_1_with_a_junit_failure(tmp_path: Path) -> None:
    """--fail-if 'p99 > 0.001ms' cannot hold on a real network: exit 1 and a failed JUnit test case."""
    junit = tmp_path / "junit.xml"
    done = sosim(
        "run", "scenarios/support-chat.yaml", "--sessions", "3", "--quiet",
        "--fail-if", "p99 > 0.001ms", "--junit", str(junit),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    (failure,) = _failures(junit)
    assert "p99" in (failure.get("message") or "")


def test_malformed_threshold_exits_2_with_one_line_and_no_traceback() -> None:
    """--fail-if 'bogus > 1' is a usage error: exit 2 and a single line naming the unknown metric."""
    done = sosim("run", "scenarios/support-chat.yaml", "--sessions", "3", "--fail-if", "bogus > 1")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("sosim: error: --fail-if 'bogus > 1'")
    assert "bogus" in lines[0]


@pytest.fixture
def slow_receiver() -> Iterator[ReceiverThread]:
    """A verifying receiver that takes half a second over each answer."""
    with ReceiverThread(ReceiverConfig(secret=SECRET, latency_s=0.5)) as receiver:
        yield receiver


def _attempt_lines(path: Path) -> int:
    try:
        return path.read_text(encoding="utf-8").count('"type":"attempt"')
    except FileNotFoundError:
        return 0


def _wait_for(path: Path, attempts: int, process: subprocess.Popen[str], within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while _attempt_lines(path) < attempts:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            _, stderr = process.communicate()
            pytest.fail(f"no {attempts} recorded attempts in {within_s} s; stderr:\n{stderr}")
        time.sleep(0.05)


def _interrupt(process: subprocess.Popen[str], within_s: float) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    try:
        _, stderr = process.communicate(timeout=within_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"sosim run did not end within {within_s} s of Ctrl-C")
    return process.returncode, stderr


def _popen(args: Sequence[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "simulator", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )


def test_ctrl_c_stops_cleanly_and_closes_the_recording(slow_receiver: ReceiverThread, tmp_path: Path) -> None:
    """Ctrl-C mid-run: sosim ends within seconds, without a traceback, and the recording is complete."""
    record = tmp_path / "busy.jsonl"
    args = [
        "run", "scenarios/busy-hour.yaml", "--target", slow_receiver.url + "webhook",
        "--speed", "1", "--record", str(record),
    ]  # fmt: skip
    process = _popen(args)
    _wait_for(record, 2, process, within_s=30.0)
    code, stderr = _interrupt(process, within_s=5.0)

    assert "Traceback" not in stderr
    assert code in (0, 1, 130), stderr
    assert "interrupted" in stderr  # the summary says how the run ended
    lines = _jsonl(record)  # every line parses
    assert lines[0]["format"] == "sosim-recording"
    assert lines[-1]["type"] == "end"
    assert lines[-1]["interrupted"] is True
    assert sum(line.get("type") == "attempt" for line in lines) >= 2


def test_sigterm_stops_like_ctrl_c_writes_the_reports_and_exits_143(
    slow_receiver: ReceiverThread, tmp_path: Path
) -> None:
    """`kill` (SIGTERM) mid-run: the recording ends with its end line, the report is written, exit 143."""
    record, report = tmp_path / "busy.jsonl", tmp_path / "report.json"
    args = [
        "run", "scenarios/busy-hour.yaml", "--target", slow_receiver.url + "webhook",
        "--speed", "1", "--record", str(record), "--report", str(report),
    ]  # fmt: skip
    process = _popen(args)
    _wait_for(record, 2, process, within_s=30.0)
    process.send_signal(signal.SIGTERM)
    try:
        _, stderr = process.communicate(timeout=5.0)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail("sosim run did not end within 5 s of SIGTERM")

    assert "Traceback" not in stderr
    assert process.returncode == 143, stderr
    assert "interrupted" in stderr
    lines = _jsonl(record)
    assert (lines[-1]["type"], lines[-1]["interrupted"], lines[-1]["reason"]) == (
        "end",
        True,
        "stopped by SIGTERM",
    )
    assert json.loads(report.read_text(encoding="utf-8"))


@pytest.mark.parametrize("command", ["run", "replay", "generate", "receive", "tenant", "api", "trigger"])
def test_help_ends_with_examples(command: str) -> None:
    """Each command's --help ends, after its options, with two or three examples of the command;
    run and replay then list every exit code."""
    from click.testing import CliRunner

    from simulator.cli import main

    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    options, examples = result.output.split("Options:")[1].split("Examples:")
    assert "--help" in options  # the options come first
    assert 2 <= examples.count(f"sosim {command} ") <= 3
    if command in ("run", "replay"):
        for code in ("130", "143"):
            assert code in examples


def test_the_docs_keep_each_commands_examples() -> None:
    """The CLI reference (mkdocs-click reads the docstring) still has the examples --help moves last."""
    from simulator.cli import main

    for name in ("run", "replay", "generate", "receive", "tenant", "api", "trigger"):
        assert "Examples:" in (main.commands[name].help or ""), name


def test_the_first_ctrl_c_says_what_the_run_waits_for_and_the_second_abandons_it() -> None:
    """Against a target that never answers, Ctrl-C cannot end the run at once: sosim says it waits
    for the requests in flight and that a second Ctrl-C abandons them, which then ends it."""
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        process = subprocess.Popen(
            [sys.executable, "-m", "simulator", "run", "scenarios/support-chat.yaml", "--max-rate",
             "--concurrency", "2", "--timeout", "60s", "--target", f"http://127.0.0.1:{port}/webhook"],
            cwd=ROOT, stderr=subprocess.PIPE, text=True, env=_env(),
        )  # fmt: skip
        try:
            assert process.stderr is not None
            held = _accept_a_request(silent)  # a webhook is in flight, and stays so
            process.send_signal(signal.SIGINT)
            lines = []
            for line in iter(process.stderr.readline, ""):
                lines.append(line)
                if line.startswith("stopping: "):
                    break
            process.send_signal(signal.SIGINT)
            code = process.wait(timeout=30)
            rest = process.stderr.read()
        finally:
            process.kill()
        held.close()
    assert lines[-1].startswith("stopping: ") and "Ctrl-C again abandons them" in lines[-1], lines
    assert code == 130, rest
    assert "abandoned" in rest and "Traceback" not in rest


def _accept_a_request(listener: socket.socket) -> socket.socket:
    """Accept connections until one carries a request (the preflight's carries none); keep it open."""
    listener.settimeout(30)
    while True:
        connection, _ = listener.accept()
        connection.settimeout(30)
        if connection.recv(65536).startswith(b"POST "):
            return connection
        connection.close()


def _named_scenario(tmp_path: Path, file: str, *, events: list[str], first_session_id: int) -> Path:
    """support-chat under the name ``twin``, with its own webhook events and session ids."""
    import yaml

    spec = yaml.safe_load((ROOT / "scenarios" / "support-chat.yaml").read_text(encoding="utf-8"))
    spec["name"] = "twin"
    spec["webhook"]["events"] = events
    spec["population"]["first_session_id"] = first_session_id
    spec["seed"] = first_session_id  # its own EventIds too
    path = tmp_path / file
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def test_a_webhook_without_created_passes_the_built_in_receiver_also_beside_a_namesake(
    tmp_path: Path,
) -> None:
    """NetServer sends no chatsession.created to a webhook that does not subscribe to it: the
    built-in receiver must not call every such session created-not-first, also when another
    scenario of the same name (whose webhook does subscribe) plays in the same run."""
    without = _named_scenario(
        tmp_path, "a.yaml", events=["chatsession.message", "chatsession.changed"], first_session_id=500_000
    )
    with_created = _named_scenario(
        tmp_path, "b.yaml", events=["chatsession.created", "chatsession.message"], first_session_id=600_000
    )
    done = sosim("run", str(without), str(with_created), "--sessions", "3", "--max-rate")
    assert done.returncode == 0, done.stderr
    assert "receiver: all requests verified" in done.stderr
    assert "created-not-first" not in done.stderr
