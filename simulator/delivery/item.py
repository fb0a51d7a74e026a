"""One request on its way through the :class:`~simulator.delivery.deliverer.Deliverer`, and what
is made of it: the record of an attempt, the headers of a retry, a later cycle's request, the
reason a run ended."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from simulator.core.delivery_rules import WebhookGate, cycle_event_id, with_event_id
from simulator.core.events import Event, HeaderSpelling, Request, Webhook, header_name, render
from simulator.core.outcome import Attempt, ErrorKind
from simulator.superoffice import facts as so

__all__ = ["Item", "Next", "attempt_record", "rerender", "result_reason", "retry_headers"]


@dataclass(slots=True, eq=False)  # hashed by identity: the set of items in flight holds them
class Item:
    """One request on its way: the event, its rendered form and where it is in its cycle."""

    event: Event | None
    request: Request
    scenario: str
    lane: object
    intended: float  # absolute clock time the next attempt is due
    cycle: int = 1
    attempt: int = 1
    fault: str | None = None  # an injected fault, passed on to the attempt
    probe: bool = False  # an injected extra: sent once, outside the retry rules and failure count
    sent: float = 0.0  # clock time the attempt in progress went out
    headers: tuple[tuple[str, str], ...] = ()  # the headers it went out with


_tuple = tuple.__new__  # a NamedTuple without its Python-level __new__ (hot paths)

#: What follows an attempt: the item is done, retried, or requeued for a later cycle.
Next = Literal["finish", "retry", "requeue"]


def attempt_record(
    item: Item,
    start: float,
    done: float,
    status: int | None,
    error: ErrorKind | None,
    detail: str,
    delivered: bool,
    final: bool,
    body: bytes,
) -> Attempt:
    """The record of ``item``'s attempt that ended at clock time ``done`` (the run began at ``start``)."""
    headers, request = item.headers, item.request
    if headers is not request.headers and headers != request.headers:
        request = request._replace(headers=headers)
    kept = body[:4000] if len(body) > 4000 else body
    # Attempt(...) with every field, through tuple.__new__: a NamedTuple's __new__ is a Python
    # call, and this runs once an attempt. The last field is ``requeued``.
    return _tuple(
        Attempt,
        (
            request,
            item.scenario,
            item.cycle,
            item.attempt,
            item.intended - start,
            item.sent - start,
            done - start,
            status,
            error,
            detail,
            delivered,
            final,
            item.fault,
            kept,
            item.probe,
            False,
        ),
    )


def result_reason(gate: WebhookGate, interrupted: bool) -> str:
    """Why a run ended, for its result ("" when it simply delivered its plan)."""
    if gate.reason:
        return gate.reason
    if interrupted:
        return "stopped before the end of the plan"
    if gate.delivered == 0 and gate.last_failure:
        return f"nothing was delivered; the last failure: {gate.last_failure}"
    return ""


def rerender(item: Item, cycle: int, webhook: Webhook) -> Request:
    """``item``'s request for delivery cycle ``cycle``: a new EventId, signed with ``webhook``."""
    new_id = cycle_event_id(item.request.event_id, cycle)
    if item.event is not None:
        return render(item.event, webhook, event_id=new_id)
    return with_event_id(item.request, new_id, webhook.secret)


def retry_headers(item: Item, mode: str, spelling: HeaderSpelling) -> tuple[tuple[str, str], ...]:
    """The headers of ``item``'s attempt: as rendered, or with the retry count as ``mode`` says."""
    if mode == "never" or (mode == "count" and item.attempt == 1):
        return item.request.headers
    name = header_name(so.HEADER_RETRY, spelling)
    return (*item.request.headers, (name, str(item.attempt - 1)))
