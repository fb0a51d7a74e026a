"""The mock SuperOffice API over real HTTP on 127.0.0.1: the server, ``--serve-api``'s live
following of a delivery, and ``sosim api``'s serving function."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from simulator.core.delivery_rules import ONCE
from simulator.core.errors import UsageError
from simulator.core.generate import generate_sessions
from simulator.core.plan import plan_events
from simulator.core.scenario import parse_scenario, webhook_for
from simulator.core.schedule import merge_sessions
from simulator.delivery.deliverer import Deliverer
from simulator.delivery.transport import open_transport
from simulator.mockapi.server import ApiServerThread, LiveApi, linger_notice
from simulator.mockapi.state import ChatState, MockApi
from simulator.servers.receiver import ReceivedRequest, ReceiverConfig, ReceiverThread, Verdict

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": "Bearer e2e"}
SCENARIO = """
name: mockapi-e2e
seed: 11
webhook: {context_identifier: Cust4242, secret: e2e-secret}
arrivals: {sessions: 3, process: uniform, rate: 1/min}
flow:
  queue: {abandon_probability: 0}
  conversation: {turns: 2}
"""
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server() -> Iterator[ApiServerThread]:
    """The scenario's final state served on a free 127.0.0.1 port."""
    with ApiServerThread(MockApi(ChatState.from_scenario(parse_scenario(SCENARIO)))) as running:
        yield running


def test_http_unknown_session_is_404_with_the_documented_body(server: ApiServerThread) -> None:
    """Over HTTP, an unknown session is 404 "ChatSession Not Found" with the SoNotFoundException body."""
    with httpx.Client(headers=AUTH) as client:
        response = client.get(f"{server.url}/Cust4242/api/v1/ChatSession/999")
    assert (response.status_code, response.reason_phrase) == (404, "ChatSession Not Found")
    assert response.json() == {
        "Error": True,
        "ErrorType": "SoNotFoundException",
        "ErrorMessage": "ChatSession id 999 not found",
        "ErrorSource": "SuperOffice.Services.Implementation",
    }


def test_http_archive_lists_pages_and_filters_sessions(server: ApiServerThread) -> None:
    """Over HTTP, GET ChatSession with $top follows odata.nextLink, $filter narrows the rows,
    and an unsupported $filter is a 400 with the error body."""
    ids = server.api.state.session_ids
    base = f"{server.url}/Cust4242/api/v1"
    seen: list[int] = []
    with httpx.Client(headers=AUTH) as client:
        url: str | None = f"{base}/ChatSession?$top=2&$select=chatSessionId,status"
        while url is not None:
            page = client.get(url)
            assert page.status_code == 200
            assert page.headers["content-type"].startswith("application/json")
            seen += [row["chatSessionId"] for row in page.json()["value"]]
            url = page.json().get("odata.nextLink")
        filtered = client.get(f"{base}/ChatSession", params={"$filter": f"chatSessionId gt {ids[0]}"})
        bad = client.get(f"{base}/ChatSession", params={"$filter": "status eq 5 or status eq 6"})
    assert seen == ids
    assert [row["PrimaryKey"] for row in filtered.json()["value"]] == ids[1:]
    assert bad.status_code == 400
    assert bad.json()["ErrorType"] == "ArgumentException"


def test_http_server_answers_sessions_messages_and_paging(server: ApiServerThread) -> None:
    """Over HTTP, one keep-alive connection gets a session, its messages and the after= page."""
    sid = server.api.state.session_ids[0]
    base = f"{server.url}/Cust4242/api/v1"
    with httpx.Client(headers=AUTH) as client:
        session = client.get(f"{base}/ChatSession/{sid}")
        messages = client.get(f"{base}/ChatSession/{sid}/Messages", params={"after": 0}).json()
        page = client.get(
            f"{base}/chatsession/{sid}/messages", params={"after": messages[1]["ChatMessageId"]}
        )
    assert session.status_code == 200
    assert session.headers["content-type"] == "application/json; charset=utf-8"
    assert session.json()["_Links"]["Self"] == f"{base}/ChatSession/{sid}"
    assert [m["ChatMessageId"] for m in page.json()] == [m["ChatMessageId"] for m in messages[2:]]


def test_http_server_answers_agent_posts_401_and_404(server: ApiServerThread) -> None:
    """The agent POST with a JSON body works; no token gets 401, an unknown id 404."""
    sid = server.api.state.session_ids[1]
    base = f"{server.url}/api/v1"
    agent = httpx.post(
        f"{base}/Agents/Chat/GetChatMessages", json={"ChatSessionId": sid, "After": 0}, headers=AUTH
    )
    unauthorized = httpx.get(f"{base}/ChatSession/{sid}")
    unknown = httpx.get(f"{base}/ChatSession/1", headers=AUTH)
    assert agent.status_code == 200 and agent.json()[0]["ChatSessionId"] == sid
    assert unauthorized.status_code == 401 and unauthorized.json()["Error"] is True
    assert unknown.status_code == 404 and unknown.json()["ErrorMessage"] == "ChatSession id 1 not found"


def test_http_server_refuses_a_port_in_use() -> None:
    """Starting on a port that is taken is a one-line usage error, not a traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UsageError, match="cannot serve the mock API"):
            ApiServerThread(MockApi(), "127.0.0.1", port).start()


def test_live_api_serves_each_message_while_its_webhook_is_handled() -> None:
    """With --serve-api, a receiver calling back during a message webhook finds that message last."""
    scenario = parse_scenario(SCENARIO)
    webhook = webhook_for(scenario)
    plans = list(generate_sessions(scenario))
    timeline = merge_sessions((p.start_s, p.events) for p in plans)
    live = LiveApi([scenario], "127.0.0.1", 0)
    newest: dict[str, int | None] = {}

    def call_back(request: ReceivedRequest, verdict: Verdict) -> None:
        payload = json.loads(request.body)
        if payload["Event"] != "chatsession.message":
            return
        url = f"{live.url}/{payload['ContextIdentifier']}/api/v1/ChatSession/{payload['PrimaryKey']}/Messages"
        messages = httpx.get(url, headers=AUTH).json()
        newest[payload["EventId"]] = messages[-1]["ChatMessageId"] if messages else None

    with live, ReceiverThread(ReceiverConfig(secret="e2e-secret"), on_request=call_back) as receiver:

        async def run() -> None:
            transport = live.wrap(open_transport(receiver.url, timeout=5.0))
            deliverer = Deliverer(transport, [], webhook=webhook, policy=ONCE, concurrency=4, max_rate=True)
            try:
                await deliverer.run(live.follow(plan_events(timeline, webhook, scenario.name)))
            finally:
                await transport.aclose()

        asyncio.run(run())
    expected = {
        t.event.event_id: t.event.message.message_id for p in plans for t in p.events if t.event.message
    }
    assert newest == expected
    assert receiver.checker.tally.received == sum(len(p.events) for p in plans)


def test_serve_api_answers_a_call_the_receiver_finishes_after_the_run(
    tmp_path: Path, free_port: Callable[[], int]
) -> None:
    """A receiver that calls the API after its 200 gets answers even for the last webhook:
    ``sosim run --serve-api`` stays up until a call it has begun is answered (and 0.25 s of quiet)."""
    scenario_file = tmp_path / "scenario.yaml"
    scenario_file.write_text(SCENARIO, encoding="utf-8")
    api_port = free_port()
    answers: list[bytes] = []
    calls: list[threading.Thread] = []

    def call_after_the_200(request: ReceivedRequest, verdict: Verdict) -> None:
        payload = json.loads(request.body)
        path = f"/{payload['ContextIdentifier']}/api/v1/ChatSession/{payload['PrimaryKey']}"
        # The request line goes out now, while the webhook is handled; the rest once the 200 is
        # long gone (for the last webhook: once the run has ended).
        sock = socket.create_connection(("127.0.0.1", api_port), timeout=10)
        sock.sendall(f"GET {path} HTTP/1.1\r\n".encode())
        thread = threading.Thread(target=finish_call, args=(sock,))
        calls.append(thread)
        thread.start()

    def finish_call(sock: socket.socket) -> None:
        with sock:
            time.sleep(0.5)
            sock.sendall(b"Host: 127.0.0.1\r\nAuthorization: Bearer e2e\r\nConnection: close\r\n\r\n")
            answers.append(b"".join(iter(lambda: sock.recv(65536), b"")))

    config = ReceiverConfig(secret="e2e-secret")
    with ReceiverThread(config, on_request=call_after_the_200) as receiver:
        serve = ("--max-rate", "--quiet", "--serve-api", f"127.0.0.1:{api_port}")
        done = subprocess.run(
            [sys.executable, "-m", "simulator", "run", str(scenario_file), "--target", receiver.url, *serve],
            capture_output=True,
            text=True,
            timeout=60,
        )
        for thread in calls:
            thread.join(timeout=10)
    assert done.returncode == 0, done.stderr
    assert len(answers) == receiver.checker.tally.received > 0
    assert all(answer.startswith(b"HTTP/1.1 200 ") for answer in answers), [a[:40] for a in answers]


def test_sosim_api_function_serves_until_interrupted(tmp_path: Path) -> None:
    """serve_scenarios (behind `sosim api`) prints its URL, serves the final state and exits 0 on Ctrl-C."""
    scenario_file = tmp_path / "scenario.yaml"
    scenario_file.write_text(SCENARIO, encoding="utf-8")
    # Ctrl-C's handler as in a terminal: a job a script started with & (as .ci/stress starts
    # pytest) inherits SIGINT ignored, which only `sosim api` itself undoes (stop_on_sigterm).
    code = (
        "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "from simulator.mockapi.server import serve_scenarios; "
        f"sys.exit(serve_scenarios([{str(scenario_file)!r}], port=0, "
        "echo=lambda line: print(line, flush=True)))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        url = first.split(" on ")[1].split(" ")[0]
        hint = process.stdout.readline()
        answer = httpx.get(f"{url}/Cust4242/api/v1/ChatSession/178105", headers=AUTH, timeout=5)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
    assert "(3 sessions)" in first
    assert "/Cust4242/api/v1/ChatSession/178105/Messages?after=0" in hint
    assert answer.status_code == 200 and answer.json()["Status"] in {"Finished", "Closed"}


def test_http_new_reads_and_time_zone(server: ApiServerThread) -> None:
    """Over HTTP: ChatTopic/{id}/Sessions, ChatSession/default and ForCurrentUser answer 200, and
    SO-TimeZone with includeTZOffset tags the dates with the zone's offset."""
    base = f"{server.url}/Cust4242/api/v1"
    with httpx.Client(headers=AUTH) as client:
        sessions = client.get(f"{base}/ChatSession/ForCurrentUser")
        default = client.get(f"{base}/ChatSession/default")
        topic = sessions.json()[0]["TopicId"]
        listed = client.get(f"{base}/ChatTopic/{topic}/Sessions", params={"$orderby": "chatSessionId desc"})
        zoned = client.get(
            f"{base}/ChatSession/{sessions.json()[0]['ChatSessionId']}",
            headers={"SO-TimeZone": "US-NY, includeTZOffset"},
        )
        bad_zone = client.get(f"{base}/ChatSession/default", headers={"SO-TimeZone": "Mars"})
    assert sessions.status_code == default.status_code == listed.status_code == zoned.status_code == 200
    assert len(sessions.json()) == 3 and default.json()["ChatSessionId"] == 0
    ids = [row["PrimaryKey"] for row in listed.json()["value"]]
    assert ids and ids == sorted(ids, reverse=True)
    assert zoned.json()["WhenRequested"].endswith(("-0500", "-0400"))
    assert bad_zone.status_code == 400


LONG_WAIT_S = 120


def read_one_response(sock: socket.socket) -> bytes:
    """Read one HTTP response with a Content-Length body, and nothing after it."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536) or pytest.fail(f"the connection closed mid-response: {data!r}")
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))[15:]
    )
    while len(body) < length:
        body += sock.recv(65536) or pytest.fail("the connection closed mid-body")
    assert len(body) == length, "more than one response"
    return head + b"\r\n\r\n" + body


def lines_until(stream: IO[str], wanted: str) -> list[str]:
    """Read lines up to and including the first that is ``wanted``, or to the end of the stream."""
    lines: list[str] = []
    for line in iter(stream.readline, ""):
        lines.append(line)
        if line.rstrip("\n") == wanted:
            break
    return lines


@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_while_serve_api_waits_for_open_calls_ends_the_wait_not_the_run(
    tmp_path: Path, free_port: Callable[[], int], number: int
) -> None:
    """At the end of ``sosim run --serve-api`` a receiver's call is still open: sosim says it waits
    for it, and a Ctrl-C then stops the wait. The run was complete, so it ends as one: the
    summary, exit 0, the report written, and the open call's connection closed."""
    scenario_file, report = tmp_path / "scenario.yaml", tmp_path / "report.json"
    scenario_file.write_text(SCENARIO, encoding="utf-8")
    api_port = free_port()
    held: list[socket.socket] = []

    def hold_a_call(request: ReceivedRequest, verdict: Verdict) -> None:
        if not held:  # at the first webhook, before its 200: a call that never ends
            held.append(socket.create_connection(("127.0.0.1", api_port), timeout=10))
            # A whole request, then the next one's request line in the same packet: the API
            # parses both in one go, so once the first is answered the open one is counted, and
            # the run, which waits for this webhook's 200, cannot end before it is.
            whole = (
                b"GET /Cust4242/api/v1/ChatSession/1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer e2e\r\n\r\n"
            )
            held[0].sendall(whole + b"GET /Cust4242/api/v1/ChatSession/1 HTTP/1.1\r\n")
            read_one_response(held[0])

    # Ctrl-C's handler as in a terminal (a script's & job would leave SIGINT ignored), and a
    # wait that only the Ctrl-C can end within the test's time.
    code = (
        "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
        f"from simulator.mockapi.server import LiveApi; LiveApi.linger_s = {LONG_WAIT_S}; "
        "sys.argv[0] = 'sosim'; runpy.run_module('simulator', run_name='__main__')"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    with ReceiverThread(ReceiverConfig(secret="e2e-secret"), on_request=hold_a_call) as receiver:
        args = ["run", str(scenario_file), "--target", receiver.url, "--max-rate", "--report", str(report)]
        process = subprocess.Popen(
            [sys.executable, "-c", code, *args, "--serve-api", f"127.0.0.1:{api_port}"],
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        try:
            assert process.stderr is not None
            before = lines_until(process.stderr, linger_notice(LONG_WAIT_S))
            process.send_signal(number)
            assert process.wait(timeout=LONG_WAIT_S / 2) == 0
            after = process.stderr.read()
        finally:
            process.kill()
    assert before[-1] == linger_notice(LONG_WAIT_S) + "\n", before
    assert "delivered" in after and "interrupted" not in after, after
    totals = json.loads(report.read_text(encoding="utf-8"))["totals"]
    assert totals["delivered"] == receiver.checker.tally.received > 0
    assert held[0].recv(65536) == b""  # sosim stopped serving without answering it
    held[0].close()
