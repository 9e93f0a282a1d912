"""The drift probe on the in-memory catalog: what it counts as drift, and what it must not."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sync_fakes import CATALOG, TENANT, DictTarget, MemorySource, product_uuid

from akeneo_sync.clock import ManualClock
from akeneo_sync.errors import TargetUnavailableError
from akeneo_sync.state import RunMode, StateStore
from akeneo_sync.sync.engine import SyncEngine
from akeneo_sync.targets.base import BatchContext
from helpers import run_locked


@pytest.fixture
def probing(make_engine: Callable[..., SyncEngine]) -> SyncEngine:
    engine = make_engine(drift_probe=True, refresh_interval_s=86400.0)
    assert [s.mode for s in run_locked(engine, CATALOG, RunMode.FULL)] == [RunMode.FULL]
    return engine


def modes(engine: SyncEngine) -> list[tuple[RunMode, str | None]]:
    return [(s.mode, s.refresh) for s in run_locked(engine, CATALOG, RunMode.INCREMENTAL)]


def test_an_unchanged_catalog_probes_with_two_requests_and_asks_for_nothing(
    probing: SyncEngine, source: MemorySource, clock: ManualClock
) -> None:
    clock.advance(600)
    before = len(source.fetched)
    assert modes(probing) == [(RunMode.INCREMENTAL, None)]
    # The incremental run's own (empty) page, then the probe's two.
    assert len(source.fetched) - before == 3


def test_a_product_edited_outside_any_window_is_drift_and_the_refresh_pushes_it_alone(
    probing: SyncEngine, source: MemorySource, target: DictTarget, clock: ManualClock
) -> None:
    # A remap: the content changes, `updated` does not.
    remapped = product_uuid(0)
    source.products[remapped] = {**source.products[remapped], "name": "remapped"}
    clock.advance(600)

    assert modes(probing) == [(RunMode.INCREMENTAL, "drift"), (RunMode.FULL, None)]
    assert target.products[remapped]["name"] == "remapped"
    assert target.batches[-1][1] == [remapped]


def test_a_change_the_target_refuses_is_not_drift_again_and_again(
    make_engine: Callable[..., SyncEngine],
    source: MemorySource,
    target: DictTarget,
    clock: ManualClock,
    state: StateStore,
) -> None:
    # One probe page holds the whole catalog, so every probe sees the refused product.
    probing = make_engine(drift_probe=True, page_size=1000)
    run_locked(probing, CATALOG, RunMode.FULL)
    refused = product_uuid(0)
    clock.advance(10)
    source.put(0, price="refused")  # an edit the target refuses: a dead letter, the old digest stays
    target.reject[refused] = "no"
    clock.advance(600)
    modes(probing)
    assert state.dead_letters.held(TENANT, CATALOG, [refused]) == {refused}
    clock.advance(600)
    source.updated[refused] = 0.0  # the probe's page now sees it (saved before the window)

    assert modes(probing) == [(RunMode.INCREMENTAL, None)]


def test_products_that_entered_the_selection_are_drift_and_a_whole_catalog_page_sees_those_that_left(
    probing: SyncEngine, source: MemorySource, target: DictTarget, clock: ManualClock
) -> None:
    entered = source.put(500)
    source.updated[entered] = 1.0  # saved long ago: no window of an incremental run brings it
    left = product_uuid(7)
    source.remove(7)
    clock.advance(600)

    assert modes(probing) == [(RunMode.INCREMENTAL, "drift"), (RunMode.FULL, None)]
    assert entered in target.products
    assert left not in target.products


def test_a_run_that_fails_after_probing_leaves_the_probe_positions_for_its_successor(
    make_engine: Callable[..., SyncEngine],
    source: MemorySource,
    target: DictTarget,
    clock: ManualClock,
    state: StateStore,
) -> None:
    engine = make_engine(drift_probe=True, uuid_page_size=100, page_size=50)
    run_locked(engine, CATALOG, RunMode.FULL)
    clock.advance(600)
    modes(engine)
    positions = state.catalogs.probe_positions(TENANT, CATALOG)
    assert positions != (None, None)
    source.put(3, price="edited")

    def down(_call: int, _batch: BatchContext) -> None:
        raise TargetUnavailableError("target down")

    target.before_apply = down
    clock.advance(600)
    with pytest.raises(TargetUnavailableError):
        modes(engine)

    assert state.catalogs.probe_positions(TENANT, CATALOG) == positions


def test_a_catalog_synced_before_refreshes_existed_gets_a_refresh_time_inside_the_interval(
    make_engine: Callable[..., SyncEngine], clock: ManualClock, state: StateStore
) -> None:
    run_locked(make_engine(), CATALOG, RunMode.FULL)
    state.redis.hdel(state.keys.catalog(TENANT, CATALOG), "refreshed_at")  # a record from before
    clock.advance(600)

    assert modes(make_engine(refresh_interval_s=3600.0)) == [(RunMode.INCREMENTAL, None)]

    refreshed_at = state.catalogs.require(TENANT, CATALOG).refreshed_at
    assert refreshed_at is not None
    assert clock.now() - 3600 < refreshed_at <= clock.now()
