"""The closed loop end to end: the example chatbot under uvicorn answers `sosim run`'s customers
through sosim's mock chat API, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import importlib.util
import json
import os
import statistics
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SECRET = "loop-secret"
#: Clock reading and rounding between two processes' times of the same moment.
SLACK_S = 0.001


def load_bot() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sosim_example_chatbot", ROOT / "examples" / "chatbot.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bot = load_bot()


def write_scenario(
    tmp_path: Path, sessions: int, arrive_s: float = 10, customer_delay_s: float = 10, **external: Any
) -> Path:
    """Customers arrive for ``arrive_s`` and each chat lasts longer: up to ``sessions`` open at once."""
    spec = {
        "name": "loop-e2e",
        "seed": 3,
        "locales": {"en_GB": 1.0},
        # The bot acts on messages only: the other webhooks would cost it CPU and test nothing here.
        "webhook": {"secret": SECRET, "events": ["chatsession.message"]},
        "arrivals": {"sessions": sessions, "process": "uniform", "rate": sessions / arrive_s},
        "flow": {
            "bot": "external",
            "external": {"reply_timeout": 30, "on_timeout": "abandon", **external},
            "chatbot": {
                "turns": 1,
                "customer_delay": {"fixed": customer_delay_s},
                "handoff_probability": 0.2,
            },
            "queue": {"wait": {"fixed": 1}, "abandon_probability": 0},
            "conversation": {
                "turns": 1,
                "customer_delay": {"fixed": 1},
                "agent_delay": {"fixed": 1},
                "double_message_probability": 0,
            },
            "end": {"rating": {"probability": 0}},
        },
    }
    path = tmp_path / "loop.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    return path


def sosim(*args: str | Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SOSIM_SECRET": SECRET}
    return subprocess.run(
        [sys.executable, "-m", "simulator", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )


def test_the_example_bot_answers_200_concurrent_customers_and_sosim_measures_it(
    tmp_path: Path, uvicorn_url: Callable[[Any], str], free_port: Callable[[], int]
) -> None:
    api_port = free_port()
    app = bot.create_app(secret=SECRET, api=f"http://127.0.0.1:{api_port}")
    url = uvicorn_url(app) + "/webhook"
    report, record = tmp_path / "report.json", tmp_path / "run.jsonl"
    done = sosim(
        "run", write_scenario(tmp_path, 200, arrive_s=15), "--target", url,
        "--serve-api", f"127.0.0.1:{api_port}",
        "--report", report, "--record", record, "--fail-if", "unanswered > 0", "--quiet",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    conversation = json.loads(report.read_text())["conversation"]
    log = app.state.log

    # every customer message got its answer: a reply, or a hand-off for a request for a human
    assert conversation["sessions"] == 200
    assert conversation["peak_open"] >= 150  # the chats really are open at the same time
    assert conversation["unanswered"] == 0
    assert conversation["open"] == 0
    replies = [entry for entry in log if entry["kind"] == "reply"]
    resets = [entry for entry in log if entry["kind"] == "reset"]
    # each answer is a reply to a waiting customer, an answer to a closing "thanks", or (that
    # thanks answered after the customer left) a 400 the report counts
    refused = sum(error["count"] for error in conversation["api_errors"])
    accepted = conversation["replies"] + conversation["unsolicited"] + conversation["late_writes"]
    assert accepted + refused == len(replies)
    assert {(e["endpoint"], e["status"]) for e in conversation["api_errors"]} <= {
        ("POST ChatSession/{id}/Messages", 400)
    }
    assert conversation["handoffs"] == len(resets) > 0
    assert sum(conversation["ended"].values()) == 200

    # the bot's replies came back as chatsession.message webhooks, next to the customers' own
    lines = [json.loads(line) for line in record.read_text().splitlines()[1:]]
    sent = [
        line for line in lines if line.get("type") == "attempt" and line["event"] == "chatsession.message"
    ]
    messages = Counter(line["primary_key"] for line in sent)
    # each accepted answer raised one, and each reply answered a customer message that raised one
    assert sum(messages.values()) >= 2 * conversation["replies"] + conversation["unsolicited"]
    bodies = {line["event_id"]: json.loads(line["body"]) for line in sent}
    assert all(messages[bodies[entry["trigger"]]["PrimaryKey"]] >= 2 for entry in replies)

    # sosim's reply latency, reply by reply, against what the bot logged itself: sosim times from
    # the question's webhook going out to the API write, the bot from that webhook coming in to
    # writing. Load (a busy core) lengthens the hops between them, so the check is two bounds that
    # hold whatever the load, not an agreement that holds only on an idle machine.
    timed = [line for line in lines if line.get("type") == "reply"]
    # A reply to a message whose webhook had not gone out yet (the bot found it on another
    # webhook's fetch) has no latency to count.
    assert len(timed) == conversation["reply_latency_ms"]["count"] <= conversation["replies"]
    for line in timed:
        assert line["latency_ms"] == pytest.approx((line["at_s"] - line["sent_s"]) * 1000, abs=0.002)
    # the report's median is these lines' (the value at rank n/2, to HdrHistogram's 3 digits)
    latencies = sorted(line["latency_ms"] for line in timed)
    median = latencies[(len(latencies) + 1) // 2 - 1]
    assert median - 0.001 <= conversation["reply_latency_ms"]["p50"] <= median * 1.001 + 0.001
    tries = Counter(line["event_id"] for line in sent)
    took = {line["event_id"]: line["latency_ms"] / 1000 for line in sent}  # send to the bot's 200
    answers: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for entry in replies:
        answers.setdefault((entry["session"], entry["answered"]), []).append(entry)
    own: list[float] = []  # the bot's own latency, for the replies compared
    for line in timed:
        [*entries] = answers[(line["primary_key"], line["message_id"])]
        entry, question = entries[0], line["question_event_id"]
        if len(entries) > 1 or entry["trigger"] != question or tries[question] != 1:
            continue  # answered twice, found on another webhook or sent twice: not these hops
        own.append(entry["wrote"] - entry["received"])
        latency = line["latency_ms"] / 1000
        # The webhook went out before the bot had it, and the bot wrote before the API had it ...
        assert entry["wrote"] - entry["received"] <= latency + SLACK_S
        # ... the bot had it before sosim had the 200, and the API had the write before the bot's
        # POST returned.
        assert latency <= took[question] + (entry["posted"] - entry["received"]) + SLACK_S
    assert len(own) > conversation["replies"] // 2
    print(f"reply latency p50: sosim's {median:.2f} ms, the bot's own {statistics.median(own) * 1000:.2f} ms")


async def silent_bot(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Takes every webhook (200) and never answers the customer."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def test_a_bot_that_never_answers_leaves_every_customer_waiting_and_fails_the_gate(
    tmp_path: Path, uvicorn_url: Callable[[Any], str], free_port: Callable[[], int]
) -> None:
    report = tmp_path / "report.json"
    scenario = write_scenario(tmp_path, 10, arrive_s=0.5, reply_timeout=0.5)
    url = uvicorn_url(silent_bot) + "/webhook"
    done = sosim(
        "run", scenario, "--target", url, "--serve-api", f"127.0.0.1:{free_port()}",
        "--report", report, "--fail-if", "unanswered > 0", "--quiet",
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    conversation = json.loads(report.read_text())["conversation"]
    assert conversation["unanswered"] == 10
    assert conversation["ended"] == {"abandoned": 10}
    assert "unanswered" in done.stderr
    assert NO_TARGET_WARNING not in done.stderr


NO_TARGET_WARNING = "sosim: warning: the scenario hands a role to your system (flow: external)"


def test_a_closed_loop_without_a_target_warns_that_nothing_can_answer(
    tmp_path: Path, free_port: Callable[[], int]
) -> None:
    """Without --target the webhooks reach the built-in receiver, not a bot: say so at the start,
    then play as asked (every question times out)."""
    report = tmp_path / "report.json"
    scenario = write_scenario(tmp_path, 2, arrive_s=0.2, customer_delay_s=0.1, reply_timeout=0.3)
    done = sosim("run", scenario, "--serve-api", f"127.0.0.1:{free_port()}", "--report", report, "--quiet")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count(NO_TARGET_WARNING) == 1, done.stderr
    assert "Give --target your bot's webhook URL" in done.stderr
    assert json.loads(report.read_text())["conversation"]["unanswered"] == 2
