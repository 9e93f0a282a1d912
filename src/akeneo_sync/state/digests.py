"""Per-catalog product digests: one Redis HASH, packed UUID (16 bytes) -> digest (16 bytes).

Packing the UUID halves the field size against its 36-character text form; the digest tells the
engine whether a product changed since it was last pushed. The HASH is also the "known set" that
reconciliation diffs against, read with HSCAN in chunks so memory never grows with the catalog.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Final

import redis
from redis.client import Pipeline

from akeneo_sync.state._redis import translate_errors
from akeneo_sync.state.keys import Keys

__all__ = ["UNCONFIRMED", "DigestStore", "is_canonical_uuid", "pack_uuid", "try_pack_uuid", "unpack_uuid"]

# KEYS[1]: the digest HASH; ARGV[1]: the value; ARGV[2..]: packed UUIDs. HSETNX for each field in
# one command: a page's first push marks up to 100 products, and 100 queued HSETNX cost the worker
# more CPU (building and parsing each command and its reply) than the rest of the page together.
_SET_IF_ABSENT: Final = """
for i = 2, #ARGV do redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[1]) end
return 0
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
        values = self._redis.hmget(self._keys.digests(tenant, catalog), packed)
        return [v if isinstance(v, bytes) else None for v in values]

    @translate_errors
    def count(self, tenant: str, catalog: str) -> int:
        """How many products are known for the catalog."""
        return int(self._redis.hlen(self._keys.digests(tenant, catalog)))

    def scan(self, tenant: str, catalog: str, *, chunk: int = 1000) -> Iterator[list[str]]:
        """Every known UUID, in chunks of about `chunk` (HSCAN: a UUID may come twice)."""
        cursor = 0
        while True:
            cursor, uuids = self.scan_step(tenant, catalog, cursor, chunk=chunk)
            if uuids:
                yield uuids
            if cursor == 0:
                return

    @translate_errors
    def scan_step(self, tenant: str, catalog: str, cursor: int, *, chunk: int = 1000) -> tuple[int, list[str]]:
        """One HSCAN step: the next cursor (0 at the end) and the UUIDs it returned."""
        # NOVALUES needs Redis 7.4; the 16-byte values are cheap to carry along.
        cursor, fields = self._redis.hscan(self._keys.digests(tenant, catalog), cursor, count=chunk)
        return int(cursor), [unpack_uuid(f) for f in fields if isinstance(f, bytes)]

    def stage_set(self, pipe: Pipeline, tenant: str, catalog: str, digests: Mapping[str, bytes]) -> Pipeline:
        """Queue digest writes on `pipe`."""
        return self.stage_set_packed(pipe, tenant, catalog, {pack_uuid(u): d for u, d in digests.items()})

    def stage_set_packed(self, pipe: Pipeline, tenant: str, catalog: str, digests: Mapping[bytes, bytes]) -> Pipeline:
        """Queue digest writes keyed by packed UUIDs (already checked by `pack_uuid`)."""
        if digests:
            # Flat field/value pairs: redis-py types `mapping` invariantly in the key type.
            pipe.hset(self._keys.digests(tenant, catalog), items=[x for pair in digests.items() for x in pair])
        return pipe

    def stage_unconfirmed(self, pipe: Pipeline, tenant: str, catalog: str, uuids: Iterable[str]) -> Pipeline:
        """Queue `UNCONFIRMED` digests for products not known yet (before their first push)."""
        return self.stage_unconfirmed_packed(pipe, tenant, catalog, [pack_uuid(u) for u in uuids])

    def stage_unconfirmed_packed(self, pipe: Pipeline, tenant: str, catalog: str, packed: Sequence[bytes]) -> Pipeline:
        """`stage_unconfirmed` for packed UUIDs: one command however many there are."""
        if packed:
            # EVAL, not a registered script: on a pipeline, redis-py would first send SCRIPT EXISTS
            # (one more round trip per page); Redis caches the compiled script either way.
            pipe.eval(_SET_IF_ABSENT, 1, self._keys.digests(tenant, catalog), UNCONFIRMED, *packed)
        return pipe

    def stage_delete(self, pipe: Pipeline, tenant: str, catalog: str, uuids: Iterable[str]) -> Pipeline:
        """Queue digest removals on `pipe`."""
        packed = [pack_uuid(u) for u in uuids]
        if packed:
            pipe.hdel(self._keys.digests(tenant, catalog), *packed)
        return pipe

    @translate_errors
    def clear(self, tenant: str, catalog: str) -> None:
        """Forget every digest of the catalog (the next full sync pushes everything)."""
        self._redis.delete(self._keys.digests(tenant, catalog))
