"""A target that counts what it is given and keeps nothing: the engine's speed without a store's."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from akeneo_sync.akeneo.types import MappedProduct
from akeneo_sync.metrics import TARGET_PUSH_DURATION
from akeneo_sync.targets.base import BatchContext, BatchResult

__all__ = ["NullTarget"]


class NullTarget:
    """Accepts every batch, stores nothing; `upserted`, `deleted` and `batches` count what came."""

    kind = "null"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.upserted = 0
        self.deleted = 0
        self.batches = 0

    def __repr__(self) -> str:
        return f"NullTarget(batches={self.batches}, upserted={self.upserted}, deleted={self.deleted})"

    def apply(self, batch: BatchContext, upserts: Sequence[MappedProduct], deletes: Sequence[str]) -> BatchResult:
        """Count the batch and drop it; nothing is ever rejected."""
        with TARGET_PUSH_DURATION.labels(target=self.kind).time(), self._lock:
            self.batches += 1
            self.upserted += len(upserts)
            self.deleted += len(deletes)
        return BatchResult()

    def close(self) -> None:
        """Nothing to release."""
