"""Subscription -> tenant routes, remembered for a few seconds of an injected clock."""

from __future__ import annotations

import pytest
import redis

from akeneo_sync.clock import ManualClock
from akeneo_sync.state import StateStore, StoredToken, TenantStatus, TokenCipher
from akeneo_sync.web.routing import Route, SubscriptionRoutes


@pytest.fixture
def store(fake_redis: redis.Redis, clock: ManualClock) -> StateStore:
    store = StateStore(fake_redis, cipher=TokenCipher.generate(), clock=clock, prefix="unit")
    store.tenants.save("t1", pim_url="https://pim.example.com", token=StoredToken("tok"), subscription_id="sub-1")
    return store


@pytest.fixture
def routes(store: StateStore, clock: ManualClock) -> SubscriptionRoutes:
    return SubscriptionRoutes(store, clock, ttl_s=5.0)


def test_an_active_tenants_route_is_served_from_memory_until_it_expires(
    routes: SubscriptionRoutes, store: StateStore, clock: ManualClock
) -> None:
    assert routes.cached("sub-1") is None  # nothing asked yet
    assert routes.resolve("sub-1") == Route("t1", is_active=True)
    store.tenants.set_status("t1", TenantStatus.DISCONNECTED)
    clock.advance(4.9)
    assert routes.cached("sub-1") == Route("t1", is_active=True)  # stale for at most the TTL
    clock.advance(0.1)
    assert routes.cached("sub-1") is None
    assert routes.resolve("sub-1") == Route("t1", is_active=False)


def test_an_unknown_subject_is_not_remembered_so_a_new_tenant_is_routed_at_once(
    routes: SubscriptionRoutes, store: StateStore
) -> None:
    assert routes.resolve("sub-2") == Route(None, is_active=False)
    store.tenants.save("t2", pim_url="https://pim.example.com", token=StoredToken("tok"), subscription_id="sub-2")
    assert routes.resolve("sub-2") == Route("t2", is_active=True)


def test_an_inactive_tenant_is_not_remembered_so_its_reactivation_is_seen_at_once(
    routes: SubscriptionRoutes, store: StateStore
) -> None:
    store.tenants.set_status("t1", TenantStatus.DISCONNECTED)
    assert routes.resolve("sub-1") == Route("t1", is_active=False)
    store.tenants.set_status("t1", TenantStatus.ACTIVE)
    assert routes.resolve("sub-1") == Route("t1", is_active=True)


def test_forget_drops_a_route_before_it_expires(routes: SubscriptionRoutes, store: StateStore) -> None:
    routes.resolve("sub-1")
    store.tenants.set_status("t1", TenantStatus.DELETED)
    routes.forget("sub-1")
    assert routes.cached("sub-1") is None
    assert routes.resolve("sub-1") == Route("t1", is_active=False)


def test_a_zero_ttl_always_asks_the_store(store: StateStore, clock: ManualClock) -> None:
    routes = SubscriptionRoutes(store, clock, ttl_s=0)
    assert routes.resolve("sub-1").is_active
    assert routes.cached("sub-1") is None
