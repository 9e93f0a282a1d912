"""Known models pushed again outside any checkpointed run: the by-UUID path of a variant's event."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from akeneo_sync.state import Counters
from akeneo_sync.sync.batch import letters_by_reason
from akeneo_sync.sync.model_units import assemble, model_digest, model_records, rejected_letters
from akeneo_sync.targets.base import BatchContext

if TYPE_CHECKING:
    from akeneo_sync.sync.engine import SyncEngine

__all__ = ["ModelResync", "resync_models"]


@dataclass(frozen=True, slots=True)
class ModelResync:
    """What `resync_models` did: counters (models, not products) and dead letters by reason."""

    counters: Counters
    dead_letters: dict[str, int]


def resync_models(
    engine: SyncEngine,
    catalog: str,
    codes: Sequence[str],
    *,
    run_id: str,
    batch: int,
    may_delete: Callable[[], bool],
) -> ModelResync:
    """Push known models again with their current variants, outside any checkpointed run (events).

    A variant's event names a product, and a variant is no mapped product: its model goes out
    again whole, with its last model-level targets (Akeneo serves no single mapped model). A model
    whose variants now answer 404 left the catalog; it is deleted downstream only if `may_delete`
    (the catalog vouches for it, as for products). One target batch under `run_id`/`batch`: callers
    pass at most a by-UUID batch's worth of codes.
    """
    state, tenant = engine.state, engine.tenant
    records = state.models.get(tenant, catalog, sorted(set(codes)))
    if not records:
        return ModelResync(Counters(), {})
    units = assemble(engine, catalog, [{"code": code, **record.targets} for code, record in records.items()])
    gone = list(units.gone) if units.gone and may_delete() else []
    digests = {m.code: model_digest(m) for m in units.models}
    changed = [m for m in units.models if records[m.code].digest != digests[m.code]]
    rejected: dict[str, str] = {}
    if changed or gone:
        context = BatchContext(tenant=tenant, catalog=catalog, run_id=run_id, page=batch)
        result = engine.target.apply_models(context, changed, model_deletes=gone)
        rejected = {r.code: r.reason for r in result.rejected}
    put = model_records(changed, digests, rejected)
    deleted = {code: records[code] for code in gone if code not in rejected}
    letters = [*units.invalid, *rejected_letters(catalog, rejected, run_id)]
    pipe = state.transaction()
    state.models.stage_put(pipe, tenant, catalog, put, records)
    state.models.stage_delete(pipe, tenant, catalog, deleted)
    for letter in letters:
        state.dead_letters.stage_add(pipe, tenant, letter)
    state.commit(pipe)
    counters = Counters(
        upserted=len([m for m in changed if m.code not in rejected]),
        skipped=len(units.models) - len(changed),
        deleted=len(deleted),
        failed=len(letters),
    )
    return ModelResync(counters, letters_by_reason(letters))
