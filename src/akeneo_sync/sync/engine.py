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
import hashlib
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from akeneo_sync import metrics
from akeneo_sync.akeneo.types import MappedProduct, Page
from akeneo_sync.clock import Clock, to_utc_datetime
from akeneo_sync.errors import CatalogDisabledError, CatalogNotFoundError, ConfigError, StateError
from akeneo_sync.logging import get_logger
from akeneo_sync.state import (
    CatalogStatus,
    Checkpoint,
    Counters,
    Phase,
    RunMode,
    Slot,
    StateStore,
)
from akeneo_sync.sync.batch import (
    apply_batch,
)
from akeneo_sync.sync.by_uuid import ReplayReport, replay_dead_letters, sync_uuid_batch
from akeneo_sync.sync.checkpoint import plan_run
from akeneo_sync.sync.diff import diff_deletes, page_uuids
from akeneo_sync.sync.drift import start_probe
from akeneo_sync.sync.lifecycle import begin_run, end_run, finish_run, forget_runs
from akeneo_sync.sync.model_push import diff_models
from akeneo_sync.sync.models import page_models
from akeneo_sync.sync.pages import PagePrefetcher
from akeneo_sync.sync.ports import CatalogSource
from akeneo_sync.sync.push import push_page
from akeneo_sync.sync.run import ActiveRun, RunControl, StopRun
from akeneo_sync.sync.summary import Outcome, RunSummary, outcome_for_error, record_products, record_summary
from akeneo_sync.sync.validate import ProductValidator
from akeneo_sync.sync.windowed import page_windows, plan_run_windows
from akeneo_sync.targets.base import BatchContext, BatchResult, Target

__all__ = ["EngineOptions", "RunControl", "SyncEngine"]

_log = get_logger(__name__)


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
    # Incremental runs probe for changes no `updated` date shows (drift.py) and ask for a refresh
    # when they find one, or when the last full run started `refresh_interval_s` ago.
    drift_probe: bool = False
    refresh_interval_s: float | None = None
    # The catalog's mapping schema is in variants mode: product models with their variants are
    # synced after the (simple) products, each model as one unit (models.py).
    models: bool = False

    def __post_init__(self) -> None:
        sizes = (
            self.page_size,
            self.uuid_page_size,
            self.diff_chunk,
            self.diff_scan,
            self.uuid_batch,
            self.cursors,
            self.windows_per_cursor,
        )
        if min(sizes) <= 0 or self.overlap_s < 0:
            raise ConfigError(f"engine options out of range: {self}")


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
        run = ActiveRun(catalog_id, Slot.SYNC, checkpoint, RunControl())
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
        run = ActiveRun(catalog_id, plan.slot, plan.checkpoint, control or RunControl())
        probing = self.options.drift_probe and plan.checkpoint.mode is RunMode.INCREMENTAL and not plan.resumed
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
            if probing:
                self._start_probe(run)
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

    def _drive(self, run: ActiveRun) -> Outcome:
        try:
            if run.checkpoint.phase is Phase.PAGES:
                if run.checkpoint.mode is RunMode.RECONCILE:
                    page_uuids(self, run)
                else:
                    self._page_products(run)
            if run.checkpoint.phase is Phase.MODELS:
                page_models(self, run)
            if run.checkpoint.phase is Phase.DIFF:
                diff_deletes(self, run)
                if self.options.models:
                    diff_models(self, run)
        except StopRun as stop:
            status = CatalogStatus.IDLE
            end_run(self.state, self.tenant, run.catalog, run.checkpoint, status=status, outcome=stop.outcome)
            return stop.outcome
        if run.checkpoint.mode is RunMode.INCREMENTAL:
            # The models phase may have asked already (a variant whose model it cannot place).
            reason = self._refresh_reason(run)
            run.refresh = run.refresh or reason
        finish_run(self.state, self.clock, self.tenant, run.catalog, slot=run.slot, checkpoint=run.checkpoint)
        return Outcome.SUCCESS

    def _start_probe(self, run: ActiveRun) -> None:
        window = run.checkpoint.updated_after
        if window is None:
            return
        run.pages_fetched += 2  # the probe's two requests
        run.probe = start_probe(
            self.source,
            self.state,
            self.tenant,
            run.catalog,
            window_start=to_utc_datetime(window),
            validator=self.validator,
            uuid_limit=self.options.uuid_page_size,
            page_size=self.options.page_size,
        )

    def _refresh_reason(self, run: ActiveRun) -> str | None:
        if run.probe is not None and run.probe.finish().found:
            return "drift"
        interval = self.options.refresh_interval_s
        if interval is None:
            return None
        refreshed_at = self.state.catalogs.require(self.tenant, run.catalog).refreshed_at
        if refreshed_at is None:
            # Synced before refreshes existed: start its clock at a point of the interval of its
            # own, so a fleet that upgrades does not refresh every catalog in the same hour.
            offset = int.from_bytes(hashlib.blake2b(f"{self.tenant}:{run.catalog}".encode(), digest_size=4).digest())
            self.state.catalogs.start_refresh_clock(self.tenant, run.catalog, self.clock.now() - offset % interval)
            return None
        return "schedule" if self.clock.now() - refreshed_at >= interval else None

    def _page_products(self, run: ActiveRun) -> None:
        if run.checkpoint.mode is RunMode.FULL:
            checkpoint = run.checkpoint
            fresh = not checkpoint.windows and checkpoint.pages == 0 and checkpoint.next_url is None
            if fresh and self.options.cursors > 1:
                plan_run_windows(self, run)
            # A planned run resumes its windows even if the cursors were since set to 1.
            if run.checkpoint.windows:
                page_windows(self, run)
                return
        updated_after = run.checkpoint.updated_after
        after = to_utc_datetime(updated_after) if updated_after is not None else None

        def fetch(url: str | None) -> Page[MappedProduct]:
            return self.source.mapped_products_page(
                run.catalog, next_url=url, updated_after=after, limit=self.options.page_size
            )

        last_phase = self.after_pages(run.checkpoint.mode)
        seen_slot = run.slot if run.checkpoint.mode is RunMode.FULL else None
        start = run.checkpoint.next_url
        with PagePrefetcher(fetch, start, prefetch=self.options.prefetch) as pages:
            for page in pages:
                run.pages_fetched += 1
                push_page(self, run, page, last_phase, seen_slot)
                if page.next_url is not None:
                    self.between_pages(run)

    # -- helpers ------------------------------------------------------------------------------

    def after_pages(self, mode: RunMode) -> Phase:
        """The phase after the products (or their UUIDs): the models in variants mode, then the diff."""
        if self.options.models:
            return Phase.MODELS
        return Phase.DIFF if mode in (RunMode.FULL, RunMode.RECONCILE) else Phase.FINISH

    def apply(
        self, run: ActiveRun, number: int, upserts: Sequence[MappedProduct], deletes: Sequence[str]
    ) -> BatchResult:
        """Apply one batch of the run to the target under its idempotency key."""
        batch = BatchContext(tenant=self.tenant, catalog=run.catalog, run_id=run.checkpoint.run_id, page=number)
        return apply_batch(self.target, batch, upserts, deletes)

    def between_pages(self, run: ActiveRun) -> None:
        if run.control.should_stop():
            raise StopRun(Outcome.INTERRUPTED)
        if not run.control.heartbeat():
            raise StopRun(Outcome.LOCK_LOST)

    def _record_failure(self, run: ActiveRun, outcome: Outcome) -> None:
        # Best effort: when Redis itself failed, this fails too and the original error wins.
        with contextlib.suppress(StateError):
            end_run(self.state, self.tenant, run.catalog, run.checkpoint, status=CatalogStatus.FAILED, outcome=outcome)

    def _catalog_gone(self, run: ActiveRun, exc: Exception) -> Outcome:
        outcome = Outcome.DISABLED if isinstance(exc, CatalogDisabledError) else Outcome.DELETED
        forget_runs(self.state, self.tenant, run.catalog, run.checkpoint, outcome=outcome)
        return outcome

    def count_products(self, catalog: str, counters: Counters, letters: dict[str, int]) -> None:
        record_products(self.tenant, catalog, counters)
        for reason, count in letters.items():
            metrics.DEAD_LETTERS.labels(reason=reason).inc(count)

    def _summary(self, run: ActiveRun, outcome: Outcome, started: float, resumed: bool) -> RunSummary:
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
            refresh=run.refresh,
        )
