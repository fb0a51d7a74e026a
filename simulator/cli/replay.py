"""``sosim replay``: replay a recording, capture or fixture output."""

from __future__ import annotations

import sys
from typing import Any

import click

from simulator.cli.options import (
    ExamplesLast,
    concurrency_option,
    delivery_options,
    fault_options,
    no_preflight_option,
    processes_option,
    report_options,
    resolve_secret,
    secret_options,
    timeout_option,
    timing_options,
)
from simulator.cli.types import EVENT, SESSION_IDS


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
    "--only",
    "only_events",
    multiple=True,
    type=EVENT,
    metavar="EVENT",
    help="Replay only this event type: created, message, changed or test (repeatable).",
)
@click.option("--only-failed", is_flag=True, help="Replay only requests that were never delivered.")
@click.option(
    "--sessions",
    "session_ids",
    type=SESSION_IDS,
    metavar="ID,...",
    help="Replay only these sessions (PrimaryKey).",
)
@click.option("--with-retries", is_flag=True, help="Replay every recorded attempt, not only the first.")
@concurrency_option("Requests in flight at once.")
@timeout_option
@fault_options
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
    from dataclasses import replace  # here, not at the top: sosim --help lists this command

    from simulator.cli.config import replay_options, run_config
    from simulator.cli.present import present

    secret = resolve_secret(options.pop("secret"), options.pop("secret_env"), options.pop("secret_file"))
    chosen = replay_options(options, secret=secret)
    # Nothing failed is nothing to redo, not a failure; a filter that matches nothing is one.
    nothing_to_redo_ok = chosen.only_failed and not (chosen.only_events or chosen.sessions)
    config = replace(run_config((source,), secret=secret, **options), empty_ok=nothing_to_redo_ok)
    if config.processes > 1:
        from simulator.engine.processes import play_sharded

        sys.exit(present(config, lambda console: play_sharded(config, chosen, console=console)))
    from simulator.engine.replay import replay as replay_source

    sys.exit(present(config, lambda console: replay_source(config, chosen, console=console)))
