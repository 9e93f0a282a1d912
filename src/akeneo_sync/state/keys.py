"""Key naming: every key the state store writes lives under one namespace prefix.

Every key of the program is built here: the state store's, the web side's (`web:*`) and the
fleet-wide fair-use limiter's (`fair-use:*`). Catalog-scoped keys share a `{tenant}:{catalog}`
infix so one catalog's state can be listed with a single `SCAN MATCH` when debugging.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

__all__ = ["DEFAULT_PREFIX", "Keys"]

DEFAULT_PREFIX: Final = "akeneo-sync"


@dataclass(frozen=True, slots=True)
class Keys:
    """Builds Redis key names under `prefix`."""

    prefix: str = DEFAULT_PREFIX

    def tenant(self, tenant: str) -> str:
        """A tenant (HASH)."""
        return f"{self.prefix}:tenant:{tenant}"

    def tenants(self) -> str:
        """Every tenant id (SET)."""
        return f"{self.prefix}:tenants"

    def tenant_urls(self) -> str:
        """Normalised PIM URL -> the tenant id it was first stored under (HASH)."""
        return f"{self.prefix}:tenant-urls"

    def subscription(self, subscription_id: str) -> str:
        """The tenant an Event Platform subscription routes to (STRING)."""
        return f"{self.prefix}:subscription:{subscription_id}"

    def catalog(self, tenant: str, catalog: str) -> str:
        """A catalog record (HASH)."""
        return f"{self.prefix}:catalog:{tenant}:{catalog}"

    def catalogs(self, tenant: str) -> str:
        """A tenant's catalog ids (SET)."""
        return f"{self.prefix}:catalogs:{tenant}"

    def checkpoint(self, tenant: str, catalog: str, slot: str) -> str:
        """A run's checkpoint in one slot (STRING, JSON)."""
        return f"{self.prefix}:checkpoint:{tenant}:{catalog}:{slot}"

    def digests(self, tenant: str, catalog: str) -> str:
        """Packed UUID -> product digest (HASH)."""
        return f"{self.prefix}:digests:{tenant}:{catalog}"

    def seen(self, tenant: str, catalog: str, slot: str) -> str:
        """Packed UUIDs a diffing run has seen (SET)."""
        return f"{self.prefix}:seen:{tenant}:{catalog}:{slot}"

    def models(self, tenant: str, catalog: str) -> str:
        """Model code -> the model as last pushed: digest, variant UUIDs, model-level targets (HASH)."""
        return f"{self.prefix}:models:{tenant}:{catalog}"

    def model_variants(self, tenant: str, catalog: str) -> str:
        """Variant UUID -> the code of its model (HASH)."""
        return f"{self.prefix}:model-variants:{tenant}:{catalog}"

    def seen_models(self, tenant: str, catalog: str, slot: str) -> str:
        """Model codes a diffing run has seen (SET)."""
        return f"{self.prefix}:seen-models:{tenant}:{catalog}:{slot}"

    def lock(self, tenant: str, catalog: str) -> str:
        """The catalog lock: owner and expiry (HASH)."""
        return f"{self.prefix}:lock:{tenant}:{catalog}"

    def rerun(self, tenant: str, catalog: str) -> str:
        """Run modes requested while the lock was held (SET)."""
        return f"{self.prefix}:rerun:{tenant}:{catalog}"

    def watchdog(self, tenant: str, catalog: str) -> str:
        """The one pending watchdog of a catalog (STRING with a TTL)."""
        return f"{self.prefix}:watchdog:{tenant}:{catalog}"

    def activation(self, tenant: str) -> str:
        """The lease of a tenant's activation (STRING with a TTL)."""
        return f"{self.prefix}:activation:{tenant}"

    def scheduler_leader(self) -> str:
        """The scheduler's leader lease (STRING with a TTL)."""
        return f"{self.prefix}:scheduler:leader"

    def scheduler_due(self) -> str:
        """Job name -> when it is next due (HASH)."""
        return f"{self.prefix}:scheduler:due"

    def dedupe(self, event_id: str) -> str:
        """A processed event id (STRING with a TTL)."""
        return f"{self.prefix}:event:{event_id}"

    def dead_letters(self, tenant: str) -> str:
        """A tenant's dead letters (STREAM)."""
        return f"{self.prefix}:dead-letters:{tenant}"

    def dead_letter_index(self, tenant: str) -> str:
        """`catalog:uuid` -> fingerprint of the item's last dead letter (HASH)."""
        return f"{self.prefix}:dead-letter-index:{tenant}"

    def oauth_state(self, state: str) -> str:
        """The PIM URL an OAuth `state` was issued for, consumed once (STRING with a TTL)."""
        return f"{self.prefix}:web:oauth-state:{state}"

    def batch(self, kind: str, tenant: str) -> str:
        """A tenant's buffered product UUIDs or model codes of one kind (SET)."""
        return f"{self.prefix}:web:batch:{kind}:{tenant}"

    def batches_pending(self) -> str:
        """`kind:tenant` -> when its batch opened (ZSET)."""
        return f"{self.prefix}:web:batches"

    def flush_lock(self, kind: str, tenant: str) -> str:
        """The lease of the pod flushing one batch (STRING with a TTL)."""
        return f"{self.prefix}:web:flush-lock:{kind}:{tenant}"

    def subscription_status(self, subscription_id: str) -> str:
        """An Event Platform subscription's status as last notified (HASH)."""
        return f"{self.prefix}:web:subscription-status:{subscription_id}"

    def fair_use_leases(self, pim_url: str, connection: str) -> str:
        """The fair-use leases of one connection to a PIM: holder -> expiry (ZSET)."""
        # Hashed: the connection id may be a tenant id or client id, never worth exposing in keys.
        hashed = hashlib.sha256(f"{_pim_hash(pim_url)}:{connection}".encode()).hexdigest()[:16]
        return f"{self.prefix}:fair-use:leases:{hashed}"

    def fair_use_rate(self, pim_url: str) -> str:
        """The GCRA state of one PIM's request rate (STRING with a TTL)."""
        return f"{self.prefix}:fair-use:rate:{_pim_hash(pim_url)}"


def _pim_hash(pim_url: str) -> str:
    parts = urlsplit(pim_url)
    return hashlib.sha256(f"{parts.scheme}://{parts.netloc}".lower().encode()).hexdigest()[:16]
