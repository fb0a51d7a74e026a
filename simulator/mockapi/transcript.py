"""The chat transcript: ``POST /api/v1/ChatSession/{id}/Transcript?html=`` and its Agent twin.

``docs/en/api/reference/restful/rest/ChatSession/v1ChatSessionEntity_GetChatTranscript.md``: "Get
the chat transcript, formatted as plain text or html"; the answer is a JSON string (sample
``"dolor"``), and ``html`` is a bool, "Get transcript as HTML". The Agent method
``POST /api/v1/Agents/Chat/GetChatTranscript`` takes ``{"ChatSessionId": int, "Html": bool}``.
The layout of the text is undocumented, so sosim picks a stable one (INFERENCE): one line per
message, ``{WhenPosted} {Author}: {Message}`` in the session's order, lines joined by ``\\n``
(no trailing newline; ``Author:`` left out when empty). HTML: the same lines, each in a
``<p>``, with author and text HTML-escaped. WhenPosted is written as every other API date.
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Iterable
from typing import Any

from simulator.core.events import ChatMessage
from simulator.mockapi.shapes import format_date

__all__ = ["parse_html_flag", "transcript"]


def transcript(messages: Iterable[ChatMessage], html: bool = False) -> str:
    """The transcript of ``messages`` (ascending), as plain text or HTML."""
    if html:
        return "".join(
            f"<p>{format_date(m.ticks)} {_author(m, html_lib.escape(m.author))}{html_lib.escape(m.text)}</p>"
            for m in messages
        )
    return "\n".join(f"{format_date(m.ticks)} {_author(m, m.author)}{m.text}" for m in messages)


def _author(message: ChatMessage, author: str) -> str:
    return f"{author}: " if message.author else ""


def parse_html_flag(value: Any) -> bool | None:
    """A query or body ``html`` value as ASP.NET binds a bool: ``true``/``false`` in any case, or a
    JSON bool; None (absent) is False. Returns None for anything else (the caller answers 400)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None
