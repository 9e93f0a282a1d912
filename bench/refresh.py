"""A refresh of a large catalog: only what changed is pushed, only what left is deleted, at the full sync's pace.

    python bench/refresh.py [--quick] [--latency-ms 50] [--products N]

100,000 generated products (quick: 10,000) with bulk-import `updated` dates in `akeneo-sync
emulator` (its own process), 50 ms injected latency per PIM call, fair use enforced by the
emulator (4 concurrent calls per token, 100 req/s), the engine as a worker runs it (4 cursors),
state in real Redis (DB 6), a counting target. First a full sync from empty state (the baseline,
measured in the same run); then 1 % of the products are edited and 0.5 % deleted in the PIM, and a
refresh (a full run over the now-known catalog) is timed. The refresh must push exactly the edited
products, delete exactly the deleted ones, and page at the full sync's speed.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from _common import (
    FAIR_USE,
    REDIS_DBS,
    create_catalog,
    emulator_process,
    engine,
    header,
    load,
    option,
    pim_client,
    products_arg,
    quick_mode,
    redis_db,
    row,
    shipped_options,
    state_store,
)

from akeneo_sync.akeneo.types import MappedProduct
from akeneo_sync.sync.summary import RunSummary
from akeneo_sync.targets.base import BatchContext, BatchResult, ModelBatchResult

LATENCY_MS = "50"
EDITED_SHARE = 0.01
DELETED_SHARE = 0.005


@dataclass
class CountingTarget:
    """A target that keeps nothing but counts what it is sent (the null target does not count)."""

    kind: str = "counting"
    upserted: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)

    def apply(self, batch: BatchContext, upserts: Sequence[MappedProduct], deletes: Sequence[str]) -> BatchResult:
        self.upserted.update(str(product["uuid"]) for product in upserts)
        self.deleted.update(deletes)
        return BatchResult()

    def apply_models(
        self,
        batch: BatchContext,
        models: Sequence[Any],
        model_deletes: Sequence[str] = (),
        variant_deletes: Sequence[str] = (),
    ) -> ModelBatchResult:
        return ModelBatchResult()  # a catalog of simple products: never called

    def close(self) -> None:
        return None


def report(name: str, summary: RunSummary, requests: int) -> None:
    seen = summary.counters.upserted + summary.counters.skipped + summary.counters.failed
    print(f"  {name}")
    row(
        "  products read / s",
        f"{seen / summary.duration_s:,.0f} ({seen:,} in {summary.duration_s:.1f} s, load {load()})",
    )
    row(
        "  pushed / skipped by digest / deleted",
        f"{summary.counters.upserted:,} / {summary.counters.skipped:,} / {summary.counters.deleted:,}",
    )
    row("  PIM requests", f"{requests:,}")


def main() -> int:
    quick = quick_mode()
    products = products_arg(10_000 if quick else 100_000)
    latency_s = float(option("--latency-ms", LATENCY_MS)) / 1000
    header(f"refresh of a known catalog, {products:,} products, {latency_s * 1000:.0f} ms latency, fair use", quick)
    with emulator_process(products, dates="bulk-import") as pim, redis_db(REDIS_DBS[0]) as client:
        catalog = create_catalog(pim.base_url, pim.admin)
        state = state_store(client)
        uuids = sorted(pim.call("GET", f"/_emulator/catalogs/{catalog.catalog_id}/expected?mapped=false")["uuids"])
        row("catalog size", f"{len(uuids):,} products")
        pim.call("PUT", "/_emulator/faults", json={"latency_s": latency_s})
        pim.call("PUT", "/_emulator/fair-use", json=FAIR_USE)

        first = CountingTarget()
        pim.call("POST", "/_emulator/stats/reset")
        full = engine(pim_client(catalog), first, state, catalog.catalog_id, shipped_options())
        baseline = full.full_sync(catalog.catalog_id)
        report("full sync from empty state (the baseline)", baseline, pim.stats()["requests"])

        # Every 100th product edited, every 200th (offset) deleted: spread over the UUID space.
        edited = uuids[:: int(1 / EDITED_SHARE)]
        deleted = uuids[3 :: int(1 / DELETED_SHARE)]
        pim.call("PUT", "/_emulator/faults", json={"latency_s": 0.0})
        for number, uuid in enumerate(edited):
            pim.call("PATCH", f"/_emulator/products/{uuid}", json={"values": {"name": f"Edited {number}"}})
        for uuid in deleted:
            pim.call("DELETE", f"/_emulator/products/{uuid}")
        pim.call("PUT", "/_emulator/faults", json={"latency_s": latency_s})
        changed, gone = set(edited) - set(deleted), set(deleted)

        second = CountingTarget()
        pim.call("POST", "/_emulator/stats/reset")
        refresh = engine(pim_client(catalog), second, state, catalog.catalog_id, shipped_options())
        summary = refresh.full_sync(catalog.catalog_id)
        report(f"refresh after {len(changed):,} edits and {len(gone):,} deletes", summary, pim.stats()["requests"])

    base_rate = (baseline.counters.upserted + baseline.counters.skipped) / baseline.duration_s
    rate = (summary.counters.upserted + summary.counters.skipped) / summary.duration_s
    row("refresh paging speed vs the full sync's (goal ~1.0)", f"{rate / base_rate:.2f}")
    exact_push = second.upserted == changed
    exact_delete = second.deleted == gone
    row(
        "pushed exactly the edited products",
        "yes"
        if exact_push
        else f"NO: {len(second.upserted - changed)} extra, {len(changed - second.upserted)} missing",
    )
    row(
        "deleted exactly the deleted products",
        "yes" if exact_delete else f"NO: {len(second.deleted - gone)} extra, {len(gone - second.deleted)} missing",
    )
    return 0 if exact_push and exact_delete else 1


if __name__ == "__main__":
    sys.exit(main())
