"""The webhook signature: base64 of HMAC-SHA256 over the exact body bytes (reference §3.2)."""

from __future__ import annotations

import binascii
import hashlib
import hmac
from functools import lru_cache
from typing import Protocol


class Mac(Protocol):
    """A keyed HMAC in progress: ``hmac.HMAC``, or the OpenSSL object inside it."""

    def copy(self) -> Mac: ...

    def update(self, msg: bytes, /) -> None: ...

    def digest(self) -> bytes: ...


@lru_cache(maxsize=64)
def keyed(secret: str) -> Mac:
    """A prototype HMAC-SHA256 keyed with ``secret``: copy it, feed it a body, take the digest.

    Keying HMAC hashes the key pads; copying a keyed prototype skips that per request. When
    hmac uses OpenSSL, the OpenSSL object inside ``hmac.HMAC`` is the prototype: it copies,
    updates and digests without a Python-level wrapper around each call.
    """
    mac = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)
    inner: Mac | None = getattr(mac, "_hmac", None)
    return inner if inner is not None else mac


def sign(body: bytes, secret: str) -> str:
    """Return the ``X-SuperOffice-Signature`` value for ``body`` signed with ``secret``."""
    mac = keyed(secret).copy()
    mac.update(body)
    return binascii.b2a_base64(mac.digest(), newline=False).decode("ascii")


def verify(body: bytes, secret: str, signature: str | None) -> bool:
    """Tell whether ``signature`` is the valid signature of ``body``, in constant time."""
    if not signature:
        return False
    expected = sign(body, secret).encode("ascii")
    try:
        given = signature.strip().encode("ascii")
    except UnicodeEncodeError:
        return False
    return hmac.compare_digest(expected, given)
