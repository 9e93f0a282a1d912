"""Mapped products, the mapping schema endpoints and the admin product API, over a real socket."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from emulator_support import API, items

from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.catalog_data import atom
from akeneo_sync.emulator.testing import EmulatorHandle

pytestmark = pytest.mark.integration


def all_mapped(api: httpx.Client, catalog_id: str, limit: int = 100) -> list[dict[str, Any]]:
    page = api.get(f"{API}/catalogs/{catalog_id}/mapped-products", params={"limit": limit}).json()
    found = list(page["_embedded"]["items"])
    while "next" in page["_links"]:
        page = api.get(page["_links"]["next"]["href"]).json()
        found += page["_embedded"]["items"]
    return found


def test_mapped_products_paged_by_next_equal_the_ground_truth(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    mapped = all_mapped(api, enabled_catalog)
    truth = pim.admin.get(f"/_emulator/catalogs/{enabled_catalog}/expected").json()

    assert len(mapped) > 2_300
    assert [item["uuid"] for item in mapped] == truth["uuids"]
    assert {item["uuid"]: item for item in mapped} == truth["mapped_products"]


def test_mapped_products_carry_bundled_targets_and_leave_empty_ones_out(
    api: httpx.Client, enabled_catalog: str, bundled_schema: dict[str, Any]
) -> None:
    mapped = all_mapped(api, enabled_catalog)
    targets = set(bundled_schema["properties"])

    assert all(set(item) <= targets for item in mapped)
    assert all({"uuid", "sku", "name", "is_active", "categories"} <= set(item) for item in mapped)
    assert any(set(item) == targets for item in mapped)
    assert any("description" not in item for item in mapped)
    assert all(None not in item.values() and "" not in item.values() for item in mapped)
    assert {item["price"]["currency"] for item in mapped if "price" in item} == {"EUR", "USD"}


def test_a_single_mapped_product_matches_its_list_entry(api: httpx.Client, enabled_catalog: str) -> None:
    listed = api.get(f"{API}/catalogs/{enabled_catalog}/mapped-products", params={"limit": 1}).json()
    item = listed["_embedded"]["items"][0]

    single = api.get(f"{API}/catalogs/{enabled_catalog}/mapped-products/{item['uuid']}")

    assert single.status_code == 200
    assert single.json() == item


def test_without_a_mapping_schema_mapped_products_answer_200_with_an_error(
    pim: EmulatorHandle, api: httpx.Client
) -> None:
    catalog_id = api.post(f"{API}/catalogs", json={"name": "no schema"}).json()["id"]
    pim.admin.post(f"/_emulator/catalogs/{catalog_id}/enable").raise_for_status()
    some_uuid = items(api, f"{API}/catalogs/{catalog_id}/product-uuids", limit=1)[0]

    listed = api.get(f"{API}/catalogs/{catalog_id}/mapped-products")
    single = api.get(f"{API}/catalogs/{catalog_id}/mapped-products/{some_uuid}")

    # Akeneo's versions answer under `error` (@226dec5c) or `message` (@0a7dfc9c): both keys, so
    # a client written for either version reads it.
    message = "Impossible to map products: no product mapping schema available for this catalog."
    assert (listed.status_code, listed.json()) == (200, {"error": message, "message": message})
    assert (single.status_code, single.json()) == (200, {"error": message, "message": message})


def test_mapping_schema_can_be_deleted_then_get_is_404(api: httpx.Client, enabled_catalog: str) -> None:
    deleted = api.delete(f"{API}/catalogs/{enabled_catalog}/mapping-schemas/product")
    after = api.get(f"{API}/catalogs/{enabled_catalog}/mapping-schemas/product")

    assert deleted.status_code == 204
    assert after.status_code == 404
    assert "error" in api.get(f"{API}/catalogs/{enabled_catalog}/mapped-products").json()


def test_an_invalid_schema_is_422_and_malformed_json_400_and_the_old_schema_stays(
    api: httpx.Client, enabled_catalog: str, bundled_schema: dict[str, Any]
) -> None:
    path = f"{API}/catalogs/{enabled_catalog}/mapping-schemas/product"
    no_uuid = copy.deepcopy(bundled_schema)
    del no_uuid["properties"]["uuid"]

    invalid = api.put(path, json=no_uuid)
    malformed = api.put(path, content=b'{"$schema": ', headers={"Content-Type": "application/json"})
    unknown = api.put(
        f"{API}/catalogs/65f5a521-e65c-4d7b-8be8-1f267fa2729c/mapping-schemas/product", json=bundled_schema
    )

    assert invalid.status_code == 422
    assert invalid.json() == {
        "code": 422,
        "message": "Validation failed.",
        "errors": [{"property": "product_mapping_schema", "message": "You must provide a valid schema."}],
    }
    assert malformed.status_code == 400
    assert unknown.status_code == 404
    assert api.get(path).json() == bundled_schema


def test_a_per_catalog_product_mapping_changes_the_mapped_output(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    pim.admin.put(
        f"/_emulator/catalogs/{enabled_catalog}/product-mapping",
        json={"sku": "sku", "name": "sku", "description": None},
    ).raise_for_status()

    item = items(api, f"{API}/catalogs/{enabled_catalog}/mapped-products", limit=1)[0]

    assert item["name"] == item["sku"]
    assert "description" not in item


def test_a_selection_restricts_every_product_endpoint(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    pim.admin.put(
        f"/_emulator/catalogs/{enabled_catalog}/selection",
        json={"families": ["books"], "categories": ["gifts", "media"]},
    ).raise_for_status()

    products = items(api, f"{API}/catalogs/{enabled_catalog}/products", limit=1000)
    truth = pim.admin.get(f"/_emulator/catalogs/{enabled_catalog}/expected").json()

    assert 0 < len(products) < 600
    assert all(p["family"] == "books" and p["enabled"] for p in products)
    assert [p["uuid"] for p in products] == truth["uuids"]


def test_admin_edits_bump_updated_and_show_up_after_a_watermark(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str, clock: ManualClock
) -> None:
    watermark = atom(clock.now())
    clock.advance(60)
    victim = items(api, f"{API}/catalogs/{enabled_catalog}/product-uuids", limit=1)[0]

    patched = pim.admin.patch(f"/_emulator/products/{victim}", json={"values": {"name": "Renamed"}})
    created = pim.admin.post("/_emulator/products", json={"sku": "NEW-1", "name": "Brand new", "family": "books"})
    changed = api.get(f"{API}/catalogs/{enabled_catalog}/product-uuids?updated_after={quote(watermark)}").json()

    assert patched.status_code == 200
    assert created.status_code == 201
    assert sorted(changed["_embedded"]["items"]) == sorted([victim, created.json()["uuid"]])
    mapped = api.get(f"{API}/catalogs/{enabled_catalog}/mapped-products/{victim}").json()
    assert mapped["name"] == "Renamed"
    product = api.get(f"{API}/catalogs/{enabled_catalog}/products/{victim}").json()
    assert product["updated"] == atom(clock.now())


def test_a_deleted_product_disappears_from_the_catalog(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    victim = items(api, f"{API}/catalogs/{enabled_catalog}/product-uuids", limit=1)[0]

    deleted = pim.admin.delete(f"/_emulator/products/{victim}")
    again = pim.admin.delete(f"/_emulator/products/{victim}")

    assert deleted.status_code == 204
    assert again.status_code == 404
    assert api.get(f"{API}/catalogs/{enabled_catalog}/products/{victim}").status_code == 404
    assert victim not in pim.admin.get(f"/_emulator/catalogs/{enabled_catalog}/expected").json()["uuids"]


def test_reset_brings_back_the_seeded_state(pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str) -> None:
    before = items(api, f"{API}/catalogs/{enabled_catalog}/product-uuids", limit=5)
    pim.admin.delete(f"/_emulator/products/{before[0]}").raise_for_status()

    pim.admin.post("/_emulator/reset").raise_for_status()

    assert api.get(f"{API}/catalogs").status_code == 401
    assert pim.emulator.store.get_product(before[0]) is not None


def test_admin_values_may_use_akeneos_standard_format(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    created = pim.admin.post(
        "/_emulator/products",
        json={
            "values": {
                "sku": [{"locale": None, "scope": None, "data": "STD-1"}],
                "name": [{"locale": None, "scope": None, "data": "Standard"}],
                "price": [{"locale": None, "scope": None, "data": [{"amount": "9.99", "currency": "EUR"}]}],
            }
        },
    ).json()["uuid"]

    mapped = api.get(f"{API}/catalogs/{enabled_catalog}/mapped-products/{created}").json()
    product = api.get(f"{API}/catalogs/{enabled_catalog}/products/{created}").json()

    assert mapped["sku"] == "STD-1"
    assert mapped["price"] == {"amount": 9.99, "currency": "EUR"}
    assert product["values"]["sku"] == [{"locale": None, "scope": None, "data": "STD-1"}]


def test_admin_bodies_with_unknown_keys_are_refused(pim: EmulatorHandle, enabled_catalog: str) -> None:
    typo = pim.admin.put(f"/_emulator/catalogs/{enabled_catalog}/selection", json={"familys": ["books"]})
    bad_family = pim.admin.post("/_emulator/products", json={"values": {"sku": "x"}, "family": "spaceships"})

    assert typo.status_code == 422
    assert bad_family.status_code == 422
