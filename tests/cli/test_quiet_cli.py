"""``--quiet`` drops the progress and the tables, never a verdict."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quiet_still_prints_the_threshold_verdicts_and_the_receivers_line() -> None:
    """A quiet CI run still says which threshold failed and what the built-in receiver found."""
    done = subprocess.run(
        [
            sys.executable, "-m", "simulator", "run", "scenarios/support-chat.yaml", "--max-rate",
            "--sessions", "2", "--quiet", "--fail-if", "p99 > 0ms", "--fail-if", "error_rate > 50%",
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, "SOSIM_SECRET": "s3cret"},
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    p99 = [line for line in lines if line.startswith("FAIL  p99 is ")]
    assert p99 and p99[0].endswith("; the run fails if p99 > 0ms"), done.stderr
    assert "PASS  error_rate is 0%; the run fails if error_rate > 50%" in lines
    assert "receiver: all requests verified" in lines
    assert "Run finished" not in done.stderr  # the summary table and its closing lines are dropped
    assert "built-in receiver's verdict" not in done.stderr
    assert done.stdout == ""


ENV = {**os.environ, "SOSIM_SECRET": "s3cret"}


def test_quiet_still_says_why_a_run_failed_by_itself() -> None:
    """A quiet run whose webhook turned TooManyErrors printed nothing and exited 1: the CI log
    could not say why. Now it keeps how the run ended and the failure sentences, nothing else."""
    import socket

    with socket.socket() as closed:  # a port that refuses: bound, never listening
        closed.bind(("127.0.0.1", 0))
        target = f"http://127.0.0.1:{closed.getsockname()[1]}/webhook"
        done = subprocess.run(
            [
                *(sys.executable, "-m", "simulator", "run", "scenarios/support-chat.yaml", "--sessions", "2"),
                *("--target", target, "--no-preflight", "--quiet", "--delivery", "custom"),
                *("--retry-delays", "10ms", "--disable-after", "2"),
            ],
            cwd=ROOT, capture_output=True, text=True, timeout=60, env=ENV,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith("Run finished after ") and "(TooManyErrors: 2 consecutive failed" in lines[0]
    assert lines[1:] == ["1 event(s) were never delivered.", lines[2]], lines
    assert lines[2].startswith("Webhook turned TooManyErrors at ") and lines[2].endswith(": sending stopped.")


def test_quiet_prints_nothing_of_a_run_that_went_well() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "run", "scenarios/support-chat.yaml", "--sessions", "2", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=ENV,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == ["receiver: all requests verified"]
