"""Locust's side of a sosim run: the gevent clock players keep time on, and what the master knows of
its workers (which are connected, in which order, how to end the run from a fresh greenlet)."""

from __future__ import annotations

import time
from typing import Final

import gevent  # type: ignore[import-untyped]  # gevent ships no type hints; only sleep and spawn are used
from locust.env import Environment
from locust.runners import STATE_MISSING, MasterRunner

__all__ = [
    "GeventClock",
    "await_forked_workers",
    "end_run",
    "known_workers",
    "live_workers",
    "worker_ids",
]

#: How long a master that cannot start waits for its forked workers to connect and give up too.
FORKED_WORKERS_WAIT_S: Final = 10.0


class GeventClock:
    """Seconds since the master started the run, on this machine's monotonic clock; gevent sleeps."""

    __slots__ = ("_base",)

    def __init__(self, t0: float) -> None:
        """Anchor the monotonic clock at ``t0`` (the master's wall-clock start) as this machine sees it."""
        self._base = time.perf_counter() - (time.time() - t0)

    def now(self) -> float:
        """Seconds since the run started."""
        return time.perf_counter() - self._base

    def sleep_until(self, deadline: float) -> None:
        """Let other users run until ``deadline``."""
        delay = deadline - (time.perf_counter() - self._base)
        if delay > 0:
            gevent.sleep(delay)


def live_workers(runner: MasterRunner) -> set[str]:
    """Workers still connected and answering heartbeats."""
    return {node.id for node in runner.clients.all if node.state != STATE_MISSING}


def known_workers(runner: MasterRunner) -> set[str]:
    """Workers the master still knows, answering heartbeats or not."""
    return {node.id for node in runner.clients.all}


def worker_ids(runner: MasterRunner) -> list[str]:
    """The connected workers, in worker-index order (slot ``i`` is the ``i``-th of them)."""
    return sorted(live_workers(runner), key=runner.get_worker_index)


def end_run(environment: Environment) -> None:
    """Stop the run from a fresh greenlet (never from the one that delivers the master's messages)."""
    runner = environment.runner
    if runner is None:
        return
    options = environment.parsed_options
    headless = bool(getattr(options, "headless", False))
    gevent.spawn(runner.quit if headless else runner.stop)


def await_forked_workers(runner: MasterRunner, count: int) -> None:
    """Let ``--processes`` workers connect before the master exits, so each can say its own error.

    A forked worker only checks its options once the master has acknowledged it; if the master
    were gone by then, the worker would retry connecting for minutes, orphaned.
    """
    deadline = time.monotonic() + FORKED_WORKERS_WAIT_S
    seen: set[str] = set()
    while len(seen) < count and time.monotonic() < deadline:
        gevent.sleep(0.05)
        seen.update(runner.clients)
    gevent.sleep(0.2)  # the acknowledgements go out
