"""What ``sosim receive``'s server is told and what it hands back: its configuration, and each
request as it arrived (for ``keep=True`` and ``on_request`` callbacks)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simulator.core.checker import DEFAULT_WINDOW, Verdict
from simulator.core.defaults import LOOPBACK
from simulator.core.errors import UsageError
from simulator.servers.limits import DEFAULT_LIMITS, ServerLimits

__all__ = ["OnRequest", "ReceivedRequest", "ReceiverConfig"]


@dataclass(frozen=True, slots=True)
class ReceiverConfig:
    """How the receiver listens and answers."""

    host: str = LOOPBACK
    port: int = 0  # 0 picks a free port
    secret: str | None = None
    respond: int = 200  # status for accepted requests
    reject_status: int = 401  # bad or missing signature; other malformed requests get 400
    fail_rate: float = 0.0  # share of requests answered ``fail_status`` regardless (seeded)
    fail_status: int = 500
    latency_s: float = 0.0  # added before each answer, without blocking other requests
    seed: int = 0
    path: str | None = None  # if set, other paths get 404
    limits: ServerLimits = DEFAULT_LIMITS  # head, body, idle and request-time limits
    id_window: int = DEFAULT_WINDOW  # EventIds (and chat sessions) remembered to spot retries and reuse

    def __post_init__(self) -> None:
        for name in ("respond", "reject_status", "fail_status"):
            if not 100 <= getattr(self, name) <= 599:
                raise UsageError(f"{name}: {getattr(self, name)} is not an HTTP status")
        if not 0.0 <= self.fail_rate <= 1.0:
            raise UsageError(f"fail_rate: {self.fail_rate} is not between 0 and 1")
        if self.latency_s < 0:
            raise UsageError(f"latency_s: {self.latency_s} is negative")
        if self.path is not None and not self.path.startswith("/"):
            raise UsageError(f"path: {self.path!r} does not start with '/'")
        if self.id_window < 1:
            raise UsageError(f"id_window: {self.id_window} is not a positive number of EventIds")


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """One request as it arrived, and the status it was answered with."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...]  # as received, original case and order
    body: bytes
    received_at: float  # time.time()
    status: int

    def header(self, name: str) -> str | None:
        """Return a header's value, matching the name case-insensitively."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


OnRequest = Callable[[ReceivedRequest, Verdict], None]
