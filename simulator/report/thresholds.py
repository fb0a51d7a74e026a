"""The ``--fail-if`` language: ``METRIC OP VALUE`` thresholds that fail a run when crossed.

``p99 > 250ms`` reads "fail if the p99 service time is above 250 ms". Values are normalised
when parsed: seconds for time metrics, a fraction for ``error_rate``, requests per second
for ``rate``. A metric the run cannot measure (a p99 with no HTTP answer at all, an error
rate with no request) counts as crossed: a CI gate must not pass on missing data.
"""

from __future__ import annotations

import difflib
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from simulator.core.errors import UsageError
from simulator.core.units import format_duration, parse_rate
from simulator.report.series import number

MetricKind = Literal["time", "fraction", "count", "per_second"]

#: Every metric a threshold can name, with the kind of value it takes.
METRICS: Final[Mapping[str, MetricKind]] = {
    # service time: from the actual send to the answer
    "p50": "time",
    "p90": "time",
    "p99": "time",
    "p99.9": "time",
    "max": "time",
    "mean": "time",
    # latency from the intended send time (includes queueing)
    "latency_p50": "time",
    "latency_p90": "time",
    "latency_p99": "time",
    "latency_p99.9": "time",
    "latency_max": "time",
    # schedule lag: how late attempts went out
    "lag_p50": "time",
    "lag_p99": "time",
    "lag_max": "time",
    "error_rate": "fraction",
    "failed": "count",
    "delivered": "count",
    "sent": "count",
    "lost": "count",
    "attempts": "count",
    "retries": "count",
    "requeues": "count",
    "status_4xx": "count",
    "status_5xx": "count",
    "rate": "per_second",
    # the closed loop (flow.bot / flow.agents: external): reply latency, from the customer
    # message's webhook going out to the API write that answers it; time to first reply
    "reply_p50": "time",
    "reply_p90": "time",
    "reply_p99": "time",
    "reply_max": "time",
    "first_reply_p50": "time",
    "first_reply_p99": "time",
    "replies": "count",
    "unanswered": "count",
    "handoffs": "count",
    "abandoned": "count",
    "api_errors": "count",
}

#: The metrics only a closed-loop run measures (NaN, so crossed, in any other run).
CONVERSATION_METRICS: Final = frozenset(
    {name for name in METRICS if name.startswith(("reply", "first_reply"))}
    | {"replies", "unanswered", "handoffs", "abandoned", "api_errors"}
)

OPERATORS: Final[Mapping[str, Callable[[float, float], bool]]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}

VALUE_HELP: Final[Mapping[MetricKind, str]] = {
    "time": "a duration such as 250ms, 1.5s or 800us (a plain number is milliseconds)",
    "fraction": "a percentage such as 0.1% or a fraction between 0 and 1 such as 0.001",
    "count": "a whole number such as 0 or 1000",
    "per_second": "a rate such as 400/s or 30/min (a plain number is per second)",
}

_EXPRESSION = re.compile(r"^\s*(?P<metric>[A-Za-z_][\w.]*)\s*(?P<op>[<>=!]+)\s*(?P<value>.*?)\s*$")
_TIME = re.compile(r"^(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>us|µs|ms|s)?$")
_TIME_FACTORS: Final = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, None: 1e-3}
_FRACTION = re.compile(r"^(?P<number>\d+(?:\.\d*)?|\.\d+)\s*(?P<percent>%)?$")
_COUNT = re.compile(r"^\d+$")


@dataclass(frozen=True, slots=True)
class Threshold:
    """One parsed ``--fail-if`` expression; ``value`` is normalised (seconds, fraction, count, 1/s)."""

    text: str
    metric: str
    op: str
    value: float

    @property
    def kind(self) -> MetricKind:
        """The kind of value the metric measures."""
        return METRICS[self.metric]

    def crossed_by(self, actual: float) -> bool:
        """True when ``actual`` meets the failure condition (or cannot be measured)."""
        return math.isnan(actual) or OPERATORS[self.op](actual, self.value)


@dataclass(frozen=True, slots=True)
class ThresholdResult:
    """A threshold checked against a finished run: ``crossed`` means the run fails."""

    threshold: Threshold
    actual: float
    crossed: bool

    @property
    def verdict(self) -> str:
        """``FAIL`` when crossed, else ``PASS``."""
        return "FAIL" if self.crossed else "PASS"

    def describe(self) -> str:
        """One line for people: the measured value, then the failure condition as it was given.

        The value comes first: ``PASS  error_rate > 0`` would read as if the condition held."""
        threshold = self.threshold
        if math.isnan(self.actual):
            return f"no data to measure {threshold.metric}, so the threshold fails: {threshold.text}"
        actual = format_value(threshold.kind, self.actual)
        return f"{threshold.metric} is {actual}; the run fails if {threshold.text}"


class MetricSource(Protocol):
    """Anything that can answer a metric by name (``RunStats``)."""

    def metric(self, name: str) -> float:
        """The metric's value in normalised units, NaN when it cannot be measured."""
        ...


def parse_threshold(text: str) -> Threshold:
    """Parse ``METRIC OP VALUE`` (``p99 > 250ms``); raise UsageError naming the bad part."""
    match = _EXPRESSION.match(text)
    if match is None:
        raise UsageError(
            f"expected METRIC OP VALUE such as 'p99 > 250ms'. {_metrics_help()}; "
            f"operators: {_operators_help()}",
            option="thresholds",
            value=repr(text),
        )
    metric = match["metric"].lower()
    if metric not in METRICS:
        close = difflib.get_close_matches(metric, METRICS, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(
            f"unknown metric {match['metric']!r}{hint}. {_metrics_help()}",
            option="thresholds",
            value=repr(text),
        )
    op = match["op"]
    if op not in OPERATORS:
        raise UsageError(
            f"unknown operator {op!r}; use one of {_operators_help()}", option="thresholds", value=repr(text)
        )
    kind = METRICS[metric]
    raw = match["value"]
    value = _parse_value(kind, raw)
    if value is None:
        shown = repr(raw) if raw else "nothing"
        raise UsageError(
            f"{metric} takes {VALUE_HELP[kind]}, got {shown}", option="thresholds", value=repr(text)
        )
    return Threshold(text=text.strip(), metric=metric, op=op, value=value)


def evaluate(threshold: Threshold, stats: MetricSource) -> ThresholdResult:
    """Check one threshold against a run's statistics."""
    actual = stats.metric(threshold.metric)
    return ThresholdResult(threshold=threshold, actual=actual, crossed=threshold.crossed_by(actual))


def format_value(kind: MetricKind, value: float) -> str:
    """Format a normalised metric value in the unit people type (``312ms``, ``0.1%``, ``400/s``)."""
    if math.isnan(value):
        return "n/a"
    if kind == "time":
        return _format_time(value)
    if kind == "fraction":
        return f"{value * 100:.4g}%"
    if kind == "per_second":
        return f"{value:.1f}/s"
    return f"{value:.0f}"


def _format_time(seconds: float) -> str:
    # Three significant digits: the precision of the histograms behind every time metric.
    if seconds == 0:
        return "0ms"
    if seconds < 0.001:
        return f"{seconds * 1e6:.3g}us"
    if seconds < 1:
        return f"{seconds * 1000:.3g}ms"
    if seconds < 60:
        return f"{seconds:.3g}s"
    return format_duration(seconds)


def _parse_value(kind: MetricKind, raw: str) -> float | None:
    """The normalised value, or None when ``raw`` is not a value of this kind."""
    if kind == "time":
        time = _TIME.match(raw)
        return float(time["number"]) * _TIME_FACTORS[time["unit"]] if time else None
    if kind == "fraction":
        fraction = _FRACTION.match(raw)
        if fraction is None:
            return None
        number = float(fraction["number"])
        value = number / 100 if fraction["percent"] else number
        return value if value <= 1 else None
    if kind == "count":
        return float(raw) if _COUNT.match(raw) else None
    try:
        return parse_rate(raw)
    except ValueError:
        return None


def _metrics_help() -> str:
    groups: dict[MetricKind, list[str]] = {}
    for name, kind in METRICS.items():
        groups.setdefault(kind, []).append(name)
    return "metrics: " + "; ".join(
        f"{' '.join(names)} (take {VALUE_HELP[kind]})" for kind, names in groups.items()
    )


def _operators_help() -> str:
    return " ".join(OPERATORS)


_JSON_UNITS: Final[dict[MetricKind, str]] = {
    "time": "ms",
    "fraction": "fraction",
    "count": "count",
    "per_second": "per_s",
}


def threshold_dict(result: ThresholdResult) -> dict[str, Any]:
    """A threshold verdict for the JSON report (time limits and values in ms)."""
    threshold = result.threshold
    scale = 1000.0 if threshold.kind == "time" else 1.0
    return {
        "expression": threshold.text,
        "metric": threshold.metric,
        "op": threshold.op,
        "limit": round(threshold.value * scale, 6),
        "actual": number(round(result.actual * scale, 6)),
        "unit": _JSON_UNITS[threshold.kind],
        "crossed": result.crossed,
        "verdict": result.verdict,
        "message": result.describe(),
    }
