"""``sosim api``: serve the mock SuperOffice chat REST API."""

from __future__ import annotations

import sys

import click

from simulator.cli.options import (
    ExamplesLast,
    listen_options,
    stop_on_sigterm,
)
from simulator.core.defaults import API_PORT


@click.command(cls=ExamplesLast)
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@listen_options(API_PORT)
@click.option("--seed", type=int, help="Override the scenarios' seed (use the one you generated with).")
@click.option("--sessions", type=click.IntRange(min=1), help="Override how many sessions to generate.")
@click.option(
    "--token",
    "tokens",
    multiple=True,
    metavar="TOKEN",
    help="Accept only this Bearer/SOTicket/Basic credential (repeatable; Basic also as user:password); "
    "default: any non-empty one.",
)
def api(
    scenarios: tuple[str, ...],
    host: str,
    port: int,
    seed: int | None,
    sessions: int | None,
    tokens: tuple[str, ...],
) -> None:
    """Serve the mock SuperOffice chat REST API with the scenarios' generated sessions (final state).

    \b
    Examples:
      sosim api scenarios/support-chat.yaml --sessions 5                 # on 127.0.0.1:8765
      sosim api scenarios/support-chat.yaml --port 0 --token s3cret      # any free port, one token
      curl -H 'Authorization: Bearer x' http://127.0.0.1:8765/<ContextIdentifier>/api/v1/ChatSession
    """
    from simulator.mockapi.server import serve_scenarios

    with stop_on_sigterm():
        code = serve_scenarios(
            scenarios,
            host=host,
            port=port,
            seed=seed,
            sessions=sessions,
            tokens=tokens,
            echo=lambda line: click.echo(line, err=True),
        )
    sys.exit(code)
