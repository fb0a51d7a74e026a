"""What one write of the mock chat API does and reports: the clock it is stamped with, the edit it
plans under the state's lock (:class:`SessionEdit`, :data:`Plan`), the edit as applied
(:class:`AppliedEdit`) and the change reported to listeners (:class:`SessionChange`). Pure data.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from simulator.core.events import TICKS_PER_SECOND, ChatMessage, SessionFields
from simulator.mockapi.records import AgentRecord, SessionView

__all__ = ["AppliedEdit", "ChangeListener", "Plan", "SessionChange", "SessionEdit", "wall_ticks"]

_NS_PER_TICK: Final = 1_000_000_000 // TICKS_PER_SECOND


def wall_ticks() -> int:
    """Now, in 100 ns ticks since the Unix epoch (UTC): the default clock of the writes."""
    return time.time_ns() // _NS_PER_TICK


# --- what a write reports ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionChange:
    """One accepted write: what it did to one session."""

    session_id: int
    #: "message", "pickup", "reset", "transfer", "accept-transfer", "reject-transfer" or "save".
    action: str
    #: The endpoint, e.g. "POST ChatSession/{id}/Messages" or "Agents/Chat/AddChatMessage".
    endpoint: str
    before: SessionFields
    after: SessionFields
    #: The message the write added (a pickup's welcome, a transfer's system message included).
    message: ChatMessage | None = None
    #: The AssociateId the write is attributed to (the caller's, or the message author's).
    changed_by: int = 0
    #: When it happened, in 100 ns ticks since the Unix epoch (the API's ``ticks`` clock).
    ticks: int = 0


ChangeListener = Callable[[SessionChange], None]


@dataclass(frozen=True, slots=True)
class SessionEdit:
    """What one write does to one session, planned under the state's lock from its current view.

    The state gives ``message`` its id (the session's highest + 1) and its ``WhenPosted``.
    """

    fields: SessionFields
    transfer_to: AgentRecord | None
    message: ChatMessage | None = None
    changed_by: int = 0


@dataclass(frozen=True, slots=True)
class AppliedEdit:
    """A session before and after one write, and the message it added (with its id)."""

    before: SessionView
    after: SessionView
    message: ChatMessage | None
    changed: bool
    changed_by: int


#: Plans one write from a session's current view: the edit, or None when "nothing happens".
Plan = Callable[[SessionView], SessionEdit | None]
