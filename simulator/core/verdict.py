"""How a receiver's ``Tally`` reads: the verdict table, the JSON section, the closing line.

Pure, like :mod:`simulator.core.checker` whose counts it presents; ``sosim receive`` and the run's
built-in receiver print these.
"""

from __future__ import annotations

from typing import Any

from simulator.core.checker import Tally

__all__ = ["tally_summary", "verdict_caveat", "verdict_line", "verdict_ok", "verdict_table"]


def verdict_table(tally: Tally) -> list[tuple[str, str]]:
    """Rows (label, value) summarising a tally, events and problems last."""
    rows = [
        ("received", str(tally.received)),
        ("accepted", str(tally.accepted)),
        ("with problems", str(tally.failed)),
        ("duplicates (same EventId)", str(tally.duplicates)),
        ("distinct EventIds (of well-formed requests)", str(tally.event_ids)),
        ("requeued (same event, new EventId)", str(tally.requeued)),
        ("requeued, behind a later event (NetServer's queue rule)", str(tally.requeued_out_of_order)),
        ("retries (X-SuperOffice-Retry)", str(tally.retries)),
        ("chat sessions", str(tally.sessions)),
        ("test pings", str(tally.tests)),
    ]
    if tally.forgotten:
        rows.append((f"EventIds forgotten (window {tally.window:,})", str(tally.forgotten)))
    if tally.probes:
        rows.append(("injected fault probes (X-Sosim-Fault)", str(tally.probes)))
    rows.extend((f"event {name}", str(n)) for name, n in sorted(tally.events.items()))
    rows.extend((f"problem {name}", str(n)) for name, n in sorted(tally.problems.items()))
    rows.extend((f"expected: {name} (injected fault)", str(n)) for name, n in sorted(tally.expected.items()))
    return rows


def tally_summary(tally: Tally) -> dict[str, Any]:
    """The tally as a JSON-ready mapping: the ``receiver`` section of a run's JSON report."""
    return {
        "received": tally.received,
        "accepted": tally.accepted,
        "failed": tally.failed,
        "duplicates": tally.duplicates,
        "retries": tally.retries,
        "requeued": tally.requeued,
        "requeued_out_of_order": tally.requeued_out_of_order,
        "sessions": tally.sessions,
        "tests": tally.tests,
        "events": dict(sorted(tally.events.items())),
        "problems": dict(sorted(tally.problems.items())),
        "expected": dict(sorted(tally.expected.items())),
        "probes": tally.probes,
        "forgotten_event_ids": tally.forgotten,
        "signatures_checked": tally.signatures_checked,
        "ok": verdict_ok(tally),
    }


def verdict_caveat(tally: Tally) -> str:
    """What a verdict line must add about what the checker could not judge ('' when nothing)."""
    notes = [] if tally.signatures_checked else ["signatures not checked: no secret; --secret checks them"]
    if tally.forgotten:
        notes.append(
            f"{tally.forgotten} EventId(s) older than the last {tally.window:,} were forgotten: "
            "a reuse of one of those is not detected"
        )
    return "".join(f" ({note})" for note in notes)


def verdict_line(tally: Tally) -> str:
    """The receiver's closing line: ``PASS: …`` or ``FAIL: …``, naming the problems that were expected."""
    expected = ", ".join(f"{name} {n}" for name, n in sorted(tally.expected.items()))
    if verdict_ok(tally):
        if not expected:
            return f"PASS: every request verified{verdict_caveat(tally)}"
        return (
            f"PASS: every request verified except injected fault probes, whose problems were expected "
            f"({expected}){verdict_caveat(tally)}"
        )
    line = f"FAIL: {tally.failed} request(s) failed verification"
    return f"{line}; expected, from injected faults: {expected}" if expected else line


def verdict_ok(tally: Tally) -> bool:
    """Tell whether every request passed; retries of the same bytes do not count against it."""
    return not any(tally.problems.values())
