"""Product models over the store: pages of root models, their variants, and the admin's edits.

The models and the variant parentage live in the `Store` (they reset with it); this module pages
and edits them under the store's lock. Dates follow Akeneo's indexes: a root model's `updated` is
its own (GetElasticsearchProductModelProjection: GREATEST(model, root)), a variant's is the
greatest of its own and its ancestors' (GetElasticsearchProductProjection), which the emulator
keeps by bumping the variants' own column whenever a model above them changes.

Every variants request looks up a root's sub-models, and every models page the root codes in
order: an index of both per store (`_ModelIndex`) answers them without scanning every model, and
the edits below keep it right. A reset replaces `store.models`, which rebuilds the index.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from akeneo_sync.emulator.catalog_data import Values
from akeneo_sync.emulator.model_data import AXIS_OPTIONS, MODEL_FAMILIES, ProductModel
from akeneo_sync.emulator.store import Catalog, ProductQuery, Store, StoreError, query_bounds

__all__ = ["ModelChange", "ModelStore", "VariantIn"]


@dataclass(frozen=True, slots=True)
class VariantIn:
    """A variant to create: its axis values (option codes), own values and status."""

    axes: dict[str, str]
    values: Values
    enabled: bool = True
    uuid: str | None = None


@dataclass(slots=True)
class ModelChange:
    """What an admin edit did, for the events it owes."""

    models_created: list[str]
    models_updated: list[str]
    models_deleted: list[str]
    variants_created: list[str]
    variants_deleted: list[str]


@dataclass(slots=True)
class _ModelIndex:
    """Root codes in order and each root's sub-model codes in order, for one `store.models` dict."""

    models: dict[str, ProductModel]
    roots: list[str] = field(default_factory=list)
    subs: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, models: dict[str, ProductModel]) -> _ModelIndex:
        index = cls(models, sorted(code for code, m in models.items() if m.parent is None))
        for code in sorted(code for code, m in models.items() if m.parent is not None):
            index.subs.setdefault(str(models[code].parent), []).append(code)
        return index

    def add(self, model: ProductModel) -> None:
        # Idempotent: an index first built after `model` entered the store already holds it.
        codes = self.roots if model.parent is None else self.subs.setdefault(model.parent, [])
        at = bisect_left(codes, model.code)
        if at == len(codes) or codes[at] != model.code:
            codes.insert(at, model.code)

    def remove(self, model: ProductModel) -> None:
        if model.parent is None:
            self.subs.pop(model.code, None)
        codes = self.roots if model.parent is None else self.subs.get(model.parent, [])
        at = bisect_left(codes, model.code)
        if at < len(codes) and codes[at] == model.code:
            del codes[at]


# One index per store, dropped with it; callers hold the store's lock.
_INDEXES: WeakKeyDictionary[Store, _ModelIndex] = WeakKeyDictionary()


class ModelStore:
    """Root models as `mapped-models` pages them, their variants, and their edits."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def _index(self) -> _ModelIndex:
        store = self._store
        with store.lock:
            index = _INDEXES.get(store)
            if index is None or index.models is not store.models:
                index = _INDEXES[store] = _ModelIndex.build(store.models)
            return index

    # -- reads ------------------------------------------------------------------------------

    def root(self, code: str) -> ProductModel | None:
        """A root model by code (sub-models are not pages of their own)."""
        model = self._store.models.get(code)
        return model if model is not None and model.parent is None else None

    def axes(self, root: ProductModel) -> tuple[str, ...]:
        """Every axis of the root's family variant, level 1 first."""
        return MODEL_FAMILIES.get(root.family, root.axes)

    def variant_uuids(self, root: str) -> list[str]:
        """Every variant product under a root model, directly or through its sub-models."""
        store = self._store
        found = set(store.children.get(root, ()))
        for code in self._sub_models(root):
            found |= store.children.get(code, set())
        return sorted(found)

    def under(self, code: str) -> list[str]:
        """The variant products under a root or sub-model."""
        model = self._store.models.get(code)
        if model is None or model.parent is None:
            return self.variant_uuids(code)
        return sorted(self._store.children.get(code, ()))

    def page(self, catalog: Catalog, query: ProductQuery) -> list[ProductModel]:
        """Up to `limit` root models after the cursor, by code, that hold a selected variant."""
        store = self._store
        with store.lock:
            codes = self._index.roots
            start = 0 if query.search_after is None else bisect_right(codes, query.search_after)
            low, high = query_bounds(query)
            found: list[ProductModel] = []
            for code in codes[start:]:
                model = store.models[code]
                if (low is not None and model.updated <= low) or (high is not None and model.updated >= high):
                    continue
                if store.matching(catalog, self.variant_uuids(code)):
                    found.append(model)
                    if len(found) >= query.limit:
                        break
            return found

    def variants_page(self, catalog: Catalog, root: str, query: ProductQuery) -> list[str]:
        """Up to `limit` selected variants of the root after the cursor, by UUID, in the query's dates."""
        with self._store.lock:
            uuids = self.variant_uuids(root)
            if query.search_after is not None:
                uuids = uuids[bisect_right(uuids, query.search_after.lower()) :]
            return self._store.matching(catalog, uuids, query, limit=query.limit)

    def selected(self, catalog: Catalog, root: str) -> bool:
        """Whether the catalog selects at least one of the root's variants."""
        with self._store.lock:
            return bool(self._store.matching(catalog, self.variant_uuids(root), limit=1))

    # -- edits ------------------------------------------------------------------------------

    def create(
        self, code: str, family: str, values: Values, categories: list[str] | None, variants: list[VariantIn]
    ) -> ModelChange:
        """A new root model dated now, with its sub-models (two-axis families) and variants."""
        store = self._store
        if family not in MODEL_FAMILIES:
            raise StoreError(422, f"Unknown family variant for {family!r}; known: {', '.join(MODEL_FAMILIES)}.")
        with store.lock:
            if code in store.models:
                raise StoreError(422, f"Product model {code} already exists.")
            now = int(store.clock_now())
            model = ProductModel(
                code, family, None, MODEL_FAMILIES[family][:1], dict(values), list(categories or ["master"]), now, now
            )
            store.models[code] = model
            self._index.add(model)
            change = ModelChange([code], [], [], [], [])
            for variant in variants:
                self._add_variant(code, variant, change)
            return change

    def add_variant(self, root: str, variant: VariantIn) -> ModelChange:
        """One more variant of a root model (its sub-model is created when new)."""
        with self._store.lock:
            if self.root(root) is None:
                raise StoreError(404, f"Product model {root} does not exist.")
            change = ModelChange([], [], [], [], [])
            self._add_variant(root, variant, change)
            return change

    def update(self, code: str, values: Values, categories: list[str] | None) -> ModelChange:
        """Edit a root or sub-model (a None value removes it); its variants' `updated` moves too."""
        store = self._store
        with store.lock:
            model = store.models.get(code)
            if model is None:
                raise StoreError(404, f"Product model {code} does not exist.")
            for attribute, data in values.items():
                if data is None or data in ("", [], {}):
                    model.values.pop(attribute, None)
                else:
                    model.values[attribute] = data
            if categories is not None:
                model.categories = list(categories)
            model.updated = max(int(store.clock_now()), model.updated + 1)
            store.touch(self.under(code))
            return ModelChange([], [code], [], [], [])

    def delete(self, code: str) -> ModelChange:
        """Remove a model with everything under it (sub-models and variant products)."""
        store = self._store
        with store.lock:
            model = store.models.get(code)
            if model is None:
                raise StoreError(404, f"Product model {code} does not exist.")
            codes = [code, *self._sub_models(code)] if model.parent is None else [code]
            uuids = self.under(code)
            for uuid in uuids:
                store.delete_product(uuid)
            index = self._index
            for gone in codes:
                removed = store.models.pop(gone, None)
                if removed is not None:
                    index.remove(removed)
                store.children.pop(gone, None)
            return ModelChange([], [], codes, [], uuids)

    def _sub_models(self, root: str) -> list[str]:
        return list(self._index.subs.get(root, ()))

    def _add_variant(self, root_code: str, variant: VariantIn, change: ModelChange) -> None:
        store = self._store
        root = store.models[root_code]
        axes = MODEL_FAMILIES[root.family]
        if set(variant.axes) != set(axes) or not all(isinstance(v, str) and v for v in variant.axes.values()):
            raise StoreError(422, f"A {root.family} variant needs a value for each axis: {', '.join(axes)}.")
        known = AXIS_OPTIONS.get(axes[0])
        if len(axes) > 1 and known is not None and variant.axes[axes[0]] not in known:
            raise StoreError(422, f"Unknown {axes[0]} {variant.axes[axes[0]]!r}; known: {', '.join(known)}.")
        for uuid in self.variant_uuids(root_code):
            product = store.get_product(uuid)
            if product is not None and all(product.values.get(a) == variant.axes[a] for a in axes):
                raise StoreError(422, f"Product model {root_code} already has a variant {variant.axes}.")
        parent = root_code
        if len(axes) > 1:
            value = variant.axes[axes[0]]
            parent = f"{root_code}_{value}"
            if parent not in store.models:
                now = int(store.clock_now())
                sub = ProductModel(
                    parent,
                    root.family,
                    root_code,
                    axes[1:],
                    {axes[0]: value},
                    list(root.categories),
                    now,
                    now,
                    {axes[0]: value},
                )
                store.models[parent] = sub
                self._index.add(sub)
                change.models_created.append(parent)
        # The first-axis value of a two-level variant lives on its sub-model, as in Akeneo.
        own = {k: v for k, v in {**variant.values, **variant.axes}.items() if len(axes) == 1 or k != axes[0]}
        created = store.create_product(
            own,
            family=root.family,
            categories=list(root.categories),
            enabled=variant.enabled,
            uuid=variant.uuid,
            parent=parent,
        )
        change.variants_created.append(created.uuid)
