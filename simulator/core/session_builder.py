"""One chat session walked through the scenario's flow: the seeded state machine behind every
generated session (and, step by step, behind the closed loop's live sessions).

A :class:`SessionBuilder` appends events as it goes; its primitives (``wait``, ``emit``,
``change_status``, ``post``, ...) and steps (``create``, ``faq``, ``chatbot``, ``queue``,
``conversation``, ``end``) are the interface :mod:`simulator.core.conversation` drives.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from simulator.core.events import TICKS_PER_SECOND, ChatMessage, CustomerProfile, Event, SessionFields
from simulator.core.identities import Agent, email_local
from simulator.core.scenario_model import Count, Delay, FlowSpec
from simulator.core.schedule import Timed, draw_delay
from simulator.superoffice import facts as so
from simulator.superoffice.phrases import PhraseBook, phrasebook_for

if TYPE_CHECKING:
    from simulator.core.generate import Generator

__all__ = ["MESSAGE_ID_STRIDE", "SessionBuilder", "SessionPlan", "count_of"]

K = TypeVar("K")
S = so.ChatSessionStatus
T = so.ChatMessageType
ST = so.ChatMessageSpecialType

#: Message ids of session ``i`` are ``first_message_id + i * stride + n``: unique without shared state.
MESSAGE_ID_STRIDE = 1000
#: The gap between a message and the status change it causes, so Timestamps strictly increase.
_FOLLOW_UP_S = (0.004, 0.040)
#: ``rng.uniform(*_FOLLOW_UP_S)`` is ``low + (high - low) * rng.random()``: the same float, one call less.
_FOLLOW_UP_LOW, _FOLLOW_UP_SPAN = _FOLLOW_UP_S[0], _FOLLOW_UP_S[1] - _FOLLOW_UP_S[0]
_PRODUCTS = (
    "Premium plan",
    "Starter plan",
    "Business subscription",
    "mobile app",
    "web shop",
    "API integration",
    "invoice portal",
    "customer portal",
    "Pro licence",
    "team workspace",
)
#: The GUID variant digit for the two lowest random bits.
_VARIANT = "89ab"
#: SessionFields positions by field name, and the FieldValues key of each position.
_FIELD_INDEX: dict[str, int] = {name: i for i, name in enumerate(SessionFields._fields)}
_FIELD_KEYS: tuple[str, ...] = so.FIELD_VALUE_KEYS
_STATUS = _FIELD_INDEX["status"]
_STATUS_CHANGED = (_FIELD_KEYS[_STATUS],)
_tuple = tuple.__new__  # a NamedTuple without its Python-level __new__: several times an event


@dataclass(frozen=True, slots=True)
class SessionPlan:
    """One generated chat session: its events (with due times) and the state behind them."""

    index: int
    session_id: int
    start_s: float
    profile: CustomerProfile
    topic_id: int
    events: tuple[Timed, ...]
    messages: tuple[ChatMessage, ...]
    #: Saved changes that send no webhook (a rating alone), for the mock API's view of the session.
    silent: tuple[Event, ...] = ()


def _choose(rng: random.Random, weights: dict[K, float]) -> K:
    point = rng.random()
    total = 0.0
    for key, weight in weights.items():
        total += weight
        if point < total:
            return key
    return next(reversed(weights))


def count_of(rng: random.Random, count: Count) -> int:
    if isinstance(count, int):
        return count
    low, high = count.uniform
    return rng.randint(low, high)


@dataclass(slots=True)
class SessionBuilder:
    """Walks one session through the flow, appending events as it goes."""

    gen: Generator
    rng: random.Random
    index: int
    now: float
    session_id: int = 0
    fields: SessionFields = field(default_factory=SessionFields)
    profile: CustomerProfile | None = None
    phrases: PhraseBook | None = None
    agent: Agent | None = None
    events: list[Timed] = field(default_factory=list)
    messages: list[ChatMessage] = field(default_factory=list)
    slots: dict[str, str] = field(default_factory=dict)
    system_id: int = 0
    silent: list[Event] = field(default_factory=list)
    lag: int = 0  # ticks every Timestamp of this session precedes its due time (Generator.stamp_lag)

    def build(self) -> SessionPlan:
        start = self.now
        self.create()
        entry = self.fields.status
        resolved = False
        if entry == S.PreChatForm:
            self.wait(self.flow.prechat.delay)
            self.change_status(S.InQueue)
        elif entry == S.Faq:
            resolved = self.faq()
        if not resolved and self.fields.chatbot_is_active:
            resolved = self.chatbot()
        if not resolved:
            if not self.messages:
                self.customer_says(self.book.customer_openers)
            if self.queue():
                self.conversation()
                self.end()
        assert self.profile is not None
        return SessionPlan(
            self.index,
            self.session_id,
            start,
            self.profile,
            self.fields.topic_id,
            tuple(self.events),
            tuple(self.messages),
            tuple(self.silent),
        )

    # -- helpers ---------------------------------------------------------------------

    @property
    def flow(self) -> FlowSpec:
        return self.gen.scenario.flow

    @property
    def book(self) -> PhraseBook:
        assert self.phrases is not None
        return self.phrases

    def wait(self, delay: Delay) -> None:
        """Let a drawn ``delay`` pass on the session's scenario clock."""
        self.now += draw_delay(delay, self.rng)

    def follow_up(self) -> None:
        """Let the short gap pass between a message and the status change it causes."""
        self.now += _FOLLOW_UP_LOW + _FOLLOW_UP_SPAN * self.rng.random()

    def _advance(self) -> None:
        """Keep a session's Timestamps strictly increasing: nothing happens at the same tick."""
        if self.events and self.now <= self.events[-1].due_s:
            self.now = self.events[-1].due_s
            self.follow_up()

    def emit(
        self, name: str, changed_by: int, changes: tuple[str, ...] = (), message: ChatMessage | None = None
    ) -> None:
        """Append event ``name`` at the current time, with a fresh EventId from the session's stream."""
        gen, rng, events = self.gen, self.rng, self.events
        if message is None:
            # _advance and gen.ticks inlined: this runs once an event.
            if events and self.now <= events[-1].due_s:
                self.now = events[-1].due_s + (_FOLLOW_UP_LOW + _FOLLOW_UP_SPAN * rng.random())
            ticks = gen.start_ticks + round(self.now * gen.time_scale * TICKS_PER_SECOND) - self.lag
        else:
            ticks = message.ticks  # post advanced the clock for the message, the event shares it
        bits = rng.getrandbits(128) ^ gen.id_mask
        # A version-4 GUID made from the session's own random stream, so fixtures are reproducible.
        hexed = bits.to_bytes(16).hex()  # the digits of f"{bits:032x}", in a third less time
        event_id = (
            f"{hexed[:8]}-{hexed[8:12]}-4{hexed[13:16]}-{_VARIANT[bits & 3]}{hexed[17:20]}-{hexed[20:]}"
        )
        # Built with tuple.__new__: a NamedTuple's own __new__ is a Python call, twice an event.
        event = _tuple(
            Event,
            (name, self.session_id, ticks, event_id, changed_by, self.fields, changes, message, self.profile),
        )
        events.append(_tuple(Timed, (self.now, event)))

    def change_status(
        self, status: so.ChatSessionStatus, changed_by: int | None = None, **changes: Any
    ) -> None:
        """Set the status (and ``changes``); emit ``chatsession.changed`` when a field did change."""
        before = self.fields
        values = list(before)
        values[_STATUS] = status
        if changes:
            for field_name, value in changes.items():
                values[_FIELD_INDEX[field_name]] = value
            after = self.fields = _tuple(SessionFields, values)
            # Only the fields named here can differ from before: compare those, in FieldValues order.
            indexes = sorted([_STATUS, *(_FIELD_INDEX[field_name] for field_name in changes)])
            changed = tuple(_FIELD_KEYS[i] for i in indexes if after[i] != before[i])
        else:
            self.fields = _tuple(SessionFields, values)
            changed = _STATUS_CHANGED if status != before.status else ()
        if changed:
            by = self.system_id if changed_by is None else changed_by
            self.emit(so.EVENT_CHANGED, by, changed)

    def _save_silently(self, **changes: Any) -> None:
        """Change fields without a webhook; the mock API still sees the change at this time."""
        self._advance()
        before = self.fields
        self.fields = before._replace(**changes)
        keys = before.changed_keys(self.fields)
        ticks = self.gen.ticks(self.now) - self.lag
        self.silent.append(
            Event(so.EVENT_CHANGED, self.session_id, ticks, "", self.system_id, self.fields, keys)
        )

    def post(
        self,
        kind: so.ChatMessageType,
        text: str,
        author: str,
        changed_by: int,
        special: so.ChatMessageSpecialType = ST.None_,
        param: str = "",
    ) -> None:
        """Post a message and emit its ``chatsession.message``."""
        self._advance()
        gen = self.gen
        message_id = (
            gen.scenario.population.first_message_id + self.index * MESSAGE_ID_STRIDE + len(self.messages)
        )
        ticks = gen.ticks(self.now) - self.lag
        message = _tuple(
            ChatMessage, (message_id, self.session_id, kind, text, author, special, param, ticks)
        )
        self.messages.append(message)
        self.emit(so.EVENT_MESSAGE, changed_by, so.MESSAGE_CHANGES, message)

    def say(self, texts: tuple[str, ...]) -> str:
        """One of ``texts``, drawn from the session's stream, with the placeholders filled."""
        return self.rng.choice(texts).format_map(self.slots)

    def customer_says(self, texts: tuple[str, ...]) -> None:
        """The customer posts one of ``texts``."""
        assert self.profile is not None
        self.post(T.ToUser, self.say(texts), self.profile.name, self.system_id)

    def _agent_says(self, texts: tuple[str, ...], special: so.ChatMessageSpecialType = ST.None_) -> None:
        assert self.agent is not None
        kind = T.Special if special is not ST.None_ else T.ToCustomer
        self.post(kind, self.say(texts), self.agent.name, self.agent.associate_id, special)

    def _bot_says(self, texts: tuple[str, ...]) -> None:
        self.post(T.ToCustomer, self.say(texts), self.flow.chatbot.name, self.system_id)

    def system_says(self, special: so.ChatMessageSpecialType, text: str = "") -> None:
        """The system posts a special message (closed, transfer rejected, ...)."""
        self.post(T.Special, text, "", self.system_id, special)

    # -- the steps -------------------------------------------------------------------

    def create(self, *, external_bot: bool = False) -> None:
        """Open the session; ``external_bot``: the system under test plays the bot (the session
        starts on a bot channel, and the bot's greeting is the system's to write)."""
        gen, rng, flow = self.gen, self.rng, self.flow
        scenario = gen.scenario
        population = scenario.population
        self.session_id = population.first_session_id + self.index
        locale = _choose(rng, scenario.locales)
        self.phrases = phrasebook_for(locale)
        self.profile = self._profile(locale)
        topic = rng.choices(population.topics, weights=[t.weight for t in population.topics])[0]
        known = rng.random() < population.known_customer_probability
        # Bot channels start in the queue with the bot active, skipping pre-chat and FAQ (§1.11).
        bot = rng.random() < flow.chatbot.probability or external_bot
        contact_id = rng.randint(population.contacts.first, population.contacts.last) if known else 0
        person_id = rng.randint(population.persons.first, population.persons.last) if known else 0
        self.fields = SessionFields(
            alert_level=_choose(rng, flow.alert_level),
            chatbot_is_active=bot,
            consented=rng.random() < flow.consent_probability,
            contact_id=contact_id,
            customer_alias=self.profile.alias,
            customer_id=person_id,
            status=S.InQueue if bot else so.ChatSessionStatus[_choose(rng, flow.entry)],
            topic_id=topic.id,
        )
        self.slots = {
            "customer": self.profile.name.split(" ")[0],
            "agent": "",
            "order": str(rng.randint(100000, 999999)),
            "product": rng.choice(_PRODUCTS),
            "company": self.profile.company,
            "bot": flow.chatbot.name,
        }
        self.emit(so.EVENT_CREATED, self.system_id)
        if self.fields.chatbot_is_active and not external_bot:
            self.follow_up()
            self._bot_says(self.book.bot_greetings)
            self.follow_up()
            self.change_status(S.UserLast)

    def _profile(self, locale: str) -> CustomerProfile:
        rng = self.rng
        pool = self.gen.pools[locale]
        first, last = rng.choice(pool.first_names), rng.choice(pool.last_names)
        email = f"{email_local(first, last)}@{rng.choice(pool.domains)}"
        return CustomerProfile(
            name=f"{first} {last}",
            email=email,
            phone=rng.choice(pool.phones),
            company=rng.choice(pool.companies),
            alias=first,
            locale=locale,
        )

    def faq(self) -> bool:
        """The FAQ step: the customer asks, the knowledge base answers or the chat is queued."""
        self.customer_says(self.book.customer_openers)
        self.wait(self.flow.faq.delay)
        if self.rng.random() < self.flow.faq.resolved_probability:
            self.system_says(ST.FaqSuccessQuestion)
            self.follow_up()
            self.change_status(S.Finished)
            return True
        self.change_status(S.InQueue)
        return False

    def chatbot(self) -> bool:
        """Bot turns; then the bot hands off (back to the queue) or resolves the chat."""
        spec = self.flow.chatbot
        for _ in range(max(1, count_of(self.rng, spec.turns))):
            self.wait(spec.customer_delay)
            self.customer_says(
                self.book.customer_openers if not self.messages[1:] else self.book.customer_followups
            )
            self.follow_up()
            self.change_status(S.CustomerLast)
            self.wait(spec.reply_delay)
            self._bot_says(self.book.bot_replies)
            self.follow_up()
            self.change_status(S.UserLast)
        if self.rng.random() < spec.handoff_probability:
            self.wait(spec.reply_delay)
            self._bot_says(self.book.bot_handoffs)
            self.follow_up()
            self.change_status(S.InQueue, chatbot_is_active=False)
            return False
        self.wait(spec.customer_delay)
        self.customer_says(self.book.customer_thanks)
        self.follow_up()
        self.change_status(S.Finished, chatbot_is_active=False)
        return True

    def queue(self) -> bool:
        """Wait for an agent; the customer may give up or leave a request. True when picked up."""
        spec = self.flow.queue
        self.wait(spec.wait)
        roll = self.rng.random()
        if roll < spec.abandon_probability:
            self.change_status(S.ClosedFromQueue)
            return False
        if roll < spec.abandon_probability + spec.offline_form_probability:
            self.system_says(ST.None_, self.say(self.book.offline_form_notes))
            self.follow_up()
            self.change_status(S.OfflineForm)
            self.wait(spec.offline_form_delay)
            posted = self.rng.random() < spec.offline_form_posted_probability
            self.change_status(S.RequestPosted if posted else S.ClosedFromQueue)
            return False
        self._pick_up(self.rng.choice(self.gen.agents))
        return True

    def _pick_up(self, agent: Agent) -> None:
        self.agent = agent
        self.slots["agent"] = agent.name.split(" ")[0]
        if self.flow.conversation.welcome_message:
            self._agent_says(self.book.agent_welcome, ST.Welcome)
        else:
            self.wait(self.flow.conversation.agent_delay)
            self._agent_says(self.book.agent_replies)
        self.follow_up()
        self.change_status(S.UserLast, agent.associate_id, user_id=agent.user_id)

    def conversation(self) -> None:
        """Customer and agent turns, with a transfer to a colleague on some."""
        spec = self.flow.conversation
        turns = count_of(self.rng, spec.turns)
        transfer_at = (
            self.rng.randrange(turns) if turns and self.rng.random() < self.flow.transfer.probability else -1
        )
        for turn in range(turns):
            self._turn(customer=True)
            if turn == transfer_at:
                self._transfer()
            self._turn(customer=False)

    def _turn(self, *, customer: bool) -> None:
        spec = self.flow.conversation
        assert self.agent is not None
        for repeat in range(2 if self.rng.random() < spec.double_message_probability else 1):
            if customer:
                self.wait(spec.customer_delay)
                self.customer_says(self.book.customer_followups)
            else:
                self.wait(spec.agent_delay)
                self._agent_says(self.book.agent_replies)
            if repeat == 0:
                self.follow_up()
                self.change_status(
                    S.CustomerLast if customer else S.UserLast, None if customer else self.agent.associate_id
                )

    def _transfer(self) -> None:
        spec = self.flow.transfer
        assert self.agent is not None
        others = [a for a in self.gen.agents if a != self.agent]
        if not others:
            return
        self._agent_says(self.book.transfer_notes)
        self.wait(spec.delay)
        if self.rng.random() < spec.rejected_probability:
            self.system_says(ST.TransferRejected)
            return
        new_agent = self.rng.choice(others)
        self.agent = new_agent
        self.slots["agent"] = new_agent.name.split(" ")[0]
        self.post(T.Special, "", new_agent.name, new_agent.associate_id, ST.TransferedSession)
        self.fields = self.fields._replace(user_id=new_agent.user_id)

    def end(self) -> None:
        """The agent, the customer or idleness ends the chat; a rating and a later close may follow."""
        spec = self.flow.end
        assert self.agent is not None
        agent_id = self.agent.associate_id
        ended_by = _choose(self.rng, spec.ended_by)
        if ended_by == "user":
            self.wait(self.flow.conversation.agent_delay)
            self._agent_says(self.book.agent_closings)
            self.follow_up()
            self.post(T.Special, "", self.agent.name, agent_id, ST.ClosedByUser)
        elif ended_by == "customer":
            self.wait(self.flow.conversation.customer_delay)
            self.customer_says(self.book.customer_thanks)
            self.follow_up()
            self.system_says(ST.ClosedByCustomer)
        else:
            self.wait(self.flow.conversation.customer_delay)
            self.wait(self.flow.conversation.customer_delay)
            self.system_says(ST.ClosedByIdle)
        self.follow_up()
        final = so.ChatSessionStatus[_choose(self.rng, spec.final_status)]
        self.change_status(final, agent_id if ended_by == "user" else None, **self._links())
        if spec.rating.probability and self.rng.random() < spec.rating.probability:
            self.wait(self.flow.conversation.customer_delay)
            rating = _choose(self.rng, spec.rating.values)
            if spec.rating.fires_changed:
                self.change_status(final, None, rating=rating)
            else:  # saved on the session, seen in later FieldValues and the API, but no webhook
                self._save_silently(rating=rating)
        if final == S.Finished and self.rng.random() < spec.close_later.probability:
            self.wait(spec.close_later.delay)
            self.change_status(S.Closed, agent_id)

    def _links(self) -> dict[str, int]:
        links = self.flow.links
        population = self.gen.scenario.population
        found: dict[str, int] = {}
        for name, probability, ids in (
            ("ticket_id", links.ticket, population.tickets),
            ("sale_id", links.sale, population.sales),
            ("project_id", links.project, population.projects),
        ):
            if probability and self.rng.random() < probability:
                found[name] = self.rng.randint(ids.first, ids.last)
        return found
