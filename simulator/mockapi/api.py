"""The mock chat API's request-to-response core: routing, the read endpoints, and the write
endpoints handed to :mod:`simulator.mockapi.writes`, over a :class:`~simulator.mockapi.chat_state.ChatState`.

See :mod:`simulator.mockapi.state` for the endpoints served. Pure: no I/O.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import unquote

from simulator.mockapi.answers import JSON_CONTENT_TYPE, ApiCall, ApiResponse, Headers, lowered_headers
from simulator.mockapi.auth import Caller, Denied, authenticate
from simulator.mockapi.chat_state import ChatState
from simulator.mockapi.edits import ChangeListener, wall_ticks
from simulator.mockapi.odata import ODataError, archive_response, parse_query
from simulator.mockapi.problems import (
    NOT_FOUND_TYPE,
    Problem,
    allow,
    bad_request,
    body_int,
    int_param,
    json_object,
    no_resource,
    not_found,
    path_id,
    query_params,
    required_int,
)
from simulator.mockapi.shapes import (
    JsonObject,
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
from simulator.mockapi.write_routes import WriteRoute, match_write
from simulator.mockapi.writes import Writer
from simulator.superoffice import facts as so

__all__ = ["MockApi", "MockApiOptions"]

_TIME_ZONE: Final = so.HEADER_TIME_ZONE.lower()


# --- requests and responses -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MockApiOptions:
    """How the mock resolves what the docs leave open (each choice is in the README).

    ``tokens``: the credentials accepted after ``Bearer``/``SOTicket``/``Basic``; None accepts any
    non-empty one. ``agent_not_found``: what the agent endpoints answer for an unknown id; the
    docs list only 200, so the default answers 404 like the REST endpoints, and ``"null"``
    answers 200 with ``null`` (or ``[]`` for messages), as NetServer agents usually do.

    The writes (:mod:`simulator.mockapi.writes`): ``callers`` maps a credential to the
    AssociateId it acts as; any other caller is ``caller_associate_id`` (0: the system, as
    generated bot and system messages are; its pickups go to the scenario's first agent).
    ``welcome_message`` is the text of the ``Welcome`` message a pickup sends (``{agent}`` and
    ``{customer}`` become first names), None sends none.
    """

    tokens: frozenset[str] | None = None
    agent_not_found: Literal["404", "null"] = "404"
    keep_calls: int = 1000
    callers: Mapping[str, int] = field(default_factory=dict)
    caller_associate_id: int = 0
    welcome_message: str | None = "Hi {customer}, my name is {agent}. How can I help you today?"
    #: The topics the API user is a member of, for ``ChatSession/ForCurrentUser``; None: every
    #: topic (the docs' "Can Respond, Notifications, Listen or Manager" membership is not modelled).
    current_user_topics: frozenset[int] | None = None


@dataclass(frozen=True, slots=True)
class _Target:
    """A request path, parsed once: its segments (percent-decoded) and where ``api/v1`` starts."""

    segments: tuple[str, ...]
    lowered: tuple[str, ...]
    start: int | None  # index of "api" in segments (0, or 1 after a tenant); None: no api/v1

    @classmethod
    def parse(cls, path: str) -> _Target:
        segments = tuple(unquote(s) for s in path.split("/") if s)
        lowered = tuple(s.lower() for s in segments)
        start = next((i for i in (0, 1) if lowered[i : i + 2] == ("api", "v1")), None)
        return cls(segments, lowered, start)

    @property
    def parts(self) -> tuple[str, ...]:
        """The lower-cased segments after ``api/v1`` (none when the path has no ``api/v1``)."""
        return () if self.start is None else self.lowered[self.start + 2 :]

    @property
    def endpoint(self) -> str:
        """The endpoint for counting: ``ChatSession/{id}/Messages``, ids written ``{id}``."""
        start = 0 if self.start is None else self.start + 2
        return "/".join("{id}" if s.isdigit() else s for s in self.segments[start:]) or "/"


@dataclass(frozen=True, slots=True)
class _Route:
    api_root: str  # "/Cust12345/api/v1" as the request spelled it, for _Links
    parts: tuple[str, ...]  # lower-cased segments after /api/v1


class MockApi:
    """The mock chat REST API: ``handle`` turns one request into one response, purely."""

    def __init__(
        self,
        state: ChatState | None = None,
        options: MockApiOptions | None = None,
        *,
        on_change: ChangeListener | None = None,
        ticks: Callable[[], int] | None = None,
    ) -> None:
        """Serve ``state`` (a new empty one by default) with ``options``.

        Each accepted write that changes a session changes ``state`` and then calls
        ``on_change`` once, inside :meth:`handle`, on the caller's thread (the HTTP server's
        event loop): it must be quick and must not raise. ``ticks`` is "now" in 100 ns ticks
        since the Unix epoch (default: the wall clock).
        """
        self.state = state if state is not None else ChatState()
        self.options = options or MockApiOptions()
        self._calls: deque[ApiCall] = deque(maxlen=self.options.keep_calls or None)
        self._calls_lock = threading.Lock()
        self._writer = Writer(self.state, self.options, ticks or wall_ticks, on_change)
        self._write_errors: Counter[tuple[str, int]] = Counter()
        self._read_errors: Counter[tuple[str, int]] = Counter()

    @property
    def calls(self) -> list[ApiCall]:
        """The most recent requests answered (at most ``options.keep_calls``), oldest first."""
        with self._calls_lock:
            return list(self._calls)

    @property
    def read_errors(self) -> dict[tuple[str, int], int]:
        """Reads answered 4xx: (endpoint, status) -> count, e.g. ("GET ChatSession/{id}", 404)."""
        with self._calls_lock:
            return dict(self._read_errors)

    @property
    def write_errors(self) -> dict[tuple[str, int], int]:
        """Refused writes: (endpoint, status) -> count, e.g. ("POST ChatSession/{id}/Messages", 400)."""
        with self._calls_lock:
            return dict(self._write_errors)

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
        method = method.upper()
        status, reason = 200, ""
        extra: tuple[tuple[str, str], ...] = ()
        try:
            payload = self._dispatch(method, path, query, lowered_headers(headers), body, root)
        except Problem as problem:
            status, extra, reason = problem.status, problem.headers, problem.reason
            payload = error_body(problem.error_type, problem.message)
        data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        with self._calls_lock:
            self._calls.append(ApiCall(method, path, query, status))
        return ApiResponse(status, (("Content-Type", JSON_CONTENT_TYPE), *extra), data, reason)

    def may_block(self, method: str, path: str) -> bool:
        """Whether answering this request may wait on something outside the API (a webhook's test
        event): the HTTP server then answers it off its event loop. The chat endpoints never do."""
        return False

    # -- routing ---------------------------------------------------------------------------
    # Hand-written on purpose (measured with `python -m bench.routing`): a Starlette Router of the
    # same 22 endpoints costs 2-21 us a match (flat, 44 routes) or 5-17 us (two Mounts), a median
    # 42-68% of today's whole answer of 7-43 us and more than the whole answer for the tenant's
    # Webhook reads, while today's split and write table take about 1 us. It would replace only
    # the ~90 lines of if-chains (_answer, match_write, the tenant's _dispatch_webhook), not the
    # case-insensitive paths, the tenant prefix, SuperOffice's id and 405 errors or write counting.

    def _dispatch(
        self, method: str, path: str, query: str, headers: dict[str, str], body: bytes, root: str
    ) -> Any:
        """The payload of one request, its dates in the asked zone; a read refused with a 4xx is
        counted here (a write counts its own refusals, in :meth:`_write`)."""
        target = _Target.parse(path)
        try:
            return _dates_as_asked(self._answer(method, target, query, headers, body, root), headers)
        except Problem as problem:
            if 400 <= problem.status < 500 and not _is_write(method, target.parts):
                with self._calls_lock:
                    self._read_errors[(f"{method} {target.endpoint}", problem.status)] += 1
            raise

    def _answer(
        self, method: str, target: _Target, query: str, headers: dict[str, str], body: bytes, root: str
    ) -> Any:
        route = self._route(target)
        links_root = root + route.api_root
        write = match_write(method, route.parts)
        if write is not None:
            return self._write(write, method, query, headers, body, links_root)
        self._authorize(headers)
        params = query_params(query)
        parts = route.parts
        if parts == ("chatsession",):
            allow(method, "GET")
            return self._archive(root + route.api_root, params)
        if parts == ("chatsession", "default"):
            allow(method, "GET")
            return default_session_entity()
        if parts == ("chatsession", "forcurrentuser"):
            allow(method, "GET")
            return self._for_current_user()
        if len(parts) == 3 and parts[0] == "chattopic" and parts[2] == "sessions":
            allow(method, "GET")
            return self._topic_sessions(path_id(parts[1]), root + route.api_root, params)
        if len(parts) == 2 and parts[0] == "chatsession":
            allow(method, "GET", "GET, PUT, PATCH")
            return self._session(path_id(parts[1]), links_root, params)
        if len(parts) == 3 and parts[0] == "chatsession" and parts[2] == "transcript":
            allow(method, "POST")
            return self._transcript(path_id(parts[1]), params.get("html"), agent=False)
        if len(parts) == 3 and parts[0] == "chatsession" and parts[2] == "messages":
            allow(method, "GET", "GET, POST")
            session_id = path_id(parts[1])
            return self._messages(session_id, int_param(params, "after", 0), agent=False)
        if len(parts) == 2 and parts[0] == "chattopic":
            allow(method, "GET")
            return self._topic(path_id(parts[1]), links_root, params)
        if len(parts) == 3 and parts[:2] == ("agents", "chat"):
            allow(method, "POST")
            return self._agent(parts[2], params, body)
        raise no_resource()

    def _route(self, target: _Target) -> _Route:
        start = target.start
        if start is None:
            raise no_resource()
        tenant = target.segments[0] if start else ""
        if tenant and not self.state.knows_tenant(tenant):
            raise Problem(404, NOT_FOUND_TYPE, f"Tenant {tenant} not found")
        api_root = "/" + "/".join([*target.segments[:start], "api", "v1"])
        return _Route(api_root, target.parts)

    def _authorize(self, headers: dict[str, str]) -> Caller:
        caller = authenticate(headers, self.options.tokens)
        if isinstance(caller, Denied):
            raise Problem(caller.status, caller.error_type, caller.message, caller.headers)
        return caller

    def _write(
        self, route: WriteRoute, method: str, query: str, headers: dict[str, str], body: bytes, links: str
    ) -> Any:
        try:
            caller = self._authorize(headers)
            return self._writer.answer(route, method, caller, query_params(query), body, links)
        except Problem as problem:
            with self._calls_lock:
                self._write_errors[(route.endpoint, problem.status)] += 1
            raise

    # -- endpoints -------------------------------------------------------------------------

    def _session(
        self, session_id: int, links_root: str | None, params: Mapping[str, str]
    ) -> JsonObject | None:
        view = self.state.view(session_id)
        if view is None:
            if links_root is None and self.options.agent_not_found == "null":
                return None
            raise not_found("ChatSession", session_id)
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
            raise bad_request(str(error)) from None
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
            raise not_found("ChatTopic", topic_id)
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
            raise not_found("ChatSession", session_id)
        return [message_entity(m) for m in messages]

    def _topic(self, topic_id: int, links_root: str | None, params: Mapping[str, str]) -> JsonObject | None:
        topic = self.state.topic(topic_id)
        if topic is None:
            if links_root is None and self.options.agent_not_found == "null":
                return None
            raise not_found("ChatTopic", topic_id)
        links = None
        if links_root is not None:
            links = {"Self": f"{links_root}/ChatTopic/{topic_id}", "Archive": f"{links_root}/ChatTopic"}
        entity = topic_entity(topic, links)
        return select_fields(entity, params["$select"]) if params.get("$select") else entity

    def _agent(self, name: str, params: Mapping[str, str], body: bytes) -> Any:
        if name == "getchatsessionentity":
            return self._session(required_int(params, "chatSessionEntityId"), None, params)
        if name == "getchattopicentity":
            return self._topic(required_int(params, "chatTopicEntityId"), None, params)
        if name == "getchatmessages":
            request = json_object(body)
            session_id = body_int(request, "ChatSessionId", None)
            return self._messages(session_id, body_int(request, "After", 0), agent=True)
        if name == "getchattranscript":
            request = json_object(body)
            session_id = body_int(request, "ChatSessionId", None)
            return self._transcript(session_id, request.get("html"), agent=True)
        raise no_resource()

    def _transcript(self, session_id: int, html: Any, *, agent: bool) -> str | None:
        flag = parse_html_flag(html)
        if flag is None:
            raise bad_request("html must be true or false")
        messages = self.state.messages(session_id)
        if messages is None:
            if agent and self.options.agent_not_found == "null":
                return None
            raise not_found("ChatSession", session_id)
        return transcript(messages, flag)


def _is_write(method: str, parts: tuple[str, ...]) -> bool:
    """Whether a request is for a write endpoint (those count their own errors)."""
    try:
        return match_write(method, parts) is not None
    except Problem:  # a write route with a bad id: the write path refused and counted it
        return method != "GET"


def _dates_as_asked(payload: Any, headers: Mapping[str, str]) -> Any:
    """The payload's dates in the zone ``SO-TimeZone`` asks for (unchanged without the header)."""
    value = headers.get(_TIME_ZONE)
    if not value:
        return payload
    try:
        return in_time_zone(payload, parse_time_zone(value))
    except TimeZoneError as error:
        raise bad_request(str(error)) from None
