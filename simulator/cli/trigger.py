"""``sosim trigger``: send one signed chatsession event and show the request and the answer."""

from __future__ import annotations

import sys

import click

from simulator.cli.options import (
    ExamplesLast,
    duration_option,
    resolve_secret,
    secret_options,
)
from simulator.cli.types import POSITIVE_DURATION
from simulator.core.defaults import TIMEOUT_S


@click.command(cls=ExamplesLast)
@click.argument("event", metavar="EVENT")
@click.option(
    "--target",
    metavar="URL",
    required=True,
    help="Where to send: http(s)://host:port/path, or asgi://module:app in process.",
)
@secret_options("trigger")
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="Fix a payload field, as a scenario's payload.overrides does (repeatable): a top-level key "
    "or FieldValues.<Key>; VALUE is JSON when it parses (5, true), else text (Status names work).",
)
@click.option(
    "--scenario",
    type=click.Path(dir_okay=False),
    help="Generate the event from this scenario (its tenant, webhook and payload options); "
    "default: a one-session built-in scenario.",
)
@click.option("--seed", type=int, help="Override the scenario's seed.")
@duration_option("--timeout", TIMEOUT_S, "Request timeout.", type=POSITIVE_DURATION)
def trigger(
    event: str,
    target: str,
    secret: str | None,
    secret_env: str | None,
    secret_file: str | None,
    sets: tuple[str, ...],
    scenario: str | None,
    seed: int | None,
    timeout: float,
) -> None:
    """Send ONE signed chatsession event (created, message or changed); print request and answer.

    Exit 0 on a 2xx answer, 1 on any other answer or none, 2 on bad input.

    Each event belongs to a new session (a random PrimaryKey), so a verifying receiver such as
    sosim receive flags a lone message as created-not-first: give a session's events one
    PrimaryKey with --set, created first.

    \b
    Examples:
      sosim trigger created --target http://localhost:8000/webhook --secret s3cret --set PrimaryKey=42
      sosim trigger message --target http://localhost:8000/webhook --secret s3cret --set PrimaryKey=42
      sosim trigger created --target http://localhost:8000/webhook --scenario scenarios/support-chat.yaml
    """
    from simulator.cli.trigger_request import build_trigger_request, format_exchange, format_request, send_one
    from simulator.core.scenario import load_scenario, parse_scenario
    from simulator.delivery.transport import TransportError
    from simulator.engine.default_secret import warn_default_secret
    from simulator.testing.helpers import DEFAULT_SCENARIO

    loaded = load_scenario(scenario) if scenario else parse_scenario(DEFAULT_SCENARIO, source="<built-in>")
    chosen = resolve_secret(secret, secret_env, secret_file)
    if chosen is None:
        warn_default_secret([loaded])
    request = build_trigger_request(loaded, event, secret=chosen, sets=sets, seed=seed)
    try:
        response = send_one(target, request, timeout=timeout)
    except TransportError as exc:
        click.echo(f"--- request\n{format_request(target, request)}")
        click.echo(f"--- no response: {exc}", err=True)
        sys.exit(1)
    click.echo(format_exchange(target, request, response))
    sys.exit(0 if 200 <= response.status < 300 else 1)
