"""The PostgreSQL target on the loopback server: JSONB refusals, outages, reconnects, threads."""

from __future__ import annotations

import secrets
import threading
from typing import Any

import psycopg
import pytest

from akeneo_sync.clock import ManualClock
from akeneo_sync.errors import ConfigError, TargetError, TargetUnavailableError
from akeneo_sync.targets.base import BatchContext
from akeneo_sync.targets.postgres import PostgresTarget

pytestmark = pytest.mark.integration

BATCH = BatchContext(tenant="t1", catalog="c1", run_id="run-1", page=1)


def test_a_nul_character_is_rejected_and_the_rest_of_the_batch_applies(postgres_target: PostgresTarget) -> None:
    upserts: list[dict[str, Any]] = [
        {"uuid": "u1"},
        {"uuid": "u-nul", "name": "bad\x00name"},
        {"uuid": "u3", "k\x00": 1},
        {"uuid": "u4"},
    ]

    result = postgres_target.apply(BATCH, upserts, [])

    assert [(r.uuid, "U+0000" in r.reason) for r in result.rejected] == [("u-nul", True), ("u3", True)]
    assert set(postgres_target.products("t1", "c1")) == {"u1", "u4"}


def test_an_escaped_backslash_before_u0000_is_not_mistaken_for_a_nul(postgres_target: PostgresTarget) -> None:
    tricky = {"uuid": "u1", "path": "C:\\u0000\\dir", "double": "\\\\u0000"}

    result = postgres_target.apply(BATCH, [tricky], [])

    assert result.rejected == ()
    assert postgres_target.products("t1", "c1") == {"u1": tricky}


def test_rows_a_constraint_refuses_are_rejected_one_by_one_and_the_rest_applies(
    postgres_target: PostgresTarget, pg_url: str
) -> None:
    postgres_target.apply(BATCH, [{"uuid": "u0"}], [])  # creates the table
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE akeneo_sync_products ADD CONSTRAINT no_draft CHECK (NOT body ? 'draft')")

    result = postgres_target.apply(
        BatchContext("t1", "c1", "run-1", 2), [{"uuid": "u1"}, {"uuid": "u2", "draft": True}, {"uuid": "u3"}], ["u0"]
    )

    assert [r.uuid for r in result.rejected] == ["u2"]
    assert "no_draft" in result.rejected[0].reason
    assert set(postgres_target.products("t1", "c1")) == {"u1", "u3"}


def test_each_row_records_the_run_and_page_that_wrote_it(postgres_target: PostgresTarget, pg_url: str) -> None:
    postgres_target.apply(BatchContext("t1", "c1", "run-7", 12), [{"uuid": "u1"}], [])

    with psycopg.connect(pg_url) as conn:
        row = conn.execute(
            "SELECT run_id, page, extract(epoch FROM written_at), jsonb_typeof(body) FROM akeneo_sync_products"
        ).fetchone()
    assert row is not None
    assert (row[0], row[1], float(row[2]), row[3]) == ("run-7", 12, ManualClock().now(), "object")


def test_a_server_that_is_down_makes_the_target_unavailable(free_port: int) -> None:
    target = PostgresTarget(f"postgresql://postgres@127.0.0.1:{free_port}/postgres", connect_timeout_s=2)

    with pytest.raises(TargetUnavailableError) as caught:
        target.apply(BATCH, [{"uuid": "u1"}], [])

    assert isinstance(caught.value.__cause__, psycopg.OperationalError)
    assert caught.value.retryable


def test_a_target_can_be_built_while_the_server_is_down(free_port: int) -> None:
    target = PostgresTarget(f"postgresql://postgres:s3cret@127.0.0.1:{free_port}/postgres")

    assert "s3cret" not in repr(target)
    target.close()


def test_a_connection_cut_between_batches_is_remade_transparently(postgres_target: PostgresTarget, pg_url: str) -> None:
    postgres_target.apply(BATCH, [{"uuid": "u1"}], [])
    with psycopg.connect(pg_url, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert killed == (1,)

    result = postgres_target.apply(BatchContext("t1", "c1", "run-1", 2), [{"uuid": "u2"}], [])

    assert result.rejected == ()
    assert set(postgres_target.products("t1", "c1")) == {"u1", "u2"}


def test_a_refused_privilege_is_a_target_error_that_is_not_retried(pg_url: str) -> None:
    # Roles are server-wide: a random name keeps parallel sessions apart.
    role = f"akeneo_sync_targets_reader_{secrets.token_hex(4)}"
    target = PostgresTarget(pg_url)
    target.apply(BATCH, [{"uuid": "u1"}], [])
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
    try:
        reader = PostgresTarget(pg_url.replace("postgres@", f"{role}@"))
        with pytest.raises(TargetError) as caught:
            reader.apply(BATCH, [{"uuid": "u2"}], [])
        reader.close()
        assert not caught.value.retryable
        assert "permission denied" in str(caught.value)
    finally:
        target.close()
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


def test_threads_sharing_one_target_all_land(postgres_target: PostgresTarget) -> None:
    def push(worker: int) -> None:
        for page in range(5):
            uuids = [f"w{worker}-p{page}-{i}" for i in range(20)]
            postgres_target.apply(BatchContext("t1", "c1", f"run-{worker}", page), [{"uuid": u} for u in uuids], [])

    threads = [threading.Thread(target=push, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert len(postgres_target.products("t1", "c1")) == 4 * 5 * 20


def test_a_write_blocked_past_the_statement_timeout_is_unavailable_not_stuck(pg_url: str) -> None:
    """dramatiq's TimeLimit cannot interrupt a blocked socket read, so the database must give up."""
    target = PostgresTarget(pg_url, statement_timeout_s=0.2)
    target.apply(BATCH, [{"uuid": "u1"}], [])
    with psycopg.connect(pg_url) as holder:
        holder.execute("SELECT * FROM akeneo_sync_products WHERE uuid = 'u1' FOR UPDATE")

        with pytest.raises(TargetUnavailableError, match="statement timeout"):
            target.apply(BatchContext("t1", "c1", "run-1", 2), [{"uuid": "u1", "v": 2}], [])

    target.apply(BatchContext("t1", "c1", "run-1", 2), [{"uuid": "u1", "v": 2}], [])
    assert target.products("t1", "c1") == {"u1": {"uuid": "u1", "v": 2}}
    target.close()


def test_a_batch_that_fails_half_way_leaves_nothing_applied(postgres_target: PostgresTarget, pg_url: str) -> None:
    postgres_target.apply(BATCH, [{"uuid": "u1"}, {"uuid": "keep"}], [])
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(
            "CREATE FUNCTION keep_forever() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN IF old.uuid = 'keep' THEN RAISE EXCEPTION 'keep is protected'; END IF; RETURN old; END $$"
        )
        conn.execute(
            "CREATE TRIGGER keep_forever BEFORE DELETE ON akeneo_sync_products "
            "FOR EACH ROW EXECUTE FUNCTION keep_forever()"
        )
    try:
        with pytest.raises(TargetError, match="keep is protected") as caught:
            postgres_target.apply(BatchContext("t1", "c1", "run-1", 2), [{"uuid": "u2"}], ["u1", "keep"])
        assert not caught.value.retryable

        assert set(postgres_target.products("t1", "c1")) == {"u1", "keep"}, "the upsert of u2 was rolled back"
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("DROP TRIGGER keep_forever ON akeneo_sync_products")
            conn.execute("DROP FUNCTION keep_forever()")


def test_an_invalid_url_is_a_config_error_that_does_not_quote_the_password() -> None:
    with pytest.raises(ConfigError, match="AKENEO_SYNC_TARGET_URL") as caught:
        PostgresTarget("postgresql://shop:hunter2@db.example.com/shop?bogus=1")

    assert caught.value.__cause__ is None
    assert "hunter2" not in str(caught.value)


def test_options_in_the_url_win_over_the_targets_defaults(pg_url: str) -> None:
    target = PostgresTarget(f"{pg_url}?keepalives_idle=7&application_name=shop-sync")

    target.apply(BATCH, [{"uuid": "u1"}], [])

    with psycopg.connect(pg_url) as conn:
        names = conn.execute("SELECT application_name FROM pg_stat_activity WHERE datname = current_database()")
        assert ("shop-sync",) in names.fetchall()
    target.close()
