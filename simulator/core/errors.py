"""One exception hierarchy: the CLI turns each into a one-line message and exit code 2."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from pathlib import Path


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"did you mean 'x'?"`` for the closest of ``choices`` to a misspelt ``word``, or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"did you mean {close[0]!r}?" if close else ""


class SimulatorError(Exception):
    """Base of every error sosim reports to a user without a traceback."""


class ScenarioError(SimulatorError):
    """A scenario file is wrong; carries the file, the line and the field."""

    def __init__(
        self,
        path: str | Path,
        line: int | None,
        field: str,
        problem: str,
        *,
        also: Sequence[ScenarioError] = (),
    ) -> None:
        self.path = str(path)
        self.line = line
        self.field = field
        self.problem = problem
        #: The file's further errors after this first one (``sosim validate`` prints them all).
        self.also = tuple(also)
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {field}: {problem}" if field else f"{where}: {problem}")

    @property
    def every(self) -> tuple[ScenarioError, ...]:
        """This error and the file's further ones, in the file's order."""
        return (self, *self.also)


class RecordingError(SimulatorError):
    """A recording or fixture file cannot be read."""


class UsageError(SimulatorError):
    """A command-line option or expression is wrong."""
