"""sosim's run statistics across a Locust cluster: recorded on each worker, merged on the master.

A worker folds its attempts into a ``RunStats`` and, at each of Locust's reports to the master,
hands over what it measured since the last one (:meth:`WorkerRecorder.take`) as plain data that
msgpack carries: HDR histograms (service time, latency from the intended time, schedule lag) in
HdrHistogram's own compressed encoding, the per-second series, status and error counts per event
type, fault counts and webhook state changes. Its final report adds the sampled slow and failed
sessions. The master adds every report into one :class:`ClusterStats`, which is a ``RunStats``, so
the JSON, JUnit and HTML writers and ``--fail-if`` work on the cluster as on ``sosim run``.

Offsets are seconds since the master started the run (``t0``): each worker measures on its own
monotonic clock from its own start, shifted by its wall clock's view of ``t0``, so the series of
different machines line up as well as their clocks agree (NTP keeps that within milliseconds).

Pure: no Locust, no gevent, no I/O. The wire form and the merge live in
:mod:`simulator.report.merge`, which ``sosim run --processes N`` shares.
"""

from __future__ import annotations

from simulator.core.outcome import Attempt, StateChange
from simulator.report.merge import (
    WIRE_VERSION,
    ClusterStats,
    MergedSessions,
    Wire,
    encode_final,
    encode_stats,
)
from simulator.report.sessions import SessionSample
from simulator.report.stats import RunStats

__all__ = ["WIRE_VERSION", "ClusterStats", "MergedSessions", "WorkerRecorder", "encode_stats"]


class WorkerRecorder:
    """A worker's measurements since its last report, and the whole run's session sample."""

    def __init__(self) -> None:
        self._sessions = SessionSample()
        self._interval = self._fresh()
        self.attempts = 0  # over the whole run, for the worker's own log line

    def _fresh(self) -> RunStats:
        stats = RunStats()
        # Figures travel per interval; the sample of slow and failed sessions spans the run.
        stats.sessions = self._sessions
        return stats

    def handle_attempt(self, attempt: Attempt) -> None:
        """Fold one attempt into the current interval."""
        self.attempts += 1
        self._interval.handle_attempt(attempt)

    def handle_state(self, change: StateChange) -> None:
        """Remember a webhook state change for the next report."""
        self._interval.handle_state(change)

    def take(self, *, final: bool = False) -> Wire | None:
        """The figures since the last take, ready for msgpack; None when there is nothing new.

        The ``final`` take always returns data, and carries the session sample.
        """
        stats = self._interval
        if not final and not stats.attempts and not stats.state_changes:
            return None
        self._interval = self._fresh()
        return encode_final(stats) if final else encode_stats(stats)
