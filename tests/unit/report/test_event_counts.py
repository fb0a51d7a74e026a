"""Per-event counts: delivered on the first attempt, after retries, in a later cycle, or lost.

"failed" must not mean "lost": an event that failed a cycle and was delivered in the next one (with
a new EventId) is delivered, and the summary, JSON, JUnit, HTML and exit code all say so.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from rich.console import Console

from simulator.core.events import Request
from simulator.core.outcome import Attempt, ErrorKind, RunInfo
from simulator.engine.run import EXIT_OK, exit_code
from simulator.report.html import render_html, report_data
from simulator.report.stats import RunStats
from simulator.report.writers import render_summary, scenario_failure, write_json, write_junit

MESSAGE = "chatsession.message"
CREATED = "chatsession.created"


def attempt(
    session: int,
    *,
    cycle: int = 1,
    number: int = 1,
    status: int | None = 200,
    error: ErrorKind | None = None,
    final: bool = True,
    requeued: bool = False,
    event: str = MESSAGE,
    at: float = 0.0,
) -> Attempt:
    """One attempt of session ``session``'s only event; delivered when answered 200."""
    request = Request(event, f"evt-{session}-{cycle}", session, (), b"{}")
    return Attempt(
        request=request,
        scenario="support",
        cycle=cycle,
        attempt=number,
        intended_s=at,
        sent_s=at,
        done_s=at + 0.01,
        status=status,
        error=error,
        delivered=status == 200,
        final=final,
        requeued=requeued,
    )


def failed_cycle(session: int, *, cycle: int = 1, requeued: bool = True, at: float = 0.0) -> list[Attempt]:
    """Three attempts answered 500, as NetServer makes them in one cycle."""
    return [
        attempt(
            session, cycle=cycle, number=n, status=500, final=n == 3, requeued=requeued and n == 3, at=at + n
        )
        for n in (1, 2, 3)
    ]


StatsFactory = Callable[..., RunStats]


@pytest.fixture
def finished(make_stats: StatsFactory, make_run_info: Callable[..., RunInfo]) -> StatsFactory:
    """``finished(attempts, interrupted=False)``: RunStats after a run of ``attempts`` that ended
    with the webhook Active."""
    info = make_run_info(
        scenarios=("support",),
        seed=1,
        target="http://127.0.0.1:1/h",
        started_at="2026-01-01T00:00:00Z",
        timing="max-rate",
        concurrency=4,
        sosim_version="0",
    )

    def build(attempts: list[Attempt], *, interrupted: bool = False) -> RunStats:
        return make_stats(attempts, info=info, interrupted=interrupted, planned=4)

    return build


@pytest.fixture
def one_of_each(finished: StatsFactory) -> RunStats:
    """Four events: delivered at once, after one retry, in the second cycle, and lost (--delivery once)."""
    return finished(
        [
            attempt(1, event=CREATED),
            attempt(2, status=500, final=False),
            attempt(2, number=2),
            *failed_cycle(3),
            attempt(3, cycle=2),
            attempt(4, status=500),
        ]
    )


def test_each_event_is_counted_once_by_what_became_of_it(one_of_each: RunStats) -> None:
    """sent = first try + retried + requeued + lost, per event type and for the run."""
    stats = one_of_each
    assert stats.delivery_counts() == {
        "events_sent": 4,
        "delivered_first_attempt": 1,
        "delivered_after_retries": 1,
        "delivered_later_cycle": 1,
        "lost": 1,
    }
    assert stats.delivery_counts(stats.events[MESSAGE])["lost"] == 1
    assert stats.delivery_counts(stats.events[CREATED])["delivered_first_attempt"] == 1
    # The per-cycle figures old readers know stay as they were: 5 cycles ended, 2 of them undelivered.
    assert (stats.requests, stats.failed, stats.delivered) == (5, 2, 3)


def test_attempts_are_sent_events_plus_retries_plus_requeues(one_of_each: RunStats) -> None:
    """Every attempt is exactly one of: an event's first, a retry within a cycle, a later cycle's first."""
    stats = one_of_each
    assert (stats.attempts, stats.sent, stats.retries, stats.requeues) == (8, 4, 3, 1)
    assert stats.attempts == stats.sent + stats.retries + stats.requeues


def test_the_json_report_keeps_its_keys_and_adds_the_per_event_counts(
    tmp_path: Path, one_of_each: RunStats
) -> None:
    """Old keys keep their meaning; the four counts are in totals and per event type."""
    stats = one_of_each
    write_json(stats, tmp_path / "r.json")
    report = json.loads((tmp_path / "r.json").read_text())
    totals = report["totals"]
    assert {"attempts", "requests", "delivered", "failed", "retries", "error_rate"} <= set(totals)
    assert (totals["events_sent"], totals["lost"], totals["requeues"]) == (4, 1, 1)
    assert totals["delivered_later_cycle"] == 1
    message = report["events"][MESSAGE]
    assert (message["sent"], message["events_sent"], message["delivered_after_retries"]) == (4, 3, 1)
    assert report["rate"]["delivered_per_s"] == 0.3


def test_a_run_delivered_in_a_later_cycle_is_a_failure_nowhere(
    tmp_path: Path, finished: StatsFactory
) -> None:
    """A cycle that failed and an event delivered in the next: exit 0, JUnit failures 0, HTML PASS."""
    stats = finished([*failed_cycle(1), attempt(1, cycle=2), attempt(2)])
    assert stats.failed == 1 and stats.lost == 0
    assert scenario_failure(stats) is None
    assert exit_code(stats, [], stats.result, None) == EXIT_OK  # type: ignore[arg-type]
    write_junit(stats, [], tmp_path / "junit.xml")
    root = ET.parse(tmp_path / "junit.xml").getroot()
    assert root.attrib["failures"] == "0"
    page = render_html(stats, [])
    assert '<span class="badge pass">PASS</span>' in page


def test_the_html_calls_a_session_recovered_not_failed_when_it_was_delivered_later(
    finished: StatsFactory,
) -> None:
    """The swimlanes' sample keeps the session with failed attempts, but only a lost event makes it failed."""
    stats = finished([*failed_cycle(1), attempt(1, cycle=2), attempt(2, status=500)])
    lanes = {lane["session_id"]: lane for lane in report_data(stats)["sessions"]["lanes"]}
    assert (lanes[1]["failed"], lanes[1]["recovered"]) == (False, True)
    assert (lanes[2]["failed"], lanes[2]["recovered"]) == (True, False)
    fields = report_data(stats)["sessions"]["fields"]
    requeued = [row[fields.index("requeued")] for row in lanes[1]["attempts"]]
    assert requeued == [False, False, True, False]


def test_the_html_totals_show_the_four_counts(one_of_each: RunStats) -> None:
    """The Results card shows events sent, first try, retried, requeued and lost."""
    page = render_html(one_of_each, [])
    for value, label in (
        ("4", "sent"),
        ("1", "first try"),
        ("1", "retried"),
        ("1", "requeued"),
        ("1", "lost"),
    ):
        assert f"<div><b>{value}</b><span>{label}</span></div>" in page


def test_the_summary_shows_the_four_counts_per_event_type(one_of_each: RunStats) -> None:
    """The summary's Events rows: sent, first try, retried, requeued, lost."""
    console = Console(record=True, width=100)
    render_summary(one_of_each, [], console)
    text = console.export_text()
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines() if line.strip()}
    assert rows[MESSAGE] == ["3", "0", "1", "1", "1"]
    assert rows[CREATED] == ["1", "1", "0", "0", "0"]
    assert "1 event(s) were never delivered." in text


def test_a_retry_the_run_stopped_before_is_a_lost_event(finished: StatsFactory) -> None:
    """A failed attempt whose retry never went out (the run stopped) leaves its event lost, not unsent."""
    stats = finished([attempt(1, status=500, final=False), attempt(2)], interrupted=True)
    assert stats.delivery_counts() == {
        "events_sent": 2,
        "delivered_first_attempt": 1,
        "delivered_after_retries": 0,
        "delivered_later_cycle": 0,
        "lost": 1,
    }
