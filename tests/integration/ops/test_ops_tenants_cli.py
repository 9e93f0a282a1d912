"""`akeneo-sync tenants add` against real Redis (DB 11): it never hands a tenant to another PIM."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from cryptography.fernet import Fernet

from akeneo_sync.cli import main as cli_main
from akeneo_sync.clock import SystemClock
from akeneo_sync.state import StateStore, StoredToken, TokenCipher
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
