"""The tenant's webhook table and its usage counters, shared by the API thread and the delivery loop.

:class:`Registry` is the one place a webhook's definition and state live. The REST surface
writes to it from the API server's thread; the delivery engine writes state changes and usage
from its event loop. Every write tells the listeners a :class:`Change`, in the order the writes
happened (listeners run under the registry's lock, so they must only hand the change on, e.g.
with ``loop.call_soon_threadsafe``).

Pure apart from the lock: no I/O, and time comes from an injectable ``now_ticks``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from simulator.mockapi.writes import wall_ticks  # the one wall clock, shared with the chat API
from simulator.superoffice import facts as so
from simulator.tenant.model import LAST_ERROR_LIMIT, WebhookDef

__all__ = ["Change", "ChangeKind", "ChangeSource", "Registry", "Usage", "wall_ticks"]

ChangeKind = Literal["created", "updated", "deleted"]
#: Who made a change: an app through the API, the delivery engine, or sosim's rotation schedule.
ChangeSource = Literal["api", "engine", "schedule"]
Listener = Callable[["Change"], None]


@dataclass(frozen=True, slots=True)
class Usage:
    """``webhook_usage``: calls, errors and the last error, as NetServer counts them."""

    total_calls: int = 0
    total_errors: int = 0
    consecutive_errors: int = 0
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class Change:
    """One write to the registry: the webhook before and after (None when created or deleted)."""

    kind: ChangeKind
    before: WebhookDef | None
    after: WebhookDef | None
    source: ChangeSource
    reason: str = ""

    @property
    def webhook(self) -> WebhookDef:
        """The webhook concerned (as it is after the change, or as it was before a delete)."""
        found = self.after or self.before
        assert found is not None  # a Change always carries one side
        return found

    @property
    def state_changed(self) -> bool:
        """Whether the webhook's State differs before and after."""
        return self.before is not None and self.after is not None and self.before.state != self.after.state

    @property
    def secret_changed(self) -> bool:
        """Whether the webhook's Secret differs before and after."""
        return self.before is not None and self.after is not None and self.before.secret != self.after.secret


class Registry:
    """The webhooks of one tenant, thread-safe; ids count up from 1 and are never reused."""

    def __init__(self, now_ticks: Callable[[], int] = wall_ticks) -> None:
        """Start empty; ``now_ticks`` stamps Registered and Updated."""
        self._lock = threading.RLock()
        self._now = now_ticks
        self._hooks: dict[int, WebhookDef] = {}
        self._usage: dict[int, Usage] = {}
        self._next_id = 1
        self._listeners: list[Listener] = []
        self._created = threading.Condition(self._lock)

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` with every later change, under the lock, in order."""
        with self._lock:
            self._listeners.append(listener)

    # -- reading ---------------------------------------------------------------------------

    def get(self, webhook_id: int) -> WebhookDef | None:
        """The webhook with this id, or None."""
        with self._lock:
            return self._hooks.get(webhook_id)

    def all(self) -> list[WebhookDef]:
        """Every webhook, by id."""
        with self._lock:
            return [self._hooks[key] for key in sorted(self._hooks)]

    def find(
        self, name: str | None = None, event: str | None = None, state: so.WebhookState | None = None
    ) -> list[WebhookDef]:
        """GetAllWebhooks: filter by name, event and state (None or Unknown = no filter).

        Name and event match case-insensitively, as the database's collation compares them.
        """
        found = []
        for hook in self.all():
            if name and (hook.name or "").lower() != name.lower():
                continue
            if event and event.lower() not in (e.lower() for e in hook.events):
                continue
            if state not in (None, so.WebhookState.Unknown) and hook.state != state:
                continue
            found.append(hook)
        return found

    def usage(self, webhook_id: int) -> Usage:
        """The usage counters of a webhook (zeros when unknown)."""
        with self._lock:
            return self._usage.get(webhook_id, Usage())

    def __len__(self) -> int:
        with self._lock:
            return len(self._hooks)

    def wait_for(self, count: int, timeout_s: float) -> bool:
        """Block until at least ``count`` webhooks exist; False when ``timeout_s`` passed first."""
        with self._created:
            return self._created.wait_for(lambda: len(self._hooks) >= count, timeout_s)

    # -- writing ---------------------------------------------------------------------------

    def create(self, webhook: WebhookDef, reason: str = "registered") -> WebhookDef:
        """Store a new webhook with the next id and now as Registered."""
        with self._lock:
            stored = replace(webhook, webhook_id=self._next_id, registered_ticks=self._now(), updated_ticks=0)
            self._next_id += 1
            self._hooks[stored.webhook_id] = stored
            self._usage[stored.webhook_id] = Usage()
            self._tell(Change("created", None, stored, "api", reason))
            self._created.notify_all()
            return stored

    def update(
        self, webhook: WebhookDef, source: ChangeSource = "api", reason: str = "saved"
    ) -> WebhookDef | None:
        """Replace a stored webhook (same id), stamping Updated; None when it does not exist."""
        with self._lock:
            before = self._hooks.get(webhook.webhook_id)
            if before is None:
                return None
            stored = replace(webhook, registered_ticks=before.registered_ticks, updated_ticks=self._now())
            self._hooks[stored.webhook_id] = stored
            if stored.state == so.WebhookState.Active and before.state != so.WebhookState.Active:
                self._usage[stored.webhook_id] = replace(self.usage(stored.webhook_id), consecutive_errors=0)
            self._tell(Change("updated", before, stored, source, reason))
            return stored

    def set_state(
        self, webhook_id: int, state: so.WebhookState, source: ChangeSource, reason: str
    ) -> WebhookDef | None:
        """Change only the State; nothing happens (and None is returned) when it is already so."""
        with self._lock:
            before = self._hooks.get(webhook_id)
            if before is None or before.state == state:
                return None
            return self.update(replace(before, state=state), source, reason)

    def rotate_secret(self, webhook_id: int, secret: str | None, source: ChangeSource) -> WebhookDef | None:
        """Change only the Secret (a scheduled rotation); None when the webhook does not exist."""
        with self._lock:
            before = self._hooks.get(webhook_id)
            if before is None:
                return None
            return self.update(replace(before, secret=secret or None), source, "secret rotated")

    def delete(self, webhook_id: int) -> WebhookDef | None:
        """Remove a webhook; return it, or None when it did not exist."""
        with self._lock:
            before = self._hooks.pop(webhook_id, None)
            if before is not None:
                self._tell(Change("deleted", before, None, "api", "deleted"))
            return before

    def record_attempt(self, webhook_id: int, delivered: bool, error: str = "") -> Usage | None:
        """Count one delivery attempt; a failure keeps ``error`` (cut to 4,000 characters)."""
        with self._lock:
            usage = self._usage.get(webhook_id)
            if usage is None:
                return None
            if delivered:
                usage = replace(usage, total_calls=usage.total_calls + 1, consecutive_errors=0)
            else:
                usage = Usage(
                    usage.total_calls + 1,
                    usage.total_errors + 1,
                    usage.consecutive_errors + 1,
                    error[:LAST_ERROR_LIMIT],
                )
            self._usage[webhook_id] = usage
            return usage

    def _tell(self, change: Change) -> None:
        for listener in self._listeners:
            listener(change)
