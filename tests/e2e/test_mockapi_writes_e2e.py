"""The mock chat API's writes over real HTTP on 127.0.0.1: a bot answers, hands off, the chat ends,
and a late answer to the finished chat is refused."""

from __future__ import annotations

import threading

import httpx
import pytest

from simulator.core.events import ChatMessage, CustomerProfile, Event, SessionFields
from simulator.core.scenario import parse_scenario
from simulator.mockapi.server import ApiServerThread
from simulator.mockapi.state import ChatState, MockApi
from simulator.mockapi.writes import SessionChange
from simulator.superoffice import facts as so

pytestmark = pytest.mark.e2e

AUTH = {"Authorization": "Bearer e2e-bot"}
SID = 31
T0 = 17_000_000_000_000_000
SCENARIO = parse_scenario(
    """
name: writes-e2e
webhook: {context_identifier: Cust4242, secret: e2e-secret}
arrivals: {sessions: 1, process: uniform, rate: 1/min}
population: {agents: [{associate_id: 316, user_id: 16, name: Ada Lovelace}]}
"""
)


def bot_chat() -> ChatState:
    """One chat the bot is on (InQueue, ChatbotIsActive) with the customer's first message, id 7."""
    state = ChatState()
    state.add_scenario(SCENARIO)
    fields = SessionFields(status=so.ChatSessionStatus.InQueue, chatbot_is_active=True, topic_id=1)
    profile = CustomerProfile("Nora Berg", "nora@example.com", "+47 1", "Berg AS", "Nora", "en")
    state.announce(Event(so.EVENT_CREATED, SID, T0, "e1", 0, fields, profile=profile))
    hello = ChatMessage(7, SID, so.ChatMessageType.ToUser, "Where is my order?", "Nora Berg", ticks=T0 + 1)
    state.announce(Event(so.EVENT_MESSAGE, SID, T0 + 1, "e2", 0, fields, message=hello))
    return state


def test_a_bot_answers_hands_off_and_the_finished_chat_refuses_more() -> None:
    """POST Messages -> GET Messages?after=N shows it -> Reset -> PUT Finished -> a write to the
    finished chat is a 400 with the error body; each accepted write was reported once."""
    changes: list[SessionChange] = []
    lock = threading.Lock()

    def listener(change: SessionChange) -> None:
        with lock:
            changes.append(change)

    api = MockApi(bot_chat(), on_change=listener)
    with (
        ApiServerThread(api) as server,
        httpx.Client(base_url=server.url, headers=AUTH, timeout=10) as client,
    ):
        base = f"/Cust4242/api/v1/ChatSession/{SID}"
        reply = client.post(
            f"{base}/Messages", json={"Type": "ToCustomer", "Message": "On its way!", "Author": "Bot"}
        )
        assert reply.status_code == 200
        saved = reply.json()
        assert (saved["ChatMessageId"], saved["Type"], saved["Author"]) == (8, "ToCustomer", "Bot")

        new = client.get(f"{base}/Messages", params={"after": 7})
        assert new.status_code == 200 and new.json() == [saved]
        assert client.get(base).json()["Status"] == "UserLast"

        reset = client.post(f"{base}/Reset")
        assert reset.status_code == 200
        assert (reset.json()["Status"], reset.json()["ChatbotIsActive"]) == ("InQueue", False)

        finished = client.put(base, json={"Status": "Finished"})
        assert finished.status_code == 200
        assert finished.json()["Status"] == "Finished"
        assert finished.json()["WhenEnded"] != "0001-01-01T00:00:00"

        late = client.post(f"{base}/Messages", json={"Type": "ToCustomer", "Message": "Anything else?"})
        assert late.status_code == 400
        assert late.json()["Error"] is True and late.json()["ErrorType"] == "ArgumentException"
        assert [m["ChatMessageId"] for m in client.get(f"{base}/Messages").json()] == [7, 8]
    with lock:
        assert [c.action for c in changes] == ["message", "reset", "save"]
    assert api.write_errors == {("POST ChatSession/{id}/Messages", 400): 1}
