"""Event batches in Redis: the web side's per-tenant buffers of product UUIDs and model codes.

What a batch holds is a SET per tenant and kind; when each batch opened is one ZSET
(`batches_pending`) whose members are `kind:tenant`. The policy (window, size, what a flush
sends) is the web side's (`web/batching.py`); this module owns the keys and scripts.

An event is de-duplicated and buffered by one Lua script (`_ADD_EVENT`): one round trip instead of
a `SET NX` then a transaction, and atomic, so a failure leaves neither the id nor the UUID behind.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import anyio.to_thread
import redis
import redis.asyncio

from akeneo_sync.state._codec import text
from akeneo_sync.state._redis import translate_errors
from akeneo_sync.state.keys import Keys
from akeneo_sync.state.lease import RedisLease

__all__ = ["Batch", "BatchKind", "BatchSize", "EventBatches"]

FLUSH_LOCK_TTL_S: Final = 30

# Remove what was enqueued; drop the batch from the pending index only if nothing new arrived
# meanwhile (atomic, or a UUID added between the check and the ZREM would never be flushed).
_SETTLE: Final = """
if #ARGV > 1 then redis.call('SREM', KEYS[1], unpack(ARGV, 2)) end
local left = redis.call('SCARD', KEYS[1])
if left == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end
return left
"""
# De-duplicate the event id, then buffer its UUID (as `add` does); returns {first seen, size, opened at}.
_ADD_EVENT: Final = """
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then return {0, 0, ''} end
redis.call('SADD', KEYS[2], ARGV[4])
redis.call('ZADD', KEYS[3], 'NX', ARGV[3], ARGV[2])
return {1, redis.call('SCARD', KEYS[2]), redis.call('ZSCORE', KEYS[3], ARGV[2])}
"""


class BatchKind(StrEnum):
    """What a batch asks the workers to do with its UUIDs."""

    SYNC = "sync"
    DELETE = "delete"
    # Product-model codes: the whole batch is one `sync_models` message (an incremental run of the
    # tenant's catalogs in variants mode covers every model), so it is due by its window only.
    MODELS = "models"


@dataclass(frozen=True, slots=True)
class Batch:
    """One tenant's batch of one kind."""

    kind: BatchKind
    tenant: str

    @property
    def member(self) -> str:
        """Its member in the pending index."""
        return f"{self.kind.value}:{self.tenant}"

    @classmethod
    def parse(cls, member: str) -> Batch | None:
        """The batch a pending member names; None for a member no kind matches."""
        kind, _, tenant = member.partition(":")
        if kind not in BatchKind.__members__.values() or not tenant:
            return None
        return cls(BatchKind(kind), tenant)


@dataclass(frozen=True, slots=True)
class BatchSize:
    """A batch after an addition: how many items it holds and when it opened."""

    size: int
    opened_at: float


class EventBatches:
    """The buffers, their pending index and their flush leases."""

    def __init__(self, client: redis.Redis, keys: Keys, *, async_client: redis.asyncio.Redis | None = None) -> None:
        """`async_client` (same server) lets `add_event_async` wait on the event loop, not a thread."""
        self._redis = client
        self._keys = keys
        self._async = async_client
        self._settle = client.register_script(_SETTLE)
        self._add_event = client.register_script(_ADD_EVENT)
        self._add_event_async = async_client.register_script(_ADD_EVENT) if async_client is not None else None

    @translate_errors
    def add(self, batch: Batch, items: Sequence[str], now: float) -> BatchSize:
        """Buffer `items` durably; the batch opens at `now` unless it is open already."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.sadd(self._buffer(batch), *items)
        # NX keeps the time the batch opened: later additions must not stretch its window.
        pipe.zadd(self._keys.batches_pending(), {batch.member: now}, nx=True)
        pipe.scard(self._buffer(batch))
        pipe.zscore(self._keys.batches_pending(), batch.member)
        _, _, size, opened_at = pipe.execute()
        return BatchSize(int(size), float(opened_at))

    @translate_errors
    def add_event(self, batch: Batch, item: str, *, dedupe_key: str, dedupe_ttl_s: int, now: float) -> BatchSize | None:
        """Buffer `item` unless the event (`dedupe_key`) was seen within `dedupe_ttl_s` (then None)."""
        return _sized(
            self._add_event(keys=self._event_keys(batch, dedupe_key), args=[dedupe_ttl_s, batch.member, now, item])
        )

    @translate_errors
    async def add_event_async(
        self, batch: Batch, item: str, *, dedupe_key: str, dedupe_ttl_s: int, now: float
    ) -> BatchSize | None:
        """`add_event` for the event loop: on the async client if any, else in a worker thread."""
        if self._add_event_async is None:
            return await anyio.to_thread.run_sync(
                functools.partial(
                    self.add_event, batch, item, dedupe_key=dedupe_key, dedupe_ttl_s=dedupe_ttl_s, now=now
                )
            )
        reply = await self._add_event_async(
            keys=self._event_keys(batch, dedupe_key), args=[dedupe_ttl_s, batch.member, now, item]
        )
        return _sized(reply)

    @translate_errors
    def due(self, opened_before: float, limit: int) -> list[Batch]:
        """Up to `limit` batches opened at or before `opened_before`; members naming no batch are dropped."""
        members = self._redis.zrangebyscore(self._keys.batches_pending(), "-inf", opened_before, start=0, num=limit)
        batches: list[Batch] = []
        for member in members:
            batch = Batch.parse(text(member))
            if batch is None:
                self._redis.zrem(self._keys.batches_pending(), text(member))
            else:
                batches.append(batch)
        return batches

    def flush_lease(self, batch: Batch) -> RedisLease:
        """A new owner's lease on flushing `batch`, so two pods never send it at once."""
        return RedisLease(
            self._redis, self._keys.flush_lock(batch.kind, batch.tenant), secrets.token_hex(8), FLUSH_LOCK_TTL_S
        )

    @translate_errors
    def sample(self, batch: Batch, count: int) -> list[str]:
        """Up to `count` of the batch's items, sorted."""
        return sorted(text(m) for m in self._redis.srandmember(self._buffer(batch), count) or [])

    @translate_errors
    def members(self, batch: Batch) -> list[str]:
        """Every item of the batch."""
        return [text(m) for m in self._redis.smembers(self._buffer(batch))]

    @translate_errors
    def settle(self, batch: Batch, sent: Collection[str]) -> int:
        """Remove `sent` items; the batch leaves the pending index if that emptied it. Returns how many are left."""
        return int(self._settle(keys=[self._buffer(batch), self._keys.batches_pending()], args=[batch.member, *sent]))

    @translate_errors
    def reopen(self, batch: Batch, now: float) -> None:
        """Open a still-pending batch's window again at `now`."""
        self._redis.zadd(self._keys.batches_pending(), {batch.member: now}, xx=True)

    async def aclose(self) -> None:
        """Drop the async client's connections: they belong to the event loop that opened them."""
        if self._async is not None:
            await self._async.connection_pool.disconnect()

    def _buffer(self, batch: Batch) -> str:
        return self._keys.batch(batch.kind, batch.tenant)

    def _event_keys(self, batch: Batch, dedupe_key: str) -> list[str]:
        return [dedupe_key, self._buffer(batch), self._keys.batches_pending()]


def _sized(reply: list[object]) -> BatchSize | None:
    first_seen, size, opened_at = reply
    if not first_seen:
        return None
    return BatchSize(int(text(size)), float(text(opened_at)))
