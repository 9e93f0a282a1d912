"""Product digests: a short, stable fingerprint of a mapped product's content.

The canonical form is JSON with sorted keys and no whitespace, so two payloads that differ only
in key order or formatting hash the same; blake2b with a 16-byte digest is fast and, at 128 bits,
collision-free for any catalog size that matters.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from json import encoder as json_encoder
from typing import Any, Final

__all__ = ["DIGEST_SIZE", "batch_fingerprint", "canonical_json", "digest_bytes", "product_digest"]

DIGEST_SIZE: Final = 16

# The canonical form is exactly what `json.dumps(product, sort_keys=True, separators=(",", ":"),
# ensure_ascii=False, allow_nan=False)` returns, so digests stay comparable with every digest
# already stored. It is computed for every product of every page, so it is built once: `dumps`
# with these options makes a new encoder per call, and `JSONEncoder.encode` a new C encoder per
# call; together a third of the cost. (orjson would be ~3x faster, but writes small floats
# differently, `1e-05` as `0.00001`, and NaN as null: such products' digests would change and NaN
# would no longer be refused.)
_ENCODER: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _c_encoder() -> Callable[[Any, int], Sequence[str]] | None:
    """The stdlib's C encoder with `_ENCODER`'s options, built once (None without the C module)."""
    make = getattr(json_encoder, "c_make_encoder", None)
    if make is None:
        return None
    # The arguments `JSONEncoder.iterencode` passes, except `markers`: None skips the cycle check,
    # which keeps the shared encoder stateless (thread-safe); JSON parsed from the PIM has no
    # cycles, and a cyclic object now fails with RecursionError instead of ValueError.
    encoder: Callable[[Any, int], Sequence[str]] = make(
        None,
        _ENCODER.default,
        json_encoder.encode_basestring,
        None,
        _ENCODER.key_separator,
        _ENCODER.item_separator,
        _ENCODER.sort_keys,
        _ENCODER.skipkeys,
        _ENCODER.allow_nan,
    )
    return encoder


_C_ENCODER: Final = _c_encoder()


def canonical_json(product: Any) -> bytes:
    """The canonical JSON encoding (`ValueError`, `TypeError` or `RecursionError` for what JSON cannot carry)."""
    if _C_ENCODER is None or isinstance(product, str):
        return _ENCODER.encode(product).encode()
    return "".join(_C_ENCODER(product, 0)).encode()


def digest_bytes(canonical: bytes) -> bytes:
    """The digest of an already canonical encoding."""
    return hashlib.blake2b(canonical, digest_size=DIGEST_SIZE).digest()


def product_digest(product: Any) -> bytes:
    """The digest of a product."""
    return digest_bytes(canonical_json(product))


def batch_fingerprint(items: Iterable[tuple[str, bytes]]) -> str:
    """A fingerprint of a batch's (uuid, digest) pairs, in order: same batch, same fingerprint."""
    # One update over the same bytes in the same order: the same fingerprint as updating per item.
    joined = b"".join(part for uuid, digest in items for part in (uuid.encode(), digest))
    return hashlib.blake2b(joined, digest_size=DIGEST_SIZE).hexdigest()
