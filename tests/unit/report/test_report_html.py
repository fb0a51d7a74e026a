"""Tests for the HTML report and the data behind it: self-contained, small, safe, and complete."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from simulator.core.events import Request
from simulator.core.outcome import Attempt, ErrorKind, RunInfo, StateChange
from simulator.report.html import render_html, report_data, series_columns, sessions_data, write_html
from simulator.report.sessions import DETAIL_BYTES, SessionSample
from simulator.report.stats import RunStats, write_json

MESSAGE = "chatsession.message"
CREATED = "chatsession.created"
HEADERS = (
    ("Content-Type", "application/json; charset=utf-8"),
    ("User-Agent", "NetServer-Webhook/8.8.6684.1719"),
    ("X-SuperOffice-Event", MESSAGE),
    ("X-SuperOffice-EventId", "fa1a8e72-71ca-4317-bcae-0a65adee3f3f"),
    ("X-SuperOffice-Signature", "bxDWA2F8Pe2Gf3eoFCwAC4Z6uFHqg8RoC3wRICGW26s="),
)


def attempt(
    *,
    session: int = 1,
    event: str = MESSAGE,
    at: float = 0.0,
    service: float = 0.010,
    status: int | None = 200,
    error: ErrorKind | None = None,
    number: int = 1,
    final: bool = True,
    fault: str | None = None,
    body: bytes = b'{"PrimaryKey": 1}',
    response: bytes = b"",
    scenario: str = "support",
) -> Attempt:
    """An attempt sent on time; delivered when answered 200."""
    return Attempt(
        request=Request(event, f"evt-{session}", session, HEADERS, body),
        scenario=scenario,
        cycle=1,
        attempt=number,
        intended_s=at,
        sent_s=at,
        done_s=at + service,
        status=status,
        error=error,
        delivered=status == 200,
        final=final,
        fault=fault,
        response_body=response,
    )


StatsFactory = Callable[..., RunStats]


@pytest.fixture
def small_run(make_stats: StatsFactory, make_run_info: Callable[..., RunInfo]) -> StatsFactory:
    """Three seconds: deliveries, a 500 that was retried, a timeout, a fault and TooManyErrors."""
    info = make_run_info(extra={"target_rate": "20", "api_token": "s3cr3t-token"})
    attempts = [
        attempt(session=1, event=CREATED, at=0.1, service=0.020),
        attempt(session=1, at=0.5, status=500, final=False, response=b'{"error": "busy"}'),
        attempt(session=1, at=1.5, number=2, service=0.030),
        attempt(session=2, at=2.0, service=5.0, status=None, error="timeout"),
        attempt(session=3, at=2.5, status=401, fault="bad-signature"),
    ]
    change = StateChange(2.9, "hook", "TooManyErrors", "too many failures")

    def build(*thresholds: str) -> RunStats:
        return make_stats(
            attempts, *thresholds, info=info, changes=[change], elapsed=3.0, state="TooManyErrors"
        )

    return build


# --- the page ----------------------------------------------------------------------------------


def test_page_is_self_contained_and_loads_nothing_from_the_network(small_run: StatsFactory) -> None:
    """The page inlines uPlot and its own script and styles, and its CSP forbids any network load."""
    page = render_html(small_run(), [])
    assert "<script src" not in page
    assert "<link" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "https://github.com/leeoniya/uPlot" in page  # the library's own banner, inlined
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert csp is not None
    assert "default-src 'none'" in csp.group(1)
    assert "connect-src" not in csp.group(1)  # so default-src 'none' forbids fetch and XHR


def test_page_shows_the_settings_and_verdicts_but_never_a_secret(small_run: StatsFactory) -> None:
    """Settings and threshold verdicts are plain HTML; the password and secret-like extras are left out."""
    stats = small_run("p99 > 250ms", "failed > 0")
    page = render_html(stats, stats.evaluate_thresholds(), [("fault bad-signature", None)])
    static = page.split("<body>")[1].split('<section class="charts">')[0]
    text = html.unescape(re.sub(r"<[^>]+>", " ", static))
    assert "hunter2" not in page
    assert "s3cr3t-token" not in page
    assert "http://ci:***@127.0.0.1:8080/hook" in text
    for shown in ("scenarios/support-chat.yaml", "42", "rate 20/s", "target 20/s", "0.1.0"):
        assert shown in text
    assert re.search(r'<td class="pass">PASS</td><td>p99 &gt; 250ms</td>', page)
    assert re.search(r'<td class="fail">FAIL</td><td>failed &gt; 0</td>', page)
    assert re.search(r'<td class="pass">PASS</td><td>fault bad-signature</td>', page)
    assert '<span class="badge fail">FAIL</span>' in page


def test_page_data_cannot_end_its_script_element(
    make_stats: StatsFactory, page_data: Callable[[str], dict[str, Any]]
) -> None:
    """A response body holding </script> stays inside the JSON and reads back unchanged."""
    evil = b"</script><script>alert(1)</script><!--"
    page = render_html(make_stats([attempt(status=500, response=evil)], info=None), [])
    assert "<script>alert(1)" not in page
    lane = page_data(page)["sessions"]["lanes"][0]
    fields = page_data(page)["sessions"]["fields"]
    assert lane["attempts"][0][fields.index("response")] == evil.decode()


def test_write_html_replaces_the_file_whole(tmp_path: Path, small_run: StatsFactory) -> None:
    """write_html writes the page in one piece and leaves no temporary file."""
    path = tmp_path / "report.html"
    path.write_text("old", encoding="utf-8")
    write_html(small_run(), [], path)
    assert path.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert not list(tmp_path.glob("*.tmp"))


def test_page_carries_every_chart_and_the_faults_chart_only_with_faults(
    small_run: StatsFactory, make_stats: StatsFactory
) -> None:
    """Each chart has a titled figure; the faults chart appears only when faults were injected."""
    with_faults = render_html(small_run(), [])
    for chart in ("throughput", "latency", "distribution", "lag", "answers", "retries", "faults", "sessions"):
        assert f'id="{chart}"' in with_faults
    assert 'id="faults"' not in render_html(make_stats([attempt()], info=None), [])


def test_a_run_without_attempts_still_renders(
    make_stats: StatsFactory, page_data: Callable[[str], dict[str, Any]]
) -> None:
    """A run interrupted before its first attempt gives a page with empty series, not an error."""
    data = page_data(render_html(make_stats(elapsed=0.0), []))
    assert data["series"]["t"] == []
    assert data["sessions"]["lanes"] == []
    assert data["distribution"] == {"service": [], "from_intended": []}


# --- the data behind the charts -----------------------------------------------------------------


def test_series_columns_carry_every_per_second_figure(small_run: StatsFactory) -> None:
    """The page's series has per-second sends, outcomes, retries, 4xx/5xx/errors and percentiles."""
    data = report_data(small_run())
    series = data["series"]
    assert series["step"] == 1
    assert series["t"] == [0, 1, 2]
    assert series["sent"] == [2, 1, 2]
    assert series["delivered"] == [1, 1, 0]
    assert series["failed"] == [0, 0, 2]
    assert series["retries"] == [0, 1, 0]
    assert series["status_5xx"] == [1, 0, 0]
    assert series["status_4xx"] == [0, 0, 1]
    assert series["errors"] == [0, 0, 1]
    assert series["p50_ms"][1] == pytest.approx(30.0, rel=0.035)
    assert all(isinstance(v, float) for v in series["lag_p50_ms"])


def test_json_report_carries_the_same_series_and_distribution(
    tmp_path: Path, small_run: StatsFactory
) -> None:
    """The JSON report has the per-second rows and the HDR distribution the HTML plots."""
    stats = small_run()
    write_json(stats, tmp_path / "report.json")
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    columns = report_data(stats)["series"]
    assert [row["retries"] for row in report["series"]] == columns["retries"]
    assert [row["lag_p99_ms"] for row in report["series"]] == columns["lag_p99_ms"]
    distribution = report["distribution_ms"]["service"]
    assert distribution[0][0] == 0.0
    assert [p for p, _ in distribution] == sorted(p for p, _ in distribution)
    assert distribution[-1][1] <= report["latency_ms"]["service"]["max"]
    assert report["events"][MESSAGE]["status_codes"] == {"200": 1, "401": 1, "500": 1}
    assert report["events"][MESSAGE]["errors"] == {"timeout": 1}


def test_long_runs_are_shown_in_coarser_steps_with_the_same_totals(make_stats: StatsFactory) -> None:
    """A run longer than the page's row limit is bucketed in whole-second steps; totals are kept."""
    attempts = [attempt(session=s, at=s + 0.5, service=0.001 * (1 + s % 7)) for s in range(100)]
    columns = series_columns(make_stats(attempts, info=None), max_rows=30)
    assert columns["step"] == 4
    assert columns["t"] == list(range(0, 100, 4))
    assert sum(columns["sent"]) == 100
    assert columns["sent"][:3] == [4, 4, 4]
    assert max(columns["p99_ms"]) == pytest.approx(7.0, rel=0.035)


def test_per_event_answers_count_statuses_and_errors(small_run: StatsFactory) -> None:
    """Status codes and errors are counted per event type for the answers chart."""
    events = report_data(small_run())["events"]
    assert events[CREATED] == {"status_codes": {"200": 1}, "errors": {}}
    assert events[MESSAGE] == {"status_codes": {"200": 1, "401": 1, "500": 1}, "errors": {"timeout": 1}}


def test_fault_verdicts_are_matched_to_fault_names(
    small_run: StatsFactory, page_data: Callable[[str], dict[str, Any]]
) -> None:
    """The faults chart gets each fault's answers and its PASS/FAIL from the JUnit-style cases."""
    stats = small_run()
    data = page_data(render_html(stats, [], [("fault bad-signature", "FAIL bad-signature: expected 401")]))
    assert data["faults"]["bad-signature"]["status_codes"] == {"401": 1}
    assert data["fault_verdicts"] == {
        "bad-signature": {"passed": False, "message": "FAIL bad-signature: expected 401"}
    }


# --- the sampled sessions -----------------------------------------------------------------------


def test_sample_keeps_exactly_the_slowest_sessions() -> None:
    """Of many sessions, the sample keeps the N whose slowest attempt was slowest, slowest first."""
    sample = SessionSample(slowest=5, failed=5, attempts=4)
    latencies = [(session * 7919) % 1000 / 1000 for session in range(200)]
    for session, latency in enumerate(latencies):
        sample.handle_attempt(attempt(session=session, at=session, service=0.001))
        sample.handle_attempt(attempt(session=session, at=session + 0.5, service=latency))
    kept = sample.sessions()
    slowest = sorted(range(200), key=lambda s: -latencies[s])[:5]
    assert [t.session_id for t in kept] == slowest
    assert all(t.slow and not t.failed for t in kept)
    assert [a.done_s - a.intended_s for a in kept[0].attempts][-1] == pytest.approx(max(latencies))


def test_sample_prefers_sessions_whose_requests_failed_for_good() -> None:
    """The first failed sessions are kept, but one that failed for good replaces one that recovered."""
    sample = SessionSample(slowest=0, failed=2, attempts=4)
    sample.handle_attempt(attempt(session=1, status=500, final=False))  # recovers below
    sample.handle_attempt(attempt(session=1, at=1, number=2))
    sample.handle_attempt(attempt(session=2, status=503))  # failed for good
    sample.handle_attempt(attempt(session=3, status=503))  # failed for good: replaces session 1
    sample.handle_attempt(attempt(session=4, status=503))  # full of real failures: not kept
    assert [(t.session_id, t.failed_requests) for t in sample.sessions()] == [(2, 1), (3, 1)]


def test_sample_leaves_injected_faults_to_their_verdicts() -> None:
    """A probe rejected as it should be does not make its session a failed one."""
    sample = SessionSample(slowest=0, failed=5)
    sample.handle_attempt(attempt(status=401, fault="bad-signature"))
    assert sample.sessions() == []


def test_sample_memory_is_bounded_per_session_and_per_detail() -> None:
    """A session keeps at most N attempts, failed ones first, each body cut to 2 KB."""
    sample = SessionSample(slowest=1, failed=1, attempts=3)
    body = "é".encode() * 5000
    for number in range(10):
        sample.handle_attempt(attempt(at=number, service=0.001, body=body))
    sample.handle_attempt(attempt(at=20, status=500, body=body, response=b"x" * 10_000))
    (trace,) = sample.sessions()
    assert len(trace.attempts) == 3
    assert trace.omitted == 8
    assert trace.attempts[-1].status == 500
    assert len(trace.attempts[-1].body.encode()) <= DETAIL_BYTES
    assert trace.attempts[-1].body_bytes == len(body)
    assert len(trace.attempts[-1].response) == DETAIL_BYTES


def test_detail_budget_cuts_the_largest_texts_to_fit() -> None:
    """When the sampled details exceed the page's budget, the longest texts are cut and marked."""
    sample = SessionSample(slowest=10, failed=0, attempts=5)
    for session in range(10):
        for number in range(5):
            sample.handle_attempt(attempt(session=session, at=number, body=b'"' * 2000))
    data = sessions_data(sample.sessions(), budget=60_000)
    fields = data["fields"]
    bodies = [row[fields.index("body")] for lane in data["lanes"] for row in lane["attempts"]]
    assert data["detail_limit"] is not None
    assert all(body.endswith("(cut to fit the report)") for body in bodies)
    assert len(json.dumps(data)) < 80_000
