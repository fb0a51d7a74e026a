"""Events, webhooks and ``render``: the exact bytes and headers NetServer would send.

``render`` is the one payload builder in sosim. It has a fast path (hand-joined compact
JSON, since key order and value types are fixed) and a general path through ``json.dumps``
for indented bodies and field overrides; a test keeps the two byte-identical.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from simulator import superoffice as so
from simulator.signing import sign

JsonValue = Any
KeyStyle = Literal["pascal", "camel"]
IdStyle = Literal["mixed", "int"]
AliasStyle = Literal["string", "int"]
BoolStyle = Literal["bool", "int"]
ChangedChanges = Literal["empty", "fields"]
TimestampDigits = Literal["7", "trim"]
HeaderSpelling = Literal["canonical", "reference"]
BodyLayout = Literal["compact", "indented"]

_encode_str = json.encoder.encode_basestring  # C-accelerated; no ASCII escaping, like Newtonsoft
TICKS_PER_SECOND = 10_000_000


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """Who the visitor is: Faker data kept with the session for the mock REST API."""

    name: str
    email: str
    phone: str
    company: str
    alias: str
    locale: str


class SessionFields(NamedTuple):
    """The chat session's state as ``FieldValues`` reports it.

    A NamedTuple rather than a dataclass: it is copied on every status change and hashed for
    the FieldValues cache, and tuples do both several times faster.
    """

    alert_level: int = 0
    chatbot_is_active: bool = False
    consented: bool = False
    contact_id: int = 0
    customer_alias: str = ""
    customer_id: int = 0
    project_id: int = 0
    rating: int = 0
    sale_id: int = 0
    status: so.ChatSessionStatus = so.ChatSessionStatus.InQueue
    ticket_id: int = 0
    topic_id: int = 0
    user_id: int = 0

    def changed_keys(self, other: SessionFields) -> tuple[str, ...]:
        """The PascalCase FieldValues keys whose value differs between ``self`` and ``other``."""
        return tuple(key for key, a, b in zip(so.FIELD_VALUE_KEYS, self, other, strict=True) if a != b)


class ChatMessage(NamedTuple):
    """One saved chat message; the webhook names it, the mock REST API serves it."""

    message_id: int
    session_id: int
    type: so.ChatMessageType
    text: str
    author: str
    special_type: so.ChatMessageSpecialType = so.ChatMessageSpecialType.None_
    special_param: str = ""
    ticks: int = 0


class Event(NamedTuple):
    """One webhook event of one chat session, before it is bound to a webhook.

    Events, messages and requests are NamedTuples: immutable like frozen dataclasses, but built
    several times faster, which matters at 100,000 events a second.
    """

    name: str
    session_id: int
    ticks: int  # 100 ns ticks since the Unix epoch, UTC: the .NET resolution of Timestamp
    event_id: str
    changed_by: int
    fields: SessionFields
    changes: tuple[str, ...] = ()
    message: ChatMessage | None = None
    profile: CustomerProfile | None = None


@dataclass(frozen=True, slots=True)
class PayloadOptions:
    """The open points of reference §6, each with the default documented in the README."""

    field_value_keys: KeyStyle = "pascal"
    id_types: IdStyle = "mixed"
    customer_alias: AliasStyle = "string"
    booleans: BoolStyle = "bool"
    field_values_on: frozenset[str] = frozenset(so.CHAT_EVENTS)
    changed_changes: ChangedChanges = "empty"
    timestamp_digits: TimestampDigits = "7"
    header_spelling: HeaderSpelling = "canonical"
    body_layout: BodyLayout = "compact"
    # (event name or "*", top-level key or "FieldValues.Key", JSON value)
    overrides: tuple[tuple[str, str, JsonValue], ...] = ()


@dataclass(frozen=True, slots=True)
class Webhook:
    """The receiving end as NetServer knows it: name, tenant, secret and options."""

    name: str = "sosim"
    context_identifier: str = so.DEFAULT_CONTEXT_IDENTIFIER
    secret: str | None = None
    netserver_version: str = so.DEFAULT_NETSERVER_VERSION
    events: frozenset[str] = frozenset(so.CHAT_EVENTS)
    headers: tuple[tuple[str, str], ...] = ()
    payload: PayloadOptions = field(default_factory=PayloadOptions)

    def with_secret(self, secret: str | None) -> Webhook:
        """Return a copy signed with another secret."""
        return replace(self, secret=secret)


class Request(NamedTuple):
    """A rendered webhook request: exact headers and body, ready for any sink."""

    event: str
    event_id: str
    session_id: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        """Return a header's value, matching the name case-insensitively."""
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None


# --- formatting helpers -------------------------------------------------------------


@lru_cache(maxsize=4096)
def _second_text(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def format_timestamp(ticks: int, digits: TimestampDigits = "7") -> str:
    """Format 100 ns ticks as NetServer's UTC ``Timestamp`` (``2018-04-24T08:18:42.0898950Z``)."""
    seconds, fraction = divmod(ticks, TICKS_PER_SECOND)
    text = f"{_second_text(seconds)}.{fraction:07d}"
    if digits == "trim":
        text = text.rstrip("0").rstrip(".")
    return text + "Z"


def field_values(fields: SessionFields, options: PayloadOptions) -> dict[str, JsonValue]:
    """Build the ``FieldValues`` object in the seed example's key order and value types."""
    as_id: Any = str if options.id_types == "mixed" else int
    as_bool: Any = bool if options.booleans == "bool" else int
    alias: JsonValue = fields.customer_alias
    if options.customer_alias == "int":
        alias = int(alias) if alias.isdigit() else 0
    values = (
        fields.alert_level,
        as_bool(fields.chatbot_is_active),
        as_bool(fields.consented),
        as_id(fields.contact_id),
        alias,
        as_id(fields.customer_id),
        fields.project_id,
        fields.rating,
        fields.sale_id,
        int(fields.status),
        fields.ticket_id,
        fields.topic_id,
        fields.user_id,
    )
    keys: tuple[str, ...] = so.FIELD_VALUE_KEYS
    if options.field_value_keys == "camel":
        keys = tuple(so.camel_case(k) for k in keys)
    return dict(zip(keys, values, strict=True))


def payload(event: Event, webhook: Webhook, event_id: str | None = None) -> dict[str, JsonValue]:
    """Build the payload as an ordered dict (the general path of ``render``)."""
    options = webhook.payload
    body: dict[str, JsonValue] = {
        "EventId": event_id or event.event_id,
        "Timestamp": format_timestamp(event.ticks, options.timestamp_digits),
        "Changes": list(_changes(event, options)),
        "Event": event.name,
        "PrimaryKey": event.session_id,
        "Entity": _entity(event.name),
        "ContextIdentifier": webhook.context_identifier,
        "ChangedByAssociateId": event.changed_by,
        "WebhookName": webhook.name,
    }
    if event.name in options.field_values_on:
        body["FieldValues"] = field_values(event.fields, options)
    for target, key, value in options.overrides:
        if target in ("*", event.name):
            _apply_override(body, key, value)
    return body


def _entity(event_name: str) -> str:
    return so.ENTITY_TEST if event_name == so.EVENT_TEST else event_name.partition(".")[0]


def _changes(event: Event, options: PayloadOptions) -> tuple[str, ...]:
    if event.name == so.EVENT_CHANGED and options.changed_changes == "empty":
        return ()
    if event.name == so.EVENT_CHANGED and options.field_value_keys == "camel":
        return tuple(so.camel_case(k) for k in event.changes)
    return event.changes


def _apply_override(body: dict[str, JsonValue], key: str, value: JsonValue) -> None:
    head, _, tail = key.partition(".")
    if not tail:
        body[head] = value
        return
    nested = body.setdefault(head, {})
    if isinstance(nested, dict):
        nested[tail] = value


# --- rendering ----------------------------------------------------------------------


def serialize(body: Mapping[str, JsonValue], layout: BodyLayout = "compact") -> bytes:
    """Serialise a payload exactly as sosim sends it (UTF-8, no ASCII escaping)."""
    if layout == "indented":
        return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def body_bytes(event: Event, webhook: Webhook, event_id: str | None = None) -> bytes:
    """Return the exact body bytes of ``event`` for ``webhook``."""
    options = webhook.payload
    if options.body_layout == "compact" and not options.overrides:
        return _fast_compact_body(event, webhook, event_id or event.event_id)
    return serialize(payload(event, webhook, event_id), options.body_layout)


def _fast_compact_body(event: Event, webhook: Webhook, event_id: str) -> bytes:
    options = webhook.payload
    head, tail = _static_parts(webhook.context_identifier, webhook.name)
    name = event.name
    field_values = (
        ',"FieldValues":' + _field_values_json(event.fields, options)
        if name in options.field_values_on
        else ""
    )
    return (
        f'{{"EventId":"{event_id}","Timestamp":"{format_timestamp(event.ticks, options.timestamp_digits)}",'
        f'"Changes":{_changes_json(_changes(event, options))},"Event":{_encode_str(name)},'
        f'"PrimaryKey":{event.session_id},"Entity":{_encode_str(_entity(name))}'
        f"{head}{event.changed_by}{tail}{field_values}}}"
    ).encode()


@lru_cache(maxsize=256)
def _changes_json(changes: tuple[str, ...]) -> str:
    return "[" + ",".join(_encode_str(c) for c in changes) + "]"


@lru_cache(maxsize=64)
def _static_parts(context_identifier: str, webhook_name: str) -> tuple[str, str]:
    head = ',"ContextIdentifier":' + _encode_str(context_identifier) + ',"ChangedByAssociateId":'
    tail = ',"WebhookName":' + _encode_str(webhook_name)
    return head, tail


def _field_values_json(fields: SessionFields, options: PayloadOptions) -> str:
    if (
        options.field_value_keys == "pascal"
        and options.id_types == "mixed"
        and options.booleans == "bool"
        and (options.customer_alias == "string")
    ):
        return _default_field_values_json(fields)
    return json.dumps(field_values(fields, options), ensure_ascii=False, separators=(",", ":"))


@lru_cache(maxsize=4096)
def _default_field_values_json(f: SessionFields) -> str:
    """FieldValues in the default style; cached because a session's state repeats across events."""
    return (
        f'{{"AlertLevel":{f.alert_level},"ChatbotIsactive":{"true" if f.chatbot_is_active else "false"},'
        f'"Consented":{"true" if f.consented else "false"},"ContactId":"{f.contact_id}",'
        f'"CustomerAlias":{_encode_str(f.customer_alias)},"CustomerId":"{f.customer_id}",'
        f'"ProjectId":{f.project_id},"Rating":{f.rating},"SaleId":{f.sale_id},"Status":{int(f.status)},'
        f'"TicketId":{f.ticket_id},"TopicId":{f.topic_id},"UserId":{f.user_id}}}'
    )


def header_name(canonical: str, spelling: HeaderSpelling) -> str:
    """Return a header name in the chosen spelling."""
    if spelling == "reference":
        return so.REFERENCE_PAGE_SPELLING.get(canonical, canonical)
    return canonical


def build_headers(
    webhook: Webhook,
    event_name: str,
    event_id: str,
    body: bytes,
    *,
    extra: tuple[tuple[str, str], ...] = (),
) -> tuple[tuple[str, str], ...]:
    """Return the request headers in NetServer's order, signed when the webhook has a secret."""
    spelling = webhook.payload.header_spelling
    head = _header_prefix(webhook.netserver_version, spelling, event_name)
    headers = (*head, (_id_header(spelling), event_id), *extra)
    if webhook.secret:
        headers = (*headers, (_signature_header(spelling), sign(body, webhook.secret)))
    return (*headers, *webhook.headers) if webhook.headers else headers


@lru_cache(maxsize=256)
def _header_prefix(version: str, spelling: HeaderSpelling, event_name: str) -> tuple[tuple[str, str], ...]:
    return (
        (so.HEADER_CONTENT_TYPE, so.CONTENT_TYPE_JSON),
        (so.HEADER_USER_AGENT, f"{so.USER_AGENT_PRODUCT}/{version}"),
        (header_name(so.HEADER_EVENT, spelling), event_name),
    )


@lru_cache(maxsize=4)
def _id_header(spelling: HeaderSpelling) -> str:
    return header_name(so.HEADER_EVENT_ID, spelling)


@lru_cache(maxsize=4)
def _signature_header(spelling: HeaderSpelling) -> str:
    return header_name(so.HEADER_SIGNATURE, spelling)


def render(event: Event, webhook: Webhook, *, event_id: str | None = None) -> Request:
    """Render ``event`` for ``webhook``: exact body, headers and signature.

    ``event_id`` replaces the generated EventId (a new delivery cycle, or ``--new-event-ids``).
    """
    eid = event_id or event.event_id
    body = body_bytes(event, webhook, eid)
    headers = build_headers(webhook, event.name, eid, body)
    return Request(event.name, eid, event.session_id, headers, body)


def test_event(webhook: Webhook, event_id: str, ticks: int, changed_by: int = 0) -> Event:
    """Build the registration ``test`` event (PrimaryKey 0, no FieldValues)."""
    return Event(so.EVENT_TEST, 0, ticks, event_id, changed_by, SessionFields())


def render_test(webhook: Webhook, event_id: str, ticks: int, changed_by: int = 0) -> Request:
    """Render the registration ping: the ``test`` event with ``X-Hook-Test: true``."""
    event = test_event(webhook, event_id, ticks, changed_by)
    body = body_bytes(event, webhook, event_id)
    headers = build_headers(webhook, so.EVENT_TEST, event_id, body, extra=((so.HEADER_HOOK_TEST, "true"),))
    return Request(so.EVENT_TEST, event_id, 0, headers, body)


test_event.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
