"""The requests a tenant sends besides chat events: state events, signalled events, the test ping.

Pure, like :mod:`simulator.core.events`: exact bodies and signed headers from a webhook definition.

* ``webhook{id}.started`` / ``.stopped`` / ``.errors`` (reference §2.1, state-events page): the
  header names the webhook (``X-SuperOffice-Event: webhook7.errors``) while the body's ``Event``
  is ``webhook.errors``; there is no ``Entity`` key; ``PrimaryKey`` is the id of the webhook whose
  state changed and ``FieldValues`` holds events, registered, registered_associate_id, state,
  updated and updated_associate_id.
* Events signalled with ``POST /api/v1/Webhook/{eventName}/{primaryKey}``: the chat envelope with
  ``Entity`` = the part of the name before the first dot and the posted data as ``FieldValues``.
"""

from __future__ import annotations

import http
import time
from collections.abc import Mapping
from typing import Any, Final, Literal

from simulator.core.events import (
    TICKS_PER_SECOND,
    JsonValue,
    Request,
    Webhook,
    add_properties,
    build_headers,
    format_timestamp,
    serialize,
)
from simulator.mockapi.shapes import UNSET_DATE
from simulator.superoffice import facts as so
from simulator.tenant.model import LAST_ERROR_LIMIT, WebhookDef
from simulator.tenant.registry import Usage

__all__ = [
    "STATE_SUFFIXES",
    "StateNumbering",
    "describe_answer",
    "render_signal",
    "render_state_event",
    "state_event_name",
]

#: The state event each state fires (Unknown fires none); defined in the SuperOffice facts.
STATE_SUFFIXES: Final = so.STATE_SUFFIXES
#: ``FieldValues.state`` numbering: the state-events page's note (0 Active, 1 Stopped,
#: 2 TooManyErrors) or the WebhookState enum (1, 2, 3). The docs contradict each other (§4 #13).
StateNumbering = Literal["note", "enum"]


def state_event_name(webhook_id: int, state: so.WebhookState) -> str | None:
    """``webhook{id}.started`` / ``.stopped`` / ``.errors``, or None for Unknown."""
    suffix = STATE_SUFFIXES.get(state)
    return f"webhook{webhook_id}.{suffix}" if suffix else None


def state_number(state: so.WebhookState, numbering: StateNumbering) -> int:
    """The ``FieldValues.state`` value of a state."""
    return int(state) - 1 if numbering == "note" and state != so.WebhookState.Unknown else int(state)


def render_state_event(
    receiver: Webhook,
    source: WebhookDef,
    usage: Usage,
    event_id: str,
    ticks: int,
    numbering: StateNumbering = "note",
) -> Request:
    """The state event of ``source`` as sent to ``receiver`` (its name, secret and headers)."""
    name = state_event_name(source.webhook_id, source.state)
    if name is None:
        raise ValueError("the Unknown state fires no state event")
    options = receiver.payload
    body: dict[str, JsonValue] = {
        "EventId": event_id,
        "Timestamp": format_timestamp(ticks, options.timestamp_digits),
        "Changes": [],
        "Event": f"webhook.{STATE_SUFFIXES[source.state]}",
        "PrimaryKey": source.webhook_id,
        "ContextIdentifier": receiver.context_identifier,
        "ChangedByAssociateId": 0,
        "WebhookName": receiver.name,
        "FieldValues": {
            "events": usage.total_calls,
            "registered": offset_date(source.registered_ticks),
            "registered_associate_id": 0,
            "state": state_number(source.state, numbering),
            "updated": offset_date(source.updated_ticks),
            "updated_associate_id": 0,
        },
    }
    return _request(receiver, name, event_id, source.webhook_id, body)


def render_signal(
    receiver: Webhook,
    event_name: str,
    primary_key: int,
    data: Mapping[str, Any] | None,
    event_id: str,
    ticks: int,
) -> Request:
    """An event signalled through the API, as sent to ``receiver``."""
    options = receiver.payload
    body: dict[str, JsonValue] = {
        "EventId": event_id,
        "Timestamp": format_timestamp(ticks, options.timestamp_digits),
        "Changes": [],
        "Event": event_name,
        "PrimaryKey": primary_key,
        "Entity": event_name.partition(".")[0],
        "ContextIdentifier": receiver.context_identifier,
        "ChangedByAssociateId": 0,
        "WebhookName": receiver.name,
    }
    if data:
        body["FieldValues"] = dict(data)
    return _request(receiver, event_name, event_id, primary_key, body)


def _request(receiver: Webhook, name: str, event_id: str, key: int, body: dict[str, JsonValue]) -> Request:
    data = serialize(add_properties(body, receiver.properties), receiver.payload.body_layout)
    return Request(name, event_id, key, build_headers(receiver, name, event_id, data), data)


def offset_date(ticks: int) -> str:
    """A FieldValues date as the state-events page prints it (7 fraction digits and an offset), in UTC."""
    if ticks <= 0:
        return UNSET_DATE
    seconds, fraction = divmod(ticks, TICKS_PER_SECOND)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:07d}+00:00"


def describe_answer(status: int, headers: tuple[tuple[str, str], ...], body: bytes) -> str:
    """A target's answer as LastError and the Test endpoint's Message show it: status line, headers,
    a blank line and the body, cut to 4,000 characters."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    lines = [f"HTTP/1.1 {status} {phrase}".rstrip(), *(f"{name}: {value}" for name, value in headers)]
    text = "\r\n".join(lines) + "\r\n\r\n" + body.decode("utf-8", errors="replace")
    return text[:LAST_ERROR_LIMIT]
