"""The in-process limiter with real threads, and how policies come from settings."""

from __future__ import annotations

import threading

import fakeredis

from akeneo_sync.akeneo.ratelimit import (
    FairUsePolicy,
    FleetFairUseLimiter,
    InProcessFairUseLimiter,
    build_limiter,
)
from akeneo_sync.clock import ManualClock, SystemClock
from akeneo_sync.settings import Settings
from akeneo_sync.state.fairuse import RedisFairUseSlots
from akeneo_sync.state.keys import Keys


def test_threads_never_hold_more_slots_than_the_limit() -> None:
    limiter = InProcessFairUseLimiter(
        policy=FairUsePolicy(max_concurrent=3, max_per_s=1e6, burst=1000, poll_s=0.001), clock=SystemClock()
    )
    lock = threading.Lock()
    inside = 0
    highest = 0
    start = threading.Barrier(8)

    def worker() -> None:
        nonlocal inside, highest
        start.wait()
        for _ in range(30):
            with limiter.acquire():
                with lock:
                    inside += 1
                    highest = max(highest, inside)
                # Give other threads a chance to pile up while the slot is held.
                threading.Event().wait(0.002)
                with lock:
                    inside -= 1

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert highest == 3
    assert inside == 0


def test_the_policy_follows_the_fair_use_settings() -> None:
    settings = Settings(max_concurrency_per_token=2, max_requests_per_s_per_pim=50, pim_timeout_s=15)
    policy = FairUsePolicy.from_settings(settings)
    assert policy.max_concurrent == 2
    assert policy.burst == 5
    assert policy.max_per_s == 45, "burst + one second at the rate stays within the limit"
    assert policy.lease_ttl_s == 30
    assert policy.max_wait_s == settings.pim_retry_deadline_s


def test_without_redis_the_limiter_is_in_process_and_with_redis_it_is_fleet_wide() -> None:
    settings = Settings()
    clock = ManualClock()
    local = build_limiter(settings, clock=clock, slots=None)
    assert isinstance(local, InProcessFairUseLimiter)
    slots = RedisFairUseSlots(fakeredis.FakeRedis(), Keys(), pim_url="https://p", connection="t")
    fleet = build_limiter(settings, clock=clock, slots=slots)
    assert isinstance(fleet, FleetFairUseLimiter)
