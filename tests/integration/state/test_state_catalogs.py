"""Catalog records and checkpoints, on real Redis and fakeredis."""

from __future__ import annotations

import pytest

from akeneo_sync.clock import ManualClock
from akeneo_sync.errors import StateError
from akeneo_sync.state import CatalogStatus, Checkpoint, Counters, Phase, RunMode, Slot, StateStore, TokenCipher

pytestmark = pytest.mark.integration


def test_a_catalog_is_created_idle_and_keeps_its_status_on_rename(store: StateStore) -> None:
    store.catalogs.upsert("t1", "c1", name="Shop", enabled=True)
    store.catalogs.set_status("t1", "c1", CatalogStatus.RUNNING)

    record = store.catalogs.upsert("t1", "c1", name="Shop FR", enabled=False)

    assert (record.name, record.enabled, record.status) == ("Shop FR", False, CatalogStatus.RUNNING)
    assert [c.id for c in store.catalogs.list("t1")] == ["c1"]
    assert store.catalogs.list("t2") == []


def test_a_run_result_records_outcome_counts_and_watermark(store: StateStore, clock: ManualClock) -> None:
    pipe = store.transaction()
    store.catalogs.stage_run_result(
        pipe,
        "t1",
        "c1",
        run_id="r1",
        outcome="success",
        status=CatalogStatus.IDLE,
        counts={"upserted": 3, "skipped": 2},
        watermark=1_700_000_000.25,
    )
    store.commit(pipe)

    record = store.catalogs.require("t1", "c1")
    assert (record.last_run_id, record.last_outcome, record.last_run_at) == ("r1", "success", clock.now())
    assert record.watermark == 1_700_000_000.25
    assert dict(record.counts) == {"upserted": 3, "skipped": 2, "deleted": 0, "failed": 0}


def test_a_run_result_without_watermark_keeps_the_previous_one(store: StateStore) -> None:
    for watermark in (5.0, None):
        pipe = store.transaction()
        store.catalogs.stage_run_result(
            pipe, "t1", "c1", run_id="r", outcome="x", status=CatalogStatus.IDLE, counts={}, watermark=watermark
        )
        store.commit(pipe)
    assert store.catalogs.require("t1", "c1").watermark == 5.0


def test_a_checkpoint_round_trips_through_its_slot(store: StateStore) -> None:
    checkpoint = Checkpoint(
        run_id="r1",
        mode=RunMode.FULL,
        phase=Phase.DIFF,
        started_at=1.5,
        next_url="https://pim/next?search_after=x",
        pages=4,
        batch=3,
        counters=Counters(upserted=1, skipped=2, deleted=3, failed=4),
        updated_after=0.5,
        pending_fingerprint="abc",
        pending_deletes=("u1", "u2"),
    )
    store.checkpoints.save("t1", "c1", Slot.SYNC, checkpoint)

    assert store.checkpoints.load("t1", "c1", Slot.SYNC) == checkpoint
    assert store.checkpoints.load("t1", "c1", Slot.RECONCILE) is None

    store.commit(store.checkpoints.stage_clear(store.transaction(), "t1", "c1", Slot.SYNC))
    assert store.checkpoints.load("t1", "c1", Slot.SYNC) is None


def test_a_corrupt_checkpoint_is_a_state_error(store: StateStore) -> None:
    store.redis.set(store.keys.checkpoint("t1", "c1", Slot.SYNC), b"{not json")
    with pytest.raises(StateError, match="checkpoint"):
        store.checkpoints.load("t1", "c1", Slot.SYNC)


def test_counters_add_per_action() -> None:
    assert Counters(1, 2, 3, 4).add(Counters(10, 20, 30, 40)) == Counters(11, 22, 33, 44)


def test_runs_in_flight_are_listed_per_tenant(store: StateStore) -> None:
    first = Checkpoint(run_id="r1", mode=RunMode.FULL, phase=Phase.PAGES, started_at=1.0)
    second = Checkpoint(run_id="r2", mode=RunMode.RECONCILE, phase=Phase.DIFF, started_at=2.0)
    store.checkpoints.save("t1", "c2", Slot.RECONCILE, second)
    store.checkpoints.save("t1", "c1", Slot.SYNC, first)
    store.checkpoints.save("t10", "c1", Slot.SYNC, first)

    assert store.checkpoints.in_flight("t1") == [("c1", Slot.SYNC, first), ("c2", Slot.RECONCILE, second)]
    assert store.checkpoints.in_flight("nobody") == []
    assert store.checkpoints.in_flight("t*") == []


def test_stores_with_different_prefixes_share_a_database_without_seeing_each_other(
    store: StateStore, clock: ManualClock
) -> None:
    other = StateStore(store.redis, cipher=TokenCipher.generate(), clock=clock, prefix="other")
    store.catalogs.upsert("t1", "c1", name="Mine", enabled=True)

    assert other.catalogs.get("t1", "c1") is None
    assert all(key.startswith(b"test:") for key in store.redis.scan_iter())
