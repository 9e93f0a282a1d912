"""Event Platform signatures: hex HMAC-SHA256 of the raw body under a shared secret.

Verified against the raw bytes, never a re-serialisation (Akeneo's delivery example signs a
re-serialised body, its notification-webhook page the raw bytes: the raw bytes are what was
signed; docs/akeneo.md), and compared in constant time so the answer's timing tells an attacker
nothing about the secret.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from typing import Final

__all__ = ["SIGNATURE_HEADERS", "sign", "verify_signature"]

SIGNATURE_HEADERS: Final = ("x-akeneo-signature-primary", "x-akeneo-signature-secondary")
# A SHA-256 hex digest is 64 characters; anything longer is not a signature and is not compared.
_MAX_SIGNATURE_CHARS: Final = 128


def sign(body: bytes, secret: str) -> str:
    """The hex HMAC-SHA256 of `body` under `secret`."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, headers: Mapping[str, str], secrets: Iterable[str]) -> bool:
    """Whether a signature header carries the body's HMAC under one of `secrets`.

    Both headers are checked against both secrets: during a rotation the platform and the app
    may briefly disagree on which secret is primary.
    """
    expected = [sign(body, secret).encode() for secret in secrets if secret]
    provided = [
        value.strip().lower().encode("latin-1", errors="replace")
        for value in (headers.get(name) for name in SIGNATURE_HEADERS)
        if value and len(value) <= _MAX_SIGNATURE_CHARS
    ]
    matched = False
    # No early exit: every comparison runs, so timing does not reveal which one matched.
    for candidate in provided:
        for digest in expected:
            matched |= hmac.compare_digest(candidate, digest)
    return matched
