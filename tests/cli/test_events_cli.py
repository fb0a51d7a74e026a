"""`sosim events`: the catalogue lists every event sosim sends, the tenant's state events included."""

from __future__ import annotations

import json

from click.testing import CliRunner

from simulator.cli import main
from simulator.core.events import Webhook
from simulator.superoffice import facts as so
from simulator.tenant.events import render_state_event
from simulator.tenant.model import WebhookDef
from simulator.tenant.registry import Usage

TICKS = 17_676_000_000_000_000  # 2026-01-05T08:00:00Z


def test_events_lists_the_webhook_state_events_that_sosim_tenant_sends() -> None:
    """The text catalogue names webhook{id}.started / .stopped / .errors and their body Event."""
    done = CliRunner().invoke(main, ["events"])

    assert done.exit_code == 0, done.output
    for suffix in ("started", "stopped", "errors"):
        assert f"webhook{{id}}.{suffix}  (no Entity; body Event: webhook.{suffix})" in done.output
    assert "chatsession.created  (Entity: chatsession)" in done.output


def test_events_json_gives_each_state_event_the_field_values_the_tenant_sends() -> None:
    """The JSON catalogue's state events carry exactly the FieldValues keys of a rendered state event."""
    done = CliRunner().invoke(main, ["events", "--json"])
    listed = {event["event"]: event for event in json.loads(done.output)["events"]}

    for state, suffix in so.STATE_SUFFIXES.items():
        source = WebhookDef(3, "hook", target_url="https://x.test", state=state, registered_ticks=TICKS)
        sent = json.loads(render_state_event(Webhook(name="w"), source, Usage(), "e-1", TICKS).body)
        entry = listed[f"webhook{{id}}.{suffix}"]
        assert (entry["body_event"], entry["entity"]) == (sent["Event"], None)
        assert list(entry["field_values"]) == list(sent["FieldValues"])
