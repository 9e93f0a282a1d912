"""Real Redis on DB 11 for the observability tests, flushed before and after; processes reaped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from observe_support import Processes

from helpers import redis_db

OBSERVE_DB = 11


@pytest.fixture(scope="module")
def redis_client() -> Iterator[redis.Redis]:
    with redis_db(OBSERVE_DB) as client:
        yield client


@pytest.fixture(scope="module")
def processes() -> Iterator[Processes]:
    started = Processes()
    try:
        yield started
    finally:
        started.reap()
