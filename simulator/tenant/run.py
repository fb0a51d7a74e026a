"""``sosim tenant`` as a library: sosim plays a SuperOffice tenant that apps register webhooks with.

A real app registers its own webhook on install (``POST /api/v1/Webhook``), NetServer pings it
with a ``test`` event, and from then on every event goes to every Active webhook subscribed to
it, signed with that webhook's secret. :class:`Tenant` is that tenant on 127.0.0.1:

* the mock chat REST API plus the Webhook endpoints (:mod:`simulator.tenant.api`), served by
  :class:`~simulator.mockapi.server.ApiServerThread`;
* the fan-out (:mod:`simulator.tenant.fanout`) on its own event loop in a background thread;
* the scenario, played once ``wait_for_webhooks`` webhooks are registered.

``run_tenant(config)`` is the whole command; ``with Tenant(config) as tenant: tenant.play()`` is
the same from a test, with ``tenant.api_root`` to register against.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import heapq
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from simulator import __version__
from simulator.core.errors import SimulatorError
from simulator.core.events import Event
from simulator.core.outcome import Handler, RunInfo, RunResult, call_finish
from simulator.core.urls import mask_url
from simulator.delivery.clock import Clock, MonotonicClock, sleep_until_or
from simulator.delivery.eventloop import event_loop_factory
from simulator.delivery.signals import signals_noted
from simulator.report.stats import RunStats
from simulator.servers.thread import LoopThread
from simulator.superoffice import facts as so
from simulator.tenant.api import ApiSettings, HttpPinger, Pinger, TenantApi, WebhookEndpoints
from simulator.tenant.config import RotateSpec, TenantConfig, scenario_rotations
from simulator.tenant.fanout import Fanout, FanoutSettings
from simulator.tenant.registry import Change, Registry
from simulator.tenant.report import TenantOutcome, exit_code, tenant_section

if TYPE_CHECKING:
    from simulator.core.scenario_model import Scenario
    from simulator.core.schedule import Timed
    from simulator.mockapi.server import ApiServerThread

__all__ = ["Tenant", "TenantConfig", "TenantOutcome", "run_tenant"]

#: Events published in a row without waiting before the player lets the deliverers run.
_YIELD_EVERY = 64
#: How long an API write waits at most for the delivery loop to follow it (a loop that is
#: shutting down must not hang the API).
_SETTLE_TIMEOUT_S = 10.0


class _Due(NamedTuple):
    due_s: float
    scenario: str
    event: Event


class Tenant:
    """sosim as a SuperOffice tenant: serve the API, accept registrations, fan the scenario out."""

    def __init__(
        self,
        config: TenantConfig,
        *,
        scenarios: Sequence[Scenario] | None = None,
        pinger: Pinger | None = None,
        clock: Clock | None = None,
        handlers: Sequence[Handler] = (),
    ) -> None:
        """Prepare a tenant; nothing listens until ``start`` (or ``with``).

        ``scenarios`` replaces loading ``config.scenarios`` (inline scenarios in tests); ``pinger``
        replaces the HTTP registration ping; ``handlers`` see every attempt and state change.
        """
        from simulator.engine.run import new_run_id

        self.config = config
        #: Mixed into the EventIds so each run sends fresh ones; None with --deterministic-ids.
        self.run_id: str | None = None if config.deterministic_ids else new_run_id()
        self.registry = Registry()
        self.stats = RunStats(config.thresholds)
        self.handlers: list[Handler] = [self.stats, *handlers]
        self.clock = clock or MonotonicClock()
        self.scenarios: list[Scenario] = list(scenarios or ())
        self._pinger = pinger
        self._own_pinger: HttpPinger | None = None
        self._loop_thread: LoopThread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop thread's, for hand-offs
        self._fanout: Fanout | None = None
        self._server: ApiServerThread | None = None
        self._stop: asyncio.Event | None = None
        self._stopping = False
        self.play_started_s: float | None = None

    # -- lifetime --------------------------------------------------------------------------

    def start(self) -> Tenant:
        """Load the scenarios, start the delivery loop and serve the API; return once it listens."""
        from simulator.core.scenario import load_scenarios, webhook_for
        from simulator.mockapi.server import ApiServerThread
        from simulator.mockapi.state import ChatState, MockApiOptions

        config = self.config
        if not self.scenarios:
            self.scenarios = load_scenarios(list(config.scenarios))
        config.check_bounded(self.scenarios)
        renders = {s.name: webhook_for(s) for s in self.scenarios}
        base = renders[self.scenarios[0].name]
        state = ChatState()
        for scenario in self.scenarios:
            state.add_scenario(scenario, seed=config.seed)
        pinger = self._pinger
        if pinger is None:
            pinger = self._own_pinger = HttpPinger(config.ping_timeout_s, verify=config.verify_tls)
        endpoints = WebhookEndpoints(
            self.registry,
            base,
            pinger=pinger,
            settings=ApiSettings(
                config.allow_http,
                config.ping_on,
                config.policy.success_statuses,
                config.test_associate_id,
                properties_in_body=config.properties_in_body,
                app_scoping=config.app_scoping,
                restricted_tokens=frozenset(config.restricted_tokens),
            ),
            signal=self._signal,
            settle=self._settle,
        )
        tokens = frozenset(config.tokens) if config.tokens else None
        self.api = TenantApi(endpoints, state=state, options=MockApiOptions(tokens=tokens))
        self._start_loop()
        self._fanout = self._call(self._make_fanout(base, renders))
        self.registry.subscribe(self._follow)
        try:
            self._server = ApiServerThread(self.api, config.host, config.port).start()
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        """Stop serving and end the delivery loop (after ``play``, or instead of it)."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        loop_thread = self._loop_thread
        if loop_thread is not None:
            if self._fanout is not None:
                with contextlib.suppress(Exception):
                    self._call(self._fanout.close(0.0), timeout_s=5.0)
            self._loop_thread = None
            loop_thread.stop(cancel=True)
        if self._own_pinger is not None:
            self._own_pinger.close()

    def __enter__(self) -> Tenant:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def url(self) -> str:
        """The API server's root URL, e.g. ``http://127.0.0.1:8765``."""
        if self._server is None:
            raise RuntimeError("the tenant is not started")
        return self._server.url

    @property
    def api_root(self) -> str:
        """The API base an app uses: ``{url}/{ContextIdentifier}/api/v1``."""
        return f"{self.url}/{self.scenarios[0].webhook.context_identifier}/api/v1"

    @property
    def fanout(self) -> Fanout:
        """The delivery side (for tests: its hooks, their stats)."""
        if self._fanout is None:
            raise RuntimeError("the tenant is not started")
        return self._fanout

    def wait_for_webhooks(self, count: int, timeout_s: float) -> bool:
        """Block until ``count`` webhooks are registered (for tests that register themselves)."""
        return self.registry.wait_for(count, timeout_s)

    # -- playing ---------------------------------------------------------------------------

    def play(self, before: Callable[[], None] | None = None) -> TenantOutcome:
        """Wait for the registrations, play the scenarios, drain, and return the outcome (blocking).

        ``before`` runs first (the command's banner). Ctrl-C stops the run and still returns an
        outcome, marked interrupted; a second Ctrl-C abandons the requests in flight.
        """
        assert self._loop_thread is not None
        result = RunResult(0.0, True, so.WebhookState.Active.name, 0, "interrupted")
        messages: list[str] = []
        future: concurrent.futures.Future[RunResult] | None = None
        noted: list[int] = []
        try:
            # Until the play is handed to the loop thread, Ctrl-C and SIGTERM are only noted: one
            # that came while the banner printed or the play was being handed over (the GIL goes
            # to the loop thread there) escaped before this try, and the report went unwritten.
            with signals_noted(noted.append):
                if before is not None:
                    before()
                future = self._loop_thread.submit(self._main())
            if noted:
                raise KeyboardInterrupt
            result = _wait(future, None)
        except KeyboardInterrupt:
            self.stop()
            with contextlib.suppress(KeyboardInterrupt, TimeoutError, concurrent.futures.CancelledError):
                if future is not None:
                    result = _wait(future, self.config.drain_timeout_s + 5.0)
        finally:
            # A further Ctrl-C or SIGTERM while the reports are written is only noted, as in a run:
            # each output is written whole (the play has already stopped).
            with signals_noted(noted.append):
                call_finish(self.handlers, result, lambda exc: messages.append(f"an output failed: {exc}"))
        return self._outcome(result, messages)

    def stop(self) -> None:
        """Stop playing and sending (thread-safe); ``play`` returns soon after."""
        self._stopping = True
        loop = self._loop
        if loop is not None and self._stop is not None:
            loop.call_soon_threadsafe(self._stop_now)

    def _stop_now(self) -> None:
        assert self._stop is not None
        self._stop.set()
        self.fanout.stop()

    async def _main(self) -> RunResult:
        config, fanout = self.config, self.fanout
        if not await self._wait_for_registrations():
            if self._stopping:
                return RunResult(fanout.now_s(), True, so.WebhookState.Active.name, 0, "interrupted")
            raise SimulatorError(
                f"{len(self.registry)} of {config.wait_for_webhooks} webhooks registered within "
                f"{config.wait_timeout_s:g} s: register with POST {self.api_root}/Webhook"
            )
        self.play_started_s = fanout.now_s()
        self._start_handlers()
        rotations = asyncio.ensure_future(
            self._rotate([*config.rotations, *scenario_rotations(self.scenarios)])
        )
        copies = 0
        try:
            copies = await self._play(self._timeline(datetime.now(UTC)))
        finally:
            rotations.cancel()
            await fanout.close(None if self._stopping else config.drain_timeout_s)
        return self._result(copies)

    async def _wait_for_registrations(self) -> bool:
        assert self._stop is not None
        waiting = asyncio.ensure_future(
            self.fanout.wait_for(self.config.wait_for_webhooks, self.config.wait_timeout_s)
        )
        stopping = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait((waiting, stopping), return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not waiting.done():
            waiting.cancel()
            return False
        return bool(waiting.result())

    async def _play(self, timeline: Iterable[_Due]) -> int:
        fanout, offset = self.fanout, self.play_started_s or 0.0
        copies = 0
        quick = 0
        for due in timeline:
            deadline = fanout.origin + offset + due.due_s
            if deadline > self.clock.now():
                await self._sleep_or_stop(deadline)
                quick = 0
            else:
                quick += 1
                if quick % _YIELD_EVERY == 0:
                    await asyncio.sleep(0)
            if self._stopping:
                break
            self.api.state.announce(due.event)  # the CRM changes first, then its webhooks fire
            copies += fanout.publish_event(due.event, due.scenario, offset + due.due_s)
        return copies

    async def _rotate(self, rotations: Sequence[RotateSpec]) -> None:
        offset = self.play_started_s or 0.0
        for spec in sorted(rotations, key=lambda r: r.at_s):
            await self._sleep_or_stop(self.fanout.origin + offset + spec.at_s)
            if self._stopping:
                return
            for webhook in self.registry.all():
                if spec.applies_to(webhook.webhook_id, webhook.name):
                    self.registry.rotate_secret(webhook.webhook_id, spec.secret, "schedule")

    async def _sleep_or_stop(self, deadline: float) -> None:
        assert self._stop is not None
        await sleep_until_or(self.clock, deadline, self._stop)

    def _timeline(self, now: datetime) -> Iterator[_Due]:
        """Every scenario's events in due order, retimed by --speed or --rate."""
        from simulator.core.generate import timeline
        from simulator.core.plan import PlanOptions, adjust

        config = self.config
        options = PlanOptions(sessions=config.sessions, duration_s=config.duration_s)
        scale = 1.0 / config.speed if config.speed and not config.rate else 1.0
        streams = []
        for scenario in self.scenarios:
            events = timeline(
                adjust(scenario, options),
                seed=config.seed,
                start=None if config.scenario_time else now,
                time_scale=scale,
                run_id=self.run_id,
            )
            streams.append(_labelled(scenario.name, events))
        merged = streams[0] if len(streams) == 1 else heapq.merge(*streams, key=lambda d: d.due_s)
        for index, due in enumerate(merged):
            if config.rate:
                yield due._replace(due_s=index / config.rate)
            elif config.speed:
                yield due._replace(due_s=due.due_s / config.speed)
            else:
                yield due

    # -- results ---------------------------------------------------------------------------

    def _result(self, copies: int) -> RunResult:
        fanout = self.fanout
        hooks = [*fanout.hooks.values(), *fanout.gone]
        too_many = so.WebhookState.TooManyErrors
        disabled = [h.definition.label for h in fanout.hooks.values() if h.definition.state is too_many]
        reason = "interrupted" if self._stopping else ""
        if disabled:
            reason = f"TooManyErrors at the end: {', '.join(disabled)}"
        elif copies == 0 and not self._stopping:
            reason = "no registered webhook subscribed to the scenario's events"
        return RunResult(
            elapsed_s=fanout.now_s(),
            interrupted=self._stopping,
            webhook_state=so.WebhookState.TooManyErrors.name if disabled else so.WebhookState.Active.name,
            planned=sum(h.published for h in hooks),
            reason=reason,
            unsent=sum(h.result.unsent for h in hooks if h.result is not None),
        )

    def _outcome(self, result: RunResult, messages: list[str]) -> TenantOutcome:
        fanout = self.fanout
        hooks = [*fanout.hooks.values(), *fanout.gone]
        thresholds = self.stats.evaluate_thresholds()
        section = tenant_section(
            self.url if self._server else "", self.play_started_s, hooks, self.registry, fanout.rotations
        )
        return TenantOutcome(
            self.stats,
            thresholds,
            result,
            exit_code(self.stats, thresholds, result),
            section,
            hooks,
            messages,
        )

    def _start_handlers(self) -> None:
        config = self.config
        info = RunInfo(
            command="tenant",
            scenarios=config.scenarios or tuple(s.name for s in self.scenarios),
            seed=config.seed if config.seed is not None else self.scenarios[0].seed,
            target=f"{self.url} ({len(self.registry)} webhooks registered)",
            started_at=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            timing=config.timing_label(),
            delivery=config.policy.name,
            concurrency=config.concurrency,
            sosim_version=__version__,
            signed=any(w.secret for w in self.registry.all()),
            extra={"api": self.api_root, "play_started_s": f"{self.play_started_s or 0.0:.3f}"},
            run_id=self.run_id,
        )
        for handler in self.handlers:
            handler.start(info)

    # -- the loop thread -------------------------------------------------------------------

    def _start_loop(self) -> None:
        self._loop_thread = LoopThread(name="sosim-tenant", loop_factory=event_loop_factory()).start()
        self._loop = self._loop_thread.loop

    async def _make_fanout(self, base: Any, renders: Mapping[str, Any]) -> Fanout:
        config = self.config
        self._stop = asyncio.Event()
        settings = FanoutSettings(
            policy=config.policy,
            concurrency=config.concurrency,
            timeout_s=config.timeout_s,
            engine=config.engine,
            verify_tls=config.verify_tls,
            while_inactive=config.while_inactive,
            rotation=config.rotation,
            max_queue=config.max_queue,
            state_numbering=config.state_numbering,
            properties_in_body=config.properties_in_body,
        )
        return Fanout(
            self.registry,
            settings,
            base_webhook=base,
            scenario_webhooks=renders,
            handlers=self.handlers,
            clock=self.clock,
            origin=self.clock.now(),
        )

    def _call(self, coroutine: Any, timeout_s: float | None = None) -> Any:
        """Run a coroutine on the tenant's loop and wait for its result."""
        assert self._loop_thread is not None
        return _wait(self._loop_thread.submit(coroutine), timeout_s)

    def _follow(self, change: Change) -> None:
        """Hand a registry change to the fan-out on its loop (called under the registry's lock)."""
        if self._loop is not None and self._fanout is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing follows any more
                self._loop.call_soon_threadsafe(self._fanout.apply, change)

    def _settle(self) -> None:
        """Return once the fan-out has followed every registry change made so far (from the API's
        threads): the changes are handed on in order with ``call_soon_threadsafe``, so a callback
        queued after them runs after them."""
        loop = self._loop
        if loop is None or _running_loop() is loop or not loop.is_running():
            return
        followed = threading.Event()
        try:
            loop.call_soon_threadsafe(followed.set)
        except RuntimeError:  # the loop has closed: nothing follows any more
            return
        followed.wait(_SETTLE_TIMEOUT_S)

    def _signal(self, event_name: str, primary_key: int, data: Mapping[str, Any] | None) -> None:
        if self._loop is not None and self._fanout is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._fanout.signal, event_name, primary_key, data)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _wait(future: concurrent.futures.Future[Any], timeout_s: float | None) -> Any:
    """Wait for a future of the tenant's loop in short steps, so Ctrl-C gets through."""
    waited = 0.0
    while True:
        try:
            return future.result(timeout=0.2)
        except concurrent.futures.TimeoutError:
            waited += 0.2
            if timeout_s is not None and waited >= timeout_s:
                future.cancel()
                raise TimeoutError("the tenant's event loop did not finish in time") from None


def _labelled(scenario: str, events: Iterable[Timed]) -> Iterator[_Due]:
    for timed in events:
        yield _Due(timed.due_s, scenario, timed.event)


def run_tenant(
    config: TenantConfig, *, console: Any = None, handlers: Sequence[Handler] = ()
) -> TenantOutcome:
    """The whole ``sosim tenant``: serve, wait for registrations, play, drain; return the outcome."""
    with Tenant(config, handlers=handlers) as tenant:

        def banner() -> None:
            console.print(f"sosim tenant: SuperOffice API on {tenant.api_root}")
            console.print(wait_banner(config.wait_for_webhooks, tenant.api_root))
            tenant.registry.subscribe(lambda change: _echo_change(console, change))

        # A Ctrl-C or SIGTERM during the banner stops the play at once; reports are still written.
        return tenant.play(before=banner if console is not None and not config.quiet else None)


def wait_banner(count: int, api_root: str) -> str:
    """The line that tells the user how to register: the count awaited, or that play starts now."""
    how = f"POST {api_root}/Webhook with Authorization: Bearer <any token>"
    if count == 0:
        return f"  playing at once (--wait-for-webhooks 0); to register a webhook: {how}"
    return f"  waiting for {count} webhook(s): {how}"


def _echo_change(console: Any, change: Change) -> None:
    webhook = change.webhook
    if change.kind == "created":
        target = mask_url(webhook.target_url or "")
        console.print(f"  registered {webhook.label} -> {target} ({', '.join(webhook.events)})")
    elif change.kind == "deleted":
        console.print(f"  deleted {webhook.label}")
    elif change.state_changed:
        console.print(f"  {webhook.label} is now {webhook.state.name} ({change.reason})")
