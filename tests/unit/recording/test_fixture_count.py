"""Replay knows the planned total of generate's fixtures (for progress) without parsing them."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from simulator.cli import main
from simulator.recording.replay import ReplayOptions, count_fixture_requests, replay_plan

SUPPORT_CHAT = str(Path(__file__).parents[3] / "scenarios" / "support-chat.yaml")


def test_the_fixture_count_is_the_number_of_requests_replay_sends(tmp_path: Path) -> None:
    """Counted with or without a final newline, it equals what replay plans to send."""
    out = tmp_path / "f.jsonl"
    result = CliRunner().invoke(main, ["generate", SUPPORT_CHAT, "--sessions", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    _, planned = replay_plan(out, ReplayOptions())
    total = len(list(planned))
    assert total > 10
    assert count_fixture_requests(out) == total
    out.write_bytes(out.read_bytes().rstrip(b"\n"))
    assert count_fixture_requests(out) == total
