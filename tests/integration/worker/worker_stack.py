"""The worker test stack: the emulator, a tenant, the real actors on a real worker and Redis."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import redis
from cryptography.fernet import Fernet

from akeneo_sync.clock import Clock, SystemClock
from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.testing import EmulatorHandle, running_emulator
from akeneo_sync.settings import CatalogSpec, Settings
from akeneo_sync.state import StoredToken
from akeneo_sync.targets.sqlite import SqliteTarget
from akeneo_sync.tenancy import tenant_id_for
from akeneo_sync.worker.broker import build_broker
from akeneo_sync.worker.embedded import EmbeddedWorker
from akeneo_sync.worker.runtime import Runtime, build_runtime
from akeneo_sync.worker.shutdown import StopFlag

CLIENT_ID = "akeneo-sync-tests"


@dataclass
class Stack:
    """The emulator, a tenant with a token, and the real actors on a real worker and Redis."""

    pim: EmulatorHandle
    runtime: Runtime
    worker: EmbeddedWorker
    target: SqliteTarget
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
    **settings: Any,
) -> Iterator[Stack]:
    """The emulator (`products` generated), a tenant and a real worker; `settings` override the defaults."""
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
    with running_emulator(config=emulator) as pim:
        pim.admin.post("/_emulator/apps", json={"client_id": CLIENT_ID, "client_secret": "s3cret"}).raise_for_status()
        token = pim.admin.post("/_emulator/tokens", json={"client_id": CLIENT_ID}).json()["access_token"]
        target = SqliteTarget(config.target_url)
        runtime = build_runtime(config, redis_client, clock=clock or SystemClock(), stop=StopFlag(), target=target)
        tenant = tenant_id_for(pim.base_url)
        runtime.state.tenants.save(tenant, pim_url=pim.base_url, token=StoredToken(access_token=token))
        broker = build_broker(redis_client)
        with EmbeddedWorker(runtime, broker, threads=2) as worker:
            yield Stack(pim=pim, runtime=runtime, worker=worker, target=target, tenant=tenant, token=token)
        runtime.close()
