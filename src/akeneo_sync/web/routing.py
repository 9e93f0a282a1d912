"""`SubscriptionRoutes`: an event's `subject` (subscription id) to its active tenant, cached briefly.

Every event of a busy PIM carries the same subject, and resolving it costs two Redis round trips
(subscription -> tenant id, then the tenant record for its status). The answer changes only on
activation, disconnection or deletion, so the process keeps it for `ttl_s` seconds.

Only positive answers are kept. Caching "unknown subject" or "inactive tenant" would drop the
events of a tenant activated a moment ago (the platform gets a 202 and never redelivers them);
a stale positive answer only buffers a few seconds of events for a tenant that just left, and the
worker checks the tenant again before it syncs anything.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Final

from akeneo_sync.clock import Clock
from akeneo_sync.state import StateStore

__all__ = ["Route", "SubscriptionRoutes"]

# A bound on memory for a pod receiving events of many tenants; reaching it clears the cache.
_MAX_ENTRIES: Final = 10_000


@dataclass(frozen=True, slots=True)
class Route:
    """Where an event goes: its tenant id, or why it goes nowhere."""

    tenant: str | None
    is_active: bool

    @property
    def is_known(self) -> bool:
        return self.tenant is not None


class SubscriptionRoutes:
    """Resolves subjects through the state store, remembering active tenants for `ttl_s` seconds."""

    def __init__(self, store: StateStore, clock: Clock, *, ttl_s: float = 5.0) -> None:
        self._store = store
        self._clock = clock
        self._ttl_s = ttl_s
        self._cached: dict[str, tuple[str, float]] = {}
        # Request threads and the event loop both read and fill the cache.
        self._lock = threading.Lock()

    def cached(self, subject: str) -> Route | None:
        """The remembered route of an active tenant, or None (ask `resolve`); no I/O."""
        entry = self._cached.get(subject)
        if entry is None:
            return None
        tenant, expires_at = entry
        if self._clock.monotonic() >= expires_at:
            with self._lock:
                if self._cached.get(subject) == entry:
                    del self._cached[subject]
            return None
        return Route(tenant, is_active=True)

    def resolve(self, subject: str) -> Route:
        """The route from the cache, else from Redis (blocking); `StateError` when Redis fails."""
        route = self.cached(subject)
        if route is not None:
            return route
        tenant_id = self._store.tenants.tenant_for_subscription(subject)
        if tenant_id is None:
            return Route(None, is_active=False)
        tenant = self._store.tenants.get(tenant_id)
        if tenant is None or not tenant.is_active:
            return Route(tenant_id, is_active=False)
        if self._ttl_s > 0:
            with self._lock:
                if len(self._cached) >= _MAX_ENTRIES:
                    self._cached.clear()
                self._cached[subject] = (tenant_id, self._clock.monotonic() + self._ttl_s)
        return Route(tenant_id, is_active=True)

    def forget(self, subject: str) -> None:
        """Drop a subject at once (this pod just disconnected its tenant)."""
        with self._lock:
            self._cached.pop(subject, None)
