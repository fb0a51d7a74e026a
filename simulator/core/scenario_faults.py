"""A scenario's ``faults:`` section, checked with the same functions as ``--fault`` and ``--expect``.

Each mistake is reported on its own line and field: an unknown name at ``faults.NAME``, a wrong
answer at ``faults.NAME.expect[i]``, a rate above 1 (or a burst that is no whole count) at
``faults.NAME.rate``.
"""

from typing import Any

from simulator.core.fault_specs import DEFAULT_OVERSIZE, fault_problem, rate_problem, status_problem
from simulator.core.schema import (
    ErrorDetail,
    Invalid,
    Problem,
    Strict,
    after,
    before,
    field,
    many,
    node,
    note,
    number,
    table,
    text,
    whole,
)


def _bytes(value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip().upper().replace("IB", "B")
        for unit, factor in (("KB", 1024), ("MB", 1024**2), ("GB", 1024**3), ("B", 1)):
            if text.endswith(unit) and text[: -len(unit)].strip().replace(".", "", 1).isdigit():
                return int(float(text[: -len(unit)]) * factor)
    return value


def _known_fault(name: str) -> str:
    problem = fault_problem(name)
    if problem:
        raise ValueError(problem)
    return name


def _status_or_class(code: str) -> str:
    code = code.strip().lower()
    problem = status_problem(code)
    if problem:
        raise ValueError(problem)
    return code


#: A fault's name, as a key of ``faults:``; a wrong one is reported on its own line.
FAULT_NAME = after(text(), _known_fault)
#: An answer that passes: an HTTP status (``"401"``) or a class (``"4xx"``), written as a string.
EXPECTED_ANSWER = after(text(), _status_or_class)


class FaultOptions(Strict):
    """One fault in a scenario: how often (or, for burst, how many sessions) and the answers that pass."""

    rate: float = field(number(gt=0))
    expect: tuple[str, ...] = field(many(EXPECTED_ANSWER), default=())
    size: int = field(before(_bytes, whole(ge=1)), default=DEFAULT_OVERSIZE)


def _rates_that_fit(faults: dict[str, FaultOptions]) -> dict[str, FaultOptions]:
    """Refuse a rate that does not fit its fault: above 1, or for burst not a whole count of sessions.

    Raised with each error's location, so that it is reported at ``faults.NAME.rate``, on its line.
    """
    problems = {name: rate_problem(name, options.rate) for name, options in faults.items()}
    errors: list[ErrorDetail] = []
    for name, problem in problems.items():
        if problem:
            note(errors, (name, "rate"), faults[name].rate, Problem("fault_rate", problem))
    if errors:
        raise Invalid("faults", errors)
    return faults


def _fault_shorthand(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ({"rate": v} if isinstance(v, int | float) and not isinstance(v, bool) else v)
            for k, v in value.items()
        }
    return value


#: The ``faults:`` section: ``{duplicate: 0.05, bad-signature: {rate: 0.01, expect: ["401"]}}``.
Faults = dict[str, FaultOptions]
FAULTS = before(_fault_shorthand, after(table(FAULT_NAME, node(FaultOptions)), _rates_that_fit))
