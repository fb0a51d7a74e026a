"""The webhook signature: base64 of HMAC-SHA256 over the exact body bytes (reference §3.2)."""

from __future__ import annotations

import binascii
import hashlib
import hmac
from functools import lru_cache


@lru_cache(maxsize=64)
def _keyed(secret: str) -> hmac.HMAC:
    # Keying HMAC hashes the key pads; copying a keyed prototype skips that per request.
    return hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)


def sign(body: bytes, secret: str) -> str:
    """Return the ``X-SuperOffice-Signature`` value for ``body`` signed with ``secret``."""
    mac = _keyed(secret).copy()
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
