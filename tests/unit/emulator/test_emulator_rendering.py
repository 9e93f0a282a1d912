"""Rendered product bytes: identical to what `JSONResponse` sent, cached within a budget."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import JSONResponse

from akeneo_sync.emulator.catalog_data import ATTRIBUTES, FAMILIES, generate_dataset, generate_values
from akeneo_sync.emulator.mapping import suggested_mapping
from akeneo_sync.emulator.products_api import standard_product
from akeneo_sync.emulator.rendering import (
    ENTRY_OVERHEAD,
    RenderCache,
    encode,
    page_body,
    standard_product_json,
)
from akeneo_sync.emulator.store import Catalog, Product

BUNDLED: dict[str, Any] = json.loads(
    (Path(__file__).parents[3] / "src" / "akeneo_sync" / "schemas" / "product-mapping.json").read_text("utf-8")
)
KNOWN = frozenset(ATTRIBUTES)
ODD_VALUES: dict[str, Any] = {
    "name": 'Ünïcode ☃ "quoted" \\ back\nslash',
    "price": [{"amount": "12.50", "currency": "USD"}, {"amount": 3, "currency": "EUR"}],
    "weight": {"amount": 1.25, "unit": "KILOGRAM"},
    "flags": [True, False, None, 0, -1.5e-7, 1e16],
    "nested": {"a": {"b": []}, "": {}},
}


def jsonresponse_bytes(body: Any) -> bytes:
    return bytes(JSONResponse(body).body)


def generated(count: int = 300) -> list[Product]:
    data = generate_dataset(count, 4, 1_780_000_000, 86_400 * 30)
    return [
        Product(
            u,
            FAMILIES[data.family[i]],
            ["master", "sale"][: 1 + i % 2],
            bool(i % 3),
            data.created[i],
            data.updated[i],
            generate_values(u, FAMILIES[data.family[i]], 4),
        )
        for i, u in enumerate(data.uuids)
    ]


def catalog(**changes: Any) -> Catalog:
    schema = json.loads(json.dumps(BUNDLED))
    return Catalog(
        "c1",
        "app",
        "c",
        ["EUR"],
        [],
        True,
        mapping_schema=schema,
        product_mapping=suggested_mapping(schema, KNOWN),
        **changes,
    )


def test_generated_values_are_the_published_ones() -> None:
    # Digest of the values the original `random.Random` calls drew (randrange, sample, uniform):
    # the faster draws must not change a single product of any seeded dataset.
    data = generate_dataset(3_000, 11, 1_780_000_000, 2 * 365 * 86_400)
    values = [generate_values(u, FAMILIES[i % len(FAMILIES)], 11) for i, u in enumerate(data.uuids)]

    digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()

    assert digest == "6d7a33e3937a19f491d00c600590e004fb2e9ad75fc7fc0e50a142a5ef1e7360"


@pytest.mark.parametrize("index", range(0, 300, 7))
def test_a_standard_product_renders_to_the_bytes_jsonresponse_sent(index: int) -> None:
    product = generated()[index]

    assert standard_product_json(product) == jsonresponse_bytes(standard_product(product))


def test_odd_values_render_like_jsonresponse_too() -> None:
    product = Product("00000000-0000-4000-8000-00000000abcd", "shoes", [], False, 0, 1, ODD_VALUES)

    assert standard_product_json(product) == jsonresponse_bytes(standard_product(product))
    assert encode(ODD_VALUES) == jsonresponse_bytes(ODD_VALUES)


def test_a_page_body_is_the_page_dict_as_jsonresponse_rendered_it() -> None:
    links = {"self": {"href": "http://pim/x?limit=2"}, "next": {"href": "http://pim/x?search_after=b&limit=2"}}
    products = [{"uuid": "a", "name": "ä"}, {"uuid": "b", "price": {"amount": 1.5, "currency": "EUR"}}]

    assert page_body(links, [encode(p) for p in products]) == jsonresponse_bytes(
        {"_links": links, "_embedded": {"items": products}}
    )
    assert page_body(links, [], {"items_count": 0}) == jsonresponse_bytes(
        {"_links": links, "items_count": 0, "_embedded": {"items": []}}
    )


def test_cached_mapped_bytes_are_reused_until_the_product_changes() -> None:
    products = {p.uuid: p for p in generated(20)}
    loads: list[str] = []

    def load(uuid: str) -> Product:
        loads.append(uuid)
        return products[uuid]

    cache, shop = RenderCache(10**9, KNOWN), catalog()
    uuids = list(products)
    first = cache.mapped(shop, uuids, load)
    again = cache.mapped(shop, uuids, load)
    cache.forget_product(uuids[3])
    third = cache.mapped(shop, uuids, load)

    assert again == first
    assert third == first
    assert loads == [*uuids, uuids[3]]


def test_a_changed_schema_mapping_or_currency_renders_again() -> None:
    product = generated(1)[0]
    product = Product(
        product.uuid,
        product.family,
        product.categories,
        True,
        product.created,
        product.updated,
        {**product.values, "price": [{"amount": "2.00", "currency": "EUR"}, {"amount": "3.00", "currency": "USD"}]},
    )
    cache, shop = RenderCache(10**9, KNOWN), catalog()

    def mapped() -> dict[str, Any]:
        found: dict[str, Any] = json.loads(cache.mapped(shop, [product.uuid], lambda _: product)[0])
        return found

    before = mapped()
    shop.managed_currencies = ["USD"]
    by_usd = mapped()
    shop.product_mapping = {**shop.product_mapping, "name": "sku"}
    renamed = mapped()
    assert shop.mapping_schema is not None
    shop.mapping_schema["properties"].pop("brand")  # even an in-place edit is seen
    without_brand = mapped()

    assert before["price"] == {"amount": 2.0, "currency": "EUR"}
    assert by_usd["price"] == {"amount": 3.0, "currency": "USD"}
    assert renamed["name"] == product.values["sku"]
    assert "brand" in renamed
    assert "brand" not in without_brand


def test_the_budget_bounds_what_is_kept_and_forgetting_gives_it_back() -> None:
    products = {p.uuid: p for p in generated(50)}
    uuids = list(products)
    one = len(standard_product_json(products[uuids[0]])) + ENTRY_OVERHEAD
    cache = RenderCache(10 * one, KNOWN)
    loads: list[str] = []

    def load(uuid: str) -> Product:
        loads.append(uuid)
        return products[uuid]

    cache.standard(uuids, load)
    kept = cache.held_bytes
    cache.standard(uuids, load)
    refetched = len(loads) - len(uuids)
    for uuid in uuids:
        cache.forget_product(uuid)

    assert kept <= 10 * one
    assert 0 < refetched < len(uuids)  # the first ones were kept, the rest rendered again
    assert cache.held_bytes == 0


def test_forgetting_a_catalog_or_clearing_frees_its_entries() -> None:
    products = {p.uuid: p for p in generated(10)}
    cache = RenderCache(10**9, KNOWN)
    cache.mapped(catalog(), list(products), products.__getitem__)
    cache.standard(list(products), products.__getitem__)
    standard_only = sum(len(standard_product_json(p)) + ENTRY_OVERHEAD for p in products.values())

    cache.forget_catalog("c1")
    after_catalog = cache.held_bytes
    cache.clear()

    assert after_catalog == standard_only
    assert cache.held_bytes == 0
