"""`run_catalog_sync`: one run per catalog, coalesced reruns, lock expiry and heartbeats."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sync_fakes import CATALOG, TENANT, DictTarget, MemorySource, fail_on_call

from akeneo_sync.clock import ManualClock
from akeneo_sync.errors import TargetUnavailableError
from akeneo_sync.state import RunMode, StateStore
from akeneo_sync.sync.engine import SyncEngine
from akeneo_sync.sync.summary import Outcome
from akeneo_sync.targets.base import BatchContext
from akeneo_sync.worker.catalog_lock import CatalogRunLock
from helpers import run_locked, wait_until


def test_a_trigger_during_a_run_is_coalesced_into_one_rerun_never_a_concurrent_run(
    engine: SyncEngine, source: MemorySource, target: DictTarget, state: StateStore, clock: ManualClock
) -> None:
    inner: list[list[object]] = []

    def trigger_while_running(call: int, _batch: BatchContext) -> None:
        if call == 1:
            clock.advance(1)
            source.put(3, price="edited")
            inner.append(list(run_locked(engine, CATALOG, RunMode.INCREMENTAL)))
            inner.append(list(run_locked(engine, CATALOG, RunMode.INCREMENTAL)))

    target.after_apply = trigger_while_running
    summaries = run_locked(engine, CATALOG, RunMode.FULL)

    assert inner == [[], []], "the triggers found the lock held"
    assert [s.mode for s in summaries] == [RunMode.FULL, RunMode.INCREMENTAL]
    assert all(s.outcome is Outcome.SUCCESS for s in summaries)
    assert target.products == source.products
    assert state.locks.holder(TENANT, CATALOG) is None
    assert state.locks.rerun_requested(TENANT, CATALOG) == []


def test_two_threads_triggering_at_once_never_run_concurrently(
    engine: SyncEngine, source: MemorySource, target: DictTarget, state: StateStore
) -> None:
    barrier = threading.Barrier(2)
    results: list[int] = []

    def trigger() -> None:
        barrier.wait()
        results.append(len(run_locked(engine, CATALOG, RunMode.FULL)))

    threads = [threading.Thread(target=trigger) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert target.max_active == 1
    assert sum(results) == 2, "one run and one rerun (or two back-to-back runs)"
    assert target.products == source.products
    assert state.locks.holder(TENANT, CATALOG) is None


def test_a_lock_left_by_a_dead_worker_expires_after_its_ttl(
    engine: SyncEngine, state: StateStore, clock: ManualClock, target: DictTarget
) -> None:
    assert state.locks.acquire(TENANT, CATALOG, "dead-worker", ttl_s=120)

    assert run_locked(engine, CATALOG, RunMode.FULL) == []
    clock.advance(121)
    summaries = run_locked(engine, CATALOG, RunMode.INCREMENTAL)

    # The increment (a full run: no watermark yet), then the full run requested while the dead
    # worker held the lock: a request recorded against a dead holder is not lost.
    assert [(s.mode, s.counters.upserted) for s in summaries] == [(RunMode.FULL, 250), (RunMode.FULL, 0)]
    assert state.locks.rerun_requested(TENANT, CATALOG) == []


def test_a_failed_run_releases_the_lock_and_propagates(
    engine: SyncEngine, target: DictTarget, state: StateStore
) -> None:
    target.before_apply = fail_on_call(1)

    with pytest.raises(TargetUnavailableError):
        run_locked(engine, CATALOG, RunMode.FULL)

    assert state.locks.holder(TENANT, CATALOG) is None


def test_a_stop_request_ends_the_run_and_frees_the_lock(engine: SyncEngine, state: StateStore) -> None:
    (summary,) = run_locked(engine, CATALOG, RunMode.FULL, should_stop=lambda: True)

    assert summary.outcome is Outcome.INTERRUPTED
    assert state.locks.holder(TENANT, CATALOG) is None


def test_a_holder_that_lost_its_lock_stops_at_the_next_page(
    engine: SyncEngine, target: DictTarget, state: StateStore, clock: ManualClock
) -> None:
    # A short TTL, so the lock's background heartbeat (every third of it, in real time) runs soon.
    lock = CatalogRunLock(state, TENANT, CATALOG, ttl_s=0.3)

    def stall_past_the_ttl(call: int, _batch: BatchContext) -> None:
        if call == 1:
            clock.advance(200)
            assert state.locks.acquire(TENANT, CATALOG, "other-worker", ttl_s=120)
            wait_until(lambda: not lock.still_held(), 10, what="the heartbeat noticed the lock was taken")

    target.after_apply = stall_past_the_ttl
    (summary,) = run_locked(engine, CATALOG, RunMode.FULL, lock=lock)

    assert summary.outcome is Outcome.LOCK_LOST
    assert state.locks.holder(TENANT, CATALOG) == "other-worker"


def test_runs_by_uuid_are_not_catalog_runs(engine: SyncEngine) -> None:
    with pytest.raises(ValueError, match="sync_uuids"):
        run_locked(engine, CATALOG, RunMode.UUIDS)


def test_an_incremental_run_is_followed_by_a_refresh_once_the_last_full_run_is_an_interval_old(
    make_engine: Callable[..., SyncEngine], clock: ManualClock
) -> None:
    engine = make_engine(refresh_interval_s=3600.0)
    assert [s.mode for s in run_locked(engine, CATALOG, RunMode.FULL)] == [RunMode.FULL]
    clock.advance(3599)
    quiet = run_locked(engine, CATALOG, RunMode.INCREMENTAL)
    assert [(s.mode, s.refresh) for s in quiet] == [(RunMode.INCREMENTAL, None)]

    clock.advance(1)
    due = run_locked(engine, CATALOG, RunMode.INCREMENTAL)

    assert [(s.mode, s.refresh) for s in due] == [(RunMode.INCREMENTAL, "schedule"), (RunMode.FULL, None)]
    # The refresh pushed nothing it knew unchanged (the digests say so), and its schedule restarts.
    assert due[1].counters.upserted == 0
    clock.advance(60)
    assert [s.mode for s in run_locked(engine, CATALOG, RunMode.INCREMENTAL)] == [RunMode.INCREMENTAL]
