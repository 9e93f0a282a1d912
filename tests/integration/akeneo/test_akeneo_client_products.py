"""The client against the emulator: product pages match the emulator's ground truth exactly."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from akeneo_sync.akeneo.auth import AppTokenProvider
from akeneo_sync.akeneo.client import AkeneoClient
from akeneo_sync.akeneo.http import build_http_client
from akeneo_sync.akeneo.ratelimit import FairUsePolicy, InProcessFairUseLimiter
from akeneo_sync.clock import ManualClock
from akeneo_sync.emulator.config import EmulatorConfig
from akeneo_sync.emulator.testing import EmulatorHandle, running_emulator
from akeneo_sync.errors import CatalogDisabledError, CatalogNotFoundError, PimValidationError, ScopeError
from helpers import every_item

pytestmark = pytest.mark.integration

ClientFactory = Any  # conftest.make_client


def expected(pim: EmulatorHandle, catalog_id: str) -> dict[str, Any]:
    found: dict[str, Any] = pim.admin.get(f"/_emulator/catalogs/{catalog_id}/expected").json()
    return found


def test_every_product_uuid_comes_back_once_in_order_across_pages(
    client: AkeneoClient, pim: EmulatorHandle, enabled_catalog: str
) -> None:
    truth = expected(pim, enabled_catalog)["uuids"]
    assert len(truth) > 2_500
    uuids = every_item(lambda url: client.product_uuids_page(enabled_catalog, next_url=url, limit=1000))
    assert uuids == truth


def test_every_mapped_product_matches_the_ground_truth(
    client: AkeneoClient, pim: EmulatorHandle, enabled_catalog: str
) -> None:
    truth = expected(pim, enabled_catalog)["mapped_products"]
    mapped = every_item(lambda url: client.mapped_products_page(enabled_catalog, next_url=url, limit=100))
    assert len(mapped) == len(truth) > 2_500
    assert {product["uuid"]: product for product in mapped} == truth


def test_pages_can_be_resumed_from_a_saved_next_url(client: AkeneoClient, enabled_catalog: str) -> None:
    first = client.mapped_products_page(enabled_catalog, limit=10)
    assert first.next_url is not None
    resumed = client.mapped_products_page(enabled_catalog, next_url=first.next_url)
    again = client.mapped_products_page(enabled_catalog, next_url=first.next_url)
    assert resumed.items == again.items
    assert len(resumed.items) == 10
    assert resumed.items[0]["uuid"] > first.items[-1]["uuid"]


def test_updated_after_selects_only_recent_products(
    client: AkeneoClient, pim: EmulatorHandle, enabled_catalog: str
) -> None:
    every = every_item(lambda url: client.product_uuids_page(enabled_catalog, next_url=url))
    cutoff = datetime.fromtimestamp(pim.emulator.config.clock.now() - 30 * 86_400, tz=UTC)
    recent = every_item(lambda url: client.product_uuids_page(enabled_catalog, next_url=url, updated_after=cutoff))
    assert 0 < len(recent) < len(every)
    changed = every[0]
    pim.admin.patch(f"/_emulator/products/{changed}", json={"values": {"name": "Renamed"}}).raise_for_status()
    after_change = every_item(
        lambda url: client.product_uuids_page(enabled_catalog, next_url=url, updated_after=cutoff)
    )
    assert changed in after_change
    assert set(recent) <= set(after_change)


def test_a_single_mapped_product_reads_back_and_a_removed_one_is_none(
    client: AkeneoClient, pim: EmulatorHandle, enabled_catalog: str
) -> None:
    truth = expected(pim, enabled_catalog)["mapped_products"]
    uuid = next(iter(truth))
    assert client.get_mapped_product(enabled_catalog, uuid) == truth[uuid]
    pim.admin.delete(f"/_emulator/products/{uuid}").raise_for_status()
    assert client.get_mapped_product(enabled_catalog, uuid) is None


def test_standard_products_page_carries_values(client: AkeneoClient, enabled_catalog: str) -> None:
    page = client.products_page(enabled_catalog, limit=5)
    assert len(page.items) == 5
    assert all("values" in item and "uuid" in item for item in page.items)


@pytest.mark.parametrize("read", ["uuids", "mapped", "products", "single"])
def test_a_disabled_catalog_answers_200_with_an_error_and_raises_catalog_disabled(
    client: AkeneoClient, pim: EmulatorHandle, enabled_catalog: str, read: str
) -> None:
    uuid = client.product_uuids_page(enabled_catalog, limit=1).items[0]
    pim.admin.post(f"/_emulator/catalogs/{enabled_catalog}/disable").raise_for_status()
    calls = {
        "uuids": lambda: client.product_uuids_page(enabled_catalog),
        "mapped": lambda: client.mapped_products_page(enabled_catalog),
        "products": lambda: client.products_page(enabled_catalog),
        "single": lambda: client.get_mapped_product(enabled_catalog, uuid),
    }
    with pytest.raises(CatalogDisabledError) as caught:
        calls[read]()
    assert caught.value.status == 200
    assert caught.value.catalog == enabled_catalog
    assert pim.admin.get("/_emulator/stats").json()["by_status"].get("200", 0) >= 1
    assert client.get_catalog(enabled_catalog).enabled is False


def test_an_unknown_catalog_on_a_product_endpoint_is_not_found(client: AkeneoClient) -> None:
    with pytest.raises(CatalogNotFoundError) as caught:
        client.product_uuids_page("1f6e2d3c-0000-4000-8000-000000000000")
    assert caught.value.status == 404


def test_a_limit_above_the_documented_maximum_is_a_validation_error(
    client: AkeneoClient, pim: EmulatorHandle, enabled_catalog: str
) -> None:
    pim.admin.post("/_emulator/stats/reset").raise_for_status()
    with pytest.raises(PimValidationError) as caught:
        client.mapped_products_page(enabled_catalog, limit=101)
    assert caught.value.status == 422
    assert caught.value.errors
    assert pim.admin.get("/_emulator/stats").json()["requests"] == 1


def test_reading_products_without_the_read_products_scope_is_a_scope_error(
    make_client: ClientFactory, enabled_catalog: str
) -> None:
    client = make_client(scopes=["read_catalogs"])
    with pytest.raises(ScopeError) as caught:
        client.product_uuids_page(enabled_catalog)
    assert caught.value.status == 403


def test_path_only_links_of_a_pim_version_are_followed_on_the_pim(pim_clock: ManualClock) -> None:
    # One Akeneo version built product-uuids links without scheme and host (GetProductUuidsAction @18697e37).
    with (
        running_emulator(config=EmulatorConfig(products=120, seed=5, path_only_uuid_links=True)) as pim,
        build_http_client() as http,
    ):
        token = pim.admin.post("/_emulator/tokens", json={"client_id": "a"}).json()["access_token"]
        limiter = InProcessFairUseLimiter(policy=FairUsePolicy(max_per_s=1e6, burst=1000), clock=pim_clock)
        client = AkeneoClient(
            pim.base_url,
            http=http,
            tokens=AppTokenProvider(token),
            limiter=limiter,
            clock=pim_clock,
            rng=random.Random(1),
            tenant="t",
        )
        catalog = client.create_catalog("Path-only links")
        pim.admin.post(f"/_emulator/catalogs/{catalog.id}/enable").raise_for_status()
        first = client.product_uuids_page(catalog.id, limit=10)

        uuids = every_item(lambda url: client.product_uuids_page(catalog.id, next_url=url, limit=10))

        assert first.next_url is not None
        assert first.next_url.startswith(f"{pim.base_url}/api/rest/v1/catalogs/{catalog.id}/product-uuids?")
        assert uuids == pim.admin.get(f"/_emulator/catalogs/{catalog.id}/expected").json()["uuids"]
