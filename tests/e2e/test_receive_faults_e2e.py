"""`sosim receive` agrees with `sosim run --fault`: injected probes are expected, real forgeries fail.

Both commands run as real processes on 127.0.0.1, the way a user runs them side by side.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from simulator.core.signing import sign
from simulator.superoffice import facts as so

pytestmark = pytest.mark.e2e

SECRET = "receive-faults-secret"
SCENARIO = f"""
name: receive-faults
seed: 11
webhook: {{secret: {SECRET}}}
arrivals: {{sessions: 12, process: uniform, rate: 12/s}}
flow:
  queue: {{wait: 1s, abandon_probability: 0}}
  conversation: {{turns: 3, customer_delay: 1s, agent_delay: 1s}}
"""
FAULTS = ("reorder=0.1", "duplicate=0.1", "bad-signature=0.05")
ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}


def sosim(*args: str) -> list[str]:
    return [sys.executable, "-m", "simulator", *args]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int) -> None:
    """Poll until the receiver process listens (a state; the bound only guards against a hang)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("receiver did not start")


class Receive:
    """A `sosim receive` process; ``stop`` sends Ctrl-C and returns (exit code, output)."""

    def __init__(self, *extra: str) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            sosim("receive", "--port", str(self.port), "--secret", SECRET, *extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=ENV,
        )
        wait_for_port(self.port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGINT)
        output, _ = self.process.communicate(timeout=30)
        return self.process.returncode, " ".join(output.split())

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


def test_receive_counts_the_runs_injected_faults_as_expected_and_passes(tmp_path: Path) -> None:
    scenario = tmp_path / "faults.yaml"
    scenario.write_text(SCENARIO)
    receive = Receive()
    try:
        args = [arg for fault in FAULTS for arg in ("--fault", fault)]
        ran = subprocess.run(
            sosim("run", str(scenario), "--target", receive.url, "--max-rate", *args),
            capture_output=True,
            text=True,
            timeout=120,
            env=ENV,
        )
        assert ran.returncode == 0, ran.stdout + ran.stderr
        verdicts = dict(re.findall(r"PASS (\S+): (\d+) sent", ran.stdout + ran.stderr))
        assert set(verdicts) == {"reorder", "duplicate", "bad-signature"}
        code, output = receive.stop()
    finally:
        receive.kill()
    assert code == 0, output
    forged = re.search(r"expected: bad-signature \(injected fault\) │ (\d+)", output)
    assert forged is not None, output
    assert int(forged.group(1)) == int(verdicts["bad-signature"])  # every forgery, and only those
    assert "with problems │ 0 " in output
    assert re.search(
        r"PASS: every request verified except injected fault probes, whose problems were expected "
        r"\(bad-signature \d+(, reorder \d+)?\)",
        output,
    ), output


def _forge_one(receive: Receive) -> tuple[int, str]:
    """Post one unmarked request signed with the wrong secret (answered 401), then stop
    ``receive``: its exit code and output."""
    body = b'{"EventId": "x", "Event": "chatsession.created"}'
    try:
        answer = httpx.post(
            receive.url,
            content=body,
            headers={
                so.HEADER_CONTENT_TYPE: so.CONTENT_TYPE_JSON,
                so.HEADER_EVENT: so.EVENT_CREATED,
                so.HEADER_EVENT_ID: "x",
                so.HEADER_SIGNATURE: sign(body, "not-the-secret"),
            },
            timeout=10,
        )
        assert answer.status_code == 401
        return receive.stop()
    finally:
        receive.kill()


def test_a_forged_request_without_the_marker_still_fails_receive() -> None:
    code, output = _forge_one(Receive())
    assert code == 1
    assert "FAIL: 1 request(s) failed verification" in output
    assert "expected:" not in output


def test_a_quiet_receive_still_ends_with_its_verdict_line() -> None:
    """``sosim receive --quiet`` prints no listening line, tally or table, but at Ctrl-C it still
    prints the verdict line, and exits by it."""
    code, output = _forge_one(Receive("--quiet"))
    assert code == 1
    assert output == "FAIL: 1 request(s) failed verification"


@pytest.mark.parametrize("gap_s", [0.0, 0.005, 0.02])
def test_a_second_ctrl_c_while_receive_stops_still_gives_the_verdict_and_its_exit_code(gap_s: float) -> None:
    """Ctrl-C pressed twice: the second came as the loop closed or the verdict printed, ended the
    command with 'interrupted' (or by SIGINT) and no verdict, in most tries. Now it is noted."""
    receive = Receive("--quiet")
    try:
        receive.process.send_signal(signal.SIGINT)
        time.sleep(gap_s)  # the gap between two key presses; either order of events is right
        receive.process.send_signal(signal.SIGINT)
        code, output = receive.process.wait(timeout=30), receive.process.communicate(timeout=30)[0]
    finally:
        receive.kill()
    assert output.strip().splitlines() == ["PASS: every request verified"], output
    assert code == 0


def test_a_ctrl_c_after_receives_verdict_does_not_change_its_exit_code() -> None:
    """Once the verdict is printed the exit code is decided: a Ctrl-C while the interpreter shuts
    down used to end the process by SIGINT (-2) instead."""
    receive = Receive("--quiet")
    try:
        receive.process.send_signal(signal.SIGINT)
        assert receive.process.stdout is not None
        assert receive.process.stdout.readline().strip() == "PASS: every request verified"
        receive.process.send_signal(signal.SIGINT)  # while it exits (a no-op if it already has)
        code = receive.process.wait(timeout=30)
    finally:
        receive.kill()
    assert code == 0


def test_sigterm_stops_receive_with_its_verdict() -> None:
    """A service manager or CI timeout stops the receiver as Ctrl-C does: verdict, exit code 0."""
    receive = Receive("--quiet")
    try:
        receive.process.send_signal(signal.SIGTERM)
        output, _ = receive.process.communicate(timeout=30)
    finally:
        receive.kill()
    assert output.strip().splitlines() == ["PASS: every request verified"], output
    assert receive.process.returncode == 0
