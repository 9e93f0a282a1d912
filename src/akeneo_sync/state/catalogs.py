"""Catalog records: what the app knows about each catalog and its last run.

One HASH per catalog plus a per-tenant set of catalog ids. The watermark is the start time (epoch
seconds, UTC) of the last successful full or incremental run: the next incremental asks the PIM
for products updated after it, minus an overlap.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

import redis

from akeneo_sync.clock import Clock
from akeneo_sync.state._codec import Fields, as_float, as_int, as_str, decode_hash
from akeneo_sync.state._redis import translate_errors
from akeneo_sync.state.keys import Keys
from akeneo_sync.state.transaction import Transaction

__all__ = ["ACTION_NEEDED", "COUNT_FIELDS", "GONE", "CatalogRecord", "CatalogStatus", "CatalogStore"]

COUNT_FIELDS = ("upserted", "skipped", "deleted", "failed")
# The `outcome` of a successful run (sync.summary.Outcome.SUCCESS; state does not import sync).
SUCCESS = "success"


class CatalogStatus(StrEnum):
    """Where a catalog stands in its lifecycle."""

    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    DISABLED = "disabled"
    DELETED = "deleted"
    # A deleted catalog whose products were removed from the target once its grace period ended.
    PURGED = "purged"
    # The PIM answered 403: the app's token lacks a scope it now needs; only the PIM user can fix it.
    SCOPE_MISSING = "scope_missing"
    FAILED = "failed"


# A catalog in one of these states needs a full sync once it is (again) enabled.
_NOT_LIVE = frozenset(
    {
        CatalogStatus.PAUSED,
        CatalogStatus.DISABLED,
        CatalogStatus.DELETED,
        CatalogStatus.PURGED,
        CatalogStatus.SCOPE_MISSING,
    }
)
# What someone must do for a catalog in this state to sync again (status API and CLI).
ACTION_NEEDED: Final[Mapping[CatalogStatus, str]] = {
    CatalogStatus.SCOPE_MISSING: (
        "the PIM answered 403: a PIM user must open the app in the PIM and connect it again to grant the "
        "scopes it asks for (AKENEO_SYNC_SCOPES); the catalog syncs in full once the app is reconnected"
    ),
    CatalogStatus.DISABLED: "a PIM user must enable the catalog in the PIM",
    CatalogStatus.PAUSED: "a PIM user must enable the catalog in the PIM",
}
# Gone from the PIM: a poll that does not list them again has nothing new to record.
GONE = frozenset({CatalogStatus.DELETED, CatalogStatus.PURGED})


@dataclass(frozen=True, slots=True)
class CatalogRecord:
    """A catalog as stored."""

    tenant: str
    id: str
    name: str
    enabled: bool
    status: CatalogStatus
    watermark: float | None = None
    last_run_id: str | None = None
    last_run_at: float | None = None
    last_outcome: str | None = None
    counts: Mapping[str, int] = field(default_factory=dict)
    updated_at: float = 0.0
    # When the app first found the catalog deleted in the PIM (the purge grace runs from here).
    deleted_at: float | None = None
    # When a run last succeeded (None: never). Records written before the field existed fall
    # back to `last_run_at` when their last run succeeded.
    last_success_at: float | None = None
    # When the last successful full run (a refresh) started; the refresh schedule counts from here.
    refreshed_at: float | None = None
    # The catalog's product-shaping fields (managed currencies and locales) as last polled.
    shape: str | None = None

    @property
    def is_live(self) -> bool:
        """Enabled and neither paused, disabled nor deleted: syncs and events apply to it."""
        return self.enabled and self.status not in _NOT_LIVE


class CatalogStore:
    """Reads and writes catalog records."""

    def __init__(self, client: redis.Redis, keys: Keys, clock: Clock) -> None:
        self._redis = client
        self._keys = keys
        self._clock = clock

    @translate_errors
    def upsert(self, tenant: str, catalog_id: str, *, name: str, enabled: bool) -> CatalogRecord:
        """Create the record (status idle) or update its name and enabled flag."""
        key = self._keys.catalog(tenant, catalog_id)
        pipe = self._redis.pipeline(transaction=True)
        pipe.hsetnx(key, "status", CatalogStatus.IDLE.value)
        pipe.hset(key, mapping={"name": name, "enabled": "1" if enabled else "0", "updated_at": str(self._clock.now())})
        pipe.sadd(self._keys.catalogs(tenant), catalog_id)
        pipe.execute()
        return self.require(tenant, catalog_id)

    @translate_errors
    def get(self, tenant: str, catalog_id: str) -> CatalogRecord | None:
        """The record, or None when unknown."""
        raw = self._redis.hgetall(self._keys.catalog(tenant, catalog_id))
        if not raw:
            return None
        fields = decode_hash(raw)
        return CatalogRecord(
            tenant=tenant,
            id=catalog_id,
            name=fields.get("name", ""),
            enabled=fields.get("enabled", "1") == "1",
            status=CatalogStatus(fields.get("status", CatalogStatus.IDLE.value)),
            watermark=as_float(fields, "watermark"),
            last_run_id=as_str(fields, "last_run_id"),
            last_run_at=as_float(fields, "last_run_at"),
            last_outcome=as_str(fields, "last_outcome"),
            counts={name: as_int(fields, f"count_{name}") for name in COUNT_FIELDS},
            updated_at=as_float(fields, "updated_at") or 0.0,
            deleted_at=as_float(fields, "deleted_at"),
            last_success_at=as_float(fields, "last_success_at")
            or (as_float(fields, "last_run_at") if fields.get("last_outcome") == SUCCESS else None),
            refreshed_at=as_float(fields, "refreshed_at"),
            shape=as_str(fields, "shape"),
        )

    def require(self, tenant: str, catalog_id: str) -> CatalogRecord:
        """The record, created (unnamed, enabled) when missing: runs may start before a poll."""
        record = self.get(tenant, catalog_id)
        if record is None:
            return self.upsert(tenant, catalog_id, name="", enabled=True)
        return record

    @translate_errors
    def list(self, tenant: str) -> list[CatalogRecord]:
        """Every catalog of a tenant, sorted by id."""
        members = self._redis.smembers(self._keys.catalogs(tenant))
        ids = sorted(m.decode() if isinstance(m, bytes) else m for m in members)
        return [record for record in (self.get(tenant, cid) for cid in ids) if record is not None]

    @translate_errors
    def set_status(self, tenant: str, catalog_id: str, status: CatalogStatus, *, enabled: bool | None = None) -> None:
        """Record a lifecycle change (and the enabled flag when it is known)."""
        self.stage_status(Transaction(self._redis), tenant, catalog_id, status, enabled=enabled).commit()

    def stage_status(
        self, tx: Transaction, tenant: str, catalog_id: str, status: CatalogStatus, *, enabled: bool | None = None
    ) -> Transaction:
        """Queue a status change on `tx` (part of a larger transaction)."""
        fields: Fields = {"status": status.value, "updated_at": str(self._clock.now())}
        if enabled is not None:
            fields["enabled"] = "1" if enabled else "0"
        key = self._keys.catalog(tenant, catalog_id)
        tx.pipe.hset(key, mapping=fields)
        if status is CatalogStatus.DELETED:
            # The first time only: a poll or a run finding it gone again does not restart the grace.
            tx.pipe.hsetnx(key, "deleted_at", str(self._clock.now()))
        tx.pipe.sadd(self._keys.catalogs(tenant), catalog_id)
        return tx

    def stage_run_result(
        self,
        tx: Transaction,
        tenant: str,
        catalog_id: str,
        *,
        run_id: str,
        outcome: str,
        status: CatalogStatus,
        counts: Mapping[str, int],
        watermark: float | None = None,
        refreshed_at: float | None = None,
    ) -> Transaction:
        """Queue the end of a run on `tx`; the watermark (and the refresh time) move only when given."""
        fields: Fields = {
            "status": status.value,
            "last_run_id": run_id,
            "last_run_at": str(self._clock.now()),
            "last_outcome": outcome,
            "updated_at": str(self._clock.now()),
            **{f"count_{name}": str(counts.get(name, 0)) for name in COUNT_FIELDS},
        }
        if watermark is not None:
            fields["watermark"] = repr(watermark)
        if outcome == SUCCESS:
            fields["last_success_at"] = fields["last_run_at"]
        key = self._keys.catalog(tenant, catalog_id)
        if refreshed_at is not None:
            fields["refreshed_at"] = repr(refreshed_at)
        tx.pipe.hset(key, mapping=fields)
        tx.pipe.sadd(self._keys.catalogs(tenant), catalog_id)
        return tx

    @translate_errors
    def start_refresh_clock(self, tenant: str, catalog_id: str, refreshed_at: float) -> None:
        """Give a catalog that never had a full run recorded (synced before refreshes existed) a refresh time."""
        self._redis.hsetnx(self._keys.catalog(tenant, catalog_id), "refreshed_at", repr(refreshed_at))

    @translate_errors
    def swap_shape(self, tenant: str, catalog_id: str, shape: str) -> str | None:
        """Record the catalog's shape as polled; returns the one recorded before (None: first poll)."""
        key = self._keys.catalog(tenant, catalog_id)
        pipe = self._redis.pipeline(transaction=True)
        pipe.hget(key, "shape")
        pipe.hset(key, "shape", shape)
        previous = pipe.execute()[0]
        return previous.decode() if isinstance(previous, bytes) else previous

    @translate_errors
    def probe_positions(self, tenant: str, catalog_id: str) -> tuple[str | None, str | None]:
        """Where the drift probe's product-uuids and mapped-products pages start next (None: first UUID)."""
        raw = self._redis.hmget(self._keys.catalog(tenant, catalog_id), ["probe_uuids_after", "probe_mapped_after"])
        uuids, mapped = (value.decode() if isinstance(value, bytes) else value for value in raw)
        return uuids or None, mapped or None

    @translate_errors
    def set_probe_positions(self, tenant: str, catalog_id: str, uuids: str | None, mapped: str | None) -> None:
        """Record where the next drift probe starts; an empty value starts at the first UUID."""
        fields: Fields = {"probe_uuids_after": uuids or "", "probe_mapped_after": mapped or ""}
        self._redis.hset(self._keys.catalog(tenant, catalog_id), mapping=fields)

    @translate_errors
    def delete(self, tenant: str, catalog_id: str) -> None:
        """Forget the record entirely."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.delete(self._keys.catalog(tenant, catalog_id))
        pipe.srem(self._keys.catalogs(tenant), catalog_id)
        pipe.execute()
