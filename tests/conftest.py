"""Fixtures the whole suite shares: a run's settings (``RunInfo``), a finished ``RunStats``, and the
data an HTML report's charts draw from.

The report tests (unit, bench and the browser e2e test) build a ``RunStats`` the same way: start
it with a run's settings, feed it attempts and state changes through the Handler interface, and
finish it. ``make_run_info`` and ``make_stats`` are that set-up, once; each test names only what
its run has of its own.
"""

from __future__ import annotations

import json
import os
import re
import signal
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

import pytest

from simulator.core.outcome import Attempt, Handler, RunInfo, RunResult, StateChange
from simulator.core.pool_cache import CACHE_ENV
from simulator.report.stats import RunStats
from simulator.report.thresholds import parse_threshold

# The suite keeps its identity pools in a cache of its own (and the sosim processes it starts
# inherit it), never in the user's ~/.cache: a machine's first run draws them, later ones read them.
os.environ.setdefault(CACHE_ENV, str(Path(tempfile.gettempdir()) / f"sosim-test-cache-{os.getuid()}"))

#: The settings every synthetic run has unless a test says otherwise (a password in the target,
#: so the reports' masking is always exercised).
RUN_INFO_DEFAULTS: dict[str, Any] = {
    "command": "run",
    "scenarios": ("scenarios/support-chat.yaml",),
    "seed": 42,
    "target": "http://ci:hunter2@127.0.0.1:8080/hook",
    "started_at": "2024-05-01T12:00:00Z",
    "timing": "rate 20/s",
    "delivery": "netserver",
    "concurrency": 8,
    "sosim_version": "0.1.0",
    "signed": True,
    "extra": {},
}


def _run_info(**fields: Any) -> RunInfo:
    """A run's settings: ``RUN_INFO_DEFAULTS`` with ``fields`` instead (``extra`` as a dict)."""
    return RunInfo(**{**RUN_INFO_DEFAULTS, **fields})


def _stats(
    attempts: Iterable[Attempt] = (),
    *thresholds: str,
    info: RunInfo | Literal["default"] | None = "default",
    changes: Iterable[StateChange] = (),
    elapsed: float = 10.0,
    interrupted: bool = False,
    state: str = "Active",
    planned: int | None = None,
    reason: str = "",
) -> RunStats:
    """A finished run: ``RunStats`` with ``thresholds``, started with ``info`` (the defaults; None
    leaves it unstarted), fed ``attempts`` then ``changes``, finished after ``elapsed`` seconds
    (``planned`` defaults to the requests it counted)."""
    stats = RunStats([parse_threshold(text) for text in thresholds])
    handler: Handler = stats
    if info is not None:
        handler.start(_run_info() if info == "default" else info)
    for attempt in attempts:
        handler.handle_attempt(attempt)
    for change in changes:
        handler.handle_state(change)
    handler.finish(
        RunResult(elapsed, interrupted, state, stats.requests if planned is None else planned, reason)
    )
    return stats


@pytest.fixture
def make_run_info() -> Callable[..., RunInfo]:
    """``make_run_info(**fields)``: a run's settings, the suite's defaults with ``fields`` instead."""
    return _run_info


@pytest.fixture
def make_stats() -> Callable[..., RunStats]:
    """``make_stats(attempts, *thresholds, info=, changes=, elapsed=, state=, planned=, reason=)``:
    a finished ``RunStats`` (see ``_stats``)."""
    return _stats


def _page_data(page: str) -> dict[str, Any]:
    """The JSON an HTML report's script draws from."""
    match = re.search(r'<script type="application/json" id="sosim-data">(.*?)</script>', page, re.S)
    assert match is not None
    data: dict[str, Any] = json.loads(match.group(1))
    return data


@pytest.fixture
def page_data() -> Callable[[str], dict[str, Any]]:
    """``page_data(page)``: the JSON an HTML report's script draws from."""
    return _page_data


@pytest.fixture
def set_stop_handlers() -> Iterator[Callable[[Any, Any], None]]:
    """Set Ctrl-C's and SIGTERM's handlers for the test (``set(sigint, sigterm)``); whatever
    the test leaves, the handlers from before are back after it."""
    previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}

    def set_handlers(sigint: Any, sigterm: Any) -> None:
        signal.signal(signal.SIGINT, sigint)
        signal.signal(signal.SIGTERM, sigterm)

    yield set_handlers
    for number, handler in previous.items():
        signal.signal(number, handler)
