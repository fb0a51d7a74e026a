"""A 2xx answer other than 200 that counts as failed says once how to accept it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = str(ROOT / "scenarios/support-chat.yaml")
HINT = "NetServer counts only 200 as delivered; use `--delivery custom --success 2xx` to accept others"


class Created(BaseHTTPRequestHandler):
    """Reads the body and answers 201 Created."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def created_target() -> Iterator[str]:
    """A receiver on an ephemeral 127.0.0.1 port answering every POST with 201."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Created)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/webhook"
    finally:
        server.shutdown()
        server.server_close()


def sosim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "simulator", *args],
        cwd=cwd, capture_output=True, text=True, timeout=60, env={**os.environ, "SOSIM_SECRET": "s3cret"},
    )  # fmt: skip


def test_201_answers_print_the_hint_once(tmp_path: Path, created_target: str) -> None:
    done = sosim(
        "run", SCENARIO, "--target", created_target, "--sessions", "1", "--max-rate", "--delivery", "once",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert done.stderr.count(HINT) == 1, done.stderr
    assert "answers with status 201 (" in done.stderr


def test_accepting_2xx_delivers_without_the_hint(tmp_path: Path, created_target: str) -> None:
    done = sosim(
        "run", SCENARIO, "--target", created_target, "--sessions", "1", "--max-rate",
        "--delivery", "custom", "--success", "2xx", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "counted as failed" not in done.stderr
