"""How ``sosim run`` and ``sosim replay`` end on the terminal: write the reports, print the
summary, the verdicts and the hints; return the exit code."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.core.delivery_rules import DeliveryPolicy
    from simulator.engine.run import RunConfig, RunOutcome

__all__ = [
    "not_found_hint",
    "present",
    "print_receiver",
    "print_verdict_table",
    "rejection_hint",
    "success_hint",
]


def rejection_hint(stats: Any, default_secret: str | None) -> str | None:
    """A hint when most answers are 401/403: the receiver does not accept the signature."""
    codes = stats.status_codes
    answered = sum(codes.values())
    rejected = codes.get(401, 0) + codes.get(403, 0)
    if not answered or rejected * 2 <= answered:
        return None
    why = f" (signed with the scenario default: {default_secret} is not set)" if default_secret else ""
    return f"the receiver rejects the signature: check the secret{why}"


def not_found_hint(stats: Any, target: str | None) -> str | None:
    """A hint when most answers are 404/405: the target's path is not where the receiver listens."""
    codes = stats.status_codes
    answered = sum(codes.values())
    missed = codes.get(404, 0) + codes.get(405, 0)
    if not answered or missed * 2 <= answered or not target:
        return None
    from urllib.parse import urlsplit

    path = urlsplit(target).path or "/"
    return f"the receiver has no webhook at {path}: check the path in --target"


def success_hint(stats: Any, policy: DeliveryPolicy) -> str | None:
    """A hint when 2xx answers other than the policy's successes (201, 204 ...) counted as failures."""
    codes = stats.status_codes
    others = sorted(c for c in codes if 200 <= c < 300 and c not in policy.success_statuses)
    if not others:
        return None
    counted = "answers with status " + ", ".join(f"{c} ({codes[c]})" for c in others)
    if policy.name == "custom":
        return (
            f"{counted} counted as failed: they are not in --success; use e.g. `--success 2xx` to accept them"
        )
    return (
        f"{counted} counted as failed: NetServer counts only 200 as delivered; "
        "use `--delivery custom --success 2xx` to accept others"
    )


def present(config: RunConfig, produce: Callable[[Any], RunOutcome]) -> int:
    """Produce an outcome with a console, write the reports, print the summary; return the exit code."""
    from simulator.delivery.signals import signals_noted
    from simulator.report.console import StderrConsole

    console = StderrConsole()
    outcome: RunOutcome = produce(console)
    with signals_noted():  # the run is over: a Ctrl-C now must not leave a report unwritten
        _report(config, outcome, console)
    return outcome.exit_code


def _report(config: RunConfig, outcome: RunOutcome, console: Any) -> None:
    """Write the reports, print the summary, the verdicts and the hints."""
    from simulator.report.writers import write_reports_or_error

    faults = outcome.faults
    unwritten = write_reports_or_error(  # the summary still shows what the run did; then the error
        outcome.stats,
        outcome.thresholds,
        report=config.report,
        junit=config.junit,
        html=config.html,
        extra_cases=faults.junit_cases() if faults else (),
        extra_json=_extra_json(outcome),
    )
    _summarise(config, outcome, console)
    if unwritten is not None:
        raise unwritten


def _summarise(config: RunConfig, outcome: RunOutcome, console: Any) -> None:
    """Print the summary, the verdicts and the hints."""
    from simulator.report.paths import is_stdout
    from simulator.report.writers import nothing_sent_line, render_summary

    # --quiet drops progress and tables, never a verdict: thresholds, faults and the receiver's line.
    render_summary(outcome.stats, outcome.thresholds, console, quiet=config.quiet)
    if outcome.faults is not None:
        for verdict in outcome.faults.verdicts.values():
            style = "green" if verdict.passed else "red"
            console.print(f"[{style}]{verdict.describe()}[/]")
    if outcome.receiver_tally is not None:
        print_receiver(outcome.receiver_tally, console, table=not config.quiet)
    if not config.quiet:  # where each file went, so the user need not scroll back to the command
        written = {
            "recording": config.record,
            "report": config.report,
            "junit": config.junit,
            "html": config.html,
        }
        for label, path in written.items():
            if path and not is_stdout(path):  # stdout is where the user already looks
                console.print(f"{label}: {path}", soft_wrap=True, highlight=False)
    if outcome.stats.nothing_sent:
        console.print(f"[red]{nothing_sent_line(outcome.stats)}[/]", soft_wrap=True)
    hint = rejection_hint(outcome.stats, outcome.default_secret) or not_found_hint(
        outcome.stats, config.target
    )
    if hint is not None:
        console.print(f"[red]{hint}[/]", soft_wrap=True, highlight=False)
    accepted = success_hint(outcome.stats, config.policy)
    if accepted is not None:
        console.print(f"[yellow]{accepted}[/]", soft_wrap=True, highlight=False)


def _extra_json(outcome: RunOutcome) -> dict[str, Any] | None:
    """The JSON report's sections beyond the stats: fault verdicts, the built-in receiver's tally."""
    extra: dict[str, Any] = {}
    if outcome.faults is not None:
        extra["fault_verdicts"] = outcome.faults.summary()
    if outcome.receiver_tally is not None:
        from simulator.servers.receiver import tally_summary  # loaded only with the built-in receiver

        extra["receiver"] = tally_summary(outcome.receiver_tally)
    return extra or None


def print_verdict_table(tally: Any, console: Any, title: str) -> None:
    """A receiver's verdict table (``sosim receive`` and the built-in receiver print the same one)."""
    from rich.table import Table

    from simulator.servers.receiver import verdict_table

    figures = Table(title=title, show_header=False, title_justify="left")
    for label, value in verdict_table(tally):
        figures.add_row(label, value)
    console.print(figures)


def print_receiver(tally: Any, console: Any, *, table: bool = True) -> None:
    """The built-in receiver's verdict: its table (unless ``table`` is false), then its line."""
    from simulator.servers.receiver import verdict_caveat, verdict_ok

    if table:
        print_verdict_table(tally, console, "built-in receiver's verdict")
    unchecked = verdict_caveat(tally)
    console.print(
        f"[green]receiver: all requests verified{unchecked}[/]"
        if verdict_ok(tally)
        else f"[red]receiver: some requests failed verification{unchecked}[/]",
        soft_wrap=True,  # one line in a CI log too
    )
