"""Parsing of the human units users type: durations (``90s``, ``5m``) and rates (``500/s``)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import overload

from simulator.core.errors import UsageError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$")
_DURATION_FACTORS = {"ms": 0.001, "s": 1.0, "": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:/\s*(ms|s|sec|m|min|h))?\s*$")
_RATE_PERIODS = {"ms": 0.001, "s": 1.0, "sec": 1.0, "": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}

DURATION_HELP = "a duration such as 500ms, 30s, 5m, 1.5h or a number of seconds"
RATE_HELP = "a rate such as 500/s, 30/min, 120/h or a number per second"


def parse_duration(value: str | float | int) -> float:
    """Return seconds for ``30s``, ``5m``, ``1h``, ``250ms`` or a plain number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected {DURATION_HELP}, got {value!r}")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError(f"expected {DURATION_HELP}, got {value!r}")
        if value < 0:
            raise ValueError(f"expected {DURATION_HELP}, got a negative number")
        return float(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"expected {DURATION_HELP}, got {value!r}")
    number, unit = match.groups()
    return float(number) * _DURATION_FACTORS[unit or ""]


def parse_rate(value: str | float | int) -> float:
    """Return events per second for ``500/s``, ``30/min``, ``120/h`` or a plain number."""
    if isinstance(value, bool):
        raise ValueError(f"expected {RATE_HELP}, got {value!r}")
    if isinstance(value, int | float):
        rate = float(value)
        if not math.isfinite(rate):
            raise ValueError(f"expected {RATE_HELP}, got {value!r}")
    else:
        match = _RATE.match(str(value))
        if not match:
            raise ValueError(f"expected {RATE_HELP}, got {value!r}")
        number, period = match.groups()
        rate = float(number) / _RATE_PERIODS[period or ""]
    if rate <= 0:
        raise ValueError(f"expected {RATE_HELP} above zero, got {value!r}")
    return rate


SHARE_HELP = "a share such as 0.05 or 5%"


def parse_share(text: str) -> float:
    """Return the fraction for ``0.05`` or ``5%`` (not checked against 0..1: the caller's limit)."""
    number = text.strip()
    percent = number.endswith("%")
    try:
        value = float(number.removesuffix("%")) / (100 if percent else 1)
    except ValueError:
        raise ValueError(f"expected {SHARE_HELP}, got {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"expected {SHARE_HELP}, got {text!r}")
    return value


def percent_share(value: object) -> object:
    """A scenario probability written ``30%`` as 0.3; anything else goes on to the number check
    unchanged, with its own message (a ``parse`` of :func:`simulator.core.schema.number`)."""
    if isinstance(value, str) and value.strip().endswith("%"):
        return parse_share(value)
    return value


def format_duration(seconds: float) -> str:
    """Format seconds compactly for people (``1h02m``, ``3m05s``, ``12.3s``, ``850ms``)."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


@overload
def parse_option(parse: Callable[[str], float], name: str, value: str, default: None = None) -> float: ...
@overload
def parse_option(parse: Callable[[str], float], name: str, value: str | None, default: float) -> float: ...
@overload
def parse_option(
    parse: Callable[[str], float], name: str, value: str | None, default: None = None
) -> float | None: ...
def parse_option(
    parse: Callable[[str], float], name: str, value: str | None, default: float | None = None
) -> float | None:
    """Parse an optional value (``default`` when absent); a bad value is a
    :class:`~simulator.core.errors.UsageError` that starts with ``name`` (Locust's option names)."""
    if value is None:
        return default
    try:
        return parse(value)
    except ValueError as exc:
        raise UsageError(f"{name} {value!r}: {exc}") from None


def parse_statuses(text: str) -> frozenset[int]:
    """Parse ``200``, ``2xx`` or ``200,201,204`` into a set of HTTP statuses; raise ValueError."""
    codes: set[int] = set()
    for part in (p.strip().lower() for p in text.split(",") if p.strip()):
        if len(part) == 3 and part.endswith("xx") and part[0] in "12345":
            base = int(part[0]) * 100
            codes.update(range(base, base + 100))
        elif part.isdigit() and 100 <= int(part) <= 599:
            codes.add(int(part))
        else:
            raise ValueError(f"{part!r} is not a status (use e.g. 200, 2xx or 200,204)")
    if not codes:
        raise ValueError("expected at least one status, e.g. 200, 2xx or 200,204")
    return frozenset(codes)
