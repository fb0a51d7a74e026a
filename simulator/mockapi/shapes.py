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
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from simulator.core.events import ChatMessage, CustomerProfile, SessionFields, format_timestamp
from simulator.superoffice import facts as so

JsonObject = dict[str, Any]

UNSET_DATE: Final = "0001-01-01T00:00:00"
#: The table right of a top-level entity the caller may fully use (the filled-in doc sample).
FULL_TABLE_RIGHT: Final = {"Mask": "Delete", "Reason": ""}
ERROR_SOURCE: Final = "SuperOffice.Services.Implementation"
#: First/LastMessage are database copies cut at this length (chat_session table).
MESSAGE_COPY_LIMIT: Final = 1024
#: ChatSessionFlags with no flag set: the .NET enum's zero value (reference §2d).
NO_FLAGS: Final = "CustomerIsTyping"
#: Statuses after which a session has ended (WhenEnded is set on the first of them).
ENDED_STATUSES: Final = frozenset(
    {
        so.ChatSessionStatus.Finished,
        so.ChatSessionStatus.Deleted,
        so.ChatSessionStatus.Closed,
        so.ChatSessionStatus.ClosedFromQueue,
        so.ChatSessionStatus.RequestPosted,
    }
)


#: Keys whose values are dates in the tenant's zone: ``SO-TimeZone`` converts them.
ZONED_DATE_KEYS: Final = frozenset(
    {
        *("WhenRequested", "WhenStarted", "WhenEnded", "WhenIdle", "WhenFetched"),  # ChatSessionEntity
        *("whenRequested", "whenStarted", "whenEnded"),  # archive rows
        "LastAccept",  # ChatTopicEntity
        *("SaleDate", "NextDueDate", "PublishTo", "PublishFrom"),  # Sale, Project
        *("ReadByOwner", "ReadByCustomer", "FirstReadByUser", "Activate", "ClosedAt"),  # Ticket
        *("RepliedAt", "AlertTimeout", "Deadline"),
    }
)
#: Keys of dates that are always UTC (created/updated dates, and WhenPosted, documented as UTC):
#: ``SO-TimeZone`` does not convert them, and ``includeTZOffset`` tags them ``Z``.
UTC_DATE_KEYS: Final = frozenset({"WhenPosted", "CreatedAt", "LastChanged", "Updated"})


def format_date(ticks: int) -> str:
    """Format 100 ns ticks as an API date: local (UTC) time, no offset, the fraction as the
    webhook ``Timestamp`` writes it (up to 7 digits, trailing zeros dropped), so a receiver can
    match ``WhenPosted`` to the event's Timestamp."""
    if ticks <= 0:
        return UNSET_DATE
    return format_timestamp(ticks, "trim")[:-1]  # the same instant without the UTC "Z"


def error_body(error_type: str, message: str) -> JsonObject:
    """The documented error body (reference §3): Error, ErrorType, ErrorMessage, ErrorSource."""
    return {"Error": True, "ErrorType": error_type, "ErrorMessage": message, "ErrorSource": ERROR_SOURCE}


# --- what the shapes are built from ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AgentRecord:
    """An agent as the API shows it in ``User``: associate id, ejuser id and full name."""

    associate_id: int
    user_id: int
    name: str


@dataclass(frozen=True, slots=True)
class TopicRecord:
    """A chat topic (channel) from a scenario's ``population.topics``."""

    topic_id: int
    name: str
    bot_enabled: bool = False


@dataclass(frozen=True, slots=True)
class SessionView:
    """One session's state at a moment, as the entity builder needs it."""

    session_id: int
    fields: SessionFields
    profile: CustomerProfile | None
    messages: tuple[ChatMessage, ...]
    requested_ticks: int
    started_ticks: int
    ended_ticks: int
    initial_queue_pos: int
    user: AgentRecord | None
    #: The agent a pending transfer goes to (``TransferTo``), until accepted or rejected.
    transfer_to: AgentRecord | None = None


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


# --- nested carriers -------------------------------------------------------------------------


def _carrier_tail() -> JsonObject:
    return {"TableRight": {}, "FieldProperties": {}}


def associate(agent: AgentRecord) -> JsonObject:
    """The ``Associate`` carrier of ``User``: an internal user with the agent's names."""
    parts = agent.name.split()
    login = login_name(agent)
    formal = f"{parts[-1]}, {' '.join(parts[:-1])}" if len(parts) > 1 else agent.name
    return {
        "AssociateId": agent.associate_id,
        "Name": login,
        "PersonId": 0,
        "Rank": 1,
        "Tooltip": agent.name,
        "Type": "InternalAssociate",
        "GroupIdx": 0,
        "FullName": agent.name,
        "FormalName": formal,
        "Deleted": False,
        "EjUserId": agent.user_id,
        "UserName": login,
        **_carrier_tail(),
    }


def login_name(agent: AgentRecord) -> str:
    """The agent's ``Name``/``UserName``: the initials of the full name (``U{ejuser id}`` if none)."""
    return "".join(part[0] for part in agent.name.split()).upper() or f"U{agent.user_id}"


def person(fields: SessionFields, profile: CustomerProfile) -> JsonObject:
    """The ``Person`` carrier of a known customer (``CustomerId`` is a person id)."""
    first, _, last = profile.name.partition(" ")
    company = profile.company if fields.contact_id else ""
    return {
        "Position": "",
        "PersonId": fields.customer_id,
        "Mrmrs": "",
        "Firstname": first,
        "Lastname": last,
        "MiddleName": "",
        "Title": "",
        "Description": "",
        "Email": profile.email,
        "FullName": profile.name,
        "DirectPhone": profile.phone,
        "FormalName": f"{last}, {first}" if last else first,
        "CountryId": 0,
        "ContactId": fields.contact_id,
        "ContactName": company,
        "Retired": 0,
        "Rank": 1,
        "ActiveInterests": 0,
        "ContactDepartment": "",
        "ContactCountryId": 0,
        "ContactOrgNr": "",
        "FaxPhone": "",
        "MobilePhone": "",
        "ContactPhone": "",
        "AssociateName": "",
        "AssociateId": 0,
        "UsePersonAddress": False,
        "ContactFax": "",
        "Kanafname": "",
        "Kanalname": "",
        "Post1": "",
        "Post2": "",
        "Post3": "",
        "EmailName": profile.email,
        "ContactFullName": company,
        "ActiveErpLinks": 0,
        "TicketPriorityId": 0,
        "SupportLanguageId": 0,
        "SupportAssociateId": 0,
        "CategoryName": "",
        **_carrier_tail(),
    }


def contact(contact_id: int, profile: CustomerProfile | None) -> JsonObject:
    """The ``Contact`` carrier (the customer's company)."""
    name = profile.company if profile else ""
    return {
        "ContactId": contact_id,
        "Name": name,
        "OrgNr": "",
        "Department": "",
        "URL": "",
        "City": "",
        "DirectPhone": "",
        "AssociateId": 0,
        "CountryId": 0,
        "EmailAddress": "",
        "Kananame": "",
        "EmailAddressName": "",
        "URLName": "",
        "AssociateFullName": "",
        "BusinessName": "",
        "CategoryName": "",
        "CountryName": "",
        "Address": None,
        "FormattedAddress": "",
        "FullName": name,
        "IsOwnerContact": False,
        "ActiveErpLinks": 0,
        **_carrier_tail(),
    }


def project(project_id: int) -> JsonObject:
    """The ``Project`` carrier of a linked project (sosim knows only its id)."""
    return {
        "ProjectId": project_id,
        "Name": f"Project {project_id}",
        "Description": "",
        "URL": "",
        "Type": "",
        "AssociateId": 0,
        "AssociateFullName": "",
        "TypeId": 0,
        "Updated": UNSET_DATE,
        "StatusId": 0,
        "Status": "",
        "TextId": 0,
        "PublishTo": UNSET_DATE,
        "PublishFrom": UNSET_DATE,
        "IsPublished": False,
        "URLName": "",
        "ProjectNumber": str(project_id),
        "ActiveErpLinks": 0,
        **_carrier_tail(),
    }


def sale(sale_id: int, contact_id: int, person_id: int) -> JsonObject:
    """The ``Sale`` carrier of a linked sale (sosim knows only its id): an open sale."""
    return {
        "ContactName": "",
        "SaleDate": UNSET_DATE,
        "SaleId": sale_id,
        "Probability": 0,
        "Title": f"Sale {sale_id}",
        "Amount": 0.0,
        "Currency": "",
        "ProjectName": "",
        "AssociateFullName": "",
        "Description": "",
        "Status": "Open",
        "WeightedAmount": 0.0,
        "ProjectId": 0,
        "EarningPercent": 0.0,
        "Earning": 0.0,
        "ContactId": contact_id,
        "AssociateId": 0,
        "PersonId": person_id,
        "SaleTypeId": 0,
        "SaleTypeName": "",
        "PersonFullName": "",
        "Completed": "Incomplete",
        "ActiveErpLinks": 0,
        "NextDueDate": UNSET_DATE,
        "Number": str(sale_id),
        **_carrier_tail(),
    }


def ticket(ticket_id: int, view: SessionView, profile: CustomerProfile | None) -> JsonObject:
    """The ``Ticket`` carrier of a linked ticket, created when the chat ended."""
    first, _, last = profile.name.partition(" ") if profile else ("", "", "")
    when = format_date(view.ended_ticks)
    owner = view.user
    return {
        "TicketId": ticket_id,
        "Title": view.messages[0].text[:100] if view.messages else f"Chat {view.session_id}",
        "CreatedAt": when,
        "LastChanged": when,
        "ReadByOwner": UNSET_DATE,
        "ReadByCustomer": UNSET_DATE,
        "FirstReadByUser": UNSET_DATE,
        "Activate": UNSET_DATE,
        "ClosedAt": UNSET_DATE,
        "RepliedAt": UNSET_DATE,
        "AlertTimeout": UNSET_DATE,
        "Deadline": UNSET_DATE,
        "CreatedBy": owner.user_id if owner else 0,
        "CreatedByName": owner.name if owner else "",
        "Author": profile.name if profile else "",
        "OwnedBy": owner.user_id if owner else 0,
        "OwnedByName": owner.name if owner else "",
        "Category": 0,
        "CategoryName": "",
        "CategoryFullname": "",
        "Slevel": "External",
        "Priority": 0,
        "PriorityName": "",
        "BaseStatus": "Active",
        "TicketStatus": 0,
        "TicketStatusDisplayValue": "",
        "Origin": "Chat",
        "CustId": view.fields.customer_id,
        "PersonFirstname": first,
        "PersonMiddleName": "",
        "PersonLastname": last,
        "PersonFullname": profile.name if profile else "",
        "AlertLevel": 0,
        "ConnectId": 0,
        "ReadStatus": "Green",
        "TimeToReply": 0,
        "RealTimeToReply": 0,
        "TimeToClose": 0,
        "RealTimeToClose": 0,
        "TimeSpentInternally": 0,
        "TimeSpentExternally": 0,
        "TimeSpentQueue": 0,
        "RealTimeSpentInternally": 0,
        "RealTimeSpentExternally": 0,
        "RealTimeSpentQueue": 0,
        "HasAttachment": False,
        "NumReplies": 0,
        "NumMessages": 0,
        "FromAddress": profile.email if profile else "",
        "ContactId": view.fields.contact_id,
        "ContactName": profile.company if profile and view.fields.contact_id else "",
        "OwnedByAssociateId": owner.associate_id if owner else 0,
        **_carrier_tail(),
    }


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
