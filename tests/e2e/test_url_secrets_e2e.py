"""Credentials in a target URL never reach an output: console, reports, recordings, errors.

A canary password, a canary ``?token=`` and a canary ``--secret`` are put into a real run against
a real verifying receiver on 127.0.0.1, and every stream and file sosim writes is searched for them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.servers.receiver import ReceiverConfig, ReceiverThread

pytestmark = pytest.mark.e2e

PASSWORD = "CanaryPass-7f3a9"
TOKEN = "CanaryToken-b81e2"
SIG = "CanarySig-44d0c"
SECRET = "CanarySecret-e5c17"
CANARIES = (PASSWORD, TOKEN, SIG, SECRET)
SCENARIO = "name: canary\narrivals: {sessions: 2}\n"


def sosim(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )


def assert_no_canary(name: str, text: str) -> None:
    for canary in CANARIES:
        assert canary not in text, f"{canary} leaked into {name}"


@pytest.mark.parametrize("engine", ["lean", "httpx"])
def test_a_run_with_credentials_in_the_url_writes_them_nowhere(tmp_path: Path, engine: str) -> None:
    """User info and secret query values are masked in stdout, stderr, JSON, JUnit, HTML and the recording."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO)
    outputs = {name: tmp_path / name for name in ("rec.jsonl", "report.json", "junit.xml", "report.html")}
    with ReceiverThread(ReceiverConfig(secret=SECRET, path="/hook")) as receiver:
        port = receiver.url.rsplit(":", 1)[1].split("/")[0]
        target = f"http://user:{PASSWORD}@127.0.0.1:{port}/hook?token={TOKEN}&sig={SIG}&page=2"
        done = sosim(
            "run", str(scenario), "--target", target, "--secret", SECRET, "--engine", engine,
            "--no-preflight", "--max-rate",
            "--record", str(outputs["rec.jsonl"]), "--report", str(outputs["report.json"]),
            "--junit", str(outputs["junit.xml"]), "--html", str(outputs["report.html"]),
        )  # fmt: skip
        got = receiver.checker.tally
        outputs["replayed.jsonl"] = tmp_path / "replayed.jsonl"
        replayed = sosim(
            "replay", str(outputs["rec.jsonl"]), "--target", target, "--secret", SECRET, "--engine", engine,
            "--no-preflight", "--max-rate", "--record", str(outputs["replayed.jsonl"]),
        )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert got.accepted > 0 and got.accepted == got.received
    assert_no_canary("stdout", done.stdout)
    assert_no_canary("stderr", done.stderr)
    assert_no_canary("replay's output", replayed.stdout + replayed.stderr)
    for name, path in outputs.items():
        assert_no_canary(name, path.read_text(encoding="utf-8"))
    report = outputs["report.json"].read_text(encoding="utf-8")
    assert "page=2" in report and "token=***" in report  # masked, not dropped


def test_an_error_about_the_target_masks_its_credentials(tmp_path: Path) -> None:
    """A preflight failure names the target without its password or token."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(SCENARIO)
    target = f"http://user:{PASSWORD}@127.0.0.1:9/hook?token={TOKEN}"
    done = sosim("run", str(scenario), "--target", target, "--secret", SECRET)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "127.0.0.1:9" in done.stderr
    assert_no_canary("stdout", done.stdout)
    assert_no_canary("stderr", done.stderr)
