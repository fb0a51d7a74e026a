"""GET /api/v1/ChatSession: the OData archive list a receiver uses to find missed sessions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest

from simulator.core.generate import SessionPlan, generate_sessions
from simulator.core.scenario import parse_scenario
from simulator.mockapi.odata import COLUMNS
from simulator.mockapi.state import ChatState, MockApi
from simulator.superoffice import facts as so

AUTH = {"Authorization": "Bearer test-token"}
SCENARIO = """
name: archive-unit
seed: 3
webhook: {context_identifier: Cust777, secret: unit-secret}
population:
  topics: [{id: 3, name: Support}, {id: 4, name: Billing}]
arrivals: {sessions: 12, process: uniform, rate: 1/h}
flow:
  entry: {InQueue: 1.0}
  chatbot: {probability: 0}
  queue: {abandon_probability: 0.3, offline_form_probability: 0}
  end: {rating: {probability: 0.5}}
"""


@pytest.fixture(scope="module")
def plans() -> list[SessionPlan]:
    """Twelve sessions an hour apart, some abandoned in the queue."""
    return list(generate_sessions(parse_scenario(SCENARIO)))


@pytest.fixture(scope="module")
def api() -> MockApi:
    """The API over the scenario's final state."""
    return MockApi(ChatState.from_scenario(parse_scenario(SCENARIO)))


def archive(api: MockApi, **params: str) -> tuple[int, Any]:
    """GET /api/v1/ChatSession with OData parameters; (status, decoded body)."""
    query = urlencode(params)
    response = api.handle("GET", "/Cust777/api/v1/ChatSession", query, AUTH, root="https://sod.test")
    return response.status, response.json()


def finals(plans: list[SessionPlan]) -> dict[int, Any]:
    """Each session's last FieldValues, by session id."""
    return {p.session_id: p.events[-1].event.fields for p in plans}


def test_archive_lists_every_session_in_the_slim_envelope(api: MockApi, plans: list[SessionPlan]) -> None:
    """Without parameters, every session is a row with PrimaryKey, EntityName and the columns."""
    status, body = archive(api)
    assert status == 200
    assert list(body) == ["odata.metadata", "value"]  # no nextLink: nothing remains
    assert body["odata.metadata"] == "https://sod.test/Cust777/api/v1/archive$metadata"
    rows = body["value"]
    assert [r["PrimaryKey"] for r in rows] == [p.session_id for p in plans]
    assert list(rows[0]) == ["PrimaryKey", "EntityName", *COLUMNS]
    assert rows[0]["EntityName"] == "chat"
    assert rows[0]["status"] == int(plans[0].events[-1].event.fields.status)


def test_top_and_skip_page_with_a_next_link(api: MockApi, plans: list[SessionPlan]) -> None:
    """$top/$skip page the rows; odata.nextLink points at the next page while rows remain."""
    ids = [p.session_id for p in plans]
    status, body = archive(api, **{"$top": "5", "$skip": "2", "$select": "chatSessionId"})
    assert status == 200
    assert [r["chatSessionId"] for r in body["value"]] == ids[2:7]
    assert body["odata.nextLink"] == (
        "https://sod.test/Cust777/api/v1/ChatSession?$top=5&$skip=7&$select=chatSessionId"
    )
    _, last = archive(api, **{"$top": "5", "$skip": "10"})
    assert [r["PrimaryKey"] for r in last["value"]] == ids[10:]
    assert "odata.nextLink" not in last


def test_filter_on_status_with_eq_and_and(api: MockApi, plans: list[SessionPlan]) -> None:
    """$filter 'status eq N' selects by the status's int; 'and' combines conditions."""
    by_status = finals(plans)
    abandoned = [sid for sid, f in by_status.items() if f.status == so.ChatSessionStatus.ClosedFromQueue]
    assert abandoned and len(abandoned) < len(plans)
    _, body = archive(api, **{"$filter": f"status eq {int(so.ChatSessionStatus.ClosedFromQueue)}"})
    assert [r["PrimaryKey"] for r in body["value"]] == abandoned
    _, body = archive(api, **{"$filter": f"status eq 11 and chatSessionId gt {abandoned[0]}"})
    assert [r["PrimaryKey"] for r in body["value"]] == abandoned[1:]
    _, body = archive(api, **{"$filter": "rating gt 0", "$select": "rating"})
    assert body["value"] and all(r["rating"] > 0 for r in body["value"])


def test_filter_on_dates_finds_sessions_after_a_moment(api: MockApi, plans: list[SessionPlan]) -> None:
    """whenRequested gt/lt a zone-less date-time (tenant time, UTC) splits the sessions in time;
    a date alone means that whole day."""
    _, body = archive(
        api, **{"$filter": "whenRequested gt '2026-01-05T12:30:00'", "$select": "whenRequested"}
    )
    assert [r["PrimaryKey"] for r in body["value"]] == [p.session_id for p in plans[5:]]
    assert all(r["whenRequested"] > "2026-01-05T12:30:00" for r in body["value"])
    _, body = archive(
        api, **{"$filter": "whenRequested lt '2026-01-05T12:30:00' and whenRequested ge '2026-01-05'"}
    )
    assert [r["PrimaryKey"] for r in body["value"]] == [p.session_id for p in plans[:5]]
    _, body = archive(api, **{"$filter": "whenRequested eq '2026-01-06'"})
    assert body["value"] == []


def test_select_picks_columns_in_order(api: MockApi) -> None:
    """$select names columns in any case and keeps the requested order."""
    _, body = archive(api, **{"$select": "LastMessage,chatsessionid", "$top": "1"})
    assert list(body["value"][0]) == ["PrimaryKey", "EntityName", "lastMessage", "chatSessionId"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"$filter": "status eq 'x'"}, "status needs an integer"),
        ({"$filter": "status oneOf(5,6)"}, "cannot read"),
        ({"$filter": "status eq 5 or status eq 6"}, "only 'and'"),
        ({"$filter": "nosuch eq 1"}, "unknown column 'nosuch'"),
        ({"$filter": "status contains 5"}, "operator 'contains' is not supported"),
        ({"$filter": "whenEnded gt 'yesterday'"}, "is not a date"),
        ({"$filter": "status eq"}, "incomplete condition"),
        ({"$select": "customerEmail"}, "unknown column"),
        ({"$top": "-1"}, "$top"),
        ({"$mode": "full"}, "$mode is not supported"),
        ({"$orderBy": "status sideways"}, "expected 'column [asc|desc]'"),
        ({"$orderBy": "status,,rating"}, "an empty column"),
        ({"$orderBy": "nosuch desc"}, "unknown column 'nosuch'"),
    ],
)
def test_unsupported_queries_are_a_400_not_a_500(api: MockApi, params: dict[str, str], message: str) -> None:
    """An expression sosim does not support is answered 400 ArgumentException with the reason."""
    status, body = archive(api, **params)
    assert status == 400
    assert body["Error"] is True and body["ErrorType"] == "ArgumentException"
    assert message in body["ErrorMessage"]


def test_the_archive_is_get_only(api: MockApi) -> None:
    """Other methods on the list are 405 with Allow: GET."""
    response = api.handle("DELETE", "/api/v1/ChatSession", "", AUTH)
    assert response.status == 405


def test_a_rating_without_a_webhook_still_shows_in_the_api(api: MockApi, plans: list[SessionPlan]) -> None:
    """A rating sends no chatsession.changed, yet the API's session and archive row carry it."""
    rated = [p for p in plans if p.silent]
    assert rated
    for plan_ in rated:
        rating = plan_.silent[-1].fields.rating
        assert rating > 0
        assert all(t.event.fields.rating == 0 for t in plan_.events)  # no webhook carries it
        response = api.handle("GET", f"/api/v1/ChatSession/{plan_.session_id}", "", AUTH)
        assert response.json()["Rating"] == rating
        assert response.json()["Status"] == plan_.events[-1].event.fields.status.name


def test_orderby_sorts_by_several_columns_with_directions(api: MockApi, plans: list[SessionPlan]) -> None:
    """$orderBy=status desc,chatSessionId sorts by status descending, then id ascending; paging follows."""
    fields = finals(plans)
    expected = sorted(fields, key=lambda sid: (-int(fields[sid].status), sid))
    status, body = archive(api, **{"$orderBy": "status desc,chatSessionId", "$select": "chatSessionId"})
    assert status == 200
    assert [r["chatSessionId"] for r in body["value"]] == expected
    assert len({int(f.status) for f in fields.values()}) > 1  # the order is not the default one
    _, page = archive(api, **{"$orderby": "status desc,chatSessionId", "$top": "3", "$skip": "3"})
    assert [r["PrimaryKey"] for r in page["value"]] == expected[3:6]
    assert page["odata.nextLink"].endswith("?$orderby=status+desc,chatSessionId&$top=3&$skip=6")


def test_orderby_puts_unset_dates_first_and_sorts_text_ignoring_case(api: MockApi) -> None:
    """whenStarted asc lists sessions never picked up (0001-01-01) first; lastMessage sorts by text."""
    _, body = archive(api, **{"$orderby": "whenStarted asc", "$select": "whenStarted"})
    started = [r["whenStarted"] for r in body["value"]]
    unset = [s for s in started if s.startswith("0001")]
    assert unset and started[: len(unset)] == unset
    assert started[len(unset) :] == sorted(started[len(unset) :])
    _, text = archive(api, **{"$orderby": "lastMessage desc", "$select": "lastMessage"})
    last = [r["lastMessage"] for r in text["value"]]
    assert last == sorted(last, key=str.casefold, reverse=True)


def topic_sessions(api: MockApi, topic_id: int | str, **params: str) -> tuple[int, Any]:
    """GET /api/v1/ChatTopic/{id}/Sessions; (status, decoded body)."""
    path = f"/Cust777/api/v1/ChatTopic/{topic_id}/Sessions"
    response = api.handle("GET", path, urlencode(params), AUTH, root="https://sod.test")
    return response.status, response.json()


def test_topic_sessions_lists_only_that_topics_sessions(api: MockApi, plans: list[SessionPlan]) -> None:
    """ChatTopic/{id}/Sessions is the same OData list over the topic's sessions, with its own next link."""
    fields = finals(plans)
    for topic in (3, 4):
        mine = [sid for sid, f in fields.items() if f.topic_id == topic]
        status, body = topic_sessions(api, topic)
        assert status == 200
        assert [r["PrimaryKey"] for r in body["value"]] == mine and mine
        assert all(r["chatTopic/chatTopicId"] == topic for r in body["value"])
    _, paged = topic_sessions(api, 3, **{"$top": "1"})
    assert paged["odata.nextLink"] == "https://sod.test/Cust777/api/v1/ChatTopic/3/Sessions?$top=1&$skip=1"
    _, filtered = topic_sessions(api, 3, **{"$filter": "status eq 11"})
    assert {r["status"] for r in filtered["value"]} <= {11}


def test_topic_sessions_of_an_unknown_topic_is_404_and_bad_queries_400(api: MockApi) -> None:
    """An unknown topic is the documented 404; an unsupported query the same 400 as the archive."""
    status, body = topic_sessions(api, 99)
    assert (status, body["ErrorMessage"]) == (404, "ChatTopic id 99 not found")
    status, body = topic_sessions(api, 3, **{"$filter": "status oneOf(5,6)"})
    assert status == 400 and body["ErrorType"] == "ArgumentException"
