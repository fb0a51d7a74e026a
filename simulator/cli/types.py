"""click ParamTypes: the one place where the strings a user types become the library's values.

Each type calls a pure parser of the library and turns its error into :class:`click.BadParameter`,
so click names the option (``Invalid value for '--rate': ...``). The parsers are imported when a
value is converted, never when the command line is built, so ``sosim --help`` stays fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

__all__ = [
    "DURATION",
    "DURATIONS",
    "EVENT",
    "EXPECTATION",
    "FAULT",
    "HOST_PORT",
    "PROCESSES",
    "RATE",
    "ROTATION",
    "SESSION_IDS",
    "STATUS_SET",
    "THRESHOLD",
    "OptionValueError",
    "Parsed",
    "shown_duration",
]


if TYPE_CHECKING:  # generic from click 8.2 on; sosim supports 8.1, where subscripting fails
    _ParamType = click.ParamType[Any]
else:
    _ParamType = click.ParamType


class OptionValueError(click.BadParameter):
    """A value one of sosim's types could not parse; the group shows it as one line (``sosim:
    error: --rate 'lots': expected a rate ...``), like every other sosim error."""

    def one_line(self) -> str:
        """``--option 'value': problem``."""
        name = self.param.opts[0] if self.param is not None and self.param.opts else "value"
        return f"{name} {self.message}"


class Parsed(_ParamType):
    """A value that a library parser turns from text into its type; its errors become click's.

    ``parse`` is a function, or ``"module:function"`` for one imported at the first conversion
    (the library's parsers stay out of ``sosim --help``)."""

    def __init__(self, name: str, parse: Callable[[str], Any] | str) -> None:
        self.name = name
        self._parse = parse

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The parsed value; a value that is not text (a default already parsed) passes as it is."""
        if not isinstance(value, str):
            return value
        from simulator.core.errors import SimulatorError

        try:
            return self._parser()(value)
        except (ValueError, SimulatorError) as exc:
            raise OptionValueError(_problem(exc, value), ctx, param) from None

    def _parser(self) -> Callable[[str], Any]:
        if isinstance(self._parse, str):
            module, _, function = self._parse.partition(":")
            parse: Callable[[str], Any] = getattr(importlib.import_module(module), function)
            self._parse = parse
            return parse
        return self._parse


def _problem(exc: Exception, value: str) -> str:
    """``'value': problem``, without the option's name (the caller puts it in front)."""
    from simulator.core.errors import SimulatorError

    if isinstance(exc, SimulatorError) and exc.option is not None:
        return exc.problem if exc.value is None else f"{exc.value}: {exc.problem}"
    return f"{value!r}: {exc}"


def _durations(text: str) -> tuple[float, ...]:
    from simulator.core.units import parse_duration

    return tuple(parse_duration(part) for part in text.split(",") if part.strip())


def full_event_name(name: str, *, test_ok: bool = False) -> str:
    """``message`` or ``chatsession.message`` -> ``chatsession.message`` (``test``, the ping a
    registration sends, too when ``test_ok``); ValueError names the choices for anything else."""
    from simulator.superoffice import facts as so

    known = (*so.CHAT_EVENTS, *((so.EVENT_TEST,) if test_ok else ()))
    full = name if name.startswith("chatsession.") or name == so.EVENT_TEST else f"chatsession.{name}"
    if full not in known:
        short = ", ".join(event.partition(".")[2] for event in so.CHAT_EVENTS)
        raise ValueError(
            f"unknown event: use {short}{', test' if test_ok else ''} (or their chatsession.* names)"
        )
    return full


#: Worker processes allowed per usable core: beyond the cores they only share them, and each
#: costs a Python interpreter's memory (``--processes 999`` started 999 on a 2-core machine).
PROCESSES_PER_CORE = 4


def _processes(text: str) -> int:
    """``N`` or ``auto`` (the usable cores) as a number of worker processes."""
    from simulator.cli.options import usable_cores

    value = text.strip().lower()
    cores = usable_cores()
    if value == "auto":
        return cores
    if not value.isdigit() or int(value) < 1:
        raise ValueError("not a number of processes (1, 2 ... or auto)")
    limit = PROCESSES_PER_CORE * cores
    if int(value) > limit:
        raise ValueError(
            f"more than {limit} ({PROCESSES_PER_CORE} for each of the {cores} usable core(s)): "
            f"workers beyond the cores only share them; auto gives {cores}"
        )
    return int(value)


def _positive_duration(text: str) -> float:
    from simulator.core.units import parse_duration

    seconds = parse_duration(text)
    if seconds <= 0:
        raise ValueError("must be above 0, e.g. 10s or 500ms")
    return seconds


#: ``30s``, ``5m``, ``250ms`` -> seconds.
DURATION = Parsed("duration", "simulator.core.units:parse_duration")
#: The same, above 0: a time limit (``--timeout``).
POSITIVE_DURATION = Parsed("duration", _positive_duration)
#: ``1s,4s`` -> seconds, in order.
DURATIONS = Parsed("list", _durations)
#: ``500/s``, ``30/min`` -> events per second.
RATE = Parsed("rate", "simulator.core.units:parse_rate")
#: ``127.0.0.1:8765`` -> ``("127.0.0.1", 8765)``.
HOST_PORT = Parsed("host:port", "simulator.mockapi.server:parse_host_port")
#: ``200``, ``2xx``, ``200,204`` -> a set of statuses.
STATUS_SET = Parsed("codes", "simulator.core.units:parse_statuses")
#: ``duplicate``, ``bad-signature=5%`` -> a FaultSpec.
FAULT = Parsed("fault", "simulator.core.faults:parse_fault")
#: ``bad-signature=401,403`` -> (fault, allowed answers).
EXPECTATION = Parsed("expectation", "simulator.core.faults:parse_expectation")
#: ``created``, ``chatsession.message``, ``test`` -> the event name a request carries (replay --only).
EVENT = Parsed("event", lambda text: full_event_name(text, test_ok=True))
#: ``p99 > 250ms`` -> a Threshold.
THRESHOLD = Parsed("expression", "simulator.report.thresholds:parse_threshold")
#: ``30s=NEW_SECRET@7`` -> a RotateSpec (the secret read from the variable).
ROTATION = Parsed("rotation", "simulator.tenant.config:parse_rotation")
#: ``178105,178106`` -> session ids.
SESSION_IDS = Parsed("ids", "simulator.recording.replay:parse_sessions")
#: ``4`` or ``auto`` -> a number of worker processes.
PROCESSES = Parsed("processes", _processes)


def shown_duration(seconds: float) -> str:
    """A default duration as ``--help`` shows it: ``0ms``, ``10s``, ``60s``, ``10m``."""
    if seconds < 1:
        return f"{seconds * 1000:g}ms"
    if seconds >= 600 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"
