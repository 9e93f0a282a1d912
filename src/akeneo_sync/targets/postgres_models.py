"""The PostgreSQL target's tables and statements for product models and their variants.

`akeneo_sync_models` holds one row per model (its model-level targets as JSONB) and
`akeneo_sync_variants` one row per variant, keyed by UUID, pointing at its model (`ON DELETE
CASCADE`) with its position in the model's set. Replacing a model's set is a delete of its
variants and an insert of the new ones inside the batch's transaction.
"""

from __future__ import annotations

import re
from typing import Any, Final

import psycopg

from akeneo_sync.targets.base import ModelRejection
from akeneo_sync.targets.encoding import trim
from akeneo_sync.targets.model_encoding import EncodedModel

__all__ = ["MODEL_SCHEMA", "SELECT_MODELS", "SELECT_VARIANTS", "has_nul", "write_models"]

MODEL_SCHEMA: Final = (
    """
CREATE TABLE IF NOT EXISTS akeneo_sync_models (
    tenant text NOT NULL,
    catalog text NOT NULL,
    code text NOT NULL,
    body jsonb NOT NULL,
    run_id text NOT NULL,
    page integer NOT NULL,
    written_at timestamptz NOT NULL,
    PRIMARY KEY (tenant, catalog, code)
)
""",
    """
CREATE TABLE IF NOT EXISTS akeneo_sync_variants (
    tenant text NOT NULL,
    catalog text NOT NULL,
    uuid text NOT NULL,
    model_code text NOT NULL,
    position integer NOT NULL,
    body jsonb NOT NULL,
    PRIMARY KEY (tenant, catalog, uuid),
    FOREIGN KEY (tenant, catalog, model_code) REFERENCES akeneo_sync_models (tenant, catalog, code) ON DELETE CASCADE
)
""",
    "CREATE INDEX IF NOT EXISTS akeneo_sync_variants_model ON akeneo_sync_variants (tenant, catalog, model_code)",
)
# Three statements per models batch whatever its size, arrays in binary as for products.
_UPSERT_MODELS: Final = """
INSERT INTO akeneo_sync_models (tenant, catalog, code, body, run_id, page, written_at)
SELECT %(tenant)s, %(catalog)s, t.code, t.body::jsonb, %(run_id)s, %(page)s, to_timestamp(%(written_at)s)
FROM unnest(%(codes)b::text[], %(bodies)b::text[]) AS t(code, body)
ON CONFLICT (tenant, catalog, code) DO UPDATE SET
    body = excluded.body, run_id = excluded.run_id, page = excluded.page, written_at = excluded.written_at
"""
_DELETE_VARIANTS_OF: Final = """
DELETE FROM akeneo_sync_variants
WHERE tenant = %(tenant)s AND catalog = %(catalog)s AND model_code = ANY(%(codes)b::text[])
"""
# A variant moved to another model since the last sync is taken over by the model now carrying it.
_INSERT_VARIANTS: Final = """
INSERT INTO akeneo_sync_variants (tenant, catalog, uuid, model_code, position, body)
SELECT %(tenant)s, %(catalog)s, t.uuid, t.model_code, t.position, t.body::jsonb
FROM unnest(%(uuids)b::text[], %(model_codes)b::text[], %(positions)b::int4[], %(variant_bodies)b::text[])
    AS t(uuid, model_code, position, body)
ON CONFLICT (tenant, catalog, uuid) DO UPDATE SET
    model_code = excluded.model_code, position = excluded.position, body = excluded.body
"""
_DELETE_VARIANTS: Final = """
DELETE FROM akeneo_sync_variants
WHERE tenant = %(tenant)s AND catalog = %(catalog)s AND uuid = ANY(%(uuids)b::text[])
"""
_DELETE_MODELS: Final = """
DELETE FROM akeneo_sync_models WHERE tenant = %(tenant)s AND catalog = %(catalog)s AND code = ANY(%(codes)b::text[])
"""
SELECT_MODELS: Final = "SELECT code, body FROM akeneo_sync_models WHERE tenant = %s AND catalog = %s ORDER BY code"
SELECT_VARIANTS: Final = """
SELECT model_code, body FROM akeneo_sync_variants WHERE tenant = %s AND catalog = %s ORDER BY model_code, position
"""

# JSONB cannot hold U+0000. In compact JSON text it is `\u0000` preceded by an even run of
# backslashes (an odd run would make it an escaped backslash followed by the letters "u0000").
_NUL_ESCAPE: Final = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def has_nul(body: str) -> bool:
    """Whether a JSON text holds an escaped U+0000 (products' and models' bodies alike)."""
    # The substring test is C-fast; the regex only settles the rare hit.
    return "\\u0000" in body and _NUL_ESCAPE.search(body) is not None


def write_models(
    conn: psycopg.Connection[Any],
    params: dict[str, Any],
    models: list[EncodedModel],
    model_deletes: tuple[str, ...],
    variant_deletes: tuple[str, ...],
) -> list[ModelRejection]:
    refused: list[ModelRejection] = []
    with conn.transaction():
        if models:
            try:
                with conn.transaction():  # a savepoint: a refused model must not abort the batch
                    _replace_models(conn, params, models)
            except (psycopg.DataError, psycopg.IntegrityError):
                # Find the culprits one model at a time; each keeps its old set if it fails.
                refused = _replace_one_by_one(conn, params, models)
        if variant_deletes:
            conn.execute(_DELETE_VARIANTS, {**params, "uuids": list(variant_deletes)})
        if model_deletes:
            # The foreign key cascades to the model's variants.
            conn.execute(_DELETE_MODELS, {**params, "codes": list(model_deletes)})
    return refused


def _replace_models(conn: psycopg.Connection[Any], params: dict[str, Any], models: list[EncodedModel]) -> None:
    codes = [m.code for m in models]
    conn.execute(_UPSERT_MODELS, {**params, "codes": codes, "bodies": [m.body for m in models]})
    conn.execute(_DELETE_VARIANTS_OF, {**params, "codes": codes})
    variants = [(m.code, position, v) for m in models for position, v in enumerate(m.variants)]
    if variants:
        conn.execute(
            _INSERT_VARIANTS,
            {
                **params,
                "uuids": [v.uuid for _, _, v in variants],
                "model_codes": [code for code, _, _ in variants],
                "positions": [position for _, position, _ in variants],
                "variant_bodies": [v.body for _, _, v in variants],
            },
        )


def _replace_one_by_one(
    conn: psycopg.Connection[Any], params: dict[str, Any], models: list[EncodedModel]
) -> list[ModelRejection]:
    refused: list[ModelRejection] = []
    for model in models:
        try:
            with conn.transaction():
                _replace_models(conn, params, [model])
        except (psycopg.DataError, psycopg.IntegrityError) as exc:
            refused.append(ModelRejection(model.code, f"refused by PostgreSQL: {trim(str(exc).strip())}"))
    return refused
