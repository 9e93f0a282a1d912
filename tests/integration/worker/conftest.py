"""Real Redis on DB 9 for the worker tests, flushed before and after each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from cryptography.fernet import Fernet
from worker_stack import Stack

from akeneo_sync.clock import SystemClock
from akeneo_sync.emulator.testing import running_emulator
from akeneo_sync.settings import CatalogSpec, Settings
from akeneo_sync.state import StoredToken
from akeneo_sync.targets.sqlite import SqliteTarget
from akeneo_sync.tenancy import tenant_id_for
from akeneo_sync.worker.broker import build_broker
from akeneo_sync.worker.embedded import EmbeddedWorker
from akeneo_sync.worker.runtime import build_runtime
from akeneo_sync.worker.shutdown import StopFlag
from redis_server import TEST_REDIS_PORT

WORKER_TEST_DB = 9


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis(host="127.0.0.1", port=TEST_REDIS_PORT, db=WORKER_TEST_DB)
    client.ping()  # fail loudly, never skip, when Redis is absent
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


CLIENT_ID = "akeneo-sync-tests"


@pytest.fixture
def stack(redis_client: redis.Redis, tmp_path: Path) -> Iterator[Stack]:
    settings = Settings(
        encryption_key=Fernet.generate_key().decode(),
        target_url=f"sqlite:///{tmp_path / 'target.db'}",
        allow_private_pim=True,
        client_id=CLIENT_ID,
        catalogs=(CatalogSpec(name="Store EU"),),
        # Short, so the watchdog of a coalesced trigger fires within seconds in tests.
        catalog_lock_ttl_s=2,
    )
    with running_emulator(products=300, seed=7) as pim:
        pim.admin.post("/_emulator/apps", json={"client_id": CLIENT_ID, "client_secret": "s3cret"}).raise_for_status()
        token = pim.admin.post("/_emulator/tokens", json={"client_id": CLIENT_ID}).json()["access_token"]
        target = SqliteTarget(settings.target_url)
        runtime = build_runtime(settings, redis_client, clock=SystemClock(), stop=StopFlag(), target=target)
        tenant = tenant_id_for(pim.base_url)
        runtime.state.tenants.save(tenant, pim_url=pim.base_url, token=StoredToken(access_token=token))
        broker = build_broker(redis_client)
        with EmbeddedWorker(runtime, broker, threads=2) as worker:
            yield Stack(pim=pim, runtime=runtime, worker=worker, target=target, tenant=tenant, token=token)
        runtime.close()
