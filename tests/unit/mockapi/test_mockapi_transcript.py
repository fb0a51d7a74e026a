"""The transcript: ``POST ChatSession/{id}/Transcript?html=`` and ``Agents/Chat/GetChatTranscript``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from simulator.core.events import ChatMessage, Event, SessionFields
from simulator.mockapi.state import ChatState, MockApi, MockApiOptions
from simulator.superoffice import facts as so

AUTH = {"Authorization": "Bearer test-token"}
T0 = 17_676_000_000_000_000  # 2026-01-05T...Z in 100 ns ticks
SESSION = 42


def _state() -> ChatState:
    state = ChatState()
    fields = SessionFields(status=so.ChatSessionStatus.CustomerLast)
    messages = [
        ChatMessage(
            1, SESSION, so.ChatMessageType.ToUser, "Hi <there> & hello", "Kari", ticks=T0 + 1_234_500
        ),
        ChatMessage(
            2, SESSION, so.ChatMessageType.ToCustomer, "How can I help?", "Ola", ticks=T0 + 20_000_000
        ),
        ChatMessage(3, SESSION, so.ChatMessageType.Special, "Chat ended", "", ticks=T0 + 30_000_000),
    ]
    state.announce(Event(so.EVENT_CREATED, SESSION, T0, "e0", 0, fields))
    for m in messages:
        state.announce(Event(so.EVENT_MESSAGE, SESSION, m.ticks, f"e{m.message_id}", 0, fields, (), m))
    return state


def _call(api: MockApi, path: str, query: str = "", body: Any = None) -> tuple[int, Any, str]:
    data = b"" if body is None else json.dumps(body).encode()
    response = api.handle("POST", path, query, AUTH, data)
    return response.status, response.json(), response.reason


PLAIN = (
    "2026-01-05T08:00:00.12345 Kari: Hi <there> & hello\n"
    "2026-01-05T08:00:02 Ola: How can I help?\n"
    "2026-01-05T08:00:03 Chat ended"
)
HTML = (
    "<p>2026-01-05T08:00:00.12345 Kari: Hi &lt;there&gt; &amp; hello</p>"
    "<p>2026-01-05T08:00:02 Ola: How can I help?</p>"
    "<p>2026-01-05T08:00:03 Chat ended</p>"
)


def test_rest_transcript_is_a_json_string_in_plain_text_or_html() -> None:
    """POST ChatSession/{id}/Transcript answers a JSON string: a line per message, or <p>s with html=True."""
    api = MockApi(_state())
    assert _call(api, f"/api/v1/ChatSession/{SESSION}/Transcript")[:2] == (200, PLAIN)
    assert _call(api, f"/api/v1/ChatSession/{SESSION}/Transcript", "html=False")[:2] == (200, PLAIN)
    assert _call(api, f"/api/v1/ChatSession/{SESSION}/Transcript", "HTML=true")[:2] == (200, HTML)


def test_agent_transcript_takes_the_session_and_html_in_the_body() -> None:
    """POST Agents/Chat/GetChatTranscript {"ChatSessionId", "Html"} answers the same strings."""
    api = MockApi(_state())
    path = "/api/v1/Agents/Chat/GetChatTranscript"
    assert _call(api, path, body={"ChatSessionId": SESSION, "Html": False})[:2] == (200, PLAIN)
    assert _call(api, path, body={"chatSessionId": SESSION, "html": True})[:2] == (200, HTML)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/ChatSession/999/Transcript", None),
        ("/api/v1/Agents/Chat/GetChatTranscript", {"ChatSessionId": 999}),
    ],
)
def test_unknown_session_is_the_documented_404(path: str, body: Any) -> None:
    """An unknown session: 404 "ChatSession Not Found" with the documented error body."""
    status, payload, reason = _call(MockApi(_state()), path, body=body)
    assert (status, reason) == (404, "ChatSession Not Found")
    assert payload == {
        "Error": True,
        "ErrorType": "SoNotFoundException",
        "ErrorMessage": "ChatSession id 999 not found",
        "ErrorSource": "SuperOffice.Services.Implementation",
    }


def test_agent_not_found_null_and_bad_flags() -> None:
    """agent_not_found="null" answers the Agent call 200 null; html=maybe is a 400, GET a 405."""
    api = MockApi(_state(), MockApiOptions(agent_not_found="null"))
    assert _call(api, "/api/v1/Agents/Chat/GetChatTranscript", body={"ChatSessionId": 999})[:2] == (200, None)
    assert _call(api, f"/api/v1/ChatSession/{SESSION}/Transcript", "html=maybe")[0] == 400
    assert api.handle("GET", f"/api/v1/ChatSession/{SESSION}/Transcript", "", AUTH).status == 405
