"""The embedded default target: one SQLite file in WAL mode, one transaction per batch.

Worker threads share one connection behind a lock (SQLite serializes writers anyway), and worker
*processes* share the file: WAL lets readers run beside the writer, `BEGIN IMMEDIATE` takes the
write lock up front so two writers never deadlock upgrading a read lock, and `busy_timeout` turns
a briefly held lock into a wait rather than an error.

Product models live in `akeneo_sync_models` and their variants in `akeneo_sync_variants` (a
foreign key to the model, in the order given); a model upsert deletes the model's variants and
inserts its new set in the batch's transaction, so readers see the old set or the new one.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from akeneo_sync.akeneo.types import MappedModel, MappedProduct
from akeneo_sync.clock import Clock, SystemClock
from akeneo_sync.errors import ConfigError, TargetError, TargetUnavailableError
from akeneo_sync.targets.base import BatchContext, BatchResult, ModelBatchResult, timed_push
from akeneo_sync.targets.encoding import DEFAULT_MAX_BODY_BYTES, encode_batch
from akeneo_sync.targets.model_encoding import EncodedModelBatch, encode_models

__all__ = ["SCHEME", "SqliteTarget"]

SCHEME: Final = "sqlite:///"
MEMORY: Final = ":memory:"

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS akeneo_sync_products (
    tenant TEXT NOT NULL,
    catalog TEXT NOT NULL,
    uuid TEXT NOT NULL,
    body TEXT NOT NULL,
    run_id TEXT NOT NULL,
    page INTEGER NOT NULL,
    written_at REAL NOT NULL,
    PRIMARY KEY (tenant, catalog, uuid)
)
"""
_UPSERT: Final = """
INSERT INTO akeneo_sync_products (tenant, catalog, uuid, body, run_id, page, written_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (tenant, catalog, uuid) DO UPDATE SET
    body = excluded.body, run_id = excluded.run_id, page = excluded.page, written_at = excluded.written_at
"""
_DELETE: Final = "DELETE FROM akeneo_sync_products WHERE tenant = ? AND catalog = ? AND uuid = ?"
_SELECT: Final = "SELECT uuid, body FROM akeneo_sync_products WHERE tenant = ? AND catalog = ? ORDER BY uuid"

_MODEL_SCHEMA: Final = (
    """
CREATE TABLE IF NOT EXISTS akeneo_sync_models (
    tenant TEXT NOT NULL,
    catalog TEXT NOT NULL,
    code TEXT NOT NULL,
    body TEXT NOT NULL,
    run_id TEXT NOT NULL,
    page INTEGER NOT NULL,
    written_at REAL NOT NULL,
    PRIMARY KEY (tenant, catalog, code)
)
""",
    """
CREATE TABLE IF NOT EXISTS akeneo_sync_variants (
    tenant TEXT NOT NULL,
    catalog TEXT NOT NULL,
    uuid TEXT NOT NULL,
    model_code TEXT NOT NULL,
    position INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (tenant, catalog, uuid),
    FOREIGN KEY (tenant, catalog, model_code) REFERENCES akeneo_sync_models (tenant, catalog, code) ON DELETE CASCADE
)
""",
    "CREATE INDEX IF NOT EXISTS akeneo_sync_variants_model ON akeneo_sync_variants (tenant, catalog, model_code)",
)
_UPSERT_MODEL: Final = """
INSERT INTO akeneo_sync_models (tenant, catalog, code, body, run_id, page, written_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (tenant, catalog, code) DO UPDATE SET
    body = excluded.body, run_id = excluded.run_id, page = excluded.page, written_at = excluded.written_at
"""
_DELETE_MODEL_VARIANTS: Final = "DELETE FROM akeneo_sync_variants WHERE tenant = ? AND catalog = ? AND model_code = ?"
# A variant moved to another model since the last sync is taken over by the model now carrying it.
_UPSERT_VARIANT: Final = """
INSERT INTO akeneo_sync_variants (tenant, catalog, uuid, model_code, position, body) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (tenant, catalog, uuid) DO UPDATE SET
    model_code = excluded.model_code, position = excluded.position, body = excluded.body
"""
_DELETE_MODEL: Final = "DELETE FROM akeneo_sync_models WHERE tenant = ? AND catalog = ? AND code = ?"
_DELETE_VARIANT: Final = "DELETE FROM akeneo_sync_variants WHERE tenant = ? AND catalog = ? AND uuid = ?"
_SELECT_MODELS: Final = "SELECT code, body FROM akeneo_sync_models WHERE tenant = ? AND catalog = ? ORDER BY code"
_SELECT_VARIANTS: Final = """
SELECT model_code, body FROM akeneo_sync_variants WHERE tenant = ? AND catalog = ? ORDER BY model_code, position
"""


class SqliteTarget:
    """Mapped products in a local SQLite file (`sqlite:///relative.db`, `sqlite:////abs.db`, `sqlite:///:memory:`)."""

    kind = "sqlite"

    def __init__(
        self,
        url: str,
        *,
        clock: Clock | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        busy_timeout_s: float = 10.0,
    ) -> None:
        self.path = _path_from_url(url)
        self._clock = clock or SystemClock()
        self._max_body_bytes = max_body_bytes
        self._lock = threading.Lock()
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves, one transaction per batch.
            self._conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_s
            )
            self._conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL in WAL mode survives a killed process (the kill test's case); only a power cut
            # can lose the last commits, which the next run re-sends from its checkpoint anyway.
            self._conn.execute("PRAGMA synchronous = NORMAL")
            # Off by default in SQLite: the variant -> model key is enforced, as a storefront expects.
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute(_SCHEMA)
            for statement in _MODEL_SCHEMA:
                self._conn.execute(statement)
        except sqlite3.Error as exc:
            raise ConfigError(f"AKENEO_SYNC_TARGET_URL: cannot open SQLite database {self.path!r}: {exc}") from exc

    def __repr__(self) -> str:
        return f"SqliteTarget(path={self.path!r})"

    def journal_mode(self) -> str:
        """SQLite's journal mode for this database (`wal` for files, `memory` for `:memory:`)."""
        with self._lock:
            row = self._conn.execute("PRAGMA journal_mode").fetchone()
        return str(row[0])

    def apply(self, batch: BatchContext, upserts: Sequence[MappedProduct], deletes: Sequence[str]) -> BatchResult:
        """Upsert then delete in one transaction; unstorable items come back as rejections."""
        with timed_push(self.kind, self._clock):
            encoded = encode_batch(upserts, deletes, max_body_bytes=self._max_body_bytes)
            written_at = self._clock.now()
            rows = [
                (batch.tenant, batch.catalog, p.uuid, p.body, batch.run_id, batch.page, written_at)
                for p in encoded.upserts
            ]
            self._write(batch, rows, [(batch.tenant, batch.catalog, uuid) for uuid in encoded.deletes])
        return BatchResult(rejected=encoded.rejected)

    def apply_models(
        self,
        batch: BatchContext,
        models: Sequence[MappedModel],
        model_deletes: Sequence[str] = (),
        variant_deletes: Sequence[str] = (),
    ) -> ModelBatchResult:
        """Replace each model and its variant set, then delete models and variants, in one transaction."""
        with timed_push(self.kind, self._clock):
            encoded = encode_models(models, model_deletes, variant_deletes, max_body_bytes=self._max_body_bytes)
            if encoded.models or encoded.model_deletes or encoded.variant_deletes:
                self._transaction(batch, lambda: self._write_models(batch, encoded))
        return ModelBatchResult(rejected=encoded.rejected, rejected_variant_deletes=encoded.rejected_variant_deletes)

    def _write_models(self, batch: BatchContext, encoded: EncodedModelBatch) -> None:
        tenant, catalog, written_at = batch.tenant, batch.catalog, self._clock.now()
        for model in encoded.models:
            self._conn.execute(
                _UPSERT_MODEL, (tenant, catalog, model.code, model.body, batch.run_id, batch.page, written_at)
            )
            self._conn.execute(_DELETE_MODEL_VARIANTS, (tenant, catalog, model.code))
            self._conn.executemany(
                _UPSERT_VARIANT,
                [(tenant, catalog, v.uuid, model.code, i, v.body) for i, v in enumerate(model.variants)],
            )
        self._conn.executemany(_DELETE_VARIANT, [(tenant, catalog, uuid) for uuid in encoded.variant_deletes])
        for code in encoded.model_deletes:
            self._conn.execute(_DELETE_MODEL_VARIANTS, (tenant, catalog, code))
            self._conn.execute(_DELETE_MODEL, (tenant, catalog, code))

    def _transaction(self, batch: BatchContext, work: Callable[[], None]) -> None:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                work()
                self._conn.execute("COMMIT")
            except BaseException as exc:
                self._rollback()
                if isinstance(exc, sqlite3.Error):
                    raise _translate(exc, batch) from exc
                raise

    def models(self, tenant: str, catalog: str) -> dict[str, MappedModel]:
        """Every model stored for a catalog, by code, with its variants in the order they were given."""
        with self._lock:
            try:
                model_rows = self._conn.execute(_SELECT_MODELS, (tenant, catalog)).fetchall()
                variant_rows = self._conn.execute(_SELECT_VARIANTS, (tenant, catalog)).fetchall()
            except sqlite3.Error as exc:
                raise _translate(exc, None) from exc
        variants: dict[str, list[MappedProduct]] = {}
        for code, body in variant_rows:
            variants.setdefault(code, []).append(json.loads(body))
        return {
            code: MappedModel(code=code, targets=json.loads(body), variants=tuple(variants.get(code, ())))
            for code, body in model_rows
        }

    def _write(
        self, batch: BatchContext, rows: Sequence[tuple[object, ...]], keys: Sequence[tuple[str, str, str]]
    ) -> None:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.executemany(_UPSERT, rows)
                self._conn.executemany(_DELETE, keys)
                self._conn.execute("COMMIT")
            except BaseException as exc:
                # Also on an asynchronous TimeLimitExceeded/Shutdown raised into this thread by
                # dramatiq: an open transaction would block every later batch on this connection.
                self._rollback()
                if isinstance(exc, sqlite3.Error):
                    raise _translate(exc, batch) from exc
                raise

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")

    def products(self, tenant: str, catalog: str) -> dict[str, MappedProduct]:
        """Every product stored for a catalog, by UUID."""
        with self._lock:
            try:
                rows = self._conn.execute(_SELECT, (tenant, catalog)).fetchall()
            except sqlite3.Error as exc:
                raise _translate(exc, None) from exc
        return {uuid: json.loads(body) for uuid, body in rows}

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            self._conn.close()


def _path_from_url(url: str) -> str:
    if not url.startswith(SCHEME) or url == SCHEME:
        raise ConfigError(
            f"AKENEO_SYNC_TARGET_URL: a SQLite target is sqlite:///relative.db or sqlite:////absolute.db, got {url!r}"
        )
    path = url.removeprefix(SCHEME)
    if path != MEMORY and not Path(path).parent.is_dir():
        raise ConfigError(f"AKENEO_SYNC_TARGET_URL: the directory of {path!r} does not exist")
    return path


def _translate(exc: sqlite3.Error, batch: BatchContext | None) -> TargetError:
    tenant, catalog = (batch.tenant, batch.catalog) if batch else (None, None)
    # OperationalError covers "database is locked", a full disk and I/O errors: worth retrying.
    # Anything else (a corrupt file, a schema someone changed) will not fix itself.
    cls = TargetUnavailableError if isinstance(exc, sqlite3.OperationalError) else TargetError
    return cls(f"SQLite target failed: {exc}", tenant=tenant, catalog=catalog)
