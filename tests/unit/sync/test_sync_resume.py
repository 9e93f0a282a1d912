"""Crashes, stops and catalog lifecycle changes in the middle of a run."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from prometheus_client import REGISTRY
from sync_fakes import CATALOG, TENANT, DictTarget, MemorySource, fail_on_call, product_uuid

from akeneo_sync.clock import ManualClock
from akeneo_sync.errors import (
    CatalogDisabledError,
    CatalogNotFoundError,
    TargetUnavailableError,
    TokenRevokedError,
)
from akeneo_sync.state import CatalogStatus, Phase, RunMode, Slot, StateStore
from akeneo_sync.sync.engine import RunControl, SyncEngine
from akeneo_sync.sync.summary import Outcome
from akeneo_sync.targets.base import BatchContext


@pytest.mark.parametrize(("prefetch", "refetched"), [(False, 1), (True, 2)])
def test_a_run_that_died_on_page_k_resumes_there_with_the_same_run_and_loses_nothing(
    make_engine: Callable[..., SyncEngine],
    source: MemorySource,
    target: DictTarget,
    prefetch: bool,
    refetched: int,
) -> None:
    """The page in hand is fetched again; with prefetching, so may be the page fetched ahead."""
    engine = make_engine(prefetch=prefetch)
    state = engine.state
    target.before_apply = fail_on_call(2)
    with pytest.raises(TargetUnavailableError):
        engine.full_sync(CATALOG)
    checkpoint = state.checkpoints.load(TENANT, CATALOG, Slot.SYNC)
    assert checkpoint is not None
    assert (checkpoint.pages, checkpoint.phase) == (1, Phase.PAGES)
    assert state.catalogs.require(TENANT, CATALOG).status is CatalogStatus.FAILED

    target.before_apply = None
    summary = engine.full_sync(CATALOG)

    assert (summary.resumed, summary.run_id, summary.outcome) == (True, checkpoint.run_id, Outcome.SUCCESS)
    assert target.products == source.products
    assert summary.counters.upserted == 250
    assert source.pages_fetched_twice() <= refetched


def test_a_batch_pushed_just_before_a_crash_is_resent_under_the_same_idempotency_key(
    engine: SyncEngine, source: MemorySource, target: DictTarget
) -> None:
    def crash_after_push(call: int, _batch: BatchContext) -> None:
        if call == 2:
            raise TargetUnavailableError("worker killed after the push, before the checkpoint")

    target.after_apply = crash_after_push
    with pytest.raises(TargetUnavailableError):
        engine.full_sync(CATALOG)
    target.after_apply = None

    engine.full_sync(CATALOG)

    keys = [key for key, _, _ in target.batches]
    assert keys[1] == keys[2], "the re-sent page carries the key it was first sent with"
    assert len(set(keys)) == 3
    assert target.products == source.products


def test_a_page_that_changed_while_the_run_was_down_gets_a_fresh_idempotency_key(
    engine: SyncEngine, source: MemorySource, target: DictTarget, clock: ManualClock
) -> None:
    def crash_after_push(call: int, _batch: BatchContext) -> None:
        if call == 2:
            raise TargetUnavailableError("killed")

    target.after_apply = crash_after_push
    with pytest.raises(TargetUnavailableError):
        engine.full_sync(CATALOG)
    target.after_apply = None
    clock.advance(1)
    source.put(150, price="edited while down")  # on page 2

    engine.full_sync(CATALOG)

    keys = [key for key, _, _ in target.batches]
    assert keys[1] != keys[2], "a different batch must never reuse a key a receiver may have stored"
    assert target.products == source.products


def test_a_crash_during_the_deletion_phase_resumes_and_deletes_everything(
    make_engine: Callable[..., SyncEngine], source: MemorySource, target: DictTarget, state: StateStore
) -> None:
    engine = make_engine(diff_chunk=20)
    engine.full_sync(CATALOG)
    for i in range(0, 250, 2):
        source.remove(i)
    pushes = len(target.batches)
    target.before_apply = fail_on_call(pushes + 2)

    with pytest.raises(TargetUnavailableError):
        engine.full_sync(CATALOG)
    checkpoint = state.checkpoints.load(TENANT, CATALOG, Slot.SYNC)
    assert checkpoint is not None
    assert checkpoint.phase is Phase.DIFF
    assert checkpoint.pending_deletes
    target.before_apply = None

    summary = engine.full_sync(CATALOG)

    assert summary.counters.deleted == 125
    assert target.products == source.products
    assert state.digests.count(TENANT, CATALOG) == 125


def test_a_failed_page_request_keeps_the_checkpoint_of_the_last_good_page(
    engine: SyncEngine, source: MemorySource, target: DictTarget, state: StateStore
) -> None:
    source.fail_on_request[3] = TokenRevokedError("revoked", status=401)

    with pytest.raises(TokenRevokedError):
        engine.full_sync(CATALOG)

    checkpoint = state.checkpoints.load(TENANT, CATALOG, Slot.SYNC)
    assert checkpoint is not None
    assert checkpoint.pages == 2
    assert state.catalogs.require(TENANT, CATALOG).last_outcome == "token_revoked"
    engine.full_sync(CATALOG)
    assert target.products == source.products


def test_a_stop_request_finishes_the_page_checkpoints_and_reports_interrupted(
    engine: SyncEngine, source: MemorySource, target: DictTarget, state: StateStore
) -> None:
    summary = engine.full_sync(CATALOG, RunControl(should_stop=lambda: True))

    assert (summary.outcome, summary.pages) == (Outcome.INTERRUPTED, 1)
    assert len(target.products) == 100
    assert state.catalogs.require(TENANT, CATALOG).status is CatalogStatus.IDLE
    assert state.catalogs.require(TENANT, CATALOG).watermark is None

    resumed = engine.incremental_sync(CATALOG)

    assert (resumed.mode, resumed.run_id, resumed.outcome) == (RunMode.FULL, summary.run_id, Outcome.SUCCESS)
    assert target.products == source.products
    assert source.pages_fetched_twice() <= 1


def test_a_lost_lock_aborts_the_run_between_pages(engine: SyncEngine, target: DictTarget) -> None:
    summary = engine.full_sync(CATALOG, RunControl(heartbeat=lambda: False))

    assert (summary.outcome, summary.pages) == (Outcome.LOCK_LOST, 1)
    assert len(target.batches) == 1


def test_a_catalog_disabled_mid_run_stops_cleanly_and_a_reenable_syncs_in_full(
    engine: SyncEngine, source: MemorySource, target: DictTarget, state: StateStore
) -> None:
    # The PIM answers page 3 with its "catalog disabled" body (200 + error).
    source.fail_on_request[3] = CatalogDisabledError("disabled", status=200)

    summary = engine.full_sync(CATALOG)

    assert (summary.outcome, summary.pages, len(target.products)) == (Outcome.DISABLED, 2, 200)
    record = state.catalogs.require(TENANT, CATALOG)
    assert (record.status, record.enabled, record.watermark) == (CatalogStatus.DISABLED, False, None)
    assert state.checkpoints.load(TENANT, CATALOG, Slot.SYNC) is None
    assert not state.seen.is_active(TENANT, CATALOG, Slot.SYNC)
    assert REGISTRY.get_sample_value("akeneo_sync_catalog_enabled", {"tenant": TENANT, "catalog": CATALOG}) == 0

    source.enabled = True
    again = engine.incremental_sync(CATALOG)

    assert (again.mode, again.resumed, again.outcome) == (RunMode.FULL, False, Outcome.SUCCESS)
    assert target.products == source.products
    assert REGISTRY.get_sample_value("akeneo_sync_catalog_enabled", {"tenant": TENANT, "catalog": CATALOG}) == 1


def test_a_deleted_catalog_is_recorded_as_deleted(engine: SyncEngine, source: MemorySource, state: StateStore) -> None:
    source.exists = False

    summary = engine.full_sync(CATALOG)

    assert summary.outcome is Outcome.DELETED
    assert state.catalogs.require(TENANT, CATALOG).status is CatalogStatus.DELETED


@pytest.mark.parametrize("error", [CatalogDisabledError("off", status=200), CatalogNotFoundError("gone", status=404)])
def test_catalog_lifecycle_errors_end_runs_by_uuid_too(
    engine: SyncEngine, source: MemorySource, error: Exception
) -> None:
    source.enabled = not isinstance(error, CatalogDisabledError)
    source.exists = not isinstance(error, CatalogNotFoundError)

    summary = engine.sync_uuids(CATALOG, [product_uuid(1)])

    assert summary.outcome is (Outcome.DISABLED if isinstance(error, CatalogDisabledError) else Outcome.DELETED)


class _WorkerShutdown(BaseException):
    """Like dramatiq's interrupts: raised into the thread, not an Exception."""


def test_an_interrupt_from_outside_is_recorded_and_the_run_stays_resumable(
    engine: SyncEngine, source: MemorySource, target: DictTarget, state: StateStore
) -> None:
    def interrupt(call: int, _batch: BatchContext) -> None:
        if call == 2:
            raise _WorkerShutdown

    target.before_apply = interrupt
    with pytest.raises(_WorkerShutdown):
        engine.full_sync(CATALOG)
    target.before_apply = None

    assert state.catalogs.require(TENANT, CATALOG).last_outcome == "interrupted"
    assert engine.full_sync(CATALOG).resumed
    assert target.products == source.products
