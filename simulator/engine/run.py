"""``sosim run`` as a library: wire scenarios, timing, transport, handlers and reports.

Everything the CLI does is here, so a Python user can do the same with ``run(config)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, Literal

from simulator import __version__
from simulator.core.defaults import CONCURRENCY, TIMEOUT_S
from simulator.core.delivery_rules import NETSERVER, DeliveryPolicy
from simulator.core.errors import SimulatorError, UsageError
from simulator.core.faults import FaultReport, FaultSpec, Injector
from simulator.core.outcome import Handler, RunInfo, RunResult, call_finish
from simulator.core.schedule import Planned
from simulator.core.urls import mask_url
from simulator.delivery.clock import Clock
from simulator.delivery.deliverer import Deliverer
from simulator.delivery.signals import kept_signal_handlers, signals_noted
from simulator.engine.checks import check_bounded, check_outputs, check_target, refuse_unsigned
from simulator.engine.default_secret import warn_default_secret
from simulator.engine.timing import retime, timing_label
from simulator.report.thresholds import Threshold, ThresholdResult
from simulator.superoffice import facts as so

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
#: Exit code of a run stopped by SIGTERM (128 + 15, as a shell reports it), reports still written.
EXIT_TERMINATED = 143
#: The RunResult reason of a run that SIGTERM stopped.
TERMINATED_REASON = "stopped by SIGTERM"


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Everything one run needs; built from the CLI or by hand."""

    scenarios: tuple[str, ...]
    target: str | None = None
    secret: str | None = None
    seed: int | None = None
    sessions: int | None = None
    duration_s: float | None = None
    speed: float | None = None
    rate: float | None = None
    max_rate: bool = False
    concurrency: int = CONCURRENCY
    timeout_s: float = TIMEOUT_S
    policy: DeliveryPolicy = NETSERVER
    engine: Literal["auto", "httpx", "lean"] = "auto"
    scenario_time: bool = False
    record: str | None = None
    report: str | None = None
    junit: str | None = None
    html: str | None = None
    thresholds: tuple[Threshold, ...] = ()
    quiet: bool = False
    #: A run with no event to send passes instead of failing (replay --only-failed, nothing failed).
    empty_ok: bool = False
    faults: tuple[FaultSpec, ...] = ()
    serve_api: tuple[str, int] | None = None  # (host, port): serve the mock SuperOffice API during the run
    fault_marker: bool = True  # name the fault in X-Sosim-Fault on each request a fault made or moved
    deterministic_ids: bool = False  # the seeded EventIds, as generate makes them, instead of fresh ones
    preflight: bool = True  # resolve and connect to an http(s) target once before the run starts
    extra: dict[str, str] = field(default_factory=dict)
    # --- --processes N (simulator.engine.processes): the worker processes, and one worker's share
    processes: int = 1
    shard: tuple[int, int] | None = None  # (k, n): play only the sessions with index k mod n
    run_id: str | None = None  # the run's EventId mask, the same in every worker (None: a fresh one)
    started: datetime | None = None  # the run's start (Timestamps), the same in every worker


def merge_faults(cli: Sequence[FaultSpec], scenarios: Sequence[Any]) -> tuple[FaultSpec, ...]:
    """The scenarios' own `faults:` sections, overridden by --fault for the same name."""
    merged: dict[str, FaultSpec] = {}
    for scenario in scenarios:
        for name, value in scenario.faults.items():
            merged[name] = FaultSpec(name, value.rate, tuple(value.expect), value.size)
    merged.update({spec.name: spec for spec in cli})
    return tuple(merged.values())


# --- the run ----------------------------------------------------------------------------


@dataclass(slots=True)
class RunOutcome:
    """What a finished run leaves: stats, threshold verdicts, the receiver's tally, the exit code."""

    stats: Any
    thresholds: list[ThresholdResult]
    result: RunResult
    exit_code: int
    receiver_tally: Any = None
    faults: FaultReport | None = None
    messages: list[str] = field(default_factory=list)
    default_secret: str | None = None  # the variable whose ${VAR:-default} default signed


def run(
    config: RunConfig,
    *,
    console: Any = None,
    extra_handlers: Sequence[Handler] = (),
    clock: Clock | None = None,
) -> RunOutcome:
    """Run scenarios against the target (or a built-in receiver) and return the outcome.

    ``clock`` times the deliveries (tests pass a :class:`~simulator.delivery.clock.FakeClock`); the real
    clock by default.
    """
    from simulator.core.conversation import is_external
    from simulator.core.plan import PlanOptions, arrival_window_s, plan
    from simulator.core.scenario import load_scenarios, webhook_for

    scenarios = load_scenarios(config.scenarios)
    check_bounded(scenarios, config)
    webhooks = [webhook_for(s, config.secret) for s in scenarios]
    default_secret = None if config.secret is not None else warn_default_secret(scenarios)
    now = config.started or datetime.now(UTC)
    speed = config.speed or 1.0
    run_id = None if config.deterministic_ids else config.run_id or new_run_id()
    options = PlanOptions(
        seed=config.seed,
        sessions=config.sessions,
        duration_s=config.duration_s,
        secret=config.secret,
        start=None if config.scenario_time else now,
        time_scale=1.0 / speed if not config.rate else 1.0,
        run_id=run_id,
        shard=config.shard,
    )
    seed = config.seed if config.seed is not None else scenarios[0].seed
    faults = merge_faults(config.faults, scenarios)
    burst = next((int(f.rate) for f in faults if f.name == "burst"), 0)
    live_api: Any = None
    generated = scenarios
    # Why a run that has sent everything pauses: the system's calls to the API are still open.
    say = None if console is None or config.quiet else partial(console.print, highlight=False, soft_wrap=True)
    if any(is_external(s.flow) for s in scenarios):
        live_api = _closed_loop(scenarios, webhooks, options, config, speed, say)
        generated = [s for s in scenarios if not is_external(s.flow)]
    planned: Iterable[Planned] = plan(generated, replace(options, burst=burst)) if generated else iter(())
    if live_api is not None:
        # Noted before the Injector, so a reordered webhook still finds its session's earlier messages.
        planned = live_api.follow(planned)
    elif config.serve_api:
        from simulator.mockapi.server import LiveApi

        live_api = LiveApi(scenarios, *config.serve_api, seed=config.seed, say=say)
        planned = live_api.follow(planned)
    probes = tuple(f for f in faults if f.name != "burst")
    if probes:
        planned = Injector(probes, webhooks[0].secret, seed or 0, mark=config.fault_marker)(planned)
    refuse_unsigned(scenarios, config)
    check_target(config)
    outcome = execute(
        replace(config, faults=faults),
        planned,
        command="run",
        webhook=webhooks[0],
        webhooks={s.name: w for s, w in zip(scenarios, webhooks, strict=True)},
        receiver_secret=webhooks[0].secret,
        signed=any(w.secret for w in webhooks),
        created_first=expects_created(webhooks),  # from the list: two scenarios may share a name
        seed=seed,
        started=now,
        console=console,
        extra_handlers=extra_handlers,
        live_api=live_api,
        clock=clock,
        run_id=run_id,
        # Due times follow the scenario's arrivals only with its own timing (or --speed).
        expected_s=None if config.max_rate or config.rate else arrival_window_s(scenarios, options),
    )
    outcome.default_secret = default_secret
    return outcome


def _closed_loop(
    scenarios: Sequence[Any],
    webhooks: Sequence[Any],
    options: Any,
    config: RunConfig,
    speed: float,
    say: Callable[[str], None] | None,
) -> Any:
    """The closed loop of a run whose scenarios hand a role to the system under test."""
    from simulator.engine.loop import DEFAULT_API, ClosedLoop

    if config.rate:
        raise UsageError(
            "a fixed rate cannot pace a closed loop: the customers wait for the answers (scale the "
            "scenario's own timing with speed instead)",
            option="rate",
        )
    if config.target is None:
        print(
            "sosim: warning: the scenario hands a role to your system (flow: external), but there is "
            "no --target: its webhooks go to the built-in receiver, which never answers, so each "
            "customer waits out flow.external.reply_timeout. Give --target your bot's webhook URL",
            file=sys.stderr,
        )
    by_name = {s.name: w for s, w in zip(scenarios, webhooks, strict=True)}
    serve = config.serve_api or DEFAULT_API
    return ClosedLoop(scenarios, by_name, options, serve=serve, speed=speed, say=say)


def new_run_id() -> str:
    """A random id for one run: mixed into its EventIds so no two runs send the same ones."""
    import secrets

    return secrets.token_hex(8)


def execute(
    config: RunConfig,
    planned: Iterable[Planned],
    *,
    command: str,
    webhook: Any,
    webhooks: Mapping[str, Any] | None = None,
    receiver_secret: str | None,
    signed: bool,
    created_first: bool = True,
    seed: int | None = None,
    started: datetime | None = None,
    console: Any = None,
    extra_handlers: Sequence[Handler] = (),
    check_order: bool = True,
    live_api: Any = None,
    clock: Clock | None = None,
    run_id: str | None = None,
    planned_total: int | None = None,
    expected_s: float | None = None,
) -> RunOutcome:
    """Deliver planned requests with the config's timing, rules and outputs (run and replay).

    ``planned_total`` (events) and ``expected_s`` (the run's expected duration), when known, let
    progress show a percent and the time left. ``created_first``: whether the built-in receiver
    expects each session to start with chatsession.created (see :func:`expects_created`)."""
    from simulator.report.stats import RunStats

    check_outputs(record=config.record, report=config.report, junit=config.junit, html=config.html)
    now = started or datetime.now(UTC)
    fault_report = FaultReport(config.faults) if config.faults else None
    # Reordered traffic is expected to arrive out of order: the built-in receiver must not flag it.
    check_order = check_order and not any(f.name == "reorder" for f in config.faults)
    with ExitStack() as stack:
        target, receiver = _target(config, receiver_secret, stack, check_order, created_first=created_first)
        wrap_transport = None
        if live_api is not None:
            stack.enter_context(live_api)  # stops serving when the run ends, Ctrl-C included
            wrap_transport = live_api.wrap
            if console is not None and not config.quiet:
                console.print(f"mock SuperOffice API: {live_api.url}/<ContextIdentifier>/api/v1/")
        stats = RunStats(config.thresholds, empty_ok=config.empty_ok)
        handlers: list[Handler] = [stats, *extra_handlers]
        if fault_report is not None:
            handlers.append(fault_report)
        if config.record:
            from simulator.recording.record import Recorder

            recorder = Recorder(config.record)
            handlers.append(recorder)
            if live_api is not None:
                from simulator.engine.loop import ClosedLoop

                if isinstance(live_api, ClosedLoop):  # each reply latency gets a line of its own
                    live_api.on_reply = recorder.handle_reply
        # With no target and no timing asked for, the built-in receiver gets the traffic at once.
        max_rate = config.max_rate or (config.target is None and not (config.speed or config.rate))
        info = RunInfo(
            command=command,
            scenarios=config.scenarios,
            seed=seed,
            target=mask_url(target),
            started_at=now.isoformat().replace("+00:00", "Z"),
            timing="max-rate" if max_rate else timing_label(config),
            delivery=config.policy.name,
            concurrency=config.concurrency,
            sosim_version=__version__,
            signed=signed,
            extra={**config.extra, **({"target_rate": f"{config.rate:g}"} if config.rate else {})},
            run_id=run_id,
        )
        if console is not None and not config.quiet:
            where = ("the built-in verifying receiver at " if receiver is not None else "") + info.target
            console.print(
                f"sosim {command}: {', '.join(config.scenarios)} -> {where} "
                f"({info.timing}, {config.policy.name} delivery, concurrency {config.concurrency})",
                soft_wrap=True,  # one line even when not a terminal: the URL stays whole
            )
        timed = retime(planned, speed=config.speed, rate=config.rate)
        result = _deliver(
            config,
            target,
            timed,
            handlers,
            (webhook, webhooks),
            info,
            console,
            stats,
            max_rate,
            wrap_transport=wrap_transport,
            clock=clock,
            live_api=live_api,
            progress=(planned_total, None if max_rate else expected_s),
        )
        # With faults injected, forged requests are meant to fail verification: their verdicts
    # decide instead of the receiver's tally.
    tally = receiver.checker.tally if receiver is not None and fault_report is None else None
    results = stats.evaluate_thresholds()
    code = exit_code(stats, results, result, tally)
    if code == EXIT_OK and fault_report is not None and not fault_report.passed:
        code = EXIT_FAILED
    return RunOutcome(stats, results, result, code, tally, fault_report)


def expects_created(webhooks: Iterable[Any]) -> bool:
    """Whether the built-in receiver may expect each session to start with chatsession.created:
    not when a webhook does not subscribe to it."""
    return all(so.EVENT_CREATED in w.events for w in webhooks)


def _target(
    config: RunConfig,
    secret: str | None,
    stack: ExitStack,
    check_order: bool,
    *,
    created_first: bool = True,
) -> tuple[str, Any]:
    if config.target:
        return config.target, None
    from simulator.servers.receiver import ReceiverConfig, ReceiverThread, WebhookChecker

    checker = WebhookChecker(secret, check_order=check_order, expects_created=created_first)
    receiver = stack.enter_context(ReceiverThread(ReceiverConfig(secret=secret), checker=checker))
    return str(receiver.url) + "webhook", receiver


def _deliver(
    config: RunConfig,
    target: str,
    planned: Iterable[Planned],
    handlers: list[Handler],
    webhooks: tuple[Any, Mapping[str, Any] | None],
    info: RunInfo,
    console: Any,
    stats: Any,
    max_rate: bool,
    wrap_transport: Callable[[Any], Any] | None = None,
    clock: Clock | None = None,
    live_api: Any = None,
    progress: tuple[int | None, float | None] = (None, None),
) -> RunResult:
    from simulator.delivery.clock import MonotonicClock
    from simulator.delivery.dispatch import primed
    from simulator.delivery.transport import open_transport

    transport = open_transport(
        target,
        engine=config.engine,
        timeout=config.timeout_s,
        concurrency=config.concurrency,
    )
    if wrap_transport is not None:
        transport = wrap_transport(transport)  # announces each event to the mock API before sending
    outputs = list(handlers)
    result = RunResult(0.0, True, "Active", 0, "not started")
    run_clock = clock or MonotonicClock()
    delivering: list[Deliverer] = []  # the deliverer, for how a cancelled run ended

    async def main() -> RunResult:
        deliverer = Deliverer(
            transport,
            outputs,
            webhook=webhooks[0],
            webhooks=webhooks[1],
            policy=config.policy,
            concurrency=config.concurrency,
            clock=run_clock,
            max_rate=max_rate,
        )
        delivering.append(deliverer)
        status = None
        if console is not None and not config.quiet:
            status = _progress(console, stats, deliverer, run_clock, config.rate, progress)
            outputs.append(status)
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        presses = 0
        terminated = False

        def on_sigint() -> None:
            nonlocal presses
            presses += 1
            if presses == 1 and console is not None and not config.quiet and deliverer.in_flight:
                # Requests in flight may take up to --timeout to finish: say why nothing ends yet.
                console.print(
                    f"stopping: {deliverer.in_flight} request(s) in flight finish or time out "
                    f"(up to {config.timeout_s:g} s); Ctrl-C again abandons them",
                    soft_wrap=True,
                    highlight=False,
                )
            deliverer.stop()
            if live_api is not None:
                # The closed loop's feed waits on the loop: wake it to end. Either API then stops
                # without waiting for the receiver's last calls.
                live_api.halt()
            # Not while the closed loop waits for the bot's last calls: the run is complete, and
            # the halt above already ends that wait.
            if presses > 1 and task is not None and not getattr(live_api, "lingering", False):
                task.cancel()

        def on_sigterm() -> None:
            # A service manager or `kill` stops the run like Ctrl-C: reports and recording complete.
            nonlocal terminated
            terminated = True
            on_sigint()

        # Off the main thread (embedded in tests) this fails; Ctrl-C then raises KeyboardInterrupt.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGINT, on_sigint)
            loop.add_signal_handler(signal.SIGTERM, on_sigterm)
        for handler in outputs:
            handler.start(info)
        source: Any = primed(planned)  # t=0 once the first request is ready: warm-up is not lag
        start = deliverer.clock.now()
        feed = getattr(live_api, "feed", None)
        if feed is not None:  # the closed loop: the live sessions' webhooks join the plan
            await live_api.start(deliverer.clock, start)
            source = feed(planned, max_rate=max_rate)
            stats.conversation = live_api.stats
        ticker = None
        if status is not None and not console.is_terminal:  # a CI log: one plain line every 10 s
            from simulator.report.progress import print_status

            say = partial(console.print, soft_wrap=True, highlight=False, markup=False)
            ticker = asyncio.ensure_future(print_status(status, say, run_clock.sleep_until))
        try:
            ended = await deliverer.run(source, start=start)
        finally:
            if feed is not None:
                await live_api.stop()
            if ticker is not None:
                ticker.cancel()
            await transport.aclose()
        return replace(ended, reason=TERMINATED_REASON) if terminated and ended.interrupted else ended

    failure: Exception | None = None
    try:
        with (
            kept_signal_handlers(),
            asyncio.Runner(loop_factory=event_loop_factory()) as loop_runner,
            frozen_heap(),
        ):
            result = loop_runner.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        # The deliverer has told the handlers of the requests it abandoned; it knows how far it got.
        result = delivering[0].cancelled_result() if delivering else replace(result, reason="interrupted")
    except OSError as exc:  # an output failed (disk full, unwritable path): stop and say so
        failure = exc
        result = RunResult(result.elapsed_s, True, "Active", 0, f"aborted: {exc}")
    finally:
        with signals_noted():  # the recording's end line and the report are written whole
            call_finish(outputs, result, lambda exc: print(f"sosim: warning: {exc}", file=sys.stderr))
    if failure is not None:
        raise SimulatorError(f"the run stopped: {failure}") from None
    return result


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """Within the block, the garbage collector leaves alone what existed before it: the modules,
    the scenario models, the imported libraries. A full collection during a run then walks only
    what the run allocated; before, collections took about 4 us of every event at --max-rate.
    Afterwards the objects are collectable again, so a host that runs many times does not keep
    earlier runs' garbage."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _progress(
    console: Any,
    stats: Any,
    deliverer: Deliverer,
    clock: Clock,
    rate: float | None,
    known: tuple[int | None, float | None],
) -> Any:
    """The live panel on a terminal, else the figures for the status lines a log gets."""
    from simulator.report.progress import LiveProgress, Progress

    figures: dict[str, Any] = {
        "metric": stats.metric,
        "in_flight": lambda: deliverer.in_flight,
        "planned": known[0],
        "expected_s": known[1],
        "target_rate": rate,
        "now": clock.now,
    }
    return LiveProgress(console, **figures) if console.is_terminal else Progress(**figures)


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when it is installed (a scoped choice: the process-wide policy stays as it is)."""
    from simulator.delivery.eventloop import event_loop_factory as choose

    return choose()


def exit_code(stats: Any, thresholds: Sequence[ThresholdResult], result: RunResult, tally: Any) -> int:
    """1 when a threshold is crossed, the webhook gave up, nothing was delivered or the receiver
    saw bad requests; else 0."""
    if result.interrupted and result.webhook_state == so.WebhookState.Active.name:
        return EXIT_TERMINATED if result.reason == TERMINATED_REASON else EXIT_INTERRUPTED
    if any(r.crossed for r in thresholds):
        return EXIT_FAILED
    if result.webhook_state != so.WebhookState.Active.name:
        return EXIT_FAILED
    if (stats.metric("sent") > 0 and stats.metric("delivered") == 0) or stats.nothing_sent:
        return EXIT_FAILED
    if tally is not None:
        from simulator.servers.receiver import verdict_ok  # loaded only with the built-in receiver

        if not verdict_ok(tally):
            return EXIT_FAILED
    return EXIT_OK
