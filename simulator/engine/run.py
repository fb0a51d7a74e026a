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
from simulator.core.delivery_rules import NETSERVER, ONCE, DeliveryPolicy
from simulator.core.errors import SimulatorError, UsageError
from simulator.core.faults import FaultReport, FaultSpec, Injector, parse_expectation, parse_fault
from simulator.core.outcome import Handler, RunInfo, RunResult, call_finish
from simulator.core.schedule import Planned
from simulator.core.units import parse_duration, parse_option, parse_rate
from simulator.core.urls import mask_url
from simulator.delivery.clock import Clock
from simulator.delivery.deliverer import Deliverer
from simulator.engine.default_secret import warn_default_secret
from simulator.report.thresholds import Threshold, ThresholdResult, parse_threshold
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
    concurrency: int = 64
    timeout_s: float = 10.0
    policy: DeliveryPolicy = NETSERVER
    engine: Literal["auto", "httpx", "lean"] = "auto"
    scenario_time: bool = False
    record: str | None = None
    report: str | None = None
    junit: str | None = None
    html: str | None = None
    thresholds: tuple[Threshold, ...] = ()
    quiet: bool = False
    faults: tuple[FaultSpec, ...] = ()
    serve_api: str | None = None  # HOST:PORT: serve the mock SuperOffice API while the run goes
    deterministic_ids: bool = False  # the seeded EventIds, as generate makes them, instead of fresh ones
    preflight: bool = True  # resolve and connect to an http(s) target once before the run starts
    extra: dict[str, str] = field(default_factory=dict)
    # --- --processes N (simulator.engine.processes): the worker processes, and one worker's share
    processes: int = 1
    shard: tuple[int, int] | None = None  # (k, n): play only the sessions with index k mod n
    run_id: str | None = None  # the run's EventId mask, the same in every worker (None: a fresh one)
    started: datetime | None = None  # the run's start (Timestamps), the same in every worker

    @classmethod
    def from_cli(cls, scenarios: tuple[str, ...], **options: Any) -> RunConfig:
        """Validate and convert the command line's raw strings."""
        chosen = [n for n in ("speed", "rate", "max_rate") if options.get(n)]
        if len(chosen) > 1:
            raise UsageError(f"choose one of --speed, --rate, --max-rate (got {', '.join(chosen)})")
        speed = options.get("speed")
        if speed is not None and speed <= 0:
            raise UsageError("--speed must be above 0, e.g. --speed 60")
        serve_api = options.get("serve_api")
        if serve_api:
            from simulator.mockapi.server import parse_host_port

            parse_host_port(serve_api)  # a wrong value is a usage error before anything starts
        return cls(
            scenarios=scenarios,
            target=options.get("target"),
            secret=options.get("secret"),
            seed=options.get("seed"),
            sessions=options.get("sessions"),
            duration_s=parse_option(parse_duration, "--duration", options.get("duration")),
            speed=speed,
            rate=parse_option(parse_rate, "--rate", options.get("rate")),
            max_rate=bool(options.get("max_rate")),
            concurrency=options.get("concurrency") or 64,
            timeout_s=parse_option(parse_duration, "--timeout", options.get("timeout")) or 10.0,
            policy=policy_from_cli(options),
            engine=options.get("engine") or "auto",
            scenario_time=bool(options.get("scenario_time")),
            record=options.get("record"),
            report=options.get("report"),
            junit=options.get("junit"),
            html=options.get("html"),
            thresholds=tuple(parse_threshold(text) for text in options.get("fail_if") or ()),
            faults=faults_from_cli(options.get("fault") or (), options.get("expect") or ()),
            serve_api=serve_api or None,
            quiet=bool(options.get("quiet")),
            deterministic_ids=bool(options.get("deterministic_ids")),
            preflight=not options.get("no_preflight"),
            processes=options.get("processes") or 1,
        )


def faults_from_cli(faults: Iterable[str], expectations: Iterable[str]) -> tuple[FaultSpec, ...]:
    """Parse --fault and --expect; an expectation for a fault that is not injected is an error."""
    specs = {spec.name: spec for spec in map(parse_fault, faults)}
    for name, allowed in map(parse_expectation, expectations):
        if name not in specs:
            raise UsageError(f"--expect {name}=...: add --fault {name} too (nothing would be judged)")
        specs[name] = replace(specs[name], expect=allowed)
    return tuple(specs.values())


def merge_faults(cli: Sequence[FaultSpec], scenarios: Sequence[Any]) -> tuple[FaultSpec, ...]:
    """The scenarios' own `faults:` sections, overridden by --fault for the same name."""
    merged: dict[str, FaultSpec] = {}
    for scenario in scenarios:
        for name, value in scenario.faults.items():
            merged[name] = FaultSpec(name, value.rate, tuple(value.expect), value.size)
    merged.update({spec.name: spec for spec in cli})
    return tuple(merged.values())


def policy_from_cli(options: dict[str, Any]) -> DeliveryPolicy:
    """Build the delivery policy from --delivery and the custom options."""
    mode = options.get("delivery") or "netserver"
    names = ("retry_delays", "success_codes", "disable_after", "on_failure", "retry_after")
    custom = {k: options.get(k) for k in names}
    given = [k for k, v in custom.items() if v is not None]
    if mode != "custom":
        if given:
            flags = ", ".join("--" + k.replace("_", "-").replace("success-codes", "success") for k in given)
            raise UsageError(f"{flags} {'needs' if len(given) == 1 else 'need'} --delivery custom")
        return NETSERVER if mode == "netserver" else ONCE
    policy = NETSERVER
    if custom["retry_delays"] is not None:
        text = str(custom["retry_delays"]).strip()
        delays = tuple(
            parse_option(parse_duration, "--retry-delays", p) for p in text.split(",") if p.strip()
        )
        policy = replace(policy, retry_delays=delays)
    if custom["success_codes"] is not None:
        policy = replace(policy, success_statuses=parse_statuses(str(custom["success_codes"])))
    if custom["disable_after"] is not None:
        policy = replace(policy, disable_after=int(custom["disable_after"]) or None)
    if custom["on_failure"] is not None:
        policy = replace(policy, on_cycle_failure=custom["on_failure"])
    if custom["retry_after"] is not None:
        policy = replace(policy, retry_after=custom["retry_after"])
    return replace(policy, name="custom")


def parse_statuses(text: str) -> frozenset[int]:
    """Parse ``200``, ``2xx`` or ``200,201,204`` into a set of status codes."""
    codes: set[int] = set()
    for part in (p.strip().lower() for p in text.split(",") if p.strip()):
        if len(part) == 3 and part.endswith("xx") and part[0] in "12345":
            base = int(part[0]) * 100
            codes.update(range(base, base + 100))
        elif part.isdigit() and 100 <= int(part) <= 599:
            codes.add(int(part))
        else:
            raise UsageError(f"--success {text!r}: {part!r} is not a status (use e.g. 200, 2xx or 200,204)")
    if not codes:
        raise UsageError("--success needs at least one status, e.g. 200, 2xx or 200,204")
    return frozenset(codes)


# --- timing -----------------------------------------------------------------------------


def retime(planned: Iterable[Planned], *, speed: float | None, rate: float | None) -> Iterator[Planned]:
    """Apply --speed (scale due times) or --rate (one request every 1/rate seconds)."""
    if rate:
        for index, item in enumerate(planned):
            yield item._replace(due_s=index / rate)
    elif speed and speed != 1.0:
        for item in planned:
            yield item._replace(due_s=item.due_s / speed)
    else:
        yield from planned


def timing_label(config: RunConfig) -> str:
    """Describe the timing for reports."""
    if config.max_rate:
        return "max-rate"
    if config.rate:
        return f"rate {config.rate:g}/s"
    if config.speed and config.speed != 1.0:
        return f"speed {config.speed:g}x"
    return "scenario"


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
    _check_bounded(scenarios, config)
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
    if any(is_external(s.flow) for s in scenarios):
        live_api = _closed_loop(scenarios, webhooks, options, config, speed)
        generated = [s for s in scenarios if not is_external(s.flow)]
    planned: Iterable[Planned] = plan(generated, replace(options, burst=burst)) if generated else iter(())
    if live_api is not None:
        # Noted before the Injector, so a reordered webhook still finds its session's earlier messages.
        planned = live_api.follow(planned)
    elif config.serve_api:
        from simulator.mockapi.server import LiveApi

        live_api = LiveApi.from_option(config.serve_api, scenarios, seed=config.seed)
        planned = live_api.follow(planned)
    probes = tuple(f for f in faults if f.name != "burst")
    if probes:
        planned = Injector(probes, webhooks[0].secret, seed or 0)(planned)
    _refuse_unsigned(scenarios, config)
    check_target(config)
    outcome = execute(
        replace(config, faults=faults),
        planned,
        command="run",
        webhook=webhooks[0],
        webhooks={s.name: w for s, w in zip(scenarios, webhooks, strict=True)},
        receiver_secret=webhooks[0].secret,
        signed=any(w.secret for w in webhooks),
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
    scenarios: Sequence[Any], webhooks: Sequence[Any], options: Any, config: RunConfig, speed: float
) -> Any:
    """The closed loop of a run whose scenarios hand a role to the system under test."""
    from simulator.engine.loop import DEFAULT_API, ClosedLoop

    if config.rate:
        raise UsageError("--rate cannot pace a closed loop: the customers wait for the answers (use --speed)")
    by_name = {s.name: w for s, w in zip(scenarios, webhooks, strict=True)}
    return ClosedLoop(scenarios, by_name, options, serve=config.serve_api or DEFAULT_API, speed=speed)


def rejection_hint(stats: Any, default_secret: str | None) -> str | None:
    """A hint when most answers are 401/403: the receiver does not accept the signature."""
    codes = stats.status_codes
    answered = sum(codes.values())
    rejected = codes.get(401, 0) + codes.get(403, 0)
    if not answered or rejected * 2 <= answered:
        return None
    why = f" (signed with the scenario default: {default_secret} is not set)" if default_secret else ""
    return f"the receiver rejects the signature: check the secret{why}"


def success_hint(stats: Any, policy: DeliveryPolicy) -> str | None:
    """A hint when 2xx answers other than the policy's successes (201, 204 ...) counted as failures."""
    codes = stats.status_codes
    others = sorted(c for c in codes if 200 <= c < 300 and c not in policy.success_statuses)
    if not others:
        return None
    counted = "answers with status " + ", ".join(f"{c} ({codes[c]})" for c in others)
    if policy.name == "custom":
        return (
            f"{counted} counted as failed: they are not in --success; use e.g. `--success 2xx` to accept them"
        )
    return (
        f"{counted} counted as failed: NetServer counts only 200 as delivered; "
        "use `--delivery custom --success 2xx` to accept others"
    )


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
    progress show a percent and the time left."""
    from simulator.report.stats import RunStats

    check_outputs(record=config.record, report=config.report, junit=config.junit, html=config.html)
    now = started or datetime.now(UTC)
    fault_report = FaultReport(config.faults) if config.faults else None
    # Reordered traffic is expected to arrive out of order: the built-in receiver must not flag it.
    check_order = check_order and not any(f.name == "reorder" for f in config.faults)
    with ExitStack() as stack:
        target, receiver = _target(config, receiver_secret, stack, check_order)
        wrap_transport = None
        if live_api is not None:
            stack.enter_context(live_api)  # stops serving when the run ends, Ctrl-C included
            wrap_transport = live_api.wrap
            if console is not None and not config.quiet:
                console.print(f"mock SuperOffice API: {live_api.url}/<ContextIdentifier>/api/v1/")
        stats = RunStats(config.thresholds)
        handlers: list[Handler] = [stats, *extra_handlers]
        if fault_report is not None:
            handlers.append(fault_report)
        if config.record:
            from simulator.recording.record import Recorder

            handlers.append(Recorder(config.record))
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


def check_outputs(
    *, record: str | None = None, report: str | None = None, junit: str | None = None, html: str | None = None
) -> None:
    """Check every output path before anything is sent (missing directories are created)."""
    from simulator.report.paths import check_output

    for option, path in (("--record", record), ("--report", report), ("--junit", junit), ("--html", html)):
        if path:
            check_output(path, option, stdout_ok=option == "--report")


def check_target(config: RunConfig) -> None:
    """Fail within seconds when an http(s) target cannot be resolved or connected to (unless disabled)."""
    if not config.preflight or not config.target:
        return
    from simulator.engine.preflight import MAX_PREFLIGHT_S, preflight, proxied

    lean = config.engine == "lean" or (config.engine == "auto" and config.target.startswith("http://"))
    if not lean and proxied(config.target):  # httpx goes through the proxy: it resolves the name
        return
    preflight(config.target, timeout_s=min(config.timeout_s, MAX_PREFLIGHT_S))


def _refuse_unsigned(scenarios: Sequence[Any], config: RunConfig) -> None:
    """Never send unsigned traffic off this machine when a scenario declares an (empty) secret."""
    if config.secret or config.target is None or _is_loopback(config.target):
        return
    for scenario in scenarios:
        if scenario.webhook.secret == "":
            raise UsageError(
                f"{scenario.source}: webhook.secret is declared but empty, and {mask_url(config.target)} "
                "is not on "
                "this machine: refusing to send unsigned webhooks. Set the secret (export the variable "
                "the scenario names, or pass --secret-env NAME / --secret-file PATH)."
            )


def _is_loopback(target: str) -> bool:
    import ipaddress
    from urllib.parse import urlsplit

    host = urlsplit(target).hostname or ""
    if target.startswith("asgi://") or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_bounded(scenarios: Sequence[Any], config: RunConfig) -> None:
    for scenario in scenarios:
        arrivals = scenario.arrivals
        if (
            config.sessions is None
            and config.duration_s is None
            and not (arrivals.sessions or arrivals.duration)
        ):
            raise UsageError(f"{scenario.source}: arrivals has neither sessions nor duration")


def _target(config: RunConfig, secret: str | None, stack: ExitStack, check_order: bool) -> tuple[str, Any]:
    if config.target:
        return config.target, None
    from simulator.servers.receiver import ReceiverConfig, ReceiverThread, WebhookChecker

    checker = WebhookChecker(secret, check_order=check_order)
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
            deliverer.stop()
            if live_api is not None and hasattr(live_api, "halt"):
                live_api.halt()  # the live feed waits on the loop: wake it to end
            if presses > 1 and task is not None:
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
        with asyncio.Runner(loop_factory=event_loop_factory()) as loop_runner, frozen_heap():
            result = loop_runner.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        # The deliverer has told the handlers of the requests it abandoned; it knows how far it got.
        result = delivering[0].cancelled_result() if delivering else replace(result, reason="interrupted")
    except OSError as exc:  # an output failed (disk full, unwritable path): stop and say so
        failure = exc
        result = RunResult(result.elapsed_s, True, "Active", 0, f"aborted: {exc}")
    finally:
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
    from simulator.servers.receiver import verdict_ok

    if result.interrupted and result.webhook_state == so.WebhookState.Active.name:
        return EXIT_TERMINATED if result.reason == TERMINATED_REASON else EXIT_INTERRUPTED
    if any(r.crossed for r in thresholds):
        return EXIT_FAILED
    if result.webhook_state != so.WebhookState.Active.name:
        return EXIT_FAILED
    if stats.metric("sent") > 0 and stats.metric("delivered") == 0:
        return EXIT_FAILED
    if tally is not None and not verdict_ok(tally):
        return EXIT_FAILED
    return EXIT_OK


def run_from_cli(config: RunConfig) -> int:
    """Run, print progress and the summary, write the reports; return the exit code."""
    if config.processes > 1:
        from simulator.engine.processes import run_sharded

        return run_sharded(config)
    return present(config, lambda console: run(config, console=console))


def present(config: RunConfig, produce: Any) -> int:
    """Produce an outcome with a console, write the reports, print the summary; return the exit code."""
    from rich.console import Console

    from simulator.report.writers import render_summary, write_reports

    console = Console(stderr=True)
    outcome: RunOutcome = produce(console)
    faults = outcome.faults
    write_reports(
        outcome.stats,
        outcome.thresholds,
        report=config.report,
        junit=config.junit,
        html=config.html,
        extra_cases=faults.junit_cases() if faults else (),
        extra_json=_extra_json(outcome),
    )
    # --quiet drops progress and tables, never a verdict: thresholds, faults and the receiver's line.
    render_summary(outcome.stats, outcome.thresholds, console, quiet=config.quiet)
    if outcome.faults is not None:
        for verdict in outcome.faults.verdicts.values():
            style = "green" if verdict.passed else "red"
            console.print(f"[{style}]{verdict.describe()}[/]")
    if outcome.receiver_tally is not None:
        _print_receiver(outcome.receiver_tally, console, table=not config.quiet)
    if config.record and not config.quiet:
        console.print(f"recording: {config.record}")
    hint = rejection_hint(outcome.stats, outcome.default_secret)
    if hint is not None:
        console.print(f"[red]{hint}[/]", soft_wrap=True)
    accepted = success_hint(outcome.stats, config.policy)
    if accepted is not None:
        console.print(f"[yellow]{accepted}[/]", soft_wrap=True, highlight=False)
    return outcome.exit_code


def _extra_json(outcome: RunOutcome) -> dict[str, Any] | None:
    """The JSON report's sections beyond the stats: fault verdicts, the built-in receiver's tally."""
    from simulator.servers.receiver import tally_summary

    extra: dict[str, Any] = {}
    if outcome.faults is not None:
        extra["fault_verdicts"] = outcome.faults.summary()
    if outcome.receiver_tally is not None:
        extra["receiver"] = tally_summary(outcome.receiver_tally)
    return extra or None


def _print_receiver(tally: Any, console: Any, *, table: bool = True) -> None:
    from rich.table import Table

    from simulator.servers.receiver import verdict_caveat, verdict_ok, verdict_table

    if table:
        figures = Table(title="built-in receiver's verdict", show_header=False, title_justify="left")
        for label, value in verdict_table(tally):
            figures.add_row(label, value)
        console.print(figures)
    unchecked = verdict_caveat(tally)
    console.print(
        f"[green]receiver: all requests verified{unchecked}[/]"
        if verdict_ok(tally)
        else f"[red]receiver: some requests failed verification{unchecked}[/]"
    )
