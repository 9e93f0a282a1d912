"""Which checkpoint a run resumes, or which run it starts, and what it discards.

Full and incremental runs share the `sync` slot; reconciliation has its own. The rules:

- a full run resumes a full checkpoint; an incremental checkpoint is superseded, and so is any
  reconciliation in flight (the full run ends with the same UUID diff);
- an incremental run resumes whatever full or incremental run is in flight (a full one covers
  it); without a watermark it is a full run, since nothing was synced yet;
- a reconciliation resumes an interrupted full run (which ends with the diff) or its own
  checkpoint, or starts afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from akeneo_sync.state import Checkpoint, Phase, RunMode, Slot, StateStore

__all__ = ["RunPlan", "plan_run"]


@dataclass(frozen=True, slots=True)
class RunPlan:
    """The run to drive: its slot, its checkpoint, whether it resumes, and slots to discard."""

    slot: Slot
    checkpoint: Checkpoint
    resumed: bool
    discard: tuple[Slot, ...] = ()


def plan_run(
    state: StateStore,
    tenant: str,
    catalog: str,
    mode: RunMode,
    *,
    now: float,
    overlap_s: float,
    new_run_id: Callable[[], str],
) -> RunPlan:
    """Decide what a request for `mode` on this catalog runs."""
    in_sync = state.checkpoints.load(tenant, catalog, Slot.SYNC)

    def fresh(run_mode: RunMode, updated_after: float | None = None, discard: tuple[Slot, ...] = ()) -> RunPlan:
        checkpoint = Checkpoint(
            run_id=new_run_id(), mode=run_mode, phase=Phase.PAGES, started_at=now, updated_after=updated_after
        )
        return RunPlan(Slot.for_mode(run_mode), checkpoint, resumed=False, discard=discard)

    if mode is RunMode.FULL:
        if in_sync is not None and in_sync.mode is RunMode.FULL:
            return RunPlan(Slot.SYNC, in_sync, resumed=True, discard=(Slot.RECONCILE,))
        return fresh(RunMode.FULL, discard=(Slot.SYNC, Slot.RECONCILE))
    if mode is RunMode.INCREMENTAL:
        if in_sync is not None:
            return RunPlan(Slot.SYNC, in_sync, resumed=True)
        watermark = state.catalogs.require(tenant, catalog).watermark
        if watermark is None:
            return fresh(RunMode.FULL, discard=(Slot.RECONCILE,))
        return fresh(RunMode.INCREMENTAL, updated_after=watermark - overlap_s)
    if mode is RunMode.RECONCILE:
        if in_sync is not None and in_sync.mode is RunMode.FULL:
            return RunPlan(Slot.SYNC, in_sync, resumed=True, discard=(Slot.RECONCILE,))
        in_reconcile = state.checkpoints.load(tenant, catalog, Slot.RECONCILE)
        if in_reconcile is not None:
            return RunPlan(Slot.RECONCILE, in_reconcile, resumed=True)
        return fresh(RunMode.RECONCILE, discard=(Slot.RECONCILE,))
    raise ValueError(f"{mode} runs are not checkpointed; use sync_uuids")
