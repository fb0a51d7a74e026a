"""The served tenant API on 127.0.0.1: each app sees only its own webhooks, over real HTTP."""

from __future__ import annotations

import httpx

from simulator.core.events import Webhook
from simulator.mockapi.server import ApiServerThread
from simulator.mockapi.state import ChatState, MockApiOptions
from simulator.tenant.api import ApiSettings, PingResult, TenantApi, WebhookEndpoints
from simulator.tenant.registry import Registry


def test_another_apps_webhook_is_404_over_http() -> None:
    """App A registers; app B neither lists nor reads nor deletes it (404 error body); A still can."""
    state = ChatState()
    state.add_tenant("Cust12345")
    endpoints = WebhookEndpoints(
        Registry(),
        Webhook(name="sosim", context_identifier="Cust12345"),
        pinger=lambda url, request: PingResult(200, "ok"),
        settings=ApiSettings(ping_on="never"),
    )
    api = TenantApi(endpoints, state=state, options=MockApiOptions())
    a = {"Authorization": "Bearer app-a"}
    b = {"Authorization": "SOTicket 7T:b", "SO-AppToken": "app-b"}
    with ApiServerThread(api, "127.0.0.1", 0) as running, httpx.Client(base_url=running.url) as client:
        created = client.post(
            "/Cust12345/api/v1/Webhook", json={"TargetUrl": "http://127.0.0.1:9/h", "Name": "a"}, headers=a
        )
        assert created.status_code == 200, created.text
        path = f"/Cust12345/api/v1/Webhook/{created.json()['WebhookId']}"
        assert client.get("/Cust12345/api/v1/Webhook", headers=b).json() == []
        for answer in (client.get(path, headers=b), client.delete(path, headers=b)):
            assert answer.status_code == 404
            assert answer.json()["ErrorType"] == "SoNotFoundException"
        assert client.get(path, headers=a).json()["Name"] == "a"
        assert client.get(path, headers={"Authorization": "SOTicket 7T:b"}).status_code == 401
