"""bench/peers.py's report: a missing or failed peer shows as such, never as zero (no timing)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.peers import Report, Row, Startup, format_table, targets, to_json  # noqa: E402


def report() -> Report:
    return Report(
        rows=[
            Row("wrk", rate=80_000.0, count=640_000, seconds=8.0),
            Row("hey", status="missing", detail="hey not installed"),
            Row("run", rate=30_000.0, count=240_000, seconds=8.0),
            Row("replay", status="failed", detail="sosim replay exited 2"),
            Row("generate", rate=100_000.0, count=800_000, seconds=8.0),
            Row("hand", rate=10_000.0, count=80_000, seconds=8.0),
        ],
        startups=[Startup("sosim --help", [0.08, 0.07, 0.09, 0.07, 0.2])],
    )


def test_table_shows_missing_and_failed_peers_and_ratios() -> None:
    lines = {line.split("  ")[0]: line for line in format_table(report()).splitlines()}
    assert "missing" in lines["hey (Go, one fixed body)"]
    assert "hey not installed" in lines["hey (Go, one fixed body)"]
    assert "failed" in lines["sosim replay fixtures.jsonl --max-rate"]
    assert " 0.38 " in lines["sosim run busy-hour.yaml --max-rate"]  # 30,000 / 80,000
    assert "10.00" in lines["sosim generate --format jsonl (no network)"]  # vs the hand script
    assert "k6, JS builds + signs each request" not in lines  # not measured: no row


def test_targets_skip_what_was_not_measured() -> None:
    found = {target.name.split(" >=")[0].split(" <")[0]: target.status for target in targets(report())}
    assert found["sosim generate --format jsonl (no network)"] == "PASS"  # 10x >= 5x
    assert found["sosim run busy-hour.yaml --max-rate"] == "SKIP"  # hey missing
    assert found["sosim replay fixtures.jsonl --max-rate"] == "SKIP"  # replay failed
    assert found["sosim --help"] == "PASS"  # median 80 ms
    assert to_json(report())["ratios"] == {
        "wrk": 1.0,
        "hey": None,
        "run": 0.375,
        "replay": None,
        "generate": 10.0,
        "hand": 1.0,
    }
