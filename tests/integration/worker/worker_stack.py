"""The worker test stack: the emulator, a tenant, the real actors on a real worker and Redis."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import psycopg
import redis
from cryptography.fernet import Fernet

from akeneo_sync.akeneo.types import MappedModel, MappedProduct
from akeneo_sync.clock import Clock, SystemClock
from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.testing import EmulatorHandle, running_emulator
from akeneo_sync.settings import CatalogSpec, Settings
from akeneo_sync.state import StoredToken
from akeneo_sync.targets.base import Target
from akeneo_sync.targets.http import HttpTarget
from akeneo_sync.targets.postgres import PostgresTarget
from akeneo_sync.targets.sqlite import SqliteTarget
from akeneo_sync.tenancy import tenant_id_for
from akeneo_sync.worker.broker import build_broker
from akeneo_sync.worker.embedded import EmbeddedWorker
from akeneo_sync.worker.runtime import Runtime, build_runtime
from akeneo_sync.worker.shutdown import StopFlag
from target_platform import Platform, PlatformServer

CLIENT_ID = "akeneo-sync-tests"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
TARGET_KINDS = ("sqlite", "postgres", "http")


class StoredTarget(Protocol):
    """What a target really stored, read back from its store (the file, the database, the platform)."""

    def products(self, tenant: str, catalog: str) -> dict[str, MappedProduct]: ...

    def models(self, tenant: str, catalog: str) -> dict[str, MappedModel]: ...


@contextmanager
def real_target(kind: str, tmp_path: Path) -> Iterator[tuple[Target, StoredTarget]]:
    """A target of `kind` on its real store, and the reader of that store (the runtime closes the target)."""
    if kind == "sqlite":
        sqlite = SqliteTarget(f"sqlite:///{tmp_path / 'target.db'}")
        yield sqlite, sqlite
    elif kind == "postgres":
        name = f"akeneo_sync_worker_test_{secrets.token_hex(4)}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        postgres = PostgresTarget(f"postgresql://postgres@127.0.0.1:5432/{name}")
        try:
            yield postgres, postgres
        finally:
            with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    elif kind == "http":
        platform = Platform()
        server = PlatformServer(platform)
        thread = threading.Thread(target=server.serve_forever, name="platform", daemon=True)
        thread.start()
        host, port = server.server_address[:2]
        http = HttpTarget(f"http://{host!s}:{port}/batches", Platform.SECRET)
        try:
            yield http, platform
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)
    else:
        raise ValueError(f"unknown target kind {kind!r}")


@dataclass
class Stack:
    """The emulator, a tenant with a token, and the real actors on a real worker and Redis."""

    pim: EmulatorHandle
    runtime: Runtime
    worker: EmbeddedWorker
    target: StoredTarget  # what the worker's target stored, read back
    tenant: str
    token: str

    def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.pim.admin.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def expected(self, catalog: str) -> dict[str, Any]:
        mapped: dict[str, Any] = self.admin("GET", f"/_emulator/catalogs/{catalog}/expected")["mapped_products"]
        return mapped

    def actors(self) -> ModuleType:
        from akeneo_sync.worker import actors

        return actors

    def activate_and_enable(self, selection: dict[str, Any] | None = None) -> str:
        """Connect the app, map the one configured catalog by name (and set its selection), enable it, poll."""
        self.actors().app_activated.send(self.tenant)
        self.worker.drain()
        [catalog] = self.catalog_ids()
        self.admin("POST", f"/_emulator/catalogs/{catalog}/product-mapping/by-name")
        if selection is not None:
            self.admin("PUT", f"/_emulator/catalogs/{catalog}/selection", json=selection)
        self.admin("POST", f"/_emulator/catalogs/{catalog}/enable")
        self.actors().poll_catalogs.send(self.tenant)
        self.worker.drain()
        return catalog

    def catalog_ids(self) -> list[str]:
        return [record.id for record in self.runtime.state.catalogs.list(self.tenant)]


@contextmanager
def running_stack(
    redis_client: redis.Redis,
    tmp_path: Path,
    *,
    clock: Clock | None = None,
    products: int = 300,
    models: int = 0,
    target: str = "sqlite",
    **settings: Any,
) -> Iterator[Stack]:
    """The emulator (`products` generated), a tenant and a real worker pushing to a `target` of
    TARGET_KINDS on its real store; `settings` override the defaults."""
    settings.setdefault("catalogs", (CatalogSpec(name="Store EU"),))
    config = Settings(
        encryption_key=Fernet.generate_key().decode(),
        target_url=f"sqlite:///{tmp_path / 'target.db'}",
        allow_private_pim=True,
        client_id=CLIENT_ID,
        # Short, so the watchdog of a coalesced trigger fires within seconds in tests.
        catalog_lock_ttl_s=2,
        **settings,
    )
    emulator = EmulatorConfig(products=products, seed=7, clock=SystemClock(), models=models)
    with running_emulator(config=emulator) as pim, real_target(target, tmp_path) as (pushed_to, stored):
        pim.admin.post("/_emulator/apps", json={"client_id": CLIENT_ID, "client_secret": "s3cret"}).raise_for_status()
        token = pim.admin.post("/_emulator/tokens", json={"client_id": CLIENT_ID}).json()["access_token"]
        runtime = build_runtime(config, redis_client, clock=clock or SystemClock(), stop=StopFlag(), target=pushed_to)
        tenant = tenant_id_for(pim.base_url)
        runtime.state.tenants.save(tenant, pim_url=pim.base_url, token=StoredToken(access_token=token))
        broker = build_broker(redis_client)
        with EmbeddedWorker(runtime, broker, threads=2) as worker:
            yield Stack(pim=pim, runtime=runtime, worker=worker, target=stored, tenant=tenant, token=token)
        runtime.close()
