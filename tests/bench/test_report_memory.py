"""Long-run memory of the report (issue 14): a 10-hour run holds no more than a 5-hour one.

Synthetic attempts with synthetic timestamps (no clock, no network) go through ``RunStats`` and a
closed-loop ``ConversationStats`` (bench/report.py's feed); tracemalloc measures what they hold.
Before the per-second series were bounded, 1e5 attempts over 10 h held 277 MB (7 KB a second)."""

from __future__ import annotations

import pytest

from bench.report import TEN_HOURS_S, peak_memory

pytestmark = pytest.mark.bench


def test_a_10_hour_run_holds_what_a_5_hour_run_holds() -> None:
    """Twice the attempts over twice the run time: the memory held stays within 25% and 40 MB.

    About one attempt a second, so nearly every second has a point: without the series' bound the
    10-hour run would hold twice as much (7 KB a second)."""
    half_held, _ = peak_memory(20_000, TEN_HOURS_S / 2)
    held, peak = peak_memory(40_000, TEN_HOURS_S)
    assert held <= half_held * 1.25, f"{half_held:,} -> {held:,} bytes"
    assert peak < 40_000_000, f"peak {peak:,} bytes"
