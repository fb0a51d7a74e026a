"""``sosim tenant`` on the terminal: run, write the reports, print the summary; return the exit code."""

from __future__ import annotations

from simulator.tenant.config import TenantConfig
from simulator.tenant.report import print_webhooks
from simulator.tenant.run import run_tenant

__all__ = ["present_tenant"]


def present_tenant(config: TenantConfig) -> int:
    """Run the tenant with a console, write --report/--junit/--html, print the summary."""
    from simulator.engine.checks import check_outputs
    from simulator.report.console import StderrConsole
    from simulator.report.writers import render_summary, write_reports_or_error

    check_outputs(report=config.report, junit=config.junit, html=config.html)
    console = StderrConsole()
    outcome = run_tenant(config, console=console)
    unwritten = write_reports_or_error(  # the summary still shows what the tenant did; then the error
        outcome.stats,
        outcome.thresholds,
        report=config.report,
        junit=config.junit,
        html=config.html,
        extra_cases=outcome.junit_cases(),
        extra_json={"tenant": outcome.section},
    )
    render_summary(outcome.stats, outcome.thresholds, console, quiet=config.quiet)
    if not config.quiet:
        print_webhooks(outcome.hooks, console)
        for message in outcome.messages:
            console.print(f"[yellow]{message}[/]")
    if unwritten is not None:
        raise unwritten
    return outcome.exit_code
