"""Who is calling: API keys checked in constant time.

A key is sent as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.
The presented key is hashed and its digest compared with
``hmac.compare_digest`` against *every* configured key's digest, without
stopping at the first match, so the time taken does not depend on which key
(if any) matches, nor on how much of a secret was guessed right.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from .config import ApiKey

__all__ = ["ANONYMOUS", "authenticate", "presented_key"]

ANONYMOUS = ApiKey("anonymous", "write", b"")
"""The caller of a service started without keys (loopback only)."""

# Longer than any sensible key; longer values are refused before hashing.
_MAX_KEY_LENGTH = 1024


def presented_key(headers: Mapping[str, str]) -> str | None:
    """The key a request carries, if any."""
    value = headers.get("authorization")
    if value is not None:
        scheme, _, token = value.strip().partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else None
    value = headers.get("x-api-key")
    return value.strip() if value and value.strip() else None


def authenticate(keys: tuple[ApiKey, ...], presented: str | None) -> ApiKey | None:
    """The configured key matching ``presented`` (None when nothing matches).

    >>> keys = (ApiKey.from_secret("crm", "read", "0123456789abcdef"),)
    >>> authenticate(keys, "0123456789abcdef").client, authenticate(keys, "0123456789abcdeX")
    ('crm', None)
    """
    if presented is None or len(presented) > _MAX_KEY_LENGTH:
        return None
    digest = hashlib.sha256(presented.encode("utf-8", "surrogateescape")).digest()
    found = None
    for key in keys:
        # No early exit: every key is compared whatever the outcome.
        if hmac.compare_digest(key.digest, digest):
            found = key
    return found
