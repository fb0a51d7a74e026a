"""``sosim replay``: replay a recording, capture or fixture output."""

from __future__ import annotations

import sys
from typing import Any

import click

from simulator.cli.options import (
    ExamplesLast,
    delivery_options,
    no_preflight_option,
    processes_option,
    report_options,
    resolve_secret,
    secret_options,
    timing_options,
)


@click.command(cls=ExamplesLast)
@click.argument("source", type=click.Path())
@click.option("--target", metavar="URL", help="Where to send (default: the built-in verifying receiver).")
@timing_options
@secret_options("replay")
@click.option("--resign", is_flag=True, help="Sign every request again with the given secret.")
@click.option(
    "--new-event-ids",
    is_flag=True,
    help="Give each request a fresh EventId (body and header agree; re-signed).",
)
@click.option("--shift-timestamps", is_flag=True, help="Move Timestamps to now, keeping their spacing.")
@click.option(
    "--only", "only_events", multiple=True, metavar="EVENT", help="Replay only this event type (repeatable)."
)
@click.option("--only-failed", is_flag=True, help="Replay only requests that were never delivered.")
@click.option("--sessions", "session_ids", metavar="ID,...", help="Replay only these sessions (PrimaryKey).")
@click.option("--with-retries", is_flag=True, help="Replay every recorded attempt, not only the first.")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=64,
    show_default=True,
    help="Requests in flight at once.",
)
@click.option("--timeout", metavar="DURATION", default="10s", show_default=True, help="Per-request timeout.")
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
@no_preflight_option
@processes_option
@report_options
@delivery_options
def replay(source: str, **options: Any) -> None:
    """Replay a recording, capture or fixture output: same bytes, same relative timing.

    \b
    Examples:
      sosim replay out/run.jsonl --target http://127.0.0.1:8000/webhook --speed 10
      sosim replay fixtures.jsonl --target URL --max-rate --secret-env SOSIM_SECRET
      sosim replay out/run.jsonl --target URL --only-failed

    Exit codes are those of sosim run (0, 1, 2, 130, 143).
    """
    from simulator.engine.replay import replay_from_cli

    secret = resolve_secret(options.pop("secret"), options.pop("secret_env"), options.pop("secret_file"))
    sys.exit(replay_from_cli(source, secret=secret, **options))
