"""Product events batched per tenant in Redis, flushed as one message per window.

A burst of edits in the PIM produces one event per product; enqueuing each would make one tiny
sync per product. UUIDs are therefore collected per tenant (a Redis SET, so a repeated UUID counts
once) and flushed when the batch is full or its window (default 1 s) has passed: by the request
that notices it, or by the background flusher. The buffer lives in Redis, not in the process, so
a web pod that dies loses nothing: the next request or flusher on any pod sends it.

An event is de-duplicated and buffered in one atomic round trip (`add_event`), so a failure leaves
neither the id nor the UUID behind (the platform's retry is then processed, not dropped as a
duplicate). The keys, scripts and the flush lease live in the state store (`state/batches.py`).

Product-model events are batched the same way (`BatchKind.MODELS`, codes per tenant), but a batch
is one message whatever its size: the workers answer it with an incremental run of each catalog
in variants mode, which covers every model at once, so an import that edits 10,000 models costs
about one message per window, not one per model or per hundred.

Flushing enqueues first and removes only the UUIDs it enqueued afterwards, so a crash between the
two re-sends a batch (at-least-once; syncing a product twice is harmless) but never drops one.
A short per-batch lock keeps two pods from sending the same batch at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from akeneo_sync.clock import Clock
from akeneo_sync.state.batches import Batch, BatchKind, BatchSize, EventBatches
from akeneo_sync.web.ports import Enqueuer

__all__ = ["BatchKind", "Buffered", "ProductBatcher"]

_MAX_DUE_PER_PASS: Final = 100


@dataclass(frozen=True, slots=True)
class Buffered:
    """What `add_event` did: whether the event id was new, and whether its batch is now due."""

    first_seen: bool
    is_due: bool


class ProductBatcher:
    """Collects product UUIDs per tenant and kind; flushes full or expired batches to the enqueuer."""

    def __init__(
        self,
        batches: EventBatches,
        enqueuer: Enqueuer,
        clock: Clock,
        *,
        window_s: float = 1.0,
        max_size: int = 100,
    ) -> None:
        self._batches = batches
        self._enqueuer = enqueuer
        self._clock = clock
        self._window_s = window_s
        self._max_size = max_size

    def add(self, kind: BatchKind, tenant: str, uuids: Sequence[str]) -> bool:
        """Buffer `uuids` durably; True when the batch is now full or its window has passed."""
        return self._is_due(kind, self._batches.add(Batch(kind, tenant), uuids, self._clock.now()))

    def add_event(self, kind: BatchKind, tenant: str, uuid: str, *, dedupe_key: str, dedupe_ttl_s: int) -> Buffered:
        """Buffer `uuid` unless the event (`dedupe_key`) was seen within `dedupe_ttl_s`; one round trip."""
        sized = self._batches.add_event(
            Batch(kind, tenant), uuid, dedupe_key=dedupe_key, dedupe_ttl_s=dedupe_ttl_s, now=self._clock.now()
        )
        return self._buffered(kind, sized)

    async def add_event_async(
        self, kind: BatchKind, tenant: str, uuid: str, *, dedupe_key: str, dedupe_ttl_s: int
    ) -> Buffered:
        """`add_event` for the event loop: on the async client if any, else in a worker thread."""
        sized = await self._batches.add_event_async(
            Batch(kind, tenant), uuid, dedupe_key=dedupe_key, dedupe_ttl_s=dedupe_ttl_s, now=self._clock.now()
        )
        return self._buffered(kind, sized)

    def _buffered(self, kind: BatchKind, sized: BatchSize | None) -> Buffered:
        if sized is None:
            return Buffered(first_seen=False, is_due=False)
        return Buffered(first_seen=True, is_due=self._is_due(kind, sized))

    def _is_due(self, kind: BatchKind, sized: BatchSize) -> bool:
        full = kind is not BatchKind.MODELS and sized.size >= self._max_size
        return full or self._clock.now() - sized.opened_at >= self._window_s

    def flush(self, kind: BatchKind, tenant: str) -> bool:
        """Send the tenant's batch now; False when it was empty or another pod is sending it."""
        return self._flush(Batch(kind, tenant)) > 0

    def flush_due(self) -> int:
        """Flush every batch whose window has passed; returns how many were flushed."""
        due = self._batches.due(self._clock.now() - self._window_s, _MAX_DUE_PER_PASS)
        return sum(self._flush(batch) for batch in _in_event_order(due))

    def _flush(self, batch: Batch) -> int:
        lease = self._batches.flush_lease(batch)
        if not lease.acquire():
            return 0  # another pod is sending this batch right now
        try:
            if batch.kind is BatchKind.MODELS:
                return self._flush_models(batch)
            sent = 0
            while True:
                uuids = self._batches.sample(batch, self._max_size)
                if uuids:
                    self._send(batch)(batch.tenant, uuids)
                    sent += 1
                left = self._batches.settle(batch, uuids)
                if left == 0 or not uuids:
                    return min(sent, 1)
        finally:
            lease.release()

    def _flush_models(self, batch: Batch) -> int:
        """One `sync_models` message for every code buffered, however many (caller holds the lease)."""
        # Read before sending: only codes buffered before the message are settled by it.
        codes = self._batches.members(batch)
        if codes:
            self._enqueuer.sync_models(batch.tenant)
        # In chunks (Lua's unpack has a limit); the last one drops the batch if nothing new came.
        left = 0
        for start in range(0, max(len(codes), 1), self._max_size):
            left = self._batches.settle(batch, codes[start : start + self._max_size])
        if left and codes:
            # Codes that came during the send open the next window now, not at the old batch's
            # start: else a steady stream would make every flush due again at once.
            self._batches.reopen(batch, self._clock.now())
        return 1 if codes else 0

    def _send(self, batch: Batch) -> Callable[[str, Sequence[str]], None]:
        if batch.kind is BatchKind.SYNC:
            return self._enqueuer.sync_products
        return self._enqueuer.delete_products


def _in_event_order(batches: list[Batch]) -> list[Batch]:
    """Syncs before deletes: a product created then deleted within one window ends up deleted.

    Workers may still run the two messages in either order; a by-UUID sync of a product that is
    gone deletes it downstream, so both orders converge.
    """
    return sorted(batches, key=lambda batch: batch.kind is not BatchKind.SYNC)
