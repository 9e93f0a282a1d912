"""`BrokerEnqueuer`: the `Enqueuer` port over a Dramatiq broker, addressing actors by name.

The web process must not import the worker's actors (and their engine, targets and clients) just
to send messages: a message names its actor and queue, which is all the broker needs. The actor
names are the `Enqueuer` method names; each goes to the queue given in `queues` (default: the
broker's default queue). The worker's actors must be declared with the same names and queues.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import dramatiq
import redis
from dramatiq.errors import DramatiqError

from akeneo_sync.errors import StateError
from akeneo_sync.web.ports import SyncMode

__all__ = ["BrokerEnqueuer"]


class BrokerEnqueuer:
    """Sends one Dramatiq message per call; `StateError` when the broker cannot be reached."""

    def __init__(self, broker: dramatiq.Broker, *, queues: Mapping[str, str] | None = None,
                 default_queue: str = "default") -> None:
        self._broker = broker
        self._queues = dict(queues or {})
        self._default_queue = default_queue

    def _send(self, actor: str, *args: object) -> None:
        message: dramatiq.Message[object] = dramatiq.Message(
            queue_name=self._queues.get(actor, self._default_queue), actor_name=actor, args=args, kwargs={},
            options={},
        )
        try:
            self._broker.enqueue(message)
        except (DramatiqError, redis.RedisError) as exc:
            raise StateError(f"cannot enqueue {actor}: {type(exc).__name__}") from exc

    def app_activated(self, tenant: str) -> None:
        self._send("app_activated", tenant)

    def sync_products(self, tenant: str, uuids: Sequence[str]) -> None:
        self._send("sync_products", tenant, list(uuids))

    def delete_products(self, tenant: str, uuids: Sequence[str]) -> None:
        self._send("delete_products", tenant, list(uuids))

    def tenant_disconnected(self, tenant: str) -> None:
        self._send("tenant_disconnected", tenant)

    def sync_catalog(self, tenant: str, catalog: str, mode: SyncMode) -> None:
        self._send("sync_catalog", tenant, catalog, mode)

    def reconcile_tenant(self, tenant: str) -> None:
        self._send("reconcile_tenant", tenant)
