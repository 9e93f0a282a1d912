"""The emulated PIM's records (catalogs, products, queries) and the pure rules over them.

Kept apart from `store.py`, which holds the state and its lock: these are plain values every
emulator module reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from akeneo_sync.emulator.catalog_data import Values

__all__ = ["Catalog", "Product", "ProductQuery", "Selection", "StoreError", "StoreWatcher", "bounds", "query_bounds"]


class StoreError(Exception):
    """An admin request the store refuses (unknown product, bad family...); becomes a 4xx."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class Selection:
    """A catalog's product selection. Akeneo's default criterion is "enabled products only"."""

    enabled_only: bool = True
    families: tuple[str, ...] | None = None
    categories: tuple[str, ...] | None = None
    updated_after: int | None = None


@dataclass(slots=True)
class Catalog:
    """One catalog owned by one app (client id)."""

    id: str
    owner: str
    name: str
    managed_currencies: list[str]
    managed_locales: list[str]
    enabled: bool = False
    mapping_schema: dict[str, Any] | None = None
    # Target -> source as the PIM user mapped it; an absent (or None) target is unmapped. Only
    # `uuid` is mapped by the PIM itself (docs/akeneo.md, row 13).
    product_mapping: dict[str, str | None] = field(default_factory=dict)
    selection: Selection = field(default_factory=Selection)
    # Set when a selected category/attribute "was deleted": the next product read disables the
    # catalog, as Akeneo does at read time (docs/akeneo.md), while GET /catalogs still says enabled.
    invalid: bool = False

    def required_sources(self) -> tuple[str, ...] | None:
        """The sources of the schema's required targets (`uuid` aside); None when one is unmapped.

        Akeneo leaves out every product whose source of a required target is empty, and a
        required target without a source makes the catalog invalid (ProductMappingRequiredFilters).
        """
        if self.mapping_schema is None:
            return ()
        required = self.mapping_schema.get("required", [])
        sources = [self.product_mapping.get(t) for t in required if isinstance(t, str) and t != "uuid"]
        if any(source is None for source in sources):
            return None
        return tuple(sorted({s for s in sources if s is not None}))

    def as_json(self) -> dict[str, Any]:
        """The documented catalog object."""
        return {
            "id": self.id,
            "name": self.name,
            "enabled": self.enabled,
            "managed_currencies": list(self.managed_currencies),
            "managed_locales": list(self.managed_locales),
        }


@dataclass(frozen=True, slots=True)
class Product:
    """A product as served: filter columns plus its values."""

    uuid: str
    family: str
    categories: list[str]
    enabled: bool
    created: int
    updated: int
    values: Values
    # The model code a variant product belongs to (a sub-model or a root model); None: simple.
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class ProductQuery:
    """One page request on a catalog's products, bounds in epoch seconds as the client sent them.

    One bound alone is strict; both together are a BETWEEN, inclusive at both ends, as Akeneo's
    GetProductUuidsQuery::parseUpdatedParameters builds them (see `_bounds`).
    """

    limit: int
    search_after: str | None = None
    updated_after: int | None = None
    updated_before: int | None = None


class StoreWatcher(Protocol):
    """Told (under the store's lock) what changed, e.g. to drop what was rendered from it."""

    def forget_product(self, uuid: str) -> None:
        """A product was created, changed or deleted."""

    def forget_catalog(self, catalog_id: str) -> None:
        """A catalog was deleted."""

    def clear(self) -> None:
        """Everything was reset."""


def query_bounds(query: ProductQuery) -> tuple[int | None, int | None]:
    """The exclusive `updated` bounds of a query alone (no selection), in whole seconds."""
    return bounds(Selection(), query)


def bounds(sel: Selection, query: ProductQuery | None) -> tuple[int | None, int | None]:
    """The exclusive `updated` bounds of a selection and query, in whole seconds.

    Akeneo (GetProductUuidsQuery::parseUpdatedParameters): `updated_after` alone is `>`,
    `updated_before` alone is `<`, both together a BETWEEN, inclusive at both ends; dates are
    compared to the second. Inclusive bounds a and b are the exclusive a - 1 and b + 1 here. The
    selection's own bound is a strict "after" too.
    """
    after = query.updated_after if query else None
    before = query.updated_before if query else None
    if after is not None and before is not None:
        after, before = after - 1, before + 1
    lows = [b for b in (sel.updated_after, after) if b is not None]
    return (max(lows) if lows else None), before


def _always(_: int) -> bool:
    return True


def _is_empty(data: Any) -> bool:
    return data is None or data in ("", [], {})
