"""simulator.core.schema, the kit the scenario nodes are built with: each check converts what it
should, refuses what it should with its location, and a node behaves as an immutable value."""

from __future__ import annotations

import copy
import math
import pickle
from datetime import UTC, date, datetime
from typing import Any

import pytest

from simulator.core.errors import ScenarioError
from simulator.core.scenario import parse_scenario
from simulator.core.scenario_model import IdRange, Scenario, TopicSpec
from simulator.core.schema import (
    FAILED,
    Check,
    ErrorDetail,
    Invalid,
    Strict,
    after,
    before,
    either,
    field,
    flag,
    keys_at,
    many,
    moment,
    node,
    node_check,
    number,
    one_of,
    optional,
    pair,
    table,
    text,
    whole,
)

ARRIVALS = "name: t\narrivals:\n  sessions: 3\n"


def run(check: Check, value: Any) -> tuple[Any, list[ErrorDetail]]:
    errors: list[ErrorDetail] = []
    return check(value, ("f",), errors), errors


def refused(check: Check, value: Any) -> ErrorDetail:
    result, errors = run(check, value)
    assert result is FAILED, result
    assert len(errors) == 1, errors
    return errors[0]


# --- scalars ------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(5, 5), ("5", 5), (" 7 ", 7), (5.0, 5), (-3, -3)])
def test_whole_takes_what_yaml_spells_as_a_whole_number(value: Any, expected: int) -> None:
    result, errors = run(whole(), value)
    assert (result, errors) == (expected, [])
    assert type(result) is int


@pytest.mark.parametrize(
    ("value", "kind", "words"),
    [
        (True, "value_error", "expected a whole number, got true"),
        (1.5, "int_from_float", "fractional part"),
        ("many", "int_parsing", "unable to parse string as an integer"),
        ("1e9", "int_parsing", "unable to parse string"),
        (math.inf, "finite_number", "finite"),
        ([1], "int_type", "valid integer"),
        (None, "int_type", "valid integer"),
    ],
)
def test_whole_refuses_what_is_no_whole_number(value: Any, kind: str, words: str) -> None:
    error = refused(whole(), value)
    assert error["type"] == kind
    assert words in error["msg"]
    assert error["loc"] == ("f",)
    assert error["input"] == value or value is None


def test_limits_name_the_bound_as_written() -> None:
    assert refused(whole(ge=1), 0)["msg"] == "Input should be greater than or equal to 1"
    assert refused(whole(le=10), 11)["msg"] == "Input should be less than or equal to 10"
    assert refused(number(le=1.0), 1.5)["msg"] == "Input should be less than or equal to 1"
    assert refused(number(gt=0), 0)["msg"] == "Input should be greater than 0"
    assert refused(number(le=0.5), 0.75)["msg"] == "Input should be less than or equal to 0.5"
    assert run(whole(ge=1, le=10), 10) == (10, [])


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (True, "float_type"),
        ("abc", "float_parsing"),
        (math.nan, "finite_number"),
        (".inf", "float_parsing"),
        ("inf", "finite_number"),
        (10**400, "finite_number"),
        ({}, "float_type"),
    ],
)
def test_number_refuses_what_is_no_finite_number(value: Any, kind: str) -> None:
    assert refused(number(), value)["type"] == kind


def test_number_parses_the_users_spelling_first() -> None:
    halve = number(parse=lambda v: v / 2 if isinstance(v, int) else v, le=10)
    assert run(halve, 8) == (4.0, [])
    assert run(halve, "2.5") == (2.5, [])
    assert refused(halve, 30)["msg"] == "Input should be less than or equal to 10"

    def no(value: Any) -> Any:
        raise ValueError("expected a duration")

    error = refused(number(parse=no), 1)
    assert (error["type"], error["msg"]) == ("value_error", "expected a duration")


def test_text_is_a_string_and_only_a_string() -> None:
    assert run(text(), "x") == ("x", [])
    assert refused(text(), 5)["msg"] == "Input should be a valid string"
    assert refused(text(), None)["type"] == "string_type"
    assert refused(text(min_length=1), "")["msg"] == "String should have at least 1 character"


@pytest.mark.parametrize(
    ("value", "expected"), [(True, True), ("yes", True), ("Off", False), (0, False), (1, True), ("t", True)]
)
def test_flag_reads_booleans_as_pydantic_did(value: Any, expected: bool) -> None:
    assert run(flag, value) == (expected, [])


def test_flag_refuses_other_values() -> None:
    assert refused(flag, 2)["type"] == "bool_parsing"
    assert refused(flag, "maybe")["type"] == "bool_parsing"
    assert refused(flag, [True])["type"] == "bool_type"


def test_moment_takes_datetimes_dates_iso_strings_and_unix_seconds() -> None:
    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    assert run(moment, start) == (start, [])
    assert run(moment, date(2026, 1, 5)) == (datetime(2026, 1, 5), [])
    assert run(moment, "2026-01-05T08:00:00Z") == (start, [])
    assert run(moment, 0) == (datetime(1970, 1, 1, tzinfo=UTC), [])
    assert refused(moment, "nope")["type"] == "datetime_parsing"
    assert refused(moment, 10**20)["type"] == "datetime_parsing"
    assert refused(moment, True)["type"] == "datetime_type"


def test_one_of_is_a_literal_and_lists_what_is_allowed() -> None:
    check = one_of("a", "b", "c")
    assert run(check, "b") == ("b", [])
    error = refused(check, "d")
    assert error["msg"] == "Input should be 'a', 'b' or 'c'"
    assert error["ctx"]["expected"] == "'a', 'b' or 'c'"
    assert refused(one_of(1, 2), True)["type"] == "literal_error"  # True == 1, but no choice
    assert refused(check, ["a"])["type"] == "literal_error"


# --- containers ---------------------------------------------------------------------


def test_many_locates_each_bad_item_by_its_index() -> None:
    result, errors = run(many(whole()), [1, "x", 3, "y"])
    assert result is FAILED
    assert [e["loc"] for e in errors] == [("f", 1), ("f", 3)]
    assert run(many(whole()), [1, "2"]) == ((1, 2), [])
    assert refused(many(whole()), "1, 2")["type"] == "tuple_type"


def test_pair_holds_exactly_two() -> None:
    check = pair(whole(), whole())
    assert run(check, [1, 2]) == ((1, 2), [])
    short = refused(check, [1])
    assert (short["type"], short["loc"]) == ("missing", ("f", 1))
    assert refused(check, [1, 2, 3])["msg"] == "Tuple should have at most 2 items after validation, not 3"


def test_table_checks_keys_and_values_at_their_key() -> None:
    check = table(whole(), number())
    assert run(check, {"1": 0.5, 2: "0.5"}) == ({1: 0.5, 2: 0.5}, [])
    result, errors = run(check, {"a": 1, 2: "x"})
    assert result is FAILED
    assert [(e["loc"], e["type"]) for e in errors] == [
        (("f", "a"), "int_parsing"),
        (("f", 2), "float_parsing"),
    ]
    assert refused(check, [1])["type"] == "dict_type"


def test_optional_either_before_and_after() -> None:
    assert run(optional(whole()), None) == (None, [])
    assert refused(optional(whole()), "x")["type"] == "int_parsing"
    id_or_name = either(text(), whole())
    assert run(id_or_name, 5) == (5, [])
    assert run(id_or_name, "Bridge") == ("Bridge", [])
    assert run(id_or_name, "5") == ("5", [])  # a quoted number stays a name
    assert refused(id_or_name, 1.5)["type"] == "int_from_float"  # the last branch's reason
    wrapped = before(lambda v: [v] if isinstance(v, int) else v, many(whole()))
    assert run(wrapped, 3) == ((3,), [])

    def ordered(bounds: tuple[int, int]) -> tuple[int, int]:
        if bounds[0] > bounds[1]:
            raise ValueError("the lower bound is above the upper bound")
        return bounds

    bounds = after(pair(whole(), whole()), ordered)
    assert run(bounds, [1, 2]) == ((1, 2), [])
    assert refused(bounds, [2, 1])["msg"] == "the lower bound is above the upper bound"


def test_after_may_locate_its_errors_inside_the_value() -> None:
    def second_is_bad(values: dict[str, int]) -> dict[str, int]:
        raise Invalid("x", [{"type": "bad", "loc": ("b", "rate"), "msg": "no", "input": 2, "ctx": {}}])

    error = refused(after(table(text(), whole()), second_is_bad), {"a": 1, "b": 2})
    assert error["loc"] == ("f", "b", "rate")


# --- nodes --------------------------------------------------------------------------


class Bounds(Strict):
    low: int = field(whole())
    high: int = field(whole(), default=10)
    tags: dict[str, str] = field(table(text(), text()), default={})

    @node_check
    def _ordered(self) -> None:
        if self.low > self.high:
            raise ValueError("low is above high")


class Holder(Strict):
    bounds: Bounds = field(node(Bounds))
    many_bounds: tuple[Bounds, ...] = field(many(node(Bounds)), default=())


def test_a_node_validates_its_fields_and_then_itself() -> None:
    assert Bounds(low=1) == Bounds(low=1, high=10)
    assert Bounds.model_validate({"low": "2", "high": 3}).low == 2
    with pytest.raises(Invalid) as info:
        Bounds.model_validate({"low": 5, "high": 1})
    assert [(e["loc"], e["msg"]) for e in info.value.errors()] == [((), "low is above high")]


def test_a_node_reports_every_error_missing_and_unknown_keys_last() -> None:
    with pytest.raises(Invalid) as info:
        Holder.model_validate({"bounds": {"high": "x", "extra": 1}, "many_bounds": [{"low": 1}, {"low": []}]})
    found = [(e["loc"], e["type"]) for e in info.value.errors()]
    assert found == [
        (("bounds", "low"), "missing"),
        (("bounds", "high"), "int_parsing"),
        (("bounds", "extra"), "extra_forbidden"),
        (("many_bounds", 1, "low"), "int_type"),
    ]


def test_a_node_refuses_what_is_no_mapping_and_takes_its_own_instances() -> None:
    with pytest.raises(Invalid) as info:
        Holder.model_validate({"bounds": [1, 2]})
    assert info.value.errors()[0]["type"] == "model_type"
    inner = Bounds(low=1)
    assert Holder(bounds=inner).bounds is inner


def test_a_node_is_an_immutable_hashable_value() -> None:
    topic = TopicSpec(id=1, name="Support")
    with pytest.raises(AttributeError, match="immutable"):
        topic.id = 2  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del topic.name
    assert topic == TopicSpec(id=1, name="Support", weight=1.0)
    assert topic != TopicSpec(id=2, name="Support")
    assert topic != IdRange(first=1, last=1)
    assert hash(topic) == hash(TopicSpec(id=1, name="Support"))
    assert repr(topic) == "TopicSpec(id=1, name='Support', weight=1.0)"
    assert pickle.loads(pickle.dumps(topic)) == topic  # --processes sends scenarios to workers
    assert copy.deepcopy(topic) == topic


def test_model_copy_replaces_fields_and_leaves_the_original() -> None:
    topic = TopicSpec(id=1, name="Support")
    moved = topic.model_copy(update={"id": 7})
    assert (moved.id, moved.name, topic.id) == (7, "Support", 1)


def test_mutable_defaults_are_not_shared() -> None:
    first, second = Bounds(low=1), Bounds(low=1)
    assert first.tags == {} and first.tags is not second.tags


def test_a_field_without_a_check_is_refused_where_the_class_is_written() -> None:
    with pytest.raises(TypeError, match=r"Broken.plain needs field"):

        class Broken(Strict):
            plain: int = 5


def test_keys_at_follows_lists_mappings_and_unions() -> None:
    assert keys_at(node(Holder), ("bounds",)) == ["low", "high", "tags"]
    assert keys_at(node(Holder), ("many_bounds", 3)) == ["low", "high", "tags"]
    assert keys_at(node(Holder), ("bounds", "low")) == []
    assert keys_at(node(Scenario), ("faults", "duplicate")) == ["rate", "expect", "size"]
    assert keys_at(node(Scenario), ("flow", "queue", "wait")) == ["fixed", "uniform", "lognormal", "max"]
    assert "source" not in keys_at(node(Scenario), ())


# --- through a scenario file ----------------------------------------------------------


def _error(text_: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text_, source="x.yaml", env={})
    return info.value


def test_a_boolean_is_no_probability() -> None:
    """`true` for a probability was 1 under pydantic; a share is a number or a percentage."""
    error = _error(f"{ARRIVALS}flow:\n  queue:\n    abandon_probability: true\n")
    assert (error.line, error.field) == (6, "flow.queue.abandon_probability")
    assert error.problem == "Input should be a valid number"


def test_an_unknown_key_in_a_list_item_or_a_delay_lists_the_allowed_keys() -> None:
    error = _error(f"{ARRIVALS}population:\n  agents:\n    - {{associate_id: 1, user_id: 2, nmae: A}}\n")
    assert error.field == "population.agents[0].nmae"
    assert error.problem == "unknown key (allowed: associate_id, user_id, name); did you mean 'name'?"
    error = _error(f"{ARRIVALS}flow:\n  queue:\n    wait: {{lognormal: {{median: 1m, p59: 2m}}}}\n")
    by_field = {e.field: e.problem for e in error.every}
    assert by_field["flow.queue.wait.lognormal.p95"] == "required but missing"
    assert "allowed: median, p95" in by_field["flow.queue.wait.lognormal.p59"]


def test_the_shipped_defaults_are_what_an_empty_section_gives() -> None:
    """The nodes' defaults are instances built by the same checks: an empty section equals them."""
    spelled = parse_scenario(f"{ARRIVALS}flow: {{}}\npopulation: {{}}\nwebhook: {{}}\npayload: {{}}\n")
    bare = parse_scenario(ARRIVALS)
    assert spelled == bare


# --- what the review of the change found ---------------------------------------------


def test_a_quoted_webhook_number_is_a_name_and_a_bare_one_an_id() -> None:
    """rotate_secret's webhook: 5 is a WebhookId, '5' a Name (the tenant matches them differently)."""
    quoted = parse_scenario(f"{ARRIVALS}rotate_secret: {{at: 1s, to: x, webhook: '5'}}\n")
    bare = parse_scenario(f"{ARRIVALS}rotate_secret: {{at: 1s, to: x, webhook: 5}}\n")
    assert (quoted.rotate_secret[0].webhook, bare.rotate_secret[0].webhook) == ("5", 5)


def test_a_whole_number_from_the_environment_may_carry_decimal_zeros() -> None:
    scenario = parse_scenario(f"{ARRIVALS}seed: ${{N}}\n", env={"N": "5.0"})
    assert scenario.seed == 5
    assert refused(whole(), "5.5")["type"] == "int_parsing"
    assert refused(whole(), "\u0663")["type"] == "int_parsing"  # an Arabic-Indic 3 is no YAML number
    assert refused(number(), "\u0660.\u0665")["type"] == "float_parsing"


@pytest.mark.parametrize(
    "spelled",
    ["1767600000", "1767600000000", "'1767600000'", "'2026-01-05t08:00:00z'", "2026-01-05T08:00:00Z"],
)
def test_start_reads_unix_seconds_milliseconds_and_rfc_3339(spelled: str) -> None:
    scenario = parse_scenario(f"{ARRIVALS}start: {spelled}\n")
    assert scenario.start == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def test_a_single_rotation_lists_its_keys_as_a_list_of_them_does() -> None:
    error = _error(f"{ARRIVALS}rotate_secret: {{at: 1s, to: x, tto: 1}}\n")
    assert error.field == "rotate_secret.tto"
    assert error.problem == "unknown key (allowed: at, to, webhook); did you mean 'to'?"


def test_a_delay_lists_the_keys_of_the_kind_it_is() -> None:
    """{fixed: 1, max: 3} is a fixed delay: max belongs to lognormal, so it is no key here."""
    error = _error(f"{ARRIVALS}flow:\n  queue:\n    wait: {{fixed: 1, max: 3}}\n")
    assert (error.field, error.problem) == ("flow.queue.wait.max", "unknown key (allowed: fixed)")


def test_no_two_scenarios_share_a_default_mapping() -> None:
    """Nodes are frozen but their dicts are not: each scenario gets its own copy of a default."""
    first, second = parse_scenario(ARRIVALS), parse_scenario(ARRIVALS)
    assert first.flow.end.rating.values == second.flow.end.rating.values
    assert first.flow.end.rating.values is not second.flow.end.rating.values
    assert first.webhook.headers is not second.webhook.headers
    first.flow.end.rating.values[1] = 0.9
    assert parse_scenario(ARRIVALS).flow.end.rating.values[1] == 0.05


def test_yaml_binary_text_is_read_as_text() -> None:
    assert parse_scenario(f"{ARRIVALS}description: !!binary aGVsbG8=\n").description == "hello"
    assert refused(text(), b"\xff")["type"] == "string_unicode"


def test_a_number_in_quotes_too_far_out_for_a_start_says_so() -> None:
    """A quoted number is a Unix time: out of range, it says that, not that it is no ISO date."""
    assert refused(moment, "1e30")["msg"] == "Input should be a valid datetime, the timestamp is out of range"
    assert refused(moment, "nope")["msg"].endswith("such as 2026-01-05T08:00:00Z")
