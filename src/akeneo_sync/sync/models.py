"""Product models with their variants: the `MODELS` phase of a catalog in variants mode.

In variants mode (a mapping schema with `code`, `variation_axes` and `variants`) mapped-products
serves simple products only; models come from mapped-models, each with its variants from its
own endpoint. A model is one unit downstream: pushed with its whole variant set (the target
replaces the set), digested whole, skipped when unchanged, deleted by code.

- A full run (and a refresh) pages every model, then deletes downstream the models it did not
  see. A reconcile pages the model codes only, for that diff.
- An incremental run pages the models whose own `updated` moved, then re-pushes the models of
  every variant whose `updated` moved (a variant's date includes its models' dates, a model's
  does not include its variants'), then compares the catalog's model codes and variant UUIDs with
  what the target holds, so a deleted model or variant leaves within the run. A new variant whose
  model is unknown (under a sub-model) asks for a refresh.

Pages of models are checkpointed like pages of products (the models list's `next_url`, the
batch in flight under its idempotency key); the incremental's last two steps are idempotent and
run again after a kill.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from akeneo_sync.akeneo.types import MappedModel, MappedModelItem, MappedVariant, Page
from akeneo_sync.clock import to_utc_datetime
from akeneo_sync.logging import get_logger
from akeneo_sync.state import Counters, NewDeadLetter, Phase, RunMode
from akeneo_sync.state.digests import is_canonical_uuid
from akeneo_sync.state.models import ModelRecord
from akeneo_sync.sync.batch import INVALID_PRODUCT, TARGET_REJECTED, letters_by_reason
from akeneo_sync.sync.digest import batch_fingerprint, canonical_json, digest_bytes
from akeneo_sync.sync.run import ActiveRun
from akeneo_sync.targets.base import BatchContext

if TYPE_CHECKING:
    from akeneo_sync.sync.engine import SyncEngine

__all__ = ["ModelResync", "model_digest", "page_models", "resync_models"]

_log = get_logger(__name__)

# A model the target refused keeps this digest: its variants stay indexed (the drift probe must
# not take them for products that entered the selection) and the next run pushes it again.
REJECTED: Final = "rejected"


def model_digest(model: MappedModel) -> str:
    """The digest of a model with its whole variant set, as pushed."""
    return digest_bytes(canonical_json(model.item())).hex()


@dataclass(frozen=True, slots=True)
class _Units:
    models: tuple[MappedModel, ...]
    invalid: tuple[NewDeadLetter, ...]
    gone: tuple[str, ...]  # listed, but their variants answered 404: the model left meanwhile
    # Models refused as invalid, with the UUIDs of their variants: indexed like refused ones.
    refused: tuple[tuple[str, tuple[str, ...]], ...] = ()


def page_models(engine: SyncEngine, run: ActiveRun) -> None:
    """Drive the MODELS phase of `run` to its end (next phase: DIFF for diffing runs, else FINISH)."""
    mode = run.checkpoint.mode
    after = run.checkpoint.updated_after if mode is RunMode.INCREMENTAL else None
    while run.checkpoint.phase is Phase.MODELS:
        page = engine.source.mapped_models_page(
            run.catalog,
            next_url=run.checkpoint.next_url,
            updated_after=None if after is None else to_utc_datetime(after),
            limit=engine.options.page_size,
        )
        run.pages_fetched += 1
        last = page.next_url is None
        if mode is RunMode.RECONCILE:
            codes = [code for item in page.items if isinstance(code := item.get("code"), str) and code]
            _record_codes(engine, run, codes, page.next_url)
        else:
            units = _assemble(engine, run.catalog, page.items)
            position: dict[str, object] = {"next_url": page.next_url}
            if last and mode is not RunMode.INCREMENTAL:
                position["phase"] = Phase.DIFF
            # An incremental run stays in this phase for its last steps, which a resumed run
            # makes again (they are idempotent) after paging the changed models once more.
            _push(engine, run, units, seen=mode is RunMode.FULL, position=position, page=True)
        if last and mode is RunMode.INCREMENTAL:
            _follow_variants(engine, run, after)
            _finish_phase(engine, run)
        if not last:
            engine.between_pages(run)


def _next_phase(mode: RunMode) -> Phase:
    return Phase.FINISH if mode is RunMode.INCREMENTAL else Phase.DIFF


def _assemble(engine: SyncEngine, catalog: str, items: Sequence[MappedModelItem]) -> _Units:
    """Each listed model with every page of its variants (fetched by several cursors at once)."""
    invalid: list[NewDeadLetter] = []
    wanted: list[MappedModelItem] = []
    for item in items:
        code = item.get("code") if isinstance(item, dict) else None
        if not isinstance(code, str) or not code:
            invalid.append(NewDeadLetter(catalog, INVALID_PRODUCT, "model without a string code", item))
            continue
        wanted.append(item)

    def variants_of(item: MappedModelItem) -> list[MappedVariant] | None:
        inline = item.get("variants")
        if isinstance(inline, list):
            return [v for v in inline if isinstance(v, dict)]
        return fetch_variants(engine, catalog, str(item["code"]))

    with ThreadPoolExecutor(max_workers=max(1, engine.options.cursors)) as pool:
        fetched = list(pool.map(variants_of, wanted))
    models: list[MappedModel] = []
    gone: list[str] = []
    refused: list[tuple[str, tuple[str, ...]]] = []
    for item, variants in zip(wanted, fetched, strict=True):
        if variants is None:
            gone.append(str(item["code"]))
            continue
        bad = [v for v in variants if not isinstance(v.get("uuid"), str) or not is_canonical_uuid(v["uuid"])]
        model = MappedModel.assemble(item, variants)
        if bad or model is None:
            uuids = tuple(u for v in variants if isinstance(u := v.get("uuid"), str) and is_canonical_uuid(u))
            refused.append((str(item["code"]), uuids))
            invalid.append(
                NewDeadLetter(
                    catalog, INVALID_PRODUCT, f"model {item['code']}: a variant without a canonical uuid", item
                )
            )
            continue
        models.append(model)
    return _Units(tuple(models), tuple(invalid), tuple(gone), tuple(refused))


def fetch_variants(engine: SyncEngine, catalog: str, code: str) -> list[MappedVariant] | None:
    """Every variant of a model, following `next`; None when the PIM no longer has the model."""
    variants: list[MappedVariant] = []
    url: str | None = None
    while True:
        page: Page[MappedVariant] | None = engine.source.model_variants_page(
            catalog, code, next_url=url, limit=engine.options.page_size
        )
        if page is None:
            return None
        variants.extend(v for v in page.items if isinstance(v, dict))
        if page.next_url is None:
            return variants
        url = page.next_url


def _push(
    engine: SyncEngine, run: ActiveRun, units: _Units, *, seen: bool, position: dict[str, object], page: bool
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
    records = {
        m.code: ModelRecord(
            REJECTED if m.code in rejected else digests[m.code],
            tuple(str(v["uuid"]) for v in m.variants),
            dict(m.targets),
        )
        for m in changed
    }
    records.update((code, ModelRecord(REJECTED, uuids)) for code, uuids in units.refused)
    previous.update(state.models.get(tenant, catalog, [code for code, _ in units.refused]))
    letters = [
        *units.invalid,
        *(
            NewDeadLetter(catalog, TARGET_REJECTED, f"model {code}: {reason}", {"code": code}, None, checkpoint.run_id)
            for code, reason in rejected.items()
        ),
    ]
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


def _record_codes(engine: SyncEngine, run: ActiveRun, codes: Sequence[str], next_url: str | None) -> None:
    """A reconcile's page of model codes: seen, for the diff."""
    state = engine.state
    position = {"next_url": next_url} if next_url is not None else {"next_url": None, "phase": Phase.DIFF}
    pipe = state.transaction()
    state.models.stage_seen(pipe, engine.tenant, run.catalog, run.slot.value, codes)
    updated = run.checkpoint.evolve(**position, pages=run.checkpoint.pages + 1)
    state.checkpoints.stage_save(pipe, engine.tenant, run.catalog, run.slot, updated)
    state.commit(pipe)
    run.checkpoint = updated


def _follow_variants(engine: SyncEngine, run: ActiveRun, after: float | None) -> None:
    """An incremental run's second step: the models of changed variants, and what left the catalog."""
    state, tenant, catalog = engine.state, engine.tenant, run.catalog
    changed = _all_uuids(engine, catalog, after)
    listed = set(_all_uuids(engine, catalog, None)) if after is not None else set(changed)
    owners = state.models.models_of(tenant, catalog, changed)
    codes = set(owners.values())
    unknown = [u for u in changed if u not in owners]
    placed, orphans = place_new_variants(engine, catalog, unknown)
    codes.update(placed.values())
    all_codes = _all_codes(engine, catalog)
    known_codes = state.models.codes(tenant, catalog)
    vanished_models = sorted(known_codes - set(all_codes))
    records = state.models.get(tenant, catalog, sorted(known_codes & set(all_codes)))
    for code, record in records.items():
        if any(u not in listed for u in record.variants):
            codes.add(code)  # a variant left: the model goes out again with the rest of its set
    codes -= set(vanished_models)
    if codes:
        _resync(engine, run, sorted(codes), records)
    if vanished_models:
        delete_models(engine, run, vanished_models)
    if orphans:
        run.refresh = run.refresh or "drift"
        _log.info("variants_without_known_model", tenant=tenant, catalog=catalog, variants=orphans)


def place_new_variants(engine: SyncEngine, catalog: str, uuids: Sequence[str]) -> tuple[dict[str, str], int]:
    """Variant UUID -> model code for those of `uuids` that are variants of a known model, and how many
    variants are under a model the target does not hold (a sub-model, or a model not pushed yet).

    A variant created since its model was pushed is in no index: its `parent` tells, one call per
    product that is neither a known simple product nor dead-lettered.
    """
    state, tenant = engine.state, engine.tenant
    products = state.digests.get_many(tenant, catalog, list(uuids))
    held = state.dead_letters.held(tenant, catalog, list(uuids))
    parents: dict[str, str] = {}
    for uuid in (u for u in uuids if u not in products and u not in held):
        product = engine.source.get_product(catalog, uuid)
        parent = product.get("parent") if product else None
        if isinstance(parent, str) and parent:
            parents[uuid] = parent  # no parent: a simple product, which the products phase had
    known = state.models.get(tenant, catalog, sorted(set(parents.values())))
    placed = {uuid: code for uuid, code in parents.items() if code in known}
    return placed, len(parents) - len(placed)


def _resync(engine: SyncEngine, run: ActiveRun, codes: Sequence[str], known: dict[str, ModelRecord]) -> None:
    """Push these models again with their current variants and their last model-level targets."""
    records = dict(known)
    missing = [code for code in codes if code not in records]
    records.update(engine.state.models.get(engine.tenant, run.catalog, missing))
    # A model never accepted whole has no model-level targets on record: only a full read has them.
    unknown_targets = [c for c in codes if c in records and records[c].digest == REJECTED and not records[c].targets]
    if unknown_targets:
        run.refresh = run.refresh or "drift"
    items = [{"code": c, **records[c].targets} for c in codes if c in records and c not in unknown_targets]
    for start in range(0, len(items), engine.options.page_size):
        units = _assemble(engine, run.catalog, items[start : start + engine.options.page_size])
        _push(engine, run, units, seen=False, position={}, page=False)


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
    units = _assemble(engine, catalog, [{"code": code, **record.targets} for code, record in records.items()])
    gone = list(units.gone) if units.gone and may_delete() else []
    digests = {m.code: model_digest(m) for m in units.models}
    changed = [m for m in units.models if records[m.code].digest != digests[m.code]]
    rejected: dict[str, str] = {}
    if changed or gone:
        context = BatchContext(tenant=tenant, catalog=catalog, run_id=run_id, page=batch)
        result = engine.target.apply_models(context, changed, model_deletes=gone)
        rejected = {r.code: r.reason for r in result.rejected}
    put = {
        m.code: ModelRecord(
            REJECTED if m.code in rejected else digests[m.code],
            tuple(str(v["uuid"]) for v in m.variants),
            dict(m.targets),
        )
        for m in changed
    }
    deleted = {code: records[code] for code in gone if code not in rejected}
    letters = [
        *units.invalid,
        *(
            NewDeadLetter(catalog, TARGET_REJECTED, f"model {code}: {reason}", {"code": code}, None, run_id)
            for code, reason in rejected.items()
        ),
    ]
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


def _all_uuids(engine: SyncEngine, catalog: str, after: float | None) -> list[str]:
    uuids: list[str] = []
    url: str | None = None
    while True:
        page = engine.source.product_uuids_page(
            catalog,
            next_url=url,
            updated_after=None if after is None else to_utc_datetime(after),
            limit=engine.options.uuid_page_size,
        )
        uuids.extend(u for u in page.items if isinstance(u, str) and is_canonical_uuid(u))
        if page.next_url is None:
            return uuids
        url = page.next_url


def _all_codes(engine: SyncEngine, catalog: str) -> list[str]:
    codes: list[str] = []
    url: str | None = None
    while True:
        page = engine.source.mapped_models_page(catalog, next_url=url, limit=engine.options.page_size)
        codes.extend(code for item in page.items if isinstance(code := item.get("code"), str) and code)
        if page.next_url is None:
            return codes
        url = page.next_url


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
        letters = [
            NewDeadLetter(
                catalog, TARGET_REJECTED, f"model {code}: {reason}", {"code": code}, None, run.checkpoint.run_id
            )
            for code, reason in rejected.items()
        ]
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


def _finish_phase(engine: SyncEngine, run: ActiveRun) -> None:
    run.checkpoint = run.checkpoint.evolve(phase=_next_phase(run.checkpoint.mode), next_url=None)
    engine.state.checkpoints.save(engine.tenant, run.catalog, run.slot, run.checkpoint)
