"""Checking and serializing a batch's items once, the same way for every target.

Mapped products are the user's mapping schema, so their shape is free; their envelope is not: a
product needs a string `uuid`, must serialize to strict JSON (no NaN, no lone surrogates) and must
stay under a size limit. Anything else becomes a `Rejection` with a reason a person can act on,
never an exception that would fail the rest of the batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from akeneo_sync.targets.base import Rejection

__all__ = ["DEFAULT_MAX_BODY_BYTES", "EncodedBatch", "EncodedProduct", "encode_batch", "trim"]

# Generous for a flat mapped product (a few KiB), small enough that one runaway attribute cannot
# bloat a page's transaction or an HTTP request.
DEFAULT_MAX_BODY_BYTES: Final = 1_048_576
_REASON_CHARS: Final = 300


@dataclass(frozen=True, slots=True)
class EncodedProduct:
    """A product ready to store: its uuid and its compact JSON text."""

    uuid: str
    body: str


@dataclass(frozen=True, slots=True)
class EncodedBatch:
    """The storable part of a batch, in order, plus what was refused before reaching the target."""

    upserts: tuple[EncodedProduct, ...]
    deletes: tuple[str, ...]
    rejected: tuple[Rejection, ...]


def trim(text: str, limit: int = _REASON_CHARS) -> str:
    """`text` cut to `limit` characters, marked when cut, so reasons stay one readable line."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def encode_batch(
    upserts: Sequence[Any], deletes: Sequence[Any], *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> EncodedBatch:
    """Serialize upserts and check deletes; a uuid upserted twice keeps its last body."""
    rejected: list[Rejection] = []
    by_uuid: dict[str, EncodedProduct] = {}
    for index, item in enumerate(upserts):
        product, reason = _encode_product(item, max_body_bytes)
        if product is None:
            rejected.append(Rejection(uuid=_uuid_for_reason(item), reason=trim(f"upsert #{index}: {reason}")))
        else:
            # Re-inserting moves the key last, so the batch keeps the order of the final writes.
            by_uuid.pop(product.uuid, None)
            by_uuid[product.uuid] = product
    kept_deletes: dict[str, None] = {}
    for index, uuid in enumerate(deletes):
        if isinstance(uuid, str) and uuid:
            kept_deletes[uuid] = None
        else:
            rejected.append(Rejection(uuid=_as_text(uuid), reason=f"delete #{index}: uuid must be a non-empty string"))
    return EncodedBatch(upserts=tuple(by_uuid.values()), deletes=tuple(kept_deletes), rejected=tuple(rejected))


def _encode_product(item: Any, max_body_bytes: int) -> tuple[EncodedProduct | None, str]:
    if not isinstance(item, dict):
        return None, f"a product must be a JSON object, got {type(item).__name__}"
    uuid = item.get("uuid")
    if not isinstance(uuid, str) or not uuid:
        return None, "a product needs a non-empty string `uuid`"
    try:
        body = json.dumps(item, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        size = len(body.encode("utf-8"))
    except (TypeError, ValueError, RecursionError) as exc:
        # TypeError: a value JSON has no type for; ValueError: NaN/Infinity or an int too long to
        # print; UnicodeEncodeError (a ValueError): a lone surrogate no UTF-8 store accepts.
        return None, f"not serializable as JSON: {exc}"
    if size > max_body_bytes:
        return None, f"body is {size} bytes, over the {max_body_bytes}-byte limit"
    return EncodedProduct(uuid=uuid, body=body), ""


def _uuid_for_reason(item: Any) -> str:
    uuid = item.get("uuid") if isinstance(item, dict) else None
    return _as_text(uuid)


def _as_text(value: Any) -> str:
    # A rejection needs some identifier; an absent uuid is the empty string, never a crash.
    if value is None:
        return ""
    return trim(value if isinstance(value, str) else repr(value), 100)
