"""The worker's object graph, built once per process from `Settings` (the composition root).

Dramatiq actors are module-level functions, so they reach their collaborators through
`current_runtime()`; everything below it is injected. One pooled `httpx.Client` per PIM per
process (`HttpClientPool`), one fair-use limiter per tenant shared by all threads, one target.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

from akeneo_sync.akeneo.auth import AppTokenProvider
from akeneo_sync.akeneo.client import AkeneoClient
from akeneo_sync.akeneo.http import HttpClientPool
from akeneo_sync.akeneo.ratelimit import FairUseLimiter, build_limiter
from akeneo_sync.clock import Clock
from akeneo_sync.errors import ConfigError, TokenRevokedError
from akeneo_sync.settings import Settings
from akeneo_sync.state import StateStore, Tenant, TokenCipher
from akeneo_sync.state.connect import RedisClient
from akeneo_sync.targets.base import Target
from akeneo_sync.targets.factory import build_target
from akeneo_sync.worker.shutdown import StopFlag

__all__ = ["Runtime", "build_runtime", "current_runtime", "install_runtime"]


@dataclass
class Runtime:
    """Everything an actor needs, shared by the threads of one worker process."""

    settings: Settings
    redis: RedisClient
    state: StateStore
    target: Target
    clock: Clock
    stop: StopFlag
    http: HttpClientPool
    fleet_wide_limits: bool = True
    rng: random.Random = field(default_factory=random.Random)
    _limiters: dict[str, FairUseLimiter] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def limiter_for(self, tenant: Tenant) -> FairUseLimiter:
        """The fair-use limiter of a tenant's connection (Redis-backed unless embedded)."""
        with self._lock:
            limiter = self._limiters.get(tenant.id)
            if limiter is None:
                # Fleet-wide: the slots live in the state store, under its prefix.
                slots = self.state.fair_use(tenant.pim_url, tenant.id) if self.fleet_wide_limits else None
                limiter = build_limiter(self.settings, clock=self.clock, slots=slots)
                self._limiters[tenant.id] = limiter
            return limiter

    def client_for(self, tenant: Tenant) -> AkeneoClient:
        """An Akeneo client for the tenant, on the process's pooled HTTP client for its PIM."""
        if not tenant.is_active:
            raise TokenRevokedError(f"tenant {tenant.id} is {tenant.status.value}", tenant=tenant.id)
        token = self.state.tenants.token(tenant.id)
        return AkeneoClient(
            tenant.pim_url,
            http=self.http.get(tenant.pim_url),
            tokens=AppTokenProvider(token.access_token),
            limiter=self.limiter_for(tenant),
            clock=self.clock,
            rng=self.rng,
            max_attempts=self.settings.pim_max_attempts,
            deadline_s=self.settings.pim_retry_deadline_s,
            tenant=tenant.id,
            mapping_schemas=lambda catalog: self.mapping_schema_for(tenant.id, catalog),
        )

    def mapping_schema_for(self, tenant_id: str, catalog_id: str) -> dict[str, Any] | None:
        """The schema the app pushes for a catalog (configured catalogs are matched by name)."""
        record = self.state.catalogs.get(tenant_id, catalog_id)
        if record is None:
            return None
        for spec in self.settings.catalogs:
            if spec.name == record.name:
                return spec.load_schema()
        return None

    def close(self) -> None:
        """Release sockets and connections at process shutdown."""
        self.http.close()
        self.target.close()


_current: Runtime | None = None


def install_runtime(runtime: Runtime) -> Runtime:
    """Make `runtime` the one the actors of this process use."""
    global _current  # noqa: PLW0603 -- one composition root per process, set at start
    _current = runtime
    return runtime


def current_runtime() -> Runtime:
    """The runtime installed for this process."""
    if _current is None:
        raise ConfigError("no worker runtime installed: start the worker through `akeneo-sync worker`")
    return _current


def build_runtime(
    settings: Settings,
    client: RedisClient,
    *,
    clock: Clock,
    stop: StopFlag,
    target: Target | None = None,
    fleet_wide_limits: bool = True,
) -> Runtime:
    """Wire the worker's collaborators from settings (`ENCRYPTION_KEY` is required)."""
    state = StateStore(client, cipher=TokenCipher(settings.secret("encryption_key")), clock=clock)
    secret = settings.target_secret.get_secret_value() if settings.target_secret else None
    return Runtime(
        settings=settings,
        redis=client,
        state=state,
        target=target or build_target(settings.target_url, secret, clock=clock),
        clock=clock,
        stop=stop,
        http=HttpClientPool(
            timeout_s=settings.pim_timeout_s, max_concurrency_per_token=settings.max_concurrency_per_token
        ),
        fleet_wide_limits=fleet_wide_limits,
    )
