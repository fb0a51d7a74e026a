"""Replay knows the planned total of generate's fixtures (for progress) without parsing them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.console import Console

import simulator.engine.replay as replay_engine
from simulator.cli import main
from simulator.core.outcome import Response
from simulator.delivery import transport as transports
from simulator.engine.run import RunConfig
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


class Instant:
    """A transport that answers 200 at once."""

    async def send(self, headers: tuple[tuple[str, str], ...], body: bytes) -> Response:
        return Response(200)

    async def aclose(self) -> None:
        """Nothing to close."""


def test_a_quiet_replay_reads_the_fixtures_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Only progress shows the planned total: `sosim replay -q` does not count a large file's
    lines before reading it again to send them."""
    out = tmp_path / "f.jsonl"
    result = CliRunner().invoke(main, ["generate", SUPPORT_CHAT, "--sessions", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output

    def refuse(source: object) -> int:
        raise AssertionError("counted the fixtures of a quiet replay")

    monkeypatch.setattr(replay_engine, "count_fixture_requests", refuse)
    monkeypatch.setattr(transports, "open_transport", lambda *args, **kwargs: Instant())
    config = RunConfig(
        scenarios=(str(out),), target="http://127.0.0.1:9/webhook", max_rate=True, quiet=True, preflight=False
    )
    outcome = replay_engine.replay(config, ReplayOptions(), console=Console(file=io.StringIO()))
    assert outcome.exit_code == 0
    assert outcome.stats.delivered == outcome.result.planned > 10
