"""Fixtures for the web unit tests: fakeredis, a manual clock and a recording enqueuer."""

from __future__ import annotations

import fakeredis
import pytest
import redis

from akeneo_sync.state.keys import Keys
from akeneo_sync.web.testing import RecordingEnqueuer


@pytest.fixture
def fake_redis() -> redis.Redis:
    client: redis.Redis = fakeredis.FakeRedis()
    return client


@pytest.fixture
def keys() -> Keys:
    return Keys("unit")


@pytest.fixture
def enqueuer() -> RecordingEnqueuer:
    return RecordingEnqueuer()
