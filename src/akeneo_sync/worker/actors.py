"""The Dramatiq actors: thin wrappers that load state, call a job or the engine, record the outcome.

Import this module only after `install_broker` (actors bind to the global broker at import) and
`install_runtime`. Actors receive ids, never tokens or product bodies.

Retry policy: only errors whose class says `retryable` are retried, a bounded number of times
with exponential backoff; a `Retry-After` from the PIM becomes `dramatiq.Retry(delay=…)`.
Anything else fails at once into dramatiq's dead-letter queue (`akeneo-sync dead-letters list`).
"""

from __future__ import annotations

from typing import Any, Final

import dramatiq
from dramatiq.middleware import CurrentMessage

from akeneo_sync.errors import AkeneoSyncError, RateLimitedError
from akeneo_sync.state import RunMode
from akeneo_sync.worker import jobs, purge, reruns
from akeneo_sync.worker.broker import DEFAULT_QUEUE
from akeneo_sync.worker.runtime import Runtime, current_runtime

__all__ = [
    "app_activated",
    "catalog_watchdog",
    "poll_catalogs",
    "purge_catalog",
    "reconcile_catalog",
    "should_retry",
    "sync_catalog",
    "sync_models",
    "sync_products",
    "tenant_disconnected",
]

MAX_RETRIES: Final = 8
MIN_BACKOFF_MS: Final = 2_000
MAX_BACKOFF_MS: Final = 10 * 60_000
# Messages older than a day are stale: the scheduler will have enqueued fresher ones.
MAX_AGE_MS: Final = 24 * 3600_000
SHORT_TIME_LIMIT_MS: Final = 5 * 60_000
ACTIVATION_RETRY_MS: Final = 2_000


def should_retry(retries: int, exc: BaseException) -> bool:
    """Retry transient failures only, and only `MAX_RETRIES` times."""
    if retries >= MAX_RETRIES:
        return False
    if isinstance(exc, dramatiq.Retry):
        return True
    return isinstance(exc, AkeneoSyncError) and exc.retryable


def retry_later(exc: RateLimitedError) -> dramatiq.Retry:
    """Turn the PIM's `Retry-After` into a dramatiq retry after exactly that long."""
    delay_ms = int(max(exc.retry_after_s or 0.0, 1.0) * 1000)
    return dramatiq.Retry(str(exc), delay=delay_ms)


_RETRY_OPTIONS: Final[dict[str, Any]] = {
    "max_retries": MAX_RETRIES,
    "min_backoff": MIN_BACKOFF_MS,
    "max_backoff": MAX_BACKOFF_MS,
    "retry_when": should_retry,
    "max_age": MAX_AGE_MS,
}


@dramatiq.actor(queue_name=DEFAULT_QUEUE, time_limit=SHORT_TIME_LIMIT_MS, **_RETRY_OPTIONS)
def app_activated(tenant: str) -> None:
    """Create the configured catalogs and push the mapping schema, then poll the catalogs."""
    runtime = current_runtime()
    try:
        with jobs.tenant_session(runtime, tenant) as loaded:
            if loaded is None:
                return
            if jobs.activate_tenant(runtime, loaded) is None:
                # Another worker is activating this tenant: come back once it is done.
                raise dramatiq.Retry("activation in progress elsewhere", delay=ACTIVATION_RETRY_MS)
    except RateLimitedError as exc:
        raise retry_later(exc) from exc
    poll_catalogs.send(tenant)


@dramatiq.actor(queue_name=DEFAULT_QUEUE, time_limit=SHORT_TIME_LIMIT_MS, **_RETRY_OPTIONS)
def poll_catalogs(tenant: str) -> None:
    """Diff enabled flags: newly enabled → full sync; disabled → paused; gone → deleted."""
    runtime = current_runtime()
    try:
        with jobs.tenant_session(runtime, tenant) as loaded:
            if loaded is None:
                return
            changes = jobs.poll_catalogs(runtime, loaded)
    except RateLimitedError as exc:
        raise retry_later(exc) from exc
    for catalog in changes.newly_enabled + changes.reshaped:
        sync_catalog.send(tenant, catalog, "full")
    for catalog in purge.catalogs_due_for_purge(runtime, tenant):
        purge_catalog.send(tenant, catalog)


@dramatiq.actor(queue_name=DEFAULT_QUEUE, time_limit=SHORT_TIME_LIMIT_MS, **_RETRY_OPTIONS)
def tenant_disconnected(tenant: str) -> None:
    """The app was removed from the PIM (or its token revoked): stop all work for the tenant."""
    jobs.disconnect_tenant(current_runtime(), tenant, revoked=False)


SYNC_TIME_LIMIT_MS: Final = 2 * 3600_000


@dramatiq.actor(queue_name=DEFAULT_QUEUE, time_limit=SYNC_TIME_LIMIT_MS, **_RETRY_OPTIONS)
def sync_catalog(tenant: str, catalog: str, mode: str = "incremental") -> None:
    """Run (or resume) a full, incremental or reconcile run of one catalog under its lock.

    `refresh` is a full run by another name: the digest skip pushes only what changed.
    """
    run_mode = RunMode.FULL if mode == "refresh" else RunMode(mode)
    runtime = current_runtime()
    result = jobs.CatalogRunResult()
    try:
        with jobs.tenant_session(runtime, tenant) as loaded:
            if loaded is None:
                return
            message = CurrentMessage.get_current_message()
            requested_at = message.message_timestamp / 1000 if message is not None else None
            result = jobs.sync_catalog_locked(runtime, loaded, catalog, run_mode, requested_at=requested_at)
    except RateLimitedError as exc:
        raise retry_later(exc) from exc
    if result.coalesced:
        _arm_watchdog(runtime, tenant, catalog, reruns.watchdog_delay_s(runtime, tenant, catalog))
    elif result.interrupted:
        # The worker is shutting down: the run checkpointed; resume it on another worker.
        sync_catalog.send(tenant, catalog, result.summaries[-1].mode.value)


@dramatiq.actor(queue_name=DEFAULT_QUEUE, time_limit=SYNC_TIME_LIMIT_MS, **_RETRY_OPTIONS)
def reconcile_catalog(tenant: str, catalog: str) -> None:
    """Delete downstream every product that is no longer in the catalog."""
    sync_catalog(tenant, catalog, RunMode.RECONCILE.value)


@dramatiq.actor(queue_name=DEFAULT_QUEUE, time_limit=SHORT_TIME_LIMIT_MS, **_RETRY_OPTIONS)
def sync_models(tenant: str) -> None:
    """Product models changed in the PIM: an incremental run of each live catalog in variants mode.

    The catalog lock and `already_satisfied` coalesce these with each other and with scheduled runs.
    """
    runtime = current_runtime()
    catalogs: list[str] = []
    with jobs.tenant_session(runtime, tenant) as loaded:
        if loaded is not None:
            catalogs = jobs.variants_catalogs(runtime, loaded)
    for catalog in catalogs:
        sync_catalog.send(tenant, catalog, RunMode.INCREMENTAL.value)


@dramatiq.actor(queue_name=DEFAULT_QUEUE, time_limit=SHORT_TIME_LIMIT_MS, **_RETRY_OPTIONS)
def catalog_watchdog(tenant: str, catalog: str) -> None:
    """Honour rerun requests a dead lock holder left behind (see `reruns.arm_watchdog`)."""
    runtime = current_runtime()
    reruns.disarm_watchdog(runtime, tenant, catalog)
    again_in = reruns.honour_reruns(
        runtime, tenant, catalog, lambda mode: sync_catalog.send(tenant, catalog, mode.value)
    )
    if again_in is not None:
        # Still held: a live holder honours the flag at release; if it dies first, look again.
        _arm_watchdog(runtime, tenant, catalog, again_in)


def _arm_watchdog(runtime: Runtime, tenant: str, catalog: str, delay_s: float) -> None:
    if reruns.arm_watchdog(runtime, tenant, catalog):
        catalog_watchdog.send_with_options(args=(tenant, catalog), delay=int(delay_s * 1000))


@dramatiq.actor(queue_name=DEFAULT_QUEUE, time_limit=SYNC_TIME_LIMIT_MS, **_RETRY_OPTIONS)
def purge_catalog(tenant: str, catalog: str) -> None:
    """Delete downstream every product of a catalog deleted in the PIM, once its grace has passed."""
    runtime = current_runtime()
    report = purge.purge_deleted_catalog(runtime, tenant, catalog)
    if report is None:
        raise dramatiq.Retry("catalog locked", delay=int(runtime.settings.catalog_lock_ttl_s * 1000))
    if not report.finished:
        # The worker is shutting down: what is left is purged by the next worker.
        purge_catalog.send(tenant, catalog)


@dramatiq.actor(queue_name=DEFAULT_QUEUE, time_limit=SHORT_TIME_LIMIT_MS, **_RETRY_OPTIONS)
def sync_products(tenant: str, uuids: list[str]) -> None:
    """Fetch these products by UUID in every enabled catalog: push the present, delete the gone."""
    runtime = current_runtime()
    try:
        with jobs.tenant_session(runtime, tenant) as loaded:
            if loaded is not None:
                jobs.sync_products(runtime, loaded, uuids)
    except RateLimitedError as exc:
        raise retry_later(exc) from exc
