"""Product digests: a short, stable fingerprint of a mapped product's content.

The canonical form is JSON with sorted keys and no whitespace, so two payloads that differ only
in key order or formatting hash the same; blake2b with a 16-byte digest is fast and, at 128 bits,
collision-free for any catalog size that matters.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any, Final

__all__ = ["DIGEST_SIZE", "batch_fingerprint", "canonical_json", "digest_bytes", "product_digest"]

DIGEST_SIZE: Final = 16


def canonical_json(product: Any) -> bytes:
    """The canonical JSON encoding (`ValueError`/`TypeError` for what JSON cannot carry)."""
    return json.dumps(product, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def digest_bytes(canonical: bytes) -> bytes:
    """The digest of an already canonical encoding."""
    return hashlib.blake2b(canonical, digest_size=DIGEST_SIZE).digest()


def product_digest(product: Any) -> bytes:
    """The digest of a product."""
    return digest_bytes(canonical_json(product))


def batch_fingerprint(items: Iterable[tuple[str, bytes]]) -> str:
    """A fingerprint of a batch's (uuid, digest) pairs, in order: same batch, same fingerprint."""
    hasher = hashlib.blake2b(digest_size=DIGEST_SIZE)
    for uuid, digest in items:
        hasher.update(uuid.encode())
        hasher.update(digest)
    return hasher.hexdigest()
