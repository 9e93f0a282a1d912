"""Rendered products are cached: every change must still show on the very next read."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_support import API

from akeneo_sync.emulator.testing import EmulatorHandle

pytestmark = pytest.mark.integration


def every_page(api: httpx.Client, url: str, limit: int = 100) -> list[dict[str, Any]]:
    page = api.get(url, params={"limit": limit}).json()
    found = list(page["_embedded"]["items"])
    while "next" in page["_links"]:
        page = api.get(page["_links"]["next"]["href"]).json()
        found += page["_embedded"]["items"]
    return found


def by_uuid(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["uuid"]: item for item in items}


def warm(api: httpx.Client, catalog_id: str) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Page mapped and standard products once, so every later read could come from the cache."""
    mapped = by_uuid(every_page(api, f"{API}/catalogs/{catalog_id}/mapped-products"))
    standard = by_uuid(every_page(api, f"{API}/catalogs/{catalog_id}/products", 1000))
    return mapped, standard


def test_a_patched_product_shows_on_the_next_page_and_get(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    mapped, _ = warm(api, enabled_catalog)
    uuid = sorted(mapped)[10]
    base = f"{API}/catalogs/{enabled_catalog}"

    pim.admin.patch(f"/_emulator/products/{uuid}", json={"values": {"name": "Renamed ☃"}}).raise_for_status()
    after, standard = warm(api, enabled_catalog)

    assert after[uuid]["name"] == "Renamed ☃"
    assert standard[uuid]["values"]["name"] == [{"locale": None, "scope": None, "data": "Renamed ☃"}]
    assert api.get(f"{base}/mapped-products/{uuid}").json()["name"] == "Renamed ☃"
    assert api.get(f"{base}/products/{uuid}").json()["values"]["name"][0]["data"] == "Renamed ☃"
    assert {u: m for u, m in after.items() if u != uuid} == {u: m for u, m in mapped.items() if u != uuid}


def test_a_deleted_product_disappears_and_a_created_one_appears(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    mapped, _ = warm(api, enabled_catalog)
    doomed = sorted(mapped)[5]
    base = f"{API}/catalogs/{enabled_catalog}"
    api.get(f"{base}/mapped-products/{doomed}").raise_for_status()

    pim.admin.delete(f"/_emulator/products/{doomed}").raise_for_status()
    created = pim.admin.post("/_emulator/products", json={"uuid": doomed, "values": {"sku": "AGAIN", "name": "Again"}})
    created.raise_for_status()
    reborn = by_uuid(every_page(api, f"{base}/mapped-products"))[doomed]
    pim.admin.delete(f"/_emulator/products/{doomed}").raise_for_status()
    after, standard = warm(api, enabled_catalog)

    assert reborn["sku"] == "AGAIN"
    assert "description" not in reborn
    assert doomed not in after
    assert doomed not in standard
    assert api.get(f"{base}/mapped-products/{doomed}").status_code == 404
    assert api.get(f"{base}/products/{doomed}").status_code == 404


def test_a_new_schema_maps_every_product_again(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str, bundled_schema: dict[str, Any]
) -> None:
    warm(api, enabled_catalog)
    schema = {**bundled_schema, "properties": dict(bundled_schema["properties"])}
    schema["properties"].pop("brand")
    schema["properties"]["color"] = {"type": "string"}
    api.put(f"{API}/catalogs/{enabled_catalog}/mapping-schemas/product", json=schema).raise_for_status()
    # The new target stays unmapped until the PIM user maps it.
    pim.admin.post(f"/_emulator/catalogs/{enabled_catalog}/product-mapping/by-name").raise_for_status()

    after = every_page(api, f"{API}/catalogs/{enabled_catalog}/mapped-products")

    assert all("brand" not in item for item in after)
    assert any("color" in item for item in after)


def test_a_currency_or_product_mapping_change_maps_every_product_again(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    mapped, standard = warm(api, enabled_catalog)
    # A product priced in both currencies: EUR is picked first, then USD once the catalog says so.
    both = next(u for u, p in standard.items() if len(p["values"].get("price", [{"data": []}])[0]["data"]) == 2)

    api.patch(f"{API}/catalogs/{enabled_catalog}", json={"name": "Store", "managed_currencies": ["USD"]})
    pim.admin.put(
        f"/_emulator/catalogs/{enabled_catalog}/product-mapping", json={"sku": "sku", "name": "sku", "price": "price"}
    ).raise_for_status()
    after = by_uuid(every_page(api, f"{API}/catalogs/{enabled_catalog}/mapped-products"))

    assert mapped[both]["price"]["currency"] == "EUR"
    assert after[both]["price"]["currency"] == "USD"
    assert all(item["name"] == item["sku"] for item in after.values())


def test_a_reset_forgets_what_was_rendered(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str, bundled_schema: dict[str, Any]
) -> None:
    mapped, _ = warm(api, enabled_catalog)
    uuid = sorted(mapped)[0]
    pim.admin.patch(f"/_emulator/products/{uuid}", json={"values": {"name": "Edited"}}).raise_for_status()
    warm(api, enabled_catalog)

    pim.admin.post("/_emulator/reset").raise_for_status()
    token = pim.admin.post("/_emulator/tokens", json={"client_id": "app-a"}).json()["access_token"]
    api.headers["Authorization"] = f"Bearer {token}"
    # Catalog ids are drawn from a generator reseeded by the reset: the same id comes back.
    again: str = api.post(f"{API}/catalogs", json={"name": "Store", "managed_currencies": ["EUR"]}).json()["id"]
    api.put(f"{API}/catalogs/{again}/mapping-schemas/product", json=bundled_schema).raise_for_status()
    pim.admin.post(f"/_emulator/catalogs/{again}/product-mapping/by-name").raise_for_status()
    pim.admin.post(f"/_emulator/catalogs/{again}/enable").raise_for_status()

    assert again == enabled_catalog
    assert api.get(f"{API}/catalogs/{again}/mapped-products/{uuid}").json() == mapped[uuid]
