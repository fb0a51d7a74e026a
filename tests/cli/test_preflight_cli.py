"""A target that refuses or does not resolve fails within seconds, before the run, unless --no-preflight."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = str(ROOT / "scenarios/support-chat.yaml")


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, read, closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def sosim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        cwd=cwd, capture_output=True, text=True, timeout=60, env={**os.environ, "SOSIM_SECRET": "s3cret"},
    )  # fmt: skip


def test_run_against_a_refusing_port_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """Nothing is sent or recorded: the error names the target and the reason."""
    target = f"http://127.0.0.1:{free_port()}/webhook"
    done = sosim(
        "run", SCENARIO, "--target", target, "--sessions", "1", "--delivery", "once",
        "--record", "sent.jsonl", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith(f"sosim: error: --target {target}: cannot connect to 127.0.0.1:")
    assert "refused" in lines[-1].lower()
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "sent.jsonl").exists() or (tmp_path / "sent.jsonl").read_text() == ""


def test_replay_checks_its_target_too(tmp_path: Path) -> None:
    """replay of a fixtures file checks the target the same way."""
    fixtures = tmp_path / "fx.jsonl"
    made = sosim("generate", SCENARIO, "--sessions", "1", "--out", str(fixtures), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    target = f"http://127.0.0.1:{free_port()}/webhook"
    done = sosim("replay", str(fixtures), "--target", target, "--delivery", "once", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"sosim: error: --target {target}: cannot connect to" in done.stderr


def test_no_preflight_skips_the_check(tmp_path: Path) -> None:
    """With --no-preflight the run starts and the refused deliveries count as failed (exit 1)."""
    target = f"http://127.0.0.1:{free_port()}/webhook"
    done = sosim(
        "run", SCENARIO, "--target", target, "--sessions", "1", "--delivery", "once", "--max-rate",
        "--no-preflight", "--quiet", cwd=tmp_path,
    )  # fmt: skip
    assert "cannot connect to" not in done.stderr
    assert done.returncode == 1, done.stderr


def _invalid_does_not_resolve() -> bool:
    try:
        socket.getaddrinfo("nosuchhost.invalid", 8000)
    except OSError:
        return True
    return False


@pytest.mark.skipif(not _invalid_does_not_resolve(), reason="this resolver answers for .invalid")
def test_an_invalid_name_fails_at_once(tmp_path: Path) -> None:
    target = "http://nosuchhost.invalid:8000/webhook"
    done = sosim("run", SCENARIO, "--target", target, "--sessions", "1", "--delivery", "once", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"sosim: error: --target {target}: cannot resolve nosuchhost.invalid" in done.stderr
