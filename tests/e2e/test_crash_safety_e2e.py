"""`kill -9` of `sosim run --record F` mid-run: F is a valid recording up to its last complete line.

A real subprocess, a slow target on 127.0.0.1 (sosim's receiver with added latency), and a
kill at ten seeded moments (once the recording holds that many attempts). Every complete line
parses, `sosim replay` accepts the file (a torn last line is skipped with a warning, not an
error), and the recording lists every request the target got except at most the ones in flight.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.servers.receiver import ReceiverConfig, ReceiverThread

pytestmark = pytest.mark.e2e

SECRET = "crash-secret"
SUPPORT_CHAT = str(Path(__file__).resolve().parents[2] / "scenarios" / "support-chat.yaml")
CONCURRENCY = 2
DEADLINE_S = 60.0
SOSIM = (sys.executable, "-m", "simulator")
SIGNED = ("--secret", SECRET, "--no-preflight")
RUN = ("--sessions", "200", "--max-rate", "--concurrency", str(CONCURRENCY), "--quiet", "--record")


def _attempt_lines(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(1 for line in path.read_bytes().split(b"\n") if b'"type":"attempt"' in line)


def _replay(recording: Path, target: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SOSIM, "replay", str(recording), "--target", target, "--max-rate", *SIGNED, "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )


#: Ten kill moments drawn once from a seeded generator (issue 14: "at 10 random moments"), as counts of
#: recorded attempts, so each is a state the test waits for rather than a time.
KILL_MOMENTS = sorted(random.Random(14).sample(range(2, 150), 10))


@pytest.mark.parametrize("kill_after", KILL_MOMENTS)
def test_a_recording_survives_kill_9_and_replays(tmp_path: Path, kill_after: int) -> None:
    """After SIGKILL, each complete line parses, replay exits 0, and nothing the target got is missing
    but the requests in flight."""
    recording = tmp_path / "run.jsonl"
    with ReceiverThread(ReceiverConfig(secret=SECRET, latency_s=0.02)) as slow:
        run = subprocess.Popen(
            [*SOSIM, "run", SUPPORT_CHAT, "--target", slow.url + "webhook", *SIGNED, *RUN, str(recording)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            give_up = time.monotonic() + DEADLINE_S
            while _attempt_lines(recording) < kill_after:  # a state, polled: the run is under way
                assert run.poll() is None, "the run ended before it could be killed"
                assert time.monotonic() < give_up, "the recording did not grow"
                time.sleep(0.01)
        finally:
            os.kill(run.pid, signal.SIGKILL)
            run.wait(timeout=10)
        assert run.returncode == -signal.SIGKILL
        received = slow.checker.tally.received

    data = recording.read_bytes()
    complete, _, torn = data.rpartition(b"\n")
    lines = [json.loads(line) for line in complete.split(b"\n")]
    assert lines[0]["format"] == "sosim-recording" and lines[0]["kind"] == "run"
    recorded = sum(1 for line in lines if line.get("type") == "attempt")
    assert recorded >= kill_after
    assert 0 <= received - recorded <= CONCURRENCY, (received, recorded)
    assert lines[-1].get("type") != "end"  # killed: no end line, and replay must not need one

    with ReceiverThread(ReceiverConfig(secret=SECRET)) as target:
        replayed = _replay(recording, target.url + "webhook")
        assert replayed.returncode == 0, replayed.stderr
        assert "Traceback" not in replayed.stderr
        assert target.checker.tally.received == recorded
        assert target.checker.tally.problems == {}

    # A kill can land in the middle of a write: cut the last line in half and replay again.
    last = complete.rsplit(b"\n", 1)[1]
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(complete[: len(complete) - len(last) // 2])
    with ReceiverThread(ReceiverConfig(secret=SECRET)) as target:
        replayed = _replay(cut, target.url + "webhook")
        assert replayed.returncode == 0, replayed.stderr
        assert "skipped a truncated last line" in replayed.stderr and "Traceback" not in replayed.stderr
        assert target.checker.tally.received == recorded - 1
    assert not torn or torn[:1] == b"{"
