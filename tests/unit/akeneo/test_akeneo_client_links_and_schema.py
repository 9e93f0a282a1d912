"""Next links judged by host only, and the "no mapping schema" answer, against a scripted PIM."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from akeneo_sync.errors import CatalogDisabledError, MappingSchemaMissingError, PimError

PIM = "https://pim.example.com"  # the scripted PIM's base URL (see conftest.py)
CATALOG = "8a1bd2c6-4a9e-4c3d-9a51-6f0e2b7d1c01"  # catalog ids are UUIDs (the client refuses others)
API = f"{PIM}/api/rest/v1/catalogs/{CATALOG}"
NO_SCHEMA = "Impossible to map products: no product mapping schema available for this catalog."
SCHEMA = {
    "$schema": "https://api.akeneo.com/mapping/product/1.0.3/schema",
    "type": "object",
    "properties": {"uuid": {"type": "string"}},
}
MakeKit = Callable[..., Any]


def page(items: list[object], next_href: str | None = None) -> httpx.Response:
    links: dict[str, object] = {"self": {"href": f"{API}/product-uuids"}, "first": {"href": f"{API}/product-uuids"}}
    if next_href is not None:
        links["next"] = {"href": next_href}
    return httpx.Response(200, json={"_links": links, "_embedded": {"items": items}})


def catalog(enabled: bool) -> httpx.Response:
    return httpx.Response(
        200, json={"id": CATALOG, "name": "Store", "enabled": enabled, "managed_currencies": [], "managed_locales": []}
    )


@pytest.mark.parametrize(
    "href",
    [
        f"http://pim.example.com/api/rest/v1/catalogs/{CATALOG}/product-uuids?search_after=u1&limit=10",
        f"http://PIM.example.com:80/api/rest/v1/catalogs/{CATALOG}/product-uuids?search_after=u1&limit=10",
        f"/api/rest/v1/catalogs/{CATALOG}/product-uuids?search_after=u1&limit=10",
    ],
)
def test_a_next_link_on_the_pims_host_is_rebuilt_on_the_pim_base(make_kit: MakeKit, href: str) -> None:
    # An http:// link from behind a TLS-terminating proxy, or a path-only one, is the PIM's.
    kit = make_kit(page(["u1"], href), page(["u2"]))

    first = kit.client.product_uuids_page(CATALOG, limit=10)
    second = kit.client.product_uuids_page(CATALOG, next_url=first.next_url)

    assert first.next_url == f"{API}/product-uuids?search_after=u1&limit=10"
    assert second.items == ["u2"]
    assert str(kit.pim.requests[1].url) == f"{API}/product-uuids?search_after=u1&limit=10"


@pytest.mark.parametrize(
    "href",
    [
        f"https://evil.example.com/api/rest/v1/catalogs/{CATALOG}/product-uuids?search_after=u1",
        f"https://pim.example.com.evil.example/api/rest/v1/catalogs/{CATALOG}/product-uuids",
        f"https://pim.example.com@evil.example/api/rest/v1/catalogs/{CATALOG}/product-uuids",
        f"//evil.example/api/rest/v1/catalogs/{CATALOG}/product-uuids",
    ],
)
def test_a_next_link_to_any_other_host_is_refused_with_the_host_named(make_kit: MakeKit, href: str) -> None:
    kit = make_kit(page(["u1"], href))

    with pytest.raises(PimError, match=r"another host than the PIM \(.*evil\.example"):
        kit.client.product_uuids_page(CATALOG)
    assert len(kit.pim.requests) == 1


@pytest.mark.parametrize(
    "body",
    [
        {"error": NO_SCHEMA},
        {"message": NO_SCHEMA},
        {"error": NO_SCHEMA, "message": NO_SCHEMA},
    ],
)
def test_no_mapping_schema_on_an_enabled_catalog_pushes_the_schema_again_and_carries_on(
    make_kit: MakeKit, body: dict[str, str]
) -> None:
    kit = make_kit(
        httpx.Response(200, json=body),
        catalog(enabled=True),
        httpx.Response(204),
        page([{"uuid": "u1"}]),
        mapping_schemas=lambda catalog_id: SCHEMA,
    )

    found = kit.client.mapped_products_page(CATALOG)

    assert found.items == [{"uuid": "u1"}]
    assert [(r.method, r.url.path) for r in kit.pim.requests] == [
        ("GET", f"/api/rest/v1/catalogs/{CATALOG}/mapped-products"),
        ("GET", f"/api/rest/v1/catalogs/{CATALOG}"),
        ("PUT", f"/api/rest/v1/catalogs/{CATALOG}/mapping-schemas/product"),
        ("GET", f"/api/rest/v1/catalogs/{CATALOG}/mapped-products"),
    ]
    assert kit.pim.requests[2].read() == httpx.Request("PUT", PIM, json=SCHEMA).read()


def test_a_single_mapped_product_without_schema_pushes_it_again_too(make_kit: MakeKit) -> None:
    kit = make_kit(
        httpx.Response(200, json={"message": NO_SCHEMA}),
        catalog(enabled=True),
        httpx.Response(204),
        httpx.Response(200, json={"uuid": "u1"}),
        mapping_schemas=lambda catalog_id: SCHEMA,
    )

    assert kit.client.get_mapped_product(CATALOG, "u1") == {"uuid": "u1"}
    assert [r.method for r in kit.pim.requests] == ["GET", "GET", "PUT", "GET"]


def test_the_same_body_on_a_disabled_catalog_is_a_disabled_catalog_and_nothing_is_pushed(make_kit: MakeKit) -> None:
    kit = make_kit(
        httpx.Response(200, json={"error": "The catalog c1 has been disabled."}),
        catalog(enabled=False),
        mapping_schemas=lambda catalog_id: SCHEMA,
    )

    with pytest.raises(CatalogDisabledError):
        kit.client.mapped_products_page(CATALOG)
    assert [r.method for r in kit.pim.requests] == ["GET", "GET"]


def test_a_schema_that_does_not_cure_the_answer_is_not_a_disabled_catalog(make_kit: MakeKit) -> None:
    kit = make_kit(
        httpx.Response(200, json={"error": NO_SCHEMA}),
        catalog(enabled=True),
        httpx.Response(204),
        httpx.Response(200, json={"error": NO_SCHEMA}),
        mapping_schemas=lambda catalog_id: SCHEMA,
    )

    with pytest.raises(MappingSchemaMissingError) as caught:
        kit.client.mapped_products_page(CATALOG)
    assert not isinstance(caught.value, CatalogDisabledError)
    assert [r.method for r in kit.pim.requests] == ["GET", "GET", "PUT", "GET"]


def test_an_enabled_catalog_the_app_has_no_schema_for_is_not_a_disabled_catalog(make_kit: MakeKit) -> None:
    kit = make_kit(
        httpx.Response(200, json={"error": NO_SCHEMA}), catalog(enabled=True), mapping_schemas=lambda catalog_id: None
    )

    with pytest.raises(MappingSchemaMissingError, match="none configured"):
        kit.client.mapped_products_page(CATALOG)
    assert [r.method for r in kit.pim.requests] == ["GET", "GET"]


def test_product_uuids_never_ask_for_the_schema(make_kit: MakeKit) -> None:
    # Only mapped products need a schema (GetProductUuidsAction has no such answer).
    kit = make_kit(httpx.Response(200, json={"error": "disabled"}), mapping_schemas=lambda catalog_id: SCHEMA)

    with pytest.raises(CatalogDisabledError):
        kit.client.product_uuids_page(CATALOG)
    assert len(kit.pim.requests) == 1
