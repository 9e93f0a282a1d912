"""Product events batched per tenant in Redis, flushed as one message per window.

A burst of edits in the PIM produces one event per product; enqueuing each would make one tiny
sync per product. UUIDs are therefore collected per tenant (a Redis SET, so a repeated UUID counts
once) and flushed when the batch is full or its window (default 1 s) has passed: by the request
that notices it, or by the background flusher. The buffer lives in Redis, not in the process, so
a web pod that dies loses nothing: the next request or flusher on any pod sends it.

An event is de-duplicated and buffered by one Lua script (`add_event`): one round trip instead of
a `SET NX` then a transaction, and atomic, so a failure leaves neither the id nor the UUID behind
(the platform's retry is then processed, not dropped as a duplicate).

Product-model events are batched the same way (`BatchKind.MODELS`, codes per tenant), but a batch
is one message whatever its size: the workers answer it with an incremental run of each catalog
in variants mode, which covers every model at once, so an import that edits 10,000 models costs
about one message per window, not one per model or per hundred.

Flushing enqueues first and removes only the UUIDs it enqueued afterwards, so a crash between the
two re-sends a batch (at-least-once; syncing a product twice is harmless) but never drops one.
A short per-batch lock keeps two pods from sending the same batch at once.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import anyio.to_thread
import redis
import redis.asyncio

from akeneo_sync.clock import Clock
from akeneo_sync.errors import StateError
from akeneo_sync.web.keys import WebKeys
from akeneo_sync.web.ports import Enqueuer

__all__ = ["BatchKind", "Buffered", "ProductBatcher"]

_FLUSH_LOCK_TTL_S: Final = 30
_MAX_DUE_PER_PASS: Final = 100

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
# Release the flush lock only if we still own it.
_UNLOCK: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class BatchKind(StrEnum):
    """What a batch asks the workers to do with its UUIDs."""

    SYNC = "sync"
    DELETE = "delete"
    # Product-model codes: the whole batch is one `sync_models` message (an incremental run of the
    # tenant's catalogs in variants mode covers every model), so it is due by its window only.
    MODELS = "models"


@dataclass(frozen=True, slots=True)
class Buffered:
    """What `add_event` did: whether the event id was new, and whether its batch is now due."""

    first_seen: bool
    is_due: bool


@dataclass(frozen=True, slots=True)
class _Batch:
    kind: BatchKind
    tenant: str

    @property
    def member(self) -> str:
        return f"{self.kind.value}:{self.tenant}"

    @classmethod
    def parse(cls, member: object) -> _Batch | None:
        text = member.decode() if isinstance(member, bytes) else str(member)
        kind, _, tenant = text.partition(":")
        if kind not in BatchKind.__members__.values() or not tenant:
            return None
        return cls(BatchKind(kind), tenant)


class ProductBatcher:
    """Collects product UUIDs per tenant and kind; flushes full or expired batches to the enqueuer."""

    def __init__(
        self,
        client: redis.Redis,
        keys: WebKeys,
        enqueuer: Enqueuer,
        clock: Clock,
        *,
        window_s: float = 1.0,
        max_size: int = 100,
        async_client: redis.asyncio.Redis | None = None,
    ) -> None:
        """`async_client` (same server) lets `add_event_async` wait on the event loop, not a thread."""
        self._redis = client
        self._keys = keys
        self._enqueuer = enqueuer
        self._clock = clock
        self._window_s = window_s
        self._max_size = max_size
        self._settle = client.register_script(_SETTLE)
        self._unlock = client.register_script(_UNLOCK)
        self._add_event = client.register_script(_ADD_EVENT)
        self._add_event_async = async_client.register_script(_ADD_EVENT) if async_client is not None else None

    def add(self, kind: BatchKind, tenant: str, uuids: Sequence[str]) -> bool:
        """Buffer `uuids` durably; True when the batch is now full or its window has passed."""
        batch = _Batch(kind, tenant)
        try:
            pipe = self._redis.pipeline(transaction=True)
            pipe.sadd(self._keys.batch(kind, tenant), *uuids)
            # NX keeps the time the batch opened: later additions must not stretch its window.
            pipe.zadd(self._keys.batches_pending(), {batch.member: self._clock.now()}, nx=True)
            pipe.scard(self._keys.batch(kind, tenant))
            pipe.zscore(self._keys.batches_pending(), batch.member)
            _, _, size, opened_at = pipe.execute()
        except redis.RedisError as exc:
            raise StateError(f"cannot buffer product events: {type(exc).__name__}", tenant=tenant) from exc
        full = kind is not BatchKind.MODELS and int(size) >= self._max_size
        return full or self._clock.now() - float(opened_at) >= self._window_s

    def add_event(self, kind: BatchKind, tenant: str, uuid: str, *, dedupe_key: str, dedupe_ttl_s: int) -> Buffered:
        """Buffer `uuid` unless the event (`dedupe_key`) was seen within `dedupe_ttl_s`; one round trip."""
        batch = _Batch(kind, tenant)
        try:
            reply = self._add_event(
                keys=self._event_keys(batch, dedupe_key), args=[dedupe_ttl_s, batch.member, self._clock.now(), uuid]
            )
        except redis.RedisError as exc:
            raise StateError(f"cannot buffer product events: {type(exc).__name__}", tenant=tenant) from exc
        return self._buffered(reply, kind)

    async def add_event_async(
        self, kind: BatchKind, tenant: str, uuid: str, *, dedupe_key: str, dedupe_ttl_s: int
    ) -> Buffered:
        """`add_event` for the event loop: on the async client if any, else in a worker thread."""
        if self._add_event_async is None:
            return await anyio.to_thread.run_sync(
                functools.partial(self.add_event, kind, tenant, uuid, dedupe_key=dedupe_key, dedupe_ttl_s=dedupe_ttl_s)
            )
        batch = _Batch(kind, tenant)
        try:
            reply = await self._add_event_async(
                keys=self._event_keys(batch, dedupe_key), args=[dedupe_ttl_s, batch.member, self._clock.now(), uuid]
            )
        except redis.RedisError as exc:
            raise StateError(f"cannot buffer product events: {type(exc).__name__}", tenant=tenant) from exc
        return self._buffered(reply, kind)

    def _event_keys(self, batch: _Batch, dedupe_key: str) -> list[str]:
        return [dedupe_key, self._keys.batch(batch.kind, batch.tenant), self._keys.batches_pending()]

    def _buffered(self, reply: list[object], kind: BatchKind) -> Buffered:
        first_seen, size, opened_at = reply
        if not first_seen:
            return Buffered(first_seen=False, is_due=False)
        full = kind is not BatchKind.MODELS and int(str(size)) >= self._max_size
        is_due = full or self._clock.now() - float(_text(opened_at)) >= self._window_s
        return Buffered(first_seen=True, is_due=is_due)

    def flush(self, kind: BatchKind, tenant: str) -> bool:
        """Send the tenant's batch now; False when it was empty or another pod is sending it."""
        return self._flush(_Batch(kind, tenant)) > 0

    def flush_due(self) -> int:
        """Flush every batch whose window has passed; returns how many were flushed."""
        try:
            due = self._redis.zrangebyscore(
                self._keys.batches_pending(),
                "-inf",
                self._clock.now() - self._window_s,
                start=0,
                num=_MAX_DUE_PER_PASS,
            )
        except redis.RedisError as exc:
            raise StateError(f"cannot read pending event batches: {type(exc).__name__}") from exc
        batches = []
        for member in due:
            batch = _Batch.parse(member)
            if batch is None:
                self._redis.zrem(self._keys.batches_pending(), member if isinstance(member, bytes) else str(member))
            else:
                batches.append(batch)
        return sum(self._flush(batch) for batch in _in_event_order(batches))

    def _flush(self, batch: _Batch) -> int:
        lock_key = self._keys.flush_lock(batch.kind, batch.tenant)
        owner = secrets.token_hex(8)
        buffer_key = self._keys.batch(batch.kind, batch.tenant)
        try:
            if not self._redis.set(lock_key, owner, nx=True, ex=_FLUSH_LOCK_TTL_S):
                return 0  # another pod is sending this batch right now
            try:
                if batch.kind is BatchKind.MODELS:
                    return self._flush_models(batch, buffer_key)
                sent = 0
                while True:
                    members = self._redis.srandmember(buffer_key, self._max_size)
                    uuids = sorted(m.decode() if isinstance(m, bytes) else str(m) for m in members or [])
                    if uuids:
                        self._send(batch)(batch.tenant, uuids)
                        sent += 1
                    left = int(
                        self._settle(keys=[buffer_key, self._keys.batches_pending()], args=[batch.member, *uuids])
                    )
                    if left == 0 or not uuids:
                        return min(sent, 1)
            finally:
                self._unlock(keys=[lock_key], args=[owner])
        except redis.RedisError as exc:
            raise StateError(f"cannot flush product events: {type(exc).__name__}", tenant=batch.tenant) from exc

    def _flush_models(self, batch: _Batch, buffer_key: str) -> int:
        """One `sync_models` message for every code buffered, however many (caller holds the lock)."""
        # Read before sending: only codes buffered before the message are settled by it.
        codes = [_text(m) for m in self._redis.smembers(buffer_key)]
        if codes:
            self._enqueuer.sync_models(batch.tenant)
        # In chunks (Lua's unpack has a limit); the last one drops the batch if nothing new came.
        left = 0
        for start in range(0, max(len(codes), 1), self._max_size):
            left = int(
                self._settle(
                    keys=[buffer_key, self._keys.batches_pending()],
                    args=[batch.member, *codes[start : start + self._max_size]],
                )
            )
        if left and codes:
            # Codes that came during the send open the next window now, not at the old batch's
            # start: else a steady stream would make every flush due again at once.
            self._redis.zadd(self._keys.batches_pending(), {batch.member: self._clock.now()}, xx=True)
        return 1 if codes else 0

    def _send(self, batch: _Batch) -> Callable[[str, Sequence[str]], None]:
        if batch.kind is BatchKind.SYNC:
            return self._enqueuer.sync_products
        return self._enqueuer.delete_products


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _in_event_order(batches: list[_Batch]) -> list[_Batch]:
    """Syncs before deletes: a product created then deleted within one window ends up deleted.

    Workers may still run the two messages in either order; a by-UUID sync of a product that is
    gone deletes it downstream, so both orders converge.
    """
    return sorted(batches, key=lambda batch: batch.kind is not BatchKind.SYNC)
