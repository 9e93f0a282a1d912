"""Test doubles for the web side's ports: a recording `Enqueuer` and a table-driven resolver."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from akeneo_sync.web.ports import Resolver, SyncMode

__all__ = ["Enqueued", "RecordingEnqueuer", "static_resolver"]


@dataclass(frozen=True, slots=True)
class Enqueued:
    """One recorded call: the actor it stands for and its arguments."""

    actor: str
    tenant: str
    args: tuple[object, ...] = ()


@dataclass
class RecordingEnqueuer:
    """An `Enqueuer` that records every call in order (thread-safe: handlers run in a pool)."""

    calls: list[Enqueued] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _record(self, actor: str, tenant: str, *args: object) -> None:
        with self._lock:
            self.calls.append(Enqueued(actor, tenant, args))

    def app_activated(self, tenant: str) -> None:
        self._record("app_activated", tenant)

    def sync_products(self, tenant: str, uuids: Sequence[str]) -> None:
        self._record("sync_products", tenant, tuple(uuids))

    def delete_products(self, tenant: str, uuids: Sequence[str]) -> None:
        self._record("delete_products", tenant, tuple(uuids))

    def sync_models(self, tenant: str) -> None:
        self._record("sync_models", tenant)

    def tenant_disconnected(self, tenant: str) -> None:
        self._record("tenant_disconnected", tenant)

    def sync_catalog(self, tenant: str, catalog: str, mode: SyncMode) -> None:
        self._record("sync_catalog", tenant, catalog, mode)

    def reconcile_tenant(self, tenant: str) -> None:
        self._record("reconcile_tenant", tenant)

    def of(self, actor: str) -> list[Enqueued]:
        """The calls made to one actor."""
        with self._lock:
            return [call for call in self.calls if call.actor == actor]


def static_resolver(table: Mapping[str, Sequence[str]]) -> Resolver:
    """A resolver answering from `table`; unknown names fail as the system resolver would."""

    def resolve(host: str) -> Sequence[str]:
        try:
            return table[host.lower()]
        except KeyError:
            raise OSError(f"unknown host {host}") from None

    return resolve
