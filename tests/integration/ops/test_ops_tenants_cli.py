"""`akeneo-sync tenants add` against real Redis (DB 11): it never hands a tenant to another PIM."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from cryptography.fernet import Fernet

from akeneo_sync.cli import main as cli_main
from akeneo_sync.clock import SystemClock
from akeneo_sync.state import NewDeadLetter, StateStore, StoredToken, TenantStatus, TokenCipher
from akeneo_sync.targets.base import BatchContext
from akeneo_sync.targets.sqlite import SqliteTarget
from redis_server import TEST_REDIS_PORT

pytestmark = pytest.mark.integration

REDIS_URL = f"redis://127.0.0.1:{TEST_REDIS_PORT}/11"


@pytest.fixture
def key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def state(monkeypatch: pytest.MonkeyPatch, key: str) -> Iterator[StateStore]:
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    monkeypatch.setenv("AKENEO_SYNC_REDIS_URL", REDIS_URL)
    monkeypatch.setenv("AKENEO_SYNC_ENCRYPTION_KEY", key)
    monkeypatch.setenv("AKENEO_SYNC_LOG_LEVEL", "WARNING")
    yield StateStore(client, cipher=TokenCipher(key), clock=SystemClock())
    client.flushdb()
    client.close()


def test_tenants_add_refuses_an_id_held_by_another_pim(state: StateStore, capsys: pytest.CaptureFixture[str]) -> None:
    state.tenants.save("victim", pim_url="https://victim.example.com", token=StoredToken("victim-token"))

    code = cli_main(
        ["tenants", "add", "--pim-url", "https://other.example.com", "--token", "t0k", "--tenant-id", "victim"]
    )

    assert code == 2
    assert "belongs to another PIM URL" in capsys.readouterr().err
    assert state.tenants.require("victim").pim_url == "https://victim.example.com"
    assert state.tenants.token("victim").access_token == "victim-token"


def test_tenants_add_twice_for_one_pim_updates_the_same_tenant(state: StateStore) -> None:
    assert cli_main(["tenants", "add", "--pim-url", "https://pim.example.com", "--token", "one"]) == 0
    assert cli_main(["tenants", "add", "--pim-url", "https://PIM.example.com/", "--token", "two"]) == 0
    (tenant,) = state.tenants.list()
    assert state.tenants.token(tenant.id).access_token == "two"


def test_rotate_key_re_encrypts_every_token_so_the_old_key_can_be_dropped(
    state: StateStore, monkeypatch: pytest.MonkeyPatch, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    state.tenants.save("t1", pim_url="https://one.example.com", token=StoredToken("token-one"))
    state.tenants.save("t2", pim_url="https://two.example.com", token=StoredToken("token-two", refresh_token="r2"))
    new = Fernet.generate_key().decode()
    # Step 1: the new key in front, the old one still listed (pods keep reading old tokens).
    monkeypatch.setenv("AKENEO_SYNC_ENCRYPTION_KEY", f"{new},{key}")
    both = StateStore(state.redis, cipher=TokenCipher(f"{new},{key}"), clock=SystemClock())
    assert both.tenants.token("t1").access_token == "token-one"

    assert cli_main(["tenants", "rotate-key"]) == 0
    assert "2 tenants" in capsys.readouterr().out

    # Step 2: the old key dropped: every token still reads.
    only_new = StateStore(state.redis, cipher=TokenCipher(new), clock=SystemClock())
    assert only_new.tenants.token("t1").access_token == "token-one"
    assert only_new.tenants.token("t2") == StoredToken("token-two", refresh_token="r2")


def test_a_malformed_key_list_is_refused_at_start(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    monkeypatch.setenv("AKENEO_SYNC_ENCRYPTION_KEY", f"{key},not-a-key")
    assert cli_main(["tenants", "list"]) == 2


def test_tenants_add_reads_the_token_from_stdin_or_the_environment(
    state: StateStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("from-stdin\n"))
    assert cli_main(["tenants", "add", "--pim-url", "https://one.example.com", "--token", "-"]) == 0
    monkeypatch.setenv("AKENEO_SYNC_TENANT_TOKEN", "from-env")
    assert cli_main(["tenants", "add", "--pim-url", "https://two.example.com"]) == 0
    tokens = {t.pim_url: state.tenants.token(t.id).access_token for t in state.tenants.list()}
    assert tokens == {"https://one.example.com": "from-stdin", "https://two.example.com": "from-env"}


def test_tenants_add_without_any_token_is_refused(state: StateStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["tenants", "add", "--pim-url", "https://one.example.com"]) == 2
    assert "AKENEO_SYNC_TENANT_TOKEN" in capsys.readouterr().err
    assert state.tenants.list() == []


def test_reactivate_enqueues_app_activated_for_every_active_tenant(state: StateStore) -> None:
    state.tenants.save("t1", pim_url="https://one.example.com", token=StoredToken("a"))
    state.tenants.save("t2", pim_url="https://two.example.com", token=StoredToken("b"))
    state.tenants.set_status("t2", TenantStatus.DISCONNECTED)

    assert cli_main(["tenants", "reactivate"]) == 0

    queued = [json.loads(raw) for raw in state.redis.hvals("dramatiq:default.msgs")]
    assert [(m["actor_name"], m["args"]) for m in queued] == [("app_activated", ["t1"])]


CATALOG = "6f1c2a7e-0d3b-4c55-9a8e-2b7f1e4d9c10"


def _synced_tenant(state: StateStore, target: SqliteTarget, tenant: str, pim_url: str, uuids: list[str]) -> None:
    """A tenant whose catalog was synced: products in the target and their digests in Redis."""
    state.tenants.save(tenant, pim_url=pim_url, token=StoredToken(f"{tenant}-token"))
    state.catalogs.upsert(tenant, CATALOG, name="Store", enabled=True)
    target.apply(BatchContext(tenant, CATALOG, "run-1", 0), [{"uuid": u, "name": u} for u in uuids], [])
    state.commit(state.digests.stage_set(state.transaction(), tenant, CATALOG, dict.fromkeys(uuids, b"d" * 16)))


def test_tenants_purge_removes_a_disconnected_tenants_products_and_state_only_when_confirmed(
    state: StateStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'target.db'}"
    monkeypatch.setenv("AKENEO_SYNC_TARGET_URL", url)
    target = SqliteTarget(url)
    gone = [str(uuid.UUID(int=i)) for i in range(1, 4)]
    _synced_tenant(state, target, "gone", "https://gone.example.com", gone)
    _synced_tenant(state, target, "kept", "https://kept.example.com", [str(uuid.UUID(int=9))])
    state.dead_letters.add("gone", NewDeadLetter(CATALOG, "invalid_product", "bad", {}, gone[0]))

    # Connected: refused whatever the flag.
    assert cli_main(["tenants", "purge", "gone", "--yes"]) == 2
    assert "only a disconnected tenant" in capsys.readouterr().err
    state.tenants.set_status("gone", TenantStatus.DISCONNECTED)
    # Disconnected but not confirmed: refused, nothing touched.
    assert cli_main(["tenants", "purge", "gone"]) == 2
    assert "--yes" in capsys.readouterr().err
    assert sorted(target.products("gone", CATALOG)) == gone

    assert cli_main(["tenants", "purge", "gone", "--yes"]) == 0

    assert "3 products deleted" in capsys.readouterr().out
    assert target.products("gone", CATALOG) == {}
    assert list(target.products("kept", CATALOG)) == [str(uuid.UUID(int=9))]
    assert state.tenants.get("gone") is None
    assert [t.id for t in state.tenants.list()] == ["kept"]
    assert state.catalogs.list("gone") == []
    assert state.digests.count("gone", CATALOG) == 0
    assert state.dead_letters.count("gone") == 0
    # The PIM can connect again later: it gets a fresh tenant, not a ghost of the purged one.
    assert state.tenants.id_for_url("https://gone.example.com") != "gone"
    target.close()


def test_tenants_purge_of_an_unknown_tenant_is_refused(state: StateStore, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["tenants", "purge", "nobody", "--yes"]) == 2
    assert "unknown tenant" in capsys.readouterr().err


def test_sync_refresh_enqueues_a_refresh_of_the_catalog(state: StateStore, capsys: pytest.CaptureFixture[str]) -> None:
    state.tenants.save("t1", pim_url="https://one.example.com", token=StoredToken("token-one"))

    assert cli_main(["sync", "t1", "catalog-1", "--refresh"]) == 0

    assert "enqueued refresh sync of t1/catalog-1" in capsys.readouterr().out
    bodies = [json.loads(raw) for key in state.redis.keys("dramatiq:*.msgs") for raw in state.redis.hvals(key)]
    assert [(m["actor_name"], m["args"]) for m in bodies] == [("sync_catalog", ["t1", "catalog-1", "refresh"])]


def test_sync_refuses_full_and_refresh_together(state: StateStore) -> None:
    state.tenants.save("t1", pim_url="https://one.example.com", token=StoredToken("token-one"))
    with pytest.raises(SystemExit) as refused:
        cli_main(["sync", "t1", "catalog-1", "--full", "--refresh"])
    assert refused.value.code == 2
