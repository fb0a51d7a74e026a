"""The scenario schema: typed, immutable pydantic models of one YAML scenario file.

Validation happens here, at the edge; generation trusts these types. Loading, line numbers
and ``${ENV}`` interpolation live in ``simulator.core.scenario``. The value types and
distributions are in ``scenario_types``, a session's flow in ``scenario_flow`` and the faults in
``scenario_faults``; the nodes other modules use are importable from here as well.
"""

# ruff: noqa: RUF012 -- pydantic copies a mutable default for each model; ruff sees that only for
# models whose BaseModel base is in the same file (astral-sh/ruff#13630), and Strict is imported.

from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import BeforeValidator, Field, field_validator, model_validator

from simulator.core.headers import header_problem, is_transport_header
from simulator.core.scenario_faults import FaultOptions, Faults
from simulator.core.scenario_flow import FlowSpec
from simulator.core.scenario_types import (
    EARLIEST_START,
    LATEST_START,
    MAX_BURST,
    MAX_SESSIONS,
    ChatEventName,
    Count,
    CountRange,
    Delay,
    Fixed,
    Id,
    Locale,
    Lognormal,
    LognormalSpec,
    PerSecond,
    Probability,
    Seconds,
    Strict,
    Uniform,
    WholeNumber,
    check_weights_sum_to_one,
)
from simulator.superoffice import facts as so

__all__ = [
    "AgentSpec",
    "ArrivalsSpec",
    "BurstSpec",
    "Count",
    "CountRange",
    "Delay",
    "FaultOptions",
    "Fixed",
    "FlowSpec",
    "IdRange",
    "Locale",
    "Lognormal",
    "LognormalSpec",
    "OverrideSpec",
    "PayloadSpec",
    "PopulationSpec",
    "Range",
    "RotateSpec",
    "Scenario",
    "Strict",
    "TopicSpec",
    "Uniform",
    "WebhookSpec",
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
    def _ordered(self) -> Self:
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
    visitor_associate_id: Annotated[WholeNumber, Field(ge=0)] = 0
    #: Identities drawn with Faker per locale once, then combined per session (speed).
    identity_pool: Annotated[WholeNumber, Field(ge=1, le=100_000)] = 256

    @field_validator("agents", "topics")
    @classmethod
    def _not_empty(cls, items: tuple[Any, ...]) -> tuple[Any, ...]:
        if not items:
            raise ValueError("needs at least one entry")
        return items


# --- arrivals -----------------------------------------------------------------------


class BurstSpec(Strict):
    """Many sessions at the same instant, repeated."""

    size: Annotated[WholeNumber, Field(ge=1, le=MAX_BURST)]
    every: Seconds


class ArrivalsSpec(Strict):
    """How many sessions there are and when they start."""

    sessions: Annotated[WholeNumber, Field(ge=1, le=MAX_SESSIONS)] | None = None
    duration: Seconds | None = None
    process: Literal["poisson", "uniform", "burst"] = "poisson"
    rate: PerSecond = 1.0
    burst: BurstSpec | None = None

    @model_validator(mode="after")
    def _bounded(self) -> Self:
        if self.sessions is None and self.duration is None:
            raise ValueError("needs sessions (a count) or duration, so the run ends by itself")
        if self.process == "burst" and self.burst is None:
            raise ValueError("process burst needs burst: {size: N, every: DURATION}")
        return self


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
    faults: Faults = {}
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
