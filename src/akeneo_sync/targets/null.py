"""A target that counts what it is given and keeps nothing: the engine's speed without a store's."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from akeneo_sync.akeneo.types import MappedModel, MappedProduct
from akeneo_sync.metrics import TARGET_PUSH_DURATION
from akeneo_sync.targets.base import BatchContext, BatchResult, ModelBatchResult

__all__ = ["NullTarget"]


class NullTarget:
    """Accepts every batch, stores nothing; `upserted`, `deleted` and `batches` count what came.

    Models batches count in `batches` too, and in `models_upserted` (with `variants_upserted`),
    `models_deleted` and `variants_deleted`.
    """

    kind = "null"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.upserted = 0
        self.deleted = 0
        self.batches = 0
        self.models_upserted = 0
        self.variants_upserted = 0
        self.models_deleted = 0
        self.variants_deleted = 0

    def __repr__(self) -> str:
        return f"NullTarget(batches={self.batches}, upserted={self.upserted}, deleted={self.deleted})"

    def apply(self, batch: BatchContext, upserts: Sequence[MappedProduct], deletes: Sequence[str]) -> BatchResult:
        """Count the batch and drop it; nothing is ever rejected."""
        with TARGET_PUSH_DURATION.labels(target=self.kind).time(), self._lock:
            self.batches += 1
            self.upserted += len(upserts)
            self.deleted += len(deletes)
        return BatchResult()

    def apply_models(
        self,
        batch: BatchContext,
        models: Sequence[MappedModel],
        model_deletes: Sequence[str] = (),
        variant_deletes: Sequence[str] = (),
    ) -> ModelBatchResult:
        """Count the models batch and drop it; nothing is ever rejected."""
        with TARGET_PUSH_DURATION.labels(target=self.kind).time(), self._lock:
            self.batches += 1
            self.models_upserted += len(models)
            self.variants_upserted += sum(len(model.variants) for model in models)
            self.models_deleted += len(model_deletes)
            self.variants_deleted += len(variant_deletes)
        return ModelBatchResult()

    def close(self) -> None:
        """Nothing to release."""
