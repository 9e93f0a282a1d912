"""Real Redis on DB 9 for the worker tests, flushed before and after each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from worker_stack import Stack, running_stack

from helpers import redis_db

WORKER_TEST_DB = 9


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    with redis_db(WORKER_TEST_DB) as client:
        yield client


@pytest.fixture
def stack(redis_client: redis.Redis, tmp_path: Path) -> Iterator[Stack]:
    with running_stack(redis_client, tmp_path) as running:
        yield running
