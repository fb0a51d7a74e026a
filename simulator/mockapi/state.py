"""The mock SuperOffice chat REST API: one pure request-to-response core over the simulated state.

A ``chatsession.message`` webhook names the session and the changed fields, never the message,
so a receiver calls SuperOffice back. sosim generated those sessions and messages; this module
serves them as SuperOffice would:

* :class:`ChatState` holds what the API can see. ``announce(event)`` makes one event's state
  and message visible, so the state is always *as of* the last announced event: a message
  exists only once the webhook that announced it has been sent. Built from a whole scenario
  (:meth:`ChatState.from_scenario`) it holds the final state.
* :class:`MockApi` answers requests: ``handle(method, path, query, headers, body)`` returns an
  :class:`ApiResponse` (status, headers, JSON bytes). Nothing here does I/O; the faces in
  :mod:`simulator.mockapi.http` (ASGI app, ``httpx.MockTransport``, respx router) and
  :mod:`simulator.mockapi.server` (HTTP server) only translate requests and responses.

Endpoints (paths case-insensitive, under an optional ``/{ContextIdentifier}`` prefix):
``GET /api/v1/ChatSession/{id}``, ``GET /api/v1/ChatSession/{id}/Messages?after=N``,
``GET /api/v1/ChatTopic/{id}``, ``POST /api/v1/Agents/Chat/GetChatSessionEntity?chatSessionEntityId=N``,
``POST /api/v1/Agents/Chat/GetChatMessages`` (body ``{"ChatSessionId", "After"}``),
``POST /api/v1/Agents/Chat/GetChatTopicEntity?chatTopicEntityId=N``, and the transcript
(:mod:`simulator.mockapi.transcript`): ``POST /api/v1/ChatSession/{id}/Transcript?html=`` and
``POST /api/v1/Agents/Chat/GetChatTranscript`` (body ``{"ChatSessionId", "Html"}``), the archive
lists ``GET /api/v1/ChatSession`` and ``GET /api/v1/ChatTopic/{id}/Sessions`` (OData, in
:mod:`simulator.mockapi.odata`), ``GET /api/v1/ChatSession/default`` (a new entity's defaults)
and ``GET /api/v1/ChatSession/ForCurrentUser``. Dates follow ``SO-TimeZone``
(:mod:`simulator.mockapi.timezone`).

The writes a bot or agent under test makes (messages, pickup, reset, transfers, saves) are routed
to :mod:`simulator.mockapi.writes` (:func:`~simulator.mockapi.writes.match_write`): each changes
the state at once (:meth:`ChatState.apply_change`) and is reported to ``MockApi(on_change=...)``;
refused ones are counted in :attr:`MockApi.write_errors`.

The state lives in :mod:`simulator.mockapi.chat_state`, the request-to-response core in
:mod:`simulator.mockapi.api`; this module is the one import path for both.

Memory: one record per announced session with its messages. A scenario's final state is
small; a live run (``sosim run --serve-api``) keeps every session it has announced, so a very
long run grows with its sessions.
"""

from __future__ import annotations

from simulator.mockapi.answers import JSON_CONTENT_TYPE, ApiCall, ApiResponse, Headers
from simulator.mockapi.api import MockApi, MockApiOptions
from simulator.mockapi.auth import AUTH_SCHEMES
from simulator.mockapi.chat_state import ChatState

__all__ = [
    "AUTH_SCHEMES",
    "JSON_CONTENT_TYPE",
    "ApiCall",
    "ApiResponse",
    "ChatState",
    "Headers",
    "MockApi",
    "MockApiOptions",
]
