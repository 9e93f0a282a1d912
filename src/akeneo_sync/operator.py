"""Operator commands: tenants, catalogs, enqueue a sync, dead letters (list and replay).

They talk to the same Redis as the workers and enqueue through the same broker, so a running
worker picks up what they send. Output is a plain table for people (or JSON with `--json`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from akeneo_sync.clock import Clock, SystemClock
from akeneo_sync.errors import ConfigError, TenantConflictError
from akeneo_sync.settings import Settings
from akeneo_sync.state import StateStore, StoredToken, TokenCipher
from akeneo_sync.state.catalogs import ACTION_NEEDED
from akeneo_sync.state.connect import RedisClient, connect
from akeneo_sync.tenancy import normalize_pim_url
from akeneo_sync.worker.broker import DEFAULT_QUEUE, build_broker
from akeneo_sync.worker.queues import DeadMessage, dead_messages, queue_depths

if TYPE_CHECKING:
    from akeneo_sync.sync.purge import PurgeReport
    from akeneo_sync.targets.base import Target

__all__ = ["ControlPlane", "print_table"]


@dataclass
class ControlPlane:
    """Redis state and the broker, as the operator commands see them."""

    settings: Settings
    redis: RedisClient
    state: StateStore

    @classmethod
    def open(cls, settings: Settings, *, clock: Clock | None = None) -> ControlPlane:
        """Connect to `REDIS_URL` and bind the actors to a broker on it, so they can be sent."""
        cipher = TokenCipher(settings.secret("encryption_key"))
        client = connect(settings.redis_url)
        state = StateStore(client, cipher=cipher, clock=clock or SystemClock())
        # Late: the actors pull in the metrics, which `akeneo-sync worker` must not load before
        # it has set PROMETHEUS_MULTIPROC_DIR up (see worker/process.py).
        from akeneo_sync.worker.embedded import bind_actors

        bind_actors(build_broker(client))
        return cls(settings=settings, redis=client, state=state)

    def add_tenant(self, pim_url: str, token: str, *, subscription_id: str | None, tenant_id: str | None) -> str:
        """Store a custom app's token for a PIM and enqueue `app_activated`; returns the tenant id."""
        url = normalize_pim_url(pim_url)
        if url.startswith("http://") and not self.settings.allow_private_pim:
            raise ConfigError("a PIM URL must be https:// (set AKENEO_SYNC_ALLOW_PRIVATE_PIM for a local emulator)")
        if not token.strip():
            raise ConfigError("--token is empty")
        tenant = tenant_id or self.state.tenants.id_for_url(url)
        try:
            self.state.tenants.save(
                tenant, pim_url=url, token=StoredToken(access_token=token.strip()), subscription_id=subscription_id
            )
        except TenantConflictError as exc:
            raise ConfigError(f"{exc.message}; pick another --tenant-id") from exc
        from akeneo_sync.worker import actors  # the broker must be installed before actors bind to it

        actors.app_activated.send(tenant)
        return tenant

    def purge_tenant(self, tenant_id: str, target: Target) -> PurgeReport:
        """Delete a disconnected tenant's products from `target`, then every piece of its state.

        Refused (`ConfigError`) for an unknown tenant, and for a connected one: its next poll
        would sync everything back, and its PIM user still expects the storefront to mirror it.
        """
        tenant = self.state.tenants.get(tenant_id)
        if tenant is None:
            raise ConfigError(f"unknown tenant {tenant_id!r} (`akeneo-sync tenants` lists them)")
        if tenant.is_active:
            raise ConfigError(
                f"tenant {tenant_id} is connected: only a disconnected tenant (app removed or token revoked in "
                "the PIM) can be purged"
            )
        from akeneo_sync.sync.purge import PurgeReport, purge_catalog  # late: it loads the metrics

        deleted = letters = 0
        for record in self.state.catalogs.list(tenant_id):
            report = purge_catalog(self.state, target, tenant_id, record.id)
            deleted += report.deleted
            letters += report.dead_letters
            self.state.catalogs.delete(tenant_id, record.id)
        letters += self.state.dead_letters.count(tenant_id)
        self.state.dead_letters.drop_all(tenant_id)
        self.state.tenants.delete(tenant_id)
        return PurgeReport(deleted=deleted, dead_letters=letters, finished=True)

    def reactivate_all(self) -> list[str]:
        """Enqueue `app_activated` for every active tenant (idempotent: after rotating `EVENT_SECRETS`,
        it moves each subscriber's notification secret to the new primary); returns their ids."""
        from akeneo_sync.worker import actors

        active = [tenant.id for tenant in self.state.tenants.list() if tenant.is_active]
        for tenant_id in active:
            actors.app_activated.send(tenant_id)
        return active

    def rotate_key(self) -> int:
        """Re-encrypt every tenant's token under the first `ENCRYPTION_KEY`; returns how many."""
        return sum(self.state.tenants.reencrypt(tenant.id) for tenant in self.state.tenants.list())

    def tenant_rows(self) -> list[dict[str, Any]]:
        """One row per tenant."""
        return [
            {
                "tenant": t.id,
                "pim_url": t.pim_url,
                "status": t.status.value,
                "subscription": t.subscription_id or "",
                "catalogs": len(self.state.catalogs.list(t.id)),
                "dead_letters": self.state.dead_letters.count(t.id),
            }
            for t in self.state.tenants.list()
        ]

    def catalog_rows(self, tenant: str | None = None) -> list[dict[str, Any]]:
        """One row per catalog, with its last run and lag."""
        now = self.state.clock.now()
        rows: list[dict[str, Any]] = []
        tenants = [tenant] if tenant else [t.id for t in self.state.tenants.list()]
        for tenant_id in tenants:
            for record in self.state.catalogs.list(tenant_id):
                rows.append(
                    {
                        "tenant": tenant_id,
                        "catalog": record.id,
                        "name": record.name,
                        "enabled": record.enabled,
                        "status": record.status.value,
                        "last_outcome": record.last_outcome or "",
                        "lag_s": "" if record.watermark is None else round(now - record.watermark),
                        **{name: record.counts.get(name, 0) for name in ("upserted", "skipped", "deleted", "failed")},
                        "action": ACTION_NEEDED.get(record.status, ""),
                    }
                )
        return rows

    def dead_message_rows(self) -> list[DeadMessage]:
        """Messages dramatiq dead-lettered after their retries, on every queue."""
        return dead_messages(self.redis, DEFAULT_QUEUE)

    def queue_rows(self) -> dict[str, int]:
        """Depth of every broker queue."""
        return queue_depths(self.redis, [DEFAULT_QUEUE])


def print_table(rows: Sequence[dict[str, Any]], *, as_json: bool = False, out: TextIO = sys.stdout) -> None:
    """Rows as an aligned text table (or JSON lines)."""
    if as_json:
        for row in rows:
            out.write(json.dumps(row, default=str) + "\n")
        return
    if not rows:
        out.write("(none)\n")
        return
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    out.write("  ".join(c.upper().ljust(widths[c]) for c in columns).rstrip() + "\n")
    for row in rows:
        out.write("  ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns).rstrip() + "\n")
