"""Scale smoke tests, moved out of tests/unit: they run in the suite (seconds, not minutes) but
measure sizes at the scale of a long run. ``pytest -m "not bench"`` leaves them out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bench.report import attempts
from simulator.core.outcome import RunInfo
from simulator.report.html import render_html
from simulator.report.stats import RunStats

pytestmark = pytest.mark.bench

MESSAGE = "chatsession.message"
HEADERS = (
    ("Content-Type", "application/json; charset=utf-8"),
    ("User-Agent", "NetServer-Webhook/8.8.6684.1719"),
    ("X-SuperOffice-Event", MESSAGE),
    ("X-SuperOffice-EventId", "fa1a8e72-71ca-4317-bcae-0a65adee3f3f"),
    ("X-SuperOffice-Signature", "bxDWA2F8Pe2Gf3eoFCwAC4Z6uFHqg8RoC3wRICGW26s="),
)


def test_a_million_attempts_over_1000_seconds_render_under_3_mb(
    make_stats: Callable[..., RunStats],
    make_run_info: Callable[..., RunInfo],
    page_data: Callable[[str], dict[str, Any]],
) -> None:
    """A 1,000,000-attempt run with full session samples and 2 KB details gives a page under 3 MB."""
    info = make_run_info(
        scenarios=("scenarios/busy-hour.yaml",), target="http://127.0.0.1:8080/hook", timing="rate 1000/s"
    )
    # Bodies full of characters JSON must escape, and multi-byte ones: the worst case for size.
    body = ('{"Note": "' + '"\\é' * 600 + '"}').encode()
    feed = attempts(1_000_000, 1000.0, headers=HEADERS, body=body, busy=b'"<busy>' * 400, scenario="busy")
    stats = make_stats(feed, "p99 > 250ms", info=info, elapsed=1000.0)
    page = render_html(stats, stats.evaluate_thresholds())
    size = len(page.encode("utf-8"))
    data = page_data(page)
    assert size < 3_000_000, f"{size:,} bytes"
    assert len(data["series"]["t"]) == 1000
    assert len(data["sessions"]["lanes"]) == 100
