"""An incremental run's last steps in variants mode: the models of changed variants, and what left.

A variant's `updated` includes its models' dates, a model's does not include its variants': the
models whose own date moved were paged already; this step re-pushes the models of every variant
whose date moved, then compares the catalog's model codes and variant UUIDs with what the target
holds, so a deleted model or variant leaves within the run. Both steps are idempotent: a resumed
run makes them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from akeneo_sync.akeneo.types import follow_pages
from akeneo_sync.clock import to_utc_datetime
from akeneo_sync.logging import get_logger
from akeneo_sync.state.digests import is_canonical_uuid
from akeneo_sync.state.models import ModelRecord
from akeneo_sync.sync.model_push import delete_models, push_units
from akeneo_sync.sync.model_units import REJECTED, assemble, model_codes
from akeneo_sync.sync.run import ActiveRun

if TYPE_CHECKING:
    from akeneo_sync.sync.engine import SyncEngine

__all__ = ["follow_variants", "place_new_variants"]

_log = get_logger(__name__)


def follow_variants(engine: SyncEngine, run: ActiveRun, after: float | None) -> None:
    """The models of changed variants pushed again, and the models and variants that left deleted."""
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
        units = assemble(engine, run.catalog, items[start : start + engine.options.page_size])
        push_units(engine, run, units, seen=False, position={}, page=False)


def _all_uuids(engine: SyncEngine, catalog: str, after: float | None) -> list[str]:
    updated_after = None if after is None else to_utc_datetime(after)
    pages = follow_pages(
        lambda url: engine.source.product_uuids_page(
            catalog, next_url=url, updated_after=updated_after, limit=engine.options.uuid_page_size
        )
    )
    return [u for u in pages if isinstance(u, str) and is_canonical_uuid(u)]


def _all_codes(engine: SyncEngine, catalog: str) -> list[str]:
    return model_codes(
        follow_pages(
            lambda url: engine.source.mapped_models_page(catalog, next_url=url, limit=engine.options.page_size)
        )
    )
