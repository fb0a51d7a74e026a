"""Who is calling: the ``Authorization`` schemes of SuperOffice's REST API, as documented.

Every REST and Agent page: "Authorization | Supports 'Basic', 'SoTicket' and 'Bearer' schemes,
depending on installation type", and "SO-AppToken | The application token that identifies the
partner app". ``docs/api/authentication/onsite/webapi/index.md`` and
``docs/api/authentication/online/auth-header-types.md``: ``SOTicket`` is sent with the
``SO-AppToken`` header; Basic (base64 ``user:password``) works onsite. Schemes match
case-insensitively (the sample sends ``SOTICKET``). What a missing SO-AppToken answers is
undocumented; sosim answers 401 like any other refused credential.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Final, NamedTuple

__all__ = ["AUTH_SCHEMES", "Caller", "Denied", "authenticate"]

#: Authorization schemes accepted (matched case-insensitively).
AUTH_SCHEMES: Final = ("bearer", "soticket", "basic")
APP_TOKEN_HEADER: Final = "so-apptoken"
_DENIED: Final = "Authorization has been denied for this request: "
_HINT: Final = (
    "send Authorization: Bearer <token>, SOTicket <ticket> with an SO-AppToken header, "
    "or Basic <base64 user:password>"
)


class Caller(NamedTuple):
    """An accepted caller: its scheme (lower case), its credential and the app it speaks for."""

    scheme: str
    credential: str
    #: The app that owns what this caller creates: the SO-AppToken when sent, else the credential.
    app: str


class Denied(NamedTuple):
    """A refused request: the status and the documented error body's type and message."""

    status: int
    error_type: str
    message: str
    headers: tuple[tuple[str, str], ...] = (("WWW-Authenticate", "Bearer"),)


def authenticate(headers: Mapping[str, str], tokens: frozenset[str] | None) -> Caller | Denied:
    """Check the ``Authorization`` header (``headers`` keyed in lower case) against ``tokens``
    (None: any non-empty credential). Basic matches its base64 value or its ``user:password``."""
    scheme, _, credentials = headers.get("authorization", "").strip().partition(" ")
    scheme, credentials = scheme.lower(), credentials.strip()
    app_token = headers.get(APP_TOKEN_HEADER, "").strip()
    if scheme not in AUTH_SCHEMES or not credentials:
        return _denied(_DENIED + _HINT)
    accepted = tokens is None or credentials in tokens
    if scheme == "soticket" and not app_token:
        return _denied(
            "Authorization has been denied for this request: SOTicket needs the SO-AppToken header"
        )
    if scheme == "basic":
        pair = _basic_pair(credentials)
        if pair is None:
            return _denied(_DENIED + "Basic needs base64 user:password")
        accepted = accepted or (tokens is not None and pair in tokens)
    if not accepted:
        return _denied(_DENIED + _HINT)
    return Caller(scheme, credentials, app_token or credentials)


def _basic_pair(credentials: str) -> str | None:
    try:
        text = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, sep, _ = text.partition(":")
    return text if sep and user else None


def _denied(message: str) -> Denied:
    return Denied(401, "UnauthorizedAccessException", message)
