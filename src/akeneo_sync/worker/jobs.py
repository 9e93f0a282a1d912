"""What the actors do, as plain functions over a `Runtime` (no dramatiq here, so tests call them).

Each job loads the tenant, refuses to touch the PIM for a tenant that is not active, and turns a
revoked token into a disconnected tenant: one metric, one log line, no retry storm.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Final

from structlog.contextvars import bound_contextvars

from akeneo_sync.akeneo.client import AkeneoClient
from akeneo_sync.akeneo.types import CatalogInfo
from akeneo_sync.errors import PimError, ScopeError, TokenRevokedError
from akeneo_sync.logging import get_logger
from akeneo_sync.mapping import is_variants_mode, schema_validator
from akeneo_sync.metrics import CATALOG_ENABLED, CATALOG_SCOPE_MISSING, DRIFT_DETECTED, TENANTS_REVOKED, tenant_label
from akeneo_sync.state import CatalogStatus, RunMode, Slot, Tenant, TenantStatus
from akeneo_sync.state.catalogs import GONE
from akeneo_sync.sync.engine import EngineOptions, SyncEngine
from akeneo_sync.sync.runner import run_catalog_sync
from akeneo_sync.sync.summary import Outcome, RunSummary
from akeneo_sync.worker.catalog_lock import CatalogRunLock
from akeneo_sync.worker.runtime import Runtime

__all__ = [
    "MAX_CATALOGS_PER_TENANT",
    "CatalogChanges",
    "CatalogRunResult",
    "activate_tenant",
    "already_satisfied",
    "build_engine",
    "disconnect_tenant",
    "listed_catalogs",
    "live_catalogs",
    "mark_scope_missing",
    "poll_catalogs",
    "subscribe_to_events",
    "sync_catalog_locked",
    "sync_products",
    "tenant_session",
    "variants_catalogs",
]

log = get_logger(__name__)

# A PIM lists only the catalogs this app created (one per configured catalog, and any the user
# has not deleted yet); a PIM listing far more is hostile or broken, and every one listed would
# cost Redis keys, metric series and a poll's time.
MAX_CATALOGS_PER_TENANT: Final = 100


@contextmanager
def tenant_session(runtime: Runtime, tenant_id: str) -> Iterator[Tenant | None]:
    """Bind log context, load the tenant (None when unknown or inactive) and handle revocation."""
    with bound_contextvars(tenant=tenant_id):
        tenant = runtime.state.tenants.get(tenant_id)
        if tenant is None or not tenant.is_active:
            log.info("tenant_skipped", status=None if tenant is None else tenant.status.value)
            yield None
            return
        try:
            yield tenant
        except TokenRevokedError:
            disconnect_tenant(runtime, tenant_id, revoked=True)
        except ScopeError as exc:
            # Not retried: the same token gets the same 403 until a PIM user reconnects the app.
            mark_scope_missing(runtime, tenant_id, exc.catalog, exc.endpoint)


def mark_scope_missing(runtime: Runtime, tenant_id: str, catalog: str | None, endpoint: str) -> None:
    """A 403: mark the catalog (every live one when the call named none) `scope_missing`.

    Such catalogs are not live, so no scheduled run hammers the PIM with calls it refuses; the
    reconnection stores a new token and the next poll finds them enabled and syncs them in full.
    """
    if catalog:
        catalogs = [catalog]
    else:
        catalogs = [record.id for record in runtime.state.catalogs.list(tenant_id) if record.is_live]
    for catalog_id in catalogs:
        runtime.state.catalogs.set_status(tenant_id, catalog_id, CatalogStatus.SCOPE_MISSING)
        CATALOG_SCOPE_MISSING.labels(tenant=tenant_label(tenant_id), catalog=catalog_id).set(1)
    log.warning("scope_missing", tenant=tenant_id, catalogs=catalogs, endpoint=endpoint)


def disconnect_tenant(runtime: Runtime, tenant_id: str, *, revoked: bool) -> None:
    """Stop all work for a tenant: its token is gone (revoked) or the app was removed."""
    tenant = runtime.state.tenants.get(tenant_id)
    if tenant is None or tenant.status is not TenantStatus.ACTIVE:
        return
    runtime.state.tenants.set_status(tenant_id, TenantStatus.DISCONNECTED)
    # Nothing may use it any more, so nothing keeps it: reconnecting the app stores a new one.
    # The tenant's catalogs and downstream data stay until an operator purges the tenant.
    runtime.state.tenants.forget_token(tenant_id)
    if revoked:
        TENANTS_REVOKED.inc()
    log.warning("tenant_disconnected", tenant=tenant_id, revoked=revoked)


ACTIVATION_LEASE_TTL_S: Final = 120.0


def activate_tenant(runtime: Runtime, tenant: Tenant) -> list[str] | None:
    """Create the configured catalogs that are missing and push their mapping schema; idempotent.

    Returns the ids of the configured catalogs, or None when another worker is activating the
    same tenant right now (retry later). Catalogs are matched by name, and activations of one
    tenant are serialised by a lease, so a redelivered message or a double click on Connect finds
    the catalogs made before instead of creating copies.
    """
    lease = runtime.state.activation_lease(tenant.id, uuid.uuid4().hex, ACTIVATION_LEASE_TTL_S)
    if not lease.acquire_or_renew():
        return None
    try:
        client = runtime.client_for(tenant)
        existing = {info.name: info for info in listed_catalogs(runtime, client)}
        ids: list[str] = []
        for spec in runtime.settings.catalogs:
            info = existing.get(spec.name)
            if info is None:
                info = client.create_catalog(spec.name)
                log.info("catalog_created", catalog=info.id, name=info.name)
            client.put_mapping_schema(info.id, spec.load_schema())
            runtime.state.catalogs.upsert(tenant.id, info.id, name=info.name, enabled=info.enabled)
            ids.append(info.id)
        subscribe_to_events(runtime, tenant)
        _clear_scope_missing(runtime, tenant.id)
        return ids
    finally:
        lease.release()


def _clear_scope_missing(runtime: Runtime, tenant_id: str) -> None:
    # The app was connected again with a new token: catalogs refused for a missing scope are
    # paused, so the poll that follows finds them enabled and syncs them in full.
    for record in runtime.state.catalogs.list(tenant_id):
        if record.status is CatalogStatus.SCOPE_MISSING:
            runtime.state.catalogs.set_status(tenant_id, record.id, CatalogStatus.PAUSED)
            CATALOG_SCOPE_MISSING.labels(tenant=tenant_label(tenant_id), catalog=record.id).set(0)


def subscribe_to_events(runtime: Runtime, tenant: Tenant) -> str | None:
    """Create (or reuse) the Event Platform subscription of a tenant when `EVENT_PLATFORM_URL` is set.

    Routes its events to the tenant by storing subscription id -> tenant; idempotent.
    """
    settings = runtime.settings
    if not settings.event_platform_url:
        return None
    from akeneo_sync.eventplatform.client import EventPlatformClient

    secrets = [secret.get_secret_value() for secret in settings.event_secrets]
    client = EventPlatformClient(
        runtime.http.get(settings.event_platform_url),
        settings.event_platform_url,
        technical_email=settings.technical_email,
    )
    subscription = client.ensure_subscription(
        tenant.pim_url,
        runtime.state.tenants.token(tenant.id).access_token,
        settings.client_id,
        settings.public_url,
        secrets,
    )
    runtime.state.tenants.set_subscription(tenant.id, subscription)
    log.info("event_subscription_ready", subscription=subscription)
    return subscription


@dataclass(frozen=True, slots=True)
class CatalogChanges:
    """What a poll found: catalogs to sync in full, paused, gone, and to refresh."""

    newly_enabled: tuple[str, ...]
    disabled: tuple[str, ...]
    deleted: tuple[str, ...]
    # Live catalogs whose managed currencies or locales changed: their mapped values did too.
    reshaped: tuple[str, ...] = ()


def listed_catalogs(runtime: Runtime, client: AkeneoClient) -> list[CatalogInfo]:
    """The PIM's catalogs for this app; `PimError` (paging stops) past `MAX_CATALOGS_PER_TENANT`."""
    cap = max(MAX_CATALOGS_PER_TENANT, len(runtime.settings.catalogs))
    listed = list(itertools.islice(client.iter_catalogs(), cap + 1))
    if len(listed) > cap:
        raise PimError(f"the PIM lists more than {cap} catalogs for this app; refusing them all", endpoint="catalogs")
    return listed


def poll_catalogs(runtime: Runtime, tenant: Tenant, client: AkeneoClient | None = None) -> CatalogChanges:
    """Diff the PIM's catalogs with the stored ones and record enabled/disabled/deleted."""
    client = client or runtime.client_for(tenant)
    catalogs = runtime.state.catalogs
    known = {record.id: record for record in catalogs.list(tenant.id)}
    listed = {info.id: info for info in listed_catalogs(runtime, client)}
    newly_enabled: list[str] = []
    disabled: list[str] = []
    reshaped: list[str] = []
    for catalog_id, info in listed.items():
        record = known.get(catalog_id)
        catalogs.upsert(tenant.id, catalog_id, name=info.name, enabled=info.enabled)
        shape = catalog_shape(info)
        previous_shape = catalogs.swap_shape(tenant.id, catalog_id, shape)
        CATALOG_ENABLED.labels(tenant=tenant_label(tenant.id), catalog=catalog_id).set(1 if info.enabled else 0)
        if record is not None and record.status is CatalogStatus.SCOPE_MISSING:
            continue  # the same token gets the same 403: only a reconnection (activation) clears it
        was_live = record is not None and record.is_live
        if info.enabled and not was_live:
            newly_enabled.append(catalog_id)
        elif info.enabled and previous_shape is not None and previous_shape != shape:
            reshaped.append(catalog_id)
            DRIFT_DETECTED.labels(kind="catalog").inc()
        elif not info.enabled and (record is None or record.status is not CatalogStatus.PAUSED):
            catalogs.set_status(tenant.id, catalog_id, CatalogStatus.PAUSED, enabled=False)
            disabled.append(catalog_id)
    deleted = [cid for cid, record in known.items() if cid not in listed and record.status not in GONE]
    for catalog_id in deleted:
        catalogs.set_status(tenant.id, catalog_id, CatalogStatus.DELETED, enabled=False)
        CATALOG_ENABLED.labels(tenant=tenant_label(tenant.id), catalog=catalog_id).set(0)
    changes = CatalogChanges(tuple(newly_enabled), tuple(disabled), tuple(deleted), tuple(reshaped))
    if newly_enabled or disabled or deleted or reshaped:
        log.info(
            "catalogs_changed",
            enabled=changes.newly_enabled,
            disabled=changes.disabled,
            deleted=changes.deleted,
            reshaped=changes.reshaped,
        )
    return changes


def catalog_shape(info: CatalogInfo) -> str:
    """The catalog fields that shape its mapped products (prices per currency, values per locale).

    The name and the enabled flag are left out: renaming a catalog changes no product.
    """
    return f"currencies={','.join(sorted(info.managed_currencies))};locales={','.join(sorted(info.managed_locales))}"


def build_engine(runtime: Runtime, tenant: Tenant, catalog: str | None = None) -> SyncEngine:
    """The sync engine for one tenant, on the process's shared client pool and target.

    With `catalog`, products are also checked against the mapping schema configured for that
    catalog (matched by name), so a product missing a required target becomes a dead letter.
    """
    schema = runtime.mapping_schema_for(tenant.id, catalog) if catalog else None
    models = schema is not None and is_variants_mode(schema)
    return SyncEngine(
        runtime.client_for(tenant),
        runtime.target,
        runtime.state,
        runtime.clock,
        tenant=tenant.id,
        options=EngineOptions(
            overlap_s=float(runtime.settings.watermark_overlap_s),
            cursors=runtime.settings.sync_cursors,
            prefetch=runtime.settings.sync_cursors > 1,
            drift_probe=runtime.settings.drift_probe,
            refresh_interval_s=float(runtime.settings.refresh_interval_s),
            models=models,
        ),
        # A schema in variants mode describes models, not the simple products served beside them.
        validator=None if schema is None or models else schema_validator(schema),
    )


@dataclass(frozen=True, slots=True)
class CatalogRunResult:
    """What a locked catalog run did: its runs (reruns included), or that it was coalesced."""

    summaries: tuple[RunSummary, ...] = ()
    coalesced: bool = False

    @property
    def interrupted(self) -> bool:
        """The worker is shutting down and the run stopped after a checkpoint."""
        return bool(self.summaries) and self.summaries[-1].outcome is Outcome.INTERRUPTED


def already_satisfied(runtime: Runtime, tenant: str, catalog: str, mode: RunMode, requested_at: float) -> bool:
    """Whether a successful run that started after `requested_at` already did what was asked.

    Delivery is at least once: a worker killed after its run finished but before the message was
    acked gets the message again, and without this check a finished full sync would start over
    from the first page. A run that started after the trigger covers it (its watermark, the start
    of the last successful run, says when); a run still in flight (a checkpoint) is resumed.
    """
    if mode not in (RunMode.FULL, RunMode.INCREMENTAL):
        return False
    record = runtime.state.catalogs.get(tenant, catalog)
    if record is None or record.last_outcome != "success":
        return False
    # Only a full run covers a full run: an incremental one that started later does not refresh.
    covered_since = record.refreshed_at if mode is RunMode.FULL else record.watermark
    return (
        covered_since is not None
        and covered_since >= requested_at
        and runtime.state.checkpoints.load(tenant, catalog, Slot.SYNC) is None
    )


def sync_catalog_locked(
    runtime: Runtime, tenant: Tenant, catalog: str, mode: RunMode, *, requested_at: float | None = None
) -> CatalogRunResult:
    """Run `mode` on a catalog under its lock, then every rerun requested meanwhile.

    When the lock is held, the trigger is recorded as a rerun for the holder and nothing runs
    here (never two runs of one catalog at once, never a trigger dropped). A trigger enqueued at
    `requested_at` that a later successful run already covered runs nothing.
    """
    if requested_at is not None and already_satisfied(runtime, tenant.id, catalog, mode, requested_at):
        log.info("sync_already_satisfied", catalog=catalog, mode=mode.value)
        return CatalogRunResult()
    lock = CatalogRunLock(runtime.state, tenant.id, catalog, ttl_s=runtime.settings.catalog_lock_ttl_s)
    with bound_contextvars(catalog=catalog):
        summaries = run_catalog_sync(
            build_engine(runtime, tenant, catalog), catalog, mode, should_stop=runtime.stop.is_set, lock=lock
        )
    if not summaries:
        log.info("sync_coalesced", catalog=catalog, mode=mode.value)
        return CatalogRunResult(coalesced=True)
    return CatalogRunResult(summaries=tuple(summaries))


def sync_products(runtime: Runtime, tenant: Tenant, uuids: list[str]) -> list[RunSummary]:
    """Re-sync these products in every enabled catalog of the tenant (events carry no catalog).

    A product that is gone from the PIM or left a catalog is deleted downstream by the by-UUID
    path, so deletions and updates share this one job.
    """
    return [
        build_engine(runtime, tenant, catalog).sync_uuids(catalog, uuids) for catalog in live_catalogs(runtime, tenant)
    ]


def live_catalogs(runtime: Runtime, tenant: Tenant) -> list[str]:
    """Ids of the tenant's catalogs that are enabled and neither paused, disabled nor deleted."""
    return [record.id for record in runtime.state.catalogs.list(tenant.id) if record.is_live]


def variants_catalogs(runtime: Runtime, tenant: Tenant) -> list[str]:
    """Ids of the tenant's live catalogs whose mapping schema is in variants mode (product models)."""
    return [
        catalog
        for catalog in live_catalogs(runtime, tenant)
        if (schema := runtime.mapping_schema_for(tenant.id, catalog)) is not None and is_variants_mode(schema)
    ]
