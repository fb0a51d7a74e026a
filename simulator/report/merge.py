"""Run statistics as plain data, and their exact merge: one report from many workers.

A worker folds its attempts into a ``RunStats`` and hands over its figures (:func:`encode_stats`,
:func:`encode_final` for the last report, with the sampled slow and failed sessions) as plain data
that msgpack or pickle carries: HDR histograms (service time, latency from the intended time,
schedule lag) in HdrHistogram's own compressed encoding, the per-second series, status and error
counts per event type, fault counts and webhook state changes. :class:`ClusterStats` adds every
report into one ``RunStats``, so the JSON, JUnit and HTML writers and ``--fail-if`` judge the
merged run as they judge one process. Locust's workers (``simulator.locust.cluster``) and
``sosim run --processes N`` (``simulator.engine.processes``) both report this way.

Offsets are seconds since the run started: each worker measures from its own start, and the
workers start together, so their series line up.

Pure: no I/O. The merge reaches into ``RunStats``' histograms because
``simulator.report.stats`` has no merge of its own yet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import astuple
from typing import Any, Final

from simulator.core.outcome import Attempt, StateChange
from simulator.report.sessions import FAILED, SLOWEST, AttemptDetail, SessionSample, SessionTrace
from simulator.report.stats import EventCounts, FaultCounts, RunStats
from simulator.report.thresholds import Threshold

__all__ = [
    "WIRE_VERSION",
    "ClusterStats",
    "MergedSessions",
    "Wire",
    "decode_trace",
    "encode_final",
    "encode_stats",
    "encode_trace",
]

#: Bumped whenever the wire format changes; the master refuses reports of another version.
WIRE_VERSION: Final = 3  # 2: the run-wide status_codes are the events' sum; 3: per-event fates

Wire = dict[str, Any]


# --- encoding -------------------------------------------------------------------------


def encode_stats(stats: RunStats) -> Wire:
    """A ``RunStats``' figures as plain data (no session sample, no settings)."""
    return {
        "v": WIRE_VERSION,
        "attempts": stats.attempts,
        "requests": stats.requests,
        "delivered": stats.delivered,
        "failed": stats.failed,
        "retries": stats.retries,
        "sent": stats.sent,
        "requeues": stats.requeues,
        "fates": dict(stats.fates),
        "service": stats.service.to_wire(),
        "latency": stats.latency.to_wire(),
        "lag": stats.lag.to_wire(),
        "events": {
            name: [
                c.sent,
                c.delivered,
                c.failed,
                c.retries,
                _counter(c.status_codes),
                dict(c.errors),
                c.events,
                c.requeues,
                dict(c.fates),
            ]
            for name, c in stats.events.items()
        },
        "errors": dict(stats.errors),
        "faults": {
            name: [f.sent, _counter(f.status_codes), dict(f.errors)] for name, f in stats.faults.items()
        },
        "state_changes": [[c.at_s, c.webhook, c.state, c.reason] for c in stats.state_changes],
        "first_sent_s": stats.first_sent_s,
        "last_sent_s": stats.last_sent_s,
        "seconds": [
            [
                t,
                s.sent,
                s.delivered,
                s.failed,
                s.retries,
                s.status_4xx,
                s.status_5xx,
                s.errors,
                s.service.to_sparse(),
                s.lag.to_sparse(),
            ]
            for t, s in stats.seconds()
        ],
    }


def encode_final(stats: RunStats) -> Wire:
    """A worker's last report: its figures and its sample of slow and failed sessions."""
    data = encode_stats(stats)
    data["sessions"] = [encode_trace(trace) for trace in stats.sessions.sessions()]
    return data


def _counter(counts: Mapping[int, int]) -> dict[str, int]:
    return {str(status): n for status, n in counts.items()}


def encode_trace(trace: SessionTrace) -> list[Any]:
    return [
        trace.scenario,
        trace.session_id,
        trace.omitted,
        trace.worst_latency_s,
        trace.undelivered,
        trace.failed_requests,
        trace.slow,
        trace.failed,
        [list(astuple(detail)) for detail in trace.attempts],
    ]


# --- merging --------------------------------------------------------------------------


class MergedSessions(SessionSample):
    """The session samples of every worker, as one: failed sessions first, then the slowest."""

    def __init__(self, slowest: int = SLOWEST, failed: int = FAILED) -> None:
        super().__init__(slowest, failed)
        self._merged: list[SessionTrace] = []

    def add(self, traces: Sequence[SessionTrace]) -> None:
        """Take a worker's sampled sessions."""
        self._merged.extend(traces)

    def handle_attempt(self, attempt: Attempt) -> None:
        """Not used: a merged sample is built from the workers' samples."""

    def sessions(self) -> list[SessionTrace]:
        """Failed sessions in the order they arrived, then the other slow ones, slowest first."""
        failed = [t for t in self._merged if t.failed][: self.failed_limit]
        slow = sorted((t for t in self._merged if t.slow and not t.failed), key=lambda t: -t.worst_latency_s)
        return failed + slow[: self.slowest_limit]


class ClusterStats(RunStats):
    """A ``RunStats`` built from the reports of every worker (one report writer for the cluster):
    Locust's workers, or the processes of ``sosim run --processes N``."""

    def __init__(self, thresholds: Sequence[Threshold] = (), *, empty_ok: bool = False) -> None:
        super().__init__(thresholds, empty_ok=empty_ok)
        self.merged_sessions = MergedSessions()
        self.sessions = self.merged_sessions
        self.reports = 0

    def merge(self, data: Wire) -> None:
        """Add one worker report (:func:`encode_stats` or :func:`encode_final`)."""
        version = data.get("v")
        if version != WIRE_VERSION:
            raise ValueError(
                f"a worker sent sosim figures of version {version}, the master reads {WIRE_VERSION}"
            )
        self.reports += 1
        self.attempts += data["attempts"]
        self.requests += data["requests"]
        self.delivered += data["delivered"]
        self.failed += data["failed"]
        self.retries += data["retries"]
        self.sent += data["sent"]
        self.requeues += data["requeues"]
        self.fates.update(data["fates"])
        self.service.add_wire(data["service"])
        self.latency.add_wire(data["latency"])
        self.lag.add_wire(data["lag"])
        for name, row in data["events"].items():
            sent, delivered, failed, retries, statuses, errors, events, requeues, fates = row
            counts = self.events.get(name)
            if counts is None:
                counts = self.events[name] = EventCounts()
            counts.sent += sent
            counts.delivered += delivered
            counts.failed += failed
            counts.retries += retries
            counts.status_codes.update(_statuses(statuses))
            counts.errors.update(errors)
            counts.events += events
            counts.requeues += requeues
            counts.fates.update(fates)
        self.errors.update(data["errors"])
        for name, (sent, statuses, errors) in data["faults"].items():
            fault = self.faults.get(name)
            if fault is None:
                fault = self.faults[name] = FaultCounts()
            fault.sent += sent
            fault.status_codes.update(_statuses(statuses))
            fault.errors.update(errors)
        self._merge_times(data)
        if data["state_changes"]:
            self.state_changes.extend(StateChange(*change) for change in data["state_changes"])
            self.state_changes.sort(key=lambda change: change.at_s)
        if "sessions" in data:
            self.merged_sessions.add([decode_trace(row) for row in data["sessions"]])

    def _merge_times(self, data: Wire) -> None:
        first, last = data["first_sent_s"], data["last_sent_s"]
        if first is not None and (self.first_sent_s is None or first < self.first_sent_s):
            self.first_sent_s = first
        if last is not None and (self.last_sent_s is None or last > self.last_sent_s):
            self.last_sent_s = last
        for t, sent, delivered, failed, retries, s4xx, s5xx, errors, service, lag in data["seconds"]:
            second = self.second_at(float(t))
            second.sent += sent
            second.delivered += delivered
            second.failed += failed
            second.retries += retries
            second.status_4xx += s4xx
            second.status_5xx += s5xx
            second.errors += errors
            second.service.add_sparse(service)
            second.lag.add_sparse(lag)


def _statuses(counts: Mapping[str, int]) -> dict[int, int]:
    return {int(status): n for status, n in counts.items()}


def decode_trace(row: Sequence[Any]) -> SessionTrace:
    scenario, session_id, omitted, worst, undelivered, failed_requests, slow, failed, attempts = row
    return SessionTrace(
        scenario=scenario,
        session_id=session_id,
        attempts=[AttemptDetail(*detail) for detail in attempts],
        omitted=omitted,
        worst_latency_s=worst if worst is not None else -math.inf,
        undelivered=undelivered,
        failed_requests=failed_requests,
        slow=slow,
        failed=failed,
    )
