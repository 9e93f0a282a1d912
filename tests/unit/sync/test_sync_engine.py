"""The engine's full, incremental and reconcile runs against an in-memory catalog and target."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import REGISTRY
from structlog.testing import capture_logs
from sync_fakes import CATALOG, TENANT, DictTarget, MemorySource, product_uuid

from akeneo_sync.clock import ManualClock
from akeneo_sync.state import CatalogStatus, RunMode, Slot, StateStore
from akeneo_sync.sync.engine import RunControl, SyncEngine
from akeneo_sync.sync.summary import Outcome


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_a_full_sync_mirrors_the_catalog_exactly(
    engine: SyncEngine, source: MemorySource, target: DictTarget, state: StateStore, clock: ManualClock
) -> None:
    started = clock.now()
    summary = engine.full_sync(CATALOG)

    assert summary.outcome is Outcome.SUCCESS
    assert target.products == source.products
    assert (summary.counters.upserted, summary.pages, len(target.batches)) == (250, 3, 3)
    record = state.catalogs.require(TENANT, CATALOG)
    assert (record.status, record.watermark, record.last_outcome) == (CatalogStatus.IDLE, started, "success")
    assert state.checkpoints.load(TENANT, CATALOG, Slot.SYNC) is None
    assert state.digests.count(TENANT, CATALOG) == 250


def test_a_second_full_sync_skips_every_unchanged_product(
    engine: SyncEngine, target: DictTarget, source: MemorySource
) -> None:
    engine.full_sync(CATALOG)
    pushed = len(target.batches)

    summary = engine.full_sync(CATALOG)

    assert (summary.counters.skipped, summary.counters.upserted) == (250, 0)
    assert len(target.batches) == pushed
    assert target.products == source.products


def test_an_incremental_sync_pushes_exactly_the_changed_products(
    engine: SyncEngine, source: MemorySource, target: DictTarget, clock: ManualClock
) -> None:
    engine.full_sync(CATALOG)
    clock.advance(3600)
    changed = {source.put(7, price=-1), source.put(42, price=-2), source.put(250, price=0)}
    first = len(target.batches)

    summary = engine.incremental_sync(CATALOG)

    assert {u for _, upserts, _ in target.batches[first:] for u in upserts} == changed
    assert (summary.mode, summary.counters.upserted, summary.counters.skipped) == (RunMode.INCREMENTAL, 3, 0)
    assert target.products == source.products


def test_products_inside_the_overlap_window_are_refetched_but_skipped_by_digest(
    make_engine: Callable[..., SyncEngine], source: MemorySource, target: DictTarget, clock: ManualClock
) -> None:
    engine = make_engine(overlap_s=10_000)
    engine.full_sync(CATALOG)
    clock.advance(60)
    source.put(3, price=99)

    summary = engine.incremental_sync(CATALOG)

    assert (summary.counters.upserted, summary.counters.skipped) == (1, 250 - 1)
    assert target.batches[-1][1] == [product_uuid(3)]


def test_the_watermark_is_the_start_of_the_run_so_changes_during_it_are_not_lost(
    engine: SyncEngine, source: MemorySource, target: DictTarget, state: StateStore, clock: ManualClock
) -> None:
    started = clock.now()

    def change_during_push(call: int, _batch: object) -> None:
        if call == 2:
            clock.advance(5)
            source.put(0, price="changed mid-run")  # page 1 was already pushed

    target.after_apply = change_during_push
    engine.full_sync(CATALOG)
    target.after_apply = None
    assert state.catalogs.require(TENANT, CATALOG).watermark == started

    engine.incremental_sync(CATALOG)

    assert target.products[product_uuid(0)]["price"] == "changed mid-run"


def test_an_incremental_sync_without_a_watermark_runs_a_full_sync(
    engine: SyncEngine, source: MemorySource, target: DictTarget
) -> None:
    summary = engine.incremental_sync(CATALOG)

    assert summary.mode is RunMode.FULL
    assert target.products == source.products


def test_a_full_sync_deletes_products_that_left_the_catalog(
    engine: SyncEngine, source: MemorySource, target: DictTarget, state: StateStore
) -> None:
    engine.full_sync(CATALOG)
    for i in (0, 120, 249):
        source.remove(i)

    summary = engine.full_sync(CATALOG)

    assert summary.counters.deleted == 3
    assert target.products == source.products
    assert state.digests.count(TENANT, CATALOG) == 247


def test_a_reconcile_deletes_downstream_what_the_pim_no_longer_lists(
    make_engine: Callable[..., SyncEngine], source: MemorySource, target: DictTarget, state: StateStore
) -> None:
    engine = make_engine(uuid_page_size=100, diff_chunk=50)
    engine.full_sync(CATALOG)
    gone = [product_uuid(i) for i in range(0, 250, 25)]
    for i in range(0, 250, 25):
        source.remove(i)

    summary = engine.reconcile(CATALOG)

    assert (summary.mode, summary.outcome, summary.counters.deleted) == (RunMode.RECONCILE, Outcome.SUCCESS, 10)
    assert target.products == source.products
    assert sorted(u for _, _, deletes in target.batches for u in deletes) == sorted(gone)
    assert not state.seen.is_active(TENANT, CATALOG, Slot.RECONCILE)


def test_a_reconcile_keeps_a_product_an_event_created_after_it_paged_past(
    make_engine: Callable[..., SyncEngine], source: MemorySource, target: DictTarget, state: StateStore
) -> None:
    engine = make_engine(uuid_page_size=100, prefetch=False)
    engine.full_sync(CATALOG)
    early = "00000000-0000-4000-8000-000000000001"  # sorts before every seeded product

    def stop_after_first_page() -> bool:
        if len(source.fetched) == 1 + 3:  # 3 pages for the full sync, then page 1 of the reconcile
            source.products[early] = {"uuid": early, "name": "new"}
            source.updated[early] = 0.0
            engine.sync_uuids(CATALOG, [early])
        return False

    summary = engine.reconcile(CATALOG, RunControl(should_stop=stop_after_first_page))

    assert summary.counters.deleted == 0
    assert early in target.products
    assert state.digests.count(TENANT, CATALOG) == 251


def test_runs_count_products_per_action_in_metrics(engine: SyncEngine, source: MemorySource) -> None:
    before = _sample("akeneo_sync_products_total", tenant=TENANT, catalog=CATALOG, action="upserted")
    runs = _sample("akeneo_sync_sync_runs_total", mode="full", outcome="success")

    engine.full_sync(CATALOG)

    assert _sample("akeneo_sync_products_total", tenant=TENANT, catalog=CATALOG, action="upserted") == before + 250
    assert _sample("akeneo_sync_sync_runs_total", mode="full", outcome="success") == runs + 1
    assert _sample("akeneo_sync_catalog_lag_seconds", tenant=TENANT, catalog=CATALOG) == 0.0


def test_a_run_logs_one_summary_event_with_its_counts(engine: SyncEngine) -> None:
    with capture_logs() as logs:
        summary = engine.full_sync(CATALOG)

    (event,) = [entry for entry in logs if entry["event"] == "sync_run"]
    assert {key: event[key] for key in ("mode", "outcome", "upserted", "skipped", "pages", "run")} == {
        "mode": "full",
        "outcome": "success",
        "upserted": 250,
        "skipped": 0,
        "pages": 3,
        "run": summary.run_id,
    }
    assert len(logs) == 1, "per-product and per-page lines stay below info"
