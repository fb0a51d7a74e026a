"""An asyncio event loop in a daemon thread, written once on anyio's blocking portal.

:class:`LoopThread` is the loop and its thread: start it, hand it coroutines from other threads,
stop it. :class:`ServerThread` puts an asyncio server on one: the built-in receiver, the mock API
server and the tenant's delivery loop all run this way. anyio's portal owns the thread's lifecycle
(start, errors raised in the starting thread, an orderly stop that cancels what is left);
coroutines are handed over with ``asyncio.run_coroutine_threadsafe``, which never blocks. The loop
itself comes from :mod:`simulator.delivery.eventloop`, so the uvloop choice is made in one place.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import time
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, Self, TypeVar

from anyio.from_thread import BlockingPortal, start_blocking_portal

from simulator.delivery.eventloop import EventLoopFactory

T = TypeVar("T")

#: How long a thread waiting in ``LoopThread.call`` sleeps at a time (see there).
WAKE_EVERY_S = 0.1

__all__ = ["AsyncServer", "LoopThread", "ServerThread", "run_in_thread"]


class AsyncServer(Protocol):
    """Anything with coroutines that start listening and stop serving."""

    async def start(self) -> None:
        """Listen; return once the socket is bound."""

    async def stop(self) -> None:
        """Stop serving and close connections."""


class LoopThread:
    """An event loop running in a daemon thread; a context manager.

    ``submit`` and ``call`` run coroutines on it from any other thread. ``loop`` is there for
    ``call_soon_threadsafe`` hand-offs that must keep their order and must not wait.
    """

    def __init__(self, *, name: str, loop_factory: EventLoopFactory | None = None) -> None:
        """Prepare the thread; nothing runs until ``start`` or ``with``."""
        self._name = name
        self._loop_factory = loop_factory
        self._stack: contextlib.ExitStack | None = None
        self._portal: BlockingPortal | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def name(self) -> str:
        """The thread's name."""
        return self._name

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop (for ``call_soon_threadsafe``)."""
        if self._loop is None:
            raise RuntimeError(f"{self._name} is not running")
        return self._loop

    @property
    def running(self) -> bool:
        """Whether the loop runs (started and not yet stopped)."""
        return self._portal is not None

    def start(self) -> Self:
        """Start the thread and its loop; return once the loop runs."""
        if self._stack is not None:
            raise RuntimeError(f"{self._name} already started")
        options: dict[str, Any] = {}
        if self._loop_factory is not None:
            options["loop_factory"] = self._loop_factory
        stack = contextlib.ExitStack()
        portal = stack.enter_context(start_blocking_portal("asyncio", options, name=self._name))
        self._stack, self._portal = stack, portal
        self._loop = portal.call(_running_loop)
        return self

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule ``coroutine`` on the loop; its future can be waited on, or cancelled.

        This never blocks (the portal's ``start_task_soon`` waits for the loop to take the task,
        and a Ctrl-C landing in that wait would lose it): the task runs on the loop beside the
        portal, and the loop cancels it when it stops.
        """
        if self._loop is None:
            coroutine.close()
            raise RuntimeError(f"{self._name} is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop)

    def call(self, coroutine: Coroutine[Any, Any, T], timeout_s: float | None = None) -> T:
        """Run ``coroutine`` on the loop and return its result (or raise its error, or TimeoutError).

        The caller waits in slices of WAKE_EVERY_S: the kernel may hand Ctrl-C or SIGTERM to any
        thread, and its Python handler runs only when the main thread wakes, which a wait on the
        future alone would put off until the coroutine ends."""
        future = self.submit(coroutine)
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            left = WAKE_EVERY_S if deadline is None else min(WAKE_EVERY_S, deadline - time.monotonic())
            try:
                return future.result(max(left, 0.0))
            except concurrent.futures.TimeoutError:
                if future.done():  # just now, or it raised a TimeoutError of its own
                    return future.result()
                if deadline is not None and time.monotonic() >= deadline:
                    future.cancel()
                    raise TimeoutError(f"{self._name}: no result within {timeout_s} s") from None

    def stop(self, *, cancel: bool = False) -> None:
        """End the loop and wait for its thread. Coroutines still running are cancelled as the
        loop closes; ``cancel`` also cancels what runs inside the portal itself."""
        stack, portal = self._stack, self._portal
        if stack is None or portal is None:
            return
        self._portal = None
        try:
            if cancel:
                with contextlib.suppress(RuntimeError):  # the portal has already stopped
                    portal.call(portal.stop, True)
        finally:
            self._stack = None
            self._loop = None
            stack.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class ServerThread:
    """Runs an :class:`AsyncServer` on a :class:`LoopThread`; a context manager."""

    def __init__(
        self,
        server: AsyncServer,
        *,
        name: str,
        loop_factory: EventLoopFactory = asyncio.new_event_loop,
        start_timeout_s: float | None = None,
    ) -> None:
        """Prepare the thread; nothing listens until ``start`` or ``with``."""
        self._server = server
        self._start_timeout_s = start_timeout_s
        self._thread = LoopThread(name=name, loop_factory=loop_factory)

    def start(self) -> Self:
        """Start the thread; return once the socket listens, or raise why it could not."""
        if self._thread.running:
            raise RuntimeError(f"{self._thread.name} already started")
        self._thread.start()
        try:
            self._thread.call(self._server.start(), self._start_timeout_s)
        except TimeoutError:
            self._thread.stop(cancel=True)
            raise RuntimeError(f"{self._thread.name} did not start in time") from None
        except BaseException:
            self._thread.stop(cancel=True)
            raise
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if not self._thread.running:
            return
        try:
            self._thread.call(self._server.stop())
        finally:
            self._thread.stop(cancel=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run a coroutine on the server's loop from another thread and return its result."""
        if not self._thread.running:
            coroutine.close()
            raise RuntimeError(f"{self._thread.name} is not running")
        return self._thread.call(coroutine)


async def _running_loop() -> asyncio.AbstractEventLoop:
    return asyncio.get_running_loop()


def run_in_thread(
    main: Callable[[], Coroutine[Any, Any, T]], *, name: str, loop_factory: EventLoopFactory
) -> T:
    """Run ``main()`` to the end on a fresh loop in its own thread and return its result."""
    with LoopThread(name=name, loop_factory=loop_factory) as thread:
        return thread.call(main())
