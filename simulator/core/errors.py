"""One exception hierarchy: the CLI turns each into a one-line message and exit code 2."""

from __future__ import annotations

from pathlib import Path


class SimulatorError(Exception):
    """Base of every error sosim reports to a user without a traceback."""


class ScenarioError(SimulatorError):
    """A scenario file is wrong; carries the file, the line and the field."""

    def __init__(self, path: str | Path, line: int | None, field: str, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.problem = problem
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {field}: {problem}" if field else f"{where}: {problem}")


class RecordingError(SimulatorError):
    """A recording or fixture file cannot be read."""


class UsageError(SimulatorError):
    """A command-line option or expression is wrong."""
