"""`SyncEngine`: full, incremental, by-UUID and reconciliation runs of one tenant's catalogs.

Every page goes: fetch -> validate and digest -> skip unchanged -> one `Target.apply` -> one Redis
transaction with the digests, the seen UUIDs, the dead letters and the checkpoint. A run that dies
anywhere resumes from its checkpoint; only the pages fetched but not yet recorded are fetched and
pushed again, under the same idempotency key when it is the same batch.

Fetching: with `cursors=1` one page at a time (optionally one ahead); a full run with
`cursors > 1` is split into `updated` windows paged by that many cursors at once (`windows.py`),
while this thread processes their pages one by one, so the checkpoint has a single writer.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from akeneo_sync import metrics
from akeneo_sync.akeneo.types import MappedProduct, Page
from akeneo_sync.clock import Clock, to_utc_datetime
from akeneo_sync.errors import CatalogDisabledError, CatalogNotFoundError, ConfigError, StateError
from akeneo_sync.logging import get_logger
from akeneo_sync.state import (
    CatalogStatus,
    Checkpoint,
    Counters,
    NewDeadLetter,
    Phase,
    RunMode,
    Slot,
    StateStore,
    Window,
)
from akeneo_sync.state.digests import is_canonical_uuid
from akeneo_sync.sync.batch import (
    TARGET_REJECTED,
    PreparedPage,
    apply_batch,
    dead_letters_for,
    prepare_page,
    stage_page_result,
)
from akeneo_sync.sync.bounds import Bounds, cursor_position
from akeneo_sync.sync.by_uuid import ReplayReport, replay_dead_letters, sync_uuid_batch
from akeneo_sync.sync.checkpoint import plan_run
from akeneo_sync.sync.cursors import Split, SplitPolicy, WindowPager
from akeneo_sync.sync.lifecycle import begin_run, end_run, finish_run, forget_runs
from akeneo_sync.sync.pages import PagePrefetcher
from akeneo_sync.sync.ports import CatalogSource
from akeneo_sync.sync.summary import Outcome, RunSummary, outcome_for_error, record_products, record_summary
from akeneo_sync.sync.validate import ProductValidator
from akeneo_sync.sync.windows import plan_windows, sampled_windows
from akeneo_sync.targets.base import BatchContext, BatchResult, Target

__all__ = ["EngineOptions", "RunControl", "SyncEngine"]

_log = get_logger(__name__)


def _never() -> bool:
    return False


def _always() -> bool:
    return True


@dataclass(frozen=True, slots=True)
class RunControl:
    """Checked between pages: `should_stop` (SIGTERM) ends the run cleanly; a False `heartbeat`
    (the catalog lock was lost) aborts it."""

    should_stop: Callable[[], bool] = _never
    heartbeat: Callable[[], bool] = _always


@dataclass(frozen=True, slots=True)
class EngineOptions:
    """Tuning knobs; the defaults follow Akeneo's page size limits."""

    page_size: int = 100
    uuid_page_size: int = 1000
    diff_chunk: int = 1000  # deletions per target batch
    diff_scan: int = 5000  # known products checked per Redis call of the deletion diff
    uuid_batch: int = 100
    overlap_s: float = 300.0
    prefetch: bool = True
    # Cursors a full run pages at once (the fair-use limiter still caps calls in flight); 1 = one
    # `search_after` cursor. Windows per cursor even out skew; below `window_min_products` the
    # count requests of a plan would cost more than the cursors save.
    cursors: int = 1
    windows_per_cursor: int = 4
    window_min_products: int = 2000
    # Plan the windows by count (`with_count`): only for a PIM known to answer one (the emulator's
    # opt-in; Akeneo ignores the parameter). Otherwise one page of products samples the dates.
    count_plan: bool = False

    def __post_init__(self) -> None:
        sizes = (self.page_size, self.uuid_page_size, self.diff_chunk, self.diff_scan, self.uuid_batch,
                 self.cursors, self.windows_per_cursor)
        if min(sizes) <= 0 or self.overlap_s < 0:
            raise ConfigError(f"engine options out of range: {self}")


@dataclass(slots=True)
class _Run:
    """The mutable state of the run being driven (internal)."""

    catalog: str
    slot: Slot
    checkpoint: Checkpoint
    control: RunControl
    pages_fetched: int = 0
    # The dates sampled to plan this run's windows and the bound probes sent (not checkpointed:
    # a resumed run samples again when it cuts a window).
    plan_sample: tuple[int, ...] | None = None
    plan_probes: int = 0


class _Stop(Exception):  # noqa: N818 -- internal control flow, never leaves the engine
    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.value)
        self.outcome = outcome


class SyncEngine:
    """Syncs one tenant's catalogs from a `CatalogSource` into a `Target`."""

    def __init__(
        self,
        source: CatalogSource,
        target: Target,
        state: StateStore,
        clock: Clock,
        *,
        tenant: str,
        options: EngineOptions | None = None,
        validator: ProductValidator | None = None,
        new_run_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.source = source
        self.target = target
        self.state = state
        self.clock = clock
        self.tenant = tenant
        self.options = options or EngineOptions()
        self.validator = validator
        self.new_run_id = new_run_id

    def full_sync(self, catalog_id: str, control: RunControl | None = None) -> RunSummary:
        """Push every product of the catalog, then delete downstream what left it."""
        return self.run(catalog_id, RunMode.FULL, control)

    def incremental_sync(self, catalog_id: str, control: RunControl | None = None) -> RunSummary:
        """Push products updated since the watermark (minus the overlap); full when there is none."""
        return self.run(catalog_id, RunMode.INCREMENTAL, control)

    def reconcile(self, catalog_id: str, control: RunControl | None = None) -> RunSummary:
        """Page the catalog's product UUIDs and delete downstream every known product not listed."""
        return self.run(catalog_id, RunMode.RECONCILE, control)

    def sync_uuids(self, catalog_id: str, uuids: Iterable[str]) -> RunSummary:
        """Fetch each product by UUID and push it; those no longer in the catalog are deleted downstream."""
        started = self.clock.monotonic()
        run_id = self.new_run_id()
        checkpoint = Checkpoint(run_id, RunMode.UUIDS, Phase.PAGES, self.clock.now())
        run = _Run(catalog_id, Slot.SYNC, checkpoint, RunControl())
        unique = list(dict.fromkeys(uuids))
        size = self.options.uuid_batch
        try:
            for number, start in enumerate(range(0, len(unique), size)):
                result = sync_uuid_batch(self, catalog_id, unique[start : start + size], run_id=run_id, batch=number)
                run.checkpoint = run.checkpoint.evolve(
                    pages=number + 1, counters=run.checkpoint.counters.add(result.counters)
                )
                self.count_products(catalog_id, result.counters, result.dead_letters)
            outcome = Outcome.SUCCESS
        except (CatalogDisabledError, CatalogNotFoundError) as exc:
            outcome = self._catalog_gone(run, exc)
        except Exception as exc:
            record_summary(self._summary(run, outcome_for_error(exc), started, resumed=False))
            raise
        summary = self._summary(run, outcome, started, resumed=False)
        record_summary(summary)
        return summary

    def replay_dead_letters(self, catalog_id: str | None = None, *, limit: int = 1000) -> ReplayReport:
        """Sync again the products behind dead letters; see `by_uuid.replay_dead_letters`."""
        return replay_dead_letters(self, catalog_id, limit=limit)

    def run(self, catalog_id: str, mode: RunMode, control: RunControl | None = None) -> RunSummary:
        """Run (or resume) a checkpointed run of `mode` on one catalog."""
        started = self.clock.monotonic()
        plan = plan_run(
            self.state,
            self.tenant,
            catalog_id,
            mode,
            now=self.clock.now(),
            overlap_s=self.options.overlap_s,
            new_run_id=self.new_run_id,
        )
        run = _Run(catalog_id, plan.slot, plan.checkpoint, control or RunControl())
        begin_run(
            self.state,
            self.tenant,
            catalog_id,
            slot=plan.slot,
            checkpoint=plan.checkpoint,
            fresh=not plan.resumed,
            discard=plan.discard,
        )
        try:
            outcome = self._drive(run)
        except (CatalogDisabledError, CatalogNotFoundError) as exc:
            outcome = self._catalog_gone(run, exc)
        except BaseException as exc:
            # Recorded, then re-raised untouched: the actor decides on retries from `retryable`.
            # BaseException too: dramatiq's time limit and shutdown interrupts are not Exceptions.
            outcome = outcome_for_error(exc)
            self._record_failure(run, outcome)
            record_summary(self._summary(run, outcome, started, plan.resumed))
            raise
        summary = self._summary(run, outcome, started, plan.resumed)
        record_summary(summary)
        return summary

    # -- phases -------------------------------------------------------------------------------

    def _drive(self, run: _Run) -> Outcome:
        try:
            if run.checkpoint.phase is Phase.PAGES:
                if run.checkpoint.mode is RunMode.RECONCILE:
                    self._page_uuids(run)
                else:
                    self._page_products(run)
            if run.checkpoint.phase is Phase.DIFF:
                self._diff(run)
        except _Stop as stop:
            status = CatalogStatus.IDLE
            end_run(self.state, self.tenant, run.catalog, run.checkpoint, status=status, outcome=stop.outcome)
            return stop.outcome
        finish_run(self.state, self.clock, self.tenant, run.catalog, slot=run.slot, checkpoint=run.checkpoint)
        return Outcome.SUCCESS

    def _page_products(self, run: _Run) -> None:
        if run.checkpoint.mode is RunMode.FULL:
            checkpoint = run.checkpoint
            fresh = not checkpoint.windows and checkpoint.pages == 0 and checkpoint.next_url is None
            if fresh and self.options.cursors > 1:
                self._plan_windows(run)
            # A planned run resumes its windows even if the cursors were since set to 1.
            if run.checkpoint.windows:
                self._page_windows(run)
                return
        updated_after = run.checkpoint.updated_after
        after = to_utc_datetime(updated_after) if updated_after is not None else None

        def fetch(url: str | None) -> Page[MappedProduct]:
            return self.source.mapped_products_page(
                run.catalog, next_url=url, updated_after=after, limit=self.options.page_size
            )

        last_phase = Phase.DIFF if run.checkpoint.mode is RunMode.FULL else Phase.FINISH
        seen_slot = run.slot if run.checkpoint.mode is RunMode.FULL else None
        start = run.checkpoint.next_url
        with PagePrefetcher(fetch, start, prefetch=self.options.prefetch) as pages:
            for page in pages:
                run.pages_fetched += 1
                self._push_page(run, page, last_phase, seen_slot)
                if page.next_url is not None:
                    self._between_pages(run)

    def _plan_windows(self, run: _Run) -> None:
        catalog = run.catalog

        def count(lo: int | None, hi: int | None) -> int | None:
            # [lo, hi) asked as (lo - 1, hi): exact if the PIM reads the bounds strictly, two seconds
            # more if inclusively (bounds.py); a count only shapes the plan, it decides nothing.
            return self.source.count_products(
                catalog,
                updated_after=None if lo is None else _when(lo - 1),
                updated_before=None if hi is None else _when(hi),
            )

        options = self.options
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
            dates, total = self._sample(catalog, None, start, bounds)
            if total < options.window_min_products:
                # A small catalog (most of a fleet): one cursor, its next page fetched ahead, as a
                # plan and a tail window would cost more requests than they save.
                _log.info("sync_windows_skipped", tenant=self.tenant, catalog=catalog, products=total)
                return
            requests = 1 + self._probe_bounds(catalog, dates, bounds)
            windows = sampled_windows(start, dates, options.cursors + 1)
            # Handed to the cursors, which would otherwise sample the same windows again.
            run.plan_sample, run.plan_probes = tuple(dates), requests - 1
            run.checkpoint = run.checkpoint.evolve(bounds_inclusive=bounds.inclusive)
        run.checkpoint = run.checkpoint.evolve(windows=windows)
        self.state.checkpoints.save(self.tenant, catalog, run.slot, run.checkpoint)
        _log.info("sync_windows_planned", tenant=self.tenant, catalog=catalog, windows=len(windows),
                  products=total, counted=plan is not None, cursors=options.cursors,
                  bounds_inclusive=run.checkpoint.bounds_inclusive,
                  plan_requests=plan.requests + 1 if plan is not None else requests + int(options.count_plan))

    def _sample(self, catalog: str, lo: int | None, hi: int | None, bounds: Bounds) -> tuple[list[int], int]:
        """The `updated` seconds of one page of the window's products and its estimated size.

        Pages are in UUID order, so the dates are a random sample; the next link's UUID tells
        which share of the UUID space the page covered.
        """
        after, before = bounds.params(lo, hi)
        page = self.source.products_page(catalog, updated_after=after, updated_before=before,
                                         limit=self.options.page_size)
        dates = [s for product in page.items if (s := _epoch(product.get("updated"))) is not None]
        position = cursor_position(page.next_url)
        estimate = len(page.items) if not page.next_url or not position else int(len(page.items) / position)
        return dates, estimate

    def _probe_bounds(self, catalog: str, dates: Sequence[int], bounds: Bounds) -> bool:
        """Ask for one sampled second with both bounds on it: only an inclusive BETWEEN answers.

        A product seen there is proof (bounds.py); an empty answer proves nothing (the product
        may have been saved again since), and the strict-safe form stays.
        """
        if bounds.inclusive or not dates:
            return False
        at = _when(sorted(dates)[len(dates) // 2])
        if self.source.product_uuids_page(catalog, updated_after=at, updated_before=at, limit=1).items:
            bounds.prove_inclusive()
        return True

    def _page_windows(self, run: _Run) -> None:
        catalog, limit = run.catalog, self.options.page_size
        bounds = Bounds(inclusive=run.checkpoint.bounds_inclusive)

        def fetch(window: Window, url: str | None) -> Page[MappedProduct]:
            if url is not None:
                return self.source.mapped_products_page(catalog, next_url=url, limit=limit)
            after, before = bounds.params(window.lo, window.hi)
            return self.source.mapped_products_page(catalog, updated_after=after, updated_before=before, limit=limit)

        def sample(lo: int | None, hi: int | None) -> list[int]:
            return self._sample(catalog, lo, hi, bounds)[0]

        def probe(second: int) -> bool:
            # Both bounds on the same second: only an inclusive BETWEEN can answer a product.
            at = _when(second)
            return bool(self.source.product_uuids_page(catalog, updated_after=at, updated_before=at, limit=1).items)

        first = self._pending_window(run)
        if first is not None:
            # The batch in flight when the run stopped comes from this window's next page: push it
            # before the cursors start, so it goes out again under its own idempotency key.
            window = run.checkpoint.windows[first]
            run.pages_fetched += 1
            self._push_page(run, fetch(window, window.next_url), Phase.DIFF, run.slot, window=first)
            if run.checkpoint.phase is not Phase.PAGES:
                return
            self._between_pages(run)
        options = self.options
        policy = SplitPolicy(bounds, min_products=options.window_min_products,
                             min_remaining=3 * options.page_size, probe=probe, sample=sample,
                             sample_min_remaining=10 * options.page_size)
        windows = run.checkpoint.windows
        samples = [run.plan_sample] * len(windows)
        with WindowPager(fetch, windows, cursors=options.cursors, split=policy, samples=samples,
                         probes=run.plan_probes) as pager:
            for index, page, split in pager:
                run.pages_fetched += 1
                self._push_page(run, page, Phase.DIFF, run.slot, window=index, split=split,
                                bounds_inclusive=bounds.inclusive)
                if run.checkpoint.phase is Phase.PAGES:
                    self._between_pages(run)
        _log.info("sync_windows_paged", tenant=self.tenant, catalog=catalog, windows=len(run.checkpoint.windows),
                  probes=pager.probes, bounds_inclusive=bounds.inclusive)

    @staticmethod
    def _pending_window(run: _Run) -> int | None:
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

    def _push_page(
        self,
        run: _Run,
        page: Page[MappedProduct],
        last_phase: Phase,
        seen_slot: Slot | None,
        *,
        window: int | None = None,
        split: Split | None = None,
        bounds_inclusive: bool = False,
    ) -> None:
        prepared = prepare_page(self.state, self.tenant, run.catalog, page.items, self.validator)
        result, next_batch = self._push_products(run, prepared, window)
        pipe = self.state.transaction()
        counters, letters = stage_page_result(
            self.state,
            pipe,
            tenant=self.tenant,
            catalog=run.catalog,
            run_id=run.checkpoint.run_id,
            page=prepared,
            result=result,
            seen_slot=seen_slot,
        )
        if window is None:
            position: dict[str, object] = {
                "next_url": page.next_url,
                "phase": Phase.PAGES if page.next_url is not None else last_phase,
            }
        else:
            windows = list(run.checkpoint.windows)
            if split is None:
                windows[window] = windows[window].evolve(next_url=page.next_url, started=True,
                                                         done=page.next_url is None)
            else:
                # The window was cut where this page left its cursor: its first piece replaces it.
                if split.first_new != len(windows):
                    raise StateError(f"window pieces out of order: {split.first_new} after {len(windows)}")
                windows[window] = split.pieces[0]
                windows += split.pieces[1:]
            position = {"windows": tuple(windows),
                        "phase": last_phase if all(w.done for w in windows) else Phase.PAGES,
                        "bounds_inclusive": bounds_inclusive or run.checkpoint.bounds_inclusive}
        checkpoint = run.checkpoint.evolve(
            **position,
            pages=run.checkpoint.pages + 1,
            batch=next_batch,
            pending_fingerprint=None,
            pending_window=None,
            counters=run.checkpoint.counters.add(counters),
        )
        self.state.checkpoints.stage_save(pipe, self.tenant, run.catalog, run.slot, checkpoint)
        self.state.commit(pipe)
        run.checkpoint = checkpoint
        self.count_products(run.catalog, counters, letters)

    def _push_products(self, run: _Run, prepared: PreparedPage, window: int | None) -> tuple[BatchResult, int]:
        """Push the changed products; returns the result and the next batch number."""
        checkpoint = run.checkpoint
        pending = checkpoint.pending_fingerprint
        if not prepared.changed:
            # A batch that was in flight under this number may have reached the target: retire it.
            return BatchResult(), checkpoint.batch + (1 if pending else 0)
        number = checkpoint.batch if pending in (None, prepared.fingerprint) else checkpoint.batch + 1
        if pending != prepared.fingerprint or prepared.unknown:
            # Before the push: what may reach the target is known to the diff even if we die now.
            run.checkpoint = checkpoint.evolve(batch=number, pending_fingerprint=prepared.fingerprint,
                                               pending_window=window)
            pipe = self.state.transaction()
            if len(prepared.unknown_keys) == len(prepared.unknown):  # packed once, at validation
                self.state.digests.stage_unconfirmed_packed(pipe, self.tenant, run.catalog, prepared.unknown_keys)
            else:
                self.state.digests.stage_unconfirmed(pipe, self.tenant, run.catalog, prepared.unknown)
            self.state.checkpoints.stage_save(pipe, self.tenant, run.catalog, run.slot, run.checkpoint)
            self.state.commit(pipe)
        return self._apply(run, number, prepared.upserts, ()), number + 1

    def _page_uuids(self, run: _Run) -> None:
        def fetch(url: str | None) -> Page[str]:
            return self.source.product_uuids_page(run.catalog, next_url=url, limit=self.options.uuid_page_size)

        with PagePrefetcher(fetch, run.checkpoint.next_url, prefetch=self.options.prefetch) as pages:
            for page in pages:
                run.pages_fetched += 1
                pipe = self.state.transaction()
                self.state.seen.stage_add(pipe, self.tenant, run.catalog, run.slot, _canonical(page.items))
                checkpoint = run.checkpoint.evolve(
                    next_url=page.next_url,
                    phase=Phase.PAGES if page.next_url is not None else Phase.DIFF,
                    pages=run.checkpoint.pages + 1,
                )
                self.state.checkpoints.stage_save(pipe, self.tenant, run.catalog, run.slot, checkpoint)
                self.state.commit(pipe)
                run.checkpoint = checkpoint
                if page.next_url is not None:
                    self._between_pages(run)

    def _diff(self, run: _Run) -> None:
        """Delete downstream every known product the run did not see, chunk by chunk."""
        if run.checkpoint.pending_deletes:
            self._delete(run, list(run.checkpoint.pending_deletes))
        size = self.options.diff_chunk
        for unseen in self.state.unseen.scan(self.tenant, run.catalog, run.slot, chunk=self.options.diff_scan):
            for start in range(0, len(unseen), size):
                batch = unseen[start : start + size]
                # Saved before the push, so a resumed run re-sends exactly this batch under its key.
                run.checkpoint = run.checkpoint.evolve(pending_deletes=tuple(batch))
                self.state.checkpoints.save(self.tenant, run.catalog, run.slot, run.checkpoint)
                self._delete(run, batch)
                self._between_pages(run)

    def _delete(self, run: _Run, uuids: Sequence[str]) -> None:
        result = self._apply(run, run.checkpoint.batch, (), uuids)
        rejected = {r.uuid: r.reason for r in result.rejected}
        deleted = [u for u in uuids if u not in rejected]
        pipe = self.state.transaction()
        self.state.digests.stage_delete(pipe, self.tenant, run.catalog, deleted)
        letters = _rejection_letters(run, rejected)
        for letter in letters:
            self.state.dead_letters.stage_add(pipe, self.tenant, letter)
        counters = Counters(deleted=len(deleted), failed=len(rejected))
        checkpoint = run.checkpoint.evolve(
            batch=run.checkpoint.batch + 1, pending_deletes=(), counters=run.checkpoint.counters.add(counters)
        )
        self.state.checkpoints.stage_save(pipe, self.tenant, run.catalog, run.slot, checkpoint)
        self.state.commit(pipe)
        run.checkpoint = checkpoint
        self.count_products(run.catalog, counters, {TARGET_REJECTED: len(rejected)} if rejected else {})

    # -- helpers ------------------------------------------------------------------------------

    def _apply(self, run: _Run, number: int, upserts: Sequence[MappedProduct], deletes: Sequence[str]) -> BatchResult:
        batch = BatchContext(tenant=self.tenant, catalog=run.catalog, run_id=run.checkpoint.run_id, page=number)
        return apply_batch(self.target, batch, upserts, deletes)

    def _between_pages(self, run: _Run) -> None:
        if run.control.should_stop():
            raise _Stop(Outcome.INTERRUPTED)
        if not run.control.heartbeat():
            raise _Stop(Outcome.LOCK_LOST)

    def _record_failure(self, run: _Run, outcome: Outcome) -> None:
        # Best effort: when Redis itself failed, this fails too and the original error wins.
        with contextlib.suppress(StateError):
            end_run(self.state, self.tenant, run.catalog, run.checkpoint, status=CatalogStatus.FAILED, outcome=outcome)

    def _catalog_gone(self, run: _Run, exc: Exception) -> Outcome:
        outcome = Outcome.DISABLED if isinstance(exc, CatalogDisabledError) else Outcome.DELETED
        forget_runs(self.state, self.tenant, run.catalog, run.checkpoint, outcome=outcome)
        return outcome

    def count_products(self, catalog: str, counters: Counters, letters: dict[str, int]) -> None:
        record_products(self.tenant, catalog, counters)
        for reason, count in letters.items():
            metrics.DEAD_LETTERS.labels(reason=reason).inc(count)

    def _summary(self, run: _Run, outcome: Outcome, started: float, resumed: bool) -> RunSummary:
        return RunSummary(
            tenant=self.tenant,
            catalog=run.catalog,
            run_id=run.checkpoint.run_id,
            mode=run.checkpoint.mode,
            outcome=outcome,
            counters=run.checkpoint.counters,
            pages=run.checkpoint.pages,
            pages_fetched=run.pages_fetched,
            duration_s=self.clock.monotonic() - started,
            resumed=resumed,
        )


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


def _canonical(uuids: Iterable[str]) -> list[str]:
    # Only canonical UUIDs can be in the digest set, so only they matter to the diff.
    return [u for u in uuids if isinstance(u, str) and is_canonical_uuid(u)]


def _rejection_letters(run: _Run, rejected: dict[str, str]) -> list[NewDeadLetter]:
    return dead_letters_for(run.catalog, run.checkpoint.run_id, (), rejected, {})
