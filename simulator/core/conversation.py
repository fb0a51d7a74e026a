"""The closed loop's live sessions: the simulated customer plays on while the system under test
answers through the chat API (pure: no I/O, no clock; the caller says what time it is).

A scenario hands a role to the system under test with ``flow.bot: external`` and/or
``flow.agents: external``. Such a session cannot be generated ahead: the customer's next message
comes only after the answer, or after ``flow.external.reply_timeout``. Each session is a script
(a generator) over the same :class:`~simulator.core.session_builder.SessionBuilder` that generates the
other sessions, so its payloads, texts and ids are built the same way. The script stops at a
:class:`Wait`; :class:`Conversations` resumes it when a write of the system under test answers
(:meth:`Conversations.apply`) or when the wait times out (:meth:`Conversations.advance`).

Every accepted write also becomes the webhooks NetServer raises for it: a message raises
``chatsession.message``, a change of status raises ``chatsession.changed``. Times are run seconds
(from the start of the run, on the run's clock); the scripts work in scenario seconds, which
``speed`` times faster.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from simulator.core.events import ChatMessage, SessionFields
from simulator.core.generate import Generator as SessionGenerator
from simulator.core.schedule import Timed, arrival_offsets, draw_delay
from simulator.core.session_builder import SessionBuilder, count_of
from simulator.superoffice import facts as so

if TYPE_CHECKING:
    import random

    from simulator.core.scenario_model import Delay

__all__ = [
    "Conversations",
    "Observation",
    "Wait",
    "Write",
    "is_external",
]

S = so.ChatSessionStatus
T = so.ChatMessageType
ST = so.ChatMessageSpecialType

#: What the customer waits for: an answer, a hand-off to a human, an agent's pickup, or the end.
WaitKind = Literal["reply", "handoff", "pickup", "end"]
#: How a session ended, for the report.
Ending = Literal["bot", "agent", "customer", "abandoned", "queue", "simulated"]


class Write(Protocol):
    """One accepted write of the system under test (the mock API's ``SessionChange``)."""

    @property
    def session_id(self) -> int: ...
    @property
    def action(self) -> str: ...
    @property
    def before(self) -> SessionFields: ...
    @property
    def after(self) -> SessionFields: ...
    @property
    def message(self) -> ChatMessage | None: ...
    @property
    def changed_by(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Wait:
    """Where a session's script stops: waiting ``timeout_s`` (scenario seconds) from ``since_s``.

    ``question`` is the customer message a reply answers (None for a pickup or the end).
    """

    kind: WaitKind
    since_s: float
    timeout_s: float
    question: ChatMessage | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """Something the report counts: a reply to a question, a timeout, a hand-off, an ending.

    ``question`` names the customer message a reply answered; ``at_s`` is run seconds.
    """

    kind: Literal["started", "reply", "unanswered", "handoff", "ended", "unsolicited", "late"]
    session_id: int
    at_s: float
    question: ChatMessage | None = None
    ending: Ending | None = None


@dataclass(frozen=True, slots=True)
class ReplyTiming:
    """One answered customer message, as ``run --record`` writes it: the question's webhook went out
    at ``sent_s`` (the webhook ``question_event_id``), the API write answering it came at ``at_s``
    (run seconds), ``latency_s`` apart."""

    session_id: int
    message_id: int
    question_event_id: str
    sent_s: float
    at_s: float
    latency_s: float


def is_external(flow: object) -> bool:
    """Whether a scenario's flow hands a role to the system under test."""
    return (
        getattr(flow, "bot", "simulated") == "external" or getattr(flow, "agents", "simulated") == "external"
    )


# --- one session ---------------------------------------------------------------------------------

#: A script yields Waits and is sent what ended each one: a write, or None when it timed out.
Script = Generator[Wait, "Write | None", Ending]


@dataclass(slots=True)
class _Live:
    """One live session: its builder, its script and what the script waits for."""

    builder: SessionBuilder
    script: Script
    wait: Wait | None = None
    deadline_s: float = 0.0  # scenario seconds; the wait's deadline
    generation: int = 0  # bumped on every new wait, so a stale timer is ignored
    replied: bool = False  # the system under test has written a message to the customer
    ended: bool = False


class _Steps:
    """The scripts of a live session: what the customer does, step by step."""

    def __init__(self, builder: SessionBuilder, rng: random.Random) -> None:
        self.b = builder
        self.rng = rng
        self.flow = builder.flow

    def script(self) -> Script:
        b, flow = self.b, self.flow
        external_bot = flow.bot == "external"
        b.create(external_bot=external_bot)
        if external_bot:
            with_bot = yield from self._with_external_bot()
            if with_bot != "handoff":
                return with_bot
        else:
            before_queue = yield from self._with_simulated_bot()
            if before_queue is not None:
                return before_queue
        if flow.agents == "external":
            return (yield from self._with_external_agents())
        b.follow_up()
        if b.queue():
            b.conversation()
            b.end()
        return "simulated"

    # -- the bot --------------------------------------------------------------------------

    def _with_external_bot(self) -> Generator[Wait, Write | None, Ending | Literal["handoff"]]:
        b, spec = self.b, self.flow.chatbot
        book = b.book
        for turn in range(max(1, count_of(self.rng, spec.turns))):
            b.wait(spec.customer_delay)
            texts = book.customer_openers if turn == 0 else book.customer_followups
            outcome = yield from self._ask(texts)
            if outcome != "answered":
                return outcome
        if book.customer_human_requests and self.rng.random() < spec.handoff_probability:
            b.wait(spec.customer_delay)
            outcome = yield from self._ask(book.customer_human_requests, want="handoff")
            return outcome if outcome != "answered" else "abandoned"
        return (yield from self._thank_and_leave(spec.customer_delay))

    def _with_simulated_bot(self) -> Generator[Wait, Write | None, Ending | None]:
        """The generated steps before the queue (pre-chat form, FAQ, the simulated bot)."""
        b = self.b
        entry = b.fields.status
        if entry == S.PreChatForm:
            b.wait(self.flow.prechat.delay)
            b.change_status(S.InQueue)
        elif entry == S.Faq and b.faq():
            return "simulated"
        if b.fields.chatbot_is_active and b.chatbot():
            return "simulated"
        if not b.messages:
            b.customer_says(b.book.customer_openers)
        return None
        yield  # a generator: the simulated steps never wait

    # -- external agents ------------------------------------------------------------------

    def _with_external_agents(self) -> Generator[Wait, Write | None, Ending]:
        b, spec = self.b, self.flow
        while True:
            change = yield Wait("pickup", b.now, spec.external.pickup_timeout)
            if change is None:
                b.change_status(S.ClosedFromQueue)
                return "queue"
            if _ended(change):
                return "agent"
            if change.after.user_id:
                break
        for _ in range(count_of(self.rng, spec.conversation.turns)):
            b.wait(spec.conversation.customer_delay)
            outcome = yield from self._ask(b.book.customer_followups)
            if outcome == "handoff":  # reset to the queue again: wait for the next pickup
                return (yield from self._with_external_agents())
            if outcome != "answered":
                return outcome
        return (yield from self._thank_and_leave(spec.conversation.customer_delay))

    # -- shared steps ---------------------------------------------------------------------

    def _ask(
        self, texts: tuple[str, ...], *, want: Literal["reply", "handoff"] = "reply"
    ) -> Generator[Wait, Write | None, Ending | Literal["answered", "handoff"]]:
        """The customer asks and waits; on a timeout, does what the scenario says."""
        b, external = self.b, self.flow.external
        text = b.say(texts)
        repeats = external.repeats if external.on_timeout == "repeat" else 0
        kind: WaitKind = want
        question = self._post_customer(text)
        while True:
            change = yield Wait(kind, b.now, external.reply_timeout, question)
            if change is not None:
                if _ended(change):
                    return "bot" if change.before.chatbot_is_active else "agent"
                if _handed_off(change):
                    return "handoff"
                if kind == "reply":
                    return "answered"
                continue  # an answer while the customer waits for a human: wait on
            if external.on_timeout == "human" and kind == "reply" and b.book.customer_human_requests:
                kind = "handoff"
                question = self._post_customer(b.say(b.book.customer_human_requests))
            elif repeats > 0:
                repeats -= 1
                question = self._post_customer(text)
            else:
                return self._abandon()

    def _post_customer(self, text: str) -> ChatMessage:
        b = self.b
        assert b.profile is not None
        b.post(T.ToUser, text, b.profile.name, b.system_id)
        question = b.messages[-1]
        b.follow_up()
        b.change_status(S.CustomerLast)
        return question

    def _thank_and_leave(self, delay: Delay) -> Generator[Wait, Write | None, Ending]:
        """The customer says thanks and closes the chat, unless the other side ends it first."""
        b = self.b
        b.wait(delay)
        assert b.profile is not None
        b.post(T.ToUser, b.say(b.book.customer_thanks), b.profile.name, b.system_id)
        # The customer closes the window a moment later (never later than an answer's timeout).
        patience = min(draw_delay(delay, self.rng), self.flow.external.reply_timeout)
        while True:
            change = yield Wait("end", b.now, patience)
            if change is None:
                break
            if _ended(change):
                return "bot" if change.before.chatbot_is_active else "agent"
        b.system_says(ST.ClosedByCustomer)
        b.follow_up()
        b.change_status(S.Finished, chatbot_is_active=False)
        return "customer"

    def _abandon(self) -> Ending:
        b = self.b
        b.system_says(ST.ClosedByCustomer)
        b.follow_up()
        b.change_status(S.Finished, chatbot_is_active=False)
        return "abandoned"


def _ended(change: Write) -> bool:
    return change.after.status in _ENDED and change.before.status not in _ENDED


def _handed_off(change: Write) -> bool:
    return change.after.status == S.InQueue and change.before.status != S.InQueue


_ENDED = frozenset({S.Finished, S.Closed, S.ClosedFromQueue, S.RequestPosted, S.Deleted})


# --- every live session of a run ------------------------------------------------------------------


@dataclass(order=True, slots=True)
class _Timer:
    due_s: float  # scenario seconds
    order: int
    session_id: int = field(compare=False)
    generation: int = field(compare=False)


class Conversations:
    """The live sessions of one scenario: arrivals, scripts, waits and timeouts.

    ``advance(now_s)`` opens the sessions whose arrival has come and times out the waits whose
    deadline has passed; ``apply(write, now_s)`` turns an accepted write into its webhooks and
    resumes the session when it answers what the customer waits for. Both return the new events
    (as :class:`Timed`, due in run seconds) and append what the report counts to ``observed``.
    """

    def __init__(self, generator: SessionGenerator, *, speed: float = 1.0, seed: int = 0) -> None:
        """Play ``generator``'s scenario at ``speed`` (scenario seconds per run second)."""
        import random

        self.generator = generator
        self.speed = speed
        self._arrivals: Iterator[tuple[int, float]] = enumerate(
            arrival_offsets(generator.scenario.arrivals, random.Random(f"{generator.seed}:arrivals"))
        )
        self._next_arrival = next(self._arrivals, None)
        self._sessions: dict[int, _Live] = {}
        self._timers: list[_Timer] = []
        self._order = itertools.count()
        self.observed: list[Observation] = []
        self.open = 0  # sessions started and not ended

    # -- time ---------------------------------------------------------------------------

    def next_due(self) -> float | None:
        """The run second of the next arrival or timeout; None when nothing more will happen by
        itself (every session ended, or waiting on a question not sent yet)."""
        due = [self._next_arrival[1]] if self._next_arrival is not None else []
        timers = self._timers
        while timers and not self._current(timers[0]):
            heapq.heappop(timers)
        if timers:
            due.append(timers[0].due_s)
        return min(due) / self.speed if due else None

    @property
    def finished(self) -> bool:
        """Every session has arrived and ended."""
        return self._next_arrival is None and self.open == 0

    def advance(self, now_s: float) -> list[Timed]:
        """Open the sessions that have arrived and time out the waits that have expired."""
        scenario_now = now_s * self.speed
        out: list[Timed] = []
        while self._next_arrival is not None and self._next_arrival[1] <= scenario_now:
            index, start_s = self._next_arrival
            self._next_arrival = next(self._arrivals, None)
            self._start(index, start_s, out)
        timers = self._timers
        while timers and timers[0].due_s <= scenario_now:
            timer = heapq.heappop(timers)
            live = self._sessions.get(timer.session_id)
            if live is None or not self._current(timer):
                continue
            if live.wait is not None and live.wait.question is not None:
                self.observed.append(Observation("unanswered", timer.session_id, now_s, live.wait.question))
            self._resume(live, None, max(scenario_now, live.builder.now), out)
        return out

    def sessions(self) -> Iterator[int]:
        """The ids of the open live sessions."""
        return iter(self._sessions)

    # -- writes -------------------------------------------------------------------------

    def apply(self, write: Write, now_s: float) -> tuple[list[Timed], list[Timed]]:
        """Raise the webhooks of an accepted write, and resume its session if it answers.

        Return the write's own webhooks, and what the customer does next.
        """
        live = self._sessions.get(write.session_id)
        if live is None:
            return [], []
        out: list[Timed] = []
        b = live.builder
        scenario_now = now_s * self.speed
        resume_at = b.now
        b.now = scenario_now  # the write's webhooks go out now, ahead of the customer's next steps
        b.events = []
        self._raise(b, write)
        raised = self._drain(b)
        b.now = max(resume_at, scenario_now)
        message = write.message
        to_customer = message is not None and message.type == T.ToCustomer
        if live.ended:
            self.observed.append(Observation("late", write.session_id, now_s))
            return raised, out
        wait = live.wait
        answers = wait is not None and (
            _ended(write)
            or _handed_off(write)
            or (wait.kind in ("reply", "handoff") and to_customer)
            or (wait.kind == "pickup" and bool(write.after.user_id))
        )
        if to_customer:
            question = wait.question if wait is not None and wait.kind in ("reply", "handoff") else None
            if question is not None:
                self.observed.append(Observation("reply", write.session_id, now_s, question))
            else:
                self.observed.append(Observation("unsolicited", write.session_id, now_s))
            live.replied = True
        if _handed_off(write):
            self.observed.append(Observation("handoff", write.session_id, now_s))
        if answers:
            self._resume(live, write, b.now, out)
        return raised, out

    # -- inside -------------------------------------------------------------------------

    def _start(self, index: int, start_s: float, out: list[Timed]) -> None:
        builder = self.generator.builder(index, start_s)
        live = _Live(builder, _Steps(builder, builder.rng).script())
        session_id = self.generator.scenario.population.first_session_id + index
        self._sessions[session_id] = live
        self.open += 1
        self.observed.append(Observation("started", session_id, start_s / self.speed))
        self._resume(live, None, start_s, out, first=True)

    def _resume(
        self, live: _Live, write: Write | None, scenario_now: float, out: list[Timed], *, first: bool = False
    ) -> None:
        b = live.builder
        b.now = scenario_now
        b.events = []
        try:
            wait = next(live.script) if first else live.script.send(write)
        except StopIteration as stop:
            out.extend(self._drain(b))
            self._end(live, stop.value, out)
            return
        out.extend(self._drain(b))
        live.wait = wait
        live.generation += 1
        live.deadline_s = wait.since_s + wait.timeout_s
        heapq.heappush(
            self._timers, _Timer(live.deadline_s, next(self._order), b.session_id, live.generation)
        )

    def _end(self, live: _Live, ending: Ending, out: list[Timed]) -> None:
        live.ended = True
        live.wait = None
        live.generation += 1
        self.open -= 1
        at = out[-1].due_s if out else live.builder.now / self.speed
        self.observed.append(Observation("ended", live.builder.session_id, at, ending=ending))

    def _current(self, timer: _Timer) -> bool:
        live = self._sessions.get(timer.session_id)
        return live is not None and not live.ended and live.generation == timer.generation

    def _drain(self, b: SessionBuilder) -> list[Timed]:
        events, b.events = b.events, []
        speed = self.speed
        return [Timed(t.due_s / speed, t.event) for t in events]

    @staticmethod
    def _raise(b: SessionBuilder, write: Write) -> None:
        """The webhooks NetServer raises for a write: the message, then a change of status."""
        message = write.message
        if message is not None:
            b.messages.append(message)
            b.fields = write.before
            b.emit(so.EVENT_MESSAGE, write.changed_by, so.MESSAGE_CHANGES, message)
        before, after = b.fields, write.after
        b.fields = after
        if after.status != before.status:
            b.emit(so.EVENT_CHANGED, write.changed_by, before.changed_keys(after))
