"""sosim's options as Locust custom arguments: declared once, parsed and checked at the edge.

Locust shows custom arguments in ``locust --help`` and in its web UI, and forwards them from the
master to every worker. Values arrive as the command line gave them, or as text from the web UI's
form, so every parser here accepts text and turns mistakes into a ``UsageError`` that names the
option, the way ``sosim run`` does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

from simulator.core.errors import UsageError
from simulator.core.units import parse_option, parse_rate
from simulator.report.thresholds import Threshold, parse_threshold

__all__ = [
    "OPTION_NAMES",
    "SosimOptions",
    "add_arguments",
    "describe_options",
    "given",
    "parse_options",
    "resolve_secret",
]


class ArgumentParser(Protocol):
    """The part of Locust's argument parser sosim uses (``LocustArgumentParser``)."""

    def add_argument(self, *args: Any, **kwargs: Any) -> Any:
        """Declare one option."""


@dataclass(frozen=True, slots=True)
class _Spec:
    flag: str
    metavar: str
    help: str
    multiple: bool = False

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")


_SPECS: Final = (
    _Spec(
        "--scenario",
        "FILE",
        "sosim: the scenario file the users play (the master sends its text to the workers).",
    ),
    _Spec(
        "--secret-env",
        "NAME",
        "sosim: sign with the secret in this environment variable; every process reads its own.",
    ),
    _Spec("--seed", "N", "sosim: override the scenario's seed (sessions depend on seed and worker index)."),
    _Spec("--speed", "X", "sosim: play the scenario's delays X times faster (default 1)."),
    _Spec(
        "--rate",
        "N/s",
        "sosim: total events per second, split across users and workers (instead of --speed).",
    ),
    _Spec(
        "--fail-if",
        "EXPR",
        "sosim: set the exit code to 1 when crossed, e.g. 'p99 > 250ms' (repeatable; "
        "comma-separated in the web UI).",
        multiple=True,
    ),
    _Spec("--sosim-report", "PATH", "sosim: write the cluster's JSON report here (on the master)."),
    _Spec("--sosim-junit", "PATH", "sosim: write JUnit XML here (on the master)."),
    _Spec("--sosim-html", "PATH", "sosim: write the HTML report here (on the master)."),
)

#: The ``argparse`` destinations of sosim's options, in the order they are declared.
OPTION_NAMES: Final = tuple(spec.dest for spec in _SPECS)


def describe_options() -> str:
    """sosim's Locust options with their help, one per line (``sosim locustfile --options``).

    Locust prints ``--help`` before it imports a locustfile, so its own help cannot list them.
    """
    width = max(len(f"{spec.flag} {spec.metavar}") for spec in _SPECS)
    lines = [
        f"  {f'{spec.flag} {spec.metavar}'.ljust(width)}  {spec.help.removeprefix('sosim: ')}"
        for spec in _SPECS
    ]
    return 'sosim\'s options for locust -f "$(sosim locustfile)":\n' + "\n".join(lines)


def add_arguments(parser: ArgumentParser) -> None:
    """Declare sosim's options on Locust's parser (``init_command_line_parser``).

    Defaults are ``None``, so the web UI offers each as a text field and hands back text.
    """
    for spec in _SPECS:
        parser.add_argument(
            spec.flag,
            metavar=spec.metavar,
            help=spec.help,
            default=None,
            action="append" if spec.multiple else "store",
            include_in_web_ui=True,
        )


@dataclass(frozen=True, slots=True)
class SosimOptions:
    """sosim's options for one Locust run, checked."""

    scenario: str
    secret_env: str | None = None
    seed: int | None = None
    speed: float | None = None
    rate: float | None = None
    thresholds: tuple[Threshold, ...] = ()
    report: str | None = None
    junit: str | None = None
    html: str | None = None

    @property
    def timing(self) -> str:
        """How events are paced, as reports show it."""
        if self.rate is not None:
            return f"rate {self.rate:g}/s"
        if self.speed is not None and self.speed != 1.0:
            return f"speed {self.speed:g}x"
        return "scenario"

    @property
    def outputs(self) -> tuple[tuple[str, str], ...]:
        """(option, path) of every report file asked for."""
        named = (("--sosim-report", self.report), ("--sosim-junit", self.junit), ("--sosim-html", self.html))
        return tuple((flag, path) for flag, path in named if path)


def given(values: Mapping[str, Any]) -> bool:
    """Whether any sosim option has a value (a worker without options waits for the master's)."""
    return any(_text(values.get(name)) or _texts(values.get(name)) for name in OPTION_NAMES)


def parse_options(values: Mapping[str, Any], *, scenario_required: bool = True) -> SosimOptions:
    """Check sosim's options (from ``vars(parsed_options)``); raise UsageError naming the bad one.

    Without ``scenario_required`` (the web UI will ask for it), a missing ``--scenario`` is "".
    """
    scenario = _text(values.get("scenario"))
    if scenario is None and scenario_required:
        raise UsageError("--scenario is required: the scenario file the Locust users play")
    speed_text, rate_text = _text(values.get("speed")), _text(values.get("rate"))
    if speed_text is not None and rate_text is not None:
        raise UsageError("choose one of --speed and --rate")
    options = SosimOptions(
        scenario=scenario or "",
        secret_env=_text(values.get("secret_env")),
        seed=_seed(_text(values.get("seed"))),
        speed=_speed(speed_text),
        rate=parse_option(parse_rate, "--rate", rate_text),
        thresholds=_thresholds(_texts(values.get("fail_if"))),
        report=_text(values.get("sosim_report")),
        junit=_text(values.get("sosim_junit")),
        html=_text(values.get("sosim_html")),
    )
    for flag, path in options.outputs:
        _check_writable(flag, path)
    return options


def resolve_secret(options: SosimOptions, env: Mapping[str, str] | None = None) -> str | None:
    """The secret from ``--secret-env`` in this process's environment (None without the option)."""
    if options.secret_env is None:
        return None
    value = (os.environ if env is None else env).get(options.secret_env)
    if value is None:
        raise UsageError(
            f"--secret-env {options.secret_env}: the environment variable is not set in this process "
            "(export the same secret on the master and on every worker)"
        )
    return value


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, list | tuple):
        return None
    text = str(value).strip()
    return text or None


def _texts(value: Any) -> list[str]:
    """Repeated options: a list from the command line, or one comma-separated text from the web UI."""
    items: Sequence[Any] = value if isinstance(value, list | tuple) else [] if value is None else [value]
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def _thresholds(texts: Sequence[str]) -> tuple[Threshold, ...]:
    """The ``--fail-if`` expressions; an error names the Locust option, not the config field."""
    try:
        return tuple(parse_threshold(text) for text in texts)
    except UsageError as exc:
        raise UsageError(exc.describe("--fail-if")) from None


def _seed(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"--seed {text!r}: expected a whole number such as 42") from None


def _speed(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        speed = float(text)
    except ValueError:
        raise UsageError(f"--speed {text!r}: expected a number such as 60") from None
    if not speed > 0 or speed == float("inf"):
        raise UsageError(f"--speed {text!r}: must be above 0, e.g. --speed 60")
    return speed


def _check_writable(flag: str, path: str) -> None:
    """Fail at the start, not after the run, when a report cannot be written."""
    parent = Path(path).expanduser().resolve().parent
    if not parent.is_dir():
        raise UsageError(f"{flag} {path}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise UsageError(f"{flag} {path}: the directory {parent} is not writable")
