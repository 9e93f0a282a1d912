"""Fleet health tests: a real Redis (DB 13, flushed before and after) and a state store on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from akeneo_sync.clock import ManualClock
from akeneo_sync.state import StateStore, TokenCipher
from helpers import redis_db

FLEET_DB = 13


@pytest.fixture
def real_redis() -> Iterator[redis.Redis]:
    with redis_db(FLEET_DB) as client:
        yield client


@pytest.fixture
def cipher() -> TokenCipher:
    return TokenCipher.generate()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_800_000_000.0 - 4 * 3600)


@pytest.fixture
def state(real_redis: redis.Redis, cipher: TokenCipher, clock: ManualClock) -> StateStore:
    return StateStore(real_redis, cipher=cipher, clock=clock)
