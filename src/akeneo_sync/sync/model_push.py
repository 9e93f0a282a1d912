"""Writing models downstream inside a checkpointed run: a page of units, a page of seen codes, deletes.

Each step pushes to the target first, then records digests, seen codes, dead letters and the
run's checkpoint in one Redis transaction, as pages of products are (checkpoint after push).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from akeneo_sync.state import Counters, Phase
from akeneo_sync.state.models import ModelRecord
from akeneo_sync.sync.batch import letters_by_reason
from akeneo_sync.sync.digest import batch_fingerprint
from akeneo_sync.sync.model_units import REJECTED, ModelUnits, model_digest, model_records, rejected_letters
from akeneo_sync.sync.run import ActiveRun
from akeneo_sync.targets.base import BatchContext

if TYPE_CHECKING:
    from akeneo_sync.sync.engine import SyncEngine

__all__ = ["delete_models", "diff_models", "push_units", "record_codes"]


def push_units(
    engine: SyncEngine, run: ActiveRun, units: ModelUnits, *, seen: bool, position: dict[str, object], page: bool
) -> None:
    """Push the changed models of one page, then record digests, seen codes, letters and the checkpoint."""
    state, tenant, catalog = engine.state, engine.tenant, run.catalog
    codes = [m.code for m in units.models]
    previous = state.models.get(tenant, catalog, codes)
    digests = {m.code: model_digest(m) for m in units.models}
    changed = [m for m in units.models if (old := previous.get(m.code)) is None or old.digest != digests[m.code]]
    checkpoint = run.checkpoint
    pending = checkpoint.pending_fingerprint
    rejected: dict[str, str] = {}
    number = checkpoint.batch + (1 if pending else 0)
    if changed:
        fingerprint = batch_fingerprint((m.code, bytes.fromhex(digests[m.code])) for m in changed)
        number = checkpoint.batch if pending in (None, fingerprint) else checkpoint.batch + 1
        if pending != fingerprint:
            # Saved before the push: a resumed run re-sends this batch under the same key.
            run.checkpoint = checkpoint.evolve(batch=number, pending_fingerprint=fingerprint)
            state.checkpoints.save(tenant, catalog, run.slot, run.checkpoint)
        batch = BatchContext(tenant=tenant, catalog=catalog, run_id=checkpoint.run_id, page=number)
        result = engine.target.apply_models(batch, changed)
        rejected = {r.code: r.reason for r in result.rejected}
        number += 1
    records = model_records(changed, digests, rejected)
    records.update((code, ModelRecord(REJECTED, uuids)) for code, uuids in units.refused)
    previous.update(state.models.get(tenant, catalog, [code for code, _ in units.refused]))
    letters = [*units.invalid, *rejected_letters(catalog, rejected, checkpoint.run_id)]
    counters = Counters(
        upserted=len(changed) - len(rejected), skipped=len(units.models) - len(changed), failed=len(letters)
    )
    pipe = state.transaction()
    state.models.stage_put(pipe, tenant, catalog, records, previous)
    if seen:
        state.models.stage_seen(pipe, tenant, catalog, run.slot.value, codes)
    for letter in letters:
        state.dead_letters.stage_add(pipe, tenant, letter)
    updated = run.checkpoint.evolve(
        **position,
        pages=run.checkpoint.pages + int(page),
        batch=number,
        pending_fingerprint=None,
        counters=run.checkpoint.counters.add(counters),
    )
    state.checkpoints.stage_save(pipe, tenant, catalog, run.slot, updated)
    state.commit(pipe)
    run.checkpoint = updated
    engine.count_products(catalog, counters, letters_by_reason(letters))


def record_codes(engine: SyncEngine, run: ActiveRun, codes: Sequence[str], next_url: str | None) -> None:
    """A reconcile's page of model codes: seen, for the diff."""
    state = engine.state
    position = {"next_url": next_url} if next_url is not None else {"next_url": None, "phase": Phase.DIFF}
    pipe = state.transaction()
    state.models.stage_seen(pipe, engine.tenant, run.catalog, run.slot.value, codes)
    updated = run.checkpoint.evolve(**position, pages=run.checkpoint.pages + 1)
    state.checkpoints.stage_save(pipe, engine.tenant, run.catalog, run.slot, updated)
    state.commit(pipe)
    run.checkpoint = updated


def delete_models(engine: SyncEngine, run: ActiveRun, codes: Sequence[str]) -> None:
    """Delete these models (and their variants) downstream, in batches of `diff_chunk`."""
    state, tenant, catalog = engine.state, engine.tenant, run.catalog
    size = engine.options.diff_chunk
    for start in range(0, len(codes), size):
        chunk = list(codes[start : start + size])
        previous = state.models.get(tenant, catalog, chunk)
        batch = BatchContext(tenant=tenant, catalog=catalog, run_id=run.checkpoint.run_id, page=run.checkpoint.batch)
        result = engine.target.apply_models(batch, (), model_deletes=chunk)
        rejected = {r.code: r.reason for r in result.rejected}
        done = {code: record for code, record in previous.items() if code not in rejected}
        letters = rejected_letters(catalog, rejected, run.checkpoint.run_id)
        pipe = state.transaction()
        state.models.stage_delete(pipe, tenant, catalog, done)
        for letter in letters:
            state.dead_letters.stage_add(pipe, tenant, letter)
        counters = Counters(deleted=len(done), failed=len(letters))
        updated = run.checkpoint.evolve(batch=run.checkpoint.batch + 1, counters=run.checkpoint.counters.add(counters))
        state.checkpoints.stage_save(pipe, tenant, catalog, run.slot, updated)
        state.commit(pipe)
        run.checkpoint = updated
        engine.count_products(catalog, counters, letters_by_reason(letters))


def diff_models(engine: SyncEngine, run: ActiveRun) -> None:
    """A diffing run's end in variants mode: delete downstream the models it did not see."""
    for unseen in engine.state.models.unseen(
        engine.tenant, run.catalog, run.slot.value, chunk=engine.options.diff_chunk
    ):
        delete_models(engine, run, unseen)
        engine.between_pages(run)
