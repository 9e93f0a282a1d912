"""Per-catalog product digests: one Redis HASH, packed UUID (16 bytes) -> digest (16 bytes).

Packing the UUID halves the field size against its 36-character text form; the digest tells the
engine whether a product changed since it was last pushed. The HASH is also the "known set" that
reconciliation diffs against, read with HSCAN in chunks so memory never grows with the catalog.
Batches of packed UUIDs travel as one concatenated string that small Lua scripts split: most of
the client's work per product was building and parsing one argument or reply element for each.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Final

import redis

from akeneo_sync.errors import StateError
from akeneo_sync.state._redis import translate_errors
from akeneo_sync.state.keys import Keys
from akeneo_sync.state.transaction import Transaction

__all__ = [
    "LUA_SPLIT",
    "UNCONFIRMED",
    "DigestStore",
    "is_canonical_uuid",
    "join_packed",
    "pack_uuid",
    "try_pack_uuid",
    "unpack_uuid",
]

# Lua scripts that take and return packed UUIDs as one concatenated string of 16-byte records
# instead of one argument or reply element each. redis-py builds every argument and parses every
# reply element in Python: for a page of 100 products that was most of the worker's Redis CPU,
# and a concatenated string is one argument and one reply whatever the page size. Redis runs the
# same native commands inside (`HMGET`, `HSET`, `HSCAN`, in chunks that `unpack` can spread).
#
# Lua helpers: `split` cuts a concatenated string into records; `chunked` runs a variadic command
# 1000 arguments at a time (`unpack` is limited by Lua's stack; an even count keeps HSET's
# field/value pairs whole).
LUA_SPLIT: Final = """
local function split(blob, size)
  local parts = {}
  for i = 1, #blob, size do parts[#parts + 1] = string.sub(blob, i, i + size - 1) end
  return parts
end
local function chunked(command, key, args)
  for i = 1, #args, 1000 do redis.call(command, key, unpack(args, i, math.min(i + 999, #args))) end
end
"""

# KEYS[1]: the HASH; ARGV[1]: packed UUIDs. Returns, per UUID, one byte (0: absent, else the
# value's length + 1) followed by the value.
_GET: Final = (
    LUA_SPLIT
    + """
local fields, out = split(ARGV[1], 16), {}
for i = 1, #fields, 1000 do
  local values = redis.call('HMGET', KEYS[1], unpack(fields, i, math.min(i + 999, #fields)))
  for j = 1, #values do
    local v = values[j]
    if not v then out[#out + 1] = '\\0'
    elseif #v < 255 then out[#out + 1] = string.char(#v + 1) .. v
    else return redis.error_reply('digest longer than 254 bytes') end
  end
end
return table.concat(out)
"""
)

# KEYS[1]: the HASH; ARGV[1]: records of a 16-byte packed UUID then its 16-byte digest.
_SET: Final = (
    LUA_SPLIT
    + """
chunked('HSET', KEYS[1], split(ARGV[1], 16))
return 0
"""
)

# KEYS[1]: the HASH; ARGV[1]: the value; ARGV[2]: packed UUIDs. HSETNX each field: one command
# per page where there was one HSETNX per product.
_SET_IF_ABSENT: Final = (
    LUA_SPLIT
    + """
for _, field in ipairs(split(ARGV[2], 16)) do redis.call('HSETNX', KEYS[1], field, ARGV[1]) end
return 0
"""
)

# KEYS[1]: the HASH; ARGV[1]: cursor; ARGV[2]: COUNT. Returns the next cursor and the fields
# (packed UUIDs) concatenated, without their values.
_SCAN: Final = """
local reply = redis.call('HSCAN', KEYS[1], ARGV[1], 'COUNT', ARGV[2])
local fields = {}
for i = 1, #reply[2], 2 do
  local field = reply[2][i]
  if #field ~= 16 then return redis.error_reply('a digest field is not a packed UUID') end
  fields[#fields + 1] = field
end
return {reply[1], table.concat(fields)}
"""


# The digest of a product that is being pushed for the first time: it may be downstream without
# a digest of its own if the worker dies between the push and the commit. Never equal to a real
# digest, so the product is pushed again; and present in the known set, so the UUID diff deletes
# it downstream if it leaves the catalog before that.
UNCONFIRMED: Final = bytes(16)


# The lowercase hyphenated form the PIM uses. A regex and `bytes.fromhex` instead of parsing a
# `uuid.UUID` and formatting it back: these run several times per product, and the round trip
# was 17 % of the engine's CPU per product (bench/cpu_per_product.py).
_CANONICAL: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")


def is_canonical_uuid(value: str) -> bool:
    """Whether `value` is a UUID in the lowercase hyphenated form the PIM uses."""
    return isinstance(value, str) and _CANONICAL.match(value) is not None


def try_pack_uuid(value: object) -> bytes | None:
    """The 16 bytes of a canonical UUID string, or None for anything else."""
    if isinstance(value, str) and _CANONICAL.match(value) is not None:
        return bytes.fromhex(value.replace("-", ""))
    return None


def pack_uuid(value: str) -> bytes:
    """The 16 bytes of a canonical UUID string (`ValueError` for anything else)."""
    packed = try_pack_uuid(value)
    if packed is None:
        raise ValueError(f"not a canonical UUID: {value!r}")
    return packed


def unpack_uuid(value: bytes) -> str:
    """The canonical string of 16 packed bytes (`ValueError` for any other length)."""
    if len(value) != 16:
        raise ValueError(f"not a packed UUID: {value!r}")
    # Slicing the hex form: a quarter of the cost of `str(uuid.UUID(bytes=value))`, which runs
    # once per known product in every diff.
    h = value.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class DigestStore:
    """The digests of the products last pushed for each catalog."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._redis = client
        self._keys = keys

    @translate_errors
    def get_many(self, tenant: str, catalog: str, uuids: Sequence[str]) -> dict[str, bytes]:
        """The known digests of these products (absent ones are left out)."""
        if not uuids:
            return {}
        values = self.get_packed(tenant, catalog, [pack_uuid(u) for u in uuids])
        return {u: v for u, v in zip(uuids, values, strict=True) if v is not None}

    @translate_errors
    def get_packed(self, tenant: str, catalog: str, packed: Sequence[bytes]) -> list[bytes | None]:
        """The digests of these packed UUIDs, in order (None: unknown); see `get_many`."""
        if not packed:
            return []
        reply = self._redis.eval(_GET, 1, self._keys.digests(tenant, catalog), join_packed(packed))
        return _records(reply, len(packed))

    @translate_errors
    def count(self, tenant: str, catalog: str) -> int:
        """How many products are known for the catalog."""
        return int(self._redis.hlen(self._keys.digests(tenant, catalog)))

    def scan(self, tenant: str, catalog: str, *, chunk: int = 1000) -> Iterator[list[str]]:
        """Every known UUID, in chunks of about `chunk` (HSCAN: a UUID may come twice)."""
        cursor = 0
        while True:
            cursor, uuids = self._scan_step(tenant, catalog, cursor, chunk=chunk)
            if uuids:
                yield uuids
            if cursor == 0:
                return

    @translate_errors
    def _scan_step(self, tenant: str, catalog: str, cursor: int, *, chunk: int) -> tuple[int, list[str]]:
        """One HSCAN step: the next cursor (0 at the end) and the UUIDs it returned."""
        # HSCAN in Lua, keeping the fields only: NOVALUES needs Redis 7.4.
        next_cursor, fields = self._redis.eval(_SCAN, 1, self._keys.digests(tenant, catalog), cursor, chunk)
        return int(next_cursor), [unpack_uuid(fields[i : i + 16]) for i in range(0, len(fields), 16)]

    def stage_set(self, tx: Transaction, tenant: str, catalog: str, digests: Mapping[str, bytes]) -> Transaction:
        """Queue digest writes on `tx`."""
        return self.stage_set_packed(tx, tenant, catalog, {pack_uuid(u): d for u, d in digests.items()})

    def stage_set_packed(
        self, tx: Transaction, tenant: str, catalog: str, digests: Mapping[bytes, bytes]
    ) -> Transaction:
        """Queue digest writes keyed by packed UUIDs (`ValueError` unless UUIDs and digests are 16 bytes)."""
        if digests:
            records = join_packed([part for pair in digests.items() for part in pair])
            tx.pipe.eval(_SET, 1, self._keys.digests(tenant, catalog), records)
        return tx

    def stage_unconfirmed(self, tx: Transaction, tenant: str, catalog: str, uuids: Iterable[str]) -> Transaction:
        """Queue `UNCONFIRMED` digests for products not known yet (before their first push)."""
        return self.stage_unconfirmed_packed(tx, tenant, catalog, [pack_uuid(u) for u in uuids])

    def stage_unconfirmed_packed(
        self, tx: Transaction, tenant: str, catalog: str, packed: Sequence[bytes]
    ) -> Transaction:
        """`stage_unconfirmed` for packed UUIDs: one command however many there are."""
        if packed:
            # EVAL, not a registered script: on a pipeline, redis-py would first send SCRIPT EXISTS
            # (one more round trip per page); Redis caches the compiled script either way.
            tx.pipe.eval(_SET_IF_ABSENT, 1, self._keys.digests(tenant, catalog), UNCONFIRMED, join_packed(packed))
        return tx

    def stage_delete(self, tx: Transaction, tenant: str, catalog: str, uuids: Iterable[str]) -> Transaction:
        """Queue digest removals on `tx`."""
        packed = [pack_uuid(u) for u in uuids]
        if packed:
            tx.pipe.hdel(self._keys.digests(tenant, catalog), *packed)
        return tx

    @translate_errors
    def clear(self, tenant: str, catalog: str) -> None:
        """Forget every digest of the catalog (the next full sync pushes everything)."""
        self._redis.delete(self._keys.digests(tenant, catalog))


def join_packed(parts: Sequence[bytes]) -> bytes:
    """Packed UUIDs (or digests) as the one string the scripts split (`ValueError` unless 16 bytes each)."""
    if any(len(part) != 16 for part in parts):
        raise ValueError("packed UUIDs and digests are 16 bytes each")
    return b"".join(parts)


def _records(reply: object, count: int) -> list[bytes | None]:
    """The values `_GET` returned: per record a byte (0: absent, else length + 1), then the value."""
    if not isinstance(reply, bytes):
        raise StateError(f"state store: unexpected digest reply {type(reply).__name__}")
    values: list[bytes | None] = []
    at = 0
    while at < len(reply):
        size = reply[at] - 1
        values.append(None if size < 0 else reply[at + 1 : at + 1 + size])
        at += 1 + max(size, 0)
    if len(values) != count:
        raise StateError(f"state store: {len(values)} digests for {count} products")
    return values
