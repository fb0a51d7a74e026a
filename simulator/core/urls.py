"""Mask the credentials a URL can carry, so no output (console, report, recording, error) shows them;
and the port a target URL means.

A target URL may hold a password in its user info (``http://user:pass@host/``) or a secret in its
query (``?token=``, ``?sig=``, ``?code=`` as Azure Functions and signed URLs use). Every place sosim
prints or records a URL passes it through :func:`mask_url` first. Only the URL sent on the wire
keeps the real values.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from urllib.parse import SplitResult

__all__ = ["MASK", "mask_url", "mask_urls_in", "target_port"]

MASK = "***"

# A query parameter whose name contains one of these words carries a credential. Masking a
# harmless parameter costs nothing; leaking a key costs a rotation, so the match is generous.
_SECRET_WORDS = ("token", "secret", "key", "sig", "code", "pass", "pwd", "auth", "credential")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")


def mask_url(url: str) -> str:
    """The URL with any user-info password and secret-looking query values replaced by ``***``.

    Everything else is kept byte for byte, so the masked URL still says where requests went.
    """
    rest, hashmark, fragment = url.partition("#")
    rest, question, query = rest.partition("?")
    masked = _mask_user_info(rest)
    if question:
        masked += "?" + _mask_query(query)
    if hashmark:
        masked += "#" + fragment
    return masked


def mask_urls_in(text: str) -> str:
    """``text`` with every URL in it masked by :func:`mask_url` (for error messages)."""
    return _URL_IN_TEXT.sub(lambda found: mask_url(found.group(0)), text)


def _mask_user_info(url: str) -> str:
    scheme = _SCHEME.match(url)
    if scheme is None:
        return url
    start = scheme.end()
    end = len(url)
    for stop in "/\\":
        at = url.find(stop, start)
        if at != -1:
            end = min(end, at)
    authority = url[start:end]
    user_info, at_sign, host = authority.rpartition("@")
    if not at_sign:
        return url
    user, colon, _ = user_info.partition(":")
    # A user name alone is often the credential itself (https://TOKEN@host/).
    shown = f"{user}:{MASK}" if colon else MASK
    return f"{url[:start]}{shown}@{host}{url[end:]}"


def _mask_query(query: str) -> str:
    return "&".join(_mask_pair(pair) for pair in query.split("&"))


def _mask_pair(pair: str) -> str:
    name, equals, value = pair.partition("=")
    if not equals or not value:
        return pair
    from urllib.parse import unquote_plus  # here: the CLI's start imports this module, not urllib

    lowered = unquote_plus(name).lower()
    if any(word in lowered for word in _SECRET_WORDS):
        return f"{name}={MASK}"
    return pair


def target_port(parts: SplitResult) -> int:
    """The port an http(s) URL names, else its scheme's (0 is a port given, not a default);
    ValueError when what it names is no port."""
    port = parts.port
    return port if port is not None else (443 if parts.scheme.lower() == "https" else 80)
