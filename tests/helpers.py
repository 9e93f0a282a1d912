"""Helpers shared by every test tier: waiting on a condition, serving an ASGI app, reading paged and Redis state."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

import redis
import uvicorn

from akeneo_sync.akeneo.ratelimit import FairUsePolicy, FleetFairUseLimiter
from akeneo_sync.akeneo.types import Page
from akeneo_sync.clock import Clock
from akeneo_sync.emulator.testing import EmulatorHandle
from akeneo_sync.state import RunMode, Slot, StateStore
from akeneo_sync.state.digests import pack_uuid
from akeneo_sync.state.fairuse import RedisFairUseSlots
from akeneo_sync.state.keys import Keys
from akeneo_sync.sync.engine import SyncEngine
from akeneo_sync.sync.runner import run_catalog_sync
from akeneo_sync.sync.summary import RunSummary
from akeneo_sync.web.batching import BatchKind, ProductBatcher
from akeneo_sync.worker.catalog_lock import CatalogRunLock
from redis_server import TEST_REDIS_PORT

__all__ = ["every_item", "flush_batches", "missing_from_seen", "redis_db", "run_locked", "running_asgi", "wait_until"]

_T = TypeVar("_T")
_START_TIMEOUT_S = 20.0


def wait_until(predicate: Callable[[], _T], timeout: float = 10.0, *, interval: float = 0.01, what: str = "") -> _T:
    """Poll `predicate` until it returns a truthy value, which is returned; fail after `timeout` seconds.

    A deadline on a condition, never a sleep standing for "long enough": a fast machine waits
    less, and a slow one fails with a message rather than a wrong assertion further down.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout} s: {what or getattr(predicate, '__name__', predicate)}")
        time.sleep(interval)


@contextmanager
def redis_db(db: int) -> Iterator[redis.Redis]:
    """DB `db` of the test Redis (`redis_server.TEST_REDIS_PORT`), flushed before and after.

    Each test area owns one DB number. The ping fails loudly when Redis is absent: a test that
    needs Redis never skips.
    """
    client = redis.Redis(host="127.0.0.1", port=TEST_REDIS_PORT, db=db)
    client.ping()
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def running_asgi(app: Any, *, lifespan: Literal["auto", "on", "off"] = "on") -> Iterator[str]:
    """Serve `app` on 127.0.0.1 for the duration of the block; yields its base URL."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, http="h11", lifespan=lifespan, log_level="warning", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, name=f"asgi-{port}", daemon=True)
    thread.start()

    def started() -> bool:
        if not thread.is_alive():
            raise RuntimeError(f"server did not start on port {port}")
        return bool(server.started)

    wait_until(started, _START_TIMEOUT_S, what=f"server on port {port} started")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=_START_TIMEOUT_S)


def missing_from_seen(store: StateStore, tenant: str, catalog: str, slot: Slot, uuids: Sequence[str]) -> list[str]:
    """Those of `uuids` that are not in a run's seen set, read straight from Redis."""
    members = store.redis.smembers(store.keys.seen(tenant, catalog, slot))
    return [u for u in uuids if pack_uuid(u) not in members]


def every_item(fetch: Callable[[str | None], Page[_T]]) -> list[_T]:
    """Every item of a paged listing: `fetch(None)` is the first page, `fetch(url)` the page at `url`."""
    items: list[_T] = []
    next_url: str | None = None
    while True:
        page = fetch(next_url)
        items.extend(page.items)
        if page.next_url is None:
            return items
        next_url = page.next_url


def run_locked(
    engine: SyncEngine, catalog: str, mode: RunMode, *, lock: CatalogRunLock | None = None, **options: Any
) -> list[RunSummary]:
    """`run_catalog_sync` under the worker's lock (a fresh holder unless `lock` is given), as `worker.jobs` runs it."""
    held = lock or CatalogRunLock(engine.state, engine.tenant, catalog)
    return run_catalog_sync(engine, catalog, mode, lock=held, **options)


def flush_batches(batcher: ProductBatcher, *tenants: str) -> None:
    """Send these tenants' buffered product-event batches now, syncs before deletes, as the flusher does."""
    for kind in (BatchKind.SYNC, BatchKind.DELETE):
        for tenant in tenants:
            batcher.flush(kind, tenant)


def fleet_limiter(
    client: redis.Redis, *, pim_url: str, connection: str, policy: FairUsePolicy, clock: Clock, key_prefix: str
) -> FleetFairUseLimiter:
    """The fleet-wide limiter of one connection, on Redis slots under `key_prefix` (as the runtime wires it)."""
    slots = RedisFairUseSlots(client, Keys(key_prefix), pim_url=pim_url, connection=connection)
    return FleetFairUseLimiter(slots, policy=policy, clock=clock)


def seeded_emulator(handle: EmulatorHandle, client_id: str) -> Iterator[EmulatorHandle]:
    """A shared emulator back in its seeded state with the app `client_id` registered, reset again after."""
    handle.admin.post("/_emulator/reset").raise_for_status()
    handle.admin.post("/_emulator/apps", json={"client_id": client_id, "client_secret": "s"}).raise_for_status()
    yield handle
    handle.admin.post("/_emulator/reset").raise_for_status()
