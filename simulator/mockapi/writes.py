"""The mock chat API's writes: what a bot or agent under test does to a session through the API.

Endpoints (SuperOfficeDocs/superoffice-docs, ``docs/en/api/reference/restful/rest/ChatSession/``
and ``.../agent/Chat_Agent/``), all answered 200 as documented:

* ``POST ChatSession/{id}/Messages`` (a ``ChatMessage`` body) and ``Agents/Chat/AddChatMessage``
  (``{"ChatSessionId", "Message": ChatMessage}``): the saved ``ChatMessage``, with its new id
  (the session's highest + 1) and ``WhenPosted``.
* ``POST ChatSession/{id}/Pickup``, ``POST ChatSession/Pickup`` (the first waiting session) and
  ``Agents/Chat/PickUpChatSession`` / ``PickUpFirstChatSession``; ``POST ChatSession/{id}/Reset``
  and ``Agents/Chat/ResetChatSession``; ``POST ChatSession/{id}/TransferTo/{toAssociate}``,
  ``.../AcceptTransfer``, ``.../RejectTransfer`` and ``Agents/Chat/TransferChatSession``
  (``{"ChatSessionId", "ToAssociate"}``), ``AcceptChatSessionTransfer`` and
  ``RejectChatSessionTransfer`` (``{"ChatSessionId"}``): the ``ChatSessionEntity``.
* ``PUT ChatSession/{id}`` (the properties sent), ``PATCH ChatSession/{id}`` (JSON Patch with
  add/replace/remove/test, or JSON Merge Patch) and ``Agents/Chat/SaveChatSessionEntity``: the
  entity (REST with ``_Links``).

How a session moves, as NetServer does it (the docs say little; each choice cites its page):

* ``ToCustomer`` (the user or bot writes) sets ``UserLast``, ``ToUser`` (the customer writes)
  ``CustomerLast``, while the session is in a conversation: ``CustomerLast``/``UserLast``, or
  ``InQueue`` with the bot active (``docs/en/automation/chatbot/sessions.md``: a bot posting a
  message moves the session to UserLast). A session waiting for a human stays ``InQueue``;
  ``Special`` messages never move it. ``WhenIdle`` and ``LastMessage`` follow the new message.
  ChatMessageType has no internal-note type (``SuperOffice.WebApi.Data.ChatMessageType.yml``
  lists Invalid, ToCustomer, ToUser, Special), so ``Special`` is the only kind a customer does not
  read as a reply; ``Invalid`` is refused.
* Pickup ("'answer' the session: assign the session to the user. The welcome message is sent to
  the customer. Returns NULL if session was not in queue."): ``User`` is the caller's agent,
  ``WhenStarted`` is set, and a ``Special``/``Welcome`` message from the agent
  (``MockApiOptions.welcome_message``; None sends none) makes it ``UserLast`` (without one:
  ``CustomerLast``). Not in the queue: 200 ``null``, nothing changes.
* Reset ("put it back on the queue for pickup. Used by bots to hand off a session to human"):
  ``InQueue``, ``ChatbotIsActive`` false, no ``User``, no pending transfer.
* TransferTo sets ``TransferTo`` ("If the session does not belong to the user, nothing happens":
  a session without a ``User`` stays as it is); AcceptTransfer moves ``User`` to the target and
  adds a ``Special``/``TransferedSession`` message from it, RejectTransfer clears ``TransferTo``
  and adds ``Special``/``TransferRejected`` ("If the session is not being transferred, nothing
  happens"), as generated sessions show transfers. sosim does not check that the caller owns the
  session or is the transfer's target: one API user may act for every agent.
* Saving sets what the body names: ``Status`` (an ended status sets ``WhenEnded``), ``TopicId``,
  ``CustomerAlias``, ``CustomerConsented``, ``AlertLevel``, ``ChatbotIsActive``, ``Rating``, and the
  links ``User``/``TransferTo`` (by ``AssociateId`` or ``EjUserId``), ``Person``, ``Contact``,
  ``Project``, ``Sale`` and ``Ticket`` (by their id; ``null`` unlinks). Read-only properties
  (dates, ``FirstMessage``, ``SessionKey``, ...) are ignored, so a GET-modify-PUT round trip works.
  ``PUT`` changes only the properties it sends (the PUT page says only "Updates the existing
  ChatSessionEntity"); creating a session (no id) is not supported.

Every write is validated: an unknown session is 404 ``SoNotFoundException``; a write to an ended
session (:data:`~simulator.mockapi.shapes.ENDED_STATUSES`), a bad enum name or number, a missing or
wrong-typed property or bad JSON is 400 (:data:`~simulator.mockapi.problems.BAD_REQUEST_TYPE`); a
failed JSON Patch ``test`` is 409 (documented on the PATCH page). An accepted write changes the
state synchronously and then reports a :class:`SessionChange` to ``on_change`` when it changed
something; a refused write or a documented "nothing happens" changes nothing and reports nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import IntEnum
from typing import TYPE_CHECKING, Any, Final, TypeVar

from simulator.core.events import ChatMessage, SessionFields
from simulator.mockapi.auth import Caller
from simulator.mockapi.bodies import (
    find_agent,
    json_dict,
    json_patch,
    lowered,
    merge,
    message_spec,
    saved_fields,
)
from simulator.mockapi.edits import (
    AppliedEdit,
    ChangeListener,
    Plan,
    SessionChange,
    SessionEdit,
    wall_ticks,
)
from simulator.mockapi.problems import (
    allow,
    bad_request,
    body_int,
    json_value,
    not_found,
)
from simulator.mockapi.shapes import (
    ENDED_STATUSES,
    AgentRecord,
    JsonObject,
    SessionView,
    message_entity,
    select_fields,
    session_entity,
)
from simulator.mockapi.write_routes import WriteRoute, match_write
from simulator.superoffice import facts as so

if TYPE_CHECKING:
    from simulator.mockapi.api import MockApiOptions
    from simulator.mockapi.chat_state import ChatState

__all__ = [
    "AppliedEdit",
    "ChangeListener",
    "SessionChange",
    "SessionEdit",
    "WriteRoute",
    "Writer",
    "match_write",
    "wall_ticks",
]

S = so.ChatSessionStatus
T = so.ChatMessageType
ST = so.ChatMessageSpecialType
E = TypeVar("E", bound=IntEnum)

_INT32: Final = 2**31


# --- the writer ----------------------------------------------------------------------------------


class Writer:
    """Answers the write endpoints over a :class:`~simulator.mockapi.state.ChatState`."""

    def __init__(
        self,
        state: ChatState,
        options: MockApiOptions,
        ticks: Callable[[], int],
        on_change: ChangeListener | None,
    ) -> None:
        """Write to ``state``, stamp with ``ticks`` and report accepted changes to ``on_change``."""
        self.state = state
        self.options = options
        self.ticks = ticks
        self.on_change = on_change

    def answer(
        self,
        route: WriteRoute,
        method: str,
        caller: Caller,
        params: Mapping[str, str],
        body: bytes,
        links: str,
    ) -> Any:
        """Apply one write and return its documented answer (``links``: the API root for _Links)."""
        allow(method, route.method)
        if route.action == "message":
            return self._message(route, caller, body)
        if route.action == "save":
            view = self._save(route, caller, body)
            return _entity(view, params, links if not route.agent else None)
        session_id = self._target(route, body)
        if session_id is None:
            return None  # the queue is empty: "Returns NULL if session was not in queue"
        plan = self._plan(route, caller, body)
        applied = self._apply(route, session_id, plan)
        if route.action == "pickup" and not applied.changed:
            return None  # "Returns NULL if session was not in queue."
        return _entity(applied.after, params, None)

    # -- the session a write is about ---------------------------------------------------------

    def _target(self, route: WriteRoute, body: bytes) -> int | None:
        if route.first_in_queue:
            return self.state.first_queued()
        if route.session_id is not None:
            return route.session_id
        return body_int(lowered(json_dict(json_value(body), "The request body")), "ChatSessionId", None)

    def _apply(self, route: WriteRoute, session_id: int, plan: Plan) -> AppliedEdit:
        ticks = self.ticks()
        applied = self.state.apply_change(session_id, plan, ticks)
        if applied is None:
            raise not_found("ChatSession", session_id)
        if applied.changed and self.on_change is not None:
            change = SessionChange(
                session_id,
                route.action,
                route.endpoint,
                applied.before.fields,
                applied.after.fields,
                applied.message,
                applied.changed_by,
                ticks,
            )
            self.on_change(change)
        return applied

    # -- who is calling ---------------------------------------------------------------------------

    def _caller_id(self, caller: Caller) -> int:
        return self.options.callers.get(caller.credential, self.options.caller_associate_id)

    def _acting_agent(self, caller: Caller) -> AgentRecord:
        associate_id = self._caller_id(caller)
        agents = self.state.agents
        first = agents[0] if agents else None
        agent = find_agent(agents, str(associate_id)) if associate_id else first
        if agent is None:
            raise bad_request(f"Associate {associate_id} is not a chat agent of the scenario")
        return agent

    # -- messages ---------------------------------------------------------------------------------

    def _message(self, route: WriteRoute, caller: Caller, body: bytes) -> JsonObject:
        request = json_dict(json_value(body), "The request body")
        if route.agent:
            outer = lowered(request)
            session_id = body_int(outer, "ChatSessionId", None)
            if outer.get("message") is None:
                raise bad_request("The request body needs Message (a ChatMessage)")
            request = json_dict(outer["message"], "Message")
        else:
            assert route.session_id is not None
            session_id = route.session_id
        spec = message_spec(lowered(request), session_id)
        agents = self.state.agents
        caller_id = self._caller_id(caller)
        caller_agent = find_agent(agents, str(caller_id)) if caller_id else None

        def plan(view: SessionView) -> SessionEdit:
            _require_open(view)
            author = spec.author
            if author is None:
                author = _default_author(view, spec.kind, caller_agent)
            by = caller_id
            if spec.kind is not T.ToUser:
                named = next((agent for agent in agents if agent.name == author), None)
                by = named.associate_id if named is not None else caller_id
            status = _status_after_message(view.fields, spec.kind)
            message = ChatMessage(0, view.session_id, spec.kind, spec.text, author, spec.special, spec.param)
            return SessionEdit(view.fields._replace(status=status), view.transfer_to, message, by)

        applied = self._apply(route, session_id, plan)
        assert applied.message is not None
        return message_entity(applied.message)

    # -- pickup, reset, transfers -----------------------------------------------------------------

    def _plan(self, route: WriteRoute, caller: Caller, body: bytes) -> Plan:
        caller_id = self._caller_id(caller)
        if route.action == "pickup":
            return self._pickup_plan(self._acting_agent(caller))
        if route.action == "reset":
            return _reset_plan(caller_id)
        if route.action == "transfer":
            return _transfer_plan(self._transfer_target(route, body), caller_id)
        if route.action == "accept-transfer":
            return _accept_plan
        return _reject_plan(caller_id)

    def _pickup_plan(self, agent: AgentRecord) -> Plan:
        template = self.options.welcome_message

        def plan(view: SessionView) -> SessionEdit | None:
            _require_open(view)
            if view.fields.status is not S.InQueue:
                return None
            message = None
            if template is not None:
                customer = view.profile.name.split(" ")[0] if view.profile else ""
                text = template.replace("{agent}", agent.name.split(" ")[0]).replace("{customer}", customer)
                message = ChatMessage(0, view.session_id, T.Special, text, agent.name, ST.Welcome)
            status = S.UserLast if message is not None else S.CustomerLast
            fields = view.fields._replace(status=status, user_id=agent.user_id)
            return SessionEdit(fields, None, message, agent.associate_id)

        return plan

    def _transfer_target(self, route: WriteRoute, body: bytes) -> AgentRecord:
        wanted: Any = route.to_associate
        if route.agent:
            wanted = lowered(json_dict(json_value(body), "The request body")).get("toassociate")
            if wanted is None:
                raise bad_request("The request body needs ToAssociate")
            if isinstance(wanted, bool) or not isinstance(wanted, str | int):
                raise bad_request("ToAssociate must be an associate id or user name")
        target = find_agent(self.state.agents, str(wanted))
        if target is None:
            raise bad_request(f"Associate {wanted} is not a chat agent of the scenario")
        return target

    # -- save ---------------------------------------------------------------------------------------

    def _save(self, route: WriteRoute, caller: Caller, body: bytes) -> SessionView:
        document = json_value(body, b"null")
        if route.method == "PATCH":
            if not isinstance(document, dict | list):
                raise bad_request("PATCH needs a JSON Patch array or a JSON Merge Patch object")
        elif not isinstance(document, dict):
            raise bad_request("Bad request. Entity to save is not in request body.")
        session_id = route.session_id
        if route.agent:
            assert isinstance(document, dict)
            session_id = body_int(lowered(document), "ChatSessionId", 0)
            if not session_id:
                raise bad_request("sosim's mock API does not create chat sessions: ChatSessionId is required")
        assert session_id is not None
        agents = self.state.agents
        caller_id = self._caller_id(caller)
        merging = route.method != "PATCH" or isinstance(document, dict)

        def plan(view: SessionView) -> SessionEdit:
            _require_open(view)
            entity = session_entity(view)
            if merging:
                touched = merge(entity, document, strict=route.method == "PATCH")
            else:
                touched = json_patch(entity, document)
            fields, transfer_to = saved_fields(view, entity, touched, agents)
            return SessionEdit(fields, transfer_to, None, caller_id)

        return self._apply(route, session_id, plan).after


# --- planning helpers (pure) -------------------------------------------------------------------------


def _require_open(view: SessionView) -> None:
    status = view.fields.status
    if status in ENDED_STATUSES:
        raise bad_request(
            f"ChatSession {view.session_id} has ended (Status {status.name}) and takes no more changes"
        )


def _status_after_message(fields: SessionFields, kind: so.ChatMessageType) -> so.ChatSessionStatus:
    conversing = fields.status in (S.CustomerLast, S.UserLast) or (
        fields.status is S.InQueue and fields.chatbot_is_active
    )
    if not conversing or kind is T.Special:
        return fields.status
    return S.UserLast if kind is T.ToCustomer else S.CustomerLast


def _default_author(view: SessionView, kind: so.ChatMessageType, caller: AgentRecord | None) -> str:
    if kind is T.ToUser:
        return view.profile.name if view.profile else view.fields.customer_alias
    if kind is T.ToCustomer:
        user = view.user or caller
        return user.name if user else ""
    return ""


def _reset_plan(caller_id: int) -> Plan:
    def plan(view: SessionView) -> SessionEdit:
        _require_open(view)
        fields = view.fields._replace(status=S.InQueue, chatbot_is_active=False, user_id=0)
        return SessionEdit(fields, None, None, caller_id)

    return plan


def _transfer_plan(target: AgentRecord, caller_id: int) -> Plan:
    def plan(view: SessionView) -> SessionEdit | None:
        _require_open(view)
        if not view.fields.user_id:
            return None  # "If the session does not belong to the user, nothing happens."
        if view.fields.user_id == target.user_id:
            raise bad_request(f"ChatSession {view.session_id} is with associate {target.associate_id}")
        return SessionEdit(view.fields, target, None, caller_id)

    return plan


def _accept_plan(view: SessionView) -> SessionEdit | None:
    _require_open(view)
    target = view.transfer_to
    if target is None:
        return None  # "If the session is not being transferred, nothing happens."
    message = ChatMessage(0, view.session_id, T.Special, "", target.name, ST.TransferedSession)
    return SessionEdit(view.fields._replace(user_id=target.user_id), None, message, target.associate_id)


def _reject_plan(caller_id: int) -> Plan:
    def plan(view: SessionView) -> SessionEdit | None:
        _require_open(view)
        if view.transfer_to is None:
            return None
        message = ChatMessage(0, view.session_id, T.Special, "", "", ST.TransferRejected)
        return SessionEdit(view.fields, None, message, caller_id)

    return plan


def _entity(view: SessionView, params: Mapping[str, str], links: str | None) -> JsonObject:
    root = None
    if links is not None:
        root = {"Self": f"{links}/ChatSession/{view.session_id}", "Archive": f"{links}/ChatSession"}
    entity = session_entity(view, root)
    return select_fields(entity, params["$select"]) if params.get("$select") else entity
