"""Dead letters: items a run could not deliver, one Redis stream per tenant.

An entry holds the item as received (JSON text), a bounded `reason` code (also a metric label),
a free-text `detail`, the time, the attempt number and where it came from (catalog, uuid, run).
Entries are deleted after a successful replay. The stream is capped (approximately, which keeps
XADD O(1)) so a catalog full of bad data cannot exhaust Redis.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import redis

from akeneo_sync.clock import Clock
from akeneo_sync.state._codec import Fields, as_float, as_int, as_str, decode_hash, text
from akeneo_sync.state._redis import translate_errors
from akeneo_sync.state.keys import Keys
from akeneo_sync.state.transaction import Transaction

__all__ = ["DEAD_LETTER_MAXLEN", "DeadLetter", "DeadLetterStore", "NewDeadLetter"]

DEAD_LETTER_MAXLEN: Final = 100_000


@dataclass(frozen=True, slots=True)
class NewDeadLetter:
    """A dead letter about to be written."""

    catalog: str
    reason: str
    detail: str
    payload: Any
    uuid: str | None = None
    run_id: str = ""
    attempt: int = 1


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A stored dead letter; `id` is its stream entry id."""

    id: str
    tenant: str
    catalog: str
    reason: str
    detail: str
    payload: str
    uuid: str | None
    run_id: str
    attempt: int
    time: float

    def payload_json(self) -> Any:
        """The item as received, parsed back from JSON."""
        return json.loads(self.payload)


class DeadLetterStore:
    """Adds, lists, reads and deletes dead letters."""

    def __init__(self, client: redis.Redis, keys: Keys, clock: Clock) -> None:
        self._redis = client
        self._keys = keys
        self._clock = clock

    @translate_errors
    def add(self, tenant: str, letter: NewDeadLetter) -> str:
        """Write one dead letter; returns its id."""
        entry_id = self._redis.xadd(
            self._keys.dead_letters(tenant), self._fields(letter), maxlen=DEAD_LETTER_MAXLEN, approximate=True
        )
        return text(entry_id)

    def stage_add(self, tx: Transaction, tenant: str, letter: NewDeadLetter) -> Transaction:
        """Queue a dead letter on `tx` (written with the page's checkpoint, so never twice)."""
        tx.pipe.xadd(self._keys.dead_letters(tenant), self._fields(letter), maxlen=DEAD_LETTER_MAXLEN, approximate=True)
        if letter.uuid:
            tx.pipe.hset(self._keys.dead_letter_index(tenant), _index_field(letter), _fingerprint(letter))
        return tx

    @translate_errors
    def unrecorded(self, tenant: str, letters: Sequence[NewDeadLetter]) -> list[NewDeadLetter]:
        """The letters not already recorded for the same item with the same content and reason.

        An incremental run re-reads the products of its overlap window, so an invalid product
        that did not change would otherwise be dead-lettered (and counted) again on every run.
        """
        keyed = [letter for letter in letters if letter.uuid]
        if not keyed:
            return list(letters)
        stored = self._redis.hmget(self._keys.dead_letter_index(tenant), [_index_field(x) for x in keyed])
        known = {
            _index_field(letter)
            for letter, value in zip(keyed, stored, strict=True)
            if value is not None and text(value) == _fingerprint(letter)
        }
        return [letter for letter in letters if not letter.uuid or _index_field(letter) not in known]

    @translate_errors
    def held(self, tenant: str, catalog: str, uuids: Sequence[str]) -> set[str]:
        """Which of these products of the catalog have a dead letter (they are not in the target)."""
        if not uuids:
            return set()
        stored = self._redis.hmget(self._keys.dead_letter_index(tenant), [f"{catalog}:{u}" for u in uuids])
        return {uuid for uuid, value in zip(uuids, stored, strict=True) if value is not None}

    @translate_errors
    def list(
        self, tenant: str, *, count: int = 100, after: str | None = None, catalog: str | None = None
    ) -> list[DeadLetter]:
        """Up to `count` dead letters, oldest first, strictly after the id `after`."""
        start = f"({after}" if after else "-"
        key = self._keys.dead_letters(tenant)
        letters: list[DeadLetter] = []
        # Filtering by catalog happens here, so read in batches until `count` match or the end.
        while len(letters) < count:
            entries = self._redis.xrange(key, min=start, max="+", count=max(count, 100))
            if not entries:
                break
            for entry_id, raw in entries:
                letter = _parse(tenant, entry_id, raw)
                if catalog is None or letter.catalog == catalog:
                    letters.append(letter)
                    if len(letters) == count:
                        break
            start = f"({text(entries[-1][0])}"
        return letters

    @translate_errors
    def get(self, tenant: str, letter_id: str) -> DeadLetter | None:
        """One dead letter, or None when it does not exist (any more)."""
        entries = self._redis.xrange(self._keys.dead_letters(tenant), min=letter_id, max=letter_id, count=1)
        if not entries:
            return None
        entry_id, raw = entries[0]
        return _parse(tenant, entry_id, raw)

    @translate_errors
    def delete(self, tenant: str, letter_id: str, *, unindex: bool = True) -> bool:
        """Remove a dead letter; False when it was already gone.

        With `unindex` the item's fingerprint goes too (if it fails again later, that is news). A
        replay unindexes first and deletes without it: the retry may have indexed a new letter.
        """
        letter = self.get(tenant, letter_id)
        if unindex and letter is not None:
            self.unindex(tenant, letter)
        return bool(self._redis.xdel(self._keys.dead_letters(tenant), letter_id))

    @translate_errors
    def unindex(self, tenant: str, letter: DeadLetter) -> None:
        """Forget that this letter's item failed, so its next failure is recorded as a new letter."""
        if letter.uuid:
            self._redis.hdel(self._keys.dead_letter_index(tenant), f"{letter.catalog}:{letter.uuid}")

    @translate_errors
    def drop_all(self, tenant: str) -> None:
        """Forget every dead letter of the tenant (the tenant is purged)."""
        self._redis.delete(self._keys.dead_letters(tenant), self._keys.dead_letter_index(tenant))

    @translate_errors
    def count(self, tenant: str) -> int:
        """How many dead letters the tenant has."""
        return int(self._redis.xlen(self._keys.dead_letters(tenant)))

    def _fields(self, letter: NewDeadLetter) -> Fields:
        return {
            "catalog": letter.catalog,
            "reason": letter.reason,
            "detail": letter.detail[:2000],
            "payload": json.dumps(letter.payload, default=str, separators=(",", ":")),
            "uuid": letter.uuid or "",
            "run": letter.run_id,
            "attempt": str(letter.attempt),
            "time": repr(self._clock.now()),
        }


def _index_field(letter: NewDeadLetter) -> str:
    return f"{letter.catalog}:{letter.uuid}"


def _fingerprint(letter: NewDeadLetter) -> str:
    payload = json.dumps(letter.payload, default=str, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(f"{letter.reason}\n{letter.detail}\n{payload}".encode(), digest_size=12).hexdigest()


def _parse(tenant: str, entry_id: bytes | str | None, raw: Any) -> DeadLetter:
    fields = decode_hash(raw)
    return DeadLetter(
        id=text(entry_id),
        tenant=tenant,
        catalog=fields.get("catalog", ""),
        reason=fields.get("reason", ""),
        detail=fields.get("detail", ""),
        payload=fields.get("payload", "null"),
        uuid=as_str(fields, "uuid"),
        run_id=fields.get("run", ""),
        attempt=as_int(fields, "attempt") or 1,
        time=as_float(fields, "time") or 0.0,
    )
