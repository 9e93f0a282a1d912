"""The deletion diff: what a diffing run (full, reconcile) saw against what the target holds.

A reconcile pages only product UUIDs into the run's seen set; then every known product the run
did not see is deleted downstream, chunk by chunk, each chunk saved in the checkpoint before it is
pushed so a resumed run re-sends exactly that batch under its key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from akeneo_sync.akeneo.types import Page
from akeneo_sync.state import Counters, NewDeadLetter, Phase, RunMode
from akeneo_sync.state.digests import is_canonical_uuid
from akeneo_sync.sync.batch import TARGET_REJECTED, dead_letters_for
from akeneo_sync.sync.pages import PagePrefetcher
from akeneo_sync.sync.run import ActiveRun

if TYPE_CHECKING:
    from akeneo_sync.sync.engine import SyncEngine

__all__ = ["delete_batch", "diff_deletes", "page_uuids"]


def page_uuids(engine: SyncEngine, run: ActiveRun) -> None:
    def fetch(url: str | None) -> Page[str]:
        return engine.source.product_uuids_page(run.catalog, next_url=url, limit=engine.options.uuid_page_size)

    with PagePrefetcher(fetch, run.checkpoint.next_url, prefetch=engine.options.prefetch) as pages:
        for page in pages:
            run.pages_fetched += 1
            pipe = engine.state.transaction()
            engine.state.seen.stage_add(pipe, engine.tenant, run.catalog, run.slot, _canonical(page.items))
            checkpoint = run.checkpoint.evolve(
                next_url=page.next_url,
                phase=Phase.PAGES if page.next_url is not None else engine.after_pages(RunMode.RECONCILE),
                pages=run.checkpoint.pages + 1,
            )
            engine.state.checkpoints.stage_save(pipe, engine.tenant, run.catalog, run.slot, checkpoint)
            engine.state.commit(pipe)
            run.checkpoint = checkpoint
            if page.next_url is not None:
                engine.between_pages(run)


def diff_deletes(engine: SyncEngine, run: ActiveRun) -> None:
    """Delete downstream every known product the run did not see, chunk by chunk."""
    if run.checkpoint.pending_deletes:
        delete_batch(engine, run, list(run.checkpoint.pending_deletes))
    size = engine.options.diff_chunk
    for unseen in engine.state.unseen.scan(engine.tenant, run.catalog, run.slot, chunk=engine.options.diff_scan):
        for start in range(0, len(unseen), size):
            batch = unseen[start : start + size]
            # Saved before the push, so a resumed run re-sends exactly this batch under its key.
            run.checkpoint = run.checkpoint.evolve(pending_deletes=tuple(batch))
            engine.state.checkpoints.save(engine.tenant, run.catalog, run.slot, run.checkpoint)
            delete_batch(engine, run, batch)
            engine.between_pages(run)


def delete_batch(engine: SyncEngine, run: ActiveRun, uuids: Sequence[str]) -> None:
    result = engine.apply(run, run.checkpoint.batch, (), uuids)
    rejected = {r.uuid: r.reason for r in result.rejected}
    deleted = [u for u in uuids if u not in rejected]
    pipe = engine.state.transaction()
    engine.state.digests.stage_delete(pipe, engine.tenant, run.catalog, deleted)
    letters = _rejection_letters(run, rejected)
    for letter in letters:
        engine.state.dead_letters.stage_add(pipe, engine.tenant, letter)
    counters = Counters(deleted=len(deleted), failed=len(rejected))
    checkpoint = run.checkpoint.evolve(
        batch=run.checkpoint.batch + 1, pending_deletes=(), counters=run.checkpoint.counters.add(counters)
    )
    engine.state.checkpoints.stage_save(pipe, engine.tenant, run.catalog, run.slot, checkpoint)
    engine.state.commit(pipe)
    run.checkpoint = checkpoint
    engine.count_products(run.catalog, counters, {TARGET_REJECTED: len(rejected)} if rejected else {})


def _canonical(uuids: Iterable[str]) -> list[str]:
    # Only canonical UUIDs can be in the digest set, so only they matter to the diff.
    return [u for u in uuids if isinstance(u, str) and is_canonical_uuid(u)]


def _rejection_letters(run: ActiveRun, rejected: dict[str, str]) -> list[NewDeadLetter]:
    return dead_letters_for(run.catalog, run.checkpoint.run_id, (), rejected, {})
