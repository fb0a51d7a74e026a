"""`sosim api` and `sosim run --serve-api` as a user runs them, in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from simulator.core.generate import generate_sessions
from simulator.core.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = "scenarios/support-chat.yaml"
ENV = {**os.environ, "SOSIM_SECRET": "cli-mockapi-secret"}
RECEIVER = """
import json

import httpx

API = "http://127.0.0.1:{port}"


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    event = json.loads(body)
    if event["Event"] == "chatsession.message":
        url = f"{{API}}/{{event['ContextIdentifier']}}/api/v1/ChatSession/{{event['PrimaryKey']}}/Messages"
        async with httpx.AsyncClient(headers={{"Authorization": "Bearer cli"}}) as client:
            newest = (await client.get(url)).json()[-1]["ChatMessageId"]
        with open({log!r}, "a") as log:
            log.write(json.dumps([event["EventId"], newest]) + "\\n")
    await send({{"type": "http.response.start", "status": 200, "headers": []}})
    await send({{"type": "http.response.body", "body": b""}})
"""


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_sosim_api_serves_the_scenario_until_ctrl_c() -> None:
    """`sosim api SCENARIO --port 0` prints its URL, serves the sessions and exits 0 on Ctrl-C."""
    command = [sys.executable, "-m", "simulator", "api", SCENARIO, "--port", "0", "--sessions", "2"]
    process = subprocess.Popen(command, cwd=ROOT, env=ENV, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        url = process.stderr.readline().split(" on ")[1].split(" ")[0]
        answer = httpx.get(
            f"{url}/Cust12345/api/v1/ChatSession/178106", headers={"Authorization": "Bearer x"}
        )
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
    assert answer.status_code == 200
    assert answer.json()["ChatSessionId"] == 178106


def test_serve_api_answers_a_receiver_calling_back_during_each_message(tmp_path: Path) -> None:
    """With --serve-api, each message webhook's callback finds exactly that message as the newest."""
    port, log = free_port(), tmp_path / "callbacks.jsonl"
    (tmp_path / "callback_receiver.py").write_text(RECEIVER.format(port=port, log=str(log)), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "run", str(ROOT / SCENARIO), "--sessions", "3", "--max-rate",
         "-q", "--serve-api", f"127.0.0.1:{port}", "--target", "asgi://callback_receiver:app/webhook",
         "--deterministic-ids"],  # the expected EventIds below come from the seed alone
        cwd=tmp_path, env={**ENV, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    scenario = load_scenario(ROOT / SCENARIO, env=ENV)
    expected = {
        t.event.event_id: t.event.message.message_id
        for plan in generate_sessions(scenario, limit=3)
        for t in plan.events
        if t.event.message is not None
    }
    assert dict(map(json.loads, log.read_text(encoding="utf-8").splitlines())) == expected


def test_serve_api_rejects_a_value_that_is_not_host_port() -> None:
    """A wrong --serve-api is a one-line usage error with exit code 2."""
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "run", SCENARIO, "--serve-api", "8765"],
        cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == "sosim: error: --serve-api '8765': expected HOST:PORT, e.g. 127.0.0.1:8765"


def test_sosim_api_stops_cleanly_on_sigterm_and_on_sigint_when_started_in_the_background() -> None:
    """SIGTERM stops `sosim api` like Ctrl-C (exit 0); so does SIGINT when a script's `&` ignored it."""
    command = [sys.executable, "-m", "simulator", "api", SCENARIO, "--port", "0", "--sessions", "1"]
    for sig, ignore_sigint in ((signal.SIGTERM, False), (signal.SIGINT, True)):

        def background(ignore: bool = ignore_sigint) -> None:
            if ignore:  # what `cmd &` does in a non-interactive shell
                signal.signal(signal.SIGINT, signal.SIG_IGN)

        process = subprocess.Popen(
            command, cwd=ROOT, env=ENV, stderr=subprocess.PIPE, text=True, preexec_fn=background
        )
        try:
            assert process.stderr is not None
            assert "mock SuperOffice chat API on" in process.stderr.readline()
            process.send_signal(sig)
            assert process.wait(timeout=10) == 0
            assert "Traceback" not in process.stderr.read()
        finally:
            process.kill()
            process.communicate()


def test_sosim_tenant_stops_on_sigterm_and_still_writes_its_report(tmp_path: Path) -> None:
    """SIGTERM while the tenant waits for registrations: it stops as on Ctrl-C, report written."""
    report = tmp_path / "tenant.json"
    command = [sys.executable, "-m", "simulator", "tenant", SCENARIO, "--port", "0", "--report", str(report)]
    process = subprocess.Popen(command, cwd=ROOT, env=ENV, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        assert "SuperOffice API on" in process.stderr.readline()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 130
        assert "Traceback" not in process.stderr.read()
    finally:
        process.kill()
        process.communicate()
    assert json.loads(report.read_text(encoding="utf-8"))["tenant"] is not None
