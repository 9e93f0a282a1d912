"""Mapped models and their variants read against a scripted PIM, from recorded pages.

The pages in `data/` follow the API reference's examples (`akeneo/pim-api-docs` at b88a0c9c:
`content/swagger/resources/app_catalogs/routes/app_catalogs_id_mapped_models.yaml` and
`app_catalogs_id_mapped_variants.yaml`) on this suite's PIM host, with one change: a variant's
axis values are under `variation_axes_values`, the key the products-with-variants meta-schema
requires (`content/mapping/product/1.0.3/schema`, `variantsProperty`), as docs/akeneo.md says.
The two variants of the example share one UUID; the second has its own here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from akeneo_sync.akeneo.types import MappedModel
from akeneo_sync.errors import CatalogDisabledError, PimError, PimUnavailableError

CATALOG = "232be0b2-093c-4591-a506-2a2ed5176721"
API = f"https://pim.example.com/api/rest/v1/catalogs/{CATALOG}"
DATA = Path(__file__).parent / "data"
SCHEMA = {
    "$schema": "https://api.akeneo.com/mapping/product/1.0.3/schema",
    "type": "object",
    "properties": {
        "code": {"type": "string"},
        "variation_axes": {"type": "array", "items": {"type": "object"}},
        "variants": {"type": "string", "format": "uri"},
    },
}
MakeKit = Callable[..., Any]


def recorded(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text())
    return data


def test_a_mapped_models_page_reads_items_and_next_link_with_the_filters_sent(make_kit: MakeKit) -> None:
    kit = make_kit(httpx.Response(200, json=recorded("mapped-models-page.json")))

    page = kit.client.mapped_models_page(CATALOG, updated_after=datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC), limit=2)

    assert [item["code"] for item in page.items] == ["tshirt_akeneo", "tshirt_pim"]
    assert page.items[0]["variants"] == f"{API}/mapped-models/tshirt_akeneo/variants"
    assert page.next_url == f"{API}/mapped-models?search_after=tshirt_pim&limit=2"
    [request] = kit.pim.requests
    assert request.url.path == f"/api/rest/v1/catalogs/{CATALOG}/mapped-models"
    assert dict(request.url.params) == {"limit": "2", "updated_after": "2024-05-01T12:00:00+00:00"}


def test_a_model_with_its_variant_pages_assembles_into_the_unit_a_target_receives(make_kit: MakeKit) -> None:
    models = recorded("mapped-models-page.json")
    variants = recorded("mapped-variants-page.json")
    kit = make_kit(httpx.Response(200, json=models), httpx.Response(200, json=variants))

    item = kit.client.mapped_models_page(CATALOG).items[0]
    page = kit.client.model_variants_page(CATALOG, item["code"])

    assert page is not None
    assert page.next_url is None
    assert kit.pim.requests[1].url.path == f"/api/rest/v1/catalogs/{CATALOG}/mapped-models/tshirt_akeneo/variants"
    assert dict(kit.pim.requests[1].url.params) == {"limit": "100"}
    model = MappedModel.assemble(item, page.items)
    assert model is not None
    assert model.code == "tshirt_akeneo"
    assert set(model.targets) == {"title", "variation_axes"}
    assert [v["sku"] for v in model.variants] == ["AK10BLXL", "AK10YEXL"]
    assert model.variants[0]["variation_axes_values"][0] == {
        "code": "color",
        "label": [{"locale": "en_US", "value": "Blue"}, {"locale": "fr_FR", "value": "Bleu"}],
        "value": "blue",
    }
    assert model.item()["variants"] == variants["_embedded"]["items"]


def test_a_model_code_is_escaped_in_the_variants_path(make_kit: MakeKit) -> None:
    kit = make_kit(httpx.Response(200, json=recorded("mapped-variants-page.json")))

    kit.client.model_variants_page(CATALOG, "shirt/2024 édition", limit=10)

    assert (
        kit.pim.requests[0]
        .url.raw_path.decode()
        .startswith(f"/api/rest/v1/catalogs/{CATALOG}/mapped-models/shirt%2F2024%20%C3%A9dition/variants?")
    )


def test_a_variants_next_link_is_followed_on_the_pim_and_another_host_is_refused(make_kit: MakeKit) -> None:
    first = recorded("mapped-variants-page.json")
    first["_links"]["next"] = {
        "href": f"http://pim.example.com/api/rest/v1/catalogs/{CATALOG}/mapped-models/m/variants?search_after=x"
    }
    evil = recorded("mapped-variants-page.json")
    evil["_links"]["next"] = {"href": "https://evil.example.net/steal"}
    kit = make_kit(httpx.Response(200, json=first), httpx.Response(200, json=evil))

    page = kit.client.model_variants_page(CATALOG, "tshirt_akeneo")
    assert page is not None
    assert page.next_url is not None
    assert page.next_url == f"{API}/mapped-models/m/variants?search_after=x"

    with pytest.raises(PimError, match=r"evil\.example\.net"):
        kit.client.model_variants_page(CATALOG, "tshirt_akeneo", next_url=page.next_url)


def test_an_unknown_model_is_none(make_kit: MakeKit) -> None:
    message = (
        f'Either catalog "{CATALOG}" does not exist or you can\'t access it, or product model "gone" '
        "does not exist or you do not have permission to access it."
    )
    kit = make_kit(httpx.Response(404, json={"code": 404, "message": message}))

    assert kit.client.model_variants_page(CATALOG, "gone") is None


@pytest.mark.parametrize("endpoint", ["models", "variants"])
def test_a_disabled_catalog_answering_200_with_an_error_is_a_disabled_catalog(make_kit: MakeKit, endpoint: str) -> None:
    kit = make_kit(httpx.Response(200, json={"error": f"No products to synchronize. The catalog {CATALOG} is off."}))

    read = kit.client.mapped_models_page if endpoint == "models" else kit.client.model_variants_page

    with pytest.raises(CatalogDisabledError):
        read(CATALOG, *(() if endpoint == "models" else ("tshirt_akeneo",)))


def test_no_mapping_schema_on_mapped_models_pushes_the_schema_again_and_reads_again(make_kit: MakeKit) -> None:
    no_schema = {"message": "Impossible to map products: no product mapping schema available for this catalog."}
    enabled = {"id": CATALOG, "name": "Store", "enabled": True, "managed_currencies": [], "managed_locales": []}
    kit = make_kit(
        httpx.Response(200, json=no_schema),
        httpx.Response(200, json=enabled),
        httpx.Response(204),
        httpx.Response(200, json=recorded("mapped-models-page.json")),
        mapping_schemas=lambda catalog_id: SCHEMA,
    )

    page = kit.client.mapped_models_page(CATALOG)

    assert len(page.items) == 2
    assert [r.method for r in kit.pim.requests] == ["GET", "GET", "PUT", "GET"]


@pytest.mark.parametrize(
    "body",
    [{"_links": {}, "_embedded": {"items": ["not-an-object"]}}, {"_links": {}, "_embedded": {}}, ["a", "list"]],
)
def test_a_page_of_an_unexpected_shape_is_a_retryable_pim_error(make_kit: MakeKit, body: object) -> None:
    kit = make_kit(httpx.Response(200, json=body))

    with pytest.raises(PimUnavailableError, match="mapped-variants"):
        kit.client.model_variants_page(CATALOG, "tshirt_akeneo")


def test_a_model_without_a_string_code_does_not_assemble() -> None:
    assert MappedModel.assemble({"title": "no code", "variants": "https://x"}, []) is None
    assert MappedModel.assemble({"code": 12}, []) is None
