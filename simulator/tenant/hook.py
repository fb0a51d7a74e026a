"""One registered webhook on the delivery side: its feed, its transport, its secrets and counts.

Pure data and small helpers for :mod:`simulator.tenant.fanout`; secrets are kept in memory only,
and reports name them by number (``#1``, ``#2``), never by value.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from simulator.core.events import Request
from simulator.core.outcome import Response, RunResult
from simulator.core.schedule import Planned
from simulator.core.signing import verify
from simulator.delivery.deliverer import Deliverer
from simulator.delivery.transport import AsyncTransport, Headers
from simulator.report.stats import RunStats
from simulator.superoffice import facts as so
from simulator.tenant.model import WebhookDef

__all__ = ["CapturingTransport", "Hook", "PlannedFeed", "SecretCounts"]


class PlannedFeed:
    """An async source of planned requests for one deliverer: offered by the fan-out, closed at the end."""

    def __init__(self, limit: int) -> None:
        """Hold at most ``limit`` requests not yet taken by the deliverer."""
        self._items: deque[Planned] = deque()
        self._wake = asyncio.Event()
        self._closed = False
        self._limit = limit
        self.overflow = 0

    def offer(self, item: Planned) -> bool:
        """Queue ``item``; False (and counted in ``overflow``) when full, False when closed."""
        if self._closed:
            return False
        if len(self._items) >= self._limit:
            self.overflow += 1
            return False
        self._items.append(item)
        self._wake.set()
        return True

    @property
    def empty(self) -> bool:
        """Whether the deliverer has taken everything offered."""
        return not self._items

    def close(self) -> None:
        """End the feed once what is queued has been taken."""
        self._closed = True
        self._wake.set()

    def __aiter__(self) -> PlannedFeed:
        return self

    async def __anext__(self) -> Planned:
        while not self._items:
            if self._closed:
                raise StopAsyncIteration
            self._wake.clear()
            await self._wake.wait()
        return self._items.popleft()


class CapturingTransport:
    """Wraps a webhook's transport and keeps each answer until the attempt's handler takes it."""

    def __init__(self, inner: AsyncTransport) -> None:
        """Wrap ``inner``."""
        self.inner = inner
        self.target = inner.target
        self._answers: dict[Headers, Response | Exception] = {}

    async def send(self, headers: Headers, body: bytes) -> Response:
        """Send through ``inner``, keeping the answer (or the error) under ``headers``."""
        try:
            response = await self.inner.send(headers, body)
        except Exception as exc:
            self._answers[headers] = exc
            raise
        self._answers[headers] = response
        return response

    def take(self, headers: Headers) -> Response | Exception | None:
        """The answer to the request sent with ``headers``, once."""
        return self._answers.pop(headers, None)

    async def aclose(self) -> None:
        """Close ``inner``."""
        await self.inner.aclose()


@dataclass(slots=True)
class SecretCounts:
    """Requests signed with one secret, and what the receiver made of them."""

    since_s: float
    signed: bool
    attempts: int = 0
    accepted: int = 0  # attempts answered with a success status
    rejected: int = 0  # attempts answered with any other status
    no_answer: int = 0  # attempts that got no HTTP answer
    requests: int = 0  # final attempts of a cycle
    delivered: int = 0
    failed: int = 0


@dataclass(slots=True)
class Hook:
    """One registered webhook on the delivery side."""

    definition: WebhookDef
    feed: PlannedFeed
    transport: CapturingTransport
    deliverer: Deliverer
    registered_s: float
    stats: RunStats
    task: asyncio.Task[RunResult] | None = None
    deleted_s: float | None = None
    result: RunResult | None = None
    published: int = 0
    secrets: list[str | None] = field(default_factory=list, repr=False)  # in memory only, never reported
    secret_counts: dict[str, SecretCounts] = field(default_factory=dict)
    old_transports: list[AsyncTransport] = field(default_factory=list)

    def secret_label(self, request: Request) -> str:
        """Which of this webhook's secrets signed ``request``: ``#2``, ``unsigned`` or ``unknown``."""
        signature = request.header(so.HEADER_SIGNATURE)
        if signature is None:
            return "unsigned"
        for index in range(len(self.secrets) - 1, -1, -1):
            secret = self.secrets[index]
            if secret and verify(request.body, secret, signature):
                return f"#{index + 1}"
        return "unknown"

    def note_secret(self, secret: str | None, at_s: float) -> None:
        """Remember a new secret (by number only in reports)."""
        if self.secrets and self.secrets[-1] == secret:
            return
        self.secrets.append(secret)
        label = f"#{len(self.secrets)}" if secret else "unsigned"
        self.secret_counts.setdefault(label, SecretCounts(at_s, bool(secret)))
