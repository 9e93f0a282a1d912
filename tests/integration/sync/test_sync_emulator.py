"""The engine end to end: emulator over HTTP -> client -> engine (real Redis) -> SQLite target."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from akeneo_sync.akeneo.types import MappedProduct
from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.testing import EmulatorHandle
from akeneo_sync.errors import TargetUnavailableError
from akeneo_sync.state import CatalogStatus, RunMode, StateStore
from akeneo_sync.sync import Outcome, SyncEngine
from akeneo_sync.targets.base import BatchContext, BatchResult
from akeneo_sync.targets.sqlite import SqliteTarget
from helpers import run_locked

pytestmark = pytest.mark.integration

TENANT = "tenant-emu"  # the engines built by `make_engine` sync for this tenant


def expected(pim: EmulatorHandle, catalog_id: str) -> dict[str, Any]:
    """What the catalog contains now, by UUID (the emulator's ground truth)."""
    found: dict[str, Any] = pim.admin.get(f"/_emulator/catalogs/{catalog_id}/expected").json()["mapped_products"]
    return found


class FlakyTarget:
    """The real SQLite target, failing its n-th push as a dying platform would."""

    kind = "sqlite"

    def __init__(self, inner: SqliteTarget, fail_on: int) -> None:
        self.inner = inner
        self.fail_on = fail_on
        self.calls = 0
        self.keys: list[str] = []

    def apply(self, batch: BatchContext, upserts: Sequence[MappedProduct], deletes: Sequence[str]) -> BatchResult:
        self.calls += 1
        self.keys.append(batch.idempotency_key)
        if self.calls == self.fail_on:
            raise TargetUnavailableError("platform down")
        return self.inner.apply(batch, upserts, deletes)

    def close(self) -> None:
        self.inner.close()


def _stats(pim: EmulatorHandle) -> dict[str, Any]:
    found: dict[str, Any] = pim.admin.get("/_emulator/stats").json()
    return found


def test_a_full_sync_then_changes_then_an_increment_and_a_reconcile_mirror_the_catalog(
    make_engine: Callable[..., SyncEngine],
    pim: EmulatorHandle,
    catalog: str,
    sqlite_target: SqliteTarget,
    pim_clock: ManualClock,
) -> None:
    engine = make_engine()
    (full,) = run_locked(engine, catalog, RunMode.FULL)
    truth = expected(pim, catalog)
    assert full.outcome is Outcome.SUCCESS
    assert sqlite_target.products(TENANT, catalog) == truth
    assert full.counters.upserted == len(truth) > 1000

    pim_clock.advance(3600)
    changed, removed = sorted(truth)[10], sorted(truth)[20]
    pim.admin.patch(f"/_emulator/products/{changed}", json={"values": {"name": "Renamed"}}).raise_for_status()
    pim.admin.delete(f"/_emulator/products/{removed}").raise_for_status()
    (increment,) = run_locked(engine, catalog, RunMode.INCREMENTAL)
    (reconcile,) = run_locked(engine, catalog, RunMode.RECONCILE)

    assert (increment.counters.upserted, increment.counters.deleted) == (1, 0)
    assert (reconcile.counters.deleted, reconcile.counters.upserted) == (1, 0)
    assert sqlite_target.products(TENANT, catalog) == expected(pim, catalog)
    record = engine.state.catalogs.require(TENANT, catalog)
    assert (record.status, record.last_outcome) == (CatalogStatus.IDLE, "success")


def test_a_run_killed_by_a_target_outage_resumes_and_refetches_at_most_one_page(
    make_engine: Callable[..., SyncEngine], pim: EmulatorHandle, catalog: str, sqlite_target: SqliteTarget
) -> None:
    flaky = FlakyTarget(sqlite_target, fail_on=5)
    engine = make_engine(target=flaky, prefetch=False)
    with pytest.raises(TargetUnavailableError):
        engine.full_sync(catalog)
    pim.admin.post("/_emulator/stats/reset").raise_for_status()

    summary = engine.full_sync(catalog)

    truth = expected(pim, catalog)
    assert summary.resumed
    assert sqlite_target.products(TENANT, catalog) == truth
    pages = -(-len(truth) // 100)
    assert summary.pages == pages
    assert summary.pages_fetched == pages - 4, "pages 1-4 were checkpointed; only page 5 is fetched again"
    assert flaky.keys[4] == flaky.keys[5], "the failed batch is re-sent under its idempotency key"


def test_a_catalog_disabled_in_the_pim_stops_the_run_and_reenabling_syncs_in_full(
    make_engine: Callable[..., SyncEngine],
    pim: EmulatorHandle,
    catalog: str,
    sqlite_target: SqliteTarget,
    state: StateStore,
) -> None:
    class DisableAfterFirstPush(FlakyTarget):
        def apply(self, batch: BatchContext, upserts: Sequence[MappedProduct], deletes: Sequence[str]) -> BatchResult:
            result = super().apply(batch, upserts, deletes)
            if self.calls == 1:
                pim.admin.post(f"/_emulator/catalogs/{catalog}/disable").raise_for_status()
            return result

    engine = make_engine(target=DisableAfterFirstPush(sqlite_target, fail_on=0))
    summary = engine.full_sync(catalog)

    assert summary.outcome is Outcome.DISABLED
    assert state.catalogs.require(TENANT, catalog).status is CatalogStatus.DISABLED

    pim.admin.post(f"/_emulator/catalogs/{catalog}/enable").raise_for_status()
    again = make_engine().incremental_sync(catalog)

    assert (again.mode, again.outcome) == (RunMode.FULL, Outcome.SUCCESS)
    assert sqlite_target.products(TENANT, catalog) == expected(pim, catalog)


def test_events_by_uuid_update_and_delete_through_the_real_client(
    make_engine: Callable[..., SyncEngine],
    pim: EmulatorHandle,
    catalog: str,
    sqlite_target: SqliteTarget,
    pim_clock: ManualClock,
) -> None:
    engine = make_engine()
    engine.full_sync(catalog)
    uuids = sorted(expected(pim, catalog))
    pim_clock.advance(60)
    pim.admin.patch(f"/_emulator/products/{uuids[0]}", json={"values": {"name": "Event"}}).raise_for_status()
    pim.admin.delete(f"/_emulator/products/{uuids[1]}").raise_for_status()

    summary = engine.sync_uuids(catalog, uuids[:3])

    counters = summary.counters
    assert (counters.upserted, counters.deleted, counters.skipped) == (1, 1, 1)
    assert sqlite_target.products(TENANT, catalog) == expected(pim, catalog)
    assert _stats(pim)["requests"] > 0
