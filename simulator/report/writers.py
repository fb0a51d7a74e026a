"""The outputs of ``RunStats``: a JSON report, a JUnit XML file for CI, and the summary a run
prints at its end. Files are written whole and then renamed into place, so a reader (or an
interrupted run) never sees half a report.
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final

from simulator.core.errors import SimulatorError
from simulator.core.files import written_whole
from simulator.core.units import format_duration
from simulator.report.thresholds import ThresholdResult, format_value
from simulator.superoffice import facts as so

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from simulator.report.conversation import ConversationStats
    from simulator.report.stats import RunStats

#: A JUnit test case added by a feature (name, failure message or None when it passed).
ExtraCase = tuple[str, str | None]

# Characters XML 1.0 cannot carry even escaped (ElementTree would write them verbatim). Compiled
# on first use: the class spans all of Unicode, 3 ms at every start for a JUnit file few runs write.
_XML_INVALID = "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
_PERCENTILE_COLUMNS: Final = ("p50", "p90", "p99", "p99.9", "max")


def write_reports(
    stats: RunStats,
    results: Sequence[ThresholdResult],
    *,
    report: str | Path | None = None,
    junit: str | Path | None = None,
    html: str | Path | None = None,
    extra_cases: Sequence[ExtraCase] = (),
    extra_json: Mapping[str, Any] | None = None,
) -> list[str]:
    """Write the JSON, JUnit and HTML reports asked for (``None`` skips one); return their paths.
    Raises :class:`ReportWriteError` after writing the others when one cannot be written.

    ``extra_cases`` (fault verdicts, tenant webhooks) go into JUnit and HTML, ``extra_json`` into
    the JSON report as extra sections.
    """
    written: list[str] = []
    failed: list[str] = []

    def write(option: str, path: str | Path | None, writer: Callable[[], None]) -> None:
        if not path:
            return
        try:
            writer()
        except OSError as exc:  # checked before the run, but a disk can fill up: say so, write the rest
            failed.append(f"--{option} {path}: cannot be written ({exc.strerror or exc})")
            return
        written.append(str(path))

    write("report", report, lambda: write_json(stats, report or "", extra_json))
    write("junit", junit, lambda: write_junit(stats, results, junit or "", extra_cases))
    if html:
        from simulator.report.html import write_html  # deferred: only runs that ask for HTML

        write("html", html, lambda: write_html(stats, results, html, extra_cases))
    if failed:
        raise ReportWriteError("; ".join(failed))
    return written


class ReportWriteError(SimulatorError):
    """A report could not be written after the run (the others were): one line, exit code 2."""


def write_reports_or_error(
    stats: RunStats, results: Sequence[ThresholdResult], **outputs: Any
) -> ReportWriteError | None:
    """:func:`write_reports`, its error returned rather than raised: the caller prints the run's
    summary first, then raises it."""
    try:
        write_reports(stats, results, **outputs)
    except ReportWriteError as exc:
        return exc
    return None


def write_json(stats: RunStats, path: str | Path, extra: Mapping[str, Any] | None = None) -> None:
    """Write the JSON report (``RunStats.summary()``, threshold verdicts included, plus ``extra``
    sections such as fault verdicts)."""
    from simulator.report.paths import is_stdout

    text = json.dumps({**stats.summary(), **(extra or {})}, indent=2, ensure_ascii=False, allow_nan=False)
    if is_stdout(path):  # --report -: for jq; everything else sosim prints goes to stderr
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return
    write_whole(Path(path), text + "\n")


def write_junit(
    stats: RunStats,
    results: Sequence[ThresholdResult],
    path: str | Path,
    extra_cases: Sequence[ExtraCase] = (),
) -> None:
    """Write JUnit XML: one test case per threshold, per scenario and per extra case."""
    tree = ET.ElementTree(junit_element(stats, results, extra_cases))
    ET.indent(tree)
    with _whole_file(Path(path)) as tmp:
        tree.write(tmp, encoding="utf-8", xml_declaration=True)


def junit_element(
    stats: RunStats, results: Sequence[ThresholdResult], extra_cases: Sequence[ExtraCase] = ()
) -> ET.Element:
    """The ``<testsuites>`` element of the JUnit report."""
    cases: list[tuple[str, str, str | None]] = [
        ("sosim.thresholds", r.threshold.text, r.describe() if r.crossed else None) for r in results
    ]
    info = stats.info
    scenarios = info.scenarios if info and info.scenarios else ("run",)
    run_failure = scenario_failure(stats)
    cases += [("sosim.scenarios", name, run_failure) for name in scenarios]
    cases += [("sosim.faults", name, failure) for name, failure in extra_cases]
    details = {"sosim.scenarios": _failure_details(stats)}

    failures = sum(1 for _, _, failure in cases if failure is not None)
    elapsed = f"{stats.result.elapsed_s:.3f}" if stats.result else "0"
    counts = {"tests": str(len(cases)), "failures": str(failures), "errors": "0", "time": elapsed}
    root = ET.Element("testsuites", {"name": "sosim", **counts})
    suite = ET.SubElement(root, "testsuite", {"name": "sosim", **counts, "skipped": "0"})
    if info is not None:
        suite.set("timestamp", _xml_text(info.started_at))
        properties = ET.SubElement(suite, "properties")
        for name, value in _junit_properties(stats):
            ET.SubElement(properties, "property", {"name": name, "value": _xml_text(value)})
    for classname, name, failure in cases:
        case = ET.SubElement(
            suite, "testcase", {"classname": classname, "name": _xml_text(name), "time": "0"}
        )
        if failure is not None:
            element = ET.SubElement(case, "failure", {"message": _xml_text(failure), "type": classname})
            element.text = _xml_text("\n".join([failure, *details.get(classname, [])]))
    return root


#: The summary's, HTML's and JUnit's labels of ``RunStats.delivery_counts``, in that order.
DELIVERY_LABELS: Final = (
    ("events_sent", "sent"),
    ("delivered_first_attempt", "first try"),
    ("delivered_after_retries", "retried"),
    ("delivered_later_cycle", "requeued"),
    ("lost", "lost"),
)


def delivery_line(stats: RunStats) -> str:
    """The per-event counts as one line: ``events sent 40: first try 30, ... lost 2``."""
    counts = stats.delivery_counts()
    parts = [f"{label} {counts[key]}" for key, label in DELIVERY_LABELS[1:]]
    return f"events sent {counts['events_sent']}: " + ", ".join(parts)


#: Why a run that had no event to send fails: in CI, a filter with a typo would pass unseen.
NOTHING_SENT = "nothing was sent: there was no event to send"
#: The options that can leave a command nothing to send.
_EMPTYING_OPTIONS = {"run": "--sessions and --duration", "replay": "--only and --sessions"}


def nothing_sent_line(stats: RunStats) -> str:
    """NOTHING_SENT, with the options to check for the command that ran."""
    options = _EMPTYING_OPTIONS.get(stats.info.command if stats.info else "")
    return f"{NOTHING_SENT} (check {options})" if options else NOTHING_SENT


def scenario_failure(stats: RunStats) -> str | None:
    """Why the run's scenarios failed, or None: the webhook gave up, nothing was delivered, or the run
    was interrupted. These are the exit code's own reasons (``engine.run.exit_code``), so JUnit, HTML and
    the exit code agree; an event lost while the webhook stayed Active fails only ``--fail-if 'lost > 0'``.
    """
    problems = []
    if stats.sent and not stats.delivered:
        problems.append(f"nothing was delivered ({delivery_line(stats)})")
    if stats.nothing_sent:
        problems.append(nothing_sent_line(stats))
    too_many_errors_at = stats.too_many_errors_at
    if too_many_errors_at is not None:
        problems.append(
            f"webhook turned TooManyErrors at {format_duration(too_many_errors_at)}: sending stopped"
        )
    if stats.result is not None and stats.result.interrupted:
        problems.append("the run was interrupted")
    if not problems:
        return None
    problems.append(f"webhook final state: {stats.final_state or 'unknown'}")
    return "; ".join(problems)


def _failure_details(stats: RunStats) -> list[str]:
    """Lines under a scenario failure: the per-event counts, where the lost events and the errors were."""
    lines = [delivery_line(stats)]
    lines += [f"{name}: {counts.lost} lost" for name, counts in sorted(stats.events.items()) if counts.lost]
    lines += [
        f"HTTP {status}: {n} attempts"
        for status, n in sorted(stats.status_codes.items())
        if status not in so.SUCCESS_STATUSES
    ]
    lines += [f"error {kind}: {n} attempts" for kind, n in sorted(stats.errors.items())]
    return lines


def render_summary(
    stats: RunStats, results: Sequence[ThresholdResult], console: Console, *, quiet: bool = False
) -> None:
    """Print the end-of-run summary: one table of figures, the webhook's fate, the verdicts.

    ``quiet`` (``--quiet``) keeps only the threshold verdicts and, when the run failed by itself
    (its webhook turned TooManyErrors, events were never delivered), how it ended and why: a CI
    log still says why a run failed.
    """
    from rich.text import Text

    closing = _closing_lines(stats)
    if not quiet:
        console.print(_summary_table(stats))
        if stats.conversation is not None:
            console.print(_conversation_table(stats.conversation))
    else:  # quiet keeps why a run failed: how it ended, with the failure sentences (TooManyErrors)
        failures = [line for line in closing if "red" in line[1]]
        closing = closing[:1] + failures if failures and stats.result is not None else failures
    # Sentences stay on one line (soft_wrap): a CI log's 80 columns would cut them up for grep.
    for line, style in closing:
        console.print(Text(line, style=style), soft_wrap=True)
    for result in results:
        verdict = Text(result.verdict, style="bold red" if result.crossed else "bold green")
        console.print(Text.assemble(verdict, "  ", result.describe()), soft_wrap=True)


def _conversation_table(conversation: ConversationStats) -> Table:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE, show_header=False, title="conversations (closed loop)", pad_edge=False)
    table.add_column(no_wrap=True)
    table.add_column()
    for label, value in conversation.table():
        table.add_row(label, value)
    return table


def _summary_table(stats: RunStats) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    command = stats.info.command.removeprefix("sosim ") if stats.info is not None else "run"
    table = Table(box=box.SIMPLE, show_header=False, title=f"sosim {command} summary", pad_edge=False)
    table.add_column(no_wrap=True, overflow="ellipsis", max_width=28)
    for _ in _PERCENTILE_COLUMNS:
        table.add_column(justify="right", no_wrap=True)

    def heading(*cells: str) -> None:
        table.add_row(*(Text(cell, style="bold") for cell in cells))

    heading("Events", *(label for _, label in DELIVERY_LABELS))
    for name, counts in sorted(stats.events.items()):
        table.add_row(Text(name), *_ints(*stats.delivery_counts(counts).values()))
    table.add_row("all events", *_ints(*stats.delivery_counts().values()))

    table.add_section()
    heading("Attempts", "all", "retries", "new cycles")
    table.add_row("all events", *_ints(stats.attempts, stats.retries, stats.requeues))

    table.add_section()
    heading("Answers", "attempts")
    for status, n in sorted(stats.status_codes.items()):
        table.add_row(f"HTTP {status}", str(n))
    for kind, n in sorted(stats.errors.items()):
        table.add_row(Text(f"error: {kind}"), str(n))
    if not stats.attempts:
        table.add_row("no attempt was made", "0")

    table.add_section()
    heading("Timing", *_PERCENTILE_COLUMNS)
    for label, durations in (
        ("service", stats.service),
        ("from intended", stats.latency),
        ("schedule lag", stats.lag),
    ):
        values = durations.percentiles((50.0, 90.0, 99.0, 99.9))
        table.add_row(label, *_ms_cells(*values.values(), durations.max_s))

    table.add_section()
    heading("Rate (events/s)", "achieved", "target")
    target = stats.target_rate
    table.add_row(
        "sent/s",
        format_value("per_second", stats.achieved_rate).removesuffix("/s"),
        "-" if target is None else f"{target:.1f}",
    )
    table.add_row("delivered/s", format_value("per_second", stats.delivered_rate).removesuffix("/s"))
    return table


def _closing_lines(stats: RunStats) -> list[tuple[str, str]]:
    """Plain sentences under the table: how the run ended and what became of the webhook."""
    lines: list[tuple[str, str]] = []
    result = stats.result
    if result is not None:
        ended = "interrupted" if result.interrupted else "finished"
        reason = f" ({result.reason})" if result.reason else ""
        lines.append((f"Run {ended} after {format_duration(result.elapsed_s)}{reason}.", ""))
        if result.unsent:
            lines.append((f"{result.unsent} planned request(s) or retries were never sent.", "yellow"))
    abandoned = stats.errors.get("abandoned", 0)
    if abandoned:
        note = f"{abandoned} request(s) were in flight when the run was cancelled: they count as lost."
        lines.append((note, "yellow"))
    if stats.lost and (result is None or not result.interrupted):
        lines.append((f"{stats.lost} event(s) were never delivered.", "red"))
    if stats.info is not None and stats.info.timing == "max-rate" and stats.attempts:
        note = "At max-rate an event is due when sosim reads it: schedule lag is its wait for a free "
        lines.append((note + "connection or for its session's previous answer.", "dim"))
    too_many_errors_at = stats.too_many_errors_at
    if too_many_errors_at is not None:
        at = format_duration(too_many_errors_at)
        lines.append((f"Webhook turned TooManyErrors at {at}: sending stopped.", "bold red"))
    else:
        lines.append((f"Webhook final state: {stats.final_state or 'unknown'}.", ""))
    return lines


def _ints(*values: int) -> list[str]:
    return [str(value) for value in values]


def _ms_cells(*seconds: float | None) -> list[str]:
    return ["" if s is None else format_value("time", s) for s in seconds]


def _junit_properties(stats: RunStats) -> list[tuple[str, str]]:
    run = stats.run_summary() or {}
    properties = [(name, _property_value(value)) for name, value in run.items() if name != "extra"]
    if stats.conversation is not None:
        summary = stats.conversation.summary()
        latency = summary["reply_latency_ms"]
        properties += [
            (f"conversation.{key}", _property_value(summary[key]))
            for key in ("sessions", "replies", "unanswered", "handoffs", "late_writes")
        ]
        properties += [
            (f"conversation.reply_{p}_ms", _property_value(latency[p])) for p in ("p50", "p99", "max")
        ]
        properties.append(("conversation.api_errors", str(stats.conversation.api_error_count)))
    return properties


def _property_value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def _xml_text(text: str) -> str:
    return re.sub(_XML_INVALID, "\ufffd", text)  # re caches the compiled pattern


@contextmanager
def _whole_file(path: Path) -> Iterator[BinaryIO]:
    """A file whose bytes replace ``path`` only when the block succeeds (see ``written_whole``)."""
    with written_whole(path) as target, target.open("wb") as file:
        yield file


def write_whole(path: Path, text: str) -> None:
    with _whole_file(path) as file:
        file.write(text.encode("utf-8"))
