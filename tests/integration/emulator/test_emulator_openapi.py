"""The emulator's real responses validate against Akeneo's published Swagger for the catalog routes.

`data/akeneo-catalogs-openapi.json` is Akeneo's own Swagger 2.0 (see its `x-extracted-from`).
Where it contradicts the rest of the documentation or Akeneo's own code, this follows docs/akeneo.md
and a test here pins the contradiction, so a corrected Swagger would make us look again:
- PUT mapping schema: Swagger says 201, we answer 204 as Akeneo's tests and demo-app expect.
- products and mapped-products: the Swagger's 200 schema types items as UUID strings, a copy of the
  product-uuids schema; its own examples (and the docs) carry objects.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulator_support import API
from jsonschema import Draft4Validator, FormatChecker

from akeneo_sync.emulator.testing import EmulatorHandle

pytestmark = pytest.mark.integration

SWAGGER: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "akeneo-catalogs-openapi.json").read_text(encoding="utf-8")
)
CATALOG = f"{API}/catalogs/{{id}}"


def schema_for(path: str, method: str, status: int) -> dict[str, Any]:
    """The response schema the Swagger declares for an operation and status."""
    schema: dict[str, Any] = SWAGGER["paths"][path][method]["responses"][str(status)]["schema"]
    return schema


def assert_valid(body: Any, schema: dict[str, Any]) -> None:
    """Validate with every format checker jsonschema knows (uuid among them)."""
    errors = [e.message for e in Draft4Validator(schema, format_checker=FormatChecker()).iter_errors(body)]
    assert errors == []


def with_object_items(schema: dict[str, Any]) -> dict[str, Any]:
    """The list schema with its `_embedded.items` entries typed as objects (what the docs show)."""
    fixed = copy.deepcopy(schema)
    fixed["allOf"][1]["properties"]["_embedded"]["properties"]["items"]["items"] = {"type": "object"}
    return fixed


def test_the_vendored_swagger_is_akeneos_catalog_subset() -> None:
    assert SWAGGER["swagger"] == "2.0"
    assert SWAGGER["x-extracted-from"]["repository"] == "akeneo/pim-api-docs"
    assert all(path.startswith(f"{API}/catalogs") for path in SWAGGER["paths"])


def test_catalog_list_get_create_and_patch_validate(api: httpx.Client, enabled_catalog: str) -> None:
    created = api.post(f"{API}/catalogs", json={"name": "Store US", "managed_currencies": ["USD"]})
    patched = api.patch(f"{API}/catalogs/{created.json()['id']}", json={"name": "Store USA"})
    listed = api.get(f"{API}/catalogs", params={"limit": 1})

    assert (created.status_code, patched.status_code, listed.status_code) == (201, 200, 200)
    assert_valid(created.json(), schema_for(f"{API}/catalogs", "post", 201))
    assert_valid(patched.json(), schema_for(CATALOG, "patch", 200))
    assert_valid(api.get(f"{API}/catalogs/{enabled_catalog}").json(), schema_for(CATALOG, "get", 200))
    assert_valid(listed.json(), schema_for(f"{API}/catalogs", "get", 200))
    assert "next" in listed.json()["_links"]


def test_product_uuids_validate_including_the_uuid_format(api: httpx.Client, enabled_catalog: str) -> None:
    page = api.get(f"{API}/catalogs/{enabled_catalog}/product-uuids", params={"limit": 20}).json()

    assert_valid(page, schema_for(f"{CATALOG}/product-uuids", "get", 200))
    assert len(page["_embedded"]["items"]) == 20


def test_the_uuid_format_check_is_live() -> None:
    """Guards the test above: a non-UUID item must fail the same schema."""
    schema = schema_for(f"{CATALOG}/product-uuids", "get", 200)
    bad = {"_links": {}, "_embedded": {"items": ["not-a-uuid"]}}

    assert list(Draft4Validator(schema, format_checker=FormatChecker()).iter_errors(bad)) != []


@pytest.mark.parametrize("route", ["products", "mapped-products"])
def test_swagger_item_schema_contradicts_its_own_example_for(route: str) -> None:
    operation = SWAGGER["paths"][f"{CATALOG}/{route}"]["get"]["responses"]["200"]
    example = operation["x-examples-per-version"][0]["x-example"]

    assert list(Draft4Validator(operation["schema"]).iter_errors(example)) != []
    assert_valid(example, with_object_items(operation["schema"]))


@pytest.mark.parametrize("route", ["products", "mapped-products"])
def test_product_lists_validate_with_object_items(api: httpx.Client, enabled_catalog: str, route: str) -> None:
    page = api.get(f"{API}/catalogs/{enabled_catalog}/{route}", params={"limit": 10}).json()

    assert_valid(page, with_object_items(schema_for(f"{CATALOG}/{route}", "get", 200)))
    assert len(page["_embedded"]["items"]) == 10


def test_mapping_schema_get_validates(api: httpx.Client, enabled_catalog: str, bundled_schema: dict[str, Any]) -> None:
    response = api.get(f"{API}/catalogs/{enabled_catalog}/mapping-schemas/product")

    assert response.status_code == 200
    assert response.json() == bundled_schema
    assert_valid(response.json(), schema_for(f"{CATALOG}/mapping-schemas/product", "get", 200))


def test_put_mapping_schema_answers_204_where_the_swagger_says_201(
    api: httpx.Client, enabled_catalog: str, bundled_schema: dict[str, Any]
) -> None:
    documented = SWAGGER["paths"][f"{CATALOG}/mapping-schemas/product"]["put"]["responses"]

    response = api.put(f"{API}/catalogs/{enabled_catalog}/mapping-schemas/product", json=bundled_schema)

    assert "201" in documented
    assert response.status_code == 204


def test_error_bodies_validate_against_the_documented_error_schemas(
    pim: EmulatorHandle, client_for: Any, enabled_catalog: str
) -> None:
    api = client_for("app-a")
    anonymous = httpx.get(f"{pim.base_url}{API}/catalogs/{enabled_catalog}/product-uuids")
    forbidden = client_for("app-a", ["read_catalogs"]).get(f"{API}/catalogs/{enabled_catalog}/product-uuids")
    missing = api.get(f"{API}/catalogs/65f5a521-e65c-4d7b-8be8-1f267fa2729c")
    invalid = api.post(f"{API}/catalogs", json={"name": ""})
    bad_schema = api.put(f"{API}/catalogs/{enabled_catalog}/mapping-schemas/product", json={"type": "object"})

    for response, path, method in [
        (anonymous, f"{CATALOG}/product-uuids", "get"),
        (forbidden, f"{CATALOG}/product-uuids", "get"),
        (missing, CATALOG, "get"),
        (invalid, f"{API}/catalogs", "post"),
        (bad_schema, f"{CATALOG}/mapping-schemas/product", "put"),
    ]:
        assert_valid(response.json(), schema_for(path, method, response.status_code))
    documented_404 = SWAGGER["paths"][CATALOG]["get"]["responses"]["404"]["examples"]["message"]
    assert missing.json()["message"] == documented_404


def test_every_swagger_operation_is_served(pim: EmulatorHandle) -> None:
    documented = {op["operationId"] for item in SWAGGER["paths"].values() for op in item.values()}
    served = set(httpx.get(f"{pim.base_url}{API}").json()["routes"])

    assert documented <= served
    assert served - documented == {"get_app_catalog_mapped_product_uuid"}


def test_mapped_models_are_an_empty_valid_page_since_the_emulator_has_no_models(
    api: httpx.Client, enabled_catalog: str
) -> None:
    page = api.get(f"{API}/catalogs/{enabled_catalog}/mapped-models", params={"limit": 10})
    variants = api.get(f"{API}/catalogs/{enabled_catalog}/mapped-models/apollon/variants")

    assert page.status_code == 200
    assert page.json()["_embedded"]["items"] == []
    assert "next" not in page.json()["_links"]
    assert_valid(page.json(), with_object_items(schema_for(f"{CATALOG}/mapped-models", "get", 200)))
    assert variants.status_code == 404
    assert_valid(variants.json(), schema_for(f"{CATALOG}/mapped-models/{{model_code}}/variants", "get", 404))


def test_duplicate_validates(api: httpx.Client, enabled_catalog: str) -> None:
    response = api.post(f"{API}/catalogs/{enabled_catalog}/duplicate", json={"name": "copy"})

    assert response.status_code == 201
    assert_valid(response.json(), schema_for(f"{CATALOG}/duplicate", "post", 201))
