"""Events, webhooks and ``render``: the exact bytes and headers NetServer would send.

``render`` is the one payload builder in sosim. It has a fast path (hand-joined compact
JSON, since key order and value types are fixed) and a general path through ``json.dumps``
for indented bodies and field overrides; a test keeps the two byte-identical.

This module is the one import path for both halves: the data in :mod:`simulator.core.event_types`
(session fields, messages, events, webhooks, requests) and the bytes in :mod:`simulator.core.render`.
"""

from __future__ import annotations

from simulator.core.event_types import (
    TICKS_PER_SECOND,
    AliasStyle,
    BodyLayout,
    BoolStyle,
    ChangedChanges,
    ChatMessage,
    CustomerProfile,
    Event,
    HeaderSpelling,
    IdStyle,
    JsonValue,
    KeyStyle,
    PayloadOptions,
    Request,
    SessionFields,
    TimestampDigits,
    Webhook,
)
from simulator.core.render import (
    DOCUMENTED_KEYS,
    add_properties,
    body_bytes,
    build_headers,
    field_values,
    format_timestamp,
    header_name,
    injected_properties,
    payload,
    render,
    render_test,
    serialize,
    test_event,
)

__all__ = [
    "DOCUMENTED_KEYS",
    "TICKS_PER_SECOND",
    "AliasStyle",
    "BodyLayout",
    "BoolStyle",
    "ChangedChanges",
    "ChatMessage",
    "CustomerProfile",
    "Event",
    "HeaderSpelling",
    "IdStyle",
    "JsonValue",
    "KeyStyle",
    "PayloadOptions",
    "Request",
    "SessionFields",
    "TimestampDigits",
    "Webhook",
    "add_properties",
    "body_bytes",
    "build_headers",
    "field_values",
    "format_timestamp",
    "header_name",
    "injected_properties",
    "payload",
    "render",
    "render_test",
    "serialize",
    "test_event",
]
