"""Prototype (bench only): the state layer's UUID checks without `uuid.UUID`, to measure the gain.

`pack_uuid` and `is_canonical_uuid` parse a `uuid.UUID` and format it back to compare; a
canonical UUID is exactly 36 characters of lowercase hex with four hyphens, which one compiled
regex checks, and `bytes.fromhex` packs. `install()` swaps these in where the product imported
them, so `cpu_per_product.py --fast-uuid` measures the same pipeline with only this changed.
"""

from __future__ import annotations

import re
from typing import Final

_CANONICAL: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def is_canonical_uuid(value: str) -> bool:
    """Whether `value` is a UUID in lowercase hyphenated form."""
    return isinstance(value, str) and _CANONICAL.match(value) is not None


def pack_uuid(value: str) -> bytes:
    """The 16 bytes of a canonical UUID string (`ValueError` for anything else)."""
    if not is_canonical_uuid(value):
        raise ValueError(f"not a canonical UUID: {value!r}")
    return bytes.fromhex(value.replace("-", ""))


def install() -> None:
    """Replace the product's UUID helpers in every module that imported them."""
    from akeneo_sync.state import digests, seen
    from akeneo_sync.sync import by_uuid, engine, validate

    for module in (digests, validate, engine, by_uuid):
        module.is_canonical_uuid = is_canonical_uuid  # type: ignore[attr-defined]
    for module in (digests, seen):
        module.pack_uuid = pack_uuid  # type: ignore[attr-defined]
