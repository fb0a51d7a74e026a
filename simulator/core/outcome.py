"""What a run produces: typed records of attempts and webhook state changes, and the handler
interface every output (progress, recording, report) implements.

Like Schemathesis' event handlers: the runner calls ``start`` once, ``handle_attempt`` and
``handle_state`` as things happen, and ``finish`` in a ``finally``, so an interrupted run still
closes every recording and report.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, Protocol

from simulator.core.events import Request

#: Why an attempt got no answer; "abandoned": it was in flight when the run was cancelled.
ErrorKind = Literal["timeout", "connect", "protocol", "refused-by-state", "abandoned"]

#: What became of an event (a planned request, all its attempts and cycles): delivered on its first
#: attempt, after retries within its first cycle, in a later cycle (requeued with a new EventId), or
#: never (lost). docs/reference/counters.md defines each.
Fate = Literal["first_attempt", "after_retries", "later_cycle", "lost"]


class Response(NamedTuple):
    """What the target answered (body cut to a few KB; only status matters to NetServer).

    ``headers`` are what the transport keeps: the lean engine keeps none, since delivery never
    reads them. A NamedTuple, like Attempt: one is built for every request.
    """

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


class Attempt(NamedTuple):
    """One HTTP attempt to deliver one request, and what came of it.

    A NamedTuple rather than a frozen dataclass: one is built for every attempt, and a frozen
    dataclass's ``__init__`` (a ``setattr`` per field) costs five times as much.

    Offsets are seconds from the start of the run on the run's clock. ``intended_s`` is when
    the attempt was due; ``sent_s`` when it actually went out. Latency from the intended
    time (``done_s - intended_s``) includes queueing, so coordinated omission cannot hide a
    slow receiver; ``service_s`` is from the actual send.
    """

    request: Request
    scenario: str
    cycle: int  # 1-based delivery cycle; a new cycle carries a new EventId
    attempt: int  # 1-based attempt within the cycle
    intended_s: float
    sent_s: float
    done_s: float
    status: int | None
    error: ErrorKind | None = None
    error_detail: str = ""
    delivered: bool = False
    final: bool = True  # no further attempt follows for this request in this cycle
    fault: str | None = None
    response_body: bytes = b""
    probe: bool = False  # an injected fault probe: judged by its expectation, not counted as traffic
    requeued: bool = False  # a failed final attempt whose event goes on in a new cycle (new EventId)

    @property
    def service_s(self) -> float:
        """Response time measured from the actual send."""
        return self.done_s - self.sent_s

    @property
    def latency_s(self) -> float:
        """Response time measured from the intended send time (includes queueing)."""
        return self.done_s - self.intended_s

    @property
    def lag_s(self) -> float:
        """Schedule lag: how late the attempt went out."""
        return self.sent_s - self.intended_s


def fate_of(attempt: Attempt) -> Fate | None:
    """The fate of the attempt's event when this attempt settles it; None when a retry or a later
    cycle follows, or for an injected probe (not an event of the run).

    The one place that tells first-attempt, retried, later-cycle and lost deliveries apart: the
    report, the live progress and the session sample all ask it.
    """
    if attempt.probe or not attempt.final:
        return None
    if attempt.delivered:
        if attempt.cycle > 1:
            return "later_cycle"
        return "first_attempt" if attempt.attempt == 1 else "after_retries"
    return None if attempt.requeued else "lost"


def starts_event(attempt: Attempt) -> bool:
    """Whether this is the first attempt of its event (of its first cycle): what ``sent`` counts."""
    return attempt.attempt == 1 and attempt.cycle == 1 and not attempt.probe


@dataclass(frozen=True, slots=True)
class StateChange:
    """The webhook changed state (for example Active -> TooManyErrors)."""

    at_s: float
    webhook: str
    state: str
    reason: str


@dataclass(frozen=True, slots=True)
class RunInfo:
    """The settings of a run, as reports show them (never the secret)."""

    command: str
    scenarios: tuple[str, ...]
    seed: int | None
    target: str
    started_at: str  # ISO-8601 UTC wall-clock time
    timing: str  # "scenario", "speed 60x", "rate 500/s", "max-rate"
    delivery: str
    concurrency: int
    sosim_version: str
    signed: bool
    extra: dict[str, str] = field(default_factory=dict)
    run_id: str | None = None  # mixed into the EventIds; None: the seeded ids (--deterministic-ids)


@dataclass(frozen=True, slots=True)
class RunResult:
    """How a run ended."""

    elapsed_s: float
    interrupted: bool
    webhook_state: str
    planned: int  # requests the run meant to send (0 when unknown)
    reason: str = ""
    unsent: int = 0  # requests never sent (or retries dropped) because the run or webhook stopped


class Handler(Protocol):
    """An output of a run: progress display, recording, report."""

    def start(self, info: RunInfo) -> None:
        """Called once before the first attempt."""

    def handle_attempt(self, attempt: Attempt) -> None:
        """Called after every attempt, in completion order."""

    def handle_state(self, change: StateChange) -> None:
        """Called when the webhook changes state."""

    def finish(self, result: RunResult) -> None:
        """Called once at the end, also after Ctrl-C or a crash."""


#: What a transport reports when an exchange ends: the response, or why there is none.
Outcome = Response | BaseException


def call_finish(
    handlers: Sequence[Handler], result: RunResult, on_error: Callable[[Exception], None]
) -> None:
    """Finish every handler, even when one of them fails, so each output is closed."""
    for handler in handlers:
        try:
            handler.finish(result)
        except Exception as exc:  # one broken output must not keep the others open
            on_error(exc)
