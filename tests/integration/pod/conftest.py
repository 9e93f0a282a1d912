"""The pod-like start tests: root (mount namespaces, setpriv, cgroups) and a flushed Redis DB."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

import helpers

POD_DB = 12


@pytest.fixture(scope="session", autouse=True)
def _root() -> None:
    # CI runs the suite as root (like this machine); a non-root run must fail loudly, not skip.
    assert os.geteuid() == 0, "the pod-like start tests need root: mount namespaces, setpriv and a cgroup"


@pytest.fixture
def redis_db() -> Iterator[None]:
    with helpers.redis_db(POD_DB):
        yield
