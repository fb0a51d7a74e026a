"""Run statistics in constant memory, and the report a run ends with.

``RunStats`` is a run handler: it folds every attempt into HDR histograms and counters, so
a run of a million events needs no more memory than a run of a thousand, and a day-long run no more than an
hour-long one: the per-second series keeps at most ``MAX_SERIES_POINTS`` points, merging adjacent
seconds once the run is longer (:class:`~simulator.report.timeseries.StepSeries`).

Definitions the report relies on (docs/reference/counters.md is the user's page on them):

- an *event* is one planned request with all its attempts and cycles; it is *sent* with its first
  attempt and ends delivered on that attempt, after retries, in a later cycle (requeued with a new
  EventId, see :func:`~simulator.core.outcome.fate_of`), or *lost*: ``lost = sent - delivered``;
- *retries* are the attempts after the first of a cycle, *requeues* the first attempts of later
  cycles, so ``attempts = sent + retries + requeues``;
- a *request* (the JSON's ``requests``, kept for old readers) is the final attempt of one delivery
  cycle; it is *delivered* or *failed*: a requeued event counts once per failed cycle;
- *service* time runs from the actual send to the answer, *latency from intended* from the
  time the attempt was due (so queueing in sosim cannot hide a slow receiver), *lag* is how
  late the attempt went out; service and latency count only attempts that got an answer;
- the per-second series buckets attempts by ``int(sent_s)`` (by ``int(sent_s) // series_step_s`` once
  the run outgrew one point a second): ``sent`` counts attempts that
  went out in that second (retries included), ``delivered``/``failed`` the requests whose
  final attempt went out then, ``retries``/``status_4xx``/``status_5xx``/``errors`` the
  attempts of that second that were retries, got a 4xx or 5xx, or got no answer; the
  percentiles are of service time and lag.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, Final

from simulator import __version__
from simulator.core.outcome import Attempt, Fate, RunInfo, RunResult, StateChange, fate_of
from simulator.core.units import parse_rate
from simulator.core.urls import mask_url
from simulator.report.conversation import ConversationStats
from simulator.report.counts import EventCounts, FaultCounts, event_dict, fault_dict
from simulator.report.series import (
    COARSE_TABLE,
    COARSE_TABLE_SIZE,
    FOLD_EVERY,
    HIGHEST_US,
    US_PER_S,
    Durations,
    coarse_index,
    ms,
    number,
)
from simulator.report.sessions import SessionSample
from simulator.report.thresholds import (
    CONVERSATION_METRICS,
    Threshold,
    ThresholdResult,
    evaluate,
    threshold_dict,
)
from simulator.report.timeseries import SecondStats, StepSeries
from simulator.report.writers import render_summary, write_json, write_junit
from simulator.superoffice import facts as so

__all__ = [
    "EventCounts",
    "FaultCounts",
    "RunStats",
    "render_summary",
    "write_json",
    "write_junit",
]

_PERCENTILES: Final = (50.0, 90.0, 99.0, 99.9)
TOO_MANY_ERRORS: Final = so.WebhookState.TooManyErrors.name


class RunStats:
    """Aggregates a run in constant memory; a Handler, and the source of every report."""

    def __init__(self, thresholds: Sequence[Threshold] = (), *, empty_ok: bool = False) -> None:
        self.thresholds = tuple(thresholds)
        #: A run with no event to send passes (``replay --only-failed`` when nothing failed).
        self.empty_ok = empty_ok
        #: The closed loop's figures, when the run had live sessions (set by the run).
        self.conversation: ConversationStats | None = None
        self.info: RunInfo | None = None
        self.result: RunResult | None = None
        self.service = Durations()
        self.latency = Durations()
        self.lag = Durations()
        self.attempts = 0
        self.requests = 0
        self.delivered = 0
        self.failed = 0
        self.retries = 0
        self.sent = 0  # events: first attempts of first cycles
        self.requeues = 0
        self.fates: Counter[Fate] = Counter()
        self.events: dict[str, EventCounts] = {}
        self.errors: Counter[str] = Counter()
        self.faults: dict[str, FaultCounts] = {}
        self.state_changes: list[StateChange] = []
        #: The slowest and the failed sessions, with their attempts' details (bounded).
        self.sessions = SessionSample()
        self.first_sent_s: float | None = None
        self.last_sent_s: float | None = None
        #: The per-second figures, in bounded memory (``per_second.step`` seconds a point).
        self.per_second: StepSeries[SecondStats] = StepSeries(SecondStats)

    # --- Handler ------------------------------------------------------------------------

    def start(self, info: RunInfo) -> None:
        """Keep the run's settings for the report."""
        self.info = info

    def handle_attempt(self, attempt: Attempt) -> None:
        """Fold one attempt into the counters and histograms."""
        fault = attempt.fault
        if fault is not None and attempt.probe:
            # Injected probes are judged against their expectation, not counted as traffic.
            self._count_fault(fault, attempt)
            return
        self.attempts += 1
        sent_s = attempt.sent_s
        first, last = self.first_sent_s, self.last_sent_s
        if first is None or sent_s < first:
            self.first_sent_s = sent_s
        if last is None or sent_s > last:
            self.last_sent_s = sent_s
        per_second = self.per_second
        second = per_second.points.get(int(sent_s) // per_second.step)
        if second is None:
            second = self.second_at(sent_s)
        second.sent += 1
        # Durations are recorded inline (whole microseconds, clamped as to_us does): this runs for
        # every attempt, and a method call per histogram would cost more than the recording itself.
        intended_s = attempt.intended_s
        us = round((sent_s - intended_s) * US_PER_S)
        if us < 0:
            us = 0
        elif us > HIGHEST_US:
            us = HIGHEST_US
        self.lag.pending.append(us)
        coarse = second.lag
        coarse.counts[COARSE_TABLE[us] if us < COARSE_TABLE_SIZE else coarse_index(us)] += 1
        coarse.count += 1

        request = attempt.request
        event = self.events.get(request.event)
        if event is None:
            event = self.events[request.event] = EventCounts()
        if attempt.attempt > 1:
            self.retries += 1
            event.retries += 1
            second.retries += 1
        elif attempt.cycle == 1:
            self.sent += 1
            event.events += 1
        else:
            self.requeues += 1
            event.requeues += 1
        status = attempt.status
        if status is not None:
            done_s = attempt.done_s
            us = round((done_s - sent_s) * US_PER_S)
            if us < 0:
                us = 0
            elif us > HIGHEST_US:
                us = HIGHEST_US
            self.service.pending.append(us)
            coarse = second.service
            coarse.counts[COARSE_TABLE[us] if us < COARSE_TABLE_SIZE else coarse_index(us)] += 1
            coarse.count += 1
            self.latency.pending.append(round((done_s - intended_s) * US_PER_S))  # clamped when folded
            event.status_codes[status] += 1  # the run's own count is their sum (status_codes)
            if status >= 500:
                second.status_5xx += 1
            elif status >= 400:
                second.status_4xx += 1
        error = attempt.error
        if error is not None:
            self.errors[error] += 1
            event.errors[error] += 1
            second.errors += 1
        self.sessions.handle_attempt(attempt)
        if fault is not None:
            self._count_fault(fault, attempt)
        if attempt.final:
            self.requests += 1
            event.sent += 1
            if attempt.delivered:
                self.delivered += 1
                event.delivered += 1
                second.delivered += 1
                fate = fate_of(attempt)
                if fate is not None:
                    self.fates[fate] += 1
                    event.fates[fate] += 1
            else:
                self.failed += 1
                event.failed += 1
                second.failed += 1
        if not self.attempts % FOLD_EVERY:
            # Bound the values waiting in the whole-run histograms.
            self.lag._fold()
            self.service._fold()
            self.latency._fold()

    def handle_state(self, change: StateChange) -> None:
        """Remember a webhook state change."""
        self.state_changes.append(change)

    def finish(self, result: RunResult) -> None:
        """Keep how the run ended."""
        self.result = result

    def second_at(self, sent_s: float) -> SecondStats:
        """The per-second counters for the second ``sent_s`` falls in (made on first use): the
        point of ``per_second.step`` seconds that holds it."""
        return self.per_second.at(sent_s)

    def seconds(self) -> list[tuple[int, SecondStats]]:
        """The per-second counters so far, in time order, keyed by each point's first second
        (points with no request are absent)."""
        return self.per_second.items()

    def _count_fault(self, name: str, attempt: Attempt) -> None:
        fault = self.faults.get(name)
        if fault is None:
            fault = self.faults[name] = FaultCounts()
        fault.sent += 1
        if attempt.status is not None:
            fault.status_codes[attempt.status] += 1
        if attempt.error is not None:
            fault.errors[attempt.error] += 1

    # --- derived figures ----------------------------------------------------------------

    @property
    def status_codes(self) -> Counter[int]:
        """Answers by status code over the whole run (kept per event type only: one count an
        attempt instead of two)."""
        total: Counter[int] = Counter()
        for counts in self.events.values():
            total.update(counts.status_codes)
        return total

    @property
    def lost(self) -> int:
        """Events sent and never delivered: given up, dropped when the run stopped before their retry
        or later cycle, or abandoned in flight (while the run goes on, also those still on their way)."""
        return self.sent - self.delivered

    def delivery_counts(self, counts: EventCounts | None = None) -> dict[str, int]:
        """The per-event counts every report shows, for the run or for one event type's ``counts``."""
        if counts is None:
            sent, fates, lost = self.sent, self.fates, self.lost
        else:
            sent, fates, lost = counts.events, counts.fates, counts.lost
        return {
            "events_sent": sent,
            "delivered_first_attempt": fates["first_attempt"],
            "delivered_after_retries": fates["after_retries"],
            "delivered_later_cycle": fates["later_cycle"],
            "lost": lost,
        }

    @property
    def error_rate(self) -> float:
        """Failed requests / requests; NaN before any request."""
        return self.failed / self.requests if self.requests else math.nan

    @property
    def achieved_rate(self) -> float:
        """Events sent per second of the run (its elapsed time, the last answers included), so it
        agrees with "finished after"; before the run has ended, between the first and the last send."""
        return self._per_second(self.sent)

    @property
    def delivered_rate(self) -> float:
        """Events delivered per second of the run, timed as ``achieved_rate``."""
        return self._per_second(self.delivered)

    def _per_second(self, count: int) -> float:
        if not count:
            return 0.0
        if self.result is not None and self.result.elapsed_s > 0:
            return count / self.result.elapsed_s
        if self.first_sent_s is None or self.last_sent_s is None or self.last_sent_s <= self.first_sent_s:
            return math.nan
        return count / (self.last_sent_s - self.first_sent_s)

    @property
    def target_rate(self) -> float | None:
        """The planned rate from ``RunInfo.extra["target_rate"]``, when the run had one."""
        text = self.info.extra.get("target_rate") if self.info else None
        if not text:
            return None
        try:
            return parse_rate(text)
        except ValueError:
            return None

    @property
    def final_state(self) -> str | None:
        """The webhook's state at the end (or the latest known, before the run finished)."""
        if self.result is not None:
            return self.result.webhook_state
        return self.state_changes[-1].state if self.state_changes else None

    @property
    def too_many_errors_at(self) -> float | None:
        """When the webhook turned TooManyErrors, if it did."""
        return next((c.at_s for c in self.state_changes if c.state == TOO_MANY_ERRORS), None)

    def status_class(self, hundreds: int) -> int:
        """Attempts answered with a status in ``hundreds`` (4 for 4xx)."""
        return sum(n for status, n in self.status_codes.items() if status // 100 == hundreds)

    def run_summary(self) -> dict[str, Any] | None:
        """The run's settings for reports, with any credential in the target URL masked."""
        if self.info is None:
            return None
        run = dataclasses.asdict(self.info)
        run["target"] = mask_url(self.info.target)
        run["scenarios"] = list(self.info.scenarios)
        run["extra"] = dict(sorted(self.info.extra.items()))
        return run

    def metric(self, name: str) -> float:
        """A threshold metric by name, in normalised units; NaN when it cannot be measured."""
        getter = _METRICS.get(name)
        if getter is None:
            raise KeyError(f"unknown metric {name!r}")
        return getter(self)

    def evaluate_thresholds(self) -> list[ThresholdResult]:
        """Check every threshold the stats were made with."""
        return [evaluate(threshold, self) for threshold in self.thresholds]

    def series(self, step: int = 1) -> list[dict[str, Any]]:
        """One row per second from 0 to the last second with a send (quiet seconds are zeros).

        With ``step`` > 1, or once the run outgrew one point a second, one row per
        ``per_second.step_for(step)`` seconds: counts are totals over the step, ``t`` is its first
        second, percentiles are of the merged histograms.
        """
        empty = SecondStats()
        return [(second or empty).row(t) for t, second in self.per_second.merged(step)]

    def distribution_ms(self) -> dict[str, list[list[float]]]:
        """HDR percentile distributions ``[[percentile, ms], ...]`` of service time and latency."""
        return {
            "service": [[p, round(s * 1000, 3)] for p, s in self.service.distribution()],
            "from_intended": [[p, round(s * 1000, 3)] for p, s in self.latency.distribution()],
        }

    @property
    def nothing_sent(self) -> bool:
        """Whether the run ended by itself without a single event to send, and that fails it:
        in CI, a filter or window that matches nothing would otherwise pass with no traffic."""
        interrupted = self.result is not None and self.result.interrupted
        return not self.sent and not self.empty_ok and not interrupted

    def summary(self) -> dict[str, Any]:
        """The JSON-ready report (durations in ms; unmeasurable figures are None)."""
        info = self.info
        return {
            "sosim_version": info.sosim_version if info else __version__,
            "run": self.run_summary(),
            "result": dataclasses.asdict(self.result) if self.result else None,
            "totals": {
                "attempts": self.attempts,
                "requests": self.requests,
                "delivered": self.delivered,
                "failed": self.failed,
                "retries": self.retries,
                "error_rate": number(self.error_rate),
                **self.delivery_counts(),
                "requeues": self.requeues,
            },
            "rate": {
                "achieved_per_s": number(round(self.achieved_rate, 3)),
                "delivered_per_s": number(round(self.delivered_rate, 3)),
                "target_per_s": self.target_rate,
                "planned": self.result.planned if self.result else None,
                "first_sent_s": self.first_sent_s,
                "last_sent_s": self.last_sent_s,
            },
            "latency_ms": {
                "service": self.service.summary_ms(_PERCENTILES),
                "from_intended": self.latency.summary_ms(_PERCENTILES),
            },
            "lag_ms": {
                "p50": ms(self.lag.percentile(50)),
                "p99": ms(self.lag.percentile(99)),
                "max": ms(self.lag.max_s),
            },
            "events": {
                name: {**event_dict(counts), **self.delivery_counts(counts), "requeues": counts.requeues}
                for name, counts in sorted(self.events.items())
            },
            "status_codes": {str(status): n for status, n in sorted(self.status_codes.items())},
            "errors": dict(sorted(self.errors.items())),
            "faults": {name: fault_dict(fault) for name, fault in sorted(self.faults.items())},
            "webhook": {
                "final_state": self.final_state,
                "too_many_errors_at_s": self.too_many_errors_at,
                "changes": [dataclasses.asdict(change) for change in self.state_changes],
            },
            "series": self.series(),
            "series_step_s": self.per_second.step,
            "distribution_ms": self.distribution_ms(),
            "thresholds": [threshold_dict(result) for result in self.evaluate_thresholds()],
            **({"conversation": self.conversation.summary()} if self.conversation is not None else {}),
        }


def _conversation_getter(name: str) -> Callable[[RunStats], float]:
    return lambda stats: stats.conversation.metric(name) if stats.conversation is not None else math.nan


def _percentile_getter(histogram: str, percentile: float) -> Callable[[RunStats], float]:
    return lambda stats: getattr(stats, histogram).percentile(percentile)


_METRICS: Final[dict[str, Callable[[RunStats], float]]] = {
    **{f"p{p:g}": _percentile_getter("service", p) for p in _PERCENTILES},
    "max": lambda s: s.service.max_s,
    "mean": lambda s: s.service.mean_s,
    **{f"latency_p{p:g}": _percentile_getter("latency", p) for p in _PERCENTILES},
    "latency_max": lambda s: s.latency.max_s,
    "lag_p50": _percentile_getter("lag", 50.0),
    "lag_p99": _percentile_getter("lag", 99.0),
    "lag_max": lambda s: s.lag.max_s,
    "error_rate": lambda s: s.error_rate,
    "failed": lambda s: float(s.failed),
    "delivered": lambda s: float(s.delivered),
    "sent": lambda s: float(s.sent),
    "lost": lambda s: float(s.lost),
    "attempts": lambda s: float(s.attempts),
    "retries": lambda s: float(s.retries),
    "requeues": lambda s: float(s.requeues),
    "status_4xx": lambda s: float(s.status_class(4)),
    "status_5xx": lambda s: float(s.status_class(5)),
    "rate": lambda s: s.achieved_rate,
    **{name: _conversation_getter(name) for name in CONVERSATION_METRICS},
}
