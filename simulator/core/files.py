"""Files written whole: a temporary name beside the target, renamed onto it at the end.

A symlink is followed, and a target that is no regular file (``/dev/null``, a FIFO, a terminal)
is written in place: renaming over it would replace the device or the link with a plain file.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path

__all__ = ["is_special_file", "partial_path", "written_whole"]


def is_special_file(path: str | Path) -> bool:
    """Whether ``path`` (its symlinks followed) exists and is no regular file or directory."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def partial_path(path: Path) -> Path:
    """The temporary name a whole write of ``path`` uses until it is renamed onto ``path``."""
    return path.with_name(f".{path.name}.{os.getpid()}.partial")


@contextlib.contextmanager
def written_whole(path: str | Path) -> Iterator[Path]:
    """The path to write instead of ``path``: renamed onto it when the block ends normally and
    removed when it fails or is interrupted (KeyboardInterrupt included). A special file, or the
    file a symlink names, is what gets written: the link and the device stay as they are."""
    if is_special_file(path):  # opened through any link: /proc/self/fd/1 has no real path to resolve
        yield Path(path)
        return
    real = Path(os.path.realpath(path))
    partial = partial_path(real)
    try:
        yield partial
        os.replace(partial, real)
    finally:
        partial.unlink(missing_ok=True)
