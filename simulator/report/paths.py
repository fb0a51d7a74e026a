"""Output paths, checked before a run sends anything.

The same rule everywhere (--report, --junit, --html, --record, generate --out): a missing parent
directory is created; an existing directory given as a file, or a place that cannot be written,
is a usage error at once instead of a traceback after the load test.
"""

from __future__ import annotations

import os
from pathlib import Path

from simulator.core.errors import UsageError

#: The path that means standard output (``--report -``, ``generate --out -``).
STDOUT = "-"


def is_stdout(path: str | Path | None) -> bool:
    """True for ``-``: write to standard output instead of a file."""
    return path is not None and str(path) == STDOUT


def check_output(path: str | Path, option: str, *, stdout_ok: bool = False, directory: bool = False) -> None:
    """Make ``path`` ready to be written, or raise UsageError naming ``option``.

    ``directory``: the output is a directory (created when missing), not a file.
    """
    if is_stdout(path):
        if not stdout_ok:
            raise UsageError(f"{option} -: this output cannot go to stdout; give a file path")
        return
    target = Path(path)
    if directory:
        if target.exists() and not target.is_dir():
            raise UsageError(f"{option} {target}: exists and is not a directory")
        _make_dir(target, option, target)
        _check_writable(target, option, target)
        return
    if target.is_dir():
        raise UsageError(f"{option} {target}: is a directory; give a file path, e.g. {target / 'out'}")
    parent = target.parent
    _make_dir(parent, option, target)
    _check_writable(parent, option, target)
    if target.exists() and not os.access(target, os.W_OK):
        raise UsageError(f"{option} {target}: the file is not writable")


def _make_dir(directory: Path, option: str, target: Path) -> None:
    if directory.is_dir():
        return
    if directory.exists():
        raise UsageError(f"{option} {target}: {directory} is a file, not a directory")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UsageError(f"{option} {target}: cannot create the directory {directory} ({reason})") from None


def _check_writable(directory: Path, option: str, target: Path) -> None:
    if not os.access(directory, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {target}: cannot write in {directory} (permission denied)")
