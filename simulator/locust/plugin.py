"""sosim inside Locust: custom arguments, each run's set-up on master and workers, the merged report.

Imported only by the shipped locustfile, after Locust has patched gevent; nothing else in
``simulator`` imports it. :func:`install` hooks one :class:`SosimPlugin` to Locust's events:

``init_command_line_parser``
    declares sosim's options: Locust accepts them, forwards them to the workers and shows them
    in its web UI (its ``--help`` is printed before any locustfile loads, so not there);
``init``
    checks them in every process that has them (a broken option is one ``sosim: error:`` line and
    exit code 2, from the master and from each ``--processes`` worker), and registers sosim's
    messages between master and workers;
``test_start``
    on the master (or a run without workers): plans the run (:class:`RunPlan`) into the options
    Locust forwards to the workers; on every process that runs users: prepares its players;
``report_to_master`` / ``worker_report``
    carry each worker's figures since its last report to the master, which merges them;
``test_stop``
    the master asks every worker to finish its sessions (within ``--stop-timeout``) and waits
    for their final figures, then writes one report for the cluster and keeps the exit code. A
    worker sends them once its users have stopped (a request in flight when Locust kills its
    user is counted as abandoned), with its attempt count, which the master checks its reports
    add up to;
``quitting``
    sets Locust's exit code from ``--fail-if``, the webhook's state and usage errors.

When one worker's webhook turns TooManyErrors, the master tells every worker to stop sending
and ends the run, as NetServer stops a webhook.
"""

from __future__ import annotations

import logging
import os
import sys
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any, Final

import gevent  # type: ignore[import-untyped]  # gevent ships no type hints; only sleep and spawn are used
from locust.env import Environment
from locust.event import EventHook, Events
from locust.rpc import Message
from locust.runners import (
    STATE_CLEANUP,
    STATE_RUNNING,
    STATE_SPAWNING,
    LocalRunner,
    MasterRunner,
    Runner,
    WorkerRunner,
)

from simulator.core.errors import SimulatorError, UsageError
from simulator.core.outcome import StateChange
from simulator.locust.options import (
    ArgumentParser,
    SosimOptions,
    add_arguments,
    given,
    parse_options,
    resolve_secret,
)
from simulator.locust.runners import (
    GeventClock,
    await_forked_workers,
    end_run,
    known_workers,
    worker_ids,
)
from simulator.locust.runtime import (
    LOCAL,
    Collecting,
    Outcome,
    Playing,
    RunPlan,
    prepare_play,
    read_scenario,
    write_reports,
)

__all__ = ["GeventClock", "SosimPlugin", "install", "plugin_for"]

log = logging.getLogger("sosim")

#: The attribute of Locust's parsed options that carries the run plan to the workers.
PLAN_ATTRIBUTE: Final = "sosim_run"
#: The key of sosim's figures in a worker's report to the master.
REPORT_KEY: Final = "sosim"
#: How long past ``--stop-timeout`` the master waits for the workers' final figures.
FINAL_GRACE_S: Final = 15.0
EXIT_USAGE: Final = 2

# Messages between master and workers (Locust's custom messages).
MSG_FINAL: Final = "sosim_final"  # worker -> master: the last figures of a run
MSG_ERROR: Final = "sosim_error"  # worker -> master: this worker cannot play the run
MSG_STATE: Final = "sosim_state"  # worker -> master: the webhook turned TooManyErrors here
MSG_STOP: Final = "sosim_stop"  # master -> worker: finish your sessions and send the final figures
MSG_DISABLE: Final = "sosim_disable"  # master -> worker: the webhook is TooManyErrors, stop sending

_PLUGINS: weakref.WeakKeyDictionary[Events, SosimPlugin] = weakref.WeakKeyDictionary()


def install(events: Events) -> SosimPlugin:
    """Hook sosim to Locust's ``events`` (once; a second call returns the same plugin)."""
    plugin = _PLUGINS.get(events)
    if plugin is None:
        plugin = _PLUGINS[events] = SosimPlugin(events)
    return plugin


def plugin_for(environment: Environment) -> SosimPlugin:
    """The plugin hooked to an environment's events; a clear error when the locustfile forgot it."""
    plugin = _PLUGINS.get(environment.events)
    if plugin is None:
        raise SimulatorError(
            "sosim is not installed on this Locust environment: use the shipped locustfile "
            '(locust -f "$(sosim locustfile)") or call simulator.locust.plugin.install(events)'
        )
    return plugin


class SosimPlugin:
    """sosim's state in one Locust process, and its event listeners."""

    def __init__(self, events: Events) -> None:
        """Listen to ``events``; nothing happens until Locust fires them."""
        self.playing: Playing | None = None  # this process runs users (a worker, or a run without workers)
        self.collecting: Collecting | None = None  # this process writes the report (master or local)
        self.exit_code: int | None = None
        self.interrupted = False
        self._disabled_sent = False
        self._environment: Environment | None = None
        self._refusals: list[str] = []  # workers that could not play this run, and why
        _listen(events.init_command_line_parser, self._on_parser)
        _listen(events.init, self._on_init)
        _listen(events.test_start, self._on_test_start)
        _listen(events.test_stop, self._on_test_stop)
        _listen(events.report_to_master, self._on_report_to_master)
        _listen(events.worker_report, self._on_worker_report)
        _listen(events.quitting, self._on_quitting)

    # --- options ----------------------------------------------------------------------

    def _on_parser(self, parser: ArgumentParser, **_: Any) -> None:
        add_arguments(parser)

    def _on_init(self, environment: Environment, runner: Runner | None = None, **_: Any) -> None:
        self._environment = environment
        if isinstance(runner, MasterRunner):
            runner.register_message(MSG_FINAL, self._on_final)
            runner.register_message(MSG_ERROR, self._on_worker_error)
            runner.register_message(MSG_STATE, self._on_worker_state)
        elif isinstance(runner, WorkerRunner):
            runner.register_message(MSG_STOP, self._on_stop_request)
            runner.register_message(MSG_DISABLE, self._on_disable)
        values = _values(environment)
        if isinstance(runner, WorkerRunner) and not given(values):
            return  # it takes the master's options when the run starts
        try:
            self._check_at_start(environment, values, runner)
        except SimulatorError as exc:
            where = f" on worker {runner.worker_index}" if isinstance(runner, WorkerRunner) else ""
            _say_error(f"{exc}", where)
            if isinstance(runner, MasterRunner) and values.get("processes"):
                await_forked_workers(runner, int(values["processes"]))
            raise SystemExit(EXIT_USAGE) from None
        if not isinstance(runner, WorkerRunner) and not environment.stop_timeout:
            log.warning(
                "--stop-timeout is 0, so Locust cuts chat sessions short when the run ends; "
                "add e.g. --stop-timeout 30s to let every session finish"
            )

    def _check_at_start(
        self, environment: Environment, values: Mapping[str, Any], runner: Runner | None
    ) -> None:
        # Without --headless or --autostart, the web UI's form may still bring the scenario and host.
        automatic = bool(values.get("headless") or values.get("autostart"))
        options = parse_options(values, scenario_required=automatic)
        if options.scenario:
            read_scenario(options.scenario)
        if automatic and not isinstance(runner, WorkerRunner) and not environment.host:
            raise UsageError("--host is required: the webhook URL, e.g. --host http://receiver:8000/hook")
        forked_workers = isinstance(runner, MasterRunner) and bool(values.get("processes"))
        if not isinstance(runner, MasterRunner) or forked_workers:
            resolve_secret(options)  # this process signs, or its forked workers share its environment
        elif options.secret_env is not None and options.secret_env not in os.environ:
            log.warning(
                "%s is not set on the master; that is fine as long as every worker has it",
                options.secret_env,
            )

    # --- run start --------------------------------------------------------------------

    def _on_test_start(self, environment: Environment, **_: Any) -> None:
        runner = environment.runner
        self.interrupted = False
        self._disabled_sent = False
        self._refusals.clear()
        if isinstance(runner, WorkerRunner):
            self._start_worker(environment, runner)
        elif runner is not None:
            self._start_master(environment, runner)

    def _start_master(self, environment: Environment, runner: Runner) -> None:
        self.collecting = None
        try:
            options = parse_options(_values(environment))
            text, scenario = read_scenario(options.scenario)
        except SimulatorError as exc:
            log.error("error: %s", exc)
            self.exit_code = EXIT_USAGE
            end_run(environment)
            return
        clients = worker_ids(runner) if isinstance(runner, MasterRunner) else [LOCAL]
        plan = RunPlan.create(
            options.scenario, text, scenario, clients, runner.target_user_count, time.time()
        )
        setattr(environment.parsed_options, PLAN_ATTRIBUTE, plan.to_wire())
        self.collecting = Collecting.start(plan, options, scenario, environment.host or "", time.monotonic())
        self.exit_code = None
        layout = plan.layout
        log.info(
            "%s on %d worker(s), %d users, %s, session indexes k*%d + lane%s",
            scenario.name,
            layout.workers,
            plan.users,
            options.timing,
            layout.stride,
            f" below {layout.limit}" if layout.limit is not None else "",
        )
        if isinstance(runner, LocalRunner):
            try:
                self._start_playing(plan, options, LOCAL)
            except SimulatorError as exc:
                log.error("error: %s", exc)
                self.exit_code = EXIT_USAGE
                end_run(environment)

    def _start_worker(self, environment: Environment, runner: WorkerRunner) -> None:
        self.playing = None
        values = _values(environment)
        try:
            options = parse_options(values)
            plan = RunPlan.from_wire(values.get(PLAN_ATTRIBUTE))
            self._start_playing(plan, options, runner.client_id)
        except SimulatorError as exc:
            message = str(exc)
            log.error("error: %s", message)
            self.exit_code = EXIT_USAGE
            runner.send_message(MSG_ERROR, {"message": message, "index": runner.worker_index})

    def _start_playing(self, plan: RunPlan, options: SosimOptions, client_id: str) -> None:
        playing = prepare_play(plan, options, client_id, GeventClock(plan.t0), self._on_state_change)
        self.playing = playing
        if playing.lanes is None:
            log.warning("this worker joined after the run started, so it has no shard and plays nothing")

    # --- during the run ---------------------------------------------------------------

    def _on_report_to_master(self, client_id: str, data: dict[str, Any], **_: Any) -> None:
        playing = self.playing
        if playing is None or playing.final_sent:
            return
        figures = playing.recorder.take()
        if figures is not None:
            data[REPORT_KEY] = {"run": playing.plan.run_id, "figures": figures}

    def _on_worker_report(self, client_id: str, data: dict[str, Any], **_: Any) -> None:
        report = data.get(REPORT_KEY)
        if report:
            self._merge(client_id, report["run"], report["figures"])

    def _merge(self, client_id: str, run_id: str, figures: dict[str, Any] | None) -> bool:
        collecting = self.collecting
        if collecting is None or collecting.outcome is not None or collecting.plan.run_id != run_id:
            return False
        if figures is not None:
            try:
                collecting.merge(client_id, figures)
            except (ValueError, KeyError, TypeError) as exc:
                log.error("error: figures from worker %s could not be merged: %s", client_id, exc)
                self.exit_code = EXIT_USAGE
        return True

    def _on_state_change(self, change: StateChange) -> None:
        """This process's webhook turned TooManyErrors: stop everywhere, as NetServer would."""
        environment = self._environment
        log.error("the webhook turned %s: %s", change.state, change.reason)
        if environment is None:
            return
        runner = environment.runner
        if isinstance(runner, WorkerRunner) and self.playing is not None:
            runner.send_message(MSG_STATE, {"run": self.playing.plan.run_id, "reason": change.reason})
        else:
            end_run(environment)

    def _on_worker_state(self, environment: Environment, msg: Message, **_: Any) -> None:
        runner = environment.runner
        if self._disabled_sent or not isinstance(runner, MasterRunner):
            return
        self._disabled_sent = True
        reason = str((msg.data or {}).get("reason", ""))
        log.error("the webhook turned TooManyErrors on worker %s (%s); stopping the run", msg.node_id, reason)
        runner.send_message(MSG_DISABLE, {"reason": reason})
        end_run(environment)

    def _on_disable(self, environment: Environment, msg: Message, **_: Any) -> None:
        if self.playing is not None:
            self.playing.gate.disable(str((msg.data or {}).get("reason", "")))

    def _on_worker_error(self, environment: Environment, msg: Message, **_: Any) -> None:
        data = msg.data or {}
        refusal = f"worker {data.get('index', msg.node_id)}: {data.get('message', '')}"
        log.error("error on %s", refusal)
        self._refusals.append(refusal)
        self.exit_code = EXIT_USAGE
        end_run(environment)

    # --- run end ----------------------------------------------------------------------

    def _on_test_stop(self, environment: Environment, **_: Any) -> None:
        runner = environment.runner
        if isinstance(runner, WorkerRunner):
            self._send_final(runner)
        elif isinstance(runner, MasterRunner):
            self._finish_master(environment, runner)
        elif runner is not None:
            self._finish_local()

    def _send_final(self, runner: WorkerRunner) -> None:
        playing = self.playing
        if playing is None or playing.final_sent:
            return
        playing.final_sent = True
        # Sent once this process's users have stopped (test_stop comes after Locust has waited for
        # them, or killed them: an attempt in flight then is recorded as abandoned), so nothing is
        # recorded after it. "attempts" lets the master check that every report arrived.
        recorder = playing.recorder
        figures = recorder.take(final=True)
        runner.send_message(
            MSG_FINAL, {"run": playing.plan.run_id, "figures": figures, "attempts": recorder.attempts}
        )
        log.info("sent the final figures of slot %s (%d attempts)", playing.slot, playing.recorder.attempts)

    def _on_stop_request(self, environment: Environment, msg: Message, **_: Any) -> None:
        # Finishing the sessions takes up to --stop-timeout, and meanwhile the worker must go on
        # handling the master's messages: stop from a greenlet of its own.
        gevent.spawn(self._stop_and_report, environment, str((msg.data or {}).get("run", "")))

    def _stop_and_report(self, environment: Environment, run_id: str) -> None:
        runner = environment.runner
        if not isinstance(runner, WorkerRunner):
            return
        playing = self.playing
        if playing is None or playing.plan.run_id != run_id:
            runner.send_message(MSG_FINAL, {"run": run_id, "figures": None})
        elif playing.final_sent:
            return  # the master has it already
        elif runner.state in (STATE_RUNNING, STATE_SPAWNING):
            runner.stop()  # lets users finish their sessions; test_stop sends the final figures
        elif runner.state != STATE_CLEANUP:
            self._send_final(runner)
        # STATE_CLEANUP: a stop is under way in another greenlet; its test_stop sends the final figures.

    def _on_final(self, environment: Environment, msg: Message, **_: Any) -> None:
        data = msg.data or {}
        collecting = self.collecting
        if self._merge(msg.node_id, data.get("run", ""), data.get("figures")) and collecting is not None:
            attempts = data.get("attempts")
            collecting.final(msg.node_id, int(attempts) if attempts is not None else None)

    def _finish_master(self, environment: Environment, runner: MasterRunner) -> None:
        collecting = self.collecting
        if collecting is None or collecting.finishing:
            return
        collecting.finishing = True
        for client_id in collecting.missing:
            runner.send_message(MSG_STOP, {"run": collecting.plan.run_id}, client_id=client_id)
        # Every worker still known gets the whole wait, even one that missed a heartbeat or two
        # under load: leaving early would lose its last figures. Only a worker that has left
        # (it quit, or went missing for good) is given up on before the deadline.
        deadline = time.monotonic() + environment.stop_timeout + FINAL_GRACE_S
        while collecting.missing & known_workers(runner) and time.monotonic() < deadline:
            gevent.sleep(0.05)
        if collecting.missing:
            log.warning(
                "no final figures from %s; the report misses what they sent last",
                ", ".join(sorted(collecting.missing)),
            )
        for client, (made, counted) in collecting.unaccounted().items():
            log.warning("worker %s made %d attempts, but its reports hold %d", client, made, counted)
        self._conclude(collecting)

    def _finish_local(self) -> None:
        collecting, playing = self.collecting, self.playing
        if collecting is None or collecting.finishing:
            return
        collecting.finishing = True
        if playing is not None and not playing.final_sent:
            playing.final_sent = True
            self._merge(LOCAL, collecting.plan.run_id, playing.recorder.take(final=True))
        self._conclude(collecting)

    def _conclude(self, collecting: Collecting) -> None:
        outcome = collecting.finish(time.monotonic() - collecting.started, interrupted=self.interrupted)
        code = max(outcome.exit_code, self.exit_code or 0)
        try:
            write_reports(outcome, collecting.options)
        except OSError as exc:
            log.error("error: cannot write a report: %s", exc)
            code = EXIT_USAGE
        self.exit_code = code
        _print_summary(outcome, code, self._refusals)

    def _on_quitting(self, environment: Environment, **_: Any) -> None:
        runner = environment.runner
        collecting = self.collecting
        if collecting is not None and not collecting.finishing:
            # Ctrl-C: Locust quits before it stops the run. Stop it now, so the report is whole.
            self.interrupted = True
            if isinstance(runner, MasterRunner):
                self._finish_master(environment, runner)
            elif runner is not None:
                runner.stop()
                self._finish_local()
        deadline = time.monotonic() + environment.stop_timeout + FINAL_GRACE_S
        while collecting is not None and collecting.outcome is None and time.monotonic() < deadline:
            gevent.sleep(0.05)  # another greenlet is finishing the run; its verdict sets the exit code
        if self.exit_code is not None:
            environment.process_exit_code = self.exit_code


def _listen(hook: EventHook, listener: Callable[..., None]) -> None:
    hook.add_listener(listener)  # type: ignore[no-untyped-call]  # Locust leaves add_listener unannotated


def _values(environment: Environment) -> dict[str, Any]:
    options = environment.parsed_options
    return dict(vars(options)) if options is not None else {}


def _say_error(message: str, where: str = "") -> None:
    """A broken option at start: one clear line, never a traceback (the caller exits with 2)."""
    sys.stderr.write(f"sosim: error{where}: {message}\n")
    sys.stderr.flush()


def _print_summary(outcome: Outcome, code: int, refusals: list[str]) -> None:
    """The end-of-run summary on the master, as ``sosim run`` prints it, and the exit code."""
    from rich.markup import escape

    from simulator.report.console import StderrConsole
    from simulator.report.writers import render_summary

    console = StderrConsole()
    render_summary(outcome.stats, outcome.thresholds, console)
    for refusal in refusals:
        console.print(f"sosim: the run could not play on {escape(refusal)}", style="bold red")
    for path in outcome.written:
        console.print(f"sosim: wrote {escape(path)}")
    console.print(f"sosim: exit code {code}")
