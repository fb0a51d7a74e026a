"""What an event is: the chat session's fields and messages, the event, the webhook it is sent to
and the request it becomes (data only; :mod:`simulator.core.render` turns them into bytes)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from simulator.core.payload_styles import (
    AliasStyle,
    BodyLayout,
    BoolStyle,
    ChangedChanges,
    HeaderSpelling,
    IdStyle,
    KeyStyle,
    TimestampDigits,
)
from simulator.superoffice import facts as so

__all__ = [
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
]

JsonValue = Any

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
    timestamp_digits: TimestampDigits = "trim"
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
    #: The webhook's ``Properties`` as a JSON object text ("custom values to inject into JSON body
    #: of webhook call", v1Webhook_PostWebhook): each is added as a top-level key after the
    #: documented keys, which win a clash (case-insensitively). None: nothing is added.
    properties: str | None = None

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
