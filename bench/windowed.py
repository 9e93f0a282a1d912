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

from akeneo_sync.akeneo.types import MappedProduct, Page
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


_Fetched = tuple[int, int, Page[MappedProduct]]


class _WindowedRun:
    """One windowed full sync: the cursor threads, the page pipeline and the totals."""

    def __init__(self, source: CatalogSource, target: Target, state: StateStore, *, tenant: str, catalog: str,
                 workers: int, page_size: int, pipelined: bool) -> None:
        self.source, self.target, self.state = source, target, state
        self.tenant, self.catalog = tenant, catalog
        self.workers, self.page_size, self.pipelined = workers, page_size, pipelined
        self.todo: queue.SimpleQueue[tuple[int, Window]] = queue.SimpleQueue()
        self.fetched: queue.Queue[_Fetched | None] = queue.Queue(maxsize=2 * workers)
        self.totals = _Totals()
        self.errors: list[BaseException] = []
        self.clock = SystemClock()
        self.run_id = f"windowed-{time.time_ns()}"

    def process(self, number: int, page_no: int, page: Page[MappedProduct]) -> None:
        """The engine's page pipeline: validate, digest, skip, push, one Redis transaction."""
        state, tenant, catalog = self.state, self.tenant, self.catalog
        prepared = prepare_page(state, tenant, catalog, page.items)
        batch = BatchContext(tenant=tenant, catalog=catalog, run_id=self.run_id, page=number * 1_000_000 + page_no)
        result = apply_batch(self.target, self.clock, batch, prepared.upserts, ()) if prepared.changed \
            else BatchResult()
        pipe = state.transaction()
        counters, _ = stage_page_result(
            state, pipe, tenant=tenant, catalog=catalog, run_id=self.run_id, page=prepared,
            result=result, seen_slot=Slot.SYNC,
        )
        state.commit(pipe)
        self.totals.add(counters)

    def page_window(self, number: int, window: Window) -> None:
        after, before = _when(window[0]), _when(window[1])
        url: str | None = None
        page_no = 0
        while url is not None or page_no == 0:
            page = self.source.mapped_products_page(
                self.catalog, next_url=url, updated_after=after, updated_before=before, limit=self.page_size
            )
            if self.pipelined:
                self.fetched.put((number, page_no, page))
            else:
                self.process(number, page_no, page)
            page_no += 1
            url = page.next_url

    def cursor(self) -> None:
        """One cursor thread: take windows until none is left."""
        try:
            while not self.errors:
                try:
                    number, window = self.todo.get_nowait()
                except queue.Empty:
                    return
                self.page_window(number, window)
        except BaseException as exc:  # reported by the caller
            self.errors.append(exc)
        finally:
            if self.pipelined:
                self.fetched.put(None)

    def run(self, windows: Sequence[Window]) -> WindowedResult:
        for number, window in enumerate(windows):
            self.todo.put((number, window))
        started = time.monotonic()
        threads = [threading.Thread(target=self.cursor, name=f"cursor-{i}", daemon=True) for i in range(self.workers)]
        for thread in threads:
            thread.start()
        finished = 0
        while self.pipelined and finished < self.workers:
            item = self.fetched.get()
            if item is None:
                finished += 1
            elif not self.errors:  # after an error, keep draining so the cursors can see it and stop
                try:
                    self.process(*item)
                except BaseException as exc:
                    self.errors.append(exc)
        for thread in threads:
            thread.join()
        if self.errors:
            raise self.errors[0]
        return WindowedResult(self.totals.counters, self.totals.pages, time.monotonic() - started)


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
    pipelined: bool = False,
) -> WindowedResult:
    """Page every window to the end with `workers` concurrent cursors; returns the totals.

    `pipelined`: the cursor threads only fetch and parse, and hand pages to the calling thread,
    which validates, digests, pushes and records them; a cursor's next request then leaves as
    soon as its page arrived, instead of after the page was processed.
    """
    run = _WindowedRun(source, target, state, tenant=tenant, catalog=catalog, workers=workers,
                       page_size=page_size, pipelined=pipelined)
    return run.run(windows)
