"""Fixtures for the client's integration tests: Redis DB 2 (flushed around each test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import redis

from akeneo_sync.akeneo.ratelimit import FairUseLimiter, FairUsePolicy, InProcessFairUseLimiter, RedisFairUseLimiter
from akeneo_sync.clock import Clock, ManualClock

REDIS_URL = "redis://127.0.0.1:6379/2"


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


LimiterFactory = Callable[..., FairUseLimiter]


@pytest.fixture(params=["redis", "in-process"])
def make_limiter(request: pytest.FixtureRequest, redis_client: redis.Redis) -> LimiterFactory:
    """Build either limiter with the same policy, so one test body checks both."""

    def make(clock: Clock, connection: str = "tenant-1", **policy: float) -> FairUseLimiter:
        rules = FairUsePolicy(**policy)  # type: ignore[arg-type]
        if request.param == "redis":
            return RedisFairUseLimiter(
                redis_client, pim_url="https://pim.example.com", connection=connection, policy=rules, clock=clock
            )
        return InProcessFairUseLimiter(policy=rules, clock=clock)

    return make
