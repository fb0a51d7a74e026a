"""sosim on Locust, without Locust: options, sharding, NetServer's rules within a session, merged figures.

Everything here runs on a fake clock with a scripted ``send``; nothing imports Locust or gevent
(``test_importing_simulator_loads_neither_locust_nor_gevent`` checks that in a fresh interpreter).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.core.delivery_rules import TOO_MANY_ERRORS, cycle_event_id
from simulator.core.errors import UsageError
from simulator.core.events import Request
from simulator.core.generate import SessionPlan, make_generator
from simulator.core.outcome import Attempt, StateChange
from simulator.core.scenario import Scenario, parse_scenario, webhook_for
from simulator.core.signing import verify
from simulator.locust import LOCUSTFILE, locustfile_path
from simulator.locust.cluster import WIRE_VERSION, ClusterStats, WorkerRecorder
from simulator.locust.options import OPTION_NAMES, add_arguments, parse_options, resolve_secret
from simulator.locust.play import Answer, Headers, RatePacing, SessionPlayer, SpeedPacing, WebhookGate
from simulator.locust.runtime import Collecting, RunPlan, prepare_play
from simulator.locust.shard import Lanes, ShardLayout
from simulator.report.stats import RunStats
from simulator.superoffice import facts as so

SECRET = "unit-locust-secret"
SCENARIO_YAML = """\
name: unit-locust
seed: 5
locales: {en_GB: 0.5, nb_NO: 0.5}
webhook: {name: Unit hook, secret: scenario-secret}
population: {first_session_id: 900000, first_message_id: 7000001, identity_pool: 16}
arrivals: {sessions: 40, process: uniform, rate: 1/s}
flow:
  chatbot: {probability: 0.3}
  conversation: {turns: 2}
"""


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    """A small scenario with a session limit."""
    return parse_scenario(SCENARIO_YAML, source="unit-locust.yaml")


@pytest.fixture(scope="module")
def plan(scenario: Scenario) -> SessionPlan:
    """Session 3 of the scenario, starting at 0 s."""
    return make_generator(scenario).session(3, 0.0)


class FakeClock:
    """Run time that jumps to each deadline instead of sleeping."""

    def __init__(self) -> None:
        self.time = 0.0

    def now(self) -> float:
        """The current run time."""
        return self.time

    def sleep_until(self, deadline: float) -> None:
        """Jump forward to ``deadline``."""
        self.time = max(self.time, deadline)


@dataclass
class Sent:
    """One attempt as the fake receiver got it."""

    at: float
    request: Request
    headers: Headers

    def header(self, name: str) -> str | None:
        """A header's value by exact name."""
        return dict(self.headers).get(name)


@dataclass
class ScriptedSend:
    """Answers attempts from a script of statuses (200 once the script runs out), 10 ms each."""

    clock: FakeClock
    statuses: list[int] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)

    def __call__(self, request: Request, headers: Headers) -> Answer:
        self.sent.append(Sent(self.clock.now(), request, headers))
        self.clock.time += 0.010
        return Answer(self.statuses.pop(0) if self.statuses else 200)


@dataclass
class Collected:
    """Attempts and state changes, as a recorder gets them."""

    attempts: list[Attempt] = field(default_factory=list)
    changes: list[StateChange] = field(default_factory=list)

    def handle_attempt(self, attempt: Attempt) -> None:
        self.attempts.append(attempt)

    def handle_state(self, change: StateChange) -> None:
        self.changes.append(change)


def player_for(scenario: Scenario, clock: FakeClock, recorder: Any) -> SessionPlayer:
    """A player signing with SECRET."""
    return SessionPlayer(webhook_for(scenario, SECRET), scenario.name, clock, recorder, WebhookGate())


# --- the package ------------------------------------------------------------------------


def test_importing_simulator_loads_neither_locust_nor_gevent() -> None:
    """``import simulator`` and the pure Locust modules leave Locust and gevent unimported (no patching)."""
    code = (
        "import sys, simulator, simulator.locust, simulator.locust.options, simulator.locust.shard, "
        "simulator.locust.play, simulator.locust.cluster, simulator.locust.runtime\n"
        "print([m for m in ('locust', 'gevent', 'greenlet') if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_the_shipped_locustfile_is_where_sosim_locustfile_points() -> None:
    """``locustfile_path()`` names the packaged locustfile, which installs the plugin and its user."""
    path = locustfile_path()
    assert path == LOCUSTFILE and path.is_absolute() and path.name == "locustfile.py"
    text = path.read_text(encoding="utf-8")
    assert "install(events)" in text and "SosimUser" in text


# --- options ----------------------------------------------------------------------------


def test_options_from_the_command_line_are_checked_and_converted(tmp_path: Path) -> None:
    """Command-line values become typed options; repeated --fail-if become thresholds."""
    options = parse_options(
        {
            "scenario": "s.yaml",
            "secret_env": "HOOK_SECRET",
            "seed": "42",
            "rate": "300/s",
            "fail_if": ["p99 > 250ms", "error_rate > 1%"],
            "sosim_report": str(tmp_path / "r.json"),
        }
    )
    assert options.seed == 42 and options.rate == 300.0 and options.speed is None
    assert [t.metric for t in options.thresholds] == ["p99", "error_rate"]
    assert options.timing == "rate 300/s"
    assert options.outputs == (("--sosim-report", str(tmp_path / "r.json")),)


def test_options_from_the_web_ui_arrive_as_text() -> None:
    """The web UI hands back text: blanks are unset, --fail-if is comma-separated."""
    options = parse_options(
        {"scenario": " s.yaml ", "seed": "", "speed": "60", "fail_if": "p99 > 1s, rate < 10/s"}
    )
    assert options.scenario == "s.yaml" and options.seed is None and options.speed == 60.0
    assert [t.text for t in options.thresholds] == ["p99 > 1s", "rate < 10/s"]
    assert options.timing == "speed 60x"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "--scenario is required"),
        ({"scenario": "s.yaml", "speed": "2", "rate": "5/s"}, "choose one of --speed and --rate"),
        ({"scenario": "s.yaml", "speed": "0"}, "--speed '0': must be above 0"),
        ({"scenario": "s.yaml", "speed": "fast"}, "--speed 'fast': expected a number"),
        ({"scenario": "s.yaml", "seed": "x"}, "--seed 'x': expected a whole number"),
        ({"scenario": "s.yaml", "rate": "lots"}, "--rate 'lots'"),
        ({"scenario": "s.yaml", "fail_if": ["p99 >> 1"]}, "--fail-if 'p99 >> 1': unknown operator"),
        ({"scenario": "s.yaml", "sosim_junit": "/no/such/dir/j.xml"}, "--sosim-junit /no/such/dir/j.xml"),
    ],
)
def test_a_broken_option_is_one_clear_message(values: dict[str, Any], message: str) -> None:
    """Every mistake raises a UsageError that names the option, never a traceback-worthy error."""
    with pytest.raises(UsageError) as info:
        parse_options(values)
    assert message in str(info.value)


def test_a_missing_secret_variable_is_named() -> None:
    """--secret-env names a variable this process must have; its absence says which one."""
    options = parse_options({"scenario": "s.yaml", "secret_env": "HOOK_SECRET"})
    assert resolve_secret(options, {"HOOK_SECRET": "abc"}) == "abc"
    with pytest.raises(UsageError, match="--secret-env HOOK_SECRET: the environment variable is not set"):
        resolve_secret(options, {})
    assert resolve_secret(parse_options({"scenario": "s.yaml"}), {}) is None


def test_every_option_is_a_locust_custom_argument_for_help_and_web_ui() -> None:
    """Each sosim option is declared on Locust's parser, shown in the web UI, with no default."""
    declared: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    class Parser:
        def add_argument(self, *args: Any, **kwargs: Any) -> None:
            declared.append((args, kwargs))

    add_arguments(Parser())
    flags = [args[0] for args, _ in declared]
    assert flags == [
        "--scenario",
        "--secret-env",
        "--seed",
        "--speed",
        "--rate",
        "--fail-if",
        "--sosim-report",
        "--sosim-junit",
        "--sosim-html",
    ]
    assert [flag.removeprefix("--").replace("-", "_") for flag in flags] == list(OPTION_NAMES)
    assert all(kw["include_in_web_ui"] and kw["default"] is None and kw["help"] for _, kw in declared)
    assert dict(zip(flags, (kw["action"] for _, kw in declared), strict=True))["--fail-if"] == "append"


# --- sharding ---------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(workers=st.integers(1, 6), users=st.integers(1, 40), turns=st.integers(1, 4))
def test_no_two_users_anywhere_share_a_session_index(workers: int, users: int, turns: int) -> None:
    """Every (worker slot, user, turn) gets its own index; indexes are dense and name their origin."""
    layout = ShardLayout.plan(workers, users)
    seen: dict[int, tuple[int, int, int]] = {}
    for slot in range(workers):
        for ordinal in range(layout.users_per_worker):
            lane = layout.lane(slot, ordinal)
            assert lane is not None
            for turn in range(turns):
                index = layout.index(lane, turn)
                assert index not in seen
                seen[index] = (slot, ordinal, turn)
                assert tuple(layout.locate(index)) == (slot, ordinal, turn)
    assert sorted(seen) == list(range(layout.stride * turns))
    assert layout.lane(workers, 0) is None and layout.lane(0, layout.users_per_worker) is None


def test_a_user_taking_over_a_lane_continues_it() -> None:
    """Lanes go lowest first; a released lane's next user plays its next session, not its first again."""
    layout = ShardLayout.plan(workers=2, users=4)  # stride 4: slot 1 plays lanes 1 and 3
    lanes = Lanes(layout, slot=1)
    first, second = lanes.acquire(), lanes.acquire()
    assert (first, second) == (1, 3)
    assert lanes.acquire() is None  # a third user on this worker would repeat someone's sessions
    assert [lanes.next_index(1), lanes.next_index(1)] == [1, 5]
    lanes.release(1)
    assert lanes.acquire() == 1
    assert lanes.next_index(1) == 9


def test_lanes_stop_at_the_scenarios_session_count() -> None:
    """A scenario with ``sessions: N`` is played at most N sessions across the cluster."""
    lanes = Lanes(ShardLayout.plan(workers=1, users=3, limit=7), slot=0)
    played = []
    for lane in (lanes.acquire(), lanes.acquire(), lanes.acquire()):
        assert lane is not None
        while (index := lanes.next_index(lane)) is not None:
            played.append(index)
    assert sorted(played) == list(range(7))


# --- pacing -----------------------------------------------------------------------------


def test_speed_pacing_scales_the_scenarios_delays_from_the_session_start() -> None:
    """--speed 60 puts an event 120 scenario seconds in 2 s after its session started."""
    pacing = SpeedPacing(60.0)
    pacing.begin_session(10.0)
    assert [pacing.intended(0.0), pacing.intended(120.0)] == [10.0, 12.0]


def test_rate_pacing_keeps_its_schedule_when_the_user_falls_behind() -> None:
    """A user's slots come every users/rate seconds, across sessions; being late never moves them."""
    pacing = RatePacing(0.5)
    pacing.begin_session(3.0)
    assert [pacing.intended(99.0) for _ in range(3)] == [3.0, 3.5, 4.0]
    pacing.begin_session(60.0)  # the receiver held this user up for a minute
    assert pacing.intended(0.0) == 4.5


# --- NetServer's rules within a session -------------------------------------------------


def test_a_session_goes_out_complete_in_order_signed_and_paced(scenario: Scenario, plan: SessionPlan) -> None:
    """Every event of a session is sent once, in order, signed, at its scaled scenario time."""
    clock, recorder = FakeClock(), Collected()
    send = ScriptedSend(clock)
    assert player_for(scenario, clock, recorder).play(plan, SpeedPacing(100.0), send)
    assert [s.request.event_id for s in send.sent] == [t.event.event_id for t in plan.events]
    assert all(verify(s.request.body, SECRET, s.header(so.HEADER_SIGNATURE)) for s in send.sent)
    assert all(s.header(so.HEADER_RETRY) is None for s in send.sent)
    for sent, attempt, timed in zip(send.sent, recorder.attempts, plan.events, strict=True):
        assert attempt.intended_s == pytest.approx((timed.due_s - plan.start_s) / 100.0)
        assert sent.at >= attempt.intended_s and attempt.delivered and attempt.final


def test_a_failed_attempt_is_retried_with_the_same_event_id(scenario: Scenario, plan: SessionPlan) -> None:
    """A 500 is retried after 1 s with the same EventId and X-SuperOffice-Retry: 1."""
    clock, recorder = FakeClock(), Collected()
    send = ScriptedSend(clock, [500])
    player_for(scenario, clock, recorder).play(plan, SpeedPacing(1e6), send)
    first, retry = send.sent[0], send.sent[1]
    assert retry.request.event_id == first.request.event_id == plan.events[0].event.event_id
    assert retry.request.body == first.request.body
    assert retry.header(so.HEADER_RETRY) == "1"
    assert retry.at == pytest.approx(first.at + 0.010 + so.RETRY_DELAYS_S[0])
    assert [(a.attempt, a.delivered, a.final) for a in recorder.attempts[:2]] == [
        (1, False, False),
        (2, True, True),
    ]


def test_a_failed_cycle_goes_to_the_back_with_a_new_event_id(scenario: Scenario, plan: SessionPlan) -> None:
    """Three failed attempts requeue the event behind its session's other events, with a new EventId."""
    clock, recorder = FakeClock(), Collected()
    send = ScriptedSend(clock, [500, 500, 500])
    player_for(scenario, clock, recorder).play(plan, SpeedPacing(1e6), send)
    original = plan.events[0].event.event_id
    assert [s.request.event_id for s in send.sent[:3]] == [original] * 3
    assert [s.header(so.HEADER_RETRY) for s in send.sent[:3]] == [None, "1", "2"]
    last = send.sent[-1]
    assert last.request.event_id == cycle_event_id(original, 2) != original
    assert json.loads(last.request.body)["EventId"] == last.request.event_id
    assert verify(last.request.body, SECRET, last.header(so.HEADER_SIGNATURE))
    assert len(send.sent) == len(plan.events) + 3 and recorder.attempts[-1].cycle == 2


def test_only_200_counts_as_delivered(scenario: Scenario, plan: SessionPlan) -> None:
    """A 204 is a failed attempt under NetServer's rules, so it is retried."""
    clock, recorder = FakeClock(), Collected()
    player_for(scenario, clock, recorder).play(plan, SpeedPacing(1e6), ScriptedSend(clock, [204]))
    assert [(a.status, a.delivered) for a in recorder.attempts[:2]] == [(204, False), (200, True)]


def test_nine_consecutive_failures_turn_the_webhook_too_many_errors(
    scenario: Scenario, plan: SessionPlan
) -> None:
    """After nine failed attempts in a row nothing more is sent and the state change is recorded."""
    clock, recorder = FakeClock(), Collected()
    send = ScriptedSend(clock, [500] * 100)
    player = player_for(scenario, clock, recorder)
    assert not player.play(plan, SpeedPacing(1e6), send)
    assert len(send.sent) == so.DISABLE_AFTER_FAILURES
    assert player.gate.state == TOO_MANY_ERRORS and not recorder.attempts[-1].delivered
    assert [c.state for c in recorder.changes] == [TOO_MANY_ERRORS]
    assert not player.play(plan, SpeedPacing(1e6), send) and len(send.sent) == so.DISABLE_AFTER_FAILURES


def test_gone_turns_the_webhook_too_many_errors_at_once(scenario: Scenario, plan: SessionPlan) -> None:
    """A 410 Gone disables the webhook after one attempt."""
    clock, recorder = FakeClock(), Collected()
    send = ScriptedSend(clock, [so.GONE_STATUS])
    assert not player_for(scenario, clock, recorder).play(plan, SpeedPacing(1e6), send)
    assert len(send.sent) == 1 and "410" in recorder.changes[0].reason


# --- figures across the cluster ---------------------------------------------------------


def attempts_for(scenario: Scenario, count: int) -> Iterator[Attempt]:
    """Varied attempts over several seconds: answers, errors, retries and failures."""
    webhook = webhook_for(scenario, SECRET)
    generator = make_generator(scenario)
    from simulator.core.events import render

    events = [t.event for index in range(4) for t in generator.session(index, 0.0).events]
    for n in range(count):
        request = render(events[n % len(events)], webhook)
        sent = n * 0.013
        status: int | None = [200, 200, 200, 500, 204, None][n % 6]
        yield Attempt(
            request=request,
            scenario=scenario.name,
            cycle=1,
            attempt=1 + n % 3,
            intended_s=sent - (n % 7) * 0.002,
            sent_s=sent,
            done_s=sent + 0.001 + (n % 11) * 0.003,
            status=status,
            error="timeout" if status is None else None,
            error_detail="timed out" if status is None else "",
            delivered=status == 200,
            final=n % 3 != 1,
        )


def comparable(summary: dict[str, Any]) -> dict[str, Any]:
    """A report summary without the parts that differ by construction (settings, the sample)."""
    return {key: value for key, value in summary.items() if key not in ("run", "result", "sosim_version")}


def test_merged_worker_figures_equal_one_runs_figures(scenario: Scenario) -> None:
    """Two workers' reports, sent in pieces over msgpack, merge into exactly one RunStats' figures."""
    msgpack = pytest.importorskip("msgpack")
    attempts = list(attempts_for(scenario, 600))
    whole = RunStats()
    for attempt in attempts:
        whole.handle_attempt(attempt)
    whole.handle_state(StateChange(5.0, "Unit hook", TOO_MANY_ERRORS, "9 consecutive failed attempts"))

    workers = [WorkerRecorder(), WorkerRecorder()]
    cluster = ClusterStats()
    for n, attempt in enumerate(attempts):
        workers[n % 2].handle_attempt(attempt)
        if n % 97 == 0:
            report = workers[n % 2].take()
            assert report is not None
            cluster.merge(msgpack.loads(msgpack.dumps(report), strict_map_key=False))
    workers[1].handle_state(StateChange(5.0, "Unit hook", TOO_MANY_ERRORS, "9 consecutive failed attempts"))
    for worker in workers:
        final = worker.take(final=True)
        assert final is not None
        cluster.merge(msgpack.loads(msgpack.dumps(final), strict_map_key=False))
        assert worker.take() is None  # nothing is sent twice

    assert comparable(cluster.summary()) == comparable(whole.summary())
    assert cluster.metric("p99") == whole.metric("p99") and cluster.metric("lag_max") == whole.metric(
        "lag_max"
    )
    failed_sessions = {trace.session_id for trace in cluster.sessions.sessions() if trace.failed}
    assert failed_sessions == {trace.session_id for trace in whole.sessions.sessions() if trace.failed}


def test_the_master_refuses_figures_of_another_version() -> None:
    """A worker running another sosim version is reported, not silently mixed in."""
    report = WorkerRecorder().take(final=True)
    assert report is not None
    report["v"] = WIRE_VERSION + 1
    with pytest.raises(ValueError, match="version"):
        ClusterStats().merge(report)


# --- the run plan -----------------------------------------------------------------------


def run_plan(scenario: Scenario, clients: Sequence[str] = ("w-a", "w-b"), users: int = 4) -> RunPlan:
    """A plan for ``clients`` started at a fixed time."""
    return RunPlan.create("unit-locust.yaml", SCENARIO_YAML, scenario, clients, users, t0=1_767_607_200.0)


def test_the_run_plan_travels_as_plain_data(scenario: Scenario) -> None:
    """The plan survives the trip through Locust's forwarded options; a missing plan is explained."""
    plan = run_plan(scenario)
    assert RunPlan.from_wire(json.loads(json.dumps(plan.to_wire()))) == plan
    assert plan.layout == ShardLayout(workers=2, stride=4, limit=40)
    with pytest.raises(UsageError, match="no sosim run plan arrived from the master"):
        RunPlan.from_wire(None)


def test_workers_play_disjoint_reproducible_sessions(scenario: Scenario) -> None:
    """Two workers never play the same session, and any session rebuilds exactly from seed and index."""
    plan = run_plan(scenario)
    options = parse_options({"scenario": "unit-locust.yaml", "secret_env": "HOOK_SECRET", "speed": "10"})
    env = {"HOOK_SECRET": SECRET}
    played: dict[str, set[str]] = {}
    for client in ("w-a", "w-b"):
        playing = prepare_play(plan, options, client, FakeClock(), lambda change: None, env)
        assert playing.lanes is not None and playing.slot == plan.slots[client]
        ids: set[str] = set()
        for _ in range(2):
            lane = playing.lanes.acquire()
            assert lane is not None
            while (index := playing.lanes.next_index(lane)) is not None:
                session = playing.generator.session(index, 0.0)
                assert session.session_id == scenario.population.first_session_id + index
                again = make_generator(scenario).session(index, 0.0)
                assert [t.event.event_id for t in session.events] == [t.event.event_id for t in again.events]
                ids.update(t.event.event_id for t in session.events)
        played[client] = ids
    assert played["w-a"] and played["w-b"] and not played["w-a"] & played["w-b"]
    late = prepare_play(plan, options, "w-late", FakeClock(), lambda change: None, env)
    assert late.lanes is None  # joined after the start: no shard, so it plays nothing


class Killed(BaseException):
    """What gevent raises in a user's greenlet when Locust kills it (GreenletExit is a BaseException)."""


def test_an_attempt_in_flight_when_the_user_is_killed_is_recorded_as_abandoned(
    scenario: Scenario, plan: SessionPlan
) -> None:
    """The kill still propagates, and the session's attempts, the one in flight included, are recorded."""
    clock, recorder = FakeClock(), Collected()
    answered = ScriptedSend(clock)

    def send(request: Request, headers: Headers) -> Answer:
        if len(answered.sent) == 2:
            clock.time += 0.5
            raise Killed
        return answered(request, headers)

    with pytest.raises(Killed):
        player_for(scenario, clock, recorder).play(plan, SpeedPacing(1e6), send)
    assert [(a.status, a.error, a.delivered, a.final) for a in recorder.attempts] == [
        (200, None, True, True),
        (200, None, True, True),
        (None, "abandoned", False, True),
    ]
    abandoned = recorder.attempts[-1]
    assert abandoned.request.event_id == plan.events[2].event.event_id
    assert abandoned.done_s - abandoned.sent_s == pytest.approx(0.5)
    stats = RunStats()
    for attempt in recorder.attempts:
        stats.handle_attempt(attempt)
    assert (stats.attempts, stats.errors["abandoned"]) == (3, 1)


def test_the_master_names_a_worker_whose_reports_miss_attempts(scenario: Scenario) -> None:
    """A worker's final report says how many attempts it made; a lost report shows in the reason."""
    plan = run_plan(scenario)
    options = parse_options({"scenario": "unit-locust.yaml"})
    collecting = Collecting.start(plan, options, scenario, "http://127.0.0.1:1/hook", started=0.0)
    recorders = {"w-a": WorkerRecorder(), "w-b": WorkerRecorder()}
    for client, recorder in recorders.items():
        for attempt in attempts_for(scenario, 10):
            recorder.handle_attempt(attempt)
        interval = recorder.take()
        assert interval is not None
        if client == "w-a":
            collecting.merge(client, interval)  # w-b's interval report is lost on the way
        for attempt in attempts_for(scenario, 5):
            recorder.handle_attempt(attempt)
        final = recorder.take(final=True)
        assert final is not None
        collecting.merge(client, final)
        collecting.final(client, recorder.attempts)
    assert collecting.unaccounted() == {"w-b": (15, 5)}
    outcome = collecting.finish(3.0, interrupted=False)
    assert outcome.stats.attempts == 20
    assert outcome.result.reason == "worker w-b made 15 attempts, its reports hold 5"


def test_the_cluster_exit_code_follows_fail_if_and_the_webhook(scenario: Scenario) -> None:
    """Exit 0 when every threshold passes, 1 when one is crossed or the webhook gave up."""
    plan = run_plan(scenario)

    def finish(fail_if: list[str], changes: Sequence[StateChange] = ()) -> int:
        options = parse_options({"scenario": "unit-locust.yaml", "fail_if": fail_if})
        collecting = Collecting.start(plan, options, scenario, "http://127.0.0.1:1/hook", started=0.0)
        recorder = WorkerRecorder()
        for attempt in attempts_for(scenario, 30):
            recorder.handle_attempt(attempt)
        for change in changes:
            recorder.handle_state(change)
        figures = recorder.take(final=True)
        assert figures is not None
        collecting.stats.merge(figures)
        collecting.finals.update({"w-a", "w-b"})
        return collecting.finish(3.0, interrupted=False).exit_code

    assert finish(["sent < 1"]) == 0
    assert finish(["sent < 1000"]) == 1
    assert finish([], [StateChange(1.0, "Unit hook", TOO_MANY_ERRORS, "the target answered 410 Gone")]) == 1


# --- the benchmark -------------------------------------------------


def test_the_locust_bench_splits_sosims_cost_per_event(monkeypatch: pytest.MonkeyPatch) -> None:
    """bench/locust.py imports without Locust and measures generation, signing, rules and recording."""
    import importlib

    root = Path(__file__).resolve().parents[3]
    monkeypatch.syspath_prepend(str(root))
    bench = importlib.import_module("bench.locust")
    costs = bench.measure_costs(parse_scenario(SCENARIO_YAML), sessions=10)
    assert costs.generate > 0 and costs.render > 0 and costs.total > 0
    worker = bench.WorkerFigures(requests=8_000, cpu_s=0.8, wall_s=1.0)
    figures = bench.Figures("test receiver", [worker], [worker], [9_000.0], costs)
    table = bench.build_table(figures, users=8).render()
    assert "8,000 ev/s" in table and "0.0%" in table
