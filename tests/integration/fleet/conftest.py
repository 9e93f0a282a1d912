"""Fleet health tests: a real Redis (DB 13, flushed before and after) and a state store on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from akeneo_sync.clock import ManualClock
from akeneo_sync.state import StateStore, TokenCipher
from redis_server import TEST_REDIS_PORT

FLEET_DB = 13
REDIS_URL = f"redis://127.0.0.1:{TEST_REDIS_PORT}/{FLEET_DB}"


@pytest.fixture
def real_redis() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()  # fail loudly, never skip, when Redis is absent
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def cipher() -> TokenCipher:
    return TokenCipher.generate()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_800_000_000.0 - 4 * 3600)


@pytest.fixture
def state(real_redis: redis.Redis, cipher: TokenCipher, clock: ManualClock) -> StateStore:
    return StateStore(real_redis, cipher=cipher, clock=clock)
