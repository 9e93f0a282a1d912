"""Which products a catalog selects: one predicate on product indexes, constants worked out once.

A catalog's selection (enabled only, families, categories, `updated` bounds) plus its mapping's
required sources: a product missing a required source is not served (docs/akeneo.md).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from akeneo_sync.emulator.catalog_data import FAMILIES, Dataset, Values, category_mask, generate_values
from akeneo_sync.emulator.records import Catalog, ProductQuery, bounds

__all__ = ["always", "is_empty", "matcher", "required_check"]

# Sources that are product fields, never empty, rather than attribute values.
_SYSTEM_SOURCES: Final = frozenset({"uuid", "enabled", "family", "categories", "created", "updated"})
# What `generate_values` gives every seeded product, so a required source among these never
# needs a seeded product's values built (test_emulator_generator checks it).
_ALWAYS_GENERATED: Final = frozenset({"sku", "name", "ean"})


def matcher(
    d: Dataset, catalog: Catalog, query: ProductQuery | None, has_required: Callable[[int], bool] | None
) -> Callable[[int], bool]:
    """A predicate on product indexes: selected by `catalog` (within `query`'s dates), required sources filled."""
    sel = catalog.selection
    families = None if sel.families is None else {FAMILIES.index(f) for f in sel.families if f in FAMILIES}
    categories = None if sel.categories is None else category_mask(sel.categories)
    low, high = bounds(sel, query)

    def matches(i: int) -> bool:
        if sel.enabled_only and not d.enabled[i]:
            return False
        if families is not None and d.family[i] not in families:
            return False
        if categories is not None and not d.categories[i] & categories:
            return False
        updated = d.updated[i]
        in_dates = (low is None or updated > low) and (high is None or updated < high)
        return in_dates and (has_required is None or has_required(i))

    return matches


def required_check(d: Dataset, custom: dict[str, Values], seed: int, catalog: Catalog) -> Callable[[int], bool] | None:
    """Whether a product's required sources are all filled; None when nothing is required."""
    attributes = frozenset(catalog.required_sources() or ()) - _SYSTEM_SOURCES
    if not attributes:
        return None
    seeded_need = tuple(attributes - _ALWAYS_GENERATED)
    needed = tuple(attributes)
    uuids, family = d.uuids, d.family

    def filled(i: int) -> bool:
        uuid = uuids[i]
        values = custom.get(uuid)
        if values is not None:
            return all(not is_empty(values.get(code)) for code in needed)
        if not seeded_need:
            return True
        values = generate_values(uuid, FAMILIES[family[i]], seed)
        return all(not is_empty(values.get(code)) for code in seeded_need)

    return filled


def always(_: int) -> bool:
    """The predicate of a catalog that requires nothing."""
    return True


def is_empty(data: Any) -> bool:
    """Whether a value counts as empty (Akeneo omits it from mapped products)."""
    return data is None or data in ("", [], {})
