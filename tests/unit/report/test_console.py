"""StderrConsole: rich's console for progress and summaries, which must not end a run when its
reader leaves (rich's own exits 1, sosim's code for a crossed threshold)."""

from __future__ import annotations

import contextlib
import os

import pytest

from simulator.report.console import StderrConsole


def test_a_console_whose_reader_left_falls_silent_instead_of_exiting(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the command line's quiet stderr (Locust's plugin, say): the print that meets the
    closed pipe returns, and the console says nothing more."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    broken = os.fdopen(write_end, "w")
    monkeypatch.setattr("sys.stderr", broken)
    try:
        console = StderrConsole()
        console.print("progress: " + "x" * 100)  # raised SystemExit(1) from rich's own console
        assert console.quiet
        console.print("the summary")  # nothing more is written, and nothing raises
    finally:
        with contextlib.suppress(BrokenPipeError):
            broken.close()
