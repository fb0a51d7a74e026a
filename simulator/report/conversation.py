"""The closed loop's figures: how the system under test answered the simulated customers.

Fed with the live sessions' observations (:class:`~simulator.core.conversation.Observation`) as
they happen. Reply latency runs from the customer message's webhook going out to the API write
that answers it; time to first reply from the session's arrival to its first message to the
customer. Both are HDR histograms like the run's service times. The series keeps one point a
second in bounded memory, as the run's does (:class:`~simulator.report.timeseries.StepSeries`):
each point counts its replies' latencies in log-linear buckets (3%, like the run's series) and
keeps the slowest exactly.
"""

from __future__ import annotations

import math
from collections import Counter
from itertools import accumulate
from typing import TYPE_CHECKING, Any, Final

from simulator.report.series import Durations, coarse_index, coarse_upper_us, ms, to_us
from simulator.report.timeseries import StepSeries

if TYPE_CHECKING:
    from simulator.core.conversation import Observation

__all__ = ["ConversationStats"]

_PERCENTILES: Final = (50.0, 90.0, 99.0)


class ConversationStats:
    """Sessions, replies, latencies, timeouts, hand-offs and endings of the live sessions."""

    def __init__(self) -> None:
        self.sessions = 0
        self.open = 0  # sessions started and not ended
        self.peak_open = 0  # the most sessions open at once
        self.replies = 0
        self.unanswered = 0
        self.handoffs = 0
        self.unsolicited = 0  # messages to the customer that answered no waiting question
        self.late_writes = 0  # accepted writes to a session the customer had already left
        self.endings: Counter[str] = Counter()
        self.reply = Durations()
        self.first_reply = Durations()
        #: sosim's own part of the loop: from an API write to its webhook going out (a diagnostic)
        self.loop_delay = Durations()
        self.api_errors: dict[tuple[str, int], int] = {}
        self._started: dict[int, float] = {}  # session -> run second it arrived, until its first reply
        self.per_second: StepSeries[ReplySecond] = StepSeries(ReplySecond)

    def observe(self, observation: Observation, question_sent_s: float | None) -> float | None:
        """Count one observation; ``question_sent_s`` is when the answered question went out.

        Return the reply latency it recorded, if it recorded one."""
        kind, at = observation.kind, observation.at_s
        if kind == "started":
            self.sessions += 1
            self.open += 1
            self.peak_open = max(self.peak_open, self.open)
            self._started[observation.session_id] = at
        elif kind in ("reply", "unsolicited"):
            started = self._started.pop(observation.session_id, None)
            if started is not None:
                self.first_reply.record(max(0.0, at - started))
            if kind == "unsolicited":
                self.unsolicited += 1
                return None
            self.replies += 1
            if question_sent_s is not None:
                latency = max(0.0, at - question_sent_s)
                self.reply.record(latency)
                self.per_second.at(at).add_reply(latency)
                return latency
        elif kind == "unanswered":
            self.unanswered += 1
            self.per_second.at(at).unanswered += 1
        elif kind == "handoff":
            self.handoffs += 1
        elif kind == "ended":
            self.open -= 1
            self.endings[observation.ending or "unknown"] += 1
            self._started.pop(observation.session_id, None)
        elif kind == "late":
            self.late_writes += 1
        return None

    @property
    def api_error_count(self) -> int:
        """Writes the mock API refused (4xx)."""
        return sum(self.api_errors.values())

    def metric(self, name: str) -> float:
        """A ``--fail-if`` metric by name (seconds for times); NaN when it cannot be measured."""
        if name.startswith("first_reply_p"):
            return self.first_reply.percentile(float(name.removeprefix("first_reply_p")))
        if name == "reply_max":
            return self.reply.max_s
        if name.startswith("reply_p"):
            return self.reply.percentile(float(name.removeprefix("reply_p")))
        counts = {
            "replies": self.replies,
            "unanswered": self.unanswered,
            "handoffs": self.handoffs,
            "abandoned": self.endings.get("abandoned", 0),
            "api_errors": self.api_error_count,
        }
        return float(counts[name])

    def summary(self) -> dict[str, Any]:
        """The JSON report's ``conversation`` section (durations in ms)."""
        return {
            "sessions": self.sessions,
            "replies": self.replies,
            "unanswered": self.unanswered,
            "handoffs": self.handoffs,
            "unsolicited": self.unsolicited,
            "late_writes": self.late_writes,
            "ended": dict(sorted(self.endings.items())),
            "open": self.open,
            "peak_open": self.peak_open,
            "reply_latency_ms": self.reply.summary_ms(_PERCENTILES, mean=False),
            "first_reply_ms": self.first_reply.summary_ms(_PERCENTILES, mean=False),
            "loop_delay_ms": self.loop_delay.summary_ms(_PERCENTILES, mean=False),
            "api_errors": [
                {"endpoint": endpoint, "status": status, "count": count}
                for (endpoint, status), count in sorted(self.api_errors.items())
            ],
            "series": self.series(),
            "series_step_s": self.per_second.step,
        }

    def series(self) -> list[dict[str, Any]]:
        """One row per second (per ``per_second.step`` seconds in a long run): replies, unanswered
        messages, and the replies' p50/max in ms."""
        empty = ReplySecond()
        return [(point or empty).row(t) for t, point in self.per_second.merged()]

    def table(self) -> list[tuple[str, str]]:
        """Label and value rows for the console summary."""

        def ms(value: float) -> str:
            return "-" if math.isnan(value) else f"{value * 1000:.1f} ms"

        ended = ", ".join(f"{name} {n}" for name, n in sorted(self.endings.items())) or "-"
        rows = [
            ("sessions", f"{self.sessions} (at most {self.peak_open} open at once)"),
            ("replies", str(self.replies)),
            (
                "reply latency",
                f"p50 {ms(self.reply.percentile(50))}  p90 {ms(self.reply.percentile(90))}  "
                f"p99 {ms(self.reply.percentile(99))}  max {ms(self.reply.max_s)}",
            ),
            (
                "time to first reply",
                f"p50 {ms(self.first_reply.percentile(50))}  p99 {ms(self.first_reply.percentile(99))}",
            ),
            ("unanswered (timed out)", str(self.unanswered)),
            ("hand-offs", str(self.handoffs)),
            ("ended", ended),
        ]
        if self.api_errors:
            errors = ", ".join(
                f"{endpoint} {status} x{n}" for (endpoint, status), n in sorted(self.api_errors.items())
            )
            rows.append(("API errors caused", errors))
        return rows


class ReplySecond:
    """One point of the conversation series: its replies, their latencies in ``coarse_index``
    buckets (sparse), the slowest exactly, and the messages left unanswered."""

    __slots__ = ("buckets", "replies", "slowest_s", "unanswered")

    def __init__(self) -> None:
        self.replies = 0
        self.unanswered = 0
        self.slowest_s = 0.0
        self.buckets: Counter[int] = Counter()

    def add_reply(self, latency_s: float) -> None:
        self.replies += 1
        self.slowest_s = max(self.slowest_s, latency_s)
        self.buckets[coarse_index(to_us(latency_s))] += 1

    def add(self, other: ReplySecond) -> None:
        """Fold another point into this one."""
        self.replies += other.replies
        self.unanswered += other.unanswered
        self.slowest_s = max(self.slowest_s, other.slowest_s)
        self.buckets.update(other.buckets)

    def row(self, t: int) -> dict[str, Any]:
        top = ms(self.slowest_s) if self.replies else None
        return {
            "t": t,
            "replies": self.replies,
            "unanswered": self.unanswered,
            "p50_ms": self._median_ms(top),
            "max_ms": top,
        }

    def _median_ms(self, top: float | None) -> float | None:
        """The upper median (the reply at rank n//2 + 1), to its bucket's precision, at most the max."""
        if top is None:
            return None
        indexes = sorted(self.buckets)
        rank = self.replies // 2 + 1
        for index, cumulative in zip(indexes, accumulate(self.buckets[i] for i in indexes), strict=True):
            if cumulative >= rank:
                return min(coarse_upper_us(index) / 1000, top)
        return top
