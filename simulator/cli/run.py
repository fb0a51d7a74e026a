"""``sosim run``: fire scenarios at a URL with controlled timing."""

from __future__ import annotations

import sys
from typing import Any

import click

from simulator.cli.options import (
    ExamplesLast,
    concurrency_option,
    delivery_options,
    deterministic_ids_option,
    duration_option,
    fault_options,
    no_preflight_option,
    processes_option,
    report_options,
    resolve_secret,
    secret_options,
    timeout_option,
    timing_options,
)
from simulator.cli.types import HOST_PORT


@click.command(cls=ExamplesLast)
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--target",
    metavar="URL",
    help="Where to send: http(s)://host:port/path or asgi://module:app/path. "
    "Without it, a built-in verifying receiver on 127.0.0.1 takes the traffic.",
)
@secret_options("run")
@click.option("--seed", type=int, help="Override the scenarios' seed.")
@click.option("--sessions", type=click.IntRange(min=1), help="Override how many sessions to play.")
@duration_option("--duration", None, "Play sessions arriving within this time, e.g. 10m.")
@timing_options
@concurrency_option("Requests in flight at once (sessions run concurrently, each in order).")
@timeout_option
@click.option(
    "--scenario-time", is_flag=True, help="Keep the scenarios' own start time in Timestamps instead of now."
)
@fault_options
@click.option(
    "--serve-api",
    type=HOST_PORT,
    metavar="HOST:PORT",
    help="While the run goes, serve the mock SuperOffice chat REST API on HOST:PORT "
    "(e.g. 127.0.0.1:8765): each session as of the last webhook sent, for receivers that call back.",
)
@deterministic_ids_option
@no_preflight_option
@processes_option
@report_options
@delivery_options
def run(scenarios: tuple[str, ...], **options: Any) -> None:
    """Fire scenarios at a URL with controlled timing; report and exit 0, 1 (threshold) or 2.

    \b
    Examples:
      sosim run scenarios/support-chat.yaml                       # the built-in receiver
      sosim run scenarios/busy-hour.yaml --target http://127.0.0.1:8000/webhook --speed 60
      sosim run scenarios/busy-hour.yaml --target URL --max-rate --fail-if 'p99 > 250ms' --junit out/junit.xml

    \b
    Exit codes:
      0    the run finished and no check failed
      1    a --fail-if threshold crossed, TooManyErrors, nothing delivered or nothing to
           send, the built-in receiver saw bad requests, or an injected fault got an
           unexpected answer
      2    bad input (scenario, option, output path) or the target cannot be reached
      130  Ctrl-C (reports and the recording are still written)
      143  SIGTERM (the same)
    """
    from simulator.cli.config import run_config
    from simulator.cli.present import present

    secret = resolve_secret(options.pop("secret"), options.pop("secret_env"), options.pop("secret_file"))
    config = run_config(scenarios, secret=secret, **options)
    if config.processes > 1:
        from simulator.engine.processes import play_sharded

        sys.exit(present(config, lambda console: play_sharded(config, console=console)))
    from simulator.engine.run import run as run_scenarios

    sys.exit(present(config, lambda console: run_scenarios(config, console=console)))
