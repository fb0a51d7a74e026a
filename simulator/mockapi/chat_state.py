"""What the mock chat API can see: sessions and their messages as of the last announced event.

:class:`ChatState` follows the webhooks as they are sent (``announce``), takes the API's writes
(``apply_change``) and answers the reads of :class:`~simulator.mockapi.api.MockApi`. Pure: no
I/O, under any event loop or none.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter
from typing import TYPE_CHECKING

from simulator.core.events import ChatMessage, CustomerProfile, Event, SessionFields
from simulator.mockapi.edits import AppliedEdit, Plan, SessionEdit
from simulator.mockapi.shapes import (
    ENDED_STATUSES,
    AgentRecord,
    SessionView,
    TopicRecord,
)
from simulator.superoffice import facts as so

if TYPE_CHECKING:
    from simulator.core.generate import SessionPlan
    from simulator.core.scenario_model import Scenario

__all__ = ["ChatState"]


@dataclass(slots=True)
class _Session:
    """One session's visible state; mutated only by ``ChatState`` under its lock."""

    session_id: int
    fields: SessionFields
    profile: CustomerProfile | None
    requested_ticks: int
    initial_queue_pos: int
    messages: list[ChatMessage] = field(default_factory=list)
    message_ids: set[int] = field(default_factory=set)
    started_ticks: int = 0
    ended_ticks: int = 0
    transfer_to: AgentRecord | None = None


class ChatState:
    """What the mock API can see: sessions and their messages as of the last announced event.

    Thread-safe: a live run announces from its delivery loop while the HTTP server reads (and
    the API's writes change it, :meth:`apply_change`) from its own thread.
    """

    def __init__(self) -> None:
        """Start empty: no sessions, topics, agents or tenants."""
        self._lock = threading.Lock()
        self._sessions: dict[int, _Session] = {}
        self._queued: set[int] = set()
        self._topics: dict[int, TopicRecord] = {}
        self._agents: dict[int, AgentRecord] = {}  # by ejuser id (FieldValues UserId)
        self._reserved: dict[int, int] = {}  # session -> highest id of a message not visible yet
        self._tenants: set[str] = set()
        self._announced = 0
        self._max_message_id = 0

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
                events = sorted([*events, *plan.silent], key=attrgetter("ticks"))
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
            self._apply(record, event.fields, event.ticks, event.message, event.profile)

    def _apply(
        self,
        record: _Session,
        fields: SessionFields,
        ticks: int,
        message: ChatMessage | None,
        profile: CustomerProfile | None = None,
    ) -> None:
        record.fields = fields
        if profile is not None:
            record.profile = profile
        if fields.user_id and not record.started_ticks:
            record.started_ticks = ticks
        if fields.status in ENDED_STATUSES and not record.ended_ticks:
            record.ended_ticks = ticks
        if fields.status == so.ChatSessionStatus.InQueue:
            self._queued.add(record.session_id)
        else:
            self._queued.discard(record.session_id)
        if message is not None and message.message_id not in record.message_ids:
            record.message_ids.add(message.message_id)
            self._max_message_id = max(self._max_message_id, message.message_id)
            # Ids ascend within a session, so this appends; insort keeps order if one ever does not.
            bisect.insort(record.messages, message, key=attrgetter("message_id"))

    # -- writing ---------------------------------------------------------------------------

    def apply_change(self, session_id: int, plan: Plan, ticks: int) -> AppliedEdit | None:
        """Apply one API write to a session, atomically; None when the session is not visible.

        ``plan`` runs under the lock on the session's current view and returns the edit (or None:
        nothing happens); what it raises propagates and changes nothing. A message it adds gets
        the session's highest message id + 1 (the highest of all sessions + 1 for a session with
        none yet) and ``ticks``, never earlier than the session's last message.
        """
        with self._lock:
            record = self._sessions.get(session_id)
            if record is None:
                return None
            before = self._view(record)
            edit = plan(before)
            if edit is None:
                return AppliedEdit(before, before, None, changed=False, changed_by=0)
            message = edit.message
            if message is not None:
                last = record.messages[-1] if record.messages else None
                highest = max(
                    last.message_id if last else self._max_message_id, self._reserved.get(session_id, 0)
                )
                message = message._replace(
                    message_id=highest + 1,
                    session_id=session_id,
                    ticks=max(ticks, last.ticks if last else 0),
                )
            record.transfer_to = edit.transfer_to
            self._apply(record, edit.fields, ticks, message)
            after = self._view(record)
        moved = (after.fields, after.transfer_to) != (before.fields, before.transfer_to)
        changed = message is not None or moved
        return AppliedEdit(before, after, message, changed, edit.changed_by)

    def reserve_message_id(self, session_id: int, message_id: int) -> None:
        """Keep ``message_id`` for a message that becomes visible later (the closed loop's next
        customer message, due in a moment): a message written meanwhile gets a higher id."""
        with self._lock:
            if message_id > self._reserved.get(session_id, 0):
                self._reserved[session_id] = message_id

    def add_message(
        self, session_id: int, message: ChatMessage, ticks: int, fields: SessionFields | None = None
    ) -> ChatMessage | None:
        """Add ``message`` to a session with the next id (its own id is ignored), optionally with
        new ``fields``; return it as saved, or None when the session is not visible."""

        def plan(view: SessionView) -> SessionEdit:
            return SessionEdit(fields or view.fields, view.transfer_to, message)

        applied = self.apply_change(session_id, plan, ticks)
        return None if applied is None else applied.message

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
            return None if record is None else self._view(record)

    def _view(self, record: _Session) -> SessionView:
        user_id = record.fields.user_id
        return SessionView(
            record.session_id,
            record.fields,
            record.profile,
            tuple(record.messages),
            record.requested_ticks,
            record.started_ticks,
            record.ended_ticks,
            record.initial_queue_pos,
            self._agents.get(user_id) if user_id else None,
            record.transfer_to,
        )

    @property
    def agents(self) -> tuple[AgentRecord, ...]:
        """The chat agents registered from the scenarios, in their order."""
        with self._lock:
            return tuple(self._agents.values())

    def first_queued(self) -> int | None:
        """The session waiting longest in the queue for a human (bot sessions excluded), or None."""
        with self._lock:
            waiting = [self._sessions[i] for i in self._queued]
            human = (record for record in waiting if not record.fields.chatbot_is_active)
            first = min(human, key=_queue_order, default=None)
            return None if first is None else first.session_id

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


def _queue_order(record: _Session) -> tuple[int, int]:
    return record.requested_ticks, record.session_id
