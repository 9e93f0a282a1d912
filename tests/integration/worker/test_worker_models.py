"""Variants mode end to end: product models with their variants, on the real worker and Redis, into each target."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from worker_stack import TARGET_KINDS, Stack, running_stack

from akeneo_sync.settings import CatalogSpec, bundled_schema_path

pytestmark = pytest.mark.integration

MODELS_SCHEMA = bundled_schema_path().parent / "product-models-mapping.json"


@pytest.fixture(params=TARGET_KINDS)
def stack(redis_client: redis.Redis, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """The worker on 300 simple products and 200 models, pushing to each real target in turn."""
    catalogs = (CatalogSpec(name="Store EU", mapping_schema=MODELS_SCHEMA),)
    with running_stack(
        redis_client, tmp_path, products=300, models=200, target=request.param, catalogs=catalogs
    ) as running:
        yield running


def enable(stack: Stack) -> str:
    return stack.activate_and_enable()


def expected_models(stack: Stack, catalog: str) -> dict[str, Any]:
    models: dict[str, Any] = stack.admin("GET", f"/_emulator/catalogs/{catalog}/expected-models")["models"]
    return {code: _sorted(model) for code, model in models.items()}


def stored_models(stack: Stack, catalog: str) -> dict[str, Any]:
    return {code: _sorted(model.item()) for code, model in stack.target.models(stack.tenant, catalog).items()}


def expected_simple_products(stack: Stack, catalog: str, models: dict[str, Any]) -> dict[str, Any]:
    variants = {variant["uuid"] for model in models.values() for variant in model["variants"]}
    return {uuid: product for uuid, product in stack.expected(catalog).items() if uuid not in variants}


def _sorted(model: dict[str, Any]) -> dict[str, Any]:
    return {**model, "variants": sorted(model["variants"], key=lambda variant: variant["uuid"])}


def test_a_catalog_of_models_syncs_exactly_each_model_with_its_whole_variant_set(stack: Stack) -> None:
    catalog = enable(stack)

    expected = expected_models(stack, catalog)
    assert len(expected) == 200
    assert all(2 <= len(model["variants"]) <= 6 for model in expected.values())
    assert stored_models(stack, catalog) == expected
    # Beside the models, the simple products (mapped-products serves only those in this mode).
    assert stack.target.products(stack.tenant, catalog) == expected_simple_products(stack, catalog, expected)
    assert len(stack.target.products(stack.tenant, catalog)) > 200


def test_an_incremental_run_follows_a_changed_and_a_deleted_variant_an_added_and_a_deleted_model(
    stack: Stack,
) -> None:
    catalog = enable(stack)
    models = expected_models(stack, catalog)
    codes = sorted(models)
    changed_variant = models[codes[0]]["variants"][0]["uuid"]
    deleted_variant = models[codes[1]]["variants"][-1]["uuid"]
    stack.admin("PATCH", f"/_emulator/products/{changed_variant}", json={"values": {"sku": "EDITED-SKU"}})
    stack.admin("DELETE", f"/_emulator/products/{deleted_variant}")
    stack.admin(
        "POST",
        "/_emulator/models",
        json={
            "code": "zz_new_boot",
            "family": "shoes",
            "values": {"name": "New boot"},
            "variants": [{"axes": {"size": size}, "values": {"sku": f"NEW-{size}"}} for size in ("40", "41")],
        },
    )
    stack.admin("DELETE", f"/_emulator/models/{codes[2]}")

    stack.actors().sync_catalog.send(stack.tenant, catalog, "incremental")
    stack.worker.drain()

    stored = stored_models(stack, catalog)
    after = expected_models(stack, catalog)
    assert stored == after
    assert stack.target.products(stack.tenant, catalog) == expected_simple_products(stack, catalog, after)
    assert any(v["sku"] == "EDITED-SKU" for v in stored[codes[0]]["variants"])
    assert deleted_variant not in {v["uuid"] for v in stored[codes[1]]["variants"]}
    assert "zz_new_boot" in stored
    assert codes[2] not in stored
    record = stack.runtime.state.catalogs.get(stack.tenant, catalog)
    assert record is not None
    assert record.last_outcome == "success"
