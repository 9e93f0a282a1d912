"""Payload models: envelopes validated, items kept raw, the disabled-catalog body recognised."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from akeneo_sync.akeneo.models import (
    CatalogListPage,
    ErrorBody,
    ListQuery,
    MappedProductsPage,
    ProductUuidsPage,
    TokenResponse,
    atom,
    disabled_reason,
)
from akeneo_sync.akeneo.types import CatalogInfo, TokenGrant

DISABLED = {
    "error": 'No products to synchronize. The catalog "65f5a521-e65c-4d7b-8be8-1f267fa2729c" has been disabled '
    "on the PIM side. Note that you can get catalogs status with the GET /api/rest/v1/catalogs endpoint."
}


@pytest.mark.parametrize(
    ("body", "single", "expected"),
    [
        (DISABLED, False, DISABLED["error"]),
        ({"message": "No product to synchronize."}, True, "No product to synchronize."),
        ({"message": "m", "error": "e"}, False, "e"),
        (
            {"error": "Impossible to map products: no product mapping schema available for this catalog."},
            False,
            "Impossible to map products: no product mapping schema available for this catalog.",
        ),
        ({"_links": {}, "_embedded": {"items": []}}, False, None),
        # A mapped product whose schema has a `message` target is data, not an error.
        ({"uuid": "u1", "message": "hello"}, True, None),
        ({"error": 42}, False, None),
        (["not", "an", "object"], False, None),
    ],
)
def test_a_200_body_is_a_disabled_catalog_only_when_it_has_error_text_and_no_data(
    body: object, single: bool, expected: str | None
) -> None:
    assert disabled_reason(body, single=single) == expected


C1, C2 = "0d7e3f9a-1c2b-4d5e-8f60-000000000001", "0d7e3f9a-1c2b-4d5e-8f60-000000000002"


def test_a_catalog_list_page_becomes_catalog_infos_with_its_links() -> None:
    page = CatalogListPage.model_validate(
        {
            "_links": {
                "self": {"href": "https://p/api/rest/v1/catalogs?page=1&limit=2"},
                "next": {"href": "https://p/api/rest/v1/catalogs?page=2&limit=2"},
            },
            "current_page": 1,
            "_embedded": {
                "items": [
                    {
                        "id": C1,
                        "name": "Store EU",
                        "enabled": False,
                        "managed_currencies": ["EUR"],
                        "managed_locales": ["fr_FR"],
                        "_links": {"self": {"href": "https://p/api/rest/v1/catalogs/" + C1}},
                    },
                    {"id": C2, "name": "Old", "enabled": True},
                ]
            },
        }
    )
    assert [item.to_info() for item in page.embedded.items] == [
        CatalogInfo(C1, "Store EU", False, ("EUR",), ("fr_FR",)),
        CatalogInfo(C2, "Old", True),
    ]
    assert page.links.next is not None
    assert page.links.next.href.endswith("page=2&limit=2")


def test_a_search_after_page_without_embedded_items_is_refused() -> None:
    with pytest.raises(ValidationError):
        ProductUuidsPage.model_validate({"_links": {"self": {"href": "x"}}})


def test_uuid_pages_require_string_items() -> None:
    with pytest.raises(ValidationError):
        ProductUuidsPage.model_validate({"_links": {}, "_embedded": {"items": [{"uuid": "x"}]}})


def test_mapped_items_stay_raw_objects_even_without_uuid() -> None:
    page = MappedProductsPage.model_validate(
        {"_links": {}, "_embedded": {"items": [{"uuid": "u1", "title": "T"}, {"title": "no uuid"}]}}
    )
    assert page.embedded.items == [{"uuid": "u1", "title": "T"}, {"title": "no uuid"}]
    assert page.links.next is None


@pytest.mark.parametrize("items", [[{"uuid": "u1"}, "u2"], [None], [[{"uuid": "u1"}]], {"uuid": "u1"}])
def test_a_mapped_products_page_whose_items_are_not_all_objects_is_refused(items: object) -> None:
    with pytest.raises(ValidationError, match=r"not JSON objects|valid list"):
        MappedProductsPage.model_validate({"_links": {}, "_embedded": {"items": items}})


def test_an_app_token_response_has_no_expiry_and_no_refresh_token() -> None:
    grant = TokenResponse.model_validate(
        {"access_token": "Y2Yy", "token_type": "bearer", "scope": "read_catalogs read_products", "id_token": "eyJ0"}
    ).to_grant()
    assert grant == TokenGrant("Y2Yy", ("read_catalogs", "read_products"), None, None, "eyJ0")


def test_a_connection_token_response_keeps_expiry_and_refresh_token() -> None:
    grant = TokenResponse.model_validate(
        {"access_token": "a", "expires_in": 3600, "token_type": "bearer", "scope": None, "refresh_token": "r"}
    ).to_grant()
    assert grant.expires_in_s == 3600
    assert grant.refresh_token == "r"
    assert grant.scope == ()


def test_an_empty_access_token_is_refused() -> None:
    with pytest.raises(ValidationError):
        TokenResponse.model_validate({"access_token": ""})


def test_error_bodies_of_both_families_yield_their_messages() -> None:
    assert ErrorBody.model_validate({"code": 404, "message": 'Catalog "x" does not exist'}).messages() == [
        'Catalog "x" does not exist'
    ]
    oauth = ErrorBody.model_validate({"error": "invalid_grant", "error_description": "Code has expired"})
    assert oauth.messages() == ["invalid_grant", "Code has expired"]


def test_atom_dates_are_utc_with_an_explicit_offset() -> None:
    assert atom(datetime(2022, 6, 24, 12, 54, 58, 999, tzinfo=UTC)) == "2022-06-24T12:54:58+00:00"
    paris = timezone(timedelta(hours=2))
    assert atom(datetime(2022, 6, 24, 14, 54, 58, tzinfo=paris)) == "2022-06-24T12:54:58+00:00"
    assert atom(datetime(2022, 6, 24, 12, 54, 58)) == "2022-06-24T12:54:58+00:00"


def test_a_list_query_sends_only_the_filters_given() -> None:
    after = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert ListQuery(None, None, 100).params() == {"limit": 100}
    assert ListQuery(after, after, 10).params() == {
        "limit": 10,
        "updated_after": "2024-01-02T03:04:05+00:00",
        "updated_before": "2024-01-02T03:04:05+00:00",
    }
