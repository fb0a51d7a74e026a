"""``sosim events``: list the chat event catalogue."""

from __future__ import annotations

import click

from simulator.cli.options import (
    ExamplesLast,
)


@click.command(cls=ExamplesLast)
@click.option("--json", "as_json", is_flag=True, help="Print the catalogue as JSON.")
def events(as_json: bool) -> None:
    """List the chat event catalogue with its fields and enums."""
    from simulator.superoffice.catalogue import catalogue, format_catalogue

    data = catalogue()
    if as_json:
        import json

        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(format_catalogue(data))
