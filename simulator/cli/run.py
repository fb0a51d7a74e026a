"""``sosim run``: fire scenarios at a URL with controlled timing."""

from __future__ import annotations

import sys
from typing import Any

import click

from simulator.cli.options import (
    ExamplesLast,
    delivery_options,
    deterministic_ids_option,
    no_preflight_option,
    processes_option,
    report_options,
    resolve_secret,
    secret_options,
    timing_options,
)


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
@click.option("--duration", metavar="DURATION", help="Play sessions arriving within this time, e.g. 10m.")
@timing_options
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Requests in flight at once (sessions run concurrently, each in order).",
)
@click.option("--timeout", metavar="DURATION", default="10s", show_default=True, help="Per-request timeout.")
@click.option(
    "--scenario-time", is_flag=True, help="Keep the scenarios' own start time in Timestamps instead of now."
)
@click.option(
    "--fault",
    multiple=True,
    metavar="NAME[=RATE]",
    help="Inject a fault (repeatable): duplicate, reorder, bad-signature, missing-signature, "
    "stale-replay, tampered-body, malformed-json, wrong-content-type, oversized-body, slow-body, "
    "burst=N, header-case.",
)
@click.option(
    "--expect",
    multiple=True,
    metavar="FAULT=CODES",
    help="What a correct receiver answers a fault, e.g. bad-signature=401,403 or malformed-json=4xx.",
)
@click.option(
    "--serve-api",
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
      1    a --fail-if threshold crossed, TooManyErrors, nothing delivered, the built-in
           receiver saw bad requests, or an injected fault got an unexpected answer
      2    bad input (scenario, option, output path) or the target cannot be reached
      130  Ctrl-C (reports and the recording are still written)
      143  SIGTERM (the same)
    """
    from simulator.engine.run import RunConfig, run_from_cli

    secret = resolve_secret(options.pop("secret"), options.pop("secret_env"), options.pop("secret_file"))
    config = RunConfig.from_cli(scenarios, secret=secret, **options)
    sys.exit(run_from_cli(config))
