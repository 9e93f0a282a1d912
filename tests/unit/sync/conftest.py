"""Fixtures for engine tests: the real state store on fakeredis, an in-memory catalog and target."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import fakeredis
import pytest
from sync_fakes import TENANT, DictTarget, MemorySource

from akeneo_sync.clock import ManualClock
from akeneo_sync.state import StateStore, TokenCipher
from akeneo_sync.sync.engine import EngineOptions, SyncEngine


@pytest.fixture
def state(clock: ManualClock) -> Iterator[StateStore]:
    client = fakeredis.FakeRedis()
    yield StateStore(client, cipher=TokenCipher.generate(), clock=clock)
    client.close()


@pytest.fixture
def source(clock: ManualClock) -> MemorySource:
    source = MemorySource(clock)
    for i in range(250):
        source.put(i, price=i)
    # Past the default overlap, so an increment after the first full run sees only new changes.
    clock.advance(1000)
    return source


@pytest.fixture
def target() -> DictTarget:
    return DictTarget()


@pytest.fixture
def make_engine(
    source: MemorySource, target: DictTarget, state: StateStore, clock: ManualClock
) -> Callable[..., SyncEngine]:
    def build(**options: Any) -> SyncEngine:
        return SyncEngine(source, target, state, clock, tenant=TENANT, options=EngineOptions(**options))

    return build


@pytest.fixture
def engine(make_engine: Callable[..., SyncEngine]) -> SyncEngine:
    return make_engine()
