"""`python -m bench.routing` keeps up with the mock and tenant APIs (figures are not checked)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.bench


def test_routing_bench_answers_every_request_and_matches_the_same_endpoints() -> None:
    """Every read is answered as expected by today's APIs and routed by both Starlette layouts."""
    pytest.importorskip("starlette")
    from bench.routing import REQUESTS, measure

    rows = measure(rounds=2, repeats=1)
    assert [row.label for row in rows] == [label for label, _, _ in REQUESTS]
    assert all(min(row.handle, row.flat, row.mounted, row.split_write) > 0 for row in rows)


def test_a_method_the_path_does_not_allow_is_a_partial_match() -> None:
    """Starlette's layouts answer a wrong method with the path's route (a 405), an unknown path None."""
    pytest.importorskip("starlette")
    from bench.routing import starlette_match, starlette_routers

    for router in starlette_routers():
        assert starlette_match(router, "DELETE", "/api/v1/ChatSession/1").path.endswith("/chatsession/{id}")
        assert starlette_match(router, "GET", "/Cust1/api/v1/Webhook/7/LastError") is not None
        assert starlette_match(router, "GET", "/api/v1/Nothing") is None
