"""Adapters between the scheduler / web side and the actors and state they drive.

`ActorEnqueuer` sends actor messages (the scheduler's `SyncEnqueuer`, the web side's enqueuer);
`StateScheduleSource` tells the scheduler which tenants and catalogs are live.
"""

from __future__ import annotations

from collections.abc import Sequence

from akeneo_sync.state import RunMode, StateStore

__all__ = ["ActorEnqueuer", "StateScheduleSource"]


class ActorEnqueuer:
    """Enqueue work by sending actor messages (the broker must be installed first)."""

    def __init__(self) -> None:
        # Imported here: actors bind to the global broker when their module is first imported.
        from akeneo_sync.worker import actors

        self._actors = actors

    def app_activated(self, tenant: str) -> None:
        self._actors.app_activated.send(tenant)

    def poll_catalogs(self, tenant: str) -> None:
        self._actors.poll_catalogs.send(tenant)

    def sync_catalog(self, tenant: str, catalog: str, mode: str) -> None:
        self._actors.sync_catalog.send(tenant, catalog, mode)

    def reconcile_catalog(self, tenant: str, catalog: str) -> None:
        self._actors.reconcile_catalog.send(tenant, catalog)

    def sync_products(self, tenant: str, uuids: Sequence[str]) -> None:
        self._actors.sync_products.send(tenant, list(uuids))

    def delete_products(self, tenant: str, uuids: Sequence[str]) -> None:
        # The by-UUID sync deletes downstream what the PIM no longer has: one path for both.
        self._actors.sync_products.send(tenant, list(uuids))

    def tenant_disconnected(self, tenant: str) -> None:
        self._actors.tenant_disconnected.send(tenant)


class StateScheduleSource:
    """Live tenants and their enabled catalogs, read from the state store."""

    def __init__(self, state: StateStore) -> None:
        self._state = state

    def active_tenants(self) -> list[str]:
        return [tenant.id for tenant in self._state.tenants.list() if tenant.is_active]

    def enabled_catalogs(self, tenant: str) -> list[str]:
        return [record.id for record in self._state.catalogs.list(tenant) if record.is_live]

    def stalled_runs(self, tenant: str) -> list[tuple[str, str]]:
        stalled = []
        for catalog, _slot, checkpoint in self._state.checkpoints.in_flight(tenant):
            if checkpoint.mode is not RunMode.UUIDS and self._state.locks.holder(tenant, catalog) is None:
                stalled.append((catalog, checkpoint.mode.value))
        return stalled
