"""``sosim tenant``: be the SuperOffice tenant that apps register webhooks with."""

from __future__ import annotations

import sys
from typing import Any

import click

from simulator.cli.options import (
    ExamplesLast,
    concurrency_option,
    delivery_options,
    deterministic_ids_option,
    duration_option,
    listen_options,
    report_options_tenant,
    stop_on_sigterm,
    timeout_option,
)
from simulator.cli.types import RATE, ROTATION
from simulator.core.defaults import (
    API_PORT,
    DRAIN_TIMEOUT_S,
    PING_TIMEOUT_S,
    WAIT_FOR_WEBHOOKS,
    WAIT_TIMEOUT_S,
)


@click.command(cls=ExamplesLast)
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@listen_options(API_PORT, host_help="Address the API listens on.", port_help="API port (0: any free).")
@click.option(
    "--wait-for-webhooks",
    type=click.IntRange(min=0),
    default=WAIT_FOR_WEBHOOKS,
    show_default=True,
    help="Play once this many webhooks are registered through the API.",
)
@duration_option("--wait-timeout", WAIT_TIMEOUT_S, "Give up waiting after this.")
@click.option("--seed", type=int, help="Override the scenarios' seed.")
@click.option("--sessions", type=click.IntRange(min=1), help="Override how many sessions to play.")
@duration_option("--duration", None, "Play sessions arriving within this time, e.g. 10m.")
@click.option("--speed", type=float, metavar="X", help="Play the timeline X times faster.")
@click.option("--rate", type=RATE, metavar="N/s", help="Raise events at a fixed rate, e.g. 50/s.")
@click.option(
    "--scenario-time", is_flag=True, help="Keep the scenarios' own start time in Timestamps instead of now."
)
@concurrency_option("Requests in flight at once, per webhook.")
@timeout_option
@duration_option("--ping-timeout", PING_TIMEOUT_S, "Timeout of the test event.")
@duration_option(
    "--drain-timeout",
    DRAIN_TIMEOUT_S,
    "After the last event, how long webhooks may take to send what they still have "
    "(state events such as webhook{id}.errors included).",
)
@click.option("--insecure", is_flag=True, help="Accept any TLS certificate (NetServer does not).")
@click.option(
    "--allow-http",
    type=click.Choice(["localhost", "always", "never"]),
    default="localhost",
    show_default=True,
    help="Accept http:// TargetUrls: on this machine only, anywhere, or never (NetServer: never).",
)
@click.option(
    "--ping-on",
    type=click.Choice(["active", "always", "create", "never"]),
    default="active",
    show_default=True,
    help="Which saves send the test event: those that leave the webhook Active, every save, "
    "only POST, or none.",
)
@click.option(
    "--while-inactive",
    type=click.Choice(["drop", "hold"]),
    default="drop",
    show_default=True,
    help="Events raised while a webhook is Stopped or TooManyErrors: never sent to it, or sent on resume.",
)
@click.option(
    "--rotation",
    type=click.Choice(["keep", "resign"]),
    default="keep",
    show_default=True,
    help="After a secret change, a request in a retry cycle keeps its signature, or is signed again.",
)
@click.option(
    "--rotate-secret",
    type=ROTATION,
    multiple=True,
    metavar="AT=ENVVAR[@WEBHOOK]",
    help="Change the secret AT into the run to the value of ENVVAR (repeatable), e.g. 30s=NEW_SECRET; "
    "@ID or @NAME limits it to one webhook.",
)
@click.option(
    "--state-numbering",
    type=click.Choice(["note", "enum"]),
    default="note",
    show_default=True,
    help="FieldValues.state of webhook state events: 0-2 as the state-events page notes, or 1-3.",
)
@click.option(
    "--test-associate-id",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="ChangedByAssociateId of the registration ping (the test event): the associate who saves "
    "the webhook; the docs' examples show 316.",
)
@click.option(
    "--properties-in-body/--no-properties-in-body",
    default=True,
    show_default=True,
    help="Add each webhook's Properties to its bodies as top-level keys, after the documented keys "
    "(which win a clash). Where they land is undocumented.",
)
@click.option(
    "--app-scoping/--no-app-scoping",
    default=True,
    show_default=True,
    help="Each app (its SO-AppToken, else its credential) sees only the webhooks it created; "
    "another app's webhook answers 404.",
)
@click.option(
    "--restricted-token",
    "restricted_tokens",
    multiple=True,
    metavar="TOKEN",
    help="A credential or SO-AppToken without the Online Restricted Webhook agent: 403 on the Webhook "
    "endpoints (repeatable).",
)
@click.option(
    "--token",
    "tokens",
    multiple=True,
    metavar="TOKEN",
    help="Accept only this Bearer/SOTicket/Basic credential (repeatable; Basic also as user:password); "
    "default: any non-empty one.",
)
@deterministic_ids_option
@report_options_tenant
@delivery_options
def tenant(scenarios: tuple[str, ...], **options: Any) -> None:
    """Be the SuperOffice tenant: apps register webhooks through the API, sosim fans the scenarios out.

    \b
    Examples:
      sosim tenant scenarios/support-chat.yaml --sessions 5 --port 8765
      sosim tenant scenarios/support-chat.yaml --wait-for-webhooks 2 --speed 60 --junit out/junit.xml
      sosim tenant scenarios/support-chat.yaml --rotate-secret 30s=NEW_SECRET --report out/tenant.json
    """
    from simulator.cli.config import tenant_config
    from simulator.cli.tenant_present import present_tenant

    config = tenant_config(scenarios, **options)
    with stop_on_sigterm():
        code = present_tenant(config)
    sys.exit(code)
