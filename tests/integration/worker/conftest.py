"""Real Redis on DB 9 for the worker tests, flushed before and after each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from worker_stack import Stack, running_stack

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


@pytest.fixture
def stack(redis_client: redis.Redis, tmp_path: Path) -> Iterator[Stack]:
    with running_stack(redis_client, tmp_path) as running:
        yield running
