"""``sosim generate``: write every request exactly as it would be sent, as fixture files."""

from __future__ import annotations

from typing import Any

import click

from simulator.cli.options import (
    ExamplesLast,
    fail,
    resolve_secret,
    secret_options,
)


@click.command(cls=ExamplesLast)
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(),
    help="Output file (jsonl; - for stdout) or directory (dir, http); missing directories are created.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "dir", "http"]),
    default="jsonl",
    show_default=True,
    help="jsonl: one request per line; dir: body + headers files; http: raw HTTP request files.",
)
@click.option("--seed", type=int, help="Override the scenarios' seed.")
@click.option("--sessions", type=click.IntRange(min=1), help="Override how many sessions to generate.")
@click.option(
    "--now",
    "use_now",
    is_flag=True,
    help="Use wall-clock Timestamps (from now) instead of the scenario's fixed start.",
)
@click.option("--http-path", default="/webhook", show_default=True, help="Request path in http files.")
@secret_options("generate")
def generate(
    scenarios: tuple[str, ...],
    out: str,
    fmt: str,
    seed: int | None,
    sessions: int | None,
    use_now: bool,
    http_path: str,
    secret: str | None,
    secret_env: str | None,
    secret_file: str | None,
) -> None:
    """Write every request exactly as it would be sent, as fixture files.

    \b
    Examples:
      sosim generate scenarios/support-chat.yaml --sessions 3 --out fixtures.jsonl
      sosim generate scenarios/support-chat.yaml --sessions 3 --out http/ --format http
      sosim generate scenarios/support-chat.yaml --seed 7 --now --out -   # to stdout, Timestamps from now
    """
    from datetime import UTC, datetime
    from operator import attrgetter

    from simulator.core.plan import PlanOptions, plan
    from simulator.core.scenario import load_scenarios
    from simulator.engine.default_secret import warn_default_secret
    from simulator.recording.fixtures import write_fixtures
    from simulator.report.paths import check_output

    loaded = load_scenarios(scenarios)
    if any(s.arrivals.sessions is None for s in loaded) and sessions is None:
        _check_bounded(loaded)
    check_output(out, "out", stdout_ok=fmt == "jsonl", directory=fmt != "jsonl")
    chosen_secret = resolve_secret(secret, secret_env, secret_file)
    if chosen_secret is None:
        warn_default_secret(loaded)
    options = PlanOptions(
        seed=seed,
        sessions=sessions,
        secret=chosen_secret,
        start=datetime.now(UTC) if use_now else None,
    )
    header = {
        "scenarios": list(scenarios),
        "seed": seed if seed is not None else loaded[0].seed,
        "now": use_now,
    }
    # (due_s, scenario, request) of each Planned, picked in C: this runs once an event.
    items = map(attrgetter("due_s", "scenario", "request"), plan(loaded, options))
    count = write_fixtures(items, out, fmt, header, http_path=http_path)  # type: ignore[arg-type]
    click.echo(f"wrote {count} requests to {'stdout' if out == '-' else out} ({fmt})", err=True)


def _check_bounded(scenarios: list[Any]) -> None:
    for scenario in scenarios:
        if scenario.arrivals.duration is None and scenario.arrivals.sessions is None:
            fail(f"{scenario.source}: arrivals has neither sessions nor duration")
