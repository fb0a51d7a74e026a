"""One exception hierarchy: the CLI turns each into a one-line message and exit code 2."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"did you mean 'x'?"`` for the closest of ``choices`` to a misspelt ``word``, or ``""``."""
    import difflib  # only when a word is wrong: sosim --help never needs it

    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"did you mean {close[0]!r}?" if close else ""


class SimulatorError(Exception):
    """Base of every error sosim reports to a user without a traceback.

    ``option`` names the config field the error is about (``rate``, ``thresholds``, ``record``) and
    ``value`` shows what it held, so ``str(error)`` reads ``thresholds 'p99 >> 1': problem``; the
    CLI shows the same error with the command-line option instead of the field.
    """

    def __init__(self, problem: str = "", *, option: str | None = None, value: str | None = None) -> None:
        self.problem = problem
        self.option = option
        self.value = value
        super().__init__(self.describe(option) if option else problem)

    def describe(self, name: str | None) -> str:
        """The message with ``name`` (a field, or the CLI's option) in front of the value."""
        if not name:
            return self.problem
        return f"{name} {self.value}: {self.problem}" if self.value is not None else f"{name}: {self.problem}"


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
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {field}: {problem}" if field else f"{where}: {problem}")
        self.path = str(path)
        self.line = line
        self.field = field
        self.problem = problem
        #: The file's further errors after this first one (``sosim validate`` prints them all).
        self.also = tuple(also)

    @property
    def every(self) -> tuple[ScenarioError, ...]:
        """This error and the file's further ones, in the file's order."""
        return (self, *self.also)


class RecordingError(SimulatorError):
    """A recording or fixture file cannot be read."""


class UsageError(SimulatorError):
    """A command-line option or expression is wrong."""
