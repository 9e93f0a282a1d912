"""Key naming: every key the state store writes lives under one namespace prefix.

Catalog-scoped keys share a `{tenant}:{catalog}` infix so one catalog's state can be listed with a
single `SCAN MATCH` when debugging.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

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
