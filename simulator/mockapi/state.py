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

Memory: one record per announced session with its messages. A scenario's final state is
small; a live run (``sosim run --serve-api``) keeps every session it has announced, so a very
long run grows with its sessions.
"""

from __future__ import annotations

import bisect
import json
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal
from urllib.parse import parse_qsl, unquote

from simulator.core.events import ChatMessage, CustomerProfile, Event, SessionFields
from simulator.mockapi.auth import AUTH_SCHEMES, Denied, authenticate
from simulator.mockapi.odata import ODataError, archive_response, parse_query
from simulator.mockapi.shapes import (
    ENDED_STATUSES,
    AgentRecord,
    JsonObject,
    SessionView,
    TopicRecord,
    archive_row,
    default_session_entity,
    error_body,
    format_date,
    message_entity,
    select_fields,
    session_entity,
    topic_entity,
)
from simulator.mockapi.timezone import TimeZoneError, in_time_zone, parse_time_zone
from simulator.mockapi.transcript import parse_html_flag, transcript
from simulator.superoffice import facts as so

if TYPE_CHECKING:
    from simulator.core.generate import SessionPlan
    from simulator.core.scenario_model import Scenario

__all__ = [
    "AUTH_SCHEMES",
    "ApiCall",
    "ApiResponse",
    "ChatState",
    "MockApi",
    "MockApiOptions",
]

JSON_CONTENT_TYPE: Final = "application/json; charset=utf-8"
_TIME_ZONE: Final = so.HEADER_TIME_ZONE.lower()
NOT_FOUND_TYPE: Final = "SoNotFoundException"
Headers = Mapping[str, str] | Iterable[tuple[str, str]]


# --- the state ---------------------------------------------------------------------------------


@dataclass(slots=True)
class _Session:
    """One session's visible state; mutated only by ``ChatState.announce`` under its lock."""

    session_id: int
    fields: SessionFields
    profile: CustomerProfile | None
    requested_ticks: int
    initial_queue_pos: int
    messages: list[ChatMessage] = field(default_factory=list)
    message_ids: set[int] = field(default_factory=set)
    started_ticks: int = 0
    ended_ticks: int = 0


class ChatState:
    """What the mock API can see: sessions and their messages as of the last announced event.

    Thread-safe: a live run announces from its delivery loop while the HTTP server reads from
    its own thread.
    """

    def __init__(self) -> None:
        """Start empty: no sessions, topics, agents or tenants."""
        self._lock = threading.Lock()
        self._sessions: dict[int, _Session] = {}
        self._queued: set[int] = set()
        self._topics: dict[int, TopicRecord] = {}
        self._agents: dict[int, AgentRecord] = {}  # by ejuser id (FieldValues UserId)
        self._tenants: set[str] = set()
        self._announced = 0

    # -- building --------------------------------------------------------------------------

    @classmethod
    def from_scenario(
        cls,
        scenario: Scenario,
        *,
        seed: int | None = None,
        start: datetime | None = None,
        sessions: int | None = None,
    ) -> ChatState:
        """The final state of every session of ``scenario`` (what ``sosim api`` serves).

        ``sessions`` overrides the scenario's count, as ``sosim generate --sessions`` does.
        """
        from simulator.core.generate import generate_sessions
        from simulator.core.plan import PlanOptions, adjust

        scenario = adjust(scenario, PlanOptions(sessions=sessions))
        state = cls()
        state.add_scenario(scenario, seed=seed)
        state.add_plans(generate_sessions(scenario, seed=seed, start=start))
        return state

    def add_scenario(self, scenario: Scenario, *, seed: int | None = None) -> None:
        """Register a scenario's tenant, topics and agents (no sessions yet)."""
        from simulator.core.generate import make_generator

        agents = make_generator(scenario, seed=seed).agents
        bot = scenario.flow.chatbot.probability > 0
        with self._lock:
            self._tenants.add(scenario.webhook.context_identifier.lower())
            for topic in scenario.population.topics:
                name = topic.name or f"Topic {topic.id}"
                self._topics[topic.id] = TopicRecord(topic.id, name, bot)
            for agent in agents:
                self._agents[agent.user_id] = AgentRecord(agent.associate_id, agent.user_id, agent.name)

    def add_plans(self, plans: Iterable[SessionPlan]) -> None:
        """Announce every event of each session plan, and its changes that send no webhook (a
        rating alone), in time order: their final state."""
        for plan in plans:
            events = [timed.event for timed in plan.events]
            if plan.silent:
                events = sorted([*events, *plan.silent], key=_event_ticks)
            for event in events:
                self.announce(event)

    def add_tenant(self, context_identifier: str) -> None:
        """Accept ``/{context_identifier}/api/...`` as a tenant prefix."""
        with self._lock:
            self._tenants.add(context_identifier.lower())

    # -- following events ------------------------------------------------------------------

    def announce(self, event: Event) -> None:
        """Make ``event`` visible: its session's fields, and its message if it carries one.

        Idempotent: announcing an event again (a retry) changes nothing.
        """
        if event.name == so.EVENT_TEST:
            return
        with self._lock:
            self._announced += 1
            record = self._sessions.get(event.session_id)
            if record is None or (event.name == so.EVENT_CREATED and record.requested_ticks != event.ticks):
                record = _Session(
                    event.session_id, event.fields, event.profile, event.ticks, len(self._queued) + 1
                )
                self._sessions[event.session_id] = record
            self._apply(record, event)

    def _apply(self, record: _Session, event: Event) -> None:
        fields = event.fields
        record.fields = fields
        if event.profile is not None:
            record.profile = event.profile
        if fields.user_id and not record.started_ticks:
            record.started_ticks = event.ticks
        if fields.status in ENDED_STATUSES and not record.ended_ticks:
            record.ended_ticks = event.ticks
        if fields.status == so.ChatSessionStatus.InQueue:
            self._queued.add(record.session_id)
        else:
            self._queued.discard(record.session_id)
        message = event.message
        if message is not None and message.message_id not in record.message_ids:
            record.message_ids.add(message.message_id)
            # Ids ascend within a session, so this appends; insort keeps order if one ever does not.
            bisect.insort(record.messages, message, key=_message_id)

    # -- reading ---------------------------------------------------------------------------

    @property
    def session_ids(self) -> list[int]:
        """The ids of every visible session, in the order they appeared."""
        with self._lock:
            return list(self._sessions)

    @property
    def announced(self) -> int:
        """How many events have been announced."""
        return self._announced

    def knows_tenant(self, context_identifier: str) -> bool:
        """Whether a tenant prefix is served (any is, until a scenario or tenant is registered)."""
        with self._lock:
            return not self._tenants or context_identifier.lower() in self._tenants

    def view(self, session_id: int) -> SessionView | None:
        """A consistent snapshot of one session, or None when it is not visible (yet)."""
        with self._lock:
            record = self._sessions.get(session_id)
            if record is None:
                return None
            return SessionView(
                record.session_id,
                record.fields,
                record.profile,
                tuple(record.messages),
                record.requested_ticks,
                record.started_ticks,
                record.ended_ticks,
                record.initial_queue_pos,
                self._agents.get(record.fields.user_id) if record.fields.user_id else None,
            )

    def messages(self, session_id: int, after: int = 0) -> list[ChatMessage] | None:
        """The visible messages of a session whose id is above ``after``, ascending; None if unknown."""
        with self._lock:
            record = self._sessions.get(session_id)
            if record is None:
                return None
            return [m for m in record.messages if m.message_id > after]

    def topic(self, topic_id: int) -> TopicRecord | None:
        """A registered chat topic, or None."""
        with self._lock:
            return self._topics.get(topic_id)


# --- requests and responses -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """One answer of the mock API: status, headers and the exact JSON bytes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    #: The HTTP reason phrase when it is not the standard one ("ChatSession Not Found").
    reason: str = ""

    def json(self) -> Any:
        """The body, decoded."""
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One request the mock API answered, for assertions on a receiver's callbacks."""

    method: str
    path: str
    query: str
    status: int


@dataclass(frozen=True, slots=True)
class MockApiOptions:
    """How the mock resolves what the docs leave open (each choice is in the README).

    ``tokens``: the credentials accepted after ``Bearer``/``SOTicket``/``Basic``; None accepts any
    non-empty one. ``agent_not_found``: what the agent endpoints answer for an unknown id; the
    docs list only 200, so the default answers 404 like the REST endpoints, and ``"null"``
    answers 200 with ``null`` (or ``[]`` for messages), as NetServer agents usually do.
    """

    tokens: frozenset[str] | None = None
    agent_not_found: Literal["404", "null"] = "404"
    keep_calls: int = 1000
    #: The topics the API user is a member of, for ``ChatSession/ForCurrentUser``; None: every
    #: topic (the docs' "Can Respond, Notifications, Listen or Manager" membership is not modelled).
    current_user_topics: frozenset[int] | None = None


class _Problem(Exception):
    """An error answer, raised inside the handler and turned into the documented error body."""

    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        headers: tuple[tuple[str, str], ...] = (),
        reason: str = "",
    ):
        super().__init__(message)
        self.reason = reason
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = headers


@dataclass(frozen=True, slots=True)
class _Route:
    method: str
    tenant: str
    api_root: str  # "/Cust12345/api/v1" as the request spelled it, for _Links
    parts: tuple[str, ...]  # lower-cased segments after /api/v1


class MockApi:
    """The mock chat REST API: ``handle`` turns one request into one response, purely."""

    def __init__(self, state: ChatState | None = None, options: MockApiOptions | None = None) -> None:
        """Serve ``state`` (a new empty one by default) with ``options``."""
        self.state = state if state is not None else ChatState()
        self.options = options or MockApiOptions()
        self._calls: deque[ApiCall] = deque(maxlen=self.options.keep_calls or None)
        self._calls_lock = threading.Lock()

    @property
    def calls(self) -> list[ApiCall]:
        """The most recent requests answered (at most ``options.keep_calls``), oldest first."""
        with self._calls_lock:
            return list(self._calls)

    def handle(
        self,
        method: str,
        path: str,
        query: str = "",
        headers: Headers = (),
        body: bytes = b"",
        *,
        root: str = "",
    ) -> ApiResponse:
        """Answer one request; never raises.

        ``path`` is percent-encoded as sent, ``query`` the raw query string; ``root``
        (``http://host``) prefixes the ``_Links`` URLs.
        """
        reason = ""
        lowered = _lowered(headers)
        try:
            status, payload, extra = self._dispatch(method.upper(), path, query, lowered, body, root)
            payload = _dates_as_asked(payload, lowered)
        except _Problem as problem:
            status, extra, reason = problem.status, problem.headers, problem.reason
            payload = error_body(problem.error_type, problem.message)
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        with self._calls_lock:
            self._calls.append(ApiCall(method.upper(), path, query, status))
        return ApiResponse(status, (("Content-Type", JSON_CONTENT_TYPE), *extra), data, reason)

    def may_block(self, method: str, path: str) -> bool:
        """Whether answering this request may wait on something outside the API (a webhook's test
        event): the HTTP server then answers it off its event loop. The chat endpoints never do."""
        return False

    # -- routing ---------------------------------------------------------------------------

    def _dispatch(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes, root: str
    ) -> tuple[int, Any, tuple[tuple[str, str], ...]]:
        route = self._route(method, path)
        self._authorize(headers)
        params = {key.lower(): value for key, value in parse_qsl(query, keep_blank_values=True)}
        links_root = root + route.api_root
        parts = route.parts
        if parts == ("chatsession",):
            _allow(method, "GET")
            return 200, self._archive(root + route.api_root, params), ()
        if parts == ("chatsession", "default"):
            _allow(method, "GET")
            return 200, default_session_entity(), ()
        if parts == ("chatsession", "forcurrentuser"):
            _allow(method, "GET")
            return 200, self._for_current_user(), ()
        if len(parts) == 3 and parts[0] == "chattopic" and parts[2] == "sessions":
            _allow(method, "GET")
            return 200, self._topic_sessions(_path_id(parts[1]), root + route.api_root, params), ()
        if len(parts) == 2 and parts[0] == "chatsession":
            _allow(method, "GET")
            return 200, self._session(_path_id(parts[1]), links_root, params), ()
        if len(parts) == 3 and parts[0] == "chatsession" and parts[2] == "transcript":
            _allow(method, "POST")
            return 200, self._transcript(_path_id(parts[1]), params.get("html"), agent=False), ()
        if len(parts) == 3 and parts[0] == "chatsession" and parts[2] == "messages":
            _allow(method, "GET")
            session_id = _path_id(parts[1])
            return 200, self._messages(session_id, _int_param(params, "after", 0), agent=False), ()
        if len(parts) == 2 and parts[0] == "chattopic":
            _allow(method, "GET")
            return 200, self._topic(_path_id(parts[1]), links_root, params), ()
        if len(parts) == 3 and parts[:2] == ("agents", "chat"):
            _allow(method, "POST")
            return 200, self._agent(parts[2], params, body), ()
        raise _no_resource()

    def _route(self, method: str, path: str) -> _Route:
        segments = [unquote(s) for s in path.split("/") if s]
        lowered = [s.lower() for s in segments]
        for start in (0, 1):
            if lowered[start : start + 2] == ["api", "v1"]:
                break
        else:
            raise _no_resource()
        tenant = segments[0] if start else ""
        if tenant and not self.state.knows_tenant(tenant):
            raise _Problem(404, NOT_FOUND_TYPE, f"Tenant {tenant} not found")
        api_root = "/" + "/".join([*segments[:start], "api", "v1"])
        return _Route(method, tenant, api_root, tuple(lowered[start + 2 :]))

    def _authorize(self, headers: dict[str, str]) -> None:
        caller = authenticate(headers, self.options.tokens)
        if isinstance(caller, Denied):
            raise _Problem(caller.status, caller.error_type, caller.message, caller.headers)

    # -- endpoints -------------------------------------------------------------------------

    def _session(
        self, session_id: int, links_root: str | None, params: Mapping[str, str]
    ) -> JsonObject | None:
        view = self.state.view(session_id)
        if view is None:
            if links_root is None and self.options.agent_not_found == "null":
                return None
            raise _not_found("ChatSession", session_id)
        links = None
        if links_root is not None:
            links = {"Self": f"{links_root}/ChatSession/{session_id}", "Archive": f"{links_root}/ChatSession"}
        entity = session_entity(view, links)
        return select_fields(entity, params["$select"]) if params.get("$select") else entity

    def _archive(
        self,
        api_root: str,
        params: Mapping[str, str],
        topic_id: int | None = None,
        path: str = "ChatSession",
    ) -> JsonObject:
        try:
            query = parse_query(params)
        except ODataError as error:
            raise _bad_request(str(error)) from None
        views = (self.state.view(session_id) for session_id in self.state.session_ids)
        rows = [
            archive_row(view)
            for view in views
            if view is not None and (topic_id is None or view.fields.topic_id == topic_id)
        ]
        original = {k: v for k, v in params.items() if k.startswith("$")}
        return archive_response(
            rows, query, api_root=api_root, format_date=format_date, params=original, path=path
        )

    def _topic_sessions(self, topic_id: int, api_root: str, params: Mapping[str, str]) -> JsonObject:
        """``GET ChatTopic/{id}/Sessions``: the archive over one topic's sessions (404: no such topic)."""
        if self.state.topic(topic_id) is None:
            raise _not_found("ChatTopic", topic_id)
        return self._archive(api_root, params, topic_id, f"ChatTopic/{topic_id}/Sessions")

    def _for_current_user(self) -> list[JsonObject]:
        """``GET ChatSession/ForCurrentUser``: the sessions of the topics the API user is a member of."""
        topics = self.options.current_user_topics
        views = (self.state.view(session_id) for session_id in self.state.session_ids)
        return [
            session_entity(view)
            for view in views
            if view is not None and (topics is None or view.fields.topic_id in topics)
        ]

    def _messages(self, session_id: int, after: int, *, agent: bool) -> list[JsonObject]:
        messages = self.state.messages(session_id, after)
        if messages is None:
            if agent and self.options.agent_not_found == "null":
                return []
            raise _not_found("ChatSession", session_id)
        return [message_entity(m) for m in messages]

    def _topic(self, topic_id: int, links_root: str | None, params: Mapping[str, str]) -> JsonObject | None:
        topic = self.state.topic(topic_id)
        if topic is None:
            if links_root is None and self.options.agent_not_found == "null":
                return None
            raise _not_found("ChatTopic", topic_id)
        links = None
        if links_root is not None:
            links = {"Self": f"{links_root}/ChatTopic/{topic_id}", "Archive": f"{links_root}/ChatTopic"}
        entity = topic_entity(topic, links)
        return select_fields(entity, params["$select"]) if params.get("$select") else entity

    def _agent(self, name: str, params: Mapping[str, str], body: bytes) -> Any:
        if name == "getchatsessionentity":
            return self._session(_required_int(params, "chatSessionEntityId"), None, params)
        if name == "getchattopicentity":
            return self._topic(_required_int(params, "chatTopicEntityId"), None, params)
        if name == "getchatmessages":
            request = _json_object(body)
            session_id = _body_int(request, "ChatSessionId", None)
            return self._messages(session_id, _body_int(request, "After", 0), agent=True)
        if name == "getchattranscript":
            request = _json_object(body)
            session_id = _body_int(request, "ChatSessionId", None)
            return self._transcript(session_id, request.get("html"), agent=True)
        raise _no_resource()

    def _transcript(self, session_id: int, html: Any, *, agent: bool) -> str | None:
        flag = parse_html_flag(html)
        if flag is None:
            raise _bad_request("html must be true or false")
        messages = self.state.messages(session_id)
        if messages is None:
            if agent and self.options.agent_not_found == "null":
                return None
            raise _not_found("ChatSession", session_id)
        return transcript(messages, flag)


# --- small helpers ------------------------------------------------------------------------------


def _event_ticks(event: Event) -> int:
    return event.ticks


def _message_id(message: ChatMessage) -> int:
    return message.message_id


def _lowered(headers: Headers) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {str(name).lower(): str(value) for name, value in items}


def _dates_as_asked(payload: Any, headers: Mapping[str, str]) -> Any:
    """The payload's dates in the zone ``SO-TimeZone`` asks for (unchanged without the header)."""
    value = headers.get(_TIME_ZONE)
    if not value:
        return payload
    try:
        return in_time_zone(payload, parse_time_zone(value))
    except TimeZoneError as error:
        raise _bad_request(str(error)) from None


def _allow(method: str, allowed: str) -> None:
    if method != allowed:
        raise _Problem(
            405,
            "HttpMethodNotAllowed",
            f"The requested resource does not support http method '{method}'",
            (("Allow", allowed),),
        )


def _no_resource() -> _Problem:
    return _Problem(404, NOT_FOUND_TYPE, "No HTTP resource was found that matches the request URI")


def _not_found(entity: str, entity_id: int) -> _Problem:
    # The documented example answers "HTTP 404 Contact Not Found": the phrase names the entity.
    return _Problem(404, NOT_FOUND_TYPE, f"{entity} id {entity_id} not found", reason=f"{entity} Not Found")


def _path_id(text: str) -> int:
    if not text.isdigit():
        raise _no_resource()  # ASP.NET's {id:int} route does not match
    return int(text)


def _bad_request(message: str) -> _Problem:
    return _Problem(400, "ArgumentException", message)


def _int_param(params: Mapping[str, str], name: str, default: int) -> int:
    text = params.get(name.lower())
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise _bad_request(f"The value '{text}' is not valid for {name}") from None


def _required_int(params: Mapping[str, str], name: str) -> int:
    if name.lower() not in params:
        raise _bad_request(f"The query parameter {name} is required")
    return _int_param(params, name, 0)


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise _bad_request("The request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise _bad_request("The request body must be a JSON object")
    return {str(key).lower(): item for key, item in value.items()}


def _body_int(request: Mapping[str, Any], name: str, default: int | None) -> int:
    value = request.get(name.lower(), default)
    if value is None:
        raise _bad_request(f"The request body needs {name}")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _bad_request(f"{name} must be an integer")
    try:
        return int(value)
    except ValueError:
        raise _bad_request(f"{name} must be an integer") from None
