"""The scenario schema: typed, immutable nodes (:mod:`simulator.core.schema`) of one YAML scenario file.

Validation happens here, at the edge; generation trusts these types. Loading, line numbers
and ``${ENV}`` interpolation live in ``simulator.core.scenario``. The value types and
distributions are in ``scenario_types``, a session's flow in ``scenario_flow`` and the faults in
``scenario_faults``; the nodes other modules use are importable from here as well.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from simulator.core.headers import header_problem, is_transport_header
from simulator.core.payload_styles import (
    AliasStyle,
    BodyLayout,
    BoolStyle,
    ChangedChanges,
    HeaderSpelling,
    IdStyle,
    KeyStyle,
    TimestampDigits,
)
from simulator.core.scenario_faults import FAULTS, FaultOptions, Faults
from simulator.core.scenario_flow import FlowSpec
from simulator.core.scenario_types import (
    EARLIEST_START,
    ID,
    LATEST_START,
    MAX_BURST,
    MAX_SESSIONS,
    NON_NEGATIVE_INT,
    PER_SECOND,
    PROBABILITY,
    SECONDS,
    WHOLE_NUMBER,
    ChatEventName,
    Count,
    CountRange,
    Delay,
    Fixed,
    Locale,
    Lognormal,
    LognormalSpec,
    Uniform,
    check_weights_sum_to_one,
    choice,
)
from simulator.core.schema import (
    ErrorDetail,
    Invalid,
    Problem,
    Strict,
    after,
    anything,
    before,
    either,
    field,
    many,
    moment,
    node,
    node_check,
    note,
    number,
    optional,
    pair,
    table,
    text,
    whole,
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
    "RotateSpec",
    "Scenario",
    "Strict",
    "TopicSpec",
    "Uniform",
    "WebhookSpec",
]

#: The event a payload override applies to, or all (``*``).
OverrideEvent = Literal["*", "chatsession.created", "chatsession.message", "chatsession.changed"]
#: How sessions arrive.
ArrivalProcess = Literal["poisson", "uniform", "burst"]

# --- webhook and payload ------------------------------------------------------------


def _safe_headers(headers: dict[str, str]) -> dict[str, str]:
    for name, value in headers.items():
        problem = header_problem(name, value)
        if problem is not None:
            raise ValueError(problem)
        if is_transport_header(name):
            raise ValueError(f"header {name!r} is set by sosim itself (from the target URL and the body)")
    return headers


class WebhookSpec(Strict):
    """The webhook as registered in SuperOffice."""

    name: str = field(text(), default="sosim")
    context_identifier: str = field(text(), default=so.DEFAULT_CONTEXT_IDENTIFIER)
    secret: str | None = field(optional(text()), default=None)
    netserver_version: str = field(text(), default=so.DEFAULT_NETSERVER_VERSION)
    events: tuple[ChatEventName, ...] = field(many(choice(ChatEventName)), default=so.CHAT_EVENTS)
    headers: dict[str, str] = field(after(table(text(), text()), _safe_headers), default_factory=dict)


def _known_override_keys(values: dict[str, Any]) -> dict[str, Any]:
    allowed_fv = set(so.FIELD_VALUE_KEYS) | {so.camel_case(k) for k in so.FIELD_VALUE_KEYS}
    for key in values:
        head, _, tail = key.partition(".")
        if head not in so.PAYLOAD_KEYS or (tail and (head != "FieldValues" or tail not in allowed_fv)):
            raise ValueError(
                f"unknown payload field {key!r} (allowed: {', '.join(so.PAYLOAD_KEYS)}, "
                "or FieldValues.<Key> such as FieldValues.AlertLevel)"
            )
    return {key: _checked_override(key, value) for key, value in values.items()}


class OverrideSpec(Strict):
    """Fixed values for payload fields, for one event type or all (``*``)."""

    event: OverrideEvent = field(choice(OverrideEvent), default="*")
    set: dict[str, Any] = field(after(table(text(), anything), _known_override_keys))


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


def _digits_as_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class PayloadSpec(Strict):
    """The open points of the docs (reference §6); defaults are documented in the README."""

    field_value_keys: KeyStyle = field(choice(KeyStyle), default="pascal")
    id_types: IdStyle = field(choice(IdStyle), default="mixed")
    customer_alias: AliasStyle = field(choice(AliasStyle), default="string")
    booleans: BoolStyle = field(choice(BoolStyle), default="bool")
    field_values_on: tuple[ChatEventName, ...] = field(many(choice(ChatEventName)), default=so.CHAT_EVENTS)
    changed_changes: ChangedChanges = field(choice(ChangedChanges), default="empty")
    timestamp_digits: TimestampDigits = field(
        before(_digits_as_text, choice(TimestampDigits)), default="trim"
    )
    header_spelling: HeaderSpelling = field(choice(HeaderSpelling), default="canonical")
    body_layout: BodyLayout = field(choice(BodyLayout), default="compact")
    overrides: tuple[OverrideSpec, ...] = field(many(node(OverrideSpec)), default=())


# --- population ---------------------------------------------------------------------


class AgentSpec(Strict):
    """A human agent: the associate that changes things and the ejuser behind UserId."""

    associate_id: int = field(ID)
    user_id: int = field(ID)
    name: str | None = field(optional(text()), default=None)


class TopicSpec(Strict):
    """A chat topic (channel)."""

    id: int = field(ID)
    name: str | None = field(optional(text()), default=None)
    weight: float = field(number(gt=0), default=1.0)


class IdRange(Strict):
    """An inclusive range of ids to draw from."""

    first: int = field(ID)
    last: int = field(ID)

    @node_check
    def _ordered(self) -> None:
        if self.first > self.last:
            raise ValueError("first is above last")


def _range_from_list(value: Any) -> Any:
    if isinstance(value, list | tuple) and len(value) == 2:
        return {"first": value[0], "last": value[1]}
    return value


RANGE = before(_range_from_list, node(IdRange))


def _not_empty(items: tuple[Any, ...]) -> tuple[Any, ...]:
    if not items:
        raise ValueError("needs at least one entry")
    return items


def _unique(*keys: str) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """At least one entry, and no two with the same ``keys`` (the mock API finds them by id)."""

    def check(items: tuple[Any, ...]) -> tuple[Any, ...]:
        _not_empty(items)
        errors: list[ErrorDetail] = []
        for key in keys:
            first: dict[Any, int] = {}
            for i, item in enumerate(items):
                value = getattr(item, key)
                if value in first:
                    problem = f"duplicate {key} {value} (entry {first[value]} has it): each must be unique"
                    note(errors, (i, key), value, Problem("duplicate", problem))
                first.setdefault(value, i)
        if errors:
            raise Invalid("duplicates", errors)
        return items

    return check


class PopulationSpec(Strict):
    """Who takes part: agents, topics, and the id ranges of the CRM records."""

    agents: tuple[AgentSpec, ...] = field(
        after(many(node(AgentSpec)), _unique("associate_id", "user_id")),
        default=(AgentSpec(associate_id=316, user_id=16),),
    )
    topics: tuple[TopicSpec, ...] = field(
        after(many(node(TopicSpec)), _unique("id")), default=(TopicSpec(id=1, name="Support"),)
    )
    first_session_id: int = field(ID, default=178105)
    first_message_id: int = field(ID, default=1)
    contacts: IdRange = field(RANGE, default=IdRange(first=1, last=5000))
    persons: IdRange = field(RANGE, default=IdRange(first=1, last=20000))
    tickets: IdRange = field(RANGE, default=IdRange(first=1000, last=99999))
    sales: IdRange = field(RANGE, default=IdRange(first=100, last=9999))
    projects: IdRange = field(RANGE, default=IdRange(first=10, last=999))
    #: Share of visitors who are known CRM persons (else ContactId/CustomerId are 0).
    known_customer_probability: float = field(PROBABILITY, default=0.6)
    #: ChangedByAssociateId of what no associate does: the visitor's created event and messages,
    #: bot and system messages, status changes without an agent. The docs say only "Associate ID
    #: of the user that triggered the event"; system-fired state events carry 0.
    visitor_associate_id: int = field(NON_NEGATIVE_INT, default=0)
    #: Identities drawn with Faker per locale once, then combined per session (speed).
    identity_pool: int = field(whole(ge=1, le=100_000), default=256)


# --- arrivals -----------------------------------------------------------------------


class BurstSpec(Strict):
    """Many sessions at the same instant, repeated."""

    size: int = field(whole(ge=1, le=MAX_BURST))
    every: float = field(SECONDS)


class ArrivalsSpec(Strict):
    """How many sessions there are and when they start."""

    sessions: int | None = field(optional(whole(ge=1, le=MAX_SESSIONS)), default=None)
    duration: float | None = field(optional(SECONDS), default=None)
    process: ArrivalProcess = field(choice(ArrivalProcess), default="poisson")
    rate: float = field(PER_SECOND, default=1.0)
    burst: BurstSpec | None = field(optional(node(BurstSpec)), default=None)

    @node_check
    def _bounded(self) -> None:
        if self.sessions is None and self.duration is None:
            raise ValueError("needs sessions (a count) or duration, so the run ends by itself")
        if self.process == "burst" and self.burst is None:
            raise ValueError("process burst needs burst: {size: N, every: DURATION}")


class RotateSpec(Strict):
    """A scheduled secret rotation of `sosim tenant` (seconds after the scenario starts playing)."""

    at: float = field(SECONDS)
    to: str = field(text(min_length=1))
    #: A WebhookId or a Name; None: every registered webhook.
    webhook: int | str | None = field(optional(either(text(), WHOLE_NUMBER)), default=None)


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


def _aware_and_in_range(start: datetime) -> datetime:
    start = start if start.tzinfo else start.replace(tzinfo=UTC)
    if not EARLIEST_START <= start <= LATEST_START:
        raise ValueError(
            f"must be between {EARLIEST_START:%Y-%m-%d} and {LATEST_START:%Y-%m-%d}: "
            "Timestamps outside cannot be stored by SuperOffice or spelled by .NET"
        )
    return start


class Scenario(Strict):
    """One scenario file: webhook, population, arrivals and the flow of a session."""

    name: str = field(text())
    description: str = field(text(), default="")
    seed: int = field(WHOLE_NUMBER, default=0)
    start: datetime = field(
        after(moment, _aware_and_in_range), default=datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    )
    locales: dict[Locale, float] = field(
        before(_locales_as_weights, after(table(choice(Locale), number()), check_weights_sum_to_one)),
        default={"en_GB": 1.0},
    )
    webhook: WebhookSpec = field(node(WebhookSpec), default=WebhookSpec())
    payload: PayloadSpec = field(node(PayloadSpec), default=PayloadSpec())
    population: PopulationSpec = field(node(PopulationSpec), default=PopulationSpec())
    arrivals: ArrivalsSpec = field(node(ArrivalsSpec))
    flow: FlowSpec = field(node(FlowSpec), default=FlowSpec())
    #: Faults to inject (simulator.core.faults):
    #: {duplicate: 0.05, bad-signature: {rate: 0.01, expect: ["401"]}}.
    faults: Faults = field(FAULTS, default={})
    #: sosim tenant: change webhook secrets mid-run, e.g. {at: 30s, to: ${NEW_SECRET}} (or a list).
    rotate_secret: tuple[RotateSpec, ...] = field(before(_one_or_many, many(node(RotateSpec))), default=())
    #: Where the file came from, for messages; not part of the YAML.
    source: str = field(text(), default="<inline>", exclude=True)
    #: (field, VAR) for each value that came from a ``${VAR:-default}`` default; not part of the YAML.
    env_defaults: tuple[tuple[str, str], ...] = field(many(pair(text(), text())), default=(), exclude=True)
