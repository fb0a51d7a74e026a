"""Scale smoke tests, moved out of tests/unit: they run in the suite (seconds, not minutes) but
measure sizes at the scale of a long run. ``pytest -m "not bench"`` leaves them out."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from simulator.core.events import Request
from simulator.core.outcome import Attempt, RunInfo, RunResult
from simulator.report.html import render_html
from simulator.report.stats import RunStats
from simulator.report.thresholds import parse_threshold

pytestmark = pytest.mark.bench

MESSAGE = "chatsession.message"
HEADERS = (
    ("Content-Type", "application/json; charset=utf-8"),
    ("User-Agent", "NetServer-Webhook/8.8.6684.1719"),
    ("X-SuperOffice-Event", MESSAGE),
    ("X-SuperOffice-EventId", "fa1a8e72-71ca-4317-bcae-0a65adee3f3f"),
    ("X-SuperOffice-Signature", "bxDWA2F8Pe2Gf3eoFCwAC4Z6uFHqg8RoC3wRICGW26s="),
)


def run_info() -> RunInfo:
    """Settings of a busy run."""
    return RunInfo(
        command="run",
        scenarios=("scenarios/busy-hour.yaml",),
        seed=42,
        target="http://127.0.0.1:8080/hook",
        started_at="2024-05-01T12:00:00Z",
        timing="rate 1000/s",
        delivery="netserver",
        concurrency=8,
        sosim_version="0.1.0",
        signed=True,
        extra={},
    )


def finished(stats: RunStats, *, elapsed: float) -> RunStats:
    """Finish ``stats`` around the attempts already fed to it."""
    stats.finish(
        RunResult(elapsed_s=elapsed, interrupted=False, webhook_state="Active", planned=stats.requests)
    )
    return stats


def page_data(page: str) -> dict[str, Any]:
    """The JSON the page's script draws from."""
    match = re.search(r'<script type="application/json" id="sosim-data">(.*?)</script>', page, re.S)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


def test_a_million_attempts_over_1000_seconds_render_under_3_mb() -> None:
    """A 1,000,000-attempt run with full session samples and 2 KB details gives a page under 3 MB."""
    stats = RunStats([parse_threshold("p99 > 250ms")])
    stats.start(run_info())
    # Bodies full of characters JSON must escape, and multi-byte ones: the worst case for size.
    body = ('{"Note": "' + '"\\é' * 600 + '"}').encode()
    handle = stats.handle_attempt
    request = Request(MESSAGE, "evt", 0, HEADERS, body)
    for i in range(1_000_000):
        if i % 100 == 0:
            request = Request(MESSAGE, f"evt-{i}", i // 100, HEADERS, body)
        due = i / 1000
        status = 500 if i % 97 == 0 else 200
        handle(
            Attempt(
                request=request,
                scenario="busy",
                cycle=1,
                attempt=1,
                intended_s=due,
                sent_s=due + 0.0005,
                done_s=due + 0.002 + (i * 7919 % 1000) / 100_000,
                status=status,
                delivered=status == 200,
                response_body=b'"<busy>' * 400 if status == 500 else b"",
            )
        )
    page = render_html(finished(stats, elapsed=1000.0), stats.evaluate_thresholds())
    size = len(page.encode("utf-8"))
    data = page_data(page)
    assert size < 3_000_000, f"{size:,} bytes"
    assert len(data["series"]["t"]) == 1000
    assert len(data["sessions"]["lanes"]) == 100
