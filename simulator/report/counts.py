"""The counters ``RunStats`` keeps per event type and per injected fault, and their JSON form."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

from simulator.core.outcome import Fate

__all__ = ["EventCounts", "FaultCounts", "event_dict", "fault_dict"]


@dataclasses.dataclass(slots=True)
class EventCounts:
    """Events of one event type: how many were sent and what became of them (``fates``), their
    retries and requeues, and the answers their attempts got.

    ``sent``, ``delivered`` and ``failed`` count requests, one per delivery cycle (``sent`` =
    delivered + failed), as the JSON report always has; ``events`` counts events."""

    sent: int = 0
    delivered: int = 0
    failed: int = 0
    retries: int = 0
    status_codes: Counter[int] = dataclasses.field(default_factory=Counter)
    errors: Counter[str] = dataclasses.field(default_factory=Counter)
    events: int = 0
    requeues: int = 0
    fates: Counter[Fate] = dataclasses.field(default_factory=Counter)

    @property
    def lost(self) -> int:
        """Events sent and never delivered (so far, while the run goes on)."""
        return self.events - self.delivered


@dataclasses.dataclass(slots=True)
class FaultCounts:
    """Attempts sent with one injected fault, and what came back."""

    sent: int = 0
    status_codes: Counter[int] = dataclasses.field(default_factory=Counter)
    errors: Counter[str] = dataclasses.field(default_factory=Counter)


def event_dict(counts: EventCounts) -> dict[str, Any]:
    """The JSON report's counts of one event type (without the per-event delivery counts)."""
    return {
        "sent": counts.sent,
        "delivered": counts.delivered,
        "failed": counts.failed,
        "retries": counts.retries,
        "status_codes": {str(status): n for status, n in sorted(counts.status_codes.items())},
        "errors": dict(sorted(counts.errors.items())),
    }


def fault_dict(fault: FaultCounts) -> dict[str, Any]:
    """The JSON report's figures of one injected fault."""
    return {
        "sent": fault.sent,
        "status_codes": {str(status): n for status, n in sorted(fault.status_codes.items())},
        "errors": dict(sorted(fault.errors.items())),
    }
