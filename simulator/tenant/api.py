"""The Webhook REST surface of sosim's tenant, on top of the mock chat REST API.

:class:`TenantApi` is a :class:`~simulator.mockapi.state.MockApi` that also answers reference §2.3:

``GET /api/v1/Webhook`` (``nameFilter``, ``eventFilter``, ``statusFilter``), ``GET /Webhook/{id}``,
``GET /Webhook/default``, ``POST /Webhook``, ``PUT``/``PATCH``/``DELETE /Webhook/{id}``,
``POST /Webhook/Test``, ``GET /Webhook/{id}/LastError``, ``POST /Webhook/{eventName}/{primaryKey}``
and the agent methods ``POST /api/v1/Agents/Webhook/{CreateDefaultWebhook, GetWebhook,
SaveWebhook, DeleteWebhook, GetAllWebhooks, GetLastError, TestWebhook, SignalEvent}``.
Everything else goes to the chat endpoints. Paths, tenant prefix, auth (401) and errors (the
``{Error, ErrorType, ErrorMessage, ErrorSource}`` body) follow the chat endpoints' rules.
Each app sees only the webhooks it created (its SO-AppToken, else its credential; another
app's answers 404), and ``ApiSettings.restricted_tokens`` get 403 on every Webhook endpoint.

Saving a webhook as NetServer's WebhookManager does: the body is validated, the target gets a
``test`` event (``X-Hook-Test: true``, signed when the webhook has a secret) and the save is
refused unless it answers 200. The ping is synchronous, like the save it guards, but only for
that request: the HTTP server answers a Webhook write on a worker thread (``may_block``), so
other requests, a target calling the API back from its ping handler included, are answered
meanwhile. A write is answered only once the delivery side follows it (``settle``): after a
PUT's 200, every request rendered carries the new secret.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple
from urllib.parse import parse_qsl, unquote

from simulator.core.events import Request, Webhook, render_test
from simulator.core.urls import mask_url
from simulator.mockapi.auth import Caller, Denied, authenticate
from simulator.mockapi.problems import NOT_FOUND_TYPE
from simulator.mockapi.shapes import error_body, select_fields
from simulator.mockapi.state import (
    JSON_CONTENT_TYPE,
    ApiResponse,
    Headers,
    MockApi,
)
from simulator.superoffice import facts as so
from simulator.tenant.events import describe_answer
from simulator.tenant.model import (
    AllowHttp,
    ApiProblem,
    WebhookDef,
    apply_patch,
    bad_request,
    default_webhook,
    parse_state,
    webhook_from_json,
    webhook_json,
)
from simulator.tenant.registry import Registry, wall_ticks

__all__ = ["ApiSettings", "HttpPinger", "PingOn", "PingResult", "Pinger", "TenantApi", "WebhookEndpoints"]

log = logging.getLogger(__name__)

#: When a save sends the test event: when the saved webhook is Active (default), on every save,
#: only when a webhook is created, or never.
PingOn = Literal["active", "always", "create", "never"]


class PingResult(NamedTuple):
    """What the target answered the test event: its status (None: no answer) and the message."""

    status: int | None
    message: str


#: Sends a rendered test request to a URL and reports the answer; never raises.
Pinger = Callable[[str, Request], PingResult]
#: Hands a signalled event to the delivery engine: (event name, primary key, data).
Signal = Callable[[str, int, Mapping[str, Any] | None], None]
#: Returns once the delivery engine follows every registry write made so far.
Settle = Callable[[], None]


@dataclass(frozen=True, slots=True)
class ApiSettings:
    """The choices of the Webhook endpoints (the README lists each)."""

    allow_http: AllowHttp = "localhost"
    ping_on: PingOn = "active"
    ping_success: frozenset[int] = so.SUCCESS_STATUSES
    #: ChangedByAssociateId of the test event: "the user that triggered the event", the associate
    #: who saves the webhook. 0 by default, as sosim has no associate per token.
    test_associate_id: int = 0
    #: The test event carries the webhook's Properties, like every other body of it (fanout's
    #: ``properties_in_body``).
    properties_in_body: bool = True
    #: "Applications can only see the webhooks they themselves create" (dev/crmscript-handlers.md):
    #: a webhook belongs to the app that created it (its SO-AppToken, else its credential); another
    #: app's webhook answers 404. Webhooks created outside the API belong to no app: all see them.
    app_scoping: bool = True
    #: Credentials (or SO-AppTokens) without the "Online Restricted" Webhook agent: 403 on every
    #: Webhook endpoint. Empty: every accepted caller has it.
    restricted_tokens: frozenset[str] = frozenset()


class HttpPinger:
    """The real ping: one POST with exactly the rendered headers and body, through httpx."""

    def __init__(self, timeout_s: float = 10.0, verify: bool = True) -> None:
        """Ping with this timeout, verifying TLS certificates unless ``verify`` is False."""
        import httpx

        self._timeout_s = timeout_s
        self._client = httpx.Client(timeout=timeout_s, verify=verify, follow_redirects=False)

    def __call__(self, url: str, request: Request) -> PingResult:
        """POST the test request; a failure to connect or a timeout is a result, not an exception."""
        import httpx

        raw = [(name.encode(), value.encode()) for name, value in request.headers]
        try:
            response = self._client.send(httpx.Request("POST", url, headers=raw, content=request.body))
        except httpx.TimeoutException:
            return PingResult(None, f"timeout: no answer within {self._timeout_s:g} s")
        except httpx.HTTPError as exc:
            return PingResult(None, f"{type(exc).__name__}: {exc}")
        headers = tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw)
        message = describe_answer(response.status_code, headers, response.content)
        return PingResult(response.status_code, message)

    def close(self) -> None:
        """Close the connections."""
        self._client.close()


class _Route(NamedTuple):
    tenant: str
    links_root: str  # root + "/Cust12345/api/v1" as requested
    parts: tuple[str, ...]  # lower-cased segments after /api/v1
    raw: tuple[str, ...]  # the same segments as sent (event names keep their case)


class WebhookEndpoints:
    """The Webhook endpoints over a :class:`Registry`; :class:`TenantApi` routes requests here."""

    def __init__(
        self,
        registry: Registry,
        base_webhook: Webhook,
        *,
        pinger: Pinger,
        settings: ApiSettings | None = None,
        signal: Signal | None = None,
        settle: Settle | None = None,
    ) -> None:
        """Serve ``registry``; pings and signalled events are rendered like ``base_webhook`` (tenant,
        NetServer version, payload options). A write is answered once ``settle`` returns."""
        self.registry = registry
        self.base_webhook = base_webhook
        self.pinger = pinger
        self.settings = settings or ApiSettings()
        self.signal = signal
        self.settle = settle
        #: The chat API these endpoints extend: its tenants, credentials and agent options apply.
        self.chat = MockApi()

    def answer(self, method: str, route: _Route, query: str, headers: Headers, body: bytes) -> ApiResponse:
        """Answer one Webhook request."""
        extra: tuple[tuple[str, str], ...] = ()
        try:
            caller = self._check_access(route, headers)
            owner = caller.app if self.settings.app_scoping else None
            status, payload = self._dispatch_webhook(method.upper(), route, query, body, owner)
            if self.settle is not None and method.upper() != "GET":
                self.settle()  # the delivery side follows the write before the app hears of it
        except ApiProblem as problem:
            status, extra = problem.status, problem.headers
            payload = error_body(problem.error_type, problem.message)
        except Exception:  # a bug must still answer, and say so, rather than drop the connection
            log.exception("Webhook endpoint failed")
            status, payload = 500, error_body("Exception", "sosim's tenant failed to answer this request")
        data = (
            b"" if status == 204 else json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        )
        return ApiResponse(status, (("Content-Type", JSON_CONTENT_TYPE), *extra), data)

    # -- routing ---------------------------------------------------------------------------

    def _check_access(self, route: _Route, headers: Headers) -> Caller:
        if route.tenant and not self.chat.state.knows_tenant(route.tenant):
            raise ApiProblem(404, NOT_FOUND_TYPE, f"Tenant {route.tenant} not found")
        items = headers.items() if isinstance(headers, Mapping) else headers
        caller = authenticate({str(k).lower(): str(v) for k, v in items}, self.chat.options.tokens)
        if isinstance(caller, Denied):
            raise ApiProblem(caller.status, caller.error_type, caller.message, caller.headers)
        restricted = self.settings.restricted_tokens
        if restricted and (caller.credential in restricted or caller.app in restricted):
            raise ApiProblem(
                403,
                "SoAccessDeniedException",
                "The Webhook agent is Online Restricted: this application has not been granted access to it",
            )
        return caller

    # An if-chain, not a Starlette Router: see the routing section of simulator/mockapi/api.py.
    def _dispatch_webhook(
        self, method: str, route: _Route, query: str, body: bytes, owner: str | None = None
    ) -> tuple[int, Any]:
        params = {k.lower(): v for k, v in parse_qsl(query, keep_blank_values=True)}
        parts, links = route.parts, route.links_root
        if parts[0] == "agents":
            _allow(method, "POST")
            return self._agent(parts[2] if len(parts) == 3 else "", params, body, route, owner)
        if len(parts) == 1:
            _allow(method, "GET", "POST")
            if method == "GET":
                return 200, [_select(webhook_json(h, links), params) for h in self._find(params, owner)]
            return 200, _select(webhook_json(self._create(_json(body), route, owner), links), params)
        if len(parts) == 2 and parts[1] == "default":
            _allow(method, "GET")
            return 200, _select(webhook_json(default_webhook()), params)
        if len(parts) == 2 and parts[1] == "test":
            _allow(method, "POST")
            return 200, self._test(_json(body), route)
        if len(parts) == 2:
            return self._one(method, _path_id(parts[1]), params, body, route, owner)
        if len(parts) == 3 and parts[2] == "lasterror" and parts[1].isdigit():
            _allow(method, "GET")
            return 200, self._last_error(_path_id(parts[1]), owner)
        if len(parts) == 3:
            _allow(method, "POST")
            return self._signal(route.raw[1], _path_id(parts[2]), _optional_json(body))
        raise _no_resource()

    def _one(
        self,
        method: str,
        webhook_id: int,
        params: dict[str, str],
        body: bytes,
        route: _Route,
        owner: str | None,
    ) -> tuple[int, Any]:
        _allow(method, "GET", "PUT", "PATCH", "DELETE")
        if method == "DELETE":
            return self._delete(webhook_id, owner)
        stored = self._stored(webhook_id, owner)
        if method == "PUT":
            stored = self._save(webhook_from_json(_json(body), stored, self.settings.allow_http), route)
        elif method == "PATCH":
            patched = apply_patch(webhook_json(stored), _json(body, allow_array=True))
            stored = self._save(webhook_from_json(patched, stored, self.settings.allow_http), route)
        return 200, _select(webhook_json(stored, route.links_root), params)

    def _agent(
        self, name: str, params: dict[str, str], body: bytes, route: _Route, owner: str | None
    ) -> tuple[int, Any]:
        if name == "createdefaultwebhook":
            return 200, webhook_json(default_webhook())
        if name == "getwebhook":
            found = self._visible(self.registry.get(_required_id(params, "webhookId")), owner)
            if found is None and self.chat.options.agent_not_found == "null":
                return 200, None
            found = found or self._stored(_required_id(params, "webhookId"), owner)
            return 200, _select(webhook_json(found), params)
        if name == "savewebhook":
            request = _json(body)
            given_id = {str(k).lower(): v for k, v in request.items()}.get("webhookid") or 0
            if not isinstance(given_id, int) or isinstance(given_id, bool):
                raise bad_request("WebhookId must be an integer")
            if given_id == 0:
                return 200, webhook_json(self._create(request, route, owner))
            changed = webhook_from_json(request, self._stored(given_id, owner), self.settings.allow_http)
            return 200, webhook_json(self._save(changed, route))
        if name == "deletewebhook":
            return self._delete(_required_id(params, "webhookId"), owner)
        if name == "getallwebhooks":
            filters = {str(k).lower(): v for k, v in _json(body or b"{}").items()}
            query = {f"{k}": _text_field(filters, k) for k in ("namefilter", "eventfilter", "statusfilter")}
            return 200, [webhook_json(h) for h in self._find(query, owner)]
        if name == "getlasterror":
            return 200, self._last_error(_body_id(_json(body), "WebhookId"), owner)
        if name == "testwebhook":
            return 200, self._test(_json(body), route)
        if name == "signalevent":
            request = {str(k).lower(): v for k, v in _json(body).items()}
            event = request.get("eventname")
            if not isinstance(event, str) or not event.strip():
                raise bad_request("EventName must be a non-empty string")
            data = request.get("data")
            if data is not None and not isinstance(data, dict):
                raise bad_request("Data must be an object or null")
            return self._signal(event, _body_id(request, "PrimaryKey", 0), data)
        raise _no_resource()

    # -- endpoints -------------------------------------------------------------------------

    def _find(self, params: Mapping[str, str | None], owner: str | None = None) -> list[WebhookDef]:
        status = params.get("statusfilter")
        state = parse_state(status, "statusFilter") if status else None
        found = self.registry.find(params.get("namefilter") or None, params.get("eventfilter") or None, state)
        return [h for h in found if self._visible(h, owner) is not None]

    @staticmethod
    def _visible(webhook: WebhookDef | None, owner: str | None) -> WebhookDef | None:
        """``webhook`` when the caller's app may see it: it is the app's own, or nobody's."""
        if webhook is None or owner is None or webhook.owner is None or webhook.owner == owner:
            return webhook
        return None

    def _stored(self, webhook_id: int, owner: str | None = None) -> WebhookDef:
        found = self._visible(self.registry.get(webhook_id), owner)
        if found is None:
            raise _not_found(webhook_id)
        return found

    def _delete(self, webhook_id: int, owner: str | None) -> tuple[int, None]:
        self._stored(webhook_id, owner)
        if self.registry.delete(webhook_id) is None:
            raise _not_found(webhook_id)
        return 204, None

    def _create(self, body: dict[str, Any], route: _Route, owner: str | None = None) -> WebhookDef:
        webhook = replace(webhook_from_json(body, default_webhook(), self.settings.allow_http), owner=owner)
        if self.settings.ping_on in ("always", "create") or (
            self.settings.ping_on == "active" and webhook.state == so.WebhookState.Active
        ):
            self._require_ping(webhook, route)
        return self.registry.create(webhook)

    def _save(self, webhook: WebhookDef, route: _Route) -> WebhookDef:
        ping_on = self.settings.ping_on
        if ping_on == "always" or (ping_on == "active" and webhook.state == so.WebhookState.Active):
            self._require_ping(webhook, route)
        saved = self.registry.update(webhook)
        if saved is None:  # deleted while the ping was out
            raise _not_found(webhook.webhook_id)
        return saved

    def _require_ping(self, webhook: WebhookDef, route: _Route) -> None:
        result = self._ping(webhook, route)
        if result.status not in self.settings.ping_success:
            answered = f"answered {result.status}" if result.status is not None else "did not answer"
            raise bad_request(
                f"Webhook test failed: {mask_url(webhook.target_url or '')} {answered} to the test event; "
                "it must answer "
                f"200 OK. Response: {result.message}"
            )

    def _ping(self, webhook: WebhookDef, route: _Route) -> PingResult:
        context = route.tenant or self.base_webhook.context_identifier
        target = replace(
            self.base_webhook,
            name=webhook.name or "",
            context_identifier=context,
            secret=webhook.secret,
            events=frozenset(webhook.events),
            headers=webhook.headers or (),
            properties=webhook.properties if self.settings.properties_in_body else None,
        )
        request = render_test(target, str(uuid.uuid4()), wall_ticks(), self.settings.test_associate_id)
        return self.pinger(webhook.target_url or "", request)

    def _test(self, body: dict[str, Any], route: _Route) -> dict[str, Any]:
        webhook = webhook_from_json(body, default_webhook(), self.settings.allow_http)
        result = self._ping(webhook, route)
        return {
            "Success": result.status in self.settings.ping_success,
            "Message": result.message,
            "TableRight": None,
            "FieldProperties": {},
        }

    def _last_error(self, webhook_id: int, owner: str | None = None) -> str:
        self._stored(webhook_id, owner)
        return self.registry.usage(webhook_id).last_error

    def _signal(self, event: str, primary_key: int, data: Mapping[str, Any] | None) -> tuple[int, None]:
        if self.signal is not None:
            self.signal(event, primary_key, data)
        return 204, None


class TenantApi(MockApi):
    """The mock chat API plus the Webhook endpoints: one ``handle`` for :class:`ApiServer`."""

    def __init__(self, endpoints: WebhookEndpoints, **chat: Any) -> None:
        """Route Webhook requests to ``endpoints``; ``chat`` goes to :class:`MockApi` (state, options)."""
        super().__init__(**chat)
        self.webhook_endpoints = endpoints
        endpoints.chat = self

    def handle(
        self,
        method: str,
        path: str,
        query: str = "",
        headers: Headers = (),
        body: bytes = b"",
        *,
        root: str = "",
    ) -> ApiResponse:
        """Answer a Webhook request with the endpoints and anything else as the chat API; never raises."""
        route = _webhook_route(path, root)
        if route is None:
            return super().handle(method, path, query, headers, body, root=root)
        return self.webhook_endpoints.answer(method, route, query, headers, body)

    def may_block(self, method: str, path: str) -> bool:
        """Every Webhook write may wait: for its test event's answer, and for the delivery side."""
        return method.upper() not in ("GET", "HEAD") and _webhook_route(path, "") is not None


# --- helpers ----------------------------------------------------------------------------------------


def _webhook_route(path: str, root: str) -> _Route | None:
    """The route of a Webhook request, or None for every other path (the chat API answers those)."""
    segments = [unquote(s) for s in path.split("/") if s]
    lowered = [s.lower() for s in segments]
    for start in (0, 1):
        if lowered[start : start + 2] == ["api", "v1"]:
            break
    else:
        return None
    rest = lowered[start + 2 :]
    if not rest or not (rest[0] == "webhook" or rest[:2] == ["agents", "webhook"]):
        return None
    links_root = root + "/" + "/".join([*segments[:start], "api", "v1"])
    return _Route(segments[0] if start else "", links_root, tuple(rest), tuple(segments[start + 2 :]))


def _allow(method: str, *allowed: str) -> None:
    if method not in allowed:
        raise ApiProblem(
            405,
            "HttpMethodNotAllowed",
            f"The requested resource does not support http method '{method}'",
            (("Allow", ", ".join(allowed)),),
        )


def _no_resource() -> ApiProblem:
    return ApiProblem(404, NOT_FOUND_TYPE, "No HTTP resource was found that matches the request URI")


def _not_found(webhook_id: int) -> ApiProblem:
    return ApiProblem(404, NOT_FOUND_TYPE, f"Webhook id {webhook_id} not found")


def _path_id(text: str) -> int:
    if not text.isdigit() or len(text) > 10 or int(text) > 2**31 - 1:
        raise _no_resource()  # ASP.NET's {id:int} route does not match
    return int(text)


def _json(body: bytes, *, allow_array: bool = False) -> Any:
    if not body.strip():
        raise bad_request("Entity to save is not in request body")
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise bad_request("The request body is not valid JSON") from None
    if isinstance(value, dict) or (allow_array and isinstance(value, list)):
        return value
    raise bad_request("The request body must be a JSON object" + (" or array" if allow_array else ""))


def _optional_json(body: bytes) -> dict[str, Any] | None:
    return _json(body) if body.strip() else None


def _select(body: dict[str, Any], params: Mapping[str, str]) -> dict[str, Any]:
    return select_fields(body, params["$select"]) if params.get("$select") else body


def _required_id(params: Mapping[str, str], name: str) -> int:
    text = params.get(name.lower())
    if text is None or not text.strip().lstrip("-").isdigit():
        raise bad_request(f"The query parameter {name} is required and must be an integer")
    return int(text)


def _body_id(request: Mapping[str, Any], name: str, default: int | None = None) -> int:
    value = {str(k).lower(): v for k, v in request.items()}.get(name.lower(), default)
    if value is None:
        raise bad_request(f"The request body needs {name}")
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request(f"{name} must be an integer")
    return value


def _text_field(request: Mapping[str, Any], name: str) -> str | None:
    value = request.get(name)
    if value is not None and not isinstance(value, str):
        raise bad_request(f"{name} must be a string")
    return value
