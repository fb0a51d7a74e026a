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

import pytest

from simulator.cli.options import EXIT_BROKEN_PIPE

ROOT = Path(__file__).resolve().parents[2]


def sosim_into_closed_pipe(
    *args: str,
    stream: str,
    secret: str | None = "pipe-secret",
    program: tuple[str, ...] = ("-m", "simulator"),
) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m simulator ARGS`` with ``stream`` (stdout or stderr) a pipe nobody reads;
    without ``secret`` SOSIM_SECRET is unset, so the scenarios' default signs (and a warning says so)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    other = subprocess.PIPE
    env = {k: v for k, v in os.environ.items() if k not in ("SOSIM_SECRET", "PYTHONUNBUFFERED")}
    if secret is not None:
        env["SOSIM_SECRET"] = secret
    try:
        return subprocess.run(
            [sys.executable, *program, *args],
            cwd=ROOT,
            stdout=write_end if stream == "stdout" else other,
            stderr=write_end if stream == "stderr" else other,
            env=env,
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
@pytest.mark.parametrize("secret", ["pipe-secret", None], ids=["secret-set", "default-secret-warning"])
def test_a_run_whose_progress_reader_left_finishes_with_its_files_and_its_own_code(
    tmp_path: Path, secret: str | None
) -> None:
    """stderr gone (``2>&1 | head``): the run still delivers everything, writes its recording and
    report whole and exits with its own verdict, not rich's 1 nor 141. Without SOSIM_SECRET the
    first thing it prints is a plain warning, before any console exists."""
    recording, report = tmp_path / "run.jsonl", tmp_path / "run.json"
    done = sosim_into_closed_pipe(
        *("run", "scenarios/support-chat.yaml", "--sessions", "3", "--max-rate"),
        *("--record", str(recording), "--report", str(report)),
        stream="stderr",
        secret=secret,
    )
    assert done.returncode == 0
    lines = [json.loads(line) for line in recording.read_text(encoding="utf-8").splitlines()]
    assert lines[-1].get("type") == "end" and lines[-1]["interrupted"] is False
    requests = sum(1 for line in lines if line.get("type") == "attempt")
    totals = json.loads(report.read_text(encoding="utf-8"))["totals"]
    assert requests > 0 and totals["requests"] == totals["delivered"] == requests


#: A command of sosim's group that prints to stdout, warns on stderr, then meets an EPIPE that is
#: not its output's (a socket's, say) when told to.
SYNTHETIC = """
import sys, click
from simulator.cli.options import SosimGroup

@click.group(cls=SosimGroup)
def cli():
    pass

@cli.command()
@click.option("--boom", is_flag=True)
@click.option("--flood", is_flag=True)
def talk(boom, flood):
    print("x" * 140)  # to stdout, still buffered: no PYTHONUNBUFFERED
    print("a warning", file=sys.stderr)
    if boom:
        raise BrokenPipeError(32, "Broken pipe")
    if flood:
        sys.stderr.write("pending")  # no newline: held in stderr's line buffer until exit
        for _ in range(10_000):
            print("y" * 100)

cli()
"""


def test_a_broken_pipe_that_is_not_the_output_is_a_visible_error(tmp_path: Path) -> None:
    """An EPIPE while stdout and stderr still have their readers is not hidden as 141, nor as
    click's silent 1: it names itself."""
    out = tmp_path / "out.txt"
    with out.open("wb") as stdout:
        done = subprocess.run(
            [sys.executable, "-c", SYNTHETIC, "talk", "--boom"],
            cwd=ROOT, stdout=stdout, stderr=subprocess.PIPE, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode not in (0, EXIT_BROKEN_PIPE)
    assert b"RuntimeError: a broken pipe that is not sosim's output" in done.stderr
    assert b"a warning" in done.stderr


def test_a_warning_to_a_stderr_nobody_reads_leaves_stdout_whole() -> None:
    """stderr gone, stdout a file: the warning vanishes, the command ends as it would (0), and the
    140 bytes still buffered for stdout are written (only the broken stream is silenced)."""
    done = sosim_into_closed_pipe("talk", stream="stderr", program=("-c", SYNTHETIC))
    assert done.returncode == 0
    assert done.stdout == b"x" * 140 + b"\n"


def test_a_stdout_nobody_reads_silences_stdout_only() -> None:
    """stdout gone mid-output: 141, and what stderr still held is written at exit."""
    done = sosim_into_closed_pipe("talk", "--flood", stream="stdout", program=("-c", SYNTHETIC))
    assert done.returncode == EXIT_BROKEN_PIPE
    assert done.stderr == b"a warning\npending"


def test_generate_to_a_closed_stdout_is_an_error_not_a_file_named_dash(tmp_path: Path) -> None:
    """Started with stdout closed (``>&-``), ``--out -`` has nowhere to go: it says so, and writes no
    file called ``-`` in the working directory."""
    scenario = str(ROOT / "scenarios" / "support-chat.yaml")
    words = ("generate", scenario, "--sessions", "1", "--out", "-", "--secret", "s")
    done = subprocess.run(
        [sys.executable, "-m", "simulator", *words],
        cwd=tmp_path, stderr=subprocess.PIPE, timeout=60, check=False,
        preexec_fn=lambda: os.close(1), env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.decode().strip() == "sosim: error: --out -: stdout is closed: give a file to write to"
    assert not (tmp_path / "-").exists()
