"""A catalog deleted in the PIM leaves the target once its grace period is over (injected clock)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
from test_worker_sync_flow import activate_and_enable
from worker_stack import Stack, running_stack

from akeneo_sync.clock import ManualClock
from akeneo_sync.state import CatalogStatus, NewDeadLetter

pytestmark = pytest.mark.integration

GRACE_S = 3600.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=time.time())


@pytest.fixture
def graced(redis_client: redis.Redis, tmp_path: Path, clock: ManualClock) -> Iterator[Stack]:
    with running_stack(redis_client, tmp_path, clock=clock, deleted_catalog_grace_s=GRACE_S) as running:
        yield running


def delete_in_pim(stack: Stack, catalog: str) -> None:
    headers = {"Authorization": f"Bearer {stack.token}"}
    assert httpx.delete(f"{stack.pim.base_url}/api/rest/v1/catalogs/{catalog}", headers=headers).status_code == 204


def poll(stack: Stack) -> None:
    stack.actors().poll_catalogs.send(stack.tenant)
    stack.worker.drain()


def test_a_deleted_catalog_keeps_its_products_for_the_grace_then_leaves_the_target(
    graced: Stack, clock: ManualClock
) -> None:
    stack = graced
    catalog = activate_and_enable(stack)
    synced = stack.target.products(stack.tenant, catalog)
    assert synced == stack.expected(catalog)
    state = stack.runtime.state
    state.dead_letters.add(stack.tenant, NewDeadLetter(catalog, "invalid_product", "test", {}, None, "r1", 1))
    delete_in_pim(stack, catalog)

    poll(stack)
    record = state.catalogs.require(stack.tenant, catalog)
    assert (record.status, record.deleted_at) == (CatalogStatus.DELETED, clock.now())

    clock.advance(GRACE_S - 1)
    poll(stack)  # a poll within the grace: found deleted again, the grace does not restart
    assert stack.target.products(stack.tenant, catalog) == synced
    assert state.catalogs.require(stack.tenant, catalog).deleted_at == record.deleted_at

    clock.advance(1)
    poll(stack)
    assert stack.target.products(stack.tenant, catalog) == {}
    assert state.catalogs.require(stack.tenant, catalog).status is CatalogStatus.PURGED
    assert state.digests.count(stack.tenant, catalog) == 0
    assert state.dead_letters.count(stack.tenant) == 0

    # Later polls neither mark it deleted again nor purge again.
    clock.advance(GRACE_S)
    poll(stack)
    assert state.catalogs.require(stack.tenant, catalog).status is CatalogStatus.PURGED


def test_keep_leaves_a_deleted_catalogs_products_downstream_for_good(
    redis_client: redis.Redis, tmp_path: Path, clock: ManualClock
) -> None:
    with running_stack(redis_client, tmp_path, clock=clock, deleted_catalog_grace_s="keep") as stack:
        catalog = activate_and_enable(stack)
        synced = stack.target.products(stack.tenant, catalog)
        delete_in_pim(stack, catalog)
        poll(stack)
        clock.advance(365 * 86400)
        poll(stack)
        assert stack.target.products(stack.tenant, catalog) == synced
        assert stack.runtime.state.catalogs.require(stack.tenant, catalog).status is CatalogStatus.DELETED


def test_a_purge_message_for_a_catalog_not_yet_due_purges_nothing(graced: Stack, clock: ManualClock) -> None:
    # A redelivered or early message is checked again under the lock.
    stack = graced
    catalog = activate_and_enable(stack)
    synced = stack.target.products(stack.tenant, catalog)
    delete_in_pim(stack, catalog)
    poll(stack)

    stack.actors().purge_catalog.send(stack.tenant, catalog)
    stack.worker.drain()

    assert stack.target.products(stack.tenant, catalog) == synced
    assert stack.runtime.state.catalogs.require(stack.tenant, catalog).status is CatalogStatus.DELETED
