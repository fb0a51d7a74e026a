"""signals_noted: within it Ctrl-C and SIGTERM interrupt nothing and are only reported; after
it, and after kept_signal_handlers, the handlers from before are back."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

import pytest

from simulator.delivery.signals import kept_signal_handlers, signals_noted


def on_term(_signum: int, _frame: object) -> None:
    raise AssertionError("SIGTERM reached the handler from before the block")


@pytest.fixture
def handlers(set_stop_handlers: Callable[[Any, Any], None]) -> None:
    """Ctrl-C raises, SIGTERM fails the test: a signal that gets past the block shows."""
    set_stop_handlers(signal.default_int_handler, on_term)


@pytest.mark.usefixtures("handlers")
def test_within_the_block_a_signal_is_only_reported() -> None:
    heard: list[int] = []
    with signals_noted(heard.append):
        os.kill(os.getpid(), signal.SIGINT)  # the handler runs before kill returns to Python code
        os.kill(os.getpid(), signal.SIGTERM)
    assert heard == [signal.SIGINT, signal.SIGTERM]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) is on_term
    with pytest.raises(KeyboardInterrupt):  # and afterwards Ctrl-C interrupts again
        os.kill(os.getpid(), signal.SIGINT)


@pytest.mark.usefixtures("handlers")
def test_kept_signal_handlers_undoes_what_the_block_set() -> None:
    with kept_signal_handlers():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) is on_term
