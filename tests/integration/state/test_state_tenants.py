"""Tenants and their encrypted tokens, on real Redis and fakeredis."""

from __future__ import annotations

import pytest
import redis

from akeneo_sync.clock import ManualClock
from akeneo_sync.errors import ConfigError, StateError
from akeneo_sync.state import StateStore, StoredToken, TenantStatus, TokenCipher, TokenKind
from redis_server import TEST_REDIS_PORT

pytestmark = pytest.mark.integration

SECRET = "app-token-f7d1c0ffee-PLAINTEXT"


def _every_stored_value(client: redis.Redis) -> list[bytes]:
    values: list[bytes] = []
    for key in client.scan_iter():
        kind = client.type(key)
        if kind == b"string":
            values.append(client.get(key) or b"")
        elif kind == b"hash":
            for field, value in client.hgetall(key).items():
                values.extend((field, value))
        elif kind == b"set":
            values.extend(client.smembers(key))
        elif kind == b"stream":
            for _, fields in client.xrange(key):
                values.extend(fields.values())
    return values


def test_a_saved_tenant_reads_back_with_its_token_decrypted(store: StateStore) -> None:
    store.tenants.save("t1", pim_url="https://pim.example.com", token=StoredToken(SECRET), subscription_id="sub-1")

    tenant = store.tenants.require("t1")
    assert (tenant.pim_url, tenant.token_kind, tenant.status) == (
        "https://pim.example.com",
        TokenKind.APP,
        TenantStatus.ACTIVE,
    )
    assert store.tenants.token("t1") == StoredToken(SECRET)
    assert store.tenants.tenant_for_subscription("sub-1") == "t1"
    assert [t.id for t in store.tenants.list()] == ["t1"]


def test_the_plaintext_token_never_appears_in_any_redis_value(store: StateStore, redis_client: redis.Redis) -> None:
    store.tenants.save(
        "t1",
        pim_url="https://pim.example.com",
        token=StoredToken(SECRET, refresh_token=SECRET + "-refresh", expires_at=1.0),
        token_kind=TokenKind.CONNECTION,
    )

    stored = _every_stored_value(redis_client)
    assert stored, "the tenant was written"
    assert not [value for value in stored if SECRET.encode() in value]
    assert store.tenants.token("t1").refresh_token == SECRET + "-refresh"


def test_a_token_stored_under_another_key_cannot_be_read(
    store: StateStore, redis_client: redis.Redis, clock: ManualClock
) -> None:
    store.tenants.save("t1", pim_url="https://pim.example.com", token=StoredToken(SECRET))
    other = StateStore(redis_client, cipher=TokenCipher.generate(), clock=clock, prefix="test")

    with pytest.raises(StateError, match="ENCRYPTION_KEY"):
        other.tenants.token("t1")


def test_saving_again_keeps_the_creation_time_and_reactivates(store: StateStore, clock: ManualClock) -> None:
    created = store.tenants.save("t1", pim_url="https://a.example.com", token=StoredToken(SECRET)).created_at
    store.tenants.set_status("t1", TenantStatus.DISCONNECTED)
    assert store.tenants.require("t1").status is TenantStatus.DISCONNECTED
    clock.advance(60)

    again = store.tenants.save("t1", pim_url="https://a.example.com", token=StoredToken("new-token"))

    assert (again.created_at, again.updated_at, again.status) == (created, created + 60, TenantStatus.ACTIVE)
    assert store.tenants.token("t1").access_token == "new-token"


def test_an_unknown_tenant_is_none_and_require_raises(store: StateStore) -> None:
    assert store.tenants.get("nope") is None
    with pytest.raises(StateError):
        store.tenants.require("nope")
    with pytest.raises(StateError):
        store.tenants.token("nope")


def test_forgetting_the_token_keeps_the_tenant(store: StateStore) -> None:
    store.tenants.save("t1", pim_url="https://pim.example.com", token=StoredToken(SECRET))
    store.tenants.set_status("t1", TenantStatus.DELETED)
    store.tenants.forget_token("t1")

    assert store.tenants.require("t1").status is TenantStatus.DELETED
    with pytest.raises(StateError, match="no stored token"):
        store.tenants.token("t1")


def test_a_decoding_client_is_refused(cipher: TokenCipher, clock: ManualClock) -> None:
    client = redis.Redis.from_url(f"redis://127.0.0.1:{TEST_REDIS_PORT}/3", decode_responses=True)
    with pytest.raises(ConfigError, match="decode_responses"):
        StateStore(client, cipher=cipher, clock=clock)
