"""What ``sosim trigger`` does: build one signed chatsession event, send it, and format the exchange.

Like Stripe CLI's ``trigger``: a quick manual check of a receiver. The event comes from sosim's
generator and its one payload builder (``core.events.render``), so it is byte for byte what
``sosim run`` would send; ``--set`` fixes payload fields the way a scenario's ``payload.overrides``
does, with the same checks.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from simulator.core.errors import UsageError
from simulator.core.events import Event, Request, Webhook, render
from simulator.core.outcome import Response
from simulator.core.scenario import Scenario
from simulator.superoffice import facts as so

__all__ = [
    "EVENT_NAMES",
    "build_trigger_request",
    "event_name",
    "format_exchange",
    "format_request",
    "format_response",
    "parse_sets",
    "send_one",
]

#: What ``sosim trigger`` accepts: the short names and the full chatsession.* names.
EVENT_NAMES = tuple(name.partition(".")[2] for name in so.CHAT_EVENTS) + tuple(so.CHAT_EVENTS)

#: How many sessions are generated, at most, to find one with the wanted event (a changed event
#: needs a session whose status moves; the first session nearly always has all three).
_SEARCH_SESSIONS = 50
#: A triggered session's PrimaryKey is drawn from [10**9, 2 * 10**9): above the scenarios' own
#: ids and still an Int32, as NetServer's ids are.
_FRESH_SESSION_IDS = 10**9


def event_name(name: str) -> str:
    """``message`` or ``chatsession.message`` -> ``chatsession.message``; anything else is refused."""
    from simulator.cli.types import full_event_name

    try:
        return full_event_name(name)
    except ValueError:
        raise UsageError(f"unknown event {name!r}: use one of {', '.join(EVENT_NAMES[:3])}") from None


def _value(text: str) -> Any:
    """A --set value: JSON when it parses (5, true, "x"), else the text itself (InQueue)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_sets(sets: Sequence[str], event: str) -> tuple[tuple[str, str, Any], ...]:
    """Turn ``--set KEY=VALUE`` options into payload overrides for ``event``, checked as a
    scenario's ``payload.overrides`` are; a bad key or value is a UsageError naming the key."""
    from simulator.core.scenario_model import OverrideSpec
    from simulator.core.schema import Invalid

    overrides: list[tuple[str, str, Any]] = []
    for item in sets:
        key, equals, text = item.partition("=")
        if not equals or not key:
            raise UsageError(f"--set {item!r}: expected KEY=VALUE, e.g. FieldValues.Status=5")
        try:
            spec = OverrideSpec.model_validate({"event": event, "set": {key: _value(text)}})
        except Invalid as exc:
            reason = exc.errors()[0]["msg"].removeprefix(f"{key}: ")
            raise UsageError(f"--set {key}: {reason}") from None  # the key once, in front
        overrides.extend((event, k, v) for k, v in spec.set.items())
    return tuple(overrides)


def _fresh_sessions(scenario: Scenario) -> Scenario:
    """The scenario with its session ids moved to a random range far above the usual ones:
    a verifying receiver judges each session's order, so a triggered ``created`` must not reuse
    the PrimaryKey of a session that a later ``sosim run`` of the same scenario sends
    (``--set PrimaryKey=N`` still picks one)."""
    first = _FRESH_SESSION_IDS + secrets.randbelow(_FRESH_SESSION_IDS)
    population = scenario.population.model_copy(update={"first_session_id": first})
    return scenario.model_copy(update={"population": population})


def _find_event(scenario: Scenario, event: str, seed: int | None) -> Event:
    """The first ``event`` of the scenario's generated sessions, with Timestamps from now and a
    fresh EventId (a run id mixed in, as ``sosim run`` does), so a deduplicating receiver takes it."""
    from simulator.core.generate import timeline
    from simulator.core.plan import PlanOptions, adjust

    widened = _fresh_sessions(adjust(scenario, PlanOptions(sessions=_SEARCH_SESSIONS)))
    found = timeline(
        widened, seed=seed, start=datetime.now(UTC), limit=_SEARCH_SESSIONS, run_id=uuid.uuid4().hex
    )
    for timed in found:
        if timed.event.name == event:
            return timed.event
    raise UsageError(
        f"the scenario {scenario.name!r} generates no {event} event in {_SEARCH_SESSIONS} sessions"
    )


def build_trigger_request(
    scenario: Scenario,
    event: str,
    *,
    secret: str | None,
    sets: Sequence[str] = (),
    seed: int | None = None,
) -> Request:
    """Render one ``event`` of ``scenario`` with ``--set`` overrides, signed with ``secret``
    (or the scenario's own secret). Refuses to build an unsigned request."""
    from simulator.core.scenario import webhook_for

    full = event_name(event)
    overrides = parse_sets(sets, full)
    webhook: Webhook = webhook_for(scenario, secret)
    if not webhook.secret:
        raise UsageError("a secret is needed to sign the event: --secret, --secret-env or --secret-file")
    if full not in webhook.events:
        raise UsageError(f"the scenario's webhook does not subscribe to {full}")
    payload = replace(webhook.payload, overrides=webhook.payload.overrides + overrides)
    return render(_find_event(scenario, full, seed), replace(webhook, payload=payload))


def send_one(target: str, request: Request, *, timeout: float) -> Response:
    """POST ``request`` to ``target`` once (httpx engine, so the answer's headers are kept).
    Raises TransportError when no answer comes."""
    from simulator.delivery.transport import open_transport

    async def exchange() -> Response:
        transport = open_transport(target, engine="httpx", timeout=timeout, concurrency=1)
        try:
            return await transport.send(request.headers, request.body)
        finally:
            await transport.aclose()

    return asyncio.run(exchange())


def _text(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")


def format_request(target: str, request: Request) -> str:
    """The request as sent: POST line, headers in order, blank line, body."""
    lines = [
        f"POST {target}",
        *(f"{name}: {value}" for name, value in request.headers),
        "",
        _text(request.body),
    ]
    return "\n".join(lines)


def format_response(response: Response) -> str:
    """The answer: status line, headers, blank line, body."""
    from http import HTTPStatus

    try:
        reason = HTTPStatus(response.status).phrase
    except ValueError:
        reason = ""
    lines = [f"HTTP {response.status} {reason}".rstrip(), *(f"{n}: {v}" for n, v in response.headers)]
    return "\n".join([*lines, "", _text(response.body)])


def format_exchange(target: str, request: Request, response: Response) -> str:
    """Request and answer, one after the other, as ``sosim trigger`` prints them."""
    return f"--- request\n{format_request(target, request)}\n--- response\n{format_response(response)}"
