"""Prototype (bench only, not the product): a full sync paged by several cursors at once.

The PIM pages a catalog with one `search_after` cursor, so one cursor can never have more than
one page in flight. Splitting the catalog into disjoint `updated` windows
(`updated_after < updated <= updated_before`, exclusive at both ends in the emulator, so the
windows are [lo, hi) by using `updated_after = lo - 1`) gives independent cursors; `workers`
threads take windows from a queue (many more windows than threads, so skew evens out) and page
them concurrently through the one fair-use limiter the client already has. Each page goes through
the engine's own page pipeline (validate, digest, skip, one `Target.apply`, one Redis
transaction with the digests and seen UUIDs), so the figure measures the same work per product.

What the product would add (not needed to measure the throughput): a checkpoint per window
(window -> next_url, one Redis hash) so a killed run resumes every window where it stopped, and
the reconcile diff after the last window, exactly as the sequential engine does now.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from akeneo_sync.clock import SystemClock
from akeneo_sync.state import Counters, Slot, StateStore
from akeneo_sync.sync.batch import apply_batch, prepare_page, stage_page_result
from akeneo_sync.sync.ports import CatalogSource
from akeneo_sync.targets.base import BatchContext, BatchResult, Target

Window = tuple[int | None, int | None]  # (updated_after, updated_before) in epoch seconds


def time_windows(lo: int, hi: int, count: int) -> list[Window]:
    """`count` equal windows over [lo, hi), plus open-ended windows before and after them."""
    step = max(1, (hi - lo) // count)
    edges = [*range(lo, hi, step), hi]
    windows: list[Window] = [(None, edges[0])]
    windows += [(a - 1, b) for a, b in itertools.pairwise(edges)]
    windows.append((hi - 1, None))
    # The most recent windows hold the most products (recent edits): start them first.
    return list(reversed(windows))


@dataclass(frozen=True, slots=True)
class WindowedResult:
    counters: Counters
    pages: int
    seconds: float


class _Totals:
    """Counters summed across the window threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counters = Counters()
        self.pages = 0

    def add(self, counters: Counters) -> None:
        with self._lock:
            self.counters = self.counters.add(counters)
            self.pages += 1


def _when(epoch: int | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


def windowed_full_sync(
    source: CatalogSource,
    target: Target,
    state: StateStore,
    *,
    tenant: str,
    catalog: str,
    windows: Sequence[Window],
    workers: int = 4,
    page_size: int = 100,
) -> WindowedResult:
    """Page every window to the end with `workers` concurrent cursors; returns the totals."""
    todo: queue.SimpleQueue[tuple[int, Window]] = queue.SimpleQueue()
    for number, window in enumerate(windows):
        todo.put((number, window))
    totals = _Totals()
    errors: list[BaseException] = []
    clock = SystemClock()
    run_id = f"windowed-{time.time_ns()}"

    def page_window(number: int, window: Window) -> None:
        after, before = _when(window[0]), _when(window[1])
        url: str | None = None
        page_no = 0
        while True:
            page = source.mapped_products_page(
                catalog, next_url=url, updated_after=after, updated_before=before, limit=page_size
            )
            prepared = prepare_page(state, tenant, catalog, page.items)
            batch = BatchContext(tenant=tenant, catalog=catalog, run_id=run_id, page=number * 1_000_000 + page_no)
            result = apply_batch(target, clock, batch, prepared.upserts, ()) if prepared.changed else BatchResult()
            pipe = state.transaction()
            counters, _ = stage_page_result(
                state, pipe, tenant=tenant, catalog=catalog, run_id=run_id, page=prepared,
                result=result, seen_slot=Slot.SYNC,
            )
            state.commit(pipe)
            totals.add(counters)
            page_no += 1
            url = page.next_url
            if url is None:
                return

    def work() -> None:
        while not errors:
            try:
                number, window = todo.get_nowait()
            except queue.Empty:
                return
            try:
                page_window(number, window)
            except BaseException as exc:  # reported by the caller
                errors.append(exc)

    started = time.monotonic()
    threads = [threading.Thread(target=work, name=f"window-{i}") for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return WindowedResult(totals.counters, totals.pages, time.monotonic() - started)
