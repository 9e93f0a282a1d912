"""Fixtures for the web integration tests: real Redis (DB 5), the app under `TestClient`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
import redis
from fastapi import FastAPI
from web_support import (
    API_KEY,
    CATALOG,
    CLIENT_ID,
    CLIENT_SECRET,
    PRIMARY,
    PUBLIC_PIM,
    SECONDARY,
    SUBSCRIPTION,
    TENANT,
    WEB_DB,
    Post,
    TestClient,
    signed,
)

from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.testing import EmulatorHandle, running_emulator
from akeneo_sync.state import StateStore, StoredToken, TokenCipher
from akeneo_sync.web import WebConfig, create_app
from akeneo_sync.web.batching import ProductBatcher
from akeneo_sync.web.testing import RecordingEnqueuer, static_resolver
from helpers import redis_db


@pytest.fixture
def real_redis() -> Iterator[redis.Redis]:
    """DB 5 of the loopback Redis, flushed before and after; fails loudly when Redis is absent."""
    with redis_db(WEB_DB) as client:
        yield client


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
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        public_url="http://testserver",
        scopes=("read_catalogs", "write_catalogs", "delete_catalogs", "read_products"),
        api_key=API_KEY,
        event_secrets=(PRIMARY, SECONDARY),
        allow_private_pim=False,
        flush_interval_s=0,
        # The ManualClock never refills a bucket: the rate limit has its own tests (test_web_security_load).
        activation_burst=1_000_000,
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


@pytest.fixture
def post_event(client: TestClient) -> Post:
    """POST a JSON event to /events, signed with the primary secret unless told otherwise."""

    def post(event: dict[str, Any], *, secret: str = PRIMARY, path: str = "/events") -> Any:
        body = json.dumps(event, separators=(",", ":")).encode()
        return client.post(path, content=body, headers=signed(body, secret))

    return post


@pytest.fixture(scope="session")
def _emulator_server() -> Iterator[EmulatorHandle]:
    with running_emulator(products=20, seed=5) as handle:
        yield handle


@pytest.fixture
def pim(_emulator_server: EmulatorHandle) -> Iterator[EmulatorHandle]:
    """The PIM emulator over a real socket, reset, with our app registered (callback on the TestClient)."""
    admin = _emulator_server.admin
    admin.post("/_emulator/reset").raise_for_status()
    admin.post(
        "/_emulator/apps",
        json={
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "callback_url": "http://testserver/callback",
            "scopes": ["read_catalogs", "write_catalogs", "delete_catalogs", "read_products"],
        },
    ).raise_for_status()
    yield _emulator_server
    admin.post("/_emulator/reset").raise_for_status()


@pytest.fixture
def dev_app(config: WebConfig, store: StateStore, enqueuer: RecordingEnqueuer, clock: ManualClock) -> FastAPI:
    """The app with ALLOW_PRIVATE_PIM, as in development against the emulator on loopback."""
    return create_app(replace(config, allow_private_pim=True), store=store, enqueuer=enqueuer, clock=clock)


@pytest.fixture
def dev_client(dev_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(dev_app, follow_redirects=False) as test_client:
        yield test_client
