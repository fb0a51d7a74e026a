"""The console a command prints its progress and summary on: stderr, through rich.

Rich ends the process with exit code 1 when the reader of its output leaves (``sosim run ... 2>&1 |
head``). In sosim, 1 is a verdict (a crossed threshold), and a run stopped at its first status
line would leave its recording and reports unwritten. This console only falls silent instead: the
command finishes as it would have, its files whole, with its own exit code.
"""

from __future__ import annotations

from rich.console import Console

__all__ = ["StderrConsole"]


class StderrConsole(Console):
    """A rich console on stderr that falls silent when its reader leaves."""

    def __init__(self) -> None:
        super().__init__(stderr=True)

    def on_broken_pipe(self) -> None:
        """Say nothing more; do not exit. (Under the command line, sys.stderr itself already falls
        silent: see ``simulator.cli.streams``.)"""
        self.quiet = True
