"""What the mock API's JSON shapes are built from: the records and session views the state hands
out, the API's date format and error body, and the constants of the documented samples.

Pure, like :mod:`simulator.mockapi.shapes`, which builds the entities from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from simulator.core.events import ChatMessage, CustomerProfile, SessionFields, format_timestamp
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
    "error_body",
    "format_date",
]

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
