"""Real Redis on DB 11 for the observability tests, flushed before and after; processes reaped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from observe_support import Processes

from redis_server import TEST_REDIS_PORT

OBSERVE_DB = 11


@pytest.fixture(scope="module")
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis(host="127.0.0.1", port=TEST_REDIS_PORT, db=OBSERVE_DB)
    client.ping()  # fail loudly, never skip, when Redis is absent
    client.flushdb()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(scope="module")
def processes() -> Iterator[Processes]:
    started = Processes()
    try:
        yield started
    finally:
        started.reap()
