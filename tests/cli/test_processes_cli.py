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


@pytest.mark.parametrize("command", ["run", "replay"])
def test_more_than_four_workers_a_core_is_refused_before_any_starts(
    command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--processes 999`` on a 2-core machine started 999 interpreters (gigabytes of memory) for a
    run of 2 sessions; now it is a usage error, and 4 a core is still taken."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: {0, 1}, raising=False)
    args = [command, "scenarios/support-chat.yaml", "--target", "http://127.0.0.1:9/hook", "--processes"]
    result = CliRunner().invoke(main, [*args, "999"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "sosim: error: --processes '999': more than 8 (4 for each of the 2 usable core(s)): "
        "workers beyond the cores only share them; auto gives 2"
    )
    from simulator.cli.types import PROCESSES

    assert PROCESSES.convert("8", None, None) == 8  # the limit itself is allowed
