"""What the target holds of a catalog's product models: one record per model, a variant index.

A model is pushed with its whole variant set, so its digest covers the set; the record keeps the
variant UUIDs (to keep the index exact when the set changes) and the model-level targets (an
incremental run that finds only a variant changed re-pushes the model without asking the PIM for
the model again: Akeneo has no endpoint for one mapped model).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis

from akeneo_sync.errors import StateError
from akeneo_sync.state._redis import translate_errors
from akeneo_sync.state.keys import Keys
from akeneo_sync.state.transaction import Transaction

__all__ = ["ModelRecord", "ModelStore"]


@dataclass(frozen=True, slots=True)
class ModelRecord:
    """A model as last pushed: its digest, its variants' UUIDs and its model-level targets."""

    digest: str
    variants: tuple[str, ...] = ()
    targets: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps({"d": self.digest, "v": list(self.variants), "t": self.targets}, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: bytes | str) -> ModelRecord:
        try:
            data = json.loads(raw)
            return cls(str(data["d"]), tuple(str(u) for u in data.get("v", ())), dict(data.get("t", {})))
        except (ValueError, KeyError, TypeError) as exc:
            raise StateError(f"unreadable model record: {exc}") from exc


class ModelStore:
    """Model records by code, the variant -> model index, and the model codes a diffing run saw."""

    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self._redis = client
        self._keys = keys

    @translate_errors
    def get(self, tenant: str, catalog: str, codes: Sequence[str]) -> dict[str, ModelRecord]:
        """The records of these models (unknown ones left out)."""
        if not codes:
            return {}
        raw = self._redis.hmget(self._keys.models(tenant, catalog), list(codes))
        return {code: ModelRecord.from_json(value) for code, value in zip(codes, raw, strict=True) if value is not None}

    @translate_errors
    def models_of(self, tenant: str, catalog: str, variants: Sequence[str]) -> dict[str, str]:
        """Variant UUID -> the code of the model it was last pushed with (unknown variants left out)."""
        if not variants:
            return {}
        raw = self._redis.hmget(self._keys.model_variants(tenant, catalog), list(variants))
        return {uuid: _text(code) for uuid, code in zip(variants, raw, strict=True) if code is not None}

    @translate_errors
    def codes(self, tenant: str, catalog: str) -> set[str]:
        """Every model code the target holds for the catalog."""
        return {_text(code) for code in self._redis.hkeys(self._keys.models(tenant, catalog))}

    @translate_errors
    def count(self, tenant: str, catalog: str) -> int:
        """How many models the target holds for the catalog."""
        return int(self._redis.hlen(self._keys.models(tenant, catalog)))

    def stage_put(
        self,
        tx: Transaction,
        tenant: str,
        catalog: str,
        records: Mapping[str, ModelRecord],
        previous: Mapping[str, ModelRecord],
    ) -> Transaction:
        """Queue these records and re-point the index at their variants; `previous` are the old records."""
        if not records:
            return tx
        index = self._keys.model_variants(tenant, catalog)
        dropped = [
            u
            for code, old in previous.items()
            if code in records
            for u in set(old.variants) - set(records[code].variants)
        ]
        if dropped:
            tx.pipe.hdel(index, *dropped)
        tx.pipe.hset(self._keys.models(tenant, catalog), mapping={code: r.to_json() for code, r in records.items()})
        pointers = {u: code for code, record in records.items() for u in record.variants}
        if pointers:
            tx.pipe.hset(index, mapping=pointers)  # type: ignore[arg-type]
        return tx

    def stage_delete(
        self, tx: Transaction, tenant: str, catalog: str, previous: Mapping[str, ModelRecord]
    ) -> Transaction:
        """Queue the removal of these models (`previous`: their records) and of their variants' index entries."""
        if not previous:
            return tx
        tx.pipe.hdel(self._keys.models(tenant, catalog), *previous)
        variants = [u for record in previous.values() for u in record.variants]
        if variants:
            tx.pipe.hdel(self._keys.model_variants(tenant, catalog), *variants)
        return tx

    def stage_seen(self, tx: Transaction, tenant: str, catalog: str, slot: str, codes: Iterable[str]) -> Transaction:
        """Queue model codes a diffing run saw."""
        listed = list(codes)
        if listed:
            tx.pipe.sadd(self._keys.seen_models(tenant, catalog, slot), *listed)
        return tx

    def stage_drop_seen(self, tx: Transaction, tenant: str, catalog: str, slot: str) -> Transaction:
        """Queue the removal of a run's seen model codes."""
        tx.pipe.delete(self._keys.seen_models(tenant, catalog, slot))
        return tx

    @translate_errors
    def unseen(self, tenant: str, catalog: str, slot: str, *, chunk: int = 1000) -> Iterator[list[str]]:
        """Known model codes the run did not see, chunk by chunk (a model catalog is thousands, not millions)."""
        seen_key = self._keys.seen_models(tenant, catalog, slot)
        codes = sorted(self.codes(tenant, catalog))
        for start in range(0, len(codes), chunk):
            yield from self._unseen_of(seen_key, codes[start : start + chunk])

    def _unseen_of(self, seen_key: str, codes: list[str]) -> Iterator[list[str]]:
        flags = self._redis.smismember(seen_key, codes)
        missing = [code for code, seen in zip(codes, flags, strict=True) if not seen]
        if missing:
            yield missing

    @translate_errors
    def clear(self, tenant: str, catalog: str) -> None:
        """Forget every model of the catalog (its products were purged downstream)."""
        self._redis.delete(self._keys.models(tenant, catalog), self._keys.model_variants(tenant, catalog))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
