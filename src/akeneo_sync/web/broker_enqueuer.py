"""`BrokerEnqueuer`: the `Enqueuer` port over a Dramatiq broker, addressing actors by name.

The web process must not import the worker's actors (and their engine, targets and clients) just
to send messages: a message names its actor and queue, which is all the broker needs. The names
are the worker's actors (`worker/actors.py`): deletions go to `sync_products`, whose by-UUID sync
deletes downstream what the PIM no longer has, product-model changes go to `sync_models` (the
worker knows which catalogs are in variants mode), and a tenant reconcile is one
`reconcile_catalog` per enabled catalog. Each actor's queue comes from `queues` (default: `default`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import dramatiq
from dramatiq.errors import DramatiqError

from akeneo_sync.errors import StateError
from akeneo_sync.state import redis_failures

__all__ = ["BrokerEnqueuer"]


class BrokerEnqueuer:
    """Sends one Dramatiq message per call; `StateError` when the broker cannot be reached."""

    def __init__(
        self,
        broker: dramatiq.Broker,
        *,
        enabled_catalogs: Callable[[str], Sequence[str]],
        queues: Mapping[str, str] | None = None,
        default_queue: str = "default",
    ) -> None:
        self._broker = broker
        self._enabled_catalogs = enabled_catalogs
        self._queues = dict(queues or {})
        self._default_queue = default_queue

    def _send(self, actor: str, *args: object) -> None:
        message: dramatiq.Message[object] = dramatiq.Message(
            queue_name=self._queues.get(actor, self._default_queue),
            actor_name=actor,
            args=args,
            kwargs={},
            options={},
        )
        try:
            # The broker's Redis fails with redis-py's errors: the state store translates them.
            with redis_failures(f"enqueue {actor}"):
                self._broker.enqueue(message)
        except DramatiqError as exc:
            raise StateError(f"cannot enqueue {actor}: {type(exc).__name__}") from exc

    def app_activated(self, tenant: str) -> None:
        self._send("app_activated", tenant)

    def sync_products(self, tenant: str, uuids: Sequence[str]) -> None:
        self._send("sync_products", tenant, list(uuids))

    def delete_products(self, tenant: str, uuids: Sequence[str]) -> None:
        self._send("sync_products", tenant, list(uuids))

    def sync_models(self, tenant: str) -> None:
        self._send("sync_models", tenant)

    def tenant_disconnected(self, tenant: str) -> None:
        self._send("tenant_disconnected", tenant)

    def sync_catalog(self, tenant: str, catalog: str, mode: str) -> None:
        # Any run mode: the API sends full/incremental, the scheduler also resumes reconciles.
        self._send("sync_catalog", tenant, catalog, mode)

    def reconcile_tenant(self, tenant: str) -> None:
        for catalog in self._enabled_catalogs(tenant):
            self.reconcile_catalog(tenant, catalog)

    # The scheduler's `SyncEnqueuer` (the same messages, sent by the scheduler process).
    def poll_catalogs(self, tenant: str) -> None:
        self._send("poll_catalogs", tenant)

    def reconcile_catalog(self, tenant: str, catalog: str) -> None:
        self._send("reconcile_catalog", tenant, catalog)
