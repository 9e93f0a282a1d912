"""Changes no `updated` date shows reach the target: the drift probe, the poll and the refresh.

The refresh interval is a day, so only detection can pass: a remap, a selection change and a
catalog-field change each reach the target within three incremental runs of a 1,000-product
catalog, pushing only what changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from worker_stack import Stack, running_stack

pytestmark = pytest.mark.integration

PRODUCTS = 1000


@pytest.fixture
def stack(redis_client: redis.Redis, tmp_path: Path) -> Iterator[Stack]:
    # No overlap: a product saved before the full sync is outside every later incremental window,
    # so only the probe can bring it.
    with running_stack(
        redis_client, tmp_path, products=PRODUCTS, refresh_interval_s=86400, watermark_overlap_s=0
    ) as running:
        yield running


def enable(stack: Stack, selection: dict[str, Any] | None = None) -> str:
    catalog = stack.activate_and_enable(selection)
    assert stack.target.products(stack.tenant, catalog) == stack.expected(catalog)
    return catalog


def incremental_runs_until_equal(stack: Stack, catalog: str, *, most: int = 3) -> int:
    """Run incremental syncs until the target equals the catalog; how many it took."""
    for run in range(1, most + 1):
        stack.actors().sync_catalog.send(stack.tenant, catalog, "incremental")
        stack.worker.drain()
        if stack.target.products(stack.tenant, catalog) == stack.expected(catalog):
            return run
    raise AssertionError(f"the target still differs from the catalog after {most} incremental runs")


def upserted_by_last_run(stack: Stack, catalog: str) -> int:
    record = stack.runtime.state.catalogs.get(stack.tenant, catalog)
    assert record is not None
    return record.counts["upserted"]


def endpoint_requests(stack: Stack) -> dict[str, int]:
    by_endpoint: dict[str, int] = stack.admin("GET", "/_emulator/stats")["by_endpoint"]
    return {route.rsplit("/", 1)[-1]: count for route, count in by_endpoint.items()}


def test_a_probe_on_an_unchanged_catalog_costs_two_requests_and_pushes_nothing(stack: Stack) -> None:
    catalog = enable(stack)
    before = stack.target.products(stack.tenant, catalog)
    stack.admin("POST", "/_emulator/stats/reset")

    stack.actors().sync_catalog.send(stack.tenant, catalog, "incremental")
    stack.worker.drain()

    requests = endpoint_requests(stack)
    # The incremental run's own page, plus the probe's product-uuids and mapped-products pages.
    assert requests.get("product-uuids", 0) == 1, requests
    assert requests.get("mapped-products", 0) == 2, requests
    assert sum(requests.values()) == 3, requests
    assert upserted_by_last_run(stack, catalog) == 0
    assert stack.target.products(stack.tenant, catalog) == before


def test_a_remap_reaches_the_target_and_pushes_only_what_it_changed(stack: Stack) -> None:
    catalog = enable(stack)
    before = stack.target.products(stack.tenant, catalog)
    mapping = stack.admin("POST", f"/_emulator/catalogs/{catalog}/product-mapping/by-name")["product_mapping"]
    # The PIM user maps the storefront's description to the product name instead.
    stack.admin("PUT", f"/_emulator/catalogs/{catalog}/product-mapping", json={**mapping, "description": "name"})
    expected = stack.expected(catalog)
    changed = {u for u, product in expected.items() if before.get(u) != product}
    assert 0 < len(changed) <= len(expected)

    runs = incremental_runs_until_equal(stack, catalog)

    assert runs == 1
    # The refresh that followed the probe pushed the remapped products and nothing else.
    assert upserted_by_last_run(stack, catalog) == len(changed)


def test_a_selection_change_of_twenty_in_and_twenty_out_reaches_the_target(stack: Stack) -> None:
    # Every generated product is in `master`; these 40 are only in a promotion category each.
    outgoing = [new_product(stack, f"out-{i}", "outlet") for i in range(20)]
    incoming = [new_product(stack, f"in-{i}", "sale") for i in range(20)]
    catalog = enable(stack, {"categories": ["master", "outlet"]})
    assert set(outgoing) <= set(stack.target.products(stack.tenant, catalog))

    # The merchant swaps the two categories in the catalog's selection: no product's `updated` moves.
    stack.admin("PUT", f"/_emulator/catalogs/{catalog}/selection", json={"categories": ["master", "sale"]})
    runs = incremental_runs_until_equal(stack, catalog)

    after = stack.target.products(stack.tenant, catalog)
    assert runs <= 3
    assert set(incoming) <= set(after)
    assert not set(outgoing) & set(after)
    assert upserted_by_last_run(stack, catalog) == len(incoming)


def new_product(stack: Stack, sku: str, category: str) -> str:
    body = {"categories": [category], "values": {"sku": sku, "name": f"Product {sku}"}}
    uuid: str = stack.admin("POST", "/_emulator/products", json=body)["uuid"]
    return uuid


def test_a_change_of_managed_currencies_reaches_the_target_at_the_next_poll(stack: Stack) -> None:
    catalog = enable(stack)
    before = stack.target.products(stack.tenant, catalog)
    headers = {"Authorization": f"Bearer {stack.token}"}
    url = f"{stack.pim.base_url}/api/rest/v1/catalogs/{catalog}"
    current = httpx.get(url, headers=headers).json()
    currencies = ["USD"] if current["managed_currencies"] != ["USD"] else ["EUR"]
    httpx.patch(
        url, headers=headers, json={"name": current["name"], "managed_currencies": currencies}
    ).raise_for_status()
    expected = stack.expected(catalog)
    changed = {u for u, product in expected.items() if before.get(u) != product}
    assert changed, "the currency must shape the mapped prices"

    stack.actors().poll_catalogs.send(stack.tenant)
    stack.worker.drain()

    assert stack.target.products(stack.tenant, catalog) == expected
    assert upserted_by_last_run(stack, catalog) == len(changed)


def test_a_refresh_on_demand_reads_the_whole_catalog_and_pushes_nothing_unchanged(stack: Stack) -> None:
    catalog = enable(stack)
    stack.admin("POST", "/_emulator/stats/reset")

    stack.actors().sync_catalog.send(stack.tenant, catalog, "refresh")
    stack.worker.drain()

    record = stack.runtime.state.catalogs.get(stack.tenant, catalog)
    assert record is not None
    assert record.last_outcome == "success"
    assert record.counts["upserted"] == 0
    assert record.counts["skipped"] == len(stack.expected(catalog))
    assert endpoint_requests(stack).get("mapped-products", 0) >= len(stack.expected(catalog)) // 100
