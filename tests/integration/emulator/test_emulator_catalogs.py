"""Conformance of the catalog resource with Akeneo (docs/akeneo.md), over a real socket."""

from __future__ import annotations

import httpx
import pytest
from emulator_support import API, ClientFactory

from akeneo_sync.emulator.testing import EmulatorHandle

pytestmark = pytest.mark.integration


def test_a_new_catalog_is_created_disabled_with_201_and_absolute_self_link(
    pim: EmulatorHandle, api: httpx.Client
) -> None:
    response = api.post(
        f"{API}/catalogs",
        json={"name": "Store EUROPE", "managed_currencies": ["EUR", "GBP"], "managed_locales": ["fr_FR", "de_DE"]},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["enabled"] is False
    assert body["name"] == "Store EUROPE"
    assert body["managed_currencies"] == ["EUR", "GBP"]
    assert body["managed_locales"] == ["fr_FR", "de_DE"]
    assert body["_links"]["self"]["href"] == f"{pim.base_url}{API}/catalogs/{body['id']}"
    assert response.headers["location"] == body["_links"]["self"]["href"]


def test_creating_a_catalog_without_a_name_answers_the_documented_422(api: httpx.Client) -> None:
    response = api.post(f"{API}/catalogs", json={"name": ""})

    assert response.status_code == 422
    assert response.json() == {
        "code": 422,
        "message": "Validation failed.",
        "errors": [{"property": "name", "message": "This value should not be blank."}],
    }


def test_a_write_without_json_content_type_is_415_and_malformed_json_is_400(api: httpx.Client) -> None:
    wrong_type = api.post(f"{API}/catalogs", content=b"name=x", headers={"Content-Type": "text/plain"})
    malformed = api.post(f"{API}/catalogs", content=b"{nope", headers={"Content-Type": "application/json"})

    assert wrong_type.status_code == 415
    assert wrong_type.json()["code"] == 415
    assert malformed.status_code == 400
    assert malformed.json() == {"code": 400, "message": "Invalid json message received"}


def test_an_app_can_own_at_most_200_catalogs(api: httpx.Client) -> None:
    for n in range(200):
        assert api.post(f"{API}/catalogs", json={"name": f"c{n}"}).status_code == 201

    refused = api.post(f"{API}/catalogs", json={"name": "one too many"})

    assert refused.status_code == 422
    assert refused.json()["message"] == "Validation failed."
    assert "200 catalogs" in refused.json()["errors"][0]["message"]


def test_catalog_list_pages_by_offset_with_previous_and_next_only_where_they_exist(
    pim: EmulatorHandle, api: httpx.Client
) -> None:
    ids = [api.post(f"{API}/catalogs", json={"name": f"c{n}"}).json()["id"] for n in range(5)]
    base = f"{pim.base_url}{API}/catalogs"

    first = api.get(f"{API}/catalogs", params={"limit": 2}).json()
    middle = api.get(first["_links"]["next"]["href"]).json()
    last = api.get(middle["_links"]["next"]["href"]).json()

    assert first["current_page"] == 1
    assert "previous" not in first["_links"]
    assert first["_links"]["self"]["href"] == f"{base}?page=1&limit=2"
    assert first["_links"]["first"]["href"] == f"{base}?page=1&limit=2"
    assert middle["_links"]["previous"]["href"] == f"{base}?page=1&limit=2"
    assert middle["current_page"] == 2
    assert "next" not in last["_links"]
    listed = [item["id"] for page in (first, middle, last) for item in page["_embedded"]["items"]]
    assert listed == ids
    assert first["_embedded"]["items"][0]["_links"]["self"]["href"] == f"{base}/{ids[0]}"


@pytest.mark.parametrize("limit", ["0", "101", "abc"])
def test_catalog_list_refuses_a_limit_outside_1_to_100(api: httpx.Client, limit: str) -> None:
    response = api.get(f"{API}/catalogs", params={"limit": limit})

    assert response.status_code == 400
    assert response.json()["code"] == 400


def test_patch_requires_a_name_and_updates_currencies(api: httpx.Client) -> None:
    catalog_id = api.post(f"{API}/catalogs", json={"name": "Old"}).json()["id"]

    without_name = api.patch(f"{API}/catalogs/{catalog_id}", json={"managed_currencies": ["USD"]})
    patched = api.patch(f"{API}/catalogs/{catalog_id}", json={"name": "New", "managed_currencies": ["USD"]})

    assert without_name.status_code == 422
    assert without_name.json()["errors"][0]["property"] == "name"
    assert patched.status_code == 200
    assert patched.json()["name"] == "New"
    assert api.get(f"{API}/catalogs/{catalog_id}").json()["managed_currencies"] == ["USD"]


def test_delete_answers_204_and_the_catalog_is_then_404(api: httpx.Client) -> None:
    catalog_id = api.post(f"{API}/catalogs", json={"name": "Gone"}).json()["id"]

    deleted = api.delete(f"{API}/catalogs/{catalog_id}")
    after = api.get(f"{API}/catalogs/{catalog_id}")

    assert deleted.status_code == 204
    assert deleted.content == b""
    assert after.status_code == 404
    assert after.json() == {"code": 404, "message": f'Catalog "{catalog_id}" does not exist or you can\'t access it.'}


def test_another_apps_catalog_gets_the_same_obfuscated_404_as_an_unknown_one(client_for: ClientFactory) -> None:
    owner, stranger = client_for("app-a"), client_for("app-b")
    catalog_id = owner.post(f"{API}/catalogs", json={"name": "Mine"}).json()["id"]
    unknown = "65f5a521-e65c-4d7b-8be8-1f267fa2729c"

    foreign = stranger.get(f"{API}/catalogs/{catalog_id}")
    missing = stranger.get(f"{API}/catalogs/{unknown}")
    foreign_uuids = stranger.get(f"{API}/catalogs/{catalog_id}/product-uuids")

    assert foreign.status_code == missing.status_code == foreign_uuids.status_code == 404
    assert foreign.json()["message"] == f'Catalog "{catalog_id}" does not exist or you can\'t access it.'
    assert missing.json()["message"] == f'Catalog "{unknown}" does not exist or you can\'t access it.'
    assert stranger.get(f"{API}/catalogs").json()["_embedded"]["items"] == []


def test_missing_unknown_and_revoked_tokens_are_401(pim: EmulatorHandle, api: httpx.Client) -> None:
    anonymous = httpx.get(f"{pim.base_url}{API}/catalogs")
    unknown = httpx.get(f"{pim.base_url}{API}/catalogs", headers={"Authorization": "Bearer not-a-token"})
    token = api.headers["Authorization"].removeprefix("Bearer ")
    assert api.get(f"{API}/catalogs").status_code == 200

    pim.admin.post("/_emulator/tokens/revoke", json={"access_token": token}).raise_for_status()
    revoked = api.get(f"{API}/catalogs")

    assert anonymous.status_code == 401
    assert anonymous.json() == {"code": 401, "message": "Authentication is required"}
    assert unknown.status_code == 401
    assert unknown.json()["code"] == 401
    assert revoked.status_code == 401
    assert set(revoked.json()) == {"code", "message"}


@pytest.mark.parametrize(
    ("scopes", "method", "path_suffix", "message"),
    [
        (["read_products"], "GET", "", "Access forbidden. You are not allowed to list catalogs."),
        (["read_catalogs", "read_products"], "POST", "", "Access forbidden. You are not allowed to edit app catalogs."),
        (
            ["read_catalogs", "read_products"],
            "DELETE",
            "/{id}",
            "Access forbidden. You are not allowed to delete app catalogs.",
        ),
        (["read_catalogs"], "GET", "/{id}/product-uuids", "Access forbidden. You are not allowed to access products."),
        (
            ["read_catalogs"],
            "GET",
            "/{id}/mapped-products",
            "Access forbidden. You are not allowed to access products.",
        ),
        (
            ["read_catalogs", "read_products"],
            "PUT",
            "/{id}/mapping-schemas/product",
            "Access forbidden. You are not allowed to edit app catalogs.",
        ),
    ],
)
def test_a_missing_scope_is_403_with_akeneos_message(
    client_for: ClientFactory, scopes: list[str], method: str, path_suffix: str, message: str
) -> None:
    catalog_id = client_for("app-a").post(f"{API}/catalogs", json={"name": "c"}).json()["id"]
    limited = client_for("app-a", scopes)

    response = limited.request(method, f"{API}/catalogs{path_suffix.format(id=catalog_id)}", json={"name": "x"})

    assert response.status_code == 403
    assert response.json() == {"code": 403, "message": message}


def test_a_write_scope_implies_its_read_scope(client_for: ClientFactory) -> None:
    writer = client_for("app-a", ["write_catalogs"])

    assert writer.get(f"{API}/catalogs").status_code == 200


def test_duplicate_makes_a_disabled_copy_with_the_same_schema_and_products(
    pim: EmulatorHandle, api: httpx.Client, enabled_catalog: str
) -> None:
    copied = api.post(f"{API}/catalogs/{enabled_catalog}/duplicate")
    named = api.post(
        f"{API}/catalogs/{enabled_catalog}/duplicate", json={"name": "Store FR", "managed_locales": ["fr_FR"]}
    )

    assert copied.status_code == named.status_code == 201
    copy_id = copied.json()["id"]
    assert copy_id != enabled_catalog
    assert copied.json()["enabled"] is False
    assert copied.json()["managed_currencies"] == ["EUR"]
    assert (named.json()["name"], named.json()["managed_locales"]) == ("Store FR", ["fr_FR"])
    schema_path = "mapping-schemas/product"
    assert (
        api.get(f"{API}/catalogs/{copy_id}/{schema_path}").json()
        == api.get(f"{API}/catalogs/{enabled_catalog}/{schema_path}").json()
    )
    pim.admin.post(f"/_emulator/catalogs/{copy_id}/enable").raise_for_status()
    original = pim.admin.get(f"/_emulator/catalogs/{enabled_catalog}/expected").json()
    assert pim.admin.get(f"/_emulator/catalogs/{copy_id}/expected").json() == original


def test_duplicate_refuses_a_blank_name_and_a_foreign_catalog(client_for: ClientFactory) -> None:
    owner, stranger = client_for("app-a"), client_for("app-b")
    catalog_id = owner.post(f"{API}/catalogs", json={"name": "c"}).json()["id"]

    blank = owner.post(f"{API}/catalogs/{catalog_id}/duplicate", json={"name": " "})
    foreign = stranger.post(f"{API}/catalogs/{catalog_id}/duplicate")

    assert blank.status_code == 422
    assert blank.json()["errors"] == [{"property": "name", "message": "This value should not be blank."}]
    assert foreign.status_code == 404


def test_the_api_root_lists_routes_without_auth(pim: EmulatorHandle) -> None:
    response = httpx.get(f"{pim.base_url}{API}")

    assert response.status_code == 200
    assert response.json()["host"] == pim.base_url
    assert response.json()["routes"]["get_app_catalog_product_uuids"] == {
        "route": f"{API}/catalogs/{{id}}/product-uuids",
        "methods": ["GET"],
    }


def test_unknown_routes_answer_json_404(pim: EmulatorHandle, api: httpx.Client) -> None:
    response = api.get(f"{API}/nothing-here")

    assert response.status_code == 404
    assert response.json()["code"] == 404


def test_an_accept_header_other_than_json_is_406(api: httpx.Client) -> None:
    refused = api.get(f"{API}/catalogs", headers={"Accept": "text/html"})
    negotiated = api.get(f"{API}/catalogs", headers={"Accept": "text/html, application/json;q=0.9"})

    assert refused.status_code == 406
    assert refused.json()["code"] == 406
    assert negotiated.status_code == 200
