"""Full-sync throughput under fair use, without a count: the engine vs the fair-use bound and a sequential baseline.

    python bench/full_sync.py [--quick] [--latency-ms 50] [--products N] [--dates bulk-import|even|both]

100,000 generated products (quick: 10,000) in `akeneo-sync emulator` (its own process), 50 ms
injected latency per PIM call, fair use enforced by the emulator (4 concurrent calls per token,
100 req/s), null target, state in real Redis (DBs 6 and 7). Per date profile (`--dates`, default
both: bulk-import first, the headline, then even), one emulator and three runs, each from empty
state:
- baseline: the sequential single cursor every peer does (page, push, next page; no prefetch);
- the engine as shipped (`AKENEO_SYNC_SYNC_CURSORS=4`) against a PIM that gives no count, as
  Akeneo's does: its count request is sent and its answer's count dropped, so the cursors start
  from the whole past as one window and split busy windows as they page;
- the same engine when the PIM serves counts (the emulator's opt-in): the plan by count, then the
  same splitting.
Besides products/s, each run reports the share of the paging time (first page request to last
answer) during which 4 cursors had a page request under way (timed around the client's calls).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
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

from akeneo_sync.akeneo.client import AkeneoClient
from akeneo_sync.akeneo.types import MappedProduct, Page
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
    full_share: float

    @property
    def rate(self) -> float:
        return self.products / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Timeline:
    """Start and end of every page request the engine made (monotonic seconds)."""

    calls: list[tuple[float, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def share_at(self, cursors: int) -> float:
        """Share of the paging time with at least `cursors` page requests under way."""
        if not self.calls:
            return 0.0
        edges = sorted([(a, 1) for a, _ in self.calls] + [(b, -1) for _, b in self.calls])
        first, last = edges[0][0], edges[-1][0]
        busy, level, since = 0.0, 0, first
        for moment, step in edges:
            if level >= cursors:
                busy += moment - since
            level, since = level + step, moment
        return busy / (last - first) if last > first else 0.0


class Observed:
    """The real client, timing its page requests; `counts=False` drops the count of its answers."""

    def __init__(self, client: AkeneoClient, timeline: Timeline, *, counts: bool) -> None:
        self._client = client
        self._timeline = timeline
        self._counts = counts

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def count_products(self, catalog_id: str, **filters: datetime | None) -> int | None:
        count = self._client.count_products(catalog_id, **filters)  # the request is sent either way
        return count if self._counts else None

    def mapped_products_page(self, catalog_id: str, **kwargs: Any) -> Page[MappedProduct]:
        started = time.monotonic()
        try:
            return self._client.mapped_products_page(catalog_id, **kwargs)
        finally:
            with self._timeline.lock:
                self._timeline.calls.append((started, time.monotonic()))


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
    how = (
        f"min({limits['max_concurrent_per_token']} x {PAGE_SIZE} / {latency:g} s = {by_concurrency:,.0f}, "
        f"{limits['max_requests_per_s']} req/s x {PAGE_SIZE} = {by_rate:,.0f})"
    )
    return min(by_concurrency, by_rate), how


Sync = Callable[[Timeline], tuple[Counters, float]]


def measure(name: str, pim: Any, sync: Sync) -> Run:
    pim.call("POST", "/_emulator/stats/reset")
    timeline = Timeline()
    cpu, emulator_cpu = time.process_time(), cpu_seconds_of(pim.pid)
    counters, seconds = sync(timeline)
    cpu, emulator_cpu = time.process_time() - cpu, cpu_seconds_of(pim.pid) - emulator_cpu
    stats = pim.stats()
    concurrency = max(stats["max_concurrent_per_token"].values(), default=0)
    return Run(
        name,
        counters.upserted + counters.skipped + counters.failed,
        seconds,
        stats["requests"],
        stats["throttled"],
        concurrency,
        load(),
        cpu,
        emulator_cpu,
        timeline.share_at(CURSORS),
    )


def profile(dates: str, products: int, latency_s: float) -> tuple[list[Run], int, float, str]:
    """The three runs on one emulator seeded with the `dates` profile."""
    with emulator_process(products, dates=dates) as pim:
        row(f"emulator startup ({dates} dates, separate process)", f"{pim.startup_s:.1f} s")
        catalog = create_catalog(pim.base_url, pim.admin)
        size = count_products(catalog)
        row("catalog size", f"{size:,} products")
        pim.call("PUT", "/_emulator/faults", json={"latency_s": latency_s})
        pim.call("PUT", "/_emulator/fair-use", json=FAIR_USE)
        bound, how = fair_use_bound(pim.call("GET", "/_emulator/faults"))

        def engine_run(options: EngineOptions, db: int, *, counts: bool) -> Sync:
            def sync(timeline: Timeline) -> tuple[Counters, float]:
                with redis_db(db) as client:
                    state = state_store(client)
                    source = Observed(pim_client(catalog, limiter()), timeline, counts=counts)
                    summary = engine(source, NullTarget(), state, catalog.catalog_id, options).full_sync(
                        catalog.catalog_id
                    )
                    return summary.counters, summary.duration_s

            return sync

        # Counts are the emulator's opt-in (Akeneo ignores `with_count`); an emulator without the
        # switch (404) serves them always. The no-count runs drop them either way (`Observed`).
        switched = pim.admin.put("/_emulator/counts", json={"serve": True})
        if switched.status_code != 404:
            switched.raise_for_status()
        counted = pim_client(catalog, limiter()).count_products(catalog.catalog_id) is not None
        with_count = "planned by count, then split" if counted else "NO COUNT SERVED: same path as above"
        runs = [
            measure(
                "baseline (one cursor, sequential)",
                pim,
                engine_run(EngineOptions(cursors=1, prefetch=False), REDIS_DBS[0], counts=False),
            ),
            measure(
                f"engine, no count ({CURSORS} cursors splitting busy windows)",
                pim,
                engine_run(EngineOptions(cursors=CURSORS), REDIS_DBS[1], counts=False),
            ),
            measure(
                f"engine, with count ({CURSORS} cursors, {with_count})",
                pim,
                engine_run(EngineOptions(cursors=CURSORS, count_plan=True), REDIS_DBS[0], counts=True),
            ),
        ]
    return runs, size, bound, how


def main() -> int:
    quick = quick_mode()
    products = products_arg(10_000 if quick else 100_000)
    latency_s = float(option("--latency-ms", LATENCY_MS)) / 1000
    chosen = option("--dates", "both")
    profiles = ["bulk-import", "even"] if chosen == "both" else [chosen]
    header(f"full-sync throughput, {products:,} products, {latency_s * 1000:.0f} ms latency, fair use enforced", quick)
    incomplete: list[str] = []
    for dates in profiles:
        runs, size, bound, how = profile(dates, products, latency_s)
        baseline = runs[0].rate
        print(f"{dates} dates")
        row("fair-use bound", f"{bound:,.0f} products/s = {how}")
        for run in runs:
            print(f"  {run.name}")
            row("  products/s", f"{run.rate:,.0f} ({run.products:,} in {run.seconds:.1f} s, load {run.load})")
            row("  vs fair-use bound (goal >= 0.85)", f"{run.rate / bound:.2f}")
            row("  vs baseline (goal >= 3x)", ratio(run.rate, baseline))
            row(f"  paging time with {CURSORS} page requests under way (goal >= 0.95)", f"{run.full_share:.2f}")
            row("  PIM requests / 429s / max concurrent", f"{run.requests:,} / {run.throttled} / {run.max_concurrent}")
            row(
                "  CPU s: worker / emulator (of 2 cores x wall)",
                f"{run.worker_cpu_s:.1f} / {run.emulator_cpu_s:.1f} (of {2 * run.seconds:.1f})",
            )
        # More than the catalog is fine: before a PIM's bounds are proven inclusive, neighbouring
        # windows overlap by two seconds and those products are fetched twice (skipped by digest).
        incomplete += [f"{dates}: {run.name}" for run in runs if run.products < size]
    if incomplete:
        print(f"INCOMPLETE: {', '.join(incomplete)} did not see every product")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
