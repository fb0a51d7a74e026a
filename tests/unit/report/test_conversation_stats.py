"""The closed loop's figures: what the report counts, and the --fail-if metrics built on them."""

from __future__ import annotations

import math
from collections.abc import Callable

from simulator.core.conversation import Observation
from simulator.core.events import ChatMessage
from simulator.core.outcome import RunInfo
from simulator.report.conversation import ConversationStats
from simulator.report.html import render_html
from simulator.report.stats import RunStats
from simulator.report.thresholds import parse_threshold
from simulator.report.writers import junit_element
from simulator.superoffice import facts as so

QUESTION = ChatMessage(7, 1, so.ChatMessageType.ToUser, "Hello?", "Kari")


def played() -> ConversationStats:
    stats = ConversationStats()
    stats.observe(Observation("started", 1, 0.0), None)
    stats.observe(Observation("started", 2, 0.5), None)
    stats.observe(Observation("reply", 1, 2.25, QUESTION), 2.0)  # 250 ms after the question went out
    stats.observe(Observation("unanswered", 2, 31.0, QUESTION), None)
    stats.observe(Observation("handoff", 1, 3.0), None)
    stats.observe(Observation("ended", 1, 4.0, ending="simulated"), None)
    stats.observe(Observation("ended", 2, 31.1, ending="abandoned"), None)
    stats.api_errors = {("POST ChatSession/{id}/Messages", 400): 2}
    return stats


def test_replies_latencies_timeouts_and_endings_are_counted() -> None:
    stats = played()
    summary = stats.summary()
    assert (summary["sessions"], summary["replies"], summary["unanswered"], summary["handoffs"]) == (
        2,
        1,
        1,
        1,
    )
    assert summary["peak_open"] == 2 and summary["open"] == 0
    assert summary["ended"] == {"abandoned": 1, "simulated": 1}
    assert summary["reply_latency_ms"]["p50"] == 250.0
    assert summary["first_reply_ms"]["max"] == 2250.0  # from the arrival to the first answer
    assert summary["api_errors"] == [
        {"endpoint": "POST ChatSession/{id}/Messages", "status": 400, "count": 2}
    ]
    assert [row["replies"] for row in summary["series"]][2] == 1
    assert summary["series"][31]["unanswered"] == 1


def test_the_fail_if_metrics_read_the_conversation_and_are_crossed_without_one() -> None:
    with_loop = RunStats([parse_threshold("reply_p99 > 200ms"), parse_threshold("unanswered > 0")])
    with_loop.conversation = played()
    assert with_loop.metric("reply_p99") == 0.25
    assert with_loop.metric("api_errors") == 2.0
    assert [r.crossed for r in with_loop.evaluate_thresholds()] == [True, True]
    without = RunStats([parse_threshold("unanswered > 0")])
    assert math.isnan(without.metric("unanswered"))
    assert [r.crossed for r in without.evaluate_thresholds()] == [True]  # no data never passes a gate


def test_json_junit_and_html_carry_the_conversation(make_run_info: Callable[..., RunInfo]) -> None:
    stats = RunStats()
    info = make_run_info(
        scenarios=("loop.yaml",),
        seed=1,
        target="http://127.0.0.1:1/",
        started_at="2026-12-02T18:00:00Z",
        timing="scenario",
        concurrency=64,
        sosim_version="0",
    )
    stats.start(info)
    stats.conversation = played()
    assert stats.summary()["conversation"]["replies"] == 1
    properties = {p.get("name"): p.get("value") for p in junit_element(stats, []).iter("property")}
    assert properties["conversation.unanswered"] == "1"
    assert properties["conversation.api_errors"] == "2"
    page = render_html(stats, [])
    assert 'id="conversation-card"' in page and 'id="reply-latency"' in page
    assert "abandoned 1" in page
    assert 'id="reply-latency"' not in render_html(RunStats(), [])
