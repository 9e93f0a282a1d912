"""The Redis state store: tenants, encrypted tokens, catalogs, checkpoints, digests, locks.

Every Redis key, script and transaction of the program lives in this package (docs/architecture.md).
"""

from akeneo_sync.state._redis import redis_failures
from akeneo_sync.state.catalogs import CatalogRecord, CatalogStatus
from akeneo_sync.state.checkpoints import Checkpoint, Counters, Phase, RunMode, Slot, Window
from akeneo_sync.state.crypto import TokenCipher
from akeneo_sync.state.deadletters import DeadLetter, NewDeadLetter
from akeneo_sync.state.store import StateStore, Transaction
from akeneo_sync.state.tenants import StoredToken, Tenant, TenantStatus, TokenKind

__all__ = [
    "CatalogRecord",
    "CatalogStatus",
    "Checkpoint",
    "Counters",
    "DeadLetter",
    "NewDeadLetter",
    "Phase",
    "RunMode",
    "Slot",
    "StateStore",
    "StoredToken",
    "Tenant",
    "TenantStatus",
    "TokenCipher",
    "TokenKind",
    "Transaction",
    "Window",
    "redis_failures",
]
