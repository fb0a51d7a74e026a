"""The per-second series stay within ``MAX_SERIES_POINTS`` points however long the run, and what
they merge adds up to what was recorded."""

from __future__ import annotations

from simulator.core.conversation import Observation
from simulator.core.events import Request
from simulator.core.outcome import Attempt
from simulator.report.conversation import ConversationStats
from simulator.report.series import CoarseHistogram, to_us
from simulator.report.stats import RunStats
from simulator.report.timeseries import MAX_SERIES_POINTS, SecondStats, StepSeries

REQUEST = Request("chatsession.message", "id", 1, (), b"{}")


def _attempt(sent_s: float, service_s: float) -> Attempt:
    return Attempt(REQUEST, "s", 1, 1, sent_s, sent_s, sent_s + service_s, 200, delivered=True)


def test_a_step_series_doubles_its_step_and_merges_adjacent_points() -> None:
    """Four points at most: second 9 makes the step 4, and each point holds its seconds' sends."""
    series: StepSeries[SecondStats] = StepSeries(SecondStats, limit=4)
    for t in range(10):
        series.at(t + 0.5).sent += t
    assert series.step == 4
    assert [(t, point.sent) for t, point in series.items()] == [(0, 6), (4, 4 + 5 + 6 + 7), (8, 8 + 9)]
    assert [(t, point is not None and point.sent) for t, point in series.merged(5)] == [(0, 6 + 22), (8, 17)]
    assert series.step_for(1) == 4 and series.step_for(5) == 8 and series.step_for(8) == 8


def test_a_10_hour_run_keeps_a_bounded_series_that_adds_up() -> None:
    """One attempt a second for 10 h: at most MAX_SERIES_POINTS rows, the step in the report, and
    every row's counts and percentiles those of the seconds it merges."""
    stats = RunStats()
    run_s = 36_000
    for t in range(run_s):
        stats.handle_attempt(_attempt(t + 0.25, 0.001 * (t % 50)))
    summary = stats.summary()
    step = summary["series_step_s"]
    assert step == 16 and run_s // step <= MAX_SERIES_POINTS
    assert len(stats.per_second.points) <= MAX_SERIES_POINTS
    rows = summary["series"]
    assert [row["t"] for row in rows] == list(range(0, run_s, step))
    assert all(row["sent"] == row["delivered"] == step for row in rows[:-1])
    assert sum(row["sent"] for row in rows) == run_s
    for row in rows[:3]:
        expected = CoarseHistogram()
        for t in range(row["t"], row["t"] + step):
            expected.record(to_us(0.001 * (t % 50)))
        assert [row["p50_ms"], row["p90_ms"], row["p99_ms"]] == expected.percentiles_ms((50.0, 90.0, 99.0))


def test_a_short_run_keeps_one_point_a_second() -> None:
    stats = RunStats()
    for t in (0.5, 2.5, 2.7):
        stats.handle_attempt(_attempt(t, 0.01))
    summary = stats.summary()
    assert summary["series_step_s"] == 1
    assert [row["sent"] for row in summary["series"]] == [1, 0, 2]


def test_the_conversation_series_is_bounded_too() -> None:
    """A reply and an unanswered message every second for 10 h: bounded points that add up, the
    slowest reply of each point exact."""
    conversation = ConversationStats()
    for t in range(36_000):
        conversation.observe(Observation("started", t, float(t)), None)
        latency = 0.007 if t % 16 == 5 else 0.004
        conversation.observe(Observation("reply", t, t + 0.5), t + 0.5 - latency)
        conversation.observe(Observation("unanswered", t, t + 0.75), None)
    summary = conversation.summary()
    rows = summary["series"]
    assert summary["series_step_s"] == 16 and len(rows) == 36_000 // 16
    assert sum(row["replies"] for row in rows) == sum(row["unanswered"] for row in rows) == 36_000
    assert all(row["max_ms"] == 7.0 for row in rows)
    assert all(row["p50_ms"] is not None and 4.0 <= row["p50_ms"] <= 4.0 * 1.03 for row in rows)


def test_the_conversation_series_median_is_the_upper_median() -> None:
    conversation = ConversationStats()
    for latency in (0.010, 0.020):
        conversation.observe(Observation("reply", 1, 5.0), 5.0 - latency)
    assert conversation.series()[5]["p50_ms"] == 20.0 and conversation.series()[5]["max_ms"] == 20.0
