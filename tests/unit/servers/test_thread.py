"""The one "event loop in a thread" helper (anyio's blocking portal) and the one event-loop choice."""

from __future__ import annotations

import asyncio
import threading

import pytest

from simulator.delivery.clock import FakeClock
from simulator.delivery.eventloop import event_loop_factory, new_event_loop
from simulator.servers.thread import LoopThread, ServerThread, run_in_thread
from simulator.testing.helpers import run_blocking


async def _thread_name() -> str:
    return threading.current_thread().name


async def _boom() -> None:
    raise ValueError("boom")


def test_a_loop_thread_runs_coroutines_on_its_own_named_thread() -> None:
    with LoopThread(name="sosim-test-loop") as thread:
        assert thread.call(_thread_name()) == "sosim-test-loop"
        assert thread.loop.is_running()
    assert not thread.running


def test_an_error_on_the_loop_is_raised_in_the_caller() -> None:
    with LoopThread(name="sosim-test-loop") as thread, pytest.raises(ValueError, match="boom"):
        thread.call(_boom())


def test_a_call_that_takes_too_long_times_out_and_is_cancelled() -> None:
    cancelled = threading.Event()

    async def forever() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    with LoopThread(name="sosim-test-loop") as thread:
        with pytest.raises(TimeoutError):
            thread.call(forever(), timeout_s=0.05)
        assert cancelled.wait(5)


def test_stop_with_cancel_ends_coroutines_still_running() -> None:
    thread = LoopThread(name="sosim-test-loop").start()
    future = thread.submit(asyncio.Event().wait())
    thread.stop(cancel=True)
    assert future.cancelled()


def test_the_loop_comes_from_the_factory_given() -> None:
    made: list[asyncio.AbstractEventLoop] = []

    def factory() -> asyncio.AbstractEventLoop:
        made.append(asyncio.new_event_loop())
        return made[-1]

    with LoopThread(name="sosim-test-loop", loop_factory=factory) as thread:
        assert made == [thread.loop]


def test_the_one_event_loop_choice_honours_the_preference() -> None:
    assert event_loop_factory(prefer_uvloop=False) is asyncio.new_event_loop
    loop = new_event_loop(prefer_uvloop=False)
    try:
        assert type(loop).__module__.startswith("asyncio")
    finally:
        loop.close()
    uvloop = pytest.importorskip("uvloop")
    assert event_loop_factory() is uvloop.new_event_loop


class _Server:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.events: list[str] = []

    async def start(self) -> None:
        if self.fail:
            raise OSError("address in use")
        self.events.append("start")

    async def stop(self) -> None:
        self.events.append("stop")


def test_a_server_thread_starts_and_stops_its_server() -> None:
    server = _Server()
    with ServerThread(server, name="sosim-test-server") as running:
        assert running.call(_thread_name()) == "sosim-test-server"
    assert server.events == ["start", "stop"]


def test_a_server_that_cannot_start_raises_in_the_starting_thread() -> None:
    running = ServerThread(_Server(fail=True), name="sosim-test-server")
    with pytest.raises(OSError, match="address in use"):
        running.start()
    with pytest.raises(RuntimeError, match="not running"):
        running.call(_thread_name())


def test_run_in_thread_returns_the_result() -> None:
    assert run_in_thread(_thread_name, name="sosim-once", loop_factory=asyncio.new_event_loop) == "sosim-once"


def test_run_blocking_from_inside_a_running_loop_keeps_fake_time_exact() -> None:
    """The thread path (a test that is itself async) runs on the platform loop, where FakeClock
    wakes each sleeper at exactly its deadline."""

    async def sleepy() -> list[float]:
        clock = FakeClock()
        seen: list[float] = []

        async def sleeper(deadline: float) -> None:
            await clock.sleep_until(deadline)
            seen.append(clock.now())

        await asyncio.gather(*(sleeper(d) for d in (3.0, 1.0, 2.5)))
        return seen

    async def from_a_loop() -> list[float]:
        return run_blocking(sleepy)

    assert asyncio.run(from_a_loop()) == [1.0, 2.5, 3.0]


def test_submit_does_not_wait_for_a_busy_loop() -> None:
    """Handing over a coroutine never blocks the caller (a Ctrl-C in such a wait would lose it)."""
    with LoopThread(name="sosim-test-loop") as thread:
        release = threading.Event()
        thread.loop.call_soon_threadsafe(release.wait)  # the loop is busy until released
        futures: list[object] = []
        try:
            caller = threading.Thread(target=lambda: futures.append(thread.submit(_thread_name())))
            caller.start()
            caller.join(10)  # a bound against a hang, not a synchronisation
            assert futures, "submit waited for the busy loop"
        finally:
            release.set()
        assert futures[0].result(10) == "sosim-test-loop"  # type: ignore[attr-defined]
