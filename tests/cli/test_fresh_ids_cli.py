"""`sosim run` draws fresh EventIds per run, so a receiver that deduplicates keeps a second run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from simulator.recording.record import decode_body

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = "scenarios/support-chat.yaml"


def _run(
    tmp_path: Path, name: str, *extra: str
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """Run the scenario against the built-in receiver; return the recording's header, its first
    attempts and the JSON report."""
    record, report = tmp_path / f"{name}.jsonl", tmp_path / f"{name}.json"
    done = subprocess.run(
        [
            sys.executable, "-m", "simulator", "run", SCENARIO, "--max-rate", "--sessions", "2",
            "--scenario-time", "--quiet", "--record", str(record), "--report", str(report), *extra,
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, "SOSIM_SECRET": "s3cret"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
    firsts = [line for line in lines[1:] if line.get("type") == "attempt" and line["attempt"] == 1]
    firsts.sort(key=lambda line: (line["primary_key"], line["intended_s"], line["event"]))
    return lines[0], firsts, json.loads(report.read_text(encoding="utf-8"))


def _ids(attempts: list[dict[str, Any]]) -> list[str]:
    return [line["event_id"] for line in attempts]


def _bodies_without_ids(attempts: list[dict[str, Any]]) -> list[bytes]:
    return [decode_body(line).replace(line["event_id"].encode(), b"<id>") for line in attempts]


def test_two_runs_of_one_scenario_send_different_event_ids_and_the_same_payloads(tmp_path: Path) -> None:
    """Each run mixes a random run id into its EventIds (recorded in the header and the JSON
    report); everything else in the payloads stays seeded."""
    first_header, first, first_report = _run(tmp_path, "first")
    second_header, second, _second_report = _run(tmp_path, "second")
    assert first and len(first) == len(second)
    assert not set(_ids(first)) & set(_ids(second))
    assert len(set(_ids(first))) == len(first)
    assert _bodies_without_ids(first) == _bodies_without_ids(second)
    assert first_header["run_id"] and first_header["run_id"] != second_header["run_id"]
    assert first_report["run"]["run_id"] == first_header["run_id"]


def test_deterministic_ids_reproduce_a_run_exactly(tmp_path: Path) -> None:
    """--deterministic-ids sends the seeded EventIds: the same every run, and no run id."""
    header, first, _report = _run(tmp_path, "first", "--deterministic-ids")
    _header, second, _report = _run(tmp_path, "second", "--deterministic-ids")
    assert _ids(first) == _ids(second)
    assert header["run_id"] is None


def test_replay_accepts_a_recording_without_a_run_id(tmp_path: Path) -> None:
    """Recordings made before run ids existed (no ``run_id`` in the header) still replay."""
    header, first, _report = _run(tmp_path, "old")
    lines = (tmp_path / "old.jsonl").read_text(encoding="utf-8").splitlines()
    del header["run_id"]
    (tmp_path / "old.jsonl").write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "simulator", "replay", str(tmp_path / "old.jsonl"), "--max-rate", "--quiet",
         "--report", str(tmp_path / "replay.json")],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env={**os.environ, "SOSIM_SECRET": "s3cret"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "replay.json").read_text(encoding="utf-8"))
    assert report["run"]["command"] == "replay"
    assert first
