"""The one place sosim chooses its event loop: uvloop's when it is installed and wanted, else asyncio's.

The load engine, the receiver, the tenant and the run all take their loop from here, so "is uvloop
used?" has one answer. uvloop is imported only when a loop is asked for, never at import time (the
CLI's start-up stays light).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

__all__ = ["EventLoopFactory", "event_loop_factory", "new_event_loop", "uvloop_policy"]

EventLoopFactory = Callable[[], asyncio.AbstractEventLoop]


def event_loop_factory(prefer_uvloop: bool = True) -> EventLoopFactory:
    """``uvloop.new_event_loop`` when ``prefer_uvloop`` and uvloop is importable, else asyncio's own.

    A scoped choice: the process-wide event loop policy stays as it is.
    """
    if prefer_uvloop:
        try:
            import uvloop
        except ImportError:
            pass
        else:
            factory: EventLoopFactory = uvloop.new_event_loop
            return factory
    return asyncio.new_event_loop


def new_event_loop(prefer_uvloop: bool = True) -> asyncio.AbstractEventLoop:
    """A new event loop from :func:`event_loop_factory`."""
    return event_loop_factory(prefer_uvloop)()


def uvloop_policy() -> asyncio.AbstractEventLoopPolicy | None:
    """uvloop's event loop policy, or None when uvloop is not installed (for a process-wide choice)."""
    try:
        import uvloop
    except ImportError:
        return None
    policy: asyncio.AbstractEventLoopPolicy = uvloop.EventLoopPolicy()
    return policy
