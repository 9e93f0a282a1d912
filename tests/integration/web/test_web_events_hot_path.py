"""The product-event hot path as `akeneo-sync web` runs it: async Redis, cached routes, the flusher."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest
import redis.asyncio
from fastapi import FastAPI
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from web_support import REDIS_URL, SUBSCRIPTION, TENANT, TestClient, product_event, signed

from akeneo_sync.clock import ManualClock
from akeneo_sync.state import StateStore, TenantStatus
from akeneo_sync.web import WebConfig, create_app
from akeneo_sync.web.testing import Enqueued, RecordingEnqueuer
from helpers import flush_batches, wait_until

pytestmark = pytest.mark.integration
UUID = "6a9f8486-0000-0000-0000-000000000001"


@pytest.fixture
def async_app(config: WebConfig, store: StateStore, enqueuer: RecordingEnqueuer, clock: ManualClock) -> FastAPI:
    return create_app(
        config, store=store, enqueuer=enqueuer, clock=clock, async_redis=redis.asyncio.Redis.from_url(REDIS_URL)
    )


@pytest.fixture
def http(async_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(async_app) as client:
        yield client


def deliver(http: TestClient, event: dict[str, object]) -> tuple[int, object]:
    body = json.dumps(event).encode()
    response = http.post("/events", content=body, headers=signed(body))
    return response.status_code, response.json()


def test_an_event_is_accepted_once_and_its_redelivery_is_a_duplicate(
    tenant: str, http: TestClient, async_app: FastAPI, enqueuer: RecordingEnqueuer
) -> None:
    assert deliver(http, product_event("ev-1")) == (200, {"outcome": "accepted"})
    assert deliver(http, product_event("ev-1")) == (200, {"outcome": "duplicate"})
    flush_batches(async_app.state.context.batcher, tenant)
    assert enqueuer.calls == [Enqueued("sync_products", tenant, ((UUID,),))]


def test_a_full_batch_is_sent_by_the_request_when_no_flusher_runs(
    tenant: str, http: TestClient, enqueuer: RecordingEnqueuer
) -> None:
    for i in range(100):
        deliver(http, product_event(f"ev-{i}", uuid=f"6a9f8486-0000-0000-0000-{i:012d}"))
    assert [len(call.args[0]) for call in enqueuer.calls] == [100]


def test_a_full_batch_is_handed_to_the_background_flusher(
    tenant: str, config: WebConfig, store: StateStore, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    # A flusher interval far longer than the test: only the hand-over can send the batch.
    app = create_app(
        replace(config, flush_interval_s=600, batch_max=3),
        store=store,
        enqueuer=enqueuer,
        clock=clock,
        async_redis=redis.asyncio.Redis.from_url(REDIS_URL),
    )
    with TestClient(app) as client:
        for i in range(3):
            assert deliver(client, product_event(f"ev-{i}", uuid=f"u-{i}"))[0] == 200
        wait_until(lambda: enqueuer.calls, 5, what="the flusher thread enqueued the batch")
    assert enqueuer.calls == [Enqueued("sync_products", tenant, (("u-0", "u-1", "u-2"),))]


def test_a_disconnected_tenants_route_expires_with_the_cache(
    tenant: str, http: TestClient, store: StateStore, clock: ManualClock, config: WebConfig
) -> None:
    assert deliver(http, product_event("ev-1"))[1] == {"outcome": "accepted"}
    store.tenants.set_status(tenant, TenantStatus.DISCONNECTED)  # by another pod or the worker
    assert deliver(http, product_event("ev-2"))[1] == {"outcome": "accepted"}  # still cached
    clock.advance(config.route_cache_ttl_s)
    assert deliver(http, product_event("ev-3"))[1] == {"outcome": "inactive_tenant"}


def test_app_deleted_stops_routing_on_this_pod_at_once(tenant: str, http: TestClient, store: StateStore) -> None:
    assert deliver(http, product_event("ev-1"))[1] == {"outcome": "accepted"}
    deleted = {
        **product_event("ev-app"),
        "type": "com.akeneo.pim.v1.app.deleted",
        "data": {"app": {"client_id": "akeneo-sync-test"}},
    }
    assert deliver(http, deleted)[1] == {"outcome": "accepted"}
    store.tenants.set_status(TENANT, TenantStatus.DELETED)  # what the tenant_disconnected actor does
    assert deliver(http, product_event("ev-2"))[1] == {"outcome": "inactive_tenant"}


def test_an_unreachable_redis_answers_429_so_the_platform_slows_down_and_retries(
    tenant: str, config: WebConfig, store: StateStore, enqueuer: RecordingEnqueuer, clock: ManualClock
) -> None:
    # Routing reads the (healthy) state store; only the hot path's client points nowhere.
    down = redis.asyncio.Redis(port=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 0))
    app = create_app(config, store=store, enqueuer=enqueuer, clock=clock, async_redis=down)
    with TestClient(app) as client:
        status, _ = deliver(client, product_event("ev-1"))
    # 429, not 503: the platform slows down instead of counting failures toward a suspension.
    assert status == 429
    # Nothing was recorded: the platform's retry on a healthy pod is processed, not a duplicate.
    assert store.dedupe.first_seen(f"{SUBSCRIPTION}:ev-1")
