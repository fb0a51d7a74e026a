"""``sosim locustfile``: print the path of the locustfile shipped with sosim."""

from __future__ import annotations

import click

from simulator.cli.options import (
    ExamplesLast,
)


@click.command(cls=ExamplesLast)
@click.option("--options", "show_options", is_flag=True, help="List sosim's options for Locust instead.")
def locustfile(show_options: bool) -> None:
    """Print the path of the locustfile shipped with sosim, for Locust's own CLI.

    \b
      pip install 'sosim[locust]'
      locust -f "$(sosim locustfile)" --scenario scenarios/busy-hour.yaml \\
          --secret-env HOOK_SECRET --host http://receiver:8000/hook
    """
    import importlib.util

    from simulator.locust import locustfile_path

    if show_options:
        from simulator.locust.options import describe_options

        click.echo(describe_options())
        return
    click.echo(str(locustfile_path()))
    if importlib.util.find_spec("locust") is None:
        click.echo("sosim: note: Locust is not installed: pip install 'sosim[locust]'", err=True)
