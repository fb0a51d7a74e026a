"""Tests for simulator.report.thresholds: the ``--fail-if`` expressions that decide a CI run's exit code."""

from __future__ import annotations

import dataclasses
import math

import pytest

from simulator.core.errors import UsageError
from simulator.report.thresholds import METRICS, OPERATORS, Threshold, evaluate, format_value, parse_threshold


class FakeStats:
    """A metric source answering fixed values."""

    def __init__(self, **values: float) -> None:
        self.values = values

    def metric(self, name: str) -> float:
        return self.values[name]


@pytest.mark.parametrize(
    ("text", "metric", "op", "value"),
    [
        ("p99 > 250ms", "p99", ">", 0.25),
        ("p99 > 250", "p99", ">", 0.25),
        ("p50>=1s", "p50", ">=", 1.0),
        ("p99.9 <= 800us", "p99.9", "<=", 0.0008),
        ("mean < 1.5s", "mean", "<", 1.5),
        ("latency_p99.9 != 2s", "latency_p99.9", "!=", 2.0),
        ("lag_p99 > 50ms", "lag_p99", ">", 0.05),
        ("error_rate > 0.1%", "error_rate", ">", 0.001),
        ("error_rate > 0.001", "error_rate", ">", 0.001),
        ("error_rate >= 100%", "error_rate", ">=", 1.0),
        ("failed > 0", "failed", ">", 0.0),
        ("delivered < 1000", "delivered", "<", 1000.0),
        ("status_5xx == 0", "status_5xx", "==", 0.0),
        ("rate < 400/s", "rate", "<", 400.0),
        ("rate < 30/min", "rate", "<", 0.5),
        ("  P99   >   250ms  ", "p99", ">", 0.25),
    ],
)
def test_parse_threshold_normalises_every_documented_form(
    text: str, metric: str, op: str, value: float
) -> None:
    """Each documented form parses to its metric, operator and value in seconds, fractions or 1/s."""
    threshold = parse_threshold(text)
    assert (threshold.metric, threshold.op) == (metric, op)
    assert threshold.value == pytest.approx(value)
    assert threshold.text == text.strip()


def test_threshold_is_immutable() -> None:
    """A parsed threshold cannot be changed after parsing."""
    threshold = parse_threshold("p99 > 1s")
    with pytest.raises(dataclasses.FrozenInstanceError):
        threshold.value = 2.0  # type: ignore[misc]


def test_bad_operator_is_named_and_the_allowed_operators_listed() -> None:
    """``p99 >> 5`` names the operator and lists > >= < <= == !=."""
    with pytest.raises(UsageError) as info:
        parse_threshold("p99 >> 5")
    message = str(info.value)
    assert "unknown operator '>>'" in message
    assert "> >= < <= == !=" in message


def test_unknown_metric_is_named_and_every_metric_listed() -> None:
    """``foo > 1`` names the metric and lists every metric a user may write."""
    with pytest.raises(UsageError) as info:
        parse_threshold("foo > 1")
    message = str(info.value)
    assert "unknown metric 'foo'" in message
    for metric in METRICS:
        assert metric in message


def test_misspelt_metric_gets_a_suggestion() -> None:
    """A near miss such as ``latncy_p99`` suggests the metric the user meant."""
    with pytest.raises(UsageError, match="did you mean latency_p99"):
        parse_threshold("latncy_p99 > 1s")


def test_time_metric_rejects_a_word_and_shows_duration_units() -> None:
    """``p99 > fast`` names the bad value and shows the duration units."""
    with pytest.raises(UsageError) as info:
        parse_threshold("p99 > fast")
    message = str(info.value)
    assert "got 'fast'" in message
    assert "250ms" in message and "us" in message and "1.5s" in message


def test_rate_metric_rejects_a_duration() -> None:
    """``error_rate > 5ms`` says error_rate takes a percentage or a fraction."""
    with pytest.raises(UsageError) as info:
        parse_threshold("error_rate > 5ms")
    message = str(info.value)
    assert "error_rate takes a percentage such as 0.1%" in message
    assert "got '5ms'" in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("error_rate > 5", "fraction between 0 and 1"),
        ("error_rate > 150%", "fraction between 0 and 1"),
        ("failed > 1.5", "whole number"),
        ("failed > 5ms", "whole number"),
        ("rate < fast", "400/s"),
        ("p99 >", "got nothing"),
        ("p99 250ms", "expected METRIC OP VALUE"),
        ("> 250ms", "expected METRIC OP VALUE"),
        ("", "expected METRIC OP VALUE"),
        ("p99 => 1s", "unknown operator '=>'"),
    ],
)
def test_malformed_expressions_raise_usage_errors(text: str, fragment: str) -> None:
    """Every malformed expression is a UsageError (exit 2), never a traceback; it names the config
    field and the expression (the CLI shows the field as --fail-if)."""
    with pytest.raises(UsageError) as info:
        parse_threshold(text)
    assert fragment in str(info.value)
    assert info.value.option == "thresholds" and info.value.value == repr(text)
    assert str(info.value).startswith(f"thresholds {text!r}: ")


@pytest.mark.parametrize(
    ("op", "actual", "crossed"),
    [
        (">", 0.3, True),
        (">", 0.25, False),
        (">=", 0.25, True),
        ("<", 0.2, True),
        ("<", 0.25, False),
        ("<=", 0.25, True),
        ("==", 0.25, True),
        ("!=", 0.25, False),
    ],
)
def test_evaluate_crosses_when_the_condition_holds(op: str, actual: float, crossed: bool) -> None:
    """A threshold is crossed (the run fails) exactly when ``actual OP limit`` is true."""
    threshold = parse_threshold(f"p99 {op} 250ms")
    result = evaluate(threshold, FakeStats(p99=actual))
    assert result.crossed is crossed
    assert result.actual == actual
    assert result.verdict == ("FAIL" if crossed else "PASS")


def test_unmeasurable_metric_counts_as_crossed() -> None:
    """A p99 with no answer at all fails the gate instead of passing silently."""
    result = evaluate(parse_threshold("p99 > 250ms"), FakeStats(p99=math.nan))
    assert result.crossed
    assert "no data" in result.describe()


def test_describe_shows_actual_and_limit_in_the_users_units() -> None:
    """The verdict line shows the measured value in ms, % or /s, then the condition as given."""
    assert evaluate(parse_threshold("p99 > 250ms"), FakeStats(p99=0.3124)).describe() == (
        "p99 is 312ms; the run fails if p99 > 250ms"
    )
    assert evaluate(parse_threshold("error_rate > 0.1%"), FakeStats(error_rate=0.0025)).describe() == (
        "error_rate is 0.25%; the run fails if error_rate > 0.1%"
    )
    assert evaluate(parse_threshold("rate < 400/s"), FakeStats(rate=412.34)).describe() == (
        "rate is 412.3/s; the run fails if rate < 400/s"
    )


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (0.0, "0ms"),
        (0.0004, "400us"),
        (0.0125, "12.5ms"),
        (0.012007, "12ms"),
        (2.5, "2.5s"),
        (12.0, "12s"),
        (125.0, "2m05s"),
    ],
)
def test_format_time_values(seconds: float, shown: str) -> None:
    """Durations print in the most readable unit."""
    assert format_value("time", seconds) == shown


def test_every_operator_parses_with_every_metric() -> None:
    """All operators are accepted with every metric kind."""
    examples = {"time": "1s", "fraction": "1%", "count": "3", "per_second": "5/s"}
    for metric, kind in METRICS.items():
        for op in OPERATORS:
            threshold = parse_threshold(f"{metric} {op} {examples[kind]}")
            assert threshold == Threshold(f"{metric} {op} {examples[kind]}", metric, op, threshold.value)
