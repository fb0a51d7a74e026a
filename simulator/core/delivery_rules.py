"""NetServer's delivery rules as data, and the request rewrites they need.

:class:`DeliveryPolicy` says how failures are retried and when the webhook gives up (reference
§3.3-§3.4); :func:`cycle_event_id`, :func:`with_event_id` and :func:`resigned` make the request of a
new delivery cycle or a re-signed replay. Pure functions of their inputs: the engine that applies
them over the network is :mod:`simulator.delivery.deliverer`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Final, Literal

from simulator.core.events import HeaderSpelling, Request, header_name
from simulator.core.outcome import ErrorKind
from simulator.core.signing import sign
from simulator.superoffice import facts as so

__all__ = [
    "ACTIVE",
    "NETSERVER",
    "ONCE",
    "TOO_MANY_ERRORS",
    "DeliveryPolicy",
    "RetryAfter",
    "WebhookGate",
    "cycle_event_id",
    "resigned",
    "retry_after_s",
    "with_event_id",
]


RetryAfter = Literal["ignore", "honour"]
_RETRY_AFTER: Final = "retry-after"  # RFC 9110 §10.2.3; an HTTP header, not a SuperOffice one
_MAX_RETRY_AFTER_DIGITS: Final = 10


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    """How failures are retried and when the webhook gives up (reference §3.3-§3.4)."""

    name: str = "netserver"
    retry_delays: tuple[float, ...] = so.RETRY_DELAYS_S
    success_statuses: frozenset[int] = so.SUCCESS_STATUSES
    #: Consecutive failed attempts that turn the webhook TooManyErrors; None never disables.
    disable_after: int | None = so.DISABLE_AFTER_FAILURES
    disable_on_gone: bool = True
    #: After a failed cycle: "requeue" to the back of the session's queue with a new EventId,
    #: or "discard" the event.
    on_cycle_failure: Literal["requeue", "discard"] = "requeue"
    #: X-SuperOffice-Retry: "count" omits it on the first attempt and sends 1, 2 on retries;
    #: "always" sends 0, 1, 2; "never" omits it.
    retry_header: Literal["count", "always", "never"] = "count"
    #: A failed answer's ``Retry-After``. NetServer's documented schedule is a fixed 1 s / 4 s after
    #: any answer but 200 and never mentions Retry-After or 429 (docs/en/automation/webhook/
    #: notification.md, "Error Handling for Webhooks"), so "ignore". "honour" waits what the
    #: server asked for (delta-seconds), at least the scheduled delay and at most
    #: ``retry_after_max_s``.
    retry_after: RetryAfter = "ignore"
    retry_after_max_s: float = 300.0

    @property
    def attempts_per_cycle(self) -> int:
        """Attempts in one cycle: the first plus one per retry delay."""
        return len(self.retry_delays) + 1

    def retry_delay(self, attempt: int, headers: tuple[tuple[str, str], ...] = ()) -> float:
        """Seconds to wait after failed ``attempt`` (1-based) before the next one."""
        scheduled = self.retry_delays[attempt - 1]
        if self.retry_after == "ignore":
            return scheduled
        asked = retry_after_s(headers)
        if asked is None:
            return scheduled
        return max(scheduled, min(asked, self.retry_after_max_s))

    def is_success(self, status: int | None) -> bool:
        """Tell whether an answer counts as delivered."""
        return status is not None and status in self.success_statuses


NETSERVER = DeliveryPolicy()
ONCE = DeliveryPolicy(name="once", retry_delays=(), disable_after=None, on_cycle_failure="discard")

ACTIVE = so.WebhookState.Active.name
TOO_MANY_ERRORS = so.WebhookState.TooManyErrors.name

_BODY_EVENT_ID = re.compile(rb'("EventId"\s*:\s*")([^"]*)(")')


@dataclass(slots=True)
class WebhookGate:
    """A webhook's state as one sender sees it (a Deliverer, a Locust worker): NetServer's count of
    consecutive failures and when it turns TooManyErrors (reference §3.4)."""

    policy: DeliveryPolicy = NETSERVER
    state: str = ACTIVE
    consecutive_failures: int = 0
    delivered: int = 0
    last_failure: str = ""
    reason: str = ""

    @property
    def active(self) -> bool:
        """Whether requests may still be sent."""
        return self.state == ACTIVE

    def count(self, delivered: bool, status: int | None, error: ErrorKind | None, detail: str) -> str:
        """Count one attempt; return why the webhook turns TooManyErrors now, or ''."""
        if delivered:
            self.delivered += 1
            self.consecutive_failures = 0
            return ""
        self.consecutive_failures += 1
        self.last_failure = f"HTTP {status}" if status is not None else f"{error}: {detail}"
        if not self.active:
            return ""
        if status == so.GONE_STATUS and self.policy.disable_on_gone:
            return f"the target answered {so.GONE_STATUS} Gone"
        limit = self.policy.disable_after
        if limit is not None and self.consecutive_failures >= limit:
            return f"{self.consecutive_failures} consecutive failed attempts, the last: {self.last_failure}"
        return ""

    def resume(self) -> None:
        """Active again (an app's PUT): the failure count starts over."""
        self.state = ACTIVE
        self.consecutive_failures = 0

    def disable(self, reason: str) -> None:
        """Turn the webhook TooManyErrors (here, or because another worker did)."""
        if self.active:
            self.state = TOO_MANY_ERRORS
            self.reason = f"{TOO_MANY_ERRORS}: {reason}"


def retry_after_s(headers: tuple[tuple[str, str], ...]) -> float | None:
    """The delta-seconds of a response's ``Retry-After``, or None when absent or not a number.

    An HTTP-date is not read: the core has no wall clock to subtract it from.
    """
    for name, value in headers:
        if name.lower() == _RETRY_AFTER:
            text = value.strip()
            if text.isascii() and text.isdigit() and len(text) <= _MAX_RETRY_AFTER_DIGITS:
                return float(text)
            return None
    return None


def cycle_event_id(event_id: str, cycle: int) -> str:
    """Derive the EventId of a later delivery cycle, deterministically, as a v4-shaped GUID."""
    if cycle <= 1:
        return event_id
    digest = hashlib.sha256(f"{event_id}:{cycle}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-a{digest[17:20]}-{digest[20:32]}"


def with_event_id(request: Request, event_id: str, secret: str | None) -> Request:
    """Give a request whose event is unknown (a replay) a new EventId in body and header, re-signed.

    Keeps the request as it is when that cannot be done consistently: the body has no
    ``EventId``, or the request is signed and no secret is known.
    """
    body, count = _BODY_EVENT_ID.subn(lambda m: m[1] + event_id.encode() + m[3], request.body, count=1)
    id_name, signature_name = so.HEADER_EVENT_ID.lower(), so.HEADER_SIGNATURE.lower()
    signed = any(name.lower() == signature_name for name, _ in request.headers)
    if count == 0 or (signed and not secret):
        return request
    headers = []
    for name, value in request.headers:
        lowered = name.lower()
        if lowered == id_name:
            value = event_id
        elif lowered == signature_name and secret:
            value = sign(body, secret)
        headers.append((name, value))
    return Request(request.event, event_id, request.session_id, tuple(headers), body)


def resigned(request: Request, secret: str | None, spelling: HeaderSpelling = "canonical") -> Request:
    """Return ``request`` signed with ``secret`` (unsigned when None), other headers unchanged; a new
    signature goes right after the EventId header, where ``build_headers`` puts it."""
    signature_name = so.HEADER_SIGNATURE.lower()
    value = sign(request.body, secret) if secret else None
    headers: list[tuple[str, str]] = []
    placed = False
    for name, old in request.headers:
        if name.lower() == signature_name:
            if value is not None and not placed:
                headers.append((name, value))
                placed = True
            continue
        headers.append((name, old))
    if value is not None and not placed:
        id_name = so.HEADER_EVENT_ID.lower()
        at = next((i + 1 for i, (name, _) in enumerate(headers) if name.lower() == id_name), len(headers))
        headers.insert(at, (header_name(so.HEADER_SIGNATURE, spelling), value))
    new_headers = tuple(headers)
    return request if new_headers == request.headers else request._replace(headers=new_headers)
