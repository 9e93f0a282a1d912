"""Tenants: one PIM connection each, with its token encrypted at rest.

A tenant is a HASH; the set of tenant ids and the subscription id -> tenant map make them
listable and routable (Event Platform events carry the subscription id as `subject`). Tokens are
stored only as Fernet ciphertext; `token()` decrypts on demand and nothing else returns them.

A tenant belongs to one PIM URL for life: `save` refuses to store another URL (or its token)
under an id a different PIM holds, so neither an id collision nor an operator's typo can hand a
tenant's subscription, catalogs and target to someone else. The URL -> id index finds a PIM's
tenant again whatever scheme named it (ids grew from 32 to 128 bits of hash).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import redis

from akeneo_sync.clock import Clock
from akeneo_sync.errors import ConfigError, StateError, TenantConflictError
from akeneo_sync.state._codec import Fields, as_float, as_str, decode_hash, text
from akeneo_sync.state._redis import translate_errors
from akeneo_sync.state.crypto import TokenCipher
from akeneo_sync.state.keys import Keys
from akeneo_sync.tenancy import legacy_tenant_id_for, normalize_pim_url, tenant_id_for

__all__ = ["StoredToken", "Tenant", "TenantStatus", "TenantStore", "TokenKind"]


class TokenKind(StrEnum):
    """How the tenant's token behaves: app tokens never expire, connection tokens are refreshed."""

    APP = "app"
    CONNECTION = "connection"


class TenantStatus(StrEnum):
    """Whether the tenant's work may run."""

    ACTIVE = "active"
    DISCONNECTED = "disconnected"
    DELETED = "deleted"


@dataclass(frozen=True, slots=True)
class Tenant:
    """A tenant as stored, without its token."""

    id: str
    pim_url: str
    token_kind: TokenKind
    status: TenantStatus
    subscription_id: str | None
    created_at: float
    updated_at: float

    @property
    def is_active(self) -> bool:
        """Whether the tenant may sync (not disconnected or deleted)."""
        return self.status is TenantStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class StoredToken:
    """The decrypted credentials of a tenant (never logged, never stored in clear)."""

    access_token: str
    refresh_token: str | None = None
    expires_at: float | None = None

    def __repr__(self) -> str:
        return f"StoredToken(access_token='***', expires_at={self.expires_at!r})"


class TenantStore:
    """Reads and writes tenants."""

    def __init__(self, client: redis.Redis, keys: Keys, cipher: TokenCipher, clock: Clock) -> None:
        self._redis = client
        self._keys = keys
        self._cipher = cipher
        self._clock = clock

    @translate_errors
    def id_for_url(self, pim_url: str) -> str:
        """The id of this PIM's tenant: the one it is stored under, else a new one.

        Stored means indexed by URL, or (tenants stored before the index existed) under the
        32-bit id earlier releases derived, with this very URL in it.
        """
        url = normalize_pim_url(pim_url)
        indexed = self._redis.hget(self._keys.tenant_urls(), url)
        if indexed is not None:
            return text(indexed)
        legacy = legacy_tenant_id_for(url)
        if _same_url(self._redis.hget(self._keys.tenant(legacy), "pim_url"), url):
            return legacy
        return tenant_id_for(url)

    @translate_errors
    def save(
        self,
        tenant_id: str,
        *,
        pim_url: str,
        token: StoredToken,
        token_kind: TokenKind = TokenKind.APP,
        subscription_id: str | None = None,
    ) -> Tenant:
        """Create or update a tenant (status back to active), keeping its creation time.

        `TenantConflictError` when the id is held by a tenant of another PIM URL: nothing is written.
        """
        key = self._keys.tenant(tenant_id)

        def write(pipe: redis.client.Pipeline) -> None:
            stored_url, created = pipe.hmget(key, ["pim_url", "created_at"])
            if text(stored_url) and not _same_url(stored_url, pim_url):
                raise TenantConflictError(
                    f"tenant {tenant_id} belongs to another PIM URL; refusing to store {pim_url} under it",
                    tenant=tenant_id,
                )
            now = self._clock.now()
            fields: Fields = {
                "pim_url": pim_url,
                "token_kind": token_kind.value,
                "status": TenantStatus.ACTIVE.value,
                "created_at": text(created) or str(now),
                "updated_at": str(now),
                **self._token_fields(token),
            }
            pipe.multi()
            pipe.hset(key, mapping=fields)
            if token.refresh_token is None:
                pipe.hdel(key, "refresh_token")
            pipe.sadd(self._keys.tenants(), tenant_id)
            pipe.hsetnx(self._keys.tenant_urls(), _normalized(pim_url), tenant_id)
            if subscription_id:
                pipe.hset(key, "subscription_id", subscription_id)
                pipe.set(self._keys.subscription(subscription_id), tenant_id)

        # WATCH: a concurrent save of another URL under this id cannot slip in between check and write.
        self._redis.transaction(write, key)
        tenant = self.get(tenant_id)
        if tenant is None:  # pragma: no cover - written in the transaction just above
            raise StateError(f"tenant {tenant_id} vanished while being saved", tenant=tenant_id)
        return tenant

    @translate_errors
    def get(self, tenant_id: str) -> Tenant | None:
        """The tenant, or None when unknown."""
        raw = self._redis.hgetall(self._keys.tenant(tenant_id))
        if not raw:
            return None
        fields = decode_hash(raw)
        return Tenant(
            id=tenant_id,
            pim_url=fields.get("pim_url", ""),
            token_kind=TokenKind(fields.get("token_kind", TokenKind.APP.value)),
            status=TenantStatus(fields.get("status", TenantStatus.ACTIVE.value)),
            subscription_id=as_str(fields, "subscription_id"),
            created_at=as_float(fields, "created_at") or 0.0,
            updated_at=as_float(fields, "updated_at") or 0.0,
        )

    def require(self, tenant_id: str) -> Tenant:
        """The tenant; `StateError` when unknown."""
        tenant = self.get(tenant_id)
        if tenant is None:
            raise StateError(f"unknown tenant {tenant_id}", tenant=tenant_id)
        return tenant

    @translate_errors
    def list(self) -> list[Tenant]:
        """Every tenant, sorted by id."""
        ids = sorted(text(member) for member in self._redis.smembers(self._keys.tenants()))
        return [tenant for tenant in (self.get(tenant_id) for tenant_id in ids) if tenant is not None]

    @translate_errors
    def token(self, tenant_id: str) -> StoredToken:
        """The tenant's decrypted credentials; `StateError` when it has none."""
        raw = self._redis.hmget(self._keys.tenant(tenant_id), ["access_token", "refresh_token", "expires_at"])
        access, refresh, expires = (_as_bytes(value) for value in raw)
        if access is None:
            raise StateError(f"tenant {tenant_id} has no stored token", tenant=tenant_id)
        return StoredToken(
            access_token=self._cipher.decrypt(access),
            refresh_token=self._cipher.decrypt(refresh) if refresh else None,
            expires_at=float(expires) if expires else None,
        )

    @translate_errors
    def set_status(self, tenant_id: str, status: TenantStatus) -> None:
        """Mark the tenant active, disconnected (token revoked) or deleted."""
        self._redis.hset(
            self._keys.tenant(tenant_id), mapping={"status": status.value, "updated_at": str(self._clock.now())}
        )

    @translate_errors
    def set_subscription(self, tenant_id: str, subscription_id: str) -> None:
        """Route Event Platform events with this subject to the tenant."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.hset(self._keys.tenant(tenant_id), "subscription_id", subscription_id)
        pipe.set(self._keys.subscription(subscription_id), tenant_id)
        pipe.execute()

    @translate_errors
    def tenant_for_subscription(self, subscription_id: str) -> str | None:
        """The tenant id an event's `subject` routes to, or None."""
        value = self._redis.get(self._keys.subscription(subscription_id))
        return text(value) if value is not None else None

    @translate_errors
    def reencrypt(self, tenant_id: str) -> bool:
        """Re-encrypt the tenant's stored token under the cipher's first key; False when it has none."""
        key = self._keys.tenant(tenant_id)
        rotated: Fields = {}

        def write(pipe: redis.client.Pipeline) -> None:
            stored = dict(
                zip(("access_token", "refresh_token"), pipe.hmget(key, ["access_token", "refresh_token"]), strict=True)
            )
            rotated.clear()
            for field, value in stored.items():
                raw = _as_bytes(value)
                if raw is not None:
                    rotated[field] = self._cipher.rotate(raw)
            pipe.multi()
            if rotated:
                pipe.hset(key, mapping=rotated)

        # WATCH: a token refreshed meanwhile is not overwritten by the older one, re-encrypted.
        self._redis.transaction(write, key)
        return bool(rotated)

    @translate_errors
    def delete(self, tenant_id: str) -> None:
        """Forget the tenant: its record, and the URL and subscription that routed to it."""
        tenant = self.get(tenant_id)
        pipe = self._redis.pipeline(transaction=True)
        if tenant is not None:
            url = _normalized(tenant.pim_url)
            if text(self._redis.hget(self._keys.tenant_urls(), url)) == tenant_id:
                pipe.hdel(self._keys.tenant_urls(), url)
            if tenant.subscription_id and self.tenant_for_subscription(tenant.subscription_id) == tenant_id:
                pipe.delete(self._keys.subscription(tenant.subscription_id))
        pipe.delete(self._keys.tenant(tenant_id))
        pipe.srem(self._keys.tenants(), tenant_id)
        pipe.execute()

    @translate_errors
    def forget_token(self, tenant_id: str) -> None:
        """Drop the stored credentials (tenant deleted: keep nothing secret)."""
        self._redis.hdel(self._keys.tenant(tenant_id), "access_token", "refresh_token", "expires_at")

    def _token_fields(self, token: StoredToken) -> Fields:
        fields: Fields = {
            "access_token": self._cipher.encrypt(token.access_token),
            "expires_at": "" if token.expires_at is None else str(token.expires_at),
        }
        if token.refresh_token is not None:
            fields["refresh_token"] = self._cipher.encrypt(token.refresh_token)
        return fields


def _as_bytes(value: bytes | str | None) -> bytes | None:
    if value is None or value in (b"", ""):
        return None
    return value.encode() if isinstance(value, str) else value


def _normalized(pim_url: str) -> str:
    try:
        return normalize_pim_url(pim_url)
    except ConfigError:
        return pim_url


def _same_url(stored: bytes | str | None, pim_url: str) -> bool:
    return stored is not None and _normalized(text(stored)) == _normalized(pim_url)
