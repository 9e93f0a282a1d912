"""Models in the SQL stores: tables a storefront can join, and a failed batch that leaves every old set whole."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
import pytest

from akeneo_sync.akeneo.types import MappedModel
from akeneo_sync.errors import TargetError
from akeneo_sync.targets.base import BatchContext
from akeneo_sync.targets.postgres import PostgresTarget
from akeneo_sync.targets.sqlite import SqliteTarget

pytestmark = pytest.mark.integration

FIRST = BatchContext("t1", "c1", "run-1", 1)
SECOND = BatchContext("t1", "c1", "run-1", 2)
# What a storefront asks: every variant with its model's title, one row per variant.
STOREFRONT = """
SELECT m.code, v.uuid, v.position FROM akeneo_sync_variants v
JOIN akeneo_sync_models m ON (m.tenant, m.catalog, m.code) = (v.tenant, v.catalog, v.model_code)
WHERE m.tenant = 't1' AND m.catalog = 'c1' ORDER BY m.code, v.position
"""


def model(code: str, *uuids: str, **targets: Any) -> MappedModel:
    variants = tuple({"uuid": u, "variation_axes_values": [{"code": "size", "value": u}]} for u in uuids)
    return MappedModel(code=code, targets={"title": code.title(), **targets}, variants=variants)


def variant_uuids(models: dict[str, MappedModel]) -> dict[str, list[str]]:
    return {code: [v["uuid"] for v in m.variants] for code, m in models.items()}


def test_sqlite_tables_join_variant_to_model_and_enforce_the_key(sqlite_target: SqliteTarget) -> None:
    sqlite_target.apply_models(FIRST, [model("a", "v2", "v1"), model("b", "v3")])

    with sqlite3.connect(sqlite_target.path) as conn:
        assert conn.execute(STOREFRONT).fetchall() == [("a", "v2", 0), ("a", "v1", 1), ("b", "v3", 0)]
        conn.execute("PRAGMA foreign_keys = ON")
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            conn.execute("INSERT INTO akeneo_sync_variants VALUES ('t1', 'c1', 'orphan', 'no-such-model', 0, '{}')")


def test_sqlite_a_batch_failing_half_way_leaves_every_old_variant_set_whole(sqlite_target: SqliteTarget) -> None:
    sqlite_target.apply_models(FIRST, [model("a", "v1", "v2"), model("b", "v3")])
    with sqlite3.connect(sqlite_target.path) as conn:
        conn.execute(
            "CREATE TRIGGER no_bad BEFORE INSERT ON akeneo_sync_variants WHEN new.uuid = 'bad' "
            "BEGIN SELECT RAISE(ABORT, 'bad is refused'); END"
        )

    # Model a is replaced first (v1 dropped, v4 added), then b fails on its second variant.
    with pytest.raises(TargetError, match="bad is refused"):
        sqlite_target.apply_models(SECOND, [model("a", "v2", "v4"), model("b", "v3", "bad")], ["gone"])

    assert variant_uuids(sqlite_target.models("t1", "c1")) == {"a": ["v1", "v2"], "b": ["v3"]}
    sqlite_target.apply_models(SECOND, [model("a", "v2", "v4")])
    assert variant_uuids(sqlite_target.models("t1", "c1")) == {"a": ["v2", "v4"], "b": ["v3"]}


def test_postgres_tables_join_variant_to_model_and_a_model_delete_cascades(
    postgres_target: PostgresTarget, pg_url: str
) -> None:
    postgres_target.apply_models(FIRST, [model("a", "v2", "v1"), model("b", "v3")])
    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute(STOREFRONT).fetchall() == [("a", "v2", 0), ("a", "v1", 1), ("b", "v3", 0)]

    postgres_target.apply_models(SECOND, [], ["a"])

    with psycopg.connect(pg_url, autocommit=True) as conn:
        assert conn.execute(STOREFRONT).fetchall() == [("b", "v3", 0)]
        assert conn.execute("SELECT count(*) FROM akeneo_sync_variants").fetchone() == (1,)


def test_postgres_a_batch_failing_half_way_leaves_every_old_variant_set_whole(
    postgres_target: PostgresTarget, pg_url: str
) -> None:
    postgres_target.apply_models(FIRST, [model("a", "v1", "v2"), model("b", "v3")])
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION no_bad() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN IF new.uuid = 'bad' THEN RAISE EXCEPTION 'bad is refused'; END IF; RETURN new; END $$"
        )
        conn.execute(
            "CREATE TRIGGER no_bad BEFORE INSERT ON akeneo_sync_variants FOR EACH ROW EXECUTE FUNCTION no_bad()"
        )
    try:
        with pytest.raises(TargetError, match="bad is refused"):
            postgres_target.apply_models(SECOND, [model("a", "v2", "v4"), model("b", "v3", "bad")], ["gone"])

        assert variant_uuids(postgres_target.models("t1", "c1")) == {"a": ["v1", "v2"], "b": ["v3"]}
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DROP TRIGGER no_bad ON akeneo_sync_variants")
            conn.execute("DROP FUNCTION no_bad()")


def test_postgres_a_model_a_constraint_refuses_is_rejected_whole_and_the_others_apply(
    postgres_target: PostgresTarget, pg_url: str
) -> None:
    postgres_target.apply_models(FIRST, [model("a", "v1", "v2"), model("b", "v3")])
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE akeneo_sync_variants ADD CONSTRAINT no_draft CHECK (NOT body ? 'draft')")
    draft = model("b", "v3", "v5")
    draft = MappedModel(draft.code, draft.targets, (draft.variants[0], {**draft.variants[1], "draft": True}))

    result = postgres_target.apply_models(SECOND, [model("a", "v2", "v4"), draft, model("c", "v6")])

    assert [r.code for r in result.rejected] == ["b"]
    assert "no_draft" in result.rejected[0].reason
    assert variant_uuids(postgres_target.models("t1", "c1")) == {"a": ["v2", "v4"], "b": ["v3"], "c": ["v6"]}


def test_postgres_a_nul_in_a_variant_rejects_its_model_whole(postgres_target: PostgresTarget) -> None:
    postgres_target.apply_models(FIRST, [model("a", "v1")])
    nul = MappedModel("a", {"title": "A"}, ({"uuid": "v1"}, {"uuid": "v2", "name": "x\x00y"}))

    result = postgres_target.apply_models(SECOND, [nul, model("b", "v3")])

    assert [(r.code, r.reason) for r in result.rejected] == [
        ("a", "contains a U+0000 character, which JSONB cannot store")
    ]
    assert variant_uuids(postgres_target.models("t1", "c1")) == {"a": ["v1"], "b": ["v3"]}
