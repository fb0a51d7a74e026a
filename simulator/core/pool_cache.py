"""The identity pools, kept on disk between runs: Faker's import and draws are most of the start.

A pool depends only on its locale, seed and size, the Faker release and sosim's way of drawing.
Drawing busy-hour's seven pools imports Faker (about 150 ms) and makes 14,000 Faker calls (about
250 ms), at the start of every ``sosim run`` and ``sosim generate``; loading them from here takes
about 2 ms. An entry is named by all of those inputs, so a cached pool is the pool Faker would
draw, and the bytes generated are the same with the cache or without it.

Where: ``$SOSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/sosim``, else ``~/.cache/sosim``;
``SOSIM_CACHE_DIR=off`` turns the cache off. A directory that cannot be written, or an entry that
cannot be read, only means drawing the pool again: the cache never fails a run.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import re
import tempfile
from pathlib import Path

__all__ = ["CACHE_ENV", "MAX_ENTRIES", "cache_dir", "load", "store"]

CACHE_ENV = "SOSIM_CACHE_DIR"
OFF = "off"
#: Entries kept; the oldest go first. One entry is a pool of one locale, about 30 KB at size 512.
MAX_ENTRIES = 256
#: Bumped when an entry's layout changes.
FORMAT = 1
_FAKER_VERSION = re.compile(rb'^VERSION\s*=\s*"([^"]+)"', re.MULTILINE)

Columns = tuple[tuple[str, ...], ...]


def cache_dir() -> Path | None:
    """The pools' directory, or None when the cache is off."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None:
        return None if chosen.strip().lower() in ("", OFF) else Path(chosen) / f"pools-{FORMAT}"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sosim" / f"pools-{FORMAT}"


def load(drawn_by: str, locale: str, seed: int, size: int) -> Columns | None:
    """The pool's columns as last stored, or None (no cache, no entry, or an unreadable one)."""
    path = _entry(drawn_by, locale, seed, size)
    if path is None:
        return None
    try:
        entry = json.loads(path.read_bytes())
        if entry["key"] != [drawn_by, locale, seed, size]:  # a digest collision, or a foreign file
            return None
        columns = tuple(tuple(column) for column in entry["columns"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not all(isinstance(value, str) for column in columns for value in column):
        return None
    return columns


def store(drawn_by: str, locale: str, seed: int, size: int, columns: Columns) -> None:
    """Keep a freshly drawn pool for later runs; any failure to write is ignored."""
    path = _entry(drawn_by, locale, seed, size)
    if path is None:
        return
    entry = {"key": [drawn_by, locale, seed, size], "columns": columns}
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: a concurrent run (xdist, --processes) reads a whole entry or none.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".pool-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
            os.replace(temporary, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        _prune(path.parent)


def _entry(drawn_by: str, locale: str, seed: int, size: int) -> Path | None:
    directory = cache_dir()
    if directory is None:
        return None
    key = f"{drawn_by}\0{faker_stamp()}\0{locale}\0{seed}\0{size}".encode()
    return directory / f"{locale}-{hashlib.blake2b(key, digest_size=12).hexdigest()}.json"


@functools.cache
def faker_stamp() -> str:
    """Which Faker is installed, without importing it: its version and its package's file stamp
    (read once a process, not once for each locale's load and store)."""
    spec = importlib.util.find_spec("faker")
    if spec is None or spec.origin is None:
        return "no-faker"
    try:
        origin = Path(spec.origin)
        stat = origin.stat()
        found = _FAKER_VERSION.search(origin.read_bytes())
    except OSError:
        return "unknown"
    version = found.group(1).decode() if found else "?"
    return f"{version}:{origin}:{stat.st_mtime_ns}:{stat.st_size}"


def _prune(directory: Path) -> None:
    """Keep the newest ``MAX_ENTRIES`` entries."""
    with contextlib.suppress(OSError):
        entries = sorted(directory.glob("*.json"), key=lambda path: path.stat().st_mtime_ns)
        for path in entries[: max(0, len(entries) - MAX_ENTRIES)]:
            with contextlib.suppress(OSError):
                path.unlink()
