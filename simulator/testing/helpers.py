"""Scenarios, in-process delivery and signature checks for tests: the library behind the pytest plugin.

Usable without pytest too:

* :func:`build_scenario` makes a :class:`SimScenario` from inline YAML, a file path or the
  default scenario, with overrides: its session plans, events, messages and rendered requests.
* :func:`deliver` sends a scenario (or requests) to an ASGI app, a WSGI app (in process, through
  httpx transports) or a URL with sosim's delivery engine, announcing each event to a mock API
  state right before its webhook goes out, and returns a :class:`DeliveryResult`.
* :func:`assert_signed` asserts that a request carries a valid ``X-SuperOffice-Signature``.

Heavy modules load on first use, so importing this module (as the pytest plugin does in every
pytest run) stays cheap.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from simulator.core.defaults import TIMEOUT_S
from simulator.superoffice import facts as so
from simulator.testing.scenarios import DEFAULT_SCENARIO, SimScenario, build_scenario

if TYPE_CHECKING:
    from simulator.core.delivery_rules import DeliveryPolicy
    from simulator.core.events import Event, Request, Webhook
    from simulator.core.outcome import Attempt, Response, RunInfo, RunResult, StateChange
    from simulator.core.scenario_model import Scenario
    from simulator.core.schedule import Planned
    from simulator.delivery.transport import AsyncTransport, Headers
    from simulator.mockapi.http import AnnouncingTransport
    from simulator.mockapi.state import MockApi

__all__ = [
    "DEFAULT_SCENARIO",
    "DeliveryResult",
    "Outcome",
    "SimScenario",
    "assert_signed",
    "build_scenario",
    "deliver",
]

T = TypeVar("T")

AppKind = Literal["asgi", "wsgi"]


# --- delivery ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Outcome:
    """One delivery attempt and its answer."""

    event: Event | None  # None for bare requests
    event_id: str
    status: int | None  # None when no answer came (see ``error``)
    latency_s: float  # wall-clock time of the send
    delivered: bool
    request: Request  # exactly as sent, X-SuperOffice-Retry included
    response_body: bytes
    cycle: int
    attempt: int
    error: str | None = None  # "timeout: ...", "connect: ...", "protocol: KeyError: ..." (an app's exception)

    @property
    def event_name(self) -> str:
        """The webhook event, e.g. ``chatsession.message``."""
        return self.request.event

    @property
    def session_id(self) -> int:
        """The chat session (PrimaryKey)."""
        return self.request.session_id


@dataclass(frozen=True, slots=True)
class DeliveryResult(Sequence[Outcome]):
    """Every attempt of one delivery, in the order they completed; a sequence of :class:`Outcome`."""

    outcomes: tuple[Outcome, ...]
    webhook_state: str = "Active"

    @overload
    def __getitem__(self, index: int) -> Outcome: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Outcome]: ...

    def __getitem__(self, index: int | slice) -> Outcome | Sequence[Outcome]:
        return self.outcomes[index]

    def __len__(self) -> int:
        return len(self.outcomes)

    @property
    def statuses(self) -> list[int | None]:
        """The status of every attempt."""
        return [o.status for o in self.outcomes]

    @property
    def delivered_ids(self) -> list[str]:
        """The EventIds that were delivered (answered with a success status), in order."""
        return [o.event_id for o in self.outcomes if o.delivered]

    @property
    def event_ids(self) -> list[str]:
        """The EventId of every attempt."""
        return [o.event_id for o in self.outcomes]

    @property
    def latencies(self) -> list[float]:
        """The wall-clock latency of every attempt, in seconds."""
        return [o.latency_s for o in self.outcomes]

    @property
    def failed(self) -> list[Outcome]:
        """The attempts that were not delivered."""
        return [o for o in self.outcomes if not o.delivered]

    @property
    def all_delivered(self) -> bool:
        """Whether every attempt was delivered at the first try."""
        return all(o.delivered for o in self.outcomes)

    def for_event(self, name: str) -> list[Outcome]:
        """The attempts of one event type, e.g. ``chatsession.message``."""
        return [o for o in self.outcomes if o.event_name == name]


def deliver(
    target: str | Callable[..., Any],
    what: SimScenario | Scenario | Iterable[Planned | Request],
    *,
    api: MockApi | None = None,
    path: str = "/webhook",
    kind: AppKind | None = None,
    policy: DeliveryPolicy | Literal["once", "netserver"] = "once",
    timeout_s: float = TIMEOUT_S,
) -> DeliveryResult:
    """Deliver webhooks to an app or URL with sosim's delivery engine, one request at a time.

    Due times are not waited for. Each session's webhooks go out in order; sessions interleave
    as the engine's per-session lanes free up (NetServer promises no global order either).
    ``target`` is an ASGI app, a WSGI app (``kind`` overrides the guess) or an ``http(s)://``
    URL; apps are called in process at ``path``. ``policy`` is ``"once"`` (one attempt each)
    or ``"netserver"`` (NetServer's retries, in virtual time: no real waiting), or a
    :class:`~simulator.core.delivery_rules.DeliveryPolicy`. With ``api``, each event (and its session's
    earlier ones) is announced to its state just before its webhook is sent.
    """
    from simulator.mockapi.state import MockApi

    mock = api if api is not None else MockApi()
    planned, webhook = _planned(what, mock)
    transport = _open_target(target, path=path, kind=kind, timeout_s=timeout_s)
    return run_blocking(lambda: _deliver(transport, planned, webhook, mock, _policy(policy)))


def _planned(what: Any, api: MockApi) -> tuple[list[Planned], Webhook | None]:
    from simulator.core.events import Request
    from simulator.core.scenario_model import Scenario
    from simulator.core.schedule import Planned

    if isinstance(what, Scenario):
        what = SimScenario(what)
    if isinstance(what, SimScenario):
        api.state.add_scenario(what.scenario, seed=what.seed)
        return list(what.planned), what.webhook
    items: list[Planned] = []
    for item in what:
        if isinstance(item, Planned):
            items.append(item)
        elif isinstance(item, Request):
            items.append(Planned(0.0, item, "requests"))
        else:
            raise TypeError(f"cannot deliver {type(item).__name__}: give a SimScenario, Planned or Request")
    return items, None


def _policy(policy: DeliveryPolicy | str) -> DeliveryPolicy:
    from simulator.core.delivery_rules import NETSERVER, ONCE

    if isinstance(policy, str):
        if policy not in ("once", "netserver"):
            raise ValueError(f"policy must be 'once', 'netserver' or a DeliveryPolicy, not {policy!r}")
        return ONCE if policy == "once" else NETSERVER
    return policy


def _open_target(target: Any, *, path: str, kind: AppKind | None, timeout_s: float) -> AsyncTransport:
    import httpx

    from simulator.delivery.transport import HttpxTransport, open_transport

    if isinstance(target, str):
        return open_transport(target, engine="httpx", timeout=timeout_s)
    if not callable(target):
        raise TypeError(f"target must be an ASGI app, a WSGI app or a URL, not {type(target).__name__}")
    url = "http://testserver" + (path if path.startswith("/") else "/" + path)
    if (kind or _guess_kind(target)) == "wsgi":
        return _WsgiTransport(target, url, timeout_s)
    asgi = httpx.ASGITransport(app=target)
    return HttpxTransport(url, timeout=timeout_s, concurrency=1, transport=asgi)


def _guess_kind(app: Callable[..., Any]) -> AppKind:
    call = app if inspect.isfunction(app) or inspect.ismethod(app) else type(app).__call__
    return "asgi" if inspect.iscoroutinefunction(call) else "wsgi"


class _WsgiTransport:
    """Calls a WSGI app in process through ``httpx.WSGITransport`` (blocking, as WSGI is)."""

    def __init__(self, app: Callable[..., Any], url: str, timeout_s: float) -> None:
        import httpx

        self.target = url
        self._client = httpx.Client(transport=httpx.WSGITransport(app=app), timeout=timeout_s)

    async def send(self, headers: Headers, body: bytes) -> Response:
        from simulator.core.outcome import Response

        raw = [(name.encode(), value.encode()) for name, value in headers]
        response = self._client.post(self.target, headers=raw, content=body)
        return Response(response.status_code, tuple(response.headers.multi_items()), response.content)

    async def aclose(self) -> None:
        self._client.close()


class _Collector:
    """A run handler that turns each attempt into an :class:`Outcome`."""

    def __init__(self, transport: AnnouncingTransport, planned: Sequence[Planned]) -> None:
        self.transport = transport
        self.outcomes: list[Outcome] = []
        self._by_id = {p.request.event_id: p.event for p in planned}
        self._by_time = {(p.request.session_id, _timestamp(p.request.body)): p.event for p in planned}

    def start(self, info: RunInfo) -> None:
        """Nothing to prepare."""

    def handle_attempt(self, attempt: Attempt) -> None:
        """Record one attempt (the delivery sends one request at a time, so latency matches)."""
        request = attempt.request
        event = self._by_id.get(request.event_id)
        if event is None:  # a later cycle: a new EventId, the same event
            event = self._by_time.get((request.session_id, _timestamp(request.body)))
        error = f"{attempt.error}: {attempt.error_detail}" if attempt.error else None
        self.outcomes.append(
            Outcome(
                event,
                request.event_id,
                attempt.status,
                self.transport.last_latency_s,
                attempt.delivered,
                request,
                attempt.response_body,
                attempt.cycle,
                attempt.attempt,
                error,
            )
        )

    def handle_state(self, change: StateChange) -> None:
        """The webhook state is read from the deliverer at the end."""

    def finish(self, result: RunResult) -> None:
        """Nothing to close."""


def _timestamp(body: bytes) -> str:
    try:
        value = json.loads(body)
    except ValueError:
        return ""
    return str(value.get("Timestamp", "")) if isinstance(value, dict) else ""


async def _deliver(
    transport: AsyncTransport,
    planned: Sequence[Planned],
    webhook: Webhook | None,
    api: MockApi,
    policy: DeliveryPolicy,
) -> DeliveryResult:
    from simulator.delivery.clock import FakeClock
    from simulator.delivery.deliverer import Deliverer
    from simulator.mockapi.http import Announcer

    announcer = Announcer(api)
    wrapped = announcer.wrap(transport)
    collector = _Collector(wrapped, planned)
    deliverer = Deliverer(
        wrapped, [collector], webhook=webhook, policy=policy, concurrency=1, clock=FakeClock(), max_rate=True
    )
    try:
        await deliverer.run(announcer.follow(planned))
    finally:
        await wrapped.aclose()
    return DeliveryResult(tuple(collector.outcomes), deliverer.state)


def run_blocking(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to the end on a fresh asyncio loop, also from inside a running loop."""
    from simulator.servers.thread import run_in_thread

    # The platform's own loop, even when uvloop's policy was installed: FakeClock is exact there.
    platform_loop = asyncio.DefaultEventLoopPolicy().new_event_loop
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        with asyncio.Runner(loop_factory=platform_loop) as runner:
            return runner.run(main())
    return run_in_thread(main, name="sosim-deliver", loop_factory=platform_loop)


# --- signatures ----------------------------------------------------------------------------------


def assert_signed(
    request: Any, secret: str, headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None
) -> None:
    """Assert that a webhook request carries a valid ``X-SuperOffice-Signature`` for ``secret``.

    ``request`` is an ``httpx.Request``, a sosim ``Request``, ``ReceivedRequest`` or
    :class:`Outcome`, any object with ``body``/``content`` and ``headers``, or the raw body
    bytes with ``headers`` given.
    """
    from simulator.core.signing import sign, verify

    body, found = _body_and_headers(request, headers)
    wanted = so.HEADER_SIGNATURE.lower()
    signature = next((value for name, value in found if name.lower() == wanted), None)
    if signature is None:
        raise AssertionError(f"the request has no {so.HEADER_SIGNATURE} header")
    if not verify(body, secret, signature):
        raise AssertionError(
            f"{so.HEADER_SIGNATURE} {signature!r} does not match the body ({len(body)} bytes): "
            f"the secret gives {sign(body, secret)!r}"
        )


def _body_and_headers(
    request: Any, headers: Mapping[str, str] | Iterable[tuple[str, str]] | None
) -> tuple[bytes, list[tuple[str, str]]]:
    if isinstance(request, Outcome):
        request = request.request
    if isinstance(request, bytes | bytearray | str):
        if headers is None:
            raise TypeError("give the headers with a raw body: assert_signed(body, secret, headers)")
        raw = request.encode() if isinstance(request, str) else bytes(request)
        return raw, _pairs(headers)
    found = getattr(request, "body", None)
    if not isinstance(found, bytes | bytearray):
        found = getattr(request, "content", None)
    if not isinstance(found, bytes | bytearray):
        raise TypeError(f"cannot read a body from {type(request).__name__}")
    source = headers if headers is not None else getattr(request, "headers", ())
    return bytes(found), _pairs(source)


def _pairs(headers: Any) -> list[tuple[str, str]]:
    if hasattr(headers, "multi_items"):
        return list(headers.multi_items())
    if isinstance(headers, Mapping):
        return [(str(k), str(v)) for k, v in headers.items()]
    return [(str(k), str(v)) for k, v in headers]
