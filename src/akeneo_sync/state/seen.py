"""Per-run "seen" sets: the product UUIDs the PIM listed during a full sync or a reconciliation.

At the end of the run, every known digest whose UUID is not in the set is deleted downstream. The
set lives in Redis (packed 16-byte members) so a worker's memory does not grow with the catalog,
and survives a crash so a resumed run still knows what it saw before. A set always holds an empty
sentinel member, so "a run is diffing this catalog" is simply `EXISTS`: product events synced
while a run is in flight add their UUIDs, so a product created after the run paged past it is
not mistaken for a deleted one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Final

import redis

from akeneo_sync.state._redis import translate_errors
from akeneo_sync.state.checkpoints import CHECKPOINT_TTL_S, Slot
from akeneo_sync.state.digests import LUA_SPLIT, join_packed, pack_uuid
from akeneo_sync.state.keys import Keys
from akeneo_sync.state.transaction import Transaction

__all__ = ["SeenStore"]

SENTINEL: Final = b""

# Packed UUIDs travel as one concatenated string (see `state.digests`): one argument and one
# reply however many UUIDs, instead of one each, which redis-py builds and parses in Python.

# KEYS: the seen sets that may be active; ARGV[1]: packed UUIDs. Adds only to sets that exist.
_ADD_IF_ACTIVE: Final = (
    LUA_SPLIT
    + """
local members, added = split(ARGV[1], 16), 0
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    chunked('SADD', KEYS[i], members)
    added = added + 1
  end
end
return added
"""
)

# KEYS[1]: the set; ARGV[1]: packed UUIDs.
_ADD: Final = (
    LUA_SPLIT
    + """
chunked('SADD', KEYS[1], split(ARGV[1], 16))
return 0
"""
)


class SeenStore:
    """The UUIDs seen by the in-flight full sync or reconciliation of each catalog."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._redis = client
        self._keys = keys

    def stage_start(self, tx: Transaction, tenant: str, catalog: str, slot: Slot) -> Transaction:
        """Queue the creation of an empty set (dropping any earlier one)."""
        key = self._keys.seen(tenant, catalog, slot)
        tx.pipe.delete(key)
        tx.pipe.sadd(key, SENTINEL)
        tx.pipe.expire(key, CHECKPOINT_TTL_S)
        return tx

    def stage_add(self, tx: Transaction, tenant: str, catalog: str, slot: Slot, uuids: Iterable[str]) -> Transaction:
        """Queue additions to the set."""
        return self.stage_add_packed(tx, tenant, catalog, slot, [pack_uuid(u) for u in uuids])

    def stage_add_packed(
        self, tx: Transaction, tenant: str, catalog: str, slot: Slot, packed: Collection[bytes]
    ) -> Transaction:
        """`stage_add` for UUIDs already packed (and so already checked) by `pack_uuid`."""
        if packed:
            tx.pipe.eval(_ADD, 1, self._keys.seen(tenant, catalog, slot), join_packed(list(packed)))
        return tx

    def stage_drop(self, tx: Transaction, tenant: str, catalog: str, slot: Slot) -> Transaction:
        """Queue the removal of the set (and of the run's seen model codes, in variants mode)."""
        tx.pipe.delete(self._keys.seen(tenant, catalog, slot), self._keys.seen_models(tenant, catalog, slot))
        return tx

    @translate_errors
    def is_active(self, tenant: str, catalog: str, slot: Slot) -> bool:
        """Whether a run of this slot is collecting UUIDs."""
        return bool(self._redis.exists(self._keys.seen(tenant, catalog, slot)))

    @translate_errors
    def add_if_active(self, tenant: str, catalog: str, uuids: Sequence[str]) -> None:
        """Mark UUIDs seen in whichever runs are collecting (a product event was synced)."""
        self.stage_add_if_active(Transaction(self._redis), tenant, catalog, uuids).commit()

    def stage_add_if_active(self, tx: Transaction, tenant: str, catalog: str, uuids: Sequence[str]) -> Transaction:
        """Queue `add_if_active` on `tx`."""
        return self.stage_add_if_active_packed(tx, tenant, catalog, [pack_uuid(u) for u in uuids])

    def stage_add_if_active_packed(
        self, tx: Transaction, tenant: str, catalog: str, packed: Sequence[bytes]
    ) -> Transaction:
        """`stage_add_if_active` for UUIDs already packed by `pack_uuid`."""
        if packed:
            keys = [self._keys.seen(tenant, catalog, slot) for slot in Slot]
            # EVAL, not a registered script: on a pipeline, redis-py sends SCRIPT EXISTS before
            # every transaction that carries one (a round trip per page of an incremental run).
            tx.pipe.eval(_ADD_IF_ACTIVE, len(keys), *keys, join_packed(packed))
        return tx
