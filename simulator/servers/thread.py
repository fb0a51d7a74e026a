"""An asyncio server on its own event loop in a daemon thread: the pattern behind the built-in
receiver, the mock API server and the tenant, written once."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, Self


class AsyncServer(Protocol):
    """Anything with coroutines that start listening and stop serving."""

    async def start(self) -> None:
        """Listen; return once the socket is bound."""

    async def stop(self) -> None:
        """Stop serving and close connections."""


class ServerThread:
    """Runs an :class:`AsyncServer` in a daemon thread; a context manager."""

    def __init__(
        self,
        server: AsyncServer,
        *,
        name: str,
        loop_factory: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop,
        start_timeout_s: float | None = None,
    ) -> None:
        """Prepare the thread; nothing listens until ``start`` or ``with``."""
        self._server = server
        self._name = name
        self._loop_factory = loop_factory
        self._start_timeout_s = start_timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self) -> Self:
        """Start the thread; return once the socket listens, or raise why it could not."""
        if self._thread is not None:
            raise RuntimeError(f"{self._name} already started")
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        if not self._ready.wait(self._start_timeout_s):
            raise RuntimeError(f"{self._name} did not start in time")
        if self._error is not None:
            self._thread.join()
            self._thread = None
            error, self._error = self._error, None
            raise error
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop has already ended and closed
            loop.call_soon_threadsafe(loop.stop)
        thread.join()
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run a coroutine on the server's loop from another thread and return its result."""
        if self._loop is None:
            raise RuntimeError(f"{self._name} is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def _run(self) -> None:
        loop = self._loop_factory()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            try:
                loop.run_until_complete(self._server.start())
            except BaseException as exc:  # handed to the starting thread, which raises it
                self._error = exc
                return
            finally:
                self._ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._server.stop())
        finally:
            loop.close()
