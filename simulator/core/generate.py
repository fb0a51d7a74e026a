"""Chat sessions from a scenario: a seeded state machine, pure and lazy.

Each session gets its own ``random.Random`` derived from (seed, session index), so a session
is the same whatever else is generated, and any shard of sessions can be rebuilt alone.
Faker runs once per locale to fill identity pools; sessions combine pool entries, which keeps
Faker's cost (about 100 us a call) off the per-event path.
"""

from __future__ import annotations

import hashlib
import random
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, TypeVar

from simulator.core.events import TICKS_PER_SECOND, ChatMessage, CustomerProfile, Event, SessionFields
from simulator.core.scenario_model import AgentSpec, Count, Delay, FlowSpec, Scenario
from simulator.core.schedule import Timed, arrival_offsets, draw_delay, merge_sessions
from simulator.superoffice import facts as so
from simulator.superoffice.phrases import PhraseBook, phrasebook_for

K = TypeVar("K")
#: ``(k, n)``: the sessions whose index is ``k`` modulo ``n``, one worker's share of ``--processes n``.
Shard = tuple[int, int]
S = so.ChatSessionStatus
T = so.ChatMessageType
ST = so.ChatMessageSpecialType

#: Message ids of session ``i`` are ``first_message_id + i * stride + n``: unique without shared state.
MESSAGE_ID_STRIDE = 1000
#: The gap between a message and the status change it causes, so Timestamps strictly increase.
_FOLLOW_UP_S = (0.004, 0.040)
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
#: The Faker providers the pools draw from. Faker's default loads all 25 or so, and finding each
#: one's locale module lists directories: a third of a pool's cost. The draws are the same with
#: these alone (tests/unit/core/test_identity_pool.py compares them with a default Faker).
FAKER_PROVIDERS = (
    "faker.providers.person",
    "faker.providers.company",
    "faker.providers.phone_number",
    "faker.providers.internet",
)
#: Faker names Norwegian Bokmål ``no_NO``; SuperOffice's market list says ``nb_NO``.
_FAKER_LOCALES = {"nb_NO": "no_NO"}
_ASCII = str.maketrans({"ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE", "ß": "ss", "å": "a", "Å": "A"})
#: The GUID variant digit for the two lowest random bits.
_VARIANT = "89ab"
#: SessionFields positions by field name, and the FieldValues key of each position.
_FIELD_INDEX: dict[str, int] = {name: i for i, name in enumerate(SessionFields._fields)}
_FIELD_KEYS: tuple[str, ...] = so.FIELD_VALUE_KEYS
_STATUS = _FIELD_INDEX["status"]
_STATUS_CHANGED = (_FIELD_KEYS[_STATUS],)


@dataclass(frozen=True, slots=True)
class Agent:
    """A human agent as the generator uses it."""

    associate_id: int
    user_id: int
    name: str


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


@dataclass(frozen=True, slots=True)
class IdentityPool:
    """Faker-made names and contact details for one locale."""

    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    companies: tuple[str, ...]
    phones: tuple[str, ...]
    domains: tuple[str, ...]


@cache
def identity_pool(locale: str, seed: int, size: int) -> IdentityPool:
    """Draw ``size`` identities from Faker in ``locale``, deterministically for ``seed``."""
    from faker import Faker  # deferred: Faker is slow to import and only generation needs it

    fake = Faker(_FAKER_LOCALES.get(locale, locale), providers=list(FAKER_PROVIDERS))
    fake.seed_instance(f"{seed}:{locale}")
    return IdentityPool(
        first_names=tuple(fake.first_name() for _ in range(size)),
        last_names=tuple(fake.last_name() for _ in range(size)),
        companies=tuple(fake.company() for _ in range(size)),
        phones=tuple(fake.phone_number() for _ in range(size)),
        domains=tuple(fake.free_email_domain() for _ in range(min(size, 32))),
    )


def _email_local(first: str, last: str) -> str:
    text = f"{first}.{last}".translate(_ASCII).replace(" ", "")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return text.lower() or "visitor"


# --- the generator ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Generator:
    """Turns a scenario into session plans; holds only what is derived once per run."""

    scenario: Scenario
    seed: int
    start_ticks: int
    time_scale: float
    agents: tuple[Agent, ...]
    burst: int = 0
    #: XORed into every EventId's random bits: 0 reproduces the seeded ids, a run id makes them fresh.
    id_mask: int = 0

    def sessions(self, limit: int | None = None, shard: Shard | None = None) -> Iterator[SessionPlan]:
        """Yield session plans in arrival order (at most ``limit``); with ``shard`` ``(k, n)``, only
        the sessions whose index is ``k`` modulo ``n`` (one worker's share of ``--processes n``),
        each built and timed exactly as in the whole run."""
        arrivals = arrival_offsets(self.scenario.arrivals, random.Random(f"{self.seed}:arrivals"))
        for index, start_s in enumerate(arrivals):
            if limit is not None and index >= limit:
                return
            if shard is not None and index % shard[1] != shard[0]:
                continue
            # The burst fault: the first sessions all arrive at the same instant.
            yield self.session(index, 0.0 if index < self.burst else start_s)

    def session(self, index: int, start_s: float) -> SessionPlan:
        """Build session number ``index`` starting at ``start_s``."""
        return self.builder(index, start_s, lag=self.stamp_lag(index)).build()

    def builder(self, index: int, start_s: float, *, lag: int = 0) -> SessionBuilder:
        """The walker of session ``index`` at ``start_s``, with its own seeded random stream (the
        closed loop drives one step by step instead of building the whole plan at once)."""
        rng = random.Random(f"{self.seed}:session:{index}")
        visitor = self.scenario.population.visitor_associate_id
        return SessionBuilder(self, rng, index, start_s, system_id=visitor, lag=lag)

    def stamp_lag(self, index: int) -> int:
        """How many ticks session ``index``'s Timestamps precede their due time (under a second).

        NetServer stamps an event when it is saved and sends it later from a queue, so real
        Timestamps fall a moment before the request and have all 7 digits. Without this, sessions
        that arrive on whole seconds (uniform arrivals) would have whole-second Timestamps. A hash,
        not the session's ``rng``, so adding it left every other draw as it was.
        """
        digest = hashlib.blake2b(f"{self.seed}:lag:{index}".encode(), digest_size=8).digest()
        return int.from_bytes(digest) % TICKS_PER_SECOND

    def ticks(self, offset_s: float) -> int:
        """Convert a scenario offset to Timestamp ticks."""
        return self.start_ticks + round(offset_s * self.time_scale * TICKS_PER_SECOND)


def make_generator(
    scenario: Scenario,
    *,
    seed: int | None = None,
    start: datetime | None = None,
    time_scale: float = 1.0,
    burst: int = 0,
    run_id: str | None = None,
) -> Generator:
    """Prepare generation for a scenario; ``seed`` and ``start`` override the scenario's own.

    ``run_id`` changes every EventId (and nothing else), so two runs of the same scenario and seed
    are not taken for duplicates by a receiver that deduplicates on EventId.
    """
    run_seed = scenario.seed if seed is None else seed
    begin = start or scenario.start
    # Whole seconds plus the microseconds: round(begin.timestamp()) would add a second from .5 on.
    start_ticks = int(begin.replace(microsecond=0).timestamp()) * TICKS_PER_SECOND + begin.microsecond * 10
    first_locale = next(iter(scenario.locales))
    pool = identity_pool(first_locale, run_seed, scenario.population.identity_pool)
    agents = tuple(_agent(spec, i, pool) for i, spec in enumerate(scenario.population.agents))
    return Generator(scenario, run_seed, start_ticks, time_scale, agents, burst, event_id_mask(run_id))


def event_id_mask(run_id: str | None) -> int:
    """The 128 bits a run id mixes into EventIds (0 without one: the seeded ids)."""
    if not run_id:
        return 0
    # XOR with a constant is a bijection: ids stay unique within a run, and the session's random
    # stream is drawn exactly as before, so payload text and timing do not change.
    return int.from_bytes(hashlib.blake2b(run_id.encode("utf-8"), digest_size=16).digest())


def _agent(spec: AgentSpec, index: int, pool: IdentityPool) -> Agent:
    name = spec.name or f"{pool.first_names[index % len(pool.first_names)]} {pool.last_names[-1 - index]}"
    return Agent(spec.associate_id, spec.user_id, name)


def generate_sessions(
    scenario: Scenario,
    *,
    seed: int | None = None,
    start: datetime | None = None,
    time_scale: float = 1.0,
    limit: int | None = None,
    burst: int = 0,
    run_id: str | None = None,
    shard: Shard | None = None,
) -> Iterator[SessionPlan]:
    """Yield the scenario's sessions in arrival order (the first ``burst`` all at time 0)."""
    generator = make_generator(
        scenario, seed=seed, start=start, time_scale=time_scale, burst=burst, run_id=run_id
    )
    return generator.sessions(limit, shard)


def timeline(
    scenario: Scenario,
    *,
    seed: int | None = None,
    start: datetime | None = None,
    time_scale: float = 1.0,
    limit: int | None = None,
    burst: int = 0,
    run_id: str | None = None,
    shard: Shard | None = None,
) -> Iterator[Timed]:
    """Yield every event of the scenario ordered by due time, in constant memory."""
    plans = generate_sessions(
        scenario,
        seed=seed,
        start=start,
        time_scale=time_scale,
        limit=limit,
        burst=burst,
        run_id=run_id,
        shard=shard,
    )
    return merge_sessions((plan.start_s, plan.events) for plan in plans)


# --- one session --------------------------------------------------------------------


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
        self._create()
        entry = self.fields.status
        resolved = False
        if entry == S.PreChatForm:
            self._wait(self.flow.prechat.delay)
            self._status(S.InQueue)
        elif entry == S.Faq:
            resolved = self._faq()
        if not resolved and self.fields.chatbot_is_active:
            resolved = self._chatbot()
        if not resolved:
            if not self.messages:
                self._customer_says(self.book.customer_openers)
            if self._queue():
                self._conversation()
                self._end()
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

    def _wait(self, delay: Delay) -> None:
        self.now += draw_delay(delay, self.rng)

    def _follow_up(self) -> None:
        self.now += self.rng.uniform(*_FOLLOW_UP_S)

    def _advance(self) -> None:
        """Keep a session's Timestamps strictly increasing: nothing happens at the same tick."""
        if self.events and self.now <= self.events[-1].due_s:
            self.now = self.events[-1].due_s + self.rng.uniform(*_FOLLOW_UP_S)

    def _emit(
        self, name: str, changed_by: int, changes: tuple[str, ...] = (), message: ChatMessage | None = None
    ) -> None:
        if message is None:
            self._advance()
            ticks = self.gen.ticks(self.now) - self.lag
        else:
            ticks = message.ticks  # _post advanced the clock for the message, the event shares it
        bits = self.rng.getrandbits(128) ^ self.gen.id_mask
        # A version-4 GUID made from the session's own random stream, so fixtures are reproducible.
        hexed = bits.to_bytes(16).hex()  # the digits of f"{bits:032x}", in a third less time
        variant = _VARIANT[bits & 3]
        event_id = f"{hexed[:8]}-{hexed[8:12]}-4{hexed[13:16]}-{variant}{hexed[17:20]}-{hexed[20:]}"
        event = Event(
            name,
            self.session_id,
            ticks,
            event_id,
            changed_by,
            self.fields,
            changes,
            message,
            self.profile,
        )
        self.events.append(Timed(self.now, event))

    def _status(self, status: so.ChatSessionStatus, changed_by: int | None = None, **changes: Any) -> None:
        before = self.fields
        values = list(before)
        values[_STATUS] = status
        if changes:
            for field_name, value in changes.items():
                values[_FIELD_INDEX[field_name]] = value
            after = self.fields = SessionFields._make(values)
            # Only the fields named here can differ from before: compare those, in FieldValues order.
            indexes = sorted([_STATUS, *(_FIELD_INDEX[field_name] for field_name in changes)])
            changed = tuple(_FIELD_KEYS[i] for i in indexes if after[i] != before[i])
        else:
            self.fields = SessionFields._make(values)
            changed = _STATUS_CHANGED if status != before.status else ()
        if changed:
            by = self.system_id if changed_by is None else changed_by
            self._emit(so.EVENT_CHANGED, by, changed)

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

    def _post(
        self,
        kind: so.ChatMessageType,
        text: str,
        author: str,
        changed_by: int,
        special: so.ChatMessageSpecialType = ST.None_,
        param: str = "",
    ) -> None:
        self._advance()
        gen = self.gen
        message_id = (
            gen.scenario.population.first_message_id + self.index * MESSAGE_ID_STRIDE + len(self.messages)
        )
        message = ChatMessage(
            message_id, self.session_id, kind, text, author, special, param, gen.ticks(self.now) - self.lag
        )
        self.messages.append(message)
        self._emit(so.EVENT_MESSAGE, changed_by, so.MESSAGE_CHANGES, message)

    def _say(self, texts: tuple[str, ...]) -> str:
        return self.rng.choice(texts).format_map(self.slots)

    def _customer_says(self, texts: tuple[str, ...]) -> None:
        assert self.profile is not None
        self._post(T.ToUser, self._say(texts), self.profile.name, self.system_id)

    def _agent_says(self, texts: tuple[str, ...], special: so.ChatMessageSpecialType = ST.None_) -> None:
        assert self.agent is not None
        kind = T.Special if special is not ST.None_ else T.ToCustomer
        self._post(kind, self._say(texts), self.agent.name, self.agent.associate_id, special)

    def _bot_says(self, texts: tuple[str, ...]) -> None:
        self._post(T.ToCustomer, self._say(texts), self.flow.chatbot.name, self.system_id)

    def _system_says(self, special: so.ChatMessageSpecialType, text: str = "") -> None:
        self._post(T.Special, text, "", self.system_id, special)

    # -- the steps -------------------------------------------------------------------

    def _create(self, *, external_bot: bool = False) -> None:
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
        self._emit(so.EVENT_CREATED, self.system_id)
        if self.fields.chatbot_is_active and not external_bot:
            self._follow_up()
            self._bot_says(self.book.bot_greetings)
            self._follow_up()
            self._status(S.UserLast)

    def _profile(self, locale: str) -> CustomerProfile:
        rng = self.rng
        pool = identity_pool(locale, self.gen.seed, self.gen.scenario.population.identity_pool)
        first, last = rng.choice(pool.first_names), rng.choice(pool.last_names)
        email = f"{_email_local(first, last)}@{rng.choice(pool.domains)}"
        return CustomerProfile(
            name=f"{first} {last}",
            email=email,
            phone=rng.choice(pool.phones),
            company=rng.choice(pool.companies),
            alias=first,
            locale=locale,
        )

    def _faq(self) -> bool:
        """The FAQ step: the customer asks, the knowledge base answers or the chat is queued."""
        self._customer_says(self.book.customer_openers)
        self._wait(self.flow.faq.delay)
        if self.rng.random() < self.flow.faq.resolved_probability:
            self._system_says(ST.FaqSuccessQuestion)
            self._follow_up()
            self._status(S.Finished)
            return True
        self._status(S.InQueue)
        return False

    def _chatbot(self) -> bool:
        """Bot turns; then the bot hands off (back to the queue) or resolves the chat."""
        spec = self.flow.chatbot
        for _ in range(max(1, count_of(self.rng, spec.turns))):
            self._wait(spec.customer_delay)
            self._customer_says(
                self.book.customer_openers if not self.messages[1:] else self.book.customer_followups
            )
            self._follow_up()
            self._status(S.CustomerLast)
            self._wait(spec.reply_delay)
            self._bot_says(self.book.bot_replies)
            self._follow_up()
            self._status(S.UserLast)
        if self.rng.random() < spec.handoff_probability:
            self._wait(spec.reply_delay)
            self._bot_says(self.book.bot_handoffs)
            self._follow_up()
            self._status(S.InQueue, chatbot_is_active=False)
            return False
        self._wait(spec.customer_delay)
        self._customer_says(self.book.customer_thanks)
        self._follow_up()
        self._status(S.Finished, chatbot_is_active=False)
        return True

    def _queue(self) -> bool:
        """Wait for an agent; the customer may give up or leave a request. True when picked up."""
        spec = self.flow.queue
        self._wait(spec.wait)
        roll = self.rng.random()
        if roll < spec.abandon_probability:
            self._status(S.ClosedFromQueue)
            return False
        if roll < spec.abandon_probability + spec.offline_form_probability:
            self._system_says(ST.None_, self._say(self.book.offline_form_notes))
            self._follow_up()
            self._status(S.OfflineForm)
            self._wait(spec.offline_form_delay)
            posted = self.rng.random() < spec.offline_form_posted_probability
            self._status(S.RequestPosted if posted else S.ClosedFromQueue)
            return False
        self._pick_up(self.rng.choice(self.gen.agents))
        return True

    def _pick_up(self, agent: Agent) -> None:
        self.agent = agent
        self.slots["agent"] = agent.name.split(" ")[0]
        if self.flow.conversation.welcome_message:
            self._agent_says(self.book.agent_welcome, ST.Welcome)
        else:
            self._wait(self.flow.conversation.agent_delay)
            self._agent_says(self.book.agent_replies)
        self._follow_up()
        self._status(S.UserLast, agent.associate_id, user_id=agent.user_id)

    def _conversation(self) -> None:
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
                self._wait(spec.customer_delay)
                self._customer_says(self.book.customer_followups)
            else:
                self._wait(spec.agent_delay)
                self._agent_says(self.book.agent_replies)
            if repeat == 0:
                self._follow_up()
                self._status(
                    S.CustomerLast if customer else S.UserLast, None if customer else self.agent.associate_id
                )

    def _transfer(self) -> None:
        spec = self.flow.transfer
        assert self.agent is not None
        others = [a for a in self.gen.agents if a != self.agent]
        if not others:
            return
        self._agent_says(self.book.transfer_notes)
        self._wait(spec.delay)
        if self.rng.random() < spec.rejected_probability:
            self._system_says(ST.TransferRejected)
            return
        new_agent = self.rng.choice(others)
        self.agent = new_agent
        self.slots["agent"] = new_agent.name.split(" ")[0]
        self._post(T.Special, "", new_agent.name, new_agent.associate_id, ST.TransferedSession)
        self.fields = self.fields._replace(user_id=new_agent.user_id)

    def _end(self) -> None:
        spec = self.flow.end
        assert self.agent is not None
        agent_id = self.agent.associate_id
        ended_by = _choose(self.rng, spec.ended_by)
        if ended_by == "user":
            self._wait(self.flow.conversation.agent_delay)
            self._agent_says(self.book.agent_closings)
            self._follow_up()
            self._post(T.Special, "", self.agent.name, agent_id, ST.ClosedByUser)
        elif ended_by == "customer":
            self._wait(self.flow.conversation.customer_delay)
            self._customer_says(self.book.customer_thanks)
            self._follow_up()
            self._system_says(ST.ClosedByCustomer)
        else:
            self._wait(self.flow.conversation.customer_delay)
            self._wait(self.flow.conversation.customer_delay)
            self._system_says(ST.ClosedByIdle)
        self._follow_up()
        final = so.ChatSessionStatus[_choose(self.rng, spec.final_status)]
        self._status(final, agent_id if ended_by == "user" else None, **self._links())
        if spec.rating.probability and self.rng.random() < spec.rating.probability:
            self._wait(self.flow.conversation.customer_delay)
            rating = _choose(self.rng, spec.rating.values)
            if spec.rating.fires_changed:
                self._status(final, None, rating=rating)
            else:  # saved on the session, seen in later FieldValues and the API, but no webhook
                self._save_silently(rating=rating)
        if final == S.Finished and self.rng.random() < spec.close_later.probability:
            self._wait(spec.close_later.delay)
            self._status(S.Closed, agent_id)

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
