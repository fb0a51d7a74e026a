"""Loaded beside locustfile.py by ``python -m bench.peers``: counts requests in steady state.

Locust's own req/s includes the spawn; this counts the requests between the end of spawning and
the stop, with the wall time between them, and writes them as JSON to $BENCH_OUT.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from locust import events

_count = [0, 0]  # requests, failures
_start: dict[str, float] = {}


@events.request.add_listener
def _counted(exception: BaseException | None = None, **kw: Any) -> None:
    _count[0] += 1
    if exception is not None:
        _count[1] += 1


@events.spawning_complete.add_listener
def _started(**kw: Any) -> None:
    _start.update(wall=time.perf_counter(), n=_count[0], failed=_count[1])


@events.test_stopping.add_listener
def _stopped(**kw: Any) -> None:
    if not _start:
        return
    figures = {
        "requests": _count[0] - int(_start["n"]),
        "failures": _count[1] - int(_start["failed"]),
        "wall_s": time.perf_counter() - _start["wall"],
    }
    with open(os.environ["BENCH_OUT"], "w", encoding="utf-8") as out:
        json.dump(figures, out)
