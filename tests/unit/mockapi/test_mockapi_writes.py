"""The mock chat API's writes: messages, pickup, reset, transfers and saves change the session as
NetServer does, answer the documented shapes, report each accepted change once, and refuse bad
writes with SuperOffice's error body; hostile input to every write route is never a 5xx."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator.core.events import TICKS_PER_SECOND, ChatMessage, CustomerProfile, Event, SessionFields
from simulator.core.scenario import parse_scenario
from simulator.mockapi.shapes import format_date
from simulator.mockapi.state import ChatState, MockApi, MockApiOptions
from simulator.mockapi.writes import SessionChange, wall_ticks
from simulator.superoffice import facts as so

S = so.ChatSessionStatus
AUTH = {"Authorization": "Bearer bot-token"}
T0 = 17_000_000_000_000_000
NOW = T0 + 60 * TICKS_PER_SECOND
SID = 500
SCENARIO = parse_scenario(
    """
name: writes
seed: 5
webhook: {context_identifier: Cust777, secret: s}
arrivals: {sessions: 1, process: uniform, rate: 1/min}
population:
  agents:
    - {associate_id: 316, user_id: 16, name: Ada Lovelace}
    - {associate_id: 317, user_id: 17, name: Alan Turing}
  topics: [{id: 3, name: Support}]
"""
)
PROFILE = CustomerProfile("Nora Berg", "nora@example.com", "+47 1", "Berg AS", "Nora", "en")
MESSAGE_KEYS = [
    "ChatMessageId", "ChatSessionId", "Type", "Message", "Author", "ReadByCustomer", "SpecialType",
    "SpecialParam", "WhenPosted",
]  # fmt: skip


def open_state(
    status: so.ChatSessionStatus = S.CustomerLast, *, bot: bool = False, user_id: int = 16
) -> ChatState:
    """One open session (id 500) of SCENARIO's tenant, with one customer message (id 1000)."""
    state = ChatState()
    state.add_scenario(SCENARIO)
    fields = SessionFields(
        status=status, chatbot_is_active=bot, topic_id=3, customer_alias="Nora", user_id=user_id
    )
    state.announce(Event(so.EVENT_CREATED, SID, T0, "e1", 0, fields, profile=PROFILE))
    hello = ChatMessage(1000, SID, so.ChatMessageType.ToUser, "Hello?", "Nora Berg", ticks=T0 + 1)
    state.announce(Event(so.EVENT_MESSAGE, SID, T0 + 1, "e2", 0, fields, message=hello))
    return state


class Api:
    """A MockApi over ``state`` on a fixed clock that records every reported change."""

    def __init__(self, state: ChatState, options: MockApiOptions | None = None) -> None:
        self.changes: list[SessionChange] = []
        self.api = MockApi(state, options, on_change=self.changes.append, ticks=lambda: NOW)

    def call(
        self, method: str, path: str, body: Any = None, query: str = "", raw: bytes | None = None
    ) -> Any:
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        response = self.api.handle(method, f"/Cust777/api/v1/{path}", query, AUTH, data)
        return response.status, response.json()

    def session(self) -> Any:
        return self.call("GET", f"ChatSession/{SID}")[1]

    def messages(self, after: int = 0) -> Any:
        return self.call("GET", f"ChatSession/{SID}/Messages", query=f"after={after}")[1]


# --- messages -------------------------------------------------------------------------------------


def test_a_posted_message_is_saved_with_the_next_id_and_shown_at_once() -> None:
    """POST ChatSession/{id}/Messages answers the saved ChatMessage (next id, WhenPosted now); the
    next GET Messages?after=N, the entity and the transcript show it, and the status is UserLast."""
    api = Api(open_state())
    status, saved = api.call(
        "POST",
        f"ChatSession/{SID}/Messages",
        {"Type": "ToCustomer", "Message": "Let me check.", "Author": "Bot"},
    )
    assert status == 200
    assert list(saved) == MESSAGE_KEYS
    assert saved == {
        "ChatMessageId": 1001,
        "ChatSessionId": SID,
        "Type": "ToCustomer",
        "Message": "Let me check.",
        "Author": "Bot",
        "ReadByCustomer": 1,
        "SpecialType": "None",
        "SpecialParam": "",
        "WhenPosted": format_date(NOW),
    }
    assert api.messages(after=1000) == [saved]
    entity = api.session()
    assert (entity["Status"], entity["LastMessage"], entity["WhenIdle"]) == (
        "UserLast",
        "Let me check.",
        format_date(NOW),
    )
    transcript = api.call("POST", f"ChatSession/{SID}/Transcript", query="html=false")[1]
    assert transcript.endswith("Bot: Let me check.")


def test_add_chat_message_respects_type_special_type_and_param() -> None:
    """Agents/Chat/AddChatMessage takes {ChatSessionId, Message}; enum names or numbers are
    accepted, SpecialType and SpecialParam are kept, and a Special message moves no status."""
    api = Api(open_state())
    options = json.dumps(["Yes", "No"])
    message = {"Type": 3, "Message": "Did that help?", "SpecialType": "options", "SpecialParam": options}
    status, saved = api.call("POST", "Agents/Chat/AddChatMessage", {"ChatSessionId": SID, "Message": message})
    assert status == 200
    assert (saved["Type"], saved["SpecialType"], saved["SpecialParam"]) == ("Special", "Options", options)
    assert api.session()["Status"] == "CustomerLast"


@pytest.mark.parametrize(
    ("status", "bot", "kind", "after"),
    [
        (S.UserLast, False, "ToUser", "CustomerLast"),
        (S.CustomerLast, False, "ToCustomer", "UserLast"),
        (S.InQueue, True, "ToCustomer", "UserLast"),  # the bot answers a new chat
        (S.InQueue, False, "ToCustomer", "InQueue"),  # still waiting for a human
        (S.InQueue, False, "ToUser", "InQueue"),
    ],
)
def test_a_message_moves_the_status_as_netserver_does(
    status: so.ChatSessionStatus, bot: bool, kind: str, after: str
) -> None:
    """A user/bot message makes a conversation UserLast, a customer's CustomerLast; a session
    waiting in the queue for a human stays InQueue."""
    api = Api(open_state(status, bot=bot, user_id=0 if status is S.InQueue else 16))
    assert api.call("POST", f"ChatSession/{SID}/Messages", {"Type": kind, "Message": "x"})[0] == 200
    assert api.session()["Status"] == after


def test_each_accepted_write_reports_one_change_after_the_state_is_updated() -> None:
    """on_change runs once per accepted write, inside handle, when the state already shows it."""
    state = open_state()
    seen: list[tuple[SessionChange, list[int]]] = []

    def listener(change: SessionChange) -> None:
        messages = state.messages(SID) or []
        seen.append((change, [m.message_id for m in messages]))

    api = MockApi(state, on_change=listener, ticks=lambda: NOW)
    body = json.dumps({"Type": "ToCustomer", "Message": "Hi", "Author": "Ada Lovelace"}).encode()
    assert api.handle("POST", f"/api/v1/ChatSession/{SID}/Messages", "", AUTH, body).status == 200
    [(change, ids)] = seen
    assert ids == [1000, 1001]
    assert change.session_id == SID and change.action == "message"
    assert change.endpoint == "POST ChatSession/{id}/Messages"
    assert (change.before.status, change.after.status) == (S.CustomerLast, S.UserLast)
    assert change.message is not None and change.message.message_id == 1001
    assert change.changed_by == 316  # the author is the scenario's agent Ada Lovelace
    assert change.ticks == NOW


def test_a_message_is_attributed_to_the_callers_associate() -> None:
    """MockApiOptions.callers maps a credential to the AssociateId its writes are attributed to."""
    api = Api(open_state(), MockApiOptions(callers={"bot-token": 4711}))
    api.call("POST", f"ChatSession/{SID}/Messages", {"Type": "ToCustomer", "Message": "Hi", "Author": "Bot"})
    assert [c.changed_by for c in api.changes] == [4711]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"Message": "no type"}, "Type"),
        ({"Type": "Sideways", "Message": "x"}, "Type"),
        ({"Type": 9, "Message": "x"}, "Type"),
        ({"Type": "Invalid", "Message": "x"}, "Invalid"),
        ({"Type": "ToCustomer"}, "Message"),
        ({"Type": "ToCustomer", "Message": 42}, "Message must be a string"),
        ({"Type": "ToCustomer", "Message": "x", "SpecialType": "Confetti"}, "SpecialType"),
        ({"Type": "ToCustomer", "Message": "x", "Author": ["a"]}, "Author"),
        ({"Type": "Special", "SpecialType": "Options", "SpecialParam": "yes/no"}, "JSON array"),
        ({"Type": "ToCustomer", "Message": "x", "ChatSessionId": 9}, "ChatSessionId"),
        ([1, 2], "JSON object"),
    ],
)
def test_a_bad_message_is_a_400_that_changes_nothing(body: Any, needle: str) -> None:
    """A missing or wrong-typed property or an unknown enum name or number is a 400 with the
    documented error body; nothing is saved and nothing is reported."""
    api = Api(open_state())
    status, error = api.call("POST", f"ChatSession/{SID}/Messages", body)
    assert status == 400
    assert error["Error"] is True and error["ErrorType"] == "ArgumentException"
    assert needle in error["ErrorMessage"]
    assert [m["ChatMessageId"] for m in api.messages()] == [1000]
    assert api.changes == []
    assert api.api.write_errors == {("POST ChatSession/{id}/Messages", 400): 1}


def test_bad_json_and_unknown_sessions_are_refused_and_counted() -> None:
    """Bad JSON is a 400, an unknown session the documented 404; write_errors counts both by endpoint."""
    api = Api(open_state())
    assert api.call("POST", f"ChatSession/{SID}/Messages", raw=b"{nope")[0] == 400
    status, error = api.call("POST", "ChatSession/999/Messages", {"Type": "ToUser", "Message": "x"})
    assert status == 404
    assert error == {
        "Error": True,
        "ErrorType": "SoNotFoundException",
        "ErrorMessage": "ChatSession id 999 not found",
        "ErrorSource": "SuperOffice.Services.Implementation",
    }
    assert api.call("POST", "Agents/Chat/AddChatMessage", {"ChatSessionId": SID, "Message": None})[0] == 400
    assert api.call("POST", "Agents/Chat/PickUpChatSession", {"ChatSessionId": 999})[0] == 404
    assert api.call("PUT", "ChatSession/999", {"Status": "Finished"})[0] == 404
    assert api.api.write_errors == {
        ("POST ChatSession/{id}/Messages", 400): 1,
        ("POST ChatSession/{id}/Messages", 404): 1,
        ("Agents/Chat/AddChatMessage", 400): 1,
        ("Agents/Chat/PickUpChatSession", 404): 1,
        ("PUT ChatSession/{id}", 404): 1,
    }
    assert api.changes == []


def test_an_unauthenticated_write_is_a_401_and_counted() -> None:
    """A write without credentials is refused before it changes anything."""
    api = MockApi(open_state())
    body = json.dumps({"Type": "ToUser", "Message": "x"}).encode()
    assert api.handle("POST", f"/api/v1/ChatSession/{SID}/Messages", "", {}, body).status == 401
    assert api.write_errors == {("POST ChatSession/{id}/Messages", 401): 1}
    assert len(api.state.messages(SID) or []) == 1


def test_concurrent_messages_get_distinct_ascending_ids() -> None:
    """Writes from many threads at once each get their own id: highest + 1, no gaps, no repeats."""
    api = Api(open_state())
    body = json.dumps({"Type": "ToCustomer", "Message": "x"}).encode()
    answers: list[int] = []
    lock = threading.Lock()

    def post_many() -> None:
        for _ in range(25):
            response = api.api.handle("POST", f"/api/v1/ChatSession/{SID}/Messages", "", AUTH, body)
            with lock:
                answers.append(response.json()["ChatMessageId"])

    threads = [threading.Thread(target=post_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == list(range(1001, 1201))
    assert [m["ChatMessageId"] for m in api.messages()] == list(range(1000, 1201))
    assert sorted(c.message.message_id for c in api.changes if c.message) == list(range(1001, 1201))


def test_the_default_clock_is_the_wall_clock() -> None:
    """Without ``ticks`` a write is stamped with the wall clock, in 100 ns ticks since the epoch."""
    before = time.time_ns() // 100
    stamped = wall_ticks()
    assert before <= stamped <= time.time_ns() // 100
    api = MockApi(open_state())
    body = json.dumps({"Type": "ToCustomer", "Message": "x"}).encode()
    response = api.handle("POST", f"/api/v1/ChatSession/{SID}/Messages", "", AUTH, body)
    assert response.json()["WhenPosted"] >= format_date(before)


def test_the_state_adds_a_message_with_the_next_id() -> None:
    """ChatState.add_message gives a message the session's next id and the time, optionally with new
    fields; an unknown session is None."""
    state = open_state()
    text = ChatMessage(0, SID, so.ChatMessageType.ToUser, "Still there?", "Nora Berg")
    fields = SessionFields(status=S.CustomerLast, topic_id=3, user_id=16)
    saved = state.add_message(SID, text, NOW, fields)
    assert saved == text._replace(message_id=1001, ticks=NOW)
    assert state.messages(SID, after=1000) == [saved]
    view = state.view(SID)
    assert view is not None and view.fields == fields
    assert state.add_message(999, text, NOW) is None


# --- pickup, reset, transfer ---------------------------------------------------------------------


def test_pickup_assigns_the_user_sends_the_welcome_and_starts_the_session() -> None:
    """Pickup of a queued session sets User (the caller's agent), WhenStarted and a Welcome message
    from the agent (UserLast); a session not in the queue answers null and changes nothing."""
    api = Api(open_state(S.InQueue, user_id=0))
    status, entity = api.call("POST", f"ChatSession/{SID}/Pickup")
    assert status == 200
    assert entity["User"]["AssociateId"] == 316 and entity["User"]["FullName"] == "Ada Lovelace"
    assert (entity["Status"], entity["WhenStarted"]) == ("UserLast", format_date(NOW))
    welcome = api.messages(after=1000)[0]
    assert (welcome["Type"], welcome["SpecialType"], welcome["Author"]) == (
        "Special",
        "Welcome",
        "Ada Lovelace",
    )
    assert welcome["Message"] == "Hi Nora, my name is Ada. How can I help you today?"
    assert [(c.action, c.changed_by) for c in api.changes] == [("pickup", 316)]
    assert api.call("POST", "Agents/Chat/PickUpChatSession", {"ChatSessionId": SID}) == (200, None)
    assert len(api.changes) == 1


def test_pickup_without_a_welcome_message_and_by_a_named_caller() -> None:
    """welcome_message=None sends none (CustomerLast); callers picks the agent who picks up."""
    options = MockApiOptions(welcome_message=None, callers={"bot-token": 317})
    api = Api(open_state(S.InQueue, user_id=0), options)
    status, entity = api.call("POST", "Agents/Chat/PickUpChatSession", {"ChatSessionId": SID})
    assert (status, entity["Status"], entity["User"]["AssociateId"]) == (200, "CustomerLast", 317)
    assert len(api.messages()) == 1


def test_pickup_first_takes_the_oldest_waiting_session_or_answers_null() -> None:
    """POST ChatSession/Pickup picks up the session waiting longest; an empty queue is null."""
    state = open_state(S.InQueue, user_id=0)
    later = SessionFields(status=S.InQueue, topic_id=3)
    state.announce(Event(so.EVENT_CREATED, SID + 1, T0 + 5, "e3", 0, later))
    api = Api(state)
    assert api.call("POST", "ChatSession/Pickup")[1]["ChatSessionId"] == SID
    assert api.call("POST", "Agents/Chat/PickUpFirstChatSession")[1]["ChatSessionId"] == SID + 1
    assert api.call("POST", "ChatSession/Pickup") == (200, None)


def test_reset_hands_a_bot_chat_back_to_the_queue() -> None:
    """Reset puts the session back InQueue with ChatbotIsActive false and no User, and a human can
    then pick it up."""
    api = Api(open_state(S.UserLast, bot=True, user_id=0))
    status, entity = api.call("POST", f"ChatSession/{SID}/Reset")
    assert (status, entity["Status"], entity["ChatbotIsActive"], entity["User"]) == (
        200,
        "InQueue",
        False,
        None,
    )
    assert [(c.action, c.before.chatbot_is_active, c.after.chatbot_is_active) for c in api.changes] == [
        ("reset", True, False)
    ]
    assert api.call("POST", "ChatSession/Pickup")[1]["ChatSessionId"] == SID
    assert api.call("POST", "Agents/Chat/ResetChatSession", {"ChatSessionId": SID})[1]["Status"] == "InQueue"


def test_transfer_accept_moves_the_user_to_the_target() -> None:
    """TransferTo sets TransferTo (by id or user name); AcceptTransfer moves User there, clears it
    and adds a TransferedSession message from the new agent."""
    api = Api(open_state())
    status, entity = api.call("POST", f"ChatSession/{SID}/TransferTo/at")
    assert (status, entity["TransferTo"]["AssociateId"], entity["User"]["AssociateId"]) == (200, 317, 316)
    status, entity = api.call("POST", f"ChatSession/{SID}/AcceptTransfer")
    assert (entity["User"]["AssociateId"], entity["TransferTo"]) == (317, None)
    note = api.messages(after=1000)[0]
    assert (note["SpecialType"], note["Author"]) == ("TransferedSession", "Alan Turing")
    assert [(c.action, c.changed_by) for c in api.changes] == [("transfer", 0), ("accept-transfer", 317)]


def test_transfer_reject_clears_the_pending_transfer() -> None:
    """RejectTransfer clears TransferTo and adds TransferRejected; with no pending transfer,
    accept and reject change nothing ("nothing happens")."""
    api = Api(open_state())
    api.call("POST", "Agents/Chat/TransferChatSession", {"ChatSessionId": SID, "ToAssociate": "317"})
    status, entity = api.call("POST", "Agents/Chat/RejectChatSessionTransfer", {"ChatSessionId": SID})
    assert (status, entity["TransferTo"], entity["User"]["AssociateId"]) == (200, None, 316)
    assert api.messages(after=1000)[0]["SpecialType"] == "TransferRejected"
    reported = len(api.changes)
    assert api.call("POST", f"ChatSession/{SID}/RejectTransfer")[0] == 200
    assert api.call("POST", "Agents/Chat/AcceptChatSessionTransfer", {"ChatSessionId": SID})[0] == 200
    assert len(api.changes) == reported == 2


def test_transfers_validate_the_target() -> None:
    """An unknown target is a 400; a session without a User stays as it is."""
    api = Api(open_state())
    assert api.call("POST", f"ChatSession/{SID}/TransferTo/nobody")[0] == 400
    assert api.call("POST", "Agents/Chat/TransferChatSession", {"ChatSessionId": SID})[0] == 400
    assert api.call("POST", f"ChatSession/{SID}/TransferTo/316")[0] == 400  # already its user
    queued = Api(open_state(S.InQueue, user_id=0))
    assert queued.call("POST", f"ChatSession/{SID}/TransferTo/317")[1]["TransferTo"] is None
    assert queued.changes == []


# --- saving -------------------------------------------------------------------------------------


def test_put_finished_ends_the_session_and_later_writes_are_400() -> None:
    """PUT Status Finished sets WhenEnded and answers the entity with _Links; every write to the
    finished session is then a 400 that changes nothing."""
    api = Api(open_state())
    status, entity = api.call("PUT", f"ChatSession/{SID}", {"Status": "Finished"})
    assert (status, entity["Status"], entity["WhenEnded"]) == (200, "Finished", format_date(NOW))
    assert entity["_Links"]["Self"] == f"/Cust777/api/v1/ChatSession/{SID}"
    assert [(c.action, c.endpoint, c.after.status) for c in api.changes] == [
        ("save", "PUT ChatSession/{id}", S.Finished)
    ]
    for method, path, body in [
        ("POST", f"ChatSession/{SID}/Messages", {"Type": "ToCustomer", "Message": "late"}),
        ("POST", f"ChatSession/{SID}/Reset", None),
        ("POST", f"ChatSession/{SID}/Pickup", None),
        ("PATCH", f"ChatSession/{SID}", {"Status": "UserLast"}),
    ]:
        status, error = api.call(method, path, body)
        assert (status, error["ErrorType"]) == (400, "ArgumentException")
        assert "has ended" in error["ErrorMessage"]
    assert api.session()["Status"] == "Finished" and len(api.changes) == 1


def test_a_get_modify_put_round_trip_links_a_ticket() -> None:
    """A whole entity PUT back with a Ticket changes only the ticket link; read-only properties are
    ignored, and a PUT that changes nothing reports nothing."""
    api = Api(open_state())
    entity = api.session()
    assert api.call("PUT", f"ChatSession/{SID}", entity)[0] == 200
    assert api.changes == []
    entity["Ticket"] = {"TicketId": 4242}
    entity["WhenRequested"] = "garbage"
    status, saved = api.call("PUT", f"ChatSession/{SID}", entity)
    assert (status, saved["Ticket"]["TicketId"], saved["Status"]) == (200, 4242, "CustomerLast")
    assert [(c.before.ticket_id, c.after.ticket_id) for c in api.changes] == [(0, 4242)]
    selected = api.call("PUT", f"ChatSession/{SID}", {"Rating": 5}, query="$select=Rating")[1]
    assert (selected["Rating"], selected["Status"], selected["ChatSessionId"]) == (5, None, None)


def test_patch_takes_json_patch_and_merge_patch() -> None:
    """PATCH takes JSON Patch (paths case-insensitive, leading slash optional) or JSON Merge Patch."""
    api = Api(open_state())
    ops = [
        {"op": "test", "path": "/status", "value": "CustomerLast"},
        {"op": "replace", "path": "rating", "value": 4},
    ]
    assert api.call("PATCH", f"ChatSession/{SID}", ops)[1]["Rating"] == 4
    assert (
        api.call("PATCH", f"ChatSession/{SID}", [{"op": "add", "path": "/Ticket/TicketId", "value": 7}])[1][
            "Ticket"
        ]["TicketId"]
        == 7
    )
    assert (
        api.call("PATCH", f"ChatSession/{SID}", {"Ticket": None, "ChatbotIsActive": True})[1]["Ticket"]
        is None
    )
    assert api.session()["ChatbotIsActive"] is True


def test_json_patch_follows_rfc_6902_pointers_and_copies_values() -> None:
    """``~1``/``~0`` decode to ``/``/``~`` in a member name, and an added value is a copy: a later
    op that writes into it cannot make the entity refer to itself."""
    from simulator.mockapi.bodies import json_patch

    value: dict[str, Any] = {"A": 1}
    entity: dict[str, Any] = {"Status": "UserLast", "User": {"a/b": 1, "m~n": 2}}
    ops = [
        {"op": "replace", "path": "/User/a~1b", "value": 3},
        {"op": "test", "path": "/User/m~0n", "value": 2},
        {"op": "add", "path": "/Status", "value": value},
        {"op": "add", "path": "/Status/x", "value": value},
    ]
    assert json_patch(entity, ops) == ["User", "Status", "Status"]
    assert entity == {"Status": {"A": 1, "x": {"A": 1}}, "User": {"a/b": 3, "m~n": 2}}
    json.dumps(entity)  # no cycle


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ([{"op": "test", "path": "/Status", "value": "UserLast"}], 409, "test failed"),
        # RFC 6902 §4.6: values of different JSON types differ (false is not 0), as jsonpatch tests.
        ([{"op": "test", "path": "/ChatbotIsActive", "value": 0}], 409, "test failed"),
        # RFC 6901: "~" is followed by 0 or 1; any other escape is a bad pointer.
        ([{"op": "add", "path": "/Ticket/Ticket~2Id", "value": 1}], 400, "JSON Patch path"),
        ([{"op": "move", "path": "/Status", "from": "/Rating"}], 400, "not supported"),
        ([{"op": "replace", "path": "/Colour", "value": 1}], 400, "no property"),
        ([{"op": "replace", "path": "/Status"}], 400, "needs a value"),
        ({"Status": "Sleeping"}, 400, "Status"),
        ({"Status": 0}, 400, "Invalid"),
        ({"Rating": "five"}, 400, "Rating must be an integer"),
        ({"ChatbotIsActive": 1}, 400, "true or false"),
        ({"Ticket": {"Id": 3}}, 400, "TicketId"),
        ({"User": {"AssociateId": 999}}, 400, "not a chat agent"),
        ("Finished", 400, "JSON Patch array"),
    ],
)
def test_a_bad_patch_is_refused_and_changes_nothing(body: Any, status: int, needle: str) -> None:
    """A failed test is the documented 409; bad ops, unknown properties and wrong types are 400."""
    api = Api(open_state())
    answer, error = api.call("PATCH", f"ChatSession/{SID}", body)
    assert (answer, error["Error"]) == (status, True)
    assert needle in error["ErrorMessage"]
    assert api.changes == [] and api.session()["Status"] == "CustomerLast"
    assert api.api.write_errors == {("PATCH ChatSession/{id}", status): 1}


def test_save_chat_session_entity_saves_by_the_bodys_id() -> None:
    """Agents/Chat/SaveChatSessionEntity saves by ChatSessionId (no _Links); without an id (create)
    or with a body that is no entity it is a 400."""
    api = Api(open_state())
    status, entity = api.call(
        "POST", "Agents/Chat/SaveChatSessionEntity", {"ChatSessionId": SID, "Status": 7}
    )
    assert (status, entity["Status"]) == (200, "Finished") and "_Links" not in entity
    assert api.call("POST", "Agents/Chat/SaveChatSessionEntity", {"Status": "Finished"})[0] == 400
    assert api.call("PUT", f"ChatSession/{SID}", raw=b"[]")[0] == 400
    assert api.call("POST", "Agents/Chat/SaveChatSessionEntity", {"ChatSessionId": 9, "Rating": 1})[0] == 404


def test_writes_use_their_documented_methods() -> None:
    """GET on a POST-only write is 405 with Allow: POST; the shared paths name every method."""
    api = Api(open_state())
    response = api.api.handle("GET", f"/api/v1/ChatSession/{SID}/Reset", "", AUTH)
    assert (response.status, dict(response.headers)["Allow"]) == (405, "POST")
    response = api.api.handle("GET", "/api/v1/Agents/Chat/AddChatMessage", "", AUTH)
    assert (response.status, dict(response.headers)["Allow"]) == (405, "POST")
    assert api.changes == []


# --- hostile input ------------------------------------------------------------------------------

#: Every write route, with the method its docs give.
WRITE_ROUTES = [
    ("POST", f"ChatSession/{SID}/Messages"),
    ("POST", "Agents/Chat/AddChatMessage"),
    ("POST", f"ChatSession/{SID}/Pickup"),
    ("POST", "ChatSession/Pickup"),
    ("POST", "Agents/Chat/PickUpChatSession"),
    ("POST", "Agents/Chat/PickUpFirstChatSession"),
    ("POST", f"ChatSession/{SID}/Reset"),
    ("POST", "Agents/Chat/ResetChatSession"),
    ("POST", f"ChatSession/{SID}/TransferTo/317"),
    ("POST", f"ChatSession/{SID}/AcceptTransfer"),
    ("POST", f"ChatSession/{SID}/RejectTransfer"),
    ("POST", "Agents/Chat/TransferChatSession"),
    ("POST", "Agents/Chat/AcceptChatSessionTransfer"),
    ("POST", "Agents/Chat/RejectChatSessionTransfer"),
    ("PUT", f"ChatSession/{SID}"),
    ("PATCH", f"ChatSession/{SID}"),
    ("POST", "Agents/Chat/SaveChatSessionEntity"),
]
#: Property names the endpoints read, so generated objects reach the validation, not just the door.
NAMES = [
    "ChatSessionId", "Message", "Type", "Author", "SpecialType", "SpecialParam", "ChatMessageId",
    "ReadByCustomer", "WhenPosted", "ToAssociate", "Status", "Ticket", "TicketId", "User", "AssociateId",
    "EjUserId", "TransferTo", "Person", "Rating", "ChatbotIsActive", "TopicId", "op", "path", "value",
    "/Status", "/Ticket/TicketId", "Ticket/TicketId/x", "_Links",
]  # fmt: skip
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([SID, 0, 316, 317, "ToCustomer", "Special", "Options", "Finished", "7", "add", "test"]),
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(NAMES), st.text(max_size=8)), inner, max_size=6),
    ),
    max_leaves=25,
)


def _bytes_of(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


#: Valid bodies of the write endpoints, which the strategies below break one property at a time.
VALID = [
    {"Type": "ToCustomer", "Message": "x"},
    {"ChatSessionId": SID, "ToAssociate": "317"},
    {"ChatSessionId": SID, "Status": "UserLast", "Ticket": {"TicketId": 1}, "User": {"AssociateId": 316}},
]
OVERRIDES = st.dictionaries(st.sampled_from(NAMES), JSON_VALUES, max_size=3)
NEAR_VALID = st.builds(lambda base, extra: {**base, **extra}, st.sampled_from(VALID), OVERRIDES)
AGENT_MESSAGES = st.builds(lambda message: {"ChatSessionId": SID, "Message": message}, NEAR_VALID)
PATCH_OPS = st.lists(
    st.fixed_dictionaries(
        {
            "op": st.sampled_from(["add", "replace", "remove", "test", "move", "x"]),
            "path": st.sampled_from(NAMES),
        },
        optional={"value": JSON_VALUES},
    ),
    max_size=3,
)
BODIES = st.one_of(
    st.one_of(JSON_VALUES, NEAR_VALID, AGENT_MESSAGES, PATCH_OPS).map(_bytes_of), st.binary(max_size=64)
)
QUERIES = st.sampled_from(["", "$select=Status", "$select=", "html=maybe", "%ff=%00"])


@pytest.mark.parametrize("route", WRITE_ROUTES, ids=" ".join)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bodies=st.lists(BODIES, min_size=1, max_size=3), query=QUERIES)
def test_no_body_makes_a_write_endpoint_fail(route: tuple[str, str], bodies: list[bytes], query: str) -> None:
    """Random JSON, near-valid bodies and random bytes, one after another on the same session (so
    later ones meet other states), each get a 2xx/4xx JSON answer."""
    api = MockApi(open_state(), ticks=lambda: 17_000_000_000_000_000)
    method, path = route
    for body in bodies:
        response = api.handle(method, f"/Cust777/api/v1/{path}", query, AUTH, body)
        assert response.status < 500, (response.status, response.body)
        json.loads(response.body)


@settings(max_examples=150, deadline=None)
@given(segment=st.text(max_size=12), method=st.sampled_from(["POST", "PUT", "PATCH", "GET", "DELETE"]))
def test_no_path_segment_makes_a_write_route_fail(segment: str, method: str) -> None:
    """Odd ids and associates in the path (unicode digits, huge numbers, slashes) are 4xx, not 5xx."""
    api = MockApi(open_state())
    for path in (
        f"ChatSession/{segment}/Messages",
        f"ChatSession/{segment}",
        f"ChatSession/{SID}/TransferTo/{segment}",
        f"ChatSession/{segment}/Pickup",
    ):
        response = api.handle(method, f"/api/v1/{path}", "", AUTH, b'{"Type": "ToUser", "Message": "x"}')
        assert response.status < 500, (path, response.status, response.body)


def test_reads_answered_4xx_are_counted_by_endpoint_apart_from_writes() -> None:
    from simulator.mockapi.state import MockApi

    api = MockApi()
    headers = [("Authorization", "Bearer t")]
    assert api.handle("GET", "/Cust1/api/v1/ChatSession/42/Messages", "after=0", headers).status == 404
    assert api.handle("GET", "/api/v1/ChatSession/42", "", headers).status == 404
    assert api.handle("GET", "/api/v1/ChatSession/42", "", []).status == 401
    body = b'{"Type": "ToCustomer", "Message": "hi"}'
    assert api.handle("POST", "/api/v1/ChatSession/42/Messages", "", headers, body).status == 404
    assert api.read_errors == {
        ("GET ChatSession/{id}/Messages", 404): 1,
        ("GET ChatSession/{id}", 404): 1,
        ("GET ChatSession/{id}", 401): 1,
    }
    assert api.write_errors == {("POST ChatSession/{id}/Messages", 404): 1}
