"""Peak RSS of a worker process doing a full sync + reconcile, at a small and a large catalog.

    python bench/memory.py [--quick]

For each size (10,000 and 1,000,000 products; quick: 10,000 and 50,000) the emulator runs in
its own process (no latency, fair use enforced), and `_memory_worker.py` runs the engine's full
sync then reconcile into a null target with state in Redis, in a fresh process. The figure is
the growth of the worker's peak RSS from the small to the large catalog (goal <= 30 MB): it must
not grow with the catalog, since pages are streamed and the sets live in Redis.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from _common import (
    FAIR_USE,
    REDIS_DBS,
    create_catalog,
    emulator_process,
    header,
    load,
    quick_mode,
    redis_db,
    row,
    rss_of,
)

GOAL_MB = 30.0
MB = 1024 * 1024


def measure(products: int) -> dict[str, Any]:
    """One emulator process and one worker process for a catalog of `products`."""
    with emulator_process(products) as pim:
        catalog = create_catalog(pim.base_url, pim.admin)
        pim.call("PUT", "/_emulator/fair-use", json=FAIR_USE)
        with redis_db(REDIS_DBS[0]):
            worker = subprocess.run(  # noqa: S603 -- our own interpreter and script
                [
                    sys.executable,
                    str(Path(__file__).with_name("_memory_worker.py")),
                    catalog.base_url,
                    catalog.token,
                    catalog.catalog_id,
                    str(REDIS_DBS[0]),
                ],
                capture_output=True,
                check=False,
                text=True,
            )
        emulator_rss = rss_of(pim.pid)
        if worker.returncode != 0:
            raise RuntimeError(f"worker failed: {worker.stderr[-3000:]}")
        result: dict[str, Any] = json.loads(worker.stdout.strip().splitlines()[-1])
        result.update(emulator_startup_s=pim.startup_s, emulator_rss=emulator_rss, load=load())
        return result


def main() -> int:
    quick = quick_mode()
    sizes = (10_000, 50_000) if quick else (10_000, 1_000_000)
    header(f"worker peak RSS, full sync + reconcile at {sizes[0]:,} and {sizes[1]:,} products", quick)
    results = [measure(size) for size in sizes]
    for size, result in zip(sizes, results, strict=True):
        print(f"  {size:,}-product emulator ({result['products']:,} in the catalog)")
        row(
            "  worker peak RSS",
            f"{result['peak_rss'] / MB:.1f} MB (ready before the first page: {result['ready_rss'] / MB:.1f} MB)",
        )
        row(
            "  full sync + reconcile",
            f"{result['full_s']:.1f} s + {result['reconcile_s']:.1f} s "
            f"({result['products'] / result['full_s']:,.0f} products/s, load {result['load']})",
        )
        row("  emulator: startup / RSS", f"{result['emulator_startup_s']:.1f} s / {result['emulator_rss'] / MB:.0f} MB")
    growth = (results[1]["peak_rss"] - results[0]["peak_rss"]) / MB
    row(
        "peak RSS growth (goal <= 30 MB)",
        f"{growth:+.1f} MB for {sizes[1] // sizes[0]}x the products: {'met' if growth <= GOAL_MB else 'missed'}",
    )
    if any(result["products"] == 0 for result in results):
        print("INCOMPLETE: a sync pushed nothing")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
