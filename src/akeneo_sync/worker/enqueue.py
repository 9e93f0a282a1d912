"""`StateScheduleSource`: which tenants and catalogs are live, and which runs are stalled, for the scheduler.

The scheduler sends its messages with `web.broker_enqueuer.BrokerEnqueuer` (by actor name), like
the web side, so neither process imports the worker's actors.
"""

from __future__ import annotations

from akeneo_sync.state import RunMode, StateStore

__all__ = ["StateScheduleSource"]


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
