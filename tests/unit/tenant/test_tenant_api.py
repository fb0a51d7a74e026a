"""The tenant's Webhook REST surface in process: TenantApi.handle with a scripted ping, no network."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from simulator.core.events import Request, Webhook
from simulator.core.signing import verify
from simulator.mockapi.state import ApiResponse, ChatState, MockApiOptions
from simulator.superoffice import facts as so
from simulator.tenant.api import ApiSettings, PingResult, TenantApi, WebhookEndpoints
from simulator.tenant.model import WEBHOOK_KEYS
from simulator.tenant.registry import Registry

AUTH = {"Authorization": "Bearer test-token"}
ROOT = "http://127.0.0.1:8765"
TARGET = "http://127.0.0.1:9999/hook"


@dataclass
class Pings:
    """A scripted target: answers each test event with ``status`` and keeps what it got."""

    status: int | None = 200
    body: str = "ok"
    got: list[tuple[str, Request]] = field(default_factory=list)

    def __call__(self, url: str, request: Request) -> PingResult:
        self.got.append((url, request))
        if self.status is None:
            return PingResult(None, "connect: Connection refused")
        return PingResult(self.status, f"HTTP/1.1 {self.status}\r\n\r\n{self.body}")


@dataclass
class Api:
    """A TenantApi with its registry, pings and signals at hand."""

    api: TenantApi
    registry: Registry
    pings: Pings
    signals: list[tuple[str, int, Any]]

    def call(
        self, method: str, path: str, body: Any = None, *, query: str = "", headers: Any = None
    ) -> ApiResponse:
        data = body if isinstance(body, bytes) else (b"" if body is None else json.dumps(body).encode())
        return self.api.handle(method, path, query, AUTH if headers is None else headers, data, root=ROOT)

    def register(self, **body: Any) -> dict[str, Any]:
        answer = self.call("POST", "/api/v1/Webhook", {"TargetUrl": TARGET, **body})
        assert answer.status == 200, answer.body
        result: dict[str, Any] = answer.json()
        return result


@pytest.fixture
def api() -> Api:
    """A tenant API for Cust12345 whose target answers 200 unless a test says otherwise."""
    registry = Registry()
    pings = Pings()
    signals: list[tuple[str, int, Any]] = []
    state = ChatState()
    state.add_tenant("Cust12345")
    endpoints = WebhookEndpoints(
        registry,
        Webhook(name="sosim", context_identifier="Cust12345"),
        pinger=pings,
        settings=ApiSettings(),
        signal=lambda name, key, data: signals.append((name, key, data)),
    )
    return Api(TenantApi(endpoints, state=state, options=MockApiOptions()), registry, pings, signals)


def test_post_registers_after_a_signed_test_event_and_answers_the_webhook(api: Api) -> None:
    """POST Webhook pings the target with X-Hook-Test: true, signed with the new secret, then saves."""
    body = api.register(Name="app", Events=["chatsession.message"], Secret="s3cret", Headers={"X-App": "1"})
    assert list(body) == [*WEBHOOK_KEYS, "_Links"]
    assert body["WebhookId"] == 1 and body["State"] == "Active" and body["Secret"] == "s3cret"
    assert body["_Links"]["Self"] == f"{ROOT}/api/v1/Webhook/1"
    url, ping = api.pings.got[0]
    assert url == TARGET
    assert ping.header(so.HEADER_HOOK_TEST) == "true"
    assert ping.header(so.HEADER_EVENT) == "test"
    assert ping.header("X-App") == "1"
    assert verify(ping.body, "s3cret", ping.header(so.HEADER_SIGNATURE))
    assert json.loads(ping.body)["WebhookName"] == "app"
    assert len(api.registry) == 1


def test_a_target_that_does_not_answer_200_refuses_the_save_with_its_answer(api: Api) -> None:
    """A 500 to the test event: 400, the documented error body naming its status and body; nothing saved."""
    api.pings.status, api.pings.body = 500, "database down"
    answer = api.call("POST", "/api/v1/Webhook", {"TargetUrl": TARGET})
    error = answer.json()
    assert answer.status == 400
    assert list(error) == ["Error", "ErrorType", "ErrorMessage", "ErrorSource"]
    assert error["Error"] is True and error["ErrorType"] == "ArgumentException"
    assert "answered 500" in error["ErrorMessage"] and "database down" in error["ErrorMessage"]
    assert len(api.registry) == 0
    api.pings.status = None
    assert (
        "did not answer" in api.call("POST", "/api/v1/Webhook", {"TargetUrl": TARGET}).json()["ErrorMessage"]
    )


def test_the_test_event_is_by_associate_zero_unless_configured(api: Api) -> None:
    """The registration ping carries ChangedByAssociateId 0 by default and the configured
    associate with ApiSettings(test_associate_id=...) (sosim tenant --test-associate-id)."""
    api.register()
    assert json.loads(api.pings.got[0][1].body)["ChangedByAssociateId"] == 0
    pings = Pings()
    endpoints = WebhookEndpoints(
        Registry(),
        Webhook(name="sosim", context_identifier="Cust12345"),
        pinger=pings,
        settings=ApiSettings(test_associate_id=316),
        signal=lambda name, key, data: None,
    )
    state = ChatState()
    state.add_tenant("Cust12345")
    tenant = TenantApi(endpoints, state=state, options=MockApiOptions())
    answer = tenant.handle("POST", "/api/v1/Webhook", "", AUTH, json.dumps({"TargetUrl": TARGET}).encode())
    assert answer.status == 200
    assert json.loads(pings.got[0][1].body)["ChangedByAssociateId"] == 316


def test_an_unsigned_webhook_gets_an_unsigned_test_event(api: Api) -> None:
    """Without a Secret the test event carries no X-SuperOffice-Signature."""
    api.register()
    assert api.pings.got[0][1].header(so.HEADER_SIGNATURE) is None


def test_saving_a_stopped_webhook_does_not_ping(api: Api) -> None:
    """With the default ping rule only saves that leave the webhook Active send the test event."""
    api.register(State="Stopped")
    assert api.pings.got == []


def test_get_list_filters_and_default(api: Api) -> None:
    """GET Webhook filters by nameFilter, eventFilter and statusFilter; GET Webhook/default has no _Links."""
    api.register(Name="a", Events=["chatsession.created"])
    api.register(Name="b", Events=["chatsession.message"], State="Stopped")
    names = [w["Name"] for w in api.call("GET", "/api/v1/Webhook").json()]
    assert names == ["a", "b"]
    assert [w["Name"] for w in api.call("GET", "/api/v1/Webhook", query="nameFilter=B").json()] == ["b"]
    assert [
        w["Name"] for w in api.call("GET", "/api/v1/webhook", query="eventFilter=chatsession.created").json()
    ] == ["a"]
    assert [w["Name"] for w in api.call("GET", "/api/v1/Webhook", query="statusFilter=Stopped").json()] == [
        "b"
    ]
    assert len(api.call("GET", "/api/v1/Webhook", query="statusFilter=Unknown").json()) == 2
    default = api.call("GET", "/Cust12345/api/v1/Webhook/default").json()
    assert default["Events"] == ["contact.created", "contact.deleted"] and "_Links" not in default


def test_put_patch_and_delete_change_the_stored_webhook(api: Api) -> None:
    """PUT changes what it names, PATCH applies JSON Patch, DELETE answers 204 and the id is gone (404)."""
    api.register(Name="app", Secret="one")
    put = api.call("PUT", "/api/v1/Webhook/1", {"Secret": "two"})
    assert put.status == 200 and put.json()["Secret"] == "two" and put.json()["Name"] == "app"
    assert verify(api.pings.got[-1][1].body, "two", api.pings.got[-1][1].header(so.HEADER_SIGNATURE))
    patch = api.call("PATCH", "/api/v1/Webhook/1", [{"op": "replace", "path": "/State", "value": "Stopped"}])
    assert patch.json()["State"] == "Stopped"
    assert patch.json()["Updated"] != "0001-01-01T00:00:00"
    assert api.call("DELETE", "/api/v1/Webhook/1").status == 204
    assert api.call("GET", "/api/v1/Webhook/1").status == 404


def test_a_failed_ping_on_update_keeps_the_old_secret(api: Api) -> None:
    """A PUT whose test event is refused changes nothing: the stored secret stays."""
    api.register(Secret="one")
    api.pings.status = 401
    assert api.call("PUT", "/api/v1/Webhook/1", {"Secret": "two"}).status == 400
    assert api.call("GET", "/api/v1/Webhook/1").json()["Secret"] == "one"


def test_test_endpoint_reports_success_and_the_targets_answer(api: Api) -> None:
    """POST Webhook/Test answers {Success, Message, TableRight, FieldProperties} and saves nothing."""
    answer = api.call("POST", "/api/v1/Webhook/Test", {"TargetUrl": TARGET})
    assert answer.status == 200
    assert answer.json() == {
        "Success": True,
        "Message": "HTTP/1.1 200\r\n\r\nok",
        "TableRight": None,
        "FieldProperties": {},
    }
    api.pings.status = 503
    assert api.call("POST", "/api/v1/Webhook/Test", {"TargetUrl": TARGET}).json()["Success"] is False
    assert len(api.registry) == 0


def test_last_error_is_a_json_string(api: Api) -> None:
    """GET Webhook/{id}/LastError answers the last failed answer as a JSON string ("" before any)."""
    api.register()
    assert api.call("GET", "/api/v1/Webhook/1/LastError").json() == ""
    api.registry.record_attempt(1, False, "HTTP/1.1 500 Internal Server Error\r\n\r\nboom")
    assert api.call("GET", "/api/v1/Webhook/1/LastError").json().endswith("boom")


def test_signal_hands_the_event_on_and_answers_204(api: Api) -> None:
    """POST Webhook/{eventName}/{primaryKey} passes name, key and data to the delivery side."""
    answer = api.call("POST", "/api/v1/Webhook/Button.Clicked/42", {"windowName": "foo"})
    assert (answer.status, answer.body) == (204, b"")
    agent = api.call("POST", "/api/v1/Agents/Webhook/SignalEvent", {"EventName": "x.y", "PrimaryKey": 1})
    assert agent.status == 204
    assert api.signals == [("Button.Clicked", 42, {"windowName": "foo"}), ("x.y", 1, None)]


def test_agent_methods_mirror_the_rest_endpoints(api: Api) -> None:
    """Agents/Webhook: CreateDefault, Save (0 creates, an id updates), Get, GetAll, GetLastError, Delete."""
    default = api.call("POST", "/api/v1/Agents/Webhook/CreateDefaultWebhook").json()
    saved = api.call(
        "POST", "/api/v1/Agents/Webhook/SaveWebhook", {**default, "TargetUrl": TARGET, "Name": "ag"}
    )
    assert saved.status == 200 and saved.json()["WebhookId"] == 1 and "_Links" not in saved.json()
    renamed = api.call("POST", "/api/v1/Agents/Webhook/SaveWebhook", {**saved.json(), "Name": "ag2"})
    assert renamed.json()["WebhookId"] == 1 and renamed.json()["Name"] == "ag2"
    assert api.call("POST", "/api/v1/Agents/Webhook/GetWebhook", query="webhookId=1").json()["Name"] == "ag2"
    found = api.call(
        "POST", "/api/v1/Agents/Webhook/GetAllWebhooks", {"NameFilter": "ag2", "StatusFilter": "Active"}
    )
    assert [w["WebhookId"] for w in found.json()] == [1]
    assert api.call("POST", "/api/v1/Agents/Webhook/GetLastError", {"WebhookId": 1}).json() == ""
    assert api.call("POST", "/api/v1/Agents/Webhook/DeleteWebhook", query="WebhookId=1").status == 204
    assert api.call("POST", "/api/v1/Agents/Webhook/GetWebhook", query="webhookId=1").status == 404


@pytest.mark.parametrize(
    ("method", "path", "body", "query", "status"),
    [
        ("POST", "/api/v1/Webhook", b"{not json", "", 400),
        ("POST", "/api/v1/Webhook", b"", "", 400),
        ("POST", "/api/v1/Webhook", b"[1, 2]", "", 400),
        ("POST", "/api/v1/Webhook", b'{"TargetUrl": 12}', "", 400),
        ("POST", "/api/v1/Webhook", b'{"TargetUrl": "x", "Events": "a"}', "", 400),
        ("POST", "/api/v1/Webhook", b'{"TargetUrl": "not a url"}', "", 400),
        ("POST", "/api/v1/Webhook", b"\xff\xfe", "", 400),
        ("PUT", "/api/v1/Webhook/1", b'{"State": 7}', "", 400),
        ("PATCH", "/api/v1/Webhook/1", b'[{"op": "move", "path": "/Name"}]', "", 400),
        ("PATCH", "/api/v1/Webhook/1", b'[{"op": "test", "path": "/Name", "value": "zz"}]', "", 409),
        ("PATCH", "/api/v1/Webhook/1", b'"State"', "", 400),
        ("GET", "/api/v1/Webhook/999", b"", "", 404),
        ("PUT", "/api/v1/Webhook/999", b'{"Name": "x"}', "", 404),
        ("PATCH", "/api/v1/Webhook/999", b"[]", "", 404),
        ("DELETE", "/api/v1/Webhook/999", b"", "", 404),
        ("GET", "/api/v1/Webhook/999/LastError", b"", "", 404),
        ("GET", "/api/v1/Webhook/abc", b"", "", 404),
        ("GET", "/api/v1/Webhook/99999999999", b"", "", 404),
        ("GET", "/api/v1/Webhook", b"", "statusFilter=Sleeping", 400),
        ("POST", "/api/v1/Webhook/foo.bar/notanumber", b"", "", 404),
        ("POST", "/api/v1/Webhook/foo.bar/1", b"[1]", "", 400),
        ("DELETE", "/api/v1/Webhook", b"", "", 405),
        ("GET", "/api/v1/Webhook/Test", b"", "", 405),
        ("GET", "/api/v1/Agents/Webhook/GetWebhook", b"", "webhookId=1", 405),
        ("POST", "/api/v1/Agents/Webhook/GetWebhook", b"", "", 400),
        ("POST", "/api/v1/Agents/Webhook/GetWebhook", b"", "webhookId=x", 400),
        ("POST", "/api/v1/Agents/Webhook/GetLastError", b'{"WebhookId": "1"}', "", 400),
        ("POST", "/api/v1/Agents/Webhook/SaveWebhook", b'{"WebhookId": true}', "", 400),
        ("POST", "/api/v1/Agents/Webhook/SignalEvent", b'{"EventName": 3}', "", 400),
        ("POST", "/api/v1/Agents/Webhook/SignalEvent", b'{"EventName": "a.b", "Data": [1]}', "", 400),
        ("POST", "/api/v1/Agents/Webhook/Nope", b"", "", 404),
        ("POST", "/api/v1/Webhook", b"[" * 1000, "", 400),
        ("POST", "/api/v1/Agents/Webhook/SaveWebhook", b'{"a":' * 5000, "", 400),
        (
            "POST",
            "/api/v1/Webhook",
            b'{"TargetUrl": "http://127.0.0.1:9/", "Headers": {"X": "a\\u0000"}}',
            "",
            400,
        ),
        (
            "POST",
            "/api/v1/Webhook",
            b'{"TargetUrl": "http://127.0.0.1:9/", "Headers": {"X": "a\\r\\nB: c"}}',
            "",
            400,
        ),
        ("GET", "/Cust99999/api/v1/Webhook", b"", "", 404),
    ],
)
def test_bad_requests_get_the_documented_4xx_and_never_a_5xx(
    api: Api, method: str, path: str, body: bytes, query: str, status: int
) -> None:
    """Malformed JSON, wrong types, unknown ids and routes, wrong methods: a 4xx with the error body."""
    api.register(Name="app")
    answer = api.call(method, path, body, query=query)
    assert answer.status == status, answer.body
    assert answer.json()["Error"] is True and answer.json()["ErrorType"]
    if status == 405:
        assert dict(answer.headers)["Allow"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Basic !!"}, {"Authorization": "SOTicket 7T:abc"}, {"Authorization": "Bearer "}],
    ids=["none", "basic-not-base64", "soticket-without-apptoken", "blank-bearer"],
)
def test_webhook_endpoints_need_auth_like_the_chat_endpoints(api: Api, headers: dict[str, str]) -> None:
    """No (or a wrong) Authorization: 401 with WWW-Authenticate and the error body; nothing is saved."""
    answer = api.call("POST", "/api/v1/Webhook", {"TargetUrl": TARGET}, headers=headers)
    assert answer.status == 401
    assert dict(answer.headers)["WWW-Authenticate"] == "Bearer"
    assert answer.json()["ErrorType"] == "UnauthorizedAccessException"
    assert len(api.registry) == 0 and api.pings.got == []


def test_chat_endpoints_still_answer_through_the_tenant_api(api: Api) -> None:
    """Requests outside /Webhook go to the mock chat API (here: an unknown session is a 404)."""
    answer = api.call("GET", "/api/v1/ChatSession/5")
    assert answer.status == 404 and "ChatSession id 5 not found" in answer.json()["ErrorMessage"]


# --- per-app scoping (dev/crmscript-handlers.md) and auth (auth-header-types.md) ---------------

APP_A = {"Authorization": "Bearer token-a"}
APP_B = {"Authorization": "Bearer token-b"}


def test_each_app_sees_only_its_own_webhooks(api: Api) -> None:
    """ "Applications ... can only see the webhooks they themselves create": another app's webhook is
    not listed and answers 404 (the documented error body) to GET, PUT, PATCH, DELETE, LastError
    and the Agent methods; its owner still sees and changes it."""
    mine = api.call(
        "POST", "/api/v1/Webhook", {"TargetUrl": TARGET, "Name": "a", "Secret": "sa"}, headers=APP_A
    )
    assert mine.status == 200
    hook_id = mine.json()["WebhookId"]
    path = f"/api/v1/Webhook/{hook_id}"
    assert api.call("GET", "/api/v1/Webhook", headers=APP_B).json() == []
    assert [h["Name"] for h in api.call("GET", "/api/v1/Webhook", headers=APP_A).json()] == ["a"]
    agent = "/api/v1/Agents/Webhook/"
    refused = [
        api.call("GET", path, headers=APP_B),
        api.call("PUT", path, {"Name": "stolen"}, headers=APP_B),
        api.call("PATCH", path, [{"op": "replace", "path": "/Name", "value": "x"}], headers=APP_B),
        api.call("GET", path + "/LastError", headers=APP_B),
        api.call("POST", agent + "GetWebhook", query=f"webhookId={hook_id}", headers=APP_B),
        api.call("POST", agent + "SaveWebhook", {"WebhookId": hook_id, "Name": "x"}, headers=APP_B),
        api.call("POST", agent + "DeleteWebhook", query=f"webhookId={hook_id}", headers=APP_B),
        api.call("DELETE", path, headers=APP_B),
    ]
    for answer in refused:
        assert answer.status == 404, answer.body
        assert answer.json() == {
            "Error": True,
            "ErrorType": "SoNotFoundException",
            "ErrorMessage": f"Webhook id {hook_id} not found",
            "ErrorSource": "SuperOffice.Services.Implementation",
        }
    assert api.call("POST", agent + "GetAllWebhooks", {}, headers=APP_B).json() == []
    assert api.registry.get(hook_id) is not None and api.registry.get(hook_id).name == "a"  # type: ignore[union-attr]
    assert api.call("GET", path, headers=APP_A).json()["Name"] == "a"
    assert api.call("DELETE", path, headers=APP_A).status == 204


def test_the_app_is_its_so_apptoken_when_sent() -> None:
    """SOTicket callers with the same SO-AppToken are one app, whatever their ticket."""
    api = _api()
    first = {"Authorization": "SOTicket 7T:one", "SO-AppToken": "app-1"}
    hook_id = api.call("POST", "/api/v1/Webhook", {"TargetUrl": TARGET}, headers=first).json()["WebhookId"]
    other_ticket = {"Authorization": "SOTICKET 7T:two", "SO-AppToken": "app-1"}
    assert api.call("GET", f"/api/v1/Webhook/{hook_id}", headers=other_ticket).status == 200
    other_app = {"Authorization": "SOTicket 7T:one", "SO-AppToken": "app-2"}
    assert api.call("GET", f"/api/v1/Webhook/{hook_id}", headers=other_app).status == 404


def test_app_scoping_off_and_webhooks_of_no_app_are_seen_by_all() -> None:
    """ApiSettings(app_scoping=False) shares every webhook; one created outside the API has no owner."""
    shared = _api(ApiSettings(app_scoping=False))
    hook_id = shared.call("POST", "/api/v1/Webhook", {"TargetUrl": TARGET}, headers=APP_A).json()["WebhookId"]
    assert shared.call("GET", f"/api/v1/Webhook/{hook_id}", headers=APP_B).status == 200
    scoped = _api()
    from simulator.tenant.model import WebhookDef

    nobody = scoped.registry.create(WebhookDef(target_url=TARGET))
    assert scoped.call("GET", f"/api/v1/Webhook/{nobody.webhook_id}", headers=APP_B).status == 200


def test_basic_auth_is_accepted_on_webhook_endpoints(api: Api) -> None:
    """Basic user:password (documented for onsite) registers a webhook."""
    answer = api.call(
        "POST", "/api/v1/Webhook", {"TargetUrl": TARGET}, headers={"Authorization": "Basic dGplMDpUamUw"}
    )
    assert answer.status == 200, answer.body


def test_restricted_tokens_get_403_on_webhook_endpoints_only() -> None:
    """ApiSettings(restricted_tokens=...): the Webhook agent is "Online Restricted" (v1Webhook_PostWebhook),
    so such a caller gets 403 with the error body there, while the chat endpoints still answer it."""
    api = _api(ApiSettings(restricted_tokens=frozenset({"token-b"})))
    answer = api.call("GET", "/api/v1/Webhook", headers=APP_B)
    assert answer.status == 403
    assert answer.json()["ErrorType"] == "SoAccessDeniedException" and answer.json()["Error"] is True
    assert api.call("GET", "/api/v1/Webhook", headers=APP_A).status == 200
    assert api.call("GET", "/api/v1/ChatSession/1", headers=APP_B).status == 404  # the chat API: not 403


def _api(settings: ApiSettings | None = None) -> Api:
    registry, pings = Registry(), Pings()
    state = ChatState()
    state.add_tenant("Cust12345")
    endpoints = WebhookEndpoints(
        registry, Webhook(name="sosim", context_identifier="Cust12345"), pinger=pings, settings=settings
    )
    return Api(TenantApi(endpoints, state=state, options=MockApiOptions()), registry, pings, [])
