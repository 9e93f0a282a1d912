"""Syncing named products (Event Platform events, dead-letter replays).

Each product is fetched by UUID: one the PIM no longer has in the catalog is deleted downstream,
the others go through the same validate -> digest -> push path as pages. These runs are not
checkpointed: a redelivered message simply does the (idempotent) work again.

They also run without the catalog lock, so events never wait behind a long full sync. That is
safe: a full run may later push an older copy of a product an event just pushed, but the product
was updated after that run started, so the next incremental run (from that run's start) pushes it
again; and a product created after a diffing run paged past it is added to that run's seen set,
so the diff never deletes it. The one window left: a product deleted by an event while a run holds
an already fetched page with it is pushed again by that run, and stays downstream until the next
reconciliation deletes it.

A 404 for one product is not proof that it left the catalog: a deleted catalog and a product
hidden by permissions answer the same. Deleting downstream is the one action a merchant cannot
undo, so a batch with missing products first asks for the catalog itself (one call per batch):
only a catalog that exists and is enabled confirms the deletes; otherwise they are deferred
(counted in `deletes_deferred_total`) and the next reconcile, which reads the whole catalog,
decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from akeneo_sync import metrics
from akeneo_sync.akeneo.types import MappedProduct
from akeneo_sync.errors import CatalogDisabledError, CatalogNotFoundError
from akeneo_sync.logging import get_logger
from akeneo_sync.state import Counters, NewDeadLetter
from akeneo_sync.state.digests import is_canonical_uuid
from akeneo_sync.sync.batch import (
    INVALID_PRODUCT,
    apply_batch,
    dead_letters_for,
    letters_by_reason,
    prepare_page,
)
from akeneo_sync.sync.model_follow import place_new_variants
from akeneo_sync.sync.model_resync import resync_models
from akeneo_sync.targets.base import BatchContext

if TYPE_CHECKING:
    from akeneo_sync.sync.engine import SyncEngine

__all__ = ["ReplayReport", "UuidBatchResult", "replay_dead_letters", "sync_uuid_batch"]

_log = get_logger(__name__)
# Product fetches run a few at a time; the client's fleet-wide limiter has the final say.
FETCH_THREADS: Final = 4


@dataclass(frozen=True, slots=True)
class UuidBatchResult:
    """What one batch of named products did."""

    counters: Counters
    failed: frozenset[str]
    dead_letters: dict[str, int]


def sync_uuid_batch(
    engine: SyncEngine, catalog: str, uuids: Sequence[str], *, run_id: str, batch: int, attempt: int = 1
) -> UuidBatchResult:
    """Fetch, push and record one batch of products named by UUID."""
    state, tenant = engine.state, engine.tenant
    wanted = [u for u in dict.fromkeys(uuids) if is_canonical_uuid(u)]
    malformed = [u for u in dict.fromkeys(uuids) if not is_canonical_uuid(u)]
    # In variants mode a known variant is no mapped product: its model is pushed again instead.
    models = state.models.models_of(tenant, catalog, wanted) if engine.options.models else {}
    fetched = _fetch(engine, catalog, [u for u in wanted if u not in models])
    gone = [u for u in fetched if fetched[u] is None]
    doubts = _Doubt(engine, catalog)
    if engine.options.models and gone:
        models |= place_new_variants(engine, catalog, gone)[0]
        gone = [u for u in gone if u not in models]
    if gone and (doubt := doubts.reason()) is not None:
        metrics.DELETES_DEFERRED.labels(reason=doubt).inc(len(gone))
        _log.warning("deletes_deferred", catalog=catalog, products=len(gone), reason=doubt)
        gone = []
    prepared = prepare_page(state, tenant, catalog, [p for p in fetched.values() if p is not None], engine.validator)
    rejected: dict[str, str] = {}
    if prepared.unknown:
        state.commit(state.digests.stage_unconfirmed(state.transaction(), tenant, catalog, prepared.unknown))
    if prepared.changed or gone:
        context = BatchContext(tenant=tenant, catalog=catalog, run_id=run_id, page=batch)
        result = apply_batch(engine.target, context, prepared.upserts, gone)
        rejected = {r.uuid: r.reason for r in result.rejected}
    accepted = {p.uuid: p.digest for p in prepared.changed if p.uuid not in rejected}
    deleted = [u for u in gone if u not in rejected]
    letters = dead_letters_for(
        catalog, run_id, prepared.invalid, rejected, {p.uuid: p.body for p in prepared.changed}, attempt=attempt
    )
    letters.extend(
        NewDeadLetter(catalog, INVALID_PRODUCT, "not a canonical UUID", {"uuid": u}, None, run_id, attempt)
        for u in malformed
    )
    pipe = state.transaction()
    state.digests.stage_set(pipe, tenant, catalog, accepted)
    state.digests.stage_delete(pipe, tenant, catalog, deleted)
    # A full sync or reconciliation in flight may have paged past these products already.
    state.seen.stage_add_if_active(pipe, tenant, catalog, list(accepted))
    for letter in letters:
        state.dead_letters.stage_add(pipe, tenant, letter)
    state.commit(pipe)
    by_reason = letters_by_reason(letters)
    failed = frozenset(rejected) | {bad.uuid for bad in prepared.invalid if bad.uuid} | set(malformed)
    counters = Counters(upserted=len(accepted), skipped=prepared.skipped, deleted=len(deleted), failed=len(letters))
    if models:
        resynced = resync_models(
            engine,
            catalog,
            sorted(set(models.values())),
            run_id=run_id,
            batch=batch,
            may_delete=lambda: doubts.reason() is None,
        )
        counters = counters.add(resynced.counters)
        for reason, count in resynced.dead_letters.items():
            by_reason[reason] = by_reason.get(reason, 0) + count
    return UuidBatchResult(counters, frozenset(failed), by_reason)


class _Doubt:
    """Asks the catalog at most once per batch whether it vouches for what went missing."""

    def __init__(self, engine: SyncEngine, catalog: str) -> None:
        self._engine = engine
        self._catalog = catalog
        self._asked = False
        self._reason: str | None = None

    def reason(self) -> str | None:
        if not self._asked:
            self._reason = _catalog_doubt(self._engine, self._catalog)
            self._asked = True
        return self._reason


def _catalog_doubt(engine: SyncEngine, catalog: str) -> str | None:
    """Why the catalog cannot vouch for its missing products (None: it exists and is enabled)."""
    try:
        info = engine.source.get_catalog(catalog)
    except CatalogNotFoundError:
        return "catalog_not_found"
    except CatalogDisabledError:
        return "catalog_disabled"
    return None if info.enabled else "catalog_disabled"


def _fetch(engine: SyncEngine, catalog: str, uuids: Sequence[str]) -> dict[str, MappedProduct | None]:
    if len(uuids) <= 1:
        return {u: engine.source.get_mapped_product(catalog, u) for u in uuids}
    with ThreadPoolExecutor(max_workers=min(FETCH_THREADS, len(uuids)), thread_name_prefix="uuid-fetch") as pool:
        products = pool.map(lambda u: engine.source.get_mapped_product(catalog, u), uuids)
        return dict(zip(uuids, products, strict=True))


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """What a dead-letter replay did."""

    replayed: int
    failed_again: int
    kept: int


def replay_dead_letters(engine: SyncEngine, catalog_id: str | None = None, *, limit: int = 1000) -> ReplayReport:
    """Sync again the products behind dead letters; a letter is deleted once its product went through.

    A product that fails again gets a new letter (attempt + 1) in place of the old one; letters
    without a UUID (malformed payloads) cannot be fetched again and stay.
    """
    replayed = failed = kept = 0
    for letter in engine.state.dead_letters.list(engine.tenant, count=limit, catalog=catalog_id):
        if letter.uuid is None:
            kept += 1
            continue
        # Unindexed first: a product that fails again (even the same way) gets its new letter.
        engine.state.dead_letters.unindex(engine.tenant, letter)
        result = sync_uuid_batch(
            engine, letter.catalog, [letter.uuid], run_id=engine.new_run_id(), batch=0, attempt=letter.attempt + 1
        )
        engine.count_products(letter.catalog, result.counters, result.dead_letters)
        engine.state.dead_letters.delete(engine.tenant, letter.id, unindex=False)
        if letter.uuid in result.failed:
            failed += 1
        else:
            replayed += 1
    return ReplayReport(replayed=replayed, failed_again=failed, kept=kept)
