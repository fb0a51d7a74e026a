"""``sosim validate``: check scenario files and print each error as file:line: field: problem."""

from __future__ import annotations

import gc
import sys

import click

from simulator.cli.options import (
    EXIT_USAGE,
    ExamplesLast,
    gc_paused,
)
from simulator.core.errors import ScenarioError, SimulatorError


@click.command(cls=ExamplesLast)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check scenario files; print file:line: field: problem for each error (exit 2)."""
    with gc_paused():
        from simulator.core.scenario import load_scenario

    bad = 0
    for file in files:
        try:
            scenario = load_scenario(file)
        except ScenarioError as exc:
            for error in exc.every:  # every error in the file, not only the first
                click.echo(str(error), err=True)
            bad += 1
            continue
        except SimulatorError as exc:
            click.echo(str(exc), err=True)
            bad += 1
            continue
        bound = scenario.arrivals.sessions or "unbounded"
        limit = f"{bound} sessions" if scenario.arrivals.sessions else ""
        if scenario.arrivals.duration:
            limit = (limit + ", " if limit else "") + f"{scenario.arrivals.duration:g}s"
        click.echo(f"ok: {file} ({scenario.name}: {limit}, {scenario.arrivals.process})")
    # The process exits next: keep the interpreter's final garbage collection from walking
    # everything the imports and the scenarios allocated.
    gc.freeze()
    if bad:
        sys.exit(EXIT_USAGE)
