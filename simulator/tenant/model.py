"""The SuperOffice ``Webhook`` entity as sosim's tenant stores it: validation, JSON shape, JSON Patch.

Pure: no I/O, no clock of its own. The REST surface (:mod:`simulator.tenant.api`) turns request
bodies into :class:`WebhookDef` values with :func:`webhook_from_json` and answers with
:func:`webhook_json`; :func:`apply_patch` applies a JSON Patch (RFC 6902) or JSON Merge Patch
(RFC 7396) document the way SuperOffice's REST API documents it.

Shapes follow reference §2.3 and the REST reference pages (``v1Webhook_*``): keys in the order
WebhookId, Name, Events, TargetUrl, Secret, State, Type, Headers, Properties, Registered,
RegisteredAssociate, Updated, UpdatedAssociate, ErrorsEmail, then ``_Links`` on the REST variants.
(The subscription how-to prints ErrorsEmail after Events; every generated reference page puts it
last, and so does sosim.)
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from simulator.core.headers import header_problem
from simulator.mockapi.shapes import UNSET_DATE, JsonObject, format_date
from simulator.superoffice import facts as so

__all__ = [
    "DEFAULT_EVENTS",
    "LAST_ERROR_LIMIT",
    "WEBHOOK_KEYS",
    "AllowHttp",
    "ApiProblem",
    "WebhookDef",
    "apply_patch",
    "default_webhook",
    "http_allowed",
    "parse_state",
    "webhook_from_json",
    "webhook_json",
]

WEBHOOK_KEYS: Final = (
    "WebhookId",
    "Name",
    "Events",
    "TargetUrl",
    "Secret",
    "State",
    "Type",
    "Headers",
    "Properties",
    "Registered",
    "RegisteredAssociate",
    "Updated",
    "UpdatedAssociate",
    "ErrorsEmail",
)
#: The events of ``GET /api/v1/Webhook/default`` (CreateDefaultWebhook).
DEFAULT_EVENTS: Final = ("contact.created", "contact.deleted")
TYPE_WEBHOOK: Final = "webhook"
TYPE_CRMSCRIPT: Final = "crmscript"
#: ``webhook_usage.last_error`` keeps at most this many characters (reference §3.3).
LAST_ERROR_LIMIT: Final = 4000
#: ``webhook.events`` is stored comma-separated in a column of this many characters.
EVENTS_MAX_CHARS: Final = 4000
#: ``webhook.name`` is a String(400) column.
NAME_MAX_CHARS: Final = 400
BAD_REQUEST_TYPE: Final = "ArgumentException"
CONFLICT_TYPE: Final = "InvalidOperationException"

#: Whether http:// targets are accepted: on this machine only, always, or never (NetServer: never).
AllowHttp = Literal["localhost", "always", "never"]

_KEY_BY_LOWER: Final = {key.lower(): key for key in WEBHOOK_KEYS}
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_PATCH_OPS: Final = ("add", "replace", "remove", "test")


class ApiProblem(Exception):
    """An error answer with SuperOffice's error body (status, ErrorType, ErrorMessage)."""

    def __init__(
        self, status: int, error_type: str, message: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = headers


def bad_request(message: str) -> ApiProblem:
    """A 400 answer (ErrorType ArgumentException, as the chat endpoints use for bad input)."""
    return ApiProblem(400, BAD_REQUEST_TYPE, message)


@dataclass(frozen=True, slots=True)
class WebhookDef:
    """One stored webhook. ``properties`` is kept as JSON text so the value stays immutable."""

    webhook_id: int = 0
    name: str | None = None
    events: tuple[str, ...] = DEFAULT_EVENTS
    target_url: str | None = None
    secret: str | None = field(default=None, repr=False)
    state: so.WebhookState = so.WebhookState.Active
    type: str = TYPE_WEBHOOK
    headers: tuple[tuple[str, str], ...] | None = None
    properties: str | None = None
    registered_ticks: int = 0
    updated_ticks: int = 0
    errors_email: str | None = None
    #: The app that created it through the API (database column application_token: "If set, then
    #: other apps won't be able to modify this record", tables/webhook.md); never in a response.
    owner: str | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        """How reports name the webhook: ``#3 my-app`` (never its secret)."""
        return f"#{self.webhook_id} {self.name}" if self.name else f"#{self.webhook_id}"

    def subscribes(self, event_name: str) -> bool:
        """Whether ``event_name`` is in Events: exact match, no wildcards (reference §2.5)."""
        return event_name in self.events


def default_webhook() -> WebhookDef:
    """The webhook ``GET /api/v1/Webhook/default`` returns (reference §2.3)."""
    return WebhookDef()


# --- JSON shape ---------------------------------------------------------------------------------


def webhook_json(webhook: WebhookDef, links_root: str | None = None) -> JsonObject:
    """The ``Webhook`` carrier in the documented key order; ``_Links`` when ``links_root`` is given.

    Dates are UTC without an offset (``Registered``/``Updated`` "in UTC"), unset ones
    ``0001-01-01T00:00:00``. The associates are ``null``: sosim's tenant has no users.
    """
    body: JsonObject = {
        "WebhookId": webhook.webhook_id,
        "Name": webhook.name,
        "Events": list(webhook.events),
        "TargetUrl": webhook.target_url,
        "Secret": webhook.secret,
        "State": webhook.state.name,
        "Type": webhook.type,
        "Headers": dict(webhook.headers) if webhook.headers is not None else None,
        "Properties": json.loads(webhook.properties) if webhook.properties is not None else None,
        "Registered": format_date(webhook.registered_ticks) if webhook.registered_ticks else UNSET_DATE,
        "RegisteredAssociate": None,
        "Updated": format_date(webhook.updated_ticks) if webhook.updated_ticks else UNSET_DATE,
        "UpdatedAssociate": None,
        "ErrorsEmail": webhook.errors_email,
    }
    if links_root is not None:
        base = f"{links_root}/Webhook"
        body["_Links"] = {"Self": f"{base}/{webhook.webhook_id}", "Archive": base}
    return body


# --- from a request body ------------------------------------------------------------------------


def webhook_from_json(body: Any, base: WebhookDef, allow_http: AllowHttp = "localhost") -> WebhookDef:
    """Apply the properties present in ``body`` to ``base`` and validate the result.

    Property names match case-insensitively (as Newtonsoft reads them); unknown ones and the
    server-set ones (WebhookId, Registered, Updated, the associates) are ignored. Raises
    :class:`ApiProblem` (400) with the offending property named.
    """
    if not isinstance(body, dict):
        raise bad_request("The request body must be a Webhook object")
    given = {str(key).lower(): value for key, value in body.items()}
    changes: dict[str, Any] = {}
    if "name" in given:
        changes["name"] = _optional_text(given["name"], "Name", NAME_MAX_CHARS)
    if "events" in given:
        changes["events"] = _events(given["events"])
    if "targeturl" in given:
        changes["target_url"] = _optional_text(given["targeturl"], "TargetUrl")
    if "secret" in given:
        changes["secret"] = _optional_text(given["secret"], "Secret") or None
    if "state" in given:
        changes["state"] = _state(given["state"])
    if "type" in given:
        changes["type"] = _type(given["type"])
    if "headers" in given:
        changes["headers"] = _headers(given["headers"])
    if "properties" in given:
        changes["properties"] = _properties(given["properties"])
    if "errorsemail" in given:
        changes["errors_email"] = _optional_text(given["errorsemail"], "ErrorsEmail")
    result = replace(base, **changes)
    check_target(result.target_url, allow_http)
    return result


def check_target(url: str | None, allow_http: AllowHttp) -> str:
    """Refuse an empty or non-URL TargetUrl, and http:// unless ``allow_http`` accepts it."""
    if url is None or not url.strip():
        raise bad_request("TargetUrl is required: the URL the webhook POSTs to")
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise bad_request(f"TargetUrl {url!r} is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url.strip()):
        raise bad_request(f"TargetUrl {url!r} is not an absolute http(s) URL")
    if scheme == "http" and not http_allowed(parts.hostname, allow_http):
        raise bad_request(
            f"TargetUrl {url!r} must use HTTPS (NetServer requires it; sosim accepts http:// for "
            "localhost only, unless the tenant allows http always: sosim tenant's allow-http setting)"
        )
    return url.strip()


def http_allowed(host: str, allow_http: AllowHttp) -> bool:
    """Whether an http:// target on ``host`` is accepted."""
    if allow_http != "localhost":
        return allow_http == "always"
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_state(value: Any, field: str = "State") -> so.WebhookState:
    """Read a WebhookState from its name (any case) or its number."""
    if isinstance(value, bool):
        raise bad_request(f"{field} must be one of {_state_names()}")
    if isinstance(value, int):
        if value in so.WebhookState._value2member_map_:
            return so.WebhookState(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.isdigit() and int(text) in so.WebhookState._value2member_map_:
            return so.WebhookState(int(text))
        for state in so.WebhookState:
            if state.name.lower() == text.lower():
                return state
    raise bad_request(f"{field} {value!r} is not one of {_state_names()}")


def _state_names() -> str:
    return ", ".join(state.name for state in so.WebhookState)


def _state(value: Any) -> so.WebhookState:
    state = parse_state(value)
    if state is so.WebhookState.Unknown:
        raise bad_request("State must be Active, Stopped or TooManyErrors")
    return state


def _optional_text(value: Any, field: str, limit: int | None = None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_request(f"{field} must be a string or null, not {_json_type(value)}")
    if limit is not None and len(value) > limit:
        raise bad_request(f"{field} is longer than {limit} characters")
    return value


def _events(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise bad_request(f"Events must be an array of event names, not {_json_type(value)}")
    names: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise bad_request(f"Events must hold non-empty event names, not {json.dumps(item)}")
        if "," in item:
            raise bad_request(f"Event name {item!r} contains a comma (Events are stored comma-separated)")
        names.append(item.strip())
    if len(",".join(names)) > EVENTS_MAX_CHARS:
        raise bad_request(f"Events are longer than {EVENTS_MAX_CHARS} characters when joined")
    return tuple(dict.fromkeys(names))


def _type(value: Any) -> str:
    if value is None:
        return TYPE_WEBHOOK
    if not isinstance(value, str):
        raise bad_request(f"Type must be a string, not {_json_type(value)}")
    if value.strip().lower() == TYPE_WEBHOOK:
        return TYPE_WEBHOOK
    if value.strip().lower() == TYPE_CRMSCRIPT:
        raise bad_request(
            "Type 'crmscript' runs a CRMScript inside SuperOffice; sosim sends HTTP webhooks only"
        )
    raise bad_request(f"Type {value!r} is not 'webhook' or 'crmscript'")


def _headers(value: Any) -> tuple[tuple[str, str], ...] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request(f"Headers must be an object of header names to values, not {_json_type(value)}")
    headers: list[tuple[str, str]] = []
    for name, text in value.items():
        if not _HEADER_NAME.match(str(name)):
            raise bad_request(f"Headers: {name!r} is not a valid HTTP header name")
        if not isinstance(text, str):
            raise bad_request(f"Headers: the value of {name!r} must be a string, not {_json_type(text)}")
        problem = header_problem(str(name), text)
        if problem is not None:
            raise bad_request(f"Headers: {problem}")
        headers.append((str(name), text))
    return tuple(headers)


def _properties(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise bad_request(f"Properties must be an object, not {_json_type(value)}")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


# --- PATCH ----------------------------------------------------------------------------------------


def apply_patch(entity: JsonObject, patch: Any) -> JsonObject:
    """Apply a JSON Patch array or a JSON Merge Patch object to a webhook's JSON; return the result.

    As SuperOffice documents it: operations add, replace, remove and test (move and copy are
    refused); paths are case-insensitive and the leading slash is optional. Paths reach the
    top-level properties, ``Events/{index|-}`` and ``Headers/{name}`` / ``Properties/{name}``.
    A failed ``test`` raises a 409.
    """
    result = {key: _copy(value) for key, value in entity.items()}
    if isinstance(patch, dict):
        return _merge_patch(result, patch)
    if not isinstance(patch, list):
        raise bad_request("PATCH needs a JSON Patch array or a JSON Merge Patch object")
    for index, operation in enumerate(patch):
        _apply_operation(result, operation, index)
    return result


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _merge_patch(entity: JsonObject, patch: Mapping[str, Any]) -> JsonObject:
    for raw_key, value in patch.items():
        key = _property(str(raw_key))
        current = entity.get(key)
        if isinstance(value, dict) and isinstance(current, dict):
            merged = dict(current)
            for name, item in value.items():
                if item is None:
                    merged.pop(name, None)
                else:
                    merged[name] = item
            entity[key] = merged
        else:
            entity[key] = value
    return entity


def _apply_operation(entity: JsonObject, operation: Any, index: int) -> None:
    if not isinstance(operation, dict):
        raise bad_request(f"JSON Patch operation {index} is not an object")
    fields = {str(k).lower(): v for k, v in operation.items()}
    op, path = fields.get("op"), fields.get("path")
    if op in ("move", "copy"):
        raise bad_request(
            f"JSON Patch operation {index}: {op!r} is not supported (only add, replace, remove, test)"
        )
    if op not in _PATCH_OPS:
        raise bad_request(f"JSON Patch operation {index}: op must be add, replace, remove or test")
    if not isinstance(path, str) or not path.strip("/"):
        raise bad_request(f"JSON Patch operation {index}: path must name a Webhook property")
    if op != "remove" and "value" not in fields:
        raise bad_request(f"JSON Patch operation {index}: {op} needs a value")
    segments = [_unescape(s) for s in path.strip().lstrip("/").split("/")]
    key = _property(segments[0])
    value = fields.get("value")
    if len(segments) == 1:
        _apply_top(entity, key, str(op), value)
    elif len(segments) == 2:
        _apply_member(entity, key, segments[1], str(op), value)
    else:
        raise bad_request(f"JSON Patch path {path!r} is too deep")


def _apply_top(entity: JsonObject, key: str, op: str, value: Any) -> None:
    if op == "test":
        if entity.get(key) != value:
            raise ApiProblem(409, CONFLICT_TYPE, f"JSON Patch test failed: {key} is not {json.dumps(value)}")
    elif op == "remove":
        entity[key] = [] if key == "Events" else None
    else:
        entity[key] = value


def _apply_member(entity: JsonObject, key: str, member: str, op: str, value: Any) -> None:
    container = entity.get(key)
    if key == "Events":
        events = list(container or [])
        entity[key] = events
        _apply_index(events, member, op, value)
        return
    if key not in ("Headers", "Properties"):
        raise bad_request(f"JSON Patch path {key}/{member}: {key} has no members")
    mapping = dict(container or {})
    entity[key] = mapping
    if op == "test":
        if mapping.get(member) != value:
            raise ApiProblem(409, CONFLICT_TYPE, f"JSON Patch test failed: {key}/{member} differs")
    elif op == "remove":
        if member not in mapping:
            raise bad_request(f"JSON Patch remove: {key} has no {member!r}")
        del mapping[member]
    else:
        mapping[member] = value


def _apply_index(events: list[Any], member: str, op: str, value: Any) -> None:
    if member == "-" and op == "add":
        events.append(value)
        return
    if not member.isdigit() or int(member) > len(events) or (op != "add" and int(member) >= len(events)):
        raise bad_request(f"JSON Patch path Events/{member}: no such index")
    position = int(member)
    if op == "add":
        events.insert(position, value)
    elif op == "replace":
        events[position] = value
    elif op == "remove":
        del events[position]
    elif events[position] != value:
        raise ApiProblem(409, CONFLICT_TYPE, f"JSON Patch test failed: Events/{member} differs")


def _property(name: str) -> str:
    key = _KEY_BY_LOWER.get(name.strip().lower())
    if key is None:
        raise bad_request(f"Webhook has no property {name!r}")
    return key


def _unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")
