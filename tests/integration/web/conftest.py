"""Fixtures for the web integration tests: real Redis (DB 5), the app under `TestClient`."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from akeneo_sync.clock import ManualClock
from akeneo_sync.state import StateStore, StoredToken, TokenCipher
from akeneo_sync.web import WebConfig, create_app
from akeneo_sync.web.batching import ProductBatcher
from akeneo_sync.web.signatures import sign
from akeneo_sync.web.testing import RecordingEnqueuer, static_resolver

with warnings.catch_warnings():
    # Starlette 1.x asks for `httpx2` behind its TestClient; the client works the same on httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

REDIS_URL = "redis://127.0.0.1:6379/5"
CLIENT_ID = "akeneo-sync-test"
CLIENT_SECRET = "client-secret-for-tests-0123456789"
API_KEY = "api-key-for-tests-0123456789"
PRIMARY, SECONDARY = "primary-event-secret-0123456789", "secondary-event-secret-0123456789"
PUBLIC_PIM = "https://pim.example.com"
TENANT, SUBSCRIPTION, CATALOG = "tenant-1", "sub-1", "cat-1"

Post = Callable[..., Any]


@pytest.fixture
def real_redis() -> Iterator[redis.Redis]:
    """DB 5 of the loopback Redis, flushed before and after; fails loudly when Redis is absent."""
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cipher() -> TokenCipher:
    return TokenCipher.generate()


@pytest.fixture
def store(real_redis: redis.Redis, cipher: TokenCipher, clock: ManualClock) -> StateStore:
    return StateStore(real_redis, cipher=cipher, clock=clock, prefix="web-test")


@pytest.fixture
def enqueuer() -> RecordingEnqueuer:
    return RecordingEnqueuer()


@pytest.fixture
def config() -> WebConfig:
    return WebConfig(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, public_url="http://testserver",
        scopes=("read_catalogs", "write_catalogs", "delete_catalogs", "read_products"), api_key=API_KEY,
        event_secrets=(PRIMARY, SECONDARY), allow_private_pim=False, flush_interval_s=0,
    )


@pytest.fixture
def app(config: WebConfig, store: StateStore, enqueuer: RecordingEnqueuer, clock: ManualClock) -> FastAPI:
    resolver = static_resolver({"pim.example.com": ["93.184.216.34"], "intranet.example.com": ["10.0.0.7"]})
    return create_app(config, store=store, enqueuer=enqueuer, clock=clock, resolver=resolver)


@pytest.fixture
def batcher(app: FastAPI) -> ProductBatcher:
    """The app's event batcher (tests flush it instead of waiting for the background flusher)."""
    found: ProductBatcher = app.state.context.batcher
    return found


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def tenant(store: StateStore) -> str:
    """An active tenant routed from subscription `sub-1`, with one catalog."""
    store.tenants.save(TENANT, pim_url=PUBLIC_PIM, token=StoredToken("pim-token"), subscription_id=SUBSCRIPTION)
    store.catalogs.upsert(TENANT, CATALOG, name="Store", enabled=True)
    return TENANT


def product_event(
    event_id: str = "ev-1",
    *,
    kind: str = "updated",
    uuid: str = "6a9f8486-0000-0000-0000-000000000001",
    subject: str = SUBSCRIPTION,
    author: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A product CloudEvent as the Event Platform sends it."""
    return {
        "specversion": "1.0", "id": event_id, "source": "pim", "type": f"com.akeneo.pim.v1.product.{kind}",
        "subject": subject, "time": "2024-02-22T17:31:00Z", "datacontenttype": "application/json",
        "data": {"product": {"uuid": uuid}, "author": author or {"identifier": "julia", "type": "user"}},
    }


def signed(body: bytes, secret: str = PRIMARY, header: str = "X-AKENEO-SIGNATURE-PRIMARY") -> dict[str, str]:
    """Headers the Event Platform sends with `body`."""
    return {
        "Content-Type": "application/json",
        header: sign(body, secret),
        "X-AKENEO-SIGNATURE-ALGORITHM": "HmacSHA256",
    }


@pytest.fixture
def post_event(client: TestClient) -> Post:
    """POST a JSON event to /events, signed with the primary secret unless told otherwise."""

    def post(event: dict[str, Any], *, secret: str = PRIMARY, path: str = "/events") -> Any:
        body = json.dumps(event, separators=(",", ":")).encode()
        return client.post(path, content=body, headers=signed(body, secret))

    return post
