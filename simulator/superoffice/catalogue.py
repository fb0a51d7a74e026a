"""The event catalogue that ``sosim events`` prints, built from ``simulator.superoffice.facts``."""

from __future__ import annotations

from typing import Any

from simulator.superoffice import facts as so

_DESCRIPTIONS = {
    so.EVENT_CREATED: "a new chat session starts",
    so.EVENT_MESSAGE: "a message is saved (customer, agent, bot or system); the payload names "
    "the changed fields, not the text: fetch it through the chat REST API",
    so.EVENT_CHANGED: "the session's status changed (and the rating, once given)",
    so.EVENT_TEST: "the registration ping, sent with X-Hook-Test: true; answer 200",
}
_FIELD_TYPES = {
    "AlertLevel": "int",
    "ChatbotIsactive": "bool",
    "Consented": "bool",
    "ContactId": "string (int with id_types: int)",
    "CustomerAlias": "string (int with customer_alias: int)",
    "CustomerId": "string (int with id_types: int)",
    "ProjectId": "int",
    "Rating": "int",
    "SaleId": "int",
    "Status": "int (ChatSessionStatus)",
    "TicketId": "int",
    "TopicId": "int",
    "UserId": "int",
}


_STATE_DESCRIPTIONS = {
    so.WebhookState.Active: "webhook {id} was set Active again (sosim tenant)",
    so.WebhookState.Stopped: "webhook {id} was set Stopped (sosim tenant)",
    so.WebhookState.TooManyErrors: "webhook {id} turned TooManyErrors after failed deliveries (sosim tenant)",
}
_STATE_FIELD_TYPES = {
    "events": "int (the webhook's calls so far)",
    "registered": "date with offset",
    "registered_associate_id": "int",
    "state": "int (0 Active, 1 Stopped, 2 TooManyErrors; 1-3 with --state-numbering enum)",
    "updated": "date with offset",
    "updated_associate_id": "int",
}


def _state_events() -> list[dict[str, Any]]:
    """The webhook state events of the state-events page: header ``webhook{id}.errors``, body
    ``Event`` ``webhook.errors``, no ``Entity`` key."""
    return [
        {
            "event": f"webhook{{id}}.{suffix}",
            "body_event": f"webhook.{suffix}",
            "entity": None,
            "description": _STATE_DESCRIPTIONS[state],
            "changes": [],
            "field_values": dict(_STATE_FIELD_TYPES),
        }
        for state, suffix in so.STATE_SUFFIXES.items()
    ]


def catalogue() -> dict[str, Any]:
    """Return the catalogue: events with their Changes and FieldValues, headers and enums."""
    return {
        "events": [
            *(
                {
                    "event": name,
                    "entity": so.ENTITY_CHATSESSION if name != so.EVENT_TEST else so.ENTITY_TEST,
                    "description": _DESCRIPTIONS[name],
                    "changes": list(so.MESSAGE_CHANGES) if name == so.EVENT_MESSAGE else [],
                    "field_values": {} if name == so.EVENT_TEST else dict(_FIELD_TYPES),
                }
                for name in (*so.CHAT_EVENTS, so.EVENT_TEST)
            ),
            *_state_events(),
        ],
        "payload_keys": list(so.PAYLOAD_KEYS),
        "headers": [
            so.HEADER_CONTENT_TYPE,
            so.HEADER_USER_AGENT,
            so.HEADER_EVENT,
            so.HEADER_EVENT_ID,
            so.HEADER_SIGNATURE,
            so.HEADER_RETRY,
            so.HEADER_HOOK_TEST,
        ],
        "enums": {
            "ChatSessionStatus": {m.name: int(m) for m in so.ChatSessionStatus},
            "ChatMessageType": {m.name: int(m) for m in so.ChatMessageType},
            "ChatMessageSpecialType": {m.api_name: int(m) for m in so.ChatMessageSpecialType},
            "WebhookState": {m.name: int(m) for m in so.WebhookState},
        },
    }


def format_catalogue(data: dict[str, Any]) -> str:
    """Format the catalogue as plain text for a terminal."""
    lines: list[str] = []
    for event in data["events"]:
        if event["entity"] is None:
            lines.append(f"{event['event']}  (no Entity; body Event: {event['body_event']})")
        else:
            lines.append(f"{event['event']}  (Entity: {event['entity']})")
        lines.append(f"  {event['description']}")
        if event["changes"]:
            lines.append("  Changes: " + ", ".join(event["changes"]))
        if event["field_values"]:
            lines.append("  FieldValues:")
            width = max(16, *map(len, event["field_values"]))
            lines += [f"    {key:<{width}} {kind}" for key, kind in event["field_values"].items()]
        lines.append("")
    lines.append("Payload keys, in order: " + ", ".join(data["payload_keys"]))
    lines.append("Headers: " + ", ".join(data["headers"]))
    for enum, members in data["enums"].items():
        lines.append(f"{enum}: " + ", ".join(f"{v} {k}" for k, v in members.items()))
    return "\n".join(lines)
