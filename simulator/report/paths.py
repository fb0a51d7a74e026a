"""Output paths, checked before a run sends anything.

The same rule for every output (report, junit, html, record, generate's out): a missing parent
directory is created; an existing directory given as a file, or a place that cannot be written,
is a usage error at once instead of a traceback after the load test.
"""

from __future__ import annotations

import os
from pathlib import Path

from simulator.core.errors import UsageError
from simulator.core.files import is_special_file, partial_path

#: The path that means standard output (``--report -``, ``generate --out -``).
STDOUT = "-"


def is_stdout(path: str | Path | None) -> bool:
    """True for ``-``: write to standard output instead of a file."""
    return path is not None and str(path) == STDOUT


def check_output(path: str | Path, option: str, *, stdout_ok: bool = False, directory: bool = False) -> None:
    """Make ``path`` ready to be written, or raise UsageError naming ``option`` (the config field:
    ``report``, ``record``, ``out``; the CLI shows it as its ``--report`` ...).

    ``directory``: the output is a directory (created when missing), not a file.
    """
    if is_stdout(path):
        if not stdout_ok:
            raise UsageError("this output cannot go to stdout; give a file path", option=option, value="-")
        return
    target = Path(path)
    if not directory and is_special_file(target):  # /dev/null, a FIFO: written in place, not replaced
        if not os.access(target, os.W_OK):
            raise UsageError("cannot be written (permission denied)", option=option, value=str(target))
        return
    if directory:
        if target.exists() and not target.is_dir():
            raise UsageError("exists and is not a directory", option=option, value=str(target))
        _make_dir(target, option, target)
        _check_writable(target, option, target)
        return
    if target.is_dir():
        raise UsageError(
            f"is a directory; give a file path, e.g. {target / 'out'}", option=option, value=str(target)
        )
    # A symlink's file is what gets written (written_whole); any other path is checked as given.
    real = Path(os.path.realpath(target)) if target.is_symlink() else target
    parent = real.parent
    _make_dir(parent, option, target)
    _check_writable(parent, option, target)
    if real.exists() and not os.access(real, os.W_OK):
        raise UsageError("the file is not writable", option=option, value=str(target))
    _check_creatable(real, option, target)


def _make_dir(directory: Path, option: str, target: Path) -> None:
    if directory.is_dir():
        return
    if directory.exists():
        raise UsageError(f"{directory} is a file, not a directory", option=option, value=str(target))
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UsageError(
            f"cannot create the directory {directory} ({reason})", option=option, value=str(target)
        ) from None


def _check_creatable(real: Path, option: str, target: Path) -> None:
    """Create and remove the temporary file the write will use: a directory that lets nothing be
    created (``/proc``, a read-only mount) fails here, before the run, not after it."""
    partial = partial_path(real)
    try:
        partial.open("xb").close()
    except FileExistsError:
        return  # this process's own name, already there: the directory takes files
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UsageError(
            f"cannot create a file in {real.parent} ({reason})", option=option, value=str(target)
        ) from None
    partial.unlink(missing_ok=True)


def _check_writable(directory: Path, option: str, target: Path) -> None:
    if not os.access(directory, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write in {directory} (permission denied)", option=option, value=str(target))
