"""Full sync of a catalog in variants mode under fair use: the engine vs the fair-use bound and a sequential baseline.

    python bench/models_sync.py [--quick] [--models N] [--latency-ms 50]

10,000 seeded product models (quick: 1,000), 2-6 variants each (~4), no simple products, in
`akeneo-sync emulator` (its own process), 50 ms injected latency per PIM call, fair use enforced
by the emulator (4 concurrent calls per token, 100 req/s), a catalog whose mapping schema is the
bundled product-models schema, null target, state in real Redis. Two runs, each from empty state:
- the engine as a worker runs it in variants mode (`EngineOptions(models=True, cursors=4)`): a
  page of 100 models, then every model's variants fetched by 4 cursors at once;
- baseline: the same engine with one cursor (one request at a time), stopped after its first
  `BASELINE_MODELS` models (a rate, not a finish: the whole catalog would take ~8 minutes).

The fair-use bound: every model costs one variants request (its 2-6 variants fit in one page of
100) and 1/100 of a models page, so with 4 calls in flight at 50 ms it is
4 / 0.05 / (1 + 1/100) = 79 models/s (the 100 req/s cap, 99 models/s, binds later).
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from _common import (
    FAIR_USE,
    REDIS_DBS,
    Catalog,
    EmulatorProcess,
    cpu_seconds_of,
    create_catalog,
    emulator_process,
    engine,
    header,
    limiter,
    load,
    option,
    pim_client,
    quick_mode,
    ratio,
    redis_db,
    row,
    state_store,
)

from akeneo_sync.akeneo.client import AkeneoClient
from akeneo_sync.akeneo.types import MappedModelItem, MappedVariant, Page
from akeneo_sync.settings import bundled_schema_path
from akeneo_sync.sync.engine import EngineOptions
from akeneo_sync.sync.run import RunControl
from akeneo_sync.targets.null import NullTarget

LATENCY_MS = "50"
PAGE_SIZE = 100
CURSORS = 4
MODELS_SCHEMA = bundled_schema_path().parent / "product-models-mapping.json"


@dataclass
class Timeline:
    """Start and end of every models and variants request the engine made (monotonic seconds)."""

    calls: list[tuple[float, float]] = field(default_factory=list)
    model_pages: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, started: float) -> None:
        with self.lock:
            self.calls.append((started, time.monotonic()))

    def share_at(self, level_wanted: int) -> float:
        """Share of the paging time with at least `level_wanted` requests under way."""
        if not self.calls:
            return 0.0
        edges = sorted([(a, 1) for a, _ in self.calls] + [(b, -1) for _, b in self.calls])
        first, last = edges[0][0], edges[-1][0]
        busy, level, since = 0.0, 0, first
        for moment, step in edges:
            if level >= level_wanted:
                busy += moment - since
            level, since = level + step, moment
        return busy / (last - first) if last > first else 0.0


class Observed:
    """The real client, timing its models and variants requests."""

    def __init__(self, client: AkeneoClient, timeline: Timeline) -> None:
        self._client = client
        self._timeline = timeline

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def mapped_models_page(self, catalog_id: str, **kwargs: Any) -> Page[MappedModelItem]:
        started = time.monotonic()
        try:
            return self._client.mapped_models_page(catalog_id, **kwargs)
        finally:
            self._timeline.record(started)
            with self._timeline.lock:
                self._timeline.model_pages += 1

    def model_variants_page(self, catalog_id: str, model_code: str, **kwargs: Any) -> Page[MappedVariant] | None:
        started = time.monotonic()
        try:
            return self._client.model_variants_page(catalog_id, model_code, **kwargs)
        finally:
            self._timeline.record(started)


@dataclass(frozen=True, slots=True)
class Run:
    name: str
    models: int
    variants: int
    seconds: float
    requests: int
    throttled: int
    max_concurrent: int
    share: float
    load: str
    worker_cpu_s: float
    emulator_cpu_s: float
    outcome: str

    def rate(self, count: int) -> float:
        return count / self.seconds if self.seconds > 0 else 0.0


def fair_use_bound(faults: dict[str, Any]) -> tuple[float, str]:
    """Models/s the emulator's fair-use settings allow (one variants request per model, a models page per 100)."""
    limits = faults["fair_use"]
    latency = float(faults["random"]["latency_s"])
    per_model = 1 + 1 / PAGE_SIZE
    by_concurrency = limits["max_concurrent_per_token"] / latency / per_model
    by_rate = limits["max_requests_per_s"] / per_model
    how = (
        f"min({limits['max_concurrent_per_token']} in flight / {latency:g} s, {limits['max_requests_per_s']} req/s)"
        f" / (1 + 1/{PAGE_SIZE}) requests per model = min({by_concurrency:,.1f}, {by_rate:,.1f})"
    )
    return min(by_concurrency, by_rate), how


def measure(
    name: str,
    pim: EmulatorProcess,
    catalog: Catalog,
    options: EngineOptions,
    *,
    db: int,
    stop_after_pages: int | None = None,
) -> Run:
    """One full sync from empty state; with `stop_after_pages`, stopped cleanly after that many model pages."""
    pim.call("POST", "/_emulator/stats/reset")
    timeline = Timeline()
    control = RunControl()
    if stop_after_pages is not None:
        control = RunControl(should_stop=lambda: timeline.model_pages >= stop_after_pages)
    target = NullTarget()
    cpu, emulator_cpu = time.process_time(), cpu_seconds_of(pim.pid)
    with redis_db(db) as client:
        source = Observed(pim_client(catalog, limiter()), timeline)
        summary = engine(source, target, state_store(client), catalog.catalog_id, options).full_sync(
            catalog.catalog_id, control
        )
    cpu, emulator_cpu = time.process_time() - cpu, cpu_seconds_of(pim.pid) - emulator_cpu
    stats = pim.stats()
    return Run(
        name,
        target.models_upserted,
        target.variants_upserted,
        summary.duration_s,
        stats["requests"],
        stats["throttled"],
        max(stats["max_concurrent_per_token"].values(), default=0),
        timeline.share_at(CURSORS),
        load(),
        cpu,
        emulator_cpu,
        summary.outcome.value,
    )


def main() -> int:
    quick = quick_mode()
    models = int(option("--models", "1000" if quick else "10000"))
    latency_s = float(option("--latency-ms", LATENCY_MS)) / 1000
    baseline_pages = 2 if quick else 10
    header(
        f"variants-mode full sync, {models:,} product models, {latency_s * 1000:.0f} ms latency, fair use enforced",
        quick,
    )
    with emulator_process(0, models=models) as pim:
        row("emulator startup (separate process)", f"{pim.startup_s:.1f} s")
        catalog = create_catalog(pim.base_url, pim.admin, schema=MODELS_SCHEMA)
        expected = pim.call("GET", f"/_emulator/catalogs/{catalog.catalog_id}/expected-models")["models"]
        size, variants = len(expected), sum(len(model["variants"]) for model in expected.values())
        row("catalog", f"{size:,} models with {variants:,} variants ({variants / max(size, 1):.1f} per model)")
        pim.call("PUT", "/_emulator/faults", json={"latency_s": latency_s})
        pim.call("PUT", "/_emulator/fair-use", json=FAIR_USE)
        bound, how = fair_use_bound(pim.call("GET", "/_emulator/faults"))
        runs = [
            measure(
                f"baseline (one cursor, sequential; its first {baseline_pages * PAGE_SIZE:,} models)",
                pim,
                catalog,
                EngineOptions(models=True, cursors=1, prefetch=False),
                db=REDIS_DBS[0],
                stop_after_pages=baseline_pages,
            ),
            measure(
                f"engine as a worker runs it (models=True, cursors={CURSORS})",
                pim,
                catalog,
                EngineOptions(models=True, cursors=CURSORS, prefetch=True),
                db=REDIS_DBS[1],
            ),
        ]
    baseline = runs[0].rate(runs[0].models)
    row("fair-use bound", f"{bound:,.1f} models/s = {how}")
    for run in runs:
        print(f"  {run.name}")
        row(
            "  models/s",
            f"{run.rate(run.models):,.1f} ({run.models:,} models in {run.seconds:.1f} s, "
            f"outcome {run.outcome}, load {run.load})",
        )
        row("  variants/s", f"{run.rate(run.variants):,.0f} ({run.variants:,} variants)")
        row("  vs fair-use bound", f"{run.rate(run.models) / bound:.2f}")
        row("  vs baseline", ratio(run.rate(run.models), baseline))
        row(f"  paging time with {CURSORS} requests under way", f"{run.share:.2f}")
        row("  PIM requests / 429s / max concurrent", f"{run.requests:,} / {run.throttled} / {run.max_concurrent}")
        row(
            "  CPU s: worker / emulator (of 2 cores x wall)",
            f"{run.worker_cpu_s:.1f} / {run.emulator_cpu_s:.1f} (of {2 * run.seconds:.1f})",
        )
    engine_run = runs[-1]
    if engine_run.models != size or engine_run.variants != variants:
        print(
            f"INCOMPLETE: the engine pushed {engine_run.models:,} models and {engine_run.variants:,} variants "
            f"of {size:,} and {variants:,}"
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
