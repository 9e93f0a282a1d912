"""Small helpers to read Redis hashes (bytes in, typed values out)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeAlias

from redis.typing import EncodableT, FieldT

__all__ = ["Fields", "as_float", "as_int", "as_str", "decode_hash", "text"]

# What redis-py accepts as a hash or stream entry.
Fields: TypeAlias = dict[FieldT, EncodableT]


def decode_hash(raw: Mapping[bytes | str, bytes | str] | None) -> dict[str, str]:
    """A hash read with `decode_responses=False` (or True), as `str` -> `str`."""
    out: dict[str, str] = {}
    if raw is None:
        return out
    for key, value in raw.items():
        k = key.decode() if isinstance(key, bytes) else key
        out[k] = value.decode() if isinstance(value, bytes) else value
    return out


def as_str(fields: Mapping[str, str], name: str) -> str | None:
    """The field, or None when absent or empty."""
    value = fields.get(name)
    return value or None


def as_float(fields: Mapping[str, str], name: str) -> float | None:
    """The field as a float, or None when absent or empty."""
    value = fields.get(name)
    return float(value) if value else None


def as_int(fields: Mapping[str, str], name: str) -> int:
    """The field as an int, 0 when absent or empty."""
    value = fields.get(name)
    return int(value) if value else 0


def text(value: object) -> str:
    """A reply value as text ("" for None)."""
    if value is None:
        return ""
    return value.decode() if isinstance(value, bytes) else str(value)
