"""Incremental cost: 0.1 % of a large catalog changed, an incremental sync against a full one.

    python bench/incremental.py [--quick] [--latency-ms MS]

1,000,000 products (quick: 20,000) in `akeneo-sync emulator` (its own process), fair use
enforced, null target, state in Redis. A full sync runs first (and sets the watermark); then
0.1 % of the catalog's products are changed through the admin API (`PATCH`, which bumps their
`updated` date) and an incremental sync runs. Both are measured the same way: PIM requests
counted by the emulator (`/_emulator/stats`), and wall time. No latency is injected by default
(a 1M full sync at 50 ms per call would take a quarter of an hour on this machine); the request
counts do not depend on it, and `--latency-ms 50` measures the wall times under it.
"""

from __future__ import annotations

import random
import sys
from typing import Any

import httpx
from _common import (
    FAIR_USE,
    REDIS_DBS,
    Catalog,
    EmulatorProcess,
    create_catalog,
    emulator_process,
    engine,
    header,
    load,
    option,
    pim_client,
    products_arg,
    quick_mode,
    ratio,
    redis_db,
    row,
    shipped_options,
    state_store,
)

from akeneo_sync.sync.summary import RunSummary
from akeneo_sync.targets.null import NullTarget

CHANGED = 0.001


def all_uuids(catalog: Catalog) -> list[str]:
    headers = {"Authorization": f"Bearer {catalog.token}"}
    uuids: list[str] = []
    url: str | None = f"{catalog.base_url}/api/rest/v1/catalogs/{catalog.catalog_id}/product-uuids?limit=1000"
    with httpx.Client(headers=headers, timeout=60) as api:
        while url:
            body: dict[str, Any] = api.get(url).raise_for_status().json()
            uuids += body["_embedded"]["items"]
            url = body["_links"].get("next", {}).get("href")
    return uuids


def requests_during(pim: EmulatorProcess, run: Any) -> tuple[RunSummary, dict[str, Any]]:
    pim.call("POST", "/_emulator/stats/reset")
    summary: RunSummary = run()
    return summary, pim.stats()


def main() -> int:
    quick = quick_mode()
    products = products_arg(20_000 if quick else 1_000_000)
    latency_ms = float(option("--latency-ms", "0"))
    header(f"incremental cost, {products:,} products, {CHANGED:.1%} changed, {latency_ms:g} ms latency", quick)
    with emulator_process(products) as pim, redis_db(REDIS_DBS[1]) as client:
        row("emulator startup (separate process)", f"{pim.startup_s:.1f} s")
        catalog = create_catalog(pim.base_url, pim.admin)
        # Listed before fair use is enforced: the bench's own paging is not what is measured.
        uuids = all_uuids(catalog)
        pim.call("PUT", "/_emulator/fair-use", json=FAIR_USE)
        pim.call("PUT", "/_emulator/faults", json={"latency_s": latency_ms / 1000})
        sync = engine(pim_client(catalog), NullTarget(), state_store(client), catalog.catalog_id, shipped_options())
        full, full_stats = requests_during(pim, lambda: sync.full_sync(catalog.catalog_id))
        full_load = load()
        changed = random.Random(7).sample(  # noqa: S311 -- a reproducible choice, not a secret
            uuids, max(1, round(len(uuids) * CHANGED))
        )
        for uuid in changed:
            pim.call("PATCH", f"/_emulator/products/{uuid}", json={"values": {"name": f"Changed {uuid[:8]}"}})
        incremental, incr_stats = requests_during(pim, lambda: sync.incremental_sync(catalog.catalog_id))
    row(
        "full sync",
        f"{full_stats['requests']:,} requests, {full.duration_s:.1f} s, "
        f"{full.counters.upserted:,} upserted (load {full_load})",
    )
    row(
        "incremental sync",
        f"{incr_stats['requests']:,} requests, {incremental.duration_s:.2f} s, "
        f"{incremental.counters.upserted:,} upserted, {incremental.counters.skipped:,} skipped (load {load()})",
    )
    row("products changed in the PIM", f"{len(changed):,} of {len(uuids):,}")
    row(
        "requests: incremental / full",
        f"{incr_stats['requests'] / max(full_stats['requests'], 1):.4f} "
        f"({ratio(full_stats['requests'], incr_stats['requests'])} fewer)",
    )
    row(
        "wall time: incremental / full",
        f"{incremental.duration_s / full.duration_s:.4f} ({ratio(full.duration_s, incremental.duration_s)} faster)",
    )
    if full.counters.upserted != len(uuids) or incremental.counters.upserted < len(changed):
        print("INCOMPLETE: the full sync missed products or the incremental one missed changes")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
