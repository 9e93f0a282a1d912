"""Worker CPU per product: parse, validate, digest, push to a null target, record in Redis.

    python bench/cpu_per_product.py [--quick]

The catalog's pages are first recorded from the bundled emulator (in-process, no latency); the
emulator is then stopped and the production `AkeneoClient` is served those recorded bytes by an
`httpx.MockTransport`, so the measured CPU is ours alone: HTTP response handling, JSON parsing,
pydantic page validation, product validation, digests, the null target and the Redis client side
of the per-page transaction (the Redis server runs in its own process and is not counted).
CPU = `time.process_time()` of this process (every thread) over the run.
"""

from __future__ import annotations

import json
import sys
import time
from urllib.parse import parse_qs, urlsplit

import httpx
from _common import (
    REDIS_DBS,
    Catalog,
    create_catalog,
    engine,
    header,
    pim_client,
    products_arg,
    quick_mode,
    redis_db,
    row,
    state_store,
)

from akeneo_sync.emulator.testing import running_emulator
from akeneo_sync.targets.null import NullTarget

GOAL_US = 40.0
PAGE_SIZE = 100


def record_pages(catalog: Catalog) -> dict[str | None, bytes]:
    """Every mapped-products page of the catalog, raw, keyed by its `search_after` (None: first)."""
    pages: dict[str | None, bytes] = {}
    headers = {"Authorization": f"Bearer {catalog.token}"}
    url: str | None = (f"{catalog.base_url}/api/rest/v1/catalogs/{catalog.catalog_id}/mapped-products"
                       f"?limit={PAGE_SIZE}")
    with httpx.Client(headers=headers, timeout=60) as api:
        while url:
            response = api.get(url).raise_for_status()
            pages[_search_after(url)] = response.content
            url = response.json()["_links"].get("next", {}).get("href")
    return pages


def _search_after(url: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get("search_after")
    return values[0] if values else None


def replay_transport(pages: dict[str | None, bytes]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        body = pages[_search_after(str(request.url))]
        return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})

    return httpx.MockTransport(handler)


def main() -> int:
    quick = quick_mode()
    products = products_arg(10_000 if quick else 100_000)
    header(f"CPU per product, {products:,} generated products, no latency", quick)
    with running_emulator(products=products, seed=11) as pim:
        catalog = create_catalog(pim.base_url, pim.admin)
        pages = record_pages(catalog)
    size = sum(len(json.loads(body)["_embedded"]["items"]) for body in pages.values())
    row("recorded", f"{len(pages):,} pages, {size:,} products, {sum(map(len, pages.values())) / 1e6:.1f} MB")

    # Parse only: the production client fetching every page from the recorded bytes.
    client = pim_client(catalog, transport=replay_transport(pages))
    cpu0, wall0 = time.process_time(), time.perf_counter()
    url: str | None = None
    parsed = 0
    while True:
        page = client.mapped_products_page(catalog.catalog_id, next_url=url, limit=PAGE_SIZE)
        parsed += len(page.items)
        url = page.next_url
        if url is None:
            break
    parse_cpu = time.process_time() - cpu0
    parse_wall = time.perf_counter() - wall0

    with redis_db(REDIS_DBS[0]) as redis_client:
        state = state_store(redis_client)
        sync = engine(pim_client(catalog, transport=replay_transport(pages)), NullTarget(), state, catalog.catalog_id)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        first = sync.full_sync(catalog.catalog_id)
        full_cpu, full_wall = time.process_time() - cpu0, time.perf_counter() - wall0
        # Again, nothing changed: every product is parsed, validated, digested and skipped.
        cpu0 = time.process_time()
        second = sync.full_sync(catalog.catalog_id)
        skip_cpu = time.process_time() - cpu0

    done = first.counters.upserted
    per = full_cpu / done * 1e6 if done else float("inf")
    row("parse only (client: HTTP + JSON + pydantic)", f"{parse_cpu / parsed * 1e6:.1f} us/product "
        f"({parse_wall:.1f} s wall)")
    row("full sync (parse+validate+digest+push+Redis)", f"{per:.1f} us/product ({done:,} upserted, "
        f"{full_wall:.1f} s wall, {done / full_wall:,.0f} products/s)")
    row("  of which validate+digest+push+Redis", f"{per - parse_cpu / parsed * 1e6:.1f} us/product")
    row("re-sync, all unchanged (skipped by digest)", f"{skip_cpu / max(second.counters.skipped, 1) * 1e6:.1f} "
        f"us/product ({second.counters.skipped:,} skipped)")
    row("goal", f"<= {GOAL_US:.0f} us/product: {'met' if per <= GOAL_US else 'missed'} ({per / GOAL_US:.2f}x goal)")
    if done != size or second.counters.skipped != size:
        print(f"INCOMPLETE: upserted {done:,}, skipped {second.counters.skipped:,} of {size:,}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
