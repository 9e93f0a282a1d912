"""Catalog locks: TTL on the injected clock, heartbeat, owner checks and the rerun flag."""

from __future__ import annotations

import threading

import fakeredis
import pytest
import redis

from akeneo_sync.clock import ManualClock
from akeneo_sync.errors import StateError
from akeneo_sync.state import StateStore, TokenCipher
from akeneo_sync.worker.catalog_lock import CatalogRunLock

pytestmark = pytest.mark.integration

TTL = 60.0


def test_a_second_trigger_finds_the_lock_held_and_flags_a_rerun(store: StateStore) -> None:
    assert store.locks.acquire("t1", "c1", "a", ttl_s=TTL, rerun_mode="full")
    assert not store.locks.acquire("t1", "c1", "b", ttl_s=TTL, rerun_mode="incremental")
    assert not store.locks.acquire("t1", "c1", "c", ttl_s=TTL, rerun_mode="incremental")

    assert store.locks.holder("t1", "c1") == "a"
    assert store.locks.rerun_requested("t1", "c1") == ["incremental"]
    # The holder keeps the lock to run again, then releases for good.
    assert store.locks.release("t1", "c1", "a", ttl_s=TTL) == ["incremental"]
    assert store.locks.holder("t1", "c1") == "a"
    assert store.locks.release("t1", "c1", "a", ttl_s=TTL) == []
    assert store.locks.holder("t1", "c1") is None


def test_a_lock_expires_after_its_ttl_on_the_clock(store: StateStore, clock: ManualClock) -> None:
    assert store.locks.acquire("t1", "c1", "a", ttl_s=TTL)
    clock.advance(TTL - 1)
    assert not store.locks.acquire("t1", "c1", "b", ttl_s=TTL)
    clock.advance(2)

    assert store.locks.holder("t1", "c1") is None
    assert store.locks.acquire("t1", "c1", "b", ttl_s=TTL)
    assert store.locks.holder("t1", "c1") == "b"


def test_a_heartbeat_keeps_the_lock_past_its_first_ttl(store: StateStore, clock: ManualClock) -> None:
    store.locks.acquire("t1", "c1", "a", ttl_s=TTL)
    for _ in range(3):
        clock.advance(TTL / 2)
        assert store.locks.heartbeat("t1", "c1", "a", ttl_s=TTL)
    assert not store.locks.acquire("t1", "c1", "b", ttl_s=TTL)


def test_a_holder_whose_lock_was_taken_over_cannot_extend_or_release_it(store: StateStore, clock: ManualClock) -> None:
    store.locks.acquire("t1", "c1", "a", ttl_s=TTL)
    clock.advance(TTL + 1)
    store.locks.acquire("t1", "c1", "b", ttl_s=TTL)
    store.locks.acquire("t1", "c1", "c", ttl_s=TTL, rerun_mode="reconcile")

    assert not store.locks.heartbeat("t1", "c1", "a", ttl_s=TTL)
    assert store.locks.release("t1", "c1", "a", ttl_s=TTL) == []
    assert store.locks.holder("t1", "c1") == "b"
    assert store.locks.rerun_requested("t1", "c1") == ["reconcile"]


def test_a_failed_run_releases_and_leaves_rerun_requests_for_the_next_holder(store: StateStore) -> None:
    store.locks.acquire("t1", "c1", "a", ttl_s=TTL)
    store.locks.acquire("t1", "c1", "b", ttl_s=TTL, rerun_mode="full")

    assert store.locks.release("t1", "c1", "a", ttl_s=TTL, honour_rerun=False) == []

    assert store.locks.holder("t1", "c1") is None
    assert store.locks.acquire("t1", "c1", "b", ttl_s=TTL)
    assert store.locks.release("t1", "c1", "b", ttl_s=TTL) == ["full"]


def test_redis_failures_surface_as_retryable_state_errors(clock: ManualClock) -> None:
    server = fakeredis.FakeServer()
    store = StateStore(fakeredis.FakeRedis(server=server), cipher=TokenCipher.generate(), clock=clock)
    server.connected = False

    with pytest.raises(StateError) as caught:
        store.locks.acquire("t1", "c1", "a", ttl_s=TTL)
    assert caught.value.retryable
    assert isinstance(caught.value.__cause__, redis.RedisError)


def test_a_run_lock_whose_release_fails_stops_renewing_so_its_ttl_frees_it(clock: ManualClock) -> None:
    server = fakeredis.FakeServer()
    store = StateStore(fakeredis.FakeRedis(server=server), cipher=TokenCipher.generate(), clock=clock)
    lock = CatalogRunLock(store, "t1", "c1", ttl_s=3.0)
    assert lock.acquire("full")
    beater = next(t for t in threading.enumerate() if t.name == "lock-c1")
    server.connected = False  # Redis goes away while the run ends

    with pytest.raises(StateError):
        lock.release()

    beater.join(timeout=5)
    assert not beater.is_alive(), "the heartbeat kept the lock alive after a failed release"
    assert not lock.still_held()
