"""``sosim receive``: run a verifying webhook receiver."""

from __future__ import annotations

import sys
from typing import Any

import click

from simulator.cli.options import (
    ExamplesLast,
    duration_option,
    listen_options,
    resolve_secret,
    secret_options,
)
from simulator.core.defaults import ID_WINDOW, RECEIVE_PORT


@click.command(cls=ExamplesLast)
@listen_options(RECEIVE_PORT)
@secret_options("receive")
@click.option("--path", help="Only accept this path (others get 404).")
@click.option(
    "--respond",
    type=click.IntRange(100, 599),
    default=200,
    show_default=True,
    help="Status for requests that pass verification.",
)
@click.option(
    "--fail-rate",
    type=click.FloatRange(0.0, 1.0),
    default=0.0,
    show_default=True,
    help="Share of requests answered 500 anyway (exercises the sender's retries).",
)
@duration_option("--latency", 0.0, "Wait this long before answering.")
@click.option("--record", type=click.Path(dir_okay=False), help="Capture what arrives to this JSONL file.")
@click.option("--max-requests", type=click.IntRange(min=1), help="Stop after this many requests.")
@click.option(
    "--id-window",
    type=click.IntRange(min=1),
    default=ID_WINDOW,
    show_default=True,
    metavar="N",
    help="Remember the last N EventIds (and chat sessions) to spot retries, duplicates and reused ids; "
    "about 350 bytes each when full. Older ones are forgotten, and a reuse of one is not detected.",
)
@click.option(
    "--quiet", "-q", is_flag=True, help="No live tally and no table; the verdict line still prints."
)
def receive(**options: Any) -> None:
    """Run a verifying webhook receiver; exit 1 when anything failed verification.

    \b
    Examples:
      sosim receive --port 8000 --secret-env SOSIM_SECRET
      sosim receive --port 8000 --fail-rate 0.1 --latency 50ms         # exercise the sender's retries
      sosim receive --port 8000 --record capture.jsonl --max-requests 100
    """
    from simulator.cli.config import receive_config
    from simulator.delivery.signals import ignore_stop_signals, signals_noted
    from simulator.engine.receive import receive as serve
    from simulator.report.console import StderrConsole
    from simulator.servers.receiver import verdict_ok

    secret = resolve_secret(options.pop("secret"), options.pop("secret_env"), options.pop("secret_file"))
    config = receive_config(secret=secret, **options)
    console = StderrConsole()
    # The first Ctrl-C or SIGTERM stops the receiver (serve takes them over while it runs); one
    # more as it stops or prints its verdict is only noted: it used to end the command with
    # "interrupted" and no verdict.
    with signals_noted():
        tally = serve(config, console=console)
        print_verdict(console, tally, table=not config.quiet)  # --quiet keeps the verdict line
    ignore_stop_signals()  # the verdict is out: the exit code is its, whatever comes now
    sys.exit(0 if verdict_ok(tally) else 1)


def print_verdict(console: Any, tally: Any, *, table: bool = True) -> None:
    """The receiver's verdict: its table (unless ``table`` is false), then its one line."""
    from simulator.cli.present import print_verdict_table
    from simulator.servers.receiver import verdict_line, verdict_ok

    if table:
        print_verdict_table(tally, console, "sosim receive: verdict")
    word, _, rest = verdict_line(tally).partition(":")
    console.print(f"[{'green' if verdict_ok(tally) else 'red'}]{word}[/]:{rest}", soft_wrap=True)
