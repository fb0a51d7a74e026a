"""Small fixes from issue 19: replaying a scenario file says to use `sosim run`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from simulator.cli import main

SCENARIO = Path(__file__).resolve().parents[2] / "scenarios/support-chat.yaml"


def test_replaying_a_yaml_scenario_says_use_run() -> None:
    """Not 'not valid JSON': one line naming `sosim run`, exit 2, nothing sent."""
    result = CliRunner().invoke(main, ["replay", str(SCENARIO)], env={"SOSIM_SECRET": "s3cret"})
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (
        f"sosim: error: {SCENARIO}: this is a scenario: use `sosim run {SCENARIO}` (replay takes a "
        "recording, a capture or generate's fixtures)"
    )
