"""GET ChatSession/default, ChatSession/ForCurrentUser and dates under SO-TimeZone / includeTZOffset."""

from __future__ import annotations

import re
from typing import Any

import pytest

from simulator.core.generate import SessionPlan, generate_sessions
from simulator.core.scenario import parse_scenario
from simulator.mockapi.shapes import UTC_DATE_KEYS, ZONED_DATE_KEYS
from simulator.mockapi.state import ChatState, MockApi, MockApiOptions

AUTH = {"Authorization": "Bearer test-token"}
UNSET = "0001-01-01T00:00:00"
DATE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?$")
SCENARIO = """
name: reads-unit
seed: 11
start: 2026-01-05T12:00:00Z
webhook: {context_identifier: Cust777, secret: unit-secret}
population:
  agents: [{associate_id: 316, user_id: 16, name: Kari Nordmann}]
  topics: [{id: 3, name: Support}, {id: 4, name: Billing}]
  known_customer_probability: 1.0
arrivals: {sessions: 6, process: uniform, rate: 1/min}
flow:
  queue: {abandon_probability: 0}
  conversation: {turns: 2}
  end: {ended_by: {user: 1.0}}
  links: {ticket: 1.0, sale: 1.0, project: 1.0}
"""
# The documented ChatSessionEntity keys (v1ChatSessionEntity_DefaultChatSessionEntity.md sample).
SESSION_KEYS = [
    "ChatSessionId", "TopicId", "User", "Person", "CustomerAlias", "CustomerHost", "CustomerName",
    "CustomerEmail", "CustomerPhone", "CustomerConsented", "CustomerCompanyName", "Status",
    "FirstMessage", "LastMessage", "WhenRequested", "WhenStarted", "WhenEnded", "WhenIdle",
    "WhenFetched", "SessionKey", "InitialQueuePos", "AlertLevel", "Rank", "Flags", "Contact",
    "Project", "Sale", "Ticket", "TransferTo", "ChatbotIsActive", "Rating", "TableRight",
    "FieldProperties",
]  # fmt: skip


@pytest.fixture(scope="module")
def plans() -> list[SessionPlan]:
    """Six sessions over two topics, picked up and linked to a ticket, sale and project."""
    return list(generate_sessions(parse_scenario(SCENARIO)))


@pytest.fixture(scope="module")
def api() -> MockApi:
    """The API over the scenario's final state."""
    return MockApi(ChatState.from_scenario(parse_scenario(SCENARIO)))


def get(api: MockApi, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """GET through the core with AUTH (plus ``headers``); (status, decoded body)."""
    response = api.handle("GET", path, "", {**AUTH, **(headers or {})}, root="https://sod.test")
    return response.status, response.json()


# --- ChatSession/default and ForCurrentUser -------------------------------------------------------


def test_default_session_is_a_new_entity_with_zero_values(api: MockApi) -> None:
    """GET ChatSession/default (CreateDefault): the documented keys, id 0, nothing set, no links."""
    status, body = get(api, "/Cust777/api/v1/ChatSession/default")
    assert status == 200
    assert list(body) == SESSION_KEYS
    assert (body["ChatSessionId"], body["TopicId"], body["User"], body["Person"]) == (0, 0, None, None)
    assert (body["Status"], body["SessionKey"], body["Rating"]) == ("Invalid", "", 0)
    assert all(body[key] == UNSET for key in ("WhenRequested", "WhenStarted", "WhenEnded", "WhenIdle"))
    assert get(api, "/api/v1/chatsession/DEFAULT")[1] == body  # paths match in any case


def test_for_current_user_lists_every_session_entity(api: MockApi, plans: list[SessionPlan]) -> None:
    """GET ChatSession/ForCurrentUser: an array of ChatSessionEntity, without links."""
    status, body = get(api, "/api/v1/ChatSession/ForCurrentUser")
    assert status == 200
    assert [s["ChatSessionId"] for s in body] == [p.session_id for p in plans]
    assert all(list(s) == SESSION_KEYS for s in body)
    _, one = get(api, f"/api/v1/ChatSession/{plans[0].session_id}")
    assert body[0] == {k: v for k, v in one.items() if k != "_Links"}


def test_for_current_user_keeps_the_topics_the_user_is_a_member_of(plans: list[SessionPlan]) -> None:
    """With current_user_topics, only sessions of those topics are the user's."""
    state = ChatState.from_scenario(parse_scenario(SCENARIO))
    api = MockApi(state, MockApiOptions(current_user_topics=frozenset({4})))
    _, body = get(api, "/api/v1/ChatSession/ForCurrentUser")
    assert [s["ChatSessionId"] for s in body] == [
        p.session_id for p in plans if p.events[0].event.fields.topic_id == 4
    ]
    assert {s["TopicId"] for s in body} == {4}


def test_the_new_reads_are_get_only(api: MockApi) -> None:
    """Other methods on the new GET routes are 405 with Allow: GET."""
    for path in (
        "/api/v1/ChatSession/default",
        "/api/v1/ChatSession/ForCurrentUser",
        "/api/v1/ChatTopic/3/Sessions",
    ):
        response = api.handle("DELETE", path, "", AUTH)
        assert response.status == 405 and dict(response.headers)["Allow"] == "GET"


# --- SO-TimeZone ----------------------------------------------------------------------------------


def session_and_messages(api: MockApi, sid: int, zone: str | None) -> tuple[Any, Any]:
    headers = {} if zone is None else {"SO-TimeZone": zone}
    return (
        get(api, f"/api/v1/ChatSession/{sid}", headers)[1],
        get(api, f"/api/v1/ChatSession/{sid}/Messages", headers)[1],
    )


def test_time_zone_converts_dates_without_a_suffix(api: MockApi, plans: list[SessionPlan]) -> None:
    """SO-TimeZone: US-NY (or its id 460) gives New York time, still without a zone suffix."""
    sid = plans[0].session_id
    base, _ = session_and_messages(api, sid, None)
    ny, _ = session_and_messages(api, sid, "US-NY")
    assert base["WhenRequested"].startswith("2026-01-05T11:59:")  # UTC: the tenant's base zone
    assert ny["WhenRequested"] == "2026-01-05T06" + base["WhenRequested"][13:]  # -5:00 in January
    assert DATE.match(ny["WhenEnded"]) and ny["WhenEnded"] != base["WhenEnded"]
    assert session_and_messages(api, sid, "460")[0] == ny
    assert ny["WhenFetched"] == UNSET  # an unset date stays unset


def test_include_tz_offset_appends_the_offset_without_a_colon(api: MockApi, plans: list[SessionPlan]) -> None:
    """SO-TimeZone: NO, includeTZOffset: +0100 on converted dates; WhenPosted (UTC) is tagged Z."""
    sid = plans[0].session_id
    base, base_messages = session_and_messages(api, sid, None)
    oslo, messages = session_and_messages(api, sid, "NO, includeTZOffset")
    assert oslo["WhenRequested"] == "2026-01-05T12" + base["WhenRequested"][13:] + "+0100"
    assert [m["WhenPosted"] for m in messages] == [m["WhenPosted"] + "Z" for m in base_messages]
    assert oslo["Ticket"]["CreatedAt"] == base["Ticket"]["CreatedAt"] + "Z"  # Created dates: UTC
    assert oslo["Ticket"]["Deadline"] == UNSET
    assert session_and_messages(api, sid, "no, INCLUDETZOFFSET")[0] == oslo


def test_time_zone_follows_daylight_saving_time() -> None:
    """A July date in US-NY is -0400, not -0500."""
    summer = SCENARIO.replace("2026-01-05T12:00:00Z", "2026-07-06T12:00:00Z")
    api = MockApi(ChatState.from_scenario(parse_scenario(summer)))
    sid = ChatState.from_scenario(parse_scenario(summer)).session_ids[0]
    _, body = get(api, f"/api/v1/ChatSession/{sid}", {"SO-TimeZone": "US-NY,includeTZOffset"})
    assert body["WhenRequested"].startswith("2026-07-06T07:59:") and body["WhenRequested"].endswith("-0400")


def test_time_zone_applies_to_the_archive_rows(api: MockApi) -> None:
    """The OData archive's date columns follow SO-TimeZone too."""
    path = "/api/v1/ChatSession"
    base = api.handle("GET", path, "$top=1", AUTH).json()["value"][0]
    zoned = api.handle("GET", path, "$top=1", {**AUTH, "SO-TimeZone": "UTC, includeTZOffset"}).json()
    assert zoned["value"][0]["whenRequested"] == base["whenRequested"] + "+0000"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Mars", "unknown time zone 'Mars'"),
        ("999", "unknown time zone '999'"),
        ("NO, wide", "unknown option"),
    ],
)
def test_an_unknown_time_zone_is_a_400(
    api: MockApi, plans: list[SessionPlan], value: str, message: str
) -> None:
    """A zone or option the docs do not list is 400 ArgumentException naming it, never a 500."""
    status, body = get(api, f"/api/v1/ChatSession/{plans[0].session_id}", {"SO-TimeZone": value})
    assert status == 400 and body["ErrorType"] == "ArgumentException"
    assert message in body["ErrorMessage"]


def test_every_date_in_an_entity_is_classified(api: MockApi, plans: list[SessionPlan]) -> None:
    """Each date-valued key of a full session (carriers included) is either zoned or always-UTC."""
    _, body = get(api, f"/api/v1/ChatSession/{plans[0].session_id}")
    _, messages = get(api, f"/api/v1/ChatSession/{plans[0].session_id}/Messages")
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, str) and DATE.match(item):
                    found.add(key)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk([body, messages])
    assert found and found <= ZONED_DATE_KEYS | UTC_DATE_KEYS
