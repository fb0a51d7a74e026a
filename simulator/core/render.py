"""``render``: an event bound to a webhook becomes the exact bytes and headers NetServer would send.

``render`` is the one payload builder in sosim. It has a fast path (hand-joined compact
JSON, since key order and value types are fixed) and a general path through ``json.dumps``
for indented bodies and field overrides; a test keeps the two byte-identical.
"""

from __future__ import annotations

import binascii
import json
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from simulator.core.event_types import (
    TICKS_PER_SECOND,
    BodyLayout,
    Event,
    HeaderSpelling,
    JsonValue,
    PayloadOptions,
    Request,
    SessionFields,
    TimestampDigits,
    Webhook,
)
from simulator.core.signing import keyed
from simulator.superoffice import facts as so

__all__ = [
    "DOCUMENTED_KEYS",
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

_encode_str = json.encoder.encode_basestring  # C-accelerated; no ASCII escaping, like Newtonsoft
_tuple = tuple.__new__  # a NamedTuple without its Python-level __new__: once an event


# --- formatting helpers -------------------------------------------------------------


@lru_cache(maxsize=4096)
def _second_text(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))


def format_timestamp(ticks: int, digits: TimestampDigits = "trim") -> str:
    """Format 100 ns ticks as NetServer's UTC ``Timestamp`` (``2018-04-24T08:18:42.089895Z``).

    ``trim`` is Newtonsoft.Json's default ``FFFFFFF``: up to 7 digits, trailing zeros and a bare
    ``.`` dropped, as the documented examples show (5, 6 and 7 digits). ``7`` always writes 7.
    """
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
    return add_properties(body, webhook.properties)


#: The documented top-level keys of a webhook body (chat, test, state and signalled events): a
#: webhook Property of the same name (any case) is never sent, the documented key wins.
DOCUMENTED_KEYS = frozenset(
    k.lower()
    for k in (
        "EventId",
        "Timestamp",
        "Changes",
        "Event",
        "PrimaryKey",
        "Entity",
        "ContextIdentifier",
        "ChangedByAssociateId",
        "WebhookName",
        "FieldValues",
    )
)


def injected_properties(properties: str | None) -> dict[str, JsonValue]:
    """The webhook Properties that go into its bodies: all but those named like a documented key."""
    if not properties:
        return {}
    value = json.loads(properties)
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if str(k).lower() not in DOCUMENTED_KEYS}


def add_properties(body: dict[str, JsonValue], properties: str | None) -> dict[str, JsonValue]:
    """Append the webhook's Properties to ``body`` as top-level keys; keys already there win."""
    present = {k.lower() for k in body}
    for key, value in injected_properties(properties).items():
        if key.lower() not in present:
            body[key] = value
    return body


def _entity(event_name: str) -> str:
    return so.ENTITY_TEST if event_name == so.EVENT_TEST else event_name.partition(".")[0]


def _changes(event: Event, options: PayloadOptions) -> tuple[str, ...]:
    if event.name == so.EVENT_CHANGED and options.changed_changes == "empty":
        return ()
    if event.name == so.EVENT_CHANGED and options.field_value_keys == "camel":
        return _camel_changes(event.changes)
    return event.changes


def _camel_changes(changes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(so.camel_case(k) for k in changes)


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
    return _renderer(webhook).body(event, event_id or event.event_id)


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
    return _renderer(webhook).headers(event_name, event_id, body, extra)


def render(event: Event, webhook: Webhook, *, event_id: str | None = None) -> Request:
    """Render ``event`` for ``webhook``: exact body, headers and signature.

    ``event_id`` replaces the generated EventId (a new delivery cycle, or ``--new-event-ids``).
    """
    renderer = _RENDERERS.get(id(webhook))
    if renderer is None:
        renderer = _renderer(webhook)
    eid = event_id or event.event_id
    body = renderer.body(event, eid)
    headers = renderer.headers(event.name, eid, body, ())
    return _tuple(Request, (event.name, eid, event.session_id, headers, body))  # Request(...), faster


class _NameParts(NamedTuple):
    """What a body and its headers hold that depends only on the webhook and the event name."""

    event: str  # ,"Event":"...","PrimaryKey":
    entity: str  # ,"Entity":"...","ContextIdentifier":"...","ChangedByAssociateId":
    changes: str | None  # the Changes JSON when it is the same for every event of this name
    camel: bool  # Changes keys in camelCase (chatsession.changed with camelCase FieldValues keys)
    field_values: bool
    headers: tuple[tuple[str, str], ...]  # Content-Type, User-Agent, Event


class _Renderer:
    """Bodies and headers for one webhook, with what depends only on the webhook (and the event
    name) worked out once: the static parts of the JSON, the header names, the keyed HMAC.

    The compact body is hand-joined (key order and value types are fixed); indented bodies and
    field overrides go through ``payload`` and ``json.dumps``. A test keeps the two byte-identical.
    """

    __slots__ = (
        "_by_name",
        "_fast",
        "_id_header",
        "_props",
        "_signer",
        "_tail",
        "_trim",
        "_values_json",
        "webhook",
    )

    def __init__(self, webhook: Webhook) -> None:
        options = webhook.payload
        spelling = options.header_spelling
        self.webhook = webhook  # kept alive, so its id stays its own while it is cached
        self._fast = options.body_layout == "compact" and not options.overrides
        self._trim = options.timestamp_digits == "trim"
        default_values = (
            options.field_value_keys,
            options.id_types,
            options.booleans,
            options.customer_alias,
        )
        self._values_json = (
            _default_field_values_json if default_values == ("pascal", "mixed", "bool", "string") else None
        )
        self._tail = ',"WebhookName":' + _encode_str(webhook.name)
        props = injected_properties(webhook.properties)
        self._props = "".join(
            "," + _encode_str(k) + ":" + json.dumps(v, ensure_ascii=False, separators=(",", ":"))
            for k, v in props.items()
        )
        self._id_header = header_name(so.HEADER_EVENT_ID, spelling)
        self._signer = (
            (header_name(so.HEADER_SIGNATURE, spelling), keyed(webhook.secret)) if webhook.secret else None
        )
        self._by_name: dict[str, _NameParts] = {}

    def body(self, event: Event, event_id: str) -> bytes:
        """The exact body bytes."""
        if not self._fast:
            return serialize(payload(event, self.webhook, event_id), self.webhook.payload.body_layout)
        parts = self._by_name.get(event.name) or self._name_parts(event.name)
        seconds, fraction = divmod(event.ticks, TICKS_PER_SECOND)
        stamp = f"{_second_text(seconds)}.{fraction:07d}"  # format_timestamp, inlined
        if self._trim:
            stamp = stamp.rstrip("0").rstrip(".")
        changes = parts.changes
        if changes is None:
            changes = _changes_json(_camel_changes(event.changes) if parts.camel else event.changes)
        values = ""
        if parts.field_values:
            to_json = self._values_json
            values = ',"FieldValues":' + (
                to_json(event.fields)
                if to_json is not None
                else json.dumps(
                    field_values(event.fields, self.webhook.payload),
                    ensure_ascii=False,
                    separators=(",", ":"),
                )
            )
        return (
            f'{{"EventId":"{event_id}","Timestamp":"{stamp}Z","Changes":{changes}{parts.event}'
            f"{event.session_id}{parts.entity}{event.changed_by}{self._tail}{values}{self._props}}}"
        ).encode()

    def headers(
        self, name: str, event_id: str, body: bytes, extra: tuple[tuple[str, str], ...]
    ) -> tuple[tuple[str, str], ...]:
        """The headers in NetServer's order: signed when the webhook has a secret, its own last."""
        parts = self._by_name.get(name) or self._name_parts(name)
        signer = self._signer
        if signer is None:
            headers = (*parts.headers, (self._id_header, event_id), *extra)
        else:
            mac = signer[1].copy()
            mac.update(body)
            signature = binascii.b2a_base64(mac.digest(), newline=False).decode("ascii")
            headers = (*parts.headers, (self._id_header, event_id), *extra, (signer[0], signature))
        own = self.webhook.headers
        return (*headers, *own) if own else headers

    def _name_parts(self, name: str) -> _NameParts:
        webhook = self.webhook
        options = webhook.payload
        changed = name == so.EVENT_CHANGED
        parts = self._by_name[name] = _NameParts(
            event=',"Event":' + _encode_str(name) + ',"PrimaryKey":',
            entity=',"Entity":'
            + _encode_str(_entity(name))
            + ',"ContextIdentifier":'
            + _encode_str(webhook.context_identifier)
            + ',"ChangedByAssociateId":',
            changes=_changes_json(()) if changed and options.changed_changes == "empty" else None,
            camel=changed and options.field_value_keys == "camel",
            field_values=name in options.field_values_on,
            headers=(
                (so.HEADER_CONTENT_TYPE, so.CONTENT_TYPE_JSON),
                (so.HEADER_USER_AGENT, f"{so.USER_AGENT_PRODUCT}/{webhook.netserver_version}"),
                (header_name(so.HEADER_EVENT, options.header_spelling), name),
            ),
        )
        return parts


@lru_cache(maxsize=256)
def _changes_json(changes: tuple[str, ...]) -> str:
    return "[" + ",".join(_encode_str(c) for c in changes) + "]"


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


#: One renderer per webhook, by id (each keeps its webhook alive, so an id is never reused).
_RENDERERS: dict[int, _Renderer] = {}
_RENDERERS_MAX = 256


def _renderer(webhook: Webhook) -> _Renderer:
    renderer = _RENDERERS.get(id(webhook))
    if renderer is None:
        if len(_RENDERERS) >= _RENDERERS_MAX:
            _RENDERERS.clear()  # many short-lived webhooks: start over rather than grow
        renderer = _RENDERERS[id(webhook)] = _Renderer(webhook)
    return renderer


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
