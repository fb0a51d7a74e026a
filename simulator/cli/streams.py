"""sosim's stdout and stderr when the program reading them leaves (``sosim ... | head``).

Kept free of rich and click, so the command line can use it before either is imported: ``sosim
--help`` loads it.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
from collections.abc import Iterable, Iterator
from typing import IO, Any

__all__ = ["QuietWhenReaderLeaves", "broken_fds", "point_at_devnull", "quiet_stderr"]


def broken_fds(streams: Iterable[IO[Any] | None]) -> list[int]:
    """The file descriptors among ``streams`` whose reader has closed its end of the pipe (the
    write end then polls POLLERR). Without ``poll()`` every descriptor counts: trust the error."""
    fds = []
    for stream in streams:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            fds.append(stream.fileno())  # type: ignore[union-attr]  # None has no fileno: skipped
    poll = getattr(select, "poll", None)
    if poll is None:
        return fds
    poller = poll()
    for fd in fds:
        poller.register(fd, select.POLLOUT)
    return [fd for fd, events in poller.poll(0) if events & (select.POLLERR | select.POLLHUP)]


def point_at_devnull(fd: int) -> None:
    """Make ``fd`` write to /dev/null: what is still buffered for it, and later writes, vanish."""
    with contextlib.suppress(OSError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, fd)
        finally:
            os.close(devnull)


class QuietWhenReaderLeaves:
    """A text stream (stderr) that falls silent when its reader leaves, instead of raising
    BrokenPipeError into whatever printed: a warning or a status line must not end a run."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        """Write, or drop the text once the reader has gone."""
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._fall_silent()
            return len(text)

    def flush(self) -> None:
        """Flush, or drop what is buffered once the reader has gone."""
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._fall_silent()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _fall_silent(self) -> None:
        with contextlib.suppress(AttributeError, OSError, ValueError):
            point_at_devnull(self._stream.fileno())


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Within the block, ``sys.stderr`` falls silent when its reader leaves; afterwards it is the
    stream it was (a test runner's capture, say)."""
    stream = sys.stderr
    if stream is None:
        yield
        return
    sys.stderr = QuietWhenReaderLeaves(stream)
    try:
        yield
    finally:
        sys.stderr = stream
