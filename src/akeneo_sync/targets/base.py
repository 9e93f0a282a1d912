"""The `Target` protocol: where mapped products go.

A target applies one batch (upserts, then deletes) idempotently: the same batch applied twice
leaves the same state, because a killed worker re-sends its last page. Items the target refuses
come back as `Rejection`s (they become dead letters); a target that is down raises
`TargetUnavailableError` so the run retries later and loses nothing.

Product models travel in their own batches (`apply_models`): each model with its complete
variant set, which the target stores in place of the model's previous set in one transaction,
so a storefront never sees a model with part of its variants. Product-only callers never see
the models API.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from akeneo_sync.akeneo.types import MappedModel, MappedProduct
from akeneo_sync.clock import Clock
from akeneo_sync.metrics import TARGET_PUSH_DURATION

__all__ = [
    "BatchContext",
    "BatchResult",
    "ModelBatchResult",
    "ModelRejection",
    "ReadableTarget",
    "Rejection",
    "Target",
    "timed_push",
]


@dataclass(frozen=True, slots=True)
class BatchContext:
    """Who a batch belongs to; `idempotency_key` is stable across re-sends of the same page."""

    tenant: str
    catalog: str
    run_id: str
    page: int

    @property
    def idempotency_key(self) -> str:
        return f"{self.run_id}:{self.page}"

    @property
    def models_idempotency_key(self) -> str:
        """The key of a models batch: never equal to a products page's key of the same run and number."""
        return f"{self.run_id}:models:{self.page}"


@dataclass(frozen=True, slots=True)
class Rejection:
    """One item the target refused, and why."""

    uuid: str
    reason: str


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What happened to a batch: everything applied except `rejected`."""

    rejected: tuple[Rejection, ...] = ()


@dataclass(frozen=True, slots=True)
class ModelRejection:
    """One model the target refused, whole (its stored variant set, if any, is left as it was)."""

    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class ModelBatchResult:
    """What happened to a models batch: everything applied except the refused models and variant deletes."""

    rejected: tuple[ModelRejection, ...] = ()
    rejected_variant_deletes: tuple[Rejection, ...] = ()


class Target(Protocol):
    """A downstream platform that mirrors a catalog."""

    kind: str

    def apply(self, batch: BatchContext, upserts: Sequence[MappedProduct], deletes: Sequence[str]) -> BatchResult:
        """Upsert then delete, idempotently; raise `TargetUnavailableError` when down."""
        ...

    def apply_models(
        self,
        batch: BatchContext,
        models: Sequence[MappedModel],
        model_deletes: Sequence[str] = (),
        variant_deletes: Sequence[str] = (),
    ) -> ModelBatchResult:
        """Upsert models (each replacing its variant set), then delete models by code and variants by UUID.

        Idempotent like `apply`; a model deleted also loses its variants; raise
        `TargetUnavailableError` when down.
        """
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class ReadableTarget(Target, Protocol):
    """A target whose content can be read back (SQL targets): used by the demo and tests."""

    def products(self, tenant: str, catalog: str) -> dict[str, MappedProduct]:
        """Every product stored for a catalog, by UUID."""
        ...

    def models(self, tenant: str, catalog: str) -> dict[str, MappedModel]:
        """Every model stored for a catalog, by code, with its variants in the order they were given."""
        ...


@contextmanager
def timed_push(kind: str, clock: Clock) -> Iterator[None]:
    """Observe one batch's wall time in `akeneo_sync_target_push_duration_seconds`, failed ones too."""
    started = clock.monotonic()
    try:
        yield
    finally:
        TARGET_PUSH_DURATION.labels(target=kind).observe(clock.monotonic() - started)
