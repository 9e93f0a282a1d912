"""The emulator's index of models by root answers as a scan of every model would, through every edit."""

from __future__ import annotations

from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.model_store import ModelStore, VariantIn
from akeneo_sync.emulator.store import Catalog, ProductQuery, Selection, Store

EVERYTHING = Catalog("c", "app", "all", [], [], selection=Selection(enabled_only=False))


def scanned(store: Store) -> dict[str, list[str]]:
    """Each root's variant UUIDs, found by scanning every model and every variant's parent."""
    roots = sorted(code for code, m in store.models.items() if m.parent is None)
    return {
        root: sorted(
            uuid
            for uuid, parent in store.parents.items()
            if parent == root or store.models[parent].parent == root
            if parent in store.models
        )
        for root in roots
    }


def indexed(store: Store) -> dict[str, list[str]]:
    """The same through the index: the roots a models page lists (each once), their variants."""
    models = ModelStore(store)
    roots = [m.code for m in models.page(EVERYTHING, ProductQuery(limit=100_000))]
    assert len(roots) == len(set(roots)), roots
    return {root: models.variant_uuids(root) for root in roots}


def tshirt(color: str, size: str) -> VariantIn:
    return VariantIn({"color": color, "size": size}, {"sku": f"T-{color}-{size}"})


def test_the_index_follows_created_extended_and_deleted_models_and_a_reset() -> None:
    store = Store(EmulatorConfig(products=20, seed=11, models=30, data_until_s=1_780_000_000))
    models = ModelStore(store)
    seeded = scanned(store)
    assert indexed(store) == seeded
    assert any(m.parent is not None for m in store.models.values())  # two-level roots are seeded

    models.create("aa_tee", "tshirts", {"name": "Tee"}, None, [tshirt("black", "s"), tshirt("white", "m")])
    models.add_variant("aa_tee", tshirt("red", "l"))  # a third sub-model
    models.add_variant("aa_tee", tshirt("black", "m"))  # under an existing sub-model
    models.create("zz_boot", "shoes", {"name": "Boot"}, None, [VariantIn({"size": "40"}, {"sku": "B-40"})])
    assert sorted(code for code, m in store.models.items() if m.parent == "aa_tee") == [
        "aa_tee_black",
        "aa_tee_red",
        "aa_tee_white",
    ]
    assert len(models.variant_uuids("aa_tee")) == 4
    assert indexed(store) == scanned(store)

    models.delete("aa_tee_white")  # a sub-model alone: its root keeps the others
    assert len(models.variant_uuids("aa_tee")) == 3
    seeded_root = next(code for code, m in store.models.items() if m.parent is None and code in seeded)
    models.delete(seeded_root)  # a root with its sub-models
    after = scanned(store)
    assert indexed(store) == after
    assert "aa_tee" in after
    assert seeded_root not in after

    # A root created again under the code of a deleted one starts with no sub-model of its own.
    models.create(seeded_root, "tshirts", {"name": "Again"}, None, [tshirt("navy", "xl")])
    assert [m for m, v in store.models.items() if v.parent == seeded_root] == [f"{seeded_root}_navy"]
    assert indexed(store) == scanned(store)

    store.reset()
    assert indexed(store) == seeded


def test_an_edit_before_any_read_is_indexed_once() -> None:
    # The index is built on first use, here inside the edit, after the new models entered the store.
    store = Store(EmulatorConfig(products=20, seed=11, models=30, data_until_s=1_780_000_000))
    ModelStore(store).create("aa_tee", "tshirts", {"name": "Tee"}, None, [tshirt("black", "s"), tshirt("white", "m")])
    assert indexed(store) == scanned(store)
    assert "aa_tee" in scanned(store)

    fresh = Store(EmulatorConfig(products=20, seed=11, models=30, data_until_s=1_780_000_000))
    root = next(code for code, m in fresh.models.items() if m.parent is None and m.family == "tshirts")
    ModelStore(fresh).add_variant(root, tshirt("beige", "xxl"))  # a new sub-model, first thing
    assert indexed(fresh) == scanned(fresh)
