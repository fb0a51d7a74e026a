"""SuperOffice facts, defined once: event names, enums, header names, delivery rules.

Every value here comes from ``shared/reference`` (the public SuperOffice docs). Nothing
else in the package spells a header, an event name or an enum value as a literal.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

# --- events -------------------------------------------------------------------------

ENTITY_CHATSESSION: Final = "chatsession"
EVENT_CREATED: Final = "chatsession.created"
EVENT_MESSAGE: Final = "chatsession.message"
EVENT_CHANGED: Final = "chatsession.changed"
CHAT_EVENTS: Final = (EVENT_CREATED, EVENT_MESSAGE, EVENT_CHANGED)

EVENT_TEST: Final = "test"
ENTITY_TEST: Final = "test"

#: The names listed in ``Changes`` of every ``chatsession.message`` (the seed page).
MESSAGE_CHANGES: Final = (
    "chatSession.topicId",
    "chatSession.userId",
    "chatSession.customerId",
    "chatSession.customerName",
    "chatSession.customerEmail",
    "chatSession.companyName",
    "chatSession.customerPhone",
    "chatMessage.sessionId",
    "chatMessage.id",
    "chatMessage.message",
    "chatMessage.type",
    "chatMessage.specialType",
    "chatMessage.specialParam",
    "chatMessage.author",
)

#: FieldValues keys in the order of the seed example (PascalCase, as the example shows).
FIELD_VALUE_KEYS: Final = (
    "AlertLevel",
    "ChatbotIsactive",
    "Consented",
    "ContactId",
    "CustomerAlias",
    "CustomerId",
    "ProjectId",
    "Rating",
    "SaleId",
    "Status",
    "TicketId",
    "TopicId",
    "UserId",
)

#: The payload's top-level keys in the order NetServer's examples print them.
PAYLOAD_KEYS: Final = (
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


def camel_case(pascal: str) -> str:
    """Return the camelCase spelling the seed page's list uses (``AlertLevel`` -> ``alertLevel``)."""
    return pascal[:1].lower() + pascal[1:]


# --- enums (names are the REST API names; values are the stored integers) -----------


class ChatSessionStatus(IntEnum):
    """``chat_session.status``; webhooks carry the int, the REST API the name."""

    Invalid = 0
    PreChatForm = 1
    Faq = 2
    OfflineForm = 3
    InQueue = 4
    CustomerLast = 5
    UserLast = 6
    Finished = 7
    Deleted = 8
    Closed = 9
    RequestPosted = 10
    ClosedFromQueue = 11


class ChatMessageType(IntEnum):
    """``chat_message.type``: the direction of a message."""

    Invalid = 0
    ToCustomer = 1
    ToUser = 2
    Special = 3


class ChatMessageSpecialType(IntEnum):
    """``chat_message.special_type`` (4 is an unused gap; ``TransferedSession`` is sic)."""

    # The misspelling of 6 is SuperOffice's own API name, kept on purpose.
    None_ = 0
    Welcome = 1
    Url = 2
    Block = 3
    NewSession = 5
    TransferedSession = 6
    Error = 7
    SessionDeleted = 8
    FaqSuccessQuestion = 9
    ClosedByUser = 10
    ClosedByCustomer = 11
    ClosedByIdle = 12
    TransferRejected = 13
    ReopenedByCustomer = 14
    ClickedOption = 15
    BotMessage = 16
    Options = 17
    IllegalFileType = 18

    @property
    def api_name(self) -> str:
        """The name the REST API serialises (``None`` for 0)."""
        return "None" if self is ChatMessageSpecialType.None_ else self.name


class WebhookState(IntEnum):
    """``webhook.state``."""

    Unknown = 0
    Active = 1
    Stopped = 2
    TooManyErrors = 3


#: The state event each state fires (Unknown fires none): the header names the webhook,
#: ``webhook{id}.errors``, the body's ``Event`` is ``webhook.errors``
#: (``docs/en/automation/webhook/reference/state-events.md``).
STATE_SUFFIXES: Final = {
    WebhookState.Active: "started",
    WebhookState.Stopped: "stopped",
    WebhookState.TooManyErrors: "errors",
}


# --- HTTP ---------------------------------------------------------------------------

HEADER_CONTENT_TYPE: Final = "Content-Type"
HEADER_USER_AGENT: Final = "User-Agent"
HEADER_EVENT: Final = "X-SuperOffice-Event"
HEADER_EVENT_ID: Final = "X-SuperOffice-EventId"
HEADER_SIGNATURE: Final = "X-SuperOffice-Signature"
HEADER_RETRY: Final = "X-SuperOffice-Retry"
HEADER_HOOK_TEST: Final = "X-Hook-Test"

#: The spelling the reference pages print (``X-Superoffice-Eventid``), offered as an option.
REFERENCE_PAGE_SPELLING: Final = {
    HEADER_EVENT: "X-Superoffice-Event",
    HEADER_EVENT_ID: "X-Superoffice-Eventid",
    HEADER_SIGNATURE: "X-Superoffice-Signature",
    HEADER_RETRY: "X-Superoffice-Retry",
}

#: The Web API's time-zone request header and its option that adds the offset to every date
#: (SuperOffice/SDK-Doc ``NetServer.Web.Services/Reference/WebAPI/Headers/SO-Timezone.md``).
HEADER_TIME_ZONE: Final = "SO-TimeZone"
TIME_ZONE_INCLUDE_OFFSET: Final = "includeTZOffset"
#: The time zones that page lists (``GET /api/v1/timezone``): code -> (id, IANA zone of its rules).
TIME_ZONES: Final = {
    "UTC": (1, "UTC"),
    "AU-ACT": (36, "Australia/Sydney"),
    "BD": (50, "Asia/Dhaka"),
    "CA-QC": (114, "America/Toronto"),
    "DK": (140, "Europe/Copenhagen"),
    "FR": (156, "Europe/Paris"),
    "NO": (261, "Europe/Oslo"),
    "US-CA": (425, "America/Los_Angeles"),
    "US-HI": (433, "Pacific/Honolulu"),
    "US-NY": (460, "America/New_York"),
}

CONTENT_TYPE_JSON: Final = "application/json; charset=utf-8"
USER_AGENT_PRODUCT: Final = "NetServer-Webhook"
DEFAULT_NETSERVER_VERSION: Final = "8.8.6684.1719"

# --- delivery (reference §3.3, §3.4) ------------------------------------------------

#: Attempts in one retry cycle and the waits between them, in seconds.
RETRY_DELAYS_S: Final = (1.0, 4.0)
ATTEMPTS_PER_CYCLE: Final = len(RETRY_DELAYS_S) + 1
#: Consecutive failed attempts after which the webhook turns TooManyErrors.
DISABLE_AFTER_FAILURES: Final = 9
#: Only 200 OK counts as delivered.
SUCCESS_STATUSES: Final = frozenset({200})
#: Answers that disable the webhook at once.
GONE_STATUS: Final = 410

# --- tenants and markets ------------------------------------------------------------

DEFAULT_CONTEXT_IDENTIFIER: Final = "Cust12345"
#: Faker locales for SuperOffice's markets.
MARKET_LOCALES: Final = ("nb_NO", "sv_SE", "da_DK", "de_DE", "nl_NL", "en_GB", "en_US")
