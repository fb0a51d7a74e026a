"""The scenario schema: typed, immutable pydantic models of one YAML scenario file.

Validation happens here, at the edge; generation trusts these types. Loading, line numbers
and ``${ENV}`` interpolation live in ``simulator.core.scenario``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from simulator.core.fault_specs import DEFAULT_OVERSIZE, fault_problem, status_problem
from simulator.core.headers import header_problem, is_transport_header
from simulator.core.units import parse_duration, parse_rate
from simulator.superoffice import facts as so

#: Limits on values that validate as numbers but cannot work: generation would hang, grow without
#: bound, or overflow a .NET DateTime (which ends at 9999-12-31). Each is far above any real use.
MAX_SECONDS = 366 * 24 * 3600.0  # the longest duration or delay: a year
MAX_RATE = 1_000_000.0  # arrivals per second
MAX_TURNS = 1_000  # exchanges per session: a session's plan is held in memory
MAX_SESSIONS = 1_000_000_000
MAX_BURST = 1_000_000  # sessions that start at the same instant
#: SuperOffice ids (PrimaryKey, AssociateId, ...) are 32-bit integers.
MAX_ID = 2**31 - 1
#: SQL Server's datetime, where SuperOffice stores dates, starts in 1753; the upper bound leaves
#: room for the longest run before year 10000, which Timestamp cannot spell.
EARLIEST_START = datetime(1753, 1, 1, tzinfo=UTC)
LATEST_START = datetime(9000, 1, 1, tzinfo=UTC)

Seconds = Annotated[float, BeforeValidator(parse_duration), Field(le=MAX_SECONDS)]
PerSecond = Annotated[float, BeforeValidator(parse_rate), Field(le=MAX_RATE)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
PositiveInt = Annotated[int, Field(ge=1)]
NonNegativeInt = Annotated[int, Field(ge=0)]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Turns = Annotated[int, Field(ge=0, le=MAX_TURNS)]

StatusName = Literal[
    "Invalid",
    "PreChatForm",
    "Faq",
    "OfflineForm",
    "InQueue",
    "CustomerLast",
    "UserLast",
    "Finished",
    "Deleted",
    "Closed",
    "RequestPosted",
    "ClosedFromQueue",
]
EntryStatus = Literal["InQueue", "PreChatForm", "Faq"]
FinalStatus = Literal["Finished", "Closed"]
EndedBy = Literal["user", "customer", "idle"]
#: Who plays a role in a session: sosim ("simulated") or the system under test ("external").
Role = Literal["simulated", "external"]
#: What a customer does when the system under test does not answer in time.
TimeoutConsequence = Literal["repeat", "human", "abandon"]
Locale = Literal["nb_NO", "sv_SE", "da_DK", "de_DE", "nl_NL", "en_GB", "en_US"]
ChatEventName = Literal["chatsession.created", "chatsession.message", "chatsession.changed"]

_SUM_TOLERANCE = 1e-6


class Strict(BaseModel):
    """Base of every scenario node: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def check_weights_sum_to_one(weights: dict[Any, float]) -> dict[Any, float]:
    """Refuse branch weights that are negative or do not add up to 1."""
    if not weights:
        raise ValueError("needs at least one branch")
    if any(w < 0 for w in weights.values()):
        raise ValueError("probabilities must not be negative")
    total = math.fsum(weights.values())
    if abs(total - 1.0) > _SUM_TOLERANCE:
        raise ValueError(f"probabilities add up to {total:g}, they must add up to 1")
    return weights


# --- distributions ------------------------------------------------------------------


class Fixed(Strict):
    """Always the same delay."""

    fixed: Seconds


class Uniform(Strict):
    """A delay drawn uniformly between two bounds."""

    uniform: tuple[Seconds, Seconds]

    @field_validator("uniform")
    @classmethod
    def _ordered(cls, bounds: tuple[float, float]) -> tuple[float, float]:
        if bounds[0] > bounds[1]:
            raise ValueError("the lower bound is above the upper bound")
        return bounds


class LognormalSpec(Strict):
    """Median and 95th percentile of a lognormal delay."""

    median: Seconds
    p95: Seconds

    @model_validator(mode="after")
    def _p95_above_median(self) -> LognormalSpec:
        if self.median <= 0 or self.p95 < self.median:
            raise ValueError("needs 0 < median <= p95")
        return self


class Lognormal(Strict):
    """A long-tailed delay: most are near the median, a few are long."""

    lognormal: LognormalSpec
    max: Seconds | None = None


def _bare_duration(value: Any) -> Any:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return {"fixed": value}
    return value


def delay_kind(value: Any) -> str | None:
    if isinstance(value, dict):
        found = [k for k in ("fixed", "uniform", "lognormal") if k in value]
        return found[0] if len(found) == 1 else None
    return (
        getattr(value, "__class__", type(None)).__name__.lower()
        if isinstance(value, Fixed | Uniform | Lognormal)
        else None
    )


Delay = Annotated[
    Annotated[Fixed, Tag("fixed")]
    | Annotated[Uniform, Tag("uniform")]
    | Annotated[Lognormal, Tag("lognormal")],
    Discriminator(
        delay_kind,
        custom_error_type="delay",
        custom_error_message=(
            "expected a duration (30s), {fixed: 30s}, {uniform: [10s, 1m]}"
            " or {lognormal: {median: 30s, p95: 2m}}"
        ),
    ),
    BeforeValidator(_bare_duration),
]


class CountRange(Strict):
    """A whole number drawn uniformly between two bounds, both included."""

    uniform: tuple[Turns, Turns]

    @field_validator("uniform")
    @classmethod
    def _ordered(cls, bounds: tuple[int, int]) -> tuple[int, int]:
        if bounds[0] > bounds[1]:
            raise ValueError("the lower bound is above the upper bound")
        return bounds


Count = Annotated[
    Annotated[Turns, Tag("count")] | Annotated[CountRange, Tag("range")],
    Discriminator(lambda v: "range" if isinstance(v, dict | CountRange) else "count"),
]


# --- webhook and payload ------------------------------------------------------------


class WebhookSpec(Strict):
    """The webhook as registered in SuperOffice."""

    name: str = "sosim"
    context_identifier: str = so.DEFAULT_CONTEXT_IDENTIFIER
    secret: str | None = None
    netserver_version: str = so.DEFAULT_NETSERVER_VERSION
    events: tuple[ChatEventName, ...] = so.CHAT_EVENTS
    headers: dict[str, str] = Field(default_factory=dict)

    @field_validator("events")
    @classmethod
    def _known_chat_events(cls, events: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [e for e in events if e not in so.CHAT_EVENTS]
        if unknown:
            raise ValueError(f"unknown event {unknown[0]!r} (allowed: {', '.join(so.CHAT_EVENTS)})")
        return events

    @field_validator("headers")
    @classmethod
    def _safe_headers(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            problem = header_problem(name, value)
            if problem is not None:
                raise ValueError(problem)
            if is_transport_header(name):
                raise ValueError(f"header {name!r} is set by sosim itself (from the target URL and the body)")
        return headers


class OverrideSpec(Strict):
    """Fixed values for payload fields, for one event type or all (``*``)."""

    event: Literal["*", "chatsession.created", "chatsession.message", "chatsession.changed"] = "*"
    set: dict[str, Any]

    @field_validator("set")
    @classmethod
    def _known_keys(cls, values: dict[str, Any]) -> dict[str, Any]:
        allowed_fv = set(so.FIELD_VALUE_KEYS) | {so.camel_case(k) for k in so.FIELD_VALUE_KEYS}
        for key in values:
            head, _, tail = key.partition(".")
            if head not in so.PAYLOAD_KEYS or (tail and (head != "FieldValues" or tail not in allowed_fv)):
                raise ValueError(
                    f"unknown payload field {key!r} (allowed: {', '.join(so.PAYLOAD_KEYS)}, "
                    "or FieldValues.<Key> such as FieldValues.AlertLevel)"
                )
        return {key: _checked_override(key, value) for key, value in values.items()}


_BOOL_FIELDS = frozenset({"ChatbotIsactive", "Consented"})
_TEXT_FIELDS = frozenset({"ContactId", "CustomerId", "CustomerAlias"})  # strings or ints by option


def _checked_override(key: str, value: Any) -> Any:
    """Refuse override values that would make an invalid payload; a status name becomes its int."""
    head, _, tail = key.partition(".")
    field = tail[:1].upper() + tail[1:] if tail else head
    if field == "Status":
        names = [m.name for m in so.ChatSessionStatus]
        if isinstance(value, str) and value in names:
            return int(so.ChatSessionStatus[value])
        if isinstance(value, int) and not isinstance(value, bool) and value in set(so.ChatSessionStatus):
            return value
        raise ValueError(f"{key}: {value!r} is not a ChatSessionStatus (allowed: {', '.join(names)} or 0-11)")
    if field in _BOOL_FIELDS and not isinstance(value, bool):
        raise ValueError(f"{key}: {value!r} is not true or false")
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if head == "FieldValues" and field not in _BOOL_FIELDS | _TEXT_FIELDS and not is_int:
        raise ValueError(f"{key}: {value!r} is not a whole number")
    if field in ("PrimaryKey", "ChangedByAssociateId") and not is_int:
        raise ValueError(f"{key}: {value!r} is not a whole number")
    if field in (
        "EventId",
        "Timestamp",
        "Event",
        "Entity",
        "ContextIdentifier",
        "WebhookName",
    ) and not isinstance(value, str):
        raise ValueError(f"{key}: {value!r} is not a string")
    return value


class PayloadSpec(Strict):
    """The open points of the docs (reference §6); defaults are documented in the README."""

    field_value_keys: Literal["pascal", "camel"] = "pascal"
    id_types: Literal["mixed", "int"] = "mixed"
    customer_alias: Literal["string", "int"] = "string"
    booleans: Literal["bool", "int"] = "bool"
    field_values_on: tuple[ChatEventName, ...] = so.CHAT_EVENTS
    changed_changes: Literal["empty", "fields"] = "empty"
    timestamp_digits: Literal["7", "trim"] = "trim"
    header_spelling: Literal["canonical", "reference"] = "canonical"
    body_layout: Literal["compact", "indented"] = "compact"
    overrides: tuple[OverrideSpec, ...] = ()

    @field_validator("timestamp_digits", mode="before")
    @classmethod
    def _digits_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# --- population ---------------------------------------------------------------------


class AgentSpec(Strict):
    """A human agent: the associate that changes things and the ejuser behind UserId."""

    associate_id: Id
    user_id: Id
    name: str | None = None


class TopicSpec(Strict):
    """A chat topic (channel)."""

    id: Id
    name: str | None = None
    weight: Annotated[float, Field(gt=0)] = 1.0


class IdRange(Strict):
    """An inclusive range of ids to draw from."""

    first: Id
    last: Id

    @model_validator(mode="after")
    def _ordered(self) -> IdRange:
        if self.first > self.last:
            raise ValueError("first is above last")
        return self


def _range_from_list(value: Any) -> Any:
    if isinstance(value, list | tuple) and len(value) == 2:
        return {"first": value[0], "last": value[1]}
    return value


Range = Annotated[IdRange, BeforeValidator(_range_from_list)]


class PopulationSpec(Strict):
    """Who takes part: agents, topics, and the id ranges of the CRM records."""

    agents: tuple[AgentSpec, ...] = (AgentSpec(associate_id=316, user_id=16),)
    topics: tuple[TopicSpec, ...] = (TopicSpec(id=1, name="Support"),)
    first_session_id: Id = 178105
    first_message_id: Id = 1
    contacts: Range = IdRange(first=1, last=5000)
    persons: Range = IdRange(first=1, last=20000)
    tickets: Range = IdRange(first=1000, last=99999)
    sales: Range = IdRange(first=100, last=9999)
    projects: Range = IdRange(first=10, last=999)
    #: Share of visitors who are known CRM persons (else ContactId/CustomerId are 0).
    known_customer_probability: Probability = 0.6
    #: ChangedByAssociateId of what no associate does: the visitor's created event and messages,
    #: bot and system messages, status changes without an agent. The docs say only "Associate ID
    #: of the user that triggered the event"; system-fired state events carry 0.
    visitor_associate_id: Annotated[int, Field(ge=0)] = 0
    #: Identities drawn with Faker per locale once, then combined per session (speed).
    identity_pool: Annotated[int, Field(ge=1, le=100_000)] = 256

    @field_validator("agents", "topics")
    @classmethod
    def _not_empty(cls, items: tuple[Any, ...]) -> tuple[Any, ...]:
        if not items:
            raise ValueError("needs at least one entry")
        return items


# --- arrivals -----------------------------------------------------------------------


class BurstSpec(Strict):
    """Many sessions at the same instant, repeated."""

    size: Annotated[int, Field(ge=1, le=MAX_BURST)]
    every: Seconds


class ArrivalsSpec(Strict):
    """How many sessions there are and when they start."""

    sessions: Annotated[int, Field(ge=1, le=MAX_SESSIONS)] | None = None
    duration: Seconds | None = None
    process: Literal["poisson", "uniform", "burst"] = "poisson"
    rate: PerSecond = 1.0
    burst: BurstSpec | None = None

    @model_validator(mode="after")
    def _bounded(self) -> ArrivalsSpec:
        if self.sessions is None and self.duration is None:
            raise ValueError("needs sessions (a count) or duration, so the run ends by itself")
        if self.process == "burst" and self.burst is None:
            raise ValueError("process burst needs burst: {size: N, every: DURATION}")
        return self


# --- flow ---------------------------------------------------------------------------


def _lognormal(median: str, p95: str) -> Lognormal:
    return Lognormal(lognormal=LognormalSpec(median=parse_duration(median), p95=parse_duration(p95)))


class PreChatSpec(Strict):
    """The pre-chat form step (entry status PreChatForm)."""

    delay: Delay = _lognormal("30s", "90s")


class FaqSpec(Strict):
    """The FAQ step (entry status Faq)."""

    delay: Delay = _lognormal("20s", "80s")
    resolved_probability: Probability = 0.3


class ChatbotSpec(Strict):
    """Optional chatbot turns before a human takes over."""

    probability: Probability = 0.0
    name: str = "Botty"
    turns: Count = CountRange(uniform=(1, 3))
    reply_delay: Delay = Fixed(fixed=2.0)
    customer_delay: Delay = _lognormal("15s", "60s")
    handoff_probability: Probability = 0.7


class QueueSpec(Strict):
    """Waiting for an agent, or giving up."""

    wait: Delay = _lognormal("45s", "4m")
    abandon_probability: Probability = 0.05
    offline_form_probability: Probability = 0.0
    offline_form_posted_probability: Probability = 0.7
    offline_form_delay: Delay = _lognormal("2m", "6m")

    @model_validator(mode="after")
    def _exclusive(self) -> QueueSpec:
        if self.abandon_probability + self.offline_form_probability > 1.0 + _SUM_TOLERANCE:
            raise ValueError("abandon_probability + offline_form_probability must not exceed 1")
        return self


class ConversationSpec(Strict):
    """The conversation after pickup."""

    welcome_message: bool = True
    turns: Count = CountRange(uniform=(2, 8))
    customer_delay: Delay = _lognormal("25s", "2m")
    agent_delay: Delay = _lognormal("20s", "90s")
    double_message_probability: Probability = 0.15


class TransferSpec(Strict):
    """Handing the chat to another agent mid-conversation."""

    probability: Probability = 0.0
    rejected_probability: Probability = 0.2
    delay: Delay = _lognormal("30s", "2m")


class RatingSpec(Strict):
    """The customer's rating at the end."""

    probability: Probability = 0.3
    values: dict[int, float] = {1: 0.05, 2: 0.05, 3: 0.15, 4: 0.35, 5: 0.4}
    # chatsession.changed fires on a change of status (trigger 401, ChatSessionChangedStatus), so a
    # rating alone sends nothing by default; true sends the old extra changed (status unchanged).
    fires_changed: bool = False

    @field_validator("values")
    @classmethod
    def _weights_sum_to_one(cls, weights: dict[Any, float]) -> dict[Any, float]:
        return check_weights_sum_to_one(weights)


class CloseLaterSpec(Strict):
    """A Finished session later moves to Closed."""

    probability: Probability = 0.0
    delay: Delay = Fixed(fixed=600.0)


class EndSpec(Strict):
    """How a conversation ends."""

    ended_by: dict[EndedBy, float] = {"user": 0.6, "customer": 0.3, "idle": 0.1}
    final_status: dict[FinalStatus, float] = {"Finished": 1.0}
    rating: RatingSpec = RatingSpec()
    close_later: CloseLaterSpec = CloseLaterSpec()

    @field_validator("ended_by", "final_status")
    @classmethod
    def _weights_sum_to_one(cls, weights: dict[Any, float]) -> dict[Any, float]:
        return check_weights_sum_to_one(weights)


class LinksSpec(Strict):
    """Probabilities that a session ends linked to a CRM record."""

    ticket: Probability = 0.0
    sale: Probability = 0.0
    project: Probability = 0.0


class ExternalSpec(Strict):
    """The closed loop: how the simulated customer waits for an external bot or agent.

    The customer's next message comes only after the answer (a message written through the
    chat API), or after ``reply_timeout``; ``on_timeout`` says what the customer does then:
    ``repeat`` the question (at most ``repeats`` times, then abandon), ask for a ``human``
    (a hand-off is then the answer), or ``abandon`` the chat. ``pickup_timeout`` is how long a
    customer waits in the queue for an external agent's pickup before leaving.
    """

    reply_timeout: Seconds = 30.0
    on_timeout: TimeoutConsequence = "repeat"
    repeats: NonNegativeInt = 1
    pickup_timeout: Seconds = 120.0


class FlowSpec(Strict):
    """The state machine of one chat session; every branch has a probability.

    ``bot`` and ``agents`` hand a role to the system under test (``external``): it answers
    through the mock chat API, and the simulated customer waits for it (see :class:`ExternalSpec`).
    """

    bot: Role = "simulated"
    agents: Role = "simulated"
    external: ExternalSpec = ExternalSpec()

    entry: dict[EntryStatus, float] = {"InQueue": 1.0}
    consent_probability: Probability = 0.8
    alert_level: dict[NonNegativeInt, float] = {0: 1.0}
    prechat: PreChatSpec = PreChatSpec()
    faq: FaqSpec = FaqSpec()
    chatbot: ChatbotSpec = ChatbotSpec()
    queue: QueueSpec = QueueSpec()
    conversation: ConversationSpec = ConversationSpec()
    transfer: TransferSpec = TransferSpec()
    end: EndSpec = EndSpec()
    links: LinksSpec = LinksSpec()

    @field_validator("entry", "alert_level")
    @classmethod
    def _weights_sum_to_one(cls, weights: dict[Any, float]) -> dict[Any, float]:
        return check_weights_sum_to_one(weights)


# --- faults -------------------------------------------------------------------------


def _bytes(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().upper().replace("IB", "B")
        for unit, factor in (("KB", 1024), ("MB", 1024**2), ("GB", 1024**3), ("B", 1)):
            if text.endswith(unit) and text[: -len(unit)].strip().replace(".", "", 1).isdigit():
                return int(float(text[: -len(unit)]) * factor)
    return value


def _known_fault(name: str) -> str:
    problem = fault_problem(name)
    if problem:
        raise ValueError(problem)
    return name


def _status_or_class(code: str) -> str:
    code = code.strip().lower()
    problem = status_problem(code)
    if problem:
        raise ValueError(problem)
    return code


#: A fault's name, as a key of ``faults:``; a wrong one is reported on its own line.
FaultName = Annotated[str, AfterValidator(_known_fault)]
#: An answer that passes: an HTTP status (``"401"``) or a class (``"4xx"``), written as a string.
ExpectedAnswer = Annotated[str, AfterValidator(_status_or_class)]


class FaultOptions(Strict):
    """One fault in a scenario: how often (or, for burst, how many sessions) and the answers that pass."""

    rate: Annotated[float, Field(gt=0)]
    expect: tuple[ExpectedAnswer, ...] = ()
    size: Annotated[int, BeforeValidator(_bytes), Field(ge=1)] = DEFAULT_OVERSIZE


def _rates_at_most_one(faults: dict[str, FaultOptions]) -> dict[str, FaultOptions]:
    """Refuse a rate above 1 for every fault but burst (whose rate is a count of sessions).

    Raised as a ValidationError so that pydantic reports it at ``faults.NAME.rate``, on its line.
    """
    errors: list[InitErrorDetails] = [
        {
            "type": PydanticCustomError("fault_rate", "must be at most 1 (burst takes a session count)"),
            "loc": (name, "rate"),
            "input": options.rate,
        }
        for name, options in faults.items()
        if name != "burst" and options.rate > 1
    ]
    if errors:
        raise ValidationError.from_exception_data("faults", errors)
    return faults


def _fault_shorthand(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ({"rate": v} if isinstance(v, int | float) and not isinstance(v, bool) else v)
            for k, v in value.items()
        }
    return value


class RotateSpec(Strict):
    """A scheduled secret rotation of `sosim tenant` (seconds after the scenario starts playing)."""

    at: Seconds
    to: Annotated[str, Field(min_length=1)]
    webhook: int | str | None = None  # a WebhookId or a Name; None: every registered webhook


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


# --- the scenario -------------------------------------------------------------------


def _locales_as_weights(value: Any) -> Any:
    if isinstance(value, str):
        return {value: 1.0}
    if isinstance(value, list | tuple):
        if not all(isinstance(item, str) for item in value):
            raise ValueError("a list of locales must hold locale names, like [en_GB, nb_NO]")
        return {item: 1.0 / len(value) for item in value} if value else {}
    return value


class Scenario(Strict):
    """One scenario file: webhook, population, arrivals and the flow of a session."""

    name: str
    description: str = ""
    seed: int = 0
    start: datetime = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    locales: Annotated[dict[Locale, float], BeforeValidator(_locales_as_weights)] = {"en_GB": 1.0}
    webhook: WebhookSpec = WebhookSpec()
    payload: PayloadSpec = PayloadSpec()
    population: PopulationSpec = PopulationSpec()
    arrivals: ArrivalsSpec
    flow: FlowSpec = FlowSpec()
    #: Faults to inject (simulator.core.faults):
    #: {duplicate: 0.05, bad-signature: {rate: 0.01, expect: ["401"]}}.
    faults: Annotated[
        dict[FaultName, FaultOptions],
        BeforeValidator(_fault_shorthand),
        AfterValidator(_rates_at_most_one),
    ] = {}
    #: sosim tenant: change webhook secrets mid-run, e.g. {at: 30s, to: ${NEW_SECRET}} (or a list).
    rotate_secret: Annotated[tuple[RotateSpec, ...], BeforeValidator(_one_or_many)] = ()
    #: Where the file came from, for messages; not part of the YAML.
    source: str = Field(default="<inline>", exclude=True)
    #: (field, VAR) for each value that came from a ``${VAR:-default}`` default; not part of the YAML.
    env_defaults: tuple[tuple[str, str], ...] = Field(default=(), exclude=True)

    @field_validator("locales")
    @classmethod
    def _weights_sum_to_one(cls, weights: dict[Any, float]) -> dict[Any, float]:
        return check_weights_sum_to_one(weights)

    @field_validator("start")
    @classmethod
    def _aware_and_in_range(cls, start: datetime) -> datetime:
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
        if not EARLIEST_START <= start <= LATEST_START:
            raise ValueError(
                f"must be between {EARLIEST_START:%Y-%m-%d} and {LATEST_START:%Y-%m-%d}: "
                "Timestamps outside cannot be stored by SuperOffice or spelled by .NET"
            )
        return start
