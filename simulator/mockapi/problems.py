"""The mock chat API's error answers and the request parsing that raises them, shared by the reads
(:mod:`simulator.mockapi.state`) and the writes (:mod:`simulator.mockapi.writes`).

Every error is SuperOffice's documented error body (:func:`simulator.mockapi.shapes.error_body`).
The ErrorTypes: ``SoNotFoundException`` for 404 (the documented ``GET /api/v1/Contact/99999``
example, reference §3); for 400 the docs show no body at all (the PUT page lists only
"400 Bad request. Entity to save is not in request body."), so sosim answers every 400 with
:data:`BAD_REQUEST_TYPE`, .NET's ``ArgumentException``, the one type the tenant's Webhook API
uses too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qsl

__all__ = [
    "BAD_REQUEST_TYPE",
    "CONFLICT_TYPE",
    "NOT_FOUND_TYPE",
    "Problem",
    "allow",
    "bad_request",
    "body_int",
    "conflict",
    "int_param",
    "json_object",
    "json_value",
    "no_resource",
    "not_found",
    "path_id",
    "query_params",
    "required_int",
]

NOT_FOUND_TYPE: Final = "SoNotFoundException"
#: The ErrorType of every 400 the mock chat API answers (see the module docstring).
BAD_REQUEST_TYPE: Final = "ArgumentException"
CONFLICT_TYPE: Final = "InvalidOperationException"


class Problem(Exception):
    """An error answer, raised inside the handler and turned into the documented error body."""

    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        headers: tuple[tuple[str, str], ...] = (),
        reason: str = "",
    ):
        """An answer of ``status`` with ``error_type`` and ``message`` in the body."""
        super().__init__(message)
        self.reason = reason
        self.status = status
        self.error_type = error_type
        self.message = message
        self.headers = headers


def allow(method: str, allowed: str, header: str = "") -> None:
    """Refuse any method but ``allowed`` with a 405 whose ``Allow`` is ``header`` (or ``allowed``)."""
    if method != allowed:
        raise Problem(
            405,
            "HttpMethodNotAllowed",
            f"The requested resource does not support http method '{method}'",
            (("Allow", header or allowed),),
        )


def no_resource() -> Problem:
    """The 404 of a path no endpoint matches."""
    return Problem(404, NOT_FOUND_TYPE, "No HTTP resource was found that matches the request URI")


def not_found(entity: str, entity_id: int) -> Problem:
    """The 404 of an unknown id: "ChatSession id 5 not found", reason "ChatSession Not Found"."""
    # The documented example answers "HTTP 404 Contact Not Found": the phrase names the entity.
    return Problem(404, NOT_FOUND_TYPE, f"{entity} id {entity_id} not found", reason=f"{entity} Not Found")


def bad_request(message: str) -> Problem:
    """A 400 with :data:`BAD_REQUEST_TYPE`."""
    return Problem(400, BAD_REQUEST_TYPE, message)


def conflict(message: str) -> Problem:
    """The 409 of a JSON Patch ``test`` that failed (documented on the PATCH pages)."""
    return Problem(409, CONFLICT_TYPE, message)


def path_id(text: str) -> int:
    """A path's integer id; anything else does not match the route (ASP.NET's ``{id:int}``)."""
    if not text.isascii() or not text.isdigit() or len(text) > 10 or int(text) > 2**31 - 1:
        raise no_resource()
    return int(text)


def query_params(query: str) -> dict[str, str]:
    """The query string's parameters by lower-cased name (the last of repeated names wins)."""
    return {key.lower(): value for key, value in parse_qsl(query, keep_blank_values=True)}


def int_param(params: Mapping[str, str], name: str, default: int) -> int:
    """An integer query parameter (keys lower-cased), ``default`` when absent or empty."""
    text = params.get(name.lower())
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise bad_request(f"The value '{text}' is not valid for {name}") from None


def required_int(params: Mapping[str, str], name: str) -> int:
    """An integer query parameter that must be there."""
    if name.lower() not in params:
        raise bad_request(f"The query parameter {name} is required")
    return int_param(params, name, 0)


def json_value(body: bytes, default: bytes = b"{}") -> Any:
    """The request body as JSON (``default`` when empty); a 400 when it is not JSON."""
    try:
        return json.loads(body or default)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise bad_request("The request body is not valid JSON") from None


def json_object(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object with lower-cased keys; a 400 when it is not one."""
    value = json_value(body)
    if not isinstance(value, dict):
        raise bad_request("The request body must be a JSON object")
    return {str(key).lower(): item for key, item in value.items()}


def body_int(request: Mapping[str, Any], name: str, default: int | None) -> int:
    """An integer property of a lower-cased body (``default`` when absent; None: required)."""
    value = request.get(name.lower(), default)
    if value is None:
        raise bad_request(f"The request body needs {name}")
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise bad_request(f"{name} must be an integer")
    try:
        return int(value)
    except ValueError:
        raise bad_request(f"{name} must be an integer") from None
