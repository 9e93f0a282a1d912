"""When a deleted catalog's products leave the target, under the catalog lock.

The poll marks a catalog `deleted` (and when) the first time the PIM stops listing it; once
`AKENEO_SYNC_DELETED_CATALOG_GRACE_S` has passed since, each poll hands it to the purge actor.
The grace period lets an operator notice a deletion made by mistake (`keep` disables the purge).
"""

from __future__ import annotations

from akeneo_sync.logging import get_logger
from akeneo_sync.state import CatalogStatus
from akeneo_sync.sync.purge import PurgeReport, purge_catalog
from akeneo_sync.worker.catalog_lock import CatalogRunLock
from akeneo_sync.worker.runtime import Runtime

__all__ = ["catalogs_due_for_purge", "purge_deleted_catalog"]

log = get_logger(__name__)


def catalogs_due_for_purge(runtime: Runtime, tenant: str) -> list[str]:
    """Deleted catalogs of the tenant whose grace period has run out."""
    grace = runtime.settings.deleted_catalog_grace_s
    if grace is None:
        return []
    now = runtime.clock.now()
    return [
        record.id
        for record in runtime.state.catalogs.list(tenant)
        if record.status is CatalogStatus.DELETED and record.deleted_at is not None and now - record.deleted_at >= grace
    ]


def purge_deleted_catalog(runtime: Runtime, tenant: str, catalog: str) -> PurgeReport | None:
    """Purge the catalog if it is still due; None when its lock is held (try later).

    Checked under the lock: a redelivered message, one sent before an operator set `keep`, or a
    run that took the lock meanwhile must not see a purge start.
    """
    lock = CatalogRunLock(runtime.state, tenant, catalog, ttl_s=runtime.settings.catalog_lock_ttl_s)
    if not lock.acquire(rerun_mode=""):
        return None
    try:
        if catalog not in catalogs_due_for_purge(runtime, tenant):
            return PurgeReport(deleted=0, dead_letters=0, finished=True)
        report = purge_catalog(runtime.state, runtime.target, tenant, catalog, should_stop=runtime.stop.is_set)
    finally:
        lock.release(honour_rerun=False)
    log.info(
        "catalog_purged",
        tenant=tenant,
        catalog=catalog,
        deleted=report.deleted,
        dead_letters=report.dead_letters,
        finished=report.finished,
    )
    return report
