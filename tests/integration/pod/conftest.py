"""The pod-like start tests: root (mount namespaces, setpriv, cgroups) and a flushed Redis DB."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis

from redis_server import TEST_REDIS_PORT

POD_DB = 12


@pytest.fixture(scope="session", autouse=True)
def _root() -> None:
    # CI runs the suite as root (like this machine); a non-root run must fail loudly, not skip.
    assert os.geteuid() == 0, "the pod-like start tests need root: mount namespaces, setpriv and a cgroup"


@pytest.fixture
def redis_db() -> Iterator[None]:
    client = redis.Redis(host="127.0.0.1", port=TEST_REDIS_PORT, db=POD_DB)
    client.ping()
    client.flushdb()
    yield
    client.flushdb()
    client.close()
