"""`StateStore`: the one object the rest of the program holds to reach the Redis state.

It groups the small stores (one idea each) over one `redis.Redis` and one key namespace, and
opens transactions that span them: the engine writes a page's digests, seen UUIDs, dead letters
and checkpoint in a single MULTI/EXEC, so a crash leaves either all of them or none.
"""

from __future__ import annotations

import redis

from akeneo_sync.clock import Clock
from akeneo_sync.errors import ConfigError
from akeneo_sync.state._redis import translate_errors
from akeneo_sync.state.batches import EventBatches
from akeneo_sync.state.catalogs import CatalogStore
from akeneo_sync.state.checkpoints import CheckpointStore
from akeneo_sync.state.connect import AsyncRedisClient, connect
from akeneo_sync.state.crypto import TokenCipher
from akeneo_sync.state.deadletters import DeadLetterStore
from akeneo_sync.state.dedupe import EventDedupe
from akeneo_sync.state.digests import DigestStore
from akeneo_sync.state.fairuse import RedisFairUseSlots
from akeneo_sync.state.keys import DEFAULT_PREFIX, Keys
from akeneo_sync.state.lease import RedisLease
from akeneo_sync.state.locks import LockStore
from akeneo_sync.state.models import ModelStore
from akeneo_sync.state.oauth import OAuthStates
from akeneo_sync.state.seen import SeenStore
from akeneo_sync.state.subscriptions import SubscriptionStatuses
from akeneo_sync.state.tenants import TenantStore
from akeneo_sync.state.transaction import Transaction
from akeneo_sync.state.unseen import UnseenScanner

__all__ = ["StateStore", "Transaction"]


class StateStore:
    """Tenants, catalogs, checkpoints, digests, seen sets, locks, event ids and dead letters."""

    def __init__(self, client: redis.Redis, *, cipher: TokenCipher, clock: Clock, prefix: str = DEFAULT_PREFIX) -> None:
        # Digests and packed UUIDs are binary: a client that decodes replies would corrupt them.
        if client.get_connection_kwargs().get("decode_responses"):
            raise ConfigError("the state store needs a redis client with decode_responses=False")
        self.redis = client
        self.keys = Keys(prefix)
        self.clock = clock
        self.tenants = TenantStore(client, self.keys, cipher, clock)
        self.catalogs = CatalogStore(client, self.keys, clock)
        self.checkpoints = CheckpointStore(client, self.keys)
        self.digests = DigestStore(client, self.keys)
        self.seen = SeenStore(client, self.keys)
        self.unseen = UnseenScanner(client, self.keys)
        self.locks = LockStore(client, self.keys, clock)
        self.dedupe = EventDedupe(client, self.keys)
        self.dead_letters = DeadLetterStore(client, self.keys, clock)
        self.models = ModelStore(client, self.keys)
        self.oauth_states = OAuthStates(client, self.keys)
        self.subscription_statuses = SubscriptionStatuses(client, self.keys, clock)

    def activation_lease(self, tenant: str, holder: str, ttl_s: float) -> RedisLease:
        """The lease that serialises activations of one tenant."""
        return RedisLease(self.redis, self.keys.activation(tenant), holder, ttl_s)

    def event_batches(self, async_client: AsyncRedisClient | None = None) -> EventBatches:
        """The web side's event buffers; `async_client` (same server and DB) serves the event loop."""
        return EventBatches(self.redis, self.keys, async_client=async_client)

    def fair_use(self, pim_url: str, connection: str) -> RedisFairUseSlots:
        """The fleet-wide fair-use leases of one connection to a PIM and that PIM's request rate."""
        return RedisFairUseSlots(self.redis, self.keys, pim_url=pim_url, connection=connection)

    @classmethod
    def from_url(cls, url: str, *, cipher: TokenCipher, clock: Clock, prefix: str = DEFAULT_PREFIX) -> StateStore:
        """A store on the Redis at `url` (`REDIS_URL`)."""
        return cls(connect(url), cipher=cipher, clock=clock, prefix=prefix)

    def transaction(self) -> Transaction:
        """A unit of work; queue `stage_*` calls on it, then `commit` it."""
        return Transaction(self.redis)

    def commit(self, tx: Transaction) -> None:
        """Apply a transaction built with `transaction()`."""
        tx.commit()

    @translate_errors
    def ping(self) -> bool:
        """Whether Redis answers (readiness probes)."""
        return bool(self.redis.ping())
