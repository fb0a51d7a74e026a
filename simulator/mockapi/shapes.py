"""The JSON shapes of the mock SuperOffice chat REST API, key for key as the reference documents them.

Pure functions from sosim's state to ordered dicts; nothing here knows about HTTP. Every key
order below is the order of the documented samples (reference §2): ``ChatSessionEntity``,
``ChatMessage``, ``ChatTopicEntity`` and the nested carriers ``Associate``, ``Person``,
``Contact``, ``Project``, ``Sale`` and ``Ticket``.

Choices where the docs leave room (the README lists them):

* Dates are the tenant's local time without an offset; sosim's tenant runs on UTC, so a date
  is the event's UTC time written as ``2026-01-05T08:00:00.1234567``, with the fraction of the
  webhook Timestamp (Newtonsoft's default ``FFFFFFF``: trailing zeros dropped). Unset dates are
  ``0001-01-01T00:00:00`` (.NET's ``DateTime.MinValue``; the carriers' dates are not nullable).
* Nested carriers are filled where sosim knows the record (the agent, a known customer, a
  linked ticket, sale or project) and ``null`` otherwise. Fields sosim does not model get
  neutral values: ``""``, ``0``, ``false`` or the unset date.

The records the shapes are built from live in :mod:`simulator.mockapi.records`, the nested carriers
in :mod:`simulator.mockapi.carriers`; this module re-exports both sets of names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from simulator.core.events import ChatMessage, SessionFields
from simulator.mockapi.carriers import (
    associate,
    contact,
    login_name,
    person,
    project,
    sale,
    ticket,
)
from simulator.mockapi.records import (
    ENDED_STATUSES,
    ERROR_SOURCE,
    FULL_TABLE_RIGHT,
    MESSAGE_COPY_LIMIT,
    NO_FLAGS,
    UNSET_DATE,
    UTC_DATE_KEYS,
    ZONED_DATE_KEYS,
    AgentRecord,
    JsonObject,
    SessionView,
    TopicRecord,
    error_body,
    format_date,
)
from simulator.superoffice import facts as so

__all__ = [
    "ENDED_STATUSES",
    "ERROR_SOURCE",
    "FULL_TABLE_RIGHT",
    "MESSAGE_COPY_LIMIT",
    "NO_FLAGS",
    "UNSET_DATE",
    "UTC_DATE_KEYS",
    "ZONED_DATE_KEYS",
    "AgentRecord",
    "JsonObject",
    "SessionView",
    "TopicRecord",
    "archive_row",
    "associate",
    "contact",
    "default_session_entity",
    "error_body",
    "format_date",
    "login_name",
    "message_entity",
    "person",
    "project",
    "sale",
    "select_fields",
    "session_entity",
    "session_key",
    "ticket",
    "topic_entity",
]

# --- ChatMessage -----------------------------------------------------------------------------


def message_entity(message: ChatMessage) -> JsonObject:
    """One ``ChatMessage`` (GET .../Messages, Agents/Chat/GetChatMessages).

    ``ReadByCustomer`` is 1: the chat widget shows every message to the customer as it arrives.
    """
    return {
        "ChatMessageId": message.message_id,
        "ChatSessionId": message.session_id,
        "Type": message.type.name,
        "Message": message.text,
        "Author": message.author,
        "ReadByCustomer": 1,
        "SpecialType": message.special_type.api_name,
        "SpecialParam": message.special_param,
        "WhenPosted": format_date(message.ticks),
    }


# --- ChatSessionEntity -----------------------------------------------------------------------


def archive_row(view: SessionView) -> dict[str, int | str]:
    """One row of the "ChatSession" archive provider, by column name (dates as ticks)."""
    texts = [m.text for m in view.messages if m.text]
    fields = view.fields
    return {
        "chatSessionId": view.session_id,
        "status": int(fields.status),
        "chatTopic/chatTopicId": fields.topic_id,
        "rating": fields.rating,
        "whenRequested": view.requested_ticks,
        "whenStarted": view.started_ticks,
        "whenEnded": view.ended_ticks,
        "firstMessage": texts[0][:MESSAGE_COPY_LIMIT] if texts else "",
        "lastMessage": texts[-1][:MESSAGE_COPY_LIMIT] if texts else "",
    }


def session_entity(view: SessionView, links: Mapping[str, str] | None = None) -> JsonObject:
    """The ``ChatSessionEntity`` (agent) or, with ``links``, ``ChatSessionEntityWithLinks`` (REST)."""
    fields, profile = view.fields, view.profile
    texts = [m.text for m in view.messages if m.text]
    body: JsonObject = {
        "ChatSessionId": view.session_id,
        "TopicId": fields.topic_id,
        "User": associate(view.user) if view.user is not None else None,
        "Person": person(fields, profile) if fields.customer_id and profile is not None else None,
        "CustomerAlias": fields.customer_alias,
        "CustomerHost": "",
        "CustomerName": profile.name if profile else "",
        "CustomerEmail": profile.email if profile else "",
        "CustomerPhone": profile.phone if profile else "",
        "CustomerConsented": fields.consented,
        "CustomerCompanyName": profile.company if profile else "",
        "Status": fields.status.name,
        "FirstMessage": texts[0][:MESSAGE_COPY_LIMIT] if texts else "",
        "LastMessage": texts[-1][:MESSAGE_COPY_LIMIT] if texts else "",
        "WhenRequested": format_date(view.requested_ticks),
        "WhenStarted": format_date(view.started_ticks),
        "WhenEnded": format_date(view.ended_ticks),
        "WhenIdle": format_date(view.messages[-1].ticks if view.messages else 0),
        "WhenFetched": UNSET_DATE,
        "SessionKey": session_key(view.session_id),
        "InitialQueuePos": view.initial_queue_pos,
        "AlertLevel": fields.alert_level,
        "Rank": 1 if view.user is not None else 0,
        "Flags": NO_FLAGS,
        "Contact": contact(fields.contact_id, profile) if fields.contact_id else None,
        "Project": project(fields.project_id) if fields.project_id else None,
        "Sale": sale(fields.sale_id, fields.contact_id, fields.customer_id) if fields.sale_id else None,
        "Ticket": ticket(fields.ticket_id, view, profile) if fields.ticket_id else None,
        # Generated transfers complete at once; only a TransferTo write leaves one pending.
        "TransferTo": associate(view.transfer_to) if view.transfer_to is not None else None,
        "ChatbotIsActive": fields.chatbot_is_active,
        "Rating": fields.rating,
        "TableRight": dict(FULL_TABLE_RIGHT),
        "FieldProperties": {},
    }
    if links is not None:
        body["_Links"] = dict(links)
    return body


def default_session_entity() -> JsonObject:
    """``GET ChatSession/default`` (CreateDefaultChatSessionEntity): a new session before it is saved.

    The docs list the shape, not the defaults; sosim gives the zero of each field: id 0, no
    topic, user or customer, Status ``Invalid`` (the enum's 0), unset dates, no SessionKey.
    """
    new = SessionView(0, SessionFields(status=so.ChatSessionStatus.Invalid), None, (), 0, 0, 0, 0, None)
    return {**session_entity(new), "SessionKey": ""}


def session_key(session_id: int) -> str:
    """A stable 32-hex-digit session key, the same for the same session id."""
    return hashlib.sha256(f"sosim-chat-session:{session_id}".encode()).hexdigest()[:32]


# --- ChatTopicEntity -------------------------------------------------------------------------


def topic_entity(topic: TopicRecord, links: Mapping[str, str] | None = None) -> JsonObject:
    """The ``ChatTopicEntity`` (agent) or, with ``links``, ``ChatTopicEntityWithLinks`` (REST).

    Settings objects sosim does not model (Language, AlertTemplate, TicketCategory,
    TicketPriority, OpeningHours, Widget, BotSettings) are ``null``, as in the doc sample.
    """
    body: JsonObject = {
        "ChatTopicId": topic.topic_id,
        "Name": topic.name,
        "Description": "",
        "WelcomeMessage": "",
        "Language": None,
        "LastAccept": UNSET_DATE,
        "SecondsPrAccept": 0,
        "AlertRecipient": "",
        "AlertTemplate": None,
        "CollectConsent": True,
        "BadgeHeader": topic.name,
        "CustomQueueTextEnabled": False,
        "CustomQueueText": "",
        "WarnNewChatMinutes": 0,
        "WarnManagerNewChatMinutes": 0,
        "TicketEnabled": False,
        "TicketCategory": None,
        "TicketPriority": None,
        "OpeningHoursEnabled": False,
        "OpeningHours": None,
        "Widget": None,
        "BotEnabled": topic.bot_enabled,
        "BotSettings": None,
        "OfflineCollectConsent": False,
        "WarnChatMessageMinutes": 0,
        "WarnManagerChatMessageMinutes": 0,
        "UseQueueOfflineForm": False,
        "OfflineFormTimeLimit": 0,
        "OfflineFormQueueLength": 0,
        "WidgetEnableRating": False,
        "WidgetRatingText": "",
        "TableRight": dict(FULL_TABLE_RIGHT),
        "FieldProperties": {},
    }
    if links is not None:
        body["_Links"] = dict(links)
    return body


def select_fields(body: JsonObject, select: str) -> JsonObject:
    """Apply ``$select``: keep the listed properties, null the others (``_Links`` stays).

    Names match case-insensitively; ``Person/Firstname`` keeps all of ``Person``.
    """
    wanted = {part.strip().split("/")[0].lower() for part in select.split(",") if part.strip()}
    return {key: value if key == "_Links" or key.lower() in wanted else None for key, value in body.items()}
