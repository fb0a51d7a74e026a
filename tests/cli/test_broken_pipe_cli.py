"""A reader of sosim's output that leaves (``sosim generate -o - | head``): a quiet exit, never 1.

Each subprocess gets a pipe whose read end is closed before it starts, so its first write (or its
flush at exit) meets EPIPE however fast it runs: no race with the child's timing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from simulator.cli.options import EXIT_BROKEN_PIPE, SosimGroup

ROOT = Path(__file__).resolve().parents[2]


def sosim_into_closed_pipe(*args: str, stream: str) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m simulator ARGS`` with ``stream`` (stdout or stderr) a pipe nobody reads."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    other = subprocess.PIPE
    try:
        return subprocess.run(
            [sys.executable, "-m", "simulator", *args],
            cwd=ROOT,
            stdout=write_end if stream == "stdout" else other,
            stderr=write_end if stream == "stderr" else other,
            env={**os.environ, "SOSIM_SECRET": "pipe-secret"},
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)


def test_generate_to_a_reader_that_left_exits_141_without_a_word() -> None:
    """Many lines to stdout: the first write that fails ends it with the shell's SIGPIPE code."""
    done = sosim_into_closed_pipe(
        "generate", "scenarios/busy-hour.yaml", "--sessions", "50", "-o", "-", stream="stdout"
    )
    assert done.returncode == EXIT_BROKEN_PIPE == 141
    assert done.stderr == b""


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("events",), ("generate", "--help")])
def test_help_and_short_outputs_to_a_reader_that_left_exit_141_too(args: tuple[str, ...]) -> None:
    """Top-level --help and --version are printed while the command line is parsed, before any
    command runs; a subcommand's --help and ``sosim events`` while it runs: 141 from both."""
    done = sosim_into_closed_pipe(*args, stream="stdout")
    assert done.returncode == 141
    assert done.stderr == b"", done.stderr.decode(errors="replace")


@pytest.mark.e2e
def test_a_run_whose_progress_reader_left_finishes_with_its_files_and_its_own_code(tmp_path: Path) -> None:
    """stderr gone (``2>&1 | head``): the run still delivers everything, writes its recording and
    report whole and exits with its own verdict, not rich's 1."""
    recording, report = tmp_path / "run.jsonl", tmp_path / "run.json"
    done = sosim_into_closed_pipe(
        *("run", "scenarios/support-chat.yaml", "--sessions", "3", "--max-rate"),
        *("--record", str(recording), "--report", str(report)),
        stream="stderr",
    )
    assert done.returncode == 0
    lines = [json.loads(line) for line in recording.read_text(encoding="utf-8").splitlines()]
    assert lines[-1].get("type") == "end" and lines[-1]["interrupted"] is False
    requests = sum(1 for line in lines if line.get("type") == "attempt")
    totals = json.loads(report.read_text(encoding="utf-8"))["totals"]
    assert requests > 0 and totals["requests"] == totals["delivered"] == requests


def test_a_broken_pipe_that_is_not_the_output_is_not_hidden_as_141() -> None:
    """An EPIPE from elsewhere (a socket) while stdout and stderr are fine is not a reader leaving."""

    @click.group(cls=SosimGroup)
    def cli() -> None:
        pass

    @cli.command()
    def boom() -> None:
        raise BrokenPipeError(32, "Broken pipe")

    result = CliRunner().invoke(cli, ["boom"])
    assert result.exit_code != EXIT_BROKEN_PIPE
