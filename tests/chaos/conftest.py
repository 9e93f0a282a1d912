"""Fixtures of the fault-injection suite: Redis DB 8 (flushed before and after), a Fernet key, a state store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from chaos_harness import CHAOS_DB, WorkerProcess
from cryptography.fernet import Fernet

from akeneo_sync.clock import SystemClock
from akeneo_sync.state import StateStore, TokenCipher
from helpers import redis_db


@pytest.fixture
def chaos_redis() -> Iterator[redis.Redis]:
    """DB 8 of the loopback Redis; fails loudly (never skips) when Redis is absent."""
    with redis_db(CHAOS_DB) as client:
        yield client


@pytest.fixture
def encryption_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def state(chaos_redis: redis.Redis, encryption_key: str) -> StateStore:
    """The state store the workers under test share (same Redis, same key)."""
    return StateStore(chaos_redis, cipher=TokenCipher(encryption_key), clock=SystemClock())


@pytest.fixture
def workers() -> Iterator[list[WorkerProcess]]:
    """Worker processes a test starts; any still running at teardown are SIGKILLed (a failed test leaves none)."""
    started: list[WorkerProcess] = []
    yield started
    for worker in started:
        if worker.process.poll() is None:
            worker.kill()
