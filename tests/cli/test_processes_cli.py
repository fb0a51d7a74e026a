"""--processes N|auto: a number of worker processes, auto = the cores this process may use."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from simulator.cli import main
from simulator.cli.options import usable_cores


def test_auto_is_the_usable_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 3, 5}, raising=False)
    assert usable_cores() == 3


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_value_is_a_usage_error(value: str) -> None:
    result = CliRunner().invoke(main, ["run", "scenarios/support-chat.yaml", "--processes", value])
    assert result.exit_code == 2
    assert "--processes" in result.output and "not a number of processes" in result.output


def test_replay_takes_it_too() -> None:
    result = CliRunner().invoke(main, ["replay", "--help"])
    assert "--processes N|auto" in result.output
