"""The emulated PIM's state: products (seeded columns + admin edits) and catalogs, behind one lock.

Reads happen on uvicorn's event loop and in the event-delivery thread, writes come from the admin
API; a single re-entrant lock keeps every operation atomic, which is plenty for an emulator.
"""

from __future__ import annotations

import random
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Final

from akeneo_sync.emulator.catalog_data import (
    FAMILIES,
    Dataset,
    Values,
    category_codes,
    category_mask,
    generate_dataset,
    generate_values,
    new_uuid,
)
from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.model_data import ModelSeed, ProductModel, generate_models, with_variants
from akeneo_sync.emulator.records import (
    Catalog,
    Product,
    ProductQuery,
    Selection,
    StoreError,
    StoreWatcher,
    bounds,
    query_bounds,
)
from akeneo_sync.emulator.selection import always, is_empty, matcher, required_check

__all__ = ["Catalog", "Product", "ProductQuery", "Selection", "Store", "StoreError", "StoreWatcher", "query_bounds"]

_MIN_EPOCH: Final = -(1 << 62)
_MAX_EPOCH: Final = 1 << 62
_MAX_CHUNK: Final = 65_536


class Store:
    """Products and catalogs of one emulated PIM instance."""

    def __init__(self, config: EmulatorConfig) -> None:
        self._config = config
        self._lock = threading.RLock()
        self._watchers: list[StoreWatcher] = []
        self.until_s = config.dataset_until()
        self._seed_data = generate_dataset(
            config.products, config.seed, self.until_s, config.history_s, config.date_profile
        )
        self._seed_models = ModelSeed({}, [])
        if config.models:
            self._seed_models = generate_models(config.models, config.seed, self.until_s, config.history_s)
            self._seed_data = with_variants(self._seed_data, self._seed_models)
        self.reset()

    def watch(self, watcher: StoreWatcher) -> None:
        """Tell `watcher` about every product change, catalog deletion and reset from now on."""
        with self._lock:
            self._watchers.append(watcher)

    @property
    def lock(self) -> threading.RLock:
        """The lock every multi-step caller holds (e.g. to read a page and its catalog together)."""
        return self._lock

    def reset(self) -> None:
        """Back to the seeded products, no catalogs."""
        with self._lock:
            self._data: Dataset = self._seed_data.copy()
            seeded = self._seed_models
            self._custom: dict[str, Values] = {v.uuid: dict(v.values) for v in seeded.variants}
            # Product models by code, variant UUID -> its parent model's code, and the reverse.
            self.models: dict[str, ProductModel] = {
                code: replace(m, values=dict(m.values), categories=list(m.categories), axis_values=dict(m.axis_values))
                for code, m in seeded.models.items()
            }
            self.parents: dict[str, str] = {v.uuid: v.parent for v in seeded.variants}
            self.children: dict[str, set[str]] = {}
            for v in seeded.variants:
                self.children.setdefault(v.parent, set()).add(v.uuid)
            self._catalogs: dict[str, Catalog] = {}
            self._rng = random.Random(f"catalogs:{self._config.seed}")  # noqa: S311 - reproducible ids
            # product-uuids answers `with_count` only while this is on (see EmulatorConfig).
            self.serve_counts = self._config.serve_counts
            self._generation = 0  # bumped by every product change: what the count cache checks
            self._updated_by_selection: dict[tuple[Selection, tuple[str, ...] | None], tuple[int, list[int]]] = {}
            for watcher in self._watchers:
                watcher.clear()

    # -- products ---------------------------------------------------------------------------

    def product_count(self) -> int:
        """How many products the PIM holds."""
        with self._lock:
            return len(self._data.uuids)

    def _index(self, uuid: str) -> int | None:
        i = bisect_left(self._data.uuids, uuid)
        return i if i < len(self._data.uuids) and self._data.uuids[i] == uuid else None

    def _product_at(self, i: int) -> Product:
        d = self._data
        uuid = d.uuids[i]
        family = FAMILIES[d.family[i]]
        values = self._custom.get(uuid)
        if values is None:
            values = generate_values(uuid, family, self._config.seed)
        parent = self.parents.get(uuid) if self.parents else None
        if parent is not None:
            # A variant shows its ancestors' values too, as Akeneo's product format does.
            values = {**self.inherited_values(parent), **values}
        return Product(
            uuid,
            family,
            category_codes(d.categories[i]),
            bool(d.enabled[i]),
            d.created[i],
            d.updated[i],
            values,
            parent,
        )

    def inherited_values(self, code: str) -> Values:
        """A model's values merged over its ancestors' (the nearest level wins)."""
        model = self.models.get(code)
        if model is None:
            return {}
        above = self.inherited_values(model.parent) if model.parent is not None else {}
        return {**above, **model.values}

    def get_product(self, uuid: str) -> Product | None:
        """One product by UUID, or None."""
        with self._lock:
            i = self._index(uuid.lower())
            return None if i is None else self._product_at(i)

    def product(self, uuid: str) -> Product:
        """One product by UUID; `StoreError` 404 when unknown."""
        with self._lock:
            return self._product_at(self._require(uuid))

    def create_product(
        self,
        values: Values,
        *,
        family: str | None,
        categories: list[str] | None,
        enabled: bool | None,
        uuid: str | None = None,
        parent: str | None = None,
    ) -> Product:
        """Add a product dated now (a variant of model `parent` if given); returns it."""
        with self._lock:
            new = (uuid or new_uuid(self._rng)).lower()
            if self._index(new) is not None:
                raise StoreError(422, f"Product {new} already exists.")
            fam = self._family_index(family or FAMILIES[0])
            now = int(self._config.clock.now())
            i = bisect_left(self._data.uuids, new)
            d = self._data
            d.uuids.insert(i, new)
            d.family.insert(i, fam)
            d.categories.insert(i, category_mask(categories or ["master"]))
            d.enabled.insert(i, 1 if enabled is None or enabled else 0)
            d.created.insert(i, now)
            d.updated.insert(i, now)
            self._custom[new] = {k: v for k, v in values.items() if not is_empty(v)}
            if parent is not None:
                self.parents[new] = parent
                self.children.setdefault(parent, set()).add(new)
            self._changed(new)
            return self._product_at(i)

    def update_product(
        self, uuid: str, values: Values, *, family: str | None, categories: list[str] | None, enabled: bool | None
    ) -> Product:
        """Apply an admin edit (a None value removes the attribute) and bump `updated`."""
        with self._lock:
            i = self._require(uuid)
            own = self._custom.get(self._data.uuids[i])
            # A variant's inherited values stay with its models: only its own are edited.
            current = dict(own) if own is not None else dict(self._product_at(i).values)
            for code, data in values.items():
                if is_empty(data):
                    current.pop(code, None)
                else:
                    current[code] = data
            d = self._data
            self._custom[d.uuids[i]] = current
            if family is not None:
                d.family[i] = self._family_index(family)
            if categories is not None:
                d.categories[i] = category_mask(categories)
            if enabled is not None:
                d.enabled[i] = 1 if enabled else 0
            # Strictly later than before, so `updated_after` always sees the edit even when the
            # injected clock stands still.
            d.updated[i] = max(int(self._config.clock.now()), d.updated[i] + 1)
            self._changed(d.uuids[i])
            return self._product_at(i)

    def delete_product(self, uuid: str) -> None:
        """Remove a product for good."""
        with self._lock:
            i = self._require(uuid)
            d = self._data
            self._custom.pop(d.uuids[i], None)
            parent = self.parents.pop(d.uuids[i], None)
            if parent is not None:
                self.children.get(parent, set()).discard(d.uuids[i])
            self._changed(d.uuids[i])
            del d.uuids[i], d.family[i], d.categories[i], d.enabled[i], d.created[i], d.updated[i]

    def touch(self, uuids: list[str]) -> None:
        """Bump products' `updated`, as Akeneo's product index does when an ancestor model changes."""
        with self._lock:
            now = int(self._config.clock.now())
            for uuid in uuids:
                i = self._index(uuid)
                if i is not None:
                    self._data.updated[i] = max(now, self._data.updated[i] + 1)
                    self._changed(uuid)

    def _changed(self, uuid: str) -> None:
        self._generation += 1
        for watcher in self._watchers:
            watcher.forget_product(uuid)

    def _require(self, uuid: str) -> int:
        i = self._index(uuid.lower())
        if i is None:
            raise StoreError(404, f"Product {uuid} does not exist.")
        return i

    @staticmethod
    def _family_index(family: str) -> int:
        if family not in FAMILIES:
            raise StoreError(422, f"Unknown family {family!r}; known: {', '.join(FAMILIES)}.")
        return FAMILIES.index(family)

    # -- selections -------------------------------------------------------------------------

    def _matcher(self, catalog: Catalog, query: ProductQuery | None = None) -> Callable[[int], bool]:
        return matcher(self._data, catalog, query, self._required_check(catalog))

    def _required_check(self, catalog: Catalog) -> Callable[[int], bool] | None:
        return required_check(self._data, self._custom, self._config.seed, catalog)

    def _page_indexes(self, catalog: Catalog, query: ProductQuery, simple_only: bool = False) -> list[int]:
        """Indexes of up to `limit` selected products after the query's cursor, in UUID order.

        Scanned in growing chunks, the `updated` bounds tested inline before the full predicate:
        a page of one narrow `updated` window (how a windowed full sync pages) passes over
        thousands of products of other windows, and a predicate call for each cost more than
        serving the page.
        """
        d, sel = self._data, catalog.selection
        uuids, updated, enabled = d.uuids, d.updated, d.enabled
        start = 0 if query.search_after is None else bisect_right(uuids, query.search_after.lower())
        matches = self._matcher(catalog, query)
        low, high = bounds(sel, query)
        lo = _MIN_EPOCH if low is None else low
        hi = _MAX_EPOCH if high is None else high
        # Akeneo's default selection (enabled products, no family or category criterion) is
        # tested entirely inline; `enabled[i] >= 0` always holds when disabled ones count too.
        inline = sel.families is None and sel.categories is None
        # Required sources (a schema's `required`) are tested last, on products already in the dates.
        required = self._required_check(catalog) or always
        need = 1 if sel.enabled_only else 0
        found: list[int] = []
        # A full page usually sits within the first chunk (most products are selected).
        chunk, end = query.limit + query.limit // 4 + 8, len(uuids)
        while start < end and len(found) < query.limit:
            stop = min(start + chunk, end)
            if inline and required is always:
                found += [i for i in range(start, stop) if lo < updated[i] < hi and enabled[i] >= need]
            elif inline:
                found += [i for i in range(start, stop) if lo < updated[i] < hi and enabled[i] >= need and required(i)]
            else:
                found += [i for i in range(start, stop) if lo < updated[i] < hi and matches(i)]
            if simple_only and self.parents:
                parents = self.parents
                found = [i for i in found if uuids[i] not in parents]
            start, chunk = stop, min(2 * chunk, _MAX_CHUNK)
        return found[: query.limit]

    def page(self, catalog: Catalog, query: ProductQuery) -> list[Product]:
        """Up to `limit` selected products after the cursor, by UUID ascending."""
        with self._lock:
            return [self._product_at(i) for i in self._page_indexes(catalog, query)]

    def page_uuids(self, catalog: Catalog, query: ProductQuery, *, simple_only: bool = False) -> list[str]:
        """Like `page` but only UUIDs, without building values; `simple_only` leaves variants out."""
        with self._lock:
            uuids = self._data.uuids
            return [uuids[i] for i in self._page_indexes(catalog, query, simple_only)]

    def count(self, catalog: Catalog, query: ProductQuery) -> int:
        """How many products the catalog selects under the query's date filters (cursor ignored)."""
        with self._lock:
            # A windowed full sync plans with dozens of counts: a sorted list of the selection's
            # `updated` seconds, kept until a product changes, answers each with two bisections
            # (as a search index would) instead of a scan of every product.
            sel = catalog.selection
            key = (sel, catalog.required_sources())
            cached = self._updated_by_selection.get(key)
            if cached is None or cached[0] != self._generation:
                matches, updated = self._matcher(catalog), self._data.updated
                cached = (self._generation, sorted(updated[i] for i in range(len(updated)) if matches(i)))
                self._updated_by_selection[key] = cached
            low, high = bounds(sel, query)
            ordered = cached[1]
            first = 0 if low is None else bisect_right(ordered, low)
            last = len(ordered) if high is None else bisect_left(ordered, high)
            return max(0, last - first)

    def selected_uuids(self, catalog: Catalog) -> list[str]:
        """The UUIDs of every product the catalog selects, without building their values."""
        with self._lock:
            uuids, matches = self._data.uuids, self._matcher(catalog)
            return [uuids[i] for i in range(len(uuids)) if matches(i)]

    def selected(self, catalog: Catalog) -> Iterator[Product]:
        """Every product of the catalog (a snapshot taken under the lock)."""
        with self._lock:
            matches = self._matcher(catalog)
            items = [self._product_at(i) for i in range(len(self._data.uuids)) if matches(i)]
        return iter(items)

    def matching(
        self, catalog: Catalog, uuids: list[str], query: ProductQuery | None = None, limit: int | None = None
    ) -> list[str]:
        """Those of `uuids` (in their order) the catalog selects within the query's dates, up to `limit`."""
        with self._lock:
            matches, found = self._matcher(catalog, query), []
            for uuid in uuids:
                i = self._index(uuid)
                if i is not None and matches(i):
                    found.append(self._data.uuids[i])
                    if limit is not None and len(found) >= limit:
                        break
            return found

    def clock_now(self) -> float:
        """The emulator clock's time (model edits date themselves with it)."""
        return self._config.clock.now()

    def selected_uuid(self, catalog: Catalog, uuid: str) -> str | None:
        """The product's canonical UUID if the catalog selects it, without building its values."""
        with self._lock:
            i = self._index(uuid.lower())
            if i is None or not self._matcher(catalog)(i):
                return None
            return self._data.uuids[i]

    def in_selection(self, catalog: Catalog, uuid: str) -> Product | None:
        """The product if the catalog selects it."""
        with self._lock:
            i = self._index(uuid.lower())
            if i is None or not self._matcher(catalog)(i):
                return None
            return self._product_at(i)

    # -- catalogs ---------------------------------------------------------------------------

    def catalogs_of(self, owner: str) -> list[Catalog]:
        """An app's catalogs in creation order."""
        with self._lock:
            return [c for c in self._catalogs.values() if c.owner == owner]

    def catalog(self, catalog_id: str, owner: str | None = None) -> Catalog | None:
        """A catalog by id; None when unknown or (if `owner` is given) owned by another app."""
        with self._lock:
            found = self._catalogs.get(catalog_id.lower())
            if found is None or (owner is not None and found.owner != owner):
                return None
            return found

    def create_catalog(self, owner: str, name: str, currencies: list[str], locales: list[str]) -> Catalog:
        """A new, disabled catalog."""
        with self._lock:
            created = Catalog(new_uuid(self._rng), owner, name, currencies, locales)
            self._catalogs[created.id] = created
            return created

    def delete_catalog(self, catalog_id: str) -> None:
        """Forget a catalog."""
        with self._lock:
            gone = self._catalogs.pop(catalog_id.lower(), None)
            if gone is not None:
                for watcher in self._watchers:
                    watcher.forget_catalog(gone.id)
