"""Removing a deleted catalog from the target once its grace period is over.

A catalog deleted in the PIM sends no product events, and a deleted catalog cannot be read any
more, so its rows would stay downstream for ever. Its products are the ones the app knows (the
digest set, including products staged before a push that may have reached the target): they are
deleted downstream in batches, each batch forgotten only after the target applied it, so a worker
killed mid-purge resumes with what is left and deletes nothing twice that matters (deletes are
idempotent). The catalog's runs, seen sets and dead letters go with it, and the record stays,
marked `purged`, so polls and status pages still say what happened.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from akeneo_sync.state import CatalogStatus, Slot, StateStore
from akeneo_sync.sync.batch import apply_batch
from akeneo_sync.targets.base import BatchContext, Target

__all__ = ["PURGE_BATCH", "PurgeReport", "purge_catalog"]

PURGE_BATCH: Final = 500
_LETTERS_PER_READ: Final = 1000


@dataclass(frozen=True, slots=True)
class PurgeReport:
    """What a purge removed: products deleted downstream and dead letters dropped."""

    deleted: int
    dead_letters: int
    finished: bool


def _never() -> bool:
    return False


def purge_catalog(
    state: StateStore,
    target: Target,
    tenant: str,
    catalog: str,
    *,
    batch_size: int = PURGE_BATCH,
    should_stop: Callable[[], bool] = _never,
) -> PurgeReport:
    """Delete every known product of the catalog downstream, then forget the catalog's state."""
    run_id = f"purge-{uuid.uuid4().hex}"
    deleted = 0
    for page, uuids in enumerate(state.digests.scan(tenant, catalog, chunk=batch_size)):
        if should_stop():
            return PurgeReport(deleted=deleted, dead_letters=0, finished=False)
        # HSCAN may return a UUID twice; a delete of a missing row is a no-op downstream.
        apply_batch(target, BatchContext(tenant=tenant, catalog=catalog, run_id=run_id, page=page), [], uuids)
        state.commit(state.digests.stage_delete(state.transaction(), tenant, catalog, uuids))
        deleted += len(uuids)
    letters = 0
    while batch := state.dead_letters.list(tenant, count=_LETTERS_PER_READ, catalog=catalog):
        for letter in batch:
            letters += int(state.dead_letters.delete(tenant, letter.id))
        if len(batch) < _LETTERS_PER_READ:
            break
    pipe = state.transaction()
    for slot in Slot:
        state.checkpoints.stage_clear(pipe, tenant, catalog, slot)
        state.seen.stage_drop(pipe, tenant, catalog, slot)
    state.catalogs.stage_status(pipe, tenant, catalog, CatalogStatus.PURGED, enabled=False)
    state.commit(pipe)
    return PurgeReport(deleted=deleted, dead_letters=letters, finished=True)
