"""A scenario's ``faults:`` section: each mistake is ``file:line: field: problem``, like any other.

The names and answers are checked by the same functions as ``--fault`` and ``--expect``, so a
file and the command line accept and refuse the same values.
"""

from __future__ import annotations

import pytest

from simulator.core.errors import ScenarioError
from simulator.core.fault_specs import FAULTS
from simulator.core.scenario import parse_scenario

SOURCE = "x.yaml"
HEAD = "name: x\narrivals: {sessions: 1}\nfaults:\n"


def _errors(faults: str) -> list[str]:
    """Every error of a scenario whose ``faults:`` section is ``faults``, one line each."""
    with pytest.raises(ScenarioError) as info:
        parse_scenario(HEAD + faults, source=SOURCE)
    return [str(error) for error in info.value.every]


def test_an_answer_that_is_no_status_names_its_line_and_item() -> None:
    """`expect: ['999']` is a scenario error at faults.NAME.expect[i], not a command-line error."""
    faults = "  bad-signature:\n    rate: 0.1\n    expect: ['401', '999']\n"
    assert _errors(faults) == [
        "x.yaml:6: faults.bad-signature.expect[1]: '999' is not a status or class (e.g. 401, 4xx)"
    ]


def test_an_unknown_fault_names_its_line_and_the_closest_fault() -> None:
    """A misspelt fault is reported on its own key, with the fault it probably means."""
    assert _errors("  duplicate: 0.1\n  duplicat: 0.1\n") == [
        f"x.yaml:5: faults.duplicat: unknown fault, did you mean 'duplicate'? (allowed: {', '.join(FAULTS)})"
    ]


def test_a_rate_that_does_not_fit_its_fault_names_its_field() -> None:
    """A rate above 1, or a burst that is no whole count of sessions, is refused at faults.NAME(.rate),
    in the words `--fault` uses; before, `burst: 0.5` loaded and then sent no burst at all."""
    faults = "  duplicate: 3\n  burst: 0.5\n  reorder:\n    rate: 2\n  header-case: 1\n"
    rate = "the rate must be above 0 and at most 1 (burst takes a session count)"
    assert _errors(faults) == [
        f"x.yaml:4: faults.duplicate: {rate}",
        "x.yaml:5: faults.burst: burst takes a whole number of sessions, such as 50",
        f"x.yaml:7: faults.reorder.rate: {rate}",
    ]


def test_every_fault_mistake_of_a_file_is_listed_in_line_order() -> None:
    """`sosim validate` prints them all: an unknown name, a bad answer and a bad key together."""
    faults = (
        "  duplicat: 0.1\n  bad-signature: {rate: 0.1, expect: ['1xx']}\n  reorder: {rate: 0.1, sise: 1}\n"
    )
    errors = _errors(faults)
    assert [line.split(": ")[0:2] for line in errors] == [
        ["x.yaml:4", "faults.duplicat"],
        ["x.yaml:5", "faults.bad-signature.expect[0]"],
        ["x.yaml:6", "faults.reorder.sise"],
    ]


def test_answers_are_read_like_the_command_line_reads_them() -> None:
    """`4XX` and ` 201 ` mean 4xx and 201, as `--expect bad-signature=4XX,201` does."""
    scenario = parse_scenario(HEAD + "  bad-signature: {rate: 0.5, expect: ['4XX', ' 201 ']}\n")
    assert scenario.faults["bad-signature"].expect == ("4xx", "201")


def test_a_valid_faults_section_loads() -> None:
    """Shorthand rates, burst counts, sizes and answers load as written."""
    faults = "  duplicate: 0.05\n  burst: 50\n  oversized-body: {rate: 0.01, size: 5MB, expect: ['413']}\n"
    scenario = parse_scenario(HEAD + faults)
    assert scenario.faults["duplicate"].rate == 0.05
    assert scenario.faults["burst"].rate == 50
    assert scenario.faults["oversized-body"].size == 5 * 1024**2
    assert scenario.faults["oversized-body"].expect == ("413",)
