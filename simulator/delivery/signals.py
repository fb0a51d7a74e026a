"""The process's Ctrl-C and SIGTERM: kept as they were found, or only noted for a while.

An event loop takes both signals over while it runs (uvloop leaves its closed loop's handler
behind, which ignores them); a run's last steps (flushing the recording, waiting for the
receiver's last API calls, writing the reports) must not be cut off halfway by either. Only the
main thread can set a handler: elsewhere these helpers change nothing.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

#: What ``signal.signal`` takes: a function of the number and the frame, SIG_IGN or SIG_DFL.
Handler = Callable[[int, Any], Any] | int | signal.Handlers

__all__ = [
    "STOP_SIGNALS",
    "handlers_set",
    "ignore_stop_signals",
    "kept_signal_handlers",
    "on_main_thread",
    "signals_noted",
]

#: The signals that stop a command: Ctrl-C and ``kill`` (a service manager, a CI timeout).
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def on_main_thread() -> bool:
    """Whether this thread may set signal handlers."""
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def kept_signal_handlers(*numbers: int) -> Iterator[None]:
    """After the block, the signals (Ctrl-C and SIGTERM unless given) have the handlers they had
    before it, whatever the block set."""
    if not on_main_thread():
        yield
        return
    previous = {number: signal.getsignal(number) for number in numbers or STOP_SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            if handler is not None:  # None: set outside Python, which cannot restore it
                signal.signal(number, handler)


@contextlib.contextmanager
def handlers_set(handlers: Mapping[int, Handler]) -> Iterator[None]:
    """Within the block, these handlers (by signal number); afterwards, the ones from before."""
    if not handlers or not on_main_thread():
        yield
        return
    with kept_signal_handlers(*handlers):
        for number, handler in handlers.items():
            signal.signal(number, handler)
        yield


@contextlib.contextmanager
def signals_noted(on_signal: Callable[[int], None] = lambda number: None) -> Iterator[None]:
    """Within the block Ctrl-C and SIGTERM interrupt nothing: each only calls ``on_signal`` with
    its number. Afterwards the handlers from before are back."""

    def note(number: int, _frame: object) -> None:
        on_signal(number)

    with handlers_set(dict.fromkeys(STOP_SIGNALS, note)):
        yield


def ignore_stop_signals() -> None:
    """From now on, Ctrl-C and SIGTERM do nothing: for a command that has printed its verdict
    and only exits (interpreter shutdown takes tens of ms, and a signal there would end the
    process by SIGINT instead of its own exit code)."""
    if on_main_thread():
        for number in STOP_SIGNALS:
            signal.signal(number, signal.SIG_IGN)
