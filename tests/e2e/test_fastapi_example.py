"""The README's example, kept honest: the FastAPI receiver in examples/ tested with sosim's fixtures,
in process and over real HTTP (uvicorn on 127.0.0.1 calling the mock API served over HTTP)."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from simulator.testing.plugin import DeliveryResult, SimScenario, SosimApi, assert_signed

pytestmark = pytest.mark.e2e

SECRET = "example-secret"
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fastapi_receiver.py"


def load_example() -> ModuleType:
    """Import examples/fastapi_receiver.py by path (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location("sosim_example_fastapi_receiver", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = load_example()


def test_receiver_fetches_each_announced_message_in_process(
    sosim_scenario: Callable[..., SimScenario],
    sosim_deliver: Callable[..., DeliveryResult],
    sosim_api: SosimApi,
) -> None:
    """Every webhook is answered 200 and every message webhook fetches exactly its new message."""
    sim = sosim_scenario(secret=SECRET, sessions=3)
    app = example.create_app(secret=SECRET, api_base=sosim_api.base_url, token=sosim_api.token)

    result = sosim_deliver(app, sim)

    assert set(result.statuses) == {200}
    assert sorted(result.delivered_ids) == sorted(request.event_id for request in sim.requests)
    for plan in sim.plans:  # each session's webhooks arrive in order
        sent = [o.event_id for o in result if o.session_id == plan.session_id]
        assert sent == [t.event.event_id for t in plan.events]
    for plan in sim.plans:
        assert app.state.seen[plan.session_id] == [m.message_id for m in plan.messages]
        assert app.state.newest[plan.session_id]["Message"] == plan.messages[-1].text
        assert app.state.newest[plan.session_id]["Author"] == plan.messages[-1].author
    message_webhooks = len(result.for_event("chatsession.message"))
    assert [c.status for c in sosim_api.calls] == [200] * message_webhooks
    assert_signed(result[0], SECRET)


def test_receiver_rejects_webhooks_signed_with_another_secret(
    sosim_scenario: Callable[..., SimScenario],
    sosim_deliver: Callable[..., DeliveryResult],
    sosim_api: SosimApi,
) -> None:
    """Webhooks signed with a wrong secret get 401 and trigger no callback."""
    sim = sosim_scenario(secret="not-the-receivers-secret")
    app = example.create_app(secret=SECRET, api_base=sosim_api.base_url, token=sosim_api.token)

    result = sosim_deliver(app, sim)

    assert set(result.statuses) == {401}
    assert result.delivered_ids == []
    assert sosim_api.calls == []
    with pytest.raises(AssertionError, match="does not match the body"):
        assert_signed(result[0], SECRET)


def test_receiver_over_real_http_calls_the_api_over_real_http(
    sosim_scenario: Callable[..., SimScenario],
    sosim_deliver: Callable[..., DeliveryResult],
    sosim_api: SosimApi,
    uvicorn_url: Callable[[Any], str],
) -> None:
    """Under uvicorn, delivered over HTTP, the receiver fetches each message from the HTTP mock API."""
    sim = sosim_scenario(secret=SECRET, sessions=2)
    with sosim_api.serve_http() as api_server:
        app = example.create_app(secret=SECRET, api_base=api_server.url, token="any-token")
        result = sosim_deliver(uvicorn_url(app) + "/webhook", sim)

    assert set(result.statuses) == {200}
    assert all(latency > 0 for latency in result.latencies)
    for plan in sim.plans:
        assert app.state.seen[plan.session_id] == [m.message_id for m in plan.messages]
    assert {c.path.split("/")[1] for c in sosim_api.calls} == {sim.webhook.context_identifier}
