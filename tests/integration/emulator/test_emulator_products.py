"""Conformance of the catalog product endpoints (docs/akeneo.md), over a real socket."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from emulator_support import API, PRODUCTS, SEED

from akeneo_sync.emulator.catalog_data import generate_dataset
from akeneo_sync.emulator.testing import EmulatorHandle

pytestmark = pytest.mark.integration

ATOM = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00$")


def follow(api: httpx.Client, url: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every page of a search-after list, following `_links.next.href` only."""
    pages = [api.get(url, params=params).json()]
    while "next" in pages[-1]["_links"]:
        pages.append(api.get(pages[-1]["_links"]["next"]["href"]).json())
    return pages


def seeded_selection(pim: EmulatorHandle) -> list[str]:
    """The UUIDs a default catalog selects, recomputed from the generator (enabled products)."""
    data = generate_dataset(PRODUCTS, SEED, pim.emulator.store.until_s, pim.emulator.config.history_s)
    return [u for i, u in enumerate(data.uuids) if data.enabled[i]]


def test_product_uuids_pages_over_the_whole_seeded_selection_without_dupes_or_gaps(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    pages = follow(api, f"{API}/catalogs/{enabled_catalog}/product-uuids", {"limit": 250})

    uuids = [u for page in pages for u in page["_embedded"]["items"]]
    expected = seeded_selection(pim)
    assert len(expected) > 2_300
    assert uuids == expected
    assert len(set(uuids)) == len(uuids)
    assert uuids == sorted(uuids)
    assert all(len(page["_embedded"]["items"]) == 250 for page in pages[:-1])


def test_next_is_the_last_uuid_of_a_full_page_and_echoes_the_limit_and_dates(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    path = f"{API}/catalogs/{enabled_catalog}/product-uuids"
    after = "2020-01-01T00:00:00+00:00"

    page = api.get(path, params={"limit": 3, "updated_after": after}).json()

    items = page["_embedded"]["items"]
    base = f"{pim.base_url}{path}"
    assert page["_links"]["self"]["href"] == f"{base}?limit=3&updated_after=2020-01-01T00%3A00%3A00%2B00%3A00"
    assert page["_links"]["first"]["href"] == page["_links"]["self"]["href"]
    next_query = parse_qs(urlsplit(page["_links"]["next"]["href"]).query)
    assert next_query == {"search_after": [items[-1]], "limit": ["3"], "updated_after": [after]}
    second = api.get(page["_links"]["next"]["href"]).json()
    assert parse_qs(urlsplit(second["_links"]["self"]["href"]).query)["search_after"] == [items[-1]]
    assert second["_embedded"]["items"][0] > items[-1]


def test_without_parameters_links_carry_the_default_limit_as_akeneos_router_writes_it(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    # GetProductUuidsAction::paginate() passes `limit` (100 by default) to every link it generates.
    path = f"{API}/catalogs/{enabled_catalog}/product-uuids"

    page = api.get(path).json()

    assert page["_links"]["self"] == {"href": f"{pim.base_url}{path}?limit=100"}
    assert page["_links"]["first"] == {"href": f"{pim.base_url}{path}?limit=100"}
    assert len(page["_embedded"]["items"]) == 100


def test_a_partial_page_has_no_next_and_an_exactly_full_last_page_leads_to_an_empty_one(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    total = len(seeded_selection(pim))
    path = f"{API}/catalogs/{enabled_catalog}/product-uuids"

    divisor = next(d for d in range(1000, 1, -1) if total % d == 0)

    partial = follow(api, path, {"limit": 1000})
    exact = follow(api, path, {"limit": divisor})

    assert [len(p["_embedded"]["items"]) for p in partial] == [1000, 1000, total - 2000]
    assert "next" not in partial[-1]["_links"]
    assert [len(p["_embedded"]["items"]) for p in exact] == [divisor] * (total // divisor) + [0]
    assert "next" not in exact[-1]["_links"]


@pytest.mark.parametrize(
    ("path", "bad_limit"),
    [
        ("product-uuids", "0"),
        ("product-uuids", "1001"),
        ("products", "-1"),
        ("products", "x"),
        ("mapped-products", "101"),
        ("mapped-products", "0"),
    ],
)
def test_a_limit_out_of_range_is_422(api: httpx.Client, enabled_catalog: str, path: str, bad_limit: str) -> None:
    response = api.get(f"{API}/catalogs/{enabled_catalog}/{path}", params={"limit": bad_limit})

    assert response.status_code == 422
    assert response.json()["code"] == 422


@pytest.mark.parametrize("date", ["2022-06-24", "2022-06-24T12:54:58Z", "2022-06-24 12:54:58+00:00", "yesterday"])
def test_dates_other_than_atom_are_422_iso_8601(api: httpx.Client, enabled_catalog: str, date: str) -> None:
    response = api.get(f"{API}/catalogs/{enabled_catalog}/product-uuids", params={"updated_after": date})

    assert response.status_code == 422
    assert response.json() == {"code": 422, "message": "ISO 8601 format is required."}


def test_an_unencoded_plus_in_a_date_arrives_as_a_space_and_is_refused(api: httpx.Client, enabled_catalog: str) -> None:
    raw = f"{API}/catalogs/{enabled_catalog}/product-uuids?updated_after=2022-06-24T12:54:58+00:00"

    assert api.get(raw).status_code == 422


def test_updated_after_and_before_together_select_the_window_bounds_included(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    # A smaller selection keeps the standard-format pages light.
    pim.admin.put(
        f"/_emulator/catalogs/{enabled_catalog}/selection", json={"families": ["books", "shoes"]}
    ).raise_for_status()
    products = [
        p
        for page in follow(api, f"{API}/catalogs/{enabled_catalog}/products", {"limit": 1000})
        for p in page["_embedded"]["items"]
    ]
    dates = sorted({p["updated"] for p in products})
    low, high = dates[len(dates) // 4], dates[3 * len(dates) // 4]

    window = [
        u
        for page in follow(
            api,
            f"{API}/catalogs/{enabled_catalog}/product-uuids",
            {"limit": 1000, "updated_after": low, "updated_before": high},
        )
        for u in page["_embedded"]["items"]
    ]

    assert window == sorted(p["uuid"] for p in products if low <= p["updated"] <= high)
    assert 0 < len(window) < len(products)


def test_with_count_adds_the_selection_size(pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str) -> None:
    pim.admin.put("/_emulator/counts", json={"serve": True}).raise_for_status()
    page = api.get(f"{API}/catalogs/{enabled_catalog}/product-uuids", params={"limit": 5, "with_count": "true"}).json()

    assert page["items_count"] == len(seeded_selection(pim))
    assert len(page["_embedded"]["items"]) == 5


def test_with_count_follows_the_date_filters_and_every_product_change(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    # Counted from a cache of the selection's dates: each change must reach it.
    pim.admin.put("/_emulator/counts", json={"serve": True}).raise_for_status()
    products = [
        p
        for page in follow(api, f"{API}/catalogs/{enabled_catalog}/products", {"limit": 1000})
        for p in page["_embedded"]["items"]
    ]
    dates = sorted(p["updated"] for p in products)
    low = dates[len(dates) // 2]

    def count(**filters: str) -> int:
        params = {"limit": 1, "with_count": "true", **filters}
        found: int = api.get(f"{API}/catalogs/{enabled_catalog}/product-uuids", params=params).json()["items_count"]
        return found

    recent = count(updated_after=low)
    assert recent == sum(1 for p in products if p["updated"] > low)
    assert count(updated_before=low) == sum(1 for p in products if p["updated"] < low)
    old = next(p["uuid"] for p in products if p["updated"] < low)
    pim.admin.patch(f"/_emulator/products/{old}", json={"values": {"name": "Edited"}}).raise_for_status()
    assert count(updated_after=low) == recent + 1
    pim.admin.delete(f"/_emulator/products/{old}").raise_for_status()
    assert count(updated_after=low) == recent
    assert count() == len(products) - 1


@pytest.mark.parametrize("path", ["product-uuids", "products", "mapped-products", "mapped-models"])
def test_a_disabled_catalog_answers_200_with_the_documented_error_body(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str, path: str
) -> None:
    pim.admin.post(f"/_emulator/catalogs/{enabled_catalog}/disable").raise_for_status()

    response = api.get(f"{API}/catalogs/{enabled_catalog}/{path}")

    assert response.status_code == 200
    assert response.json() == {
        "error": (
            f'No products to synchronize. The catalog "{enabled_catalog}" has been disabled on the PIM side. '
            "Note that you can get catalogs status with the GET /api/rest/v1/catalogs endpoint."
        )
    }


def test_single_product_endpoints_of_a_disabled_catalog_answer_200_with_error_or_message(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    uuid = seeded_selection(pim)[0]
    pim.admin.post(f"/_emulator/catalogs/{enabled_catalog}/disable").raise_for_status()

    product = api.get(f"{API}/catalogs/{enabled_catalog}/products/{uuid}")
    mapped = api.get(f"{API}/catalogs/{enabled_catalog}/mapped-products/{uuid}")

    assert product.status_code == mapped.status_code == 200
    assert set(product.json()) == {"error"}
    assert set(mapped.json()) == {"message"}


def test_a_new_catalog_is_disabled_until_a_pim_user_enables_it(pim: EmulatorHandle, api: httpx.Client) -> None:
    catalog_id = api.post(f"{API}/catalogs", json={"name": "fresh"}).json()["id"]

    before = api.get(f"{API}/catalogs/{catalog_id}/product-uuids").json()
    pim.admin.post(f"/_emulator/catalogs/{catalog_id}/enable").raise_for_status()
    after = api.get(f"{API}/catalogs/{catalog_id}/product-uuids").json()

    assert "error" in before
    assert "_embedded" not in before
    assert len(after["_embedded"]["items"]) == 100


def test_products_use_the_standard_format_with_atom_dates(api: httpx.Client, enabled_catalog: str) -> None:
    page = api.get(f"{API}/catalogs/{enabled_catalog}/products", params={"limit": 50}).json()

    for product in page["_embedded"]["items"]:
        assert set(product) == {
            "uuid",
            "enabled",
            "family",
            "categories",
            "groups",
            "parent",
            "values",
            "created",
            "updated",
            "associations",
            "quantified_associations",
        }
        assert ATOM.match(product["created"])
        assert ATOM.match(product["updated"])
        assert product["created"] <= product["updated"]
        assert product["enabled"] is True
        sku = product["values"]["sku"]
        assert sku == [{"locale": None, "scope": None, "data": sku[0]["data"]}]


def test_a_product_outside_the_catalog_is_404_with_the_combined_message(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    data = generate_dataset(PRODUCTS, SEED, pim.emulator.store.until_s, pim.emulator.config.history_s)
    disabled = next(u for i, u in enumerate(data.uuids) if not data.enabled[i])

    response = api.get(f"{API}/catalogs/{enabled_catalog}/products/{disabled}")

    assert response.status_code == 404
    assert response.json() == {
        "code": 404,
        "message": (
            f'Either catalog "{enabled_catalog}" does not exist or you can\'t access it, '
            f'or product "{disabled}" does not exist or you do not have permission to access it.'
        ),
    }


def test_a_product_read_by_uuid_equals_its_list_entry(api: httpx.Client, enabled_catalog: str) -> None:
    listed = api.get(f"{API}/catalogs/{enabled_catalog}/products", params={"limit": 1}).json()["_embedded"]["items"][0]

    single = api.get(f"{API}/catalogs/{enabled_catalog}/products/{listed['uuid']}")

    assert single.status_code == 200
    assert single.json() == listed


def test_an_invalidated_catalog_is_disabled_by_the_next_product_read(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    pim.admin.post(f"/_emulator/catalogs/{enabled_catalog}/invalidate").raise_for_status()

    before = api.get(f"{API}/catalogs/{enabled_catalog}").json()
    read = api.get(f"{API}/catalogs/{enabled_catalog}/product-uuids")
    after = api.get(f"{API}/catalogs/{enabled_catalog}").json()

    assert before["enabled"] is True
    assert read.status_code == 200
    assert set(read.json()) == {"error"}
    assert after["enabled"] is False


def test_the_ground_truth_without_mapped_products_lists_the_same_uuids(
    pim: EmulatorHandle, enabled_catalog: str
) -> None:
    full = pim.admin.get(f"/_emulator/catalogs/{enabled_catalog}/expected").json()
    light = pim.admin.get(f"/_emulator/catalogs/{enabled_catalog}/expected", params={"mapped": "false"}).json()

    assert light == {"uuids": full["uuids"], "mapped_products": {}}
    assert full["uuids"] == seeded_selection(pim)
