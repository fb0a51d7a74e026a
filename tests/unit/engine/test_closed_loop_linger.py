"""After its last webhook a run keeps the mock API up until the bot is done calling: the closed
loop's API and ``--serve-api``'s LiveApi both wait on ``ApiServer.until_quiet``.

A bot answers after its 200, so its last fetch comes after the run's last webhook; a tenant stays
up for it, and so does sosim, until no request has come for a quiet spell (at most a limit).
Everything runs on a FakeClock; requests are counted on a real, unstarted ApiServer.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from simulator.core.plan import PlanOptions
from simulator.core.scenario import load_scenarios, webhook_for
from simulator.delivery.clock import FakeClock
from simulator.engine.loop import ClosedLoop
from simulator.mockapi.server import API_LINGER_S, API_QUIET_S, ApiServer, LiveApi, linger_notice
from simulator.mockapi.state import ChatState, MockApi

EXTERNAL_BOT = str(Path(__file__).resolve().parents[3] / "scenarios" / "external-bot.yaml")


def unstarted_server() -> ApiServer:
    return ApiServer(MockApi(ChatState()))


async def call_at(clock: FakeClock, server: ApiServer, at: float, answered_at: float | None) -> None:
    """A request begun at ``at`` and answered at ``answered_at`` (never when None)."""
    await clock.sleep_until(at)
    server.requests += 1
    if answered_at is not None:
        await clock.sleep_until(answered_at)
        server.answers += 1


def quiet_after(*calls: tuple[float, float | None]) -> float:
    """When until_quiet returns, on a FakeClock from 0, with these calls made meanwhile."""
    clock, server = FakeClock(), unstarted_server()

    async def main() -> float:
        pending = [asyncio.ensure_future(call_at(clock, server, *call)) for call in calls]
        await server.until_quiet(clock, quiet_s=0.25, limit_s=2.0)
        for task in pending:
            task.cancel()
        return clock.now()

    return asyncio.run(main())


def test_an_api_nobody_calls_stops_after_one_quiet_spell() -> None:
    assert quiet_after() == 0.25


def test_a_late_call_keeps_it_up_for_another_quiet_spell() -> None:
    assert quiet_after((0.1, 0.12)) == 0.5
    assert quiet_after((0.1, 0.12), (0.3, 0.31)) == 0.75


def test_a_call_still_being_answered_keeps_it_up_until_the_answer() -> None:
    # begun at 0.1, answered at 0.6: the spell ending at 0.5 is not quiet, the one ending at 0.75 is
    assert quiet_after((0.1, 0.6)) == 0.75


def test_an_unanswered_call_or_endless_traffic_stops_at_the_limit() -> None:
    assert quiet_after((0.1, None)) == 2.0
    assert quiet_after(*[(0.1 * n, 0.1 * n) for n in range(1, 40)]) == 2.0


def closed_loop(said: list[str] | None = None) -> ClosedLoop:
    [scenario] = load_scenarios([EXTERNAL_BOT])
    options = PlanOptions(seed=1, start=datetime(2026, 1, 1, tzinfo=UTC))
    webhooks = {scenario.name: webhook_for(scenario, "s")}
    say = None if said is None else said.append
    return ClosedLoop([scenario], webhooks, options, serve=("127.0.0.1", 0), say=say)


def test_a_run_that_ends_by_itself_lingers_and_a_halted_one_does_not() -> None:
    said: list[str] = []

    async def stopped_at(halt: bool) -> float:
        clock = FakeClock()
        with closed_loop(said) as loop:
            await loop.start(clock, clock.now())
            if halt:  # Ctrl-C: nobody waits for the bot
                loop.halt()
            await loop.stop()
        return clock.now()

    assert asyncio.run(stopped_at(halt=False)) == API_QUIET_S < API_LINGER_S
    assert asyncio.run(stopped_at(halt=True)) == 0.0
    assert said == []  # no call was open: nothing to explain


def live_api_stopped_at(*, halt: bool = False, error: bool = False) -> float:
    """When ``sosim run --serve-api``'s LiveApi stops serving, on a FakeClock from 0."""
    [scenario] = load_scenarios([EXTERNAL_BOT])
    clock = FakeClock()
    live = LiveApi([scenario], "127.0.0.1", 0, clock=clock)
    try:
        with live:
            if halt:
                live.halt()
            if error:
                raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    return clock.now()


def test_the_live_api_of_an_open_loop_run_lingers_the_same_way() -> None:
    assert live_api_stopped_at() == API_QUIET_S
    assert live_api_stopped_at(halt=True) == 0.0  # Ctrl-C with the run's signal handler
    assert live_api_stopped_at(error=True) == 0.0  # Ctrl-C as KeyboardInterrupt, or an error


def test_a_ctrl_c_while_the_closed_loop_waits_ends_the_wait() -> None:
    """The run's Ctrl-C handler halts the loop; during the wait that cuts it at the next spell."""

    said: list[str] = []

    async def stopped_at() -> float:
        clock = FakeClock()
        with closed_loop(said) as loop:
            await loop.start(clock, clock.now())
            assert loop._server is not None
            loop._server.requests += 1  # a bot's call that is never answered: the wait runs to the limit

            async def press_ctrl_c() -> None:
                await clock.sleep_until(0.3)
                loop.halt()

            pressed = asyncio.ensure_future(press_ctrl_c())
            await loop.stop()
            await pressed
        return clock.now()

    assert asyncio.run(stopped_at()) == 2 * API_QUIET_S < API_LINGER_S
    assert said == [linger_notice(API_LINGER_S)]  # the open call is why it waits


class CtrlCWhileWaiting(FakeClock):
    """A clock whose first wait sends ``signal`` (as a terminal's Ctrl-C, or ``kill``) to the
    main thread, or to the API's own thread (the kernel hands a process's signal to any thread),
    and ends only once the LiveApi has heard it: the wait then ends by the cut, at the first
    spell, well before the limit."""

    def __init__(self, number: int, *, to_main_thread: bool) -> None:
        super().__init__()
        self.number = number
        self.to_main_thread = to_main_thread
        self.waits = 0
        self.live: LiveApi | None = None

    async def sleep_until(self, deadline: float) -> None:
        self.waits += 1
        assert self.live is not None
        if self.waits == 1:
            receiver = threading.main_thread() if self.to_main_thread else threading.current_thread()
            signal.pthread_kill(receiver.ident or 0, self.number)
            heard = await asyncio.get_running_loop().run_in_executor(None, self.live.cut.wait, 30)
            assert heard, "the signal never reached the LiveApi"
        await super().sleep_until(deadline)


@pytest.fixture
def ctrl_c_interrupts(set_stop_handlers: Callable[[Any, Any], None]) -> None:
    """SIGINT raises KeyboardInterrupt in the main thread, as in a terminal (a worker process
    or a script's & job may have it ignored). SIGTERM would end the process; raising as Ctrl-C
    does, a wait that fails to hear it fails the test."""
    set_stop_handlers(signal.default_int_handler, signal.default_int_handler)


@pytest.mark.usefixtures("ctrl_c_interrupts")
@pytest.mark.parametrize("number", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("to_main_thread", [True, False], ids=["main-thread", "api-thread"])
def test_a_ctrl_c_while_the_live_api_waits_ends_the_wait_and_not_the_command(
    number: int, to_main_thread: bool
) -> None:
    """After the last webhook the recording is written; a Ctrl-C or SIGTERM then only stops the
    wait for the receiver's last calls, so the run still ends as it finished (with its summary),
    and the handlers from before are back. A signal the API's thread took is heard too: the main
    thread's wait wakes to run the handler, where it used to sleep until the wait's limit."""
    [scenario] = load_scenarios([EXTERNAL_BOT])
    clock = CtrlCWhileWaiting(number, to_main_thread=to_main_thread)
    live = LiveApi([scenario], "127.0.0.1", 0, clock=clock)
    clock.live = live
    before = signal.getsignal(number)
    with live:
        address = live.thread.server.host, live.thread.server.port
        live.thread.server.requests += 1  # a call never answered: only the cut ends the wait early
    assert clock.now() == API_QUIET_S < API_LINGER_S
    assert signal.getsignal(number) is before
    with pytest.raises(ConnectionRefusedError):  # it has stopped serving
        socket.create_connection(address, timeout=5).close()
