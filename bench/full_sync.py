"""Full-sync throughput under fair use: the engine vs the fair-use bound and a sequential baseline.

    python bench/full_sync.py [--quick] [--latency-ms 50] [--products N]

100,000 products (quick: 10,000) in `akeneo-sync emulator` (its own process), 50 ms injected
latency per PIM call, fair use enforced by the emulator (4 concurrent calls per token, 100 req/s),
null target, state in real Redis (DBs 6 and 7). Three runs, each from empty state:
- baseline: the sequential single cursor every peer does (page, push, next page; no prefetch);
- one cursor, one page fetched ahead (`AKENEO_SYNC_SYNC_CURSORS=1` with prefetch: the engine
  before windows);
- the engine as shipped (`AKENEO_SYNC_SYNC_CURSORS=4`: four cursors over `updated` windows
  planned by count, through the worker's fair-use limiter).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from _common import (
    FAIR_USE,
    REDIS_DBS,
    Catalog,
    cpu_seconds_of,
    create_catalog,
    emulator_process,
    engine,
    header,
    limiter,
    load,
    option,
    pim_client,
    products_arg,
    quick_mode,
    ratio,
    redis_db,
    row,
    state_store,
)

from akeneo_sync.settings import Settings
from akeneo_sync.state import Counters
from akeneo_sync.sync.engine import EngineOptions
from akeneo_sync.targets.null import NullTarget

LATENCY_MS = "50"
PAGE_SIZE = 100
CURSORS = Settings().sync_cursors


@dataclass(frozen=True, slots=True)
class Run:
    name: str
    products: int
    seconds: float
    requests: int
    throttled: int
    max_concurrent: int
    load: str
    worker_cpu_s: float
    emulator_cpu_s: float

    @property
    def rate(self) -> float:
        return self.products / self.seconds if self.seconds > 0 else 0.0


def count_products(catalog: Catalog) -> int:
    """The catalog's size, by paging its product UUIDs (before latency is injected)."""
    headers = {"Authorization": f"Bearer {catalog.token}"}
    total = 0
    url: str | None = f"{catalog.base_url}/api/rest/v1/catalogs/{catalog.catalog_id}/product-uuids?limit=1000"
    with httpx.Client(headers=headers, timeout=60) as api:
        while url:
            body: dict[str, Any] = api.get(url).raise_for_status().json()
            total += len(body["_embedded"]["items"])
            url = body["_links"].get("next", {}).get("href")
    return total


def fair_use_bound(faults: dict[str, Any]) -> tuple[float, str]:
    """Products/s the emulator's fair-use settings allow: in-flight pages x page size / latency, capped by req/s."""
    limits = faults["fair_use"]
    latency = float(faults["random"]["latency_s"])
    by_concurrency = limits["max_concurrent_per_token"] * PAGE_SIZE / latency
    by_rate = limits["max_requests_per_s"] * PAGE_SIZE
    how = (f"min({limits['max_concurrent_per_token']} x {PAGE_SIZE} / {latency:g} s = {by_concurrency:,.0f}, "
           f"{limits['max_requests_per_s']} req/s x {PAGE_SIZE} = {by_rate:,.0f})")
    return min(by_concurrency, by_rate), how


def measure(name: str, pim: Any, sync: Callable[[], tuple[Counters, float]]) -> Run:
    pim.call("POST", "/_emulator/stats/reset")
    cpu, emulator_cpu = time.process_time(), cpu_seconds_of(pim.pid)
    counters, seconds = sync()
    cpu, emulator_cpu = time.process_time() - cpu, cpu_seconds_of(pim.pid) - emulator_cpu
    stats = pim.stats()
    concurrency = max(stats["max_concurrent_per_token"].values(), default=0)
    return Run(name, counters.upserted + counters.skipped + counters.failed, seconds, stats["requests"],
               stats["throttled"], concurrency, load(), cpu, emulator_cpu)


def main() -> int:
    quick = quick_mode()
    products = products_arg(10_000 if quick else 100_000)
    latency_s = float(option("--latency-ms", LATENCY_MS)) / 1000
    header(f"full-sync throughput, {products:,} products, {latency_s * 1000:.0f} ms latency, fair use enforced",
           quick)
    with emulator_process(products) as pim:
        row("emulator startup (separate process)", f"{pim.startup_s:.1f} s")
        catalog = create_catalog(pim.base_url, pim.admin)
        size = count_products(catalog)
        row("catalog size", f"{size:,} products")
        pim.call("PUT", "/_emulator/faults", json={"latency_s": latency_s})
        pim.call("PUT", "/_emulator/fair-use", json=FAIR_USE)
        bound, how = fair_use_bound(pim.call("GET", "/_emulator/faults"))

        def engine_run(options: EngineOptions, db: int) -> Callable[[], tuple[Counters, float]]:
            def sync() -> tuple[Counters, float]:
                with redis_db(db) as client:
                    state = state_store(client)
                    summary = engine(pim_client(catalog, limiter()), NullTarget(), state, catalog.catalog_id,
                                     options).full_sync(catalog.catalog_id)
                    return summary.counters, summary.duration_s
            return sync

        runs = [
            measure("baseline (one cursor, sequential)", pim,
                    engine_run(EngineOptions(cursors=1, prefetch=False), REDIS_DBS[0])),
            measure("one cursor, one page fetched ahead", pim,
                    engine_run(EngineOptions(cursors=1, prefetch=True), REDIS_DBS[1])),
            measure(f"engine as shipped ({CURSORS} cursors over updated windows)", pim,
                    engine_run(EngineOptions(cursors=CURSORS), REDIS_DBS[0])),
        ]
    baseline = runs[0].rate
    row("fair-use bound", f"{bound:,.0f} products/s = {how}")
    for run in runs:
        print(f"  {run.name}")
        row("  products/s", f"{run.rate:,.0f} ({run.products:,} in {run.seconds:.1f} s, load {run.load})")
        row("  vs fair-use bound (goal >= 0.85)", f"{run.rate / bound:.2f}")
        row("  vs baseline (goal >= 3x)", ratio(run.rate, baseline))
        row("  PIM requests / 429s / max concurrent", f"{run.requests:,} / {run.throttled} / {run.max_concurrent}")
        row("  CPU s: worker / emulator (of 2 cores x wall)",
            f"{run.worker_cpu_s:.1f} / {run.emulator_cpu_s:.1f} (of {2 * run.seconds:.1f})")
    incomplete = [run.name for run in runs if run.products != size]
    if incomplete:
        print(f"INCOMPLETE: {', '.join(incomplete)} did not see all {size:,} products")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
