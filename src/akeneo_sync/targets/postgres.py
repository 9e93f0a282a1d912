"""A PostgreSQL target: one JSONB row per product, upserted with `ON CONFLICT`, psycopg 3.

Threads share one connection behind a lock (a page's batch is one statement, so a pool would buy
little for a worker's few threads). The connection is made lazily and remade after a failure, so
a worker starts while the database is down and its batches retry later (`TargetUnavailableError`).

Product models live in `akeneo_sync_models`, their variants in `akeneo_sync_variants` (a foreign
key to the model, `ON DELETE CASCADE`); a models batch replaces each model's variant set in one
transaction, so a storefront reads the old set or the new one, never a mix.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from akeneo_sync.akeneo.types import MappedModel, MappedProduct
from akeneo_sync.clock import Clock, SystemClock
from akeneo_sync.errors import ConfigError, TargetError, TargetUnavailableError
from akeneo_sync.targets.base import (
    BatchContext,
    BatchResult,
    ModelBatchResult,
    ModelRejection,
    Rejection,
    timed_push,
)
from akeneo_sync.targets.encoding import DEFAULT_MAX_BODY_BYTES, EncodedProduct, encode_batch, trim
from akeneo_sync.targets.model_encoding import EncodedModel, encode_models
from akeneo_sync.targets.postgres_models import MODEL_SCHEMA, SELECT_MODELS, SELECT_VARIANTS, has_nul, write_models

__all__ = ["SCHEMES", "PostgresTarget"]

SCHEMES: Final = ("postgresql://", "postgres://")
# Any fixed number: it only has to be the same in every process creating the table.
_SCHEMA_LOCK_ID: Final = 0x616B656E656F
T = TypeVar("T")

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS akeneo_sync_products (
    tenant text NOT NULL,
    catalog text NOT NULL,
    uuid text NOT NULL,
    body jsonb NOT NULL,
    run_id text NOT NULL,
    page integer NOT NULL,
    written_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, catalog, uuid)
)
"""
# One statement per batch whatever its size: the rows travel as two arrays, in binary (`%b`),
# because the text array format must quote and escape every JSON body (measured 18x slower).
_UPSERT_MANY: Final = """
INSERT INTO akeneo_sync_products (tenant, catalog, uuid, body, run_id, page, written_at)
SELECT %(tenant)s, %(catalog)s, t.uuid, t.body::jsonb, %(run_id)s, %(page)s, to_timestamp(%(written_at)s)
FROM unnest(%(uuids)b::text[], %(bodies)b::text[]) AS t(uuid, body)
ON CONFLICT (tenant, catalog, uuid) DO UPDATE SET
    body = excluded.body, run_id = excluded.run_id, page = excluded.page, written_at = excluded.written_at
"""
_UPSERT_ONE: Final = """
INSERT INTO akeneo_sync_products (tenant, catalog, uuid, body, run_id, page, written_at)
VALUES (%(tenant)s, %(catalog)s, %(uuid)s, %(body)s::jsonb, %(run_id)s, %(page)s, to_timestamp(%(written_at)s))
ON CONFLICT (tenant, catalog, uuid) DO UPDATE SET
    body = excluded.body, run_id = excluded.run_id, page = excluded.page, written_at = excluded.written_at
"""
_DELETE_MANY: Final = """
DELETE FROM akeneo_sync_products WHERE tenant = %(tenant)s AND catalog = %(catalog)s AND uuid = ANY(%(uuids)b::text[])
"""
_SELECT: Final = "SELECT uuid, body FROM akeneo_sync_products WHERE tenant = %s AND catalog = %s ORDER BY uuid"

_NUL_REFUSED: Final = "contains a U+0000 character, which JSONB cannot store"


class PostgresTarget:
    """Mapped products in a PostgreSQL table `akeneo_sync_products` (created if missing)."""

    kind = "postgres"

    def __init__(
        self,
        url: str,
        *,
        clock: Clock | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        connect_timeout_s: int = 5,
        statement_timeout_s: float = 30.0,
    ) -> None:
        if not url.startswith(SCHEMES):
            # The URL is not echoed: it may carry a password.
            raise ConfigError("AKENEO_SYNC_TARGET_URL: a PostgreSQL target starts with postgresql:// or postgres://")
        try:
            given = conninfo_to_dict(url)
        except psycopg.ProgrammingError:
            # `from None`: libpq's message quotes the URL, password included.
            raise ConfigError("AKENEO_SYNC_TARGET_URL is not a valid PostgreSQL URL") from None
        # statement_timeout is enforced by the server, which cannot help when the network itself is
        # gone: TCP keepalives and a user timeout make a silent peer fail the socket instead.
        defaults: dict[str, str | int | None] = {
            "connect_timeout": connect_timeout_s,
            "keepalives": 1,
            "keepalives_idle": 30,
            "keepalives_interval": 10,
            "keepalives_count": 3,
            "tcp_user_timeout": 60_000,
        }
        self._conninfo = make_conninfo("", **{**defaults, **given})
        self._clock = clock or SystemClock()
        self._max_body_bytes = max_body_bytes
        # A blocked socket read cannot be interrupted by dramatiq's TimeLimit: bound it here.
        self._statement_timeout_ms = int(statement_timeout_s * 1000)
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[Any] | None = None

    def __repr__(self) -> str:
        # The URL may carry a password: never print it.
        return "PostgresTarget()"

    def apply(self, batch: BatchContext, upserts: Sequence[MappedProduct], deletes: Sequence[str]) -> BatchResult:
        """Upsert then delete in one transaction; rows PostgreSQL refuses come back as rejections."""
        with timed_push(self.kind, self._clock):
            encoded = encode_batch(upserts, deletes, max_body_bytes=self._max_body_bytes)
            storable: list[EncodedProduct] = []
            rejected = list(encoded.rejected)
            for product in encoded.upserts:
                if has_nul(product.body):
                    rejected.append(Rejection(product.uuid, _NUL_REFUSED))
                else:
                    storable.append(product)
            params = self._params(batch)
            refused: list[Rejection] = []
            if storable or encoded.deletes:
                with self._lock:
                    refused = self._run(batch, lambda conn: _write(conn, params, storable, encoded.deletes))
        return BatchResult(rejected=tuple(rejected + refused))

    def _params(self, batch: BatchContext) -> dict[str, Any]:
        """The statement parameters every row of `batch` shares."""
        return {
            "tenant": batch.tenant,
            "catalog": batch.catalog,
            "run_id": batch.run_id,
            "page": batch.page,
            "written_at": self._clock.now(),
        }

    def products(self, tenant: str, catalog: str) -> dict[str, MappedProduct]:
        """Every product stored for a catalog, by UUID."""
        with self._lock:
            rows = self._run(None, lambda conn: conn.execute(_SELECT, (tenant, catalog)).fetchall())
        return {str(uuid): body for uuid, body in rows}

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
            storable: list[EncodedModel] = []
            rejected = list(encoded.rejected)
            for model in encoded.models:
                if has_nul(model.body) or any(has_nul(v.body) for v in model.variants):
                    rejected.append(ModelRejection(model.code, _NUL_REFUSED))
                else:
                    storable.append(model)
            params = self._params(batch)
            deletes = (encoded.model_deletes, encoded.variant_deletes)
            refused: list[ModelRejection] = []
            if storable or encoded.model_deletes or encoded.variant_deletes:
                with self._lock:
                    refused = self._run(batch, lambda conn: write_models(conn, params, storable, *deletes))
        return ModelBatchResult(
            rejected=tuple(rejected + refused), rejected_variant_deletes=encoded.rejected_variant_deletes
        )

    def models(self, tenant: str, catalog: str) -> dict[str, MappedModel]:
        """Every model stored for a catalog, by code, with its variants in the order they were given."""

        def read(conn: psycopg.Connection[Any]) -> tuple[list[Any], list[Any]]:
            with conn.transaction():  # one snapshot: a model and its variants as one batch left them
                models = conn.execute(SELECT_MODELS, (tenant, catalog)).fetchall()
                variants = conn.execute(SELECT_VARIANTS, (tenant, catalog)).fetchall()
            return models, variants

        with self._lock:
            model_rows, variant_rows = self._run(None, read)
        variants: dict[str, list[MappedProduct]] = {}
        for code, body in variant_rows:
            variants.setdefault(str(code), []).append(body)
        return {
            str(code): MappedModel(code=str(code), targets=body, variants=tuple(variants.get(str(code), ())))
            for code, body in model_rows
        }

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            self._discard()

    def _run(self, batch: BatchContext | None, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        tenant, catalog = (batch.tenant, batch.catalog) if batch else (None, None)
        # A second go only when a *reused* connection turned out dead (a restarted server, an idle
        # connection cut by a proxy): the work is idempotent, so redoing it is safe.
        for attempt in (1, 2):
            is_reused = self._is_usable()
            try:
                return work(self._connection())
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                is_dead = not self._is_usable()
                self._discard()
                if attempt == 1 and is_reused and is_dead:
                    continue
                raise TargetUnavailableError(
                    f"PostgreSQL target unavailable: {trim(str(exc))}", tenant=tenant, catalog=catalog
                ) from exc
            except psycopg.Error as exc:
                # A missing privilege or a table altered by hand: retrying will not help.
                message = f"PostgreSQL target failed: {trim(str(exc))}"
                raise TargetError(message, tenant=tenant, catalog=catalog) from exc
            except BaseException:
                # dramatiq's TimeLimit/Shutdown can land mid-protocol: never reuse that connection.
                self._discard()
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _is_usable(self) -> bool:
        return self._conn is not None and not self._conn.closed and not self._conn.broken

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is not None and self._is_usable():
            return self._conn
        self._discard()
        conn = psycopg.connect(self._conninfo, autocommit=True)
        try:
            conn.execute(f"SET statement_timeout = {self._statement_timeout_ms}")
            with conn.transaction():
                # Two processes creating the table at once would race on the catalog otherwise.
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_ID,))
                conn.execute(_SCHEMA)
                for statement in MODEL_SCHEMA:
                    conn.execute(statement)
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return conn

    def _discard(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _write(
    conn: psycopg.Connection[Any], params: dict[str, Any], upserts: list[EncodedProduct], deletes: tuple[str, ...]
) -> list[Rejection]:
    refused: list[Rejection] = []
    with conn.transaction():
        if upserts:
            try:
                with conn.transaction():  # a savepoint: a refused row must not abort the batch
                    conn.execute(
                        _UPSERT_MANY,
                        {**params, "uuids": [p.uuid for p in upserts], "bodies": [p.body for p in upserts]},
                    )
            except (psycopg.DataError, psycopg.IntegrityError):
                # Something up-front checks did not foresee: find the culprits one row at a time.
                refused = _write_one_by_one(conn, params, upserts)
        if deletes:
            conn.execute(_DELETE_MANY, {**params, "uuids": list(deletes)})
    return refused


def _write_one_by_one(
    conn: psycopg.Connection[Any], params: dict[str, Any], upserts: list[EncodedProduct]
) -> list[Rejection]:
    refused: list[Rejection] = []
    for product in upserts:
        try:
            with conn.transaction():
                conn.execute(_UPSERT_ONE, {**params, "uuid": product.uuid, "body": product.body})
        except (psycopg.DataError, psycopg.IntegrityError) as exc:
            refused.append(Rejection(product.uuid, f"refused by PostgreSQL: {trim(str(exc).strip())}"))
    return refused
