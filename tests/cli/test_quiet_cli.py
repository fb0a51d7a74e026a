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
