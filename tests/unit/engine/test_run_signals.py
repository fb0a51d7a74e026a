"""A run hands Ctrl-C and SIGTERM back as it found them.

The run's event loop takes both signals over while it runs. uvloop leaves its closed loop's
handler installed, and that handler does nothing, so a Ctrl-C after the loop closed (while
``--serve-api`` waits for the receiver's last calls, or in a program that embeds sosim) went
unheard.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from simulator.engine import run as engine_run
from simulator.engine.run import RunConfig, run

uvloop = pytest.importorskip("uvloop")

SUPPORT_CHAT = str(Path(__file__).parents[3] / "scenarios" / "support-chat.yaml")


def on_sigterm(_signum: int, _frame: object) -> None:
    """The embedding program's own SIGTERM handler."""


@pytest.fixture
def own_handlers(set_stop_handlers: Callable[[Any, Any], None]) -> None:
    set_stop_handlers(signal.default_int_handler, on_sigterm)


@pytest.mark.usefixtures("own_handlers")
@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_a_run_leaves_the_signal_handlers_it_found(loop: str, monkeypatch: pytest.MonkeyPatch) -> None:
    factory = uvloop.new_event_loop if loop == "uvloop" else asyncio.new_event_loop
    monkeypatch.setattr(engine_run, "event_loop_factory", lambda: factory)
    config = RunConfig(scenarios=(SUPPORT_CHAT,), secret="s", sessions=2, max_rate=True, quiet=True)
    outcome = run(config)
    assert outcome.exit_code == 0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert signal.getsignal(signal.SIGTERM) is on_sigterm
