"""bench/lag.py reads the lag figures from sosim's JSON report (no timing, no network)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.lag import read_lag  # noqa: E402


def test_second_zero_and_the_worst_later_second_come_from_the_series() -> None:
    """Second 0 is read apart from the others, so a warm-up spike shows where it is."""
    report = {
        "lag_ms": {"p50": 0.006, "p99": 1.5, "max": 9.0},
        "series": [{"t": 0, "lag_p99_ms": 0.4}, {"t": 1, "lag_p99_ms": 2.5}, {"t": 2, "lag_p99_ms": None}],
        "rate": {"achieved_per_s": 5000.0},
        "totals": {"requests": 15_000},
    }
    lag = read_lag(report)
    assert (lag.p99, lag.max, lag.first_p99, lag.rest_p99) == (1.5, 9.0, 0.4, 2.5)
    assert (lag.achieved, lag.requests) == (5000.0, 15_000)
    assert "(ok)" in lag.line() and "second 0 p99 0.40 ms" in lag.line()
