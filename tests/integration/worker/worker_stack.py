"""The worker test stack: the emulator, a tenant, the real actors on a real worker and Redis."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from akeneo_sync.emulator.testing import EmulatorHandle
from akeneo_sync.targets.sqlite import SqliteTarget
from akeneo_sync.worker.embedded import EmbeddedWorker
from akeneo_sync.worker.runtime import Runtime


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

    def catalog_ids(self) -> list[str]:
        return [record.id for record in self.runtime.state.catalogs.list(self.tenant)]
