"""Tests for simulator.report.stats: the statistics, JSON, JUnit and summary a run ends with."""

from __future__ import annotations

import json
import math
import tracemalloc
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from rich.console import Console

from simulator.core.errors import UsageError
from simulator.core.events import Request
from simulator.core.outcome import Attempt, ErrorKind, RunInfo, StateChange
from simulator.report.stats import RunStats, render_summary, write_json, write_junit
from simulator.report.thresholds import METRICS, parse_threshold

CREATED = "chatsession.created"
MESSAGE = "chatsession.message"
HDR_PRECISION = 0.001  # 3 significant digits
SERIES_PRECISION = 0.035  # the per-second histograms keep 32 buckets per power of two


def attempt(
    *,
    event: str = MESSAGE,
    intended: float = 0.0,
    sent: float | None = None,
    service: float = 0.010,
    status: int | None = 200,
    error: ErrorKind | None = None,
    delivered: bool | None = None,
    final: bool = True,
    number: int = 1,
    fault: str | None = None,
) -> Attempt:
    """An attempt with sensible defaults: delivered when answered 200."""
    sent_s = intended if sent is None else sent
    return Attempt(
        request=Request(event, "evt-1", 7, (("X-SuperOffice-Event", event),), b"{}"),
        scenario="support",
        cycle=1,
        attempt=number,
        intended_s=intended,
        sent_s=sent_s,
        done_s=sent_s + service,
        status=status,
        error=error,
        delivered=(status == 200) if delivered is None else delivered,
        final=final,
        fault=fault,
    )


StatsFactory = Callable[..., RunStats]


@pytest.fixture
def run_info(make_run_info: Callable[..., RunInfo]) -> Callable[..., RunInfo]:
    """Settings of a run with one scenario; keywords go to ``extra``."""

    def info(**extra: str) -> RunInfo:
        overrides = {"scenarios": ("support",), "timing": "rate 500/s", "delivery": "lean"}
        return make_run_info(command="sosim run", **overrides, extra=dict(extra))

    return info


@pytest.fixture
def run_stats(make_stats: StatsFactory, run_info: Callable[..., RunInfo]) -> StatsFactory:
    """Stats after a complete run of ``attempts`` through the Handler interface."""

    def build(attempts: list[Attempt], *thresholds: str, state: str = "Active") -> RunStats:
        info = run_info(target_rate="500/s")
        return make_stats(attempts, *thresholds, info=info, state=state, planned=len(attempts))

    return build


@pytest.fixture
def mixed_run(run_stats: StatsFactory) -> RunStats:
    """3 requests: one delivered at once, one after a 500 retry, one that timed out for good."""
    return run_stats(
        [
            attempt(event=CREATED, intended=0.0, service=0.020),
            attempt(intended=0.5, service=0.030, status=500, final=False),
            attempt(intended=1.5, service=0.040, number=2),
            attempt(intended=2.0, service=5.0, status=None, error="timeout"),
        ]
    )


def test_counts_requests_attempts_retries_statuses_and_errors(mixed_run: RunStats) -> None:
    """Totals count final attempts as requests, later attempts as retries, statuses and errors per attempt."""
    stats = mixed_run
    assert (stats.attempts, stats.requests, stats.delivered, stats.failed, stats.retries) == (4, 3, 2, 1, 1)
    assert stats.status_codes == {200: 2, 500: 1}
    assert stats.errors == {"timeout": 1}
    message = stats.events[MESSAGE]
    assert (message.sent, message.delivered, message.failed, message.retries) == (2, 1, 1, 1)
    assert (stats.events[CREATED].sent, stats.events[CREATED].delivered) == (1, 1)


def test_error_rate_is_failed_requests_over_requests(mixed_run: RunStats) -> None:
    """error_rate counts requests that ended undelivered, not failed attempts that were retried."""
    stats = mixed_run
    assert stats.metric("error_rate") == pytest.approx(1 / 3)
    assert stats.metric("failed") == 1
    assert stats.metric("sent") == 3
    assert stats.metric("attempts") == 4
    assert stats.metric("status_5xx") == 1
    assert stats.metric("status_4xx") == 0


def test_service_percentiles_are_within_hdr_precision(run_stats: StatsFactory) -> None:
    """p50/p90/p99/max/mean of 1..1000 ms match the exact values within 0.1%."""
    stats = run_stats([attempt(intended=i / 100, service=i / 1000) for i in range(1, 1001)])
    for name, exact in (("p50", 0.500), ("p90", 0.900), ("p99", 0.990), ("p99.9", 0.999)):
        assert stats.metric(name) == pytest.approx(exact, rel=HDR_PRECISION)
    assert stats.metric("max") == pytest.approx(1.0)
    assert stats.metric("mean") == pytest.approx(0.5005)
    assert stats.metric("p99") <= stats.metric("max")


def test_only_answered_attempts_enter_the_latency_histograms(mixed_run: RunStats) -> None:
    """A timeout has no response time, so it cannot drag p99 to the timeout; its lag still counts."""
    stats = mixed_run
    assert stats.service.count == 3
    assert stats.latency.count == 3
    assert stats.lag.count == 4
    assert stats.metric("max") == pytest.approx(0.040)


def test_latency_from_intended_includes_queueing(run_stats: StatsFactory) -> None:
    """An attempt sent 2 s late with a 100 ms answer shows 2.1 s from intended and 100 ms service."""
    stats = run_stats([attempt(intended=1.0, sent=3.0, service=0.100)])
    assert stats.metric("p50") == pytest.approx(0.100, rel=HDR_PRECISION)
    assert stats.metric("latency_p50") == pytest.approx(2.100, rel=HDR_PRECISION)
    assert stats.metric("latency_max") == pytest.approx(2.100)
    assert stats.metric("lag_p99") == pytest.approx(2.0, rel=HDR_PRECISION)
    assert stats.metric("lag_max") == pytest.approx(2.0)


def test_lag_is_clamped_at_zero(run_stats: StatsFactory) -> None:
    """An attempt sent before its intended time counts as on time, not as negative lag."""
    stats = run_stats([attempt(intended=1.0, sent=0.9)])
    assert stats.metric("lag_max") == 0.0
    assert stats.metric("lag_p50") == 0.0


def test_unmeasurable_metrics_are_nan_and_cross_thresholds(run_stats: StatsFactory) -> None:
    """With no answer and no request, percentiles and error_rate are unknown and their thresholds fail."""
    stats = run_stats([], "p99 > 250ms", "error_rate > 1%", "failed > 0")
    assert math.isnan(stats.metric("p99"))
    assert math.isnan(stats.metric("error_rate"))
    assert [r.crossed for r in stats.evaluate_thresholds()] == [True, True, False]


def test_every_threshold_metric_is_measured(mixed_run: RunStats) -> None:
    """Each metric --fail-if accepts is answered by RunStats; unknown names are refused."""
    stats = mixed_run
    for name in METRICS:
        assert isinstance(stats.metric(name), float), name
    with pytest.raises(KeyError):
        stats.metric("p42")


def test_achieved_and_target_rate(run_stats: StatsFactory) -> None:
    """rate is requests per second of the run (101 in its 10 s; between the first and the last send
    while it runs); the target comes from RunInfo."""
    live = RunStats()
    for item in [attempt(intended=i * 0.01) for i in range(101)]:
        live.handle_attempt(item)
    assert live.achieved_rate == pytest.approx(101 / 1.0)
    stats = run_stats([attempt(intended=i * 0.01) for i in range(101)])
    assert stats.metric("rate") == pytest.approx(101 / 10.0)
    assert stats.target_rate == 500.0
    assert stats.summary()["rate"]["target_per_s"] == 500.0


def test_faults_count_sent_and_statuses_per_fault(run_stats: StatsFactory) -> None:
    """Attempts carrying an injected fault are counted per fault with their answers."""
    stats = run_stats(
        [
            attempt(fault="slow", status=200),
            attempt(fault="slow", status=503),
            attempt(fault="drop", status=None, error="connect"),
            attempt(),
        ]
    )
    assert stats.summary()["faults"] == {
        "drop": {"sent": 1, "status_codes": {}, "errors": {"connect": 1}},
        "slow": {"sent": 2, "status_codes": {"200": 1, "503": 1}, "errors": {}},
    }


def test_series_buckets_by_whole_second_of_send(run_stats: StatsFactory) -> None:
    """The series has one row per second from 0, quiet seconds as zeros, outcomes in the send's second."""
    stats = run_stats(
        [
            attempt(intended=0.2, service=0.010),
            attempt(intended=0.7, service=0.030, status=500),
            attempt(intended=2.5, sent=2.75, service=0.200),
        ]
    )
    series = stats.summary()["series"]
    assert [(row["t"], row["sent"], row["delivered"], row["failed"]) for row in series] == [
        (0, 2, 1, 1),
        (1, 0, 0, 0),
        (2, 1, 1, 0),
    ]
    assert series[0]["p50_ms"] == pytest.approx(10.0, rel=SERIES_PRECISION)
    assert series[0]["p99_ms"] == pytest.approx(30.0, rel=SERIES_PRECISION)
    assert series[1]["p50_ms"] is None
    assert series[2]["lag_p99_ms"] == pytest.approx(250.0, rel=SERIES_PRECISION)


def test_series_percentiles_track_each_second(run_stats: StatsFactory) -> None:
    """Per-second percentiles follow a receiver that slows down during the run."""
    stats = run_stats(
        [attempt(intended=t + i / 1000, service=(t + 1) * 0.050) for t in range(5) for i in range(100)]
    )
    assert [row["p99_ms"] for row in stats.series()] == pytest.approx(
        [50.0, 100.0, 150.0, 200.0, 250.0], rel=SERIES_PRECISION
    )


def test_memory_does_not_grow_with_the_number_of_events(run_stats: StatsFactory) -> None:
    """Ten times more events in the same seconds use no more memory: nothing is kept per attempt."""
    stats = run_stats([])
    items = [attempt(intended=i % 10 + 0.5, service=0.001 * (i % 97)) for i in range(1000)]
    for item in items:
        stats.handle_attempt(item)
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for _ in range(10):
            for item in items:
                stats.handle_attempt(item)
        after, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stats.attempts == 11_000
    assert after - before < 20_000


def test_webhook_state_changes_are_reported(
    make_stats: StatsFactory, run_info: Callable[..., RunInfo]
) -> None:
    """The report says when the webhook turned TooManyErrors and how it ended."""
    change = StateChange(12.3, "sosim", "TooManyErrors", "9 consecutive failures")
    stats = make_stats(info=run_info(), changes=[change], elapsed=20.0, state="TooManyErrors", planned=100)
    webhook = stats.summary()["webhook"]
    assert webhook["final_state"] == "TooManyErrors"
    assert webhook["too_many_errors_at_s"] == 12.3
    assert webhook["changes"] == [
        {"at_s": 12.3, "webhook": "sosim", "state": "TooManyErrors", "reason": "9 consecutive failures"}
    ]


def test_json_report_is_strict_stable_and_complete(tmp_path: Path, mixed_run: RunStats) -> None:
    """The JSON report is valid strict JSON, identical on rewrite, with totals, latency and verdicts."""
    stats = mixed_run
    stats.thresholds = (parse_threshold("p99 > 35ms"), parse_threshold("error_rate > 50%"))
    path = tmp_path / "report.json"
    write_json(stats, path)
    first = path.read_text(encoding="utf-8")
    write_json(stats, path)
    assert path.read_text(encoding="utf-8") == first

    def no_nan(constant: str) -> float:
        raise AssertionError(f"non-standard JSON constant {constant}")

    report = json.loads(first, parse_constant=no_nan)
    assert list(report)[:3] == ["sosim_version", "run", "result"]
    assert report["totals"] == {
        "attempts": 4,
        "requests": 3,
        "delivered": 2,
        "failed": 1,
        "retries": 1,
        "error_rate": pytest.approx(1 / 3),
        "events_sent": 3,
        "delivered_first_attempt": 1,
        "delivered_after_retries": 1,
        "delivered_later_cycle": 0,
        "lost": 1,
        "requeues": 0,
    }
    assert report["latency_ms"]["service"]["p99"] == pytest.approx(40.0, rel=HDR_PRECISION)
    assert report["latency_ms"]["service"]["count"] == 3
    assert report["status_codes"] == {"200": 2, "500": 1}
    assert report["errors"] == {"timeout": 1}
    assert report["run"]["seed"] == 42
    assert [(t["expression"], t["verdict"], t["unit"]) for t in report["thresholds"]] == [
        ("p99 > 35ms", "FAIL", "ms"),
        ("error_rate > 50%", "PASS", "fraction"),
    ]
    assert report["thresholds"][0]["actual"] == pytest.approx(40.0, rel=HDR_PRECISION)
    assert not list(tmp_path.glob("*.tmp"))


def test_reports_never_contain_the_targets_password(tmp_path: Path, mixed_run: RunStats) -> None:
    """A password in the target URL is masked in the JSON and JUnit reports."""
    stats = mixed_run
    write_json(stats, tmp_path / "r.json")
    write_junit(stats, [], tmp_path / "r.xml")
    for name in ("r.json", "r.xml"):
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert "hunter2" not in text
        assert "http://ci:***@127.0.0.1:8080/hook" in text


def _cases(path: Path) -> dict[str, ET.Element | None]:
    """JUnit test case name -> its failure element (None when it passed)."""
    root = ET.parse(path).getroot()
    return {case.attrib["name"]: case.find("failure") for case in root.iter("testcase")}


def test_junit_fails_exactly_the_crossed_thresholds(tmp_path: Path, run_stats: StatsFactory) -> None:
    """Each threshold is a test case; only crossed ones carry a failure with actual vs limit."""
    stats = run_stats(
        [attempt(service=0.300), attempt(intended=1, service=0.100)], "p99 > 250ms", "failed > 0"
    )
    results = stats.evaluate_thresholds()
    path = tmp_path / "junit.xml"
    write_junit(stats, results, path)
    root = ET.parse(path).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.attrib["name"] == "sosim"
    assert (suite.attrib["tests"], suite.attrib["failures"]) == ("3", "1")
    cases = _cases(path)
    assert set(cases) == {"p99 > 250ms", "failed > 0", "support"}
    failure = cases["p99 > 250ms"]
    assert failure is not None
    assert failure.attrib["message"] == "p99 is 300ms; the run fails if p99 > 250ms"
    assert cases["failed > 0"] is None
    assert cases["support"] is None


def test_junit_scenario_fails_when_nothing_was_delivered(tmp_path: Path, run_stats: StatsFactory) -> None:
    """A run that delivered nothing fails its scenario case, with the per-event counts and the errors."""
    stats = run_stats([attempt(status=None, error="timeout"), attempt(event=CREATED, status=500)])
    path = tmp_path / "junit.xml"
    write_junit(stats, [], path)
    failure = _cases(path)["support"]
    assert failure is not None
    assert failure.attrib["message"] == (
        "nothing was delivered (events sent 2: first try 0, retried 0, requeued 0, lost 2); "
        "webhook final state: Active"
    )
    assert "chatsession.message: 1 lost" in (failure.text or "")
    assert "error timeout: 1 attempts" in (failure.text or "")


def test_junit_scenario_passes_with_a_lost_event_as_the_exit_code_does(
    tmp_path: Path, mixed_run: RunStats
) -> None:
    """An event lost while the webhook stayed Active does not fail `sosim run` (exit code 0), so JUnit
    agrees; `--fail-if 'lost > 0'` is the gate for it, and JUnit shows that case failed."""
    stats = mixed_run
    stats.thresholds = (parse_threshold("lost > 0"),)
    path = tmp_path / "junit.xml"
    write_junit(stats, stats.evaluate_thresholds(), path)
    cases = _cases(path)
    assert cases["support"] is None
    failure = cases["lost > 0"]
    assert failure is not None
    assert failure.attrib["message"] == "lost is 1; the run fails if lost > 0"


def test_junit_scenario_fails_when_the_webhook_turned_too_many_errors(
    tmp_path: Path, run_stats: StatsFactory
) -> None:
    """A webhook that ended TooManyErrors fails the scenario case even if nothing was left undelivered."""
    stats = run_stats([attempt()], state="TooManyErrors")
    stats.handle_state(StateChange(12.3, "sosim", "TooManyErrors", "9 failures"))
    path = tmp_path / "junit.xml"
    write_junit(stats, [], path)
    failure = _cases(path)["support"]
    assert failure is not None
    assert "webhook turned TooManyErrors at 12.3s: sending stopped" in failure.attrib["message"]
    assert "webhook final state: TooManyErrors" in failure.attrib["message"]


def test_junit_scenario_fails_when_the_run_was_interrupted(
    tmp_path: Path, make_stats: StatsFactory, run_info: Callable[..., RunInfo]
) -> None:
    """An interrupted run cannot pass CI, even if every request it sent was delivered."""
    stats = make_stats([attempt()], info=run_info(), elapsed=1.0, interrupted=True, planned=100)
    write_junit(stats, [], tmp_path / "junit.xml")
    failure = _cases(tmp_path / "junit.xml")["support"]
    assert failure is not None
    assert "interrupted" in failure.attrib["message"]


def test_junit_extra_cases_and_hostile_names_stay_valid_xml(
    tmp_path: Path, make_stats: StatsFactory, make_run_info: Callable[..., RunInfo]
) -> None:
    """Extra (fault) cases are added; names with markup and control characters still parse."""
    info = make_run_info(
        command="sosim run",
        scenarios=('<a&b "c">\x01',),
        seed=None,
        target="http://h/",
        started_at="",
        timing="max-rate",
        delivery="httpx",
        concurrency=1,
        signed=False,
    )
    stats = make_stats([attempt()], info=info, elapsed=1.0, planned=1)
    path = tmp_path / "junit.xml"
    write_junit(stats, [], path, extra_cases=[("fault slow-5s", None), ("fault drop", "expected retry <3>")])
    cases = _cases(path)
    assert set(cases) == {'<a&b "c">\ufffd', "fault slow-5s", "fault drop"}
    assert cases["fault slow-5s"] is None
    failure = cases["fault drop"]
    assert failure is not None
    assert failure.attrib["message"] == "expected retry <3>"


def test_render_summary_shows_the_key_figures_in_80_columns(run_stats: StatsFactory) -> None:
    """The end-of-run summary shows counts, statuses, latency, rate, the webhook's fate and verdicts."""
    stats = run_stats(
        [attempt(event=CREATED, intended=i / 10, service=0.012) for i in range(9)]
        + [attempt(intended=1.0, service=0.250, status=500)],
        "p99 > 100ms",
        "failed > 5",
        state="TooManyErrors",
    )
    stats.handle_state(StateChange(12.3, "sosim", "TooManyErrors", "9 failures"))
    console = Console(record=True, width=80)
    render_summary(stats, stats.evaluate_thresholds(), console)
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text  # no figure cut to fit
    for figure in (CREATED, MESSAGE, "HTTP 200", "HTTP 500", "12ms", "250ms", "p99.9", "sent/s", "500.0"):
        assert figure in text, figure
    assert "Webhook turned TooManyErrors at 12.3s: sending stopped." in text
    assert "FAIL  p99 is 250ms; the run fails if p99 > 100ms" in text
    assert "PASS  failed is 1; the run fails if failed > 5" in text


def test_bad_threshold_is_a_usage_error_before_the_run() -> None:
    """RunStats is built from parsed thresholds, so a typo fails at parse time with exit code 2."""
    with pytest.raises(UsageError):
        RunStats([parse_threshold("p99 >> 5")])


def test_summary_is_titled_by_its_command_and_explains_max_rate_lag(
    run_stats: StatsFactory, make_stats: StatsFactory, run_info: Callable[..., RunInfo]
) -> None:
    """A replay's summary says replay; at max-rate a line says what schedule lag means there."""
    info = replace(run_info(), command="replay", timing="max-rate")
    stats = make_stats([attempt(intended=0.0, service=0.010)], info=info, elapsed=0.5, planned=1)
    console = Console(record=True, width=200)
    render_summary(stats, [], console)
    text = console.export_text()
    assert "sosim replay summary" in text and "sosim run summary" not in text
    assert "At max-rate an event is due when sosim reads it" in text
    timed = run_stats([attempt(intended=0.0)])
    console = Console(record=True, width=200)
    render_summary(timed, [], console)
    assert "sosim run summary" in console.export_text()
    assert "At max-rate" not in console.export_text()


def test_receiver_verdict_says_when_signatures_were_not_checked() -> None:
    """Without a secret the built-in receiver cannot check signatures, and its verdict says so."""
    from simulator.cli.present import print_receiver
    from simulator.servers.receiver import WebhookChecker

    for secret, expected in (("s3cret", False), (None, True)):
        console = Console(record=True, width=200)
        print_receiver(WebhookChecker(secret).tally, console)
        text = console.export_text()
        assert "receiver: all requests verified" in text
        assert ("signatures not checked: no secret" in text) is expected


def test_the_schedule_lag_row_has_every_percentile(run_stats: StatsFactory) -> None:
    """Schedule lag is a histogram like service time: its row fills the same five columns."""
    lags = [0.001 * i for i in range(1, 1001)]  # 1 ms .. 1 s late
    stats = run_stats([attempt(intended=0.0, sent=lag) for lag in lags])
    console = Console(record=True, width=200)
    render_summary(stats, [], console)
    row = next(line for line in console.export_text().splitlines() if "schedule lag" in line)
    cells = row.split()[2:]
    assert cells == ["500ms", "900ms", "990ms", "999ms", "1s"], row
