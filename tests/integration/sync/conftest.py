"""Fixtures for the engine across real parts: Redis DB 3, the emulator, the client, SQLite."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

import helpers
from akeneo_sync.akeneo.auth import AppTokenProvider
from akeneo_sync.akeneo.client import AkeneoClient
from akeneo_sync.akeneo.http import build_http_client
from akeneo_sync.akeneo.ratelimit import FairUsePolicy, InProcessFairUseLimiter
from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.testing import EmulatorHandle, running_emulator
from akeneo_sync.settings import bundled_schema_path
from akeneo_sync.state import StateStore, TokenCipher
from akeneo_sync.sync import EngineOptions, SyncEngine
from akeneo_sync.targets.sqlite import SqliteTarget

SYNC_DB = 3
TENANT = "tenant-emu"
APP = "app-engine"
PRODUCTS = 1_200


@pytest.fixture(scope="session")
def pim_clock() -> ManualClock:
    """One clock for the emulator, the client and the engine: `updated` and watermarks agree."""
    return ManualClock(start=1_780_000_000.0)


@pytest.fixture(scope="session")
def _emulator(pim_clock: ManualClock) -> Iterator[EmulatorHandle]:
    with running_emulator(products=PRODUCTS, seed=7, clock=pim_clock) as handle:
        yield handle


@pytest.fixture
def pim(_emulator: EmulatorHandle) -> Iterator[EmulatorHandle]:
    """The emulator in its seeded state, with the app registered."""
    yield from helpers.seeded_emulator(_emulator, APP)


@pytest.fixture
def redis_db() -> Iterator[redis.Redis]:
    """DB 3 of the loopback Redis, flushed before and after; fails loudly when Redis is absent."""
    with helpers.redis_db(SYNC_DB) as client:
        yield client


@pytest.fixture
def state(redis_db: redis.Redis, pim_clock: ManualClock) -> StateStore:
    return StateStore(redis_db, cipher=TokenCipher.generate(), clock=pim_clock)


@pytest.fixture
def client(pim: EmulatorHandle, pim_clock: ManualClock) -> Iterator[AkeneoClient]:
    token = pim.admin.post("/_emulator/tokens", json={"client_id": APP}).json()["access_token"]
    http = build_http_client(timeout_s=10.0)
    yield AkeneoClient(
        pim.base_url,
        http=http,
        tokens=AppTokenProvider(token),
        limiter=InProcessFairUseLimiter(policy=FairUsePolicy(max_per_s=1e6, burst=1000), clock=pim_clock),
        clock=pim_clock,
        rng=random.Random(1),
        max_attempts=3,
        tenant=TENANT,
    )
    http.close()


@pytest.fixture
def catalog(pim: EmulatorHandle, client: AkeneoClient) -> str:
    """An enabled catalog with the bundled mapping schema."""
    created = client.create_catalog("Store", managed_currencies=["EUR"], managed_locales=["en_US"])
    client.put_mapping_schema(created.id, json.loads(bundled_schema_path().read_text(encoding="utf-8")))
    pim.admin.post(f"/_emulator/catalogs/{created.id}/product-mapping/by-name").raise_for_status()
    pim.admin.post(f"/_emulator/catalogs/{created.id}/enable").raise_for_status()
    return created.id


@pytest.fixture
def sqlite_target(tmp_path: Path, pim_clock: ManualClock) -> Iterator[SqliteTarget]:
    target = SqliteTarget(f"sqlite:///{tmp_path / 'target.db'}", clock=pim_clock)
    yield target
    target.close()


@pytest.fixture
def make_engine(
    client: AkeneoClient, sqlite_target: SqliteTarget, state: StateStore, pim_clock: ManualClock
) -> Callable[..., SyncEngine]:
    def build(target: Any = None, **options: Any) -> SyncEngine:
        return SyncEngine(
            client, target or sqlite_target, state, pim_clock, tenant=TENANT, options=EngineOptions(**options)
        )

    return build
