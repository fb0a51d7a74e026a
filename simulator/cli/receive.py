"""``sosim receive``: run a verifying webhook receiver."""

from __future__ import annotations

import sys
from typing import Any

import click

from simulator.cli.options import (
    ExamplesLast,
    resolve_secret,
    secret_options,
)


@click.command(cls=ExamplesLast)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0: any free)."
)
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
@click.option(
    "--latency", metavar="DURATION", default="0ms", show_default=True, help="Wait this long before answering."
)
@click.option("--record", type=click.Path(dir_okay=False), help="Capture what arrives to this JSONL file.")
@click.option("--max-requests", type=click.IntRange(min=1), help="Stop after this many requests.")
@click.option("--quiet", "-q", is_flag=True, help="No live tally.")
def receive(**options: Any) -> None:
    """Run a verifying webhook receiver; exit 1 when anything failed verification.

    \b
    Examples:
      sosim receive --port 8000 --secret-env SOSIM_SECRET
      sosim receive --port 8000 --fail-rate 0.1 --latency 50ms         # exercise the sender's retries
      sosim receive --port 8000 --record capture.jsonl --max-requests 100
    """
    from simulator.engine.receive import ReceiveConfig, receive_from_cli

    secret = resolve_secret(options.pop("secret"), options.pop("secret_env"), options.pop("secret_file"))
    sys.exit(receive_from_cli(ReceiveConfig.from_cli(secret=secret, **options)))
