"""Fault injection: which requests are added or changed, and how answers are judged."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from simulator.core.errors import UsageError
from simulator.core.faults import (
    DEFAULT_EXPECTATIONS,
    FAULT_HEADER,
    FAULTS,
    PROBES,
    FaultReport,
    FaultSpec,
    Injector,
    answer_matches,
    fault_problem,
    parse_expectation,
    parse_fault,
    rate_problem,
    status_problem,
)
from simulator.core.outcome import Attempt
from simulator.core.plan import PlanOptions, plan
from simulator.core.scenario import parse_scenario
from simulator.core.signing import verify
from simulator.superoffice import facts as so

SECRET = "fault-secret"
SCENARIO = f"""
name: faults
webhook: {{secret: {SECRET}}}
arrivals: {{sessions: 30, rate: 1/s}}
"""


def planned(burst: int = 0) -> list:  # type: ignore[type-arg]
    return list(plan([parse_scenario(SCENARIO)], PlanOptions(burst=burst)))


def inject(*specs: FaultSpec) -> list:  # type: ignore[type-arg]
    return list(Injector(specs, SECRET, seed=1)(planned()))


def test_parse_fault_forms() -> None:
    """NAME, NAME=RATE, NAME=5% and burst=N parse; unknown names list the allowed ones."""
    assert parse_fault("duplicate").rate == 0.05
    assert parse_fault("bad-signature=0.2").rate == 0.2
    assert parse_fault("reorder=10%").rate == pytest.approx(0.1)
    assert parse_fault("burst=50").rate == 50
    with pytest.raises(UsageError, match="allowed: duplicate"):
        parse_fault("explode")
    with pytest.raises(UsageError, match="at most 1"):
        parse_fault("duplicate=3")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("duplicat", "'duplicat': unknown fault, did you mean 'duplicate'? (allowed: duplicate, "),
        ("duplicate=lots", "'duplicate=lots': 'lots' is not a rate such as 0.05 or 5%"),
        ("duplicate=3", "'duplicate=3': the rate must be above 0 and at most 1 (burst takes a session"),
        ("duplicate=0", "'duplicate=0': the rate must be above 0 and at most 1 (burst takes a session"),
        ("burst=1.5", "'burst=1.5': burst takes a whole number of sessions, such as 50"),
    ],
)
def test_a_bad_fault_names_the_value_and_no_option(text: str, message: str) -> None:
    """The library's message names the config field and the value; the CLI shows its option instead."""
    with pytest.raises(UsageError) as info:
        parse_fault(text)
    assert str(info.value).startswith(f"faults {message}")
    assert "--" not in str(info.value)


def test_parse_expectation() -> None:
    """FAULT=CODES takes codes and classes and rejects nonsense."""
    assert parse_expectation("bad-signature=401,403") == ("bad-signature", ("401", "403"))
    assert parse_expectation("malformed-json=4xx") == ("malformed-json", ("4xx",))
    assert parse_expectation("Malformed-JSON= 4XX , 422") == ("malformed-json", ("4xx", "422"))
    with pytest.raises(UsageError):
        parse_expectation("malformed-json=teapot")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bad-signature=999", "'bad-signature=999': '999' is not a status or class (e.g. 401, 4xx)"),
        ("bad-signature=401,1xx", "'bad-signature=401,1xx': '1xx' is not a status or class (e.g. 401, 4xx)"),
        ("bad-signatur=401", "'bad-signatur=401': unknown fault, did you mean 'bad-signature'? (allowed: "),
        ("bad-signature", "'bad-signature': expected FAULT=CODES, such as bad-signature=401,403"),
        ("bad-signature=", "'bad-signature=': expected FAULT=CODES, such as bad-signature=401,403"),
    ],
)
def test_a_bad_expectation_names_the_value_and_no_option(text: str, message: str) -> None:
    """Each wrong expectation says what is wrong with the value, without naming a command-line option."""
    with pytest.raises(UsageError) as info:
        parse_expectation(text)
    assert str(info.value).startswith(f"expectations {message}")
    assert "--" not in str(info.value)


def test_the_problem_functions_accept_what_the_parsers_accept() -> None:
    """`fault_problem`, `status_problem` and `rate_problem` are the one check behind both the CLI and
    scenario files."""
    assert all(fault_problem(name) is None for name in FAULTS)
    assert fault_problem("duplicat") == (
        f"unknown fault, did you mean 'duplicate'? (allowed: {', '.join(FAULTS)})"
    )
    assert [status_problem(code) for code in ("100", "401", "599", "2xx", "5xx")] == [None] * 5
    assert status_problem("600") == "'600' is not a status or class (e.g. 401, 4xx)"
    assert status_problem("1xx") == "'1xx' is not a status or class (e.g. 401, 4xx)"
    assert [rate_problem("duplicate", rate) for rate in (0.01, 1.0)] == [None, None]
    assert [rate_problem("burst", count) for count in (1, 50.0)] == [None, None]
    assert all(rate_problem("duplicate", rate) for rate in (0, -0.1, 1.01))
    assert all(rate_problem("burst", count) for count in (0, 0.5, 2.5))


def test_every_fault_has_a_default_expectation() -> None:
    """Each fault comes with the answer a correct receiver gives."""
    assert set(DEFAULT_EXPECTATIONS) == set(FAULTS)
    assert answer_matches(401, DEFAULT_EXPECTATIONS["bad-signature"])
    assert not answer_matches(200, DEFAULT_EXPECTATIONS["bad-signature"])
    assert not answer_matches(None, ("2xx",))
    assert answer_matches(422, ("4xx",)) and not answer_matches(500, ("4xx",))


def test_real_traffic_is_untouched_by_probes() -> None:
    """Probes are extra requests: every original request still goes out, byte for byte."""
    original = planned()
    injected = inject(*(FaultSpec(name, 0.3) for name in PROBES))
    real = [p for p in injected if not p.probe]
    assert [p.request for p in real] == [p.request for p in original]
    assert sum(p.probe for p in injected) > 20
    assert all(p.fault in PROBES for p in injected if p.probe)


@pytest.mark.parametrize(
    ("name", "valid_signature", "same_body"),
    [
        ("duplicate", True, True),
        ("bad-signature", False, True),
        ("tampered-body", False, False),
        ("malformed-json", True, False),
        ("oversized-body", True, False),
        ("wrong-content-type", True, True),
    ],
)
def test_probe_mutations(name: str, valid_signature: bool, same_body: bool) -> None:
    """Each probe changes exactly what its name says, and signs (or not) accordingly."""
    injected = inject(FaultSpec(name, 1.0, size=4096))
    probes = [p for p in injected if p.probe]
    originals = {p.request.event_id: p.request for p in injected if not p.probe}
    assert probes
    for probe in probes:
        request = probe.request
        signature = request.header(so.HEADER_SIGNATURE)
        assert verify(request.body, SECRET, signature) is valid_signature
        assert (request.body == originals[request.event_id].body) is same_body
    if name == "malformed-json":
        with pytest.raises(json.JSONDecodeError):
            json.loads(probes[0].request.body)
    if name == "oversized-body":
        assert len(probes[0].request.body) >= 4096 and json.loads(probes[0].request.body)
    if name == "wrong-content-type":
        assert probes[0].request.header("Content-Type") == "text/plain"


def test_missing_signature_drops_the_header() -> None:
    """missing-signature sends the body with no X-SuperOffice-Signature."""
    probes = [p for p in inject(FaultSpec("missing-signature", 1.0)) if p.probe]
    assert probes and all(p.request.header(so.HEADER_SIGNATURE) is None for p in probes)


def test_reorder_swaps_within_a_session_and_keeps_everything() -> None:
    """reorder lets a later event of a session overtake an earlier one; nothing is lost."""
    original = planned()
    injected = inject(FaultSpec("reorder", 0.3))
    assert Counter(p.request.event_id for p in injected) == Counter(p.request.event_id for p in original)
    swapped = 0
    by_session: dict[int, list[str]] = {}
    for item in injected:
        by_session.setdefault(item.request.session_id, []).append(item.request.event_id)
    for item in original:
        by_session.setdefault(-item.request.session_id, []).append(item.request.event_id)
    for session, ids in by_session.items():
        if session > 0 and ids != by_session[-session]:
            swapped += 1
    assert swapped > 0
    assert any(p.fault == "reorder" for p in injected)
    dues = [p.due_s for p in injected]
    assert dues == sorted(dues)


def test_header_case_changes_names_only() -> None:
    """header-case sends the same headers with other letter case."""
    injected = inject(FaultSpec("header-case", 1.0))
    shaped = [p for p in injected if p.fault == "header-case"]
    assert shaped and not any(p.probe for p in shaped)
    names = {name for p in shaped for name, _ in p.request.headers}
    assert names & {"x-superoffice-eventid", "X-Superoffice-Eventid", "content-type", "Content-Type"}
    assert not names & {"X-SuperOffice-EventId"} or names & {"x-superoffice-event"}


def test_burst_starts_sessions_at_once() -> None:
    """burst=N makes the first N sessions arrive at the same instant, tagged burst."""
    items = planned(burst=5)
    created = [p for p in items if p.request.event == so.EVENT_CREATED]
    assert [p.due_s for p in created[:5]] == [0.0] * 5
    assert {p.fault for p in items if p.request.session_id < 178105 + 5} == {"burst"}


def test_same_seed_same_faults() -> None:
    """Fault injection is deterministic for a seed."""
    assert inject(FaultSpec("duplicate", 0.2)) == inject(FaultSpec("duplicate", 0.2))


def _attempt(fault: str, status: int | None) -> Attempt:
    request = planned()[0].request
    return Attempt(request, "s", 1, 1, 0.0, 0.0, 0.01, status, None if status else "timeout", fault=fault)


def test_fault_report_verdicts() -> None:
    """Forgeries answered 2xx fail; rejected ones pass; a hang fails."""
    report = FaultReport([FaultSpec("bad-signature"), FaultSpec("duplicate"), FaultSpec("malformed-json")])
    report.handle_attempt(_attempt("bad-signature", 401))
    report.handle_attempt(_attempt("bad-signature", 200))
    report.handle_attempt(_attempt("duplicate", 200))
    report.handle_attempt(_attempt("malformed-json", None))
    verdicts = report.verdicts
    assert not verdicts["bad-signature"].passed and verdicts["duplicate"].passed
    assert not verdicts["malformed-json"].passed and not report.passed
    cases = dict(report.junit_cases())
    assert cases["fault duplicate"] is None and "FAIL bad-signature" in str(cases["fault bad-signature"])


def _marks(item) -> list[str]:  # type: ignore[no-untyped-def]
    return [value for name, value in item.request.headers if name == FAULT_HEADER]


def test_every_probe_carries_the_fault_marker_naming_its_fault() -> None:
    """Probes say which fault made them (X-Sosim-Fault), so `sosim receive` can tell them from traffic;
    the body, and so the signature, is the probe's own."""
    injected = inject(*(FaultSpec(name, 0.3) for name in PROBES if name != "stale-replay"))
    probes = [p for p in injected if p.fault in PROBES]
    assert probes
    for probe in probes:
        assert _marks(probe) == [probe.fault]


def test_real_traffic_carries_no_marker_unless_a_fault_moved_it() -> None:
    """Unshaped requests are sent as planned: no marker, the same headers and bytes as without faults."""
    plain = planned()
    injected = inject(FaultSpec("duplicate", 0.3), FaultSpec("bad-signature", 0.3))
    real = [p for p in injected if p.fault is None]
    assert [(p.request.headers, p.request.body) for p in real] == [
        (p.request.headers, p.request.body) for p in plain
    ]


def test_reorder_marks_the_held_request_and_the_one_that_overtakes_it() -> None:
    injected = inject(FaultSpec("reorder", 0.5))
    held = [i for i, p in enumerate(injected) if p.fault == "reorder"]
    assert held
    for index in held:
        assert _marks(injected[index]) == ["reorder"]
    overtaking = [p for p in injected if p.fault is None and _marks(p)]
    assert overtaking and all(_marks(p) == ["reorder"] for p in overtaking)
    assert len(overtaking) <= len(held)


def test_mark_false_makes_probes_indistinguishable() -> None:
    specs = (FaultSpec("duplicate", 0.3), FaultSpec("reorder", 0.3), FaultSpec("bad-signature", 0.3))
    unmarked = list(Injector(specs, SECRET, seed=1, mark=False)(planned()))
    assert unmarked and not any(_marks(p) for p in unmarked)
    marked = list(Injector(specs, SECRET, seed=1)(planned()))
    assert [p.request.body for p in unmarked] == [p.request.body for p in marked]
