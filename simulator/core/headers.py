"""Header safety rules shared by every edge that accepts header names and values.

A CR or LF in a header would end the header early on the wire and let a value smuggle
headers or a whole second request; NUL is refused by HTTP servers and proxies alike. Host and
Content-Length describe the connection and the body, so the transport always writes its own.
"""

from __future__ import annotations

import operator
import re
from typing import Final

__all__ = [
    "TRANSPORT_HEADERS",
    "UnsafeHeaderError",
    "check_header",
    "check_headers",
    "header_problem",
    "is_transport_header",
    "without_transport_headers",
]

#: Header names (lower case) the transport always computes: never taken from a scenario or a recording.
TRANSPORT_HEADERS: Final = frozenset(("host", "content-length"))
_TRANSPORT_LENGTHS: Final = frozenset(len(name) for name in TRANSPORT_HEADERS)
_UNSAFE: Final = re.compile("[\r\n\x00]")
_name_of = operator.itemgetter(0)
#: Header-name layouts seen without Host or Content-Length. A run has a handful (one per event
#: kind and header spelling), and replay asks once an event: a set lookup instead of a loop.
_CLEAN_LAYOUTS: set[tuple[str, ...]] = set()
_CLEAN_LAYOUTS_LIMIT: Final = 4096


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


def check_headers(headers: tuple[tuple[str, str], ...]) -> None:
    """Raise :class:`UnsafeHeaderError` when any header holds CR, LF or NUL.

    One search over all names and values, since replay calls this once an event.
    """
    joined = "".join(map("".join, headers))
    if "\r" in joined or "\n" in joined or "\x00" in joined:
        for name, value in headers:
            check_header(name, value)


def without_transport_headers(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """``headers`` without Host and Content-Length (the same tuple when it has neither)."""
    names = tuple(map(_name_of, headers))
    if names in _CLEAN_LAYOUTS:
        return headers
    for name in names:
        if len(name) in _TRANSPORT_LENGTHS and name.lower() in TRANSPORT_HEADERS:
            return tuple(pair for pair in headers if not is_transport_header(pair[0]))
    if len(_CLEAN_LAYOUTS) < _CLEAN_LAYOUTS_LIMIT:
        _CLEAN_LAYOUTS.add(names)
    return headers
