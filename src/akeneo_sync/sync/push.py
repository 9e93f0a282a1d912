"""One page of products through the target and into the checkpoint, in one Redis transaction.

Before the push, the batch's fingerprint and the products the target may receive are recorded
(so the deletion diff knows them even if the worker dies mid-push); a resumed run re-sends the
same batch under the same number, hence the same idempotency key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from akeneo_sync.akeneo.types import MappedProduct, Page
from akeneo_sync.errors import StateError
from akeneo_sync.state import Phase, Slot
from akeneo_sync.sync.batch import PreparedPage, prepare_page, stage_page_result
from akeneo_sync.sync.cursors import Split
from akeneo_sync.sync.run import ActiveRun
from akeneo_sync.targets.base import BatchResult

if TYPE_CHECKING:
    from akeneo_sync.sync.engine import SyncEngine

__all__ = ["push_page"]


def push_page(
    engine: SyncEngine,
    run: ActiveRun,
    page: Page[MappedProduct],
    last_phase: Phase,
    seen_slot: Slot | None,
    *,
    window: int | None = None,
    split: Split | None = None,
    bounds_inclusive: bool = False,
) -> None:
    """Push one page of products and record it (digests, seen UUIDs, dead letters, checkpoint) in one transaction.

    `window`/`split`: the windowed full run's cursor position (sync/windowed.py); else the page's next link.
    """
    prepared = prepare_page(engine.state, engine.tenant, run.catalog, page.items, engine.validator)
    result, next_batch = _push_products(engine, run, prepared, window)
    pipe = engine.state.transaction()
    counters, letters = stage_page_result(
        engine.state,
        pipe,
        tenant=engine.tenant,
        catalog=run.catalog,
        run_id=run.checkpoint.run_id,
        page=prepared,
        result=result,
        seen_slot=seen_slot,
    )
    if window is None:
        position: dict[str, object] = {
            "next_url": page.next_url,
            "phase": Phase.PAGES if page.next_url is not None else last_phase,
        }
    else:
        windows = list(run.checkpoint.windows)
        if split is None:
            windows[window] = windows[window].evolve(next_url=page.next_url, started=True, done=page.next_url is None)
        else:
            # The window was cut where this page left its cursor: its first piece replaces it.
            if split.first_new != len(windows):
                raise StateError(f"window pieces out of order: {split.first_new} after {len(windows)}")
            windows[window] = split.pieces[0]
            windows += split.pieces[1:]
        position = {
            "windows": tuple(windows),
            "phase": last_phase if all(w.done for w in windows) else Phase.PAGES,
            "bounds_inclusive": bounds_inclusive or run.checkpoint.bounds_inclusive,
        }
    checkpoint = run.checkpoint.evolve(
        **position,
        pages=run.checkpoint.pages + 1,
        batch=next_batch,
        pending_fingerprint=None,
        pending_window=None,
        counters=run.checkpoint.counters.add(counters),
    )
    engine.state.checkpoints.stage_save(pipe, engine.tenant, run.catalog, run.slot, checkpoint)
    engine.state.commit(pipe)
    run.checkpoint = checkpoint
    engine.count_products(run.catalog, counters, letters)


def _push_products(
    engine: SyncEngine, run: ActiveRun, prepared: PreparedPage, window: int | None
) -> tuple[BatchResult, int]:
    """Push the changed products; returns the result and the next batch number."""
    checkpoint = run.checkpoint
    pending = checkpoint.pending_fingerprint
    if not prepared.changed:
        # A batch that was in flight under this number may have reached the target: retire it.
        return BatchResult(), checkpoint.batch + (1 if pending else 0)
    number = checkpoint.batch if pending in (None, prepared.fingerprint) else checkpoint.batch + 1
    if pending != prepared.fingerprint or prepared.unknown:
        # Before the push: what may reach the target is known to the diff even if we die now.
        run.checkpoint = checkpoint.evolve(
            batch=number, pending_fingerprint=prepared.fingerprint, pending_window=window
        )
        pipe = engine.state.transaction()
        if len(prepared.unknown_keys) == len(prepared.unknown):  # packed once, at validation
            engine.state.digests.stage_unconfirmed_packed(pipe, engine.tenant, run.catalog, prepared.unknown_keys)
        else:
            engine.state.digests.stage_unconfirmed(pipe, engine.tenant, run.catalog, prepared.unknown)
        engine.state.checkpoints.stage_save(pipe, engine.tenant, run.catalog, run.slot, run.checkpoint)
        engine.state.commit(pipe)
    return engine.apply(run, number, prepared.upserts, ()), number + 1
