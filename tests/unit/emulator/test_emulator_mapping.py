"""Mapping schema validation and mapped-product computation, as pure functions."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from akeneo_sync.emulator.catalog_data import ATTRIBUTES
from akeneo_sync.emulator.mapping import (
    SchemaInvalidError,
    map_product,
    suggested_mapping,
    suggested_source,
    validate_schema,
)
from akeneo_sync.emulator.store import Catalog, Product

BUNDLED: dict[str, Any] = json.loads(
    (Path(__file__).parents[3] / "src" / "akeneo_sync" / "schemas" / "product-mapping.json").read_text("utf-8")
)
KNOWN = frozenset(ATTRIBUTES)
META = "https://api.akeneo.com/mapping/product/1.0.3/schema"


def product(**values: Any) -> Product:
    return Product(
        "0b1c7e4a-5d5e-4f1a-9c3b-1e2d3f4a5b6c",
        "shoes",
        ["master", "footwear"],
        True,
        1_700_000_000,
        1_700_000_100,
        values,
    )


def catalog(schema: dict[str, Any] | None = None, currencies: list[str] | None = None) -> Catalog:
    """A catalog whose targets a PIM user mapped to the attributes of the same names."""
    chosen = schema or BUNDLED
    return Catalog(
        "c1",
        "app",
        "c",
        currencies or [],
        [],
        True,
        mapping_schema=chosen,
        product_mapping=suggested_mapping(chosen, KNOWN),
    )


def mutated(**changes: Any) -> dict[str, Any]:
    schema = copy.deepcopy(BUNDLED)
    for key, value in changes.items():
        if value is None:
            schema.pop(key)
        else:
            schema[key] = value
    return schema


def with_target(name: str, target: Any) -> dict[str, Any]:
    schema = copy.deepcopy(BUNDLED)
    schema["properties"][name] = target
    return schema


def test_the_bundled_schema_is_accepted() -> None:
    validate_schema(BUNDLED, 600)


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (mutated(**{"$schema": None}), "You must provide a $schema reference."),
        (
            mutated(**{"$schema": "https://api.akeneo.com/mapping/product/9.9.9/schema"}),
            "You must provide a valid $schema reference.",
        ),
        (mutated(type="array"), "You must provide a valid schema."),
        (mutated(unknown_keyword=True), "You must provide a valid schema."),
        (with_target("name", {"type": "string", "foo": 1}), "You must provide a valid schema."),
        (with_target("name", {"type": "integer"}), "You must provide a valid schema."),
        (with_target("name", {"type": "number", "format": "uri"}), "You must provide a valid schema."),
        (with_target("name", {"type": "number", "maxLength": 3}), "You must provide a valid schema."),
        (with_target("tags", {"type": "array"}), "You must provide a valid schema."),
        (
            with_target("dims", {"type": "object", "properties": {"w": {"type": "number"}}}),
            "You must provide a valid schema.",
        ),
        (
            with_target("name", {"type": "string", "enum": ["a"], "enumLink": "https://x"}),
            "You must provide a valid schema.",
        ),
        (with_target("variants", {"type": "string", "format": "uri"}), "You must provide a valid schema."),
    ],
)
def test_invalid_schemas_are_refused_with_akeneos_message(schema: dict[str, Any], message: str) -> None:
    with pytest.raises(SchemaInvalidError) as refused:
        validate_schema(schema, 600)

    assert refused.value.message == message


def test_a_flat_schema_without_uuid_is_refused() -> None:
    schema = copy.deepcopy(BUNDLED)
    del schema["properties"]["uuid"]

    with pytest.raises(SchemaInvalidError):
        validate_schema(schema, 600)


def test_600_targets_pass_and_601_do_not() -> None:
    props: dict[str, Any] = {"uuid": {"type": "string"}} | {f"t{i}": {"type": "string"} for i in range(599)}
    schema = {"$schema": META, "type": "object", "properties": props}
    validate_schema(schema, 600)

    props["one_more"] = {"type": "string"}
    with pytest.raises(SchemaInvalidError):
        validate_schema(schema, 600)


def test_a_products_with_variants_schema_is_accepted() -> None:
    schema = {
        "$schema": META,
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "variation_axes": {"type": "array", "items": {"type": "string"}},
            "variants": {"type": "string", "format": "uri"},
        },
    }

    validate_schema(schema, 600)


def test_the_bundled_schema_maps_every_target_of_a_complete_product() -> None:
    full = product(
        sku="SKU-1",
        name="Runner",
        description="Nice.",
        brand="acme",
        price=[{"amount": "10.50", "currency": "EUR"}],
        weight={"amount": 1.2, "unit": "KILOGRAM"},
        image_url="https://img/1.jpg",
    )

    mapped = map_product(full, catalog(), KNOWN)

    assert mapped == {
        "uuid": full.uuid,
        "sku": "SKU-1",
        "name": "Runner",
        "description": "Nice.",
        "brand": "acme",
        "price": {"amount": 10.5, "currency": "EUR"},
        "weight": {"value": 1.2, "unit": "KILOGRAM"},
        "image_url": "https://img/1.jpg",
        "categories": ["master", "footwear"],
        "is_active": True,
    }
    assert set(mapped) == set(BUNDLED["properties"])


def test_targets_whose_source_is_empty_are_omitted_not_null() -> None:
    mapped = map_product(product(sku="SKU-2", name="Tee", description=""), catalog(), KNOWN)

    assert set(mapped) == {"uuid", "sku", "name", "categories", "is_active"}


def test_the_price_follows_the_catalogs_managed_currencies() -> None:
    prices = [{"amount": "10.00", "currency": "EUR"}, {"amount": "11.00", "currency": "USD"}]

    in_usd = map_product(product(price=prices), catalog(currencies=["USD", "EUR"]), KNOWN)
    default = map_product(product(price=prices), catalog(), KNOWN)

    assert in_usd["price"] == {"amount": 11.0, "currency": "USD"}
    assert default["price"] == {"amount": 10.0, "currency": "EUR"}


def test_an_explicit_product_mapping_overrides_or_unmaps_a_target() -> None:
    mapped_catalog = catalog()
    mapped_catalog.product_mapping = {"name": "sku", "brand": None}

    mapped = map_product(product(sku="SKU-3", name="ignored", brand="acme"), mapped_catalog, KNOWN)

    assert mapped["name"] == "SKU-3"
    assert "brand" not in mapped


def test_a_value_that_does_not_fit_the_target_type_is_omitted() -> None:
    schema = with_target("weight_kg", {"type": "number"})
    schema["properties"]["flag"] = {"type": "boolean"}
    mapped_catalog = catalog(schema)
    mapped_catalog.product_mapping = {"weight_kg": "weight", "flag": "name"}

    mapped = map_product(product(name="Runner", weight={"amount": "2.5", "unit": "KILOGRAM"}), mapped_catalog, KNOWN)

    assert mapped["weight_kg"] == 2.5
    assert "flag" not in mapped


def test_suggested_sources_match_names_then_aliases() -> None:
    assert suggested_source("name", KNOWN) == "name"
    assert suggested_source("is_active", KNOWN) == "enabled"
    assert suggested_source("title", KNOWN) == "name"
    assert suggested_source("unheard_of", KNOWN) is None


def test_before_a_user_maps_anything_only_uuid_is_mapped() -> None:
    unmapped = Catalog("c1", "app", "c", [], [], True, mapping_schema=BUNDLED)

    mapped = map_product(product(sku="SKU-1", name="Runner", brand="acme"), unmapped, KNOWN)

    assert mapped == {"uuid": "0b1c7e4a-5d5e-4f1a-9c3b-1e2d3f4a5b6c"}
