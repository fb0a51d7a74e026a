"""A secret from a scenario's ``${VAR:-default}`` is never used silently."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.servers.receiver import ReceiverConfig, ReceiverThread

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = "scenarios/support-chat.yaml"
WARNING = "sosim: warning: signing with the default from ${SOSIM_SECRET:-...}"


def sosim(*args: str, secret: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m simulator ARGS`` with SOSIM_SECRET set to ``secret`` (or unset)."""
    env = {k: v for k, v in os.environ.items() if k != "SOSIM_SECRET"}
    if secret is not None:
        env["SOSIM_SECRET"] = secret
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip


@pytest.fixture
def strict_receiver() -> Iterator[ReceiverThread]:
    """A verifying receiver that knows the real secret, not the scenario's placeholder."""
    with ReceiverThread(ReceiverConfig(secret="the-real-secret")) as receiver:
        yield receiver


def test_run_signing_with_the_default_warns_once_and_explains_the_401s(
    strict_receiver: ReceiverThread,
) -> None:
    """Without SOSIM_SECRET, run warns once (never showing the value) and, when the receiver
    answers 401, says the signature is rejected because the scenario default signed."""
    target = f"{strict_receiver.url}webhook"
    done = sosim("run", SCENARIO, "--target", target, "--max-rate", "--sessions", "2", "--delivery", "once")
    assert done.stderr.count(WARNING) == 1, done.stderr
    assert "change-me" not in done.stderr
    assert "the receiver rejects the signature: check the secret (signed with the scenario default" in (
        done.stderr
    )
    assert "Traceback" not in done.stderr


def test_run_with_the_variable_set_does_not_warn() -> None:
    """With SOSIM_SECRET set, the scenario's default is not used and nothing is said about it."""
    done = sosim("run", SCENARIO, "--max-rate", "--sessions", "2", "--quiet", secret="s3cret")
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr


def test_generate_signing_with_the_default_warns(tmp_path: Path) -> None:
    """generate signs fixtures too, so it warns the same way (and --secret silences it)."""
    out = tmp_path / "out.jsonl"
    done = sosim("generate", SCENARIO, "--sessions", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr.count(WARNING) == 1
    quiet = sosim("generate", SCENARIO, "--sessions", "1", "--out", str(out), "--secret", "given")
    assert "warning" not in quiet.stderr


def test_one_warning_names_every_scenario_the_default_signs_for(tmp_path: Path) -> None:
    """Two scenarios with the same ``${SOSIM_SECRET:-...}``: one warning, and it names both files
    (it named only the last)."""
    out = tmp_path / "out.jsonl"
    done = sosim("generate", SCENARIO, "scenarios/sales-chat.yaml", "--sessions", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stderr.count(WARNING) == 1
    assert f"in {SCENARIO}, scenarios/sales-chat.yaml, because SOSIM_SECRET is not set" in done.stderr
    twice = sosim("generate", SCENARIO, SCENARIO, "--sessions", "1", "--out", str(out))
    assert f"in {SCENARIO}, because" in twice.stderr  # a file given twice is named once


def test_generate_to_stdout_says_stdout() -> None:
    """The closing line names stdout, not ``-``."""
    done = sosim("generate", SCENARIO, "--sessions", "1", "--out", "-", secret="s3cret")
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip().endswith("requests to stdout (jsonl)")
