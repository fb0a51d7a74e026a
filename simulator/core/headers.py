"""Header safety rules shared by every edge that accepts header names and values.

A CR or LF in a header would end the header early on the wire and let a value smuggle
headers or a whole second request; NUL is refused by HTTP servers and proxies alike. Host and
Content-Length describe the connection and the body, so the transport always writes its own.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["TRANSPORT_HEADERS", "UnsafeHeaderError", "check_header", "header_problem", "is_transport_header"]

#: Header names (lower case) the transport always computes: never taken from a scenario or a recording.
TRANSPORT_HEADERS: Final = frozenset(("host", "content-length"))
_TRANSPORT_LENGTHS: Final = frozenset(len(name) for name in TRANSPORT_HEADERS)
_UNSAFE: Final = re.compile("[\r\n\x00]")


class UnsafeHeaderError(ValueError):
    """A header name or value holds CR, LF or NUL."""


def header_problem(name: str, value: str) -> str | None:
    """Why a header cannot be sent as given (CR, LF or NUL in its name or value), or None."""
    for part, text in (("name", name), ("value", value)):
        found = _UNSAFE.search(text)
        if found is not None:
            char = {"\r": "CR", "\n": "LF", "\x00": "NUL"}[found.group()]
            return f"header {name!r}: its {part} contains {char} (not allowed in a header)"
    return None


def check_header(name: str, value: str) -> None:
    """Raise :class:`UnsafeHeaderError` when a header holds CR, LF or NUL."""
    if _UNSAFE.search(name) is not None or _UNSAFE.search(value) is not None:
        raise UnsafeHeaderError(header_problem(name, value))


def is_transport_header(name: str) -> bool:
    """Whether ``name`` is Host or Content-Length (any spelling), which the transport computes."""
    return len(name) in _TRANSPORT_LENGTHS and name.lower() in TRANSPORT_HEADERS
