"""What a run records about its catalog when it starts and ends (status, watermark, gauges).

Each transition is one Redis transaction, so the catalog record, the checkpoint and the seen set
always tell the same story: a finished run has no checkpoint left, a disabled catalog has no run
in flight, and the watermark moves only together with the checkpoint's removal.
"""

from __future__ import annotations

from collections.abc import Iterable

from akeneo_sync import metrics
from akeneo_sync.clock import Clock
from akeneo_sync.state import CatalogStatus, Checkpoint, RunMode, Slot, StateStore, Transaction
from akeneo_sync.sync.summary import Outcome

__all__ = ["begin_run", "end_run", "finish_run", "forget_runs"]


def begin_run(
    state: StateStore,
    tenant: str,
    catalog: str,
    *,
    slot: Slot,
    checkpoint: Checkpoint,
    fresh: bool,
    discard: Iterable[Slot],
) -> None:
    """Drop superseded runs, save a fresh run's first checkpoint, and mark the catalog running."""
    pipe = state.transaction()
    for old in discard:
        _stage_drop_run(state, pipe, tenant, catalog, old)
    if fresh:
        if checkpoint.mode in (RunMode.FULL, RunMode.RECONCILE):
            state.seen.stage_start(pipe, tenant, catalog, slot)
        state.checkpoints.stage_save(pipe, tenant, catalog, slot, checkpoint)
    state.catalogs.stage_status(pipe, tenant, catalog, CatalogStatus.RUNNING)
    state.commit(pipe)


def finish_run(
    state: StateStore, clock: Clock, tenant: str, catalog: str, *, slot: Slot, checkpoint: Checkpoint
) -> None:
    """Record a successful run: counts, watermark (full and incremental runs), no checkpoint left."""
    moves_watermark = checkpoint.mode in (RunMode.FULL, RunMode.INCREMENTAL)
    pipe = state.transaction()
    _stage_result(
        state,
        pipe,
        tenant,
        catalog,
        checkpoint,
        outcome=Outcome.SUCCESS,
        status=CatalogStatus.IDLE,
        # The run's start: anything changed while it ran is picked up by the next increment.
        watermark=checkpoint.started_at if moves_watermark else None,
        refreshed_at=checkpoint.started_at if checkpoint.mode is RunMode.FULL else None,
    )
    _stage_drop_run(state, pipe, tenant, catalog, slot)
    state.commit(pipe)
    now = clock.now()
    labels = {"tenant": metrics.tenant_label(tenant), "catalog": catalog}
    metrics.LAST_SUCCESS_TIMESTAMP.labels(**labels).set(now)
    metrics.CATALOG_ENABLED.labels(**labels).set(1)
    watermark = state.catalogs.require(tenant, catalog).watermark
    if watermark is not None:
        metrics.CATALOG_LAG_SECONDS.labels(**labels).set(max(0.0, now - watermark))


def forget_runs(state: StateStore, tenant: str, catalog: str, checkpoint: Checkpoint, *, outcome: Outcome) -> None:
    """The catalog was disabled or deleted: drop every run in flight and record why.

    Digests are kept: the target still holds those products, so the full sync that follows a
    re-enable skips every product that did not change meanwhile.
    """
    status = CatalogStatus.DISABLED if outcome is Outcome.DISABLED else CatalogStatus.DELETED
    pipe = state.transaction()
    for slot in Slot:
        _stage_drop_run(state, pipe, tenant, catalog, slot)
    _stage_result(state, pipe, tenant, catalog, checkpoint, outcome=outcome, status=status)
    state.catalogs.stage_status(pipe, tenant, catalog, status, enabled=False)
    state.commit(pipe)
    metrics.CATALOG_ENABLED.labels(tenant=metrics.tenant_label(tenant), catalog=catalog).set(0)


def end_run(
    state: StateStore, tenant: str, catalog: str, checkpoint: Checkpoint, *, status: CatalogStatus, outcome: Outcome
) -> None:
    """Record a run that ended before finishing (stopped, lock lost, failed); its checkpoint stays."""
    pipe = state.transaction()
    _stage_result(state, pipe, tenant, catalog, checkpoint, outcome=outcome, status=status)
    state.commit(pipe)


def _stage_drop_run(state: StateStore, pipe: Transaction, tenant: str, catalog: str, slot: Slot) -> None:
    state.checkpoints.stage_clear(pipe, tenant, catalog, slot)
    state.seen.stage_drop(pipe, tenant, catalog, slot)


def _stage_result(
    state: StateStore,
    pipe: Transaction,
    tenant: str,
    catalog: str,
    checkpoint: Checkpoint,
    *,
    outcome: Outcome,
    status: CatalogStatus,
    watermark: float | None = None,
    refreshed_at: float | None = None,
) -> None:
    state.catalogs.stage_run_result(
        pipe,
        tenant,
        catalog,
        run_id=checkpoint.run_id,
        outcome=outcome.value,
        status=status,
        counts=checkpoint.counters.as_dict(),
        watermark=watermark,
        refreshed_at=refreshed_at,
    )
