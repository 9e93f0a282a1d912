"""Real Redis on DB 9 for the worker tests, flushed before and after each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

WORKER_TEST_DB = 9


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis(host="127.0.0.1", port=6379, db=WORKER_TEST_DB)
    client.ping()  # fail loudly, never skip, when Redis is absent
    client.flushdb()
    yield client
    client.flushdb()
    client.close()
