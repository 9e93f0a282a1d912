"""The `Target` protocol: where mapped products go.

A target applies one batch (upserts, then deletes) idempotently: the same batch applied twice
leaves the same state, because a killed worker re-sends its last page. Items the target refuses
come back as `Rejection`s (they become dead letters); a target that is down raises
`TargetUnavailableError` so the run retries later and loses nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from akeneo_sync.akeneo.types import MappedProduct

__all__ = ["BatchContext", "BatchResult", "ReadableTarget", "Rejection", "Target"]


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


@dataclass(frozen=True, slots=True)
class Rejection:
    """One item the target refused, and why."""

    uuid: str
    reason: str


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What happened to a batch: everything applied except `rejected`."""

    rejected: tuple[Rejection, ...] = ()


class Target(Protocol):
    """A downstream platform that mirrors a catalog."""

    kind: str

    def apply(self, batch: BatchContext, upserts: Sequence[MappedProduct], deletes: Sequence[str]) -> BatchResult:
        """Upsert then delete, idempotently; raise `TargetUnavailableError` when down."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class ReadableTarget(Target, Protocol):
    """A target whose content can be read back (SQL targets): used by the demo and tests."""

    def products(self, tenant: str, catalog: str) -> dict[str, MappedProduct]:
        """Every product stored for a catalog, by UUID."""
        ...
