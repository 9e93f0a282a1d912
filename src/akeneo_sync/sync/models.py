"""Product models with their variants: the `MODELS` phase of a catalog in variants mode.

In variants mode (a mapping schema with `code`, `variation_axes` and `variants`) mapped-products
serves simple products only; models come from mapped-models, each with its variants from its
own endpoint. A model is one unit downstream: pushed with its whole variant set (the target
replaces the set), digested whole, skipped when unchanged, deleted by code (`model_units.py`).

- A full run (and a refresh) pages every model, then deletes downstream the models it did not
  see. A reconcile pages the model codes only, for that diff (`model_push.py`).
- An incremental run pages the models whose own `updated` moved, then follows the changed
  variants and what left the catalog (`model_follow.py`). A new variant whose model is unknown
  (under a sub-model) asks for a refresh.

Pages of models are checkpointed like pages of products (the models list's `next_url`, the
batch in flight under its idempotency key); the next page is fetched while this one is pushed,
and never checkpointed before it is pushed. The incremental's last steps are idempotent and run
again after a kill. Events re-push known models through `model_resync.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from akeneo_sync.akeneo.types import MappedModelItem, Page
from akeneo_sync.clock import to_utc_datetime
from akeneo_sync.state import Phase, RunMode
from akeneo_sync.sync.model_follow import follow_variants
from akeneo_sync.sync.model_push import push_units, record_codes
from akeneo_sync.sync.model_units import assemble, model_codes
from akeneo_sync.sync.pages import PagePrefetcher
from akeneo_sync.sync.run import ActiveRun

if TYPE_CHECKING:
    from akeneo_sync.sync.engine import SyncEngine

__all__ = ["page_models"]


def page_models(engine: SyncEngine, run: ActiveRun) -> None:
    """Drive the MODELS phase of `run` to its end (next phase: DIFF for diffing runs, else FINISH)."""
    mode = run.checkpoint.mode
    after = run.checkpoint.updated_after if mode is RunMode.INCREMENTAL else None
    updated_after = None if after is None else to_utc_datetime(after)

    def fetch(url: str | None) -> Page[MappedModelItem]:
        return engine.source.mapped_models_page(
            run.catalog, next_url=url, updated_after=updated_after, limit=engine.options.page_size
        )

    with PagePrefetcher(fetch, run.checkpoint.next_url, prefetch=engine.options.prefetch) as pages:
        for page in pages:
            run.pages_fetched += 1
            last = page.next_url is None
            if mode is RunMode.RECONCILE:
                record_codes(engine, run, model_codes(page.items), page.next_url)
            else:
                units = assemble(engine, run.catalog, page.items)
                position: dict[str, object] = {"next_url": page.next_url}
                if last and mode is not RunMode.INCREMENTAL:
                    position["phase"] = Phase.DIFF
                # An incremental run stays in this phase for its last steps, which a resumed run
                # makes again (they are idempotent) after paging the changed models once more.
                push_units(engine, run, units, seen=mode is RunMode.FULL, position=position, page=True)
            if last and mode is RunMode.INCREMENTAL:
                follow_variants(engine, run, after)
                _finish_phase(engine, run)
            if not last:
                engine.between_pages(run)


def _finish_phase(engine: SyncEngine, run: ActiveRun) -> None:
    phase = Phase.FINISH if run.checkpoint.mode is RunMode.INCREMENTAL else Phase.DIFF
    run.checkpoint = run.checkpoint.evolve(phase=phase, next_url=None)
    engine.state.checkpoints.save(engine.tenant, run.catalog, run.slot, run.checkpoint)
