"""What the ``sosim`` commands share: error handling, and the option groups of run, replay and
tenant (secret, timing, report, delivery), each defined once."""

from __future__ import annotations

import contextlib
import gc
import inspect
import os
import signal
import sys
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import click

from simulator.cli.types import (
    DURATION,
    DURATIONS,
    EXPECTATION,
    FAULT,
    POSITIVE_DURATION,
    PROCESSES,
    RATE,
    STATUS_SET,
    THRESHOLD,
    OptionValueError,
    shown_duration,
)
from simulator.core.defaults import CONCURRENCY, TIMEOUT_S
from simulator.core.errors import SimulatorError
from simulator.core.urls import mask_urls_in

EXIT_USAGE = 2
#: A reader of sosim's output left (``sosim generate -o - | head``): the code of a Unix tool ended
#: by SIGPIPE, 128 + 13, as a shell reports it. Not click's 1, which in sosim is a verdict.
EXIT_BROKEN_PIPE = 128 + signal.SIGPIPE


#: Where a command's docstring starts the part its --help shows last (examples, exit codes).
EXAMPLES_MARK = "\b\nExamples:"


class ExamplesLast(click.Command):
    """A command whose ``--help`` ends with its docstring's examples (and what follows them), after
    the options, where a reader looks for them; the docs (mkdocs-click) keep the docstring whole."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The docstring up to its examples."""
        whole = self.help
        self.help = _split_examples(whole)[0] or None
        try:
            super().format_help_text(ctx, formatter)
        finally:
            self.help = whole

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The examples and what follows them, then any epilog."""
        examples = _split_examples(self.help)[1]
        if examples:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(examples)
        super().format_epilog(ctx, formatter)


def _split_examples(help_text: str | None) -> tuple[str, str]:
    """A docstring as (what comes before its examples, the examples and what follows them)."""
    head, mark, examples = inspect.cleandoc(help_text or "").partition(EXAMPLES_MARK)
    return head.rstrip(), mark + examples if mark else ""


class SosimGroup(click.Group):
    """Turns every SimulatorError into one line on stderr and exit code 2, never a traceback, and
    a reader of the output that left into exit code 141, without a word."""

    command_class = ExamplesLast

    def main(self, *args: Any, **kwargs: Any) -> Any:
        """Run the command line with a stderr that falls silent when its reader leaves."""
        from simulator.cli.streams import quiet_stderr

        with quiet_stderr():
            return super().main(*args, **kwargs)

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        """Parse the command line: ``sosim --help | head`` ends as a closed pipe should, and a bad
        option of the group itself is one line, as a subcommand's is."""
        with _quiet_when_the_reader_leaves(), _usage_errors_on_one_line():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command, translating sosim's errors and a reader of its output that left."""
        with _quiet_when_the_reader_leaves(), _usage_errors_on_one_line():
            return self._invoke_translated(ctx)

    def _invoke_translated(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OptionValueError as exc:  # click names the option; sosim keeps its one-line form
            fail(mask_urls_in(exc.one_line()))
        except SimulatorError as exc:
            fail(mask_urls_in(describe_error(exc)))  # a URL quoted in an error never shows its credentials
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)


#: Click 8.2+ raises this (a UsageError) for a group called without a command: it shows the help.
_NO_ARGS_IS_HELP: tuple[type[BaseException], ...] = tuple(
    filter(None, [getattr(click.exceptions, "NoArgsIsHelpError", None)])
)


@contextlib.contextmanager
def _usage_errors_on_one_line() -> Iterator[None]:
    """Click's own checks (a range, a missing option, an unknown command) as one ``sosim: error:``
    line, not its usage block; a bare ``sosim`` still gets click's help."""
    try:
        yield
    except _NO_ARGS_IS_HELP:
        raise
    except click.UsageError as exc:
        fail(mask_urls_in(usage_line(exc)))


@contextlib.contextmanager
def _quiet_when_the_reader_leaves() -> Iterator[None]:
    """A BrokenPipeError from stdout or stderr ends the command silently with EXIT_BROKEN_PIPE
    (click would exit 1 and rich too, which in sosim is a verdict)."""
    from simulator.cli.streams import broken_fds, point_at_devnull

    try:
        yield
    except BrokenPipeError as exc:
        broken = broken_fds((sys.stdout, sys.stderr))
        if not broken:
            # A socket's EPIPE that escaped: a bug to see (click would exit 1 without a word).
            raise RuntimeError("a broken pipe that is not sosim's output") from exc
        for fd in broken:  # only those: what the other stream still holds is written
            point_at_devnull(fd)
        sys.exit(EXIT_BROKEN_PIPE)


@contextlib.contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """Within the block, SIGTERM (and a SIGINT that a script's ``&`` left ignored) stops the
    command as Ctrl-C does: a KeyboardInterrupt in the main thread, so servers close cleanly."""

    from simulator.delivery.signals import Handler, handlers_set

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    taken: dict[int, Handler] = {}
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        taken[signal.SIGTERM] = interrupt
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        taken[signal.SIGINT] = signal.default_int_handler
    with handlers_set(taken):
        yield


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Within the block, no garbage collection: importing the scenario schema and its YAML reader
    allocates objects that live as long as the process, and collecting while they are built
    costs start-up time for nothing."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


#: The options whose config field has another name; any other field ``x_y`` is ``--x-y``.
FLAG_OF_FIELD: dict[str, str] = {
    "thresholds": "--fail-if",
    "faults": "--fault",
    "expectations": "--expect",
    "rotations": "--rotate-secret",
    "success_statuses": "--success",
    "secret": "--secret/--secret-env/--secret-file",
}


def flag_of(field: str) -> str:
    """The command-line option that sets a config field: ``thresholds`` -> ``--fail-if``."""
    return FLAG_OF_FIELD.get(field) or "--" + field.removesuffix("_s").replace("_", "-")


def describe_error(exc: SimulatorError) -> str:
    """A library error in the CLI's words: the option it names instead of the config field."""
    if exc.option is None:
        return str(exc)
    message = exc.describe(flag_of(exc.option))
    if getattr(exc, "skippable", False):  # a preflight failure: the check can be turned off
        message += " (pass --no-preflight to skip this check)"
    return message


def usage_line(exc: click.UsageError) -> str:
    """Click's message for a bad command line, and where the options are listed."""
    command = exc.ctx.command_path if exc.ctx is not None else "sosim"
    return f"{exc.format_message().rstrip('.')}; see {command} --help"


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print ``sosim: error: message`` and exit."""
    click.echo(f"sosim: error: {message}", err=True)
    sys.exit(code)


#: The one --secret help: what the secret does in a command goes into ``{role}``.
SECRET_HELP = (
    "The webhook secret{role}. Prefer --secret-env or --secret-file to keep it out of shell history."
)
#: What the secret does, per command: the only part of the --secret help that differs.
SECRET_ROLES: dict[str, str] = {
    "run": ": it signs every request (over a scenario's own) and is what the built-in receiver "
    "verifies against",
    "replay": ": it signs the requests again (--resign, --new-event-ids) and is what the built-in "
    "receiver verifies against",
    "generate": ": it signs every fixture (over a scenario's own)",
    "trigger": ": it signs the event (over the scenario's own)",
    "sign": ": it signs the body, or checks the --verify signature",
    "receive": ": every request's X-SuperOffice-Signature is verified against it",
}


def secret_options(command: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add --secret, --secret-env and --secret-file to ``command`` (a secret is never shown as a
    default); the --secret help is :data:`SECRET_HELP` with the command's role."""
    role = SECRET_ROLES[command]

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        func = click.option(
            "--secret-file",
            type=click.Path(dir_okay=False),
            help="Read the webhook secret from this file (first line).",
        )(func)
        func = click.option(
            "--secret-env", metavar="NAME", help="Read the webhook secret from this environment variable."
        )(func)
        return click.option("--secret", metavar="SECRET", help=SECRET_HELP.format(role=role))(func)

    return apply


def resolve_secret(secret: str | None, secret_env: str | None, secret_file: str | None) -> str | None:
    """Pick the secret from exactly one of the three options, or None."""
    given = [
        name
        for name, value in (
            ("--secret", secret),
            ("--secret-env", secret_env),
            ("--secret-file", secret_file),
        )
        if value
    ]
    if len(given) > 1:
        fail(f"give only one of {', '.join(given)}")
    # An empty secret signs nothing, which is never what an explicit option means ("$UNSET").
    if secret == "":
        fail("--secret is empty: give the webhook's secret, or leave the option out")
    if secret_env == "" or secret_file == "":
        fail(f"{'--secret-env' if secret_env == '' else '--secret-file'} needs a name, not an empty one")
    if secret_env:
        value = os.environ.get(secret_env)
        if value is None:
            fail(f"--secret-env {secret_env}: the environment variable is not set")
        if not value:
            fail(f"--secret-env {secret_env}: the environment variable is empty")
        return value
    if secret_file:
        try:
            with open(secret_file, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except OSError as exc:
            fail(f"--secret-file {secret_file}: cannot read a secret ({exc.strerror or exc})")
        except UnicodeDecodeError:
            fail(f"--secret-file {secret_file}: cannot read a secret (not UTF-8 text)")
        if not lines or not lines[0].strip():
            fail(f"--secret-file {secret_file}: the file's first line is empty")
        return lines[0].strip()
    return secret


def timing_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the options that choose how fast requests go out."""
    for decorator in reversed(
        [
            click.option(
                "--speed",
                type=float,
                metavar="X",
                help="Play the timeline X times faster (60 plays an hour in a minute).",
            ),
            click.option(
                "--rate", type=RATE, metavar="N/s", help="Send at a fixed rate, e.g. 500/s or 30/min."
            ),
            click.option(
                "--max-rate",
                is_flag=True,
                help="Send as fast as the target answers: the default without --target (with one, "
                "the timeline plays in real time).",
            ),
        ]
    ):
        func = decorator(func)
    return func


#: --deterministic-ids, for run and tenant.
deterministic_ids_option = click.option(
    "--deterministic-ids",
    is_flag=True,
    help="Send the seeded EventIds (the same every run, as generate writes them) instead of fresh "
    "ones: reproduces a run exactly, but a receiver that deduplicates drops a second run.",
)


#: --no-preflight, for run and replay.
no_preflight_option = click.option(
    "--no-preflight",
    is_flag=True,
    help="Skip the check that an http(s) target resolves and accepts a connection before the run starts.",
)


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, as taskset sets it), at least 1."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else os.cpu_count() or 1


#: --processes, for run and replay (simulator.engine.processes).
processes_option = click.option(
    "--processes",
    type=PROCESSES,
    default="1",
    show_default=True,
    metavar="N|auto",
    help="Send from N worker processes, each playing its share of the sessions (auto: one per usable "
    "core); one report, one recording, one exit code.",
)


def _options(*decorators: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Callable[..., Any]:
    """Bundle click options that several commands share, so each is written once."""

    def apply(func: Callable[..., Any]) -> Callable[..., Any]:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


_REPORT_OPTIONS = (
    click.option(
        "--report",
        type=click.Path(dir_okay=False, allow_dash=True),
        help="Write the report as JSON (- for stdout, e.g. for jq; missing directories are created).",
    ),
    click.option(
        "--junit",
        type=click.Path(dir_okay=False),
        help="Write JUnit XML for CI (missing directories are created).",
    ),
    click.option(
        "--html",
        type=click.Path(dir_okay=False),
        help="Write a self-contained HTML report with charts (opens offline; missing directories are "
        "created). Every output path is checked before anything is sent.",
    ),
    click.option(
        "--fail-if",
        "fail_if",
        type=THRESHOLD,
        multiple=True,
        metavar="EXPR",
        help="Exit 1 when crossed, e.g. 'p99 > 250ms', 'error_rate > 0.1%', 'lag_p99 > 50ms'.",
    ),
    click.option(
        "--quiet",
        "-q",
        is_flag=True,
        help="No live progress and no tables; the threshold, fault and receiver verdicts still print, "
        "and why a run failed (TooManyErrors, events never delivered).",
    ),
)
#: --report, --junit, --html, --fail-if, --quiet (tenant: no recording).
report_options_tenant = _options(*_REPORT_OPTIONS)
#: The same plus --record, for run and replay.
report_options = _options(
    click.option(
        "--record",
        type=click.Path(dir_okay=False),
        help="Record every attempt to this JSONL file (missing directories are created).",
    ),
    *_REPORT_OPTIONS,
)
#: NetServer's rules or custom ones, and the HTTP engine.
delivery_options = _options(
    click.option(
        "--delivery",
        type=click.Choice(["netserver", "once", "custom"]),
        default="netserver",
        show_default=True,
        help="Retry rules: NetServer's (3 attempts, 1s/4s, TooManyErrors after 9), once (no retries), "
        "or custom (see --retry-delays ...).",
    ),
    click.option(
        "--retry-delays", type=DURATIONS, metavar="LIST", help="custom: waits between attempts, e.g. 1s,4s."
    ),
    click.option(
        "--success",
        "success_codes",
        type=STATUS_SET,
        metavar="CODES",
        help="custom: statuses that count as delivered, e.g. 2xx.",
    ),
    click.option(
        "--disable-after",
        type=click.IntRange(min=0),
        help="custom: consecutive failures before TooManyErrors (0 never disables).",
    ),
    click.option(
        "--on-failure",
        type=click.Choice(["requeue", "discard"]),
        help="custom: what a failed cycle does with its event.",
    ),
    click.option(
        "--retry-after",
        type=click.Choice(["ignore", "honour"]),
        help="custom: whether a failed answer's Retry-After delays the next attempt "
        "(NetServer ignores it; honour waits up to 300 s).",
    ),
    click.option(
        "--engine",
        type=click.Choice(["auto", "httpx", "lean"]),
        default="auto",
        show_default=True,
        help="HTTP client: lean (fast HTTP/1.1 load engine) or httpx (HTTPS, HTTP/2, proxies).",
    ),
)


def listen_options(
    port: int, *, host_help: str = "Address to listen on.", port_help: str = "Port (0: any free)."
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--host`` and ``--port`` of a server command (receive, api, tenant), loopback by default."""
    from simulator.core.defaults import LOOPBACK

    return _options(
        click.option("--host", default=LOOPBACK, show_default=True, help=host_help),
        click.option(
            "--port", type=click.IntRange(0, 65535), default=port, show_default=True, help=port_help
        ),
    )


def duration_option(
    name: str, default: float | None, help_text: str, **extra: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A DURATION option whose default (seconds, from core/defaults.py) --help shows as ``10s``."""
    shown = shown_duration(default) if default is not None else None  # parsed back by DURATION
    extra.setdefault("type", DURATION)
    return click.option(
        name,
        metavar="DURATION",
        default=shown,
        show_default=shown is not None,
        help=help_text,
        **extra,
    )


def concurrency_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--concurrency, with the one default."""
    return click.option(
        "--concurrency", type=click.IntRange(min=1), default=CONCURRENCY, show_default=True, help=help_text
    )


#: --timeout of each request (run, replay, tenant).
timeout_option = duration_option("--timeout", TIMEOUT_S, "Per-request timeout.", type=POSITIVE_DURATION)

#: --fault and --expect, for run and replay.
fault_options = _options(
    click.option(
        "--fault",
        type=FAULT,
        multiple=True,
        metavar="NAME[=RATE]",
        help="Inject a fault (repeatable): duplicate, reorder, bad-signature, missing-signature, "
        "stale-replay, tampered-body, malformed-json, wrong-content-type, oversized-body, slow-body, "
        "burst=N, header-case.",
    ),
    click.option(
        "--expect",
        type=EXPECTATION,
        multiple=True,
        metavar="FAULT=CODES",
        help="What a correct receiver answers a fault, e.g. bad-signature=401,403 or malformed-json=4xx.",
    ),
    click.option(
        "--fault-marker/--no-fault-marker",
        default=True,
        show_default=True,
        help="Name the fault in an X-Sosim-Fault header on each request a fault made or moved (the "
        "built-in receiver reads it); --no-fault-marker sends them exactly as a real sender would.",
    ),
)
