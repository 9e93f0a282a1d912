"""Validation of mapped products: what may be pushed, and why the rest becomes a dead letter.

The envelope is the only thing the PIM guarantees (a JSON object with a string `uuid`); the rest
of a product's shape is the app's mapping schema, which an optional `ProductValidator` may check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

from akeneo_sync.akeneo.types import MappedProduct
from akeneo_sync.state.digests import pack_uuid, try_pack_uuid
from akeneo_sync.sync.digest import canonical_json, digest_bytes

__all__ = ["InvalidProduct", "ProductValidator", "ValidProduct", "validate_product"]

# Returns a description of what is wrong with a product, or None when it may be pushed.
ProductValidator: TypeAlias = Callable[[MappedProduct], str | None]


@dataclass(frozen=True, slots=True)
class ValidProduct:
    """A product that may be pushed, with its digest and its packed UUID (the state layer's key)."""

    uuid: str
    body: MappedProduct
    digest: bytes
    # Packed once here, where the UUID is checked, so the state layer does not check and pack it
    # again for each of its reads and writes. Empty when built without it: then packed on use.
    packed: bytes = b""

    @property
    def key(self) -> bytes:
        """The packed UUID."""
        return self.packed or pack_uuid(self.uuid)


@dataclass(frozen=True, slots=True)
class InvalidProduct:
    """An item that may not be pushed; `uuid` is set when the item carried a usable one."""

    payload: Any
    uuid: str | None
    detail: str


def validate_product(item: object, validator: ProductValidator | None = None) -> ValidProduct | InvalidProduct:
    """Check one item of a page and digest it when it is valid."""
    if not isinstance(item, dict):
        return InvalidProduct(item, None, f"not a JSON object but {type(item).__name__}")
    raw_uuid = item.get("uuid")
    if not isinstance(raw_uuid, str) or not raw_uuid:
        return InvalidProduct(item, None, "missing or non-string uuid")
    packed = try_pack_uuid(raw_uuid)
    if packed is None:
        return InvalidProduct(item, None, f"uuid is not a canonical UUID: {raw_uuid[:64]!r}")
    try:
        canonical = canonical_json(item)
    except (TypeError, ValueError, RecursionError) as exc:
        return InvalidProduct(item, raw_uuid, f"not serializable as JSON: {exc}")
    if validator is not None:
        problem = validator(item)
        if problem:
            return InvalidProduct(item, raw_uuid, problem)
    return ValidProduct(raw_uuid, item, digest_bytes(canonical), packed)
