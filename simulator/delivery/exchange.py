"""The callback face of a delivery transport, and how a failed exchange is classified.

The delivery engine starts an exchange and is told its outcome later, from a callback: no
coroutine, future or task per request on the fast path. :class:`~simulator.delivery.lean.LeanTransport`
has such a face itself (``submit``); :class:`TaskSubmitter` gives one to any transport that only
has the ``send`` coroutine of :class:`~simulator.delivery.transport.AsyncTransport`. Imports no HTTP client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

from simulator.core.outcome import ErrorKind, Outcome, Response

__all__ = ["Headers", "OnDone", "Submitter", "TaskSubmitter", "classify_error"]

Headers = tuple[tuple[str, str], ...]

#: Called once with an exchange's outcome.
OnDone = Callable[[Outcome], None]


class Submitter(Protocol):
    """The callback face of a transport: start an exchange now, report its outcome later.

    ``on_done`` is never called before the call returns. :class:`LeanTransport` has one
    (``submit``) that reports from its protocol callbacks; :class:`TaskSubmitter` gives any other
    transport one.
    """

    def __call__(self, headers: Headers, body: bytes, on_done: OnDone) -> None:
        """Start sending ``body``; call ``on_done`` with the response or the exception."""


class TaskSubmitter:
    """The callback face over a ``send`` coroutine: each exchange runs in a task of its own."""

    def __init__(self, send: Callable[[Headers, bytes], Awaitable[Response]]) -> None:
        self._send = send
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, headers: Headers, body: bytes, on_done: OnDone) -> None:
        """Start the exchange in a task; ``on_done`` gets the response or the exception."""
        task = asyncio.ensure_future(self._exchange(headers, body, on_done))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel(self) -> None:
        """Abandon every exchange still running: they report nothing."""
        for task in list(self._tasks):
            task.cancel()

    async def _exchange(self, headers: Headers, body: bytes, on_done: OnDone) -> None:
        try:
            outcome: Outcome = await self._send(headers, body)
        except Exception as exc:  # a failed attempt, reported as such
            outcome = exc
        on_done(outcome)


def classify_error(exc: BaseException) -> tuple[ErrorKind, str]:
    """The kind and detail of a failed exchange, whichever transport (or bug) raised it."""
    kind = getattr(exc, "kind", None)
    if kind == "timeout" or kind == "connect" or kind == "protocol":
        return kind, str(getattr(exc, "detail", exc))
    if isinstance(exc, TimeoutError):
        return "timeout", "timed out"
    if isinstance(exc, OSError):
        return "connect", str(exc) or type(exc).__name__
    return "protocol", f"{type(exc).__name__}: {exc}"
