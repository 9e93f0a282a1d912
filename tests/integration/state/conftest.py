"""Fixtures for the state store contract: the same tests on real Redis (DB 3) and on fakeredis."""

from __future__ import annotations

from collections.abc import Iterator

import fakeredis
import pytest
import redis

from akeneo_sync.clock import ManualClock
from akeneo_sync.state import StateStore, TokenCipher
from helpers import redis_db

STATE_DB = 3


@pytest.fixture
def real_redis() -> Iterator[redis.Redis]:
    """DB 3 of the loopback Redis, flushed before and after; fails loudly when Redis is absent."""
    with redis_db(STATE_DB) as client:
        yield client


@pytest.fixture(params=["redis", "fakeredis"])
def redis_client(request: pytest.FixtureRequest) -> Iterator[redis.Redis]:
    """Each contract test runs once on the real server and once on fakeredis."""
    if request.param == "fakeredis":
        yield fakeredis.FakeRedis()
    else:
        yield request.getfixturevalue("real_redis")


@pytest.fixture
def cipher() -> TokenCipher:
    return TokenCipher.generate()


@pytest.fixture
def store(redis_client: redis.Redis, cipher: TokenCipher, clock: ManualClock) -> StateStore:
    return StateStore(redis_client, cipher=cipher, clock=clock, prefix="test")
