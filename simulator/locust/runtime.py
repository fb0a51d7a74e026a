"""A Locust run as sosim sees it, without Locust: the master's plan, a process's players, the report.

- :class:`RunPlan` is decided by the master (or the single local process) when a run starts and
  travels to every worker inside Locust's forwarded options: the scenario's text (workers need no
  copy of the file), the start time ``t0``, the users and the shard layout with each worker's slot.
- :class:`Playing` is what one process needs to play its users' sessions: generator, webhook,
  rules, lanes and the recorder whose figures go to the master.
- :class:`Collecting` is the master's side: one :class:`ClusterStats` for the cluster, finished
  into the JSON, JUnit and HTML reports and an exit code, as ``sosim run`` does.

The secret never travels: each process reads it from its own environment (``--secret-env``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from simulator import __version__
from simulator.core.delivery_rules import ACTIVE, NETSERVER, TOO_MANY_ERRORS
from simulator.core.errors import ScenarioError, UsageError
from simulator.core.generate import Generator, make_generator
from simulator.core.outcome import Attempt, RunInfo, RunResult, StateChange
from simulator.core.scenario import Scenario, parse_scenario, webhook_for
from simulator.locust.cluster import ClusterStats, WorkerRecorder
from simulator.locust.options import SosimOptions, resolve_secret
from simulator.locust.play import Clock, Pacing, RatePacing, SessionPlayer, SpeedPacing, WebhookGate
from simulator.locust.shard import Lanes, ShardLayout
from simulator.report.thresholds import ThresholdResult

__all__ = [
    "LOCAL",
    "Collecting",
    "Outcome",
    "Playing",
    "RunPlan",
    "per_user_interval",
    "prepare_play",
    "read_scenario",
    "write_reports",
]

PLAN_VERSION: Final = 1
#: The client id of the single process of a run without workers.
LOCAL: Final = "local"


def read_scenario(path: str) -> tuple[str, Scenario]:
    """Read a scenario file; return its text (sent to workers) and the validated scenario."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError(file, None, "", "no such file (--scenario)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(file, None, "", f"cannot read the file ({exc})") from None
    return text, parse_scenario(text, source=str(file))


@dataclass(frozen=True, slots=True)
class RunPlan:
    """What every process of a run shares, fixed by the master when the run starts."""

    run_id: str
    t0: float  # the master's wall clock at the start, seconds since the epoch
    scenario_source: str
    scenario_text: str
    users: int
    layout: ShardLayout
    slots: Mapping[str, int]  # worker client id -> slot (0 .. workers-1)

    @classmethod
    def create(
        cls,
        scenario_source: str,
        scenario_text: str,
        scenario: Scenario,
        clients: Sequence[str],
        users: int,
        t0: float,
    ) -> RunPlan:
        """Plan a run for ``clients`` (in worker-index order) running ``users`` users in all."""
        slots = {client: slot for slot, client in enumerate(clients)}
        layout = ShardLayout.plan(len(slots), users, scenario.arrivals.sessions)
        return cls(f"{t0:.6f}", t0, scenario_source, scenario_text, users, layout, slots)

    def to_wire(self) -> dict[str, Any]:
        """Plain data for Locust's forwarded options (msgpack)."""
        return {
            "v": PLAN_VERSION,
            "run_id": self.run_id,
            "t0": self.t0,
            "scenario_source": self.scenario_source,
            "scenario_text": self.scenario_text,
            "users": self.users,
            "workers": self.layout.workers,
            "stride": self.layout.stride,
            "limit": self.layout.limit,
            "slots": dict(self.slots),
        }

    @classmethod
    def from_wire(cls, data: Any) -> RunPlan:
        """Read a plan the master sent; raise UsageError when it is missing or from another sosim."""
        if not isinstance(data, Mapping):
            raise UsageError(
                "no sosim run plan arrived from the master: is the master running the sosim locustfile?"
            )
        if data.get("v") != PLAN_VERSION:
            raise UsageError(
                f"the master's sosim plan is version {data.get('v')}, this worker reads {PLAN_VERSION}: "
                f"install the same sosim version everywhere (this worker has {__version__})"
            )
        layout = ShardLayout(int(data["workers"]), int(data["stride"]), data["limit"])
        return cls(
            str(data["run_id"]),
            float(data["t0"]),
            str(data["scenario_source"]),
            str(data["scenario_text"]),
            int(data["users"]),
            layout,
            {str(client): int(slot) for client, slot in data["slots"].items()},
        )


class _Sink:
    """Attempts to the recorder; a webhook state change also to the process (to tell the master)."""

    __slots__ = ("_on_state", "_recorder")

    def __init__(self, recorder: WorkerRecorder, on_state: Callable[[StateChange], None]) -> None:
        self._recorder = recorder
        self._on_state = on_state

    def handle_attempt(self, attempt: Attempt) -> None:
        self._recorder.handle_attempt(attempt)

    def handle_state(self, change: StateChange) -> None:
        self._recorder.handle_state(change)
        self._on_state(change)


@dataclass(slots=True)
class Playing:
    """One process's share of a run: what its users need to play sessions."""

    plan: RunPlan
    options: SosimOptions
    scenario: Scenario
    generator: Generator
    player: SessionPlayer
    lanes: Lanes | None  # None on a worker that joined after the run started: it has no slot
    recorder: WorkerRecorder
    clock: Clock
    slot: int | None
    final_sent: bool = False
    refused_users: int = 0

    @property
    def gate(self) -> WebhookGate:
        """The webhook's state in this process."""
        return self.player.gate

    def pacing(self) -> Pacing:
        """A new user's pacing: the scenario's delays over ``--speed``, or its share of ``--rate``."""
        rate = self.options.rate
        if rate is not None:
            return RatePacing(per_user_interval(self.plan.users, rate))
        return SpeedPacing(self.options.speed or 1.0)

    def session_start_s(self) -> float:
        """A session starting now, in scenario seconds (so its Timestamps read the wall clock)."""
        scale = 1.0 if self.options.rate is not None else self.options.speed or 1.0
        return self.clock.now() * scale


def prepare_play(
    plan: RunPlan,
    options: SosimOptions,
    client_id: str,
    clock: Clock,
    on_state: Callable[[StateChange], None],
    env: Mapping[str, str] | None = None,
) -> Playing:
    """Build a process's player from the master's plan; raise a SimulatorError when it cannot play."""
    secret = resolve_secret(options, env)
    scenario = parse_scenario(plan.scenario_text, source=plan.scenario_source, env=env)
    speed = options.speed or 1.0
    generator = make_generator(
        scenario,
        seed=options.seed,
        start=datetime.fromtimestamp(plan.t0, UTC),
        time_scale=1.0 / speed if options.rate is None else 1.0,
    )
    recorder = WorkerRecorder()
    player = SessionPlayer(
        webhook_for(scenario, secret),
        scenario.name,
        clock,
        _Sink(recorder, on_state),
        WebhookGate(NETSERVER),
    )
    slot = plan.slots.get(client_id)
    lanes = Lanes(plan.layout, slot) if slot is not None else None
    return Playing(plan, options, scenario, generator, player, lanes, recorder, clock, slot)


# --- the master's side ----------------------------------------------------------------


@dataclass(slots=True)
class Outcome:
    """How a run ended for sosim: the verdicts, the exit code and the files written."""

    stats: ClusterStats
    thresholds: list[ThresholdResult]
    result: RunResult
    exit_code: int
    written: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Collecting:
    """The master's view of a run: the merged statistics and which workers have reported."""

    plan: RunPlan
    options: SosimOptions
    stats: ClusterStats
    started: float  # on the master's monotonic clock
    finals: set[str] = field(default_factory=set)
    finishing: bool = False  # set once, by whoever ends the run first
    outcome: Outcome | None = None
    counted: dict[str, int] = field(default_factory=dict)  # worker -> attempts merged from its reports
    declared: dict[str, int] = field(default_factory=dict)  # worker -> attempts it says it made

    def merge(self, client_id: str, figures: dict[str, Any]) -> None:
        """Add a worker's figures to the cluster's, and count its attempts apart."""
        self.stats.merge(figures)
        self.counted[client_id] = self.counted.get(client_id, 0) + int(figures["attempts"])

    def final(self, client_id: str, attempts: int | None) -> None:
        """A worker's last report came: it made ``attempts`` in all (None: it played nothing)."""
        self.finals.add(client_id)
        if attempts is not None:
            self.declared[client_id] = attempts

    def unaccounted(self) -> dict[str, tuple[int, int]]:
        """Workers whose reports do not add up to what they made: worker -> (made, counted)."""
        return {
            client: (made, self.counted.get(client, 0))
            for client, made in sorted(self.declared.items())
            if made != self.counted.get(client, 0)
        }

    @classmethod
    def start(
        cls, plan: RunPlan, options: SosimOptions, scenario: Scenario, host: str, started: float
    ) -> Collecting:
        """Begin collecting a run: the stats know its settings from now on."""
        # Locust decides how long users run (the web UI, --run-time): sending nothing is its call.
        stats = ClusterStats(options.thresholds, empty_ok=True)
        signed = options.secret_env is not None or scenario.webhook.secret is not None
        extra = {
            "engine": "locust",
            "users": str(plan.users),
            "workers": str(plan.layout.workers),
            "shard_stride": str(plan.layout.stride),
        }
        if options.rate is not None:
            extra["target_rate"] = f"{options.rate:g}"
        stats.start(
            RunInfo(
                command="locust",
                scenarios=(plan.scenario_source,),
                seed=options.seed if options.seed is not None else scenario.seed,
                target=host,
                started_at=datetime.fromtimestamp(plan.t0, UTC).isoformat().replace("+00:00", "Z"),
                timing=options.timing,
                delivery=NETSERVER.name,
                concurrency=plan.users,
                sosim_version=__version__,
                signed=signed,
                extra=extra,
            )
        )
        return cls(plan, options, stats, started)

    @property
    def expected(self) -> set[str]:
        """The workers whose final report the master waits for."""
        return set(self.plan.slots) - {LOCAL}

    @property
    def missing(self) -> set[str]:
        """Workers that have not sent their final report yet."""
        return self.expected - self.finals

    def finish(self, elapsed_s: float, *, interrupted: bool) -> Outcome:
        """End the run: the result, the threshold verdicts and the exit code, as ``sosim run``."""
        from simulator.engine.run import exit_code

        stats = self.stats
        disabled = next((c for c in stats.state_changes if c.state == TOO_MANY_ERRORS), None)
        reason = (
            f"{TOO_MANY_ERRORS}: {disabled.reason}" if disabled else ("interrupted" if interrupted else "")
        )
        problems = [f"no final figures from {len(self.missing)} worker(s)"] if self.missing else []
        problems += [
            f"worker {client} made {made} attempts, its reports hold {counted}"
            for client, (made, counted) in self.unaccounted().items()
        ]
        reason = "; ".join(([reason] if reason else []) + problems)
        result = RunResult(
            elapsed_s=elapsed_s,
            interrupted=interrupted,
            webhook_state=TOO_MANY_ERRORS if disabled else ACTIVE,
            planned=0,
            reason=reason,
        )
        stats.finish(result)
        thresholds = stats.evaluate_thresholds()
        self.outcome = Outcome(stats, thresholds, result, exit_code(stats, thresholds, result, None))
        return self.outcome


def write_reports(outcome: Outcome, options: SosimOptions) -> list[str]:
    """Write the JSON, JUnit and HTML reports asked for; return the paths written."""
    from simulator.report.writers import write_reports

    written = write_reports(
        outcome.stats, outcome.thresholds, report=options.report, junit=options.junit, html=options.html
    )
    outcome.written = written
    return written


def per_user_interval(users: int, rate: float) -> float:
    """Seconds between one user's events when ``users`` users share ``rate`` events a second."""
    return max(1, users) / rate if rate > 0 else math.inf
