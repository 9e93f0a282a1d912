"""The seeded generator and the store's selections, without HTTP."""

from __future__ import annotations

import uuid as uuidlib

import pytest

from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.catalog_data import CATEGORIES, FAMILIES, generate_dataset, generate_values
from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.store import Catalog, ProductQuery, Selection, Store, StoreError

UNTIL = 1_780_000_000
HISTORY = 2 * 365 * 86_400


def make_store(products: int = 500, seed: int = 3) -> tuple[Store, ManualClock]:
    clock = ManualClock(start=UNTIL + 3_600)
    return Store(EmulatorConfig(products=products, seed=seed, clock=clock, data_until_s=UNTIL)), clock


def catalog(selection: Selection | None = None) -> Catalog:
    return Catalog("c", "app", "c", [], [], True, selection=selection or Selection())


def test_the_same_seed_gives_the_same_products_and_another_seed_does_not() -> None:
    first = generate_dataset(300, 5, UNTIL, HISTORY)
    again = generate_dataset(300, 5, UNTIL, HISTORY)
    other = generate_dataset(300, 6, UNTIL, HISTORY)

    assert first.uuids == again.uuids
    assert list(first.updated) == list(again.updated)
    assert first.uuids != other.uuids
    assert generate_values(first.uuids[0], "shoes", 5) == generate_values(again.uuids[0], "shoes", 5)


def test_uuids_are_sorted_unique_version_4() -> None:
    data = generate_dataset(2_000, 1, UNTIL, HISTORY)

    assert data.uuids == sorted(set(data.uuids))
    assert all(uuidlib.UUID(u).version == 4 and uuidlib.UUID(u).variant == uuidlib.RFC_4122 for u in data.uuids)


def test_dates_are_spread_over_history_and_never_after_the_end() -> None:
    data = generate_dataset(2_000, 1, UNTIL, HISTORY)

    assert all(UNTIL - HISTORY < c <= u <= UNTIL for c, u in zip(data.created, data.updated, strict=True))
    assert max(data.updated) - min(data.updated) > HISTORY // 2


def test_generated_data_is_varied_with_some_empty_values() -> None:
    data = generate_dataset(2_000, 1, UNTIL, HISTORY)
    values = [generate_values(u, FAMILIES[data.family[i]], 1) for i, u in enumerate(data.uuids)]

    assert {FAMILIES[f] for f in data.family} == set(FAMILIES)
    assert 0.85 < sum(data.enabled) / len(data.enabled) < 0.98
    assert any("description" not in v for v in values)
    assert any("image_url" not in v for v in values)
    currencies = {p["currency"] for v in values for p in v.get("price", [])}
    assert currencies == {"EUR", "USD"}
    assert len({v["sku"] for v in values}) == len(values)
    assert all(mask >> CATEGORIES.index("master") & 1 for mask in data.categories)
    never_edited = sum(1 for c, u in zip(data.created, data.updated, strict=True) if c == u) / len(data.uuids)
    assert 0.25 < never_edited < 0.42
    in_promotion = sum(
        1
        for mask in data.categories
        if any(mask >> CATEGORIES.index(c) & 1 for c in ("sale", "new_arrivals", "outlet"))
    )
    assert 0.1 < in_promotion / len(data.uuids) < 0.2


def test_a_selection_filters_on_enabled_family_category_and_update_date() -> None:
    store, _ = make_store()
    everything = catalog(Selection(enabled_only=False))
    cutoff = UNTIL - HISTORY // 2
    narrow = catalog(
        Selection(enabled_only=True, families=("shoes", "books"), categories=("master",), updated_after=cutoff)
    )

    every = list(store.selected(everything))
    chosen = list(store.selected(narrow))

    assert len(every) == 500
    assert chosen == [p for p in every if p.enabled and p.family in ("shoes", "books") and p.updated > cutoff]
    assert 0 < len(chosen) < len(every)


def test_pages_resume_strictly_after_the_cursor() -> None:
    store, _ = make_store()
    selected = catalog()

    first = store.page_uuids(selected, ProductQuery(limit=10))
    second = store.page_uuids(selected, ProductQuery(limit=10, search_after=first[-1]))

    assert second[0] > first[-1]
    assert first + second == [p.uuid for p in store.selected(selected)][:20]


def test_an_edit_bumps_updated_even_when_the_clock_stands_still() -> None:
    store, clock = make_store()
    target = next(store.selected(catalog()))

    once = store.update_product(target.uuid, {"name": "Renamed"}, family=None, categories=None, enabled=None)
    twice = store.update_product(target.uuid, {"description": None}, family=None, categories=None, enabled=None)

    assert once.updated == int(clock.now())
    assert twice.updated == once.updated + 1
    assert twice.values["name"] == "Renamed"
    assert "description" not in twice.values


def test_created_products_join_the_sorted_order_and_deleted_ones_leave() -> None:
    store, _ = make_store()
    created = store.create_product({"sku": "NEW-1", "name": "New"}, family="books", categories=["media"], enabled=True)

    uuids = [p.uuid for p in store.selected(catalog())]
    assert created.uuid in uuids
    assert uuids == sorted(uuids)
    store.delete_product(created.uuid)
    assert store.get_product(created.uuid) is None
    with pytest.raises(StoreError):
        store.delete_product(created.uuid)


def test_reset_restores_the_seeded_products() -> None:
    store, _ = make_store()
    before = [p.uuid for p in store.selected(catalog())]
    store.delete_product(before[0])
    store.create_catalog("app", "x", [], [])

    store.reset()

    assert [p.uuid for p in store.selected(catalog())] == before
    assert store.catalogs_of("app") == []


def test_every_seeded_product_has_the_values_the_required_filter_takes_for_granted() -> None:
    # selection._ALWAYS_GENERATED skips building values for these: they must never be missing.
    data = generate_dataset(2_000, 9, UNTIL, HISTORY)
    for i, uuid in enumerate(data.uuids):
        values = generate_values(uuid, FAMILIES[data.family[i]], 9)
        assert all(values.get(code) for code in ("sku", "name", "ean")), uuid


def test_the_bulk_import_profile_bunches_most_dates_in_one_import() -> None:
    count = 20_000
    data = generate_dataset(count, 1, UNTIL, HISTORY, "bulk-import")
    import_end = UNTIL - 7 * 86_400
    import_s = count * 0.6 / 500  # 24 s at 500 products/s

    before = [u for u in data.updated if u < import_end - import_s]
    during = [u for u in data.updated if import_end - import_s <= u < import_end]
    after = [u for u in data.updated if u >= import_end]
    assert 0.23 < len(before) / count < 0.27
    assert 0.57 < len(during) / count < 0.63
    assert 0.13 < len(after) / count < 0.17
    assert min(before) >= UNTIL - 7 * 86_400 - import_s - HISTORY
    assert max(after) <= UNTIL
    # About 500 products per second of the import, none much above.
    per_second = {s: during.count(s) for s in set(during)}
    assert len(per_second) == import_s
    assert 400 < max(per_second.values()) < 620
    assert all(c <= u for c, u in zip(data.created, data.updated, strict=True))
    assert generate_dataset(count, 1, UNTIL, HISTORY).updated != data.updated  # even is the default


def test_an_unknown_date_profile_is_refused() -> None:
    with pytest.raises(ValueError, match="bulk-import"):
        generate_dataset(10, 1, UNTIL, HISTORY, "random")


def test_bulk_import_dates_do_not_follow_uuid_order() -> None:
    # A PIM's pages are in UUID order; each must be a random sample of the catalog's dates.
    data = generate_dataset(20_000, 1, UNTIL, HISTORY, "bulk-import")
    first, last = sorted(data.updated[:1000]), sorted(data.updated[-1000:])

    assert abs(first[500] - last[500]) < 60
    assert abs(first[100] - last[100]) < 30 * 86_400
