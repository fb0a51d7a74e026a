"""The mock SuperOffice chat REST API's core: documented shapes, state as of each event, paging,
auth, errors, tenant prefixes, and its in-process faces (httpx, respx, ASGI)."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx
import pytest

from simulator.core.events import Event, Request, SessionFields, Webhook, render
from simulator.core.generate import SessionPlan, generate_sessions
from simulator.core.outcome import Response
from simulator.core.scenario import parse_scenario
from simulator.core.schedule import Planned, merge_sessions
from simulator.mockapi.http import Announcer, MockApiApp, mock_transport, respx_router
from simulator.mockapi.server import parse_host_port
from simulator.mockapi.shapes import format_date
from simulator.mockapi.state import ChatState, MockApi, MockApiOptions
from simulator.superoffice import facts as so

AUTH = {"Authorization": "Bearer test-token"}
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?$")
UNSET = "0001-01-01T00:00:00"

# Key orders copied from the documented samples (reference §2, SuperOfficeDocs samples), not
# from sosim's code, so a drift in either shows up here.
SESSION_KEYS = [
    "ChatSessionId", "TopicId", "User", "Person", "CustomerAlias", "CustomerHost", "CustomerName",
    "CustomerEmail", "CustomerPhone", "CustomerConsented", "CustomerCompanyName", "Status",
    "FirstMessage", "LastMessage", "WhenRequested", "WhenStarted", "WhenEnded", "WhenIdle",
    "WhenFetched", "SessionKey", "InitialQueuePos", "AlertLevel", "Rank", "Flags", "Contact",
    "Project", "Sale", "Ticket", "TransferTo", "ChatbotIsActive", "Rating", "TableRight",
    "FieldProperties",
]  # fmt: skip
MESSAGE_KEYS = [
    "ChatMessageId", "ChatSessionId", "Type", "Message", "Author", "ReadByCustomer", "SpecialType",
    "SpecialParam", "WhenPosted",
]  # fmt: skip
TOPIC_KEYS = [
    "ChatTopicId", "Name", "Description", "WelcomeMessage", "Language", "LastAccept",
    "SecondsPrAccept", "AlertRecipient", "AlertTemplate", "CollectConsent", "BadgeHeader",
    "CustomQueueTextEnabled", "CustomQueueText", "WarnNewChatMinutes", "WarnManagerNewChatMinutes",
    "TicketEnabled", "TicketCategory", "TicketPriority", "OpeningHoursEnabled", "OpeningHours",
    "Widget", "BotEnabled", "BotSettings", "OfflineCollectConsent", "WarnChatMessageMinutes",
    "WarnManagerChatMessageMinutes", "UseQueueOfflineForm", "OfflineFormTimeLimit",
    "OfflineFormQueueLength", "WidgetEnableRating", "WidgetRatingText", "TableRight", "FieldProperties",
]  # fmt: skip
ASSOCIATE_KEYS = [
    "AssociateId", "Name", "PersonId", "Rank", "Tooltip", "Type", "GroupIdx", "FullName", "FormalName",
    "Deleted", "EjUserId", "UserName", "TableRight", "FieldProperties",
]  # fmt: skip
PERSON_KEYS = [
    "Position", "PersonId", "Mrmrs", "Firstname", "Lastname", "MiddleName", "Title", "Description",
    "Email", "FullName", "DirectPhone", "FormalName", "CountryId", "ContactId", "ContactName",
    "Retired", "Rank", "ActiveInterests", "ContactDepartment", "ContactCountryId", "ContactOrgNr",
    "FaxPhone", "MobilePhone", "ContactPhone", "AssociateName", "AssociateId", "UsePersonAddress",
    "ContactFax", "Kanafname", "Kanalname", "Post1", "Post2", "Post3", "EmailName", "ContactFullName",
    "ActiveErpLinks", "TicketPriorityId", "SupportLanguageId", "SupportAssociateId", "CategoryName",
    "TableRight", "FieldProperties",
]  # fmt: skip
CONTACT_KEYS = [
    "ContactId", "Name", "OrgNr", "Department", "URL", "City", "DirectPhone", "AssociateId",
    "CountryId", "EmailAddress", "Kananame", "EmailAddressName", "URLName", "AssociateFullName",
    "BusinessName", "CategoryName", "CountryName", "Address", "FormattedAddress", "FullName",
    "IsOwnerContact", "ActiveErpLinks", "TableRight", "FieldProperties",
]  # fmt: skip
PROJECT_KEYS = [
    "ProjectId", "Name", "Description", "URL", "Type", "AssociateId", "AssociateFullName", "TypeId",
    "Updated", "StatusId", "Status", "TextId", "PublishTo", "PublishFrom", "IsPublished", "URLName",
    "ProjectNumber", "ActiveErpLinks", "TableRight", "FieldProperties",
]  # fmt: skip
SALE_KEYS = [
    "ContactName", "SaleDate", "SaleId", "Probability", "Title", "Amount", "Currency", "ProjectName",
    "AssociateFullName", "Description", "Status", "WeightedAmount", "ProjectId", "EarningPercent",
    "Earning", "ContactId", "AssociateId", "PersonId", "SaleTypeId", "SaleTypeName", "PersonFullName",
    "Completed", "ActiveErpLinks", "NextDueDate", "Number", "TableRight", "FieldProperties",
]  # fmt: skip
TICKET_KEYS = [
    "TicketId", "Title", "CreatedAt", "LastChanged", "ReadByOwner", "ReadByCustomer", "FirstReadByUser",
    "Activate", "ClosedAt", "RepliedAt", "AlertTimeout", "Deadline", "CreatedBy", "CreatedByName",
    "Author", "OwnedBy", "OwnedByName", "Category", "CategoryName", "CategoryFullname", "Slevel",
    "Priority", "PriorityName", "BaseStatus", "TicketStatus", "TicketStatusDisplayValue", "Origin",
    "CustId", "PersonFirstname", "PersonMiddleName", "PersonLastname", "PersonFullname", "AlertLevel",
    "ConnectId", "ReadStatus", "TimeToReply", "RealTimeToReply", "TimeToClose", "RealTimeToClose",
    "TimeSpentInternally", "TimeSpentExternally", "TimeSpentQueue", "RealTimeSpentInternally",
    "RealTimeSpentExternally", "RealTimeSpentQueue", "HasAttachment", "NumReplies", "NumMessages",
    "FromAddress", "ContactId", "ContactName", "OwnedByAssociateId", "TableRight", "FieldProperties",
]  # fmt: skip
ERROR_KEYS = ["Error", "ErrorType", "ErrorMessage", "ErrorSource"]

SCENARIO = """
name: mockapi-unit
seed: 7
webhook: {context_identifier: Cust777, secret: unit-secret}
population:
  agents:
    - {associate_id: 316, user_id: 16, name: Kari Nordmann}
    - {associate_id: 317, user_id: 17, name: Ola Hansen}
  topics: [{id: 3, name: Support}, {id: 4, name: Billing}]
  known_customer_probability: 1.0
arrivals: {sessions: 3, process: uniform, rate: 1/min}
flow:
  queue: {abandon_probability: 0}
  conversation: {turns: 3}
  end: {ended_by: {user: 1.0}}
  links: {ticket: 1.0, sale: 1.0, project: 1.0}
"""


@pytest.fixture(scope="module")
def plans() -> list[SessionPlan]:
    """Three picked-up, linked sessions with known customers."""
    return list(generate_sessions(parse_scenario(SCENARIO)))


@pytest.fixture(scope="module")
def final_api() -> MockApi:
    """The API over the scenario's final state."""
    return MockApi(ChatState.from_scenario(parse_scenario(SCENARIO)))


def get(api: MockApi, path: str, query: str = "", headers: dict[str, str] | None = None) -> Any:
    """GET through the core; return (status, decoded body)."""
    response = api.handle("GET", path, query, AUTH if headers is None else headers, root="https://sod.test")
    return response.status, response.json()


def post(api: MockApi, path: str, query: str = "", body: Any = None) -> Any:
    """POST JSON through the core; return (status, decoded body)."""
    data = b"" if body is None else json.dumps(body).encode()
    response = api.handle("POST", path, query, AUTH, data)
    return response.status, response.json()


# --- shapes ---------------------------------------------------------------------------------------


def test_rest_session_has_the_documented_keys_in_order_then_links(
    final_api: MockApi, plans: list[Any]
) -> None:
    """GET ChatSession/{id} answers ChatSessionEntityWithLinks key for key, _Links last."""
    status, body = get(final_api, f"/api/v1/ChatSession/{plans[0].session_id}")
    assert status == 200
    assert list(body) == [*SESSION_KEYS, "_Links"]
    assert body["_Links"] == {
        "Self": f"https://sod.test/api/v1/ChatSession/{plans[0].session_id}",
        "Archive": "https://sod.test/api/v1/ChatSession",
    }


def test_agent_session_has_the_documented_keys_without_links(final_api: MockApi, plans: list[Any]) -> None:
    """The agent GetChatSessionEntity answers the same entity without _Links."""
    status, body = post(
        final_api, "/api/v1/Agents/Chat/GetChatSessionEntity", f"chatSessionEntityId={plans[0].session_id}"
    )
    assert status == 200
    assert list(body) == SESSION_KEYS


def test_nested_carriers_have_the_documented_keys(final_api: MockApi, plans: list[Any]) -> None:
    """User, Person, Contact, Project, Sale and Ticket carry their documented keys in order."""
    _, body = get(final_api, f"/api/v1/ChatSession/{plans[0].session_id}")
    assert list(body["User"]) == ASSOCIATE_KEYS
    assert list(body["Person"]) == PERSON_KEYS
    assert list(body["Contact"]) == CONTACT_KEYS
    assert list(body["Project"]) == PROJECT_KEYS
    assert list(body["Sale"]) == SALE_KEYS
    assert list(body["Ticket"]) == TICKET_KEYS
    assert body["TransferTo"] is None


def test_messages_have_the_documented_keys(final_api: MockApi, plans: list[Any]) -> None:
    """Every ChatMessage, REST and agent, has the documented keys in order."""
    sid = plans[0].session_id
    _, rest = get(final_api, f"/api/v1/ChatSession/{sid}/Messages")
    _, agent = post(final_api, "/api/v1/Agents/Chat/GetChatMessages", body={"ChatSessionId": sid, "After": 0})
    assert rest == agent
    assert len(rest) == len(plans[0].messages)
    assert all(list(message) == MESSAGE_KEYS for message in rest)


def test_topic_has_the_documented_keys_and_the_scenario_name(final_api: MockApi) -> None:
    """GET ChatTopic/{id} and the agent variant answer ChatTopicEntity with the scenario's name."""
    status, rest = get(final_api, "/api/v1/ChatTopic/4")
    _, agent = post(final_api, "/api/v1/Agents/Chat/GetChatTopicEntity", "chatTopicEntityId=4")
    assert status == 200
    assert list(rest) == [*TOPIC_KEYS, "_Links"]
    assert list(agent) == TOPIC_KEYS
    assert (rest["ChatTopicId"], rest["Name"]) == (4, "Billing")


def test_enums_are_names_and_dates_have_no_offset(final_api: MockApi, plans: list[Any]) -> None:
    """Status, Type and SpecialType are enum names; dates are local without an offset."""
    sid = plans[0].session_id
    _, session = get(final_api, f"/api/v1/ChatSession/{sid}")
    _, messages = get(final_api, f"/api/v1/ChatSession/{sid}/Messages")
    assert session["Status"] == "Finished"
    assert {m["Type"] for m in messages} <= {t.name for t in so.ChatMessageType}
    assert "ToUser" in {m["Type"] for m in messages}
    assert {m["SpecialType"] for m in messages} <= {t.api_name for t in so.ChatMessageSpecialType}
    assert "Welcome" in {m["SpecialType"] for m in messages}
    dates = [session[k] for k in ("WhenRequested", "WhenStarted", "WhenEnded", "WhenIdle")]
    assert all(DATE.match(d) for d in dates + [m["WhenPosted"] for m in messages])
    assert session["WhenFetched"] == UNSET
    assert session["WhenRequested"] == format_date(plans[0].events[0].event.ticks)
    assert session["WhenRequested"].startswith("2026-01-05T07:59:59.")


def test_api_dates_match_the_webhook_timestamp(final_api: MockApi, plans: list[Any]) -> None:
    """WhenPosted and WhenRequested are the webhook Timestamp's instant, fraction included."""
    webhook = Webhook()
    plan_ = plans[0]
    _, session = get(final_api, f"/api/v1/ChatSession/{plan_.session_id}")
    _, messages = get(final_api, f"/api/v1/ChatSession/{plan_.session_id}/Messages")
    stamps = {
        t.event.message.message_id: json.loads(render(t.event, webhook).body)["Timestamp"]
        for t in plan_.events
        if t.event.message is not None
    }
    assert messages and all(m["WhenPosted"] + "Z" == stamps[m["ChatMessageId"]] for m in messages)
    assert any("." in m["WhenPosted"] for m in messages)
    created = json.loads(render(plan_.events[0].event, webhook).body)["Timestamp"]
    assert session["WhenRequested"] + "Z" == created


def test_session_fields_come_from_the_simulation(final_api: MockApi, plans: list[Any]) -> None:
    """The customer, agent, topic and first/last message are the ones sosim generated."""
    plan = plans[1]
    _, body = get(final_api, f"/api/v1/ChatSession/{plan.session_id}")
    last = plan.events[-1].event.fields
    texts = [m.text for m in plan.messages if m.text]
    assert body["CustomerName"] == plan.profile.name
    assert body["CustomerEmail"] == plan.profile.email
    assert body["TopicId"] == plan.topic_id == last.topic_id
    assert body["User"]["EjUserId"] == last.user_id
    assert body["User"]["FullName"] in {"Kari Nordmann", "Ola Hansen"}
    assert body["Person"]["PersonId"] == last.customer_id
    assert body["Ticket"]["TicketId"] == last.ticket_id
    assert (body["FirstMessage"], body["LastMessage"]) == (texts[0], texts[-1])


# --- the state as of each event -------------------------------------------------------------------


def test_messages_agree_with_the_webhooks_and_appear_only_once_announced(plans: list[Any]) -> None:
    """After each message webhook's event, ?after=<previous id> returns exactly that message."""
    scenario = parse_scenario(SCENARIO)
    webhook = Webhook(context_identifier="Cust777", secret="unit-secret")
    state = ChatState()
    state.add_scenario(scenario)
    api = MockApi(state)
    cursors: dict[int, int] = {}
    checked = 0
    for timed in merge_sessions((p.start_s, p.events) for p in plans):
        event = timed.event
        request = render(event, webhook)
        if event.message is not None:
            before = get(
                api,
                f"/api/v1/ChatSession/{event.session_id}/Messages",
                f"after={cursors.get(event.session_id, 0)}",
            )
            assert before[0] != 200 or before[1] == []  # not visible before its webhook
        state.announce(event)
        if event.message is None:
            continue
        assert json.loads(request.body)["PrimaryKey"] == event.session_id
        status, fetched = get(
            api,
            f"/api/v1/ChatSession/{event.session_id}/Messages",
            f"after={cursors.get(event.session_id, 0)}",
        )
        assert status == 200
        message = event.message
        assert [
            (m["ChatMessageId"], m["Type"], m["Author"], m["Message"], m["SpecialType"]) for m in fetched
        ] == [
            (
                message.message_id,
                message.type.name,
                message.author,
                message.text,
                message.special_type.api_name,
            )
        ]
        cursors[event.session_id] = message.message_id
        checked += 1
    assert checked == sum(len(p.messages) for p in plans)


def test_status_follows_the_announced_events(plans: list[Any]) -> None:
    """A new session is InQueue with WhenStarted/WhenEnded unset; after its end it is Finished."""
    state = ChatState()
    api = MockApi(state)
    events = [t.event for t in plans[0].events]
    state.announce(events[0])
    _, early = get(api, f"/api/v1/ChatSession/{plans[0].session_id}")
    for event in events[1:]:
        state.announce(event)
    _, late = get(api, f"/api/v1/ChatSession/{plans[0].session_id}")
    assert (early["Status"], early["WhenStarted"], early["WhenEnded"], early["User"]) == (
        "InQueue",
        UNSET,
        UNSET,
        None,
    )
    assert early["FirstMessage"] == ""
    assert late["Status"] == "Finished"
    assert late["WhenStarted"] != UNSET and late["WhenEnded"] != UNSET


def test_announcing_an_event_twice_changes_nothing(plans: list[Any]) -> None:
    """A retried webhook announces its event again; the message is not duplicated."""
    state = ChatState()
    for timed in plans[0].events:
        state.announce(timed.event)
        state.announce(timed.event)
    assert [m.message_id for m in state.messages(plans[0].session_id) or []] == [
        m.message_id for m in plans[0].messages
    ]


def test_initial_queue_position_counts_sessions_waiting(plans: list[Any]) -> None:
    """InitialQueuePos is the number of sessions in the queue when the session was requested, plus one."""
    state = ChatState()
    for plan in plans:
        state.announce(plan.events[0].event)
    positions = [
        get(MockApi(state), f"/api/v1/ChatSession/{p.session_id}")[1]["InitialQueuePos"] for p in plans
    ]
    assert positions == [1, 2, 3]


def test_sessions_override_the_scenarios_count_like_generate() -> None:
    """ChatState.from_scenario(sessions=N) serves N sessions, with the ids sosim generate would use."""
    state = ChatState.from_scenario(parse_scenario(SCENARIO), sessions=5)
    assert state.session_ids == list(range(178105, 178110))


# --- paging ---------------------------------------------------------------------------------------


def test_after_returns_only_later_messages_in_ascending_order(final_api: MockApi, plans: list[Any]) -> None:
    """?after=N returns the messages with ChatMessageId above N, ascending; after the last, none."""
    plan = plans[2]
    ids = [m.message_id for m in plan.messages]
    path = f"/api/v1/ChatSession/{plan.session_id}/Messages"
    assert [m["ChatMessageId"] for m in get(final_api, path, "after=0")[1]] == ids
    assert [m["ChatMessageId"] for m in get(final_api, path, f"after={ids[2]}")[1]] == ids[3:]
    assert get(final_api, path, f"after={ids[-1]}")[1] == []
    assert [m["ChatMessageId"] for m in get(final_api, path)[1]] == ids
    _, agent = post(
        final_api,
        "/api/v1/Agents/Chat/GetChatMessages",
        body={"chatSessionId": plan.session_id, "after": ids[1]},
    )
    assert [m["ChatMessageId"] for m in agent] == ids[2:]


def test_a_malformed_after_is_a_bad_request(final_api: MockApi, plans: list[Any]) -> None:
    """?after=abc is answered 400 with the error body, not a crash."""
    status, body = get(final_api, f"/api/v1/ChatSession/{plans[0].session_id}/Messages", "after=abc")
    assert status == 400
    assert list(body) == ERROR_KEYS


# --- auth, errors, routing ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic !!not-base64"},
        {"Authorization": "Basic bm9jb2xvbg=="},  # "nocolon": not user:password
        {"Authorization": "SOTicket 7T:xyz"},
        {"Authorization": "SOTicket 7T:xyz", "SO-AppToken": " "},
        {"Authorization": "Negotiate abc"},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer   "},
    ],
    ids=[
        "none",
        "basic-not-base64",
        "basic-without-colon",
        "soticket-without-apptoken",
        "soticket-blank-apptoken",
        "negotiate",
        "bearer-without-token",
        "blank-token",
    ],
)
def test_requests_without_a_documented_credential_get_401(
    final_api: MockApi, plans: list[Any], headers: dict[str, str]
) -> None:
    """Without Bearer, SOTicket plus SO-AppToken, or Basic user:password the API answers 401 with the
    error body (auth-header-types.md: SOTicket needs the SO-AppToken header)."""
    response = final_api.handle("GET", f"/api/v1/ChatSession/{plans[0].session_id}", "", headers)
    assert response.status == 401
    assert ("WWW-Authenticate", "Bearer") in response.headers
    assert list(response.json()) == ERROR_KEYS


@pytest.mark.parametrize(
    "value", ["Bearer 8A:Cust777.abc", "SOTicket 7T:xyz", "soticket 7T:xyz", "BEARER t", "Basic dGplMDpUamUw"]
)
def test_documented_schemes_are_accepted_case_insensitively(
    final_api: MockApi, plans: list[Any], value: str
) -> None:
    """Bearer, SOTicket (with SO-AppToken) and Basic (onsite) pass, whatever their case."""
    headers = {"authorization": value, "SO-AppToken": "f2398a3a"}
    assert get(final_api, f"/api/v1/ChatSession/{plans[0].session_id}", headers=headers)[0] == 200


def test_tokens_option_matches_basic_by_user_and_password(plans: list[Any]) -> None:
    """With MockApiOptions(tokens=...), Basic passes when its user:password is listed."""
    api = MockApi(
        ChatState.from_scenario(parse_scenario(SCENARIO)), MockApiOptions(tokens=frozenset({"tje0:Tje0"}))
    )
    path = f"/api/v1/ChatSession/{plans[0].session_id}"
    assert get(api, path, headers={"Authorization": "Basic dGplMDpUamUw"})[0] == 200
    assert get(api, path, headers={"Authorization": "Basic dGplMDp3cm9uZw=="})[0] == 401


def test_tokens_option_accepts_only_the_given_credentials(plans: list[Any]) -> None:
    """With MockApiOptions(tokens=...), other credentials get 401."""
    api = MockApi(
        ChatState.from_scenario(parse_scenario(SCENARIO)), MockApiOptions(tokens=frozenset({"good"}))
    )
    path = f"/api/v1/ChatSession/{plans[0].session_id}"
    assert get(api, path, headers={"Authorization": "Bearer good"})[0] == 200
    assert get(api, path, headers={"Authorization": "Bearer bad"})[0] == 401


@pytest.mark.parametrize(
    ("method", "path", "query", "message"),
    [
        ("GET", "/api/v1/ChatSession/999", "", "ChatSession id 999 not found"),
        ("GET", "/api/v1/ChatSession/999/Messages", "after=0", "ChatSession id 999 not found"),
        ("GET", "/api/v1/ChatTopic/999", "", "ChatTopic id 999 not found"),
        (
            "POST",
            "/api/v1/Agents/Chat/GetChatSessionEntity",
            "chatSessionEntityId=999",
            "ChatSession id 999 not found",
        ),
    ],
)
def test_unknown_ids_get_404_with_the_documented_error_body(
    final_api: MockApi, method: str, path: str, query: str, message: str
) -> None:
    """An unknown id is answered 404 with Error/ErrorType/ErrorMessage/ErrorSource, and a reason
    phrase that names the entity, as the documented "HTTP 404 Contact Not Found"."""
    response = final_api.handle(method, path, query, AUTH)
    assert response.status == 404
    assert response.reason == message.split(" id ")[0] + " Not Found"
    assert response.json() == {
        "Error": True,
        "ErrorType": "SoNotFoundException",
        "ErrorMessage": message,
        "ErrorSource": "SuperOffice.Services.Implementation",
    }


def test_agent_not_found_can_answer_null(plans: list[Any]) -> None:
    """With agent_not_found="null" the agent endpoints answer 200 null / [] for unknown ids."""
    api = MockApi(ChatState(), MockApiOptions(agent_not_found="null"))
    assert post(api, "/api/v1/Agents/Chat/GetChatSessionEntity", "chatSessionEntityId=5") == (200, None)
    assert post(api, "/api/v1/Agents/Chat/GetChatMessages", body={"ChatSessionId": 5}) == (200, [])
    assert get(api, "/api/v1/ChatSession/5")[0] == 404


def test_tenant_prefix_and_path_case_are_accepted(final_api: MockApi, plans: list[Any]) -> None:
    """/{ContextIdentifier}/api/v1/... works in any case, and _Links keep the prefix."""
    sid = plans[0].session_id
    status, body = get(final_api, f"/cust777/API/V1/chatsession/{sid}")
    assert status == 200
    assert body["_Links"]["Self"] == f"https://sod.test/cust777/api/v1/ChatSession/{sid}"
    assert get(final_api, f"/Cust777/api/v1/ChatSession/{sid}/MESSAGES", "AFTER=0")[0] == 200


def test_unknown_tenants_and_paths_get_404(final_api: MockApi, plans: list[Any]) -> None:
    """Another tenant, a deeper prefix or an unknown endpoint answer 404 with the error body."""
    sid = plans[0].session_id
    for path in (
        f"/Cust1/api/v1/ChatSession/{sid}",
        f"/a/b/api/v1/ChatSession/{sid}",
        "/api/v1/Contact/1",
        "/api/v1/ChatSession/x",
    ):
        status, body = get(final_api, path)
        assert (status, list(body)) == (404, ERROR_KEYS), path


def test_wrong_method_gets_405_with_allow(final_api: MockApi, plans: list[Any]) -> None:
    """POST to a GET endpoint (and GET to an agent endpoint) is 405 naming the allowed methods."""
    response = final_api.handle("POST", f"/api/v1/ChatSession/{plans[0].session_id}", "", AUTH)
    assert (response.status, dict(response.headers)["Allow"]) == (405, "GET, PUT, PATCH")
    response = final_api.handle("DELETE", f"/api/v1/ChatSession/{plans[0].session_id}/Messages", "", AUTH)
    assert (response.status, dict(response.headers)["Allow"]) == (405, "GET, POST")
    assert final_api.handle("GET", "/api/v1/Agents/Chat/GetChatMessages", "", AUTH).status == 405


def test_agent_requests_validate_their_input(final_api: MockApi) -> None:
    """A missing id or a body that is not a JSON object is a 400, not a crash."""
    assert post(final_api, "/api/v1/Agents/Chat/GetChatSessionEntity")[0] == 400
    assert final_api.handle("POST", "/api/v1/Agents/Chat/GetChatMessages", "", AUTH, b"[1]").status == 400
    assert final_api.handle("POST", "/api/v1/Agents/Chat/GetChatMessages", "", AUTH, b"{").status == 400


def test_select_nulls_the_other_fields(final_api: MockApi, plans: list[Any]) -> None:
    """$select keeps the listed properties, nulls the rest and keeps every key."""
    _, body = get(final_api, f"/api/v1/ChatSession/{plans[0].session_id}", "%24select=status,TopicId")
    assert list(body) == [*SESSION_KEYS, "_Links"]
    assert body["Status"] == "Finished" and body["TopicId"] == plans[0].topic_id
    assert body["CustomerName"] is None and body["User"] is None


def test_calls_are_recorded(plans: list[Any]) -> None:
    """Each answered request is kept (method, path, status) for assertions."""
    api = MockApi(ChatState())
    api.handle("GET", "/api/v1/ChatSession/1", "", AUTH)
    assert [(c.method, c.path, c.status) for c in api.calls] == [("GET", "/api/v1/ChatSession/1", 404)]


# --- the in-process faces -------------------------------------------------------------------------


def test_mock_transport_serves_the_same_bytes(final_api: MockApi, plans: list[Any]) -> None:
    """An httpx client on mock_transport gets exactly what the core answers."""
    path = f"/Cust777/api/v1/ChatSession/{plans[0].session_id}/Messages"
    with httpx.Client(transport=mock_transport(final_api), base_url="https://sod.test") as client:
        answer = client.get(path, params={"after": 0}, headers=AUTH)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json; charset=utf-8"
    assert answer.content == final_api.handle("GET", path, "after=0", AUTH).body


def test_respx_router_answers_only_its_base_url(final_api: MockApi, plans: list[Any]) -> None:
    """Inside the respx router, requests to the API base are answered by the mock."""
    router = respx_router(final_api, "https://sod.example.com", pass_through=False)
    with router, httpx.Client() as client:
        ok = client.get(
            f"https://sod.example.com/Cust777/api/v1/ChatSession/{plans[0].session_id}", headers=AUTH
        )
        denied = client.get(f"https://sod.example.com/Cust777/api/v1/ChatSession/{plans[0].session_id}")
        calls = router["sosim-api"].call_count
        with pytest.raises(AssertionError, match="not mocked"):  # other hosts are not let through
            client.get("https://elsewhere.example.com/")
    assert calls == 2
    assert ok.json()["ChatSessionId"] == plans[0].session_id
    assert ok.json()["_Links"]["Self"].startswith("https://sod.example.com/Cust777/api/v1/")
    assert denied.status_code == 401


def test_asgi_app_serves_the_same_json(final_api: MockApi, plans: list[Any]) -> None:
    """The raw ASGI app, called through httpx.ASGITransport, answers as the core does."""
    sid = plans[0].session_id

    async def fetch() -> httpx.Response:
        transport = httpx.ASGITransport(app=MockApiApp(final_api))
        async with httpx.AsyncClient(transport=transport, base_url="http://api.local") as client:
            return await client.post(
                "/Cust777/api/v1/Agents/Chat/GetChatMessages",
                json={"ChatSessionId": sid, "After": 0},
                headers=AUTH,
            )

    answer = asyncio.run(fetch())
    assert answer.status_code == 200
    assert [m["ChatMessageId"] for m in answer.json()] == [m.message_id for m in plans[0].messages]


# --- following a delivery -------------------------------------------------------------------------


class _Recorder:
    """A delivery transport that records what the state showed when each request went out."""

    target = "memory://"

    def __init__(self, state: ChatState) -> None:
        self.state = state
        self.seen: list[tuple[str, list[int]]] = []

    async def send(self, headers: Any, body: bytes) -> Response:
        payload = json.loads(body)
        visible = [m.message_id for m in self.state.messages(payload["PrimaryKey"]) or []]
        self.seen.append((payload["EventId"], visible))
        return Response(200)

    async def aclose(self) -> None:
        return None


def test_announcer_makes_each_event_visible_when_its_webhook_is_sent(plans: list[Any]) -> None:
    """follow() only notes events; the wrapped transport announces each one right before sending."""
    api = MockApi(ChatState())
    announcer = Announcer(api)
    webhook = Webhook(secret="s")
    events = [t.event for t in plans[0].events]
    planned = [Planned(0.0, render(e, webhook), "unit", e) for e in events]
    followed = list(announcer.follow(planned))
    assert api.state.session_ids == [] and announcer.pending == len(events)
    recorder = _Recorder(api.state)
    transport = announcer.wrap(recorder)

    async def send_all() -> None:
        for item in followed:
            await transport.send(item.request.headers, item.request.body)
        await transport.send(followed[0].request.headers, followed[0].request.body)  # a retry

    asyncio.run(send_all())
    expected: list[int] = []
    for event, (event_id, visible) in zip(events, recorder.seen, strict=False):
        if event.message is not None:
            expected.append(event.message.message_id)
        assert (event_id, visible) == (event.event_id, expected)
    assert announcer.pending == 0 and api.state.announced == len(events)


def test_a_late_webhook_does_not_hide_earlier_messages_of_its_session(plans: list[Any]) -> None:
    """Sending a session's later webhook first (a retry or reorder) also shows its earlier events."""
    api = MockApi(ChatState())
    announcer = Announcer(api)
    webhook = Webhook(secret="s")
    first, second = ([t.event for t in plan.events] for plan in plans[:2])
    message_events = [e for e in first if e.message is not None]
    later = message_events[1]
    list(announcer.follow(Planned(0.0, render(e, webhook), "unit", e) for e in [*first, *second]))
    assert announcer.announce_for(render(later, webhook).headers) == later
    visible = [m.message_id for m in api.state.messages(later.session_id) or []]
    assert visible == [e.message.message_id for e in message_events[:2] if e.message is not None]
    assert api.state.session_ids == [later.session_id]  # the other session is not announced
    assert announcer.announce_for(render(message_events[0], webhook).headers) is None  # already shown


def test_requests_without_an_event_announce_nothing() -> None:
    """A replayed request (no event) or an unknown EventId leaves the state alone."""
    announcer = Announcer(MockApi(ChatState()))
    event = Event(so.EVENT_CREATED, 5, 1, "id-1", 0, SessionFields())
    request = Request(so.EVENT_CREATED, "id-2", 5, ((so.HEADER_EVENT_ID, "id-2"),), b"{}")
    list(announcer.follow([Planned(0.0, request, "replay")]))
    assert announcer.announce_for(request.headers) is None
    announcer.note(event)
    assert announcer.announce_for(((so.HEADER_EVENT_ID.upper(), "id-1"),)) == event


# --- the --serve-api value and the layering ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1:8765", ("127.0.0.1", 8765)), (":0", ("127.0.0.1", 0)), ("[::1]:9000", ("::1", 9000))],
)
def test_serve_api_value_is_host_and_port(text: str, expected: tuple[str, int]) -> None:
    """--serve-api takes HOST:PORT (an empty host means 127.0.0.1)."""
    assert parse_host_port(text) == expected


@pytest.mark.parametrize("text", ["8765", "host:", "host:http", "host:70000"])
def test_serve_api_rejects_other_values(text: str) -> None:
    """A value that is not HOST:PORT is refused with an example (the CLI names --serve-api)."""
    with pytest.raises(ValueError, match="expected HOST:PORT"):
        parse_host_port(text)
