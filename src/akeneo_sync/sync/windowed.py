"""A full run paged by several cursors at once over disjoint `updated` windows.

Akeneo answers no count, so one page of products samples the catalog's dates and the past is cut
at their quantiles (`windows.sampled_windows`); `cursors.WindowPager` pages the windows with that
many cursors, cutting a busy window where its cursor stands. Pages come back to the engine's
thread one by one, so the checkpoint keeps a single writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from akeneo_sync.akeneo.types import MappedProduct, Page
from akeneo_sync.clock import to_utc_datetime
from akeneo_sync.logging import get_logger
from akeneo_sync.state import Phase, Window
from akeneo_sync.sync.bounds import Bounds, cursor_position
from akeneo_sync.sync.cursors import SplitPolicy, WindowPager
from akeneo_sync.sync.push import push_page
from akeneo_sync.sync.run import ActiveRun
from akeneo_sync.sync.windows import plan_windows, sampled_windows

if TYPE_CHECKING:
    from akeneo_sync.sync.engine import SyncEngine

__all__ = ["page_windows", "pending_window", "plan_run_windows"]

_log = get_logger(__name__)


def plan_run_windows(engine: SyncEngine, run: ActiveRun) -> None:
    catalog = run.catalog

    def count(lo: int | None, hi: int | None) -> int | None:
        # [lo, hi) asked as (lo - 1, hi): exact if the PIM reads the bounds strictly, two seconds
        # more if inclusively (bounds.py); a count only shapes the plan, it decides nothing.
        return engine.source.count_products(
            catalog,
            updated_after=None if lo is None else _when(lo - 1),
            updated_before=None if hi is None else _when(hi),
        )

    options = engine.options
    # The tail opens `overlap_s` before the run's start, as the watermark does: a PIM whose
    # clock is behind ours by less than that still dates a mid-run edit into the tail.
    start = int(run.checkpoint.started_at - options.overlap_s)
    total: int | None = None
    plan, requests = None, 0
    if options.count_plan:
        total = count(None, start)
        if total is not None and total < options.window_min_products:
            return  # one cursor, as below
        if total is not None:
            plan = plan_windows(
                count,
                start=start,
                parts=options.cursors * options.windows_per_cursor,
                min_products=options.window_min_products,
                concurrency=options.cursors,
            )
    if plan is not None:
        windows = plan.windows
    else:
        # No count (Akeneo's product-uuids ignores `with_count`): one page of products samples
        # the dates; the past is cut at its quantiles, one window per cursor and one more.
        bounds = Bounds(inclusive=run.checkpoint.bounds_inclusive)
        dates, total = sample_dates(engine, catalog, None, start, bounds)
        if total < options.window_min_products:
            # A small catalog (most of a fleet): one cursor, its next page fetched ahead, as a
            # plan and a tail window would cost more requests than they save.
            _log.info("sync_windows_skipped", tenant=engine.tenant, catalog=catalog, products=total)
            return
        requests = 1 + probe_bounds(engine, catalog, dates, bounds)
        windows = sampled_windows(start, dates, options.cursors + 1)
        # Handed to the cursors, which would otherwise sample the same windows again.
        run.plan_sample, run.plan_probes = tuple(dates), requests - 1
        run.checkpoint = run.checkpoint.evolve(bounds_inclusive=bounds.inclusive)
    run.checkpoint = run.checkpoint.evolve(windows=windows)
    engine.state.checkpoints.save(engine.tenant, catalog, run.slot, run.checkpoint)
    _log.info(
        "sync_windows_planned",
        tenant=engine.tenant,
        catalog=catalog,
        windows=len(windows),
        products=total,
        counted=plan is not None,
        cursors=options.cursors,
        bounds_inclusive=run.checkpoint.bounds_inclusive,
        plan_requests=plan.requests + 1 if plan is not None else requests + int(options.count_plan),
    )


def sample_dates(
    engine: SyncEngine, catalog: str, lo: int | None, hi: int | None, bounds: Bounds
) -> tuple[list[int], int]:
    """The `updated` seconds of one page of the window's products and its estimated size.

    Pages are in UUID order, so the dates are a random sample; the next link's UUID tells
    which share of the UUID space the page covered.
    """
    after, before = bounds.params(lo, hi)
    page = engine.source.products_page(
        catalog, updated_after=after, updated_before=before, limit=engine.options.page_size
    )
    dates = [s for product in page.items if (s := _epoch(product.get("updated"))) is not None]
    position = cursor_position(page.next_url)
    estimate = len(page.items) if not page.next_url or not position else int(len(page.items) / position)
    return dates, estimate


def probe_bounds(engine: SyncEngine, catalog: str, dates: Sequence[int], bounds: Bounds) -> bool:
    """Ask for one sampled second with both bounds on it: only an inclusive BETWEEN answers.

    A product seen there is proof (bounds.py); an empty answer proves nothing (the product
    may have been saved again since), and the strict-safe form stays.
    """
    if bounds.inclusive or not dates:
        return False
    at = _when(sorted(dates)[len(dates) // 2])
    if engine.source.product_uuids_page(catalog, updated_after=at, updated_before=at, limit=1).items:
        bounds.prove_inclusive()
    return True


def page_windows(engine: SyncEngine, run: ActiveRun) -> None:
    catalog, limit = run.catalog, engine.options.page_size
    bounds = Bounds(inclusive=run.checkpoint.bounds_inclusive)

    def fetch(window: Window, url: str | None) -> Page[MappedProduct]:
        if url is not None:
            return engine.source.mapped_products_page(catalog, next_url=url, limit=limit)
        after, before = bounds.params(window.lo, window.hi)
        return engine.source.mapped_products_page(catalog, updated_after=after, updated_before=before, limit=limit)

    def sample(lo: int | None, hi: int | None) -> list[int]:
        return sample_dates(engine, catalog, lo, hi, bounds)[0]

    def probe(second: int) -> bool:
        # Both bounds on the same second: only an inclusive BETWEEN can answer a product.
        at = _when(second)
        return bool(engine.source.product_uuids_page(catalog, updated_after=at, updated_before=at, limit=1).items)

    first = pending_window(run)
    if first is not None:
        # The batch in flight when the run stopped comes from this window's next page: push it
        # before the cursors start, so it goes out again under its own idempotency key.
        window = run.checkpoint.windows[first]
        run.pages_fetched += 1
        push_page(
            engine, run, fetch(window, window.next_url), engine.after_pages(run.checkpoint.mode), run.slot, window=first
        )
        if run.checkpoint.phase is not Phase.PAGES:
            return
        engine.between_pages(run)
    options = engine.options
    policy = SplitPolicy(
        bounds,
        min_products=options.window_min_products,
        min_remaining=3 * options.page_size,
        probe=probe,
        sample=sample,
        sample_min_remaining=10 * options.page_size,
    )
    windows = run.checkpoint.windows
    samples = [run.plan_sample] * len(windows)
    with WindowPager(
        fetch, windows, cursors=options.cursors, split=policy, samples=samples, probes=run.plan_probes
    ) as pager:
        for index, page, split in pager:
            run.pages_fetched += 1
            after = engine.after_pages(run.checkpoint.mode)
            push_page(engine, run, page, after, run.slot, window=index, split=split, bounds_inclusive=bounds.inclusive)
            if run.checkpoint.phase is Phase.PAGES:
                engine.between_pages(run)
    _log.info(
        "sync_windows_paged",
        tenant=engine.tenant,
        catalog=catalog,
        windows=len(run.checkpoint.windows),
        probes=pager.probes,
        bounds_inclusive=bounds.inclusive,
    )


def pending_window(run: ActiveRun) -> int | None:
    checkpoint = run.checkpoint
    index, windows = checkpoint.pending_window, checkpoint.windows
    if checkpoint.pending_fingerprint is None or index is None or not 0 <= index < len(windows):
        return None
    if windows[index].done:
        return None
    # The tail is paged only once every other window is fetched to its end (windows.py).
    if windows[index].tail and not all(w.done for w in windows if not w.tail):
        return None
    return index


def _when(epoch_s: int) -> datetime:
    return to_utc_datetime(float(epoch_s))


def _epoch(value: object) -> int | None:
    """Epoch seconds of a product's ATOM `updated` date; None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        return int(datetime.fromisoformat(value).timestamp())
    except ValueError:
        return None
