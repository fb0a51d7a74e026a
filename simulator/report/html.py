"""``--html``: a run's report as one self-contained HTML file with charts.

The file carries everything it needs: the vendored uPlot (``assets/``, MIT), the page's
script and styles, and the run's figures as JSON. It loads nothing from the network (a
Content-Security-Policy forbids it), so it opens offline from a CI artifact. It stays small
however long the run: the time series are per second (coarser for very long runs, see
``MAX_SERIES_ROWS``), and the request details of the sampled sessions share a byte budget.

The run's settings and the threshold verdicts are plain HTML that reads without JavaScript;
the charts are drawn by ``assets/report.js``.
"""

from __future__ import annotations

import html
import json
import math
import re
from collections.abc import Sequence
from dataclasses import astuple, fields
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from simulator.core.units import format_duration
from simulator.report.series import ms
from simulator.report.sessions import AttemptDetail, SessionTrace
from simulator.report.thresholds import ThresholdResult, format_value
from simulator.report.writers import DELIVERY_LABELS, ExtraCase, scenario_failure, write_whole

if TYPE_CHECKING:
    from simulator.report.stats import RunStats

ASSETS: Final = Path(__file__).with_name("assets")
#: Rows of the time series in the page; longer runs are shown in coarser steps.
MAX_SERIES_ROWS: Final = 7200
#: Bytes (as JSON in the page) of request headers, bodies and responses the swimlanes carry in all.
DETAIL_BUDGET: Final = 1_500_000
_MIN_DETAIL: Final = 256
_SERIES_FIELDS: Final = (
    "t",
    "sent",
    "delivered",
    "failed",
    "retries",
    "status_4xx",
    "status_5xx",
    "errors",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "lag_p50_ms",
    "lag_p99_ms",
)
_DETAIL_FIELDS: Final = ("headers", "body", "response")
_ATTEMPT_FIELDS: Final = tuple(f.name for f in fields(AttemptDetail))
_CUT_MARK: Final = "\n… (cut to fit the report)"
# Run settings that may name a credential are left out, whatever a feature puts there.
_SECRET_NAMES: Final = re.compile(r"secret|password|token|credential|auth|key", re.IGNORECASE)
_CSP: Final = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


def write_html(
    stats: RunStats,
    results: Sequence[ThresholdResult],
    path: str | Path,
    extra_cases: Sequence[ExtraCase] = (),
) -> None:
    """Write the HTML report; ``extra_cases`` are the fault verdicts, as for ``write_junit``."""
    write_whole(Path(path), render_html(stats, results, extra_cases))


def render_html(
    stats: RunStats, results: Sequence[ThresholdResult], extra_cases: Sequence[ExtraCase] = ()
) -> str:
    """The whole page as text."""
    data = report_data(stats, extra_cases)
    names = ", ".join(Path(name).name for name in (stats.info.scenarios if stats.info else ()))
    title = f"sosim report: {names}" if names else "sosim report"
    failures = _run_failures(stats, results, extra_cases)
    body = "\n".join(
        [
            _header(stats, title, failures),
            _overview(stats, results, extra_cases),
            _conversation(stats),
            _charts(bool(data["faults"]), conversation=stats.conversation is not None),
            '<pre id="sosim-selfcheck" hidden></pre>',
            f"<script>{_asset('uPlot.iife.min.js')}</script>",
            f'<script type="application/json" id="sosim-data">{_json_for_script(data)}</script>',
            f"<script>{_asset('report.js')}</script>",
        ]
    )
    return _PAGE.format(
        csp=_CSP,
        title=html.escape(title),
        style=_asset("uPlot.min.css") + "\n" + _asset("report.css"),
        errors=_ERROR_COLLECTOR,
        body=body,
    )


def report_data(stats: RunStats, extra_cases: Sequence[ExtraCase] = ()) -> dict[str, Any]:
    """The figures the charts draw, JSON-ready: columnar series, distributions, answers, sessions."""
    summary = stats.summary()
    return {
        "series": series_columns(stats),
        "distribution": {
            name: [[round(p, 6), ms] for p, ms in rows] for name, rows in summary["distribution_ms"].items()
        },
        "events": {
            name: {"status_codes": e["status_codes"], "errors": e["errors"]}
            for name, e in summary["events"].items()
        },
        "faults": summary["faults"],
        "fault_verdicts": _fault_verdicts(extra_cases),
        "webhook": summary["webhook"],
        "elapsed_s": stats.result.elapsed_s if stats.result else None,
        "sessions": sessions_data(stats.sessions.sessions()),
        "conversation": summary.get("conversation"),
    }


def series_columns(stats: RunStats, max_rows: int = MAX_SERIES_ROWS) -> dict[str, Any]:
    """The per-second series as one list per field, in steps of whole seconds that fit ``max_rows``
    (a multiple of the step the run's series kept)."""
    last = stats.last_sent_s
    seconds = int(max(last, 0)) + 1 if last is not None else 0
    step = stats.per_second.step_for(math.ceil(seconds / max_rows))
    rows = stats.series(step)
    columns: dict[str, Any] = {name: [row[name] for row in rows] for name in _SERIES_FIELDS}
    columns["step"] = step
    return columns


def sessions_data(traces: Sequence[SessionTrace], budget: int = DETAIL_BUDGET) -> dict[str, Any]:
    """The sampled sessions for the swimlanes, attempts as rows of ``fields``, details within ``budget``."""
    texts = (getattr(a, name) for t in traces for a in t.attempts for name in _DETAIL_FIELDS)
    limit = _detail_limit([_json_size(text) for text in texts], budget)
    lanes = [
        {
            "scenario": trace.scenario,
            "session_id": trace.session_id,
            "slow": trace.slow,
            # An event lost makes a session failed; failures that a retry or a later cycle made good
            # only make it "recovered".
            "failed": trace.failed_requests > 0,
            "recovered": trace.failed and not trace.failed_requests,
            "worst_latency_ms": ms(trace.worst_latency_s),
            "failed_requests": trace.failed_requests,
            "omitted": trace.omitted,
            "attempts": [_attempt_row(attempt, limit) for attempt in trace.attempts],
        }
        for trace in traces
    ]
    return {
        "fields": list(_ATTEMPT_FIELDS),
        "scenarios": len({t.scenario for t in traces}),
        "detail_limit": limit,
        "lanes": lanes,
    }


def _json_size(text: str) -> int:
    """Bytes ``text`` takes as a JSON string in the page (escapes and UTF-8 included)."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8"))


def _detail_limit(sizes: Sequence[int], budget: int) -> int | None:
    """The size (JSON bytes) each detail text is cut to so that all fit ``budget``; None: no cut."""
    if sum(sizes) <= budget:
        return None
    # The largest cut-off that fits: small texts keep their size, large ones share the rest.
    remaining = budget
    ordered = sorted(sizes)
    for index, size in enumerate(ordered):
        share = remaining // (len(ordered) - index)
        if size > share:
            return max(share, _MIN_DETAIL)
        remaining -= size
    return None


def _cut(text: str, limit: int) -> str:
    """``text`` shortened to about ``limit`` JSON bytes, marked as cut."""
    size = _json_size(text)
    if size <= limit:
        return text
    return text[: len(text) * limit // size] + _CUT_MARK


def _attempt_row(attempt: AttemptDetail, limit: int | None) -> list[Any]:
    row = list(astuple(attempt))
    for name in _DETAIL_FIELDS:
        index = _ATTEMPT_FIELDS.index(name)
        if limit is not None:
            row[index] = _cut(row[index], limit)
    for index, value in enumerate(row):
        if isinstance(value, float):
            row[index] = round(value, 6)
    return row


def _fault_verdicts(extra_cases: Sequence[ExtraCase]) -> dict[str, dict[str, Any]]:
    """Fault verdicts by fault name (the JUnit case names are ``fault NAME``)."""
    return {
        name.removeprefix("fault "): {"passed": failure is None, "message": failure}
        for name, failure in extra_cases
    }


def _run_failures(
    stats: RunStats, results: Sequence[ThresholdResult], extra_cases: Sequence[ExtraCase]
) -> list[str]:
    """Why the run fails, in sentences (empty when it passes)."""
    problems = [r.describe() for r in results if r.crossed]
    scenario = scenario_failure(stats)
    if scenario is not None:
        problems.append(scenario)
    problems += [failure for _, failure in extra_cases if failure is not None]
    return problems


# --- the static part of the page --------------------------------------------------------


def _header(stats: RunStats, title: str, failures: Sequence[str]) -> str:
    badge = '<span class="badge fail">FAIL</span>' if failures else '<span class="badge pass">PASS</span>'
    started = stats.info.started_at if stats.info else "unknown time"
    problems = "".join(f'<p class="problem">{html.escape(p)}</p>' for p in failures)
    return (
        f"<header><h1>{html.escape(title)}{badge}</h1>"
        f'<p class="sub">Started {html.escape(started)}. Hover a chart for values, drag across it to '
        f"zoom, double-click to zoom out.</p>{problems}"
        '<div id="sosim-errors" hidden></div></header>'
    )


def _overview(stats: RunStats, results: Sequence[ThresholdResult], extra_cases: Sequence[ExtraCase]) -> str:
    settings = "".join(
        f"<dt>{html.escape(name)}</dt><dd>{html.escape(value)}</dd>" for name, value in run_settings(stats)
    )
    return (
        '<section class="top">'
        f'<div class="card"><h2>Run settings</h2><dl class="settings">{settings}</dl></div>'
        f'<div class="card"><h2>Results</h2>{_totals(stats)}{_verdicts(results, extra_cases)}</div>'
        "</section>"
    )


def run_settings(stats: RunStats) -> list[tuple[str, str]]:
    """The settings shown above the charts, as (label, text); never a secret."""
    run = stats.run_summary()
    if run is None:
        return [("run", "no settings were recorded")]
    rate = format_value("per_second", stats.achieved_rate)
    delivered_rate = format_value("per_second", stats.delivered_rate)
    target_rate = stats.target_rate
    rows = [
        ("command", f"sosim {run['command']}"),
        ("scenarios", ", ".join(run["scenarios"]) or "-"),
        ("seed", "-" if run["seed"] is None else str(run["seed"])),
        ("target", run["target"]),
        ("timing", run["timing"]),
        (
            "rate",
            f"sent {rate}, delivered {delivered_rate}"
            + (f", target {target_rate:g}/s" if target_rate else ""),
        ),
        ("delivery", f"{run['delivery']}, concurrency {run['concurrency']}"),
        ("signed", "yes" if run["signed"] else "no"),
        ("sosim version", run["sosim_version"]),
    ]
    result = stats.result
    if result is not None:
        ended = "interrupted" if result.interrupted else "finished"
        reason = f" ({result.reason})" if result.reason else ""
        rows.append(("ended", f"{ended} after {format_duration(result.elapsed_s)}{reason}"))
    rows.append(("webhook", f"final state {stats.final_state or 'unknown'}"))
    rows += [
        (name, str(value))
        for name, value in run["extra"].items()
        if name != "target_rate" and not _SECRET_NAMES.search(name)
    ]
    return rows


def _totals(stats: RunStats) -> str:
    counts = stats.delivery_counts()
    cells = [
        *((label, f"{counts[key]:,}") for key, label in DELIVERY_LABELS),
        ("attempts", f"{stats.attempts:,}"),
        ("retries", f"{stats.retries:,}"),
        ("new cycles", f"{stats.requeues:,}"),
        ("p50 service", format_value("time", stats.service.percentile(50))),
        ("p99 service", format_value("time", stats.service.percentile(99))),
        ("p99 lag", format_value("time", stats.lag.percentile(99))),
    ]
    inner = "".join(f"<div><b>{html.escape(v)}</b><span>{html.escape(k)}</span></div>" for k, v in cells)
    return f'<div class="totals">{inner}</div>'


def _verdicts(results: Sequence[ThresholdResult], extra_cases: Sequence[ExtraCase]) -> str:
    rows = [
        (
            r.verdict,
            r.threshold.text,
            format_value(r.threshold.kind, r.actual),
            format_value(r.threshold.kind, r.threshold.value),
        )
        for r in results
    ]
    rows += [
        ("FAIL" if failure else "PASS", name, failure or "as expected", "") for name, failure in extra_cases
    ]
    if not rows:
        return "<h3>Threshold verdicts</h3><p>No <code>--fail-if</code> thresholds were set.</p>"
    body = "".join(
        f'<tr><td class="{verdict.lower()}">{verdict}</td><td>{html.escape(what)}</td>'
        f"<td>{html.escape(actual)}</td><td>{html.escape(limit)}</td></tr>"
        for verdict, what, actual, limit in rows
    )
    return (
        '<h3>Threshold verdicts</h3><table class="verdicts"><thead><tr><th>verdict</th><th>threshold</th>'
        f"<th>actual</th><th>limit</th></tr></thead><tbody>{body}</tbody></table>"
    )


#: (id, title, what it shows); every chart has units on both axes.
_CHARTS: Final = (
    (
        "throughput",
        "Requests per second",
        "Attempts sent (retries included) and requests delivered or failed.",
    ),
    ("latency", "Service time per second", "p50, p90 and p99 of the time from send to answer, per second."),
    (
        "distribution",
        "Latency distribution (HDR percentile plot)",
        "Whole-run percentiles of service time and of latency from the intended send time "
        "(which includes queueing in sosim). The x axis is logarithmic to show the tail.",
    ),
    ("lag", "Schedule lag per second", "How late attempts went out against their schedule: p50 and p99."),
    (
        "answers",
        "Status codes and errors per event type",
        "Attempts per answer, grouped by event type, on a log axis so rare failures show.",
    ),
    (
        "retries",
        "Retries, failed attempts and webhook state",
        "Retries and attempts answered 4xx, 5xx or not at all; the background shows the webhook's state.",
    ),
)
_FAULTS_CHART: Final = (
    "faults",
    "Injected faults: answers and verdicts",
    "Attempts per answer for each injected fault; PASS means every answer was what a correct receiver gives.",
)
_CONVERSATION_CHARTS: Final = (
    (
        "conversation",
        "Customer messages answered and timed out",
        "Per second: replies of the system under test to a waiting customer, and customer messages "
        "that got no answer within flow.external.reply_timeout.",
    ),
    (
        "reply-latency",
        "Reply latency per second",
        "From the customer message's webhook going out to the API write that answered it: p50 and max.",
    ),
)
_SESSIONS_NOTE: Final = (
    'Up to 50 sessions with a failed attempt (the first to fail; "failed" when an event was lost, '
    '"recovered" when every failure was delivered on a retry or in a later cycle) and the 50 slowest '
    "(by their slowest attempt, from the "
    "intended send time); a session's attempts are kept from the one that made it slow or failed. Each bar "
    "is an attempt from send to answer, with its schedule lag in light blue before it. Click a bar for its "
    "request and response; drag to zoom, double-click to zoom out."
)
_SESSION_KEYS: Final = (
    ("#2da44e", "delivered"),
    ("#e16f24", "failed, tried again"),
    ("#cf222e", "failed for good"),
    ("#8fb3e8", "schedule lag"),
)


def _conversation(stats: RunStats) -> str:
    """The closed loop's card: how the system under test answered the customers."""
    if stats.conversation is None:
        return ""
    rows = "".join(
        f"<dt>{html.escape(label)}</dt><dd>{html.escape(value)}</dd>"
        for label, value in stats.conversation.table()
    )
    return (
        '<section class="top" id="conversation-card"><div class="card"><h2>Conversations</h2>'
        f'<dl class="settings">{rows}</dl></div></section>'
    )


def _charts(with_faults: bool, *, conversation: bool = False) -> str:
    charts = [*_CHARTS, _FAULTS_CHART] if with_faults else list(_CHARTS)
    if conversation:
        charts = [*_CONVERSATION_CHARTS, *charts]
    figures = "".join(
        f'<figure id="{id_}"><h2>{html.escape(title)}</h2><p class="note">{html.escape(note)}</p>'
        '<div class="chart"></div></figure>'
        for id_, title, note in charts
    )
    keys = "".join(
        f'<span><i style="background:{color}"></i>{label}</span>' for color, label in _SESSION_KEYS
    )
    return (
        f'<section class="charts">{figures}</section>'
        '<section class="wide" id="sessions"><h2>Slowest and failed sessions</h2>'
        f'<p class="note">{html.escape(_SESSIONS_NOTE)}</p><div class="keys">{keys}'
        '<span><i style="background:#fff;border:2px solid #8250df"></i>injected fault</span></div>'
        '<div class="chart lanes"></div><div class="detail" id="detail"></div></section>'
    )


@cache
def _asset(name: str) -> str:
    return (ASSETS / name).read_text(encoding="utf-8")


def _json_for_script(data: dict[str, Any]) -> str:
    """JSON that cannot end its <script> element early (every ``<`` escaped)."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return text.replace("<", "\\u003c")


# Installed before any other script, so even an error in the charting library is recorded.
_ERROR_COLLECTOR: Final = """
window.__sosimErrors = [];
window.__sosimShowErrors = function () {
  var box = document.getElementById("sosim-errors");
  if (!box || !window.__sosimErrors.length) return;
  box.hidden = false;
  box.textContent = "The report's script failed; some charts may be missing: " +
    window.__sosimErrors.join("; ");
};
window.addEventListener("error", function (e) {
  window.__sosimErrors.push(String(e.message) + (e.filename ? " (" + e.filename + ":" + e.lineno + ")" : ""));
  window.__sosimShowErrors();
});
window.addEventListener("unhandledrejection", function (e) {
  window.__sosimErrors.push("unhandled rejection: " + String(e.reason));
  window.__sosimShowErrors();
});
(function () {
  var original = console.error;
  console.error = function () {
    window.__sosimErrors.push(Array.prototype.join.call(arguments, " "));
    original.apply(console, arguments);
  };
})();
"""

_PAGE: Final = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="sosim">
<title>{title}</title>
<script>{errors}</script>
<style>
{style}
</style>
</head>
<body>
{body}
</body>
</html>
"""
