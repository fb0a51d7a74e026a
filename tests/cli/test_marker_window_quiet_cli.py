"""Issue 19's options: ``run --no-fault-marker``, ``receive --id-window N``, and ``receive --quiet``
that still prints the verdict line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from simulator.cli import main
from simulator.core.checker import WebhookChecker
from simulator.core.faults import FAULT_HEADER

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = str(ROOT / "scenarios" / "support-chat.yaml")


def _fault_headers(recording: Path) -> list[str]:
    """The X-Sosim-Fault values of every request in a recording."""
    values = []
    for line in recording.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for name, value in record.get("headers") or ():
            if name == FAULT_HEADER:
                values.append(value)
    return values


@pytest.mark.parametrize(("flag", "marked"), [((), True), (("--no-fault-marker",), False)])
def test_fault_probes_carry_the_marker_unless_told_not_to(
    tmp_path: Path, flag: tuple[str, ...], marked: bool
) -> None:
    """By default each duplicate names its fault in X-Sosim-Fault; --no-fault-marker sends the
    duplicates exactly as a real sender would, without the header."""
    recording = tmp_path / "run.jsonl"
    args = ["run", SCENARIO, "--sessions", "1", "--secret", "s3cret", "--quiet"]
    args += ["--fault", "duplicate=100%", "--record", str(recording), *flag]
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 1), result.output
    headers = _fault_headers(recording)
    if marked:
        assert headers and set(headers) == {"duplicate"}
    else:
        assert headers == []


@pytest.mark.parametrize(("flag", "marked"), [((), True), (("--no-fault-marker",), False)])
def test_replay_marks_its_fault_probes_the_same_way(
    tmp_path: Path, flag: tuple[str, ...], marked: bool
) -> None:
    """`replay --fault duplicate` marks its duplicates too, and `--no-fault-marker` turns it off there."""
    fixtures, recording = tmp_path / "fx.jsonl", tmp_path / "replayed.jsonl"
    made = CliRunner().invoke(
        main, ["generate", SCENARIO, "--sessions", "1", "--secret", "s3cret", "-o", str(fixtures)]
    )
    assert made.exit_code == 0, made.output
    args = [
        "replay",
        str(fixtures),
        "--secret",
        "s3cret",
        "--max-rate",
        "--quiet",
        "--record",
        str(recording),
    ]
    result = CliRunner().invoke(main, [*args, "--fault", "duplicate=100%", *flag])
    assert result.exit_code in (0, 1), result.output
    headers = _fault_headers(recording)
    assert (set(headers) == {"duplicate"}) if marked else (headers == [])


def test_id_window_sets_how_many_event_ids_the_receiver_remembers() -> None:
    """--id-window N becomes the receiver's id_window (default 1,000,000), and --help says so."""
    from simulator.cli.config import receive_config
    from simulator.cli.receive import receive

    def window(*args: str) -> int:
        params = dict(receive.make_context("receive", list(args)).params)
        secret = params.pop("secret")
        params.pop("secret_env"), params.pop("secret_file")
        return receive_config(secret=secret, **params).receiver.id_window

    assert window("--id-window", "5") == 5
    assert window() == 1_000_000
    result = CliRunner().invoke(main, ["receive", "--help"])
    assert "--id-window N" in result.output and "1000000" in result.output
    refused = CliRunner().invoke(main, ["receive", "--id-window", "0"])
    assert refused.exit_code == 2


@pytest.mark.parametrize(("flag", "table"), [((), True), (("--quiet",), False)])
def test_quiet_receive_still_prints_the_verdict_line(
    monkeypatch: pytest.MonkeyPatch, flag: tuple[str, ...], table: bool
) -> None:
    """``sosim receive --quiet`` drops the table but still ends with the verdict line (before, it
    printed nothing at all); without --quiet both print."""
    from simulator.engine import receive as receive_module

    def served(_config: Any, *, console: Any) -> Any:
        return WebhookChecker("s3cret").tally

    monkeypatch.setattr(receive_module, "receive", served)
    result = CliRunner().invoke(main, ["receive", "--port", "0", "--secret", "s3cret", *flag])
    assert result.exit_code == 0, result.output
    assert ("sosim receive: verdict" in result.stderr) is table
    assert result.stderr.strip().splitlines()[-1] == "PASS: every request verified"
