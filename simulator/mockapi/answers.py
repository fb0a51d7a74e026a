"""What the mock API answers, and the request headers it reads: plain values, no I/O."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["JSON_CONTENT_TYPE", "ApiCall", "ApiResponse", "Headers", "lowered_headers"]

JSON_CONTENT_TYPE: Final = "application/json; charset=utf-8"
Headers = Mapping[str, str] | Iterable[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """One answer of the mock API: status, headers and the exact JSON bytes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    #: The HTTP reason phrase when it is not the standard one ("ChatSession Not Found").
    reason: str = ""

    def json(self) -> Any:
        """The body, decoded."""
        return json.loads(self.body)


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One request the mock API answered, for assertions on a receiver's callbacks."""

    method: str
    path: str
    query: str
    status: int


def lowered_headers(headers: Headers) -> dict[str, str]:
    """The headers as a dict keyed in lower case (the last of repeated names wins)."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {str(name).lower(): str(value) for name, value in items}
