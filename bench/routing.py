"""Benchmark: what routing costs the mock chat API and the tenant's Webhook API, today and with
Starlette. Prints figures; it is not a test.

Would Starlette's routing serve these two APIs, removing their hand-written if-chains without
slowing them down? This measures, for the same requests, in one process:

* ``handle``: the whole of today's ``MockApi.handle`` / ``TenantApi.handle`` (routing by if-chain,
  auth, the answer and its JSON), per request: the budget routing lives in;
* ``flat`` and ``mounted``: a ``starlette.routing.Router`` of the same endpoints, lower-case (the
  if-chains compare lower-cased segments), matching the same method and path as ``Router`` does
  for a request: the path lower-cased, then each route's ``matches`` in order, FULL wins, else the
  first PARTIAL (a 405). ``flat`` lists each endpoint with and without the ``/{tenant}`` prefix
  (44 routes); ``mounted`` has two Mounts, ``/api/v1`` and ``/{tenant}/api/v1``, over the 22;
* ``split+write``: the part of today's routing that is a function of its own: the path split into
  percent-decoded, lower-cased segments, then the write table (``simulator.mockapi.write_routes``).
  The rest of today's routing, the read if-chain, is a few tuple comparisons inside ``handle``.

Only reads are sent (state never changes, so every repeat does the same work). Each figure is the
best of ``--repeats`` timings of ``--rounds`` calls, in microseconds per request; a figure stops
repeating after 30 s, so every run is bounded.

    python -m bench.routing             # 5 timings of 2,000 calls per figure (~5 s)
    python -m bench.routing --quick     # 3 timings of 200 calls (~1 s)

The verdict drawn from it is in the routing section of :mod:`simulator.mockapi.api`.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple
from urllib.parse import unquote

from simulator.core.events import Webhook
from simulator.core.scenario import parse_scenario
from simulator.mockapi.api import MockApi, MockApiOptions
from simulator.mockapi.chat_state import ChatState
from simulator.mockapi.write_routes import match_write
from simulator.tenant.api import TenantApi, WebhookEndpoints
from simulator.tenant.registry import Registry

AUTH = (("Authorization", "Bearer bench"),)
TENANT = "Cust12345"
#: Stop a figure's repeats once this much wall time has gone, whatever --repeats says.
MAX_SECONDS_PER_FIGURE = 30.0

SCENARIO = """
name: routing
arrivals: {sessions: 5, process: uniform, rate: 1/min}
population:
  first_session_id: 1
  topics: [{id: 3, name: Support}]
"""

#: (methods, path) of every endpoint either API answers, in the order a Router must try them
#: (literal segments before parameters). Starlette would need each twice: with the tenant prefix.
ENDPOINTS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("GET",), "/chatsession"),
    (("GET",), "/chatsession/default"),
    (("GET",), "/chatsession/forcurrentuser"),
    (("POST",), "/chatsession/pickup"),
    (("GET", "PUT", "PATCH"), "/chatsession/{id}"),
    (("GET", "POST"), "/chatsession/{id}/messages"),
    (("POST",), "/chatsession/{id}/transcript"),
    (("POST",), "/chatsession/{id}/pickup"),
    (("POST",), "/chatsession/{id}/reset"),
    (("POST",), "/chatsession/{id}/accepttransfer"),
    (("POST",), "/chatsession/{id}/rejecttransfer"),
    (("POST",), "/chatsession/{id}/transferto/{to}"),
    (("GET",), "/chattopic/{id}"),
    (("GET",), "/chattopic/{id}/sessions"),
    (("POST",), "/agents/chat/{method}"),
    (("GET", "POST"), "/webhook"),
    (("GET",), "/webhook/default"),
    (("POST",), "/webhook/test"),
    (("GET", "PUT", "PATCH", "DELETE"), "/webhook/{id}"),
    (("GET",), "/webhook/{id}/lasterror"),
    (("POST",), "/webhook/{event}/{key}"),
    (("POST",), "/agents/webhook/{method}"),
)

#: The reads sent: (label, method, path). Early, middle and late in both route tables, with and
#: without a tenant, and one path no endpoint has (404).
REQUESTS: tuple[tuple[str, str, str], ...] = (
    ("chat, first route", "GET", "/api/v1/ChatSession/default"),
    ("chat, session", "GET", "/api/v1/ChatSession/1"),
    ("chat, tenant + messages", "GET", f"/{TENANT}/api/v1/ChatSession/1/Messages"),
    ("chat, late route", "GET", "/api/v1/ChatTopic/3"),
    ("webhook, list", "GET", "/api/v1/Webhook"),
    ("webhook, tenant + default", "GET", f"/{TENANT}/api/v1/Webhook/default"),
    ("no such endpoint (404)", "GET", "/api/v1/ChatSession/1/Nothing"),
)


def _apis() -> tuple[MockApi, TenantApi]:
    """The mock chat API over a small generated state, and a tenant API (no webhooks) around it."""
    state = ChatState.from_scenario(parse_scenario(SCENARIO))
    state.add_tenant(TENANT)
    endpoints = WebhookEndpoints(
        Registry(), Webhook(name="sosim", context_identifier=TENANT), pinger=_never_pinged
    )
    return MockApi(state), TenantApi(endpoints, state=state, options=MockApiOptions())


def _never_pinged(url: str, request: Any) -> Any:
    raise AssertionError("the benchmark sends only reads: nothing is pinged")


def starlette_routers() -> tuple[Any, Any]:
    """The same endpoints as two Starlette Routers, flat (44 routes, each endpoint with and without
    the tenant prefix) and mounted (``/api/v1`` and ``/{tenant}/api/v1``, each over the 22
    endpoints); exit with a hint when Starlette is missing."""
    try:
        from starlette.responses import Response
        from starlette.routing import Mount, Route, Router
    except ImportError:
        sys.exit("bench.routing needs Starlette: pip install -e '.[test]' (it comes with fastapi)")

    def endpoint(request: Any) -> Response:
        return Response()

    def routes(prefix: str) -> list[Route]:
        return [Route(prefix + path, endpoint, methods=list(methods)) for methods, path in ENDPOINTS]

    flat = Router([*routes("/api/v1"), *routes("/{tenant}/api/v1")])
    mounted = Router([Mount("/api/v1", routes=routes("")), Mount("/{tenant}/api/v1", routes=routes(""))])
    return flat, mounted


def starlette_match(router: Any, method: str, path: str) -> Any:
    """The route Starlette's Router picks for a request, the path lower-cased first: the first FULL
    match (into a Mount's routes), else the first PARTIAL (a method not allowed), else None (404)."""
    scope = {"type": "http", "method": method, "path": path.lower(), "root_path": ""}
    return _first_match(router.routes, scope)


def _first_match(routes: Sequence[Any], scope: dict[str, Any]) -> Any:
    from starlette.routing import Match, Mount

    partial = None
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            return _first_match(route.routes, {**scope, **child}) if isinstance(route, Mount) else route
        if match is Match.PARTIAL and partial is None:
            partial = route
    return partial


def _split_and_match_write(method: str, path: str) -> object:
    """The lower-cased segments after ``api/v1`` handed to ``match_write``, as the mock API does."""
    lowered = [unquote(s).lower() for s in path.split("/") if s]
    start = lowered.index("v1") + 1
    return match_write(method, tuple(lowered[start:]))


def best_us(call: Callable[[], object], rounds: int, repeats: int) -> float:
    """The best of ``repeats`` timings of ``rounds`` calls, in microseconds per call; the repeats
    stop after :data:`MAX_SECONDS_PER_FIGURE`."""
    timings: list[float] = []
    deadline = time.monotonic() + MAX_SECONDS_PER_FIGURE
    for _ in range(repeats):
        start = time.perf_counter_ns()
        for _ in range(rounds):
            call()
        timings.append((time.perf_counter_ns() - start) / 1000 / rounds)
        if time.monotonic() > deadline:
            break
    return min(timings)


class Row(NamedTuple):
    """One request's figures, in µs: today's whole answer, Starlette's two layouts, today's split."""

    label: str
    handle: float
    flat: float
    mounted: float
    split_write: float


def measure(rounds: int, repeats: int) -> list[Row]:
    """(label, handle, Starlette flat, Starlette mounted, split+write), in µs, for each request."""
    chat, tenant = _apis()
    flat, mounted = starlette_routers()
    rows = []
    for label, method, path in REQUESTS:
        api = tenant if "webhook" in label else chat
        response = api.handle(method, path, "", AUTH)
        expected = 404 if "404" in label else 200
        assert response.status == expected, (path, response.status, response.body[:200])
        for router in (flat, mounted):
            assert (starlette_match(router, method, path) is None) == (expected == 404), path
        handle = best_us(partial(api.handle, method, path, "", AUTH), rounds, repeats)
        star_flat = best_us(partial(starlette_match, flat, method, path), rounds, repeats)
        star_mounted = best_us(partial(starlette_match, mounted, method, path), rounds, repeats)
        today = best_us(partial(_split_and_match_write, method, path), rounds, repeats)
        rows.append(Row(label, handle, star_flat, star_mounted, today))
    return rows


def report(rows: Sequence[Row]) -> None:
    """Print the table and the median share Starlette's match would add to today's whole answer."""
    print(f"routing: {len(REQUESTS)} reads, {len(ENDPOINTS)} endpoints (best µs per request)")
    head = ("request", "handle", "flat", "share", "mounted", "share", "split+write")
    print("{:27} {:>7} {:>6} {:>6} {:>8} {:>6} {:>12}".format(*head))
    for row in rows:
        print(
            f"{row.label:27} {row.handle:7.2f} {row.flat:6.2f} {row.flat / row.handle:6.0%}"
            f" {row.mounted:8.2f} {row.mounted / row.handle:6.0%} {row.split_write:12.2f}"
        )
    flat = statistics.median(row.flat / row.handle for row in rows)
    mounted = statistics.median(row.mounted / row.handle for row in rows)
    print(f"median share of Starlette's match in today's answer: flat {flat:.0%}, mounted {mounted:.0%}")


def main(argv: Sequence[str] | None = None) -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(prog="python -m bench.routing", description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2000, help="passes per timing (default 2000)")
    parser.add_argument("--repeats", type=int, default=5, help="timings per figure, best kept (default 5)")
    parser.add_argument("--quick", action="store_true", help="3 repeats of 200 passes")
    args = parser.parse_args(argv)
    rounds, repeats = (200, 3) if args.quick else (max(1, args.rounds), max(1, args.repeats))
    report(measure(rounds, repeats))


if __name__ == "__main__":
    main()
