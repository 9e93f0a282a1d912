"""Fair use: both limiters keep concurrency and rate; the Redis one does so across processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from contextlib import ExitStack
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from akeneo_sync.akeneo.ratelimit import (
    FLEET_LEASE_TTL_S,
    FairUseLimiter,
    FairUsePolicy,
    FleetFairUseLimiter,
    InProcessFairUseLimiter,
    build_limiter,
)
from akeneo_sync.clock import ManualClock
from akeneo_sync.errors import RateLimitedError
from akeneo_sync.settings import Settings
from akeneo_sync.state.fairuse import RedisFairUseSlots
from akeneo_sync.state.keys import Keys
from helpers import fleet_limiter, wait_until
from redis_server import TEST_REDIS_PORT

pytestmark = pytest.mark.integration

LimiterFactory = Any  # conftest.make_limiter
FAST = {"max_per_s": 1e6, "burst": 1000}


def test_a_released_slot_is_free_at_once(make_limiter: LimiterFactory, clock: ManualClock) -> None:
    limiter = make_limiter(clock, max_concurrent=2, **FAST)
    with limiter.acquire():
        with limiter.acquire():
            pass
        with limiter.acquire():
            pass
    assert clock.sleeps == []


def test_a_full_connection_waits_until_a_lease_expires(make_limiter: LimiterFactory, clock: ManualClock) -> None:
    # Given two holders that never release (as if their process had been SIGKILLed)
    limiter = make_limiter(clock, max_concurrent=2, lease_ttl_s=1.0, poll_s=0.1, **FAST)
    with ExitStack() as holders:
        holders.enter_context(limiter.acquire())
        clock.advance(0.25)
        holders.enter_context(limiter.acquire())
        # When a third caller asks
        with limiter.acquire():
            # Then it got the slot only once the first lease ran out, polling meanwhile
            assert clock.monotonic() == pytest.approx(1.0)
            assert all(wait <= 0.1 + 1e-9 for wait in clock.sleeps)


def test_the_fourth_concurrent_caller_is_held_back_by_default(make_limiter: LimiterFactory, clock: ManualClock) -> None:
    limiter = make_limiter(clock, lease_ttl_s=5.0, **FAST)
    with ExitStack() as holders:
        for _ in range(4):
            holders.enter_context(limiter.acquire())
        assert clock.sleeps == []
        with limiter.acquire():
            assert clock.monotonic() == pytest.approx(5.0)


def test_the_rate_allows_a_burst_then_spaces_requests_evenly(make_limiter: LimiterFactory, clock: ManualClock) -> None:
    limiter = make_limiter(clock, max_concurrent=100, max_per_s=10, burst=3)
    for _ in range(6):
        with limiter.acquire():
            pass
    assert clock.sleeps == pytest.approx([0.1, 0.1, 0.1], abs=1e-5)
    assert clock.monotonic() == pytest.approx(0.3, abs=1e-5)


def test_an_idle_pim_gets_its_burst_back(make_limiter: LimiterFactory, clock: ManualClock) -> None:
    limiter = make_limiter(clock, max_concurrent=100, max_per_s=10, burst=3)
    for _ in range(3):
        with limiter.acquire():
            pass
    clock.advance(0.3)
    for _ in range(3):
        with limiter.acquire():
            pass
    assert clock.sleeps == []


def test_waiting_longer_than_allowed_raises_rate_limited(make_limiter: LimiterFactory, clock: ManualClock) -> None:
    limiter = make_limiter(clock, max_concurrent=1, lease_ttl_s=60.0, max_wait_s=2.0, **FAST)
    with limiter.acquire(), pytest.raises(RateLimitedError) as caught, limiter.acquire():
        pass
    assert caught.value.retryable
    assert clock.monotonic() <= 2.0


def test_fair_use_waits_are_counted_as_backoff(make_limiter: LimiterFactory, clock: ManualClock) -> None:
    before = REGISTRY.get_sample_value("akeneo_sync_backoff_seconds_total", {"reason": "fair_use"}) or 0.0
    limiter = make_limiter(clock, max_concurrent=100, max_per_s=4, burst=1)
    for _ in range(3):
        with limiter.acquire():
            pass
    after = REGISTRY.get_sample_value("akeneo_sync_backoff_seconds_total", {"reason": "fair_use"})
    assert after == pytest.approx(before + 0.5, abs=1e-5)


def test_connections_have_separate_concurrency_but_share_the_pims_rate(
    redis_client: redis.Redis, clock: ManualClock, key_prefix: str
) -> None:
    policy = FairUsePolicy(max_concurrent=1, max_per_s=10, burst=2, lease_ttl_s=30)
    common = {"pim_url": "https://pim.example.com", "policy": policy, "clock": clock, "key_prefix": key_prefix}
    first = fleet_limiter(redis_client, connection="a", **common)
    second = fleet_limiter(redis_client, connection="b", **common)
    with first.acquire(), second.acquire():
        assert clock.sleeps == []
    with first.acquire():
        pass
    assert clock.sleeps == pytest.approx([0.1], abs=1e-5)
    assert first.slots.rate_key == second.slots.rate_key
    assert first.slots.leases_key != second.slots.leases_key


def test_keys_never_contain_the_connection_id_and_expire_when_idle(
    redis_client: redis.Redis, clock: ManualClock, key_prefix: str
) -> None:
    limiter = fleet_limiter(
        redis_client,
        pim_url="https://pim.example.com",
        connection="secret-tenant",
        policy=FairUsePolicy(),
        clock=clock,
        key_prefix=key_prefix,
    )
    with limiter.acquire():
        keys = [key.decode() for key in redis_client.keys(f"{key_prefix}*")]
        assert len(keys) == 2
        assert all("secret-tenant" not in key for key in keys)
        assert all(0 < redis_client.pttl(key) <= 61_000 for key in keys)
    assert redis_client.zcard(limiter.slots.leases_key) == 0


HOLD_AND_WAIT = textwrap.dedent(
    """
    import sys, redis
    from akeneo_sync.akeneo.ratelimit import FairUsePolicy, FleetFairUseLimiter
    from akeneo_sync.state.fairuse import RedisFairUseSlots
    from akeneo_sync.state.keys import Keys
    from akeneo_sync.clock import SystemClock
    client = redis.Redis.from_url(sys.argv[1])
    policy = FairUsePolicy(max_concurrent=1, lease_ttl_s=30.0)
    slots = RedisFairUseSlots(client, Keys(sys.argv[2]), pim_url="https://pim.example.com", connection="c")
    limiter = FleetFairUseLimiter(slots, policy=policy, clock=SystemClock())
    with limiter.acquire():
        print("held", flush=True)
        sys.stdin.read()
    """
)


def test_a_sigkilled_holders_slot_comes_back_when_its_lease_expires(redis_client: redis.Redis, key_prefix: str) -> None:
    # Given a real process holding the only slot, then SIGKILLed (no release ever runs)
    url = f"redis://127.0.0.1:{TEST_REDIS_PORT}/2"
    with subprocess.Popen(
        [sys.executable, "-c", HOLD_AND_WAIT, url, key_prefix], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "held"
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    policy = FairUsePolicy(max_concurrent=1, lease_ttl_s=30.0, max_wait_s=1.0)
    common = {"pim_url": "https://pim.example.com", "connection": "c", "policy": policy, "key_prefix": key_prefix}
    # When another pod asks before the lease's expiry, it is refused...
    now = ManualClock(start=time.time())
    early = fleet_limiter(redis_client, clock=now, **common)
    with pytest.raises(RateLimitedError), early.acquire():
        pass
    # ...and once the lease has expired it gets the slot at once, though nobody released it.
    later = ManualClock(start=time.time() + 31.0)
    with fleet_limiter(redis_client, clock=later, **common).acquire():
        assert later.sleeps == []


CALLER = textwrap.dedent(
    """
    import sys, threading, time, redis
    from akeneo_sync.akeneo.ratelimit import FairUsePolicy, FleetFairUseLimiter
    from akeneo_sync.state.fairuse import RedisFairUseSlots
    from akeneo_sync.state.keys import Keys
    from akeneo_sync.clock import SystemClock
    url, threads, calls, limit, prefix = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
    client = redis.Redis.from_url(url)
    enter = client.register_script(
        "local n = redis.call('INCR', KEYS[1]) "
        "if n > tonumber(redis.call('GET', KEYS[2]) or 0) then redis.call('SET', KEYS[2], n) end return n"
    )
    policy = FairUsePolicy(max_concurrent=limit, max_per_s=1e6, burst=1000, poll_s=0.002)
    slots = RedisFairUseSlots(client, Keys(prefix), pim_url="https://pim.example.com", connection="shared")
    limiter = FleetFairUseLimiter(slots, policy=policy, clock=SystemClock())
    def work():
        for _ in range(calls):
            with limiter.acquire():
                enter(keys=[prefix + ":current", prefix + ":max"])
                time.sleep(0.003)  # the PIM call in flight
                client.decr(prefix + ":current")
                client.incr(prefix + ":calls")
    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool: t.start()
    for t in pool: t.join()
    """
)


def test_two_processes_sharing_redis_never_exceed_the_concurrency_per_connection(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    # Given two real processes with 4 threads each, all calling through one connection's limit of 3
    url, threads, calls, limit = f"redis://127.0.0.1:{TEST_REDIS_PORT}/2", 4, 15, 3
    args = [sys.executable, "-c", CALLER, url, str(threads), str(calls), str(limit), key_prefix]
    with subprocess.Popen(args) as first, subprocess.Popen(args) as second:
        assert first.wait(timeout=60) == 0
        assert second.wait(timeout=60) == 0
    # Then every call ran, and the highest concurrency seen in flight was exactly the limit
    assert int(redis_client.get(f"{key_prefix}:calls") or 0) == 2 * threads * calls
    assert int(redis_client.get(f"{key_prefix}:max") or 0) == limit
    assert int(redis_client.get(f"{key_prefix}:current") or 0) == 0


OPS = st.lists(
    st.one_of(
        st.tuples(st.just("call"), st.just(0.0)),
        st.tuples(st.just("hold"), st.just(0.0)),
        st.tuples(st.just("release"), st.just(0.0)),
        st.tuples(st.just("advance"), st.floats(min_value=0.0, max_value=0.5)),
    ),
    min_size=3,
    max_size=25,
)


def _replay(limiter: FairUseLimiter, clock: ManualClock, ops: list[tuple[str, float]]) -> list[float]:
    with ExitStack() as stack:
        held: list[ExitStack] = []
        for op, value in ops:
            if op == "advance":
                clock.advance(value)
            elif op == "call":
                with limiter.acquire():
                    pass
            elif op == "hold":
                lease = ExitStack()
                lease.enter_context(limiter.acquire())
                held.append(lease)
                stack.push(lease)
            elif held:
                held.pop(0).close()
    return clock.sleeps


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_the_redis_script_and_the_in_process_limiter_make_the_same_decisions(
    redis_client: redis.Redis, ops: list[tuple[str, float]]
) -> None:
    # One algorithm, two homes: any sequence of calls, held slots, releases and elapsed time
    # must produce the same waits in both.
    policy = FairUsePolicy(max_concurrent=2, max_per_s=10, burst=2, lease_ttl_s=1.0, poll_s=0.1)
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    redis_clock, local_clock = ManualClock(), ManualClock()
    fleet = fleet_limiter(
        redis_client,
        pim_url="https://pim.example.com",
        connection="c",
        policy=policy,
        clock=redis_clock,
        key_prefix=prefix,
    )
    local = InProcessFairUseLimiter(policy=policy, clock=local_clock)
    try:
        assert _replay(fleet, redis_clock, ops) == pytest.approx(_replay(local, local_clock, ops), abs=1e-5)
    finally:
        for key in redis_client.scan_iter(match=f"{prefix}*"):
            redis_client.delete(key)


def test_the_fleet_limiter_renews_the_leases_its_calls_hold_and_builds_short_ones(
    redis_client: redis.Redis, key_prefix: str
) -> None:
    # A held lease is pushed forward while its call runs (a slow call keeps its slot), yet a
    # SIGKILLed pod's leases run out after FLEET_LEASE_TTL_S, not after the slowest possible call.
    clock = ManualClock(start=time.time())
    policy = FairUsePolicy(max_concurrent=1, lease_ttl_s=30.0, lease_renew_s=0.05)
    limiter = fleet_limiter(
        redis_client,
        pim_url="https://pim.example.com",
        connection="c",
        policy=policy,
        clock=clock,
        key_prefix=key_prefix,
    )
    with limiter.acquire():
        ((holder, first),) = redis_client.zrange(limiter.slots.leases_key, 0, -1, withscores=True)
        clock.advance(20.0)
        wait_until(
            lambda: redis_client.zscore(limiter.slots.leases_key, holder) != first, 5, what="the lease was renewed"
        )
        assert redis_client.zscore(limiter.slots.leases_key, holder) == pytest.approx(clock.now() + 30.0)
    assert redis_client.zcard(limiter.slots.leases_key) == 0

    slots = RedisFairUseSlots(redis_client, Keys(key_prefix), pim_url="https://pim.example.com", connection="c")
    built = build_limiter(Settings(), clock=clock, slots=slots)
    assert isinstance(built, FleetFairUseLimiter)
    assert (built._policy.lease_ttl_s, built._policy.lease_renew_s) == (FLEET_LEASE_TTL_S, FLEET_LEASE_TTL_S / 4)
